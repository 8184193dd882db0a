#include "compress/prune.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <utility>

#include "graph/validate.hpp"

namespace edgeai {

std::string_view prune_scope_name(PruneScope scope) {
  switch (scope) {
    case PruneScope::kGlobal:
      return "global";
    case PruneScope::kPerLayer:
      return "layer";
  }
  return "?";
}

Result<PruneScope> parse_prune_scope(std::string_view name) {
  for (PruneScope s : {PruneScope::kGlobal, PruneScope::kPerLayer}) {
    if (name == prune_scope_name(s)) return s;
  }
  return invalid_argument("unknown pruning scope '", name,
                          "': use global (one threshold over all layers) or layer (the same sparsity in each)");
}

double PruneResult::sparsity() const {
  std::int64_t zeros = 0, weights = 0;
  for (const PrunedLayer& l : layers) zeros += l.zeros, weights += l.weights;
  return weights > 0 ? static_cast<double>(zeros) / static_cast<double>(weights) : 0.0;
}

double PruneResult::removed_fraction() const {
  std::int64_t before = 0, after = 0;
  for (const PrunedLayer& l : layers) before += l.original_weights, after += l.weights;
  return before > 0 ? 1.0 - static_cast<double>(after) / static_cast<double>(before) : 0.0;
}

namespace {

// floor(share * n), robust to the share's binary representation (0.29 * 100 is 28.999...).
std::int64_t share_of(double share, std::int64_t n) {
  return std::min<std::int64_t>(n, static_cast<std::int64_t>(std::floor(share * static_cast<double>(n) + 1e-6)));
}

std::string percent_text(double share) { return str_cat(100.0 * share); }

// The weight of a layer pruning works on: input 1 of Conv/Gemm/MatMul, a float32 constant.
const Tensor* prunable_weight(const Graph& graph, const Node& node) {
  if (node.op_type != "Conv" && node.op_type != "Gemm" && node.op_type != "MatMul") return nullptr;
  if (!node.has_input(1)) return nullptr;
  const Tensor* w = graph.find_constant(node.inputs[1]);
  if (w == nullptr || w->dtype() != DType::kFloat32 || w->num_elements() == 0) return nullptr;
  return w;
}

std::int64_t count_zeros(const Tensor& t) {
  return std::count(t.data<float>(), t.data<float>() + t.num_elements(), 0.0f);
}

// One row per prunable layer, figures from `pruned`; `original` gives the sizes before.
std::vector<PrunedLayer> describe_layers(const Graph& original, const Graph& pruned,
                                         const std::map<std::string, std::string>& notes) {
  std::vector<PrunedLayer> layers;
  std::map<std::string, std::size_t> index_of;  // validation may have reordered the nodes
  for (std::size_t i = 0; i < pruned.nodes.size(); ++i) index_of.emplace(pruned.nodes[i].name, i);
  for (std::size_t i = 0; i < original.nodes.size(); ++i) {
    const Node& before = original.nodes[i];
    const Tensor* w0 = prunable_weight(original, before);
    if (w0 == nullptr) continue;
    PrunedLayer l;
    l.node = before.name;
    l.op_type = before.op_type;
    l.original_weights = w0->num_elements();
    const bool is_conv = before.op_type == "Conv";
    if (is_conv) l.original_channels = w0->shape()[0];
    auto it = index_of.find(before.name);
    const Node* after = it != index_of.end() ? &pruned.nodes[it->second] : nullptr;
    const Tensor* w1 = after != nullptr ? prunable_weight(pruned, *after) : nullptr;
    if (w1 != nullptr) {
      l.weight = after->inputs[1];
      l.weights = w1->num_elements();
      l.zeros = count_zeros(*w1);
      if (is_conv) l.channels = w1->shape()[0];
    }
    auto note = notes.find(before.name);
    if (note != notes.end()) l.note = note->second;
    layers.push_back(std::move(l));
  }
  return layers;
}

// A copy of `t` (float32) without the indices `removed` (sorted, unique) along `axis`.
Tensor remove_along_axis(const Tensor& t, std::size_t axis, const std::vector<std::int64_t>& removed) {
  const Shape& shape = t.shape();
  std::int64_t outer = 1, inner = 1;
  for (std::size_t i = 0; i < axis; ++i) outer *= shape[i];
  for (std::size_t i = axis + 1; i < shape.size(); ++i) inner *= shape[i];
  const std::int64_t dim = shape[axis];
  std::vector<std::int64_t> kept;
  for (std::int64_t c = 0, r = 0; c < dim; ++c) {
    if (r < static_cast<std::int64_t>(removed.size()) && removed[static_cast<std::size_t>(r)] == c) {
      ++r;
    } else {
      kept.push_back(c);
    }
  }
  Shape out_shape = shape;
  out_shape[axis] = static_cast<std::int64_t>(kept.size());
  Tensor out = Tensor::allocate(DType::kFloat32, out_shape).value();
  const float* src = t.data<float>();
  float* dst = out.data<float>();
  for (std::int64_t o = 0; o < outer; ++o) {
    for (std::int64_t c : kept) {
      std::copy_n(src + (o * dim + c) * inner, inner, dst);
      dst += inner;
    }
  }
  return out;
}

// Channel c of a value becomes the `block` consecutive indices c * block ... c * block + block - 1
// downstream (a depthwise multiplier, or H*W columns after Flatten).
std::vector<std::int64_t> expand(const std::vector<std::int64_t>& channels, std::int64_t block) {
  std::vector<std::int64_t> out;
  out.reserve(channels.size() * static_cast<std::size_t>(block));
  for (std::int64_t c : channels) {
    for (std::int64_t j = 0; j < block; ++j) out.push_back(c * block + j);
  }
  return out;
}

void add_note(std::map<std::string, std::string>& notes, const std::string& node, const std::string& text) {
  std::string& note = notes[node];
  note = note.empty() ? text : note + "; " + text;
}

bool is_channelwise_unary(const std::string& op) {
  static const std::set<std::string> ops = {"Relu",      "LeakyRelu", "Clip",       "Sigmoid", "Tanh", "HardSigmoid",
                                            "HardSwish", "Identity",  "Dropout",    "Neg",     "Abs",  "Exp",
                                            "Log",       "Sqrt",      "Reciprocal", "Erf"};
  return ops.count(op) != 0;
}

bool is_channelwise_pool(const std::string& op) {
  return op == "MaxPool" || op == "AveragePool" || op == "GlobalAveragePool" || op == "GlobalMaxPool";
}

// The rewrite that removing some output channels of one Conv implies, collected before anything
// changes so a Conv whose channels reach something unhandled leaves the graph untouched.
struct ChannelPlan {
  struct Cut {
    std::string constant;
    std::size_t axis = 0;
    std::vector<std::int64_t> removed;
  };
  std::vector<Cut> cuts;
  std::vector<std::pair<std::size_t, std::int64_t>> groups;    // depthwise node index -> new group
  std::vector<std::pair<std::size_t, Tensor>> reshape_shapes;  // Reshape node index -> new shape
  std::map<std::string, std::string> notes;                    // node -> how it follows
};

class StructuredPlanner {
 public:
  explicit StructuredPlanner(const Graph& graph) : graph_(graph) {
    for (std::size_t i = 0; i < graph.nodes.size(); ++i) {
      const Node& n = graph.nodes[i];
      for (std::size_t slot = 0; slot < n.inputs.size(); ++slot) {
        if (n.inputs[slot].empty()) continue;
        uses_[n.inputs[slot]].emplace_back(i, slot);
      }
    }
  }

