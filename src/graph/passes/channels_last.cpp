// The layout pass: which activations the runtime keeps channels-last (graph/layout.hpp).
//
// 1. Every Conv, MaxPool and GlobalAveragePool on a rank-4 X that the caller's predicate picks
//    (the runtime picks those a channels-last kernel of this CPU runs) gets channels_last = 1,
//    a Transpose to channels-last in front of X and one back to channels-first after Y, so the
//    graph computes what it did.
// 2. The Transposes back to channels-first then move down through nodes that do not care about
//    the layout (unary elementwise ops, Add/Sub/Mul/Div whose other operand is a constant, a
//    scalar, an (N, C, 1, 1) value or itself a transposed value, Concat and Slice with their
//    axes remapped, and ShuffleNet's channel shuffle, rewritten for channels-last), and a
//    Transpose meeting its inverse disappears. What stays are Transposes where a channels-first node
//    reads a channels-last value: at the graph's input and output, and before layout-bound
//    nodes (Reshape, Flatten, ...). One of an (N, 1, 1, C) or (N, C, 1, 1) value moves no
//    bytes and becomes a Reshape, which the runtime runs as a view.
// Same results as before: the rewritten nodes compute exactly what they did (the reference
// kernel of a channels-last node is the channels-first one between two transposes), so the
// outputs are bitwise equal under the reference kernels.
#include <algorithm>
#include <cstring>
#include <map>
#include <set>
#include <string>

#include "graph/layout.hpp"
#include "graph/passes/passes.hpp"

namespace edgeai {
namespace {

const std::set<std::string, std::less<>>& unary_ops() {
  static const std::set<std::string, std::less<>> ops{"Relu", "Sigmoid", "Tanh", "HardSwish", "Neg", "Exp",
                                                      "Log", "Sqrt", "Reciprocal", "Erf", "Abs", "LeakyRelu",
                                                      "HardSigmoid", "Clip"};
  return ops;
}

const std::set<std::string, std::less<>>& binary_ops() {
  static const std::set<std::string, std::less<>> ops{"Add", "Sub", "Mul", "Div"};
  return ops;
}

bool is_transpose(const Node& node, const std::vector<std::int64_t>& perm) {
  return node.op_type == "Transpose" && node.inputs.size() == 1 && node.outputs.size() == 1 &&
         node.attr_ints("perm") == perm;
}

class LayoutPlanner {
 public:
  LayoutPlanner(Graph& graph, const ChannelsLastPredicate& picks) : graph_(graph), picks_(picks) {
    for (const ValueInfo& v : graph.inputs) names_.insert(v.name);
    for (const auto& [name, tensor] : graph.constants) names_.insert(name);
    for (const Node& node : graph.nodes) {
      names_.insert(node.name);
      for (const std::string& out : node.outputs) names_.insert(out);
    }
  }

  Result<int> run() {
    EDGEAI_RETURN_IF_ERROR(infer_shapes_partially(graph_).status());
    int converted = 0;
    const std::size_t original = graph_.nodes.size();
    for (std::size_t i = 0; i < original; ++i) {
      if (convert(i)) ++converted;
    }
    if (converted == 0) return 0;
    EDGEAI_RETURN_IF_ERROR(tidy());
    for (int round = 0; round < 1000; ++round) {
      bool changed = false;
      for (std::size_t i = 0; i < graph_.nodes.size(); ++i) changed = sink_through(i) || changed;
      changed = cancel_inverse_pairs() || changed;
      EDGEAI_RETURN_IF_ERROR(tidy());
      if (!changed) break;
    }
    views_for_unit_planes();
    EDGEAI_RETURN_IF_ERROR(tidy());
    return converted;
  }

 private:
  std::string fresh(const std::string& base) {
    std::string name = base;
    for (int k = 1; names_.count(name) != 0; ++k) name = base + "_" + std::to_string(k);
    names_.insert(name);
    return name;
  }

  std::optional<ValueInfo> info(const std::string& value) const { return graph_.find_value_info(value); }

