#include "agent/agent.hpp"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <thread>

#include "format/atomic_file.hpp"
#include "format/delta.hpp"
#include "format/json_fields.hpp"

namespace edgeai {
namespace {

namespace fs = std::filesystem;
using json_fields::json;

std::int64_t now_seconds() { return static_cast<std::int64_t>(std::time(nullptr)); }

void log_line(const std::string& text) {
  std::fprintf(stderr, "edgeai-agent: %s\n", text.c_str());
  std::fflush(stderr);
}

// A root envelope signed by the threshold of the keys it names for itself.
Result<RootMetadata> self_signed_root(std::string_view envelope_json) {
  EDGEAI_ASSIGN_OR_RETURN(Envelope env, parse_envelope(envelope_json));
  if (env.payload_type != kRootType) return invalid_argument("root: wrong payload type '", env.payload_type, "'");
  EDGEAI_ASSIGN_OR_RETURN(RootMetadata root, root_from_json(env.payload));
  if (valid_signatures(env, root.keys, root.root.keyids) < root.root.threshold) {
    return failed_precondition("root: not signed by its own root keys");
  }
  return root;
}

std::string error_text(const HttpReply& reply) {
  Result<json> body = json_fields::parse_object(reply.body, "reply");
  if (body.is_ok()) {
    if (auto e = json_fields::get_string(*body, "error"); e.is_ok()) return *e;
  }
  return reply.body.substr(0, 200);
}

}  // namespace

Result<std::unique_ptr<Agent>> Agent::create(const AgentOptions& options) {
  std::unique_ptr<Agent> agent(new Agent());
  agent->options_ = options;
  if (agent->options_.fault.empty()) {
    if (const char* fault = std::getenv("EDGEAI_AGENT_FAULT")) agent->options_.fault = fault;
  }
  std::error_code ec;
  fs::create_directories(options.data_dir, ec);
  if (ec) return io_error(options.data_dir, ": cannot create the data directory: ", ec.message());
  agent->identity_ = std::make_unique<Journal>((fs::path(options.data_dir) / "identity").string());
  agent->trust_journal_ = std::make_unique<Journal>((fs::path(options.data_dir) / "trust").string());

  EDGEAI_ASSIGN_OR_RETURN(std::optional<std::string> identity, agent->identity_->read());
  std::string server = options.server_url;
  if (identity) {
    EDGEAI_ASSIGN_OR_RETURN(json j, json_fields::parse_object(*identity, "identity"));
    EDGEAI_ASSIGN_OR_RETURN(std::string saved_server, json_fields::get_string(j, "server"));
    EDGEAI_ASSIGN_OR_RETURN(agent->device_id_, json_fields::get_string(j, "device_id"));
    EDGEAI_ASSIGN_OR_RETURN(std::string credential, json_fields::get_string(j, "credential"));
    EDGEAI_ASSIGN_OR_RETURN(agent->group_, json_fields::get_string(j, "group"));
    if (server.empty()) server = saved_server;
    EDGEAI_ASSIGN_OR_RETURN(agent->http_, HttpClient::create(server, options.ca_cert));
    agent->http_->set_credential(credential);
  } else {
    if (server.empty()) return invalid_argument("not enrolled yet: pass --server URL and --enroll TOKEN");
    if (options.enroll_token.empty()) {
      return invalid_argument(options.data_dir,
                              " holds no enrollment: pass --enroll TOKEN (from `edgeai devices token`)");
    }
    EDGEAI_ASSIGN_OR_RETURN(agent->http_, HttpClient::create(server, options.ca_cert));
    EDGEAI_RETURN_IF_ERROR(agent->enroll());
  }
  EDGEAI_RETURN_IF_ERROR(agent->load_trust());
  agent->updater_ = std::make_unique<Updater>(options.data_dir, agent->group_, options.validation);
  EDGEAI_RETURN_IF_ERROR(agent->updater_->open());
  Agent* self = agent.get();
  agent->updater_->set_observer([self](const DeviceRecord& record) {
    log_line(str_cat(self->device_id_, ": ", record.state, record.state == "idle" ? " on " : " ",
                     record.state == "idle" ? record.active_version : record.target.version,
                     record.last_error.empty() ? "" : ": " + record.last_error));
    const std::string& fault = self->options_.fault;
    if (fault.rfind("kill-after:", 0) == 0 && fault.substr(11) == record.state) {
      log_line("fault injection: SIGKILL after " + record.state);
      ::raise(SIGKILL);
    }
    self->report(record);
  });
  return agent;
}

Status Agent::enroll() {
  json request{{"token", options_.enroll_token}};
  if (!options_.name.empty()) request["name"] = options_.name;
  EDGEAI_ASSIGN_OR_RETURN(HttpReply reply, http_->post_json("/api/v1/enroll", json_fields::to_text(request)));
  if (reply.status != 201)
    return failed_precondition("enrollment refused (HTTP ", reply.status, "): ", error_text(reply));
  EDGEAI_ASSIGN_OR_RETURN(json body, json_fields::parse_object(reply.body, "enrollment reply"));
  EDGEAI_ASSIGN_OR_RETURN(device_id_, json_fields::get_string(body, "device_id"));
  EDGEAI_ASSIGN_OR_RETURN(std::string credential, json_fields::get_string(body, "credential"));
  EDGEAI_ASSIGN_OR_RETURN(group_, json_fields::get_string(body, "group"));
  EDGEAI_ASSIGN_OR_RETURN(std::string root, json_fields::get_string(body, "root"));
  // Pin the root: the operator's file when given (the server's must then be the same), else
  // the one the server sent at enrollment (trust on first use), which must be self-signed.
  if (!options_.root_path.empty()) {
    EDGEAI_ASSIGN_OR_RETURN(root, read_whole_file(options_.root_path));
  }
  EDGEAI_RETURN_IF_ERROR(self_signed_root(root).status());
  root_envelope_ = root;
  EDGEAI_RETURN_IF_ERROR(identity_->write(json_fields::to_text(
      json{{"server", http_->base_url()}, {"device_id", device_id_}, {"credential", credential}, {"group", group_}})));
  trust_ = std::make_unique<TrustState>(*self_signed_root(root));
  EDGEAI_RETURN_IF_ERROR(save_trust());
  http_->set_credential(credential);
  log_line(str_cat("enrolled as ", device_id_, " in group ", group_));
  return Status::ok();
}

Status Agent::load_trust() {
  if (trust_) return Status::ok();
  EDGEAI_ASSIGN_OR_RETURN(std::optional<std::string> text, trust_journal_->read());
  if (!text) {
    // Enrolled, then killed before the trust record: fetch the root again (as at enrollment).
    std::string root;
    if (!options_.root_path.empty()) {
      EDGEAI_ASSIGN_OR_RETURN(root, read_whole_file(options_.root_path));
    } else {
      EDGEAI_ASSIGN_OR_RETURN(HttpReply reply, http_->get("/api/v1/root"));
      if (reply.status != 200) return io_error("GET /api/v1/root: HTTP ", reply.status);
      root = reply.body;
    }
    EDGEAI_ASSIGN_OR_RETURN(RootMetadata pinned, self_signed_root(root));
    root_envelope_ = root;
    trust_ = std::make_unique<TrustState>(pinned);
    return save_trust();
  }
  EDGEAI_ASSIGN_OR_RETURN(json j, json_fields::parse_object(*text, "trust record"));
  EDGEAI_ASSIGN_OR_RETURN(root_envelope_, json_fields::get_string(j, "root"));
  EDGEAI_ASSIGN_OR_RETURN(std::int64_t ts_version, json_fields::get_int(j, "timestamp_version"));
  EDGEAI_ASSIGN_OR_RETURN(std::int64_t targets_version, json_fields::get_int(j, "targets_version"));
  EDGEAI_ASSIGN_OR_RETURN(RootMetadata pinned, self_signed_root(root_envelope_));
  trust_ = std::make_unique<TrustState>(pinned);
  trust_->restore_seen(ts_version, targets_version);
  return Status::ok();
}

Status Agent::save_trust() {
  return trust_journal_->write(json_fields::to_text(json{{"root", root_envelope_},
                                                         {"timestamp_version", trust_->newest_timestamp_version()},
                                                         {"targets_version", trust_->newest_targets_version()}}));
}

void Agent::report(const DeviceRecord& record, const std::string& note) {
  const std::string error = !note.empty() ? note : record.last_error;
  const std::string body = json_fields::to_text(json{{"state", record.state},
                                                     {"active_version", record.active_version},
                                                     {"target_version", record.target.version},
                                                     {"last_error", error}});
  if (body == last_report_) return;
  Result<HttpReply> reply = http_->post_json("/api/v1/device/status", body, 10);
  if (reply.is_ok() && reply->status == 200) {
    last_report_ = body;
  } else {
    log_line("report not delivered (will retry): " +
             (reply.is_ok() ? str_cat("HTTP ", reply->status) : reply.status().message()));
  }
}

// The bundle rebuilt from the active one and a model-aware delta (format/delta.hpp), when the
// server has one smaller than the bundle; nullopt sends the caller to the full download. The
// updater checks the signed size and sha256 of what this yields, as for any download.
std::optional<std::vector<std::uint8_t>> Agent::fetch_by_delta(const TargetInfo& target) {
  const std::string base_path = updater_->active_path();
  if (base_path.empty()) return std::nullopt;
  Result<std::string> base_file = read_whole_file(base_path);
  if (!base_file.is_ok() || base_file->empty()) return std::nullopt;
  const std::vector<std::uint8_t> base(base_file->begin(), base_file->end());
  const std::string path = str_cat("/api/v1/device/deltas/", target.sha256, "?from=", sha256_hex(base));
  // A delta is only worth it below the bundle's size: more than that is cut off.
  Result<std::vector<std::uint8_t>> delta = http_->get_range(path, -1, static_cast<std::size_t>(target.size));
  if (!delta.is_ok()) {
    log_line("no delta (" + delta.status().message() + "): downloading the whole bundle");
    return std::nullopt;
  }
  Result<std::vector<std::uint8_t>> rebuilt = apply_delta(base, *delta, target.size);
  if (!rebuilt.is_ok() || sha256_hex(*rebuilt) != target.sha256) {
    log_line("delta not usable (" + (rebuilt.is_ok() ? std::string("sha256 differs") : rebuilt.status().message()) +
             "): downloading the whole bundle");
    return std::nullopt;
  }
  log_line(str_cat("delta: ", delta->size(), " bytes instead of ", target.size));
  return std::move(rebuilt).value();
}

ByteSource Agent::download_source(const TargetInfo& target) {
  // The bytes come from a delta when one works, else from the bundle a window per request;
  // the updater reads either in chunks.
  struct Source {
    bool delta_tried = false;
    std::optional<std::vector<std::uint8_t>> rebuilt;
    std::int64_t window_offset = -1;
    std::vector<std::uint8_t> window;
  };
  auto src = std::make_shared<Source>();
  const std::string path = "/api/v1/device/artifacts/" + target.sha256;
  std::int64_t kill_at = -1;
  if (options_.fault.rfind("kill-at-byte:", 0) == 0) kill_at = std::atoll(options_.fault.c_str() + 13);
  HttpClient* http = http_.get();
  const bool use_delta = options_.deltas;
  return [this, src, path, http, kill_at, target, use_delta](std::int64_t offset, std::uint8_t* out,
                                                             std::size_t size) -> Result<std::size_t> {
    constexpr std::int64_t kWindow = 1 << 20;
    if (offset >= target.size) return std::size_t{0};  // never asks past the signed size
    if (!src->delta_tried) {
      src->delta_tried = true;
      if (use_delta) src->rebuilt = fetch_by_delta(target);
    }
    const std::uint8_t* from = nullptr;
    std::size_t available = 0;
    if (src->rebuilt) {
      const auto at = static_cast<std::size_t>(offset);
      if (at >= src->rebuilt->size()) return std::size_t{0};
      from = src->rebuilt->data() + at;
      available = src->rebuilt->size() - at;
    } else {
      if (src->window_offset < 0 || offset < src->window_offset ||
          offset >= src->window_offset + static_cast<std::int64_t>(src->window.size())) {
        const auto want = static_cast<std::size_t>(std::min(kWindow, target.size - offset));
        EDGEAI_ASSIGN_OR_RETURN(src->window, http->get_range(path, offset, want));
        src->window_offset = offset;
        if (src->window.empty()) return std::size_t{0};
      }
      const auto at = static_cast<std::size_t>(offset - src->window_offset);
      from = src->window.data() + at;
      available = src->window.size() - at;
    }
    const std::size_t n = std::min(size, available);
    std::copy_n(from, n, out);
    if (kill_at >= 0 && offset + static_cast<std::int64_t>(n) >= kill_at) {
      log_line(str_cat("fault injection: SIGKILL at byte ", offset + static_cast<std::int64_t>(n)));
      ::raise(SIGKILL);
    }
    return n;
  };
}

Status Agent::cycle() {
  // An update a kill interrupted goes on first, from the journal.
  const DeviceRecord& record = updater_->record();
  if (record.state != "idle" && record.state != "rolled_back") {
    log_line(str_cat("resuming the update to ", record.target.version, " from ", record.state));
    if (Status st = updater_->resume(download_source(record.target)); !st.is_ok()) {
      report(updater_->record());
      return st;
    }
  }
  report(updater_->record(), rejected_);

  const std::string path = str_cat("/api/v1/device/desired?wait=", options_.wait_seconds);
  EDGEAI_ASSIGN_OR_RETURN(HttpReply reply, http_->get(path, etag_, options_.wait_seconds + 15));
  if (reply.status == 304) return Status::ok();
  if (reply.status != 200) return io_error("GET /api/v1/device/desired: HTTP ", reply.status, ": ", error_text(reply));
  etag_ = reply.etag;
  Status st = handle_desired(reply.body);
  if (!st.is_ok()) etag_.clear();  // ask again next round
  return st;
}

Status Agent::handle_desired(const std::string& text) {
  EDGEAI_ASSIGN_OR_RETURN(json body, json_fields::parse_object(text, "desired state"));
  auto ts = body.find("timestamp");
  auto targets = body.find("targets");
  if (ts == body.end() || ts->is_null()) {  // nothing assigned
    end_shadow();
    set_collect(0, 0.0);
    return Status::ok();
  }
  if (!ts->is_string() || targets == body.end() || !targets->is_string()) {
    return invalid_argument("desired state: timestamp and targets must be signed envelopes");
  }
  // Trust first: a rejection changes nothing on the device and is reported with its reason.
  const auto reject = [&](const Status& why) {
    rejected_ = "metadata rejected: " + why.message();
    log_line(rejected_);
    report(updater_->record(), rejected_);
    return why;
  };
  TrustState candidate = *trust_;
  // Key rotation: walk the chain of roots from the pinned one, each signed by its predecessor.
  std::string newest_root = root_envelope_;
  if (auto v = body.find("root_version"); v != body.end() && v->is_number_integer()) {
    for (std::int64_t next = candidate.root().version + 1; next <= v->get<std::int64_t>(); ++next) {
      Result<HttpReply> reply = http_->get(str_cat("/api/v1/root/", next));
      if (!reply.is_ok()) return reply.status();
      if (reply->status != 200) return reject(io_error("root version ", next, ": HTTP ", reply->status));
      if (Status st = candidate.update_root(reply->body, now_seconds()); !st.is_ok()) return reject(st);
      newest_root = reply->body;
      log_line(str_cat("root rotated to version ", next));
    }
  }
  Result<TimestampMetadata> timestamp = candidate.verify_timestamp(ts->get<std::string>(), now_seconds());
  if (!timestamp.is_ok()) return reject(timestamp.status());
  Result<TargetsMetadata> verified = candidate.verify_targets(targets->get<std::string>(), *timestamp, now_seconds());
  if (!verified.is_ok()) return reject(verified.status());
  if (verified->targets.empty()) return reject(invalid_argument("targets metadata names no bundle"));
  *trust_ = candidate;
  root_envelope_ = newest_root;
  EDGEAI_RETURN_IF_ERROR(save_trust());
  rejected_.clear();

  TargetInfo target = verified->targets[0];
  for (const TargetInfo& t : verified->targets) {
    if (t.device_group == group_) target = t;
  }
  if (auto c = body.find("collect"); c != body.end() && c->is_object()) {
    set_collect(json_fields::get_int_or(*c, "max_per_hour", 0), c->value("below_confidence", 0.0));
  } else {
    set_collect(0, 0.0);
  }
  if (json_fields::get_string_or(body, "mode", "rollout") == "shadow") return prepare_shadow(target);
  end_shadow();
  const DeviceRecord& record = updater_->record();
  if (target.version == record.active_version && target.release_counter == record.active_counter) {
    return Status::ok();  // running it already
  }
  if (record.state == "rolled_back" && record.target.sha256 == target.sha256) {
    return Status::ok();  // tried and rolled back: not again until the server names another
  }
  log_line(str_cat("update to ", target.name, " ", target.version, " (", target.size, " bytes)"));
  Status st = updater_->update(target, download_source(target));
  if (!st.is_ok()) {
    log_line("update to " + target.version + " failed: " + st.to_string());
    report(updater_->record(), updater_->record().state == "rolled_back" ? "" : st.message());
  }
  return st;
}

// The candidate of a shadow campaign: the whole bundle, checked against the signed size and
// hash, and validated like an update (it runs on live inputs), but kept out of the A/B slots.
Status Agent::prepare_shadow(const TargetInfo& target) {
  if (shadow_sha_ == target.sha256) return Status::ok();
  const fs::path dir = fs::path(options_.data_dir) / "shadow";
  std::error_code ec;
  fs::remove_all(dir, ec);
  fs::create_directories(dir, ec);
  if (ec) return io_error(dir.string(), ": cannot create: ", ec.message());
  EDGEAI_ASSIGN_OR_RETURN(std::vector<std::uint8_t> bytes, http_->get_range("/api/v1/device/artifacts/" + target.sha256,
                                                                            -1, static_cast<std::size_t>(target.size)));
  if (static_cast<std::int64_t>(bytes.size()) != target.size || sha256_hex(bytes) != target.sha256) {
    return data_loss("shadow candidate ", target.version, ": size or sha256 differs from the signed metadata");
  }
  const std::string path = (dir / (target.sha256 + ".eai")).string();
  EDGEAI_RETURN_IF_ERROR(write_file_atomically(path, bytes));
  Result<ValidationReport> valid = validate_bundle(path, options_.validation);
  if (!valid.is_ok()) {
    log_line("shadow candidate " + target.version + " refused: " + valid.status().message());
    return valid.status();
  }
  shadow_sha_ = target.sha256;
  log_line(str_cat("shadow: running ", target.name, " ", target.version, " beside the active model"));
  if (on_shadow_) on_shadow_(path, target.version);
  return Status::ok();
}

void Agent::set_collect(std::int64_t per_hour, double below) {
  if (collect_ == std::make_pair(per_hour, below)) return;
  collect_ = {per_hour, below};
  log_line(per_hour > 0 ? str_cat("samples: up to ", per_hour, " an hour below confidence ", below, " (opted in)")
                        : std::string("samples: none"));
  if (on_collect_) on_collect_(per_hour, below);
}

void Agent::end_shadow() {
  if (shadow_sha_.empty()) return;
  shadow_sha_.clear();
  log_line("shadow: ended");
  if (on_shadow_) on_shadow_("", "");
}

void Agent::run() {
  for (;;) {
    Status st = cycle();
    if (!st.is_ok()) {
      log_line(st.to_string());
      std::this_thread::sleep_for(std::chrono::seconds(options_.retry_seconds));
    }
  }
}

}  // namespace edgeai