  // Plans the removal of `removed` (sorted) from the output channels of Conv `node_index`.
  // Returns the reason when it cannot be done, else an empty string.
  std::string plan(std::size_t node_index, const std::vector<std::int64_t>& removed, ChannelPlan& plan) {
    const Node& conv = graph_.nodes[node_index];
    const Tensor& w = *graph_.find_constant(conv.inputs[1]);
    const std::int64_t channels = w.shape()[0];
    owner_ = conv.name;
    if (std::string r = cut(plan, conv.inputs[1], 0, removed, channels); !r.empty()) return r;
    if (conv.has_input(2)) {
      if (std::string r = cut(plan, conv.inputs[2], 0, removed, channels); !r.empty()) return r;
    }
    return trace(conv.outputs[0], channels, removed, plan);
  }

 private:
  // Plans removing `removed` along `axis` of constant `name`, whose size there must be `dim`.
  std::string cut(ChannelPlan& plan, const std::string& name, std::size_t axis,
                  const std::vector<std::int64_t>& removed, std::int64_t dim) {
    const Tensor* t = graph_.find_constant(name);
    if (t == nullptr || t->dtype() != DType::kFloat32) return str_cat("'", name, "' is not a float32 constant");
    if (axis >= t->shape().size() || t->shape()[axis] != dim) {
      return str_cat("'", name, "' ", shape_to_string(t->shape()), " does not have ", dim, " entries on axis ", axis);
    }
    auto it = uses_.find(name);
    const std::size_t readers = it == uses_.end() ? 0 : it->second.size();
    if (readers != 1 || graph_.is_graph_output(name)) return str_cat("its weight '", name, "' is shared");
    plan.cuts.push_back({name, axis, removed});
    return {};
  }

