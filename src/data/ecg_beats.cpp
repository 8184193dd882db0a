#include "data/ecg_beats.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <sstream>
#include <system_error>

namespace edgeai {
namespace {

constexpr const char* kBaselineWindowMedian = "window_median";

template <typename T>
Status parse_param(const Preprocessing& pre, const char* key, bool required, T& out) {
  const auto it = pre.params.find(key);
  if (it == pre.params.end()) {
    if (required) return invalid_argument("ecg_beat preprocessing: missing param '", key, "'");
    return Status::ok();
  }
  const std::string& s = it->second;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  if (ec != std::errc() || end != s.data() + s.size()) {
    return invalid_argument("ecg_beat preprocessing: param '", key, "' = '", s, "' is not a number");
  }
  return Status::ok();
}

std::string format_number(double value) {
  std::ostringstream out;
  out.precision(15);
  out << value;
  return out.str();
}

}  // namespace

Result<EcgBeatParams> parse_ecg_beat_params(const Preprocessing& pre) {
  if (pre.kind != "ecg_beat") return invalid_argument("preprocessing kind is '", pre.kind, "', expected 'ecg_beat'");
  if (!pre.layout.empty() && pre.layout != "NCW") {
    return invalid_argument("ecg_beat preprocessing: layout '", pre.layout, "', expected 'NCW'");
  }
  EcgBeatParams params;
  EDGEAI_RETURN_IF_ERROR(parse_param(pre, "sample_rate_hz", true, params.sample_rate_hz));
  EDGEAI_RETURN_IF_ERROR(parse_param(pre, "window_before", true, params.window_before));
  EDGEAI_RETURN_IF_ERROR(parse_param(pre, "window_after", true, params.window_after));
  EDGEAI_RETURN_IF_ERROR(parse_param(pre, "rr_local_beats", false, params.rr_local_beats));
  params.rr_record_seconds = 0.0;  // absent: a bundle from before the sliding record
  EDGEAI_RETURN_IF_ERROR(parse_param(pre, "rr_record_seconds", false, params.rr_record_seconds));
  if (!(params.rr_record_seconds >= 0.0) || params.rr_record_seconds > 86400.0) {
    return invalid_argument("ecg_beat preprocessing: rr_record_seconds must be in [0, 86400]");
  }
  if (!(params.sample_rate_hz > 0.0) || !std::isfinite(params.sample_rate_hz)) {
    return invalid_argument("ecg_beat preprocessing: sample_rate_hz must be positive");
  }
  if (params.window_before < 0 || params.window_after < 1 ||
      params.window_before > kMaxBeatWindowSamples - params.window_after) {
    return invalid_argument("ecg_beat preprocessing: window_before ", params.window_before, " + window_after ",
                            params.window_after, " must be 1..", kMaxBeatWindowSamples,
                            " samples with window_after >= 1");
  }
  if (params.rr_local_beats < 1) return invalid_argument("ecg_beat preprocessing: rr_local_beats must be >= 1");
  params.r_align_samples = 0;  // absent: a bundle from before the alignment
  EDGEAI_RETURN_IF_ERROR(parse_param(pre, "r_align_samples", false, params.r_align_samples));
  if (params.r_align_samples < 0 || params.r_align_samples > 256) {
    return invalid_argument("ecg_beat preprocessing: r_align_samples must be in [0, 256]");
  }
  if (const auto it = pre.params.find("lead"); it != pre.params.end()) params.lead = it->second;
  if (const auto it = pre.params.find("baseline"); it != pre.params.end() && it->second != kBaselineWindowMedian) {
    return unsupported("ecg_beat preprocessing: baseline '", it->second, "' (only '", kBaselineWindowMedian,
                       "' is implemented)");
  }
  if (const auto it = pre.params.find("rr_features"); it != pre.params.end() && it->second != kRrFeatureNames) {
    return unsupported("ecg_beat preprocessing: rr_features '", it->second, "' (this build computes '", kRrFeatureNames,
                       "')");
  }
  return params;
}

Preprocessing ecg_beat_preprocessing(const EcgBeatParams& params) {
  Preprocessing pre;
  pre.kind = "ecg_beat";
  pre.layout = "NCW";
  pre.params["sample_rate_hz"] = format_number(params.sample_rate_hz);
  pre.params["window_before"] = std::to_string(params.window_before);
  pre.params["window_after"] = std::to_string(params.window_after);
  pre.params["baseline"] = kBaselineWindowMedian;
  pre.params["rr_local_beats"] = std::to_string(params.rr_local_beats);
  pre.params["rr_features"] = kRrFeatureNames;
  pre.params["lead"] = params.lead;
  if (params.r_align_samples > 0) pre.params["r_align_samples"] = std::to_string(params.r_align_samples);
  if (params.rr_record_seconds > 0.0) pre.params["rr_record_seconds"] = format_number(params.rr_record_seconds);
  return pre;
}

bool beat_window_fits(std::int64_t num_samples, std::int64_t r_peak, const EcgBeatParams& params) {
  return beat_window_fits(num_samples, r_peak, params.window_before, params.window_after);
}

Status extract_beat_window(std::span<const float> signal, std::int64_t r_peak, const EcgBeatParams& params,
                           std::span<float> out) {
  const int n = params.window_samples();
  if (n < 1 || n > kMaxBeatWindowSamples) {
    return invalid_argument("beat window of ", n, " samples is outside 1..", kMaxBeatWindowSamples);
  }
  if (out.size() != static_cast<std::size_t>(n)) {
    return invalid_argument("beat window output holds ", out.size(), " floats, expected ", n);
  }
  std::array<float, kMaxBeatWindowSamples> scratch;
  if (!beat_window(signal.data(), static_cast<std::int64_t>(signal.size()), r_peak, params.window_before,
                   params.window_after, params.r_align_samples, out.data(), scratch.data())) {
    return out_of_range("beat window [", r_peak - params.window_before, ", ", r_peak + params.window_after,
                        ") around R peak ", r_peak, " is outside the signal of ", signal.size(), " samples");
  }
  return Status::ok();
}

Result<std::vector<float>> extract_beat_window(std::span<const float> signal, std::int64_t r_peak,
                                               const Preprocessing& pre) {
  EDGEAI_ASSIGN_OR_RETURN(EcgBeatParams params, parse_ecg_beat_params(pre));
  std::vector<float> out(static_cast<std::size_t>(params.window_samples()));
  EDGEAI_RETURN_IF_ERROR(extract_beat_window(signal, r_peak, params, out));
  return out;
}

Result<std::vector<RrFeatures>> compute_rr_features(std::span<const std::int64_t> r_peaks, double sample_rate_hz,
                                                    int local_beats, double record_seconds) {
  if (!(sample_rate_hz > 0.0)) return invalid_argument("RR features: sample rate must be positive");
  if (!(record_seconds >= 0.0)) return invalid_argument("RR features: record_seconds must be >= 0");
  if (local_beats < 1) return invalid_argument("RR features: local_beats must be >= 1");
  const std::size_t n = r_peaks.size();
  for (std::size_t i = 1; i < n; ++i) {
    if (r_peaks[i] <= r_peaks[i - 1]) {
      return invalid_argument("RR features: R peaks must increase, but peak ", i, " at sample ", r_peaks[i],
                              " follows ", r_peaks[i - 1]);
    }
  }
  std::vector<RrFeatures> out(n);
  if (n < 2) {
    for (RrFeatures& f : out) {
      f.pre_to_local_ratio = f.pre_to_record_ratio = f.post_to_record_ratio = f.post_to_pre_ratio = 1.0f;
    }
    return out;
  }
  // rr[i]: the interval ending at peak i, in seconds (rr[0] unused); prefix sums for the
  // local averages.
  std::vector<double> rr(n, 0.0), prefix(n, 0.0);
  for (std::size_t i = 1; i < n; ++i) {
    rr[i] = static_cast<double>(r_peaks[i] - r_peaks[i - 1]) / sample_rate_hz;
    prefix[i] = prefix[i - 1] + rr[i];
  }
  const double whole_record_rr = prefix[n - 1] / static_cast<double>(n - 1);
  const auto record_span = static_cast<std::int64_t>(record_seconds * sample_rate_hz);
  std::size_t record_first = 0;
  for (std::size_t i = 0; i < n; ++i) {
    double record_rr = whole_record_rr;
    if (record_seconds > 0.0) {
      const std::size_t last = std::min(i + 1, n - 1);
      while (record_first + 1 < last && r_peaks[last] - r_peaks[record_first] > record_span) ++record_first;
      record_rr = (prefix[last] - prefix[record_first]) / static_cast<double>(last - record_first);
    }
    const double pre = i == 0 ? rr[1] : rr[i];
    const double post = i + 1 < n ? rr[i + 1] : rr[i];
    // The intervals before pre-RR: rr[first .. i-1] with first >= 1.
    double local = pre;
    if (i >= 2) {
      const std::size_t first =
          i > static_cast<std::size_t>(local_beats) ? i - static_cast<std::size_t>(local_beats) : 1;
      local = (prefix[i - 1] - prefix[first - 1]) / static_cast<double>(i - first);
    }
    out[i] = rr_features_of(pre, post, local, record_rr);
  }
  return out;
}

std::vector<float> resample_linear(std::span<const float> signal, double from_hz, double to_hz) {
  if (signal.empty() || !(from_hz > 0.0) || !(to_hz > 0.0)) return {};
  if (from_hz == to_hz) return std::vector<float>(signal.begin(), signal.end());
  const std::size_t n = signal.size();
  const double step = from_hz / to_hz;  // input samples per output sample
  const auto n_out = static_cast<std::size_t>(std::floor(static_cast<double>(n - 1) / step)) + 1;
  std::vector<float> out(n_out);
  for (std::size_t i = 0; i < n_out; ++i) {
    const double t = static_cast<double>(i) * step;
    const auto i0 = static_cast<std::size_t>(t);
    if (i0 + 1 >= n) {
      out[i] = signal[n - 1];
      continue;
    }
    const double frac = t - static_cast<double>(i0);
    out[i] = static_cast<float>(signal[i0] + frac * (signal[i0 + 1] - signal[i0]));
  }
  return out;
}

std::int64_t resample_position(std::int64_t position, double from_hz, double to_hz) {
  return static_cast<std::int64_t>(std::llround(static_cast<double>(position) * to_hz / from_hz));
}

}  // namespace edgeai
