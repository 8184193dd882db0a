// Operator schema of Resize, ONNX opset 13 (https://onnx.ai/onnx/operators/onnx__Resize.html):
// inputs X, roi, scales, sizes, where an empty name or a tensor with no elements means
// absent. The output shape depends on the values of scales or sizes, so those must be
// known at plan time (constants, or graph inputs the runtime was given). Depends on graph only.
#include <cmath>
#include <string>
#include <vector>

#include "graph/op_schema.hpp"

namespace edgeai {
namespace {

bool is_one_of(const std::string& value, std::initializer_list<const char*> allowed) {
  for (const char* a : allowed) {
    if (value == a) return true;
  }
  return false;
}

// An optional Resize input counts as given when it is named and has at least one element.
bool is_given(const InferenceContext& ctx, std::size_t i) {
  if (!ctx.has_input(i)) return false;
  const std::optional<std::int64_t> count = element_count(ctx.input(i).shape);
  return !count || *count > 0;
}

Status check_resize_attributes(const Node& node) {
  const std::string mode = node.attr_string("mode", "nearest");
  if (!is_one_of(mode, {"nearest", "linear", "cubic"})) {
    return invalid_argument(node.describe(), ": mode '", mode, "' is not one of nearest, linear, cubic");
  }
  const std::string transform = node.attr_string("coordinate_transformation_mode", "half_pixel");
  if (!is_one_of(transform, {"half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric", "tf_half_pixel_for_nn",
                             "tf_crop_and_resize"})) {
    return invalid_argument(node.describe(), ": coordinate_transformation_mode '", transform, "' is not supported");
  }
  const std::string nearest_mode = node.attr_string("nearest_mode", "round_prefer_floor");
  if (!is_one_of(nearest_mode, {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"})) {
    return invalid_argument(node.describe(), ": nearest_mode '", nearest_mode,
                            "' is not one of round_prefer_floor, round_prefer_ceil, floor, ceil");
  }
  return Status::ok();
}

Status infer_resize(const InferenceContext& ctx, std::vector<ValueInfo>& outputs) {
  const Node& node = ctx.node;
  EDGEAI_RETURN_IF_ERROR(check_resize_attributes(node));
  const ValueInfo& x = ctx.input(0);
  const std::size_t rank = x.shape.size();
  const bool has_scales = is_given(ctx, 2);
  const bool has_sizes = is_given(ctx, 3);
  if (has_scales == has_sizes) {
    return invalid_argument(node.describe(), ": exactly one of scales and sizes must be given, got ",
                            has_scales ? "both" : "neither");
  }
  const std::size_t which = has_sizes ? 3 : 2;
  const char* what = has_sizes ? "sizes" : "scales";
  const DType expected = has_sizes ? DType::kInt64 : DType::kFloat32;
  if (ctx.input(which).dtype != expected) {
    return invalid_argument(node.describe(), ": ", what, " must be ", dtype_name(expected), ", got ",
                            dtype_name(ctx.input(which).dtype));
  }
  const Tensor* value = ctx.input_value(which);
  if (value == nullptr) {
    return invalid_argument(node.describe(), ": the value of ", what, " ('", node.inputs[which],
                            "') must be known at plan time (a constant or a given input)");
  }
  if (value->num_elements() != static_cast<std::int64_t>(rank)) {
    return invalid_argument(node.describe(), ": ", what, " has ", value->num_elements(), " values for X of rank ", rank,
                            " ", shape_to_string(x.shape));
  }
  Shape out(rank, kUnknownDim);
  if (has_sizes) {
    for (std::size_t i = 0; i < rank; ++i) {
      out[i] = value->data<std::int64_t>()[i];
      if (out[i] <= 0) return invalid_argument(node.describe(), ": sizes ", i, " is ", out[i], "; must be > 0");
    }
  } else {
    // ONNX opset 13: output_dimension = floor(input_dimension * (roi_end - roi_start) * scale)
    // with the roi factor only for tf_crop_and_resize.
    const bool crops = node.attr_string("coordinate_transformation_mode", "half_pixel") == "tf_crop_and_resize";
    const Tensor* roi = ctx.input_value(1);
    if (crops && (roi == nullptr || roi->dtype() != DType::kFloat32 ||
                  roi->num_elements() != 2 * static_cast<std::int64_t>(rank))) {
      return invalid_argument(node.describe(), ": tf_crop_and_resize needs a float32 roi of ", 2 * rank,
                              " values known at plan time");
    }
    for (std::size_t i = 0; i < rank; ++i) {
      const float scale = value->data<float>()[i];
      if (!(scale > 0.0f)) return invalid_argument(node.describe(), ": scales ", i, " is ", scale, "; must be > 0");
      if (x.shape[i] < 0) continue;
      double extent = static_cast<double>(x.shape[i]);
      if (crops) extent *= static_cast<double>(roi->data<float>()[i + rank]) - roi->data<float>()[i];
      out[i] = static_cast<std::int64_t>(std::floor(extent * static_cast<double>(scale)));
      if (out[i] <= 0) {
        return invalid_argument(node.describe(), ": scales ", i, " = ", scale, " gives an empty output axis for X ",
                                shape_to_string(x.shape));
      }
    }
  }
  outputs[0].dtype = x.dtype;
  outputs[0].shape = std::move(out);
  return Status::ok();
}

}  // namespace

void add_resize_schemas(OpSchemaRegistry& registry) {
  OpSchema resize;
  resize.op_type = "Resize";
  resize.min_inputs = 1;
  resize.max_inputs = 4;
  resize.attributes = {{"coordinate_transformation_mode", AttrType::kString},
                       {"cubic_coeff_a", AttrType::kFloat},
                       {"exclude_outside", AttrType::kInt},
                       {"extrapolation_value", AttrType::kFloat},
                       {"mode", AttrType::kString},
                       {"nearest_mode", AttrType::kString}};
  resize.infer_shapes = infer_resize;
  resize.shape_value_inputs = {2, 3};  // scales, sizes
  registry.add(std::move(resize));
}

}  // namespace edgeai
