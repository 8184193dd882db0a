#include "data/rpeak.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace edgeai {
namespace {

// Second-order Butterworth sections (the audio EQ cookbook): b0 b1 b2 a1 a2, a0 = 1.
void butterworth(double cutoff_hz, double fs, bool high_pass, double (&c)[5]) {
  const double w0 = 2.0 * std::numbers::pi * cutoff_hz / fs;
  const double alpha = std::sin(w0) / std::numbers::sqrt2;  // sin(w0) / (2 Q), Q = 1/sqrt(2)
  const double cosw = std::cos(w0);
  const double a0 = 1.0 + alpha;
  if (high_pass) {
    c[0] = (1.0 + cosw) / 2.0 / a0;
    c[1] = -(1.0 + cosw) / a0;
    c[2] = (1.0 + cosw) / 2.0 / a0;
  } else {
    c[0] = (1.0 - cosw) / 2.0 / a0;
    c[1] = (1.0 - cosw) / a0;
    c[2] = (1.0 - cosw) / 2.0 / a0;
  }
  c[3] = -2.0 * cosw / a0;
  c[4] = (1.0 - alpha) / a0;
}

double biquad(const double (&c)[5], double (&z)[2], double x) {
  const double y = c[0] * x + z[0];
  z[0] = c[1] * x - c[3] * y + z[1];
  z[1] = c[2] * x - c[4] * y;
  return y;
}

// Below this level of the integrated signal (at 360 Hz) nothing is a QRS, however the adaptive
// levels drift: a lead lying on a table, or a flat line with noise, has no beats. The small
// normal beats of MIT-BIH record 228 integrate to about 1.5e-3 here; the 0.02 mV white noise
// of the tests stays below the floor, and DS2's scores do not change with it.
constexpr double kQrsFloorAt360Hz = 1e-4;

std::int64_t samples(double seconds, double fs) { return std::max<std::int64_t>(1, std::llround(seconds * fs)); }

}  // namespace

RPeakDetector::RPeakDetector(double sample_rate_hz)
    : fs_(sample_rate_hz),
      ring_(samples(6.0, sample_rate_hz)),
      raw_(static_cast<std::size_t>(ring_), 0.0f),
      slope_(static_cast<std::size_t>(ring_), 0.0f),
      mwi_window_(static_cast<std::size_t>(samples(0.150, sample_rate_hz)), 0.0f),
      mwi_len_(samples(0.150, sample_rate_hz)),
      refractory_(samples(0.200, sample_rate_hz)),
      t_wave_window_(samples(0.360, sample_rate_hz)),
      learn_samples_(samples(2.0, sample_rate_hz)) {
  // The floor scales with the rate: the derivative of the same slope is 1/fs per sample.
  floor_ = static_cast<float>(kQrsFloorAt360Hz * (360.0 / fs_) * (360.0 / fs_));
  butterworth(5.0, fs_, /*high_pass=*/true, hp_);
  butterworth(15.0, fs_, /*high_pass=*/false, lp_);
  out_.reserve(4);
}

std::int64_t RPeakDetector::max_latency_samples() const { return ring_; }

float RPeakDetector::window_max_slope(std::int64_t mwi_index) const {
  float best = 0.0f;
  for (std::int64_t i = std::max<std::int64_t>(0, mwi_index - mwi_len_); i <= mwi_index; ++i) {
    if (n_ - i <= ring_) best = std::max(best, slope_at(i));
  }
  return best;
}

// The QRS lies in the integration window that ends at the integrated signal's peak (plus the
// filters' few samples of delay); the R peak is the input's largest excursion there from the
// level at the window's edges.
std::int64_t RPeakDetector::locate_r_peak(std::int64_t mwi_index) const {
  const std::int64_t delay = samples(0.020, fs_);
  const std::int64_t oldest = std::max<std::int64_t>(0, n_ - ring_ + 1);
  const std::int64_t start = std::max(oldest, mwi_index - mwi_len_ - delay);
  const std::int64_t end = std::min(n_ - 1, mwi_index);
  if (end <= start) return std::clamp(mwi_index, oldest, n_ - 1);
  const float baseline = 0.5f * (raw(start) + raw(end));
  std::int64_t best = start;
  float best_excursion = -1.0f;
  for (std::int64_t i = start; i <= end; ++i) {
    const float e = std::fabs(raw(i) - baseline);
    if (e > best_excursion) {
      best_excursion = e;
      best = i;
    }
  }
  return best;
}

