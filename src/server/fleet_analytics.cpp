#include "server/fleet_analytics.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "format/bundle.hpp"

namespace edgeai::server {
namespace {

using nlohmann::json;

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS telemetry_windows (
  device_id TEXT NOT NULL,
  sequence BIGINT NOT NULL,
  model_version TEXT NOT NULL,
  start_at DOUBLE PRECISION NOT NULL,
  end_at DOUBLE PRECISION NOT NULL,
  received_at BIGINT NOT NULL,
  inferences BIGINT NOT NULL,
  anomalies BIGINT NOT NULL,
  uncertain BIGINT NOT NULL,
  dropped BIGINT NOT NULL,
  errors BIGINT NOT NULL,
  p50 DOUBLE PRECISION NOT NULL,
  p95 DOUBLE PRECISION NOT NULL,
  p99 DOUBLE PRECISION NOT NULL,
  max_latency DOUBLE PRECISION NOT NULL,
  counts TEXT NOT NULL,
  confidence TEXT NOT NULL,
  latency TEXT NOT NULL,
  shadow_version TEXT NOT NULL,
  shadow_inferences BIGINT NOT NULL,
  shadow_agree BIGINT NOT NULL,
  shadow_anomalies BIGINT NOT NULL,
  shadow_confusion TEXT NOT NULL,
  PRIMARY KEY (device_id, sequence)
);
CREATE INDEX IF NOT EXISTS windows_by_received ON telemetry_windows (received_at);
CREATE INDEX IF NOT EXISTS windows_by_version ON telemetry_windows (model_version, received_at);
CREATE TABLE IF NOT EXISTS alerts (
  id BIGINT PRIMARY KEY,
  at BIGINT NOT NULL,
  device_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  model_version TEXT NOT NULL,
  message TEXT NOT NULL,
  value DOUBLE PRECISION NOT NULL
);
CREATE TABLE IF NOT EXISTS campaign_quality (
  campaign_id BIGINT PRIMARY KEY,
  mode TEXT NOT NULL,
  max_latency_ratio DOUBLE PRECISION NOT NULL,
  max_anomaly_increase DOUBLE PRECISION NOT NULL,
  min_inferences BIGINT NOT NULL,
  min_agreement DOUBLE PRECISION NOT NULL,
  verdict TEXT NOT NULL,
  collect_per_hour BIGINT NOT NULL,
  collect_below DOUBLE PRECISION NOT NULL
);
CREATE TABLE IF NOT EXISTS samples (
  id BIGINT PRIMARY KEY,
  at BIGINT NOT NULL,
  device_id TEXT NOT NULL,
  model_version TEXT NOT NULL,
  label TEXT NOT NULL,
  confidence DOUBLE PRECISION NOT NULL,
  media_type TEXT NOT NULL,
  data TEXT NOT NULL
)
)sql";

// The columns aggregate() reads, in this order.
constexpr const char* kColumns =
    "w.device_id, w.model_version, w.start_at, w.end_at, w.received_at, w.inferences, w.anomalies, w.uncertain, "
    "w.dropped, w.errors, w.p50, w.p95, w.p99, w.max_latency, w.counts, w.confidence, w.latency, w.shadow_version, "
    "w.shadow_inferences, w.shadow_agree, w.shadow_anomalies";
constexpr int kNumColumns = 21;

std::string str(std::int64_t v) { return std::to_string(v); }
std::string num(double v) {
  std::ostringstream out;
  out.precision(17);
  out << v;
  return out.str();
}

std::string join(const std::vector<std::int64_t>& v) {
  std::string out;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (i > 0) out += ',';
    out += std::to_string(v[i]);
  }
  return out;
}

void add_into(std::vector<std::int64_t>& total, const std::string& csv) {
  std::size_t i = 0, at = 0;
  while (at < csv.size() && i < total.size()) {
    std::size_t end = csv.find(',', at);
    if (end == std::string::npos) end = csv.size();
    total[i++] += std::atoll(csv.c_str() + at);
    at = end + 1;
  }
}

