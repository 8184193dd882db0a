// The device's inference service (issue 7): the model runner's events, the sources (frame
// pacing with drops, image folders, y4m video, CSV, WFDB records), the telemetry windows and
// alerts, model switches between two inferences, shadow mode, and the local endpoint on
// 127.0.0.1.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stb/stb_image_write.h>

#include <atomic>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "agent/inference_service.hpp"
#include "agent/local_endpoint.hpp"
#include "data/mitdb.hpp"
#include "data/rpeak.hpp"
#include "data/wfdb.hpp"
#include "tiny_classifier.hpp"

namespace edgeai {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

class InferenceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("edgeai_inference_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write(const Bundle& bundle, const std::string& name) {
    const std::string path = (dir_ / name).string();
    EXPECT_TRUE(write_bundle(bundle, path).is_ok());
    return path;
  }
  std::string file(const std::string& name, const std::string& text) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }
  void png(const std::string& name, std::vector<std::uint8_t> gray) {
    const fs::path path = dir_ / name;
    fs::create_directories(path.parent_path());
    ASSERT_NE(stbi_write_png(path.string().c_str(), 2, 2, 1, gray.data(), 2), 0);
  }

  fs::path dir_;
};

std::vector<json> queue_items(TelemetryQueue& q, const std::string& kind) {
  std::vector<json> out;
  Result<std::vector<TelemetryItem>> items = q.peek(100000);
  EXPECT_TRUE(items.is_ok());
  for (const TelemetryItem& item : *items) {
    if (item.kind == kind) out.push_back(json::parse(item.body));
  }
  return out;
}

TEST_F(InferenceTest, RunnerGivesSoftmaxConfidenceAndFlagsAnomalies) {
  Bundle b = testing::tiny_classifier("1.0.0");
  b.manifest.metadata["min_confidence"] = "0.6";
  Result<std::unique_ptr<ModelRunner>> runner = ModelRunner::load(write(b, "m.eai"));
  ASSERT_TRUE(runner.is_ok()) << runner.status().to_string();
  auto run = [&](std::vector<float> x) {
    Tensor t = Tensor::from_vector<float>({1, 4}, x);
    const TensorView v = t.view();
    Result<Prediction> p = (*runner)->classify(std::span<const TensorView>(&v, 1));
    EXPECT_TRUE(p.is_ok());
    return *p;
  };
  // logits (10, 0, 0): softmax e^10 / (e^10 + 2).
  Prediction p = run({1, 0, 0, 5});
  EXPECT_EQ(p.label, 0);
  EXPECT_NEAR(p.confidence, std::exp(10.0) / (std::exp(10.0) + 2.0), 1e-6);
  EXPECT_FALSE(p.anomaly);
  EXPECT_EQ((*runner)->probabilities().size(), 3u);
  EXPECT_NEAR((*runner)->probabilities()[1], 1.0 / (std::exp(10.0) + 2.0), 1e-6);
  // "c" is an anomaly label.
  p = run({0, 0, 1, 0});
  EXPECT_EQ((*runner)->label_name(p.label), "c");
  EXPECT_TRUE(p.anomaly);
  EXPECT_FALSE(p.uncertain);
  // Two classes tied: confidence 0.5 < 0.6 is uncertain, hence an anomaly.
  p = run({0.5f, 0.5f, 0, 0});
  EXPECT_NEAR(p.confidence, std::exp(5.0) / (2 * std::exp(5.0) + 1.0), 1e-6);
  EXPECT_TRUE(p.uncertain);
  EXPECT_TRUE(p.anomaly);

  // Bad metadata is refused at load, naming the key.
  b.manifest.metadata["anomaly_labels"] = "c,z";
  Status st = ModelRunner::load(write(b, "bad.eai")).status();
  EXPECT_NE(st.message().find("'z'"), std::string::npos) << st.to_string();
  b.manifest.metadata["anomaly_labels"] = "c";
  b.manifest.metadata["min_confidence"] = "high";
  st = ModelRunner::load(write(b, "bad2.eai")).status();
  EXPECT_NE(st.message().find("min_confidence"), std::string::npos) << st.to_string();
}

