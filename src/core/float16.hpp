// IEEE 754 binary16 <-> float32 conversion (round to nearest even), for float16 tensors: Cast,
// fp16 weight storage, fp16 scales of int4 blocks. Bit manipulation only, so every platform
// converts alike whether or not it has F16C or FP16 instructions.
#pragma once

#include <cstdint>

namespace edgeai {

float float16_bits_to_float(std::uint16_t bits);
std::uint16_t float_to_float16_bits(float value);

}  // namespace edgeai