std::vector<std::int64_t> int_array(const json& j, const char* key, std::size_t size) {
  std::vector<std::int64_t> out(size, 0);
  if (auto it = j.find(key); it != j.end() && it->is_array()) {
    for (std::size_t i = 0; i < size && i < it->size(); ++i) {
      if ((*it)[i].is_number_integer()) out[i] = std::max<std::int64_t>(0, (*it)[i].get<std::int64_t>());
    }
  }
  return out;
}

std::int64_t int_field(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number_integer() ? std::max<std::int64_t>(0, it->get<std::int64_t>()) : 0;
}

double number_field(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number() && std::isfinite(it->get<double>()) ? it->get<double>() : 0.0;
}

std::string percent(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.1f %%", 100.0 * v);
  return buffer;
}

std::string fixed(double v, int digits = 3) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.*f", digits, v);
  return buffer;
}

}  // namespace

std::optional<double> TelemetryStats::drift() const {
  if (!drift_class_mix && !drift_confidence) return std::nullopt;
  return std::max(drift_class_mix.value_or(0.0), drift_confidence.value_or(0.0));
}

Result<std::unique_ptr<FleetAnalytics>> FleetAnalytics::open(Store& store, std::string artifacts_dir,
                                                             AnalyticsOptions options) {
  std::unique_ptr<FleetAnalytics> a(new FleetAnalytics(store, std::move(artifacts_dir), options));
  EDGEAI_RETURN_IF_ERROR(a->db_.execute_script(kSchema));
  return a;
}

Status FleetAnalytics::ingest(const std::string& device_id, const std::vector<TelemetryRow>& items, std::int64_t now) {
  return db_.transaction([&]() -> Status {
    for (const TelemetryRow& item : items) {
      const json j = json::parse(item.body, nullptr, false);
      if (j.is_discarded() || !j.is_object()) {
        ++malformed_;
        continue;
      }
      if (item.kind == "window") {
        const auto counts_it = j.find("counts");
        const auto version_it = j.find("model_version");
        if (counts_it == j.end() || !counts_it->is_object() || version_it == j.end() || !version_it->is_string()) {
          ++malformed_;
          continue;
        }
        json counts = json::object();
        for (const auto& [label, n] : counts_it->items()) {
          if (n.is_number_integer()) counts[label] = std::max<std::int64_t>(0, n.get<std::int64_t>());
        }
        const json latency = j.value("latency_ms", json::object());
        const json shadow = j.value("shadow", json::object());
        const std::string shadow_version = shadow.is_object() ? shadow.value("model_version", "") : "";
        EDGEAI_RETURN_IF_ERROR(
            db_.query("INSERT INTO telemetry_windows VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, "
                      "$14, $15, $16, $17, $18, $19, $20, $21, $22, $23) ON CONFLICT DO NOTHING",
                      {device_id,
                       str(item.sequence),
                       version_it->get<std::string>(),
                       num(number_field(j, "start")),
                       num(number_field(j, "end")),
                       str(now),
                       str(int_field(j, "inferences")),
                       str(int_field(j, "anomalies")),
                       str(int_field(j, "uncertain")),
                       str(int_field(j, "dropped")),
                       str(int_field(j, "errors")),
                       num(number_field(latency, "p50")),
                       num(number_field(latency, "p95")),
                       num(number_field(latency, "p99")),
                       num(number_field(latency, "max")),
                       counts.dump(),
                       join(int_array(j, "confidence_histogram", kConfidenceBins)),
                       join(int_array(j, "latency_buckets", kLatencyBuckets)),
                       shadow_version,
                       str(shadow.is_object() ? int_field(shadow, "inferences") : 0),
                       str(shadow.is_object() ? int_field(shadow, "agree") : 0),
                       str(shadow.is_object() ? int_field(shadow, "anomalies") : 0),
                       shadow.is_object() ? shadow.value("confusion", json::array()).dump() : "[]"})
                .status());
      } else if (item.kind == "sample") {
        // Raw input: accepted only from a device whose campaign asked for samples.
        EDGEAI_ASSIGN_OR_RETURN(std::optional<Desired> desired, store_.desired(device_id));
        QualityPolicy p;
        if (desired) {
          EDGEAI_ASSIGN_OR_RETURN(p, policy(desired->campaign_id));
        }
        if (p.collect_per_hour <= 0) {
          ++refused_samples_;
          std::fprintf(stderr, "edgeai server: refused a sample from %s: its campaign collects none\n",
                       device_id.c_str());
          continue;
        }
        EDGEAI_ASSIGN_OR_RETURN(SqlResult id, db_.query("SELECT COALESCE(MAX(id), 0) + 1 FROM samples"));
        EDGEAI_RETURN_IF_ERROR(
            db_.query("INSERT INTO samples VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                      {as_text(id.rows[0][0]), str(now), device_id, j.value("model_version", ""), j.value("label", ""),
                       num(number_field(j, "confidence")), j.value("media_type", ""), j.value("data", "")})
                .status());
      } else if (item.kind == "event" && j.value("type", "") == "alert") {
        AlertRow alert;
        alert.at = now;
        alert.device_id = device_id;
        alert.kind = "device";
        alert.model_version = j.value("model_version", "");
        alert.message = j.value("message", "alert");
        alert.value = static_cast<double>(int_field(j, "count"));
        EDGEAI_RETURN_IF_ERROR(add_alert(alert));
      }
    }
    return Status::ok();
  });
}

