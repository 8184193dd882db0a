#include "server/store.hpp"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <sstream>

namespace edgeai::server {
namespace {

// One schema for both engines: only types and clauses that SQLite and PostgreSQL share.
// Tags are stored as ",a,b," so that a tag filter is one LIKE on either engine.
constexpr std::string_view kSchema = R"sql(
CREATE TABLE IF NOT EXISTS enrollment_tokens (
  token_hash TEXT PRIMARY KEY,
  device_group TEXT NOT NULL,
  tags TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  used_by TEXT
);
CREATE TABLE IF NOT EXISTS devices (
  id TEXT PRIMARY KEY,
  device_group TEXT NOT NULL,
  tags TEXT NOT NULL,
  credential_hash TEXT NOT NULL UNIQUE,
  seq BIGINT NOT NULL,
  enrolled_at BIGINT NOT NULL,
  last_seen BIGINT NOT NULL,
  state TEXT NOT NULL,
  active_version TEXT NOT NULL,
  target_version TEXT NOT NULL,
  last_error TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS releases (
  name TEXT NOT NULL,
  version TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  size BIGINT NOT NULL,
  device_group TEXT NOT NULL,
  release_counter BIGINT NOT NULL,
  downgrade INTEGER NOT NULL,
  targets_envelope TEXT NOT NULL,
  uploaded_at BIGINT NOT NULL,
  PRIMARY KEY (name, version)
);
CREATE TABLE IF NOT EXISTS campaigns (
  id BIGINT PRIMARY KEY,
  release_name TEXT NOT NULL,
  release_version TEXT NOT NULL,
  device_group TEXT NOT NULL,
  phases TEXT NOT NULL,
  soak_seconds BIGINT NOT NULL,
  max_failure_rate DOUBLE PRECISION NOT NULL,
  state TEXT NOT NULL,
  halt_reason TEXT NOT NULL,
  phase BIGINT NOT NULL,
  phase_done_at BIGINT NOT NULL,
  ignored_failures BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS assignments (
  campaign_id BIGINT NOT NULL,
  device_id TEXT NOT NULL,
  phase BIGINT NOT NULL,
  assigned_at BIGINT NOT NULL,
  result TEXT NOT NULL,
  finished_at BIGINT NOT NULL,
  detail TEXT NOT NULL,
  PRIMARY KEY (campaign_id, device_id)
);
CREATE INDEX IF NOT EXISTS assignments_by_device ON assignments (device_id);
CREATE INDEX IF NOT EXISTS devices_by_group ON devices (device_group, seq);
CREATE TABLE IF NOT EXISTS telemetry (
  device_id TEXT NOT NULL,
  sequence BIGINT NOT NULL,
  kind TEXT NOT NULL,
  body TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  received_at BIGINT NOT NULL,
  PRIMARY KEY (device_id, sequence)
);
CREATE TABLE IF NOT EXISTS telemetry_dropped (
  device_id TEXT PRIMARY KEY,
  dropped BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS device_events (
  device_id TEXT NOT NULL,
  at BIGINT NOT NULL,
  state TEXT NOT NULL,
  active_version TEXT NOT NULL,
  target_version TEXT NOT NULL,
  detail TEXT NOT NULL
);
)sql";

std::string random_hex(std::size_t bytes) {
  std::vector<std::uint8_t> buffer(bytes);
  randombytes_buf(buffer.data(), buffer.size());
  return to_hex(buffer);
}

std::string tags_to_text(const std::vector<std::string>& tags) {
  std::string text = ",";
  for (const std::string& t : tags) text += t + ",";
  return text;
}

std::vector<std::string> tags_from_text(const std::string& text) {
  std::vector<std::string> tags;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (!item.empty()) tags.push_back(item);
  }
  return tags;
}

std::string str(std::int64_t v) { return std::to_string(v); }

constexpr const char* kDeviceColumns =
    "id, device_group, tags, seq, enrolled_at, last_seen, state, active_version, target_version, last_error";

DeviceRow device_from_row(const SqlRow& r) {
  DeviceRow d;
  d.id = as_text(r[0]);
  d.device_group = as_text(r[1]);
  d.tags = tags_from_text(as_text(r[2]));
  d.seq = as_int(r[3]);
  d.enrolled_at = as_int(r[4]);
  d.last_seen = as_int(r[5]);
  d.state = as_text(r[6]);
  d.active_version = as_text(r[7]);
  d.target_version = as_text(r[8]);
  d.last_error = as_text(r[9]);
  return d;
}

constexpr const char* kReleaseColumns =
    "name, version, sha256, size, device_group, release_counter, downgrade, targets_envelope, uploaded_at";

ReleaseRow release_from_row(const SqlRow& r) {
  ReleaseRow release;
  release.target.name = as_text(r[0]);
  release.target.version = as_text(r[1]);
  release.target.sha256 = as_text(r[2]);
  release.target.size = as_int(r[3]);
  release.target.device_group = as_text(r[4]);
  release.target.release_counter = as_int(r[5]);
  release.target.downgrade = as_int(r[6]) != 0;
  release.targets_envelope = as_text(r[7]);
  release.uploaded_at = as_int(r[8]);
  return release;
}

constexpr const char* kCampaignColumns =
    "id, release_name, release_version, device_group, phases, soak_seconds, max_failure_rate, state, halt_reason, "
    "phase, phase_done_at, ignored_failures, created_at, updated_at";

CampaignRow campaign_from_row(const SqlRow& r) {
  CampaignRow c;
  c.id = as_int(r[0]);
  c.release_name = as_text(r[1]);
  c.release_version = as_text(r[2]);
  c.device_group = as_text(r[3]);
  Result<std::vector<int>> phases = parse_phases(as_text(r[4]));  // checked on the way in
  c.phases = phases.is_ok() ? std::move(phases).value() : std::vector<int>{100};
  c.soak_seconds = as_int(r[5]);
  c.max_failure_rate = as_double(r[6]);
  c.state = as_text(r[7]);
  c.halt_reason = as_text(r[8]);
  c.phase = as_int(r[9]);
  c.phase_done_at = as_int(r[10]);
  c.ignored_failures = as_int(r[11]);
  c.created_at = as_int(r[12]);
  c.updated_at = as_int(r[13]);
  return c;
}

}  // namespace

Result<std::vector<int>> parse_phases(const std::string& text) {
  std::vector<int> phases;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    char* end = nullptr;
    const long v = std::strtol(item.c_str(), &end, 10);
    if (item.empty() || *end != '\0' || v < 1 || v > 100) {
      return invalid_argument("phases '", text, "': each is a percentage from 1 to 100");
    }
    if (!phases.empty() && v <= phases.back()) return invalid_argument("phases '", text, "': must increase");
    phases.push_back(static_cast<int>(v));
  }
  if (phases.empty() || phases.back() != 100) return invalid_argument("phases '", text, "': the last must be 100");
  return phases;
}

std::string phases_to_text(const std::vector<int>& phases) {
  std::string text;
  for (int p : phases) {
    if (!text.empty()) text += ',';
    text += std::to_string(p);
  }
  return text;
}

std::int64_t phase_device_count(int percent, std::int64_t devices) {
  if (devices <= 0) return 0;
  const auto n = static_cast<std::int64_t>(std::ceil(static_cast<double>(percent) * devices / 100.0 - 1e-9));
  return std::clamp<std::int64_t>(n, 1, devices);
}

Result<std::unique_ptr<Store>> Store::open(std::unique_ptr<Database> db) {
  if (sodium_init() < 0) return internal_error("libsodium failed to initialise");
  EDGEAI_RETURN_IF_ERROR(db->execute_script(kSchema));
  return std::unique_ptr<Store>(new Store(std::move(db)));
}

Result<std::vector<std::string>> Store::create_enrollment_tokens(const std::string& group,
                                                                 const std::vector<std::string>& tags, int count,
                                                                 std::int64_t ttl_seconds, std::int64_t now) {
  if (!is_safe_target_name(group)) return invalid_argument("group '", group, "': letters, digits, '.', '-', '_' only");
  for (const std::string& t : tags) {
    if (!is_safe_target_name(t)) return invalid_argument("tag '", t, "': letters, digits, '.', '-', '_' only");
  }
  if (count < 1 || count > 10000) return invalid_argument("count ", count, ": from 1 to 10000");
  std::vector<std::string> tokens;
  EDGEAI_RETURN_IF_ERROR(db_->transaction([&]() -> Status {
    for (int i = 0; i < count; ++i) {
      std::string token = "enr_" + random_hex(24);
      EDGEAI_RETURN_IF_ERROR(
          db_->query("INSERT INTO enrollment_tokens VALUES ($1, $2, $3, $4, $5, NULL)",
                     {sha256_hex(token), group, tags_to_text(tags), str(now), str(now + ttl_seconds)})
              .status());
      tokens.push_back(std::move(token));
    }
    return Status::ok();
  }));
  return tokens;
}

Result<DeviceRow> Store::enroll(const std::string& token, const std::string& name, const std::string& credential_hash,
                                std::int64_t now) {
  if (!name.empty() && !is_safe_target_name(name)) {
    return invalid_argument("device name '", name, "': letters, digits, '.', '-', '_' only");
  }
  DeviceRow device;
  EDGEAI_RETURN_IF_ERROR(db_->transaction([&]() -> Status {
    EDGEAI_ASSIGN_OR_RETURN(
        SqlResult found,
        db_->query("SELECT device_group, tags FROM enrollment_tokens WHERE token_hash = $1 AND used_by IS NULL AND "
                   "expires_at > $2",
                   {sha256_hex(token), str(now)}));
    // One message for unknown, spent and expired tokens: a guesser learns nothing.
    if (found.rows.empty()) return failed_precondition("enrollment token not valid (unknown, used or expired)");
    device.id = name.empty() ? "dev-" + random_hex(6) : name;
    EDGEAI_ASSIGN_OR_RETURN(SqlResult existing, db_->query("SELECT 1 FROM devices WHERE id = $1", {device.id}));
    if (!existing.rows.empty()) return failed_precondition("a device named '", device.id, "' is already enrolled");
    EDGEAI_ASSIGN_OR_RETURN(SqlResult seq, db_->query("SELECT COALESCE(MAX(seq), 0) + 1 FROM devices"));
    device.device_group = as_text(found.rows[0][0]);
    device.tags = tags_from_text(as_text(found.rows[0][1]));
    device.seq = as_int(seq.rows[0][0]);
    device.enrolled_at = device.last_seen = now;
    device.state = "enrolled";
    EDGEAI_RETURN_IF_ERROR(
        db_->query("UPDATE enrollment_tokens SET used_by = $1 WHERE token_hash = $2", {device.id, sha256_hex(token)})
            .status());
    return db_
        ->query("INSERT INTO devices VALUES ($1, $2, $3, $4, $5, $6, $6, $7, $8, $8, $8)",
                {device.id, device.device_group, tags_to_text(device.tags), credential_hash, str(device.seq), str(now),
                 device.state, std::string()})
        .status();
  }));
  return device;
}

Result<std::optional<DeviceRow>> Store::device_by_credential(const std::string& credential_hash) {
  EDGEAI_ASSIGN_OR_RETURN(
      SqlResult r,
      db_->query(str_cat("SELECT ", kDeviceColumns, " FROM devices WHERE credential_hash = $1"), {credential_hash}));
  if (r.rows.empty()) return std::optional<DeviceRow>();
  return std::optional<DeviceRow>(device_from_row(r.rows[0]));
}

Result<std::optional<DeviceRow>> Store::device(const std::string& id) {
  EDGEAI_ASSIGN_OR_RETURN(SqlResult r,
                          db_->query(str_cat("SELECT ", kDeviceColumns, " FROM devices WHERE id = $1"), {id}));
  if (r.rows.empty()) return std::optional<DeviceRow>();
  return std::optional<DeviceRow>(device_from_row(r.rows[0]));
}

Result<std::vector<DeviceRow>> Store::devices(const std::string& group, const std::string& tag) {
  EDGEAI_ASSIGN_OR_RETURN(
      SqlResult r,
      db_->query(str_cat("SELECT ", kDeviceColumns,
                         " FROM devices WHERE ($1 = '' OR device_group = $1) AND ($2 = '' OR tags LIKE $3) "
                         "ORDER BY seq"),
                 {group, tag, "%," + tag + ",%"}));
  std::vector<DeviceRow> out;
  for (const SqlRow& row : r.rows) out.push_back(device_from_row(row));
  return out;
}

Status Store::set_device_labels(const std::string& id, const std::optional<std::string>& group,
                                const std::optional<std::vector<std::string>>& tags) {
  if (group && !is_safe_target_name(*group))
    return invalid_argument("group '", *group, "': letters, digits, '.', '-', '_' only");
  if (tags) {
    for (const std::string& t : *tags) {
      if (!is_safe_target_name(t)) return invalid_argument("tag '", t, "': letters, digits, '.', '-', '_' only");
    }
  }
  return db_->transaction([&]() -> Status {
    EDGEAI_ASSIGN_OR_RETURN(SqlResult r, db_->query("SELECT 1 FROM devices WHERE id = $1", {id}));
    if (r.rows.empty()) return not_found("no device '", id, "'");
    if (group)
      EDGEAI_RETURN_IF_ERROR(db_->query("UPDATE devices SET device_group = $1 WHERE id = $2", {*group, id}).status());
    if (tags) {
      EDGEAI_RETURN_IF_ERROR(
          db_->query("UPDATE devices SET tags = $1 WHERE id = $2", {tags_to_text(*tags), id}).status());
    }
    return Status::ok();
  });
}

Status Store::touch_device(const std::string& id, std::int64_t now) {
  return db_->query("UPDATE devices SET last_seen = $1 WHERE id = $2", {str(now), id}).status();
}

Result<bool> Store::record_report(const std::string& device_id, const DeviceReport& report, std::int64_t now) {
  bool settled = false;
  EDGEAI_RETURN_IF_ERROR(db_->transaction([&]() -> Status {
    EDGEAI_RETURN_IF_ERROR(
        db_->query("UPDATE devices SET last_seen = $1, state = $2, active_version = $3, "
                   "target_version = $4, last_error = $5 WHERE id = $6",
                   {str(now), report.state, report.active_version, report.target_version, report.last_error, device_id})
            .status());
    EDGEAI_RETURN_IF_ERROR(
        db_->query("INSERT INTO device_events VALUES ($1, $2, $3, $4, $5, $6)",
                   {device_id, str(now), report.state, report.active_version, report.target_version, report.last_error})
            .status());
    // Settle this device's pending assignments against what it reports.
    EDGEAI_ASSIGN_OR_RETURN(SqlResult pending,
                            db_->query("SELECT a.campaign_id, c.release_version FROM assignments a JOIN campaigns c "
                                       "ON c.id = a.campaign_id WHERE a.device_id = $1 AND a.result = 'pending'",
                                       {device_id}));
    for (const SqlRow& row : pending.rows) {
      const std::string& version = as_text(row[1]);
      std::string result;
      if (report.active_version == version && (report.state == "idle" || report.state == "active")) {
        result = "installed";
      } else if (report.state == "rolled_back" && report.target_version == version) {
        result = "failed";
      } else {
        continue;
      }
      EDGEAI_RETURN_IF_ERROR(db_->query("UPDATE assignments SET result = $1, finished_at = $2, detail = $3 WHERE "
                                        "campaign_id = $4 AND device_id = $5",
                                        {result, str(now), result == "failed" ? report.last_error : std::string(),
                                         as_text(row[0]), device_id})
                                 .status());
      settled = true;
    }
    return Status::ok();
  }));
  return settled;
}

Status Store::add_release(const ReleaseRow& release) {
  const TargetInfo& t = release.target;
  return db_->transaction([&]() -> Status {
    EDGEAI_ASSIGN_OR_RETURN(SqlResult r,
                            db_->query("SELECT 1 FROM releases WHERE name = $1 AND version = $2", {t.name, t.version}));
    if (!r.rows.empty()) return failed_precondition("release ", t.name, " ", t.version, " exists already");
    return db_
        ->query("INSERT INTO releases VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                {t.name, t.version, t.sha256, str(t.size), t.device_group, str(t.release_counter),
                 t.downgrade ? "1" : "0", release.targets_envelope, str(release.uploaded_at)})
        .status();
  });
}

