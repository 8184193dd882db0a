// The `edgeai` command: import, inspect, run and benchmark models. Every failure is one
// line on stderr ("edgeai: error: ...") and a nonzero exit.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <iostream>
#include <vector>

#include "cli/commands.hpp"

namespace edgeai::cli {

// Replaces this process with edgeai-train from the same directory, passing the arguments after
// `train` (and --help) through.
int run_train_tool(int argc, char** argv) {
  std::string self = "/proc/self/exe";
  std::error_code ec;
  const std::filesystem::path exe = std::filesystem::read_symlink(self, ec);
  const std::filesystem::path tool =
      (ec ? std::filesystem::path(argv[0]).parent_path() : exe.parent_path()) / "edgeai-train";
  std::vector<char*> args;
  std::string name = tool.string();
  args.push_back(name.data());
  for (int i = 2; i < argc; ++i) args.push_back(argv[i]);
  args.push_back(nullptr);
  ::execv(name.c_str(), args.data());
  std::fprintf(stderr, "edgeai: error: cannot run %s (%s): build the edgeai-train target, it sits next to edgeai\n",
               name.c_str(), std::strerror(errno));
  return 1;
}

}  // namespace edgeai::cli

int main(int argc, char** argv) {
  using namespace edgeai::cli;
  CLI::App app{
      "edgeai: train, compress, deploy and run neural networks on edge devices.\n"
      "Models go in as ONNX (or trained by edgeai) and ship as signed .eai bundles."};
  app.set_version_flag("--version", "edgeai 0.1.0");
  app.require_subcommand(1);
  app.fallthrough(false);
  const std::pair<const char*, Action> actions[] = {
      {"import", add_import_command(app)},   {"inspect", add_inspect_command(app)},
      {"run", add_run_command(app)},         {"bench", add_bench_command(app)},
      {"eval", add_eval_command(app)},       {"compress", add_compress_command(app)},
      {"export", add_export_command(app)},   {"keygen", add_keygen_command(app)},
      {"delta", add_delta_command(app)},     {"server", add_server_command(app)},
      {"publish", add_publish_command(app)}, {"campaign", add_campaign_command(app)},
      {"devices", add_devices_command(app)}, {"root", add_root_command(app)},
      {"report", add_report_command(app)},   {"dataset", add_dataset_command(app)}};
  // `train` is the edgeai-train binary (it links libtorch); listed here for --help.
  app.add_subcommand("train",
                     "Train a model with libtorch (recipes: fashion-mnist, ecg-mitbih, magnetic-tile; or a "
                     ".yaml/.json config); see `edgeai train --help`")
      ->allow_extras();
  if (argc >= 2 && std::string(argv[1]) == "train") return run_train_tool(argc, argv);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  try {
    for (CLI::App* sub : app.get_subcommands()) {
      for (const auto& [name, action] : actions) {
        if (sub->get_name() == name) return action();
      }
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "edgeai: error: %s\n", e.what());
    return 1;
  }
  return 1;
}
