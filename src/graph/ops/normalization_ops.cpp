// Operator schema of BatchNormalization, ONNX opset 15
// (https://onnx.ai/onnx/operators/onnx__BatchNormalization.html; opset 13 is the same
// without training_mode). With training_mode = 1 the optional outputs running_mean and
// running_var are allowed. Depends on graph only.
#include <vector>

#include "graph/op_schema.hpp"

namespace edgeai {
namespace {

Status infer_batch_normalization(const InferenceContext& ctx, std::vector<ValueInfo>& outputs) {
  const Node& node = ctx.node;
  const std::int64_t training_mode = node.attr_int("training_mode", 0);
  if (training_mode != 0 && training_mode != 1) {
    return invalid_argument(node.describe(), ": training_mode must be 0 or 1, got ", training_mode);
  }
  if (training_mode == 0 && outputs.size() > 1) {
    return invalid_argument(node.describe(), ": running_mean and running_var outputs need training_mode = 1");
  }
  const ValueInfo& x = ctx.input(0);
  if (x.shape.size() < 2) {
    return invalid_argument(node.describe(), ": input X must be (N, C, ...), got ", shape_to_string(x.shape));
  }
  static constexpr const char* kParamNames[] = {"X", "scale", "B", "input_mean", "input_var"};
  for (std::size_t i = 1; i < 5; ++i) {
    const ValueInfo& param = ctx.input(i);
    if (param.dtype != x.dtype) {
      return invalid_argument(node.describe(), ": ", kParamNames[i], " is ", dtype_name(param.dtype), " but X is ",
                              dtype_name(x.dtype));
    }
    if (param.shape.size() != 1 || (param.shape[0] >= 0 && x.shape[1] >= 0 && param.shape[0] != x.shape[1])) {
      return invalid_argument(node.describe(), ": ", kParamNames[i], " ", shape_to_string(param.shape), " must be [",
                              x.shape[1], "], one value per channel of X ", shape_to_string(x.shape));
    }
  }
  outputs[0].dtype = x.dtype;
  outputs[0].shape = x.shape;
  for (std::size_t i = 1; i < outputs.size(); ++i) {  // running_mean, running_var
    outputs[i].dtype = x.dtype;
    outputs[i].shape = {x.shape[1]};
  }
  return Status::ok();
}

}  // namespace

void add_normalization_schemas(OpSchemaRegistry& registry) {
  OpSchema batch_norm;
  batch_norm.op_type = "BatchNormalization";
  batch_norm.min_inputs = 5;
  batch_norm.max_inputs = 5;
  batch_norm.max_outputs = 3;  // Y, and in training mode running_mean, running_var
  batch_norm.attributes = {
      {"epsilon", AttrType::kFloat}, {"momentum", AttrType::kFloat}, {"training_mode", AttrType::kInt}};
  batch_norm.infer_shapes = infer_batch_normalization;
  registry.add(std::move(batch_norm));
}

}  // namespace edgeai
