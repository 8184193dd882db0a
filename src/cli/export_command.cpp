// `edgeai export MODEL -o OUT`: writes a model for other runtimes. One writer per format behind
// --format; today ONNX (opset 13; int8 graphs in QDQ form, which ONNX Runtime runs with its int8
// kernels: import/onnx/onnx_exporter.hpp).
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <sstream>

#include "cli/commands.hpp"
#include "cli/mcu_bundle.hpp"
#include "format/atomic_file.hpp"
#include "import/onnx/onnx_exporter.hpp"

namespace edgeai::cli {
namespace {

struct ExportArgs {
  std::string model;
  std::string output;
  std::string format = "onnx";
  bool uint8_activations = false;
  bool c_array = false;
  std::string name;               // c-array: the C symbol
  std::uint64_t flash_bytes = 0;  // c-array: refuse a bundle larger than this (0: no limit)
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

// A C identifier from a file name: letters, digits and '_', not starting with a digit.
std::string c_identifier(const std::string& text) {
  std::string out;
  for (char c : text) out += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  if (out.empty() || std::isdigit(static_cast<unsigned char>(out[0]))) out = "model_" + out;
  return out;
}

// --c-array: OUTPUT.c holds the bundle as an aligned const array (placed in flash and read in
// place by the microcontroller runtime), OUTPUT.h declares it with the arena and flash sizes.
int write_c_array(const Bundle& bundle, const ExportArgs& args) {
  std::filesystem::path source = args.output;
  if (source.extension() == ".h" || source.extension() == ".c") source.replace_extension();
  const std::filesystem::path header = std::filesystem::path(source).replace_extension(".h");
  source.replace_extension(".c");
  const std::string symbol = c_identifier(args.name.empty() ? source.stem().string() : args.name);
  McuBundle mcu = check(make_mcu_bundle(bundle));
  const std::uint64_t size = mcu.bytes.size();
  if (args.flash_bytes != 0 && size > args.flash_bytes) {
    throw CommandError(str_cat("the bundle is ", size, " bytes, more than the ", args.flash_bytes,
                               "-byte flash budget (--flash-bytes)"));
  }
  std::string upper = symbol;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  const Manifest& m = bundle.manifest;
  std::ostringstream h;
  h << "// " << m.name << " " << m.version << " for the edgeai microcontroller runtime, written by\n"
    << "// edgeai export --c-array from " << std::filesystem::path(args.model).filename().string() << ".\n"
    << "// inputs:  " << describe_values(bundle.graph.inputs) << "\n"
    << "// outputs: " << describe_values(bundle.graph.outputs) << "\n";
  if (!m.labels.empty()) {
    std::string labels;
    for (const std::string& label : m.labels) labels += (labels.empty() ? "" : ", ") + label;
    h << "// labels:  " << labels << "\n";
  }
  h << "#ifndef " << upper << "_H_\n#define " << upper << "_H_\n\n"
    << "#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n"
    << "// The bundle's bytes (16-byte aligned, read in place), and their count.\n"
    << "extern const unsigned char " << symbol << "[];\n"
    << "extern const unsigned int " << symbol << "_size;\n\n"
    << "// Bytes of the bundle in flash, of its weights among them, and of the arena its plan needs\n"
    << "// (activations and kernel scratch): give micro::Interpreter::allocate exactly this many.\n"
    << "#define " << upper << "_FLASH_BYTES " << size << "u\n"
    << "#define " << upper << "_WEIGHT_BYTES " << mcu.plan.weight_bytes << "u\n"
    << "#define " << upper << "_ARENA_BYTES " << mcu.plan.arena_bytes << "u\n\n"
    << "#ifdef __cplusplus\n}\n#endif\n\n#endif\n";
  std::ostringstream c;
  c << "// " << m.name << " " << m.version << ": the .eai bundle, written by edgeai export --c-array.\n"
    << "#include \"" << header.filename().string() << "\"\n\n"
    << "__attribute__((aligned(16), section(\".rodata.edgeai_model\")))\n"
    << "const unsigned char " << symbol << "[" << size << "] = {\n";
  char hex[8];
  for (std::size_t i = 0; i < mcu.bytes.size(); ++i) {
    std::snprintf(hex, sizeof hex, "0x%02x,", mcu.bytes[i]);
    c << (i % 16 == 0 ? "  " : "") << hex << (i % 16 == 15 || i + 1 == mcu.bytes.size() ? "\n" : "");
  }
  c << "};\nconst unsigned int " << symbol << "_size = " << size << "u;\n";
  const auto write_text = [](const std::filesystem::path& path, const std::string& text) {
    check(write_file_atomically(path.string(), {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()}));
  };
  write_text(header, h.str());
  write_text(source, c.str());
  std::printf("%s -> %s, %s: %s %llu bytes (weights %u), arena %u bytes (activations and scratch), %u nodes\n",
              args.model.c_str(), source.string().c_str(), header.string().c_str(), symbol.c_str(),
              static_cast<unsigned long long>(size), mcu.plan.weight_bytes, mcu.plan.arena_bytes, mcu.plan.nodes);
  return 0;
}

int run_export(const ExportArgs& args) {
  const Bundle bundle = load_model(args.model);
  if (args.c_array || args.format == "c-array") return write_c_array(bundle, args);
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
      ->check(CLI::IsMember({"onnx", "c-array"}));
  cmd->add_flag("--c-array", args->c_array,
                "same as --format c-array: OUTPUT.c holds the bundle as an aligned const array for a "
                "microcontroller's flash, OUTPUT.h declares it with <NAME>_ARENA_BYTES and <NAME>_FLASH_BYTES "
                "(docs/mcu.md); the model must be one the microcontroller runtime runs");
  cmd->add_option("--name", args->name, "c-array: the C symbol (default: the output file's name)");
  cmd->add_option("--flash-bytes", args->flash_bytes,
                  "c-array: fail when the bundle is larger than this many bytes (the flash you give the model)");
  cmd->add_flag("--uint8-activations", args->uint8_activations,
                "onnx: write int8 activations as uint8 with the same values (zero point + 128; weights stay int8). "
                "ONNX Runtime on x86 fuses QDQ Conv/MatMul into its integer kernels only for uint8 activations");
  return [args] { return run_export(*args); };
}

}  // namespace edgeai::cli