void RPeakDetector::accept(Candidate c, bool searched_back) {  // a copy: c may be best_noise_, reset below
  spki_ = searched_back ? 0.25 * c.value + 0.75 * spki_ : 0.125 * c.value + 0.875 * spki_;
  if (last_qrs_ >= 0) {
    const double rr = static_cast<double>(c.mwi_index - last_qrs_);
    // The mean of the last eight intervals, as a running average once there are eight.
    rr_average_ = rr_count_ < 8 ? (rr_average_ * rr_count_ + rr) / (rr_count_ + 1) : 0.875 * rr_average_ + 0.125 * rr;
    ++rr_count_;
  }
  last_qrs_ = c.mwi_index;
  last_qrs_slope_ = c.slope;
  best_noise_ = Candidate{};
  out_.push_back(locate_r_peak(c.mwi_index));
}

void RPeakDetector::decide(const Candidate& c) {
  if (!learned_) {
    learn_peaks_.push_back(c);
    return;
  }
  const double threshold = npki_ + 0.25 * (spki_ - npki_);
  // Search back: no QRS for 1.66 RR intervals, and a noise peak over half the threshold since.
  if (last_qrs_ >= 0 && rr_count_ > 0 && best_noise_.mwi_index > last_qrs_ &&
      static_cast<double>(c.mwi_index - last_qrs_) > 1.66 * rr_average_ && best_noise_.value > 0.5 * threshold &&
      best_noise_.value > floor_) {
    accept(best_noise_, /*searched_back=*/true);
  }
  if (c.value > threshold && c.value > floor_ && (last_qrs_ < 0 || c.mwi_index - last_qrs_ > refractory_)) {
    const bool t_wave = last_qrs_ >= 0 && c.mwi_index - last_qrs_ < t_wave_window_ && c.slope < 0.5f * last_qrs_slope_;
    if (!t_wave) {
      accept(c, /*searched_back=*/false);
      return;
    }
  }
  npki_ = 0.125 * c.value + 0.875 * npki_;
  if (c.value > best_noise_.value || best_noise_.mwi_index <= last_qrs_) best_noise_ = c;
}

std::span<const std::int64_t> RPeakDetector::push(float sample) {
  out_.clear();
  const std::int64_t n = n_;
  raw_[static_cast<std::size_t>(n % ring_)] = sample;
  const double bp = biquad(lp_, lp_z_, biquad(hp_, hp_z_, sample));
  // Five-point derivative: (2x[n] + x[n-1] - x[n-3] - 2x[n-4]) / 8.
  const float x = static_cast<float>(bp);
  const float d = (2.0f * x + deriv_hist_[0] - deriv_hist_[2] - 2.0f * deriv_hist_[3]) * 0.125f;
  deriv_hist_[3] = deriv_hist_[2];
  deriv_hist_[2] = deriv_hist_[1];
  deriv_hist_[1] = deriv_hist_[0];
  deriv_hist_[0] = x;
  slope_[static_cast<std::size_t>(n % ring_)] = std::fabs(d);
  // Squared, integrated over 150 ms.
  float& oldest = mwi_window_[static_cast<std::size_t>(n % mwi_len_)];
  mwi_sum_ += static_cast<double>(d) * d - oldest;
  oldest = d * d;
  const float mwi = static_cast<float>(std::max(0.0, mwi_sum_) / static_cast<double>(mwi_len_));
  ++n_;

  // A local maximum of the integrated signal at n - 1; those within the refractory period of
  // each other are one candidate (the largest).
  if (n >= 2 && prev_mwi_[0] > prev_mwi_[1] && prev_mwi_[0] >= mwi) {
    const Candidate c{n - 1, prev_mwi_[0], window_max_slope(n - 1)};
    if (pending_.mwi_index >= 0 && c.mwi_index - pending_.mwi_index <= refractory_) {
      if (c.value > pending_.value) pending_ = c;
    } else {
      if (pending_.mwi_index >= 0) decide(pending_);
      pending_ = c;
    }
  }
  if (pending_.mwi_index >= 0 && n - pending_.mwi_index > refractory_) {
    decide(pending_);
    pending_ = Candidate{};
  }
  prev_mwi_[1] = prev_mwi_[0];
  prev_mwi_[0] = mwi;

  // Learning: the first two seconds set the signal and noise levels (a third of the maximum,
  // half the mean), then their candidates are decided.
  if (!learned_) {
    learn_max_ = std::max(learn_max_, mwi);
    learn_sum_ += mwi;
    if (n_ >= learn_samples_) {
      learned_ = true;
      spki_ = learn_max_ / 3.0;
      npki_ = 0.5 * learn_sum_ / static_cast<double>(n_);
      std::vector<Candidate> peaks;
      peaks.swap(learn_peaks_);
      for (const Candidate& c : peaks) decide(c);
    }
  }
  return out_;
}