TEST_F(InferenceTest, WindowAggregatesCountsConfidenceAndLatencyPercentiles) {
  TelemetryWindow w;
  w.reset(100.0, {"a", "b", "c"}, "2.0.0");
  for (int i = 1; i <= 100; ++i) {
    Prediction p;
    p.label = i <= 70 ? 0 : (i <= 90 ? 1 : 2);
    p.confidence = i <= 50 ? 0.95f : 0.55f;
    p.latency_ms = i;  // 1..100 ms
    p.anomaly = p.label == 2;
    w.add(p);
  }
  w.add_dropped(7);
  w.add_error();
  const json j = json::parse(w.close(160.0));
  EXPECT_EQ(j["model_version"], "2.0.0");
  EXPECT_EQ(j["inferences"], 100);
  EXPECT_EQ(j["counts"]["a"], 70);
  EXPECT_EQ(j["counts"]["b"], 20);
  EXPECT_EQ(j["counts"]["c"], 10);
  EXPECT_EQ(j["anomalies"], 10);
  EXPECT_EQ(j["dropped"], 7);
  EXPECT_EQ(j["errors"], 1);
  EXPECT_EQ(j["confidence_histogram"][9], 50);
  EXPECT_EQ(j["confidence_histogram"][5], 50);
  EXPECT_EQ(j["latency_ms"]["p50"], 50.0);  // nearest rank
  EXPECT_EQ(j["latency_ms"]["p95"], 95.0);
  EXPECT_EQ(j["latency_ms"]["p99"], 99.0);
  EXPECT_EQ(j["latency_ms"]["max"], 100.0);
  // Buckets (upper edges ..., 1, 2, 5, 10, 20, 50, 100 ms): 1 | 2 | 3..5 | 6..10 | 11..20 | 21..50 | 51..100.
  const std::vector<std::int64_t> buckets = j["latency_buckets"];
  ASSERT_EQ(buckets.size(), static_cast<std::size_t>(kLatencyBuckets));
  EXPECT_EQ(std::vector<std::int64_t>(buckets.begin() + 4, buckets.begin() + 11),
            (std::vector<std::int64_t>{1, 1, 3, 5, 10, 30, 50}));
  EXPECT_EQ(bucket_percentile(buckets, 50, 100.0), 50.0);
  EXPECT_EQ(bucket_percentile(buckets, 95, 100.0), 100.0);
  EXPECT_EQ(j["start"], 100.0);
  EXPECT_EQ(j["end"], 160.0);
  EXPECT_FALSE(j.contains("shadow"));
}

TEST_F(InferenceTest, CameraFramesArrivingWhileTheModelIsBusyAreDropped) {
  Result<std::unique_ptr<ModelRunner>> model = ModelRunner::load(write(testing::tiny_classifier("1.0.0"), "m.eai"));
  ASSERT_TRUE(model.is_ok());
  std::string csv = "x0,x1,x2,x3\n";
  for (int i = 0; i < 10; ++i) csv += str_cat(i, ",0,0,0\n");
  SourceOptions options;
  options.fps = 10;  // frame k arrives at k / 10 s
  Result<std::unique_ptr<InputSource>> source = open_source("csv:" + file("s.csv", csv), options);
  ASSERT_TRUE(source.is_ok()) << source.status().to_string();
  SourceSample s;
  // Free at 0: frame 0, nothing dropped.
  ASSERT_TRUE(*(*source)->next(**model, 0.0, s));
  EXPECT_EQ(s.inputs[0].data_as<float>()[0], 0.0f);
  EXPECT_EQ(s.dropped_before, 0);
  EXPECT_DOUBLE_EQ(s.arrival_s, 0.0);
  // Busy until 0.35 s: frames 1, 2 and 3 arrived meanwhile and are dropped; frame 4 arrives at 0.4.
  ASSERT_TRUE(*(*source)->next(**model, 0.35, s));
  EXPECT_EQ(s.inputs[0].data_as<float>()[0], 4.0f);
  EXPECT_EQ(s.dropped_before, 3);
  EXPECT_DOUBLE_EQ(s.arrival_s, 0.4);
  // Free exactly when frame 5 arrives: no drop.
  ASSERT_TRUE(*(*source)->next(**model, 0.5, s));
  EXPECT_EQ(s.inputs[0].data_as<float>()[0], 5.0f);
  EXPECT_EQ(s.dropped_before, 0);
  // Busy past the last frame: the end, the frames left counted as dropped.
  EXPECT_FALSE(*(*source)->next(**model, 2.0, s));
  EXPECT_EQ(s.dropped_before, 4);
}

