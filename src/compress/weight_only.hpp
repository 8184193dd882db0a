// Weight-only compression: Conv/Gemm/MatMul weights stored as int4 (symmetric, group-wise
// float16 scales, two weights per byte) or float16, with a decompression node in front of the
// layer (DequantizeInt4 or Cast). Compute stays float32: the runtime decompresses the weights
// once when it loads the model (constant folding at session creation), so this trades load
// time for a 2x (fp16) or ~7x (int4) smaller bundle. Tool side (compress).
#pragma once

#include <map>
#include <set>
#include <string>

#include "compress/gptq.hpp"
#include "core/status.hpp"
#include "graph/graph.hpp"

namespace edgeai {

enum class WeightOnlyFormat { kInt4, kFp16 };

struct WeightOnlyGraph {
  Graph graph;
  std::set<std::string> compressed_nodes;  // nodes whose weight was compressed
  std::set<std::string> gptq_nodes;        // of those, int4 weights rounded by GPTQ
};

// Weights with fewer elements than this stay float32 (their scales would cost more than they save).
inline constexpr std::int64_t kMinCompressedWeightElements = 256;

// `keep_float` names nodes whose weights stay float32. With `covariances` (per node name, from
// collect_input_covariances), int4 weights of Conv and Gemm (transB) are rounded by GPTQ.
Result<WeightOnlyGraph> compress_weights(const Graph& graph, WeightOnlyFormat format, int int4_block_size,
                                         const std::set<std::string>& keep_float = {},
                                         const std::map<std::string, InputCovariance>* covariances = nullptr);

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

// The same encoding with the values and block scales chosen by GPTQ (gptq_round_int4) against
// the layer's input covariance; rows of the weight are its output channels, in
// covariance.groups groups.
Result<Int4Weights> encode_int4_gptq(const Tensor& weights, int block_size, const InputCovariance& covariance);

}  // namespace edgeai
