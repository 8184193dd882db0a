#include "runtime/session.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <limits>
#include <map>
#include <unordered_map>

#include "graph/op_schema.hpp"
#include "graph/passes/passes.hpp"
#include "graph/validate.hpp"
#include "kernels/registry.hpp"
#include "runtime/memory_planner.hpp"
#include "runtime/node_evaluator.hpp"

namespace edgeai {

struct Session::Step {
  const Node* node = nullptr;
  std::unique_ptr<Kernel> kernel;
  std::string implementation;
  Aliasing aliasing = Aliasing::kNone;
  std::vector<TensorView> inputs;
  std::vector<TensorView> outputs;
  void* scratch = nullptr;
};

namespace {

// Where the bytes of a value live during a run.
struct ValueSlot {
  enum class Kind { kGraphInput, kConstant, kArena } kind = Kind::kArena;
  ValueInfo info;
  std::size_t graph_input = 0;       // kGraphInput
  const Tensor* constant = nullptr;  // kConstant
  int buffer = -1;                   // kArena: index into the buffer requests
  std::size_t offset = 0;            // kArena: bytes into the buffer (a slice of a Concat's output)
};

// Concat along the last axis, copying nothing: each input's producer writes its rows into
// the Concat's output at a row stride (Kernel::set_output_row_stride) when its kernel can.
// Only inputs that the Concat alone reads, so nothing else sees the strided rows; the
// optimised Concat kernel skips the inputs it finds in place.
struct ConcatSlices {
  int concat_step = -1;
  std::int64_t row_elements = 0;  // the output's last dimension: the producers' row stride
  int buffer = -1;                // the output's buffer, from the first producer that writes in place
};
struct ConcatSlice {
  int group = -1;          // index into the ConcatSlices
  std::size_t offset = 0;  // bytes of the row before this input's block
};

// For each step whose output 0 may be a slice of a Concat, where.
std::unordered_map<int, ConcatSlice> find_concat_slices(const Graph& graph, std::vector<ConcatSlices>& groups) {
  std::unordered_map<int, ConcatSlice> slices;
  std::unordered_map<std::string, int> producer, readers;
  for (int step = 0; step < static_cast<int>(graph.nodes.size()); ++step) {
    const Node& node = graph.nodes[static_cast<std::size_t>(step)];
    for (const std::string& in : node.inputs) {
      if (!in.empty()) ++readers[in];
    }
    if (!node.outputs.empty() && !node.outputs[0].empty()) producer[node.outputs[0]] = step;
  }
  for (const ValueInfo& out : graph.outputs) readers[out.name] += 2;  // never a slice
  for (int step = 0; step < static_cast<int>(graph.nodes.size()); ++step) {
    const Node& node = graph.nodes[static_cast<std::size_t>(step)];
    if (node.op_type != "Concat" || node.outputs.empty()) continue;
    auto info = graph.value_info.find(node.outputs[0]);
    if (info == graph.value_info.end() || info->second.shape.empty()) continue;
    const Shape& shape = info->second.shape;
    const std::int64_t rank = static_cast<std::int64_t>(shape.size());
    if (normalize_axis(node.attr_int("axis", 0), rank) != rank - 1 || !is_static(shape)) continue;
    std::vector<std::pair<int, std::size_t>> found;
    std::size_t offset = 0;
    bool known = true;
    for (std::size_t k = 0; k < node.inputs.size() && known; ++k) {
      const std::string& in = node.inputs[k];
      auto in_info = in.empty() ? graph.value_info.end() : graph.value_info.find(in);
      known = in_info != graph.value_info.end() && in_info->second.shape.size() == shape.size();
      if (!known) break;
      // A slice: produced by a node (not a Concat, which writes densely) for this Concat alone.
      auto p = producer.find(in);
      if (p != producer.end() && readers[in] == 1 && slices.count(p->second) == 0 &&
          graph.nodes[static_cast<std::size_t>(p->second)].op_type != "Concat") {
        found.emplace_back(p->second, offset);
      }
      offset += static_cast<std::size_t>(in_info->second.shape.back()) * dtype_size(info->second.dtype);
    }
    if (!known || found.empty()) continue;
    groups.push_back(ConcatSlices{step, shape.back(), -1});
    for (const auto& [producer_step, at] : found) {
      slices[producer_step] = ConcatSlice{static_cast<int>(groups.size()) - 1, at};
    }
  }
  return slices;
}

// Graph inputs whose values decide shapes: those feeding a node at one of its schema's
// shape_value_inputs.
std::vector<bool> find_shape_value_inputs(const Graph& graph) {
  std::vector<bool> result(graph.inputs.size(), false);
  for (const Node& node : graph.nodes) {
    const OpSchema* schema = OpSchemaRegistry::builtin().find(node.op_type);
    if (schema == nullptr) continue;
    for (int k : schema->shape_value_inputs) {
      if (!node.has_input(static_cast<std::size_t>(k))) continue;
      for (std::size_t i = 0; i < graph.inputs.size(); ++i) {
        if (graph.inputs[i].name == node.inputs[k]) result[i] = true;
      }
    }
  }
  return result;
}

// The layout pass makes a node channels-last when one of this CPU's kernels runs it so.
ChannelsLastPredicate channels_last_predicate(const Graph& graph, KernelSelection selection) {
  return [&graph, selection](const Node& node, const std::vector<ValueInfo>& inputs) {
    std::vector<const Tensor*> values;
    for (const std::string& in : node.inputs) values.push_back(in.empty() ? nullptr : graph.find_constant(in));
    for (const KernelImplementation* k : KernelRegistry::builtin().candidates(node.op_type, selection)) {
      if (k->runs_channels_last != nullptr && k->runs_channels_last(node, inputs, values)) return true;
    }
    return false;
  };
}

}  // namespace

Session::Session(Graph graph, SessionOptions options)
    : graph_(std::move(graph)), options_(options), threads_(std::make_unique<ThreadPool>(options.threads)) {
  declared_inputs_ = graph_.inputs;
  declared_outputs_ = graph_.outputs;
}

Session::~Session() = default;

Result<std::unique_ptr<Session>> Session::create(Bundle bundle, SessionOptions options) {
  return create(std::move(bundle.graph), options);
}

Result<std::unique_ptr<Session>> Session::create(Graph graph, SessionOptions options) {
  if (options.threads < 1) return invalid_argument("threads must be at least 1, got ", options.threads);
  KernelSelection selection = KernelSelection::kAuto;
  if (options.kernels.has_value()) {
    selection = *options.kernels;
  } else {
    EDGEAI_ASSIGN_OR_RETURN(selection, kernel_selection_from_environment());
  }
  // Structural checks now (unknown operator, attribute types, dangling inputs, cycles);
  // shapes are checked when the plan is made.
  for (const Node& node : graph.nodes) {
    const OpSchema* schema = OpSchemaRegistry::builtin().find(node.op_type);
    if (schema == nullptr) return unsupported("operator ", node.op_type, " (node '", node.name, "') is not supported");
    EDGEAI_RETURN_IF_ERROR(check_node(node, *schema));
    if (!KernelRegistry::builtin().has(node.op_type)) {
      return unsupported("no kernel for operator ", node.op_type, " (node '", node.name, "')");
    }
  }
  EDGEAI_RETURN_IF_ERROR(graph.sort_topologically());
  // Nodes that only read constants run once, here: weight decoders of compressed bundles
  // (DequantizeInt4, Cast from float16) and anything an exporter left unfolded.
  EDGEAI_RETURN_IF_ERROR(fold_constants(graph, evaluate_node).with_context("computing constant nodes at load"));
  // x * Sigmoid(x) and x * HardSigmoid(x) as one epilogue (exact; saves two passes over the tensor).
  if (Result<int> fused = fuse_gated_activations(graph); !fused.is_ok()) {
    return fused.status().with_context("fusing gated activations");
  }
  int channels_last_nodes = 0;
  if (options.plan_layout && selection == KernelSelection::kAuto) {
    Result<int> planned = plan_channels_last(graph, channels_last_predicate(graph, selection));
    if (!planned.is_ok()) return planned.status().with_context("planning the activation layout");
    channels_last_nodes = *planned;
  }
  std::unique_ptr<Session> session(new Session(std::move(graph), options));
  session->selection_ = selection;
  session->channels_last_nodes_ = channels_last_nodes;
  // Plan now when every input shape is static and nothing depends on input values.
  session->shape_value_inputs_ = find_shape_value_inputs(session->graph_);
  bool all_static = true;
  for (std::size_t i = 0; i < session->declared_inputs_.size(); ++i) {
    all_static = all_static && is_static(session->declared_inputs_[i].shape) && !session->shape_value_inputs_[i];
  }
  if (all_static) {
    std::vector<TensorView> views;
    for (const ValueInfo& in : session->declared_inputs_) {
      views.push_back(TensorView{in.dtype, in.shape, nullptr});
    }
    EDGEAI_RETURN_IF_ERROR(session->plan(views));
  }
  return session;
}

Status Session::check_inputs(std::span<const TensorView> inputs, bool* needs_plan) const {
  if (inputs.size() != declared_inputs_.size()) {
    return invalid_argument("the model takes ", declared_inputs_.size(), " input(s), got ", inputs.size());
  }
  *needs_plan = !planned_;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const ValueInfo& want = declared_inputs_[i];
    const TensorView& got = inputs[i];
    if (got.dtype != want.dtype) {
      return invalid_argument("input '", want.name, "': expected dtype ", dtype_name(want.dtype), ", got ",
                              dtype_name(got.dtype));
    }
    bool shape_ok = want.shape.size() == got.shape.size();
    for (std::size_t d = 0; shape_ok && d < want.shape.size(); ++d) {
      shape_ok = got.shape[d] >= 0 && (want.shape[d] < 0 || want.shape[d] == got.shape[d]);
    }
    if (!shape_ok) {
      return invalid_argument("input '", want.name, "': expected shape ", shape_to_string(want.shape), ", got ",
                              shape_to_string(got.shape));
    }
    if (got.data == nullptr && got.num_elements() > 0) {
      return invalid_argument("input '", want.name, "': no data");
    }
    if (planned_ && got.shape != planned_input_shapes_[i]) *needs_plan = true;
    if (planned_ && shape_value_inputs_[i] &&
        (got.size_bytes() != planned_input_values_[i].size() ||
         std::memcmp(planned_input_values_[i].data(), got.data, got.size_bytes()) != 0)) {
      *needs_plan = true;
    }
  }
  return Status::ok();
}

