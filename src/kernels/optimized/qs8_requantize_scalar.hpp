// quant::requantize_accumulator for one accumulator, written out without std:: templates and
// with internal linkage, for the x86 ISA files: code they instantiate from shared headers would
// be compiled with their ISA flags and could be linked in place of the baseline copy. Same
// result, bit for bit.
#pragma once

#include <cmath>
#include <cstdint>

namespace edgeai {
namespace {

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
