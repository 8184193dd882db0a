#include "compress/calibration.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "runtime/session.hpp"
#include "data/sample_feeder.hpp"

namespace edgeai {

std::string_view calibration_method_name(CalibrationMethod method) {
  switch (method) {
    case CalibrationMethod::kMinMax: return "minmax";
    case CalibrationMethod::kPercentile: return "percentile";
    case CalibrationMethod::kEntropy: return "entropy";
    case CalibrationMethod::kMse: return "mse";
  }
  return "?";
}

Result<CalibrationMethod> parse_calibration_method(std::string_view name) {
  for (CalibrationMethod m : {CalibrationMethod::kMinMax, CalibrationMethod::kPercentile, CalibrationMethod::kEntropy,
                              CalibrationMethod::kMse}) {
    if (name == calibration_method_name(m)) return m;
  }
  if (name == "kl") return CalibrationMethod::kEntropy;
  return invalid_argument("unknown calibration method '", name, "': use minmax, percentile, entropy (kl) or mse");
}

quant::QuantParams int8_params_for_range(float lo, float hi) {
  lo = std::min(lo, 0.0f);
  hi = std::max(hi, 0.0f);
  if (!(hi - lo > 1e-12f)) hi = lo + 1.0f;  // an all-zero tensor: any scale represents it exactly
  const double scale = (static_cast<double>(hi) - static_cast<double>(lo)) / 255.0;
  quant::QuantParams p;
  p.scale = static_cast<float>(scale);
  const double zp = std::nearbyint(-128.0 - static_cast<double>(lo) / static_cast<double>(p.scale));
  p.zero_point = static_cast<std::int32_t>(std::clamp(zp, -128.0, 127.0));
  return p;
}

quant::QuantParams int16_params_for_range(float lo, float hi) {
  double limit = std::max(std::fabs(static_cast<double>(lo)), std::fabs(static_cast<double>(hi)));
  if (!(limit > 1e-12)) limit = 1.0;  // an all-zero tensor: any scale represents it exactly
  quant::QuantParams p;
  p.scale = static_cast<float>(limit / 32767.0);
  p.zero_point = 0;
  return p;
}

Result<Graph> graph_observing(const Graph& graph, const std::vector<std::string>& values) {
  Graph observer = graph;
  observer.outputs.clear();
  for (const std::string& name : values) {
    std::optional<ValueInfo> info = graph.find_value_info(name);
    if (!info || graph.is_graph_input(name) || graph.is_constant(name)) {
      return invalid_argument("'", name, "' is not a node output of the graph");
    }
    observer.outputs.push_back(*info);
  }
  return observer;
}

struct ValueObserver::ObservedValue {
  std::string name;
  bool is_graph_input = false;
  std::size_t index = 0;  // into the model inputs or the session outputs
};

ValueObserver::ValueObserver() = default;
ValueObserver::~ValueObserver() = default;

Result<std::unique_ptr<ValueObserver>> ValueObserver::create(const Graph& graph, const std::vector<std::string>& values,
                                                             const LabeledData& data) {
  if (data.size() == 0) return invalid_argument("the calibration data set is empty: give samples to calibrate with");
  std::unique_ptr<ValueObserver> observer(new ValueObserver());
  observer->data_ = &data;
  std::vector<std::string> node_outputs;
  for (const std::string& name : values) {
    ObservedValue o{name};
    auto input = std::find_if(graph.inputs.begin(), graph.inputs.end(),
                              [&](const ValueInfo& v) { return v.name == name; });
    if (input != graph.inputs.end()) {
      o.is_graph_input = true;
      o.index = static_cast<std::size_t>(input - graph.inputs.begin());
      if (input->dtype != DType::kFloat32) return invalid_argument("calibration: input '", name, "' is not float32");
    } else {
      std::optional<ValueInfo> info = graph.find_value_info(name);
      if (!info || info->dtype != DType::kFloat32) {
        return invalid_argument("calibration: '", name, "' is not a float32 value of the graph");
      }
      o.index = node_outputs.size();
      node_outputs.push_back(name);
    }
    observer->observed_.push_back(std::move(o));
  }
  EDGEAI_ASSIGN_OR_RETURN(Graph observed_graph, graph_observing(graph, node_outputs));
  EDGEAI_ASSIGN_OR_RETURN(observer->session_, Session::create(std::move(observed_graph)));
  EDGEAI_ASSIGN_OR_RETURN(SampleFeeder feeder, SampleFeeder::create(graph.inputs, data));
  observer->feeder_ = std::make_unique<SampleFeeder>(std::move(feeder));
  return observer;
}

Status ValueObserver::run(std::string_view stage, const ProgressFn& progress, const Visit& visit) {
  const LabeledData& data = *data_;
  for (std::int64_t n = 0; n < data.size(); ++n) {
    std::span<const TensorView> inputs = feeder_->sample(n);
    EDGEAI_RETURN_IF_ERROR(session_->run(inputs).with_context(str_cat("calibration sample ", n)));
    for (std::size_t v = 0; v < observed_.size(); ++v) {
      const ObservedValue& o = observed_[v];
      visit(v, o.is_graph_input ? inputs[o.index] : session_->output(o.index));
    }
    if (progress) progress(stage, n + 1, data.size());
  }
  return Status::ok();
}

Result<std::map<std::string, TensorStatistics>> collect_statistics(const Graph& graph,
                                                                   const std::vector<std::string>& values,
                                                                   const LabeledData& data,
                                                                   const CalibrationOptions& options,
                                                                   const ProgressFn& progress) {
  if (options.bins_per_side < 8) return invalid_argument("bins_per_side must be >= 8, got ", options.bins_per_side);
  EDGEAI_ASSIGN_OR_RETURN(std::unique_ptr<ValueObserver> observer, ValueObserver::create(graph, values, data));
  const std::vector<std::string>& observed = values;

  std::vector<TensorStatistics> stats(observed.size());
  for (TensorStatistics& s : stats) {
    s.min = std::numeric_limits<float>::infinity();
    s.max = -std::numeric_limits<float>::infinity();
  }
  EDGEAI_RETURN_IF_ERROR(observer->run("calibrating (ranges)", progress, [&](std::size_t v, const TensorView& view) {
                                           const float* x = view.data_as<const float>();
                                           const std::int64_t n = view.num_elements();
                                           TensorStatistics& s = stats[v];
                                           for (std::int64_t i = 0; i < n; ++i) {
                                             if (std::isnan(x[i])) continue;
                                             s.min = std::min(s.min, x[i]);
                                             s.max = std::max(s.max, x[i]);
                                           }
                                           s.count += n;
                                         }));
  for (std::size_t v = 0; v < stats.size(); ++v) {
    TensorStatistics& s = stats[v];
    if (!std::isfinite(s.min) || !std::isfinite(s.max)) {
      return invalid_argument("calibration: value '", observed[v], "' is not finite on the calibration data (min ",
                              s.min, ", max ", s.max, ")");
    }
    s.limit = std::max(std::fabs(s.min), std::fabs(s.max));
  }

  const bool histograms = options.method != CalibrationMethod::kMinMax;
  if (histograms || options.channel_means) {
    const std::int64_t bins = 2 * static_cast<std::int64_t>(options.bins_per_side);
    if (histograms) {
      for (TensorStatistics& s : stats) s.histogram.assign(static_cast<std::size_t>(bins), 0);
    }
    // Channel sums in fixed point (2^30 per `limit`): integers add in any order to the same total.
    constexpr double kFixedOne = 1073741824.0;
    std::vector<std::vector<std::int64_t>> channel_sums(stats.size());
    std::vector<std::int64_t> channel_counts(stats.size(), 0);
    EDGEAI_RETURN_IF_ERROR(observer->run(
        histograms ? "calibrating (histograms)" : "calibrating (channel means)", progress,
        [&](std::size_t v, const TensorView& view) {
          const float* x = view.data_as<const float>();
          const std::int64_t n = view.num_elements();
          TensorStatistics& s = stats[v];
          if (options.channel_means && view.shape.size() >= 2 && view.shape[1] > 0 && s.limit > 0.0f) {
            const std::int64_t channels = view.shape[1];
            std::int64_t inner = 1;
            for (std::size_t d = 2; d < view.shape.size(); ++d) inner *= view.shape[d];
            std::vector<std::int64_t>& sums = channel_sums[v];
            sums.resize(static_cast<std::size_t>(channels), 0);
            for (std::int64_t i = 0; i < n; ++i) {
              if (std::isnan(x[i])) continue;
              sums[static_cast<std::size_t>((i / inner) % channels)] +=
                  static_cast<std::int64_t>(std::llround(static_cast<double>(x[i]) / s.limit * kFixedOne));
            }
            channel_counts[v] += n / channels;
          }
          if (!histograms) return;
          if (s.limit == 0.0f) {
            s.histogram[static_cast<std::size_t>(bins / 2)] += n;
            return;
          }
          const float half = static_cast<float>(options.bins_per_side);
          for (std::int64_t i = 0; i < n; ++i) {
            if (std::isnan(x[i])) continue;
            const std::int64_t bin = static_cast<std::int64_t>(std::floor((x[i] / s.limit + 1.0f) * half));
            ++s.histogram[static_cast<std::size_t>(std::clamp<std::int64_t>(bin, 0, bins - 1))];
          }
        }));
    for (std::size_t v = 0; v < stats.size(); ++v) {
      if (channel_counts[v] == 0) continue;
      for (std::int64_t sum : channel_sums[v]) {
        stats[v].channel_means.push_back(static_cast<double>(sum) / kFixedOne * stats[v].limit /
                                         static_cast<double>(channel_counts[v]));
      }
    }
  }
  std::map<std::string, TensorStatistics> out;
  for (std::size_t v = 0; v < observed.size(); ++v) out[observed[v]] = std::move(stats[v]);
  return out;
}

namespace {

// Percentile: cut (100 - p) % of the values, half from each tail, at histogram bin edges.
std::pair<float, float> percentile_range(const TensorStatistics& s, double percentile) {
  const std::int64_t bins = static_cast<std::int64_t>(s.histogram.size());
  std::int64_t total = 0;
  for (std::int64_t c : s.histogram) total += c;
  const double tail = static_cast<double>(total) * (100.0 - percentile) / 200.0;
  const double width = 2.0 * s.limit / static_cast<double>(bins);
  std::int64_t lo_bin = 0;
  for (double cum = 0.0; lo_bin < bins; ++lo_bin) {
    cum += static_cast<double>(s.histogram[static_cast<std::size_t>(lo_bin)]);
    if (cum > tail) break;
  }
  std::int64_t hi_bin = bins - 1;
  for (double cum = 0.0; hi_bin >= 0; --hi_bin) {
    cum += static_cast<double>(s.histogram[static_cast<std::size_t>(hi_bin)]);
    if (cum > tail) break;
  }
  const float lo = static_cast<float>(-static_cast<double>(s.limit) + static_cast<double>(lo_bin) * width);
  const float hi = static_cast<float>(-static_cast<double>(s.limit) + static_cast<double>(hi_bin + 1) * width);
  return {std::max(lo, s.min), std::min(hi, s.max)};
}

// Normalises `d` to a probability distribution and gives every empty bin a small mass (taken
// from the others), so KL(P || Q) stays finite where Q lacks a bin P has, e.g. the clipped
// outliers folded into P's last bin (the smoothing MXNet's and TVM's calibrators use).
bool smooth_distribution(std::vector<double>& d) {
  constexpr double kEpsilon = 1e-4;
  double sum = 0.0;
  std::size_t zeros = 0;
  for (double x : d) {
    sum += x;
    zeros += x == 0.0;
  }
  const std::size_t nonzeros = d.size() - zeros;
  if (sum <= 0.0 || nonzeros == 0) return false;
  const double taken = kEpsilon * static_cast<double>(zeros) / static_cast<double>(nonzeros);
  for (double& x : d) {
    x /= sum;
    x = x == 0.0 ? kEpsilon : x - taken;
    if (x <= 0.0) return false;  // a bin too small to give: the candidate is skipped
  }
  return true;
}

// Entropy calibration (TensorRT's algorithm, "8-bit Inference with TensorRT", Migacz 2017): on
// the histogram of |x|, pick the threshold whose clipped distribution P, merged into the
// quantised levels Q, loses the least information KL(P || Q).
float entropy_threshold(const std::vector<std::int64_t>& abs_hist, float limit, int levels) {
  const std::size_t bins = abs_hist.size();
  if (bins <= static_cast<std::size_t>(levels)) return limit;
  double best_kl = std::numeric_limits<double>::infinity();
  std::size_t best_i = bins;
  std::vector<double> p, q;
  for (std::size_t i = static_cast<std::size_t>(levels); i <= bins; ++i) {
    p.assign(abs_hist.begin(), abs_hist.begin() + static_cast<std::ptrdiff_t>(i));
    double outliers = 0.0;
    for (std::size_t j = i; j < bins; ++j) outliers += static_cast<double>(abs_hist[j]);
    p[i - 1] += outliers;
    // Q: the first i bins merged into `levels` chunks, each chunk's mass spread over its
    // non-empty bins (an empty bin stays empty in Q as in P).
    q.assign(i, 0.0);
    const double chunk = static_cast<double>(i) / levels;
    for (int l = 0; l < levels; ++l) {
      const std::size_t begin = static_cast<std::size_t>(std::floor(l * chunk));
      const std::size_t end = l == levels - 1 ? i : static_cast<std::size_t>(std::floor((l + 1) * chunk));
      double mass = 0.0;
      int nonzero = 0;
      for (std::size_t j = begin; j < end; ++j) {
        mass += static_cast<double>(abs_hist[j]);
        if (abs_hist[j] != 0) ++nonzero;
      }
      if (nonzero == 0) continue;
      for (std::size_t j = begin; j < end; ++j) {
        if (abs_hist[j] != 0) q[j] = mass / nonzero;
      }
    }
    if (!smooth_distribution(p) || !smooth_distribution(q)) continue;
    double kl = 0.0;
    for (std::size_t j = 0; j < i; ++j) kl += p[j] * std::log(p[j] / q[j]);
    if (kl < best_kl) {
      best_kl = kl;
      best_i = i;
    }
  }
  return static_cast<float>(static_cast<double>(limit) * static_cast<double>(best_i) / static_cast<double>(bins));
}

std::pair<float, float> entropy_range(const TensorStatistics& s, int bins_per_side) {
  // Fold the signed histogram into |x|.
  std::vector<std::int64_t> abs_hist(static_cast<std::size_t>(bins_per_side), 0);
  for (int j = 0; j < bins_per_side; ++j) {
    abs_hist[static_cast<std::size_t>(j)] = s.histogram[static_cast<std::size_t>(bins_per_side + j)] +
                                             s.histogram[static_cast<std::size_t>(bins_per_side - 1 - j)];
  }
  // A one-signed tensor (after ReLU) uses all 256 levels on its side; a two-signed one 128 a side.
  const bool signed_values = s.min < 0.0f && s.max > 0.0f;
  const float t = entropy_threshold(abs_hist, s.limit, signed_values ? 128 : 256);
  return {std::max(-t, s.min), std::min(t, s.max)};
}

// MSE: the range, among shrinkings of [min, max] by 1.00, 0.99, ..., 0.20, whose int8
// quantisation gives the least squared error over the histogram (bin centres stand in for
// the values).
std::pair<float, float> mse_range(const TensorStatistics& s) {
  const std::size_t bins = s.histogram.size();
  const double width = 2.0 * s.limit / static_cast<double>(bins);
  std::pair<float, float> best{s.min, s.max};
  double best_error = std::numeric_limits<double>::infinity();
  for (int step = 0; step <= 80; ++step) {
    const double factor = 1.0 - 0.01 * step;
    const float lo = static_cast<float>(std::min(0.0, s.min * factor));
    const float hi = static_cast<float>(std::max(0.0, s.max * factor));
    const quant::QuantParams p = int8_params_for_range(lo, hi);
    double error = 0.0;
    for (std::size_t j = 0; j < bins; ++j) {
      if (s.histogram[j] == 0) continue;
      const float x = static_cast<float>(-static_cast<double>(s.limit) + (static_cast<double>(j) + 0.5) * width);
      const std::int32_t q = quant::quantize_value(x, p.scale, p.zero_point, -128, 127);
      const double d = static_cast<double>(x) - quant::dequantize_value(q, p.scale, p.zero_point);
      error += static_cast<double>(s.histogram[j]) * d * d;
    }
    if (error < best_error) {
      best_error = error;
      best = {lo, hi};
    }
  }
  return best;
}

}  // namespace

std::pair<float, float> choose_range(const TensorStatistics& stats, const CalibrationOptions& options) {
  std::pair<float, float> range{stats.min, stats.max};
  if (stats.limit > 0.0f && !stats.histogram.empty()) {
    switch (options.method) {
      case CalibrationMethod::kMinMax: break;
      case CalibrationMethod::kPercentile: range = percentile_range(stats, options.percentile); break;
      case CalibrationMethod::kEntropy: range = entropy_range(stats, options.bins_per_side); break;
      case CalibrationMethod::kMse: range = mse_range(stats); break;
    }
  }
  range.first = std::min(range.first, 0.0f);
  range.second = std::max(range.second, 0.0f);
  if (!(range.second > range.first)) range.second = range.first + 1.0f;
  return range;
}

}  // namespace edgeai
