#include "format/npy.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "format/mapped_file.hpp"

namespace edgeai {
namespace {

constexpr std::uint8_t kNpyMagic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};

struct DescrEntry {
  std::string_view descr;
  DType dtype;
};
constexpr DescrEntry kDescrs[] = {
    {"<f4", DType::kFloat32}, {"<f8", DType::kFloat64}, {"<f2", DType::kFloat16}, {"|i1", DType::kInt8},
    {"|u1", DType::kUInt8},   {"<i2", DType::kInt16},   {"<i4", DType::kInt32},   {"<i8", DType::kInt64},
    {"|b1", DType::kBool},
};

std::string_view descr_of(DType dtype) {
  for (const DescrEntry& e : kDescrs) {
    if (e.dtype == dtype) return e.descr;
  }
  return {};
}

// A cursor over the header: a Python dict literal such as
// {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }
class HeaderParser {
 public:
  explicit HeaderParser(std::string_view text) : text_(text) {}

  void skip_space() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n')) ++pos_;
  }
  bool consume(char c) {
    skip_space();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  bool peek(char c) {
    skip_space();
    return pos_ < text_.size() && text_[pos_] == c;
  }
  bool string(std::string& out) {
    skip_space();
    if (pos_ >= text_.size() || (text_[pos_] != '\'' && text_[pos_] != '"')) return false;
    const char quote = text_[pos_++];
    const std::size_t end = text_.find(quote, pos_);
    if (end == std::string_view::npos) return false;
    out = std::string(text_.substr(pos_, end - pos_));
    pos_ = end + 1;
    return true;
  }
  bool word(std::string& out) {
    skip_space();
    const std::size_t start = pos_;
    while (pos_ < text_.size() && ((text_[pos_] >= 'A' && text_[pos_] <= 'Z') || (text_[pos_] >= 'a' && text_[pos_] <= 'z'))) {
      ++pos_;
    }
    out = std::string(text_.substr(start, pos_ - start));
    return !out.empty();
  }
  bool integer(std::int64_t& out) {
    skip_space();
    const std::size_t start = pos_;
    out = 0;
    while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') {
      const int digit = text_[pos_] - '0';
      if (out > (INT64_MAX - digit) / 10) return false;
      out = out * 10 + digit;
      ++pos_;
    }
    if (pos_ < text_.size() && text_[pos_] == 'L') ++pos_;  // Python 2 longs in old files
    return pos_ > start;
  }
  bool at_end() {
    skip_space();
    return pos_ == text_.size();
  }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
};

Status bad_header(std::string_view name, std::string_view why) {
  return data_loss(name, ": bad .npy header: ", why);
}

}  // namespace

Result<Tensor> parse_npy(const std::uint8_t* data, std::size_t size, std::string_view name) {
  if (size < 10 || std::memcmp(data, kNpyMagic, sizeof(kNpyMagic)) != 0) {
    return data_loss(name, ": not a .npy file (bad magic)");
  }
  const std::uint8_t major = data[6];
  const std::uint8_t minor = data[7];
  std::size_t header_len = 0;
  std::size_t prefix = 0;
  if (major == 1) {
    header_len = static_cast<std::size_t>(data[8]) | (static_cast<std::size_t>(data[9]) << 8);
    prefix = 10;
  } else if (major == 2 || major == 3) {
    if (size < 12) return data_loss(name, ": truncated .npy header");
    header_len = static_cast<std::size_t>(data[8]) | (static_cast<std::size_t>(data[9]) << 8) |
                 (static_cast<std::size_t>(data[10]) << 16) | (static_cast<std::size_t>(data[11]) << 24);
    prefix = 12;
  } else {
    return unsupported(name, ": .npy format version ", int{major}, ".", int{minor}, " is not supported (1.0, 2.0, 3.0)");
  }
  if (header_len > size - prefix) return data_loss(name, ": truncated .npy header (", header_len, " bytes declared)");
  const std::string_view header(reinterpret_cast<const char*>(data + prefix), header_len);

  std::string descr;
  bool fortran_order = false;
  bool has_descr = false, has_order = false, has_shape = false;
  Shape shape;
  HeaderParser p(header);
  if (!p.consume('{')) return bad_header(name, "expected '{'");
  while (!p.consume('}')) {
    std::string key;
    if (!p.string(key) || !p.consume(':')) return bad_header(name, "expected 'key':");
    if (key == "descr") {
      if (!p.string(descr)) return bad_header(name, "descr is not a string (structured dtypes are unsupported)");
      has_descr = true;
    } else if (key == "fortran_order") {
      std::string value;
      if (!p.word(value) || (value != "True" && value != "False")) return bad_header(name, "fortran_order is not True/False");
      fortran_order = value == "True";
      has_order = true;
    } else if (key == "shape") {
      if (!p.consume('(')) return bad_header(name, "shape is not a tuple");
      while (!p.consume(')')) {
        std::int64_t dim = 0;
        if (!p.integer(dim)) return bad_header(name, "shape holds something other than non-negative integers");
        shape.push_back(dim);
        if (!p.consume(',') && !p.peek(')')) return bad_header(name, "expected ',' or ')' in shape");
      }
      has_shape = true;
    } else {
      return bad_header(name, str_cat("unknown key '", key, "'"));
    }
    if (!p.consume(',') && !p.peek('}')) return bad_header(name, "expected ',' or '}'");
  }
  if (!p.at_end()) return bad_header(name, "text after the dictionary");
  if (!has_descr || !has_order || !has_shape) return bad_header(name, "descr, fortran_order and shape are required");
  if (fortran_order) {
    return unsupported(name, ": Fortran-order arrays are not supported; save a C-order array (numpy.ascontiguousarray)");
  }
  DType dtype = DType::kUndefined;
  for (const DescrEntry& e : kDescrs) {
    if (e.descr == descr) dtype = e.dtype;
  }
  if (dtype == DType::kUndefined) {
    return unsupported(name, ": .npy dtype '", descr,
                       "' is not supported (little-endian <f4 <f8 <f2 |i1 |u1 <i2 <i4 <i8 |b1)");
  }
  const std::optional<std::int64_t> count = element_count(shape);
  std::uint64_t bytes = 0;
  if (!count || __builtin_mul_overflow(static_cast<std::uint64_t>(*count), dtype_size(dtype), &bytes)) {
    return data_loss(name, ": .npy shape ", shape_to_string(shape), " is too large");
  }
  const std::size_t data_start = prefix + header_len;
  if (bytes != size - data_start) {
    return data_loss(name, ": .npy data is ", size - data_start, " bytes but shape ", shape_to_string(shape), " of ",
                     descr, " needs ", bytes);
  }
  EDGEAI_ASSIGN_OR_RETURN(Tensor tensor, Tensor::allocate(dtype, shape));
  if (bytes > 0) std::memcpy(tensor.raw_data(), data + data_start, bytes);
  if (dtype == DType::kBool) {
    const auto* b = data + data_start;
    for (std::uint64_t i = 0; i < bytes; ++i) {
      if (b[i] > 1) return data_loss(name, ": bool element ", i, " has value ", int{b[i]}, " (must be 0 or 1)");
    }
  }
  return tensor;
}

