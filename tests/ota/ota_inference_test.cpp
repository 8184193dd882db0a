// The hybrid loop end to end (issue 7): real `edgeai server` and `edgeai-agent` processes on
// 127.0.0.1, the agents streaming a source through the model the server assigned them.
//   - privacy: with default settings no request an agent makes carries input data (the server's
//     request log holds every body it received);
//   - offline: the server goes away while devices stream; afterwards every window arrived once
//     or was counted as dropped by the bounded outbox;
//   - drift: a shifted input distribution raises the drift alert, the in-distribution one does not;
//   - quality: a campaign whose new model is worse halts at the canary from telemetry alone, and the
//     rest of the fleet keeps the old model; in shadow mode an agreeing candidate is promoted and a
//     disagreeing one halted before any device installs it.
#include <gtest/gtest.h>
#include <stb/stb_image_write.h>

#include <random>
#include <set>

#include "../agent/tiny_classifier.hpp"
#include "agent/http_client.hpp"
#include "agent/journal.hpp"
#include "agent/telemetry_queue.hpp"
#include "data/telemetry_stats.hpp"
#include "fleet.hpp"

namespace edgeai {
namespace {

using namespace ota_testing;

// The tiny classifier (label = the largest of x0..x2, "c" an anomaly) with a baseline of 45 % a,
// 45 % b, 10 % c, every prediction above 0.9 confident: what the in-distribution stream gives.
// `c_bias` adds to c's logit: a mis-calibrated build that calls far more inputs c.
fs::path classifier(const fs::path& dir, const std::string& version, float c_bias = 0.0f, float scale = 10.0f,
                    bool image = false) {
  Bundle b = testing::tiny_classifier(version, image, scale);
  b.graph.constants["b"].data<float>()[2] = c_bias;
  PredictionBaseline baseline;
  baseline.class_mix = {0.45, 0.45, 0.10};
  baseline.confidence_histogram.assign(kConfidenceBins, 0.0);
  baseline.confidence_histogram[9] = 1.0;
  baseline.samples = 1000;
  write_baseline(baseline, b.manifest.metadata);
  if (image) {
    b.manifest.preprocessing.resize_height = 2;
    b.manifest.preprocessing.resize_width = 2;
  }
  testing::add_golden_vectors(b, 2);
  const fs::path path = dir / ("classifier-" + version + ".eai");
  EXPECT_TRUE(write_bundle(b, path.string()).is_ok());
  return path;
}

// Rows of the in-distribution stream: 9 a, 9 b, 2 c in every 20.
fs::path in_distribution_csv(const fs::path& dir) {
  std::string rows;
  for (int i = 0; i < 20; ++i) rows += i < 9 ? "1,0,0,0\n" : i < 18 ? "0,1,0,0\n" : "0,0,1,0\n";
  const fs::path path = dir / "stream.csv";
  std::ofstream(path) << rows;
  return path;
}

// A shifted stream: every input a tie between a and b (confidence 0.5, always "a").
fs::path shifted_csv(const fs::path& dir) {
  const fs::path path = dir / "shifted.csv";
  std::ofstream(path) << "0.5,0.5,0,0\n0.6,0.6,0,0\n";
  return path;
}

std::vector<std::string> streaming(const fs::path& csv, double fps = 200, double window = 0.3) {
  return {"--source",
          "csv:" + csv.string(),
          "--loop",
          "--fps",
          std::to_string(fps),
          "--window-seconds",
          std::to_string(window),
          "--telemetry-interval",
          "0.3"};
}

void publish(Fleet& fleet, const fs::path& bundle) {
  fleet.cli_ok({"publish", bundle.string(), "--key", (fleet.dir() / "release.key").string(), "--group", "line"});
}

json analytics(Fleet& fleet, const std::string& by) { return fleet.api("GET", "/api/v1/analytics?by=" + by); }

std::int64_t inferences_of(Fleet& fleet, const std::string& by, const std::string& key) {
  const json a = analytics(fleet, by);
  for (const json& g : a["groups"]) {
    if (g["key"] == key) return g["inferences"].get<std::int64_t>();
  }
  return 0;
}

TEST(OtaInference, NoRequestFromTheAgentCarriesInputData) {
  Fleet fleet("sqlite");
  fleet.stop_server();  // again, with every request written down
  const fs::path log = fleet.dir() / "requests.jsonl";
  fleet.start_server({"--request-log", log.string()});
  // Frames: 32x32 noise, so that any piece of a frame in a request would be found.
  const fs::path frames = fleet.dir() / "frames";
  fs::create_directories(frames);
  std::mt19937 rng(5);
  std::vector<std::string> pixels;
  for (int f = 0; f < 6; ++f) {
    std::vector<std::uint8_t> px(32 * 32);
    for (auto& p : px) p = static_cast<std::uint8_t>(rng());
    ASSERT_NE(stbi_write_png((frames / str_cat("frame", f, ".png")).c_str(), 32, 32, 1, px.data(), 32), 0);
    pixels.emplace_back(px.begin(), px.end());
  }
  publish(fleet, classifier(fleet.dir(), "1.0.0", 0, 10, true));
  fleet.cli_ok({"campaign", "create", "--release", "tiny-classifier", "--version", "1.0.0"});
  const std::vector<std::string> tokens = fleet.tokens("line", 1);
  fleet.start_agent("cam-1", tokens[0],
                    {"--source", "images:" + frames.string(), "--loop", "--fps", "100", "--window-seconds", "0.3",
                     "--telemetry-interval", "0.3"});
  ASSERT_TRUE(wait_until([&] { return inferences_of(fleet, "device", "cam-1") >= 200; }, 60))
      << read_text(fleet.agent_log("cam-1"));
  ASSERT_EQ(WEXITSTATUS(fleet.terminate_agent("cam-1")), 0) << read_text(fleet.agent_log("cam-1"));

  // Every body the server received from the device: no piece of a frame, and telemetry made of
  // aggregate fields only.
  const std::set<std::string> window_keys = {
      "start",  "end",    "model_version",        "inferences", "anomalies",       "uncertain",         "dropped",
      "errors", "counts", "confidence_histogram", "latency_ms", "latency_buckets", "events_suppressed", "shadow"};
  const std::set<std::string> event_keys = {"time", "model_version",  "label", "count",   "from",
                                            "to",   "min_confidence", "type",  "message", "confidence"};
  std::vector<std::string> file_bytes;
  for (const auto& entry : fs::directory_iterator(frames)) file_bytes.push_back(read_text(entry.path()));
  std::ifstream in(log);
  int device_requests = 0, items = 0;
  for (std::string line; std::getline(in, line);) {
    const json r = json::parse(line);
    const std::string path = r["path"];
    if (path.rfind("/api/v1/device/", 0) != 0 && path != "/api/v1/enroll") continue;
    ++device_requests;
    const std::string body = r["body"];
    for (const std::string& frame : pixels) {
      for (std::size_t at = 0; at + 16 <= frame.size(); at += 16) {
        ASSERT_EQ(body.find(frame.substr(at, 16)), std::string::npos) << path << " carries pixels of a frame";
      }
    }
    for (const std::string& file : file_bytes) {
      for (std::size_t at = 0; at + 16 <= file.size(); at += 16) {
        ASSERT_EQ(body.find(file.substr(at, 16)), std::string::npos) << path << " carries bytes of a frame file";
      }
    }
    if (path != "/api/v1/device/telemetry") continue;
    const json batch = json::parse(body);
    for (const json& item : batch["items"]) {
      ++items;
      const json content = json::parse(item["body"].get<std::string>());
      const std::set<std::string>& allowed = item["kind"] == "window" ? window_keys : event_keys;
      for (const auto& [key, value] : content.items()) {
        EXPECT_EQ(allowed.count(key), 1u) << "telemetry field '" << key << "' is not an aggregate";
        EXPECT_FALSE(value.is_string() && value.get<std::string>().size() > 100) << key;
      }
    }
  }
  EXPECT_GT(device_requests, 3);
  EXPECT_GT(items, 0) << "no telemetry reached the server";
}

TEST(OtaInference, WindowsArriveOnceOrAreCountedAsDroppedAcrossAServerOutage) {
  Fleet fleet("sqlite");
  publish(fleet, classifier(fleet.dir(), "1.0.0"));
  fleet.cli_ok({"campaign", "create", "--release", "tiny-classifier", "--version", "1.0.0"});
  const std::vector<std::string> tokens = fleet.tokens("line", 1);
  // Only a and b: windows and no events, so that items = windows.
  const fs::path csv = fleet.dir() / "ab.csv";
  std::ofstream(csv) << "1,0,0,0\n0,1,0,0\n";
  std::vector<std::string> args = streaming(csv, 100, 0.2);
  args.insert(args.end(), {"--telemetry-max-items", "6"});
  fleet.start_agent("dev-1", tokens[0], args);
  auto stored = [&] { return fleet.api("GET", "/api/v1/devices/dev-1/telemetry?kind=window"); };
  ASSERT_TRUE(wait_until([&] { return stored()["items"].size() >= 3; }, 60)) << read_text(fleet.agent_log("dev-1"));
  const int port = fleet.port();
  fleet.stop_server();
  std::this_thread::sleep_for(std::chrono::seconds(3));  // ~15 windows: more than the outbox keeps
  fleet.start_server({}, port);                          // back where the devices know it
  ASSERT_TRUE(wait_until([&] { return stored()["dropped"].get<std::int64_t>() > 0; }, 60))
      << "the outbox dropped nothing: " << read_text(fleet.agent_log("dev-1"));
  ASSERT_EQ(WEXITSTATUS(fleet.terminate_agent("dev-1")), 0);
  const std::string log = read_text(fleet.agent_log("dev-1"));
  const std::size_t at = log.rfind("telemetry windows ");
  ASSERT_NE(at, std::string::npos) << log;
  const std::int64_t produced = std::atoll(log.c_str() + at + 18);

  const json server = stored();
  std::set<std::int64_t> sequences;
  for (const json& item : server["items"]) sequences.insert(item["sequence"].get<std::int64_t>());
  EXPECT_EQ(sequences.size(), server["items"].size()) << "a window was stored twice";
  auto queue = TelemetryQueue::open((fleet.agent_dir("dev-1") / "telemetry.db").string(), 6);
  ASSERT_TRUE(queue.is_ok());
  EXPECT_EQ(*(*queue)->size(), 0) << "the agent's last flush left items behind";
  const std::int64_t dropped = server["dropped"];
  EXPECT_EQ(dropped, *(*queue)->dropped());
  std::printf("  windows produced %lld: stored %zu, dropped %lld while the server was away\n",
              static_cast<long long>(produced), sequences.size(), static_cast<long long>(dropped));
  EXPECT_EQ(static_cast<std::int64_t>(sequences.size()) + dropped, produced);
  EXPECT_EQ(*sequences.rbegin(), produced) << "sequence numbers are the windows' order";
}

TEST(OtaInference, AShiftedInputDistributionRaisesTheDriftAlert) {
  Fleet fleet("sqlite", {"--drift-min-inferences", "100"});
  publish(fleet, classifier(fleet.dir(), "1.0.0"));
  fleet.cli_ok({"campaign", "create", "--release", "tiny-classifier", "--version", "1.0.0"});
  const std::vector<std::string> tokens = fleet.tokens("line", 2);
  fleet.start_agent("steady", tokens[0], streaming(in_distribution_csv(fleet.dir())));
  fleet.start_agent("shifted", tokens[1], streaming(shifted_csv(fleet.dir())));
  auto alerts = [&] { return fleet.api("GET", "/api/v1/alerts")["alerts"]; };
  ASSERT_TRUE(wait_until(
      [&] {
        for (const json& a : alerts()) {
          if (a["kind"] == "drift" && a["device"] == "shifted") return true;
        }
        return false;
      },
      60))
      << read_text(fleet.server_log());
  // The steady device has streamed as long: enough for a score, and below the threshold.
  ASSERT_TRUE(wait_until([&] { return inferences_of(fleet, "device", "steady") >= 300; }, 60));
  for (const json& a : alerts()) EXPECT_NE(a["device"], "steady") << a.dump();
  const json by_device = analytics(fleet, "device");
  for (const json& g : by_device["groups"]) {
    ASSERT_TRUE(g.contains("drift")) << g.dump();
    const double psi = g["drift"]["psi"];
    std::printf("  %s: PSI %.3f over %lld inferences\n", g["key"].get<std::string>().c_str(), psi,
                g["inferences"].get<long long>());
    if (g["key"] == "steady") {
      EXPECT_LT(psi, 0.1);
    } else {
      EXPECT_GT(psi, 1.0);
    }
  }
}

TEST(OtaInference, AWorseModelHaltsAtTheCanaryFromTelemetryAlone) {
  Fleet fleet("sqlite");
  publish(fleet, classifier(fleet.dir(), "1.0.0"));
  fleet.cli_ok({"campaign", "create", "--release", "tiny-classifier", "--version", "1.0.0"});
  const std::vector<std::string> tokens = fleet.tokens("line", 3);
  const fs::path csv = in_distribution_csv(fleet.dir());
  for (int i = 0; i < 3; ++i)
    fleet.start_agent(str_cat("dev-", i), tokens[static_cast<std::size_t>(i)], streaming(csv));
  ASSERT_TRUE(wait_until([&] { return inferences_of(fleet, "version", "1.0.0") >= 600; }, 60));
  // 2.0.0 installs, validates and runs fine: only its predictions are worse (c for nearly all).
  publish(fleet, classifier(fleet.dir(), "2.0.0", 10.5f));
  const std::string created =
      fleet.cli_ok({"campaign", "create", "--release", "tiny-classifier", "--version", "2.0.0", "--phases", "33,100",
                    "--max-anomaly-increase", "0.1", "--min-inferences", "150"});
  json campaign;
  ASSERT_TRUE(wait_until(
      [&] {
        campaign = fleet.api("GET", "/api/v1/campaigns/2");
        return campaign["state"] == "halted";
      },
      60))
      << campaign.dump(2) << read_text(fleet.server_log());
  std::printf("  halted: %s\n", campaign["halt_reason"].get<std::string>().c_str());
  EXPECT_NE(campaign["halt_reason"].get<std::string>().find("anomaly rate"), std::string::npos);
  ASSERT_EQ(campaign["assignments"].size(), 1u) << "only the canary got 2.0.0";
  EXPECT_EQ(campaign["counts"]["installed"], 1) << "it installed cleanly: no failure halted the campaign";
  const std::string canary = campaign["assignments"][0]["device"];
  std::this_thread::sleep_for(std::chrono::seconds(3));  // the rest of the fleet gets nothing more
  for (int i = 0; i < 3; ++i) {
    const std::string name = str_cat("dev-", i);
    EXPECT_EQ(fleet.record(name).active_version, name == canary ? "2.0.0" : "1.0.0") << name;
  }
  bool alerted = false;
  const json alerts = fleet.api("GET", "/api/v1/alerts");
  for (const json& a : alerts["alerts"]) alerted = alerted || a["kind"] == "quality";
  EXPECT_TRUE(alerted);
}

TEST(OtaInference, ShadowModePromotesAnAgreeingCandidateAndHaltsADisagreeingOne) {
  Fleet fleet("sqlite");
  publish(fleet, classifier(fleet.dir(), "1.0.0"));
  fleet.cli_ok({"campaign", "create", "--release", "tiny-classifier", "--version", "1.0.0"});
  const std::vector<std::string> tokens = fleet.tokens("line", 2);
  const fs::path csv = in_distribution_csv(fleet.dir());
  for (int i = 0; i < 2; ++i)
    fleet.start_agent(str_cat("dev-", i), tokens[static_cast<std::size_t>(i)], streaming(csv));
  ASSERT_TRUE(wait_until([&] { return inferences_of(fleet, "version", "1.0.0") >= 200; }, 60));

  // 1.1.0 gives the same labels with other confidences: promoted, then installed everywhere.
  publish(fleet, classifier(fleet.dir(), "1.1.0", 0.0f, 12.0f));
  fleet.cli_ok({"campaign", "create", "--release", "tiny-classifier", "--version", "1.1.0", "--shadow",
                "--min-inferences", "200", "--min-agreement", "0.95"});
  json c2;
  ASSERT_TRUE(wait_until(
      [&] {
        c2 = fleet.api("GET", "/api/v1/campaigns/2");
        return c2["state"] == "completed";
      },
      90))
      << c2.dump(2) << read_text(fleet.server_log());
  EXPECT_EQ(c2["quality"]["mode"], "rollout");
  EXPECT_EQ(c2["quality"]["verdict"].get<std::string>().rfind("promoted", 0), 0u) << c2["quality"].dump();
  std::printf("  %s\n", c2["quality"]["verdict"].get<std::string>().c_str());
  for (int i = 0; i < 2; ++i) EXPECT_EQ(fleet.record(str_cat("dev-", i)).active_version, "1.1.0");

  // 2.0.0 calls far more inputs c: halted in shadow mode, and no device ever installs it.
  publish(fleet, classifier(fleet.dir(), "2.0.0", 10.5f));
  fleet.cli_ok({"campaign", "create", "--release", "tiny-classifier", "--version", "2.0.0", "--shadow",
                "--min-inferences", "200", "--min-agreement", "0.95"});
  json c3;
  ASSERT_TRUE(wait_until(
      [&] {
        c3 = fleet.api("GET", "/api/v1/campaigns/3");
        return c3["state"] == "halted";
      },
      90))
      << c3.dump(2) << read_text(fleet.server_log());
  std::printf("  %s\n", c3["halt_reason"].get<std::string>().c_str());
  EXPECT_NE(c3["halt_reason"].get<std::string>().find("shadow agreement"), std::string::npos);
  EXPECT_EQ(c3["counts"]["installed"], 0);
  ASSERT_TRUE(wait_until(
      [&] {
        return read_text(fleet.agent_log("dev-0")).find("shadow: ended") != std::string::npos &&
               read_text(fleet.agent_log("dev-1")).find("shadow: ended") != std::string::npos;
      },
      30));
  for (int i = 0; i < 2; ++i) EXPECT_EQ(fleet.record(str_cat("dev-", i)).active_version, "1.1.0");
}

// The dashboard end to end in headless Chromium (tests/browser/dashboard_check.mjs): the page
// loads with no console errors, shows the test fleet's devices and the campaign's progress; the
// screenshot is kept in build/test-artifacts/. And `edgeai report --html` writes the same page
// with the data in it.
TEST(OtaInference, TheDashboardShowsTheFleetAndTheCampaignInABrowser) {
  const fs::path browser_dir = fs::path(EDGEAI_SOURCE_DIR) / "tests" / "browser";
  ASSERT_TRUE(fs::exists(browser_dir / "node_modules" / "playwright-core"))
      << "playwright-core is missing: scripts/test.sh installs it (cd tests/browser && npm install)";
  ASSERT_TRUE(fs::exists("/usr/bin/chromium")) << "chromium is missing: scripts/install-deps.sh installs it";
  Fleet fleet("sqlite");
  publish(fleet, classifier(fleet.dir(), "1.0.0"));
  fleet.cli_ok({"campaign", "create", "--release", "tiny-classifier", "--version", "1.0.0", "--phases", "50,100"});
  const std::vector<std::string> tokens = fleet.tokens("line", 2);
  const fs::path csv = in_distribution_csv(fleet.dir());
  for (int i = 0; i < 2; ++i)
    fleet.start_agent(str_cat("cam-", i), tokens[static_cast<std::size_t>(i)], streaming(csv));
  ASSERT_TRUE(wait_until([&] { return inferences_of(fleet, "device", "cam-1") >= 100; }, 60));

  const fs::path artifacts = fs::path(EDGEAI_BINARY_DIR) / "test-artifacts";
  fs::create_directories(artifacts);
  const fs::path screenshot = artifacts / "dashboard.png";
  fs::remove(screenshot);
  const CommandResult r = run_command({"/usr/bin/node", (browser_dir / "dashboard_check.mjs").string(), fleet.url(),
                                       fleet.admin_token(), screenshot.string(), "1", "cam-0", "cam-1"},
                                      fleet.dir());
  std::printf("  %s", r.output.c_str());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const json seen = json::parse(r.output.substr(r.output.find('{')));
  EXPECT_EQ(seen["console_errors"].size(), 0u);
  EXPECT_EQ(seen["campaign_progress"], "2 installed, 0 pending, 0 failed");
  EXPECT_GE(seen["charts"].get<int>(), 3);
  EXPECT_GT(fs::file_size(screenshot), 10000u);

  const fs::path report = fleet.dir() / "fleet.html";
  const std::string summary = fleet.cli_ok({"report", "--html", report.string()});
  EXPECT_NE(summary.find("fleet: 2 devices"), std::string::npos) << summary;
  EXPECT_NE(summary.find("2 on 1.0.0"), std::string::npos) << summary;
  const std::string html = read_text(report);
  EXPECT_NE(html.find("\"cam-1\""), std::string::npos) << "the report embeds the fleet's data";
  EXPECT_EQ(html.find("@@DATA@@"), std::string::npos);
}

// Opt-in retraining data: a campaign that asks for samples gets at most its hourly allowance of
// uncertain inputs from each device, raw; `edgeai dataset pull` makes a folder data set of them
// (one folder per predicted label) that `edgeai eval`/`train --data` read.
TEST(OtaInference, SamplesLeaveADeviceOnlyWhenItsCampaignOptsIn) {
  Fleet fleet("sqlite");
  const fs::path frames = fleet.dir() / "frames";
  fs::create_directories(frames);
  std::mt19937 rng(9);
  for (int f = 0; f < 8; ++f) {
    std::vector<std::uint8_t> px(16 * 16);
    for (auto& p : px) p = static_cast<std::uint8_t>(rng());
    ASSERT_NE(stbi_write_png((frames / str_cat("f", f, ".png")).c_str(), 16, 16, 1, px.data(), 16), 0);
  }
  const fs::path model = classifier(fleet.dir(), "1.0.0", 0, 10, true);
  publish(fleet, model);
  fleet.cli_ok({"campaign", "create", "--release", "tiny-classifier", "--version", "1.0.0", "--collect-samples", "5",
                "--collect-below", "0.99"});
  const std::vector<std::string> tokens = fleet.tokens("line", 1);
  fleet.start_agent("cam-1", tokens[0],
                    {"--source", "images:" + frames.string(), "--loop", "--fps", "100", "--window-seconds", "0.3",
                     "--telemetry-interval", "0.3"});
  ASSERT_TRUE(wait_until([&] { return inferences_of(fleet, "device", "cam-1") >= 300; }, 60))
      << read_text(fleet.agent_log("cam-1"));
  const json samples = fleet.api("GET", "/api/v1/samples")["samples"];
  EXPECT_EQ(samples.size(), 5u) << "the allowance is 5 an hour; noise frames are all uncertain";
  for (const json& s : samples) {
    EXPECT_EQ(s["media_type"], "image/png");
    EXPECT_LT(s["confidence"].get<double>(), 0.99);
  }
  const fs::path pulled = fleet.dir() / "pulled";
  const std::string out = fleet.cli_ok({"dataset", "pull", "--out", pulled.string()});
  EXPECT_NE(out.find("pulled 5 samples"), std::string::npos) << out;
  // A folder data set: the frames as the device saw them, readable by `edgeai eval --data`.
  std::set<std::string> frame_files;
  for (const auto& e : fs::directory_iterator(frames)) frame_files.insert(read_text(e.path()));
  int files = 0;
  for (const auto& e : fs::recursive_directory_iterator(pulled)) {
    if (!e.is_regular_file()) continue;
    ++files;
    EXPECT_EQ(frame_files.count(read_text(e.path())), 1u) << e.path() << " is not one of the frames";
  }
  EXPECT_EQ(files, 5);
  CommandResult eval = run_command({EDGEAI_BIN, "eval", model.string(), "--data", pulled.string()}, fleet.dir());
  EXPECT_EQ(eval.exit_code, 0) << eval.output;

  // The next release's campaign does not opt in: the device stops collecting.
  publish(fleet, classifier(fleet.dir(), "1.0.1", 0, 10, true));
  fleet.cli_ok({"campaign", "create", "--release", "tiny-classifier", "--version", "1.0.1"});
  ASSERT_TRUE(
      wait_until([&] { return read_text(fleet.agent_log("cam-1")).find("samples: none") != std::string::npos; }, 30));
}

// Bad input on the cloud side: quality limits out of range are refused with the reason; a
// window that does not parse is kept raw but not counted in the analytics; a raw sample from a
// device whose campaign did not opt in is refused (and the batch still acknowledged).
TEST(OtaInference, BadPoliciesWindowsAndUnaskedSamplesAreRefused) {
  Fleet fleet("sqlite");
  publish(fleet, classifier(fleet.dir(), "1.0.0"));
  for (const std::vector<std::string>& bad : {std::vector<std::string>{"--min-agreement", "2"},
                                              {"--max-anomaly-increase", "1.5"},
                                              {"--collect-samples", "-1"},
                                              {"--min-inferences", "0"}}) {
    std::vector<std::string> args = {"campaign", "create", "--release", "tiny-classifier", "--version", "1.0.0"};
    args.insert(args.end(), bad.begin(), bad.end());
    const CommandResult r = fleet.cli(args);
    EXPECT_NE(r.exit_code, 0) << bad[0];
    EXPECT_NE(r.output.find("HTTP 400"), std::string::npos) << r.output;
  }
  EXPECT_EQ(fleet.api("GET", "/api/v1/campaigns")["campaigns"].size(), 0u) << "a refused campaign was kept";

  fleet.cli_ok({"campaign", "create", "--release", "tiny-classifier", "--version", "1.0.0"});
  const std::vector<std::string> tokens = fleet.tokens("line", 1);
  ASSERT_EQ(fleet.agent_once("dev-1", tokens[0]).exit_code, 0);
  const json identity =
      json::parse(*Journal((fleet.agent_dir("dev-1") / "identity").string()).read().value(), nullptr, false);
  auto http = HttpClient::create(fleet.url());
  ASSERT_TRUE(http.is_ok());
  (*http)->set_credential(identity["credential"].get<std::string>());
  const json good_window = {
      {"model_version", "1.0.0"}, {"inferences", 10}, {"counts", {{"a", 10}}}, {"start", 1.0}, {"end", 2.0}};
  const json items =
      json::array({{{"sequence", 1}, {"kind", "window"}, {"body", "{not json"}, {"created_at", 1}},
                   {{"sequence", 2}, {"kind", "window"}, {"body", json{{"inferences", 5}}.dump()}, {"created_at", 1}},
                   {{"sequence", 3},
                    {"kind", "sample"},
                    {"body", json{{"label", "a"}, {"media_type", "image/png"}, {"data", "AAAA"}}.dump()},
                    {"created_at", 1}},
                   {{"sequence", 4}, {"kind", "window"}, {"body", good_window.dump()}, {"created_at", 1}}});
  Result<HttpReply> reply =
      (*http)->post_json("/api/v1/device/telemetry", json{{"dropped", 0}, {"items", items}}.dump());
  ASSERT_TRUE(reply.is_ok());
  ASSERT_EQ(reply->status, 200) << reply->body;
  EXPECT_EQ(json::parse(reply->body)["acknowledged"], 4);
  EXPECT_EQ(fleet.api("GET", "/api/v1/samples")["samples"].size(), 0u) << "a sample nobody asked for was kept";
  EXPECT_EQ(inferences_of(fleet, "device", "dev-1"), 10) << "only the well-formed window counts";
  EXPECT_NE(read_text(fleet.server_log()).find("refused a sample from dev-1"), std::string::npos);
}

}  // namespace
}  // namespace edgeai