Result<std::vector<ReleaseRow>> Store::releases() {
  EDGEAI_ASSIGN_OR_RETURN(SqlResult r, db_->query(str_cat("SELECT ", kReleaseColumns,
                                                          " FROM releases ORDER BY release_counter, name, version")));
  std::vector<ReleaseRow> out;
  for (const SqlRow& row : r.rows) out.push_back(release_from_row(row));
  return out;
}

Result<std::optional<ReleaseRow>> Store::release(const std::string& name, const std::string& version) {
  EDGEAI_ASSIGN_OR_RETURN(
      SqlResult r, db_->query(str_cat("SELECT ", kReleaseColumns, " FROM releases WHERE name = $1 AND version = $2"),
                              {name, version}));
  if (r.rows.empty()) return std::optional<ReleaseRow>();
  return std::optional<ReleaseRow>(release_from_row(r.rows[0]));
}

std::int64_t Store::next_release_counter() {
  Result<SqlResult> r = db_->query("SELECT COALESCE(MAX(release_counter), 0) + 1 FROM releases");
  return r.is_ok() && !r->rows.empty() ? as_int(r->rows[0][0]) : 1;
}

Result<CampaignRow> Store::create_campaign(const CampaignRow& spec, std::int64_t now,
                                          const std::function<Status(std::int64_t)>& before_start) {
  CampaignRow c = spec;
  if (c.phases.empty()) c.phases = {100};
  EDGEAI_RETURN_IF_ERROR(parse_phases(phases_to_text(c.phases)).status());
  if (c.max_failure_rate < 0.0 || c.max_failure_rate > 1.0) {
    return invalid_argument("max failure rate ", c.max_failure_rate, ": from 0 to 1");
  }
  if (c.soak_seconds < 0) return invalid_argument("soak ", c.soak_seconds, " s: must not be negative");
  EDGEAI_RETURN_IF_ERROR(db_->transaction([&]() -> Status {
    EDGEAI_ASSIGN_OR_RETURN(std::optional<ReleaseRow> release, this->release(c.release_name, c.release_version));
    if (!release) return not_found("no release ", c.release_name, " ", c.release_version, ": publish it first");
    if (c.device_group.empty()) c.device_group = release->target.device_group;
    if (c.device_group != release->target.device_group) {
      return invalid_argument("release ", c.release_name, " ", c.release_version, " is signed for group '",
                              release->target.device_group, "', not '", c.device_group, "'");
    }
    EDGEAI_ASSIGN_OR_RETURN(SqlResult id, db_->query("SELECT COALESCE(MAX(id), 0) + 1 FROM campaigns"));
    c.id = as_int(id.rows[0][0]);
    c.state = "running";
    c.halt_reason.clear();
    c.phase = c.phase_done_at = c.ignored_failures = 0;
    c.created_at = c.updated_at = now;
    EDGEAI_RETURN_IF_ERROR(
        db_->query("INSERT INTO campaigns VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
                   {str(c.id), c.release_name, c.release_version, c.device_group, phases_to_text(c.phases),
                    str(c.soak_seconds), str_cat(c.max_failure_rate), c.state, c.halt_reason, str(c.phase),
                    str(c.phase_done_at), str(c.ignored_failures), str(now), str(now)})
            .status());
    return before_start ? before_start(c.id) : Status::ok();
  }));
  bool changed = false;
  EDGEAI_RETURN_IF_ERROR(advance_campaign(c, now, changed));
  EDGEAI_ASSIGN_OR_RETURN(std::optional<CampaignRow> stored, campaign(c.id));
  return stored ? *stored : c;
}

