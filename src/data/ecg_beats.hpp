// ECG beat preprocessing shared by training and devices: the beat window cut around an R
// peak, the RR-interval features of a sequence of R peaks (de Chazal et al. 2004), and linear
// resampling to the model's rate. The parameters live in the bundle's Preprocessing (kind
// "ecg_beat"), so a device applies exactly what training applied. Device side: no heap
// allocation per beat in extract_beat_window, errors are values, no exceptions, no torch.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/status.hpp"
#include "data/ecg_beat_core.hpp"
#include "format/bundle.hpp"

namespace edgeai {

// The "ecg_beat" Preprocessing, parsed once. Its params (all strings, as stored in bundles):
//   sample_rate_hz  the model's rate; signals at another rate are resampled (resample_linear)
//   window_before   samples before the R peak in a beat window
//   window_after    samples from the R peak on (the R peak is sample window_before)
//   baseline        "window_median": the window's median is subtracted from every sample
//   rr_local_beats  how many preceding RR intervals form the local average RR
//   lead            the lead the model was trained on ("MLII"); a reader picks that signal
//   r_align_samples the window is centred on the sample of largest |x - window median|
//                   within this many samples of the given R peak (0: on the given peak, as in
//                   bundles made before it existed). Annotated and detected peaks then give
//                   the same window though they differ by a few samples.
//   rr_record_seconds  the "record" of record_rr_s: the peaks of the last this-many seconds up
//                   to the beat's next peak (what a device can know); absent in bundles made
//                   before it existed, which mean the whole record (0 here)
// Optional: "rr_features" (if present it must equal kRrFeatureNames joined by ',').
struct EcgBeatParams {
  double sample_rate_hz = 360.0;
  int window_before = 90;
  int window_after = 166;
  int rr_local_beats = 10;
  double rr_record_seconds = 1800.0;  // 0: the whole record (older bundles)
  int r_align_samples = 8;            // 0: no alignment (older bundles)
  std::string lead = "MLII";

  int window_samples() const { return window_before + window_after; }
};

// Beat windows are at most this long (the median is taken in a fixed stack buffer).
inline constexpr int kMaxBeatWindowSamples = 4096;

// Validates and parses `pre` (kind "ecg_beat", layout "NCW", the params above).
Result<EcgBeatParams> parse_ecg_beat_params(const Preprocessing& pre);
// The Preprocessing that declares `params` (kind "ecg_beat", layout "NCW").
Preprocessing ecg_beat_preprocessing(const EcgBeatParams& params);

// Writes the beat window around `r_peak` into `out` (params.window_samples() floats):
//   out[i] = signal[c - window_before + i] - median(those samples),  i < window_samples
// where c is r_peak moved to the largest |signal - median of r_peak's window| within
// params.r_align_samples of it (the first of equals; searched inside the signal only; c = r_peak
// when the moved window would leave the signal). `out` must not overlap `signal`.
// `signal` is one lead in physical units (mV) at params.sample_rate_hz. Returns OutOfRange
// when the window does not lie inside the signal (callers count such beats as skipped).
// The window median as baseline is simple and robust: the window is mostly isoelectric, and
// the QRS covers too few samples to move the median, so baseline wander is removed per beat.
Status extract_beat_window(std::span<const float> signal, std::int64_t r_peak, const EcgBeatParams& params,
                           std::span<float> out);
// The same, parsing `pre` first; returns the window.
Result<std::vector<float>> extract_beat_window(std::span<const float> signal, std::int64_t r_peak,
                                               const Preprocessing& pre);
// True when the whole window around `r_peak` lies inside a signal of `num_samples`.
bool beat_window_fits(std::int64_t num_samples, std::int64_t r_peak, const EcgBeatParams& params);

// RR features of one beat, in the order of the model's "rr" input.
inline constexpr int kNumRrFeatures = 8;
inline constexpr const char* kRrFeatureNames =
    "pre_rr_s,post_rr_s,local_rr_s,record_rr_s,pre_to_local_ratio,pre_to_record_ratio,post_to_record_ratio,"
    "post_to_pre_ratio";

// RrFeatures and rr_features_of (the features of one beat from its four intervals) are in
// data/ecg_beat_core.hpp, shared with the microcontroller.

// RR features for every peak of `r_peaks` (sample positions, strictly increasing, at
// `sample_rate_hz`), as an R-peak detector on a device would produce them. Edges: the first
// peak takes its post-RR as pre-RR, the last its pre-RR as post-RR; while fewer than
// `local_beats` earlier intervals exist, the local average uses those there are, and with
// none it equals pre-RR. A single peak gets all zeros and ratio 1. The "record" mean RR:
// with `record_seconds` > 0, the mean interval between the peaks that lie within
// `record_seconds` before the beat's next peak (the last beat: before itself) — causal, what a
// device streaming the signal knows one beat later (data/ecg_stream.hpp); with 0, the mean of
// the whole peak list (how models before rr_record_seconds were trained).
Result<std::vector<RrFeatures>> compute_rr_features(std::span<const std::int64_t> r_peaks, double sample_rate_hz,
                                                    int local_beats, double record_seconds = 0.0);

// Linear interpolation of `signal` from `from_hz` to `to_hz`: out[i] = signal at time i / to_hz,
// for every i whose time lies inside the input; positions map as round(p * to_hz / from_hz).
std::vector<float> resample_linear(std::span<const float> signal, double from_hz, double to_hz);
std::int64_t resample_position(std::int64_t position, double from_hz, double to_hz);

}  // namespace edgeai
