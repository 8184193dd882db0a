// What a device tells the server about its inferences (issue 7): per-window aggregates, never
// the inputs. A window counts predictions per class, a histogram of top-1 confidence, the
// latency percentiles, anomalies, frames dropped and errors, for one model version; in shadow
// mode also how often a candidate model agreed with the active one, and their confusion
// matrix. close() renders the window as the JSON body of a telemetry item (kind "window").
//
// The confidence histogram and latency buckets are those of data/telemetry_stats.hpp: the
// confidence bins are the baseline's a bundle records at training time (the server's drift
// score), and bucket counts merge across windows and devices into fleet percentiles.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "agent/model_runner.hpp"
#include "data/telemetry_stats.hpp"

namespace edgeai {

class TelemetryWindow {
 public:
  // `labels`: the model's class names; `model_version`: reported with the window.
  void reset(double start_unix_s, std::vector<std::string> labels, std::string model_version);

  void add(const Prediction& p);
  void add_dropped(std::int64_t frames) { dropped_ += frames; }
  void add_error() { ++errors_; }
  // Shadow mode: the candidate's prediction on the same input as `active`.
  void add_shadow(const Prediction& active, const Prediction& candidate, double candidate_latency_ms);
  void set_shadow_version(std::string version) { shadow_version_ = std::move(version); }

  std::int64_t inferences() const { return inferences_; }
  bool empty() const { return inferences_ == 0 && dropped_ == 0 && errors_ == 0 && shadow_inferences_ == 0; }
  double start() const { return start_; }
  const std::string& model_version() const { return version_; }

  // The window as JSON; `end_unix_s` closes it.
  std::string close(double end_unix_s) const;

 private:
  double start_ = 0.0;
  std::vector<std::string> labels_;
  std::string version_;
  std::int64_t inferences_ = 0, anomalies_ = 0, uncertain_ = 0, dropped_ = 0, errors_ = 0;
  std::vector<std::int64_t> counts_;
  std::int64_t histogram_[kConfidenceBins] = {};
  std::vector<double> latencies_;
  std::int64_t latency_buckets_[kLatencyBuckets] = {};
  // Shadow.
  std::string shadow_version_;
  std::int64_t shadow_inferences_ = 0, shadow_agree_ = 0, shadow_anomalies_ = 0;
  std::vector<std::int64_t> confusion_;  // active x candidate, row-major
  std::vector<double> shadow_latencies_;
};

// Nearest-rank percentile (p in [0, 100]) of `values` (sorted in place); 0 when empty.
double percentile(std::vector<double>& values, double p);

}  // namespace edgeai
