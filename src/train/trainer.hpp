// Training of a GraphModule on a LabeledData set: optimiser, learning-rate schedule, class
// weighting or balanced sampling for imbalanced data, augmentation hook, per-epoch validation,
// and the best epoch (by a validation score) kept. Deterministic for a given seed on a given
// machine and thread count. Tools side: libtorch.
//
// Terminal output (docs for the CLI):
//   - stderr, when TrainOptions::progress and stderr is a terminal: a progress bar with ETA,
//     redrawn in place during each epoch;
//   - stderr, when TrainOptions::log_epochs: one plain line per epoch ("epoch 3/10 lr ... train
//     loss ... acc ... | val loss ... acc ... score ... | 4.2 s"), and a line naming the best epoch;
//   - stdout, when TrainOptions::json: one JSON object per epoch, one per line
//     ({"epoch":3,"epochs":10,"lr":...,"train_loss":...,...,"is_best":true}).
#pragma once

#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "core/status.hpp"
#include "data/labeled_data.hpp"
#include "train/torch_module.hpp"

namespace edgeai {

struct TrainOptions {
  std::string optimizer = "adam";   // "sgd" | "adam" | "adamw"
  double learning_rate = 1e-3;      // the peak rate for "onecycle"
  double momentum = 0.9;            // sgd only
  bool nesterov = false;            // sgd only
  // L2 penalty (sgd, adam) or decoupled decay (adamw), applied to weights of rank >= 2 only:
  // biases and BatchNormalization parameters are not decayed.
  double weight_decay = 0.0;
  int epochs = 10;
  int batch_size = 64;

  // Per-iteration learning rate: "none" (constant), "cosine" (to 0 at the end), "step"
  // (x lr_gamma every lr_step_epochs), "onecycle" (cosine up from lr/25 over the first 30%,
  // then cosine down to lr/1e4). warmup_epochs (none/cosine/step) ramps linearly from 0.
  std::string lr_schedule = "none";
  int lr_step_epochs = 10;
  double lr_gamma = 0.1;
  int warmup_epochs = 0;

  // Imbalanced data. Class weights in the loss: "none", "inverse" (N / (C * n_c)) or
  // "sqrt_inverse" (1/sqrt(n_c), scaled so the average weight over samples is 1). Balanced
  // sampling draws each epoch's N samples class-uniformly (with replacement) instead of a
  // permutation. Both may be combined, though one is usually enough.
  std::string class_weighting = "none";
  bool balanced_sampling = false;
  double label_smoothing = 0.0;

  std::uint64_t seed = 42;
  std::string device = "cpu";  // "cpu" or "cuda" (needs libtorch built with CUDA)
  int threads = 0;             // 0: all cores (std::thread::hardware_concurrency())

  bool json = false;       // one JSON object per epoch on stdout
  bool progress = true;    // progress bar on stderr (only when stderr is a terminal)
  bool log_epochs = true;  // one plain line per epoch on stderr

  // Applied to every training batch (never to validation): one CPU float32 tensor [B, ...] per
  // model input, modified in place or replaced. Use only `rng` for randomness (determinism).
  std::function<void(std::vector<torch::Tensor>& batch_inputs, std::mt19937_64& rng)> augment;

  // Validation score of (predicted labels, true labels); higher is better. Default: accuracy.
  std::function<double(const std::vector<std::int64_t>& predicted, const std::vector<std::int64_t>& truth)>
      selection_metric;
  std::string selection_metric_name = "accuracy";
};

struct EpochStats {
  int epoch = 0;  // 1-based
  double learning_rate = 0.0;  // at the end of the epoch
  double train_loss = 0.0;     // mean of the training criterion (weighted, smoothed) over batches
  double train_accuracy = 0.0; // of the training-mode predictions on the (augmented) batches
  double val_loss = 0.0;       // plain cross-entropy (no weights, no smoothing), eval mode
  double val_accuracy = 0.0;
  double val_score = 0.0;      // selection_metric on the validation set
  double seconds = 0.0;
};

struct TrainReport {
  std::vector<EpochStats> epochs;
  int best_epoch = 0;          // 1-based; the module holds this epoch's state when training returns
  double best_score = 0.0;
  std::string metric_name;
  std::vector<double> class_weights;  // empty with class_weighting "none"
  std::string device;
  int threads = 0;
  double total_seconds = 0.0;
};

// Trains `model` in place. The model's first output is the logits [N, C] with C =
// train.class_names.size(); data inputs are matched to graph inputs by name (or by position
// when the data set has no names). With an empty `val` the last epoch is kept and the
// validation fields are 0. Errors (bad options, mismatched data, a torch failure) come back as
// a Status; the model may then be partly trained.
Result<TrainReport> train_model(GraphModule& model, const LabeledData& train, const LabeledData& val,
                                const TrainOptions& options);

// Eval-mode outputs for every sample of `data`, batched: one tensor per graph output, [N, ...],
// on the CPU (for the first output of a classifier, the logits [N, C]). The module's train/eval
// mode is restored afterwards.
Result<std::vector<torch::Tensor>> predict(GraphModule& model, const LabeledData& data, int batch_size = 256);

// The order of `data.inputs` for `graph`'s inputs: entry i is the data input feeding graph input
// i. Matches by name; by position when data.input_names is empty. Checks the count and that
// every input has the same N.
Result<std::vector<std::size_t>> match_data_inputs(const Graph& graph, const LabeledData& data);

// A portable uniform integer in [0, n) (rejection sampling; std::uniform_int_distribution
// differs between standard libraries) and the Fisher-Yates shuffle built on it.
std::uint64_t uniform_index(std::mt19937_64& rng, std::uint64_t n);
void shuffle_indices(std::vector<std::int64_t>& indices, std::mt19937_64& rng);

// Accuracy: the fraction of equal entries (0 for empty input).
double accuracy_score(const std::vector<std::int64_t>& predicted, const std::vector<std::int64_t>& truth);

}  // namespace edgeai
