// Operator schemas of the pooling family, ONNX opset 13: MaxPool
// (https://onnx.ai/onnx/operators/onnx__MaxPool.html), AveragePool, GlobalAveragePool and
// GlobalMaxPool. Depends on graph only.
#include <string>
#include <vector>

#include "graph/layout.hpp"
#include "graph/op_schema.hpp"
#include "graph/ops/window_geometry.hpp"

namespace edgeai {
namespace {

Status check_pooled_input(const Node& node, const ValueInfo& x) {
  if (x.shape.size() < 3) {
    return invalid_argument(node.describe(),
                            ": input X must be (N, C, spatial...) with at least one spatial axis, got ",
                            shape_to_string(x.shape));
  }
  return Status::ok();
}

// MaxPool and AveragePool: (N, C, out...) with out from the window geometry.
Status infer_windowed_pool(const InferenceContext& ctx, std::vector<ValueInfo>& outputs) {
  const Node& node = ctx.node;
  const ValueInfo& x = ctx.input(0);
  EDGEAI_RETURN_IF_ERROR(check_pooled_input(node, x));
  const bool is_max = node.op_type == "MaxPool";
  const std::int64_t ceil_mode = node.attr_int("ceil_mode", 0);
  if (ceil_mode != 0 && ceil_mode != 1) {
    return invalid_argument(node.describe(), ": ceil_mode must be 0 or 1, got ", ceil_mode);
  }
  if (is_max) {
    const std::int64_t storage_order = node.attr_int("storage_order", 0);
    if (storage_order != 0 && storage_order != 1) {
      return invalid_argument(node.describe(), ": storage_order must be 0 or 1, got ", storage_order);
    }
  }
  const std::vector<std::int64_t> input(x.shape.begin() + 2, x.shape.end());
  EDGEAI_ASSIGN_OR_RETURN(WindowGeometry g,
                          resolve_window_geometry(node, input, node.attr_ints("kernel_shape"), is_max, ceil_mode != 0));
  Shape out{x.shape[0], x.shape[1]};
  out.insert(out.end(), g.output.begin(), g.output.end());
  outputs[0].dtype = x.dtype;
  outputs[0].shape = out;
  if (outputs.size() > 1) {
    // MaxPool's optional Indices: flat positions of the maxima in X, as int64.
    outputs[1].dtype = DType::kInt64;
    outputs[1].shape = out;
  }
  return Status::ok();
}

// GlobalAveragePool and GlobalMaxPool: (N, C, 1, 1, ...).
Status infer_global_pool(const InferenceContext& ctx, std::vector<ValueInfo>& outputs) {
  const ValueInfo& x = ctx.input(0);
  EDGEAI_RETURN_IF_ERROR(check_pooled_input(ctx.node, x));
  Shape out{x.shape[0], x.shape[1]};
  out.insert(out.end(), x.shape.size() - 2, 1);
  outputs[0].dtype = x.dtype;
  outputs[0].shape = std::move(out);
  return Status::ok();
}

}  // namespace

void add_pool_schemas(OpSchemaRegistry& registry) {
  OpSchema max_pool;
  max_pool.op_type = "MaxPool";
  max_pool.max_outputs = 2;
  max_pool.attributes = {{"auto_pad", AttrType::kString}, {"ceil_mode", AttrType::kInt},
                         {"dilations", AttrType::kInts},  {"kernel_shape", AttrType::kInts, true},
                         {"pads", AttrType::kInts},       {"storage_order", AttrType::kInt},
                         {"strides", AttrType::kInts},    channels_last_attr_spec()};
  max_pool.infer_shapes = [](const InferenceContext& ctx, std::vector<ValueInfo>& outputs) {
    return infer_in_layout(infer_windowed_pool, ctx, outputs);
  };
  registry.add(std::move(max_pool));

  OpSchema average_pool;
  average_pool.op_type = "AveragePool";
  average_pool.attributes = {
      {"auto_pad", AttrType::kString},         {"ceil_mode", AttrType::kInt}, {"count_include_pad", AttrType::kInt},
      {"kernel_shape", AttrType::kInts, true}, {"pads", AttrType::kInts},     {"strides", AttrType::kInts}};
  average_pool.infer_shapes = infer_windowed_pool;
  registry.add(std::move(average_pool));

  for (const char* op_type : {"GlobalAveragePool", "GlobalMaxPool"}) {
    OpSchema global;
    global.op_type = op_type;
    global.attributes = {channels_last_attr_spec()};
    global.infer_shapes = [](const InferenceContext& ctx, std::vector<ValueInfo>& outputs) {
      return infer_in_layout(infer_global_pool, ctx, outputs);
    };
    registry.add(std::move(global));
  }
}

}  // namespace edgeai
