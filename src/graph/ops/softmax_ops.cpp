// Operator schemas of the softmax family: Softmax and LogSoftmax with opset-13 semantics
// (normalise along one axis, default -1; import rewrites the older flatten-to-2D form).
// Depends on core and graph only.
#include "graph/op_schema.hpp"

namespace edgeai {
namespace {

Status infer_softmax(const InferenceContext& ctx, std::vector<ValueInfo>& outputs) {
  const ValueInfo& x = ctx.input(0);
  if (x.dtype != DType::kFloat32 && x.dtype != DType::kFloat64 && x.dtype != DType::kFloat16) {
    return invalid_argument(ctx.node.describe(), ": input dtype ", dtype_name(x.dtype), " is not a float type");
  }
  const std::int64_t rank = static_cast<std::int64_t>(x.shape.size());
  const std::int64_t axis = ctx.node.attr_int("axis", -1);
  if (!normalize_axis(axis, rank)) {
    return invalid_argument(ctx.node.describe(), ": axis ", axis, " is out of range for rank ", rank);
  }
  outputs[0].dtype = x.dtype;
  outputs[0].shape = x.shape;
  return Status::ok();
}

}  // namespace

void add_softmax_schemas(OpSchemaRegistry& registry) {
  for (const char* op : {"Softmax", "LogSoftmax"}) {
    OpSchema schema;
    schema.op_type = op;
    schema.attributes = {{"axis", AttrType::kInt, false}};
    schema.infer_shapes = infer_softmax;
    registry.add(std::move(schema));
  }
}

}  // namespace edgeai