TEST_F(InferenceTest, CsvRowsMakeSamplesOfTheModelsInputAndBadRowsAreNamed) {
  Result<std::unique_ptr<ModelRunner>> model = ModelRunner::load(write(testing::tiny_classifier("1.0.0"), "m.eai"));
  // Two values a row: two rows make one sample of 4.
  Result<std::unique_ptr<InputSource>> source = open_source("csv:" + file("two.csv", "0,0\n1,0\n0,0\n0,2\n"), {});
  ASSERT_TRUE(source.is_ok());
  SourceSample s;
  ASSERT_TRUE(*(*source)->next(**model, 0, s));
  EXPECT_EQ(std::vector<float>(s.inputs[0].data_as<float>(), s.inputs[0].data_as<float>() + 4),
            (std::vector<float>{0, 0, 1, 0}));
  ASSERT_TRUE(*(*source)->next(**model, 0, s));
  EXPECT_EQ(s.position, "row 3");
  EXPECT_FALSE(*(*source)->next(**model, 0, s));

  Status st = open_source("csv:" + file("bad.csv", "1,2,3,4\n1,2,x,4\n"), {}).status();
  EXPECT_NE(st.message().find("line 2"), std::string::npos) << st.to_string();
  st = open_source("csv:" + file("ragged.csv", "1,2,3,4\n1,2,3\n"), {}).status();
  EXPECT_NE(st.message().find("line 2 has 3 values"), std::string::npos) << st.to_string();
  Result<std::unique_ptr<InputSource>> three = open_source("csv:" + file("three.csv", "1,2,3\n"), {});
  ASSERT_TRUE(three.is_ok());
  st = (*three)->next(**model, 0, s).status();
  EXPECT_NE(st.message().find("rows of 3 values"), std::string::npos) << st.to_string();
  EXPECT_FALSE(open_source("mp4:x", {}).is_ok());
  EXPECT_FALSE(open_source("images:" + (dir_ / "nothing").string(), {}).is_ok());
}

TEST_F(InferenceTest, ImageFolderFramesArePreprocessedAsTheBundleDeclares) {
  Result<std::unique_ptr<ModelRunner>> model =
      ModelRunner::load(write(testing::tiny_classifier("1.0.0", true), "m.eai"));
  ASSERT_TRUE(model.is_ok()) << model.status().to_string();
  png("frames/line1/001.png", {255, 0, 0, 0});        // a
  png("frames/line1/002.png", {0, 0, 255, 0});        // c
  png("frames/line2/003.png", {0, 255, 0, 0});        // b
  png("frames/line2/004.png", {255, 255, 255, 255});  // a mask beside the photo of the same name: skipped
  std::ofstream((dir_ / "frames/line2/004.jpg").string()) << "not really a jpeg";
  std::ofstream((dir_ / "frames/notes.txt").string()) << "ignored";
  fs::remove(dir_ / "frames/line2/004.jpg");
  png("frames/line2/004.png", {0, 0, 0, 255});  // now a frame of its own: the largest of x0..x2 is 0 -> a
  Result<std::unique_ptr<InputSource>> source = open_source("images:" + (dir_ / "frames").string(), {});
  ASSERT_TRUE(source.is_ok()) << source.status().to_string();
  std::vector<std::string> labels;
  SourceSample s;
  while (*(*source)->next(**model, 0, s)) {
    Result<Prediction> p = (*model)->classify(s.inputs);
    ASSERT_TRUE(p.is_ok()) << p.status().to_string();
    labels.push_back((*model)->label_name(p->label));
    EXPECT_EQ(s.raw_type, "image/png");
    EXPECT_GT(s.raw.size(), 8u);
    EXPECT_EQ(s.raw[1], 'P');  // the file's own bytes
  }
  EXPECT_EQ(labels, (std::vector<std::string>{"a", "c", "b", "a"}));

  // A model without image preprocessing cannot take frames: a one-line error.
  Result<std::unique_ptr<ModelRunner>> plain = ModelRunner::load(write(testing::tiny_classifier("1.0.0"), "p.eai"));
  Result<std::unique_ptr<InputSource>> again = open_source("images:" + (dir_ / "frames").string(), {});
  Status st = (*again)->next(**plain, 0, s).status();
  EXPECT_NE(st.message().find("preprocessing"), std::string::npos) << st.to_string();
}

