// BatchNormalization folding: Conv -> BN(inference) becomes one Conv with rescaled weights and
// a shifted bias (ONNX BatchNormalization: Y = (X - mean) / sqrt(var + epsilon) * scale + B).
// Depends on graph and core only.
#include <cmath>
#include <map>
#include <set>
#include <string>

#include "graph/passes/passes.hpp"

namespace edgeai {
namespace {

const Tensor* float_constant(const Graph& graph, const std::string& name) {
  if (name.empty()) return nullptr;
  const Tensor* t = graph.find_constant(name);
  return t != nullptr && t->dtype() == DType::kFloat32 ? t : nullptr;
}

bool is_vector_of(const Tensor* t, std::int64_t n) {
  return t != nullptr && t->shape().size() == 1 && t->shape()[0] == n;
}

std::string unused_name(const Graph& graph, const std::set<std::string>& taken, const std::string& base) {
  std::string name = base;
  for (int i = 1; graph.is_constant(name) || graph.is_graph_input(name) || taken.count(name) != 0; ++i) {
    name = base + "_" + std::to_string(i);
  }
  return name;
}

}  // namespace

Result<int> fold_batchnorm(Graph& graph) {
  EDGEAI_RETURN_IF_ERROR(graph.sort_topologically());
  std::map<std::string, int> consumer_count;
  std::map<std::string, std::size_t> producer;
  std::set<std::string> value_names;
  for (std::size_t i = 0; i < graph.nodes.size(); ++i) {
    for (const std::string& in : graph.nodes[i].inputs) {
      if (!in.empty()) ++consumer_count[in];
    }
    for (const std::string& out : graph.nodes[i].outputs) {
      if (out.empty()) continue;
      producer[out] = i;
      value_names.insert(out);
    }
  }

  std::vector<bool> removed(graph.nodes.size(), false);
  int folded = 0;
  for (std::size_t bn_index = 0; bn_index < graph.nodes.size(); ++bn_index) {
    const Node& bn = graph.nodes[bn_index];
    if (bn.op_type != "BatchNormalization" || bn.inputs.size() != 5) continue;
    // Only the inference form: a training-mode BN (opset 14+) also outputs running statistics.
    if (bn.attr_int("training_mode", 0) != 0 || bn.outputs.size() != 1) continue;
    auto conv_it = producer.find(bn.inputs[0]);
    if (conv_it == producer.end()) continue;
    Node& conv = graph.nodes[conv_it->second];
    if (conv.op_type != "Conv" || conv.outputs.size() != 1 || conv.has_attr("activation")) continue;
    if (consumer_count[conv.outputs[0]] != 1 || graph.is_graph_output(conv.outputs[0])) continue;

    const Tensor* weight = float_constant(graph, conv.has_input(1) ? conv.inputs[1] : "");
    if (weight == nullptr || weight->shape().empty()) continue;
    const std::int64_t channels = weight->shape()[0];
    const Tensor* bias = conv.has_input(2) ? float_constant(graph, conv.inputs[2]) : nullptr;
    if (conv.has_input(2) && !is_vector_of(bias, channels)) continue;
    const Tensor* scale = float_constant(graph, bn.inputs[1]);
    const Tensor* shift = float_constant(graph, bn.inputs[2]);
    const Tensor* mean = float_constant(graph, bn.inputs[3]);
    const Tensor* var = float_constant(graph, bn.inputs[4]);
    if (!is_vector_of(scale, channels) || !is_vector_of(shift, channels) || !is_vector_of(mean, channels) ||
        !is_vector_of(var, channels)) {
      continue;
    }
    const double epsilon = bn.attr_float("epsilon", 1e-5f);

    Result<Tensor> new_weight = Tensor::allocate(DType::kFloat32, weight->shape());
    Result<Tensor> new_bias = Tensor::allocate(DType::kFloat32, {channels});
    if (!new_weight.is_ok()) return new_weight.status();
    if (!new_bias.is_ok()) return new_bias.status();
    const std::int64_t per_channel = channels == 0 ? 0 : weight->num_elements() / channels;
    const float* w = weight->data<float>();
    float* w_out = new_weight->data<float>();
    float* b_out = new_bias->data<float>();
    for (std::int64_t m = 0; m < channels; ++m) {
      const double factor = static_cast<double>(scale->data<float>()[m]) /
                            std::sqrt(static_cast<double>(var->data<float>()[m]) + epsilon);
      for (std::int64_t k = 0; k < per_channel; ++k) {
        w_out[m * per_channel + k] = static_cast<float>(w[m * per_channel + k] * factor);
      }
      const double b = bias != nullptr ? bias->data<float>()[m] : 0.0;
      b_out[m] = static_cast<float>((b - mean->data<float>()[m]) * factor + shift->data<float>()[m]);
    }

    const std::string weight_name = unused_name(graph, value_names, conv.name + "_bn_folded_W");
    value_names.insert(weight_name);
    const std::string bias_name = unused_name(graph, value_names, conv.name + "_bn_folded_B");
    value_names.insert(bias_name);
    graph.constants[weight_name] = std::move(new_weight).value();
    graph.constants[bias_name] = std::move(new_bias).value();
    conv.inputs.resize(3);
    conv.inputs[1] = weight_name;
    conv.inputs[2] = bias_name;
    // The Conv now writes what the BN wrote; the BN's input value disappears.
    graph.value_info.erase(conv.outputs[0]);
    conv.outputs[0] = bn.outputs[0];
    producer[bn.outputs[0]] = conv_it->second;
    removed[bn_index] = true;
    ++folded;
  }

  if (folded > 0) {
    std::vector<Node> kept;
    kept.reserve(graph.nodes.size());
    for (std::size_t i = 0; i < graph.nodes.size(); ++i) {
      if (!removed[i]) kept.push_back(std::move(graph.nodes[i]));
    }
    graph.nodes = std::move(kept);
  }
  return folded;
}

}  // namespace edgeai