Result<std::vector<CampaignRow>> Store::campaigns() {
  EDGEAI_ASSIGN_OR_RETURN(SqlResult r, db_->query(str_cat("SELECT ", kCampaignColumns, " FROM campaigns ORDER BY id")));
  std::vector<CampaignRow> out;
  for (const SqlRow& row : r.rows) out.push_back(campaign_from_row(row));
  return out;
}

Result<std::optional<CampaignRow>> Store::campaign(std::int64_t id) {
  EDGEAI_ASSIGN_OR_RETURN(SqlResult r,
                          db_->query(str_cat("SELECT ", kCampaignColumns, " FROM campaigns WHERE id = $1"), {str(id)}));
  if (r.rows.empty()) return std::optional<CampaignRow>();
  return std::optional<CampaignRow>(campaign_from_row(r.rows[0]));
}

Result<std::vector<AssignmentRow>> Store::assignments(std::int64_t campaign_id) {
  EDGEAI_ASSIGN_OR_RETURN(SqlResult r, db_->query("SELECT a.campaign_id, a.device_id, a.phase, a.assigned_at, "
                                                  "a.finished_at, a.result, a.detail FROM assignments a JOIN devices d "
                                                  "ON d.id = a.device_id WHERE a.campaign_id = $1 ORDER BY d.seq",
                                                  {str(campaign_id)}));
  std::vector<AssignmentRow> out;
  for (const SqlRow& row : r.rows) {
    out.push_back({as_int(row[0]), as_text(row[1]), as_int(row[2]), as_int(row[3]), as_int(row[4]), as_text(row[5]),
                   as_text(row[6])});
  }
  return out;
}

