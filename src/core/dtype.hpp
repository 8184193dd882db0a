// Element types of tensors. The numeric values are stored in .eai files: never renumber.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace edgeai {

enum class DType : std::uint8_t {
  kUndefined = 0,
  kFloat32 = 1,
  kFloat16 = 2,
  kFloat64 = 3,
  kInt8 = 4,
  kUInt8 = 5,
  kInt16 = 6,
  kInt32 = 7,
  kInt64 = 8,
  kBool = 9,
};

// Bytes per element; 0 for kUndefined.
std::size_t dtype_size(DType dtype);
// "float32", "int8", ... as numpy spells them.
std::string_view dtype_name(DType dtype);
// Inverse of dtype_name; kUndefined for an unknown name.
DType dtype_from_name(std::string_view name);
bool is_valid_dtype(std::uint8_t raw);

template <typename T> constexpr DType dtype_of();
template <> constexpr DType dtype_of<float>() { return DType::kFloat32; }
template <> constexpr DType dtype_of<double>() { return DType::kFloat64; }
template <> constexpr DType dtype_of<std::int8_t>() { return DType::kInt8; }
template <> constexpr DType dtype_of<std::uint8_t>() { return DType::kUInt8; }
template <> constexpr DType dtype_of<std::int16_t>() { return DType::kInt16; }
template <> constexpr DType dtype_of<std::int32_t>() { return DType::kInt32; }
template <> constexpr DType dtype_of<std::int64_t>() { return DType::kInt64; }
template <> constexpr DType dtype_of<bool>() { return DType::kBool; }

}  // namespace edgeai
