// Per-layer error of a quantised graph against its float32 original, as signal-to-quantisation-
// noise ratio in dB (10 log10 of sum x^2 over sum (x - x_hat)^2, over sample inputs):
//  - accumulated: the int8 model's value vs the float model's, everything before it quantised too
//    (what the output actually suffers);
//  - local: the layer alone, run in int8 on the float model's own inputs (quantised), vs its float
//    output — the layer's own sensitivity, what mixed precision ranks by.
// Tool side (compress).
#pragma once

#include <map>
#include <string>

#include "compress/calibration.hpp"
#include "compress/quantize.hpp"
#include "data/labeled_data.hpp"

namespace edgeai {

struct LayerSqnr {
  double accumulated_db = 0.0;
  double local_db = 0.0;
};

// Keyed by node name (the quantised layers of `quantized`). Uses at most `max_samples` samples,
// spread evenly over `data`.
Result<std::map<std::string, LayerSqnr>> measure_layer_sqnr(const Graph& float_graph, const QuantizedGraph& quantized,
                                                            const LabeledData& data, std::int64_t max_samples,
                                                            const ProgressFn& progress = {});

// 10 log10(signal / noise), capped at 200 dB for an exact match.
double sqnr_db(double signal, double noise);

}  // namespace edgeai
