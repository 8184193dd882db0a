#include "agent/journal.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "format/trust.hpp"

namespace edgeai {
namespace {

// The header line: "edgeai-journal 1 <bytes> <sha256 hex>".
constexpr std::string_view kMagic = "edgeai-journal";
constexpr std::string_view kVersion = "1";

Status write_all(int fd, std::string_view bytes, const std::string& path) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return io_error(path, ": write failed: ", std::strerror(errno));
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return Status::ok();
}

}  // namespace

Status Journal::write(std::string_view content) const {
  const std::string tmp = path_ + ".tmp";
  std::string record(kMagic);
  record += ' ';
  record += kVersion;
  record += ' ';
  record += std::to_string(content.size());
  record += ' ';
  record += sha256_hex(content);
  record += '\n';
  record += content;
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return io_error(tmp, ": ", std::strerror(errno));
  Status status = write_all(fd, record, tmp);
  if (status.is_ok() && ::fsync(fd) != 0) status = io_error(tmp, ": fsync failed: ", std::strerror(errno));
  ::close(fd);
  if (!status.is_ok()) return status;
  if (::rename(tmp.c_str(), path_.c_str()) != 0) return io_error(path_, ": rename failed: ", std::strerror(errno));
  // The rename itself is durable only once the directory is.
  const std::filesystem::path parent = std::filesystem::path(path_).parent_path();
  const std::string dir = parent.empty() ? std::string(".") : parent.string();
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return io_error(dir, ": ", std::strerror(errno));
  const bool synced = ::fsync(dfd) == 0;
  ::close(dfd);
  if (!synced) return io_error(dir, ": fsync failed: ", std::strerror(errno));
  return Status::ok();
}

Result<std::optional<std::string>> Journal::read() const {
  std::ifstream in(path_, std::ios::binary);
  if (!in) {
    if (errno == ENOENT || !std::filesystem::exists(path_)) return std::optional<std::string>();
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
