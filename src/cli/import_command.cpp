// `edgeai import MODEL.onnx -o MODEL.eai`: ONNX to IR (folded, fused) to a bundle.
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>

#include "cli/commands.hpp"
#include "import/onnx/onnx_importer.hpp"

namespace edgeai::cli {
namespace {

std::string utc_now_iso8601() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

Shape parse_shape(const std::string& text) {
  Shape shape;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t x = text.find('x', start);
    const std::string dim = text.substr(start, x == std::string::npos ? std::string::npos : x - start);
    try {
      std::size_t used = 0;
      shape.push_back(std::stoll(dim, &used));
      if (used != dim.size() || shape.back() <= 0) throw std::invalid_argument(dim);
    } catch (const std::exception&) {
      throw CommandError("bad shape '" + text + "': write dimensions as 1x3x224x224");
    }
    if (x == std::string::npos) break;
    start = x + 1;
  }
  return shape;
}

struct ImportArgs {
  std::string model;
  std::string output;
  std::string name;
  std::string version = "0.1.0";
  std::string description;
  std::string labels_file;
  std::vector<std::string> input_shapes;
  bool no_fold_constants = false;
  bool no_fold_batchnorm = false;
  bool no_fuse_activations = false;
};

int run_import(const ImportArgs& args) {
  ImportOptions options;
  options.fold_constants = !args.no_fold_constants;
  options.fold_batchnorm = !args.no_fold_batchnorm;
  options.fuse_activations = !args.no_fuse_activations;
  for (const std::string& spec : args.input_shapes) {
    const std::size_t eq = spec.find('=');
    if (eq == std::string::npos) throw CommandError("--input-shape wants NAME=1x3x224x224, got '" + spec + "'");
    options.input_shapes[spec.substr(0, eq)] = parse_shape(spec.substr(eq + 1));
  }
  Bundle bundle;
  bundle.graph = check(import_onnx_file(args.model, options));
  Manifest& m = bundle.manifest;
  m.name = !args.name.empty() ? args.name : std::filesystem::path(args.model).stem().string();
  m.version = args.version;
  m.description = args.description;
  m.created_at = utc_now_iso8601();
  m.inputs = bundle.graph.inputs;
  m.outputs = bundle.graph.outputs;
  m.metadata["source"] = std::filesystem::path(args.model).filename().string();
  if (!args.labels_file.empty()) {
    std::ifstream in(args.labels_file);
    if (!in) throw CommandError("cannot read labels file " + args.labels_file);
    for (std::string line; std::getline(in, line);) {
      if (!line.empty()) m.labels.push_back(line);
    }
  }
  check(write_bundle(bundle, args.output));
  std::error_code ec;
  const auto size = std::filesystem::file_size(args.output, ec);
  std::printf("imported %s: %zu nodes, %.2f M parameters -> %s (%.2f MiB)\n", args.model.c_str(),
              bundle.graph.nodes.size(), static_cast<double>(bundle.graph.parameter_count()) / 1e6, args.output.c_str(),
              ec ? 0.0 : static_cast<double>(size) / 1048576.0);
  return 0;
}

}  // namespace

Action add_import_command(CLI::App& app) {
  auto args = std::make_shared<ImportArgs>();
  CLI::App* cmd = app.add_subcommand("import", "Import an ONNX model (opsets 11-17) into an .eai bundle");
  cmd->add_option("model", args->model, "ONNX model file")->required()->check(CLI::ExistingFile);
  cmd->add_option("-o,--output", args->output, "bundle to write (.eai)")->required();
  cmd->add_option("--name", args->name, "model name in the manifest (default: the file's stem)");
  cmd->add_option("--version", args->version, "semantic version in the manifest")->capture_default_str();
  cmd->add_option("--description", args->description, "free text for the manifest");
  cmd->add_option("--labels", args->labels_file, "text file with one class label per line");
  cmd->add_option("--input-shape", args->input_shapes, "fix a symbolic input shape: NAME=1x3x224x224 (repeatable)");
  cmd->add_flag("--no-fold-constants", args->no_fold_constants, "keep constant subgraphs as they are");
  cmd->add_flag("--no-fold-batchnorm", args->no_fold_batchnorm, "keep BatchNormalization nodes");
  cmd->add_flag("--no-fuse-activations", args->no_fuse_activations, "keep activations as separate nodes");
  return [args] { return run_import(*args); };
}

}  // namespace edgeai::cli
