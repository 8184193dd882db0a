// Files that a reader, a kill or a power cut sees either as they were or whole as written:
// the bundle writer, the agent's journal and the CLI's outputs share this one mechanism. And
// the plain whole-file read that the OTA code (keys, roots, artifacts) shares.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "core/status.hpp"

namespace edgeai {

// Writes `path`.tmp (created with `mode`), fsyncs it, renames it over `path` and fsyncs the
// directory (best effort: some file systems refuse a directory fsync). On failure the
// temporary file is removed and `path` is as it was.
Status write_file_atomically(const std::string& path, std::span<const std::uint8_t> bytes, mode_t mode = 0644);
inline Status write_file_atomically(const std::string& path, std::string_view text, mode_t mode = 0644) {
  return write_file_atomically(
      path, std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()), mode);
}
// Makes a rename inside the directory of `path` durable (best effort, as above).
void sync_parent_directory(const std::string& path);
// The whole file; an error naming the path when it cannot be read.
Result<std::string> read_whole_file(const std::string& path);

}  // namespace edgeai