  const Node* producer(const std::string& value) const {
    for (const Node& node : graph_.nodes) {
      for (const std::string& out : node.outputs) {
        if (out == value) return &node;
      }
    }
    return nullptr;
  }

  // The channels-last form of a channels-first value: the input of the Transpose that made it
  // channels-first, or a new Transpose (one per value).
  std::string channels_last_value(const std::string& value) {
    const Node* p = producer(value);
    if (p != nullptr && is_transpose(*p, kToChannelsFirst)) return p->inputs[0];
    auto it = channels_last_of_.find(value);
    if (it != channels_last_of_.end() && producer(it->second) != nullptr) return it->second;
    Node t;
    t.name = fresh(value + "/to_channels_last");
    t.op_type = "Transpose";
    t.inputs = {value};
    t.outputs = {fresh(value + "/channels_last")};
    t.attributes["perm"] = Attribute(kToChannelsLast);
    channels_last_of_[value] = t.outputs[0];
    graph_.nodes.push_back(t);
    return t.outputs[0];
  }

  // Renames output 0 of node `i` to a new channels-last value and adds the Transpose that
  // gives the old name its channels-first bytes.
  void transpose_output_back(std::size_t i) {
    const std::string out = graph_.nodes[i].outputs[0];
    const std::string last = fresh(out + "/channels_last");
    graph_.nodes[i].outputs[0] = last;
    Node t;
    t.name = fresh(out + "/to_channels_first");
    t.op_type = "Transpose";
    t.inputs = {last};
    t.outputs = {out};
    t.attributes["perm"] = Attribute(kToChannelsFirst);
    graph_.nodes.push_back(t);
  }

  bool convert(std::size_t i) {
    const Node& node = graph_.nodes[i];
    if (node.op_type != "Conv" && node.op_type != "MaxPool" && node.op_type != "GlobalAveragePool") return false;
    if (is_channels_last(node) || node.outputs.size() != 1 || !node.has_input(0)) return false;
    std::vector<ValueInfo> inputs;
    for (std::size_t k = 0; k < node.inputs.size(); ++k) {
      std::optional<ValueInfo> v = node.has_input(k) ? info(node.inputs[k]) : std::nullopt;
      inputs.push_back(v.value_or(ValueInfo{}));
    }
    if (inputs[0].shape.size() != 4 || !picks_(node, inputs)) return false;
    const std::string x = channels_last_value(node.inputs[0]);
    Node& n = graph_.nodes[i];
    n.inputs[0] = x;
    n.attributes[std::string(kChannelsLastAttr)] = Attribute(std::int64_t{1});
    transpose_output_back(i);
    return true;
  }

  // A constant of rank <= 4 broadcasting against a channels-first rank-4 value, as the constant
  // that broadcasts the same way against its channels-last form.
  std::string channels_last_constant(const std::string& name) {
    auto it = constant_last_of_.find(name);
    if (it != constant_last_of_.end() && graph_.is_constant(it->second)) return it->second;
    const Tensor& c = *graph_.find_constant(name);
    Shape s = c.shape();
    while (s.size() < 4) s.insert(s.begin(), 1);
    const Shape last = to_channels_last(s);
    Result<Tensor> out = Tensor::allocate(c.dtype(), last);
    if (!out.is_ok()) return {};
    const std::size_t es = dtype_size(c.dtype());
    const auto* src = static_cast<const std::uint8_t*>(c.raw_data());
    auto* dst = static_cast<std::uint8_t*>(out->raw_data());
    for (std::int64_t n = 0; n < s[0]; ++n) {
      for (std::int64_t ch = 0; ch < s[1]; ++ch) {
        for (std::int64_t p = 0; p < s[2] * s[3]; ++p) {
          std::memcpy(dst + ((n * s[2] * s[3] + p) * s[1] + ch) * es, src + ((n * s[1] + ch) * s[2] * s[3] + p) * es, es);
        }
      }
    }
    const std::string fresh_name = fresh(name + "/channels_last");
    graph_.constants.emplace(fresh_name, std::move(out).value());
    constant_last_of_[name] = fresh_name;
    return fresh_name;
  }

