// The requantisation of kernels/quantization.hpp for one accumulator, written out without
// std:: templates and with internal linkage, for the x86 ISA files: code they instantiate
// from shared headers would be compiled with their ISA flags and could be linked in place of
// the baseline copy. Same results as quant::requantize followed by the clamp and as
// quant::requantize_accumulator, bit for bit.
#pragma once

#include <cmath>
#include <cstdint>

namespace edgeai {
namespace {

// clamp(rshift_rne(acc * multiplier, shift) + zero_point, lo, hi), shift in [0, 62].
inline std::int32_t requantize_scalar(std::int32_t acc, std::int32_t multiplier, std::int32_t shift,
                                      std::int32_t zero_point, std::int32_t lo, std::int32_t hi) {
  std::int64_t v = static_cast<std::int64_t>(acc) * multiplier;
  if (shift > 0) {
    // With v = k 2^s + r, adding 2^(s-1) - 1 plus k's parity carries into k exactly when
    // r > 2^(s-1), or r = 2^(s-1) and k is odd: rounding half to even.
    const std::int64_t parity = (v >> shift) & 1;
    v = (v + (std::int64_t{1} << (shift - 1)) - 1 + parity) >> shift;
  }
  const std::int64_t low = static_cast<std::int64_t>(lo) - zero_point, high = static_cast<std::int64_t>(hi) - zero_point;
  v = v < low ? low : (v > high ? high : v);
  return static_cast<std::int32_t>(v) + zero_point;
}

// zero_point + round_half_to_even(clamp(float(acc) * scale, lo - zero_point, hi - zero_point)).
inline std::int32_t requantize_accumulator_scalar(std::int32_t acc, float scale, std::int32_t zero_point,
                                                  std::int32_t lo, std::int32_t hi) {
  float v = static_cast<float>(acc) * scale;
  const float low = static_cast<float>(lo - zero_point), high = static_cast<float>(hi - zero_point);
  v = v < low ? low : v;
  v = v > high ? high : v;
  return static_cast<std::int32_t>(nearbyintf(v)) + zero_point;  // ties to even in the default mode
}

}  // namespace
}  // namespace edgeai