Status Store::halt_campaign(std::int64_t id, const std::string& reason, std::int64_t now) {
  EDGEAI_ASSIGN_OR_RETURN(SqlResult r, db_->query("UPDATE campaigns SET state = 'halted', halt_reason = $1, "
                                                  "updated_at = $2 WHERE id = $3 AND state = 'running'",
                                                  {reason, str(now), str(id)}));
  if (r.changed == 0) {
    EDGEAI_ASSIGN_OR_RETURN(std::optional<CampaignRow> c, campaign(id));
    if (!c) return not_found("no campaign ", id);
    return failed_precondition("campaign ", id, " is ", c->state, ", not running");
  }
  return Status::ok();
}

Status Store::resume_campaign(std::int64_t id, std::int64_t now) {
  return db_->transaction([&]() -> Status {
    EDGEAI_ASSIGN_OR_RETURN(std::optional<CampaignRow> c, campaign(id));
    if (!c) return not_found("no campaign ", id);
    if (c->state != "halted") return failed_precondition("campaign ", id, " is ", c->state, ", not halted");
    // The failures that halted it are known: only new ones count against the rate from here.
    EDGEAI_ASSIGN_OR_RETURN(SqlResult failed, db_->query("SELECT COUNT(*) FROM assignments WHERE campaign_id = $1 AND "
                                                         "result = 'failed'",
                                                         {str(id)}));
    return db_
        ->query(
            "UPDATE campaigns SET state = 'running', halt_reason = '', ignored_failures = $1, updated_at = $2 "
            "WHERE id = $3",
            {as_text(failed.rows[0][0]), str(now), str(id)})
        .status();
  });
}

