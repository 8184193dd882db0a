// 4 float32 lanes on AArch64 NEON: the vector type of f32_neon.cpp. NEON has no masked
// loads, so partial vectors go through a small stack copy (only at row ends).
#pragma once

#include <arm_neon.h>

#include <cstring>

namespace edgeai::arm {

struct F32x4 {
  using V = float32x4_t;
  static constexpr int kWidth = 4;
  static V zero() { return vdupq_n_f32(0.0f); }
  static V set1(float x) { return vdupq_n_f32(x); }
  static V load(const float* p) { return vld1q_f32(p); }
  static V load_partial(const float* p, int n) {
    if (n >= kWidth) return load(p);
    float buf[kWidth] = {0.0f, 0.0f, 0.0f, 0.0f};
    if (n > 0) std::memcpy(buf, p, sizeof(float) * static_cast<unsigned>(n));
    return vld1q_f32(buf);
  }
  static void store(float* p, V v) { vst1q_f32(p, v); }
  static void store_partial(float* p, V v, int n) {
    if (n >= kWidth) {
      store(p, v);
    } else if (n > 0) {
      float buf[kWidth];
      vst1q_f32(buf, v);
      std::memcpy(p, buf, sizeof(float) * static_cast<unsigned>(n));
    }
  }
  static V fma(V a, V b, V c) { return vfmaq_f32(c, a, b); }
  static V add(V a, V b) { return vaddq_f32(a, b); }
  static V mul(V a, V b) { return vmulq_f32(a, b); }
  // With one NaN operand these return the other (x86's max/min return the second operand);
  // the callers put the value that may be NaN first, so both give the reference's result.
  static V max(V a, V b) { return vmaxnmq_f32(a, b); }
  static V min(V a, V b) { return vminnmq_f32(a, b); }
  static V sub(V a, V b) { return vsubq_f32(a, b); }
  static V div(V a, V b) { return vdivq_f32(a, b); }
  // 1 / a from the 8-bit estimate and two Newton steps (vrecps: 2 - a * r).
  static V reciprocal(V a) {
    V r = vrecpeq_f32(a);
    r = vmulq_f32(r, vrecpsq_f32(a, r));
    return vmulq_f32(r, vrecpsq_f32(a, r));
  }
  static V round(V a) { return vrndnq_f32(a); }
  static V scale_pow2(V p, V n) {
    const int32x4_t e = vshlq_n_s32(vaddq_s32(vcvtnq_s32_f32(n), vdupq_n_s32(127)), 23);
    return vmulq_f32(p, vreinterpretq_f32_s32(e));
  }
  static V select_nonnegative(V a, V if_true, V if_false) {
    return vbslq_f32(vcgeq_f32(a, vdupq_n_f32(0.0f)), if_true, if_false);
  }
};

}  // namespace edgeai::arm
