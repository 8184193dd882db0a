// Quantisation-aware training (QAT): fine-tune a float model with fake quantisation at exactly
// the int8 parameters, rounding and clamping the runtime will use, then quantise the fine-tuned
// weights with the same calibration. Recovers accuracy that post-training quantisation loses.
// Tools side: libtorch (train) and the compressor (compress); nothing on the device uses it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "compress/compress.hpp"
#include "data/labeled_data.hpp"
#include "format/bundle.hpp"
#include "train/torch_module.hpp"
#include "train/trainer.hpp"

namespace edgeai {

// Fine-tuning defaults on top of a model's training options: Adam at 1e-4 with a cosine decay,
// no weight decay, 1 epoch. What shapes the loss (class weighting, label smoothing, balanced
// sampling), augmentation, the selection metric, batch size, seed, device and threads are
// kept from `base`, so QAT optimises what training optimised.
TrainOptions qat_train_options(const TrainOptions& base = {});

struct QatOptions {
  TrainOptions train = qat_train_options();
  // Selects the best epoch (scored with fake quantisation, which is the int8 model up to the
  // integer rounding of accumulators) and guards the result: when fine-tuning does not raise
  // the validation score above that of the calibrated model before fine-tuning (what PTQ
  // ships), the original weights are kept. Not owned; nullptr: the last epoch is kept.
  const LabeledData* validation = nullptr;
};

struct QatReport {
  TrainReport training;
  std::int64_t fake_quantized_values = 0;   // activations with int8 parameters
  std::int64_t fake_quantized_weights = 0;  // per-channel int8 weights
  // On `validation`, with fake quantisation: before fine-tuning (the PTQ model) and after.
  std::optional<double> validation_score_before;
  std::optional<double> validation_score_after;
  bool kept_fine_tuned = true;  // false: the guard above restored the original weights
  // On `evaluation`: the top-1 (%) of the PTQ int8 model (same calibration, no fine-tuning).
  std::optional<double> ptq_top1;
};

// The fake quantisation that reproduces `quantized` (quantize_int8 of `prepared`): the params_of
// every float value with an int8 version (activations, pass-through outputs, constant operands
// of Add/Mul) and the weight of every quantised Conv/Gemm/MatMul with its output-channel axis
// (0 for Conv and Gemm transB = 1, 1 for Gemm transB = 0 and MatMul's B).
FakeQuantization fake_quantization_for(const Graph& prepared, const QuantizedGraph& quantized);

// The graph `prepared` with batch dimension -1 on its inputs (bundles declare 1), so it trains
// on batches; shapes are re-inferred by GraphModule.
Graph trainable_graph(const Graph& prepared);

// QAT of `fp32` (a bundle's float graph; BatchNormalization is folded first when a Conv feeds
// it): calibrate_int8 on `calibration_data` with compress_options.calibration; quantise once to
// learn which values and weights are int8 and with which parameters (compress_options.quantize:
// layers kept in float stay float during fine-tuning too); fine-tune a GraphModule of the
// calibrated graph with that fake quantisation on `train_data` (ranges fixed); quantise the
// fine-tuned weights with the same ranges (compress_int8). `evaluation`, when given, yields the
// accuracy figures (fp32 = the source bundle, compressed = the QAT int8 model) and, with
// `report`, the PTQ top-1. The bundle's metadata records "compression.qat". Deterministic for
// a given options.train.seed on a given machine and thread count.
Result<CompressionResult> quantization_aware_training(const Bundle& fp32, const LabeledData& train_data,
                                                      const LabeledData& calibration_data,
                                                      const LabeledData* evaluation, const QatOptions& options,
                                                      const CompressOptions& compress_options,
                                                      const ProgressFn& progress = {}, QatReport* report = nullptr);

}  // namespace edgeai
