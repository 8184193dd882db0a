// The agent's durable record (issue 6): one small text document, such as the OTA state
// machine's state, that survives a kill or a power cut at any instant. write() never changes
// the file in place: it writes a temporary file, fsyncs it, renames it over the record and
// fsyncs the directory, so the record is always either the old one or the new one whole.
// Each record carries its length and SHA-256 in a header line, so a file damaged some other
// way (a bad sector, a hand edit) is reported, not trusted.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/status.hpp"

namespace edgeai {

class Journal {
 public:
  explicit Journal(std::string path) : path_(std::move(path)) {}

  const std::string& path() const { return path_; }
  // Replaces the record with `content`, durably.
  Status write(std::string_view content) const;
  // The record, or nullopt when there is none yet; an error when it is damaged.
  Result<std::optional<std::string>> read() const;

 private:
  std::string path_;
};

}  // namespace edgeai
