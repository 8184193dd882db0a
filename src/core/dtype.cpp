#include "core/dtype.hpp"

namespace edgeai {

std::size_t dtype_size(DType dtype) {
  switch (dtype) {
    case DType::kUndefined: return 0;
    case DType::kFloat32: return 4;
    case DType::kFloat16: return 2;
    case DType::kFloat64: return 8;
    case DType::kInt8: return 1;
    case DType::kUInt8: return 1;
    case DType::kInt16: return 2;
    case DType::kInt32: return 4;
    case DType::kInt64: return 8;
    case DType::kBool: return 1;
  }
  return 0;
}

std::string_view dtype_name(DType dtype) {
  switch (dtype) {
    case DType::kUndefined: return "undefined";
    case DType::kFloat32: return "float32";
    case DType::kFloat16: return "float16";
    case DType::kFloat64: return "float64";
    case DType::kInt8: return "int8";
    case DType::kUInt8: return "uint8";
    case DType::kInt16: return "int16";
    case DType::kInt32: return "int32";
    case DType::kInt64: return "int64";
    case DType::kBool: return "bool";
  }
  return "undefined";
}

DType dtype_from_name(std::string_view name) {
  for (int raw = 1; raw <= static_cast<int>(DType::kBool); ++raw) {
    auto dtype = static_cast<DType>(raw);
    if (dtype_name(dtype) == name) return dtype;
  }
  return DType::kUndefined;
}

bool is_valid_dtype(std::uint8_t raw) { return raw >= 1 && raw <= static_cast<std::uint8_t>(DType::kBool); }

}  // namespace edgeai
