#include "data/dataset_paths.hpp"

#include <cstdlib>
#include <filesystem>
#include <system_error>
#include <vector>

namespace edgeai {
namespace {

namespace fs = std::filesystem;

bool is_existing_directory(const fs::path& path) {
  std::error_code ec;
  return fs::is_directory(path, ec);
}

// `start` and each of its parents, up to the filesystem root.
std::vector<fs::path> self_and_ancestors(fs::path start) {
  std::vector<fs::path> out;
  while (!start.empty()) {
    out.push_back(start);
    fs::path parent = start.parent_path();
    if (parent == start) break;
    start = std::move(parent);
  }
  return out;
}

}  // namespace

Result<std::string> find_shared_dataset(std::string_view name) {
  if (const char* env = std::getenv("EDGEAI_DATASETS"); env != nullptr && *env != '\0') {
    const fs::path dir = fs::path(env) / name;
    if (!is_existing_directory(dir)) {
      return not_found("data set '", name, "': ", dir.string(), " (from EDGEAI_DATASETS) is not a directory");
    }
    return dir.string();
  }
  std::error_code ec;
  std::vector<fs::path> starts;
  if (fs::path cwd = fs::current_path(ec); !ec) starts.push_back(cwd);
  if (fs::path exe = fs::read_symlink("/proc/self/exe", ec); !ec) starts.push_back(exe.parent_path());
  std::string tried;
  for (const fs::path& start : starts) {
    for (const fs::path& ancestor : self_and_ancestors(start)) {
      const fs::path dir = ancestor / "shared" / "datasets" / name;
      if (!is_existing_directory(dir)) continue;
      const fs::path canonical = fs::weakly_canonical(dir, ec);
      return ec ? dir.string() : canonical.string();
    }
    tried += str_cat(tried.empty() ? "" : ", ", start.string());
  }
  return not_found("data set '", name, "': no shared/datasets/", name, " above ", tried.empty() ? "(nothing)" : tried,
                   "; set EDGEAI_DATASETS to the datasets directory");
}

}  // namespace edgeai