std::span<const std::int64_t> RPeakDetector::flush() {
  out_.clear();
  if (!learned_) {
    learned_ = true;
    spki_ = learn_max_ / 3.0;
    npki_ = n_ > 0 ? 0.5 * learn_sum_ / static_cast<double>(n_) : 0.0;
    std::vector<Candidate> peaks;
    peaks.swap(learn_peaks_);
    for (const Candidate& c : peaks) decide(c);
  }
  if (pending_.mwi_index >= 0) {
    decide(pending_);
    pending_ = Candidate{};
  }
  return out_;
}

std::vector<std::int64_t> detect_r_peaks(std::span<const float> signal, double sample_rate_hz) {
  RPeakDetector detector(sample_rate_hz);
  std::vector<std::int64_t> peaks;
  for (float s : signal) {
    for (std::int64_t p : detector.push(s)) peaks.push_back(p);
  }
  for (std::int64_t p : detector.flush()) peaks.push_back(p);
  return peaks;
}

double DetectionScore::sensitivity() const {
  const std::int64_t d = true_positives + false_negatives;
  return d > 0 ? static_cast<double>(true_positives) / static_cast<double>(d) : 0.0;
}

double DetectionScore::positive_predictivity() const {
  const std::int64_t d = true_positives + false_positives;
  return d > 0 ? static_cast<double>(true_positives) / static_cast<double>(d) : 0.0;
}

std::vector<std::int64_t> match_detections(std::span<const std::int64_t> reference,
                                           std::span<const std::int64_t> detected, std::int64_t tolerance) {
  // Both sorted: walk them together; each reference beat takes the nearest unused detection
  // within the tolerance.
  std::vector<std::int64_t> matched(reference.size(), -1);
  std::size_t j = 0;
  for (std::size_t i = 0; i < reference.size(); ++i) {
    while (j < detected.size() && detected[j] < reference[i] - tolerance) ++j;
    std::size_t best = j;
    std::int64_t best_distance = tolerance + 1;
    for (std::size_t k = j; k < detected.size() && detected[k] <= reference[i] + tolerance; ++k) {
      const std::int64_t distance = std::llabs(detected[k] - reference[i]);
      // The next reference beat may be closer to a later detection: take the nearest only.
      if (distance < best_distance) {
        best_distance = distance;
        best = k;
      }
    }
    if (best_distance <= tolerance) {
      matched[i] = detected[best];
      j = best + 1;
    }
  }
  return matched;
}

DetectionScore score_detections(std::span<const std::int64_t> reference, std::span<const std::int64_t> detected,
                                std::int64_t tolerance) {
  DetectionScore score;
  for (std::int64_t m : match_detections(reference, detected, tolerance)) {
    if (m >= 0) {
      ++score.true_positives;
    } else {
      ++score.false_negatives;
    }
  }
  score.false_positives = static_cast<std::int64_t>(detected.size()) - score.true_positives;
  return score;
}

}  // namespace edgeai
