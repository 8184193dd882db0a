// `edgeai-agent` (issue 6): the device side of over-the-air updates. It enrolls once with a
// one-time token (getting its own credential and pinning the root metadata), then polls the
// server for its desired release (long-poll with ETag), verifies the signed timestamp and
// targets metadata (format/trust.hpp), carries the update through the A/B state machine
// (agent/updater.hpp) with ranged, resumable downloads, and reports every transition.
//
// Its data directory:
//   identity        server URL, device id, credential and group (journaled)
//   trust           the pinned root and the newest metadata versions seen (journaled)
//   state, slots/   the update state machine and the A/B slots
// Everything is written with fsync and atomic rename, so a kill at any instant resumes.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/http_client.hpp"
#include "agent/journal.hpp"
#include "agent/updater.hpp"

namespace edgeai {

struct AgentOptions {
  std::string server_url;
  std::string data_dir;
  std::string enroll_token;  // needed until the device is enrolled
  std::string name;          // the device id to ask for at enrollment (empty: the server picks)
  std::string root_path;     // a root metadata file to pin instead of the one enrollment returns
  std::string ca_cert;       // HTTPS: the PEM certificate to verify the server with
  int wait_seconds = 25;     // long-poll
  int retry_seconds = 2;     // after the server could not be reached
  bool deltas = true;        // ask for a model-aware delta from the active bundle first
  ValidationOptions validation;
  // Test hooks (also from EDGEAI_AGENT_FAULT): "kill-after:<state>" raises SIGKILL right after
  // that state is journaled; "kill-at-byte:<n>" once the download passes byte n.
  std::string fault;
};

class Agent {
 public:
  static Result<std::unique_ptr<Agent>> create(const AgentOptions& options);

  // One round: finish an interrupted update, ask for the desired release (long-poll), install
  // it when it is new and verifies, report. Returns the round's error, if any, after reporting it.
  Status cycle();
  // Rounds until the process is stopped; errors are logged and retried.
  [[noreturn]] void run();

  const DeviceRecord& record() const { return updater_->record(); }
  // The active model's bundle ("" before the first update).
  std::string active_path() const { return record().active_slot.empty() ? "" : updater_->active_path(); }
  // A client with this device's credential for another thread (the telemetry sender).
  Result<std::unique_ptr<HttpClient>> new_client() const { return http_->clone(); }
  // Shadow mode (issue 7): when the server asks this device to run a candidate beside its
  // active model, the candidate is downloaded, verified (signature, hash, golden vectors) into
  // DATA_DIR/shadow/ and handed to `callback` with its release version; ("", "") when the
  // server no longer asks. Never installed by this: a promotion comes as a normal update.
  void on_shadow(std::function<void(const std::string& path, const std::string& version)> callback) {
    on_shadow_ = std::move(callback);
  }
  // Opt-in sample collection (issue 7): what the server's desired state asks for, (0, 0) when
  // nothing: at most `per_hour` uncertain inputs (confidence below `below`) an hour.
  void on_collect(std::function<void(std::int64_t per_hour, double below)> callback) {
    on_collect_ = std::move(callback);
  }
  const std::string& device_id() const { return device_id_; }

 private:
  Agent() = default;
  Status enroll();
  Status load_trust();
  Status save_trust();
  Status handle_desired(const std::string& body);
  ByteSource download_source(const TargetInfo& target);
  std::optional<std::vector<std::uint8_t>> fetch_by_delta(const TargetInfo& target);
  void report(const DeviceRecord& record, const std::string& note = "");
  Status prepare_shadow(const TargetInfo& target);
  void end_shadow();

  AgentOptions options_;
  std::unique_ptr<HttpClient> http_;
  std::unique_ptr<Journal> identity_, trust_journal_;
  std::unique_ptr<Updater> updater_;
  std::unique_ptr<TrustState> trust_;
  std::string root_envelope_;
  std::string device_id_, group_;
  std::string etag_;
  std::string last_report_;
  std::string rejected_;    // the last metadata rejection, reported with the state
  std::string shadow_sha_;  // the candidate running in shadow mode ("" for none)
  std::function<void(const std::string&, const std::string&)> on_shadow_;
  std::function<void(std::int64_t, double)> on_collect_;
  std::pair<std::int64_t, double> collect_{0, 0.0};
  void set_collect(std::int64_t per_hour, double below);
};

}  // namespace edgeai
