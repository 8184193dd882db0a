// Bad input to the server, the fleet commands and the agent that the security matrix does not
// cover: each refused with a one-line reason, nothing changed.
#include <gtest/gtest.h>

#include "fleet.hpp"

namespace edgeai {
namespace {

using namespace ota_testing;

TEST(OtaBadInput, TheServerAndTheCommandsRefuseWhatTheyCannotUse) {
  Fleet fleet("sqlite");
  const fs::path scratch = fleet.dir();
  // A first start without the keys that sign the root; a listen address without a port; TLS half set.
  CommandResult r = run_command({EDGEAI_BIN, "server", "--data-dir", (scratch / "fresh").string()}, scratch);
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("--root-key"), std::string::npos) << r.output;
  r = run_command({EDGEAI_BIN, "server", "--data-dir", fleet.server_dir().string(), "--listen", "localhost"}, scratch);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("expected HOST:PORT"), std::string::npos) << r.output;
  r = run_command({EDGEAI_BIN, "server", "--data-dir", fleet.server_dir().string(), "--tls-cert", "x.pem"}, scratch);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("go together"), std::string::npos) << r.output;

  // The agent: no enrollment without a token, no server that is not http(s).
  r = run_command({EDGEAI_AGENT_BIN, "--server", fleet.url(), "--data-dir", (scratch / "a1").string(), "--once"},
                  scratch);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("pass --enroll TOKEN"), std::string::npos) << r.output;
  r = run_command({EDGEAI_AGENT_BIN, "--server", "ftp://127.0.0.1:1", "--data-dir", (scratch / "a2").string(),
                   "--enroll", "enr_x", "--once"},
                  scratch);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("must start with http:// or https://"), std::string::npos) << r.output;

  // Operator API: unsafe group, unknown device, phases that do not end at 100.
  int status = 0;
  fleet.api("POST", "/api/v1/enrollment-tokens", json{{"group", "../x"}}.dump(), "*admin*", &status);
  EXPECT_EQ(status, 400);
  fleet.api("PUT", "/api/v1/devices/nobody", json{{"group", "line"}}.dump(), "*admin*", &status);
  EXPECT_EQ(status, 404);
  const std::vector<std::string> tokens = fleet.tokens("line", 1);
  ASSERT_EQ(fleet.agent_once("dev-a", tokens[0]).exit_code, 0);
  const fs::path v1 = write_tiny_bundle(scratch, "1.0.0", 1.0f);
  fleet.cli_ok({"publish", v1.string(), "--key", (scratch / "release.key").string(), "--group", "line"});
  fleet.api("POST", "/api/v1/campaigns", json{{"release", "tiny"}, {"version", "1.0.0"}, {"phases", {50}}}.dump(),
            "*admin*", &status);
  EXPECT_EQ(status, 400);
  EXPECT_EQ(fleet.cli({"campaign", "create", "--release", "tiny", "--version", "1.0.0", "--phases", "5,x"}).exit_code,
            1);

  // Device API: telemetry batches too large, a delta from something that is not a sha256.
  const json identity =
      json::parse(*Journal((fleet.agent_dir("dev-a") / "identity").string()).read().value(), nullptr, false);
  const std::string credential = identity["credential"];
  json many = json::array();
  for (int i = 1; i <= 1001; ++i) many.push_back({{"sequence", i}, {"kind", "w"}, {"body", "{}"}, {"created_at", 0}});
  fleet.api("POST", "/api/v1/device/telemetry", json{{"items", many}}.dump(), credential, &status);
  EXPECT_EQ(status, 400);
  fleet.api(
      "POST", "/api/v1/device/telemetry",
      json{{"items", {{{"sequence", 1}, {"kind", "w"}, {"body", std::string(70000, 'x')}, {"created_at", 0}}}}}.dump(),
      credential, &status);
  EXPECT_EQ(status, 400);
  fleet.api("GET", "/api/v1/device/deltas/" + std::string(64, 'a') + "?from=../../admin-token", "", credential,
            &status);
  EXPECT_EQ(status, 400);
  fleet.api("GET", "/api/v1/device/deltas/" + std::string(64, 'a') + "?from=" + std::string(64, 'b'), "", credential,
            &status);
  EXPECT_EQ(status, 404) << "a delta between bundles never assigned to the device";
  EXPECT_EQ(fleet.api("GET", "/api/v1/devices/dev-a/telemetry")["items"].size(), 0u) << "a refused batch stored";

  // A rotation that chains but drops the server's own timestamp key would orphan every device.
  {
    const KeyPair root_key = *read_secret_key_file((scratch / "root.key").string());
    const json current = fleet.api("GET", "/api/v1/root");
    RootMetadata next = *root_from_json(parse_envelope(current.dump())->payload);
    next.version += 1;
    const KeyPair other = generate_key_pair();
    next.keys[key_id(other.public_key)] = other.public_key;
    next.timestamp.keyids = {key_id(other.public_key)};
    const KeyPair* signers[] = {&root_key};
    fleet.api("POST", "/api/v1/root", sign_envelope(kRootType, root_to_json(next), signers), "*admin*", &status);
    EXPECT_EQ(status, 422);
    EXPECT_EQ(fleet.api("GET", "/api/v1/root").dump(), current.dump()) << "the root changed anyway";
  }
}

}  // namespace
}  // namespace edgeai