Result<Tensor> read_npy(const std::string& path) {
  EDGEAI_ASSIGN_OR_RETURN(MappedFile file, MappedFile::open(path));
  return parse_npy(file.data(), file.size(), path);
}

std::vector<std::uint8_t> serialize_npy(const Tensor& tensor) {
  std::string header = str_cat("{'descr': '", descr_of(tensor.dtype()), "', 'fortran_order': False, 'shape': (");
  for (std::size_t i = 0; i < tensor.shape().size(); ++i) {
    header += std::to_string(tensor.shape()[i]);
    header += tensor.shape().size() == 1 ? "," : (i + 1 < tensor.shape().size() ? ", " : "");
  }
  header += "), }";
  // Pad with spaces and end with '\n' so the data starts on a 64-byte boundary (as numpy does).
  std::size_t prefix = 10;
  std::size_t padded = (prefix + header.size() + 1 + 63) / 64 * 64;
  if (padded - prefix > 0xFFFF) {
    prefix = 12;  // version 2.0: a 4-byte header length
    padded = (prefix + header.size() + 1 + 63) / 64 * 64;
  }
  header.append(padded - prefix - header.size() - 1, ' ');
  header += '\n';
  const std::size_t data_bytes = tensor.size_bytes();
  std::vector<std::uint8_t> out(padded + data_bytes);
  std::memcpy(out.data(), kNpyMagic, sizeof(kNpyMagic));
  out[6] = prefix == 10 ? 1 : 2;
  out[7] = 0;
  const std::size_t len = header.size();
  out[8] = static_cast<std::uint8_t>(len);
  out[9] = static_cast<std::uint8_t>(len >> 8);
  if (prefix == 12) {
    out[10] = static_cast<std::uint8_t>(len >> 16);
    out[11] = static_cast<std::uint8_t>(len >> 24);
  }
  std::memcpy(out.data() + prefix, header.data(), header.size());
  if (data_bytes > 0) std::memcpy(out.data() + padded, tensor.raw_data(), data_bytes);
  return out;
}

Status write_npy(const std::string& path, const Tensor& tensor) {
  if (descr_of(tensor.dtype()).empty()) return invalid_argument(path, ": cannot write a null tensor as .npy");
  if (!element_count(tensor.shape())) {
    return invalid_argument(path, ": cannot write shape ", shape_to_string(tensor.shape()), " as .npy");
  }
  const std::vector<std::uint8_t> bytes = serialize_npy(tensor);
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) return io_error(path, ": cannot create: ", std::strerror(errno));
  const bool wrote = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
  const int write_err = errno;
  if (std::fclose(f) != 0 || !wrote) {
    return io_error(path, ": cannot write: ", std::strerror(wrote ? errno : write_err));
  }
  return Status::ok();
}

}  // namespace edgeai
