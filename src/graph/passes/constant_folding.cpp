// Constant folding: nodes computable at import time become constants. The values come from a
// NodeEvaluator callback (the runtime's reference kernels at import), so this file depends on
// graph and core only. Also holds the best-effort shape inference folding relies on.
#include <cstring>
#include <optional>
#include <utility>

#include "graph/passes/passes.hpp"

namespace edgeai {
namespace {

// Runs the schema's shape inference for `node` with what the graph knows now: value_info,
// graph inputs, constants (whose values the schema may read). nullopt when an input type is
// unknown or the schema cannot infer without values known only at run time.
std::optional<std::vector<ValueInfo>> infer_node(const Graph& graph, const Node& node, const OpSchemaRegistry& registry) {
  const OpSchema* schema = registry.find(node.op_type);
  if (schema == nullptr || schema->infer_shapes == nullptr) return std::nullopt;
  InferenceContext ctx{node, {}, {}};
  for (const std::string& in : node.inputs) {
    if (in.empty()) {
      ctx.inputs.emplace_back(std::nullopt);
      ctx.input_values.push_back(nullptr);
      continue;
    }
    std::optional<ValueInfo> info = graph.find_value_info(in);
    if (!info || info->dtype == DType::kUndefined) return std::nullopt;
    ctx.inputs.push_back(std::move(info));
    ctx.input_values.push_back(graph.find_constant(in));
  }
  std::vector<ValueInfo> outputs;
  for (const std::string& out : node.outputs) outputs.push_back(ValueInfo{out, DType::kUndefined, {}});
  if (!schema->infer_shapes(ctx, outputs).is_ok()) return std::nullopt;
  for (const ValueInfo& out : outputs) {
    if (!out.name.empty() && out.dtype == DType::kUndefined) return std::nullopt;
  }
  return outputs;
}

void record_value_info(Graph& graph, std::vector<ValueInfo> outputs) {
  for (ValueInfo& out : outputs) {
    if (!out.name.empty()) graph.value_info[out.name] = std::move(out);
  }
}

// The value of a Constant node (ONNX Constant-13: exactly one of value, value_float(s), value_int(s)).
std::optional<Tensor> constant_node_value(const Node& node) {
  if (const Attribute* a = node.find_attr("value"); a != nullptr && a->type() == AttrType::kTensor) {
    return a->as_tensor();
  }
  if (const Attribute* a = node.find_attr("value_float"); a != nullptr && a->type() == AttrType::kFloat) {
    return Tensor::from_values<float>({}, {a->as_float()});
  }
  if (const Attribute* a = node.find_attr("value_int"); a != nullptr && a->type() == AttrType::kInt) {
    return Tensor::from_values<std::int64_t>({}, {a->as_int()});
  }
  if (const Attribute* a = node.find_attr("value_floats"); a != nullptr && a->type() == AttrType::kFloats) {
    return Tensor::from_vector<float>({static_cast<std::int64_t>(a->as_floats().size())}, a->as_floats());
  }
  if (const Attribute* a = node.find_attr("value_ints"); a != nullptr && a->type() == AttrType::kInts) {
    return Tensor::from_vector<std::int64_t>({static_cast<std::int64_t>(a->as_ints().size())}, a->as_ints());
  }
  return std::nullopt;
}

// Shape-15 of a value whose shape is static: the dims in [start, end), both clamped to the rank.
std::optional<Tensor> static_shape_value(const Graph& graph, const Node& node) {
  if (node.inputs.size() != 1 || node.outputs.size() != 1 || node.inputs[0].empty()) return std::nullopt;
  std::optional<ValueInfo> info = graph.find_value_info(node.inputs[0]);
  if (!info || info->dtype == DType::kUndefined || !is_static(info->shape)) return std::nullopt;
  const auto rank = static_cast<std::int64_t>(info->shape.size());
  auto clamp = [rank](std::int64_t axis) {
    if (axis < 0) axis += rank;
    return axis < 0 ? std::int64_t{0} : (axis > rank ? rank : axis);
  };
  const std::int64_t start = clamp(node.attr_int("start", 0));
  const std::int64_t end = clamp(node.attr_int("end", rank));
  std::vector<std::int64_t> dims;
  for (std::int64_t i = start; i < end; ++i) dims.push_back(info->shape[static_cast<std::size_t>(i)]);
  return Tensor::from_vector<std::int64_t>({static_cast<std::int64_t>(dims.size())}, dims);
}

bool produces_graph_output(const Graph& graph, const Node& node) {
  for (const std::string& out : node.outputs) {
    if (!out.empty() && graph.is_graph_output(out)) return true;
  }
  return false;
}

// Evaluates `node` when all its present inputs are constants; nullopt when it is not foldable.
std::optional<std::vector<Tensor>> evaluate_constant_node(const Graph& graph, const Node& node,
                                                          const NodeEvaluator& evaluate,
                                                          const ConstantFoldingOptions& options,
                                                          const OpSchemaRegistry& registry) {
  std::vector<Tensor> inputs;
  bool has_input = false;
  for (const std::string& in : node.inputs) {
    if (in.empty()) {
      inputs.emplace_back();
      continue;
    }
    const Tensor* value = graph.find_constant(in);
    if (value == nullptr) return std::nullopt;
    inputs.push_back(*value);
    has_input = true;
  }
  if (!has_input) return std::nullopt;  // a source other than Constant (random, say) is not ours to fold
  if (std::optional<std::vector<ValueInfo>> infos = infer_node(graph, node, registry)) {
    std::size_t bytes = 0;
    for (const ValueInfo& info : *infos) {
      std::optional<std::int64_t> count = element_count(info.shape);
      if (!count) return std::nullopt;
      bytes += static_cast<std::size_t>(*count) * dtype_size(info.dtype);
    }
    if (bytes > options.max_output_bytes) return std::nullopt;
  }
  Result<std::vector<Tensor>> outputs = evaluate(node, inputs);
  if (!outputs.is_ok() || outputs->size() < node.outputs.size()) return std::nullopt;
  std::size_t bytes = 0;
  for (const Tensor& t : *outputs) bytes += t.size_bytes();
  if (bytes > options.max_output_bytes) return std::nullopt;
  return std::move(outputs).value();
}

}  // namespace

Result<std::size_t> infer_shapes_partially(Graph& graph, const OpSchemaRegistry& registry) {
  EDGEAI_RETURN_IF_ERROR(graph.sort_topologically());
  graph.value_info.clear();
  std::size_t unknown = 0;
  for (const Node& node : graph.nodes) {
    std::optional<std::vector<ValueInfo>> outputs = infer_node(graph, node, registry);
    if (outputs) {
      record_value_info(graph, std::move(*outputs));
    } else {
      ++unknown;
    }
  }
  return unknown;
}

Status fold_constants(Graph& graph, const NodeEvaluator& evaluate, const ConstantFoldingOptions& options,
                      const OpSchemaRegistry& registry) {
  EDGEAI_RETURN_IF_ERROR(graph.sort_topologically());
  graph.value_info.clear();
  std::vector<Node> kept;
  kept.reserve(graph.nodes.size());
  for (Node& node : graph.nodes) {
    std::optional<std::vector<Tensor>> values;
    if (node.op_type == "Constant") {
      std::optional<Tensor> value = constant_node_value(node);
      if (!value || node.outputs.size() != 1) {
        return invalid_argument(node.describe(), ": needs exactly one output and one of the attributes value, "
                                                 "value_float, value_floats, value_int, value_ints");
      }
      values = std::vector<Tensor>{std::move(*value)};
    } else if (!produces_graph_output(graph, node)) {
      if (node.op_type == "Shape") {
        if (std::optional<Tensor> shape = static_shape_value(graph, node)) values = std::vector<Tensor>{std::move(*shape)};
      }
      if (!values) values = evaluate_constant_node(graph, node, evaluate, options, registry);
    }
    if (values) {
      for (std::size_t i = 0; i < node.outputs.size(); ++i) {
        if (!node.outputs[i].empty()) graph.constants[node.outputs[i]] = std::move((*values)[i]);
      }
      continue;
    }
    if (std::optional<std::vector<ValueInfo>> infos = infer_node(graph, node, registry)) {
      record_value_info(graph, std::move(*infos));
    }
    kept.push_back(std::move(node));
  }
  graph.nodes = std::move(kept);
  return Status::ok();
}

}  // namespace edgeai
