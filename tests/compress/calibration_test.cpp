#include "compress/calibration.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <numeric>

#include "model_fixtures.hpp"

namespace edgeai {
namespace {

using testing::make_node;

TEST(Int8ParamsForRange, WorkedExamples) {
  // [-1, 1.55]: scale 2.55 / 255 = 0.01, zero point round(-128 + 1 / 0.01) = -28.
  quant::QuantParams p = int8_params_for_range(-1.0f, 1.55f);
  EXPECT_NEAR(p.scale, 0.01f, 1e-8f);
  EXPECT_EQ(p.zero_point, -28);
  EXPECT_EQ(quant::dequantize_value(p.zero_point, p.scale, p.zero_point), 0.0f);
  // After ReLU: [0, 2.55] -> zero point -128, so 0.0 is the lowest code.
  p = int8_params_for_range(0.0f, 2.55f);
  EXPECT_EQ(p.zero_point, -128);
  // A range that misses zero is widened to include it.
  p = int8_params_for_range(0.5f, 2.55f);
  EXPECT_EQ(p.zero_point, -128);
  EXPECT_NEAR(p.scale, 0.01f, 1e-8f);
  // All zeros: still a usable scale.
  p = int8_params_for_range(0.0f, 0.0f);
  EXPECT_GT(p.scale, 0.0f);
}

TEST(ParseCalibrationMethod, NamesAndErrors) {
  EXPECT_EQ(*parse_calibration_method("kl"), CalibrationMethod::kEntropy);
  EXPECT_EQ(*parse_calibration_method("mse"), CalibrationMethod::kMse);
  Result<CalibrationMethod> bad = parse_calibration_method("median");
  ASSERT_FALSE(bad.is_ok());
  EXPECT_NE(bad.status().message().find("minmax, percentile, entropy"), std::string::npos);
}

// A graph y = Identity-like Relu(x) over x [1, 1000], fed `values` as one sample each of 1000.
Graph relu_graph() {
  Graph g;
  g.name = "relu";
  g.inputs = {ValueInfo{"x", DType::kFloat32, {1, 1000}}};
  g.outputs = {ValueInfo{"y", DType::kFloat32, {1, 1000}}};
  g.nodes = {make_node("Relu", {"x"}, {"y"})};
  EXPECT_TRUE(validate_graph(g).is_ok());
  return g;
}

LabeledData samples_of(const std::vector<float>& values) {
  LabeledData data;
  const std::int64_t n = static_cast<std::int64_t>(values.size()) / 1000;
  data.inputs.push_back(Tensor::from_vector<float>(Shape{n, 1000}, values));
  data.input_names = {"x"};
  data.labels.assign(static_cast<std::size_t>(n), 0);
  data.class_names = {"only"};
  return data;
}

// 4000 values: a Gaussian body (sigma 1) and 4 outliers at +-40.
std::vector<float> body_with_outliers() {
  std::mt19937 rng(3);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> v(4000);
  for (float& x : v) x = normal(rng);
  v[10] = 40.0f;
  v[1500] = -40.0f;
  v[2500] = 39.0f;
  v[3900] = -39.5f;
  return v;
}

TEST(CollectStatistics, MinMaxOfInputsAndOutputs) {
  const Graph g = relu_graph();
  std::vector<float> v = body_with_outliers();
  CalibrationOptions options;
  auto stats = collect_statistics(g, {"x", "y"}, samples_of(v), options);
  ASSERT_TRUE(stats.is_ok()) << stats.status().to_string();
  EXPECT_EQ(stats->at("x").min, -40.0f);
  EXPECT_EQ(stats->at("x").max, 40.0f);
  EXPECT_EQ(stats->at("y").min, 0.0f);
  EXPECT_EQ(stats->at("y").max, 40.0f);
  EXPECT_EQ(stats->at("x").count, 4000);
  EXPECT_TRUE(stats->at("x").histogram.empty());  // minmax needs none
}

TEST(CollectStatistics, SameStatisticsInAnyOrder) {
  const Graph g = relu_graph();
  std::vector<float> v = body_with_outliers();
  // Permute whole samples (rows of 1000): the data set in another order.
  std::vector<float> permuted(v.begin() + 2000, v.end());
  permuted.insert(permuted.end(), v.begin(), v.begin() + 2000);
  CalibrationOptions options;
  options.method = CalibrationMethod::kEntropy;
  options.channel_means = true;
  auto a = collect_statistics(g, {"x", "y"}, samples_of(v), options);
  auto b = collect_statistics(g, {"x", "y"}, samples_of(permuted), options);
  ASSERT_TRUE(a.is_ok() && b.is_ok());
  for (const char* name : {"x", "y"}) {
    EXPECT_EQ(a->at(name).histogram, b->at(name).histogram);
    EXPECT_EQ(a->at(name).min, b->at(name).min);
    EXPECT_EQ(a->at(name).channel_means, b->at(name).channel_means);  // fixed-point sums: bit-identical
    EXPECT_EQ(a->at(name).channel_means.size(), 1000u);
    EXPECT_EQ(choose_range(a->at(name), options), choose_range(b->at(name), options));
  }
  // Channel j's mean is the mean of column j over the four samples (to the fixed point's 40 / 2^30).
  for (std::size_t j : {std::size_t{7}, std::size_t{10}, std::size_t{999}}) {
    const double want = (double(v[j]) + v[1000 + j] + v[2000 + j] + v[3000 + j]) / 4.0;
    EXPECT_NEAR(a->at("x").channel_means[j], want, 1e-7) << j;
  }
  // The histogram holds every value once.
  const auto& h = a->at("x").histogram;
  EXPECT_EQ(std::accumulate(h.begin(), h.end(), std::int64_t{0}), 4000);
}

TEST(ChooseRange, ClippingMethodsDropTheOutliers) {
  const Graph g = relu_graph();
  const LabeledData data = samples_of(body_with_outliers());
  for (CalibrationMethod method : {CalibrationMethod::kPercentile, CalibrationMethod::kEntropy}) {
    CalibrationOptions options;
    options.method = method;
    options.percentile = 99.8;  // 4 values off each tail
    auto stats = collect_statistics(g, {"x"}, data, options);
    ASSERT_TRUE(stats.is_ok());
    const auto [lo, hi] = choose_range(stats->at("x"), options);
    SCOPED_TRACE(std::string(calibration_method_name(method)));
    // The body reaches about +-3.5 sigma; the four outliers at +-40 must not set the range.
    EXPECT_LT(hi, 20.0f);
    EXPECT_GT(lo, -20.0f);
    EXPECT_GT(hi, 2.0f);
    EXPECT_LT(lo, -2.0f);
  }
  CalibrationOptions minmax;
  auto stats = collect_statistics(g, {"x"}, data, minmax);
  EXPECT_EQ(choose_range(stats->at("x"), minmax), (std::pair<float, float>{-40.0f, 40.0f}));
}

TEST(ChooseRange, MseClipsOnlyWhenClippingCostsLessThanResolution) {
  // Clipping a value at c costs (x - c)^2; a wider range costs every value resolution.
  // 400k N(0,1) values and one at 50: clipping the 50 costs ~2000, keeping it ~5000 -> clip.
  std::mt19937 rng(8);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> v(400000);
  for (float& x : v) x = normal(rng);
  v[123] = 50.0f;
  CalibrationOptions options;
  options.method = CalibrationMethod::kMse;
  auto stats = collect_statistics(relu_graph(), {"x"}, samples_of(v), options);
  ASSERT_TRUE(stats.is_ok());
  auto [lo, hi] = choose_range(stats->at("x"), options);
  EXPECT_LT(hi, 40.0f);
  EXPECT_GT(hi, 3.0f);
  // 4000 values and four outliers at +-40: clipping them would cost far more than resolution,
  // so MSE keeps the full range (where percentile and entropy clip).
  stats = collect_statistics(relu_graph(), {"x"}, samples_of(body_with_outliers()), options);
  ASSERT_TRUE(stats.is_ok());
  std::tie(lo, hi) = choose_range(stats->at("x"), options);
  EXPECT_GT(hi, 35.0f);
}

TEST(ChooseRange, PercentileCutsTheRequestedShare) {
  // 1000 evenly spaced values 0.001 .. 1.0 (one sample): the 98 % percentile (1 % off each
  // tail) keeps the upper bound near 0.99.
  std::vector<float> v(1000);
  for (int i = 0; i < 1000; ++i) v[static_cast<std::size_t>(i)] = static_cast<float>(i + 1) / 1000.0f;
  CalibrationOptions options;
  options.method = CalibrationMethod::kPercentile;
  options.percentile = 98.0;
  auto stats = collect_statistics(relu_graph(), {"x"}, samples_of(v), options);
  ASSERT_TRUE(stats.is_ok());
  const auto [lo, hi] = choose_range(stats->at("x"), options);
  EXPECT_EQ(lo, 0.0f);  // the range always holds zero
  EXPECT_NEAR(hi, 0.99f, 0.003f);
}

TEST(CollectStatistics, BadDataIsAClearError) {
  const Graph g = relu_graph();
  LabeledData empty = samples_of({});
  auto r = collect_statistics(g, {"x"}, empty, {});
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("empty"), std::string::npos);

  LabeledData wrong;
  wrong.inputs.push_back(Tensor::allocate(DType::kFloat32, {2, 999}).value());
  wrong.input_names = {"x"};
  wrong.labels = {0, 0};
  r = collect_statistics(g, {"x"}, wrong, {});
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("[1,1000]"), std::string::npos) << r.status().message();

  std::vector<float> infinite(1000, 1.0f);
  infinite[5] = std::numeric_limits<float>::infinity();
  r = collect_statistics(g, {"x"}, samples_of(infinite), {});
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("'x' is not finite"), std::string::npos) << r.status().message();

  r = collect_statistics(g, {"nope"}, samples_of(std::vector<float>(1000, 1.0f)), {});
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("'nope'"), std::string::npos);
}

}  // namespace
}  // namespace edgeai