Status Session::plan(std::span<const TensorView> inputs) {
  planned_ = false;
  steps_.clear();
  input_bindings_.clear();
  output_views_.clear();
  profile_.clear();
  summary_ = PlanSummary{};
  summary_.channels_last_nodes = channels_last_nodes_;

  // 1. Concrete input shapes; values of small integer inputs (shapes, axes fed as inputs)
  //    are known to shape inference, and a change of them re-plans.
  std::map<std::string, const Tensor*> known_values;
  std::vector<Tensor> wrapped_inputs(inputs.size());
  planned_input_shapes_.assign(inputs.size(), Shape{});
  graph_.outputs = declared_outputs_;
  planned_input_values_.assign(inputs.size(), {});
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    graph_.inputs[i].shape = inputs[i].shape;
    planned_input_shapes_[i] = inputs[i].shape;
    if (shape_value_inputs_[i] && inputs[i].data != nullptr) {
      wrapped_inputs[i] = Tensor::wrap(inputs[i].dtype, inputs[i].shape, inputs[i].data, nullptr);
      known_values[graph_.inputs[i].name] = &wrapped_inputs[i];
      const auto* bytes = static_cast<const std::uint8_t*>(inputs[i].data);
      planned_input_values_[i].assign(bytes, bytes + inputs[i].size_bytes());
    }
  }
  EDGEAI_RETURN_IF_ERROR(infer_shapes(graph_, known_values));

  // 2. Where every value lives, and the last step that reads it.
  const int n_steps = static_cast<int>(graph_.nodes.size());
  std::unordered_map<std::string, ValueSlot> slots;
  for (std::size_t i = 0; i < graph_.inputs.size(); ++i) {
    ValueSlot s;
    s.kind = ValueSlot::Kind::kGraphInput;
    s.info = graph_.inputs[i];
    s.graph_input = i;
    slots[graph_.inputs[i].name] = s;
  }
  for (const auto& [name, tensor] : graph_.constants) {
    ValueSlot s;
    s.kind = ValueSlot::Kind::kConstant;
    s.info = ValueInfo{name, tensor.dtype(), tensor.shape()};
    s.constant = &tensor;
    slots[name] = s;
  }
  std::unordered_map<std::string, int> last_use;
  for (int step = 0; step < n_steps; ++step) {
    for (const std::string& in : graph_.nodes[step].inputs) {
      if (!in.empty()) last_use[in] = step;
    }
  }
  for (const ValueInfo& out : graph_.outputs) last_use[out.name] = n_steps;  // alive after the run

  std::vector<BufferRequest> buffers;
  auto extend = [&](int buffer, const std::string& value) {
    auto it = last_use.find(value);
    const int last = it == last_use.end() ? buffers[buffer].first_step : it->second;
    buffers[buffer].last_step = std::max(buffers[buffer].last_step, last);
  };

  // In place is legal only if no other input of the node reads the same buffer (a kernel
  // writing element i may still need element j != i of a second input).
  auto buffer_read_by_other_input = [&](const Node& node, int buffer) {
    for (std::size_t k = 1; k < node.inputs.size(); ++k) {
      if (node.inputs[k].empty() || node.inputs[k] == node.inputs[0]) continue;
      const ValueSlot& other = slots[node.inputs[k]];
      if (other.kind == ValueSlot::Kind::kArena && other.buffer == buffer) return true;
    }
    return false;
  };

  // 3. Kernels, prepared with concrete shapes; output buffers assigned (new, in place, view,
  //    or a slice of a Concat's output).
  std::vector<ConcatSlices> concat_groups;
  const std::unordered_map<int, ConcatSlice> concat_slices =
      selection_ == KernelSelection::kAuto ? find_concat_slices(graph_, concat_groups) : std::unordered_map<int, ConcatSlice>{};
  std::vector<int> group_of_concat(n_steps, -1);
  for (std::size_t g = 0; g < concat_groups.size(); ++g) group_of_concat[concat_groups[g].concat_step] = static_cast<int>(g);
  std::vector<int> scratch_buffer(n_steps, -1);
  for (int step = 0; step < n_steps; ++step) {
    const Node& node = graph_.nodes[step];
    auto owned = std::make_unique<Step>();
    owned->node = &node;
    KernelSignature signature;
    signature.threads = threads_.get();
    for (const std::string& in : node.inputs) {
      if (in.empty()) {
        signature.inputs.emplace_back();
        signature.input_values.push_back(nullptr);
        continue;
      }
      auto it = slots.find(in);
      if (it == slots.end()) return internal_error(node.describe(), ": input '", in, "' has no slot");
      signature.inputs.push_back(it->second.info);
      const Tensor* value = it->second.constant;
      if (value == nullptr) {
        auto known = known_values.find(in);
        if (known != known_values.end()) value = known->second;
      }
      signature.input_values.push_back(value);
    }
    for (const std::string& out : node.outputs) {
      auto it = graph_.value_info.find(out);
      signature.outputs.push_back(it == graph_.value_info.end() ? ValueInfo{out, DType::kUndefined, {}} : it->second);
    }
    for (const ValueInfo& out : signature.outputs) {
      if (!out.name.empty() && !is_static(out.shape)) {
        return invalid_argument(node.describe(), ": output '", out.name, "' has no static shape (",
                                shape_to_string(out.shape), ")");
      }
    }
    // The best candidate that accepts the node; the last one is the reference kernel, whose
    // error (if it fails too) is the node's.
    const std::vector<const KernelImplementation*> candidates =
        KernelRegistry::builtin().candidates(node.op_type, selection_);
    if (candidates.empty()) return unsupported(node.describe(), ": no kernel for operator ", node.op_type);
    for (std::size_t c = 0; c < candidates.size(); ++c) {
      std::unique_ptr<Kernel> kernel = candidates[c]->factory();
      Status prepared = kernel->prepare(node, signature);
      if (prepared.is_ok()) {
        owned->kernel = std::move(kernel);
        owned->implementation = candidates[c]->name;
        break;
      }
      if (c + 1 == candidates.size()) return prepared.with_context(node.describe());
    }
    owned->aliasing = owned->kernel->aliasing();
    summary_.total_macs += owned->kernel->macs();

    for (std::size_t j = 0; j < node.outputs.size(); ++j) {
      const std::string& out = node.outputs[j];
      if (out.empty()) continue;
      ValueSlot s;
      s.info = signature.outputs[j];
      const std::size_t bytes = s.info.shape.empty() && s.info.dtype == DType::kUndefined
                                    ? 0
                                    : static_cast<std::size_t>(element_count(s.info.shape).value_or(0)) *
                                          dtype_size(s.info.dtype);
      summary_.unplanned_bytes += align_up(bytes);
      const ValueSlot* in0 = node.has_input(0) ? &slots[node.inputs[0]] : nullptr;
      // This output as a slice of a Concat's (its producer side), or the Concat's own output.
      auto slice = j == 0 ? concat_slices.find(step) : concat_slices.end();
      ConcatSlices* sliced =
          slice != concat_slices.end() ? &concat_groups[static_cast<std::size_t>(slice->second.group)] : nullptr;
      ConcatSlices* concat = j == 0 && group_of_concat[step] >= 0
                                 ? &concat_groups[static_cast<std::size_t>(group_of_concat[step])]
                                 : nullptr;
      if (sliced != nullptr && owned->kernel->set_output_row_stride(sliced->row_elements)) {
        // A slice of the Concat's output, written in place.
        if (sliced->buffer < 0) {
          const ValueInfo& whole =
              graph_.value_info.at(graph_.nodes[static_cast<std::size_t>(sliced->concat_step)].outputs[0]);
          sliced->buffer = static_cast<int>(buffers.size());
          buffers.push_back(BufferRequest{
              static_cast<std::size_t>(element_count(whole.shape).value_or(0)) * dtype_size(whole.dtype), step, step});
        }
        s.kind = ValueSlot::Kind::kArena;
        s.buffer = sliced->buffer;
        s.offset = slice->second.offset;
        extend(s.buffer, out);
        ++summary_.concat_slices;
      } else if (concat != nullptr && concat->buffer >= 0) {
        // The Concat whose inputs (some of them) are in place: only its kernel knows to skip them.
        if (owned->implementation != "concat") {
          return internal_error(node.describe(), ": inputs written in place, but kernel ", owned->implementation);
        }
        s.kind = ValueSlot::Kind::kArena;
        s.buffer = concat->buffer;
        extend(s.buffer, out);
      } else if (j == 0 && owned->aliasing == Aliasing::kViewOfInput0 && in0 != nullptr) {
        s.kind = in0->kind;
        s.graph_input = in0->graph_input;
        s.constant = in0->constant;
        s.buffer = in0->buffer;
        s.offset = in0->offset;
        if (s.kind == ValueSlot::Kind::kArena) extend(s.buffer, out);
        ++summary_.view_outputs;
      } else if (j == 0 && owned->aliasing == Aliasing::kInPlaceAllowed && in0 != nullptr &&
                 in0->kind == ValueSlot::Kind::kArena && buffers[in0->buffer].last_step == step &&
                 !buffer_read_by_other_input(node, in0->buffer) &&
                 static_cast<std::size_t>(element_count(in0->info.shape).value_or(-1)) * dtype_size(in0->info.dtype) ==
                     bytes) {
        s.kind = ValueSlot::Kind::kArena;
        s.buffer = in0->buffer;
        extend(s.buffer, out);
        ++summary_.in_place_outputs;
      } else {
        s.kind = ValueSlot::Kind::kArena;
        s.buffer = static_cast<int>(buffers.size());
        buffers.push_back(BufferRequest{bytes, step, step});
        extend(s.buffer, out);
      }
      slots[out] = s;
    }
    if (owned->kernel->scratch_bytes() > 0) {
      scratch_buffer[step] = static_cast<int>(buffers.size());
      buffers.push_back(BufferRequest{owned->kernel->scratch_bytes(), step, step});
      summary_.unplanned_bytes += align_up(owned->kernel->scratch_bytes());
    }
    steps_.push_back(std::move(owned));
  }

  // 4. One arena for everything.
  MemoryPlan memory = plan_memory(buffers, kTensorAlignment);
  arena_ = AlignedBuffer(memory.arena_bytes);
  if (memory.arena_bytes > 0 && arena_.data() == nullptr) {
    return out_of_range("out of memory: the plan needs an arena of ", memory.arena_bytes, " bytes");
  }
  summary_.arena_bytes = memory.arena_bytes;
  auto* base = static_cast<std::uint8_t*>(arena_.data());

  auto view_of = [&](const ValueSlot& s) {
    TensorView v{s.info.dtype, s.info.shape, nullptr};
    switch (s.kind) {
      case ValueSlot::Kind::kArena: v.data = base + memory.offsets[s.buffer] + s.offset; break;
      case ValueSlot::Kind::kConstant: v.data = s.constant->raw_data(); break;
      case ValueSlot::Kind::kGraphInput: break;  // bound at run time
    }
    return v;
  };

  // 5. Views each step reads and writes; graph-input pointers are patched per run.
  for (int step = 0; step < n_steps; ++step) {
    Step& st = *steps_[step];
    const Node& node = *st.node;
    st.inputs.reserve(node.inputs.size());
    for (const std::string& in : node.inputs) {
      st.inputs.push_back(in.empty() ? TensorView{} : view_of(slots[in]));
    }
    for (const std::string& out : node.outputs) {
      st.outputs.push_back(out.empty() ? TensorView{} : view_of(slots[out]));
    }
    for (std::size_t k = 0; k < node.inputs.size(); ++k) {
      if (!node.inputs[k].empty() && slots[node.inputs[k]].kind == ValueSlot::Kind::kGraphInput) {
        input_bindings_.push_back(InputBinding{slots[node.inputs[k]].graph_input, &st.inputs[k]});
      }
    }
    for (std::size_t k = 0; k < node.outputs.size(); ++k) {
      if (!node.outputs[k].empty() && slots[node.outputs[k]].kind == ValueSlot::Kind::kGraphInput) {
        input_bindings_.push_back(InputBinding{slots[node.outputs[k]].graph_input, &st.outputs[k]});
      }
    }
    if (scratch_buffer[step] >= 0) st.scratch = base + memory.offsets[scratch_buffer[step]];
    profile_.push_back(OperatorProfile{node.name, node.op_type, st.implementation, 0, 0.0, st.kernel->macs()});
  }
  output_views_.reserve(graph_.outputs.size());
  for (const ValueInfo& out : graph_.outputs) {
    auto it = slots.find(out.name);
    if (it == slots.end()) return internal_error("graph output '", out.name, "' has no slot");
    output_views_.push_back(view_of(it->second));
  }
  for (std::size_t k = 0; k < graph_.outputs.size(); ++k) {
    const ValueSlot& s = slots[graph_.outputs[k].name];
    if (s.kind == ValueSlot::Kind::kGraphInput) input_bindings_.push_back(InputBinding{s.graph_input, &output_views_[k]});
  }
  planned_ = true;
  return Status::ok();
}

