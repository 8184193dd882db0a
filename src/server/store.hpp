// What the update server knows (issue 6), over either database engine (server/database.hpp):
// enrollment tokens, devices (each with its own credential, a group and tags), the release
// registry (each release's signed targets metadata; the bundle itself is a file named by its
// sha256), campaigns and which device each campaign assigned in which phase. One schema serves
// SQLite and PostgreSQL. Secrets are stored only as SHA-256 hashes.
//
// A campaign rolls one release out to one device group in phases (cumulative percentages of
// the group, e.g. 5, 25, 100; devices in enrollment order, so the first is the canary). A phase
// is done when each of its devices reported the release installed or rolled back; the next
// starts `soak_seconds` later. When the share of assigned devices that rolled back exceeds
// `max_failure_rate`, the campaign halts by itself and no further device is assigned; an
// operator may halt and resume by hand.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "format/trust.hpp"
#include "server/database.hpp"

namespace edgeai::server {

struct DeviceRow {
  std::string id;
  std::string device_group;
  std::vector<std::string> tags;
  std::int64_t seq = 0;  // enrollment order
  std::int64_t enrolled_at = 0, last_seen = 0;
  std::string state;  // as the agent last reported it
  std::string active_version, target_version, last_error;
};

struct ReleaseRow {
  TargetInfo target;
  std::string targets_envelope;  // signed by the release key, verbatim
  std::int64_t uploaded_at = 0;
};

struct CampaignRow {
  std::int64_t id = 0;
  std::string release_name, release_version, device_group;
  std::vector<int> phases;  // cumulative percentages of the group, the last one 100
  std::int64_t soak_seconds = 0;
  double max_failure_rate = 0.0;  // failed / assigned above this halts the campaign
  std::string state;              // running, halted, completed
  std::string halt_reason;
  std::int64_t phase = 0;             // index into phases
  std::int64_t phase_done_at = 0;     // when every device of the current phase finished; 0 before
  std::int64_t ignored_failures = 0;  // failures before the last manual resume
  std::int64_t created_at = 0, updated_at = 0;
};

struct AssignmentRow {
  std::int64_t campaign_id = 0;
  std::string device_id;
  std::int64_t phase = 0, assigned_at = 0, finished_at = 0;
  std::string result;  // pending, installed, failed
  std::string detail;  // the device's reason for a failure
};

// What a device reports (POST /api/v1/device/status).
struct DeviceReport {
  std::string state;  // the agent's state machine: idle, downloading, ..., rolled_back
  std::string active_version, target_version, last_error;
};

// One telemetry item of a device (issue 7): an aggregate window or a notable event, as JSON.
struct TelemetryRow {
  std::int64_t sequence = 0;  // the device's own numbering, never reused
  std::string kind;
  std::string body;
  std::int64_t created_at = 0, received_at = 0;
};

// The release a device should run, and the campaign that says so.
struct Desired {
  ReleaseRow release;
  std::int64_t campaign_id = 0;
};

class Store {
 public:
  // Creates the schema when missing.
  static Result<std::unique_ptr<Store>> open(std::unique_ptr<Database> db);
  Database& database() { return *db_; }

  // One-time tokens (returned in clear once; stored hashed) for devices joining `group`.
  Result<std::vector<std::string>> create_enrollment_tokens(const std::string& group,
                                                            const std::vector<std::string>& tags, int count,
                                                            std::int64_t ttl_seconds, std::int64_t now);
  // Spends `token` and creates the device (named `name`, or a generated id) holding a
  // credential whose SHA-256 is `credential_hash`. Unknown, used and expired tokens fail alike.
  Result<DeviceRow> enroll(const std::string& token, const std::string& name, const std::string& credential_hash,
                           std::int64_t now);
  Result<std::optional<DeviceRow>> device_by_credential(const std::string& credential_hash);
  Result<std::optional<DeviceRow>> device(const std::string& id);
  // Every device, in enrollment order; filtered by group and tag when those are not empty.
  Result<std::vector<DeviceRow>> devices(const std::string& group = "", const std::string& tag = "");
  Status set_device_labels(const std::string& id, const std::optional<std::string>& group,
                           const std::optional<std::vector<std::string>>& tags);
  Status touch_device(const std::string& id, std::int64_t now);
  // Records the report and settles the device's pending assignments: the campaign's version
  // active is "installed"; rolled back while targeting it is "failed". True when one settled.
  Result<bool> record_report(const std::string& device_id, const DeviceReport& report, std::int64_t now);

  // A release whose name and version are new.
  Status add_release(const ReleaseRow& release);
  Result<std::vector<ReleaseRow>> releases();
  Result<std::optional<ReleaseRow>> release(const std::string& name, const std::string& version);
  std::int64_t next_release_counter();

  // `before_start` runs in the creating transaction with the new id, before any device is
  // assigned (the campaign's quality policy, so that no device sees it without).
  Result<CampaignRow> create_campaign(const CampaignRow& spec, std::int64_t now,
                                      const std::function<Status(std::int64_t)>& before_start = {});
  Result<std::vector<CampaignRow>> campaigns();
  Result<std::optional<CampaignRow>> campaign(std::int64_t id);
  Result<std::vector<AssignmentRow>> assignments(std::int64_t campaign_id);
  Status halt_campaign(std::int64_t id, const std::string& reason, std::int64_t now);
  Status resume_campaign(std::int64_t id, std::int64_t now);
  // Assigns the devices of each running campaign's phase, halts on the failure rate, moves to
  // the next phase after the soak, completes. True when anything changed.
  Result<bool> advance_campaigns(std::int64_t now);
  // A campaign's phase counts as done only when `gate` also says so (the quality gate: enough
  // telemetry of the new version on the phase's devices, issue 7); unset: when every device of
  // the phase finished.
  void set_phase_gate(std::function<Result<bool>(const CampaignRow&)> gate) { phase_gate_ = std::move(gate); }

  // The newest campaign assignment of `device_id` that still stands (a halted campaign's
  // pending assignments do not), or nullopt.
  Result<std::optional<Desired>> desired(const std::string& device_id);
  // Stores a batch of a device's telemetry, each (device, sequence) once however often it
  // arrives, and the device's count of items it dropped; returns the sequence acknowledged.
  // `fresh` (optional) receives the items stored now for the first time.
  Result<std::int64_t> ingest_telemetry(const std::string& device_id, const std::vector<TelemetryRow>& items,
                                        std::int64_t dropped, std::int64_t now,
                                        std::vector<TelemetryRow>* fresh = nullptr);
  Result<std::vector<TelemetryRow>> telemetry(const std::string& device_id, const std::string& kind = "");
  Result<std::int64_t> telemetry_dropped(const std::string& device_id);

  // Whether the bundle `sha256` was ever assigned to `device_id`: a device downloads nothing else.
  Result<bool> may_download(const std::string& device_id, const std::string& sha256);

 private:
  explicit Store(std::unique_ptr<Database> db) : db_(std::move(db)) {}
  Status advance_campaign(const CampaignRow& campaign, std::int64_t now, bool& changed);
  std::function<Result<bool>(const CampaignRow&)> phase_gate_;

  std::unique_ptr<Database> db_;
};

// "5,25,100" <-> {5, 25, 100}; the parser checks 1..100, increasing, ending at 100.
Result<std::vector<int>> parse_phases(const std::string& text);
std::string phases_to_text(const std::vector<int>& phases);
// How many of `devices` the cumulative `percent` covers: at least 1, at most all.
std::int64_t phase_device_count(int percent, std::int64_t devices);

}  // namespace edgeai::server
