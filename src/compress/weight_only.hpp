// Weight-only compression: Conv/Gemm/MatMul weights stored as int4 (symmetric, group-wise
// float16 scales, two weights per byte) or float16, with a decompression node in front of the
// layer (DequantizeInt4 or Cast). Compute stays float32: the runtime decompresses the weights
// once when it loads the model (constant folding at session creation), so this trades load
// time for a 2x (fp16) or ~7x (int4) smaller bundle. Tool side (compress).
#pragma once

#include <set>
#include <string>

#include "core/status.hpp"
#include "graph/graph.hpp"

namespace edgeai {

enum class WeightOnlyFormat { kInt4, kFp16 };

struct WeightOnlyGraph {
  Graph graph;
  std::set<std::string> compressed_nodes;  // nodes whose weight was compressed
};

// Weights with fewer elements than this stay float32 (their scales would cost more than they save).
inline constexpr std::int64_t kMinCompressedWeightElements = 256;

// `keep_float` names nodes whose weights stay float32.
Result<WeightOnlyGraph> compress_weights(const Graph& graph, WeightOnlyFormat format, int int4_block_size,
                                         const std::set<std::string>& keep_float = {});

// The int4 encoding of a float32 tensor viewed as [shape[0], K] rows: per row, blocks of
// `block_size` values share a float16 scale max|w| / 7; values round half to even into
// [-7, 7], two per byte, element 2i in the low nibble. `packed` is uint8 [ceil(n / 2)],
// `scales` float16 [rows, ceil(K / block_size)]. The reference decoder is the DequantizeInt4
// kernel.
struct Int4Weights {
  Tensor packed;
  Tensor scales;
};
Result<Int4Weights> encode_int4(const Tensor& weights, int block_size);

}  // namespace edgeai