Status FleetAnalytics::add_alert(const AlertRow& a) {
  EDGEAI_ASSIGN_OR_RETURN(SqlResult id, db_.query("SELECT COALESCE(MAX(id), 0) + 1 FROM alerts"));
  return db_
      .query("INSERT INTO alerts VALUES ($1, $2, $3, $4, $5, $6, $7)",
             {as_text(id.rows[0][0]), str(a.at), a.device_id, a.kind, a.model_version, a.message, num(a.value)})
      .status();
}

Result<std::vector<FleetAnalytics::Sample>> FleetAnalytics::samples(std::int64_t since) {
  EDGEAI_ASSIGN_OR_RETURN(SqlResult r, db_.query("SELECT id, at, device_id, model_version, label, confidence, "
                                                 "media_type, data FROM samples WHERE at >= $1 ORDER BY id",
                                                 {str(since)}));
  std::vector<Sample> out;
  for (const SqlRow& row : r.rows) {
    Sample s;
    s.id = as_int(row[0]);
    s.at = as_int(row[1]);
    s.device_id = as_text(row[2]);
    s.model_version = as_text(row[3]);
    s.label = as_text(row[4]);
    s.confidence = as_double(row[5]);
    s.media_type = as_text(row[6]);
    s.data_base64 = as_text(row[7]);
    out.push_back(std::move(s));
  }
  return out;
}

Result<std::vector<AlertRow>> FleetAnalytics::alerts(std::int64_t since) {
  EDGEAI_ASSIGN_OR_RETURN(SqlResult r,
                          db_.query("SELECT id, at, device_id, kind, model_version, message, value FROM alerts WHERE "
                                    "at >= $1 ORDER BY id",
                                    {str(since)}));
  std::vector<AlertRow> out;
  for (const SqlRow& row : r.rows) {
    out.push_back({as_int(row[0]), as_int(row[1]), as_text(row[2]), as_text(row[3]), as_text(row[4]), as_text(row[5]),
                   as_double(row[6])});
  }
  return out;
}

