// EcgBeatStream: beats from a live lead must be what the offline pipeline (training's and
// `edgeai eval`'s code: detect_r_peaks, compute_rr_features with the sliding record,
// extract_beat_window, resample_linear) computes on the whole recording — window for window,
// bit for bit, and feature for feature — whatever the sensor's rate.
#include "data/ecg_stream.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "data/mitdb.hpp"
#include "data/wfdb.hpp"

namespace edgeai {
namespace {

std::vector<float> mlii(const std::string& record, double* rate) {
  const std::string dir = default_mitdb_dir(EDGEAI_SOURCE_DIR);
  Result<WfdbHeader> header = read_wfdb_header(dir + "/" + record + ".hea");
  EXPECT_TRUE(header.is_ok()) << header.status().to_string();
  Result<WfdbSignals> signals = read_wfdb_signals(*header, dir);
  EXPECT_TRUE(signals.is_ok()) << signals.status().to_string();
  std::size_t lead = 0;
  for (std::size_t i = 0; i < header->signals.size(); ++i) {
    if (header->signals[i].description == "MLII") lead = i;
  }
  std::vector<float> x;
  for (std::int16_t v : signals->channels[lead]) x.push_back(header->signals[lead].to_physical(v));
  *rate = header->sample_rate_hz;
  return x;
}

struct Collected {
  std::vector<StreamedBeat> beats;
  std::vector<std::vector<float>> windows;
};

Collected stream_all(EcgBeatStream& stream, const std::vector<float>& x) {
  Collected c;
  auto take = [&](std::span<const StreamedBeat> beats) {
    for (const StreamedBeat& b : beats) {
      c.beats.push_back(b);
      c.windows.emplace_back(b.window.begin(), b.window.end());
    }
  };
  for (float v : x) take(stream.push(v));
  take(stream.flush());
  return c;
}

// The offline pipeline on the model-rate signal `y` against what the stream produced.
void expect_matches_offline(const std::vector<float>& y, const EcgBeatParams& params, const Collected& got,
                            const EcgStreamStats& stats) {
  const std::vector<std::int64_t> peaks = detect_r_peaks(y, params.sample_rate_hz);
  Result<std::vector<RrFeatures>> rr =
      compute_rr_features(peaks, params.sample_rate_hz, params.rr_local_beats, params.rr_record_seconds);
  ASSERT_TRUE(rr.is_ok());
  std::vector<float> w(static_cast<std::size_t>(params.window_samples()));
  std::size_t next = 0, skipped = 0;
  for (std::size_t i = 0; i < peaks.size(); ++i) {
    if (!extract_beat_window(y, peaks[i], params, w).is_ok()) {
      ++skipped;
      continue;
    }
    ASSERT_LT(next, got.beats.size()) << "the stream lost beat " << i;
    const StreamedBeat& b = got.beats[next];
    ASSERT_EQ(b.r_peak, peaks[i]) << "beat " << i;
    EXPECT_EQ(got.windows[next], w) << "beat " << i << ": the window differs";
    const RrFeatures& e = (*rr)[i];
    const float g[8] = {
        b.rr.pre_rr_s,           b.rr.post_rr_s,           b.rr.local_rr_s,           b.rr.record_rr_s,
        b.rr.pre_to_local_ratio, b.rr.pre_to_record_ratio, b.rr.post_to_record_ratio, b.rr.post_to_pre_ratio};
    const float x[8] = {e.pre_rr_s,           e.post_rr_s,           e.local_rr_s,           e.record_rr_s,
                        e.pre_to_local_ratio, e.pre_to_record_ratio, e.post_to_record_ratio, e.post_to_pre_ratio};
    for (int k = 0; k < 8; ++k) ASSERT_NEAR(g[k], x[k], 1e-6f * std::max(1.0f, std::abs(x[k]))) << "beat " << i;
    ++next;
  }
  EXPECT_EQ(next, got.beats.size()) << "the stream made beats the offline pipeline does not";
  EXPECT_EQ(stats.peaks, static_cast<std::int64_t>(peaks.size()));
  EXPECT_EQ(stats.skipped, static_cast<std::int64_t>(skipped));
  EXPECT_EQ(stats.beats, static_cast<std::int64_t>(got.beats.size()));
}

TEST(EcgBeatStream, BeatsOfARecordAreTheOfflinePipelinesBitForBit) {
  double rate = 0;
  std::vector<float> x = mlii("208", &rate);       // many V beats and couplets
  x.resize(static_cast<std::size_t>(rate * 300));  // 5 minutes
  EcgBeatParams params;
  params.rr_record_seconds = 60.0;  // short, so the record slides within the test
  Result<std::unique_ptr<EcgBeatStream>> stream = EcgBeatStream::create(params, rate);
  ASSERT_TRUE(stream.is_ok()) << stream.status().to_string();
  const Collected got = stream_all(**stream, x);
  EXPECT_GT(got.beats.size(), 300u);
  expect_matches_offline(x, params, got, (*stream)->stats());
}

TEST(EcgBeatStream, DetectedPeaksGiveTheWindowsOfTheAnnotatedOnes) {
  // What makes streamed beats classify as `edgeai eval` classifies the annotated ones: the
  // detector's peak lies a few samples from the annotation, and the alignment moves both to
  // the same sample.
  const std::string dir = default_mitdb_dir(EDGEAI_SOURCE_DIR);
  double rate = 0;
  const std::vector<float> x = mlii("208", &rate);
  Result<std::vector<WfdbAnnotation>> annotations = read_mit_annotations(dir + "/208.atr");
  ASSERT_TRUE(annotations.is_ok());
  std::vector<std::int64_t> reference;
  for (const WfdbAnnotation& a : *annotations) {
    if (is_beat_code(a.code)) reference.push_back(a.sample);
  }
  const std::vector<std::int64_t> detected = detect_r_peaks(x, rate);
  const std::vector<std::int64_t> match = match_detections(reference, detected, std::llround(0.15 * rate));
  auto identical_fraction = [&](int align) {
    EcgBeatParams params;
    params.r_align_samples = align;
    std::vector<float> a(static_cast<std::size_t>(params.window_samples())), b(a.size());
    std::int64_t same = 0, total = 0;
    for (std::size_t i = 0; i < reference.size(); ++i) {
      if (match[i] < 0 || !extract_beat_window(x, reference[i], params, a).is_ok() ||
          !extract_beat_window(x, match[i], params, b).is_ok()) {
        continue;
      }
      ++total;
      same += a == b;
    }
    return static_cast<double>(same) / static_cast<double>(total);
  };
  const double unaligned = identical_fraction(0), aligned = identical_fraction(8);
  std::printf("  record 208: identical windows %.2f %% unaligned, %.2f %% aligned\n", 100 * unaligned, 100 * aligned);
  EXPECT_LT(unaligned, 0.8);
  EXPECT_GT(aligned, 0.97);
}

TEST(EcgBeatStream, ASensorAtAnotherRateIsResampledAsOffline) {
  double rate = 0;
  std::vector<float> x = mlii("100", &rate);
  x.resize(static_cast<std::size_t>(rate * 120));
  // A 250 Hz sensor: the record resampled, then streamed into the 360 Hz model.
  const std::vector<float> sensor = resample_linear(x, rate, 250.0);
  EcgBeatParams params;
  Result<std::unique_ptr<EcgBeatStream>> stream = EcgBeatStream::create(params, 250.0);
  ASSERT_TRUE(stream.is_ok());
  const Collected got = stream_all(**stream, sensor);
  EXPECT_GT(got.beats.size(), 100u);
  expect_matches_offline(resample_linear(sensor, 250.0, params.sample_rate_hz), params, got, (*stream)->stats());
}

TEST(EcgBeatStream, APauseLongerThanTheBufferSkipsTheBeatAndGoesOn) {
  // 1 Hz synthetic QRS-like spikes, then 30 s of flat line, then spikes again.
  const double fs = 360.0;
  std::vector<float> x;
  auto beats = [&](int n) {
    for (int b = 0; b < n; ++b) {
      for (int i = 0; i < 360; ++i) {
        const double d = (i - 180) / 6.0;
        x.push_back(static_cast<float>(1.5 * std::exp(-d * d)));
      }
    }
  };
  beats(20);
  x.insert(x.end(), static_cast<std::size_t>(30 * fs), 0.0f);
  beats(20);
  EcgStreamOptions options;
  options.buffer_seconds = 10.0;
  Result<std::unique_ptr<EcgBeatStream>> stream = EcgBeatStream::create(EcgBeatParams{}, fs, options);
  ASSERT_TRUE(stream.is_ok());
  const Collected got = stream_all(**stream, x);
  const EcgStreamStats& stats = (*stream)->stats();
  EXPECT_GE(stats.peaks, 36);
  EXPECT_GE(stats.skipped, 1) << "the beat before the pause waited 30 s for its next peak: its window is gone";
  EXPECT_EQ(stats.beats + stats.skipped, stats.peaks);
  EXPECT_EQ(stats.samples, static_cast<std::int64_t>(x.size()));
  for (const StreamedBeat& b : got.beats) {
    EXPECT_TRUE(std::isfinite(b.rr.record_rr_s));
    EXPECT_GT(b.rr.record_rr_s, 0.0f);
  }
}

TEST(EcgBeatStream, BadParametersAreErrors) {
  EXPECT_FALSE(EcgBeatStream::create(EcgBeatParams{}, 0.0).is_ok());
  EXPECT_FALSE(EcgBeatStream::create(EcgBeatParams{}, std::nan("")).is_ok());
  EcgBeatParams params;
  params.window_after = 0;
  EXPECT_FALSE(EcgBeatStream::create(params, 360.0).is_ok());
  params = EcgBeatParams{};
  params.rr_record_seconds = -5;
  EXPECT_FALSE(EcgBeatStream::create(params, 360.0).is_ok());
  EcgStreamOptions options;
  options.buffer_seconds = 0.5;
  Status st = EcgBeatStream::create(EcgBeatParams{}, 360.0, options).status();
  EXPECT_NE(st.message().find("buffer_seconds"), std::string::npos) << st.to_string();
}

}  // namespace
}  // namespace edgeai
