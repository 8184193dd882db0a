// Concat-13 as copies, shared by the reference kernel and the optimised one: for each of
// `outer` indices over the axes before `axis`, each input's block of block_bytes[i] bytes,
// in input order.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "core/shape.hpp"
#include "kernels/kernel.hpp"

namespace edgeai {

struct ConcatLayout {
  std::int64_t outer = 1;
  std::vector<std::size_t> block_bytes;  // per input
};

inline Result<ConcatLayout> concat_layout(const Node& node, const KernelSignature& sig) {
  const Shape& out = sig.outputs[0].shape;
  const std::int64_t rank = static_cast<std::int64_t>(out.size());
  std::optional<std::int64_t> axis = normalize_axis(node.attr_int("axis", 0), rank);
  if (!axis) return invalid_argument(node.describe(), ": axis ", node.attr_int("axis", 0), " is out of range");
  const std::size_t element_size = dtype_size(sig.outputs[0].dtype);
  ConcatLayout layout;
  for (std::int64_t i = 0; i < *axis; ++i) layout.outer *= out[i];
  std::int64_t inner = 1;
  for (std::int64_t i = *axis + 1; i < rank; ++i) inner *= out[i];
  for (const ValueInfo& in : sig.inputs) {
    layout.block_bytes.push_back(static_cast<std::size_t>(in.shape[*axis] * inner) * element_size);
  }
  return layout;
}

}  // namespace edgeai
