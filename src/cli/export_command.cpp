// `edgeai export MODEL -o OUT`: writes a model for other runtimes. One writer per format behind
// --format; today ONNX (opset 13; int8 graphs in QDQ form, which ONNX Runtime runs with its int8
// kernels: import/onnx/onnx_exporter.hpp).
#include <cstdio>
#include <filesystem>
#include <sstream>

#include "cli/commands.hpp"
#include "import/onnx/onnx_exporter.hpp"

namespace edgeai::cli {
namespace {

struct ExportArgs {
  std::string model;
  std::string output;
  std::string format = "onnx";
  bool uint8_activations = false;
};

// The manifest's preprocessing as one JSON object, so that whoever feeds the ONNX model can
// prepare inputs as edgeai does (scale, then subtract mean, then divide by std, per channel).
std::string preprocessing_json(const Preprocessing& p) {
  std::ostringstream out;
  out.precision(9);
  const auto floats = [&](const std::vector<float>& values) {
    out << '[';
    for (std::size_t i = 0; i < values.size(); ++i) out << (i ? "," : "") << values[i];
    out << ']';
  };
  out << "{\"kind\":\"" << p.kind << "\",\"layout\":\"" << p.layout << "\",\"color\":\"" << p.color
      << "\",\"resize_height\":" << p.resize_height << ",\"resize_width\":" << p.resize_width
      << ",\"scale\":" << p.scale << ",\"mean\":";
  floats(p.mean);
  out << ",\"std\":";
  floats(p.std);
  out << '}';
  return out.str();
}

int write_onnx(const Bundle& bundle, const ExportArgs& args) {
  ExportOptions options;
  options.uint8_activations = args.uint8_activations;
  const Manifest& m = bundle.manifest;
  options.metadata["edgeai.name"] = m.name;
  options.metadata["edgeai.version"] = m.version;
  options.metadata["edgeai.preprocessing"] = preprocessing_json(m.preprocessing);
  std::string labels;
  for (const std::string& label : m.labels) labels += (labels.empty() ? "" : "\n") + label;
  if (!labels.empty()) options.metadata["edgeai.labels"] = labels;
  check(export_onnx_file(bundle.graph, args.output, options));
  std::error_code ec;
  const auto bytes = std::filesystem::file_size(args.output, ec);
  std::printf("%s -> %s: ONNX opset %d (IR version %d), %.2f MiB\n", args.model.c_str(), args.output.c_str(),
              kExportOnnxOpset, kExportOnnxIrVersion, ec ? 0.0 : static_cast<double>(bytes) / 1048576.0);
  return 0;
}

int run_export(const ExportArgs& args) {
  const Bundle bundle = load_model(args.model);
  if (args.format == "onnx") return write_onnx(bundle, args);
  throw CommandError("unknown --format '" + args.format + "' (onnx)");
}

}  // namespace

Action add_export_command(CLI::App& app) {
  auto args = std::make_shared<ExportArgs>();
  CLI::App* cmd =
      app.add_subcommand("export",
                         "Write a model for other runtimes: ONNX opset 13; int8 models in QDQ form "
                         "(DequantizeLinear -> op -> QuantizeLinear), which ONNX Runtime runs with its int8 kernels");
  cmd->add_option("model", args->model, "model: .eai bundle (float, int8 or weight-only) or .onnx file")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("-o,--output", args->output, "file to write (e.g. model.qdq.onnx)")->required();
  cmd->add_option("--format", args->format,
                  "onnx: fused activations as separate nodes, int8 operators as QDQ, int4/fp16 weights decoded "
                  "to float32; the manifest's name, version, labels and preprocessing go to metadata_props")
      ->capture_default_str()
      ->check(CLI::IsMember({"onnx"}));
  cmd->add_flag("--uint8-activations", args->uint8_activations,
                "onnx: write int8 activations as uint8 with the same values (zero point + 128; weights stay int8). "
                "ONNX Runtime on x86 fuses QDQ Conv/MatMul into its integer kernels only for uint8 activations");
  return [args] { return run_export(*args); };
}

}  // namespace edgeai::cli
