// The `edgeai` command: import, inspect, run and benchmark models. Every failure is one
// line on stderr ("edgeai: error: ...") and a nonzero exit.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>
#include <iostream>

#include "cli/commands.hpp"
#include "format/npy.hpp"
#include "import/onnx/onnx_importer.hpp"

namespace edgeai::cli {

void check(const Status& status) {
  if (!status.is_ok()) throw CommandError(status.message());
}

Bundle load_model(const std::string& path) {
  const bool is_onnx = path.size() >= 5 && path.compare(path.size() - 5, 5, ".onnx") == 0;
  if (!is_onnx) return check(read_bundle(path));
  Bundle bundle;
  bundle.graph = check(import_onnx_file(path));
  bundle.manifest.name = bundle.graph.name;
  bundle.manifest.inputs = bundle.graph.inputs;
  bundle.manifest.outputs = bundle.graph.outputs;
  return bundle;
}

}  // namespace edgeai::cli

int main(int argc, char** argv) {
  using namespace edgeai::cli;
  CLI::App app{"edgeai: train, compress, deploy and run neural networks on edge devices.\n"
               "Models go in as ONNX (or trained by edgeai) and ship as signed .eai bundles."};
  app.set_version_flag("--version", "edgeai 0.1.0");
  app.require_subcommand(1);
  app.fallthrough(false);
  Action actions[] = {add_import_command(app), add_inspect_command(app), add_run_command(app),
                      add_bench_command(app)};
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  try {
    for (CLI::App* sub : app.get_subcommands()) {
      const std::string& name = sub->get_name();
      if (name == "import") return actions[0]();
      if (name == "inspect") return actions[1]();
      if (name == "run") return actions[2]();
      if (name == "bench") return actions[3]();
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "edgeai: error: %s\n", e.what());
    return 1;
  }
  return 1;
}
