// Model inputs given on the command line: `[NAME=]FILE.npy` or `[NAME=]random`.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/tensor.hpp"
#include "graph/graph.hpp"

namespace edgeai::cli {

// One tensor per model input, in the model's input order. Specs without NAME= are taken
// in order; `random` fills float inputs from a seeded generator. Throws CommandError with
// a message naming the input on any mismatch (unknown name, missing input, unreadable file).
std::vector<Tensor> resolve_inputs(const std::vector<ValueInfo>& model_inputs, const std::vector<std::string>& specs,
                                   std::uint64_t seed);

// A seeded random tensor for an input whose shape is fully known (unknown dims become 1).
Tensor random_input(const ValueInfo& input, std::uint64_t seed);

}  // namespace edgeai::cli