  // A (N, C, 1, 1) value as (N, 1, 1, C): the same bytes, so a Reshape.
  std::string unit_plane_as_channels_last(const std::string& value, const Shape& s) {
    auto it = channels_last_of_.find(value);
    if (it != channels_last_of_.end() && producer(it->second) != nullptr) return it->second;
    const std::string shape_name = fresh(value + "/channels_last_shape");
    graph_.constants.emplace(shape_name, Tensor::from_vector<std::int64_t>({4}, to_channels_last(s)));
    Node r;
    r.name = fresh(value + "/as_channels_last");
    r.op_type = "Reshape";
    r.inputs = {value, shape_name};
    r.outputs = {fresh(value + "/channels_last")};
    channels_last_of_[value] = r.outputs[0];
    graph_.nodes.push_back(r);
    return r.outputs[0];
  }

  bool is_transposed_value(const std::string& value) const {
    const Node* p = producer(value);
    return p != nullptr && is_transpose(*p, kToChannelsFirst);
  }

  static bool is_static_rank4(const std::optional<ValueInfo>& v) {
    return v.has_value() && v->shape.size() == 4 && is_static(v->shape);
  }

  // Moves the Transposes to channels-first feeding node `i` below it when the node does not
  // care about the layout. Returns whether it did.
  bool sink_through(std::size_t i) {
    const Node& node = graph_.nodes[i];
    if (node.outputs.size() != 1 || node.outputs[0].empty() || node.inputs.empty()) return false;
    if (node.op_type == "Slice") return sink_through_slice(i);
    if (node.op_type == "Reshape") return sink_through_channel_shuffle(i);
    const bool unary = unary_ops().count(node.op_type) != 0;
    const bool binary = binary_ops().count(node.op_type) != 0;
    const bool concat = node.op_type == "Concat";
    if (!unary && !binary && !concat) return false;
    const std::optional<ValueInfo> out = info(node.outputs[0]);
    if (!out.has_value() || out->shape.size() != 4) return false;
    bool any = false;
    std::vector<std::string> inputs = node.inputs;
    for (std::size_t k = 0; k < inputs.size(); ++k) {
      if (inputs[k].empty()) continue;
      const std::optional<ValueInfo> v = info(inputs[k]);
      if (!v.has_value()) return false;
      if (is_transposed_value(inputs[k])) {
        any = true;
        continue;
      }
      if (concat) return false;
      const std::optional<std::int64_t> count = element_count(v->shape);
      if (count.has_value() && *count == 1) continue;  // a scalar broadcasts in either layout
      if (unary) return false;                          // Clip's bounds are scalars; anything else stays
      if (graph_.is_constant(inputs[k]) && v->shape.size() <= 4) continue;
      if (is_static_rank4(v) && v->shape[2] == 1 && v->shape[3] == 1) continue;
      return false;
    }
    if (!any) return false;
    for (std::size_t k = 0; k < inputs.size(); ++k) {
      if (inputs[k].empty()) continue;
      const std::optional<ValueInfo> v = info(inputs[k]);
      if (is_transposed_value(inputs[k])) {
        inputs[k] = producer(inputs[k])->inputs[0];
        continue;
      }
      const std::optional<std::int64_t> count = element_count(v->shape);
      if (count.has_value() && *count == 1) continue;
      if (graph_.is_constant(inputs[k])) {
        inputs[k] = channels_last_constant(inputs[k]);
        if (inputs[k].empty()) return false;
        continue;
      }
      inputs[k] = unit_plane_as_channels_last(inputs[k], v->shape);
    }
    Node& n = graph_.nodes[i];
    n.inputs = inputs;
    if (concat) {
      std::int64_t axis = n.attr_int("axis", 1);
      if (axis < 0) axis += 4;
      static constexpr std::int64_t kAxisInChannelsLast[4] = {0, 3, 1, 2};
      n.attributes["axis"] = Attribute(kAxisInChannelsLast[axis]);
    }
    transpose_output_back(i);
    return true;
  }

