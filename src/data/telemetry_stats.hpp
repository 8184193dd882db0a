// The statistics devices report and the server aggregates (issue 7), defined once for both:
//   - the histogram of top-1 confidence and the latency buckets of a telemetry window;
//   - the prediction baseline: the class mix and confidence histogram on in-distribution data
//     (the validation split), recorded in the bundle's manifest metadata at training time;
//   - the population stability index the server scores a device's distributions with against
//     the baseline (drift).
#pragma once

#include <cstdint>
#include <iterator>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "core/status.hpp"

namespace edgeai {

// Confidence histogram: kConfidenceBins equal bins over [0, 1], the last one closed.
inline constexpr int kConfidenceBins = 10;
int confidence_bin(float confidence);

// Latency buckets: upper edges in milliseconds; a last bucket takes everything above.
inline constexpr double kLatencyBucketsMs[] = {0.05, 0.1, 0.2, 0.5, 1,   2,    5,    10,
                                               20,   50,  100, 200, 500, 1000, 2000, 5000};
inline constexpr int kLatencyBuckets = static_cast<int>(std::size(kLatencyBucketsMs)) + 1;
int latency_bucket(double ms);
// The p-th percentile (0..100) of merged bucket counts: the upper edge of the bucket where the
// cumulative count reaches p % (the last bucket: `max_ms`); 0 without counts.
double bucket_percentile(std::span<const std::int64_t> counts, double p, double max_ms);

struct PredictionBaseline {
  std::vector<double> class_mix;             // fraction of predictions per class, sums to 1
  std::vector<double> confidence_histogram;  // fraction per confidence bin, sums to 1
  std::int64_t samples = 0;
  std::string data;  // what it was measured on ("mitdb:DS1 validation split")
};

// The baseline of `logits` ([samples, classes] row-major; softmax taken, or used as given when
// every row is already a distribution).
PredictionBaseline baseline_from_outputs(std::span<const float> outputs, std::int64_t classes);

// Manifest metadata keys: baseline_class_mix, baseline_confidence_histogram (comma-separated
// fractions), baseline_samples, baseline_data.
void write_baseline(const PredictionBaseline& baseline, std::map<std::string, std::string>& metadata);
// NotFound when the bundle has no baseline; InvalidArgument naming the key when one is malformed.
Result<PredictionBaseline> read_baseline(const std::map<std::string, std::string>& metadata);

// Population stability index of observed `counts` against `expected` fractions:
//   PSI = sum_i (a_i - e_i) ln(a_i / e_i),  a_i = counts_i / sum(counts),
// with every fraction floored at 1e-4 so an empty bin stays finite. Rules of thumb: < 0.1 stable,
// 0.1-0.25 a moderate shift, > 0.25 a significant one. Sizes must match; no counts: 0.
double population_stability_index(std::span<const double> expected, std::span<const std::int64_t> counts);

}  // namespace edgeai
