// A bounds-checked reader of FlatBuffers binaries for the microcontroller runtime: tables,
// scalars, strings and vectors read in place, no heap, no exceptions, no library. The host
// reads bundles with flatbuffers::Verifier and the generated code (format/bundle.cpp); a
// microcontroller has neither the code space for the generated accessors and verifier nor a
// reason to copy anything, so this reader checks each offset as it follows it instead. A
// corrupt offset makes the accessor return an absent value and sets `corrupt`, which the caller
// turns into one error. Field ids are the declaration order of src/format/eai.fbs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace edgeai::micro {

// Little-endian loads from possibly unaligned flash; memcpy compiles to one load on Cortex-M.
template <typename T>
inline T load_le(const std::uint8_t* p) {
  T value;
  std::memcpy(&value, p, sizeof(T));
  return value;
}

struct FbString {
  const char* data = nullptr;
  std::uint32_t size = 0;
  bool equals(const char* s) const {
    const std::size_t n = std::strlen(s);
    return n == size && (size == 0 || std::memcmp(data, s, n) == 0);
  }
  bool equals(FbString other) const {
    return other.size == size && (size == 0 || std::memcmp(data, other.data, size) == 0);
  }
};

// A vector: `size` elements of `element_bytes` from `pos` in the buffer.
struct FbVector {
  std::uint32_t pos = 0;
  std::uint32_t size = 0;
};

class FbBuffer {
 public:
  FbBuffer() = default;
  FbBuffer(const std::uint8_t* data, std::uint32_t size) : data_(data), size_(size) {}

  const std::uint8_t* data() const { return data_; }
  bool corrupt() const { return corrupt_; }

  // The root table's position, or 0 (and corrupt) when the buffer is too small.
  std::uint32_t root() const {
    if (!has(0, 8)) return fail();
    return follow(0);
  }

  // The position of field `id`'s value inside table `table`, 0 when absent.
  std::uint32_t field(std::uint32_t table, unsigned id) const {
    if (table == 0 || !has(table, 4)) return table == 0 ? 0 : fail();
    const std::int64_t vtable = static_cast<std::int64_t>(table) - load_le<std::int32_t>(data_ + table);
    if (vtable < 0 || vtable > static_cast<std::int64_t>(size_) || (vtable & 1) != 0) return fail();
    const auto vt = static_cast<std::uint32_t>(vtable);
    if (!has(vt, 4)) return fail();
    const std::uint16_t vtable_size = load_le<std::uint16_t>(data_ + vt);
    const std::uint16_t table_size = load_le<std::uint16_t>(data_ + vt + 2);
    if (vtable_size < 4 || (vtable_size & 1) != 0 || !has(vt, vtable_size) || !has(table, table_size)) return fail();
    const std::uint32_t entry = 4 + 2 * id;
    if (entry + 2 > vtable_size) return 0;  // a field newer than the writer: absent
    const std::uint16_t offset = load_le<std::uint16_t>(data_ + vt + entry);
    if (offset == 0) return 0;
    if (offset >= table_size) return fail();
    return table + offset;
  }

  template <typename T>
  T scalar(std::uint32_t table, unsigned id, T default_value) const {
    const std::uint32_t at = field(table, id);
    if (at == 0) return default_value;
    if (!has(at, sizeof(T))) return fail_value(default_value);
    return load_le<T>(data_ + at);
  }

  // A table, string or vector field: the position it points to, 0 when absent.
  std::uint32_t reference(std::uint32_t table, unsigned id) const {
    const std::uint32_t at = field(table, id);
    return at == 0 ? 0 : follow(at);
  }

  std::uint32_t table(std::uint32_t table, unsigned id) const { return reference(table, id); }

  FbString string(std::uint32_t table, unsigned id) const { return string_at(reference(table, id)); }

  FbString string_at(std::uint32_t pos) const {
    if (pos == 0) return {};
    if (!has(pos, 4)) return fail_value(FbString{});
    const std::uint32_t n = load_le<std::uint32_t>(data_ + pos);
    if (!has(pos + 4, static_cast<std::uint64_t>(n) + 1) || data_[pos + 4 + n] != 0) return fail_value(FbString{});
    return {reinterpret_cast<const char*>(data_ + pos + 4), n};
  }

  // A vector field of `element_bytes`-sized elements (scalars or offsets); elements of 8 bytes
  // must be 8-aligned in the buffer (the bundle reader's rule).
  FbVector vector(std::uint32_t table, unsigned id, std::uint32_t element_bytes) const {
    const std::uint32_t pos = reference(table, id);
    if (pos == 0) return {};
    if (!has(pos, 4)) return fail_value(FbVector{});
    const std::uint32_t n = load_le<std::uint32_t>(data_ + pos);
    if (!has(pos + 4, static_cast<std::uint64_t>(n) * element_bytes)) return fail_value(FbVector{});
    if (element_bytes == 8 && ((reinterpret_cast<std::uintptr_t>(data_) + pos + 4) & 7) != 0 && n > 0) {
      return fail_value(FbVector{});
    }
    return {pos + 4, n};
  }

  // Element i of a vector of tables or strings: the position it points to.
  std::uint32_t element(FbVector v, std::uint32_t i) const {
    if (i >= v.size) return fail();
    return follow(v.pos + 4 * i);
  }
  template <typename T>
  T element_value(FbVector v, std::uint32_t i) const {
    if (i >= v.size) return fail_value(T{});
    return load_le<T>(data_ + v.pos + sizeof(T) * i);
  }

 private:
  bool has(std::uint64_t pos, std::uint64_t bytes) const { return pos <= size_ && bytes <= size_ - pos; }
  // The uoffset at `at` added to `at`.
  std::uint32_t follow(std::uint32_t at) const {
    if (!has(at, 4)) return fail();
    const std::uint64_t target = static_cast<std::uint64_t>(at) + load_le<std::uint32_t>(data_ + at);
    if (target >= size_ || target == 0) return fail();
    return static_cast<std::uint32_t>(target);
  }
  std::uint32_t fail() const {
    corrupt_ = true;
    return 0;
  }
  template <typename T>
  T fail_value(T value) const {
    corrupt_ = true;
    return value;
  }

  const std::uint8_t* data_ = nullptr;
  std::uint32_t size_ = 0;
  mutable bool corrupt_ = false;
};

}  // namespace edgeai::micro