  // An int64 constant's values, or nullopt.
  std::optional<std::vector<std::int64_t>> int64_values(const std::string& name) const {
    const Tensor* t = graph_.find_constant(name);
    if (t == nullptr || t->dtype() != DType::kInt64) return std::nullopt;
    return std::vector<std::int64_t>(t->data<std::int64_t>(), t->data<std::int64_t>() + t->num_elements());
  }

  std::string add_int64_constant(const std::string& base, const std::vector<std::int64_t>& values) {
    const std::string name = fresh(base);
    graph_.constants.emplace(name, Tensor::from_vector<std::int64_t>({static_cast<std::int64_t>(values.size())}, values));
    return name;
  }

  // Slice of a transposed value with constant axes: the same slice of the channels-last value
  // along the corresponding axes.
  bool sink_through_slice(std::size_t i) {
    const Node& node = graph_.nodes[i];
    if (!is_transposed_value(node.inputs[0]) || node.inputs.size() < 3) return false;
    const std::optional<ValueInfo> out = info(node.outputs[0]);
    if (!out.has_value() || out->shape.size() != 4) return false;
    std::optional<std::vector<std::int64_t>> starts = int64_values(node.inputs[1]);
    if (!starts.has_value()) return false;
    std::vector<std::int64_t> axes(starts->size());
    for (std::size_t k = 0; k < axes.size(); ++k) axes[k] = static_cast<std::int64_t>(k);
    if (node.has_input(3)) {
      std::optional<std::vector<std::int64_t>> given = int64_values(node.inputs[3]);
      if (!given.has_value()) return false;
      axes = *given;
    }
    static constexpr std::int64_t kAxisInChannelsLast[4] = {0, 3, 1, 2};
    for (std::int64_t& a : axes) {
      if (a < 0) a += 4;
      if (a < 0 || a > 3) return false;
      a = kAxisInChannelsLast[a];
    }
    const std::string source = producer(node.inputs[0])->inputs[0];
    const std::string axes_name = add_int64_constant(node.outputs[0] + "/channels_last_axes", axes);
    Node& n = graph_.nodes[i];
    n.inputs[0] = source;
    if (n.inputs.size() < 4) n.inputs.resize(4);
    n.inputs[3] = axes_name;
    transpose_output_back(i);
    return true;
  }

  // ShuffleNet's channel shuffle, Reshape (N, C, H, W) -> (N, g, C/g, H, W), Transpose
  // (0, 2, 1, 3, 4), Reshape back to (N, C, H, W), of a transposed value: the same shuffle of
  // the channels-last value, (N, H, W, g, C/g) -> (N, H, W, C/g, g) -> (N, H, W, C).
  bool sink_through_channel_shuffle(std::size_t i) {
    const Node& split = graph_.nodes[i];
    if (!is_transposed_value(split.inputs[0]) || split.inputs.size() != 2) return false;
    const std::optional<ValueInfo> in = info(split.inputs[0]);
    const std::optional<ValueInfo> grouped = info(split.outputs[0]);
    if (!is_static_rank4(in) || !grouped.has_value() || !is_static(grouped->shape) || grouped->shape.size() != 5) {
      return false;
    }
    const Shape& x = in->shape;
    const Shape& g = grouped->shape;
    if (g[0] != x[0] || g[1] * g[2] != x[1] || g[3] != x[2] || g[4] != x[3]) return false;
    const std::vector<std::size_t> swap_readers = readers(split.outputs[0]);
    if (swap_readers.size() != 1 || graph_.is_graph_output(split.outputs[0])) return false;
    const std::size_t t = swap_readers[0];
    if (!is_transpose(graph_.nodes[t], {0, 2, 1, 3, 4}) || graph_.is_graph_output(graph_.nodes[t].outputs[0])) return false;
    const std::vector<std::size_t> merge_readers = readers(graph_.nodes[t].outputs[0]);
    if (merge_readers.size() != 1) return false;
    const std::size_t merge = merge_readers[0];
    const std::optional<ValueInfo> merged = info(graph_.nodes[merge].outputs[0]);
    if (graph_.nodes[merge].op_type != "Reshape" || !merged.has_value() || merged->shape != x) return false;

    const std::string source = producer(split.inputs[0])->inputs[0];
    const std::string grouped_shape =
        add_int64_constant(split.outputs[0] + "/channels_last_shape", {x[0], x[2], x[3], g[1], g[2]});
    const std::string merged_shape =
        add_int64_constant(graph_.nodes[merge].outputs[0] + "/channels_last_shape", to_channels_last(x));
    graph_.nodes[i].inputs = {source, grouped_shape};
    graph_.nodes[t].attributes["perm"] = Attribute(std::vector<std::int64_t>{0, 1, 2, 4, 3});
    graph_.nodes[merge].inputs[1] = merged_shape;
    transpose_output_back(merge);
    return true;
  }

