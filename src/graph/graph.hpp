// The IR: a graph of nodes over named values, ONNX-shaped so import is a translation, not
// a redesign. Values are named by strings; an empty input name is an absent optional input.
// Depends only on core.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.hpp"
#include "core/tensor.hpp"
#include "graph/attribute.hpp"

namespace edgeai {

// The static type of a value: dtype and shape (dimensions may be kUnknownDim).
struct ValueInfo {
  std::string name;
  DType dtype = DType::kUndefined;
  Shape shape;
};

struct Node {
  std::string name;     // unique in the graph; import makes one up when the source has none
  std::string op_type;  // ONNX operator name ("Conv", "Relu", ...)
  std::vector<std::string> inputs;
  std::vector<std::string> outputs;
  std::map<std::string, Attribute> attributes;

  bool has_attr(std::string_view key) const { return attributes.find(std::string(key)) != attributes.end(); }
  const Attribute* find_attr(std::string_view key) const;

  // Attribute values with a default for an absent attribute. Validation has checked the
  // type against the operator's schema, so a present attribute has the expected type.
  std::int64_t attr_int(std::string_view key, std::int64_t fallback) const;
  float attr_float(std::string_view key, float fallback) const;
  std::string attr_string(std::string_view key, std::string_view fallback) const;
  std::vector<std::int64_t> attr_ints(std::string_view key, std::vector<std::int64_t> fallback = {}) const;
  std::vector<float> attr_floats(std::string_view key, std::vector<float> fallback = {}) const;

  // True if input `i` exists and is not the empty (absent) name.
  bool has_input(std::size_t i) const { return i < inputs.size() && !inputs[i].empty(); }

  // "Conv 'conv1'" for messages.
  std::string describe() const;
};

class Graph {
 public:
  std::string name;
  std::vector<ValueInfo> inputs;   // fed by the caller at run time (not constants)
  std::vector<ValueInfo> outputs;  // produced for the caller
  std::map<std::string, Tensor> constants;  // weights and other initializers, by value name
  std::vector<Node> nodes;         // topological after sort_topologically()
  // Inferred dtype/shape of every value that is neither an input nor a constant.
  std::map<std::string, ValueInfo> value_info;

  const Tensor* find_constant(std::string_view value_name) const;
  bool is_constant(std::string_view value_name) const { return find_constant(value_name) != nullptr; }
  bool is_graph_input(std::string_view value_name) const;
  bool is_graph_output(std::string_view value_name) const;
  // dtype/shape of any value: input, constant, or inferred intermediate; nullopt if unknown.
  std::optional<ValueInfo> find_value_info(std::string_view value_name) const;

  // Orders `nodes` so that every value is produced before it is used. Fails, naming a node
  // on the cycle, if there is one; fails naming the value if an input is never produced.
  Status sort_topologically();

  // Number of parameters (elements of all constants) and their bytes.
  std::int64_t parameter_count() const;
  std::int64_t parameter_bytes() const;
};

}  // namespace edgeai
