// The reference form of channels-last nodes (graph/layout.hpp): the channels-first reference
// kernel between two transposes. That is the specification the optimised channels-last
// kernels are tested against, and the fallback for nodes they decline.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "kernels/kernel.hpp"

namespace edgeai {

// Wraps the reference kernel of a channels-first operator: nodes without channels_last go
// straight to it; channels-last ones see X transposed to channels-first in scratch and Y
// transposed back.
std::unique_ptr<Kernel> make_channels_last_adapter(std::unique_ptr<Kernel> channels_first);

// dst (N, P, C) = src (N, C, P) for elements of `element_size` bytes, and the reverse.
void transpose_to_channels_last(const void* src, void* dst, std::int64_t n, std::int64_t c, std::int64_t p,
                                std::size_t element_size);
void transpose_to_channels_first(const void* src, void* dst, std::int64_t n, std::int64_t c, std::int64_t p,
                                 std::size_t element_size);

}  // namespace edgeai
