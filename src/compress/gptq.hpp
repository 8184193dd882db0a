// GPTQ weight rounding (Frantar et al., "GPTQ: Accurate Post-Training Quantization for
// Generative Pre-trained Transformers", ICLR 2023, after Optimal Brain Quantization): instead of
// rounding every weight to its nearest grid point, round the inputs of an output channel one at
// a time and move the not-yet-rounded weights of that channel to cancel the error, weighted by
// how the layer's inputs co-vary on calibration data. The scales stay those of nearest rounding,
// so the integer format and kernels do not change; only which grid points the weights take.
// It minimises the layer's output error sum_x ||(W - Q) x||^2 over the calibration inputs, where
// nearest rounding minimises ||W - Q|| and ignores the data. Tool side (compress).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "compress/calibration.hpp"
#include "core/status.hpp"
#include "data/labeled_data.hpp"
#include "graph/graph.hpp"

namespace edgeai {

// The second moment E[x x^T] of the vectors one output channel of a layer sees: for Conv, the
// input patch (C / group channels times the kernel taps, in the weight's (c, kz, ky, kx) order;
// padding taps count as 0), one matrix per group; for Gemm/MatMul, a row of the input (K).
struct InputCovariance {
  std::int64_t groups = 1;
  std::int64_t size = 0;        // K: inputs per output channel
  std::vector<double> moment;   // groups * size * size, row-major, symmetric
  std::int64_t vectors = 0;     // input vectors averaged (positions times samples)
};

// Per node name (Conv, Gemm and MatMul nodes with a constant weight): the covariance of its
// inputs on `data`, running the float32 `graph` with the runtime. `ranges` (calibrated, per
// value; a layer whose input has none is left out) scale the fixed-point sums, so the result does
// not depend on the order of the samples; nullptr: the inputs' observed min and max, one more pass.
Result<std::map<std::string, InputCovariance>> collect_input_covariances(
    const Graph& graph, const LabeledData& data, const std::map<std::string, std::pair<float, float>>* ranges,
    const ProgressFn& progress = {});

// Rounds `rows` output channels of `size` weights each (w row-major, row r scaled by
// scales[r]) to integers in [-qmax, qmax] by GPTQ against `moment` (size x size, E[x x^T]).
// Columns that never see a nonzero input are rounded to nearest; a small damping (1 % of the
// mean diagonal) keeps the factorisation stable. Ties round to even, as everywhere.
// Returns false, writing nothing, when the moment matrix cannot be factored.
bool gptq_round(const float* w, std::int64_t rows, std::int64_t size, const double* moment, const float* scales,
                int qmax, std::int8_t* out);

// The int4 form (weight_only.hpp's encoding): per row, blocks of `block_size` weights share a
// scale, max |w| / 7 of the block's weights as GPTQ has moved them when the block starts,
// rounded to float16 (scale_bits, [rows, ceil(size / block_size)]); out gets values in [-7, 7].
// With a diagonal moment matrix this is exactly encode_int4. False, writing nothing, when the
// moment matrix cannot be factored.
bool gptq_round_int4(const float* w, std::int64_t rows, std::int64_t size, const double* moment, int block_size,
                     std::int8_t* out, std::uint16_t* scale_bits);

}  // namespace edgeai