  std::string reaches_output(const std::string& value) const {
    return graph_.is_graph_output(value) ? str_cat("its channels reach the graph output '", value, "'") : std::string();
  }

  std::optional<Shape> static_shape(const std::string& value) const {
    std::optional<ValueInfo> info = graph_.find_value_info(value);
    if (!info) return std::nullopt;
    for (std::size_t i = 1; i < info->shape.size(); ++i) {
      if (info->shape[i] < 0) return std::nullopt;
    }
    return info->shape;
  }

  // Follows `value` ([N, channels, ...], losing `removed`) to every reader.
  std::string trace(const std::string& value, std::int64_t channels, const std::vector<std::int64_t>& removed,
                    ChannelPlan& plan) {
    if (std::string r = reaches_output(value); !r.empty()) return r;
    auto it = uses_.find(value);
    if (it == uses_.end()) return {};
    for (const auto& [index, slot] : it->second) {
      const Node& n = graph_.nodes[index];
      if (slot != 0) return str_cat("its channels reach input ", slot, " of ", n.describe());
      const std::string& op = n.op_type;
      if ((is_channelwise_unary(op) || is_channelwise_pool(op) || op == "BatchNormalization") &&
          n.outputs.size() != 1) {
        return str_cat("its channels reach ", n.describe(), " with ", n.outputs.size(), " outputs");
      }
      if (is_channelwise_unary(op) || is_channelwise_pool(op)) {
        if (op == "Clip") {
          for (std::size_t i = 1; i < n.inputs.size(); ++i) {
            const Tensor* bound = n.has_input(i) ? graph_.find_constant(n.inputs[i]) : nullptr;
            if (n.has_input(i) && (bound == nullptr || bound->num_elements() != 1)) {
              return str_cat("its channels reach ", n.describe(), " whose bounds are not constant scalars");
            }
          }
        }
        if (std::string r = trace(n.outputs[0], channels, removed, plan); !r.empty()) return r;
      } else if (op == "BatchNormalization") {
        for (std::size_t i = 1; i < 5; ++i) {
          if (std::string r = cut(plan, n.inputs[i], 0, removed, channels); !r.empty()) {
            return str_cat(n.describe(), ": ", r);
          }
        }
        if (std::string r = trace(n.outputs[0], channels, removed, plan); !r.empty()) return r;
      } else if (op == "Conv") {
        if (std::string r = follow_conv(index, channels, removed, plan); !r.empty()) return r;
      } else if (op == "Flatten" || op == "Reshape") {
        if (std::string r = follow_flatten(index, channels, removed, plan); !r.empty()) return r;
      } else {
        return str_cat("its channels reach ", n.describe(), ", which structured pruning does not rewrite");
      }
    }
    return {};
  }

  std::string follow_conv(std::size_t index, std::int64_t channels, const std::vector<std::int64_t>& removed,
                          ChannelPlan& plan) {
    const Node& n = graph_.nodes[index];
    const Tensor* w = n.has_input(1) ? graph_.find_constant(n.inputs[1]) : nullptr;
    if (w == nullptr || w->shape().size() < 3)
      return str_cat("its channels reach ", n.describe(), " without a constant weight");
    const std::int64_t group = n.attr_int("group", 1);
    if (group == 1) {
      if (std::string r = cut(plan, n.inputs[1], 1, removed, channels); !r.empty())
        return str_cat(n.describe(), ": ", r);
      plan.notes[n.name] = str_cat("input channels follow '", owner_, "'");
      return {};
    }
    if (group != channels || w->shape()[1] != 1) {
      return str_cat("its channels reach the grouped ", n.describe(), " (group ", group, ")");
    }
    // Depthwise: input channel c has its own multiplier filters c * m ... c * m + m - 1.
    const std::int64_t multiplier = w->shape()[0] / channels;
    const std::vector<std::int64_t> removed_out = expand(removed, multiplier);
    if (std::string r = cut(plan, n.inputs[1], 0, removed_out, channels * multiplier); !r.empty()) {
      return str_cat(n.describe(), ": ", r);
    }
    if (n.has_input(2)) {
      if (std::string r = cut(plan, n.inputs[2], 0, removed_out, channels * multiplier); !r.empty()) {
        return str_cat(n.describe(), ": ", r);
      }
    }
    plan.groups.emplace_back(index, channels - static_cast<std::int64_t>(removed.size()));
    plan.notes[n.name] = str_cat("depthwise: filters follow '", owner_, "'");
    return trace(n.outputs[0], channels * multiplier, removed_out, plan);
  }

