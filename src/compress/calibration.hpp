// Calibration: the float ranges of a model's activations, observed by running the fp32 graph
// on sample inputs with the edgeai runtime, and the choice of a quantisation range from them
// (minmax, percentile, entropy/KL as in TensorRT, MSE). Statistics are min/max and integer
// histogram counts, which do not depend on the order of the samples: the same data in any
// order gives the same ranges, bit for bit. Tool side (compress); depends on runtime and data.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.hpp"
#include "data/labeled_data.hpp"
#include "graph/graph.hpp"
#include "kernels/quantization.hpp"

namespace edgeai {

enum class CalibrationMethod { kMinMax, kPercentile, kEntropy, kMse };

std::string_view calibration_method_name(CalibrationMethod method);
Result<CalibrationMethod> parse_calibration_method(std::string_view name);

struct CalibrationOptions {
  CalibrationMethod method = CalibrationMethod::kMinMax;
  double percentile = 99.99;  // kPercentile: the share of values (in %) kept inside the range
  int bins_per_side = 1024;   // histogram resolution on each side of zero
  bool channel_means = false; // also the mean of every channel (axis 1), for bias correction
};

// What calibration saw of one float tensor over all samples.
struct TensorStatistics {
  float min = 0.0f;
  float max = 0.0f;
  std::int64_t count = 0;  // elements observed
  // 2 * bins_per_side counts over [-limit, limit], limit = max(|min|, |max|); empty for minmax.
  std::vector<std::int64_t> histogram;
  float limit = 0.0f;
  // With CalibrationOptions::channel_means: the mean over all samples and positions of each
  // channel (axis 1) of tensors of rank >= 2. Summed in 2^-30-of-limit fixed point, so the
  // result does not depend on sample order.
  std::vector<double> channel_means;
};

using ProgressFn = std::function<void(std::string_view stage, std::int64_t done, std::int64_t total)>;

class Session;
class SampleFeeder;

// Runs a float32 graph with the runtime on every sample of a data set and shows chosen values
// (graph inputs or node outputs) to a visitor: the loop under every calibration statistic.
class ValueObserver {
 public:
  using Visit = std::function<void(std::size_t value, const TensorView& view)>;
  // An empty data set, one whose inputs do not fit the model, or a value that is not a float32
  // value of the graph is an error naming what is wrong.
  static Result<std::unique_ptr<ValueObserver>> create(const Graph& graph, const std::vector<std::string>& values,
                                                       const LabeledData& data);
  ~ValueObserver();
  // One pass over the samples in order: visit(i, view) for values[i] of each sample.
  Status run(std::string_view stage, const ProgressFn& progress, const Visit& visit);

 private:
  struct ObservedValue;
  ValueObserver();
  const LabeledData* data_ = nullptr;
  std::vector<ObservedValue> observed_;
  std::unique_ptr<Session> session_;
  std::unique_ptr<SampleFeeder> feeder_;
};

// Runs `graph` (float32) with the runtime on every sample of `data` and gathers statistics of
// each value in `values` (graph inputs or node outputs, float32). Histograms need a second pass
// (their range is the first pass's min/max); only made when the method needs them. An empty
// data set, or one whose inputs do not fit the model, is an error naming what is wrong.
Result<std::map<std::string, TensorStatistics>> collect_statistics(const Graph& graph,
                                                                   const std::vector<std::string>& values,
                                                                   const LabeledData& data,
                                                                   const CalibrationOptions& options,
                                                                   const ProgressFn& progress = {});

// The float range [lo, hi] to quantise a tensor with; always contains 0 (so 0.0 is exact, which
// padding and ReLU need) and is never empty.
std::pair<float, float> choose_range(const TensorStatistics& stats, const CalibrationOptions& options);

// A copy of `graph` whose outputs are `values` (node outputs), so a session keeps them all.
Result<Graph> graph_observing(const Graph& graph, const std::vector<std::string>& values);

// int8 parameters of an asymmetric per-tensor range [lo, hi] (lo <= 0 <= hi):
// scale = (hi - lo) / 255, zero_point = round(-128 - lo / scale), so lo maps to -128, hi to 127
// and 0.0 to the zero point exactly.
quant::QuantParams int8_params_for_range(float lo, float hi);

// int16 parameters of a range (int16 activations): symmetric, zero point 0,
// scale = max(|lo|, |hi|) / 32767, so [-limit, limit] maps to [-32767, 32767].
quant::QuantParams int16_params_for_range(float lo, float hi);

}  // namespace edgeai