Status Session::run(std::span<const TensorView> inputs) {
  bool needs_plan = false;
  EDGEAI_RETURN_IF_ERROR(check_inputs(inputs, &needs_plan));
  if (needs_plan) EDGEAI_RETURN_IF_ERROR(plan(inputs));
  for (const InputBinding& b : input_bindings_) b.view->data = inputs[b.graph_input].data;

  for (std::size_t i = 0; i < steps_.size(); ++i) {
    Step& st = *steps_[i];
    if (st.aliasing == Aliasing::kViewOfInput0) {
      // Same bytes under another shape; copy only if the planner could not alias.
      if (st.outputs[0].data != st.inputs[0].data && st.outputs[0].size_bytes() > 0) {
        std::memcpy(st.outputs[0].data, st.inputs[0].data, st.outputs[0].size_bytes());
      }
      continue;
    }
    std::chrono::steady_clock::time_point start;
    if (options_.profile) start = std::chrono::steady_clock::now();
    Status status = st.kernel->run(st.inputs, st.outputs, st.scratch);
    if (!status.is_ok()) return status.with_context(st.node->describe());
    if (options_.profile) {
      const auto elapsed = std::chrono::steady_clock::now() - start;
      profile_[i].calls += 1;
      profile_[i].total_ms += std::chrono::duration<double, std::milli>(elapsed).count();
    }
  }
  return Status::ok();
}

TensorView Session::output(std::size_t index) const {
  return index < output_views_.size() ? output_views_[index] : TensorView{};
}

Result<std::vector<Tensor>> Session::run_and_copy(const std::vector<Tensor>& inputs) {
  std::vector<TensorView> views;
  views.reserve(inputs.size());
  for (const Tensor& t : inputs) views.push_back(t.view());
  EDGEAI_RETURN_IF_ERROR(run(views));
  std::vector<Tensor> outputs;
  for (std::size_t i = 0; i < output_views_.size(); ++i) {
    EDGEAI_ASSIGN_OR_RETURN(Tensor t, Tensor::copy_of(output_views_[i]));
    outputs.push_back(std::move(t));
  }
  return outputs;
}

void Session::reset_profile() {
  for (OperatorProfile& p : profile_) {
    p.calls = 0;
    p.total_ms = 0.0;
  }
}

}  // namespace edgeai