  // Flatten(axis 1) of [N, C, d...], or a Reshape provably the same: column c * prod(d) + j.
  std::string follow_flatten(std::size_t index, std::int64_t channels, const std::vector<std::int64_t>& removed,
                             ChannelPlan& plan) {
    const Node& n = graph_.nodes[index];
    const std::optional<Shape> in = static_shape(n.inputs[0]);
    if (!in || in->size() < 2) return str_cat("its channels reach ", n.describe(), " with an input of unknown shape");
    std::int64_t inner = 1;
    for (std::size_t i = 2; i < in->size(); ++i) inner *= (*in)[i];
    const std::int64_t columns = channels * inner;
    if (n.op_type == "Flatten") {
      std::int64_t axis = n.attr_int("axis", 1);
      if (axis < 0) axis += static_cast<std::int64_t>(in->size());
      if (axis != 1) return str_cat("its channels reach ", n.describe(), " with axis ", axis, " (only 1 is rewritten)");
    } else {
      // Reshape [N, C, d...] -> [N, C * prod(d)], shown by the inferred output shape and a
      // constant target whose second entry is that count (rewritten) or -1.
      const std::optional<ValueInfo> out = graph_.find_value_info(n.outputs[0]);
      const Tensor* target = n.has_input(1) ? graph_.find_constant(n.inputs[1]) : nullptr;
      const bool flattens = out && out->shape.size() == 2 && out->shape[0] == (*in)[0] && out->shape[1] == columns &&
                            target != nullptr && target->dtype() == DType::kInt64 && target->num_elements() == 2 &&
                            (target->data<std::int64_t>()[1] == columns || target->data<std::int64_t>()[1] == -1);
      if (!flattens) {
        return str_cat("its channels reach ", n.describe(), ", not provably a flatten to [N, C*H*W]");
      }
      std::vector<std::int64_t> shape(target->data<std::int64_t>(), target->data<std::int64_t>() + 2);
      if (shape[1] == columns) shape[1] = (channels - static_cast<std::int64_t>(removed.size())) * inner;
      plan.reshape_shapes.emplace_back(index, Tensor::from_vector<std::int64_t>(Shape{2}, shape));
    }
    const std::string& flat = n.outputs[0];
    if (std::string r = reaches_output(flat); !r.empty()) return r;
    auto it = uses_.find(flat);
    if (it == uses_.end()) return {};
    const std::vector<std::int64_t> removed_columns = expand(removed, inner);
    for (const auto& [reader_index, slot] : it->second) {
      const Node& r = graph_.nodes[reader_index];
      const Tensor* b = r.has_input(1) ? graph_.find_constant(r.inputs[1]) : nullptr;
      const bool is_gemm = r.op_type == "Gemm" && r.attr_int("transA", 0) == 0;
      if (slot != 0 || !(is_gemm || r.op_type == "MatMul") || b == nullptr || b->shape().size() != 2) {
        return str_cat("its flattened channels reach ", r.describe(), ", which structured pruning does not rewrite");
      }
      // B is [K, N] (MatMul, Gemm transB = 0) or [N, K] (Gemm transB = 1): K loses the columns.
      const std::size_t axis = is_gemm && r.attr_int("transB", 0) != 0 ? 1 : 0;
      if (std::string e = cut(plan, r.inputs[1], axis, removed_columns, columns); !e.empty()) {
        return str_cat(r.describe(), ": ", e);
      }
      plan.notes[r.name] = str_cat("input columns follow '", owner_, "'");
    }
    return {};
  }

