// Owned, 64-byte aligned memory: the alignment every kernel may assume for tensor data
// (one cache line, one AVX-512 register).
#pragma once

#include <cstddef>
#include <memory>

namespace edgeai {

constexpr std::size_t kTensorAlignment = 64;

// Rounds `size` up to a multiple of `alignment` (a power of two).
constexpr std::size_t align_up(std::size_t size, std::size_t alignment = kTensorAlignment) {
  return (size + alignment - 1) & ~(alignment - 1);
}

class AlignedBuffer {
 public:
  AlignedBuffer() = default;
  // Zero-filled. A null data() with nonzero size means the allocation failed.
  explicit AlignedBuffer(std::size_t size_bytes);
  AlignedBuffer(AlignedBuffer&& other) noexcept;
  AlignedBuffer& operator=(AlignedBuffer&& other) noexcept;
  AlignedBuffer(const AlignedBuffer&) = delete;
  AlignedBuffer& operator=(const AlignedBuffer&) = delete;
  ~AlignedBuffer();

  void* data() { return data_; }
  const void* data() const { return data_; }
  std::size_t size() const { return size_; }

 private:
  void* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace edgeai
