// Operator schemas of the quantised (int8/uint8; int16 activations where noted) operators: ONNX opset 13 QuantizeLinear,
// DequantizeLinear, QLinearConv, ConvInteger, QLinearMatMul, MatMulInteger; ONNX Runtime's
// com.microsoft contrib operators QGemm, QLinearAdd, QLinearMul, QLinearConcat,
// QLinearAveragePool, QLinearGlobalAveragePool (same names and inputs, default domain in the IR);
// and edgeai's QLinearLookup. Output shapes are those of the float counterparts (their shape
// inference runs on the data inputs); the dtype rules and the scale/zero-point rule of
// graph/ops/quant_params.hpp are checked here. The integer arithmetic is described in
// docs/formats/quantization.md. Depends on graph only.
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "graph/fused_activation.hpp"
#include "graph/op_schema.hpp"
#include "graph/ops/quant_params.hpp"

namespace edgeai {
namespace {

bool is_quantized(DType dtype) { return dtype == DType::kInt8 || dtype == DType::kUInt8; }
// Activations may also be int16 (int16 activations with int8 weights: docs/formats/quantization.md).
bool is_activation(DType dtype) { return is_quantized(dtype) || dtype == DType::kInt16; }

// Inputs that the operator requires but that the schema's input count cannot enforce because
// optional inputs come before them (QLinearAdd's zero points, QGemm's C, ...).
Status require_inputs(const InferenceContext& ctx, std::initializer_list<std::pair<std::size_t, const char*>> inputs) {
  for (const auto& [index, name] : inputs) {
    if (!ctx.has_input(index)) {
      return invalid_argument(ctx.node.describe(), ": required input ", index, " (", name, ") is missing");
    }
  }
  return Status::ok();
}

// A data input that must be int8 or uint8.
Status require_quantized(const InferenceContext& ctx, std::size_t index, const char* name) {
  if (!is_quantized(ctx.input(index).dtype)) {
    return invalid_argument(ctx.node.describe(), ": ", name, " must be int8 or uint8, got ",
                            dtype_name(ctx.input(index).dtype));
  }
  return Status::ok();
}

// A data input that is an activation: int8, uint8 or int16.
Status require_activation(const InferenceContext& ctx, std::size_t index, const char* name) {
  if (!is_activation(ctx.input(index).dtype)) {
    return invalid_argument(ctx.node.describe(), ": ", name, " must be int8, uint8 or int16, got ",
                            dtype_name(ctx.input(index).dtype));
  }
  return Status::ok();
}

// Checks every present parameter input against the rule of quant_params.hpp; a zero point must
// also have the dtype of its tensor (`tensor_index`, when given).
Status check_params(const InferenceContext& ctx, std::initializer_list<QuantParamSpec> specs) {
  const std::string node = ctx.node.describe();
  for (const QuantParamSpec& spec : specs) {
    if (!ctx.has_input(spec.index)) continue;
    EDGEAI_RETURN_IF_ERROR(check_quant_param(node, ctx.input(spec.index), spec));
  }
  return Status::ok();
}

Status require_same_dtype(const InferenceContext& ctx, std::size_t zero_point, std::size_t tensor) {
  if (ctx.has_input(zero_point) && ctx.has_input(tensor) && ctx.input(zero_point).dtype != ctx.input(tensor).dtype) {
    return invalid_argument(ctx.node.describe(), ": input ", zero_point, " (a zero point) is ",
                            dtype_name(ctx.input(zero_point).dtype), " but its tensor, input ", tensor, ", is ",
                            dtype_name(ctx.input(tensor).dtype));
  }
  return Status::ok();
}

// The dtype of a zero-point input if present, else `fallback`.
DType zero_point_dtype_or(const InferenceContext& ctx, std::size_t index, DType fallback) {
  return ctx.has_input(index) ? ctx.input(index).dtype : fallback;
}

// Runs the shape inference of float operator `float_op` on inputs `indices` of `ctx` (as
// float32, so that its same-dtype checks pass) and gives the outputs dtype `dtype`.
Status infer_like(std::string_view float_op, const InferenceContext& ctx, std::initializer_list<std::size_t> indices,
                  DType dtype, std::vector<ValueInfo>& outputs) {
  const OpSchema* schema = OpSchemaRegistry::builtin().find(float_op);
  if (schema == nullptr || schema->infer_shapes == nullptr) {
    return internal_error(ctx.node.describe(), ": no shape inference for ", float_op);
  }
  InferenceContext as_float{ctx.node, {}, {}};
  for (std::size_t i : indices) {
    if (ctx.has_input(i)) {
      ValueInfo info = ctx.input(i);
      info.dtype = DType::kFloat32;
      as_float.inputs.emplace_back(std::move(info));
    } else {
      as_float.inputs.emplace_back(std::nullopt);
    }
    as_float.input_values.push_back(nullptr);
  }
  EDGEAI_RETURN_IF_ERROR(schema->infer_shapes(as_float, outputs));
  for (ValueInfo& out : outputs) out.dtype = dtype;
  return Status::ok();
}

// The number of output channels of a conv (W's first dimension) or columns of a matmul's B,
// for per-channel parameters; kUnknownDim when not known.
std::int64_t dim_or_unknown(const ValueInfo& info, std::int64_t axis) {
  const std::int64_t rank = static_cast<std::int64_t>(info.shape.size());
  if (rank == 0) return kUnknownDim;
  return info.shape[static_cast<std::size_t>(axis < 0 ? rank + axis : axis)];
}

std::optional<std::int64_t> quantize_axis_size(const InferenceContext& ctx) {
  const Shape& x = ctx.input(0).shape;
  std::optional<std::int64_t> axis = normalize_axis(ctx.node.attr_int("axis", 1), static_cast<std::int64_t>(x.size()));
  if (!axis) return std::nullopt;
  return x[static_cast<std::size_t>(*axis)];
}

// QuantizeLinear-13 (and -21 for int16): x float32, y_scale, y_zero_point (optional; y is uint8 without it).
Status infer_quantize_linear(const InferenceContext& ctx, std::vector<ValueInfo>& outputs) {
  if (ctx.input(0).dtype != DType::kFloat32) {
    return invalid_argument(ctx.node.describe(), ": x must be float32, got ", dtype_name(ctx.input(0).dtype));
  }
  const std::optional<std::int64_t> channels = quantize_axis_size(ctx);
  EDGEAI_RETURN_IF_ERROR(check_params(ctx, {{1, "y_scale", true, channels, "slice along axis"},
                                            {2, "y_zero_point", false, channels, "slice along axis"}}));
  outputs[0].dtype = zero_point_dtype_or(ctx, 2, DType::kUInt8);
  outputs[0].shape = ctx.input(0).shape;
  return Status::ok();
}

// DequantizeLinear-13 (and -21 for int16): x int8, uint8, int16 or int32, x_scale, x_zero_point (optional); y float32.
Status infer_dequantize_linear(const InferenceContext& ctx, std::vector<ValueInfo>& outputs) {
  const DType x = ctx.input(0).dtype;
  if (!is_activation(x) && x != DType::kInt32) {
    return invalid_argument(ctx.node.describe(), ": x must be int8, uint8, int16 or int32, got ", dtype_name(x));
  }
  const std::optional<std::int64_t> channels = quantize_axis_size(ctx);
  EDGEAI_RETURN_IF_ERROR(check_params(ctx, {{1, "x_scale", true, channels, "slice along axis"}}));
  if (ctx.has_input(2)) {
    EDGEAI_RETURN_IF_ERROR(check_quant_param(ctx.node.describe(), ctx.input(2),
                                             {2, "x_zero_point", false, channels, "slice along axis"}, true));
  }
  EDGEAI_RETURN_IF_ERROR(require_same_dtype(ctx, 2, 0));
  outputs[0].dtype = DType::kFloat32;
  outputs[0].shape = ctx.input(0).shape;
  return Status::ok();
}

// QLinearConv: x, x_scale, x_zero_point, w, w_scale, w_zero_point, y_scale, y_zero_point, B (int32).
Status infer_qlinear_conv(const InferenceContext& ctx, std::vector<ValueInfo>& outputs) {
  EDGEAI_RETURN_IF_ERROR(require_activation(ctx, 0, "x"));
  EDGEAI_RETURN_IF_ERROR(require_quantized(ctx, 3, "w"));
  EDGEAI_RETURN_IF_ERROR(require_activation(ctx, 7, "y_zero_point"));
  EDGEAI_RETURN_IF_ERROR(require_same_dtype(ctx, 2, 0));
  EDGEAI_RETURN_IF_ERROR(require_same_dtype(ctx, 5, 3));
  const std::int64_t m = dim_or_unknown(ctx.input(3), 0);
  EDGEAI_RETURN_IF_ERROR(check_params(ctx, {{1, "x_scale", true},
                                            {2, "x_zero_point", false},
                                            {4, "w_scale", true, m, "output channel"},
                                            {5, "w_zero_point", false, m, "output channel"},
                                            {6, "y_scale", true},
                                            {7, "y_zero_point", false}}));
  if (ctx.has_input(8)) {
    const ValueInfo& b = ctx.input(8);
    if (b.dtype != DType::kInt32 || b.shape.size() != 1 || (b.shape[0] >= 0 && m >= 0 && b.shape[0] != m)) {
      return invalid_argument(ctx.node.describe(), ": bias B must be int32 [", m, "], got ", dtype_name(b.dtype), " ",
                              shape_to_string(b.shape));
    }
  }
  return infer_like("Conv", ctx, {0, 3}, ctx.input(7).dtype, outputs);
}

// ConvInteger: x, w, x_zero_point (optional, scalar), w_zero_point (optional, scalar or per
// output channel); y int32.
Status infer_conv_integer(const InferenceContext& ctx, std::vector<ValueInfo>& outputs) {
  EDGEAI_RETURN_IF_ERROR(require_quantized(ctx, 0, "x"));
  EDGEAI_RETURN_IF_ERROR(require_quantized(ctx, 1, "w"));
  EDGEAI_RETURN_IF_ERROR(require_same_dtype(ctx, 2, 0));
  EDGEAI_RETURN_IF_ERROR(require_same_dtype(ctx, 3, 1));
  const std::int64_t m = dim_or_unknown(ctx.input(1), 0);
  EDGEAI_RETURN_IF_ERROR(
      check_params(ctx, {{2, "x_zero_point", false}, {3, "w_zero_point", false, m, "output channel"}}));
  return infer_like("Conv", ctx, {0, 1}, DType::kInt32, outputs);
}

// QLinearMatMul: a, a_scale, a_zero_point, b, b_scale, b_zero_point, y_scale, y_zero_point;
// b's parameters per tensor or per column of b.
Status infer_qlinear_matmul(const InferenceContext& ctx, std::vector<ValueInfo>& outputs) {
  EDGEAI_RETURN_IF_ERROR(require_activation(ctx, 0, "a"));
  EDGEAI_RETURN_IF_ERROR(require_quantized(ctx, 3, "b"));
  EDGEAI_RETURN_IF_ERROR(require_activation(ctx, 7, "y_zero_point"));
  EDGEAI_RETURN_IF_ERROR(require_same_dtype(ctx, 2, 0));
  EDGEAI_RETURN_IF_ERROR(require_same_dtype(ctx, 5, 3));
  const std::int64_t n = ctx.input(3).shape.size() >= 2 ? dim_or_unknown(ctx.input(3), -1) : 1;
  EDGEAI_RETURN_IF_ERROR(check_params(ctx, {{1, "a_scale", true},
                                            {2, "a_zero_point", false},
                                            {4, "b_scale", true, n, "column of B"},
                                            {5, "b_zero_point", false, n, "column of B"},
                                            {6, "y_scale", true},
                                            {7, "y_zero_point", false}}));
  return infer_like("MatMul", ctx, {0, 3}, ctx.input(7).dtype, outputs);
}

// MatMulInteger: A, B, a_zero_point (scalar or per row of A), b_zero_point (scalar or per
// column of B); Y int32.
Status infer_matmul_integer(const InferenceContext& ctx, std::vector<ValueInfo>& outputs) {
  EDGEAI_RETURN_IF_ERROR(require_quantized(ctx, 0, "A"));
  EDGEAI_RETURN_IF_ERROR(require_quantized(ctx, 1, "B"));
  EDGEAI_RETURN_IF_ERROR(require_same_dtype(ctx, 2, 0));
  EDGEAI_RETURN_IF_ERROR(require_same_dtype(ctx, 3, 1));
  const std::int64_t m = ctx.input(0).shape.size() >= 2 ? dim_or_unknown(ctx.input(0), -2) : 1;
  const std::int64_t n = ctx.input(1).shape.size() >= 2 ? dim_or_unknown(ctx.input(1), -1) : 1;
  EDGEAI_RETURN_IF_ERROR(
      check_params(ctx, {{2, "a_zero_point", false, m, "row of A"}, {3, "b_zero_point", false, n, "column of B"}}));
  return infer_like("MatMul", ctx, {0, 1}, DType::kInt32, outputs);
}

// QGemm (com.microsoft): A, a_scale, a_zero_point, B, b_scale, b_zero_point, C (optional int32),
// y_scale, y_zero_point (both required in the IR: no float output).
Status infer_qgemm(const InferenceContext& ctx, std::vector<ValueInfo>& outputs) {
  EDGEAI_RETURN_IF_ERROR(
      require_inputs(ctx, {{0, "A"}, {1, "a_scale"}, {3, "B"}, {4, "b_scale"}, {7, "y_scale"}, {8, "y_zero_point"}}));
  EDGEAI_RETURN_IF_ERROR(require_activation(ctx, 0, "A"));
  EDGEAI_RETURN_IF_ERROR(require_quantized(ctx, 3, "B"));
  EDGEAI_RETURN_IF_ERROR(require_activation(ctx, 8, "y_zero_point"));
  EDGEAI_RETURN_IF_ERROR(require_same_dtype(ctx, 2, 0));
  EDGEAI_RETURN_IF_ERROR(require_same_dtype(ctx, 5, 3));
  const ValueInfo& b = ctx.input(3);
  const bool trans_b = ctx.node.attr_int("transB", 0) != 0;
  const std::int64_t n = b.shape.size() == 2 ? b.shape[trans_b ? 0 : 1] : kUnknownDim;
  EDGEAI_RETURN_IF_ERROR(check_params(ctx, {{1, "a_scale", true},
                                            {2, "a_zero_point", false},
                                            {4, "b_scale", true, n, "output column"},
                                            {5, "b_zero_point", false, n, "output column"},
                                            {7, "y_scale", true},
                                            {8, "y_zero_point", false}}));
  if (ctx.has_input(6) && ctx.input(6).dtype != DType::kInt32) {
    return invalid_argument(ctx.node.describe(), ": C must be int32, got ", dtype_name(ctx.input(6).dtype));
  }
  return infer_like("Gemm", ctx, {0, 3, 6}, ctx.input(8).dtype, outputs);
}

// QLinearAdd, QLinearMul (com.microsoft): A, A_scale, A_zero_point, B, B_scale, B_zero_point,
// C_scale, C_zero_point (zero points optional); per-tensor parameters, numpy broadcasting.
Status infer_qlinear_binary(const InferenceContext& ctx, std::vector<ValueInfo>& outputs) {
  EDGEAI_RETURN_IF_ERROR(require_inputs(ctx, {{0, "A"}, {1, "A_scale"}, {3, "B"}, {4, "B_scale"}, {6, "C_scale"}}));
  EDGEAI_RETURN_IF_ERROR(require_quantized(ctx, 0, "A"));
  for (std::size_t i : {2, 3, 5, 7}) EDGEAI_RETURN_IF_ERROR(require_same_dtype(ctx, i, 0));
  EDGEAI_RETURN_IF_ERROR(check_params(ctx, {{1, "A_scale", true},
                                            {2, "A_zero_point", false},
                                            {4, "B_scale", true},
                                            {5, "B_zero_point", false},
                                            {6, "C_scale", true},
                                            {7, "C_zero_point", false}}));
  std::optional<Shape> out = broadcast_shapes(ctx.input(0).shape, ctx.input(3).shape);
  if (!out) {
    return invalid_argument(ctx.node.describe(), ": shapes ", shape_to_string(ctx.input(0).shape), " and ",
                            shape_to_string(ctx.input(3).shape), " cannot be broadcast together");
  }
  outputs[0].dtype = ctx.input(0).dtype;
  outputs[0].shape = std::move(*out);
  return Status::ok();
}

// QLinearConcat (com.microsoft): Y_scale, Y_zero_point, then (X, X_scale, X_zero_point) per
// tensor; attribute axis. All tensors have Y's dtype.
Status infer_qlinear_concat(const InferenceContext& ctx, std::vector<ValueInfo>& outputs) {
  const std::size_t n = ctx.inputs.size();
  if (n < 5 || (n - 2) % 3 != 0) {
    return invalid_argument(ctx.node.describe(),
                            ": inputs must be Y_scale, Y_zero_point and (X, X_scale, X_zero_point) ", "triples, got ",
                            n, " inputs");
  }
  EDGEAI_RETURN_IF_ERROR(require_inputs(ctx, {{0, "Y_scale"}}));
  EDGEAI_RETURN_IF_ERROR(check_params(ctx, {{0, "Y_scale", true}, {1, "Y_zero_point", false}}));
  const DType dtype = zero_point_dtype_or(ctx, 1, ctx.has_input(2) ? ctx.input(2).dtype : DType::kUndefined);
  if (!is_activation(dtype)) {
    return invalid_argument(ctx.node.describe(), ": Y must be int8, uint8 or int16, got ", dtype_name(dtype));
  }
  std::vector<std::size_t> tensors;
  for (std::size_t x = 2; x < n; x += 3) {
    EDGEAI_RETURN_IF_ERROR(require_inputs(ctx, {{x, "X"}, {x + 1, "X_scale"}}));
    if (ctx.input(x).dtype != dtype) {
      return invalid_argument(ctx.node.describe(), ": input ", x, " is ", dtype_name(ctx.input(x).dtype), " but Y is ",
                              dtype_name(dtype));
    }
    EDGEAI_RETURN_IF_ERROR(check_params(ctx, {{x + 1, "X_scale", true}, {x + 2, "X_zero_point", false}}));
    EDGEAI_RETURN_IF_ERROR(require_same_dtype(ctx, x + 2, x));
    tensors.push_back(x);
  }
  // Concat's inference on the tensors alone.
  InferenceContext as_concat{ctx.node, {}, {}};
  for (std::size_t x : tensors) {
    as_concat.inputs.push_back(ctx.inputs[x]);
    as_concat.input_values.push_back(nullptr);
  }
  const OpSchema* concat = OpSchemaRegistry::builtin().find("Concat");
  EDGEAI_RETURN_IF_ERROR(concat->infer_shapes(as_concat, outputs));
  outputs[0].dtype = dtype;
  return Status::ok();
}

// QLinearAveragePool / QLinearGlobalAveragePool (com.microsoft): X, x_scale, x_zero_point,
// y_scale, y_zero_point (zero points optional); Y has X's dtype.
Status check_pool_operands(const InferenceContext& ctx) {
  EDGEAI_RETURN_IF_ERROR(require_inputs(ctx, {{0, "X"}, {1, "x_scale"}, {3, "y_scale"}}));
  EDGEAI_RETURN_IF_ERROR(require_activation(ctx, 0, "X"));
  EDGEAI_RETURN_IF_ERROR(require_same_dtype(ctx, 2, 0));
  EDGEAI_RETURN_IF_ERROR(require_same_dtype(ctx, 4, 0));
  return check_params(
      ctx, {{1, "x_scale", true}, {2, "x_zero_point", false}, {3, "y_scale", true}, {4, "y_zero_point", false}});
}

Status infer_qlinear_average_pool(const InferenceContext& ctx, std::vector<ValueInfo>& outputs) {
  EDGEAI_RETURN_IF_ERROR(check_pool_operands(ctx));
  return infer_like("AveragePool", ctx, {0}, ctx.input(0).dtype, outputs);
}

Status infer_qlinear_global_average_pool(const InferenceContext& ctx, std::vector<ValueInfo>& outputs) {
  EDGEAI_RETURN_IF_ERROR(check_pool_operands(ctx));
  return infer_like("GlobalAveragePool", ctx, {0}, ctx.input(0).dtype, outputs);
}

// QLinearLookup (edgeai): X int8/uint8, Table 1-D of 256 entries; Y has X's shape and Table's dtype.
Status infer_qlinear_lookup(const InferenceContext& ctx, std::vector<ValueInfo>& outputs) {
  EDGEAI_RETURN_IF_ERROR(require_quantized(ctx, 0, "X"));
  EDGEAI_RETURN_IF_ERROR(require_quantized(ctx, 1, "Table"));
  const Shape& table = ctx.input(1).shape;
  if (table.size() != 1 || (table[0] >= 0 && table[0] != 256)) {
    return invalid_argument(ctx.node.describe(), ": Table must be 1-D of 256 entries, got ", shape_to_string(table));
  }
  outputs[0].dtype = ctx.input(1).dtype;
  outputs[0].shape = ctx.input(0).shape;
  return Status::ok();
}

OpSchema quant_schema(std::string op_type, int min_inputs, int max_inputs, std::vector<AttrSpec> attributes,
                      InferShapesFn infer) {
  OpSchema schema;
  schema.op_type = std::move(op_type);
  schema.min_inputs = min_inputs;
  schema.max_inputs = max_inputs;
  schema.attributes = std::move(attributes);
  schema.infer_shapes = infer;
  return schema;
}

std::vector<AttrSpec> with_fused_activation(std::vector<AttrSpec> attributes) {
  for (AttrSpec& spec : fused_activation_attr_specs()) attributes.push_back(std::move(spec));
  return attributes;
}

}  // namespace

void add_quant_schemas(OpSchemaRegistry& registry) {
  const std::vector<AttrSpec> conv_attributes = {{"auto_pad", AttrType::kString}, {"dilations", AttrType::kInts},
                                                 {"group", AttrType::kInt},       {"kernel_shape", AttrType::kInts},
                                                 {"pads", AttrType::kInts},       {"strides", AttrType::kInts}};
  const std::vector<AttrSpec> pool_attributes = {
      {"auto_pad", AttrType::kString},       {"ceil_mode", AttrType::kInt},           {"channels_last", AttrType::kInt},
      {"count_include_pad", AttrType::kInt}, {"kernel_shape", AttrType::kInts, true}, {"pads", AttrType::kInts},
      {"strides", AttrType::kInts}};
  registry.add(quant_schema("QuantizeLinear", 2, 3, {{"axis", AttrType::kInt}}, infer_quantize_linear));
  registry.add(quant_schema("DequantizeLinear", 2, 3, {{"axis", AttrType::kInt}}, infer_dequantize_linear));
  registry.add(quant_schema("QLinearConv", 8, 9, with_fused_activation(conv_attributes), infer_qlinear_conv));
  registry.add(quant_schema("ConvInteger", 2, 4, conv_attributes, infer_conv_integer));
  registry.add(quant_schema("QLinearMatMul", 8, 8, {}, infer_qlinear_matmul));
  registry.add(quant_schema("MatMulInteger", 2, 4, {}, infer_matmul_integer));
  // The contrib operators let optional inputs precede required ones; require_inputs checks those.
  registry.add(quant_schema(
      "QGemm", 2, 9,
      with_fused_activation({{"alpha", AttrType::kFloat}, {"transA", AttrType::kInt}, {"transB", AttrType::kInt}}),
      infer_qgemm));
  registry.add(quant_schema("QLinearAdd", 2, 8, fused_activation_attr_specs(), infer_qlinear_binary));
  registry.add(quant_schema("QLinearMul", 2, 8, fused_activation_attr_specs(), infer_qlinear_binary));
  registry.add(quant_schema("QLinearConcat", 1, 1 << 16, {{"axis", AttrType::kInt, true}}, infer_qlinear_concat));
  registry.add(quant_schema("QLinearAveragePool", 2, 5, pool_attributes, infer_qlinear_average_pool));
  registry.add(quant_schema("QLinearGlobalAveragePool", 2, 5, {{"channels_last", AttrType::kInt}},
                            infer_qlinear_global_average_pool));
  registry.add(quant_schema("QLinearLookup", 2, 2, {{"function", AttrType::kString}}, infer_qlinear_lookup));
}

}  // namespace edgeai
