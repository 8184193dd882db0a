// Owned, 64-byte aligned memory: the alignment every kernel may assume for tensor data
// (one cache line, one AVX-512 register).
#pragma once

#include <cstddef>
#include <memory>
#include <new>
#include <vector>

namespace edgeai {

constexpr std::size_t kTensorAlignment = 64;

// Rounds `size` up to a multiple of `alignment` (a power of two).
constexpr std::size_t align_up(std::size_t size, std::size_t alignment = kTensorAlignment) {
  return (size + alignment - 1) & ~(alignment - 1);
}

// A std::vector element allocator on kTensorAlignment boundaries: packed weights that the
// micro-kernels read a vector register at a time (an AVX-512 load that straddles two cache
// lines costs two).
template <class T>
struct CacheAlignedAllocator {
  using value_type = T;
  CacheAlignedAllocator() = default;
  template <class U>
  CacheAlignedAllocator(const CacheAlignedAllocator<U>&) noexcept {}  // NOLINT: rebinding
  T* allocate(std::size_t n) {
    return static_cast<T*>(::operator new(n * sizeof(T), std::align_val_t{kTensorAlignment}));
  }
  void deallocate(T* p, std::size_t) noexcept { ::operator delete(p, std::align_val_t{kTensorAlignment}); }
  template <class U>
  bool operator==(const CacheAlignedAllocator<U>&) const noexcept {
    return true;
  }
};
template <class T>
using AlignedVector = std::vector<T, CacheAlignedAllocator<T>>;

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
