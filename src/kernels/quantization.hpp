// The integer arithmetic of edgeai's quantised models, in one place: how a float becomes an
// int8/uint8 value, and how an int32 accumulator is rescaled to the output's scale: with a
// float32 scale (integer products) or a fixed-point multiplier and a shift (elementwise ops).
// The int8 kernels, the compressor (weights, bias, lookup tables) and quantisation-aware
// training all use these functions, so they agree bit for bit. docs/formats/quantization.md
// explains the rules with worked numbers. Header-only; depends on nothing but the standard
// library.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

namespace edgeai::quant {

// real_value = (q - zero_point) * scale, the affine mapping of ONNX QuantizeLinear.
struct QuantParams {
  float scale = 1.0f;
  std::int32_t zero_point = 0;
};

// ONNX QuantizeLinear for one value: saturate(round_half_to_even(x / scale) + zero_point)
// into [qmin, qmax]. The division is in float32, as the ONNX reference does it; NaN maps to
// the zero point.
inline std::int32_t quantize_value(float x, float scale, std::int32_t zero_point, std::int32_t qmin,
                                   std::int32_t qmax) {
  const float scaled = x / scale;
  if (std::isnan(scaled)) return std::clamp(zero_point, qmin, qmax);
  // std::nearbyint rounds half to even in the default rounding mode, which we never change.
  const float rounded = std::nearbyint(scaled);
  const float shifted = rounded + static_cast<float>(zero_point);
  if (!(shifted > static_cast<float>(qmin))) return qmin;
  if (!(shifted < static_cast<float>(qmax))) return qmax;
  return static_cast<std::int32_t>(shifted);
}

// ONNX DequantizeLinear for one value.
inline float dequantize_value(std::int32_t q, float scale, std::int32_t zero_point) {
  return static_cast<float>(q - zero_point) * scale;
}

// A positive real multiplier as multiplier * 2^-shift with multiplier in [2^30, 2^31):
// 31 significant bits, so the relative error is below 2^-31. Computed in double from float
// scales with exact IEEE operations (frexp, ldexp, one rounding), so every platform gets the
// same pair from the same scales.
struct FixedPointMultiplier {
  std::int32_t multiplier = 0;  // 0 means the real multiplier was 0
  int shift = 0;                // in [0, 62]
};

// Largest real multiplier we accept: 2^30 (shift 0). Scales of a sane model give ratios
// around 1e-6..1e2; a ratio past this limit is a broken model, reported by the kernel.
inline constexpr double kMaxRealMultiplier = 1073741824.0;

// Returns false when `real` is negative, not finite or above kMaxRealMultiplier. A real
// multiplier too small for 62 bits of shift becomes 0 (every result rounds to 0 anyway).
inline bool make_fixed_point_multiplier(double real, FixedPointMultiplier* out) {
  if (!(real >= 0.0) || !(real <= kMaxRealMultiplier)) return false;
  *out = FixedPointMultiplier{};
  if (real == 0.0) return true;
  int exponent = 0;
  const double mantissa = std::frexp(real, &exponent);  // real = mantissa * 2^exponent, mantissa in [0.5, 1)
  std::int64_t m = static_cast<std::int64_t>(std::nearbyint(std::ldexp(mantissa, 31)));
  if (m == (std::int64_t{1} << 31)) {  // the mantissa rounded up to 1.0
    m /= 2;
    ++exponent;
  }
  const int shift = 31 - exponent;
  if (shift > 62) return true;  // below 2^-32: the multiplier is 0 for any int32 accumulator
  out->multiplier = static_cast<std::int32_t>(m);
  out->shift = shift;
  return true;
}

// value / 2^shift rounded to the nearest integer, ties to even (as numpy.rint and ONNX's
// rounding). Exact for every int64 value and shift in [0, 62].
inline std::int64_t rounding_shift_right(std::int64_t value, int shift) {
  if (shift == 0) return value;
  const std::int64_t floor = value >> shift;  // arithmetic shift: floor division
  const std::int64_t remainder = value - (floor * (std::int64_t{1} << shift));
  const std::int64_t half = std::int64_t{1} << (shift - 1);
  if (remainder > half || (remainder == half && (floor & 1) != 0)) return floor + 1;
  return floor;
}

// round_half_to_even(value * real_multiplier) for |value| < 2^31: the requantisation step.
inline std::int64_t multiply_by_fixed_point(std::int64_t value, FixedPointMultiplier m) {
  if (m.multiplier == 0) return 0;
  return rounding_shift_right(value * m.multiplier, m.shift);
}

// Requantises an int32 accumulator to the output's integer domain:
// clamp(zero_point + round(acc * real_multiplier), qmin, qmax).
inline std::int32_t requantize(std::int64_t acc, FixedPointMultiplier m, std::int32_t zero_point, std::int32_t qmin,
                               std::int32_t qmax) {
  const std::int64_t scaled = multiply_by_fixed_point(acc, m) + zero_point;
  return static_cast<std::int32_t>(std::clamp<std::int64_t>(scaled, qmin, qmax));
}

// The float32 requantisation of an integer product's accumulator (QLinearConv, QLinearMatMul,
// QGemm), as ONNX defines those operators and as XNNPACK's and ONNX Runtime's int8 kernels
// compute it: y = clamp(zero_point + round_half_to_even(float(acc) * scale), lo, hi), with
// scale = x_scale * w_scale / y_scale rounded once to float32. Every step is one IEEE float32
// operation (the int32 -> float conversion, one multiplication, min/max with integer bounds,
// rounding to nearest even), so a vector kernel on any ISA gets the same bits.
//
// The scale from the real ratio (computed in double from the float32 scales): false when it
// is negative, not finite or above kMaxRealMultiplier; a ratio below float32's normal range
// (2^-126, where some CPUs flush to zero) becomes 0, so every result is the zero point.
inline bool make_requantization_scale(double real, float* out) {
  if (!(real >= 0.0) || !(real <= kMaxRealMultiplier)) return false;
  const float scale = static_cast<float>(real);
  *out = scale < std::numeric_limits<float>::min() ? 0.0f : scale;
  return true;
}

// clamp(zero_point + round_half_to_even(float(acc) * scale), lo, hi); [lo, hi] lies inside the
// output type's range (the type's limits intersected with a fused Relu/Clip). The clamp runs
// on the float product against lo - zero_point and hi - zero_point (exact in float32), so
// large products never reach the integer conversion.
// round_half_to_even(x) for |x| <= 2^22, with two float32 additions: x + 1.5 * 2^23 lands where
// float32's spacing is 1, so the addition rounds x to an integer (ties to even: the constant is
// even), and the subtraction is exact. Equal to std::nearbyint in the default rounding mode,
// which we never change; one instruction pair where nearbyint is a library call (Cortex-M4F).
// Compilers keep both operations without -ffast-math, which no edgeai build uses.
inline float round_half_even_small(float x) {
  constexpr float kMagic = 12582912.0f;  // 1.5 * 2^23
  return (x + kMagic) - kMagic;
}

inline std::int32_t requantize_accumulator(std::int32_t acc, float scale, std::int32_t zero_point, std::int32_t lo,
                                           std::int32_t hi) {
  const float product = static_cast<float>(acc) * scale;
  const float low = static_cast<float>(lo - zero_point), high = static_cast<float>(hi - zero_point);
  const float clamped = std::min(std::max(product, low), high);
  // |clamped| <= 2^17 (int16 outputs and zero points), well inside round_half_even_small's range.
  return static_cast<std::int32_t>(round_half_even_small(clamped)) + zero_point;
}

template <typename T>
constexpr std::int32_t qmin_of() {
  return std::numeric_limits<T>::min();
}
template <typename T>
constexpr std::int32_t qmax_of() {
  return std::numeric_limits<T>::max();
}

}  // namespace edgeai::quant
