// Advice printed around quantisation, in the words a user acts on:
//  - before: will int8 pay off on this CPU (an int8 dot-product instruction or not), how much of
//    the work is depthwise convolution (which gains least), which layers have no int8 form and
//    will stay float32;
//  - after: which layers dominate the error, with what to try.
// Tool side (compress).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "compress/compress.hpp"
#include "core/cpu_features.hpp"
#include "graph/graph.hpp"

namespace edgeai {

// `macs` per node name (may be empty when unknown).
std::vector<std::string> preflight_advice(const Graph& graph, const std::map<std::string, std::int64_t>& macs,
                                          const CpuFeatures& cpu);

// The layers with the lowest local SQNR, at most `count`.
std::vector<std::string> error_advice(const std::vector<LayerReport>& layers, std::size_t count = 5);

}  // namespace edgeai
