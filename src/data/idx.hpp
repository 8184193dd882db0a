// IDX arrays, the format of MNIST and Fashion-MNIST (http://yann.lecun.com/exdb/mnist/, "FILE
// FORMATS"): a 4-byte magic 0x00 0x00 <type code> <rank>, then `rank` big-endian uint32 dims,
// then the elements big-endian in row-major order. Plain or gzip-compressed files. Depends on
// core and format (MappedFile) and zlib; no exceptions, errors name the file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/dtype.hpp"
#include "core/shape.hpp"
#include "core/status.hpp"

namespace edgeai {

// The IDX type codes (third magic byte).
enum class IdxType : std::uint8_t {
  kUInt8 = 0x08,
  kInt8 = 0x09,
  kInt16 = 0x0B,
  kInt32 = 0x0C,
  kFloat32 = 0x0D,
  kFloat64 = 0x0E,
};

struct IdxArray {
  IdxType type = IdxType::kUInt8;
  DType dtype = DType::kUInt8;  // the same type as an edgeai DType
  Shape dims;
  // The elements, converted to host byte order so they can be read as `dtype` directly.
  std::vector<std::uint8_t> bytes;

  std::int64_t num_elements() const { return static_cast<std::int64_t>(bytes.size() / dtype_size(dtype)); }
};

// Reads `path`; a file starting with the gzip magic (1f 8b) is inflated first, whatever its
// name. Errors: unreadable or corrupt gzip, bad magic or type code, a dims product that
// overflows, data shorter or longer than the dims say.
Result<IdxArray> read_idx(const std::string& path);
// The same from (already inflated) bytes in memory; `name` is used in messages.
Result<IdxArray> parse_idx(const std::uint8_t* data, std::size_t size, std::string_view name);

// The whole of a gzip file (all members) inflated, or the bytes themselves when `data` does not
// start with the gzip magic. Refuses to inflate past `max_bytes` (a guard against gzip bombs).
Result<std::vector<std::uint8_t>> inflate_if_gzip(const std::uint8_t* data, std::size_t size, std::string_view name,
                                                  std::size_t max_bytes = std::size_t{1} << 32);

}  // namespace edgeai
