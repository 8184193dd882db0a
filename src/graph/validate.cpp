#include "graph/validate.hpp"

#include <set>

namespace edgeai {

Status check_node(const Node& node, const OpSchema& schema) {
  const int n_in = static_cast<int>(node.inputs.size());
  const int n_out = static_cast<int>(node.outputs.size());
  if (n_in < schema.min_inputs || n_in > schema.max_inputs) {
    return invalid_argument(node.describe(), " has ", n_in, " inputs; ", schema.op_type, " takes ",
                            schema.min_inputs == schema.max_inputs ? std::to_string(schema.min_inputs)
                                                                   : str_cat(schema.min_inputs, " to ", schema.max_inputs));
  }
  if (n_out < schema.min_outputs || n_out > schema.max_outputs) {
    return invalid_argument(node.describe(), " has ", n_out, " outputs; ", schema.op_type, " gives ",
                            schema.min_outputs == schema.max_outputs ? std::to_string(schema.min_outputs)
                                                                     : str_cat(schema.min_outputs, " to ", schema.max_outputs));
  }
  for (int i = 0; i < schema.min_inputs; ++i) {
    if (node.inputs[i].empty()) return invalid_argument(node.describe(), ": required input ", i, " is missing");
  }
  for (const auto& [key, attr] : node.attributes) {
    const AttrSpec* spec = nullptr;
    for (const AttrSpec& s : schema.attributes) {
      if (s.name == key) spec = &s;
    }
    if (spec == nullptr) return unsupported(node.describe(), ": attribute '", key, "' is not supported");
    if (spec->type != attr.type()) {
      return invalid_argument(node.describe(), ": attribute '", key, "' must be of type ", attr_type_name(spec->type),
                              ", got ", attr_type_name(attr.type()));
    }
  }
  for (const AttrSpec& s : schema.attributes) {
    if (s.required && !node.has_attr(s.name)) {
      return invalid_argument(node.describe(), ": required attribute '", s.name, "' is missing");
    }
  }
  return Status::ok();
}

Status infer_shapes(Graph& graph, const std::map<std::string, const Tensor*>& known_values,
                    const OpSchemaRegistry& registry) {
  EDGEAI_RETURN_IF_ERROR(graph.sort_topologically());
  graph.value_info.clear();
  for (const Node& node : graph.nodes) {
    const OpSchema* schema = registry.find(node.op_type);
    if (schema == nullptr) return unsupported("operator ", node.op_type, " (node '", node.name, "') is not supported");
    InferenceContext ctx{node, {}, {}};
    for (const std::string& in : node.inputs) {
      if (in.empty()) {
        ctx.inputs.emplace_back(std::nullopt);
        ctx.input_values.push_back(nullptr);
        continue;
      }
      std::optional<ValueInfo> info = graph.find_value_info(in);
      if (!info) return internal_error(node.describe(), ": no type known for input '", in, "'");
      ctx.inputs.push_back(std::move(info));
      const Tensor* value = graph.find_constant(in);
      if (value == nullptr) {
        auto it = known_values.find(in);
        if (it != known_values.end()) value = it->second;
      }
      ctx.input_values.push_back(value);
    }
    std::vector<ValueInfo> outputs;
    for (const std::string& out : node.outputs) outputs.push_back(ValueInfo{out, DType::kUndefined, {}});
    if (schema->infer_shapes == nullptr) return internal_error("operator ", node.op_type, " has no shape inference");
    EDGEAI_RETURN_IF_ERROR(schema->infer_shapes(ctx, outputs));
    for (ValueInfo& out : outputs) {
      if (out.name.empty()) continue;
      graph.value_info[out.name] = std::move(out);
    }
  }
  for (ValueInfo& declared : graph.outputs) {
    auto it = graph.value_info.find(declared.name);
    if (it == graph.value_info.end()) continue;  // an input or constant passed through
    const ValueInfo& inferred = it->second;
    if (declared.dtype != DType::kUndefined && declared.dtype != inferred.dtype) {
      return invalid_argument("graph output '", declared.name, "' is declared ", dtype_name(declared.dtype),
                              " but computes ", dtype_name(inferred.dtype));
    }
    bool mismatch = !declared.shape.empty() && declared.shape.size() != inferred.shape.size();
    for (std::size_t i = 0; !mismatch && i < declared.shape.size(); ++i) {
      mismatch = declared.shape[i] >= 0 && inferred.shape[i] >= 0 && declared.shape[i] != inferred.shape[i];
    }
    if (mismatch) {
      return invalid_argument("shape mismatch: graph output '", declared.name, "' is declared ",
                              shape_to_string(declared.shape), " but computes ", shape_to_string(inferred.shape));
    }
    declared.dtype = inferred.dtype;
    declared.shape = inferred.shape;
  }
  return Status::ok();
}

Status validate_graph(Graph& graph, const OpSchemaRegistry& registry) {
  std::set<std::string> names;
  for (const Node& node : graph.nodes) {
    const OpSchema* schema = registry.find(node.op_type);
    if (schema == nullptr) return unsupported("operator ", node.op_type, " (node '", node.name, "') is not supported");
    EDGEAI_RETURN_IF_ERROR(check_node(node, *schema));
    if (!node.name.empty() && !names.insert(node.name).second) {
      return invalid_argument("two nodes are named '", node.name, "'");
    }
  }
  return infer_shapes(graph, {}, registry);
}

}  // namespace edgeai