Result<std::vector<TelemetryStats>> FleetAnalytics::aggregate(const std::string& from_where,
                                                              const std::vector<SqlValue>& params, int key_column) {
  EDGEAI_ASSIGN_OR_RETURN(SqlResult r,
                          db_.query(str_cat("SELECT ", kColumns, key_column >= kNumColumns ? ", key" : "", " FROM ",
                                            from_where, " ORDER BY w.received_at, w.device_id, w.sequence"),
                                    params));
  std::map<std::string, TelemetryStats> by_key;
  std::map<std::string, double> weighted[3];
  for (const SqlRow& row : r.rows) {
    const std::string key = as_text(row[static_cast<std::size_t>(key_column)]);
    TelemetryStats& s = by_key[key];
    s.key = key;
    s.model_version = as_text(row[1]);
    const std::int64_t n = as_int(row[5]);
    ++s.windows;
    s.inferences += n;
    s.anomalies += as_int(row[6]);
    s.uncertain += as_int(row[7]);
    s.dropped += as_int(row[8]);
    s.errors += as_int(row[9]);
    s.seconds += std::max(0.0, as_double(row[3]) - as_double(row[2]));
    s.first_at = s.first_at == 0 ? as_int(row[4]) : std::min(s.first_at, as_int(row[4]));
    s.last_at = std::max(s.last_at, as_int(row[4]));
    for (int p = 0; p < 3; ++p) weighted[p][key] += as_double(row[10 + static_cast<std::size_t>(p)]) * n;
    s.max_latency = std::max(s.max_latency, as_double(row[13]));
    const json counts = json::parse(as_text(row[14]), nullptr, false);
    if (counts.is_object()) {
      for (const auto& [label, c] : counts.items()) s.counts[label] += c.get<std::int64_t>();
    }
    add_into(s.confidence, as_text(row[15]));
    add_into(s.latency, as_text(row[16]));
    if (!as_text(row[17]).empty()) {
      s.shadow_version = as_text(row[17]);
      s.shadow_inferences += as_int(row[18]);
      s.shadow_agree += as_int(row[19]);
      s.shadow_anomalies += as_int(row[20]);
    }
  }
  std::vector<TelemetryStats> out;
  for (auto& [key, s] : by_key) {
    if (s.inferences > 0) {
      const double n = static_cast<double>(s.inferences);
      s.p50 = weighted[0][key] / n;
      s.p95 = weighted[1][key] / n;
      s.p99 = weighted[2][key] / n;
    }
    out.push_back(std::move(s));
  }
  return out;
}

std::optional<PredictionBaseline> FleetAnalytics::baseline(const std::string& version, const std::string& group) {
  Result<SqlResult> r = db_.query(
      "SELECT sha256 FROM releases WHERE version = $1 AND ($2 = '' OR device_group = $2) ORDER BY uploaded_at DESC "
      "LIMIT 1",
      {version, group});
  if (!r.is_ok() || r->rows.empty()) return std::nullopt;
  const std::string sha = as_text(r->rows[0][0]);
  std::lock_guard<std::mutex> lock(cache_mutex_);
  if (auto it = baselines_.find(sha); it != baselines_.end()) return it->second;
  std::optional<PredictionBaseline> found;
  Result<Bundle> bundle = read_bundle((std::filesystem::path(artifacts_) / sha).string());
  if (bundle.is_ok()) {
    Result<PredictionBaseline> b = read_baseline(bundle->manifest.metadata);
    if (b.is_ok()) {
      // The baseline's classes in the order of the bundle's labels, for the counts by name.
      b->data = "";
      for (const std::string& label : bundle->manifest.labels) {
        b->data += label;
        b->data += '\n';
      }
      found = *b;
    }
  }
  baselines_[sha] = found;
  return found;
}

void FleetAnalytics::score_drift(TelemetryStats& s, const std::string& group) {
  if (s.inferences == 0) return;
  std::optional<PredictionBaseline> b = baseline(s.model_version, group);
  if (!b) return;
  std::vector<std::int64_t> counts;
  std::istringstream labels(b->data);
  for (std::string label; std::getline(labels, label);) {
    auto it = s.counts.find(label);
    counts.push_back(it == s.counts.end() ? 0 : it->second);
  }
  if (counts.size() == b->class_mix.size()) s.drift_class_mix = population_stability_index(b->class_mix, counts);
  s.drift_confidence = population_stability_index(b->confidence_histogram, s.confidence);
}

