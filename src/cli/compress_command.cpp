// `edgeai compress MODEL -o OUT.eai`: magnitude pruning (optional, first), then int8 post-training
// quantisation (calibrated on a data set), or weight-only int4/fp16, or none (fp32); per-layer
// error, accuracy budget, pre-flight advice and a report (--report out.html, --json).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <set>
#include <sstream>

#include "cli/commands.hpp"
#include "compress/advice.hpp"
#include "compress/compress.hpp"
#include "compress/report.hpp"
#include "data/dataset_spec.hpp"
#include "data/sample_feeder.hpp"
#include "runtime/session.hpp"

namespace edgeai::cli {
namespace {

struct CompressArgs {
  std::string model;
  std::string output;
  std::string weights = "int8";
  std::string calib;
  std::int64_t calib_samples = 500;
  std::string method = "minmax";
  double percentile = 99.99;
  std::vector<std::string> keep_float;
  bool strict = false;
  std::string eval;
  std::int64_t eval_samples = -1;
  double max_accuracy_drop = -1.0;
  int max_float_layers = -1;
  bool budget_per_class = false;
  bool bias_correction = false;
  std::string activations = "int8";
  std::string weight_rounding = "nearest";
  std::int64_t sqnr_samples = 32;
  int int4_block = 64;
  std::string report;
  bool json = false;
  bool quiet = false;
  bool no_entropy_coding = false;
  // Sparsity, or share of filters with --prune-structured; NaN: not given (no pruning).
  double prune = std::numeric_limits<double>::quiet_NaN();
  bool prune_structured = false;
  std::string prune_scope;
  std::vector<std::string> prune_keep;
};

// Random standard-normal inputs shaped like the model's (unknown dimensions become 1): a last
// resort when no data is at hand, so it is loud about it.
LabeledData random_calibration(const Graph& graph, std::int64_t count) {
  std::fprintf(stderr,
               "edgeai: WARNING: calibrating on %lld RANDOM inputs: activation ranges will not match real data and "
               "the accuracy of the int8 model is unknown. Pass --calib DATA (the training set) for a model you "
               "ship.\n",
               static_cast<long long>(count));
  LabeledData data;
  std::mt19937 rng(0);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (const ValueInfo& in : graph.inputs) {
    if (in.dtype != DType::kFloat32)
      throw CommandError("random calibration needs float32 inputs; '" + in.name + "' is not");
    Shape shape = in.shape;
    if (shape.empty()) throw CommandError("random calibration: input '" + in.name + "' is a scalar");
    shape[0] = count;
    for (std::size_t i = 1; i < shape.size(); ++i) shape[i] = shape[i] < 0 ? 1 : shape[i];
    Tensor t = check(Tensor::allocate(DType::kFloat32, shape));
    for (std::int64_t i = 0; i < t.num_elements(); ++i) t.data<float>()[i] = normal(rng);
    data.inputs.push_back(std::move(t));
    data.input_names.push_back(in.name);
  }
  data.labels.assign(static_cast<std::size_t>(count), 0);
  data.class_names = {"unlabelled"};
  return data;
}

// Median latency on sample 0, one thread, after one warm-up run: up to 15 runs, fewer when
// they take over 2 s together (the int8 reference kernels on a large model), at least 3.
double median_latency_ms(const Graph& graph, const LabeledData& data) {
  std::unique_ptr<Session> session = check(Session::create(graph));
  SampleFeeder feeder = check(SampleFeeder::create(graph.inputs, data));
  check(session->run(feeder.sample(0)));
  std::vector<double> ms;
  double total_ms = 0.0;
  while (ms.size() < 15 && (ms.size() < 3 || total_ms < 2000.0)) {
    const auto start = std::chrono::steady_clock::now();
    check(session->run(feeder.sample(0)));
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
    total_ms += ms.back();
  }
  std::nth_element(ms.begin(), ms.begin() + static_cast<std::ptrdiff_t>(ms.size() / 2), ms.end());
  return ms[ms.size() / 2];
}

std::int64_t file_bytes(const std::string& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  return ec ? 0 : static_cast<std::int64_t>(size);
}

int run_compress(const CompressArgs& args) {
  Bundle source = load_model(args.model);
  const Manifest& manifest = source.manifest;
  CompressOptions options;
  options.weights = check(parse_weight_format(args.weights));
  options.calibration.method = check(parse_calibration_method(args.method));
  options.calibration.percentile = args.percentile;
  if (args.percentile <= 50.0 || args.percentile > 100.0) throw CommandError("--percentile must be in (50, 100]");
  options.quantize.strict = args.strict;
  options.quantize.keep_float = node_names(args.keep_float, source.graph, "--keep-float");
  if (!std::isnan(args.prune)) {
    if (!(args.prune >= 0.0 && args.prune < 1.0)) {
      throw CommandError("--prune must lie in [0, 1): the share of weights (or filters) to remove");
    }
    PruneOptions prune;
    prune.amount = args.prune;
    prune.structured = args.prune_structured;
    if (!args.prune_scope.empty()) {
      if (args.prune_structured) {
        throw CommandError("--prune-scope applies to unstructured pruning, not --prune-structured");
      }
      prune.scope = check(parse_prune_scope(args.prune_scope));
    }
    prune.keep = node_names(args.prune_keep, source.graph, "--prune-keep");
    options.prune = std::move(prune);
  } else if (args.prune_structured || !args.prune_scope.empty() || !args.prune_keep.empty()) {
    throw CommandError("--prune-structured, --prune-scope and --prune-keep need --prune AMOUNT");
  }
  options.sqnr_samples = args.sqnr_samples;
  options.int4_block_size = args.int4_block;
  options.max_float_layers = args.max_float_layers;
  options.budget_per_class = args.budget_per_class;
  options.calibration.channel_means = args.bias_correction;
  options.weight_rounding = check(parse_weight_rounding(args.weight_rounding));
  if (args.activations != "int8" && args.activations != "int16") {
    throw CommandError("--activations must be int8 or int16, got '" + args.activations + "'");
  }
  options.quantize.activation_type = args.activations == "int16" ? DType::kInt16 : DType::kInt8;
  check(check_compress_options(options));  // before any data is loaded
  if (options.weight_rounding == WeightRounding::kGptq && args.calib == "random") {
    throw CommandError(
        "--weight-rounding gptq fits the weights to the calibration inputs; random inputs would "
        "mislead it: calibrate with real data or use --weight-rounding nearest");
  }
  if (args.max_accuracy_drop >= 0.0) options.max_accuracy_drop = args.max_accuracy_drop;
  if (options.max_accuracy_drop && args.eval.empty()) {
    throw CommandError("--max-accuracy-drop needs --eval DATA to measure the drop on");
  }
  const auto say = [&](const std::string& line) {
    if (!args.quiet) std::fprintf(stderr, "%s\n", line.c_str());
  };

  // Calibration data: required for int8, used for latency and MACs otherwise when given.
  std::optional<LabeledData> calibration;
  std::string calibration_text;
  if (!args.calib.empty()) {
    if (args.calib == "random") {
      calibration =
          random_calibration(source.graph, std::max<std::int64_t>(1, std::min<std::int64_t>(args.calib_samples, 64)));
      calibration_text = "random inputs";
    } else {
      std::string description;
      LabeledData all = check(load_dataset_spec(args.calib, manifest, &description));
      calibration = check(all.evenly_spaced(args.calib_samples));
      calibration_text = str_cat(args.calib, ", ", calibration->size(), " of ", all.size(), " samples");
    }
    say(str_cat("calibration data ", calibration_text));
  } else if (options.weights == WeightFormat::kInt8) {
    throw CommandError(
        "int8 quantisation needs calibration data: --calib fashion-mnist:train | mitdb:DS1 | magnetic-tile:train | "
        "DIR (images in class folders, or .npy files) | random (not for a model you ship)");
  }
  if (calibration && calibration->size() == 0) throw CommandError("the calibration set " + args.calib + " is empty");
  std::optional<LabeledData> evaluation;
  if (!args.eval.empty()) {
    std::string description;
    LabeledData all = check(load_dataset_spec(args.eval, manifest, &description));
    evaluation = args.eval_samples >= 0 ? check(all.evenly_spaced(args.eval_samples)) : std::move(all);
    say(str_cat("evaluation data ", args.eval, ": ", evaluation->describe_counts()));
  }

  CompressionReport report;
  report.model = manifest.name;
  report.source_path = args.model;
  report.output_path = args.output;
  report.weights = args.weights;
  report.cpu = str_cat(cpu_features().model, " (", cpu_features().describe(), ")");
  if (options.weights == WeightFormat::kInt8) {
    report.calibration = str_cat(calibration_method_name(options.calibration.method), " on ", calibration_text);
    const std::map<std::string, std::int64_t> macs = check(macs_per_node(source.graph, *calibration));
    report.preflight = preflight_advice(source.graph, macs, cpu_features());
    for (const std::string& line : report.preflight) say("pre-flight: " + line);
  }

  int last_percent = -1;
  std::string last_stage;
  const ProgressFn progress = [&](std::string_view stage, std::int64_t done, std::int64_t total) {
    if (args.quiet || total <= 0) return;
    const int pct = static_cast<int>(100 * done / total);
    if (stage == last_stage && pct / 10 == last_percent / 10 && done != total) return;
    last_stage = std::string(stage);
    last_percent = pct;
    std::fprintf(stderr, "  %s: %lld/%lld\n", last_stage.c_str(), static_cast<long long>(done),
                 static_cast<long long>(total));
  };
  CompressionResult result = check(compress_model(source, calibration ? &*calibration : nullptr,
                                                  evaluation ? &*evaluation : nullptr, options, progress));
  for (const std::string& w : result.warnings) std::fprintf(stderr, "edgeai: warning: %s\n", w.c_str());
  BundleWriteOptions write_options;
  // fp16 weights gain too little from zstd, unless pruning made runs of zeros.
  write_options.entropy_code_constants =
      !args.no_entropy_coding && (options.weights != WeightFormat::kFp16 || options.prune.has_value());
  check(write_bundle(result.bundle, args.output, write_options));

  report.result = &result;
  report.source_bytes = static_cast<std::int64_t>(check(serialize_bundle(source)).size());
  report.output_bytes = file_bytes(args.output);
  report.output_raw_bytes = static_cast<std::int64_t>(check(serialize_bundle(result.bundle)).size());
  report.error_advice = error_advice(result.layers);
  const LabeledData* timing = calibration ? &*calibration : evaluation ? &*evaluation : nullptr;
  if (timing != nullptr) {
    report.fp32_latency_ms = median_latency_ms(source.graph, *timing);
    report.compressed_latency_ms = median_latency_ms(result.bundle.graph, *timing);
  }

  if (!args.report.empty()) {
    std::ofstream out(args.report);
    out << report_to_html(report);
    if (!out) throw CommandError("cannot write the report to " + args.report);
  }
  if (args.json) {
    std::printf("%s\n", report_to_json(report).c_str());
    return 0;
  }
  std::printf("%s -> %s: %s, %.2f MiB -> %.2f MiB (%.2fx smaller", args.model.c_str(), args.output.c_str(),
              args.weights.c_str(), static_cast<double>(report.source_bytes) / 1048576.0,
              static_cast<double>(report.output_bytes) / 1048576.0, report.size_factor());
  if (report.output_raw_bytes != report.output_bytes) {
    std::printf("; %.2fx without entropy coding",
                static_cast<double>(report.source_bytes) / static_cast<double>(report.output_raw_bytes));
  }
  std::printf(")\n");
  int quantized = 0, kept = 0;
  for (const LayerReport& l : result.layers) {
    if (l.precision != "float32")
      ++quantized;
    else if (l.op_type != "Shape" && l.op_type != "Gather")
      ++kept;
  }
  if (options.weights == WeightFormat::kInt8) {
    std::printf("layers: %d int8, %d float32\n", quantized, kept);
  } else if (options.weights != WeightFormat::kFp32) {
    std::printf("layers: %d with %s weights; the others have no weights to compress\n", quantized,
                args.weights.c_str());
  }
  if (!result.pruning.empty()) {
    std::int64_t zeros = 0, weights = 0, before = 0;
    for (const PrunedLayer& l : result.pruned_layers) {
      zeros += l.zeros, weights += l.weights, before += l.original_weights;
    }
    std::printf("pruning: %s: %lld of %lld weights left, %lld of them zero (%.1f %%)\n", result.pruning.c_str(),
                static_cast<long long>(weights), static_cast<long long>(before), static_cast<long long>(zeros),
                weights > 0 ? 100.0 * static_cast<double>(zeros) / static_cast<double>(weights) : 0.0);
    for (const PrunedLayer& l : result.pruned_layers) {
      std::string channels;
      if (l.original_channels > 0) channels = str_cat(", ", l.channels, " of ", l.original_channels, " channels");
      std::printf("  %-24s %-8s %9lld weights, %5.1f %% zero%s%s%s\n", l.node.c_str(), l.op_type.c_str(),
                  static_cast<long long>(l.weights), 100.0 * l.sparsity(), channels.c_str(), l.note.empty() ? "" : ": ",
                  l.note.c_str());
    }
  }
  const std::string compressed_name = !options.prune                           ? args.weights
                                      : options.weights == WeightFormat::kFp32 ? "pruned"
                                                                               : "pruned " + args.weights;
  if (result.accuracy) {
    const AccuracyFigures& a = *result.accuracy;
    std::printf("top-1 on %s (%lld samples): fp32 %.2f %%, %s %.2f %% (drop %.2f points); labels agree on %.2f %%\n",
                args.eval.c_str(), static_cast<long long>(a.samples), a.fp32_top1, compressed_name.c_str(),
                a.compressed_top1, a.fp32_top1 - a.compressed_top1, a.label_agreement);
  }
  if (report.fp32_latency_ms) {
    std::printf("latency (median, 1 thread): fp32 %.3f ms, %s %.3f ms\n", *report.fp32_latency_ms,
                compressed_name.c_str(), *report.compressed_latency_ms);
  }
  // The layers that lose the most (lowest SQNR): where to look first, not failures.
  for (const std::string& line : report.error_advice) std::printf("least accurate layer: %s\n", line.c_str());
  if (!args.report.empty()) std::printf("report: %s\n", args.report.c_str());
  return 0;
}

}  // namespace

Action add_compress_command(CLI::App& app) {
  auto args = std::make_shared<CompressArgs>();
  CLI::App* cmd = app.add_subcommand(
      "compress",
      "Prune and/or quantise a model: int8 (calibrated), weight-only int4/fp16, or fp32 (pruning alone); with a "
      "per-layer error report");
  cmd->add_option("model", args->model, "model: .eai bundle or .onnx file")->required()->check(CLI::ExistingFile);
  cmd->add_option("-o,--output", args->output, "compressed bundle to write (.eai)")->required();
  cmd->add_option("--weights", args->weights,
                  "int8 (weights and activations), int4 or fp16 (weight-only), fp32 (no quantisation)")
      ->capture_default_str();
  cmd->add_option("--prune", args->prune,
                  "prune first: zero this share of the Conv/Gemm/MatMul weights of smallest magnitude, or with "
                  "--prune-structured remove this share of each Conv's filters; in [0, 1)");
  cmd->add_flag("--prune-structured", args->prune_structured,
                "remove whole Conv filters (smallest L2 norm) and rewrite the layers that read them");
  cmd->add_option("--prune-scope", args->prune_scope,
                  "unstructured: global (one threshold over all layers, default) or layer (the same sparsity in each)");
  cmd->add_option("--prune-keep", args->prune_keep, "node names to leave unpruned (comma-separated, repeatable)");
  cmd->add_option("--calib", args->calib,
                  "calibration data: fashion-mnist:train, mitdb:DS1, magnetic-tile:train, a folder (class folders of "
                  "images, or .npy files), or random");
  cmd->add_option("--calib-samples", args->calib_samples, "samples to calibrate on, spread over the set")
      ->capture_default_str();
  cmd->add_option("--method", args->method, "activation ranges: minmax, percentile, entropy (kl) or mse")
      ->capture_default_str();
  cmd->add_option("--percentile", args->percentile, "share of values kept by --method percentile, in %")
      ->capture_default_str();
  cmd->add_option("--keep-float", args->keep_float, "node names to keep in float32 (comma-separated, repeatable)");
  cmd->add_flag("--strict", args->strict, "fail when an operator cannot be quantised instead of keeping it float32");
  cmd->add_option("--eval", args->eval, "evaluation data for the accuracy figures (same forms as --calib)");
  cmd->add_option("--eval-samples", args->eval_samples, "evaluate on this many samples (default: all)");
  cmd->add_option("--max-accuracy-drop", args->max_accuracy_drop,
                  "mixed precision: keep the most sensitive layers float32 until top-1 on --eval drops at most "
                  "this many points");
  cmd->add_flag("--bias-correction", args->bias_correction,
                "fold the mean shift that weight rounding causes into each Conv/Gemm bias (from calibration means)");
  cmd->add_option("--activations", args->activations,
                  "integer activations: int8 (asymmetric) or int16 (symmetric, with int8 weights: 2x the activation "
                  "memory, ~256x less activation rounding error; Add/Mul and table functions stay float32)")
      ->capture_default_str();
  cmd->add_option("--weight-rounding", args->weight_rounding,
                  "int8/int4 weights: nearest (each weight on its own) or gptq (rounded against the calibration "
                  "inputs so each layer's output error is least; same format and kernels)")
      ->capture_default_str();
  cmd->add_flag("--budget-per-class", args->budget_per_class,
                "the accuracy budget also binds each class's Se and +P (classes with >= 100 samples in --eval)");
  cmd->add_option("--max-float-layers", args->max_float_layers,
                  "the most layers the accuracy budget may keep float32 (default: half)");
  cmd->add_option("--sqnr-samples", args->sqnr_samples, "samples for the per-layer SQNR table")->capture_default_str();
  cmd->add_option("--int4-block", args->int4_block, "weights per int4 scale")->capture_default_str();
  cmd->add_option("--report", args->report, "write an HTML report here");
  cmd->add_flag("--json", args->json, "print the report as JSON on stdout");
  cmd->add_flag("-q,--quiet", args->quiet, "no progress or advice on stderr");
  cmd->add_flag("--no-entropy-coding", args->no_entropy_coding,
                "store weights raw (zero-copy mmap at load) instead of as zstd frames (~10 % smaller for int8)");
  return [args] { return run_compress(*args); };
}

}  // namespace edgeai::cli
