// The OTA security matrix (issue 6): each attack on a device or on the server, its outcome and
// the reason logged, printed as a table. The device runs the real `edgeai-agent` against a
// hostile server (an HTTP server in this test that holds the fleet's timestamp key, so it can
// sign fresh metadata, but not the offline release key) or against the real `edgeai server`.
// Every case must be rejected, and the device's active model and its outputs stay as they were.
#include <gtest/gtest.h>

#include "fleet.hpp"

namespace edgeai {
namespace {

using namespace ota_testing;

std::int64_t now_seconds() { return static_cast<std::int64_t>(std::time(nullptr)); }

// Serves the desired state and artifacts a test sets, the way a compromised or broken server
// would; records what the agent reports.
class HostileServer {
 public:
  HostileServer() {
    server_.Get("/api/v1/device/desired", [this](const httplib::Request&, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mutex_);
      res.set_content(desired_, "application/json");
    });
    server_.Get(R"(/api/v1/device/artifacts/([0-9a-f]+))", [this](const httplib::Request&, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mutex_);
      // Ignores the Range header: the whole body, whatever was asked, chunked (so that httplib
      // does not cut it to the range either).
      res.status = 206;
      auto body = std::make_shared<std::string>(artifact_);
      res.set_chunked_content_provider("application/octet-stream", [body](std::size_t offset, httplib::DataSink& sink) {
        if (offset >= body->size()) {
          sink.done();
          return true;
        }
        const std::size_t n = std::min<std::size_t>(64 * 1024, body->size() - offset);
        return sink.write(body->data() + offset, n);
      });
    });
    server_.Get(R"(/api/v1/root/(\d+))", [this](const httplib::Request&, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mutex_);
      res.set_content(root_, "application/json");
    });
    server_.Post("/api/v1/device/status", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mutex_);
      reports_.push_back(req.body);
      res.set_content("{\"ok\":true}", "application/json");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~HostileServer() {
    server_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  void serve(std::string desired, std::string artifact, std::string root = "") {
    std::lock_guard<std::mutex> lock(mutex_);
    desired_ = std::move(desired);
    artifact_ = std::move(artifact);
    root_ = std::move(root);
  }

 private:
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::mutex mutex_;
  std::string desired_, artifact_, root_;
  std::vector<std::string> reports_;
};

std::string file_bytes(const fs::path& path) { return read_text(path); }

TargetInfo target_of(const std::string& bytes, const std::string& version, std::int64_t counter) {
  TargetInfo t;
  t.name = "tiny";
  t.version = version;
  t.sha256 = sha256_hex(bytes);
  t.size = static_cast<std::int64_t>(bytes.size());
  t.device_group = "line";
  t.release_counter = counter;
  return t;
}

std::string signed_targets(const TargetInfo& t, const KeyPair& key) {
  TargetsMetadata m;
  m.version = t.release_counter;
  m.expires = format_utc(now_seconds() + 86400);
  m.targets = {t};
  const KeyPair* signers[] = {&key};
  return sign_envelope(kTargetsType, targets_to_json(m), signers);
}

std::string signed_timestamp(const std::string& targets, std::int64_t targets_version, const KeyPair& key,
                             std::int64_t version, std::int64_t expires) {
  TimestampMetadata ts;
  ts.version = version;
  ts.expires = format_utc(expires);
  ts.targets_version = targets_version;
  ts.targets_sha256 = sha256_hex(targets);
  const KeyPair* signers[] = {&key};
  return sign_envelope(kTimestampType, timestamp_to_json(ts), signers);
}

std::string desired_json(const std::string& timestamp, const std::string& targets) {
  return json{
      {"device_id", "dev-a"}, {"group", "line"}, {"campaign", 1}, {"timestamp", timestamp}, {"targets", targets}}
      .dump();
}

// The line of `log` that names the rejection: the first line containing `needle`.
std::string logged_line(const std::string& log, const std::string& needle) {
  std::stringstream in(log);
  for (std::string line; std::getline(in, line);) {
    if (line.find(needle) != std::string::npos) return line;
  }
  return "";
}

struct Row {
  std::string attack, outcome, reason;
};

TEST(OtaSecurity, EveryAttackIsRejectedAndTheActiveModelIsUnchanged) {
  Fleet fleet("sqlite");
  const std::vector<std::string> tokens = fleet.tokens("line", 1);
  const std::vector<std::string> other_tokens = fleet.tokens("other", 1);
  ASSERT_EQ(fleet.agent_once("dev-a", tokens[0]).exit_code, 0);
  ASSERT_EQ(fleet.agent_once("dev-b", other_tokens[0]).exit_code, 0);
  const fs::path v1 = write_tiny_bundle(fleet.dir(), "1.0.0", 1.0f);
  const std::string key = (fleet.dir() / "release.key").string();
  fleet.cli_ok({"publish", v1.string(), "--key", key, "--group", "line"});
  fleet.cli_ok({"campaign", "create", "--release", "tiny", "--version", "1.0.0"});
  const CommandResult installed = fleet.agent_once("dev-a");
  ASSERT_EQ(installed.exit_code, 0) << installed.output;
  ASSERT_EQ(fleet.record("dev-a").active_version, "1.0.0") << installed.output;
  const std::vector<float> v1_out = model_outputs(fleet.active_model("dev-a"));
  ASSERT_FALSE(v1_out.empty());
  const std::string v1_bytes = file_bytes(fleet.active_model("dev-a"));
  // The newest timestamp the device has seen: from the real server, just now.
  const std::int64_t seen = now_seconds();

  std::vector<Row> rows;
  const auto check_device = [&](const std::string& attack) {
    const DeviceRecord r = fleet.record("dev-a");
    EXPECT_EQ(r.active_version, "1.0.0") << attack;
    EXPECT_EQ(model_outputs(fleet.active_model("dev-a")), v1_out) << attack;
    EXPECT_EQ(sha256_hex(file_bytes(fleet.active_model("dev-a"))), sha256_hex(v1_bytes)) << attack;
  };
  HostileServer hostile;
  const KeyPair timestamp_key = fleet.timestamp_key();
  // Runs the agent once against the hostile server; the case passes when the agent's log names
  // `expected` (the reason) and the device still runs v1.
  const auto device_case = [&](const std::string& attack, const std::string& desired, const std::string& artifact,
                               const std::string& expected, const std::string& root = "") {
    hostile.serve(desired, artifact, root);
    const CommandResult r = fleet.agent_once("dev-a", "", hostile.url());
    const std::string line = logged_line(r.output, expected);
    EXPECT_FALSE(line.empty()) << attack << ": expected '" << expected << "' in the agent's log:\n" << r.output;
    check_device(attack);
    rows.push_back({attack, line.empty() ? "NOT REJECTED" : "rejected", line});
  };

  // 1. A flipped byte in the bundle: signed metadata for v2, the artifact altered in transit.
  const std::string v2 = file_bytes(write_tiny_bundle(fleet.dir(), "2.0.0", 1.5f));
  {
    const TargetInfo t = target_of(v2, "2.0.0", 2);
    const std::string targets = signed_targets(t, fleet.release_key());
    std::string flipped = v2;
    flipped[flipped.size() / 2] ^= 0x01;
    device_case("flipped byte in the bundle",
                desired_json(signed_timestamp(targets, 2, timestamp_key, seen + 1, seen + 3600), targets), flipped,
                "sha256");
    EXPECT_EQ(fleet.record("dev-a").state, "rolled_back");
  }
  // 2. Metadata signed by a key the root does not name for releases.
  {
    const TargetInfo t = target_of(v2, "2.0.0", 3);
    const std::string targets = signed_targets(t, generate_key_pair());
    device_case("targets signed by the wrong key",
                desired_json(signed_timestamp(targets, 3, timestamp_key, seen + 2, seen + 3600), targets), v2,
                "valid signature(s) of the trusted keys");
  }
  // 3. A valid, properly signed older version (rollback), no downgrade allowed.
  {
    const std::string v09 = file_bytes(write_tiny_bundle(fleet.dir(), "0.9.0", 0.5f));
    const TargetInfo t = target_of(v09, "0.9.0", 4);
    const std::string targets = signed_targets(t, fleet.release_key());
    device_case("valid older version (rollback)",
                desired_json(signed_timestamp(targets, 4, timestamp_key, seen + 3, seen + 3600), targets), v09,
                "is not newer than the installed");
  }
  // 4. Replayed old metadata (freeze): a timestamp older than the newest the device has seen.
  {
    const std::string v21 = file_bytes(write_tiny_bundle(fleet.dir(), "2.1.0", 1.25f));
    const TargetInfo t = target_of(v21, "2.1.0", 5);
    const std::string targets = signed_targets(t, fleet.release_key());
    device_case("replayed old timestamp (freeze)",
                desired_json(signed_timestamp(targets, 5, timestamp_key, seen - 100, seen + 3600), targets), v21,
                "older");
  }
  // 5. Expired metadata.
  {
    const std::string v22 = file_bytes(write_tiny_bundle(fleet.dir(), "2.2.0", 1.75f));
    const TargetInfo t = target_of(v22, "2.2.0", 6);
    const std::string targets = signed_targets(t, fleet.release_key());
    device_case("expired timestamp",
                desired_json(signed_timestamp(targets, 6, timestamp_key, seen + 10, now_seconds() - 60), targets), v22,
                "expired");
  }
  // 6. A server streaming more than the signed size (endless data).
  {
    const std::string v23 = file_bytes(write_tiny_bundle(fleet.dir(), "2.3.0", 2.0f));
    const TargetInfo t = target_of(v23, "2.3.0", 7);
    const std::string targets = signed_targets(t, fleet.release_key());
    device_case("server streams more than the signed size",
                desired_json(signed_timestamp(targets, 7, timestamp_key, seen + 20, seen + 3600), targets),
                v23 + std::string(4 << 20, 'x'), "more than");
    EXPECT_EQ(fleet.record("dev-a").state, "rolled_back");
  }

  // 7. A rotated root that the pinned root did not sign: the server's keys swapped for the attacker's.
  {
    const KeyPair attacker = generate_key_pair();
    RootMetadata fake;
    fake.version = 2;
    fake.expires = format_utc(now_seconds() + 3600);
    fake.keys[key_id(attacker.public_key)] = attacker.public_key;
    fake.root.keyids = fake.targets.keyids = fake.timestamp.keyids = {key_id(attacker.public_key)};
    const KeyPair* signers[] = {&attacker};
    const std::string v24 = file_bytes(write_tiny_bundle(fleet.dir(), "2.4.0", 2.5f));
    const TargetInfo t = target_of(v24, "2.4.0", 8);
    const std::string targets = signed_targets(t, attacker);
    json desired = json::parse(desired_json(signed_timestamp(targets, 8, attacker, seen + 30, seen + 3600), targets));
    desired["root_version"] = 2;
    device_case("rotated root not signed by the pinned root", desired.dump(), v24,
                "new root:", sign_envelope(kRootType, root_to_json(fake), signers));
  }

  // The real server's side. Device A's credential, from its identity.
  const json identity =
      json::parse(*Journal((fleet.agent_dir("dev-a") / "identity").string()).read().value(), nullptr, false);
  const std::string credential_a = identity["credential"];
  const fs::path for_b = write_tiny_bundle(fleet.dir(), "5.0.0", 3.0f);
  fleet.cli_ok({"publish", for_b.string(), "--key", key, "--group", "other"});
  fleet.cli_ok({"campaign", "create", "--release", "tiny", "--version", "5.0.0"});
  const std::string sha_b = sha256_hex(file_bytes(for_b));
  const auto server_case = [&](const std::string& attack, int status, int expected_status,
                               const std::string& log_needle) {
    // The server logs after it answers: give the line a moment to land.
    std::string line;
    wait_until([&] { return !(line = logged_line(read_text(fleet.server_log()), log_needle)).empty(); }, 5);
    const bool ok = status == expected_status && !line.empty();
    EXPECT_EQ(status, expected_status) << attack;
    EXPECT_FALSE(line.empty()) << attack << ": no log line with '" << log_needle << "'";
    rows.push_back({attack, ok ? str_cat("rejected ", status) : str_cat("NOT REJECTED ", status), line});
  };
  int status = 0;
  fleet.api("GET", "/api/v1/devices/dev-b", "", credential_a, &status);
  server_case("device A asks for device B's assignment", status, 403, "device 'dev-a' may not use");
  fleet.api("GET", "/api/v1/device/artifacts/" + sha_b, "", credential_a, &status);
  server_case("device A asks for device B's artifact", status, 404, "no artifact " + sha_b + " for device dev-a");
  fleet.api("GET", "/api/v1/device/desired", "", "", &status);
  server_case("no credential", status, 401, "401 no credential");
  fleet.api("GET", "/api/v1/device/desired", "", "dev_forged", &status);
  server_case("forged credential", status, 401, "401 device credential not valid");
  fleet.api("POST", "/api/v1/device/status", "{\"state\": \"idle\",", credential_a, &status);
  server_case("malformed JSON (device report)", status, 400, "400 malformed JSON");
  fleet.api("POST", "/api/v1/enroll", "{\"token\": 7}", "", &status);
  server_case("malformed enrollment", status, 400, "field 'token' missing or not a string");
  fleet.api("POST", "/api/v1/enroll", json{{"token", "enr_guess"}, {"name", "x"}}.dump(), "", &status);
  server_case("guessed enrollment token", status, 403, "enrollment token not valid");
  {
    const CommandResult r = fleet.cli({"publish", for_b.string(), "--key", key, "--group", "line", "--name",
                                       "../../etc/passwd", "--version", "6.0.0"});
    EXPECT_EQ(r.exit_code, 1) << r.output;
    server_case("path traversal in a release name", r.output.find("HTTP 400") != std::string::npos ? 400 : -1, 400,
                "400 targets: unsafe name '../../etc/passwd'");
  }
  fleet.api("GET", "/api/v1/device/artifacts/..%2F..%2Fadmin-token", "", credential_a, &status);
  server_case("path traversal in an artifact URL", status, 404, "admin-token: 404 no such route");
  {
    const KeyPair wrong = generate_key_pair();
    ASSERT_TRUE(write_key_files((fleet.dir() / "wrong").string(), wrong).is_ok());
    const CommandResult signed_wrong =
        fleet.cli({"publish", for_b.string(), "--key", (fleet.dir() / "wrong.key").string(), "--group", "line",
                   "--version", "6.0.0"});
    EXPECT_EQ(signed_wrong.exit_code, 1) << signed_wrong.output;
    server_case("upload signed by the wrong key", signed_wrong.output.find("HTTP 422") != std::string::npos ? 422 : -1,
                422, "422 targets metadata is not signed by the release key");
  }
  // The upload limit: the server restarted with 1 MiB, a 2.4 MB bundle.
  fleet.start_server({"--max-upload-mb", "1"});
  {
    const fs::path big = write_tiny_bundle(fleet.dir(), "7.0.0", 1.0f, false, 600000);
    const CommandResult r = fleet.cli({"publish", big.string(), "--key", key, "--group", "line"});
    EXPECT_EQ(r.exit_code, 1) << r.output;
    server_case("oversized upload", r.output.find("HTTP 413") != std::string::npos ? 413 : -1, 413,
                "413 body larger than the upload limit");
  }
  check_device("after the matrix");

  std::printf("\n| attack | outcome | logged reason |\n| --- | --- | --- |\n");
  for (const Row& r : rows) std::printf("| %s | %s | %s |\n", r.attack.c_str(), r.outcome.c_str(), r.reason.c_str());
  std::printf("active model after every case: version %s, outputs unchanged\n",
              fleet.record("dev-a").active_version.c_str());
}

}  // namespace
}  // namespace edgeai
