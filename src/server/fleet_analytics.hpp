// The cloud side of the hybrid loop (issue 7): what the server learns from the devices'
// aggregate telemetry, in the same database as the rest.
//   - ingest: each "window" item becomes a row of telemetry_windows (counts, confidence and
//     latency histograms, percentiles, shadow statistics); each device "alert" event an alert.
//   - summaries per device, model version or campaign: throughput, latency percentiles, class
//     mix, anomaly rate, dropped frames, and the drift score: the population stability index
//     of the class mix and of the confidence histogram against the baseline the bundle recorded
//     at training time (data/telemetry_stats.hpp).
//   - evaluate(): drift alerts past a threshold; and campaign health from telemetry: a rollout
//     halts when the new version's p95 latency or anomaly rate regresses past the campaign's
//     limits against the group's previous versions (a halt on model quality, not only on failed
//     installs); a shadow campaign, whose devices run the candidate beside the active model
//     and report agreement, is promoted to a rollout or halted from those statistics.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "data/telemetry_stats.hpp"
#include "server/store.hpp"

namespace edgeai::server {

// A campaign's quality limits and mode (table campaign_quality).
struct QualityPolicy {
  std::string mode = "rollout";       // "rollout", or "shadow": assigned devices only run the candidate beside
  double max_latency_ratio = 0.0;     // p95 latency of the new version over the previous ones'; 0: off
  double max_anomaly_increase = 0.0;  // anomaly rate of the new version minus the previous ones'; 0: off
  std::int64_t min_inferences = 200;  // inferences of the new version before any verdict
  double min_agreement = 0.95;        // shadow: promote at this agreement with the active model
  // Opt-in sample collection for retraining: devices upload up to this many uncertain inputs
  // an hour (top-1 confidence below collect_below); 0: none, the default. Raw inputs leave a
  // device only with this.
  std::int64_t collect_per_hour = 0;
  double collect_below = 0.5;
  std::string verdict;  // shadow: "", "promoted" or "halted"; the figures it was made on
};

struct AnalyticsOptions {
  double drift_threshold = 0.25;               // PSI above this raises a drift alert
  std::int64_t drift_min_inferences = 200;     // in the drift window, before a score counts
  std::int64_t drift_window_seconds = 3600;    // the telemetry a device's drift is scored on
  std::int64_t reference_seconds = 24 * 3600;  // the previous versions' telemetry campaign health compares with
};

struct TelemetryStats {
  std::string key;  // the device id, model version or campaign id
  std::int64_t windows = 0, inferences = 0, anomalies = 0, uncertain = 0, dropped = 0, errors = 0;
  double seconds = 0.0;                                       // the windows' total length
  double p50 = 0.0, p95 = 0.0, p99 = 0.0, max_latency = 0.0;  // ms; windows' percentiles weighted by inferences
  std::map<std::string, std::int64_t> counts;                 // per class
  std::vector<std::int64_t> confidence = std::vector<std::int64_t>(kConfidenceBins, 0);
  std::vector<std::int64_t> latency = std::vector<std::int64_t>(kLatencyBuckets, 0);
  std::string model_version;  // the newest window's (per device), or the key (per version)
  std::int64_t first_at = 0, last_at = 0;
  // Shadow: the candidate beside the active model.
  std::string shadow_version;
  std::int64_t shadow_inferences = 0, shadow_agree = 0, shadow_anomalies = 0;
  // Against the bundle's baseline, when the version's bundle has one and there are inferences.
  std::optional<double> drift_class_mix, drift_confidence;

  double throughput() const { return seconds > 0.0 ? static_cast<double>(inferences) / seconds : 0.0; }
  double anomaly_rate() const { return inferences > 0 ? static_cast<double>(anomalies) / inferences : 0.0; }
  std::optional<double> drift() const;  // the larger of the two scores
};

struct AlertRow {
  std::int64_t id = 0, at = 0;
  std::string device_id, kind, model_version,
      message;  // kind: "drift", "device" (an alert the device raised), "quality"
  double value = 0.0;
};

class FleetAnalytics {
 public:
  // `artifacts_dir`: where the server keeps published bundles by sha256 (their baselines).
  static Result<std::unique_ptr<FleetAnalytics>> open(Store& store, std::string artifacts_dir,
                                                      AnalyticsOptions options = {});

