// The compression pipeline behind `edgeai compress`: prune (optional), calibrate, quantise (int8,
// or weight-only int4/fp16), measure per-layer error, keep the most sensitive layers in float32
// until an accuracy budget holds, and produce the compressed bundle with everything the report
// shows. Tool side (compress).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "compress/calibration.hpp"
#include "compress/prune.hpp"
#include "compress/quantize.hpp"
#include "compress/sensitivity.hpp"
#include "data/labeled_data.hpp"
#include "format/bundle.hpp"

namespace edgeai {

enum class WeightFormat {
  kInt8,  // full int8: weights and activations (the default)
  kInt4,  // weight-only: group-wise int4 weights, float32 compute
  kFp16,  // weight-only: float16 weights, float32 compute
  kFp32,  // no quantisation (pruning alone)
};
std::string_view weight_format_name(WeightFormat format);
Result<WeightFormat> parse_weight_format(std::string_view name);

// How int8 weights take their grid points: nearest (round each weight on its own) or GPTQ
// (compress/gptq.hpp: round against the layer's calibration inputs, so the output error is least).
enum class WeightRounding { kNearest, kGptq };
std::string_view weight_rounding_name(WeightRounding rounding);
Result<WeightRounding> parse_weight_rounding(std::string_view name);

struct CompressOptions {
  // Magnitude pruning of the float graph before `weights` is applied (nullopt: none).
  std::optional<PruneOptions> prune;
  WeightFormat weights = WeightFormat::kInt8;
  CalibrationOptions calibration;
  QuantizeOptions quantize;
  WeightRounding weight_rounding = WeightRounding::kNearest;
  std::int64_t sqnr_samples = 32;  // samples for the per-layer error table
  int int4_block_size = 64;        // weights per int4 scale
  // Mixed precision: with an evaluation set, keep the layers with the lowest local SQNR in
  // float32 until top-1 drops by at most this many points (nullopt: no budget).
  std::optional<double> max_accuracy_drop;
  int max_float_layers = -1;  // the most layers the budget may keep in float (-1: half of them)
  // The budget also binds every class's sensitivity and positive predictivity (classes with at
  // least `budget_min_class_support` samples in the evaluation set): for imbalanced problems such
  // as ECG beats, where top-1 hides what happens to the rare classes.
  bool budget_per_class = false;
  std::int64_t budget_min_class_support = 100;
};

struct LayerReport {
  std::string node;
  std::string op_type;
  std::string precision;  // "int8", "int16 activations" (int8 weights), "int4 weights", "fp16 weights", "float32"
  std::string reason;     // why float32, when it is
  std::int64_t macs = 0;
  std::optional<LayerSqnr> sqnr;
};

struct AccuracyFigures {
  double fp32_top1 = 0.0;        // %
  double compressed_top1 = 0.0;  // %
  double label_agreement = 0.0;  // % of samples where both models predict the same class
  std::int64_t samples = 0;
  std::vector<std::string> class_names;
  // Per class: sensitivity (recall) and positive predictivity (precision), in %.
  std::vector<double> fp32_sensitivity, fp32_ppv, compressed_sensitivity, compressed_ppv;
};

struct MixedPrecisionStep {
  int float_layers = 0;
  double top1 = 0.0;
  double drop = 0.0;  // the budgeted figure: top-1 drop, or the largest per-class drop too
};

struct CompressionResult {
  Bundle bundle;
  std::vector<LayerReport> layers;
  std::vector<std::string> warnings;
  std::int64_t calibration_samples = 0;
  std::optional<AccuracyFigures> accuracy;
  std::vector<MixedPrecisionStep> budget_search;  // what the accuracy budget tried
  std::string pruning;                     // PruneResult::description; empty when not pruned
  std::vector<PrunedLayer> pruned_layers;  // per prunable layer, when pruned
};

// Options that cannot go together (GPTQ with fp16 weights, int16 activations with weight-only
// formats or with 8-bit range methods): an error saying which. compress_model checks them first;
// a front end can call it before loading any data.
Status check_compress_options(const CompressOptions& options);

// Compresses `source` (pruned first when options.prune is set; the accuracy figures compare with
// the unpruned float model). `calibration` is required for int8 (its samples set the activation
// ranges and the per-layer error table); weight-only formats ignore it. `evaluation`, when
// given, yields the accuracy figures and drives the accuracy budget.
Result<CompressionResult> compress_model(const Bundle& source, const LabeledData* calibration,
                                         const LabeledData* evaluation, const CompressOptions& options,
                                         const ProgressFn& progress = {});

// Multiply-accumulates per node name, from the kernels the runtime prepares for sample 0 of `data`.
Result<std::map<std::string, std::int64_t>> macs_per_node(const Graph& graph, const LabeledData& data);

// The two steps of int8 compression, apart, for quantisation-aware training (train/qat.hpp):
// calibrate once, fine-tune the float graph with fake quantisation at exactly these ranges, then
// quantise the fine-tuned graph with the same ranges.
struct Int8Calibration {
  Graph prepared;  // the float graph as quantised: activations int8 kernels cannot fuse split off
  std::map<std::string, std::pair<float, float>> ranges;  // per float value of `prepared`
  std::string description;                               // "minmax, 500 samples"
  // Per float value, its channel means (CalibrationOptions::channel_means): bias correction.
  std::map<std::string, std::vector<double>> channel_means;
};
Result<Int8Calibration> calibrate_int8(const Graph& graph, const LabeledData& calibration,
                                       const CalibrationOptions& options, const ProgressFn& progress = {});
// Quantises `calibrated.prepared` (its weights may differ from the source's: fine-tuned) and
// builds the result; accuracy compares with `source.graph`.
Result<CompressionResult> compress_int8(const Bundle& source, const Int8Calibration& calibrated,
                                        const LabeledData& calibration_data, const LabeledData* evaluation,
                                        const CompressOptions& options, const ProgressFn& progress = {});

}  // namespace edgeai
