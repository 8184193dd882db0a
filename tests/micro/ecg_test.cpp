// The microcontroller's beat pipeline (micro/ecg.hpp) on MIT-BIH: the integer R-peak detector
// against the annotations of DS2, and its beats against the host's offline pipeline for the
// same peaks (the windows and RR features must be the same floats).
#include "micro/ecg.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>

#include "data/ecg_beats.hpp"
#include "data/mitdb.hpp"
#include "data/rpeak.hpp"
#include "data/wfdb.hpp"

namespace edgeai {
namespace {

struct Record {
  WfdbSignalInfo signal;
  std::vector<std::int16_t> adc;
  std::vector<std::int64_t> beats;
};

Record load_record(const std::string& name) {
  const std::string dir = default_mitdb_dir(EDGEAI_SOURCE_DIR);
  Record r;
  Result<WfdbHeader> header = read_wfdb_header(dir + "/" + name + ".hea");
  EXPECT_TRUE(header.is_ok()) << header.status().to_string();
  Result<WfdbSignals> signals = read_wfdb_signals(*header, dir);
  EXPECT_TRUE(signals.is_ok()) << signals.status().to_string();
  std::size_t lead = 0;
  for (std::size_t i = 0; i < header->signals.size(); ++i) {
    if (header->signals[i].description == "MLII") lead = i;
  }
  r.signal = header->signals[lead];
  r.adc = signals->channels[lead];
  Result<std::vector<WfdbAnnotation>> annotations = read_mit_annotations(dir + "/" + name + ".atr");
  EXPECT_TRUE(annotations.is_ok());
  for (const WfdbAnnotation& a : *annotations) {
    if (is_beat_code(a.code)) r.beats.push_back(a.sample);
  }
  return r;
}

TEST(MicroRPeakDetector, MitBihDs2WithinTheToleranceOfTheAnnotations) {
  DetectionScore all;
  for (const std::string& name : mitdb_ds2_records()) {
    const Record r = load_record(name);
    ASSERT_EQ(r.signal.gain, 200.0) << name;
    auto detector = std::make_unique<micro::RPeakDetector>(r.signal.baseline, 200);
    std::vector<std::int64_t> found;
    std::int64_t late = 0;
    for (std::int16_t v : r.adc) {
      const int count = detector->push(v);
      for (int i = 0; i < count; ++i) {
        late += detector->samples_seen() - 1 - detector->peaks()[i] > micro::RPeakDetector::kRing;
        found.push_back(detector->peaks()[i]);
      }
    }
    const int count = detector->flush();
    for (int i = 0; i < count; ++i) found.push_back(detector->peaks()[i]);
    EXPECT_TRUE(std::is_sorted(found.begin(), found.end())) << name;
    EXPECT_EQ(late, 0) << name;
    const DetectionScore s = score_detections(r.beats, found, 54);  // 150 ms
    all.true_positives += s.true_positives;
    all.false_negatives += s.false_negatives;
    all.false_positives += s.false_positives;
  }
  std::printf("integer detector on DS2: Se %.4f, +P %.4f (%lld beats, %lld FN, %lld FP)\n", all.sensitivity(),
              all.positive_predictivity(), static_cast<long long>(all.true_positives + all.false_negatives),
              static_cast<long long>(all.false_negatives), static_cast<long long>(all.false_positives));
  // The float detector's bar (data/rpeak_test.cpp): 99.5 % both.
  EXPECT_GE(all.sensitivity(), 0.995);
  EXPECT_GE(all.positive_predictivity(), 0.995);
}

TEST(MicroEcgBeats, BeatsAreTheOfflinePipelinesFloatsForTheSamePeaks) {
  const Record r = load_record("208");
  micro::EcgBeatConfig config;
  config.window_before = 90;
  config.window_after = 166;
  config.r_align_samples = 8;
  config.rr_local_beats = 10;
  config.rr_record_seconds = 1800;
  auto beats = std::make_unique<micro::EcgBeats>(config, r.signal.baseline, r.signal.gain);
  // Ten minutes, streamed.
  const std::size_t samples = 600 * 360;
  std::vector<std::uint32_t> peaks;
  std::vector<std::vector<float>> windows, rrs;
  std::vector<float> window(256), rr(8);
  std::uint32_t peak = 0;
  for (std::size_t i = 0; i < samples; ++i) {
    beats->push(r.adc[i]);
    while (beats->next(&peak, window.data(), rr.data())) {
      peaks.push_back(peak);
      windows.push_back(window);
      rrs.push_back(rr);
    }
  }
  ASSERT_GE(peaks.size(), 900u);
  EXPECT_LE(beats->skipped(), 2u);
  // Offline: the whole signal in mV, the same peaks, the training code's functions.
  std::vector<float> mv(samples);
  for (std::size_t i = 0; i < samples; ++i) mv[i] = r.signal.to_physical(r.adc[i]);
  EcgBeatParams params;
  // Every peak the detector found (the stream skips the first beat, whose window starts
  // before the recording), from a second detector over the same samples.
  std::vector<std::int64_t> all_peaks;
  auto detector = std::make_unique<micro::RPeakDetector>(r.signal.baseline, 200);
  for (std::size_t i = 0; i < samples; ++i) {
    const int count = detector->push(r.adc[i]);
    for (int k = 0; k < count; ++k) all_peaks.push_back(detector->peaks()[k]);
  }
  for (std::size_t b = 0; b < peaks.size(); ++b) {
    std::vector<float> offline(256);
    ASSERT_TRUE(extract_beat_window(mv, peaks[b], params, offline).is_ok());
    ASSERT_EQ(offline, windows[b]) << "beat " << b;
  }
  // RR features: the offline function over the detector's peaks.
  Result<std::vector<RrFeatures>> offline_rr = compute_rr_features(all_peaks, 360.0, 10, 1800.0);
  ASSERT_TRUE(offline_rr.is_ok());
  for (std::size_t b = 0; b < peaks.size(); ++b) {
    const auto at = std::find(all_peaks.begin(), all_peaks.end(), static_cast<std::int64_t>(peaks[b]));
    ASSERT_NE(at, all_peaks.end());
    ASSERT_NE(at + 1, all_peaks.end()) << "an emitted beat has its next peak";
    const RrFeatures& f = (*offline_rr)[static_cast<std::size_t>(at - all_peaks.begin())];
    const float want[8] = {f.pre_rr_s,           f.post_rr_s,           f.local_rr_s,           f.record_rr_s,
                           f.pre_to_local_ratio, f.pre_to_record_ratio, f.post_to_record_ratio, f.post_to_pre_ratio};
    for (int i = 0; i < 8; ++i) ASSERT_EQ(rrs[b][i], want[i]) << "beat " << b << " feature " << i;
  }
}

// A one-node int8 bundle with the given preprocessing, as the micro runtime loads it.
std::vector<std::uint8_t> bundle_with(const Preprocessing& pre) {
  Graph g;
  g.name = "q";
  g.inputs = {ValueInfo{"x", DType::kFloat32, {1, 4}}};
  g.outputs = {ValueInfo{"y", DType::kInt8, {1, 4}}};
  g.constants["s"] = Tensor::from_vector<float>({}, {0.1f});
  g.constants["z"] = Tensor::from_vector<std::int8_t>({}, {0});
  Node n;
  n.name = "quantize";
  n.op_type = "QuantizeLinear";
  n.inputs = {"x", "s", "z"};
  n.outputs = {"y"};
  g.nodes = {n};
  Bundle b;
  b.manifest = default_manifest_for(g);
  b.manifest.preprocessing = pre;
  b.graph = g;
  auto bytes = serialize_bundle(b);
  EXPECT_TRUE(bytes.is_ok()) << bytes.status().to_string();
  return *bytes;
}

TEST(MicroEcgBeats, TheBundlesPreprocessingIsReadAndWhatTheDeviceCannotServeIsRefused) {
  auto interpreter = std::make_unique<micro::Interpreter>();
  micro::EcgBeatConfig config;
  const auto load = [&](const std::vector<std::uint8_t>& bytes) {
    static std::vector<std::uint8_t> storage;  // 16-byte aligned by the allocator
    storage = bytes;
    return interpreter->load(storage.data(), storage.size());
  };
  EcgBeatParams params;  // the recipe's defaults: 360 Hz, 90 + 166, align 8, 10 beats, 1800 s
  ASSERT_EQ(load(bundle_with(ecg_beat_preprocessing(params))), micro::Code::kOk) << interpreter->error();
  ASSERT_EQ(micro::read_ecg_beat_config(*interpreter, &config), micro::Code::kOk) << interpreter->error();
  EXPECT_EQ(config.window_before, 90);
  EXPECT_EQ(config.window_after, 166);
  EXPECT_EQ(config.r_align_samples, 8);
  EXPECT_EQ(config.rr_local_beats, 10);
  EXPECT_EQ(config.rr_record_seconds, 1800);

  EcgBeatParams other = params;
  other.sample_rate_hz = 250.0;
  ASSERT_EQ(load(bundle_with(ecg_beat_preprocessing(other))), micro::Code::kOk);
  EXPECT_EQ(micro::read_ecg_beat_config(*interpreter, &config), micro::Code::kUnsupported);
  EXPECT_NE(std::string(interpreter->error()).find("sample_rate_hz = '250'"), std::string::npos)
      << interpreter->error();
  other = params;
  other.rr_record_seconds = 0.0;  // the whole record: not something a device streaming can know
  ASSERT_EQ(load(bundle_with(ecg_beat_preprocessing(other))), micro::Code::kOk);
  EXPECT_EQ(micro::read_ecg_beat_config(*interpreter, &config), micro::Code::kUnsupported);
  EXPECT_NE(std::string(interpreter->error()).find("rr_record_seconds"), std::string::npos) << interpreter->error();
  Preprocessing image;
  image.kind = "image";
  ASSERT_EQ(load(bundle_with(image)), micro::Code::kOk);
  EXPECT_EQ(micro::read_ecg_beat_config(*interpreter, &config), micro::Code::kUnsupported);
  EXPECT_NE(std::string(interpreter->error()).find("not ecg_beat"), std::string::npos) << interpreter->error();
}

}  // namespace
}  // namespace edgeai
