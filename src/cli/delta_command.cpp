// `edgeai delta make BASE.eai NEW.eai -o NEW.delta` and `edgeai delta apply BASE.eai NEW.delta
// -o NEW.eai`: model-aware deltas between two bundles (format/delta.hpp), what an update
// server sends a device that has BASE.
#include <cstdio>
#include <fstream>
#include <iterator>
#include <memory>

#include "cli/commands.hpp"
#include "format/atomic_file.hpp"
#include "format/delta.hpp"
#include "format/trust.hpp"

namespace edgeai::cli {
namespace {

std::vector<std::uint8_t> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw CommandError(path + ": cannot open");
  return std::vector<std::uint8_t>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void write_bytes(const std::string& path, const std::vector<std::uint8_t>& bytes) {
  check(write_file_atomically(path, bytes));
}

struct DeltaArgs {
  std::string base, input, output, kind;
  bool json = false;
  std::int64_t max_size = std::int64_t{1} << 32;
};

}  // namespace

Action add_delta_command(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand("delta",
                                     "Model-aware deltas between bundles: only the tensors a device lacks travel (or a "
                                     "zstd --patch-from patch of the whole file when that is smaller)");
  cmd->require_subcommand(1);
  auto args = std::make_shared<DeltaArgs>();
  CLI::App* make = cmd->add_subcommand("make", "Write the delta from BASE.eai to NEW.eai");
  make->add_option("base", args->base, "the bundle the device has")->required()->check(CLI::ExistingFile);
  make->add_option("new", args->input, "the bundle to send")->required()->check(CLI::ExistingFile);
  make->add_option("-o,--output", args->output, "the delta file")->required();
  make->add_option("--kind", args->kind, "tensors or patch (default: the smaller)")
      ->check(CLI::IsMember({"tensors", "patch"}));
  make->add_flag("--json", args->json, "print the sizes as one JSON object");
  CLI::App* apply = cmd->add_subcommand("apply", "Rebuild NEW.eai from BASE.eai and a delta");
  apply->add_option("base", args->base, "the bundle the device has")->required()->check(CLI::ExistingFile);
  apply->add_option("delta", args->input, "the delta file")->required()->check(CLI::ExistingFile);
  apply->add_option("-o,--output", args->output, "the rebuilt bundle")->required();
  apply->add_option("--max-size", args->max_size, "refuse a result larger than this many bytes (default 4 GiB)");
  return [cmd, make, apply, args]() -> int {
    if (!cmd->parsed()) return 1;
    const std::vector<std::uint8_t> base = read_bytes(args->base);
    if (make->parsed()) {
      const std::vector<std::uint8_t> target = read_bytes(args->input);
      DeltaStats stats;
      const std::vector<std::uint8_t> delta = check(make_delta(base, target, &stats, args->kind));
      write_bytes(args->output, delta);
      if (args->json) {
        std::printf(
            "{\"target_bytes\":%lld,\"delta_bytes\":%zu,\"tensor_delta_bytes\":%lld,\"patch_bytes\":%lld,"
            "\"tensors\":%lld,\"tensors_reused\":%lld,\"tensors_xored\":%lld,\"kind\":\"%s\"}\n",
            static_cast<long long>(stats.target_bytes), delta.size(), static_cast<long long>(stats.tensor_delta_bytes),
            static_cast<long long>(stats.patch_bytes), static_cast<long long>(stats.tensors),
            static_cast<long long>(stats.tensors_reused), static_cast<long long>(stats.tensors_xored),
            stats.chosen.c_str());
      } else {
        std::printf(
            "wrote %s: %zu bytes for a %lld-byte bundle (%s; %lld of %lld tensors reused; tensor delta %lld, "
            "patch %lld bytes)\n",
            args->output.c_str(), delta.size(), static_cast<long long>(stats.target_bytes), stats.chosen.c_str(),
            static_cast<long long>(stats.tensors_reused), static_cast<long long>(stats.tensors),
            static_cast<long long>(stats.tensor_delta_bytes), static_cast<long long>(stats.patch_bytes));
      }
      return 0;
    }
    if (apply->parsed()) {
      const std::vector<std::uint8_t> rebuilt = check(apply_delta(base, read_bytes(args->input), args->max_size));
      write_bytes(args->output, rebuilt);
      std::printf("wrote %s: %zu bytes, sha256 %s\n", args->output.c_str(), rebuilt.size(),
                  sha256_hex(rebuilt).c_str());
      return 0;
    }
    return 1;
  };
}

}  // namespace edgeai::cli
