// Tensor shapes. A dimension of -1 is unknown (symbolic in the source model); a shape
// with no unknown dimension is static. Plans are made only for static shapes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace edgeai {

using Shape = std::vector<std::int64_t>;

constexpr std::int64_t kUnknownDim = -1;

bool is_static(const Shape& shape);
// Product of the dimensions; 1 for a scalar; nullopt if a dimension is unknown or the
// product overflows int64 (hostile files must not make us wrap around).
std::optional<std::int64_t> element_count(const Shape& shape);
// "[1,3,224,224]"; unknown dimensions print as "?".
std::string shape_to_string(const Shape& shape);
// Row-major strides in elements.
std::vector<std::int64_t> row_major_strides(const Shape& shape);
// numpy broadcasting of two shapes (ONNX multidirectional broadcasting); nullopt if incompatible.
std::optional<Shape> broadcast_shapes(const Shape& a, const Shape& b);
// Normalises a possibly negative axis against `rank`; nullopt if out of [-rank, rank).
std::optional<std::int64_t> normalize_axis(std::int64_t axis, std::int64_t rank);

}  // namespace edgeai