Result<std::vector<TelemetryStats>> FleetAnalytics::summary(const std::string& by, std::int64_t since) {
  std::vector<TelemetryStats> out;
  if (by == "device") {
    EDGEAI_ASSIGN_OR_RETURN(out, aggregate("telemetry_windows w WHERE w.received_at >= $1", {str(since)}, 0));
    for (TelemetryStats& s : out) {
      Result<std::optional<DeviceRow>> device = store_.device(s.key);
      score_drift(s, device.is_ok() && device->has_value() ? (*device)->device_group : "");
    }
  } else if (by == "version") {
    EDGEAI_ASSIGN_OR_RETURN(out, aggregate("telemetry_windows w WHERE w.received_at >= $1", {str(since)}, 1));
    for (TelemetryStats& s : out) score_drift(s, "");
  } else if (by == "campaign") {
    // A campaign's telemetry: its devices' windows on its release since they were assigned.
    EDGEAI_ASSIGN_OR_RETURN(
        out, aggregate("(SELECT tw.*, CAST(a.campaign_id AS TEXT) AS key FROM telemetry_windows tw JOIN assignments a "
                       "ON a.device_id = tw.device_id JOIN campaigns c ON c.id = a.campaign_id WHERE "
                       "tw.model_version = c.release_version AND tw.received_at >= a.assigned_at) w WHERE "
                       "w.received_at >= $1",
                       {str(since)}, kNumColumns));
  } else {
    return invalid_argument("group telemetry by device, version or campaign, not '", by, "'");
  }
  return out;
}