Result<bool> Store::advance_campaigns(std::int64_t now) {
  EDGEAI_ASSIGN_OR_RETURN(SqlResult r, db_->query(str_cat("SELECT ", kCampaignColumns,
                                                          " FROM campaigns WHERE state = 'running' ORDER BY id")));
  bool changed = false;
  for (const SqlRow& row : r.rows) {
    // A step may enable the next (phase done -> next phase -> its devices): run to a fixed point.
    for (int step = 0; step < 8; ++step) {
      bool moved = false;
      EDGEAI_RETURN_IF_ERROR(advance_campaign(campaign_from_row(row), now, moved));
      if (!moved) break;
      changed = true;
    }
  }
  return changed;
}

Status Store::advance_campaign(const CampaignRow& c, std::int64_t now, bool& changed) {
  // Aggregates in SQL, so that a step costs a few indexed queries however large the group (it
  // runs after every device report).
  return db_->transaction([&]() -> Status {
    EDGEAI_ASSIGN_OR_RETURN(std::optional<CampaignRow> fresh, campaign(c.id));  // under the transaction's lock
    if (!fresh || fresh->state != "running") return Status::ok();
    CampaignRow campaign = *fresh;
    const std::string id = str(campaign.id);
    EDGEAI_ASSIGN_OR_RETURN(
        SqlResult group, db_->query("SELECT COUNT(*) FROM devices WHERE device_group = $1", {campaign.device_group}));
    const std::int64_t group_size = as_int(group.rows[0][0]);
    if (group_size == 0) return Status::ok();  // waits for the group's first device
    EDGEAI_ASSIGN_OR_RETURN(
        SqlResult counts,
        db_->query("SELECT COUNT(*), COALESCE(SUM(CASE WHEN result = 'failed' THEN 1 ELSE 0 END), 0), "
                   "COALESCE(SUM(CASE WHEN result = 'pending' THEN 0 ELSE 1 END), 0) FROM assignments WHERE "
                   "campaign_id = $1",
                   {id}));
    const std::int64_t assigned = as_int(counts.rows[0][0]), failed = as_int(counts.rows[0][1]),
                       finished = as_int(counts.rows[0][2]);
    const std::int64_t counted = failed - campaign.ignored_failures;
    if (assigned > 0 && counted > 0 &&
        static_cast<double>(counted) / static_cast<double>(assigned) > campaign.max_failure_rate) {
      changed = true;
      EDGEAI_ASSIGN_OR_RETURN(SqlResult failures,
                              db_->query("SELECT device_id, detail FROM assignments WHERE campaign_id = $1 AND "
                                         "result = 'failed' ORDER BY finished_at LIMIT 10",
                                         {id}));
      std::string who;
      for (const SqlRow& f : failures.rows) who += (who.empty() ? "" : "; ") + as_text(f[0]) + ": " + as_text(f[1]);
      return db_
          ->query(
              "UPDATE campaigns SET state = 'halted', halt_reason = $1, updated_at = $2 WHERE id = $3",
              {str_cat("failure rate ", counted, "/", assigned, " above ", campaign.max_failure_rate, " (", who, ")"),
               str(now), id})
          .status();
    }
    // The current phase's devices: the first N of the group in enrollment order.
    const std::int64_t want = phase_device_count(campaign.phases[campaign.phase], group_size);
    if (assigned < want) {
      EDGEAI_ASSIGN_OR_RETURN(
          SqlResult next, db_->query("SELECT d.id FROM devices d WHERE d.device_group = $1 AND NOT EXISTS (SELECT 1 "
                                     "FROM assignments a WHERE a.campaign_id = $2 AND a.device_id = d.id) ORDER BY "
                                     "d.seq LIMIT $3",
                                     {campaign.device_group, id, str(want - assigned)}));
      for (const SqlRow& d : next.rows) {
        EDGEAI_RETURN_IF_ERROR(db_->query("INSERT INTO assignments VALUES ($1, $2, $3, $4, 'pending', 0, '')",
                                          {id, as_text(d[0]), str(campaign.phase), str(now)})
                                   .status());
        changed = true;
      }
      if (!next.rows.empty()) return Status::ok();  // the phase is rolling out
    }
    if (finished < assigned) return Status::ok();  // the phase is still rolling out
    if (campaign.phase_done_at == 0 && phase_gate_) {
      EDGEAI_ASSIGN_OR_RETURN(bool ready, phase_gate_(campaign));
      if (!ready) return Status::ok();  // installed, but its telemetry has not passed the gate yet
    }
    if (campaign.phase_done_at == 0) {
      changed = true;
      const bool last = campaign.phase + 1 >= static_cast<std::int64_t>(campaign.phases.size());
      return db_
          ->query("UPDATE campaigns SET phase_done_at = $1, state = $2, updated_at = $1 WHERE id = $3",
                  {str(now), last ? "completed" : "running", id})
          .status();
    }
    if (now - campaign.phase_done_at < campaign.soak_seconds) return Status::ok();  // soaking
    changed = true;
    return db_
        ->query("UPDATE campaigns SET phase = $1, phase_done_at = 0, updated_at = $2 WHERE id = $3",
                {str(campaign.phase + 1), str(now), id})
        .status();
  });
}

