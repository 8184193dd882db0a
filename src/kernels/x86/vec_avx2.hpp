// 8 float32 lanes on AVX2 + FMA: the vector type of f32_avx2.cpp (compiled with -mavx2 -mfma).
#pragma once

#include <immintrin.h>

namespace edgeai::x86 {

struct F32x8 {
  using V = __m256;
  static constexpr int kWidth = 8;
  static V zero() { return _mm256_setzero_ps(); }
  static V set1(float x) { return _mm256_set1_ps(x); }
  static V load(const float* p) { return _mm256_loadu_ps(p); }
  static __m256i mask(int n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  }
  // Lanes [0, n) from p, the rest 0; masked lanes are not read (vmaskmovps does not fault).
  static V load_partial(const float* p, int n) {
    if (n >= kWidth) return load(p);
    if (n <= 0) return zero();
    return _mm256_maskload_ps(p, mask(n));
  }
  static void store(float* p, V v) { _mm256_storeu_ps(p, v); }
  static void store_partial(float* p, V v, int n) {
    if (n >= kWidth) {
      store(p, v);
    } else if (n > 0) {
      _mm256_maskstore_ps(p, mask(n), v);
    }
  }
  static V fma(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
  static V add(V a, V b) { return _mm256_add_ps(a, b); }
  static V mul(V a, V b) { return _mm256_mul_ps(a, b); }
  static V max(V a, V b) { return _mm256_max_ps(a, b); }
  static V min(V a, V b) { return _mm256_min_ps(a, b); }
};

}  // namespace edgeai::x86