Result<std::vector<std::pair<std::int64_t, TelemetryStats>>> FleetAnalytics::timeline(std::int64_t since,
                                                                                      std::int64_t bucket_seconds) {
  if (bucket_seconds < 1) return invalid_argument("timeline buckets must be at least 1 s");
  EDGEAI_ASSIGN_OR_RETURN(
      std::vector<TelemetryStats> rows,
      aggregate(str_cat("(SELECT tw.*, CAST(tw.received_at - tw.received_at % ", bucket_seconds,
                        " AS TEXT) || '|' || tw.model_version AS key FROM telemetry_windows tw) w WHERE "
                        "w.received_at >= $1"),
                {str(since)}, kNumColumns));
  std::vector<std::pair<std::int64_t, TelemetryStats>> out;
  for (TelemetryStats& s : rows) {
    const std::size_t bar = s.key.find('|');
    out.emplace_back(std::atoll(s.key.substr(0, bar).c_str()), std::move(s));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  return out;
}

Result<std::optional<TelemetryStats>> FleetAnalytics::campaign_stats(const CampaignRow& c, bool shadow) {
  EDGEAI_ASSIGN_OR_RETURN(
      std::vector<TelemetryStats> rows,
      aggregate(str_cat("(SELECT tw.*, 'campaign' AS key FROM telemetry_windows tw JOIN assignments a ON a.device_id = "
                        "tw.device_id WHERE a.campaign_id = $1 AND tw.received_at >= a.assigned_at AND tw.",
                        shadow ? "shadow_version" : "model_version", " = $2) w"),
                {str(c.id), c.release_version}, kNumColumns));
  if (rows.empty()) return std::optional<TelemetryStats>();
  rows[0].key = str(c.id);
  return std::optional<TelemetryStats>(std::move(rows[0]));
}

Result<bool> FleetAnalytics::phase_ready(const CampaignRow& c) {
  EDGEAI_ASSIGN_OR_RETURN(QualityPolicy p, policy(c.id));
  if (p.mode == "shadow") return false;
  if (p.max_latency_ratio <= 0.0 && p.max_anomaly_increase <= 0.0) return true;
  EDGEAI_ASSIGN_OR_RETURN(std::optional<TelemetryStats> s, campaign_stats(c, false));
  if (!s.has_value() || s->inferences < p.min_inferences) return false;
  // Enough telemetry, and not worse: a regressing release stays at its phase until evaluate()
  // halts it (which may run after this, on the server's other clock).
  EDGEAI_ASSIGN_OR_RETURN(std::optional<std::string> regressed,
                          regression(c, p, *s, static_cast<std::int64_t>(std::time(nullptr))));
  return !regressed.has_value();
}

Result<QualityPolicy> FleetAnalytics::policy(std::int64_t campaign_id) {
  EDGEAI_ASSIGN_OR_RETURN(SqlResult r, db_.query("SELECT mode, max_latency_ratio, max_anomaly_increase, "
                                                 "min_inferences, min_agreement, verdict, collect_per_hour, "
                                                 "collect_below FROM campaign_quality WHERE campaign_id = $1",
                                                 {str(campaign_id)}));
  QualityPolicy p;
  if (r.rows.empty()) return p;
  const SqlRow& row = r.rows[0];
  p.mode = as_text(row[0]);
  p.max_latency_ratio = as_double(row[1]);
  p.max_anomaly_increase = as_double(row[2]);
  p.min_inferences = as_int(row[3]);
  p.min_agreement = as_double(row[4]);
  p.verdict = as_text(row[5]);
  p.collect_per_hour = as_int(row[6]);
  p.collect_below = as_double(row[7]);
  return p;
}

Status FleetAnalytics::set_policy(std::int64_t campaign_id, const QualityPolicy& p) {
  if (p.mode != "rollout" && p.mode != "shadow") return invalid_argument("mode '", p.mode, "': rollout or shadow");
  if (p.max_latency_ratio < 0 || p.max_anomaly_increase < 0 || p.max_anomaly_increase > 1) {
    return invalid_argument("quality limits: max_latency_ratio >= 0, max_anomaly_increase in [0, 1]");
  }
  if (p.min_inferences < 1) return invalid_argument("min_inferences must be at least 1");
  if (!(p.min_agreement >= 0.0 && p.min_agreement <= 1.0)) return invalid_argument("min_agreement: from 0 to 1");
  if (p.collect_per_hour < 0 || p.collect_per_hour > 3600 || !(p.collect_below > 0.0 && p.collect_below <= 1.0)) {
    return invalid_argument("sample collection: collect_per_hour from 0 to 3600, collect_below in (0, 1]");
  }
  return db_
      .query(
          "INSERT INTO campaign_quality VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (campaign_id) DO "
          "UPDATE SET mode = excluded.mode, max_latency_ratio = excluded.max_latency_ratio, max_anomaly_increase = "
          "excluded.max_anomaly_increase, min_inferences = excluded.min_inferences, min_agreement = "
          "excluded.min_agreement, verdict = excluded.verdict, collect_per_hour = excluded.collect_per_hour, "
          "collect_below = excluded.collect_below",
          {str(campaign_id), p.mode, num(p.max_latency_ratio), num(p.max_anomaly_increase), str(p.min_inferences),
           num(p.min_agreement), p.verdict, str(p.collect_per_hour), num(p.collect_below)})
      .status();
}

Result<bool> FleetAnalytics::evaluate(std::int64_t now) {
  // Drift: each device on its current version, over the last drift window, once per window.
  EDGEAI_ASSIGN_OR_RETURN(
      std::vector<TelemetryStats> devices,
      aggregate("telemetry_windows w WHERE w.received_at >= $1", {str(now - options_.drift_window_seconds)}, 0));
  for (TelemetryStats& s : devices) {
    if (s.inferences < options_.drift_min_inferences) continue;
    Result<std::optional<DeviceRow>> device = store_.device(s.key);
    score_drift(s, device.is_ok() && device->has_value() ? (*device)->device_group : "");
    const std::optional<double> drift = s.drift();
    if (!drift || *drift <= options_.drift_threshold) continue;
    EDGEAI_ASSIGN_OR_RETURN(SqlResult open,
                            db_.query("SELECT COUNT(*) FROM alerts WHERE device_id = $1 AND kind = "
                                      "'drift' AND model_version = $2 AND at >= $3",
                                      {s.key, s.model_version, str(now - options_.drift_window_seconds)}));
    if (as_int(open.rows[0][0]) > 0) continue;
    AlertRow alert;
    alert.at = now;
    alert.device_id = s.key;
    alert.kind = "drift";
    alert.model_version = s.model_version;
    alert.value = *drift;
    alert.message =
        str_cat("drift on ", s.key, " (", s.model_version, "): PSI ", fixed(*drift), " (class mix ",
                fixed(s.drift_class_mix.value_or(0)), ", confidence ", fixed(s.drift_confidence.value_or(0)), ") over ",
                s.inferences, " inferences, above ", fixed(options_.drift_threshold, 2));
    std::fprintf(stderr, "edgeai server: alert: %s\n", alert.message.c_str());
    EDGEAI_RETURN_IF_ERROR(add_alert(alert));
  }
  bool changed = false;
  EDGEAI_ASSIGN_OR_RETURN(std::vector<CampaignRow> campaigns, store_.campaigns());
  for (const CampaignRow& c : campaigns) {
    if (c.state != "running") continue;
    EDGEAI_ASSIGN_OR_RETURN(bool moved, check_campaign(c, now));
    changed = changed || moved;
  }
  return changed;
}

// Campaign health from telemetry alone.
Result<bool> FleetAnalytics::check_campaign(const CampaignRow& c, std::int64_t now) {
  EDGEAI_ASSIGN_OR_RETURN(QualityPolicy p, policy(c.id));
  const bool shadow = p.mode == "shadow";
  if (!shadow && p.max_latency_ratio <= 0.0 && p.max_anomaly_increase <= 0.0) return false;
  const std::string id = str(c.id);
  // The new version: the campaign's devices since they were assigned (in shadow mode, the
  // windows where it ran beside the active model).
  EDGEAI_ASSIGN_OR_RETURN(std::optional<TelemetryStats> fresh, campaign_stats(c, shadow));
  if (!fresh) return false;
  const TelemetryStats& s = *fresh;
  auto halt = [&](const std::string& reason) -> Result<bool> {
    std::fprintf(stderr, "edgeai server: campaign %lld halted: %s\n", static_cast<long long>(c.id), reason.c_str());
    EDGEAI_RETURN_IF_ERROR(store_.halt_campaign(c.id, reason, now));
    AlertRow alert;
    alert.at = now;
    alert.kind = "quality";
    alert.model_version = c.release_version;
    alert.message = str_cat("campaign ", c.id, " halted: ", reason);
    EDGEAI_RETURN_IF_ERROR(add_alert(alert));
    if (shadow) {
      p.verdict = "halted: " + reason;
      EDGEAI_RETURN_IF_ERROR(set_policy(c.id, p));
    }
    return true;
  };

  if (shadow) {
    if (s.shadow_inferences < p.min_inferences) return false;
    const double agreement = static_cast<double>(s.shadow_agree) / static_cast<double>(s.shadow_inferences);
    // The same inputs through both models: the candidate's anomaly rate against the active one's.
    const double candidate_rate = static_cast<double>(s.shadow_anomalies) / static_cast<double>(s.shadow_inferences);
    const double increase = candidate_rate - s.anomaly_rate();
    const std::string figures = str_cat("shadow agreement ", percent(agreement), " over ", s.shadow_inferences,
                                        " inferences (limit ", percent(p.min_agreement), "), anomaly rate ",
                                        percent(candidate_rate), " against ", percent(s.anomaly_rate()));
    if (agreement < p.min_agreement) return halt(figures);
    if (p.max_anomaly_increase > 0.0 && increase > p.max_anomaly_increase) return halt(figures);
    p.mode = "rollout";
    p.verdict = "promoted: " + figures;
    std::fprintf(stderr, "edgeai server: campaign %lld promoted from shadow: %s\n", static_cast<long long>(c.id),
                 figures.c_str());
    EDGEAI_RETURN_IF_ERROR(set_policy(c.id, p));
    return true;
  }

  if (s.inferences < p.min_inferences) return false;
  EDGEAI_ASSIGN_OR_RETURN(std::optional<std::string> regressed, regression(c, p, s, now));
  if (regressed) return halt(*regressed);
  return false;
}

// Why the release's telemetry `s` is worse than the group's previous versions' past the
// campaign's limits, or nullopt (also without enough reference telemetry to judge).
Result<std::optional<std::string>> FleetAnalytics::regression(const CampaignRow& c, const QualityPolicy& p,
                                                              const TelemetryStats& s, std::int64_t now) {
  // The reference: the group's devices on other versions, over the reference period.
  EDGEAI_ASSIGN_OR_RETURN(
      std::vector<TelemetryStats> before,
      aggregate("(SELECT tw.*, 'old' AS key FROM telemetry_windows tw JOIN devices d ON d.id = tw.device_id WHERE "
                "d.device_group = $1 AND tw.model_version <> $2 AND tw.received_at >= $3) w",
                {c.device_group, c.release_version, str(now - options_.reference_seconds)}, kNumColumns));
  if (before.empty() || before[0].inferences < p.min_inferences) return std::optional<std::string>();
  const TelemetryStats& old = before[0];
  if (p.max_latency_ratio > 0.0 && old.p95 > 0.0 && s.p95 / old.p95 > p.max_latency_ratio) {
    return std::optional<std::string>(str_cat("p95 latency ", fixed(s.p95), " ms on ", c.release_version, " against ",
                                              fixed(old.p95), " ms before (", fixed(s.p95 / old.p95, 2), "x, limit ",
                                              fixed(p.max_latency_ratio, 2), "x)"));
  }
  const double increase = s.anomaly_rate() - old.anomaly_rate();
  if (p.max_anomaly_increase > 0.0 && increase > p.max_anomaly_increase) {
    return std::optional<std::string>(str_cat(
        "anomaly rate ", percent(s.anomaly_rate()), " on ", c.release_version, " over ", s.inferences,
        " inferences against ", percent(old.anomaly_rate()), " before (limit +", percent(p.max_anomaly_increase), ")"));
  }
  return std::optional<std::string>();
}

json to_json(const TelemetryStats& s) {
  json j{{"key", s.key},
         {"model_version", s.model_version},
         {"windows", s.windows},
         {"inferences", s.inferences},
         {"seconds", s.seconds},
         {"throughput", s.throughput()},
         {"anomalies", s.anomalies},
         {"anomaly_rate", s.anomaly_rate()},
         {"uncertain", s.uncertain},
         {"dropped", s.dropped},
         {"errors", s.errors},
         {"latency_ms", {{"p50", s.p50}, {"p95", s.p95}, {"p99", s.p99}, {"max", s.max_latency}}},
         {"latency_buckets", s.latency},
         {"counts", s.counts},
         {"confidence_histogram", s.confidence},
         {"first_at", s.first_at},
         {"last_at", s.last_at}};
  if (const std::optional<double> d = s.drift()) {
    j["drift"] = {
        {"psi", *d}, {"class_mix", s.drift_class_mix.value_or(0.0)}, {"confidence", s.drift_confidence.value_or(0.0)}};
  }
  if (!s.shadow_version.empty()) {
    j["shadow"] = {
        {"model_version", s.shadow_version},
        {"inferences", s.shadow_inferences},
        {"agree", s.shadow_agree},
        {"agreement", s.shadow_inferences > 0 ? static_cast<double>(s.shadow_agree) / s.shadow_inferences : 0.0},
        {"anomalies", s.shadow_anomalies}};
  }
  return j;
}

json to_json(const AlertRow& a) {
  return json{{"id", a.id},
              {"at", a.at},
              {"device", a.device_id},
              {"kind", a.kind},
              {"model_version", a.model_version},
              {"message", a.message},
              {"value", a.value}};
}

json to_json(const QualityPolicy& p) {
  return json{{"mode", p.mode},
              {"max_latency_ratio", p.max_latency_ratio},
              {"max_anomaly_increase", p.max_anomaly_increase},
              {"min_inferences", p.min_inferences},
              {"min_agreement", p.min_agreement},
              {"verdict", p.verdict},
              {"collect_per_hour", p.collect_per_hour},
              {"collect_below", p.collect_below}};
}

}  // namespace edgeai::server
