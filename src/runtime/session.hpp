// A Session runs one graph: it plans once (topological order, kernels prepared with
// concrete shapes, tensor lifetimes, one arena sized by the greedy planner, in-place and
// view outputs where legal), then runs many times without allocating.
// Plans are made for concrete input shapes: a graph whose shapes are all static is planned
// at create(); otherwise on the first run, and again when input shapes change.
// Errors are values; nothing here throws. Device side: no protobuf, no libtorch.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/aligned_buffer.hpp"
#include "core/status.hpp"
#include "core/tensor.hpp"
#include "format/bundle.hpp"
#include "graph/graph.hpp"
#include "core/thread_pool.hpp"
#include "kernels/kernel.hpp"
#include "kernels/registry.hpp"

namespace edgeai {

struct SessionOptions {
  int threads = 1;        // threads for the optimised kernels (the caller's thread counts); >= 1
  bool profile = false;   // time every operator (adds two clock reads per node)
  // Which kernels to use; unset: EDGEAI_KERNELS from the environment (auto when absent).
  std::optional<KernelSelection> kernels;
  // Let the plan keep activations channels-last where this CPU's kernels want them
  // (graph/layout.hpp); never with the reference kernels. Results stay the same; false keeps
  // the model's layout everywhere (for comparisons).
  bool plan_layout = true;
};

struct OperatorProfile {
  std::string node_name;
  std::string op_type;
  std::string implementation;  // the kernel the plan chose: "reference", "f32_conv_gemm_dw__avx512f", ...
  std::int64_t calls = 0;
  double total_ms = 0.0;
  std::int64_t macs = 0;
};

struct PlanSummary {
  std::size_t arena_bytes = 0;          // one block for all intermediate tensors and scratch
  std::size_t unplanned_bytes = 0;      // what one buffer per tensor would take, for comparison
  std::int64_t total_macs = 0;
  int in_place_outputs = 0;             // outputs that reuse their input's buffer
  int view_outputs = 0;                 // Reshape-like outputs that alias their input
  int concat_slices = 0;                // outputs written in place into a Concat's output
  int channels_last_nodes = 0;          // nodes the layout pass made channels-last
};

class Session {
 public:
  static Result<std::unique_ptr<Session>> create(Graph graph, SessionOptions options = {});
  static Result<std::unique_ptr<Session>> create(Bundle bundle, SessionOptions options = {});

  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  const Graph& graph() const { return graph_; }
  const std::vector<ValueInfo>& inputs() const { return declared_inputs_; }
  const std::vector<ValueInfo>& outputs() const { return graph_.outputs; }

  // Runs with one tensor per graph input, in the order of inputs(). The caller's input
  // memory is read in place during the call. A wrong count, dtype or shape is an error
  // naming the input, expected and got. Outputs stay valid until the next run().
  Status run(std::span<const TensorView> inputs);
  TensorView output(std::size_t index) const;
  // Convenience: runs and copies the outputs into owned tensors.
  Result<std::vector<Tensor>> run_and_copy(const std::vector<Tensor>& inputs);

  bool is_planned() const { return planned_; }
  const PlanSummary& plan_summary() const { return summary_; }
  int threads() const { return threads_->threads(); }
  const std::vector<OperatorProfile>& profile() const { return profile_; }
  void reset_profile();

 private:
  Session(Graph graph, SessionOptions options);

  struct Step;
  Status check_inputs(std::span<const TensorView> inputs, bool* needs_plan) const;
  Status plan(std::span<const TensorView> inputs);

  Graph graph_;
  SessionOptions options_;
  KernelSelection selection_ = KernelSelection::kAuto;
  std::unique_ptr<ThreadPool> threads_;
  std::vector<ValueInfo> declared_inputs_;   // as the model declares them (dims may be unknown)
  std::vector<ValueInfo> declared_outputs_;  // graph_.outputs get the planned shapes; these do not
  bool planned_ = false;
  int channels_last_nodes_ = 0;

  std::vector<std::unique_ptr<Step>> steps_;
  AlignedBuffer arena_;
  std::vector<TensorView> output_views_;
  // Where each graph input's pointer must be written at run time: (step, input slot) pairs,
  // and output views that are graph inputs themselves.
  struct InputBinding {
    std::size_t graph_input;
    TensorView* view;
  };
  std::vector<InputBinding> input_bindings_;
  std::vector<Shape> planned_input_shapes_;
  std::vector<bool> shape_value_inputs_;                          // inputs whose values shape the plan
  std::vector<std::vector<std::uint8_t>> planned_input_values_;  // their values at the last plan
  PlanSummary summary_;
  std::vector<OperatorProfile> profile_;
};

}  // namespace edgeai
