// Operator schemas of the elementwise family: binary arithmetic with ONNX multidirectional
// broadcasting (Add, Sub, Mul, Div, Pow), unary activations and math (Relu, Clip, ...),
// and the pass-through operators Identity and Dropout (inference mode). Depends on core and
// graph only. Semantics: ONNX opset 13/14 operator pages (https://onnx.ai/onnx/operators/).
#include <string>
#include <vector>

#include "graph/fused_activation.hpp"
#include "graph/op_schema.hpp"

namespace edgeai {
namespace {

bool is_numeric(DType dtype) {
  switch (dtype) {
    case DType::kFloat32:
    case DType::kFloat16:
    case DType::kFloat64:
    case DType::kInt8:
    case DType::kUInt8:
    case DType::kInt16:
    case DType::kInt32:
    case DType::kInt64:
      return true;
    default:
      return false;
  }
}

// Add/Sub/Mul/Div: both inputs of one numeric type, output the broadcast shape
// (ONNX "Broadcasting in ONNX": numpy multidirectional rules).
Status infer_arithmetic(const InferenceContext& ctx, std::vector<ValueInfo>& outputs) {
  const ValueInfo& a = ctx.input(0);
  const ValueInfo& b = ctx.input(1);
  if (a.dtype != b.dtype) {
    return invalid_argument(ctx.node.describe(), ": inputs have different dtypes ", dtype_name(a.dtype), " and ",
                            dtype_name(b.dtype));
  }
  if (!is_numeric(a.dtype)) {
    return invalid_argument(ctx.node.describe(), ": dtype ", dtype_name(a.dtype), " is not numeric");
  }
  std::optional<Shape> shape = broadcast_shapes(a.shape, b.shape);
  if (!shape) {
    return invalid_argument(ctx.node.describe(), ": shapes ", shape_to_string(a.shape), " and ",
                            shape_to_string(b.shape), " cannot be broadcast together");
  }
  outputs[0].dtype = a.dtype;
  outputs[0].shape = *shape;
  return Status::ok();
}

// Pow (opset 15): base and exponent may differ in type; the output has the base's type.
Status infer_pow(const InferenceContext& ctx, std::vector<ValueInfo>& outputs) {
  const ValueInfo& a = ctx.input(0);
  const ValueInfo& b = ctx.input(1);
  if (!is_numeric(a.dtype) || !is_numeric(b.dtype)) {
    return invalid_argument(ctx.node.describe(), ": Pow needs numeric inputs, got ", dtype_name(a.dtype), " and ",
                            dtype_name(b.dtype));
  }
  std::optional<Shape> shape = broadcast_shapes(a.shape, b.shape);
  if (!shape) {
    return invalid_argument(ctx.node.describe(), ": shapes ", shape_to_string(a.shape), " and ",
                            shape_to_string(b.shape), " cannot be broadcast together");
  }
  outputs[0].dtype = a.dtype;
  outputs[0].shape = *shape;
  return Status::ok();
}

// Unary operators: the output has the input's dtype and shape.
Status infer_same_as_input0(const InferenceContext& ctx, std::vector<ValueInfo>& outputs) {
  outputs[0].dtype = ctx.input(0).dtype;
  outputs[0].shape = ctx.input(0).shape;
  return Status::ok();
}

// Clip (opset 13): min and max are optional scalar inputs of the input's type.
Status infer_clip(const InferenceContext& ctx, std::vector<ValueInfo>& outputs) {
  for (std::size_t i = 1; i < 3; ++i) {
    if (!ctx.has_input(i)) continue;
    const ValueInfo& bound = ctx.input(i);
    if (bound.dtype != ctx.input(0).dtype) {
      return invalid_argument(ctx.node.describe(), ": ", i == 1 ? "min" : "max", " has dtype ", dtype_name(bound.dtype),
                              ", input has ", dtype_name(ctx.input(0).dtype));
    }
    std::optional<std::int64_t> count = element_count(bound.shape);
    if (count && *count != 1) {
      return invalid_argument(ctx.node.describe(), ": ", i == 1 ? "min" : "max", " must be a scalar, got shape ",
                              shape_to_string(bound.shape));
    }
  }
  return infer_same_as_input0(ctx, outputs);
}

// Dropout (opset 13, inference): output = input; the optional mask output is all true.
Status infer_dropout(const InferenceContext& ctx, std::vector<ValueInfo>& outputs) {
  EDGEAI_RETURN_IF_ERROR(infer_same_as_input0(ctx, outputs));
  if (outputs.size() > 1) {
    outputs[1].dtype = DType::kBool;
    outputs[1].shape = ctx.input(0).shape;
  }
  return Status::ok();
}

OpSchema unary(std::string op_type, std::vector<AttrSpec> attributes = {}) {
  OpSchema schema;
  schema.op_type = std::move(op_type);
  schema.attributes = std::move(attributes);
  schema.infer_shapes = infer_same_as_input0;
  return schema;
}

}  // namespace

void add_elementwise_schemas(OpSchemaRegistry& registry) {
  for (const char* op : {"Add", "Sub", "Mul", "Div"}) {
    OpSchema schema;
    schema.op_type = op;
    schema.min_inputs = 2;
    schema.max_inputs = 2;
    schema.attributes = fused_activation_attr_specs();
    schema.infer_shapes = infer_arithmetic;
    registry.add(std::move(schema));
  }
  {
    OpSchema schema;
    schema.op_type = "Pow";
    schema.min_inputs = 2;
    schema.max_inputs = 2;
    schema.infer_shapes = infer_pow;
    registry.add(std::move(schema));
  }
  for (const char* op :
       {"Relu", "Sigmoid", "Tanh", "HardSwish", "Neg", "Exp", "Log", "Sqrt", "Reciprocal", "Erf", "Abs", "Identity"}) {
    registry.add(unary(op));
  }
  registry.add(unary("LeakyRelu", {{"alpha", AttrType::kFloat, false}}));
  registry.add(unary("HardSigmoid", {{"alpha", AttrType::kFloat, false}, {"beta", AttrType::kFloat, false}}));
  {
    OpSchema schema = unary("Clip");
    schema.max_inputs = 3;
    schema.infer_shapes = infer_clip;
    registry.add(std::move(schema));
  }
  {
    OpSchema schema = unary("Dropout", {{"seed", AttrType::kInt, false}});
    schema.max_inputs = 3;   // data, ratio, training_mode
    schema.max_outputs = 2;  // output, mask
    schema.infer_shapes = infer_dropout;
    registry.add(std::move(schema));
  }
}

}  // namespace edgeai