  // After Store::ingest_telemetry: windows into telemetry_windows, device alerts into alerts.
  // A window that does not parse is skipped and counted (the raw item stays in telemetry).
  Status ingest(const std::string& device_id, const std::vector<TelemetryRow>& items, std::int64_t now);

  // by: "device", "version" or "campaign"; telemetry received since `since` (unix seconds).
  Result<std::vector<TelemetryStats>> summary(const std::string& by, std::int64_t since);
  // Class mix over time: per model version, counts per class in buckets of `bucket_seconds`.
  Result<std::vector<std::pair<std::int64_t, TelemetryStats>>> timeline(std::int64_t since,
                                                                        std::int64_t bucket_seconds);
  Result<std::vector<AlertRow>> alerts(std::int64_t since);

  // A campaign's release on its devices since they were assigned: as the active model, or
  // (shadow) beside it. Nothing yet: nullopt.
  Result<std::optional<TelemetryStats>> campaign_stats(const CampaignRow& campaign, bool shadow);

  // The quality gate of a campaign's phase (Store::set_phase_gate): a campaign with quality
  // limits moves on only once its release has min_inferences on the devices that have it (and
  // check_campaign found nothing to halt it for); a shadow campaign never, until promoted.
  Result<bool> phase_ready(const CampaignRow& campaign);

  Result<QualityPolicy> policy(std::int64_t campaign_id);
  Status set_policy(std::int64_t campaign_id, const QualityPolicy& policy);

  // Uploaded samples (kind "sample" telemetry) of devices whose campaign opted in; others are
  // refused and counted.
  struct Sample {
    std::int64_t id = 0, at = 0;
    std::string device_id, model_version, label, media_type, data_base64;
    double confidence = 0.0;
  };
  Result<std::vector<Sample>> samples(std::int64_t since);
  std::int64_t refused_samples() const { return refused_samples_; }

  // Drift alerts, and every running campaign's health. Returns true when a campaign changed
  // (halted or promoted): devices' desired state changes with it.
  Result<bool> evaluate(std::int64_t now);

  std::int64_t malformed_windows() const { return malformed_; }

 private:
  FleetAnalytics(Store& store, std::string artifacts_dir, AnalyticsOptions options)
      : store_(store), db_(store.database()), artifacts_(std::move(artifacts_dir)), options_(options) {}
  Result<std::vector<TelemetryStats>> aggregate(const std::string& where, const std::vector<SqlValue>& params,
                                                int key_column);
  std::optional<PredictionBaseline> baseline(const std::string& version, const std::string& group);
  void score_drift(TelemetryStats& stats, const std::string& group);
  Status add_alert(const AlertRow& alert);
  Result<bool> check_campaign(const CampaignRow& campaign, std::int64_t now);
  Result<std::optional<std::string>> regression(const CampaignRow& campaign, const QualityPolicy& policy,
                                                const TelemetryStats& fresh, std::int64_t now);

  Store& store_;
  Database& db_;
  std::string artifacts_;
  AnalyticsOptions options_;
  std::int64_t malformed_ = 0;
  std::int64_t refused_samples_ = 0;
  std::mutex cache_mutex_;
  std::map<std::string, std::optional<PredictionBaseline>> baselines_;  // by bundle sha256
};

// The API's renderings (GET /api/v1/analytics, /alerts, a campaign's "quality").
nlohmann::json to_json(const TelemetryStats& stats);
nlohmann::json to_json(const AlertRow& alert);
nlohmann::json to_json(const QualityPolicy& policy);

}  // namespace edgeai::server
