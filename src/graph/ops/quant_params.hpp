// The rule for the scale and zero-point inputs of the quantised operators, shared by their
// schemas (graph/ops/quant_ops.cpp) and reference kernels (kernels/reference/quantized_*.cpp)
// so both report a bad one the same way: a scale is float32, a zero point int8, uint8 or int16
// (whether its tensor may be int16 is the operator's rule; int32 where allowed), and either is a scalar, a 1-D tensor of one value, or, where the operator
// allows it, a 1-D tensor of one value per channel. Depends on graph only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.hpp"
#include "graph/graph.hpp"

namespace edgeai {

struct QuantParamSpec {
  std::size_t index;      // input index
  std::string_view name;  // as the operator page names it: "w_scale", "y_zero_point", ...
  bool is_scale;          // float32 scale, else an int8/uint8 (or int32) zero point
  // Values per channel where the operator allows per-channel parameters (output channels of a
  // conv, columns of B, the slices along QuantizeLinear's axis); kUnknownDim when not yet known;
  // nullopt: one value only.
  std::optional<std::int64_t> channels = std::nullopt;
  std::string_view per = "";  // what one value per channel is for, e.g. "output channel"
};

inline Status check_quant_param(const std::string& node, const ValueInfo& info, const QuantParamSpec& spec,
                                bool allow_int32_zero_point = false) {
  if (spec.is_scale && info.dtype != DType::kFloat32) {
    return invalid_argument(node, ": ", spec.name, " must be float32, got ", dtype_name(info.dtype));
  }
  const bool is_integer_type = info.dtype == DType::kInt8 || info.dtype == DType::kUInt8 ||
                               info.dtype == DType::kInt16 ||
                               (allow_int32_zero_point && info.dtype == DType::kInt32);
  if (!spec.is_scale && !is_integer_type) {
    return invalid_argument(node, ": ", spec.name, " must be int8, uint8 or int16, got ", dtype_name(info.dtype));
  }
  const std::optional<std::int64_t> count = element_count(info.shape);
  if (info.shape.size() <= 1 && count == 1) return Status::ok();
  if (spec.channels && info.shape.size() == 1) {
    const std::int64_t length = info.shape[0];
    if (length < 0 || *spec.channels < 0 || length == *spec.channels) return Status::ok();
  }
  if (!spec.channels) {
    return invalid_argument(node, ": ", spec.name, " ", shape_to_string(info.shape), " must be a scalar");
  }
  return invalid_argument(node, ": ", spec.name, " ", shape_to_string(info.shape), " must be a scalar or hold ",
                          *spec.channels, " values, one per ", spec.per);
}

}  // namespace edgeai
