// Magnitude pruning of a float32 graph: unstructured (the smallest |w| of Conv/Gemm/MatMul
// weights set to zero; the bundle's zstd coding then stores zero runs in a few bytes) or
// structured (whole Conv filters with the smallest L2 norm removed and every consumer of those
// channels rewritten, so the graph itself gets smaller and faster). Fine-tuning is a callback
// the train layer fills. Tool side (compress); depends on graph and core only, never libtorch.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.hpp"
#include "graph/graph.hpp"

namespace edgeai {

enum class PruneScope {
  kGlobal,    // one magnitude threshold over all prunable weights (each layer capped)
  kPerLayer,  // the same sparsity in every layer
};
std::string_view prune_scope_name(PruneScope scope);  // "global", "layer"
Result<PruneScope> parse_prune_scope(std::string_view name);

// Global scope zeroes at most this share of any one layer, so no layer is emptied; the cut
// goes on in the other layers until the overall sparsity is reached (or every layer is capped).
inline constexpr double kMaxLayerSparsity = 0.95;

// What pruning did to one Conv/Gemm/MatMul with a constant float32 weight (input 1).
struct PrunedLayer {
  std::string node;
  std::string op_type;
  std::string weight;                  // the weight constant's name in the pruned graph
  std::int64_t original_weights = 0;   // elements of the weight before
  std::int64_t weights = 0;            // after (structured pruning removes some)
  std::int64_t zeros = 0;              // elements of the weight after that are exactly 0
  std::int64_t original_channels = 0;  // Conv: output channels before (0 for other ops)
  std::int64_t channels = 0;           // Conv: output channels after
  std::string note;                    // why it was left alone, or how it changed

  double sparsity() const { return weights > 0 ? static_cast<double>(zeros) / static_cast<double>(weights) : 0.0; }
};

struct PruneResult {
  Graph graph;                      // validated; node names unchanged
  std::vector<PrunedLayer> layers;  // every Conv/Gemm/MatMul with a constant weight, in node order
  std::string description;          // "unstructured 50 % (global)", "structured 25 % of Conv filters"
  // Unstructured: per pruned weight constant, uint8 of its shape, 1 where the weight may change
  // and 0 where pruning zeroed it. A fine-tuner must keep the 0 positions at zero: multiply the
  // weight by its mask after every optimiser step. Empty for structured pruning.
  std::map<std::string, Tensor> masks;

  // Zero share over all the layers' weights (unstructured), and the share of their weights
  // that structured pruning removed.
  double sparsity() const;
  double removed_fraction() const;
};

// Zeroes floor(sparsity * n) weights of smallest magnitude: over all prunable weights at once
// (kGlobal; no layer beyond kMaxLayerSparsity) or in each layer (kPerLayer). Ties go to the
// lower index (layers in node order, then row-major), so the result is deterministic. Biases and
// the layers named in `keep` are left alone; `sparsity` must lie in [0, 1).
Result<PruneResult> prune_unstructured(const Graph& graph, double sparsity, PruneScope scope,
                                       const std::set<std::string>& keep = {});

// Removes floor(fraction * filters) output channels of smallest L2 norm (ties: lower index
// first; at least one channel stays) from every Conv with group 1, and rewrites what reads
// them: BatchNormalization parameters, element-wise activations, MaxPool/AveragePool/global
// pools pass through; a following Conv loses the matching input channels; a depthwise Conv
// loses the matching filters and passes the removal on; Flatten (axis 1) or a Reshape to
// [N, C*H*W] followed by Gemm/MatMul with a constant weight loses the matching columns (rows of
// B). A Conv whose channels reach anything else (Add, Mul, Concat, a graph output, ...) is left
// whole, with the reason in its PrunedLayer::note. `fraction` must lie in [0, 1).
Result<PruneResult> prune_structured(const Graph& graph, double fraction, const std::set<std::string>& keep = {});

// Sets to zero every weight a mask marks 0 (masks from PruneResult::masks; the constants are
// copied, never written in place). What a fine-tune loop does after each step, and what
// prune_graph does after a fine-tune callback to guarantee the zeros stayed.
Status apply_prune_masks(Graph& graph, const std::map<std::string, Tensor>& masks);

// Fine-tunes a pruned float graph (e.g. with the train layer's trainer, in edgeai-train) and
// returns it with the same interface and node names. `masks` as PruneResult::masks: the zero
// positions must stay zero (empty for structured pruning, whose graph is simply smaller).
using PruneFineTuneFn = std::function<Result<Graph>(const Graph& pruned, const std::map<std::string, Tensor>& masks)>;

struct PruneOptions {
  double amount = 0.0;  // unstructured: the sparsity; structured: the share of each Conv's filters
  bool structured = false;
  PruneScope scope = PruneScope::kGlobal;  // unstructured only
  std::set<std::string> keep;              // nodes to leave dense
  PruneFineTuneFn fine_tune;               // optional, run after pruning
};

// prune_unstructured or prune_structured, then `fine_tune` when set (masks re-applied and the
// per-layer figures recounted afterwards).
Result<PruneResult> prune_graph(const Graph& graph, const PruneOptions& options);

}  // namespace edgeai
