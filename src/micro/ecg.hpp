// ECG beats on a microcontroller: ADC samples in, one at a time; beat windows and RR features
// out, as the model's float inputs. The R-peak detector is integer-only (Pan-Tompkins with
// Hamilton-Tompkins decision rules, the host detector of data/rpeak.hpp in fixed point); the
// window and the features are data/ecg_beat_core.hpp's, the code training used. No heap: fixed
// rings sized below. The parameters come from the bundle's "ecg_beat" preprocessing.
#pragma once

#include <cstdint>

#include "data/ecg_beat_core.hpp"
#include "micro/interpreter.hpp"

namespace edgeai::micro {

// The detector at 360 Hz (MIT-BIH's rate and the ECG model's): band-pass 5-15 Hz as two
// second-order Butterworth sections with Q28 coefficients, the five-point derivative, squaring
// and a 150 ms moving sum, in int32/int64; the adaptive levels and the decision rules of the
// float detector in integers.
class RPeakDetector {
 public:
  static constexpr int kRateHz = 360;
  static constexpr int kRing = 6 * kRateHz;  // look-back for search-back and locating R: 6 s
  static constexpr int kMaxOut = 4;

  // `adc_zero`: the ADC value of 0 mV (taken off before filtering, so the filters start from
  // rest as the float detector's do); `adc_per_mv`: the gain (the QRS floor is the float
  // detector's 1e-4 mV^2 in this detector's units).
  RPeakDetector(std::int32_t adc_zero, std::int32_t adc_per_mv);

  // Feeds the next sample (ADC units); returns how many R peaks it confirmed, in peaks().
  int push(std::int32_t adc);
  int flush();
  const std::uint32_t* peaks() const { return out_; }
  std::uint32_t samples_seen() const { return n_; }

 private:
  struct Candidate {
    std::int32_t index = -1;  // where the integrated signal peaked
    std::int64_t value = 0;
    std::int32_t slope = 0;  // the largest |derivative| in the QRS window
  };
  std::int32_t locate_r_peak(std::int32_t mwi_index) const;
  std::int32_t window_max_slope(std::int32_t mwi_index) const;
  void decide(const Candidate& c);
  void accept(Candidate c, bool searched_back);
  void learn_levels();

  std::int32_t adc_zero_;
  std::int64_t floor_;
  std::uint32_t n_ = 0;
  std::int16_t raw_[kRing] = {};
  std::int32_t slope_[kRing] = {};
  std::int64_t mwi_window_[54] = {};  // 150 ms at 360 Hz
  std::int64_t mwi_sum_ = 0;
  std::int32_t hp_x_[2] = {}, hp_y_[2] = {}, lp_x_[2] = {}, lp_y_[2] = {};
  std::int32_t deriv_[4] = {};
  std::int64_t prev_mwi_[2] = {};
  bool learned_ = false;
  std::int64_t learn_max_ = 0, learn_sum_ = 0;
  Candidate learn_peaks_[24];
  int learn_count_ = 0;
  Candidate pending_, best_noise_;
  std::int64_t spki_ = 0, npki_ = 0;
  std::int32_t last_qrs_ = -1;
  std::int32_t last_qrs_slope_ = 0;
  std::int64_t rr_average_x16_ = 0;  // samples, times 16
  int rr_count_ = 0;
  std::uint32_t out_[kMaxOut] = {};
  int out_count_ = 0;
};

// The "ecg_beat" preprocessing of a loaded bundle, as integers.
struct EcgBeatConfig {
  int window_before = 0, window_after = 0, r_align_samples = 0, rr_local_beats = 0;
  std::int32_t rr_record_seconds = 0;
  int window_samples() const { return window_before + window_after; }
};
// Fails (message in `interpreter`) unless the bundle is an ECG beat model this code serves:
// 360 Hz, window median baseline, a sliding record of rr_record_seconds > 0, windows up to
// kMaxBeatWindow samples.
inline constexpr int kMaxBeatWindow = 512;
Code read_ecg_beat_config(Interpreter& interpreter, EcgBeatConfig* config);

// Samples in, beats out: the detector, a ring of the signal and of the peaks, and the windows
// and RR features computed when a beat's window and its next R peak have arrived (one beat
// later), as data/ecg_stream.hpp does on the host.
class EcgBeats {
 public:
  static constexpr int kSignalRing = 12 * RPeakDetector::kRateHz;
  static constexpr int kMaxPeaks = 4096;  // the sliding record keeps at most this many peaks

  // `adc_zero` and `adc_per_mv` convert samples to millivolts: (adc - zero) / gain, as WFDB.
  EcgBeats(const EcgBeatConfig& config, std::int32_t adc_zero, double adc_per_mv);

  // Feeds one sample; then next() yields the beats it completed.
  void push(std::int16_t adc);
  void flush();
  // The next completed beat: its R peak (sample index), window (window_samples floats) and RR
  // features (8 floats, the model's order). False when none is ready.
  bool next(std::uint32_t* r_peak, float* window, float* rr);
  std::uint32_t skipped() const { return skipped_; }
  std::uint32_t peaks_detected() const { return num_peaks_; }

 private:
  std::uint32_t peak(std::uint32_t i) const { return peaks_[i % kMaxPeaks]; }
  void add_peaks(int count);

  EcgBeatConfig config_;
  std::int32_t adc_zero_;
  double adc_per_mv_;
  RPeakDetector detector_;
  std::int16_t signal_[kSignalRing] = {};
  std::uint32_t n_ = 0;
  std::uint32_t peaks_[kMaxPeaks] = {};
  std::uint32_t num_peaks_ = 0, emitted_ = 0, record_first_ = 0;
  std::uint32_t skipped_ = 0;
  bool at_end_ = false;
  float span_[kMaxBeatWindow + 64] = {};
  float scratch_[kMaxBeatWindow] = {};
};

}  // namespace edgeai::micro
