#include "compress/compress.hpp"

#include <algorithm>
#include <cmath>

#include "compress/weight_only.hpp"
#include "data/evaluate.hpp"
#include "data/sample_feeder.hpp"
#include "runtime/session.hpp"

namespace edgeai {

std::string_view weight_format_name(WeightFormat format) {
  switch (format) {
    case WeightFormat::kInt8: return "int8";
    case WeightFormat::kInt4: return "int4";
    case WeightFormat::kFp16: return "fp16";
    case WeightFormat::kFp32: return "fp32";
  }
  return "?";
}

Result<WeightFormat> parse_weight_format(std::string_view name) {
  for (WeightFormat f : {WeightFormat::kInt8, WeightFormat::kInt4, WeightFormat::kFp16, WeightFormat::kFp32}) {
    if (name == weight_format_name(f)) return f;
  }
  return invalid_argument("unknown weight format '", name,
                          "': use int8 (full int8), int4 or fp16 (weight-only), or fp32 (no quantisation)");
}

std::string_view weight_rounding_name(WeightRounding rounding) {
  return rounding == WeightRounding::kGptq ? "gptq" : "nearest";
}

Result<WeightRounding> parse_weight_rounding(std::string_view name) {
  for (WeightRounding r : {WeightRounding::kNearest, WeightRounding::kGptq}) {
    if (name == weight_rounding_name(r)) return r;
  }
  return invalid_argument("unknown weight rounding '", name, "': use nearest or gptq");
}

namespace {

// The bundle around a compressed graph: the source's manifest (same interface, labels,
// preprocessing; created_at kept, so compressing is a pure function of model and data), the
// compression recorded in the metadata, golden vectors recomputed by the compressed model.
Result<Bundle> make_bundle(const Bundle& source, Graph graph, const std::map<std::string, std::string>& facts) {
  Bundle out;
  out.manifest = source.manifest;
  out.manifest.inputs = graph.inputs;
  out.manifest.outputs = graph.outputs;
  for (const auto& [key, value] : facts) out.manifest.metadata[key] = value;
  out.manifest.golden.clear();
  if (source.manifest.has_golden_vectors()) {
    EDGEAI_ASSIGN_OR_RETURN(std::unique_ptr<Session> session, Session::create(graph));
    for (const GoldenVector& g : source.manifest.golden) {
      std::vector<Tensor> inputs;
      for (const auto& [name, tensor] : g.inputs) inputs.push_back(tensor);
      EDGEAI_ASSIGN_OR_RETURN(std::vector<Tensor> outputs,
                              session->run_and_copy(inputs));
      GoldenVector golden;
      golden.inputs = g.inputs;
      // The compressed model reproduces these exactly on any platform (integer arithmetic, or
      // the same float kernels); the tolerance leaves room for optimised float kernels.
      golden.atol = 1e-4f;
      golden.rtol = 1e-3f;
      for (std::size_t i = 0; i < outputs.size(); ++i) golden.outputs.emplace_back(graph.outputs[i].name, outputs[i]);
      out.manifest.golden.push_back(std::move(golden));
    }
  }
  out.graph = std::move(graph);
  return out;
}

double percent(double x) { return 100.0 * x; }

Result<EvaluationResult> evaluate_graph(const Graph& graph, const LabeledData& data,
                                        const std::vector<std::string>& labels) {
  EDGEAI_ASSIGN_OR_RETURN(std::unique_ptr<Session> session, Session::create(graph));
  return evaluate_on_runtime(*session, data, labels);
}

AccuracyFigures compare_accuracy(const EvaluationResult& fp32, const EvaluationResult& compressed) {
  AccuracyFigures a;
  a.fp32_top1 = percent(fp32.confusion.accuracy());
  a.compressed_top1 = percent(compressed.confusion.accuracy());
  a.samples = static_cast<std::int64_t>(fp32.predicted.size());
  std::int64_t same = 0;
  for (std::size_t i = 0; i < fp32.predicted.size(); ++i) same += fp32.predicted[i] == compressed.predicted[i];
  a.label_agreement = a.samples > 0 ? 100.0 * static_cast<double>(same) / static_cast<double>(a.samples) : 0.0;
  a.class_names = fp32.confusion.class_names();
  for (std::size_t c = 0; c < a.class_names.size(); ++c) {
    a.fp32_sensitivity.push_back(percent(fp32.confusion.sensitivity(c)));
    a.fp32_ppv.push_back(percent(fp32.confusion.positive_predictivity(c)));
    a.compressed_sensitivity.push_back(percent(compressed.confusion.sensitivity(c)));
    a.compressed_ppv.push_back(percent(compressed.confusion.positive_predictivity(c)));
  }
  return a;
}

// What the accuracy budget bounds, in points: the top-1 drop, and with `per_class` also the
// largest drop of any class's Se or +P among classes with enough support.
double accuracy_drop(const EvaluationResult& fp32, const EvaluationResult& compressed, const CompressOptions& options) {
  double drop = percent(fp32.confusion.accuracy()) - percent(compressed.confusion.accuracy());
  if (!options.budget_per_class) return drop;
  for (std::size_t c = 0; c < fp32.confusion.num_classes(); ++c) {
    if (fp32.confusion.support(c) < options.budget_min_class_support) continue;
    for (const auto& [a, b] : {std::pair{fp32.confusion.sensitivity(c), compressed.confusion.sensitivity(c)},
                               std::pair{fp32.confusion.positive_predictivity(c),
                                         compressed.confusion.positive_predictivity(c)}}) {
      if (std::isnan(a)) continue;
      drop = std::max(drop, std::isnan(b) ? 100.0 : percent(a) - percent(b));
    }
  }
  return drop;
}

using StatisticsMap = std::map<std::string, TensorStatistics>;
using SqnrMap = std::map<std::string, LayerSqnr>;
using MacsMap = std::map<std::string, std::int64_t>;


}  // namespace

Result<std::map<std::string, std::int64_t>> macs_per_node(const Graph& graph, const LabeledData& data) {
  SessionOptions options;
  options.profile = true;
  EDGEAI_ASSIGN_OR_RETURN(std::unique_ptr<Session> session, Session::create(graph, options));
  EDGEAI_ASSIGN_OR_RETURN(SampleFeeder feeder, SampleFeeder::create(graph.inputs, data));
  EDGEAI_RETURN_IF_ERROR(session->run(feeder.sample(0)));
  std::map<std::string, std::int64_t> macs;
  for (const OperatorProfile& p : session->profile()) macs[p.node_name] = p.macs;
  return macs;
}

Status check_compress_options(const CompressOptions& options) {
  if (options.weight_rounding == WeightRounding::kGptq && options.weights != WeightFormat::kInt8 &&
      options.weights != WeightFormat::kInt4) {
    return invalid_argument("--weight-rounding gptq applies to int8 and int4 weights, not ",
                            weight_format_name(options.weights));
  }
  if (options.quantize.activation_type == DType::kInt16) {
    if (options.weights != WeightFormat::kInt8) {
      return invalid_argument("--activations int16 applies to integer models (--weights int8), not ",
                              weight_format_name(options.weights));
    }
    if (options.calibration.method == CalibrationMethod::kEntropy || options.calibration.method == CalibrationMethod::kMse) {
      // Both trade clipping against 8-bit resolution; at 16 bits that trade clips what int16 keeps.
      return invalid_argument("--method ", calibration_method_name(options.calibration.method),
                              " chooses ranges for 8-bit activations; with int16 activations use minmax or percentile");
    }
  }
  return Status::ok();
}

Result<CompressionResult> compress_model(const Bundle& source, const LabeledData* calibration,
                                         const LabeledData* evaluation, const CompressOptions& options,
                                         const ProgressFn& progress) {
  EDGEAI_RETURN_IF_ERROR(check_compress_options(options));
  CompressionResult result;
  const std::vector<std::string>& labels = source.manifest.labels;
  std::map<std::string, std::string> facts{{"compression.weights", std::string(weight_format_name(options.weights))},
                                           {"compression.source_version", source.manifest.version}};

  // What gets quantised: the source's graph, or its pruned form.
  Graph graph = source.graph;
  if (options.prune) {
    EDGEAI_ASSIGN_OR_RETURN(PruneResult pruned, prune_graph(source.graph, *options.prune));
    if (progress) progress("pruning", 1, 1);
    result.pruning = pruned.description;
    result.pruned_layers = std::move(pruned.layers);
    facts["compression.pruning"] = pruned.description;
    graph = std::move(pruned.graph);
  }

  if (options.weights != WeightFormat::kInt8) {
    WeightOnlyGraph w{graph, {}, {}};
    std::map<std::string, InputCovariance> covariances;
    if (options.weight_rounding == WeightRounding::kGptq) {
      if (calibration == nullptr || calibration->size() == 0) {
        return invalid_argument("GPTQ rounding needs calibration data (--calib): it fits the weights to the layers' inputs");
      }
      EDGEAI_ASSIGN_OR_RETURN(covariances, collect_input_covariances(graph, *calibration, nullptr, progress));
      facts["compression.weight_rounding"] = "gptq";
    }
    if (options.weights != WeightFormat::kFp32) {
      const WeightOnlyFormat format =
          options.weights == WeightFormat::kInt4 ? WeightOnlyFormat::kInt4 : WeightOnlyFormat::kFp16;
      EDGEAI_ASSIGN_OR_RETURN(w, compress_weights(graph, format, options.int4_block_size, options.quantize.keep_float,
                                                  covariances.empty() ? nullptr : &covariances));
    }
    if (options.weights == WeightFormat::kInt4) facts["compression.int4_block_size"] = str_cat(options.int4_block_size);
    std::map<std::string, std::int64_t> macs;
    if (calibration != nullptr && calibration->size() > 0) {
      EDGEAI_ASSIGN_OR_RETURN(macs, macs_per_node(graph, *calibration));
    }
    for (const Node& n : graph.nodes) {
      LayerReport l{n.name, n.op_type, "float32", "", macs[n.name], std::nullopt};
      auto it = w.compressed_nodes.find(n.name);
      if (it != w.compressed_nodes.end()) {
        l.precision = str_cat(weight_format_name(options.weights), " weights");
      } else if (options.weights != WeightFormat::kFp32) {
        l.reason = "no weights to compress";
      }
      result.layers.push_back(std::move(l));
    }
    if (evaluation != nullptr) {
      EDGEAI_ASSIGN_OR_RETURN(EvaluationResult fp32, evaluate_graph(source.graph, *evaluation, labels));
      EDGEAI_ASSIGN_OR_RETURN(EvaluationResult compressed, evaluate_graph(w.graph, *evaluation, labels));
      result.accuracy = compare_accuracy(fp32, compressed);
    }
    EDGEAI_ASSIGN_OR_RETURN(result.bundle, make_bundle(source, std::move(w.graph), facts));
    return result;
  }

  if (calibration == nullptr) return invalid_argument("int8 quantisation needs calibration data (--calib)");

  EDGEAI_ASSIGN_OR_RETURN(Int8Calibration calibrated,
                          calibrate_int8(graph, *calibration, options.calibration, progress));
  EDGEAI_ASSIGN_OR_RETURN(CompressionResult int8,
                          compress_int8(source, calibrated, *calibration, evaluation, options, progress));
  if (!result.pruning.empty()) int8.bundle.manifest.metadata["compression.pruning"] = result.pruning;
  int8.pruning = std::move(result.pruning);
  int8.pruned_layers = std::move(result.pruned_layers);
  return int8;
}

Result<Int8Calibration> calibrate_int8(const Graph& graph, const LabeledData& calibration,
                                       const CalibrationOptions& options, const ProgressFn& progress) {
  Int8Calibration out;
  out.prepared = graph;
  split_unfusable_activations(out.prepared);
  const std::vector<std::string> values = values_to_calibrate(out.prepared);
  EDGEAI_ASSIGN_OR_RETURN(StatisticsMap stats, collect_statistics(out.prepared, values, calibration, options, progress));
  for (const auto& [name, s] : stats) {
    out.ranges[name] = choose_range(s, options);
    if (!s.channel_means.empty()) out.channel_means[name] = s.channel_means;
  }
  out.description = str_cat(calibration_method_name(options.method),
                            options.method == CalibrationMethod::kPercentile ? str_cat(" ", options.percentile)
                                                                              : std::string(),
                            ", ", calibration.size(), " samples", options.channel_means ? ", bias correction" : "");
  return out;
}

Result<CompressionResult> compress_int8(const Bundle& source, const Int8Calibration& calibrated,
                                        const LabeledData& calibration_data, const LabeledData* evaluation,
                                        const CompressOptions& options, const ProgressFn& progress) {
  CompressionResult result;
  const std::vector<std::string>& labels = source.manifest.labels;
  std::map<std::string, std::string> facts{{"compression.weights", "int8"},
                                           {"compression.source_version", source.manifest.version},
                                           {"compression.calibration", calibrated.description}};
  const LabeledData* calibration = &calibration_data;
  const Graph& prepared = calibrated.prepared;
  const std::map<std::string, std::pair<float, float>>& ranges = calibrated.ranges;
  result.calibration_samples = calibration->size();

  QuantizeOptions base_quantize = options.quantize;
  const bool int16 = base_quantize.activation_type == DType::kInt16;
  if (int16) facts["compression.activations"] = "int16";
  if (!calibrated.channel_means.empty()) base_quantize.channel_means = &calibrated.channel_means;
  std::map<std::string, InputCovariance> covariances;
  if (options.weight_rounding == WeightRounding::kGptq) {
    // All the calibration samples: a subset would depend on their order.
    EDGEAI_ASSIGN_OR_RETURN(covariances, collect_input_covariances(prepared, *calibration, &ranges, progress));
    base_quantize.input_covariances = &covariances;
    facts["compression.weight_rounding"] = "gptq";
  }
  QuantizeOptions quantize_options = base_quantize;
  EDGEAI_ASSIGN_OR_RETURN(QuantizedGraph quantized, quantize_int8(prepared, ranges, quantize_options));
  EDGEAI_ASSIGN_OR_RETURN(SqnrMap sqnr,
                          measure_layer_sqnr(prepared, quantized, *calibration, options.sqnr_samples, progress));

  std::optional<EvaluationResult> fp32_eval;
  std::optional<EvaluationResult> int8_eval;
  if (evaluation != nullptr) {
    EDGEAI_ASSIGN_OR_RETURN(fp32_eval, evaluate_graph(source.graph, *evaluation, labels));
    EDGEAI_ASSIGN_OR_RETURN(int8_eval, evaluate_graph(quantized.graph, *evaluation, labels));
    if (progress) progress("evaluating", 1, 1);
  }

  if (options.max_accuracy_drop) {
    if (!fp32_eval) return invalid_argument("an accuracy budget needs an evaluation set (--eval)");
    const double budget = *options.max_accuracy_drop;
    if (budget < 0.0) return invalid_argument("--max-accuracy-drop must be >= 0 points, got ", budget);
    const double fp32_top1 = percent(fp32_eval->confusion.accuracy());
    // Candidates for float32, most sensitive first (lowest local SQNR); layers that only move
    // int8 values (MaxPool, Reshape, ...) add no error of their own and are not candidates.
    std::vector<std::pair<double, std::string>> ranked;
    for (const LayerDecision& d : quantized.layers) {
      auto it = sqnr.find(d.node);
      const bool moves_only = d.quantized_op == d.op_type || d.quantized_op == "Identity";
      if (d.quantized && !moves_only && it != sqnr.end()) ranked.emplace_back(it->second.local_db, d.node);
    }
    std::sort(ranked.begin(), ranked.end());
    const int limit = options.max_float_layers >= 0 ? std::min<int>(options.max_float_layers, static_cast<int>(ranked.size()))
                                                    : static_cast<int>(ranked.size()) / 2;
    double top1 = percent(int8_eval->confusion.accuracy());
    double drop = accuracy_drop(*fp32_eval, *int8_eval, options);
    result.budget_search.push_back({0, top1, drop});
    int kept = 0;
    double best_top1 = top1, best_drop = drop;
    int best_kept = 0;
    while (drop > budget && kept < limit) {
      kept = std::min(limit, kept == 0 ? 1 : kept * 2);
      QuantizeOptions trial = base_quantize;
      for (int i = 0; i < kept; ++i) trial.keep_float.insert(ranked[static_cast<std::size_t>(i)].second);
      EDGEAI_ASSIGN_OR_RETURN(QuantizedGraph candidate, quantize_int8(prepared, ranges, trial));
      EDGEAI_ASSIGN_OR_RETURN(EvaluationResult e, evaluate_graph(candidate.graph, *evaluation, labels));
      top1 = percent(e.confusion.accuracy());
      drop = accuracy_drop(*fp32_eval, e, options);
      result.budget_search.push_back({kept, top1, drop});
      if (progress) progress("accuracy budget", kept, limit);
      if (drop < best_drop) best_top1 = top1, best_drop = drop, best_kept = kept;
      if (drop <= budget) {
        quantized = std::move(candidate);
        int8_eval = std::move(e);
        quantize_options = trial;
      }
    }
    if (accuracy_drop(*fp32_eval, *int8_eval, options) > budget) {
      return invalid_argument("the accuracy budget of ", budget, " points", options.budget_per_class ? " (per class)" : "",
                              " cannot be met: fp32 top-1 is ", fp32_top1, " %, the best found is ", best_top1,
                              " % (drop ", best_drop, options.budget_per_class ? " points in the worst class figure" : "",
                              ") with ", best_kept, " of ", ranked.size(),
                              " layers in float32; allow a larger drop, more float layers (--max-float-layers), "
                              "or calibrate with more data or another --method");
    }
    if (kept > 0) {
      EDGEAI_ASSIGN_OR_RETURN(sqnr, measure_layer_sqnr(prepared, quantized, *calibration, options.sqnr_samples));
    }
    facts["compression.accuracy_budget"] = str_cat(budget, " points", options.budget_per_class ? " per class" : "");
  }

  EDGEAI_ASSIGN_OR_RETURN(MacsMap macs, macs_per_node(prepared, *calibration));
  for (const LayerDecision& d : quantized.layers) {
    LayerReport l{d.node, d.op_type, d.quantized ? (int16 ? "int16 activations" : "int8") : "float32", d.reason,
                  macs[d.node], std::nullopt};
    auto it = sqnr.find(d.node);
    if (it != sqnr.end()) l.sqnr = it->second;
    if (!d.quantized && quantize_options.keep_float.count(d.node) == 0 && d.op_type != "Shape") {
      result.warnings.push_back(str_cat(d.op_type, " '", d.node, "' stays in float32: ", d.reason));
    }
    result.layers.push_back(std::move(l));
  }
  if (fp32_eval) result.accuracy = compare_accuracy(*fp32_eval, *int8_eval);
  EDGEAI_ASSIGN_OR_RETURN(result.bundle, make_bundle(source, std::move(quantized.graph), facts));
  return result;
}

}  // namespace edgeai
