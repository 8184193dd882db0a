#include "data/ecg_stream.hpp"

#include <algorithm>
#include <cmath>

namespace edgeai {
namespace {

// The detector's refractory period (200 ms) allows at most 5 peaks a second.
constexpr double kMaxPeaksPerSecond = 5.0;
// Beats one push can complete: a peak confirms its predecessor, and the window of a beat
// completes a few samples later; more than a handful at once cannot happen.
constexpr std::size_t kMaxBeatsPerPush = 16;

}  // namespace

EcgBeatStream::EcgBeatStream(const EcgBeatParams& params, double input_rate_hz, const EcgStreamOptions& options)
    : params_(params),
      options_(options),
      step_(input_rate_hz / params.sample_rate_hz),
      detector_(params.sample_rate_hz),
      record_seconds_(params.rr_record_seconds > 0.0 ? params.rr_record_seconds : options.record_seconds),
      record_span_(static_cast<std::int64_t>(record_seconds_ * params.sample_rate_hz)) {
  const auto window = static_cast<std::int64_t>(params.window_samples());
  const std::int64_t span = window + 2 * params.r_align_samples;  // what extract_beat_window may read
  signal_ring_ = static_cast<std::int64_t>(std::ceil(options.buffer_seconds * params.sample_rate_hz)) + span +
                 detector_.max_latency_samples();
  scratch_.assign(static_cast<std::size_t>(span), 0.0f);
  signal_.assign(static_cast<std::size_t>(signal_ring_), 0.0f);
  peak_ring_ = static_cast<std::int64_t>(std::ceil(record_seconds_ * kMaxPeaksPerSecond)) + params.rr_local_beats + 64;
  peaks_.assign(static_cast<std::size_t>(peak_ring_), 0);
  windows_.assign(kMaxBeatsPerPush * static_cast<std::size_t>(window), 0.0f);
  out_.reserve(kMaxBeatsPerPush);
}

Result<std::unique_ptr<EcgBeatStream>> EcgBeatStream::create(const EcgBeatParams& params, double input_rate_hz,
                                                             const EcgStreamOptions& options) {
  if (!(input_rate_hz > 0.0) || !std::isfinite(input_rate_hz)) {
    return invalid_argument("ECG stream: the input sample rate must be positive, got ", input_rate_hz);
  }
  if (!(params.sample_rate_hz > 0.0) || params.window_before < 1 || params.window_after < 1 ||
      params.window_samples() > kMaxBeatWindowSamples || params.rr_local_beats < 1 ||
      !(params.rr_record_seconds >= 0.0) || params.rr_record_seconds > 86400.0) {
    return invalid_argument("ECG stream: bad beat parameters (rate ", params.sample_rate_hz, " Hz, window ",
                            params.window_before, "+", params.window_after, ", local beats ", params.rr_local_beats,
                            ")");
  }
  if (!(options.record_seconds >= 1.0) || !(options.buffer_seconds >= 1.0) || options.record_seconds > 86400.0 ||
      options.buffer_seconds > 600.0) {
    return invalid_argument("ECG stream: record_seconds must be in [1, 86400] and buffer_seconds in [1, 600]");
  }
  return std::unique_ptr<EcgBeatStream>(new EcgBeatStream(params, input_rate_hz, options));
}

std::span<const StreamedBeat> EcgBeatStream::push(float sample_mv) {
  out_.clear();
  // Model-rate samples whose time falls in (previous input, this input]: linear interpolation
  // between the two, exactly as resample_linear does on a whole signal.
  const auto k = static_cast<double>(inputs_);
  while (true) {
    const double t = static_cast<double>(next_output_) * step_;
    if (t > k) break;
    float x = sample_mv;
    if (inputs_ > 0 && t < k) {
      const double frac = t - (k - 1.0);
      x = static_cast<float>(previous_input_ + frac * (sample_mv - previous_input_));
    }
    ++next_output_;
    push_model_sample(x);
  }
  previous_input_ = sample_mv;
  ++inputs_;
  ++stats_.samples;
  return out_;
}

void EcgBeatStream::push_model_sample(float x) {
  signal_[static_cast<std::size_t>(n_ % signal_ring_)] = x;
  ++n_;
  for (const std::int64_t p : detector_.push(x)) {
    peaks_[static_cast<std::size_t>(num_peaks_ % peak_ring_)] = p;
    ++num_peaks_;
    ++stats_.peaks;
  }
  emit_ready(false);
}

std::span<const StreamedBeat> EcgBeatStream::flush() {
  out_.clear();
  for (const std::int64_t p : detector_.flush()) {
    peaks_[static_cast<std::size_t>(num_peaks_ % peak_ring_)] = p;
    ++num_peaks_;
    ++stats_.peaks;
  }
  // The end of the stream is the one place that may need room for more beats than a push.
  const auto window = static_cast<std::size_t>(params_.window_samples());
  const auto pending = static_cast<std::size_t>(num_peaks_ - emitted_);
  if (pending > kMaxBeatsPerPush) {
    windows_.resize(pending * window);
    out_.reserve(pending);
  }
  emit_ready(true);
  return out_;
}

void EcgBeatStream::emit_ready(bool at_end) {
  while (emitted_ < num_peaks_ && out_.size() < out_.capacity()) {
    if (!emit(emitted_, at_end)) break;
    ++emitted_;
  }
}

// Emits peak `index` when it is complete; returns false when it must wait.
bool EcgBeatStream::emit(std::int64_t index, bool at_end) {
  const std::int64_t p = peak(index);
  const bool has_next = index + 1 < num_peaks_;
  const std::int64_t align = params_.r_align_samples;
  if (!at_end && (!has_next || n_ < p + params_.window_after + align)) return false;
  // extract_beat_window reads the window and `align` samples either side of it: copy exactly
  // what of that the stream has, so it sees what it sees on the whole recording.
  const std::int64_t from = std::max<std::int64_t>(0, p - params_.window_before - align);
  const std::int64_t to = std::min(n_, p + params_.window_after + align);
  if (p - params_.window_before < 0 || from < n_ - signal_ring_ || p + params_.window_after > n_) {
    ++stats_.skipped;  // the window starts before the stream or left the buffer, or the stream ended inside it
    return true;
  }

  // RR features exactly as compute_rr_features defines them with a sliding record. The record
  // ends at the beat's next peak (whatever else is known by now), so the features do not
  // depend on how late the detector confirmed later peaks.
  const std::int64_t newest = has_next ? index + 1 : index;
  while (record_first_ + 1 < newest && peak(newest) - peak(record_first_) > record_span_) {
    ++record_first_;
  }
  const RrFeatures f = stream_rr_features([this](std::int64_t i) { return peak(i); }, index, num_peaks_, record_first_,
                                          newest, params_.rr_local_beats, params_.sample_rate_hz);

  for (std::int64_t i = from; i < to; ++i) {
    scratch_[static_cast<std::size_t>(i - from)] = signal_[static_cast<std::size_t>(i % signal_ring_)];
  }
  const auto window = static_cast<std::size_t>(params_.window_samples());
  const std::span<float> w(windows_.data() + out_.size() * window, window);
  const std::span<const float> have(scratch_.data(), static_cast<std::size_t>(to - from));
  if (!extract_beat_window(have, p - from, params_, w).is_ok()) {
    ++stats_.skipped;
    return true;
  }
  StreamedBeat beat;
  beat.r_peak = p;
  beat.time_s = static_cast<double>(p) / params_.sample_rate_hz;
  beat.rr = f;
  beat.window = w;
  out_.push_back(beat);
  ++stats_.beats;
  return true;
}

}  // namespace edgeai
