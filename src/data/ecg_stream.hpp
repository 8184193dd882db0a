// Beats from a live ECG lead (issue 7): samples go in one at a time at the sensor's rate and
// come out as the classifier's inputs — the beat window around each detected R peak and its
// RR features — computed as training computed them (data/ecg_beats.hpp), but causally:
//   - the signal is resampled to the model's rate as it arrives (the same linear
//     interpolation as resample_linear, sample for sample);
//   - R peaks come from the streaming detector (data/rpeak.hpp);
//   - a beat is complete when its window has arrived and the next R peak is known (the
//     post-RR interval), so it comes out one beat late, as on any beat classifier;
//   - the "record" mean RR is the sliding one of compute_rr_features (params.rr_record_seconds;
//     for a bundle trained on whole records, options.record_seconds), so a beat gets the
//     features `edgeai eval` computes for it when the detector finds the same peaks.
// Device side: every buffer is sized at create(), nothing is allocated per sample or per beat,
// errors are values.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "core/status.hpp"
#include "data/ecg_beats.hpp"
#include "data/rpeak.hpp"

namespace edgeai {

struct StreamedBeat {
  std::int64_t r_peak = 0;  // sample index at the model's rate from the start of the stream
  double time_s = 0.0;      // r_peak in seconds
  RrFeatures rr;
  std::span<const float> window;  // params.window_samples() floats, baseline removed; valid until the next push
};

struct EcgStreamOptions {
  double record_seconds = 1800.0;  // the sliding "record" when the bundle has no rr_record_seconds
  double buffer_seconds = 20.0;    // signal kept: a beat whose next peak comes later than this is skipped
};

struct EcgStreamStats {
  std::int64_t samples = 0;  // input samples pushed
  std::int64_t peaks = 0;    // R peaks detected
  std::int64_t beats = 0;    // beats emitted
  std::int64_t skipped = 0;  // peaks whose window left the stream or the buffer
};

class EcgBeatStream {
 public:
  // `input_rate_hz`: the sensor's rate; the model's rate is params.sample_rate_hz.
  static Result<std::unique_ptr<EcgBeatStream>> create(const EcgBeatParams& params, double input_rate_hz,
                                                       const EcgStreamOptions& options = {});

  // One sample of the lead in mV. Returns the beats this sample completed (usually none).
  std::span<const StreamedBeat> push(float sample_mv);
  // The end of the stream: the beats still waiting for a next peak (their post-RR is their
  // pre-RR, as for a record's last beat).
  std::span<const StreamedBeat> flush();

  const EcgStreamStats& stats() const { return stats_; }
  const EcgBeatParams& params() const { return params_; }

 private:
  EcgBeatStream(const EcgBeatParams& params, double input_rate_hz, const EcgStreamOptions& options);
  void push_model_sample(float x);
  void emit_ready(bool at_end);
  bool emit(std::int64_t index, bool at_end);
  std::int64_t peak(std::int64_t index) const { return peaks_[static_cast<std::size_t>(index % peak_ring_)]; }

  EcgBeatParams params_;
  EcgStreamOptions options_;
  double step_;  // input samples per model sample
  RPeakDetector detector_;
  double record_seconds_;
  std::int64_t record_span_;  // record_seconds_ in samples
  // Resampler state.
  std::int64_t inputs_ = 0;
  float previous_input_ = 0.0f;
  std::int64_t next_output_ = 0;
  // Signal at the model's rate, the last signal_ring_ samples.
  std::vector<float> signal_;
  std::int64_t signal_ring_ = 0;
  std::int64_t n_ = 0;  // model-rate samples so far
  // Peaks: the last peak_ring_ of them by index; [emitted_, num_peaks_) wait for emission.
  std::vector<std::int64_t> peaks_;
  std::int64_t peak_ring_ = 0;
  std::int64_t num_peaks_ = 0;
  std::int64_t emitted_ = 0;
  std::int64_t record_first_ = 0;  // first peak inside the sliding record
  // Output.
  std::vector<float> scratch_;  // one window and its alignment margin
  std::vector<float> windows_;  // kMaxBeatsPerPush windows
  std::vector<StreamedBeat> out_;
  EcgStreamStats stats_;
};

}  // namespace edgeai
