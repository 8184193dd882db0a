#include "agent/telemetry_window.hpp"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

namespace edgeai {

double percentile(std::vector<double>& values, double p) {
  if (values.empty()) return 0.0;
  std::sort(values.begin(), values.end());
  const auto n = static_cast<double>(values.size());
  const auto rank = static_cast<std::size_t>(std::max(1.0, std::ceil(p / 100.0 * n)));
  return values[std::min(values.size(), rank) - 1];
}

void TelemetryWindow::reset(double start_unix_s, std::vector<std::string> labels, std::string model_version) {
  start_ = start_unix_s;
  labels_ = std::move(labels);
  version_ = std::move(model_version);
  inferences_ = anomalies_ = uncertain_ = dropped_ = errors_ = 0;
  counts_.assign(labels_.size(), 0);
  std::fill(std::begin(histogram_), std::end(histogram_), 0);
  latencies_.clear();
  std::fill(std::begin(latency_buckets_), std::end(latency_buckets_), 0);
  shadow_version_.clear();
  shadow_inferences_ = shadow_agree_ = shadow_anomalies_ = 0;
  confusion_.assign(labels_.size() * labels_.size(), 0);
  shadow_latencies_.clear();
}

void TelemetryWindow::add(const Prediction& p) {
  ++inferences_;
  anomalies_ += p.anomaly;
  uncertain_ += p.uncertain;
  if (p.label >= 0 && static_cast<std::size_t>(p.label) < counts_.size()) ++counts_[static_cast<std::size_t>(p.label)];
  ++histogram_[confidence_bin(p.confidence)];
  latencies_.push_back(p.latency_ms);
  ++latency_buckets_[latency_bucket(p.latency_ms)];
}

void TelemetryWindow::add_shadow(const Prediction& active, const Prediction& candidate, double candidate_latency_ms) {
  ++shadow_inferences_;
  shadow_agree_ += active.label == candidate.label;
  shadow_anomalies_ += candidate.anomaly;
  const std::size_t n = labels_.size();
  if (active.label >= 0 && candidate.label >= 0 && static_cast<std::size_t>(active.label) < n &&
      static_cast<std::size_t>(candidate.label) < n) {
    ++confusion_[static_cast<std::size_t>(active.label) * n + static_cast<std::size_t>(candidate.label)];
  }
  shadow_latencies_.push_back(candidate_latency_ms);
}

std::string TelemetryWindow::close(double end_unix_s) const {
  nlohmann::json j;
  j["start"] = start_;
  j["end"] = end_unix_s;
  j["model_version"] = version_;
  j["inferences"] = inferences_;
  j["anomalies"] = anomalies_;
  j["uncertain"] = uncertain_;
  j["dropped"] = dropped_;
  j["errors"] = errors_;
  nlohmann::json counts = nlohmann::json::object();
  for (std::size_t i = 0; i < labels_.size(); ++i) counts[labels_[i]] = counts_[i];
  j["counts"] = counts;
  j["confidence_histogram"] = std::vector<std::int64_t>(std::begin(histogram_), std::end(histogram_));
  std::vector<double> latencies = latencies_;
  j["latency_ms"] = {{"p50", percentile(latencies, 50)},
                     {"p95", percentile(latencies, 95)},
                     {"p99", percentile(latencies, 99)},
                     {"max", latencies.empty() ? 0.0 : latencies.back()}};
  j["latency_buckets"] = std::vector<std::int64_t>(std::begin(latency_buckets_), std::end(latency_buckets_));
  if (shadow_inferences_ > 0) {
    std::vector<double> shadow = shadow_latencies_;
    nlohmann::json confusion = nlohmann::json::array();
    const std::size_t n = labels_.size();
    for (std::size_t r = 0; r < n; ++r) {
      confusion.push_back(std::vector<std::int64_t>(confusion_.begin() + static_cast<std::ptrdiff_t>(r * n),
                                                    confusion_.begin() + static_cast<std::ptrdiff_t>((r + 1) * n)));
    }
    j["shadow"] = {{"model_version", shadow_version_},
                   {"inferences", shadow_inferences_},
                   {"agree", shadow_agree_},
                   {"anomalies", shadow_anomalies_},
                   {"confusion", confusion},
                   {"latency_ms", {{"p50", percentile(shadow, 50)}, {"p95", percentile(shadow, 95)}}}};
  }
  return j.dump();
}

}  // namespace edgeai
