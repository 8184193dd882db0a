#include "agent/inference_service.hpp"

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>

namespace edgeai {

double unix_now() { return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count(); }

Result<std::unique_ptr<InferenceService>> InferenceService::create(const std::string& bundle_path,
                                                                   TelemetryQueue* queue,
                                                                   const InferenceServiceOptions& options,
                                                                   const std::string& version) {
  if (!(options.window_seconds > 0.0)) return invalid_argument("the telemetry window must be longer than 0 s");
  if (options.run_alert_beats < 1) return invalid_argument("an alert run needs at least 1 prediction");
  EDGEAI_ASSIGN_OR_RETURN(std::unique_ptr<ModelRunner> model, ModelRunner::load(bundle_path, options.threads));
  model->set_reported_version(version);
  std::unique_ptr<InferenceService> service(new InferenceService());
  service->options_ = options;
  service->queue_ = queue;
  service->model_ = std::move(model);
  if (!options.events_path.empty()) {
    service->events_ = std::fopen(options.events_path.c_str(), "a");
    if (service->events_ == nullptr) return io_error(options.events_path, ": cannot open the event log for appending");
  }
  std::lock_guard<std::mutex> lock(service->mutex_);
  service->open_window_locked(unix_now());
  return service;
}

InferenceService::~InferenceService() {
  if (events_ != nullptr) std::fclose(events_);
}

void InferenceService::stop() {
  {
    std::lock_guard<std::mutex> lock(stop_mutex_);
    stop_ = true;
  }
  stop_cv_.notify_all();
}

Status InferenceService::switch_model(const std::string& bundle_path, const std::string& version) {
  EDGEAI_ASSIGN_OR_RETURN(std::unique_ptr<ModelRunner> model, ModelRunner::load(bundle_path, options_.threads));
  model->set_reported_version(version);
  std::lock_guard<std::mutex> lock(mutex_);
  pending_ = std::move(model);
  return Status::ok();
}

Status InferenceService::set_shadow(const std::string& bundle_path, const std::string& version) {
  std::unique_ptr<ModelRunner> model;
  if (!bundle_path.empty()) {
    EDGEAI_ASSIGN_OR_RETURN(model, ModelRunner::load(bundle_path, options_.threads));
    model->set_reported_version(version);
  }
  std::lock_guard<std::mutex> lock(mutex_);
  pending_shadow_ = std::move(model);
  clear_shadow_ = bundle_path.empty();
  return Status::ok();
}

// Between two inferences: a new model or shadow takes over, and the window closes for the old.
void InferenceService::apply_pending_locked() {
  if (!pending_ && !pending_shadow_ && !clear_shadow_) return;
  const double now = unix_now();
  end_run_locked();
  close_window_locked(now);
  if (pending_) {
    model_ = std::move(pending_);
    ++totals_.switches;
  }
  if (pending_shadow_ || clear_shadow_) {
    shadow_ = std::move(pending_shadow_);
    clear_shadow_ = false;
  }
  open_window_locked(now);
}

void InferenceService::open_window_locked(double now) {
  window_.reset(now, model_->labels(), model_->version());
  if (shadow_) window_.set_shadow_version(shadow_->version());
  window_end_ = now + options_.window_seconds;
  window_events_ = 0;
  suppressed_ = 0;
  if (totals_.counts.size() != model_->labels().size()) totals_.counts.assign(model_->labels().size(), 0);
}

void InferenceService::close_window_locked(double now) {
  if (window_.empty()) return;
  ++totals_.windows;
  if (queue_ == nullptr) return;
  std::string body = window_.close(now);
  if (suppressed_ > 0) {
    body.pop_back();  // the closing brace: the count of events not sent joins the window
    body += str_cat(",\"events_suppressed\":", suppressed_, "}");
  }
  Result<std::int64_t> pushed = queue_->push("window", body, static_cast<std::int64_t>(now));
  if (!pushed.is_ok()) std::fprintf(stderr, "edgeai-agent: telemetry: %s\n", pushed.status().to_string().c_str());
}

void InferenceService::maybe_close_window_locked(double now) {
  if (now < window_end_) return;
  end_run_locked();
  close_window_locked(now);
  open_window_locked(now);
}

void InferenceService::note_event_locked(const std::string& body) {
  if (queue_ == nullptr) return;
  if (window_events_ >= options_.max_events_per_window) {
    ++suppressed_;
    return;
  }
  ++window_events_;
  Result<std::int64_t> pushed = queue_->push("event", body, static_cast<std::int64_t>(unix_now()));
  if (!pushed.is_ok()) std::fprintf(stderr, "edgeai-agent: telemetry: %s\n", pushed.status().to_string().c_str());
}

// A run of one anomaly label ends: an alert when it was long enough, else one anomaly event
// per prediction of it (the short runs).
void InferenceService::end_run_locked() {
  if (run_label_ < 0 || run_length_ == 0) {
    run_label_ = -1;
    run_length_ = 0;
    return;
  }
  const std::string label = model_->label_name(run_label_);
  nlohmann::json j;
  j["time"] = unix_now();
  j["model_version"] = model_->version();
  j["label"] = label;
  j["count"] = run_length_;
  j["from"] = run_from_;
  j["to"] = run_to_;
  j["min_confidence"] = run_min_confidence_;
  if (run_length_ >= options_.run_alert_beats) {
    j["type"] = "alert";
    j["message"] = str_cat("run of ", run_length_, " ", label, " from ", run_from_, " to ", run_to_);
    ++totals_.alerts;
    if (options_.print_alerts) std::fprintf(stderr, "alert: %s\n", j["message"].get<std::string>().c_str());
  } else {
    j["type"] = "anomaly";
  }
  note_event_locked(j.dump());
  run_label_ = -1;
  run_length_ = 0;
}

void InferenceService::account_locked(const InferenceEvent& event) {
  const Prediction& p = event.prediction;
  window_.add(p);
  ++totals_.inferences;
  totals_.anomalies += p.anomaly;
  if (p.label >= 0 && static_cast<std::size_t>(p.label) < totals_.counts.size()) {
    ++totals_.counts[static_cast<std::size_t>(p.label)];
  }
  if (totals_.latencies_ms.size() < ServiceTotals::kSummaryLatencies) {
    totals_.latencies_ms.push_back(p.latency_ms);
  } else {  // a ring: the oldest goes
    totals_.latencies_ms[static_cast<std::size_t>(totals_.inferences) % ServiceTotals::kSummaryLatencies] =
        p.latency_ms;
  }
  // Runs of an anomaly label; uncertain predictions of ordinary labels are events at once.
  const int anomaly_label = model_->is_anomaly_label(p.label) ? p.label : -1;
  if (anomaly_label != run_label_) end_run_locked();
  if (anomaly_label >= 0) {
    if (run_length_ == 0) {
      run_label_ = anomaly_label;
      run_from_ = event.position;
      run_min_confidence_ = 1.0f;
    }
    ++run_length_;
    run_to_ = event.position;
    run_min_confidence_ = std::min(run_min_confidence_, p.confidence);
  } else if (p.uncertain) {
    nlohmann::json j;
    j["time"] = event.time_unix_s;
    j["model_version"] = event.model_version;
    j["type"] = "uncertain";
    j["label"] = event.label;
    j["confidence"] = p.confidence;
    j["from"] = event.position;
    note_event_locked(j.dump());
  }
  if (events_ != nullptr) {
    nlohmann::json j;
    j["time"] = event.time_unix_s;
    j["position"] = event.position;
    j["label"] = event.label;
    j["confidence"] = p.confidence;
    j["anomaly"] = p.anomaly;
    j["latency_ms"] = p.latency_ms;
    j["model_version"] = event.model_version;
    std::fprintf(events_, "%s\n", j.dump().c_str());
  }
}

Result<InferenceEvent> InferenceService::classify_locked(std::span<const TensorView> inputs,
                                                         const std::string& position) {
  apply_pending_locked();
  const double now = unix_now();
  maybe_close_window_locked(now);
  Result<Prediction> p = model_->classify(inputs);
  if (!p.is_ok()) {
    window_.add_error();
    ++totals_.errors;
    return p.status();
  }
  InferenceEvent event;
  event.prediction = *p;
  event.probabilities = model_->probabilities();
  event.label = model_->label_name(p->label);
  event.position = position;
  event.model_version = model_->version();
  event.time_unix_s = now;
  if (shadow_) {
    Result<Prediction> candidate = shadow_->classify(inputs);
    if (candidate.is_ok()) {
      window_.add_shadow(*p, *candidate, candidate->latency_ms);
    } else {
      window_.add_error();
    }
  }
  account_locked(event);
  return event;
}

Result<InferenceEvent> InferenceService::infer(std::span<const TensorView> inputs, const std::string& position) {
  Result<InferenceEvent> event = [&] {
    std::lock_guard<std::mutex> lock(mutex_);
    return classify_locked(inputs, position);
  }();
  if (event.is_ok() && on_event_) on_event_(*event);
  return event;
}

Result<InferenceEvent> InferenceService::infer_image(std::span<const std::uint8_t> bytes, const std::string& position) {
  EDGEAI_ASSIGN_OR_RETURN(Image image, decode_image(bytes.data(), bytes.size(), "the request body"));
  Result<InferenceEvent> event = [&]() -> Result<InferenceEvent> {
    std::lock_guard<std::mutex> lock(mutex_);
    apply_pending_locked();
    EDGEAI_RETURN_IF_ERROR(prepare_image_input(*model_, image, image_values_, image_shape_));
    const TensorView input{DType::kFloat32, image_shape_, image_values_.data()};
    return classify_locked(std::span<const TensorView>(&input, 1), position);
  }();
  if (event.is_ok() && on_event_) on_event_(*event);
  return event;
}

Status InferenceService::run(InputSource& source) {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  const double speed = source.speed();
  SourceSample sample;
  double virtual_time = 0.0;  // speed 0: stream time advances with the samples, never waits
  Status result = Status::ok();
  while (!stop_) {
    const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    const double ready = speed > 0.0 ? elapsed * speed : virtual_time;
    Result<bool> more = [&]() -> Result<bool> {
      std::lock_guard<std::mutex> lock(mutex_);
      apply_pending_locked();
      return source.next(*model_, ready, sample);
    }();
    if (!more.is_ok()) {
      result = more.status();
      break;
    }
    if (!*more) break;
    if (sample.dropped_before > 0) {
      std::lock_guard<std::mutex> lock(mutex_);
      window_.add_dropped(sample.dropped_before);
      totals_.dropped += sample.dropped_before;
    }
    if (speed > 0.0 && sample.arrival_s > ready) {  // wait for the sample to arrive
      std::unique_lock<std::mutex> lock(stop_mutex_);
      stop_cv_.wait_for(lock, std::chrono::duration<double>((sample.arrival_s - ready) / speed),
                        [&] { return stop_.load(); });
      if (stop_) break;
    }
    virtual_time = std::max(virtual_time, sample.arrival_s);
    Result<InferenceEvent> event = infer(sample.inputs, sample.position);
    if (!event.is_ok()) {
      std::fprintf(stderr, "edgeai-agent: %s: %s\n", sample.position.c_str(), event.status().to_string().c_str());
    } else if (collect_per_hour_ > 0) {
      std::lock_guard<std::mutex> lock(mutex_);
      maybe_collect_locked(*event, sample);
    }
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    end_run_locked();
    close_window_locked(unix_now());
    open_window_locked(unix_now());
  }
  if (events_ != nullptr) std::fflush(events_);
  return result;
}

void InferenceService::set_sample_policy(std::int64_t per_hour, double below) {
  std::lock_guard<std::mutex> lock(mutex_);
  collect_per_hour_ = std::max<std::int64_t>(0, per_hour);
  collect_below_ = below;
}

namespace {

std::string base64(std::span<const std::uint8_t> bytes) {
  static const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    const std::uint32_t n = (std::uint32_t{bytes[i]} << 16) | (i + 1 < bytes.size() ? bytes[i + 1] << 8 : 0) |
                            (i + 2 < bytes.size() ? bytes[i + 2] : 0);
    out += alphabet[(n >> 18) & 63];
    out += alphabet[(n >> 12) & 63];
    out += i + 1 < bytes.size() ? alphabet[(n >> 6) & 63] : '=';
    out += i + 2 < bytes.size() ? alphabet[n & 63] : '=';
  }
  return out;
}

// The server takes items up to 64 KiB: the base64 of an input must fit with its fields.
constexpr std::size_t kMaxSampleBytes = 45000;

}  // namespace

