// Operator schemas of the reduce family: ReduceMean, ReduceSum, ReduceMax, ReduceMin,
// ReduceProd, ReduceSumSquare. Axes come from the `axes` attribute (opset 13) or from the
// optional second input (ReduceSum-13, all reductions from opset 18); keepdims defaults to 1;
// empty axes reduce everything unless noop_with_empty_axes = 1. Depends on core and graph.
#include <set>

#include "graph/op_schema.hpp"

namespace edgeai {
namespace {

Status infer_reduce(const InferenceContext& ctx, std::vector<ValueInfo>& outputs) {
  const Node& node = ctx.node;
  const ValueInfo& data = ctx.input(0);
  const std::int64_t rank = static_cast<std::int64_t>(data.shape.size());
  std::vector<std::int64_t> axes = node.attr_ints("axes");
  if (ctx.has_input(1)) {
    if (node.has_attr("axes")) return invalid_argument(node.describe(), ": axes given both as attribute and input");
    const Tensor* value = ctx.input_value(1);
    if (value == nullptr) {
      return invalid_argument(node.describe(), ": the value of input 1 (axes, '", node.inputs[1],
                              "') must be known at plan time");
    }
    if (value->dtype() != DType::kInt64) {
      return invalid_argument(node.describe(), ": axes must be int64, got ", dtype_name(value->dtype()));
    }
    axes.assign(value->data<const std::int64_t>(), value->data<const std::int64_t>() + value->num_elements());
  }
  const bool keepdims = node.attr_int("keepdims", 1) != 0;
  outputs[0].dtype = data.dtype;
  if (axes.empty() && node.attr_int("noop_with_empty_axes", 0) != 0) {
    outputs[0].shape = data.shape;
    return Status::ok();
  }
  std::set<std::int64_t> reduced;
  for (std::int64_t axis : axes) {
    std::optional<std::int64_t> a = normalize_axis(axis, rank);
    if (!a) return invalid_argument(node.describe(), ": axis ", axis, " is out of range for rank ", rank);
    if (!reduced.insert(*a).second) return invalid_argument(node.describe(), ": axis ", axis, " is repeated");
  }
  Shape shape;
  for (std::int64_t i = 0; i < rank; ++i) {
    const bool is_reduced = axes.empty() || reduced.count(i) > 0;
    if (!is_reduced) {
      shape.push_back(data.shape[i]);
    } else if (keepdims) {
      shape.push_back(1);
    }
  }
  outputs[0].shape = shape;
  return Status::ok();
}

}  // namespace

void add_reduce_schemas(OpSchemaRegistry& registry) {
  for (const char* op : {"ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceSumSquare"}) {
    OpSchema schema;
    schema.op_type = op;
    schema.max_inputs = 2;
    schema.attributes = {{"axes", AttrType::kInts, false},
                         {"keepdims", AttrType::kInt, false},
                         {"noop_with_empty_axes", AttrType::kInt, false}};
    schema.infer_shapes = infer_reduce;
    schema.shape_value_inputs = {1};  // axes (opset 18 form)
    registry.add(std::move(schema));
  }
}

}  // namespace edgeai
