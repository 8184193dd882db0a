// The device's inference service (issue 7): runs the active model continuously on a source
// (agent/sources.hpp), turns every inference into an event (label, confidence, anomaly flag,
// latency), raises alerts, and keeps the telemetry the server sees: per-window aggregates
// (agent/telemetry_window.hpp) and notable events, pushed into the telemetry outbox
// (agent/telemetry_queue.hpp). Raw inputs never leave the device through it.
//
// Alerts: a prediction of one of the bundle's anomaly labels (or below its min_confidence) is an
// anomaly; `run_alert_beats` or more consecutive predictions of the same anomaly label are an
// alert ("run of 5 V"), reported once when the run ends; the other anomalies are events of
// their own, at most `max_events_per_window` per window (the rest are counted).
//
// A model switch (an OTA update activating a new bundle) is loaded beside the running model and
// swapped in between two inferences: the stream goes on, the window closes and a new one opens
// for the new version. Shadow mode runs a candidate model on the same inputs and reports only
// agreement and confusion in the windows.
//
// Threads: run() on one thread; switch_model(), set_shadow(), infer() (the local HTTP endpoint)
// and stop() from others. Inference on the model is serialised by a mutex.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "agent/model_runner.hpp"
#include "agent/sources.hpp"
#include "agent/telemetry_queue.hpp"
#include "agent/telemetry_window.hpp"

namespace edgeai {

struct InferenceServiceOptions {
  double window_seconds = 60.0;  // telemetry window length (wall clock)
  int run_alert_beats = 3;       // consecutive anomaly predictions of one label that make an alert
  int max_events_per_window = 100;
  int threads = 1;
  std::string events_path;   // every inference as a JSON line, on the device only ("" = none)
  bool print_alerts = true;  // alerts on stderr
};

// One inference as the service saw it.
struct InferenceEvent {
  Prediction prediction;
  std::vector<float> probabilities;  // one per label
  std::string label;
  std::string position;
  std::string model_version;
  double time_unix_s = 0.0;
};

struct ServiceTotals {
  std::int64_t inferences = 0, dropped = 0, errors = 0, anomalies = 0, alerts = 0, windows = 0, switches = 0;
  std::int64_t samples = 0;          // uncertain inputs uploaded (opt-in)
  std::vector<std::int64_t> counts;  // per label of the current model
  // The latest inferences' latencies (for the summary): at most kSummaryLatencies, so a device
  // that runs for months does not grow with them.
  static constexpr std::size_t kSummaryLatencies = 65536;
  std::vector<double> latencies_ms;
};

class InferenceService {
 public:
  // Loads the model at `bundle_path`. `queue` (may be null: no telemetry) receives windows and events.
  // `version`: the release version to report (default: the manifest's).
  static Result<std::unique_ptr<InferenceService>> create(const std::string& bundle_path, TelemetryQueue* queue,
                                                          const InferenceServiceOptions& options,
                                                          const std::string& version = "");
  ~InferenceService();

  // Runs `source` until it ends or stop(); closes the last window. Errors of single samples are
  // counted, not fatal; an error of the source itself ends the run with it.
  Status run(InputSource& source);
  void stop();

  // Loads `bundle_path` now and swaps it in before the next inference.
  Status switch_model(const std::string& bundle_path, const std::string& version = "");
  // Shadow mode: run `bundle_path` beside the active model (empty: stop).
  Status set_shadow(const std::string& bundle_path, const std::string& version = "");

  // Opt-in (the campaign's): upload up to `per_hour` inputs an hour whose top-1 confidence is
  // below `below`, raw, as "sample" telemetry. 0: none (the default: no input leaves the device).
  void set_sample_policy(std::int64_t per_hour, double below);

  // One inference for the device's own application (the local endpoint): inputs for the
  // active model, batch 1. Counted in the window like the stream's.
  Result<InferenceEvent> infer(std::span<const TensorView> inputs, const std::string& position);
  // The same for an encoded image (PNG/JPEG), preprocessed as the model declares.
  Result<InferenceEvent> infer_image(std::span<const std::uint8_t> bytes, const std::string& position);

  // Called with every inference (tests, the CLI's progress).
  void on_event(std::function<void(const InferenceEvent&)> callback) { on_event_ = std::move(callback); }

  std::string model_version() const;
  std::string model_path() const;
  std::vector<std::string> labels() const;
  std::vector<ValueInfo> model_inputs() const;
  ServiceTotals totals() const;

 private:
  InferenceService() = default;
  Result<InferenceEvent> classify_locked(std::span<const TensorView> inputs, const std::string& position);
  void account_locked(const InferenceEvent& event);
  void end_run_locked();
  void note_event_locked(const std::string& body);
  void close_window_locked(double now);
  void open_window_locked(double now);
  void maybe_close_window_locked(double now);
  void apply_pending_locked();

  InferenceServiceOptions options_;
  TelemetryQueue* queue_ = nullptr;
  mutable std::mutex mutex_;
  std::unique_ptr<ModelRunner> model_, pending_, shadow_;
  bool clear_shadow_ = false;
  std::unique_ptr<ModelRunner> pending_shadow_;
  TelemetryWindow window_;
  double window_end_ = 0.0;
  int window_events_ = 0;
  std::int64_t suppressed_ = 0;
  // The current run of one anomaly label.
  int run_label_ = -1;
  std::int64_t run_length_ = 0;
  std::string run_from_, run_to_;
  float run_min_confidence_ = 1.0f;
  ServiceTotals totals_;
  std::FILE* events_ = nullptr;
  std::atomic<bool> stop_{false};
  std::condition_variable stop_cv_;
  std::mutex stop_mutex_;
  std::function<void(const InferenceEvent&)> on_event_;
  void maybe_collect_locked(const InferenceEvent& event, const SourceSample& sample);
  std::int64_t collect_per_hour_ = 0;
  double collect_below_ = 0.0;
  std::vector<double> collected_at_;  // upload times within the last hour
  std::vector<float> image_values_;
  Shape image_shape_;
};

double unix_now();

}  // namespace edgeai