Result<std::optional<Desired>> Store::desired(const std::string& device_id) {
  EDGEAI_ASSIGN_OR_RETURN(
      SqlResult r, db_->query("SELECT c.id, c.release_name, c.release_version FROM assignments a JOIN campaigns c ON "
                              "c.id = a.campaign_id WHERE a.device_id = $1 AND NOT (c.state = 'halted' AND a.result = "
                              "'pending') ORDER BY c.id DESC LIMIT 1",
                              {device_id}));
  if (r.rows.empty()) return std::optional<Desired>();
  EDGEAI_ASSIGN_OR_RETURN(std::optional<ReleaseRow> release,
                          this->release(as_text(r.rows[0][1]), as_text(r.rows[0][2])));
  if (!release) return std::optional<Desired>();
  return std::optional<Desired>(Desired{*release, as_int(r.rows[0][0])});
}

Result<bool> Store::may_download(const std::string& device_id, const std::string& sha256) {
  EDGEAI_ASSIGN_OR_RETURN(
      SqlResult r, db_->query("SELECT 1 FROM assignments a JOIN campaigns c ON c.id = a.campaign_id JOIN releases r ON "
                              "r.name = c.release_name AND r.version = c.release_version WHERE a.device_id = $1 AND "
                              "r.sha256 = $2 LIMIT 1",
                              {device_id, sha256}));
  return !r.rows.empty();
}