TEST_F(InferenceTest, Y4mVideoFramesAreDecoded) {
  Result<std::unique_ptr<ModelRunner>> model =
      ModelRunner::load(write(testing::tiny_classifier("1.0.0", true), "m.eai"));
  // Two 2x2 4:2:0 frames (limited range): bright top-right pixel (b), then bright bottom-left (c).
  std::string y4m = "YUV4MPEG2 W2 H2 F25:1 Ip A1:1 C420jpeg\n";
  auto frame = [&](std::vector<std::uint8_t> luma) {
    y4m += "FRAME\n";
    y4m.append(luma.begin(), luma.end());
    y4m += std::string(2, static_cast<char>(128));  // U, V: neutral
  };
  frame({16, 235, 16, 16});
  frame({16, 16, 235, 16});
  Result<std::unique_ptr<InputSource>> source = open_source("video:" + file("v.y4m", y4m), {});
  ASSERT_TRUE(source.is_ok()) << source.status().to_string();
  EXPECT_NE((*source)->describe().find("2 frames of 2x2 at 25 fps"), std::string::npos) << (*source)->describe();
  std::vector<std::string> labels;
  SourceSample s;
  while (*(*source)->next(**model, 0, s)) {
    labels.push_back((*model)->label_name((*model)->classify(s.inputs)->label));
    EXPECT_EQ(s.inputs[0].data_as<float>()[labels.size() == 1 ? 1 : 2], 1.0f);  // 235 -> 255 -> 1.0
  }
  EXPECT_EQ(labels, (std::vector<std::string>{"b", "c"}));
  EXPECT_FALSE(open_source("video:" + file("not.y4m", "RIFF...."), {}).is_ok());
}

TEST_F(InferenceTest, AnEcgRecordStreamsDetectedBeatsWithTheirRrFeatures) {
  const std::string record = default_mitdb_dir(EDGEAI_SOURCE_DIR) + "/100";
  Result<std::unique_ptr<ModelRunner>> model = ModelRunner::load(write(testing::tiny_ecg_classifier("1.0.0"), "e.eai"));
  ASSERT_TRUE(model.is_ok()) << model.status().to_string();
  SourceOptions options;
  options.speed = 0;
  Result<std::unique_ptr<InputSource>> source = open_source("wfdb:" + record, options);
  ASSERT_TRUE(source.is_ok()) << source.status().to_string();
  EXPECT_EQ((*source)->speed(), 0.0);
  // Offline: the same detector on the whole lead.
  Result<WfdbHeader> header = read_wfdb_header(record + ".hea");
  Result<WfdbSignals> signals = read_wfdb_signals(*header, default_mitdb_dir(EDGEAI_SOURCE_DIR));
  std::vector<float> x;
  for (std::int16_t v : signals->channels[0]) x.push_back(header->signals[0].to_physical(v));
  const std::vector<std::int64_t> peaks = detect_r_peaks(x, 360.0);
  SourceSample s;
  std::size_t beats = 0, slow = 0, wrong = 0;
  double last = -1;
  while (*(*source)->next(**model, 0, s)) {
    ASSERT_EQ(s.inputs.size(), 2u);
    EXPECT_EQ(s.inputs[0].shape, (Shape{1, 1, 256}));  // the beat, by the model's input order
    EXPECT_EQ(s.inputs[1].shape, (Shape{1, kNumRrFeatures}));
    const float pre_rr = s.inputs[1].data_as<float>()[0];
    Result<Prediction> p = (*model)->classify(s.inputs);
    ASSERT_TRUE(p.is_ok());
    wrong += (p->label == 1) != (pre_rr > 0.8f);
    slow += p->label == 1;
    const double t = std::stod(s.position.substr(8));  // "beat at 12.345 s"
    EXPECT_GT(t, last);
    EXPECT_GE(s.arrival_s, t) << "a beat cannot be complete before it happened";
    last = t;
    ++beats;
  }
  EXPECT_EQ(wrong, 0u);
  EXPECT_GT(slow, 100u);  // record 100 runs at ~75 bpm: both sides of 0.8 s occur
  EXPECT_LT(slow, beats - 100);
  EXPECT_GE(beats + 3, peaks.size());  // every detected beat but those at the edges
  EXPECT_LE(beats, peaks.size());
  EXPECT_FALSE(open_source("wfdb:" + (dir_ / "missing").string(), {}).is_ok());
}

