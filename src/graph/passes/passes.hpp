// Graph passes: rewrites of the IR that keep its results (up to float rounding where noted)
// and make it smaller or faster to run. One file per pass in graph/passes/. Passes depend on
// core and graph only: anything that needs a kernel (constant folding evaluates nodes) takes it
// as a callback, which the importer fills from the runtime.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "core/status.hpp"
#include "core/tensor.hpp"
#include "graph/graph.hpp"
#include "graph/op_schema.hpp"

namespace edgeai {

// Computes the outputs of one node from the values of its inputs (an absent optional input
// is a null Tensor). runtime/node_evaluator.hpp provides one backed by the reference kernels.
using NodeEvaluator = std::function<Result<std::vector<Tensor>>(const Node& node, const std::vector<Tensor>& inputs)>;

// Shape inference that goes as far as it can: every node whose input types are known and whose
// schema's inference succeeds gets its outputs into graph.value_info; a node that fails (a
// Reshape whose shape is a graph input, say) leaves its outputs unknown and so do the nodes after
// it. Fails only where the graph cannot be sorted (dangling input, cycle). Returns the number of
// nodes whose outputs stayed unknown.
Result<std::size_t> infer_shapes_partially(Graph& graph, const OpSchemaRegistry& registry = OpSchemaRegistry::builtin());

struct ConstantFoldingOptions {
  // A node whose outputs would be larger than this together is left in the graph (an Expand or
  // Tile of a small constant could otherwise blow up the model).
  std::size_t max_output_bytes = std::size_t{64} << 20;
};

// Replaces every node whose inputs are all constants by constants holding its outputs, and
// Shape of a value whose shape is static (known by inference) by that shape. `Constant` nodes
// become constants. Works in one topological sweep, so the chains exporters emit
// (Shape -> Gather -> Unsqueeze -> Concat -> Reshape) fold completely. Nodes that produce a
// graph output are kept (the runtime then needs no constant outputs), and a node the evaluator
// fails on is kept for the runtime to report. Inputs that become unused stay: run
// remove_dead_nodes afterwards.
Status fold_constants(Graph& graph, const NodeEvaluator& evaluate, const ConstantFoldingOptions& options = {},
                      const OpSchemaRegistry& registry = OpSchemaRegistry::builtin());

// Folds BatchNormalization (inference form) into the Conv that feeds it, when the Conv's
// weight, bias and the BN's parameters are float32 constants and the Conv output is read by the
// BN alone: W'[m] = W[m] * s[m], b'[m] = (b[m] - mean[m]) * s[m] + B[m], s = scale / sqrt(var + eps).
// Folded weights get new constant names (the originals may be shared). Returns the count folded.
Result<int> fold_batchnorm(Graph& graph);

// Fuses an activation node (Relu, Clip with constant or absent bounds, LeakyRelu, HardSigmoid,
// HardSwish, Sigmoid, Tanh) into the node producing its input when that node's schema accepts
// the `activation` attribute (graph/fused_activation.hpp), carries none yet, and its output has
// this one consumer and is not a graph output. Returns the count fused.
Result<int> fuse_activations(Graph& graph, const OpSchemaRegistry& registry = OpSchemaRegistry::builtin());

// Fuses x * Sigmoid(x) (SiLU) and x * HardSigmoid(x) (Hardswish as opset-13 exporters write it),
// each a gate node and a Mul reading the same float32 value x, into the node producing x, as
// activation "SiLU" or "GatedHardSigmoid" (with the HardSigmoid's alpha and beta), when that node
// accepts a fused activation, carries none, and x and the gate have no other readers. Exact: the
// fused formula is the two nodes' arithmetic. The session runs it at load (bundles keep the two
// nodes, which the int8 path quantises as they are). Returns the count fused.
Result<int> fuse_gated_activations(Graph& graph, const OpSchemaRegistry& registry = OpSchemaRegistry::builtin());

// Which nodes the layout pass makes channels-last: called for each Conv, MaxPool and
// GlobalAveragePool on a rank-4 X with the node and its inputs' types (an unknown or absent
// input has dtype kUndefined).
using ChannelsLastPredicate = std::function<bool(const Node& node, const std::vector<ValueInfo>& inputs)>;

// The layout pass (graph/layout.hpp): makes the nodes `picks` accepts channels-last, with
// Transposes where channels-first and channels-last values meet, moves those Transposes
// through layout-agnostic nodes (elementwise, Concat) so that inverse pairs cancel, and turns
// the ones that move no bytes into Reshapes. The outputs are unchanged (bitwise, under the
// reference kernels). Returns the count of nodes made channels-last.
Result<int> plan_channels_last(Graph& graph, const ChannelsLastPredicate& picks);

// Bypasses Identity and Dropout (inference: output = input, mask unused, training_mode absent or
// constant false), removes nodes none of whose outputs reach a graph output, and constants
// nothing reads. Graph inputs stay (the caller feeds them). Returns the count of nodes removed.
Result<int> remove_dead_nodes(Graph& graph);

}  // namespace edgeai
