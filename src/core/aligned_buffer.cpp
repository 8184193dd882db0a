#include "core/aligned_buffer.hpp"

#include <cstdlib>
#include <cstring>
#include <utility>

namespace edgeai {

AlignedBuffer::AlignedBuffer(std::size_t size_bytes) : size_(size_bytes) {
  if (size_bytes == 0) return;
  data_ = std::aligned_alloc(kTensorAlignment, align_up(size_bytes));
  if (data_ != nullptr) std::memset(data_, 0, align_up(size_bytes));
}

AlignedBuffer::AlignedBuffer(AlignedBuffer&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}

AlignedBuffer& AlignedBuffer::operator=(AlignedBuffer&& other) noexcept {
  if (this != &other) {
    std::free(data_);
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

AlignedBuffer::~AlignedBuffer() { std::free(data_); }

}  // namespace edgeai
