#include "graph/graph.hpp"

#include <set>
#include <unordered_map>

namespace edgeai {

std::string_view attr_type_name(AttrType type) {
  switch (type) {
    case AttrType::kInt: return "int";
    case AttrType::kFloat: return "float";
    case AttrType::kString: return "string";
    case AttrType::kInts: return "ints";
    case AttrType::kFloats: return "floats";
    case AttrType::kStrings: return "strings";
    case AttrType::kTensor: return "tensor";
  }
  return "unknown";
}

const Attribute* Node::find_attr(std::string_view key) const {
  auto it = attributes.find(std::string(key));
  return it == attributes.end() ? nullptr : &it->second;
}

std::int64_t Node::attr_int(std::string_view key, std::int64_t fallback) const {
  const Attribute* a = find_attr(key);
  return a != nullptr && a->type() == AttrType::kInt ? a->as_int() : fallback;
}

float Node::attr_float(std::string_view key, float fallback) const {
  const Attribute* a = find_attr(key);
  return a != nullptr && a->type() == AttrType::kFloat ? a->as_float() : fallback;
}

std::string Node::attr_string(std::string_view key, std::string_view fallback) const {
  const Attribute* a = find_attr(key);
  return a != nullptr && a->type() == AttrType::kString ? a->as_string() : std::string(fallback);
}

std::vector<std::int64_t> Node::attr_ints(std::string_view key, std::vector<std::int64_t> fallback) const {
  const Attribute* a = find_attr(key);
  return a != nullptr && a->type() == AttrType::kInts ? a->as_ints() : fallback;
}

std::vector<float> Node::attr_floats(std::string_view key, std::vector<float> fallback) const {
  const Attribute* a = find_attr(key);
  return a != nullptr && a->type() == AttrType::kFloats ? a->as_floats() : fallback;
}

std::string Node::describe() const { return str_cat(op_type, " '", name, "'"); }

const Tensor* Graph::find_constant(std::string_view value_name) const {
  auto it = constants.find(std::string(value_name));
  return it == constants.end() ? nullptr : &it->second;
}

bool Graph::is_graph_input(std::string_view value_name) const {
  for (const ValueInfo& v : inputs) {
    if (v.name == value_name) return true;
  }
  return false;
}

bool Graph::is_graph_output(std::string_view value_name) const {
  for (const ValueInfo& v : outputs) {
    if (v.name == value_name) return true;
  }
  return false;
}

std::optional<ValueInfo> Graph::find_value_info(std::string_view value_name) const {
  for (const ValueInfo& v : inputs) {
    if (v.name == value_name) return v;
  }
  if (const Tensor* c = find_constant(value_name)) return ValueInfo{std::string(value_name), c->dtype(), c->shape()};
  auto it = value_info.find(std::string(value_name));
  if (it != value_info.end()) return it->second;
  for (const ValueInfo& v : outputs) {
    if (v.name == value_name && v.dtype != DType::kUndefined) return v;
  }
  return std::nullopt;
}

Status Graph::sort_topologically() {
  // Kahn's algorithm over producer -> consumer edges; stable (keeps source order among ready nodes).
  std::unordered_map<std::string, std::size_t> producer;
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    for (const std::string& out : nodes[i].outputs) {
      if (out.empty()) continue;
      if (!producer.emplace(out, i).second) {
        return invalid_argument("value '", out, "' is produced by both ", nodes[producer[out]].describe(), " and ",
                                nodes[i].describe());
      }
      if (is_graph_input(out) || is_constant(out)) {
        return invalid_argument(nodes[i].describe(), " writes '", out, "', which is a graph input or constant");
      }
    }
  }
  std::vector<std::size_t> pending(nodes.size(), 0);
  std::vector<std::vector<std::size_t>> consumers(nodes.size());
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    std::set<std::size_t> deps;
    for (const std::string& in : nodes[i].inputs) {
      if (in.empty() || is_graph_input(in) || is_constant(in)) continue;
      auto it = producer.find(in);
      if (it == producer.end()) {
        return invalid_argument(nodes[i].describe(), " reads '", in,
                                "', which is not a graph input, a constant, or any node's output (dangling input)");
      }
      deps.insert(it->second);
    }
    pending[i] = deps.size();
    for (std::size_t d : deps) consumers[d].push_back(i);
  }
  std::vector<std::size_t> order;
  order.reserve(nodes.size());
  std::set<std::size_t> ready;
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    if (pending[i] == 0) ready.insert(i);
  }
  while (!ready.empty()) {
    std::size_t i = *ready.begin();
    ready.erase(ready.begin());
    order.push_back(i);
    for (std::size_t c : consumers[i]) {
      if (--pending[c] == 0) ready.insert(c);
    }
  }
  if (order.size() != nodes.size()) {
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      if (pending[i] != 0) return invalid_argument("the graph has a cycle through ", nodes[i].describe());
    }
  }
  std::vector<Node> sorted;
  sorted.reserve(nodes.size());
  for (std::size_t i : order) sorted.push_back(std::move(nodes[i]));
  nodes = std::move(sorted);
  for (const ValueInfo& out : outputs) {
    if (!is_graph_input(out.name) && !is_constant(out.name) && producer.find(out.name) == producer.end()) {
      return invalid_argument("graph output '", out.name, "' is not produced by any node");
    }
  }
  return Status::ok();
}

std::int64_t Graph::parameter_count() const {
  std::int64_t count = 0;
  for (const auto& [name, tensor] : constants) count += tensor.num_elements();
  return count;
}

std::int64_t Graph::parameter_bytes() const {
  std::int64_t bytes = 0;
  for (const auto& [name, tensor] : constants) bytes += static_cast<std::int64_t>(tensor.size_bytes());
  return bytes;
}

}  // namespace edgeai