TEST_F(InferenceTest, TheServiceKeepsWindowsEventsAndAlertsInTheOutbox) {
  Result<std::unique_ptr<TelemetryQueue>> queue = TelemetryQueue::open((dir_ / "t.db").string(), 1000);
  ASSERT_TRUE(queue.is_ok());
  InferenceServiceOptions options;
  options.print_alerts = false;
  options.events_path = (dir_ / "events.jsonl").string();
  Result<std::unique_ptr<InferenceService>> service =
      InferenceService::create(write(testing::tiny_classifier("1.0.0"), "m.eai"), queue->get(), options);
  ASSERT_TRUE(service.is_ok()) << service.status().to_string();
  // a a c a c c c c b a c c: an isolated c, a run of 4 (an alert), then a run of 2 at the end.
  const std::string rows =
      "1,0,0,0\n1,0,0,0\n0,0,1,0\n1,0,0,0\n0,0,1,0\n0,0,1,0\n0,0,1,0\n0,0,1,0\n"
      "0,1,0,0\n1,0,0,0\n0,0,1,0\n0,0,1,0\n";
  Result<std::unique_ptr<InputSource>> source = open_source("csv:" + file("s.csv", rows), {});
  ASSERT_TRUE((*service)->run(**source).is_ok());
  const ServiceTotals totals = (*service)->totals();
  EXPECT_EQ(totals.inferences, 12);
  EXPECT_EQ(totals.counts, (std::vector<std::int64_t>{4, 1, 7}));
  EXPECT_EQ(totals.alerts, 1);
  const std::vector<json> windows = queue_items(**queue, "window");
  ASSERT_EQ(windows.size(), 1u);
  EXPECT_EQ(windows[0]["inferences"], 12);
  EXPECT_EQ(windows[0]["counts"]["c"], 7);
  EXPECT_EQ(windows[0]["anomalies"], 7);
  const std::vector<json> events = queue_items(**queue, "event");
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0]["type"], "anomaly");
  EXPECT_EQ(events[0]["count"], 1);
  EXPECT_EQ(events[0]["from"], "row 3");
  EXPECT_EQ(events[1]["type"], "alert");
  EXPECT_EQ(events[1]["count"], 4);
  EXPECT_EQ(events[1]["from"], "row 5");
  EXPECT_EQ(events[1]["to"], "row 8");
  EXPECT_EQ(events[2]["type"], "anomaly");
  EXPECT_EQ(events[2]["count"], 2);
  // The local event log has every inference.
  std::ifstream log(options.events_path);
  int lines = 0;
  for (std::string line; std::getline(log, line);) ++lines;
  EXPECT_EQ(lines, 12);
}

TEST_F(InferenceTest, EventsPastTheWindowsLimitAreCountedNotSent) {
  Result<std::unique_ptr<TelemetryQueue>> queue = TelemetryQueue::open((dir_ / "t.db").string(), 1000);
  InferenceServiceOptions options;
  options.print_alerts = false;
  options.max_events_per_window = 2;
  Result<std::unique_ptr<InferenceService>> service =
      InferenceService::create(write(testing::tiny_classifier("1.0.0"), "m.eai"), queue->get(), options);
  std::string rows;
  for (int i = 0; i < 5; ++i) rows += "0,0,1,0\n1,0,0,0\n";  // five isolated anomalies
  Result<std::unique_ptr<InputSource>> source = open_source("csv:" + file("s.csv", rows), {});
  ASSERT_TRUE((*service)->run(**source).is_ok());
  EXPECT_EQ(queue_items(**queue, "event").size(), 2u);
  const std::vector<json> windows = queue_items(**queue, "window");
  ASSERT_EQ(windows.size(), 1u);
  EXPECT_EQ(windows[0]["events_suppressed"], 3);
}

