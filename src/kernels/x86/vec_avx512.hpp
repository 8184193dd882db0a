// 16 float32 lanes on AVX-512F: the vector type the f32 micro-kernel templates
// (optimized/f32_microkernels.hpp) are instantiated with in f32_avx512f.cpp. Only that file,
// compiled with -mavx512f, includes this header.
#pragma once

#include <immintrin.h>

namespace edgeai::x86 {

struct F32x16 {
  using V = __m512;
  static constexpr int kWidth = 16;
  static V zero() { return _mm512_setzero_ps(); }
  static V set1(float x) { return _mm512_set1_ps(x); }
  static V load(const float* p) { return _mm512_loadu_ps(p); }
  // Lanes [0, n) from p, the rest 0; never reads p[n] and beyond.
  static V load_partial(const float* p, int n) {
    if (n >= kWidth) return load(p);
    if (n <= 0) return zero();
    return _mm512_maskz_loadu_ps(static_cast<__mmask16>((1u << n) - 1u), p);
  }
  static void store(float* p, V v) { _mm512_storeu_ps(p, v); }
  static void store_partial(float* p, V v, int n) {
    if (n >= kWidth) {
      store(p, v);
    } else if (n > 0) {
      _mm512_mask_storeu_ps(p, static_cast<__mmask16>((1u << n) - 1u), v);
    }
  }
  static V fma(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }  // a * b + c
  static V add(V a, V b) { return _mm512_add_ps(a, b); }
  static V mul(V a, V b) { return _mm512_mul_ps(a, b); }
  static V max(V a, V b) { return _mm512_max_ps(a, b); }
  static V min(V a, V b) { return _mm512_min_ps(a, b); }
  static V sub(V a, V b) { return _mm512_sub_ps(a, b); }
  static V div(V a, V b) { return _mm512_div_ps(a, b); }
  // 1 / a from the 14-bit estimate and one Newton step (about 2^-27 relative): a division
  // costs several times more where sigmoids run per element.
  static V reciprocal(V a) {
    const V r = _mm512_rcp14_ps(a);
    return _mm512_mul_ps(r, _mm512_fnmadd_ps(a, r, _mm512_set1_ps(2.0f)));
  }
  static V round(V a) { return _mm512_roundscale_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
  // p * 2^n for integer-valued n.
  static V scale_pow2(V p, V n) { return _mm512_scalef_ps(p, n); }
  // a >= 0 ? a : b, lane by lane.
  static V select_nonnegative(V a, V if_true, V if_false) {
    return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(a, _mm512_setzero_ps(), _CMP_GE_OQ), if_false, if_true);
  }
};

}  // namespace edgeai::x86
