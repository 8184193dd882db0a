// Evaluation of a deployed model on a labelled data set with the edgeai runtime (not
// libtorch), so reported figures are those of the artifact that ships. One sample per run,
// as a device runs it; the sample's bytes are read in place from the data set.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/status.hpp"
#include "data/labeled_data.hpp"
#include "data/metrics.hpp"
#include "runtime/session.hpp"

namespace edgeai {

struct EvaluationResult {
  ConfusionMatrix confusion{{}};
  std::vector<std::int64_t> predicted;   // argmax of the first output, per sample
  std::vector<float> logits;             // the first output, [N, C] row-major
  std::int64_t num_classes = 0;
  double seconds = 0.0;                  // wall time of all runs
  double mean_latency_ms = 0.0;
  // Two-class models: ROC AUC of the softmax probability of class 1 (e.g. "defect").
  std::optional<double> roc_auc;
};

// Runs `session` (inputs matched to data.input_names by name, or by position) on every sample
// and scores the argmax of the first output against the labels. `class_names` label the
// confusion matrix (the bundle's labels; the data set's when empty). A data set whose inputs
// do not fit the model is an error naming the input and both shapes.
Result<EvaluationResult> evaluate_on_runtime(Session& session, const LabeledData& data,
                                             const std::vector<std::string>& class_names = {});

}  // namespace edgeai
