// A whole file mapped read-only into memory: how bundles are loaded without copying their
// weights. POSIX (open, fstat, mmap); errors name the path and carry strerror.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "core/status.hpp"

namespace edgeai {

class MappedFile {
 public:
  MappedFile() = default;
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  // Maps all of `path` (a regular file) read-only. An empty file maps to data() == nullptr
  // and size() == 0. The mapping starts on a page boundary, so it is 64-byte aligned.
  static Result<MappedFile> open(const std::string& path);

  const std::uint8_t* data() const { return data_; }
  std::size_t size() const { return size_; }
  const std::string& path() const { return path_; }
  // True if [p, p + n) lies inside the mapping.
  bool contains(const void* p, std::size_t n = 0) const;

 private:
  const std::uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
  std::string path_;
};

}  // namespace edgeai