Result<std::int64_t> Store::ingest_telemetry(const std::string& device_id, const std::vector<TelemetryRow>& items,
                                             std::int64_t dropped, std::int64_t now, std::vector<TelemetryRow>* fresh) {
  std::int64_t acknowledged = 0;
  EDGEAI_RETURN_IF_ERROR(db_->transaction([&]() -> Status {
    if (fresh != nullptr) fresh->clear();
    for (const TelemetryRow& item : items) {
      // (device, sequence) is unique: a batch sent again after a lost answer is stored once.
      EDGEAI_ASSIGN_OR_RETURN(
          SqlResult inserted,
          db_->query("INSERT INTO telemetry VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
                     {device_id, str(item.sequence), item.kind, item.body, str(item.created_at), str(now)}));
      if (fresh != nullptr && inserted.changed > 0) fresh->push_back(item);
      acknowledged = std::max(acknowledged, item.sequence);
    }
    // The device's own count only grows: keep the largest seen.
    EDGEAI_RETURN_IF_ERROR(db_->query("INSERT INTO telemetry_dropped VALUES ($1, $2) ON CONFLICT (device_id) DO UPDATE "
                                      "SET dropped = CASE WHEN telemetry_dropped.dropped > excluded.dropped THEN "
                                      "telemetry_dropped.dropped ELSE excluded.dropped END",
                                      {device_id, str(dropped)})
                               .status());
    return Status::ok();
  }));
  return acknowledged;
}

Result<std::vector<TelemetryRow>> Store::telemetry(const std::string& device_id, const std::string& kind) {
  EDGEAI_ASSIGN_OR_RETURN(SqlResult r, db_->query("SELECT sequence, kind, body, created_at, received_at FROM telemetry "
                                                  "WHERE device_id = $1 AND ($2 = '' OR kind = $2) ORDER BY sequence",
                                                  {device_id, kind}));
  std::vector<TelemetryRow> out;
  for (const SqlRow& row : r.rows) {
    out.push_back({as_int(row[0]), as_text(row[1]), as_text(row[2]), as_int(row[3]), as_int(row[4])});
  }
  return out;
}

Result<std::int64_t> Store::telemetry_dropped(const std::string& device_id) {
  EDGEAI_ASSIGN_OR_RETURN(SqlResult r,
                          db_->query("SELECT dropped FROM telemetry_dropped WHERE device_id = $1", {device_id}));
  return r.rows.empty() ? std::int64_t{0} : as_int(r.rows[0][0]);
}

}  // namespace edgeai::server
