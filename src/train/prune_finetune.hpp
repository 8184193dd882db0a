// Fine-tuning of a pruned float graph with libtorch: the PruneFineTuneFn that
// compress/prune.hpp's prune_graph calls (PruneOptions::fine_tune). Unstructured pruning's zeros
// stay exactly zero while training: every masked parameter gets a gradient hook that zeroes the
// gradient where its mask is 0, so no optimiser moves it (Adam's moments stay 0; weight decay of
// a zero weight is 0), and the masks are applied to the result again. Structured pruning has no
// masks: its smaller graph is simply trained. Tools side only (edgeai-train).
#pragma once

#include <map>
#include <string>

#include "compress/prune.hpp"
#include "data/labeled_data.hpp"
#include "train/trainer.hpp"

namespace edgeai {

// Fine-tuning defaults on top of a model's training options: Adam at 1e-3 with a cosine decay to
// 0, no weight decay, 1 epoch. Ten times QAT's rate (qat_train_options): pruning moves the model
// much further from its optimum than int8 rounding does (25 % of the filters removed costs ~30
// points on Fashion-MNIST), so the survivors must move further too. Loss shaping, augmentation,
// the selection metric, batch size, seed, device and threads are kept from `base`.
TrainOptions prune_fine_tune_options(const TrainOptions& base = {});

struct PruneFineTuneReport {
  TrainReport training;
  std::int64_t masked_parameters = 0;  // parameters with a gradient mask (unstructured pruning)
  std::int64_t masked_weights = 0;     // weights held at zero by those masks
};

// Fine-tunes `pruned` (a float graph, batch dimension 1 or -1) on `train` and returns it with the
// trained weights, same structure and node names. `masks` as PruneResult::masks: each names a
// weight constant; its 0 positions are held at exactly 0 (gradient hook, then re-applied).
// `validation` (may be empty) selects the best epoch. Deterministic for a given options.seed on a
// given machine and thread count.
Result<Graph> fine_tune_pruned(const Graph& pruned, const std::map<std::string, Tensor>& masks,
                               const LabeledData& train, const LabeledData& validation, const TrainOptions& options,
                               PruneFineTuneReport* report = nullptr);

// fine_tune_pruned as a PruneFineTuneFn for PruneOptions::fine_tune. `train`, `validation`
// (nullptr: none) and `report` (nullptr: none) are not copied: they must outlive the function.
PruneFineTuneFn prune_fine_tuner(const LabeledData& train, TrainOptions options = prune_fine_tune_options(),
                                 const LabeledData* validation = nullptr, PruneFineTuneReport* report = nullptr);

}  // namespace edgeai
