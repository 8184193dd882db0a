// .npy arrays (https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html):
// how the CLI takes inputs and writes outputs. Little-endian, C order, the dtypes edgeai has.
// Depends only on core.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.hpp"
#include "core/tensor.hpp"

namespace edgeai {

// Reads format version 1.0, 2.0 or 3.0 with descr '<f4', '<f8', '<f2', '|i1', '|u1', '<i2',
// '<i4', '<i8' or '|b1'. Fortran order, big-endian data and other dtypes are errors that
// name the file.
Result<Tensor> read_npy(const std::string& path);
// The same from bytes already in memory; `name` is used in messages.
Result<Tensor> parse_npy(const std::uint8_t* data, std::size_t size, std::string_view name);
// Writes version 1.0 (2.0 if the header needs more than 64 KiB), C order.
Status write_npy(const std::string& path, const Tensor& tensor);
std::vector<std::uint8_t> serialize_npy(const Tensor& tensor);

}  // namespace edgeai
