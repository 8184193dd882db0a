#include "agent/journal.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "format/atomic_file.hpp"
#include "format/trust.hpp"

namespace edgeai {
namespace {

// The header line: "edgeai-journal 1 <bytes> <sha256 hex>".
constexpr std::string_view kMagic = "edgeai-journal";
constexpr std::string_view kVersion = "1";

}  // namespace

Status Journal::write(std::string_view content) const {
  std::string record(kMagic);
  record += ' ';
  record += kVersion;
  record += ' ';
  record += std::to_string(content.size());
  record += ' ';
  record += sha256_hex(content);
  record += '\n';
  record += content;
  return write_file_atomically(path_, record, 0600);
}

Result<std::optional<std::string>> Journal::read() const {
  std::ifstream in(path_, std::ios::binary);
  if (!in) {
    std::error_code ec;
    if (errno == ENOENT || !std::filesystem::exists(path_, ec)) return std::optional<std::string>();
    return io_error(path_, ": cannot open");
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string text = buffer.str();
  const std::size_t newline = text.find('\n');
  std::istringstream header(text.substr(0, newline == std::string::npos ? text.size() : newline));
  std::string magic, version, hash;
  std::size_t size = 0;
  header >> magic >> version >> size >> hash;
  if (newline == std::string::npos || magic != kMagic || version != kVersion || !header) {
    return data_loss(path_, ": not an edgeai journal record (damaged header)");
  }
  std::string content = text.substr(newline + 1);
  if (content.size() != size || sha256_hex(content) != hash) {
    return data_loss(path_, ": damaged record (", content.size(), " bytes, header says ", size,
                     "; or its hash differs)");
  }
  return std::optional<std::string>(std::move(content));
}

}  // namespace edgeai
