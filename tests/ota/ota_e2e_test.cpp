// Over-the-air updates end to end (issue 6), with real processes on 127.0.0.1: `edgeai server`
// (on SQLite and on PostgreSQL), three `edgeai-agent`s with their own data directories, and the
// operator's `edgeai publish|campaign|devices`.
//  - a phased campaign updates the canary first, then the rest after the soak;
//  - a bad release (golden vectors fail) rolls back on the canary, is reported, and halts the
//    campaign by itself: no other device receives it.
#include <gtest/gtest.h>

#include "fleet.hpp"

namespace edgeai {
namespace {

using namespace ota_testing;

class OtaEndToEnd : public ::testing::TestWithParam<std::string> {};

// Three agents enrolled in `group` and running v1 after a one-phase campaign.
void roll_out_v1(Fleet& fleet, const std::vector<std::string>& names) {
  const std::vector<std::string> tokens = fleet.tokens("line", static_cast<int>(names.size()));
  for (std::size_t i = 0; i < names.size(); ++i) {
    // Enroll in order, so that the first is the canary (enrollment order).
    fleet.start_agent(names[i], tokens[i]);
    ASSERT_TRUE(wait_until([&] { return fs::exists(fleet.agent_dir(names[i]) / "identity"); }, 20))
        << read_text(fleet.agent_log(names[i]));
  }
  const fs::path v1 = write_tiny_bundle(fleet.dir(), "1.0.0", 1.0f);
  std::printf("$ edgeai publish tiny-1.0.0.eai\n%s",
              fleet.cli_ok({"publish", v1.string(), "--key", (fleet.dir() / "release.key").string(), "--group", "line"})
                  .c_str());
  std::printf("$ edgeai campaign create v1\n%s",
              fleet.cli_ok({"campaign", "create", "--release", "tiny", "--version", "1.0.0"}).c_str());
  for (const std::string& name : names) {
    ASSERT_TRUE(wait_until(
        [&] { return fleet.record(name).active_version == "1.0.0" && fleet.record(name).state == "idle"; }, 60))
        << name << ": " << read_text(fleet.agent_log(name));
  }
  ASSERT_TRUE(wait_until([&] { return fleet.api("GET", "/api/v1/campaigns/1")["state"] == "completed"; }, 30))
      << fleet.api("GET", "/api/v1/campaigns/1").dump(2);
}

TEST_P(OtaEndToEnd, APhasedCampaignUpdatesTheCanaryFirstThenTheRest) {
  Fleet fleet(GetParam());
  const std::vector<std::string> names = {"cam-1", "cam-2", "cam-3"};
  roll_out_v1(fleet, names);
  std::printf("$ edgeai devices\n%s", fleet.cli_ok({"devices"}).c_str());
  const std::vector<float> v1_out = model_outputs(fleet.active_model("cam-2"));
  ASSERT_FALSE(v1_out.empty());

  const fs::path v2 = write_tiny_bundle(fleet.dir(), "2.0.0", 1.5f);
  fleet.cli_ok({"publish", v2.string(), "--key", (fleet.dir() / "release.key").string(), "--group", "line"});
  // 33% of three devices is one: the canary. A soak of 4 s before the rest.
  std::printf("$ edgeai campaign create v2 --phases 33,100 --soak 4\n%s",
              fleet
                  .cli_ok({"campaign", "create", "--release", "tiny", "--version", "2.0.0", "--phases", "33,100",
                           "--soak", "4"})
                  .c_str());
  ASSERT_TRUE(wait_until(
      [&] { return fleet.record("cam-1").active_version == "2.0.0" && fleet.record("cam-1").state == "idle"; }, 60))
      << read_text(fleet.agent_log("cam-1"));
  // The canary is on v2; during the soak the others still run v1 and are not assigned yet.
  const json during = fleet.api("GET", "/api/v1/campaigns/2");
  std::printf("$ edgeai campaign status 2   (canary done, soaking)\n%s",
              fleet.cli_ok({"campaign", "status", "2"}).c_str());
  EXPECT_EQ(during["assignments"].size(), 1u) << during.dump(2);
  EXPECT_EQ(during["assignments"][0]["device"], "cam-1");
  EXPECT_EQ(fleet.record("cam-2").active_version, "1.0.0");
  EXPECT_EQ(fleet.record("cam-3").active_version, "1.0.0");
  EXPECT_EQ(model_outputs(fleet.active_model("cam-2")), v1_out);

  for (const char* name : {"cam-2", "cam-3"}) {
    ASSERT_TRUE(wait_until(
        [&] { return fleet.record(name).active_version == "2.0.0" && fleet.record(name).state == "idle"; }, 60))
        << name << ": " << read_text(fleet.agent_log(name));
  }
  ASSERT_TRUE(wait_until([&] { return fleet.api("GET", "/api/v1/campaigns/2")["state"] == "completed"; }, 30));
  const json done = fleet.api("GET", "/api/v1/campaigns/2");
  std::printf("$ edgeai campaign status 2\n%s", fleet.cli_ok({"campaign", "status", "2"}).c_str());
  ASSERT_EQ(done["assignments"].size(), 3u);
  for (const json& a : done["assignments"]) {
    EXPECT_EQ(a["result"], "installed") << a.dump();
    EXPECT_EQ(a["phase"], a["device"] == "cam-1" ? 0 : 1) << a.dump();
  }
  // The server's view agrees with each device's own.
  const std::string devices = fleet.cli_ok({"devices"});
  std::printf("$ edgeai devices\n%s", devices.c_str());
  const json fleet_devices = fleet.api("GET", "/api/v1/devices");
  for (const json& d : fleet_devices["devices"]) {
    EXPECT_EQ(d["active_version"], "2.0.0") << d.dump();
    EXPECT_EQ(d["state"], "idle") << d.dump();
  }
  EXPECT_NE(model_outputs(fleet.active_model("cam-2")), v1_out) << "v2 computes what v1 did";
  // v2 travelled as a model-aware delta from v1 (only the weights' changed bytes), and the
  // device rebuilt it and checked the signed hash (the state machine's verifying step).
  for (const std::string& name : names) {
    const std::string log = read_text(fleet.agent_log(name));
    const std::size_t at = log.find("delta: ");
    ASSERT_NE(at, std::string::npos) << name << " did not update by delta:\n" << log;
    long long sent = 0, whole = 0;
    ASSERT_EQ(std::sscanf(log.c_str() + at, "delta: %lld bytes instead of %lld", &sent, &whole), 2);
    std::printf("%s: v2 by delta, %lld bytes instead of %lld\n", name.c_str(), sent, whole);
    EXPECT_LT(sent * 4, whole) << name;
  }
  // Metrics count what happened.
  httplib::Client client(fleet.url());
  auto metrics = client.Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->body.find("edgeai_campaign_devices{campaign=\"2\",state=\"completed\",result=\"installed\"} 3"),
            std::string::npos)
      << metrics->body;
}

TEST_P(OtaEndToEnd, ABadReleaseRollsBackOnTheCanaryAndHaltsTheCampaign) {
  Fleet fleet(GetParam());
  const std::vector<std::string> names = {"cam-1", "cam-2", "cam-3"};
  roll_out_v1(fleet, names);
  const std::vector<float> v1_out = model_outputs(fleet.active_model("cam-1"));

  const fs::path bad = write_tiny_bundle(fleet.dir(), "2.0.0", 1.5f, /*bad=*/true);
  fleet.cli_ok({"publish", bad.string(), "--key", (fleet.dir() / "release.key").string(), "--group", "line"});
  fleet.cli_ok({"campaign", "create", "--release", "tiny", "--version", "2.0.0", "--phases", "33,100"});
  ASSERT_TRUE(wait_until([&] { return fleet.api("GET", "/api/v1/campaigns/2")["state"] == "halted"; }, 60))
      << fleet.api("GET", "/api/v1/campaigns/2").dump(2) << read_text(fleet.agent_log("cam-1"));
  // Give the others every chance to (wrongly) receive it.
  std::this_thread::sleep_for(std::chrono::seconds(4));
  const json c = fleet.api("GET", "/api/v1/campaigns/2");
  std::printf("$ edgeai campaign status 2\n%s", fleet.cli_ok({"campaign", "status", "2"}).c_str());
  std::printf("$ edgeai devices\n%s", fleet.cli_ok({"devices"}).c_str());
  ASSERT_EQ(c["assignments"].size(), 1u) << "a device past the canary received the bad release: " << c.dump(2);
  EXPECT_EQ(c["assignments"][0]["device"], "cam-1");
  EXPECT_EQ(c["assignments"][0]["result"], "failed");
  EXPECT_NE(c["halt_reason"].get<std::string>().find("golden vector"), std::string::npos) << c["halt_reason"];
  const DeviceRecord canary = fleet.record("cam-1");
  EXPECT_EQ(canary.state, "rolled_back");
  EXPECT_EQ(canary.active_version, "1.0.0");
  EXPECT_NE(canary.last_error.find("golden vector"), std::string::npos) << canary.last_error;
  EXPECT_EQ(model_outputs(fleet.active_model("cam-1")), v1_out);
  for (const char* name : {"cam-2", "cam-3"}) {
    const DeviceRecord r = fleet.record(name);
    EXPECT_EQ(r.active_version, "1.0.0") << name;
    EXPECT_NE(r.target.version, "2.0.0") << name << " started downloading the bad release";
  }
  // The server saw the canary's report, reason included.
  const json device = fleet.api("GET", "/api/v1/devices/cam-1");
  EXPECT_EQ(device["state"], "rolled_back");
  EXPECT_NE(device["last_error"].get<std::string>().find("golden vector"), std::string::npos);
  // A halted campaign can be resumed by hand; it is the operator's call.
  EXPECT_EQ(fleet.cli({"campaign", "halt", "2"}).exit_code, 1) << "halting a halted campaign should fail";
}

// HTTPS: the server with a certificate, the agent and the CLI verifying it; an agent that does
// not know the certificate refuses the server.
TEST(OtaHttps, AgentsEnrollAndUpdateOverTlsAndRefuseAnUnknownCertificate) {
  Fleet fleet("sqlite", {}, /*tls=*/true);
  ASSERT_EQ(fleet.url().rfind("https://", 0), 0u) << fleet.url();
  const std::vector<std::string> tokens = fleet.tokens("line", 2);
  // Without the certificate: no enrollment, a one-line error naming the TLS failure.
  const CommandResult refused = run_command({EDGEAI_AGENT_BIN, "--server", fleet.url(), "--data-dir",
                                             fleet.agent_dir("cam-x").string(), "--enroll", tokens[1], "--once"},
                                            fleet.dir());
  EXPECT_EQ(refused.exit_code, 1) << refused.output;
  EXPECT_NE(refused.output.find("SSL"), std::string::npos) << refused.output;
  EXPECT_FALSE(fs::exists(fleet.agent_dir("cam-x") / "identity"));
  ASSERT_EQ(fleet.agent_once("cam-1", tokens[0]).exit_code, 0) << read_text(fleet.agent_log("cam-1"));
  const fs::path v1 = write_tiny_bundle(fleet.dir(), "1.0.0", 1.0f);
  fleet.cli_ok({"publish", v1.string(), "--key", (fleet.dir() / "release.key").string(), "--group", "line"});
  fleet.cli_ok({"campaign", "create", "--release", "tiny", "--version", "1.0.0"});
  ASSERT_EQ(fleet.agent_once("cam-1").exit_code, 0) << read_text(fleet.agent_log("cam-1"));
  EXPECT_EQ(fleet.record("cam-1").active_version, "1.0.0");
  EXPECT_EQ(fleet.api("GET", "/api/v1/campaigns/1")["state"], "completed");
}

// Key rotation: the root rotates the release key (signed by the current root key and a new
// one); the server then refuses releases signed by the old release key, and a device that
// pinned root 1 walks to root 2 and installs a release signed by the new key. A root not
// signed by the current root's key is refused.
TEST(OtaKeyRotation, ANewReleaseKeyReachesDevicesThroughTheSignedRootChain) {
  Fleet fleet("sqlite");
  const std::vector<std::string> tokens = fleet.tokens("line", 1);
  ASSERT_EQ(fleet.agent_once("cam-1", tokens[0]).exit_code, 0);
  const std::string old_key = (fleet.dir() / "release.key").string();
  const fs::path v1 = write_tiny_bundle(fleet.dir(), "1.0.0", 1.0f);
  fleet.cli_ok({"publish", v1.string(), "--key", old_key, "--group", "line"});
  fleet.cli_ok({"campaign", "create", "--release", "tiny", "--version", "1.0.0"});
  ASSERT_EQ(fleet.agent_once("cam-1").exit_code, 0);
  ASSERT_EQ(fleet.record("cam-1").active_version, "1.0.0");

  ASSERT_TRUE(write_key_files((fleet.dir() / "release2").string(), generate_key_pair()).is_ok());
  ASSERT_TRUE(write_key_files((fleet.dir() / "root2").string(), generate_key_pair()).is_ok());
  // A rotation signed by a key the current root does not name: refused by the CLI and the server.
  const CommandResult forged = fleet.cli({"root", "rotate", "--root-key", (fleet.dir() / "root2.key").string(),
                                          "--release-pub", (fleet.dir() / "release2.pub").string()});
  EXPECT_EQ(forged.exit_code, 1) << forged.output;
  EXPECT_NE(forged.output.find("is not a key of the current root"), std::string::npos) << forged.output;
  {
    RootMetadata fake;
    fake.version = 2;
    fake.expires = format_utc(static_cast<std::int64_t>(std::time(nullptr)) + 3600);
    const KeyPair k = generate_key_pair();
    fake.keys[key_id(k.public_key)] = k.public_key;
    fake.root.keyids = fake.targets.keyids = fake.timestamp.keyids = {key_id(k.public_key)};
    const KeyPair* signers[] = {&k};
    int status = 0;
    fleet.api("POST", "/api/v1/root", sign_envelope(kRootType, root_to_json(fake), signers), "*admin*", &status);
    EXPECT_EQ(status, 422);
  }
  std::printf(
      "$ edgeai root rotate --new-root-key root2.key --release-pub release2.pub\n%s",
      fleet
          .cli_ok({"root", "rotate", "--root-key", (fleet.dir() / "root.key").string(), "--new-root-key",
                   (fleet.dir() / "root2.key").string(), "--release-pub", (fleet.dir() / "release2.pub").string()})
          .c_str());
  std::printf("$ edgeai root show\n%s", fleet.cli_ok({"root", "show"}).c_str());
  const fs::path v2 = write_tiny_bundle(fleet.dir(), "2.0.0", 1.5f);
  const CommandResult old_signed = fleet.cli({"publish", v2.string(), "--key", old_key, "--group", "line"});
  EXPECT_EQ(old_signed.exit_code, 1) << old_signed.output;
  EXPECT_NE(old_signed.output.find("HTTP 422"), std::string::npos) << old_signed.output;
  fleet.cli_ok({"publish", v2.string(), "--key", (fleet.dir() / "release2.key").string(), "--group", "line"});
  fleet.cli_ok({"campaign", "create", "--release", "tiny", "--version", "2.0.0"});
  const CommandResult updated = fleet.agent_once("cam-1");
  EXPECT_EQ(updated.exit_code, 0) << updated.output;
  EXPECT_NE(updated.output.find("root rotated to version 2"), std::string::npos) << updated.output;
  EXPECT_EQ(fleet.record("cam-1").active_version, "2.0.0") << updated.output;
  // The old root key alone can no longer rotate: the current root names root2.
  const CommandResult stale = fleet.cli({"root", "rotate", "--root-key", (fleet.dir() / "root.key").string(),
                                         "--release-pub", (fleet.dir() / "release.pub").string()});
  EXPECT_EQ(stale.exit_code, 1) << stale.output;
}

INSTANTIATE_TEST_SUITE_P(Engines, OtaEndToEnd, ::testing::Values("sqlite", "postgresql"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace edgeai