TEST_F(InferenceTest, AModelSwitchHappensBetweenTwoInferencesWithoutDroppingTheStream) {
  Result<std::unique_ptr<TelemetryQueue>> queue = TelemetryQueue::open((dir_ / "t.db").string(), 100000);
  InferenceServiceOptions options;
  options.print_alerts = false;
  Result<std::unique_ptr<InferenceService>> service =
      InferenceService::create(write(testing::tiny_classifier("1.0.0"), "v1.eai"), queue->get(), options);
  ASSERT_TRUE(service.is_ok());
  const std::string v2 = write(testing::tiny_classifier("2.0.0"), "v2.eai");
  std::string rows;
  for (int i = 0; i < 50; ++i) rows += str_cat(i % 3 == 0, ",", i % 3 == 1, ",", i % 3 == 2, ",0\n");
  SourceOptions so;
  so.loop = true;
  so.fps = 2000;
  Result<std::unique_ptr<InputSource>> source = open_source("csv:" + file("s.csv", rows), so);
  std::vector<std::string> versions;
  std::mutex m;
  (*service)->on_event([&](const InferenceEvent& e) {
    std::lock_guard<std::mutex> lock(m);
    versions.push_back(e.model_version);
  });
  std::thread runner([&] { EXPECT_TRUE((*service)->run(**source).is_ok()); });
  auto count = [&] {
    std::lock_guard<std::mutex> lock(m);
    return versions.size();
  };
  while (count() < 200) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  ASSERT_TRUE((*service)->switch_model(v2).is_ok());
  const std::size_t at_switch = count();
  while (count() < at_switch + 200) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  (*service)->stop();
  runner.join();
  // Every inference answered; versions change once, from 1.0.0 to 2.0.0, with no error between.
  const ServiceTotals totals = (*service)->totals();
  EXPECT_EQ(totals.errors, 0);
  EXPECT_EQ(totals.switches, 1);
  EXPECT_EQ(static_cast<std::size_t>(totals.inferences), versions.size());
  std::size_t changes = 0;
  for (std::size_t i = 1; i < versions.size(); ++i) changes += versions[i] != versions[i - 1];
  EXPECT_EQ(changes, 1u);
  EXPECT_EQ(versions.front(), "1.0.0");
  EXPECT_EQ(versions.back(), "2.0.0");
  EXPECT_EQ((*service)->model_version(), "2.0.0");
  // The window of each version is closed on its own, and together they count every inference.
  std::int64_t counted = 0;
  std::set<std::string> window_versions;
  for (const json& w : queue_items(**queue, "window")) {
    counted += w["inferences"].get<std::int64_t>();
    window_versions.insert(w["model_version"].get<std::string>());
  }
  EXPECT_EQ(counted, totals.inferences);
  EXPECT_EQ(window_versions, (std::set<std::string>{"1.0.0", "2.0.0"}));
  // A bundle that does not load leaves the running model in place.
  EXPECT_FALSE((*service)->switch_model(file("junk.eai", "junk")).is_ok());
  EXPECT_EQ((*service)->model_version(), "2.0.0");
}

