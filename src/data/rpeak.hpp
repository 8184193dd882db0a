// Streaming R-peak detection for ECG on devices (issue 7), after Pan and Tompkins (1985) with
// Hamilton and Tompkins' (1986) decision rules: band-pass 5-15 Hz, five-point derivative,
// squaring, 150 ms moving-window integration; peaks of the integrated signal are QRS
// complexes when they pass an adaptive threshold between the running signal and noise peak
// levels; a 200 ms refractory period, a T-wave test (a candidate within 360 ms of the last QRS
// whose slope is under half of it is a T wave) and a search back at half the threshold when
// no QRS came for 1.66 average RR intervals. The R peak is then placed on the input signal:
// the extremum (from a local baseline) within the QRS window. Samples go in one at a time;
// peaks come out a few hundred milliseconds later (DetectorLatency). Device side: fixed
// buffers sized at construction, no allocation per sample, errors as values.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/status.hpp"

namespace edgeai {

class RPeakDetector {
 public:
  explicit RPeakDetector(double sample_rate_hz);

  // Feeds the next sample (one lead, physical units). Returns the R peaks confirmed by this
  // sample (sample indexes from the start of the stream, increasing), usually none or one.
  std::span<const std::int64_t> push(float sample);
  // At the end of a stream: the peaks still pending.
  std::span<const std::int64_t> flush();

  std::int64_t samples_seen() const { return n_; }
  double sample_rate_hz() const { return fs_; }
  // The most samples a peak can be confirmed after it happened.
  std::int64_t max_latency_samples() const;

 private:
  struct Candidate {
    std::int64_t mwi_index = -1;  // where the integrated signal peaked
    float value = 0.0f;
    float slope = 0.0f;  // the largest |derivative| in the QRS window
  };
  float raw(std::int64_t i) const { return raw_[static_cast<std::size_t>(i % ring_)]; }
  float slope_at(std::int64_t i) const { return slope_[static_cast<std::size_t>(i % ring_)]; }
  void decide(const Candidate& c);
  void accept(Candidate c, bool searched_back);
  std::int64_t locate_r_peak(std::int64_t mwi_index) const;
  float window_max_slope(std::int64_t mwi_index) const;

  double fs_;
  std::int64_t n_ = 0;
  std::int64_t ring_;
  std::vector<float> raw_, slope_, mwi_window_;
  // Filter state: two biquads (high-pass 5 Hz, low-pass 15 Hz), the derivative's history,
  // the integrator's running sum.
  double hp_[5], lp_[5];
  double hp_z_[2] = {0, 0}, lp_z_[2] = {0, 0};
  float deriv_hist_[4] = {0, 0, 0, 0};
  double mwi_sum_ = 0.0;
  std::int64_t mwi_len_, refractory_, t_wave_window_, learn_samples_;
  float floor_ = 0.0f;  // no QRS below this integrated level (kQrsFloorAt360Hz)
  float prev_mwi_[2] = {0, 0};
  // Decision state.
  bool learned_ = false;
  float learn_max_ = 0.0f;
  double learn_sum_ = 0.0;
  std::vector<Candidate> learn_peaks_;
  Candidate pending_;
  Candidate best_noise_;  // the largest noise peak since the last QRS (search back)
  double spki_ = 0.0, npki_ = 0.0;
  std::int64_t last_qrs_ = -1;  // mwi index
  float last_qrs_slope_ = 0.0f;
  double rr_average_ = 0.0;
  int rr_count_ = 0;
  std::vector<std::int64_t> out_;
};

// The whole signal through the streaming detector.
std::vector<std::int64_t> detect_r_peaks(std::span<const float> signal, double sample_rate_hz);

// Beat-by-beat comparison with reference positions (ANSI/AAMI EC57 style): a detection within
// `tolerance` samples of a reference beat matches it (each matches at most once).
struct DetectionScore {
  std::int64_t true_positives = 0, false_negatives = 0, false_positives = 0;
  double sensitivity() const;            // TP / (TP + FN)
  double positive_predictivity() const;  // TP / (TP + FP)
};
DetectionScore score_detections(std::span<const std::int64_t> reference, std::span<const std::int64_t> detected,
                                std::int64_t tolerance);
// For each reference beat, the matched detection, or -1 (same matching as score_detections).
std::vector<std::int64_t> match_detections(std::span<const std::int64_t> reference,
                                           std::span<const std::int64_t> detected, std::int64_t tolerance);

}  // namespace edgeai
