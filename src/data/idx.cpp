#include "data/idx.hpp"

#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <limits>

#include "format/mapped_file.hpp"

namespace edgeai {
namespace {

bool is_gzip(const std::uint8_t* data, std::size_t size) { return size >= 2 && data[0] == 0x1f && data[1] == 0x8b; }

std::uint32_t read_be32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | std::uint32_t{p[3]};
}

// The DType an IDX type code stands for; kUndefined for a code the format does not define.
DType dtype_of_idx(std::uint8_t code) {
  switch (static_cast<IdxType>(code)) {
    case IdxType::kUInt8:
      return DType::kUInt8;
    case IdxType::kInt8:
      return DType::kInt8;
    case IdxType::kInt16:
      return DType::kInt16;
    case IdxType::kInt32:
      return DType::kInt32;
    case IdxType::kFloat32:
      return DType::kFloat32;
    case IdxType::kFloat64:
      return DType::kFloat64;
  }
  return DType::kUndefined;
}

bool host_is_little_endian() {
  const std::uint16_t probe = 1;
  std::uint8_t first = 0;
  std::memcpy(&first, &probe, 1);
  return first == 1;
}

}  // namespace

Result<std::vector<std::uint8_t>> inflate_if_gzip(const std::uint8_t* data, std::size_t size, std::string_view name,
                                                  std::size_t max_bytes) {
  if (!is_gzip(data, size)) return std::vector<std::uint8_t>(data, data + size);

  z_stream stream{};
  // 16 + MAX_WBITS: a gzip wrapper (RFC 1952), not zlib's.
  if (inflateInit2(&stream, 16 + MAX_WBITS) != Z_OK) return internal_error(name, ": cannot initialise zlib");
  std::vector<std::uint8_t> out;
  out.resize(std::min<std::size_t>(max_bytes, std::max<std::size_t>(size * 4, 1 << 16)));
  std::size_t produced = 0;
  std::size_t consumed = 0;
  Status status;
  while (true) {
    // zlib counts in uInt: feed and drain at most 1 GiB per call.
    const std::size_t in_chunk = std::min<std::size_t>(size - consumed, std::size_t{1} << 30);
    if (produced == out.size()) {
      if (out.size() >= max_bytes) {
        status = data_loss(name, ": inflates to more than ", max_bytes, " bytes");
        break;
      }
      out.resize(std::min<std::size_t>(max_bytes, out.size() * 2));
    }
    const std::size_t out_chunk = std::min<std::size_t>(out.size() - produced, std::size_t{1} << 30);
    stream.next_in = const_cast<Bytef*>(data + consumed);
    stream.avail_in = static_cast<uInt>(in_chunk);
    stream.next_out = out.data() + produced;
    stream.avail_out = static_cast<uInt>(out_chunk);
    const int ret = inflate(&stream, Z_NO_FLUSH);
    consumed += in_chunk - stream.avail_in;
    produced += out_chunk - stream.avail_out;
    if (ret == Z_STREAM_END) {
      if (consumed == size) break;
      // RFC 1952 2.2: a gzip file is a series of members; anything else after one is corrupt.
      if (!is_gzip(data + consumed, size - consumed)) {
        status = data_loss(name, ": ", size - consumed, " bytes of garbage after the gzip stream");
        break;
      }
      inflateReset(&stream);
      continue;
    }
    if (ret == Z_BUF_ERROR || ret == Z_OK) {
      // No progress possible: input exhausted before the end of the stream.
      if (consumed == size && stream.avail_out != 0) {
        status = data_loss(name, ": truncated gzip stream (ends after ", size, " compressed bytes)");
        break;
      }
      continue;
    }
    status = data_loss(name, ": corrupt gzip stream: ", stream.msg != nullptr ? stream.msg : zError(ret));
    break;
  }
  inflateEnd(&stream);
  if (!status.is_ok()) return status;
  out.resize(produced);
  return out;
}

Result<IdxArray> parse_idx(const std::uint8_t* data, std::size_t size, std::string_view name) {
  if (size < 4) return data_loss(name, ": IDX file of ", size, " bytes is shorter than its 4-byte magic");
  if (data[0] != 0 || data[1] != 0) {
    return invalid_argument(name, ": bad IDX magic ", static_cast<int>(data[0]), " ", static_cast<int>(data[1]),
                            " (the first two bytes must be 0)");
  }
  const DType dtype = dtype_of_idx(data[2]);
  if (dtype == DType::kUndefined) {
    return invalid_argument(name, ": bad IDX magic: unknown type code 0x", std::hex, static_cast<int>(data[2]));
  }
  const std::size_t rank = data[3];
  const std::size_t header = 4 + 4 * rank;
  if (size < header)
    return data_loss(name, ": truncated IDX header: rank ", rank, " needs ", header, " bytes, file has ", size);

  IdxArray array;
  array.type = static_cast<IdxType>(data[2]);
  array.dtype = dtype;
  for (std::size_t d = 0; d < rank; ++d) array.dims.push_back(read_be32(data + 4 + 4 * d));
  const std::optional<std::int64_t> count = element_count(array.dims);
  const std::size_t element_size = dtype_size(dtype);
  if (!count || static_cast<std::uint64_t>(*count) > std::numeric_limits<std::size_t>::max() / element_size) {
    return invalid_argument(name, ": IDX dims ", shape_to_string(array.dims), " overflow the element count");
  }
  const std::size_t payload = static_cast<std::size_t>(*count) * element_size;
  if (size - header < payload) {
    return data_loss(name, ": truncated IDX data: dims ", shape_to_string(array.dims), " need ", payload,
                     " bytes after the header, file has ", size - header);
  }
  if (size - header > payload) {
    return data_loss(name, ": IDX file has ", size - header - payload, " bytes after the ", payload, " bytes its dims ",
                     shape_to_string(array.dims), " describe");
  }
  array.bytes.assign(data + header, data + header + payload);
  if (element_size > 1 && host_is_little_endian()) {
    for (std::size_t i = 0; i < payload; i += element_size) {
      std::reverse(array.bytes.begin() + static_cast<std::ptrdiff_t>(i),
                   array.bytes.begin() + static_cast<std::ptrdiff_t>(i + element_size));
    }
  }
  return array;
}

Result<IdxArray> read_idx(const std::string& path) {
  EDGEAI_ASSIGN_OR_RETURN(MappedFile file, MappedFile::open(path));
  EDGEAI_ASSIGN_OR_RETURN(std::vector<std::uint8_t> bytes, inflate_if_gzip(file.data(), file.size(), path));
  return parse_idx(bytes.data(), bytes.size(), path);
}

}  // namespace edgeai
