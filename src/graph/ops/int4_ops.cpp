// Operator schema of DequantizeInt4, edgeai's decoder for int4 weight-only compression
// (compress/weight_only.hpp has the encoding): packed uint8 nibbles and float16 block scales
// in, the float32 weight of shape `shape` out. Depends on core and graph only.
#include "graph/op_schema.hpp"

namespace edgeai {
namespace {

Status infer_dequantize_int4(const InferenceContext& ctx, std::vector<ValueInfo>& outputs) {
  const Node& node = ctx.node;
  const std::vector<std::int64_t> shape = node.attr_ints("shape");
  const std::int64_t block = node.attr_int("block_size", 0);
  if (shape.empty() || block < 2 || block % 2 != 0) {
    return invalid_argument(node.describe(), ": needs a non-empty shape and an even block_size >= 2");
  }
  std::int64_t n = 1;
  for (std::int64_t d : shape) {
    if (d < 0) return invalid_argument(node.describe(), ": shape ", shape_to_string(shape), " has a negative dimension");
    n *= d;
  }
  const ValueInfo& packed = ctx.input(0);
  const ValueInfo& scales = ctx.input(1);
  if (packed.dtype != DType::kUInt8 || packed.shape != Shape{(n + 1) / 2}) {
    return invalid_argument(node.describe(), ": packed weights must be uint8 [", (n + 1) / 2, "] for shape ",
                            shape_to_string(shape), ", got ", dtype_name(packed.dtype), " ",
                            shape_to_string(packed.shape));
  }
  const std::int64_t rows = shape[0];
  const std::int64_t k = rows == 0 ? 0 : n / rows;
  const Shape expected_scales{rows, (k + block - 1) / block};
  if (scales.dtype != DType::kFloat16 || scales.shape != expected_scales) {
    return invalid_argument(node.describe(), ": scales must be float16 ", shape_to_string(expected_scales), ", got ",
                            dtype_name(scales.dtype), " ", shape_to_string(scales.shape));
  }
  outputs[0].dtype = DType::kFloat32;
  outputs[0].shape = Shape(shape.begin(), shape.end());
  return Status::ok();
}

}  // namespace

void add_int4_schemas(OpSchemaRegistry& registry) {
  OpSchema schema;
  schema.op_type = "DequantizeInt4";
  schema.min_inputs = 2;
  schema.max_inputs = 2;
  schema.attributes = {{"shape", AttrType::kInts, true}, {"block_size", AttrType::kInt, true}};
  schema.infer_shapes = infer_dequantize_int4;
  registry.add(std::move(schema));
}

}  // namespace edgeai
