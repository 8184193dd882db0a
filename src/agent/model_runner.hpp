// One loaded model on a device (issue 7): a bundle's Session plus what its manifest says about
// turning outputs into an event — the class labels, whether the first output is logits or
// probabilities, which labels are anomalies, and below which confidence a prediction counts as
// uncertain. The inference service holds one (two in shadow mode) and swaps it between two
// inferences when an update activates a new bundle.
//
// Manifest metadata read here (all optional):
//   version (the manifest's own)     reported with every event and window
//   anomaly_labels   "V,S" / "defect": a prediction of one of these is an anomaly
//   min_confidence   "0.5": a top-1 probability below it is an anomaly too (uncertain)
//   output           "logits" (softmax applied) or "probabilities"; default: probabilities when
//                    the first output is already a distribution, else logits
// Errors are values; nothing throws.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/status.hpp"
#include "core/tensor.hpp"
#include "format/bundle.hpp"
#include "runtime/session.hpp"

namespace edgeai {

struct Prediction {
  int label = -1;           // index into labels()
  float confidence = 0.0f;  // top-1 probability
  bool anomaly = false;     // an anomaly label, or confidence below min_confidence
  bool uncertain = false;   // confidence below min_confidence
  double latency_ms = 0.0;  // the Session's run, preprocessing not included
};

class ModelRunner {
 public:
  static Result<std::unique_ptr<ModelRunner>> load(const std::string& bundle_path, int threads = 1);

  // Runs one sample (one tensor per model input, batch 1) and reads the first output.
  Result<Prediction> classify(std::span<const TensorView> inputs);
  // The probabilities of the last classify(), one per label.
  const std::vector<float>& probabilities() const { return probabilities_; }

  const Manifest& manifest() const { return manifest_; }
  const std::vector<std::string>& labels() const { return labels_; }
  // The version events and telemetry name: the release version the device installed when set
  // (it may differ from the manifest's), else the manifest's.
  const std::string& version() const { return reported_version_.empty() ? manifest_.version : reported_version_; }
  void set_reported_version(std::string version) { reported_version_ = std::move(version); }
  const std::string& path() const { return path_; }
  const std::vector<ValueInfo>& inputs() const { return session_->inputs(); }
  std::string label_name(int label) const;
  bool is_anomaly_label(int label) const;
  float min_confidence() const { return min_confidence_; }

 private:
  ModelRunner() = default;

  std::string path_;
  std::string reported_version_;
  Manifest manifest_;
  std::unique_ptr<Session> session_;
  std::vector<std::string> labels_;
  std::vector<bool> anomaly_labels_;
  float min_confidence_ = 0.0f;
  int output_kind_ = 0;  // 0 auto, 1 logits, 2 probabilities
  std::vector<float> probabilities_;
};

}  // namespace edgeai
