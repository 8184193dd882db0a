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
  static V sub(V a, V b) { return _mm256_sub_ps(a, b); }
  static V div(V a, V b) { return _mm256_div_ps(a, b); }
  // 1 / a from the 12-bit estimate and one Newton step (about 2^-23 relative).
  static V reciprocal(V a) {
    const V r = _mm256_rcp_ps(a);
    return _mm256_mul_ps(r, _mm256_fnmadd_ps(a, r, _mm256_set1_ps(2.0f)));
  }
  static V round(V a) { return _mm256_round_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
  // p * 2^n for integer-valued n in [-126, 127] (the exponent field built directly).
  static V scale_pow2(V p, V n) {
    const __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(p, _mm256_castsi256_ps(e));
  }
  static V select_nonnegative(V a, V if_true, V if_false) {
    return _mm256_blendv_ps(if_false, if_true, _mm256_cmp_ps(a, _mm256_setzero_ps(), _CMP_GE_OQ));
  }
};

}  // namespace edgeai::x86