// An uncertain input, raw, when the campaign opted in and the hour's allowance is not used up.
void InferenceService::maybe_collect_locked(const InferenceEvent& event, const SourceSample& sample) {
  if (queue_ == nullptr || collect_per_hour_ <= 0 || event.prediction.confidence >= collect_below_ ||
      sample.raw.empty() || sample.raw.size() > kMaxSampleBytes) {
    return;
  }
  const double now = unix_now();
  std::erase_if(collected_at_, [&](double t) { return t < now - 3600.0; });
  if (static_cast<std::int64_t>(collected_at_.size()) >= collect_per_hour_) return;
  collected_at_.push_back(now);
  nlohmann::json j;
  j["time"] = now;
  j["model_version"] = event.model_version;
  j["label"] = event.label;
  j["confidence"] = event.prediction.confidence;
  j["position"] = event.position;
  j["media_type"] = sample.raw_type;
  j["data"] = base64(sample.raw);
  Result<std::int64_t> pushed = queue_->push("sample", j.dump(), static_cast<std::int64_t>(now));
  if (pushed.is_ok()) ++totals_.samples;
}

std::string InferenceService::model_version() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return model_->version();
}

std::string InferenceService::model_path() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return model_->path();
}

std::vector<std::string> InferenceService::labels() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return model_->labels();
}

std::vector<ValueInfo> InferenceService::model_inputs() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return model_->inputs();
}

ServiceTotals InferenceService::totals() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return totals_;
}

}  // namespace edgeai