TEST_F(InferenceTest, ShadowModeReportsAgreementAndConfusionOnly) {
  Result<std::unique_ptr<TelemetryQueue>> queue = TelemetryQueue::open((dir_ / "t.db").string(), 1000);
  InferenceServiceOptions options;
  options.print_alerts = false;
  Result<std::unique_ptr<InferenceService>> service =
      InferenceService::create(write(testing::tiny_classifier("1.0.0"), "v1.eai"), queue->get(), options);
  // The candidate reads x3 into class c as well: it disagrees wherever x3 is the largest.
  Bundle candidate = testing::tiny_classifier("1.1.0");
  candidate.graph.constants["w"].data<float>()[3 * 3 + 2] = 20.0f;
  ASSERT_TRUE((*service)->set_shadow(write(candidate, "v11.eai")).is_ok());
  const std::string rows = "1,0,0,0\n1,0,0,1\n0,1,0,0\n0,1,0,1\n0,0,1,0\n";  // rows 2 and 4 disagree
  Result<std::unique_ptr<InputSource>> source = open_source("csv:" + file("s.csv", rows), {});
  ASSERT_TRUE((*service)->run(**source).is_ok());
  const std::vector<json> windows = queue_items(**queue, "window");
  ASSERT_EQ(windows.size(), 1u);
  const json& shadow = windows[0]["shadow"];
  EXPECT_EQ(shadow["model_version"], "1.1.0");
  EXPECT_EQ(shadow["inferences"], 5);
  EXPECT_EQ(shadow["agree"], 3);
  EXPECT_EQ(shadow["confusion"], json::parse("[[1,0,1],[0,1,1],[0,0,1]]"));
  EXPECT_EQ(windows[0]["counts"]["c"], 1);  // the active model's labels stay what the device acts on
}

// The first non-loopback IPv4 address of this machine, if any.
std::string external_address() {
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return "";
  std::string found;
  for (ifaddrs* a = list; a != nullptr && found.empty(); a = a->ifa_next) {
    if (a->ifa_addr == nullptr || a->ifa_addr->sa_family != AF_INET) continue;
    char text[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(a->ifa_addr)->sin_addr, text, sizeof text);
    if (std::string(text).rfind("127.", 0) != 0) found = text;
  }
  freeifaddrs(list);
  return found;
}

TEST_F(InferenceTest, TheLocalEndpointAnswersOnLoopbackOnly) {
  Result<std::unique_ptr<TelemetryQueue>> queue = TelemetryQueue::open((dir_ / "t.db").string(), 1000);
  InferenceServiceOptions options;
  options.print_alerts = false;
  Result<std::unique_ptr<InferenceService>> service =
      InferenceService::create(write(testing::tiny_classifier("1.0.0", true), "m.eai"), queue->get(), options);
  ASSERT_TRUE(service.is_ok());
  Result<std::unique_ptr<LocalEndpoint>> endpoint = LocalEndpoint::start(**service, 0);
  ASSERT_TRUE(endpoint.is_ok()) << endpoint.status().to_string();
  httplib::Client client("127.0.0.1", (*endpoint)->port());
  // An image.
  png("req.png", {0, 0, 255, 0});
  std::ifstream in((dir_ / "req.png").string(), std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  httplib::Result r = client.Post("/v1/infer", bytes, "image/png");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  json j = json::parse(r->body);
  EXPECT_EQ(j["label"], "c");
  EXPECT_EQ(j["anomaly"], true);
  EXPECT_EQ(j["model_version"], "1.0.0");
  EXPECT_NEAR(j["probabilities"]["c"].get<double>(), std::exp(10.0) / (std::exp(10.0) + 2.0), 1e-6);
  // Numbers for the input by name.
  r = client.Post("/v1/infer", R"({"inputs": {"image": [0, 1, 0, 0]}})", "application/json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(json::parse(r->body)["label"], "b");
  // Bad requests: 400 with a reason, and the service goes on.
  r = client.Post("/v1/infer", R"({"inputs": {"image": [0, 1]}})", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(json::parse(r->body)["error"].get<std::string>().find("needs 4 numbers"), std::string::npos) << r->body;
  r = client.Post("/v1/infer", "not an image", "image/png");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  r = client.Get("/v1/status");
  ASSERT_TRUE(r);
  EXPECT_EQ(json::parse(r->body)["inferences"], 2);
  r = client.Get("/v1/model");
  ASSERT_TRUE(r);
  EXPECT_EQ(json::parse(r->body)["labels"], json::parse(R"(["a","b","c"])"));
  // Not reachable from another interface.
  const std::string external = external_address();
  if (!external.empty()) {
    httplib::Client outside(external, (*endpoint)->port());
    outside.set_connection_timeout(1, 0);
    EXPECT_FALSE(outside.Get("/v1/status")) << "the endpoint answered on " << external;
  }
  (*endpoint)->stop();
}

}  // namespace
}  // namespace edgeai
