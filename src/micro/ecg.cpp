#include "micro/ecg.hpp"

namespace edgeai::micro {
namespace {

// Second-order Butterworth sections at 360 Hz (the audio EQ cookbook, as data/rpeak.cpp
// computes them in double): b0 b1 b2 a1 a2 times 2^28, rounded; b1 = -2 b0 and b1 = 2 b0
// exactly so the high-pass has no DC gain and the low-pass unity.
constexpr std::int64_t kHighPass5Hz[5] = {252371463, -504742926, 252371463, -503780746, 237269651};
constexpr std::int64_t kLowPass15Hz[5] = {3865857, 7731714, 3865857, -438353264, 185381237};
constexpr int kCoefficientBits = 28;
constexpr int kInputShift = 8;  // samples enter the filters as adc * 256

constexpr std::int32_t kMwiLength = 54;      // 150 ms
constexpr std::int32_t kRefractory = 72;     // 200 ms
constexpr std::int32_t kTWaveWindow = 130;   // 360 ms
constexpr std::int32_t kLearnSamples = 720;  // 2 s
constexpr std::int32_t kLocateDelay = 7;     // 20 ms

std::int32_t biquad(const std::int64_t (&c)[5], std::int32_t (&x)[2], std::int32_t (&y)[2], std::int32_t in) {
  const std::int64_t acc = c[0] * in + c[1] * x[0] + c[2] * x[1] - c[3] * y[0] - c[4] * y[1];
  const auto out = static_cast<std::int32_t>((acc + (std::int64_t{1} << (kCoefficientBits - 1))) >> kCoefficientBits);
  x[1] = x[0];
  x[0] = in;
  y[1] = y[0];
  y[0] = out;
  return out;
}

std::int32_t ring_index(std::int64_t i, std::int32_t ring) { return static_cast<std::int32_t>(i % ring); }

// A decimal integer from a bundle string, or false.
bool parse_int(FbString s, std::int64_t* out) {
  if (s.size == 0 || s.size > 9) return false;
  std::int64_t v = 0;
  for (std::uint32_t i = 0; i < s.size; ++i) {
    if (s.data[i] < '0' || s.data[i] > '9') return false;
    v = v * 10 + (s.data[i] - '0');
  }
  *out = v;
  return true;
}

}  // namespace

// The float detector's QRS floor, 1e-4 mV^2 of its integrated signal, in this detector's units:
// the derivative here is 8 x 256 x gain times the float one's, and the sum is over 54 samples.
RPeakDetector::RPeakDetector(std::int32_t adc_zero, std::int32_t adc_per_mv) : adc_zero_(adc_zero) {
  const std::int64_t scale = std::int64_t{8} * (1 << kInputShift) * adc_per_mv;
  floor_ = scale * scale * kMwiLength / 10000;
}

std::int32_t RPeakDetector::window_max_slope(std::int32_t mwi_index) const {
  std::int32_t best = 0;
  for (std::int32_t i = mwi_index - kMwiLength < 0 ? 0 : mwi_index - kMwiLength; i <= mwi_index; ++i) {
    if (static_cast<std::int64_t>(n_) - i <= kRing && slope_[ring_index(i, kRing)] > best) {
      best = slope_[ring_index(i, kRing)];
    }
  }
  return best;
}

// The R peak: the input's largest excursion from the level at the edges of the QRS window.
std::int32_t RPeakDetector::locate_r_peak(std::int32_t mwi_index) const {
  const std::int64_t n = n_;
  const std::int64_t oldest = n - kRing + 1 > 0 ? n - kRing + 1 : 0;
  std::int64_t start = mwi_index - kMwiLength - kLocateDelay;
  if (start < oldest) start = oldest;
  const std::int64_t end = mwi_index < n - 1 ? mwi_index : n - 1;
  if (end <= start)
    return static_cast<std::int32_t>(mwi_index < oldest ? oldest : (mwi_index > n - 1 ? n - 1 : mwi_index));
  // |x - (a + b) / 2| compared as |2x - (a + b)|: exact in integers.
  const std::int32_t edges = raw_[ring_index(start, kRing)] + raw_[ring_index(end, kRing)];
  std::int64_t best = start;
  std::int32_t best_excursion = -1;
  for (std::int64_t i = start; i <= end; ++i) {
    std::int32_t e = 2 * raw_[ring_index(i, kRing)] - edges;
    if (e < 0) e = -e;
    if (e > best_excursion) {
      best_excursion = e;
      best = i;
    }
  }
  return static_cast<std::int32_t>(best);
}

void RPeakDetector::accept(Candidate c, bool searched_back) {
  spki_ = searched_back ? (c.value + 3 * spki_) / 4 : (c.value + 7 * spki_) / 8;
  if (last_qrs_ >= 0) {
    const std::int64_t rr16 = static_cast<std::int64_t>(c.index - last_qrs_) * 16;
    // The mean of the first eight intervals, then a running average.
    rr_average_x16_ =
        rr_count_ < 8 ? (rr_average_x16_ * rr_count_ + rr16) / (rr_count_ + 1) : (7 * rr_average_x16_ + rr16) / 8;
    ++rr_count_;
  }
  last_qrs_ = c.index;
  last_qrs_slope_ = c.slope;
  best_noise_ = Candidate{};
  if (out_count_ < kMaxOut) out_[out_count_++] = static_cast<std::uint32_t>(locate_r_peak(c.index));
}

void RPeakDetector::decide(const Candidate& c) {
  if (!learned_) {
    if (learn_count_ < static_cast<int>(sizeof learn_peaks_ / sizeof learn_peaks_[0])) learn_peaks_[learn_count_++] = c;
    return;
  }
  const std::int64_t threshold = npki_ + (spki_ - npki_) / 4;
  // Search back: no QRS for 1.66 RR intervals, and a noise peak over half the threshold since.
  if (last_qrs_ >= 0 && rr_count_ > 0 && best_noise_.index > last_qrs_ &&
      static_cast<std::int64_t>(c.index - last_qrs_) * 1600 > 166 * rr_average_x16_ &&
      2 * best_noise_.value > threshold && best_noise_.value > floor_) {
    accept(best_noise_, /*searched_back=*/true);
  }
  if (c.value > threshold && c.value > floor_ && (last_qrs_ < 0 || c.index - last_qrs_ > kRefractory)) {
    const bool t_wave = last_qrs_ >= 0 && c.index - last_qrs_ < kTWaveWindow && 2 * c.slope < last_qrs_slope_;
    if (!t_wave) {
      accept(c, /*searched_back=*/false);
      return;
    }
  }
  npki_ = (c.value + 7 * npki_) / 8;
  if (c.value > best_noise_.value || best_noise_.index <= last_qrs_) best_noise_ = c;
}

// The first two seconds set the levels (a third of the largest integrated value, half the
// mean), then their candidates are decided.
void RPeakDetector::learn_levels() {
  learned_ = true;
  spki_ = learn_max_ / 3;
  npki_ = n_ > 0 ? learn_sum_ / (2 * static_cast<std::int64_t>(n_)) : 0;
  for (int i = 0; i < learn_count_; ++i) decide(learn_peaks_[i]);
  learn_count_ = 0;
}

int RPeakDetector::push(std::int32_t adc) {
  out_count_ = 0;
  const std::int32_t n = static_cast<std::int32_t>(n_);
  raw_[ring_index(n, kRing)] = static_cast<std::int16_t>(adc);
  const std::int32_t x =
      biquad(kLowPass15Hz, lp_x_, lp_y_, biquad(kHighPass5Hz, hp_x_, hp_y_, (adc - adc_zero_) * (1 << kInputShift)));
  // Five-point derivative 2x[n] + x[n-1] - x[n-3] - 2x[n-4] (the float detector's, times 8).
  const std::int32_t d = 2 * x + deriv_[0] - deriv_[2] - 2 * deriv_[3];
  deriv_[3] = deriv_[2];
  deriv_[2] = deriv_[1];
  deriv_[1] = deriv_[0];
  deriv_[0] = x;
  slope_[ring_index(n, kRing)] = d < 0 ? -d : d;
  std::int64_t& oldest = mwi_window_[ring_index(n, kMwiLength)];
  const std::int64_t squared = static_cast<std::int64_t>(d) * d;
  mwi_sum_ += squared - oldest;
  oldest = squared;
  const std::int64_t mwi = mwi_sum_;
  ++n_;

  // A local maximum of the integrated signal at n - 1; those within the refractory period of
  // each other are one candidate (the largest).
  if (n >= 2 && prev_mwi_[0] > prev_mwi_[1] && prev_mwi_[0] >= mwi) {
    const Candidate c{n - 1, prev_mwi_[0], window_max_slope(n - 1)};
    if (pending_.index >= 0 && c.index - pending_.index <= kRefractory) {
      if (c.value > pending_.value) pending_ = c;
    } else {
      if (pending_.index >= 0) decide(pending_);
      pending_ = c;
    }
  }
  if (pending_.index >= 0 && n - pending_.index > kRefractory) {
    decide(pending_);
    pending_ = Candidate{};
  }
  prev_mwi_[1] = prev_mwi_[0];
  prev_mwi_[0] = mwi;
  if (!learned_) {
    if (mwi > learn_max_) learn_max_ = mwi;
    learn_sum_ += mwi;
    if (n_ >= static_cast<std::uint32_t>(kLearnSamples)) learn_levels();
  }
  return out_count_;
}

int RPeakDetector::flush() {
  out_count_ = 0;
  if (!learned_) learn_levels();
  if (pending_.index >= 0) {
    decide(pending_);
    pending_ = Candidate{};
  }
  return out_count_;
}

Code read_ecg_beat_config(Interpreter& interpreter, EcgBeatConfig* config) {
  Message& m = interpreter.message();
  m.clear();
  if (!interpreter.preprocessing_kind().equals("ecg_beat")) {
    m << "the bundle's preprocessing is '" << interpreter.preprocessing_kind() << "', not ecg_beat";
    return Code::kUnsupported;
  }
  const auto integer = [&](const char* key, std::int64_t fallback, std::int64_t lo, std::int64_t hi,
                           std::int64_t* out) {
    const FbString text = interpreter.preprocessing_param(key);
    *out = fallback;
    if ((text.size > 0 && !parse_int(text, out)) || *out < lo || *out > hi) {
      m << "ecg_beat parameter " << key << " = '" << text << "' is not an integer in [" << lo << ", " << hi << "]";
      return false;
    }
    return true;
  };
  std::int64_t rate = 0, before = 0, after = 0, align = 0, local = 0, record = 0;
  if (!integer("sample_rate_hz", 0, RPeakDetector::kRateHz, RPeakDetector::kRateHz, &rate) ||
      !integer("window_before", 0, 1, kMaxBeatWindow - 1, &before) ||
      !integer("window_after", 0, 1, kMaxBeatWindow - 1, &after) || !integer("r_align_samples", 0, 0, 32, &align) ||
      !integer("rr_local_beats", 10, 1, 1000, &local) || !integer("rr_record_seconds", 0, 1, 86400, &record)) {
    return Code::kUnsupported;
  }
  if (before + after > kMaxBeatWindow || !interpreter.preprocessing_param("baseline").equals("window_median")) {
    m << "ecg_beat windows must be at most " << kMaxBeatWindow << " samples with the window_median baseline";
    return Code::kUnsupported;
  }
  config->window_before = static_cast<int>(before);
  config->window_after = static_cast<int>(after);
  config->r_align_samples = static_cast<int>(align);
  config->rr_local_beats = static_cast<int>(local);
  config->rr_record_seconds = static_cast<std::int32_t>(record);
  return Code::kOk;
}

EcgBeats::EcgBeats(const EcgBeatConfig& config, std::int32_t adc_zero, double adc_per_mv)
    : config_(config),
      adc_zero_(adc_zero),
      adc_per_mv_(adc_per_mv),
      detector_(adc_zero, static_cast<std::int32_t>(adc_per_mv + 0.5)) {}

void EcgBeats::add_peaks(int count) {
  for (int i = 0; i < count; ++i) peaks_[num_peaks_++ % kMaxPeaks] = detector_.peaks()[i];
}

void EcgBeats::push(std::int16_t adc) {
  signal_[n_ % kSignalRing] = adc;
  ++n_;
  add_peaks(detector_.push(adc));
}

void EcgBeats::flush() {
  add_peaks(detector_.flush());
  at_end_ = true;
}

bool EcgBeats::next(std::uint32_t* r_peak, float* window, float* rr) {
  const std::int64_t before = config_.window_before, after = config_.window_after;
  const std::int64_t align = config_.r_align_samples, n = n_;
  while (emitted_ < num_peaks_) {
    const std::uint32_t index = emitted_;
    const std::int64_t p = peak(index);
    const bool has_next = index + 1 < num_peaks_;
    if (!at_end_ && (!has_next || n < p + after + align)) return false;
    ++emitted_;
    // The window and `align` samples either side, as much of it as the stream has.
    const std::int64_t from = p - before - align > 0 ? p - before - align : 0;
    const std::int64_t to = p + after + align < n ? p + after + align : n;
    if (p - before < 0 || from < n - kSignalRing || p + after > n) {
      ++skipped_;  // before the stream's start, out of the ring, or cut by the stream's end
      continue;
    }
    // RR features with the sliding record ending at the next peak (data/ecg_stream.cpp).
    const std::uint32_t newest = has_next ? index + 1 : index;
    const std::int64_t span = static_cast<std::int64_t>(config_.rr_record_seconds) * RPeakDetector::kRateHz;
    if (num_peaks_ > kMaxPeaks && record_first_ < num_peaks_ - kMaxPeaks) record_first_ = num_peaks_ - kMaxPeaks;
    while (record_first_ + 1 < newest && static_cast<std::int64_t>(peak(newest)) - peak(record_first_) > span) {
      ++record_first_;
    }
    const RrFeatures f = stream_rr_features(
        [this](std::int64_t i) { return static_cast<std::int64_t>(peak(static_cast<std::uint32_t>(i))); }, index,
        num_peaks_, record_first_, newest, config_.rr_local_beats, RPeakDetector::kRateHz);
    for (std::int64_t i = from; i < to; ++i) {
      span_[i - from] = static_cast<float>((signal_[i % kSignalRing] - adc_zero_) / adc_per_mv_);
    }
    if (!beat_window(span_, to - from, p - from, config_.window_before, config_.window_after, config_.r_align_samples,
                     window, scratch_)) {
      ++skipped_;
      continue;
    }
    const float features[8] = {
        f.pre_rr_s,           f.post_rr_s,           f.local_rr_s,           f.record_rr_s,
        f.pre_to_local_ratio, f.pre_to_record_ratio, f.post_to_record_ratio, f.post_to_pre_ratio};
    for (int i = 0; i < 8; ++i) rr[i] = features[i];
    *r_peak = static_cast<std::uint32_t>(p);
    return true;
  }
  return false;
}

}  // namespace edgeai::micro
