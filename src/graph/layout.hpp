// Channels-last activations. The runtime may run 2-D convolutions and pools on (N, H, W, C)
// tensors, the layout whose innermost axis is the one their fast kernels vectorise over (one
// pixel's channels are contiguous, so a 1x1 convolution is a plain GEMM and a depthwise one
// a vector FMA per tap). Such a node carries the edgeai attribute channels_last = 1: its X and
// Y (input 0, output 0) are channels-last, everything else (weights (M, C/group, kH, kW),
// bias) stays as ONNX has it. Only the session's layout pass (graph/passes/passes.hpp,
// plan_channels_last) sets it, on the session's own copy of the graph: bundles never hold it.
#pragma once

#include <string_view>
#include <vector>

#include "graph/graph.hpp"
#include "graph/op_schema.hpp"

namespace edgeai {

inline constexpr std::string_view kChannelsLastAttr = "channels_last";

// The permutations between the layouts, as Transpose perms for a rank-4 tensor.
inline const std::vector<std::int64_t> kToChannelsLast{0, 2, 3, 1};   // NCHW -> NHWC
inline const std::vector<std::int64_t> kToChannelsFirst{0, 3, 1, 2};  // NHWC -> NCHW

bool is_channels_last(const Node& node);
// (N, C, d1, ..., dk) -> (N, d1, ..., dk, C), and back. Shapes of rank < 3 are returned as they are.
Shape to_channels_last(const Shape& channels_first);
Shape to_channels_first(const Shape& channels_last);

// The schema attribute for operators that accept channels_last.
AttrSpec channels_last_attr_spec();

// Shape inference of a channels-first operator for a node that may be channels-last: runs
// `infer` on X permuted to channels-first and permutes output 0 back.
Status infer_in_layout(InferShapesFn infer, const InferenceContext& ctx, std::vector<ValueInfo>& outputs);

}  // namespace edgeai
