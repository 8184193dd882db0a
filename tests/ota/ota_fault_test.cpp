// Fault injection over real agents (issue 6): five devices take ten updates each from a real
// server; in every update each agent is killed with SIGKILL once: right after each state of
// the machine is journaled (downloading, verifying, installing, validating, active), at a
// random byte of the download, or at a random instant from outside. After each kill the device
// must still have a working active model (it loads and reproduces its golden vectors); after a
// restart it must converge to the target version. Prints the trials and the failures (0).
#include <gtest/gtest.h>

#include <random>

#include "agent/validate.hpp"
#include "fleet.hpp"

namespace edgeai {
namespace {

using namespace ota_testing;

// The active model works: it loads and reproduces its golden vectors.
bool works(Fleet& fleet, const std::string& name, std::string& why) {
  const fs::path model = fleet.active_model(name);
  if (model.empty()) {
    why = "no active model";
    return false;
  }
  Result<ValidationReport> report = validate_bundle(model.string());
  if (!report.is_ok()) why = report.status().to_string();
  return report.is_ok();
}

TEST(OtaFaults, AgentsKilledAtEveryStateAndMidDownloadConvergeWithAWorkingModel) {
  Fleet fleet("sqlite");
  constexpr int kDevices = 5, kRounds = 10;
  const std::vector<std::string> tokens = fleet.tokens("fault", kDevices);
  std::vector<std::string> names;
  for (int i = 0; i < kDevices; ++i) {
    names.push_back("dev-" + std::to_string(i));
    ASSERT_EQ(fleet.agent_once(names.back(), tokens[i]).exit_code, 0) << read_text(fleet.agent_log(names.back()));
  }
  const std::string key = (fleet.dir() / "release.key").string();
  // v1 everywhere, without faults: every later kill has a model to keep.
  const fs::path v1 = write_tiny_bundle(fleet.dir(), "1.0.0", 1.0f);
  fleet.cli_ok({"publish", v1.string(), "--key", key, "--group", "fault"});
  fleet.cli_ok({"campaign", "create", "--release", "tiny", "--version", "1.0.0"});
  for (const std::string& name : names) {
    ASSERT_EQ(fleet.agent_once(name).exit_code, 0) << read_text(fleet.agent_log(name));
    ASSERT_EQ(fleet.record(name).active_version, "1.0.0");
  }

  static const char* const kStates[] = {"downloading", "verifying", "installing", "validating", "active"};
  std::mt19937 rng(20261126);
  int trials = 0, failures = 0, killed = 0;
  std::map<std::string, int> by_fault;
  for (int round = 0; round < kRounds; ++round) {
    const std::string version = std::to_string(round + 2) + ".0.0";
    const fs::path bundle = write_tiny_bundle(fleet.dir(), version, 1.0f + 0.125f * static_cast<float>(round + 1));
    const std::int64_t size = static_cast<std::int64_t>(fs::file_size(bundle));
    fleet.cli_ok({"publish", bundle.string(), "--key", key, "--group", "fault"});
    fleet.cli_ok({"campaign", "create", "--release", "tiny", "--version", version});
    for (int d = 0; d < kDevices; ++d) {
      const std::string& name = names[d];
      const int kind = (round * kDevices + d) % 7;
      std::string fault;
      CommandResult first;
      if (kind < 5) {
        fault = std::string("kill-after:") + kStates[kind];
        first = fleet.agent_once(name, "", "", {"EDGEAI_AGENT_FAULT=" + fault});
      } else if (kind == 5) {
        fault = "kill-at-byte:" + std::to_string(std::uniform_int_distribution<std::int64_t>(1, size - 1)(rng));
        first = fleet.agent_once(name, "", "", {"EDGEAI_AGENT_FAULT=" + fault});
      } else {
        // From outside, at a random instant of the round.
        fault = "external SIGKILL";
        // An update takes tens of milliseconds here: kill within that.
        const int delay_ms = std::uniform_int_distribution<int>(0, 20)(rng);
        Process p({EDGEAI_AGENT_BIN, "--data-dir", fleet.agent_dir(name).string(), "--once"}, fleet.agent_log(name));
        std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
        p.signal(SIGKILL);
        const int status = p.wait();
        first.killed_by_sigkill = WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
        first.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      ++trials;
      ++by_fault[fault.substr(0, fault.find(':', 12) == std::string::npos ? fault.size() : fault.find(':', 12))];
      if (kind < 6) {
        EXPECT_TRUE(first.killed_by_sigkill) << name << " " << fault << " did not fire:\n" << first.output;
      }
      killed += first.killed_by_sigkill;
      std::string why;
      bool ok = works(fleet, name, why);
      if (!ok) ADD_FAILURE() << name << " after " << fault << ": no working model: " << why;
      // Restart: rounds until it settles (the first one normally finishes the update).
      const auto settled = [&] {
        return fleet.record(name).active_version == version && fleet.record(name).state == "idle";
      };
      for (int attempt = 0; attempt < 5 && !settled(); ++attempt) {
        fleet.agent_once(name);
      }
      const DeviceRecord r = fleet.record(name);
      if (r.active_version != version || r.state != "idle") {
        ok = false;
        ADD_FAILURE() << name << " after " << fault << ": " << r.state << " on " << r.active_version
                      << ", want idle on " << version << "\n"
                      << read_text(fleet.agent_log(name));
      }
      if (!works(fleet, name, why)) {
        ok = false;
        ADD_FAILURE() << name << " after " << fault << " and a restart: " << why;
      }
      failures += !ok;
    }
  }
  // The server saw every device finish every campaign.
  const json campaigns = fleet.api("GET", "/api/v1/campaigns");
  ASSERT_EQ(campaigns["campaigns"].size(), static_cast<std::size_t>(kRounds + 1));
  for (const json& c : campaigns["campaigns"]) {
    EXPECT_EQ(c["counts"]["installed"], kDevices) << c.dump(2);
  }
  std::printf("fault injection: %d trials (%d killed by SIGKILL), %d failures\n", trials, killed, failures);
  for (const auto& [fault, n] : by_fault) std::printf("  %-24s %d\n", fault.c_str(), n);
  EXPECT_GE(trials, 50);
  EXPECT_EQ(failures, 0);
}

}  // namespace
}  // namespace edgeai