  std::vector<std::size_t> readers(const std::string& value) const {
    std::vector<std::size_t> out;
    for (std::size_t k = 0; k < graph_.nodes.size(); ++k) {
      for (const std::string& in : graph_.nodes[k].inputs) {
        if (in == value) {
          out.push_back(k);
          break;
        }
      }
    }
    return out;
  }

  // Readers of Transpose(Transpose(x, to first), to last) read x (and the other way round).
  bool cancel_inverse_pairs() {
    bool changed = false;
    std::map<std::string, std::string> replace;
    for (const Node& node : graph_.nodes) {
      const bool to_last = is_transpose(node, kToChannelsLast);
      if (!to_last && !is_transpose(node, kToChannelsFirst)) continue;
      const Node* p = producer(node.inputs[0]);
      if (p == nullptr || !is_transpose(*p, to_last ? kToChannelsFirst : kToChannelsLast)) continue;
      if (graph_.is_graph_output(node.outputs[0])) continue;
      replace[node.outputs[0]] = p->inputs[0];
    }
    for (Node& node : graph_.nodes) {
      for (std::string& in : node.inputs) {
        auto it = replace.find(in);
        if (it != replace.end()) {
          in = it->second;
          changed = true;
        }
      }
    }
    for (auto it = channels_last_of_.begin(); it != channels_last_of_.end();) {
      it = replace.count(it->second) != 0 ? channels_last_of_.erase(it) : std::next(it);
    }
    return changed;
  }

  // Transposes that move no bytes ((N, 1, 1, C) <-> (N, C, 1, 1)) become Reshapes (views).
  void views_for_unit_planes() {
    for (Node& node : graph_.nodes) {
      const bool to_last = is_transpose(node, kToChannelsLast);
      if (!to_last && !is_transpose(node, kToChannelsFirst)) continue;
      const std::optional<ValueInfo> out = info(node.outputs[0]);
      if (!is_static_rank4(out)) continue;
      const bool unit = to_last ? out->shape[1] == 1 && out->shape[2] == 1 : out->shape[2] == 1 && out->shape[3] == 1;
      if (!unit) continue;
      const std::string shape_name = fresh(node.outputs[0] + "/shape");
      graph_.constants.emplace(shape_name, Tensor::from_vector<std::int64_t>({4}, out->shape));
      node.op_type = "Reshape";
      node.attributes.clear();
      node.inputs.push_back(shape_name);
    }
  }

  Status tidy() {
    EDGEAI_RETURN_IF_ERROR(remove_dead_nodes(graph_).status());
    EDGEAI_RETURN_IF_ERROR(graph_.sort_topologically());
    return infer_shapes_partially(graph_).status();
  }

  Graph& graph_;
  const ChannelsLastPredicate& picks_;
  std::set<std::string> names_;
  std::map<std::string, std::string> channels_last_of_;
  std::map<std::string, std::string> constant_last_of_;
};

}  // namespace

Result<int> plan_channels_last(Graph& graph, const ChannelsLastPredicate& picks) {
  return LayoutPlanner(graph, picks).run();
}

}  // namespace edgeai
