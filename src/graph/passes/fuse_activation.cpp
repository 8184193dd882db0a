// Activation fusion: Conv/Gemm/MatMul/Add/... -> Relu (or Clip, LeakyRelu, ...) becomes one
// node carrying the activation attributes of graph/fused_activation.hpp, so kernels apply it
// in their epilogue. Depends on graph and core only.
#include <limits>
#include <map>
#include <optional>

#include "graph/fused_activation.hpp"
#include "graph/passes/passes.hpp"

namespace edgeai {
namespace {

bool schema_accepts_activation(const OpSchemaRegistry& registry, const std::string& op_type) {
  const OpSchema* schema = registry.find(op_type);
  if (schema == nullptr) return false;
  for (const AttrSpec& spec : schema->attributes) {
    if (spec.name == "activation" && spec.type == AttrType::kString) return true;
  }
  return false;
}

// A float32 scalar (or 1-element) constant.
std::optional<float> scalar_constant(const Graph& graph, const std::string& name) {
  const Tensor* t = graph.find_constant(name);
  if (t == nullptr || t->dtype() != DType::kFloat32 || t->num_elements() != 1) return std::nullopt;
  return t->data<float>()[0];
}

// The fused form of activation node `act`, or nullopt if it cannot be fused (a Clip bound that
// is not a constant). Defaults as in the ONNX operators.
std::optional<FusedActivation> fused_form(const Graph& graph, const Node& act) {
  std::optional<ActivationKind> kind = activation_kind_from_name(act.op_type);
  if (!kind || act.inputs.empty() || act.outputs.size() != 1) return std::nullopt;
  FusedActivation fused;
  fused.kind = *kind;
  switch (*kind) {
    case ActivationKind::kClip: {
      if (act.inputs.size() > 3) return std::nullopt;
      fused.alpha = -std::numeric_limits<float>::infinity();
      fused.beta = std::numeric_limits<float>::infinity();
      if (act.has_input(1)) {
        std::optional<float> lo = scalar_constant(graph, act.inputs[1]);
        if (!lo) return std::nullopt;
        fused.alpha = *lo;
      }
      if (act.has_input(2)) {
        std::optional<float> hi = scalar_constant(graph, act.inputs[2]);
        if (!hi) return std::nullopt;
        fused.beta = *hi;
      }
      break;
    }
    case ActivationKind::kLeakyRelu: fused.alpha = act.attr_float("alpha", 0.01f); break;
    case ActivationKind::kHardSigmoid:
      fused.alpha = act.attr_float("alpha", 0.2f);
      fused.beta = act.attr_float("beta", 0.5f);
      break;
    default:
      if (act.inputs.size() != 1) return std::nullopt;
      break;
  }
  return fused;
}

// Drops the nodes marked in `removed` (indices into graph.nodes), keeping the others' order.
void erase_nodes(Graph& graph, const std::vector<bool>& removed) {
  std::vector<Node> kept;
  kept.reserve(graph.nodes.size());
  for (std::size_t i = 0; i < graph.nodes.size(); ++i) {
    if (!removed[i]) kept.push_back(std::move(graph.nodes[i]));
  }
  graph.nodes = std::move(kept);
}

}  // namespace

Result<int> fuse_activations(Graph& graph, const OpSchemaRegistry& registry) {
  EDGEAI_RETURN_IF_ERROR(graph.sort_topologically());
  std::map<std::string, int> consumer_count;
  std::map<std::string, std::size_t> producer;
  for (std::size_t i = 0; i < graph.nodes.size(); ++i) {
    for (const std::string& in : graph.nodes[i].inputs) {
      if (!in.empty()) ++consumer_count[in];
    }
    for (const std::string& out : graph.nodes[i].outputs) {
      if (!out.empty()) producer[out] = i;
    }
  }

  std::vector<bool> removed(graph.nodes.size(), false);
  int fused_count = 0;
  for (std::size_t act_index = 0; act_index < graph.nodes.size(); ++act_index) {
    const Node& act = graph.nodes[act_index];
    if (!activation_kind_from_name(act.op_type) || act.inputs.empty() || act.inputs[0].empty()) continue;
    auto it = producer.find(act.inputs[0]);
    if (it == producer.end()) continue;
    Node& prod = graph.nodes[it->second];
    const std::string& value = act.inputs[0];
    if (prod.outputs.size() != 1 || prod.has_attr("activation")) continue;
    if (consumer_count[value] != 1 || graph.is_graph_output(value)) continue;
    if (!schema_accepts_activation(registry, prod.op_type)) continue;
    // Fused epilogues are float: an integer Add feeding a Relu stays as it is.
    if (std::optional<ValueInfo> info = graph.find_value_info(value);
        info && info->dtype != DType::kUndefined && info->dtype != DType::kFloat32) {
      continue;
    }
    std::optional<FusedActivation> fused = fused_form(graph, act);
    if (!fused) continue;

    prod.attributes["activation"] = Attribute(std::string(activation_name(fused->kind)));
    if (fused->kind == ActivationKind::kClip || fused->kind == ActivationKind::kLeakyRelu ||
        fused->kind == ActivationKind::kHardSigmoid) {
      prod.attributes["activation_alpha"] = Attribute(fused->alpha);
    }
    if (fused->kind == ActivationKind::kClip || fused->kind == ActivationKind::kHardSigmoid) {
      prod.attributes["activation_beta"] = Attribute(fused->beta);
    }
    graph.value_info.erase(prod.outputs[0]);
    prod.outputs[0] = act.outputs[0];
    producer[act.outputs[0]] = it->second;
    removed[act_index] = true;
    ++fused_count;
  }

  erase_nodes(graph, removed);
  return fused_count;
}

Result<int> fuse_gated_activations(Graph& graph, const OpSchemaRegistry& registry) {
  EDGEAI_RETURN_IF_ERROR(graph.sort_topologically());
  std::map<std::string, std::vector<std::size_t>> readers;
  std::map<std::string, std::size_t> producer;
  for (std::size_t i = 0; i < graph.nodes.size(); ++i) {
    for (const std::string& in : graph.nodes[i].inputs) {
      if (!in.empty()) readers[in].push_back(i);
    }
    for (const std::string& out : graph.nodes[i].outputs) {
      if (!out.empty()) producer[out] = i;
    }
  }
  std::vector<bool> removed(graph.nodes.size(), false);
  int fused_count = 0;
  for (std::size_t s = 0; s < graph.nodes.size(); ++s) {
    const Node& sigmoid = graph.nodes[s];
    const bool hard = sigmoid.op_type == "HardSigmoid";
    if ((sigmoid.op_type != "Sigmoid" && !hard) || sigmoid.inputs.size() != 1 || sigmoid.outputs.size() != 1) continue;
    const std::string& x = sigmoid.inputs[0];
    const std::string& gate = sigmoid.outputs[0];
    // x is read by this Sigmoid and one Mul, the gate by that Mul alone.
    auto p = producer.find(x);
    if (p == producer.end() || readers[x].size() != 2 || readers[gate].size() != 1) continue;
    const std::size_t m = readers[gate][0];
    const Node& mul = graph.nodes[m];
    const bool pair = mul.inputs.size() == 2 && ((mul.inputs[0] == x && mul.inputs[1] == gate) ||
                                                 (mul.inputs[0] == gate && mul.inputs[1] == x));
    if (mul.op_type != "Mul" || !pair || mul.has_attr("activation") || mul.outputs.size() != 1) continue;
    if (readers[x][0] != s && readers[x][1] != s) continue;
    if (graph.is_graph_output(x) || graph.is_graph_output(gate)) continue;
    Node& prod = graph.nodes[p->second];
    if (prod.outputs.size() != 1 || prod.has_attr("activation") || !schema_accepts_activation(registry, prod.op_type)) {
      continue;
    }
    if (std::optional<ValueInfo> info = graph.find_value_info(x);
        !info || info->dtype != DType::kFloat32) {
      continue;
    }
    if (hard) {
      // HardSigmoid's defaults as in the ONNX operator (and fused_form above).
      prod.attributes["activation"] = Attribute(std::string(activation_name(ActivationKind::kGatedHardSigmoid)));
      prod.attributes["activation_alpha"] = Attribute(sigmoid.attr_float("alpha", 0.2f));
      prod.attributes["activation_beta"] = Attribute(sigmoid.attr_float("beta", 0.5f));
    } else {
      prod.attributes["activation"] = Attribute(std::string(activation_name(ActivationKind::kSilu)));
    }
    graph.value_info.erase(x);
    graph.value_info.erase(gate);
    prod.outputs[0] = mul.outputs[0];
    producer[mul.outputs[0]] = p->second;
    removed[s] = removed[m] = true;
    ++fused_count;
  }
  erase_nodes(graph, removed);
  return fused_count;
}

}  // namespace edgeai
