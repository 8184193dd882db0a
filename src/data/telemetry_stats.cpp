#include "data/telemetry_stats.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

namespace edgeai {
namespace {

constexpr double kFloor = 1e-4;

std::string join(const std::vector<double>& values) {
  std::string out;
  char buffer[32];
  for (std::size_t i = 0; i < values.size(); ++i) {
    std::snprintf(buffer, sizeof buffer, "%.6g", values[i]);
    if (i > 0) out += ',';
    out += buffer;
  }
  return out;
}

Result<std::vector<double>> parse_fractions(const std::map<std::string, std::string>& metadata, const char* key) {
  const auto it = metadata.find(key);
  if (it == metadata.end()) return not_found("the bundle has no ", key);
  std::vector<double> out;
  const std::string& s = it->second;
  std::size_t at = 0;
  while (at <= s.size()) {
    std::size_t end = s.find(',', at);
    if (end == std::string::npos) end = s.size();
    double v = 0.0;
    const auto [ptr, ec] = std::from_chars(s.data() + at, s.data() + end, v);
    if (ec != std::errc() || ptr != s.data() + end || !(v >= 0.0 && v <= 1.0)) {
      return invalid_argument("manifest metadata ", key, ": '", s, "' is not a list of fractions");
    }
    out.push_back(v);
    at = end + 1;
  }
  double sum = 0.0;
  for (double v : out) sum += v;
  if (std::abs(sum - 1.0) > 1e-3) return invalid_argument("manifest metadata ", key, ": fractions sum to ", sum);
  return out;
}

}  // namespace

int confidence_bin(float confidence) {
  if (!(confidence > 0.0f)) return 0;
  return std::min(kConfidenceBins - 1, static_cast<int>(confidence * kConfidenceBins));
}

int latency_bucket(double ms) {
  const auto* edge = std::lower_bound(std::begin(kLatencyBucketsMs), std::end(kLatencyBucketsMs), ms);
  return static_cast<int>(edge - std::begin(kLatencyBucketsMs));
}

double bucket_percentile(std::span<const std::int64_t> counts, double p, double max_ms) {
  std::int64_t total = 0;
  for (std::int64_t c : counts) total += c;
  if (total <= 0) return 0.0;
  const auto rank = static_cast<std::int64_t>(std::max(1.0, std::ceil(p / 100.0 * static_cast<double>(total))));
  std::int64_t seen = 0;
  for (std::size_t i = 0; i < counts.size(); ++i) {
    seen += counts[i];
    if (seen >= rank) return i < std::size(kLatencyBucketsMs) ? kLatencyBucketsMs[i] : max_ms;
  }
  return max_ms;
}

PredictionBaseline baseline_from_outputs(std::span<const float> outputs, std::int64_t classes) {
  PredictionBaseline b;
  b.class_mix.assign(static_cast<std::size_t>(std::max<std::int64_t>(classes, 0)), 0.0);
  b.confidence_histogram.assign(kConfidenceBins, 0.0);
  if (classes <= 0) return b;
  const auto c = static_cast<std::size_t>(classes);
  const std::size_t rows = outputs.size() / c;
  std::vector<double> p(c);
  for (std::size_t r = 0; r < rows; ++r) {
    const float* y = outputs.data() + r * c;
    double sum = 0.0;
    bool distribution = true;
    for (std::size_t i = 0; i < c; ++i) {
      distribution = distribution && y[i] >= 0.0f && y[i] <= 1.0f;
      sum += y[i];
    }
    distribution = distribution && std::abs(sum - 1.0) < 1e-3;
    if (distribution) {
      for (std::size_t i = 0; i < c; ++i) p[i] = y[i];
    } else {
      const float top = *std::max_element(y, y + c);
      double total = 0.0;
      for (std::size_t i = 0; i < c; ++i) total += p[i] = std::exp(static_cast<double>(y[i] - top));
      for (double& v : p) v /= total;
    }
    const auto best = static_cast<std::size_t>(std::max_element(p.begin(), p.end()) - p.begin());
    b.class_mix[best] += 1.0;
    b.confidence_histogram[static_cast<std::size_t>(confidence_bin(static_cast<float>(p[best])))] += 1.0;
  }
  b.samples = static_cast<std::int64_t>(rows);
  if (rows > 0) {
    for (double& v : b.class_mix) v /= static_cast<double>(rows);
    for (double& v : b.confidence_histogram) v /= static_cast<double>(rows);
  }
  return b;
}

void write_baseline(const PredictionBaseline& baseline, std::map<std::string, std::string>& metadata) {
  metadata["baseline_class_mix"] = join(baseline.class_mix);
  metadata["baseline_confidence_histogram"] = join(baseline.confidence_histogram);
  metadata["baseline_samples"] = std::to_string(baseline.samples);
  if (!baseline.data.empty()) metadata["baseline_data"] = baseline.data;
}

Result<PredictionBaseline> read_baseline(const std::map<std::string, std::string>& metadata) {
  PredictionBaseline b;
  EDGEAI_ASSIGN_OR_RETURN(b.class_mix, parse_fractions(metadata, "baseline_class_mix"));
  EDGEAI_ASSIGN_OR_RETURN(b.confidence_histogram, parse_fractions(metadata, "baseline_confidence_histogram"));
  if (b.confidence_histogram.size() != static_cast<std::size_t>(kConfidenceBins)) {
    return invalid_argument("manifest metadata baseline_confidence_histogram: ", b.confidence_histogram.size(),
                            " bins, expected ", kConfidenceBins);
  }
  if (const auto it = metadata.find("baseline_samples"); it != metadata.end()) {
    b.samples = std::atoll(it->second.c_str());
  }
  if (const auto it = metadata.find("baseline_data"); it != metadata.end()) b.data = it->second;
  return b;
}

double population_stability_index(std::span<const double> expected, std::span<const std::int64_t> counts) {
  if (expected.size() != counts.size()) return std::nan("");
  double total = 0.0;
  for (std::int64_t c : counts) total += static_cast<double>(c);
  if (total <= 0.0) return 0.0;
  double psi = 0.0;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const double e = std::max(expected[i], kFloor);
    const double a = std::max(static_cast<double>(counts[i]) / total, kFloor);
    psi += (a - e) * std::log(a / e);
  }
  return psi;
}

}  // namespace edgeai