  const Graph& graph_;
  std::map<std::string, std::vector<std::pair<std::size_t, std::size_t>>> uses_;  // value -> (node, input slot)
  std::string owner_;  // the Conv being planned, for the notes
};

}  // namespace

Result<PruneResult> prune_unstructured(const Graph& graph, double sparsity, PruneScope scope,
                                       const std::set<std::string>& keep) {
  if (!(sparsity >= 0.0 && sparsity < 1.0)) {
    return invalid_argument("the pruning sparsity must lie in [0, 1), got ", sparsity);
  }
  PruneResult result;
  result.graph = graph;
  Graph& g = result.graph;
  result.description = str_cat("unstructured ", percent_text(sparsity), " % (",
                               scope == PruneScope::kGlobal ? "global" : "per layer", ")");

  // The weights to prune, once each, in node order; a weight a kept layer reads stays whole.
  std::map<std::string, std::string> notes;
  std::set<std::string> kept_weights;
  for (const Node& n : g.nodes) {
    if (prunable_weight(g, n) != nullptr && keep.count(n.name) != 0) {
      kept_weights.insert(n.inputs[1]);
      notes[n.name] = "kept dense by request";
    }
  }
  std::vector<std::string> targets;
  std::map<std::string, std::string> first_reader;
  for (const Node& n : g.nodes) {
    if (prunable_weight(g, n) == nullptr || kept_weights.count(n.inputs[1]) != 0) continue;
    auto [it, inserted] = first_reader.emplace(n.inputs[1], n.name);
    if (inserted) {
      targets.push_back(n.inputs[1]);
    } else {
      notes[n.name] = str_cat("shares its weight with '", it->second, "'");
    }
  }

  // Sort keys: the bits of |w| (ordered like the values, as non-negative floats), then the
  // position, so equal magnitudes go in index order.
  const auto key = [](float w, std::uint64_t position) {
    return (static_cast<std::uint64_t>(std::bit_cast<std::uint32_t>(std::fabs(w))) << 32) | position;
  };
  std::vector<std::vector<std::int64_t>> chosen(targets.size());  // indices to zero, per target
  if (scope == PruneScope::kPerLayer) {
    for (std::size_t t = 0; t < targets.size(); ++t) {
      const Tensor& w = g.constants.at(targets[t]);
      const std::int64_t n = w.num_elements();
      if (n > std::numeric_limits<std::uint32_t>::max())
        return unsupported("weight '", targets[t], "' is too large to prune");
      const std::int64_t k = share_of(sparsity, n);
      std::vector<std::uint64_t> keys(static_cast<std::size_t>(n));
      for (std::int64_t i = 0; i < n; ++i)
        keys[static_cast<std::size_t>(i)] = key(w.data<float>()[i], static_cast<std::uint64_t>(i));
      std::nth_element(keys.begin(), keys.begin() + k, keys.end());
      for (std::int64_t i = 0; i < k; ++i)
        chosen[t].push_back(static_cast<std::int64_t>(keys[static_cast<std::size_t>(i)] & 0xffffffffu));
    }
  } else {
    std::vector<std::int64_t> offsets{0};  // first global position of each target
    for (const std::string& name : targets) offsets.push_back(offsets.back() + g.constants.at(name).num_elements());
    const std::int64_t total = offsets.back();
    if (total > std::numeric_limits<std::uint32_t>::max())
      return unsupported("the model has too many weights to prune");
    std::vector<std::uint64_t> keys;
    keys.reserve(static_cast<std::size_t>(total));
    for (std::size_t t = 0; t < targets.size(); ++t) {
      const Tensor& w = g.constants.at(targets[t]);
      for (std::int64_t i = 0; i < w.num_elements(); ++i) {
        keys.push_back(key(w.data<float>()[i], static_cast<std::uint64_t>(offsets[t] + i)));
      }
    }
    std::sort(keys.begin(), keys.end());
    // The smallest magnitudes overall, skipping those of a layer that reached its cap.
    std::int64_t wanted = share_of(sparsity, total);
    std::vector<std::int64_t> caps;
    for (std::size_t t = 0; t < targets.size(); ++t)
      caps.push_back(share_of(kMaxLayerSparsity, offsets[t + 1] - offsets[t]));
    for (std::size_t i = 0; i < keys.size() && wanted > 0; ++i) {
      const std::int64_t position = static_cast<std::int64_t>(keys[i] & 0xffffffffu);
      const std::size_t t =
          static_cast<std::size_t>(std::upper_bound(offsets.begin(), offsets.end(), position) - offsets.begin() - 1);
      if (static_cast<std::int64_t>(chosen[t].size()) >= caps[t]) continue;
      chosen[t].push_back(position - offsets[t]);
      --wanted;
    }
    for (std::size_t t = 0; t < targets.size(); ++t) {
      if (static_cast<std::int64_t>(chosen[t].size()) == caps[t] && caps[t] > 0) {
        notes[first_reader[targets[t]]] = str_cat("capped at ", percent_text(kMaxLayerSparsity), " %");
      }
    }
  }

  for (std::size_t t = 0; t < targets.size(); ++t) {
    const Tensor& w = g.constants.at(targets[t]);
    // A copy: a bundle's constants are read-only mapped pages.
    EDGEAI_ASSIGN_OR_RETURN(Tensor pruned, Tensor::copy_of(w.view()));
    EDGEAI_ASSIGN_OR_RETURN(Tensor mask, Tensor::allocate(DType::kUInt8, w.shape()));
    std::fill_n(mask.data<std::uint8_t>(), mask.num_elements(), std::uint8_t{1});
    for (std::int64_t i : chosen[t]) {
      pruned.data<float>()[i] = 0.0f;
      mask.data<std::uint8_t>()[i] = 0;
    }
    g.constants[targets[t]] = std::move(pruned);
    result.masks[targets[t]] = std::move(mask);
  }
  g.value_info.clear();
  EDGEAI_RETURN_IF_ERROR(validate_graph(g).with_context("the pruned graph"));
  result.layers = describe_layers(graph, g, notes);
  return result;
}

Result<PruneResult> prune_structured(const Graph& graph, double fraction, const std::set<std::string>& keep) {
  if (!(fraction >= 0.0 && fraction < 1.0)) {
    return invalid_argument("the share of filters to prune must lie in [0, 1), got ", fraction);
  }
  // Shapes of every value, for Flatten/Reshape.
  Graph source = graph;
  EDGEAI_RETURN_IF_ERROR(validate_graph(source).with_context("structured pruning"));
  StructuredPlanner planner(source);
  std::map<std::string, std::string> notes;
  std::vector<ChannelPlan> accepted;
  for (std::size_t i = 0; i < source.nodes.size(); ++i) {
    const Node& n = source.nodes[i];
    const Tensor* w = prunable_weight(source, n);
    if (w == nullptr || n.op_type != "Conv") continue;
    if (keep.count(n.name) != 0) {
      add_note(notes, n.name, "kept whole by request");
      continue;
    }
    if (n.attr_int("group", 1) != 1) {
      if (notes.count(n.name) == 0)
        add_note(notes, n.name, "grouped: not pruned itself (its channels follow its input)");
      continue;
    }
    if (w->shape().size() < 3) continue;
    const std::int64_t channels = w->shape()[0];
    const std::int64_t count = std::min<std::int64_t>(channels - 1, share_of(fraction, channels));
    if (count <= 0) {
      add_note(notes, n.name,
               str_cat("no filter to remove: ", percent_text(fraction), " % of ", channels, " rounds to 0"));
      continue;
    }
    // L2 norm of each filter (W[m, ...]); the `count` smallest go, lower index first on ties.
    const std::int64_t per_filter = w->num_elements() / channels;
    std::vector<std::pair<double, std::int64_t>> norms;
    for (std::int64_t m = 0; m < channels; ++m) {
      double sum = 0.0;
      for (std::int64_t j = 0; j < per_filter; ++j) {
        const double v = w->data<float>()[m * per_filter + j];
        sum += v * v;
      }
      norms.emplace_back(std::sqrt(sum), m);
    }
    std::sort(norms.begin(), norms.end());
    std::vector<std::int64_t> removed;
    for (std::int64_t j = 0; j < count; ++j) removed.push_back(norms[static_cast<std::size_t>(j)].second);
    std::sort(removed.begin(), removed.end());
    ChannelPlan plan;
    if (std::string reason = planner.plan(i, removed, plan); !reason.empty()) {
      add_note(notes, n.name, "not pruned: " + reason);
      continue;
    }
    add_note(notes, n.name, str_cat("removed ", count, " of ", channels, " filters"));
    for (const auto& [name, note] : plan.notes) add_note(notes, name, note);
    accepted.push_back(std::move(plan));
  }

  PruneResult result;
  result.description = str_cat("structured ", percent_text(fraction), " % of Conv filters");
  result.graph = source;  // the node indices of the plans are those of the validated (sorted) copy
  Graph& g = result.graph;
  std::set<std::pair<std::string, std::size_t>> done;
  std::set<std::string> names;
  for (const auto& [name, t] : g.constants) names.insert(name);
  for (const Node& n : g.nodes) {
    names.insert(n.name);
    for (const std::string& o : n.outputs) names.insert(o);
  }
  for (ChannelPlan& plan : accepted) {
    for (const ChannelPlan::Cut& c : plan.cuts) {
      if (!done.emplace(c.constant, c.axis).second) {
        return internal_error("structured pruning: axis ", c.axis, " of '", c.constant, "' planned twice");
      }
      g.constants[c.constant] = remove_along_axis(g.constants.at(c.constant), c.axis, c.removed);
    }
    for (const auto& [index, group] : plan.groups) g.nodes[index].attributes["group"] = Attribute(group);
    for (auto& [index, shape] : plan.reshape_shapes) {
      Node& reshape = g.nodes[index];
      std::string name = reshape.inputs[1] + "_pruned";
      for (int k = 1; names.count(name) != 0; ++k) name = str_cat(reshape.inputs[1], "_pruned_", k);
      names.insert(name);
      const std::string old = reshape.inputs[1];
      g.constants[name] = std::move(shape);
      reshape.inputs[1] = name;
      const bool still_read = g.is_graph_output(old) || std::any_of(g.nodes.begin(), g.nodes.end(), [&](const Node& n) {
                                return std::count(n.inputs.begin(), n.inputs.end(), old) > 0;
                              });
      if (!still_read) g.constants.erase(old);
    }
  }
  g.value_info.clear();
  EDGEAI_RETURN_IF_ERROR(validate_graph(g).with_context("the pruned graph"));
  result.layers = describe_layers(graph, g, notes);
  return result;
}

Status apply_prune_masks(Graph& graph, const std::map<std::string, Tensor>& masks) {
  for (const auto& [name, mask] : masks) {
    auto it = graph.constants.find(name);
    if (it == graph.constants.end()) return not_found("pruning mask for '", name, "': the graph has no such constant");
    const Tensor& w = it->second;
    if (w.dtype() != DType::kFloat32 || w.shape() != mask.shape() || mask.dtype() != DType::kUInt8) {
      return invalid_argument("pruning mask for '", name, "': ", dtype_name(mask.dtype()), " ",
                              shape_to_string(mask.shape()), " does not fit the weight ", dtype_name(w.dtype()), " ",
                              shape_to_string(w.shape()));
    }
    EDGEAI_ASSIGN_OR_RETURN(Tensor masked, Tensor::copy_of(w.view()));
    for (std::int64_t i = 0; i < masked.num_elements(); ++i) {
      if (mask.data<std::uint8_t>()[i] == 0) masked.data<float>()[i] = 0.0f;
    }
    it->second = std::move(masked);
  }
  return Status::ok();
}

Result<PruneResult> prune_graph(const Graph& graph, const PruneOptions& options) {
  PruneResult result;
  if (options.structured) {
    EDGEAI_ASSIGN_OR_RETURN(result, prune_structured(graph, options.amount, options.keep));
  } else {
    EDGEAI_ASSIGN_OR_RETURN(result, prune_unstructured(graph, options.amount, options.scope, options.keep));
  }
  if (!options.fine_tune) return result;
  EDGEAI_ASSIGN_OR_RETURN(Graph tuned, options.fine_tune(result.graph, result.masks));
  EDGEAI_RETURN_IF_ERROR(apply_prune_masks(tuned, result.masks).with_context("after fine-tuning"));
  tuned.value_info.clear();
  EDGEAI_RETURN_IF_ERROR(validate_graph(tuned).with_context("the fine-tuned pruned graph"));
  // The figures again, from the fine-tuned weights (notes and sizes before are kept).
  for (PrunedLayer& l : result.layers) {
    const Tensor* w = l.weight.empty() ? nullptr : tuned.find_constant(l.weight);
    if (w == nullptr || w->dtype() != DType::kFloat32) continue;
    l.weights = w->num_elements();
    l.zeros = count_zeros(*w);
  }
  result.graph = std::move(tuned);
  result.description += ", fine-tuned";
  return result;
}

}  // namespace edgeai
