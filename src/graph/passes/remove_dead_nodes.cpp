// Dead-node removal: bypasses Identity and inference-mode Dropout, then drops nodes that no
// graph output depends on and constants that nothing reads. Depends on graph and core only.
#include <set>
#include <string>

#include "graph/passes/passes.hpp"

namespace edgeai {
namespace {

void rename_uses(Graph& graph, const std::string& from, const std::string& to) {
  for (Node& node : graph.nodes) {
    for (std::string& in : node.inputs) {
      if (in == from) in = to;
    }
  }
}

bool is_used(const Graph& graph, const std::string& name) {
  if (graph.is_graph_output(name)) return true;
  for (const Node& node : graph.nodes) {
    for (const std::string& in : node.inputs) {
      if (in == name) return true;
    }
  }
  return false;
}

// Removes `node_index` when it only forwards input 0 to output 0. Returns whether it did.
bool bypass_forwarding_node(Graph& graph, std::size_t node_index) {
  const Node& node = graph.nodes[node_index];
  if (node.inputs.empty() || node.inputs[0].empty() || node.outputs.empty() || node.outputs[0].empty()) return false;
  // Dropout's mask output (opset 12: all ones at inference) must not be read by anyone.
  for (std::size_t i = 1; i < node.outputs.size(); ++i) {
    if (!node.outputs[i].empty() && is_used(graph, node.outputs[i])) return false;
  }
  // Dropout-12 in training mode (input 2 true or fed at run time) is random: leave it to the kernel.
  if (node.op_type == "Dropout" && node.has_input(2)) {
    const Tensor* training = graph.find_constant(node.inputs[2]);
    if (training == nullptr || training->dtype() != DType::kBool || training->num_elements() != 1 ||
        training->data<bool>()[0]) {
      return false;
    }
  }
  const std::string in = node.inputs[0];
  const std::string out = node.outputs[0];
  if (!graph.is_graph_output(out)) {
    graph.nodes.erase(graph.nodes.begin() + static_cast<std::ptrdiff_t>(node_index));
    rename_uses(graph, out, in);
    graph.value_info.erase(out);
    return true;
  }
  // `out` is a graph output: keep its name and let the producer of `in` write it instead, which
  // needs `in` to be a plain intermediate value.
  if (graph.is_graph_input(in) || graph.is_constant(in) || graph.is_graph_output(in)) return false;
  Node* producer = nullptr;
  for (Node& other : graph.nodes) {
    for (std::string& o : other.outputs) {
      if (o == in) producer = &other;
    }
  }
  if (producer == nullptr) return false;
  for (std::string& o : producer->outputs) {
    if (o == in) o = out;
  }
  graph.nodes.erase(graph.nodes.begin() + static_cast<std::ptrdiff_t>(node_index));
  rename_uses(graph, in, out);
  graph.value_info.erase(in);
  return true;
}

}  // namespace

Result<int> remove_dead_nodes(Graph& graph) {
  EDGEAI_RETURN_IF_ERROR(graph.sort_topologically());
  int removed = 0;
  for (std::size_t i = 0; i < graph.nodes.size();) {
    const std::string& op = graph.nodes[i].op_type;
    if ((op == "Identity" || op == "Dropout") && bypass_forwarding_node(graph, i)) {
      ++removed;
    } else {
      ++i;
    }
  }

  std::set<std::string> live;
  for (const ValueInfo& out : graph.outputs) live.insert(out.name);
  std::vector<bool> keep(graph.nodes.size(), false);
  for (std::size_t i = graph.nodes.size(); i-- > 0;) {
    const Node& node = graph.nodes[i];
    for (const std::string& out : node.outputs) {
      if (!out.empty() && live.count(out) != 0) keep[i] = true;
    }
    if (!keep[i]) continue;
    for (const std::string& in : node.inputs) {
      if (!in.empty()) live.insert(in);
    }
  }
  std::vector<Node> kept;
  kept.reserve(graph.nodes.size());
  for (std::size_t i = 0; i < graph.nodes.size(); ++i) {
    if (keep[i]) {
      kept.push_back(std::move(graph.nodes[i]));
    } else {
      for (const std::string& out : graph.nodes[i].outputs) graph.value_info.erase(out);
      ++removed;
    }
  }
  graph.nodes = std::move(kept);

  for (auto it = graph.constants.begin(); it != graph.constants.end();) {
    if (live.count(it->first) == 0) {
      it = graph.constants.erase(it);
    } else {
      ++it;
    }
  }
  return removed;
}

}  // namespace edgeai
