#include "compress/quantize.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "compress/compress.hpp"
#include "format/bundle.hpp"
#include "model_fixtures.hpp"
#include "runtime/session.hpp"

namespace edgeai {
namespace {

using testing::random_data;
using testing::bundle_of;
using testing::small_cnn;

std::map<std::string, int> count_ops(const Graph& g) {
  std::map<std::string, int> counts;
  for (const Node& n : g.nodes) ++counts[n.op_type];
  return counts;
}

// Runs `graph` on every sample; returns the first output's rows.
std::vector<std::vector<float>> run_all(const Graph& graph, const LabeledData& data) {
  auto session = Session::create(graph);
  EXPECT_TRUE(session.is_ok()) << session.status().to_string();
  std::vector<std::vector<float>> rows;
  const std::int64_t sample = data.inputs[0].num_elements() / data.size();
  for (std::int64_t n = 0; n < data.size(); ++n) {
    Shape shape = data.inputs[0].shape();
    shape[0] = 1;
    TensorView x{DType::kFloat32, shape, data.inputs[0].data<float>() + n * sample};
    EXPECT_TRUE((*session)->run({&x, 1}).is_ok());
    const TensorView y = (*session)->output(0);
    rows.emplace_back(y.data_as<const float>(), y.data_as<const float>() + y.num_elements());
  }
  return rows;
}

TEST(SplitUnfusableActivations, KeepsReluAndClipSplitsTheRest) {
  Graph g = small_cnn();
  EXPECT_EQ(split_unfusable_activations(g), 1);  // the HardSwish of conv 3
  const auto ops = count_ops(g);
  EXPECT_EQ(ops.at("HardSwish"), 1);
  EXPECT_EQ(ops.at("Conv"), 3);
  // The float model computes the same after the split.
  const LabeledData data = random_data(g, 4, 11);
  const auto before = run_all(small_cnn(), data);
  const auto after = run_all(g, data);
  EXPECT_EQ(before, after);
}

TEST(SplitUnfusableActivations, SiluBecomesSigmoidAndMul) {
  // SiLU has no operator of its own: the split writes the Sigmoid and Mul exporters use.
  Graph silu = small_cnn();
  for (Node& node : silu.nodes) {
    if (node.attr_string("activation", "") == "HardSwish") node.attributes["activation"] = std::string("SiLU");
  }
  Graph g = silu;
  EXPECT_EQ(split_unfusable_activations(g), 1);
  const auto ops = count_ops(g);
  EXPECT_EQ(ops.at("Sigmoid"), 1);
  EXPECT_EQ(ops.at("Mul"), 1);
  EXPECT_EQ(ops.count("SiLU"), 0u);
  const LabeledData data = random_data(g, 4, 11);
  EXPECT_EQ(run_all(silu, data), run_all(g, data));
  // x * HardSigmoid(x) keeps its alpha and beta.
  Graph hard = small_cnn();
  for (Node& node : hard.nodes) {
    if (node.attr_string("activation", "") != "HardSwish") continue;
    node.attributes["activation"] = std::string("GatedHardSigmoid");
    node.attributes["activation_alpha"] = 0.25f;
    node.attributes["activation_beta"] = 0.375f;
  }
  Graph split = hard;
  EXPECT_EQ(split_unfusable_activations(split), 1);
  for (const Node& node : split.nodes) {
    if (node.op_type == "HardSigmoid") {
      EXPECT_EQ(node.attr_float("alpha", 0.0f), 0.25f);
      EXPECT_EQ(node.attr_float("beta", 0.0f), 0.375f);
    }
  }
  EXPECT_EQ(count_ops(split).at("HardSigmoid"), 1);
  EXPECT_EQ(run_all(hard, data), run_all(split, data));
}

class QuantizeSmallCnn : public ::testing::Test {
 protected:
  void SetUp() override {
    calibration_ = random_data(small_cnn(), 64, 1);
    evaluation_ = random_data(small_cnn(), 32, 2);
  }
  LabeledData calibration_, evaluation_;
};

TEST_F(QuantizeSmallCnn, EveryLayerRunsInInt8AndTracksFloat) {
  CompressOptions options;
  auto result = compress_model(bundle_of(small_cnn()), &calibration_, nullptr, options);
  ASSERT_TRUE(result.is_ok()) << result.status().to_string();
  const Graph& q = result->bundle.graph;
  const auto ops = count_ops(q);
  EXPECT_EQ(ops.at("QLinearConv"), 3);
  EXPECT_EQ(ops.at("QLinearLookup"), 1);  // HardSwish
  EXPECT_EQ(ops.at("MaxPool"), 1);
  EXPECT_EQ(ops.at("QLinearAdd"), 1);
  EXPECT_EQ(ops.at("QLinearGlobalAveragePool"), 1);
  EXPECT_EQ(ops.at("QGemm"), 1);
  EXPECT_EQ(ops.at("QuantizeLinear"), 1);    // at the float input only
  EXPECT_EQ(ops.at("DequantizeLinear"), 1);  // before the float Softmax
  EXPECT_EQ(ops.at("Softmax"), 1);
  EXPECT_EQ(ops.count("Conv"), 0u);
  EXPECT_EQ(q.inputs[0].dtype, DType::kFloat32);  // the interface stays float
  // Weights are int8 (4x smaller than the float ones they replace).
  EXPECT_EQ(q.find_constant(q.nodes[1].inputs[3]) != nullptr, true);
  for (const LayerReport& l : result->layers) {
    if (l.op_type == "Softmax") {
      EXPECT_EQ(l.precision, "float32");
      continue;
    }
    EXPECT_EQ(l.precision, "int8") << l.node << ": " << l.reason;
    ASSERT_TRUE(l.sqnr.has_value()) << l.node;
    EXPECT_GT(l.sqnr->accumulated_db, 20.0) << l.node;
    EXPECT_GT(l.sqnr->local_db, 20.0) << l.node;
  }
  // On samples it was not calibrated on, the int8 model's probabilities stay close to fp32's.
  const auto fp32 = run_all(small_cnn(), evaluation_);
  const auto int8 = run_all(q, evaluation_);
  double max_diff = 0.0;
  for (std::size_t n = 0; n < fp32.size(); ++n) {
    for (std::size_t c = 0; c < fp32[n].size(); ++c) max_diff = std::max(max_diff, std::fabs(double(fp32[n][c]) - int8[n][c]));
  }
  EXPECT_LT(max_diff, 0.05);
}

TEST_F(QuantizeSmallCnn, Int16ActivationsTrackFloatFarCloserAndKeepAddAndTablesFloat) {
  CompressOptions int8_options;
  CompressOptions int16_options;
  int16_options.quantize.activation_type = DType::kInt16;
  auto int8 = compress_model(bundle_of(small_cnn()), &calibration_, nullptr, int8_options);
  auto int16 = compress_model(bundle_of(small_cnn()), &calibration_, nullptr, int16_options);
  ASSERT_TRUE(int8.is_ok() && int16.is_ok()) << int16.status().to_string();
  EXPECT_EQ(int16->bundle.manifest.metadata.at("compression.activations"), "int16");
  const Graph& q = int16->bundle.graph;
  const auto ops = count_ops(q);
  EXPECT_EQ(ops.at("QLinearConv"), 3);
  EXPECT_EQ(ops.at("QGemm"), 1);
  EXPECT_EQ(ops.at("QLinearGlobalAveragePool"), 1);
  EXPECT_EQ(ops.count("QLinearAdd"), 0u);  // no int16 kernel: Add and HardSwish run in float32
  EXPECT_EQ(ops.count("QLinearLookup"), 0u);
  EXPECT_EQ(ops.at("Add"), 1);
  EXPECT_EQ(ops.at("HardSwish"), 1);
  // Every integer activation is int16 with zero point 0; weights stay int8.
  for (const Node& n : q.nodes) {
    if (n.op_type == "QuantizeLinear") {
      const Tensor& zp = *q.find_constant(n.inputs[2]);
      EXPECT_EQ(zp.dtype(), DType::kInt16) << n.name;
      EXPECT_EQ(zp.data<std::int16_t>()[0], 0) << n.name;
    }
    if (n.op_type == "QLinearConv") {
      EXPECT_EQ(q.find_constant(n.inputs[3])->dtype(), DType::kInt8) << n.name;
    }
  }
  for (const LayerReport& l : int16->layers) {
    if (l.op_type == "Add" || l.op_type == "HardSwish") {
      EXPECT_EQ(l.precision, "float32") << l.node;
      EXPECT_NE(l.reason.find("no int16-activation kernel"), std::string::npos) << l.reason;
    }
    if (l.op_type == "Conv") {
      EXPECT_EQ(l.precision, "int16 activations") << l.node;
      ASSERT_TRUE(l.sqnr.has_value()) << l.node;
      // 8 more bits of activation: the layer alone is closer to float (how much depends on how much
      // of its error the int8 weights make; here the random weights make most of it).
      const LayerReport& same = *std::find_if(int8->layers.begin(), int8->layers.end(),
                                              [&](const LayerReport& r) { return r.node == l.node; });
      EXPECT_GT(l.sqnr->local_db, same.sqnr->local_db + 1.0) << l.node;
    }
  }
  const auto fp32 = run_all(small_cnn(), evaluation_);
  const auto eight = run_all(int8->bundle.graph, evaluation_);
  const auto sixteen = run_all(q, evaluation_);
  double diff8 = 0.0, diff16 = 0.0;
  for (std::size_t n = 0; n < fp32.size(); ++n) {
    for (std::size_t c = 0; c < fp32[n].size(); ++c) {
      diff8 = std::max(diff8, std::fabs(double(fp32[n][c]) - eight[n][c]));
      diff16 = std::max(diff16, std::fabs(double(fp32[n][c]) - sixteen[n][c]));
    }
  }
  EXPECT_LT(diff16, diff8 / 2.0) << "int8 " << diff8 << ", int16 " << diff16;
  // Range methods tuned for 8-bit resolution are refused at 16 bits.
  int16_options.calibration.method = CalibrationMethod::kEntropy;
  auto entropy = compress_model(bundle_of(small_cnn()), &calibration_, nullptr, int16_options);
  ASSERT_FALSE(entropy.is_ok());
  EXPECT_NE(entropy.status().message().find("use minmax or percentile"), std::string::npos);
}

TEST_F(QuantizeSmallCnn, SameDataInAnyOrderGivesTheSameBytes) {
  CompressOptions options;
  options.calibration.method = CalibrationMethod::kEntropy;
  auto a = compress_model(bundle_of(small_cnn()), &calibration_, nullptr, options);
  std::vector<std::int64_t> reversed(static_cast<std::size_t>(calibration_.size()));
  for (std::int64_t i = 0; i < calibration_.size(); ++i) reversed[static_cast<std::size_t>(i)] = calibration_.size() - 1 - i;
  LabeledData shuffled = *calibration_.subset(reversed);
  auto b = compress_model(bundle_of(small_cnn()), &shuffled, nullptr, options);
  ASSERT_TRUE(a.is_ok() && b.is_ok());
  EXPECT_EQ(*serialize_bundle(a->bundle), *serialize_bundle(b->bundle));
  // Different data gives a different model: the comparison above can fail.
  LabeledData other = random_data(small_cnn(), 64, 99, 3.0f);
  auto c = compress_model(bundle_of(small_cnn()), &other, nullptr, options);
  ASSERT_TRUE(c.is_ok());
  EXPECT_NE(*serialize_bundle(a->bundle), *serialize_bundle(c->bundle));
}

TEST_F(QuantizeSmallCnn, KeepFloatAndStrict) {
  CompressOptions options;
  options.quantize.keep_float = {"c3_node"};
  auto result = compress_model(bundle_of(small_cnn()), &calibration_, nullptr, options);
  ASSERT_TRUE(result.is_ok()) << result.status().to_string();
  EXPECT_EQ(count_ops(result->bundle.graph).at("Conv"), 1);
  EXPECT_EQ(count_ops(result->bundle.graph).at("QLinearConv"), 2);

  // An operator without an int8 form (Neg) stays float with a warning; --strict refuses it.
  Graph g = small_cnn();
  g.nodes.insert(g.nodes.begin() + 6, testing::make_node("Neg", {"g"}, {"g_neg"}));
  g.nodes[7].inputs[0] = "g_neg";  // Flatten reads the negated pool
  ASSERT_TRUE(validate_graph(g).is_ok());
  result = compress_model(bundle_of(g), &calibration_, nullptr, options);
  ASSERT_TRUE(result.is_ok()) << result.status().to_string();
  bool warned = false;
  for (const std::string& w : result->warnings) warned = warned || w.find("Neg 'g_neg_node'") != std::string::npos;
  EXPECT_TRUE(warned);
  options.quantize.strict = true;
  result = compress_model(bundle_of(g), &calibration_, nullptr, options);
  ASSERT_FALSE(result.is_ok());
  EXPECT_NE(result.status().message().find("g_neg_node"), std::string::npos) << result.status().message();
  EXPECT_NE(result.status().message().find("--strict"), std::string::npos);
}

// logits = x (a 3x3 identity Gemm): the label of a sample is the index of its largest value.
Graph argmax_model() {
  Graph g;
  g.name = "argmax";
  g.inputs = {ValueInfo{"x", DType::kFloat32, {1, 3}}};
  g.outputs = {ValueInfo{"logits", DType::kFloat32, {}}};
  g.constants["eye"] = Tensor::from_values<float>({3, 3}, {1, 0, 0, 0, 1, 0, 0, 0, 1});
  g.nodes = {testing::make_node("Gemm", {"x", "eye"}, {"logits"})};
  EXPECT_TRUE(validate_graph(g).is_ok());
  return g;
}

TEST(AccuracyBudget, KeepsSensitiveLayersFloatOrSaysItCannot) {
  const Graph g = argmax_model();
  LabeledData eval = random_data(g, 90, 3);
  for (std::int64_t n = 0; n < eval.size(); ++n) {
    const float* x = eval.inputs[0].data<float>() + 3 * n;
    eval.labels[static_cast<std::size_t>(n)] = std::max_element(x, x + 3) - x;  // fp32 is 100 %
  }
  // Calibrated on inputs 100x too small, the int8 input saturates: every logit reads the same
  // and top-1 collapses.
  const LabeledData tiny = random_data(g, 16, 5, 0.01f);
  auto plain = compress_model(bundle_of(g), &tiny, &eval, CompressOptions{});
  ASSERT_TRUE(plain.is_ok()) << plain.status().to_string();
  EXPECT_EQ(plain->accuracy->fp32_top1, 100.0);
  ASSERT_LT(plain->accuracy->compressed_top1, 60.0);

  CompressOptions options;
  options.max_accuracy_drop = -1.0;
  auto negative = compress_model(bundle_of(g), &tiny, &eval, options);
  ASSERT_FALSE(negative.is_ok());
  EXPECT_NE(negative.status().message().find("must be >= 0"), std::string::npos);
  options.max_accuracy_drop = 0.5;
  auto no_eval = compress_model(bundle_of(g), &tiny, nullptr, options);
  ASSERT_FALSE(no_eval.is_ok());
  EXPECT_NE(no_eval.status().message().find("needs an evaluation set"), std::string::npos);
  options.max_float_layers = 0;
  auto result = compress_model(bundle_of(g), &tiny, &eval, options);
  ASSERT_FALSE(result.is_ok());
  EXPECT_NE(result.status().message().find("cannot be met"), std::string::npos) << result.status().message();
  EXPECT_NE(result.status().message().find("best found"), std::string::npos);

  // Allowed to keep the layer in float32, the search does so and meets the budget.
  options.max_float_layers = 1;
  result = compress_model(bundle_of(g), &tiny, &eval, options);
  ASSERT_TRUE(result.is_ok()) << result.status().to_string();
  EXPECT_EQ(result->accuracy->compressed_top1, 100.0);
  ASSERT_EQ(result->budget_search.size(), 2u);
  EXPECT_EQ(result->budget_search[1].float_layers, 1);
  EXPECT_EQ(result->layers[0].precision, "float32");

  // Per class: the saturated int8 model calls almost everything class 0, so classes 1 and 2 lose
  // nearly all their sensitivity — a far larger drop than top-1's — and the budget says so.
  options.budget_per_class = true;
  options.budget_min_class_support = 10;
  options.max_float_layers = 0;
  result = compress_model(bundle_of(g), &tiny, &eval, options);
  ASSERT_FALSE(result.is_ok());
  EXPECT_NE(result.status().message().find("(per class)"), std::string::npos) << result.status().message();
  options.max_float_layers = 1;
  result = compress_model(bundle_of(g), &tiny, &eval, options);
  ASSERT_TRUE(result.is_ok()) << result.status().to_string();
  ASSERT_EQ(result->budget_search.size(), 2u);
  EXPECT_GT(result->budget_search[0].drop, 100.0 - plain->accuracy->compressed_top1);  // worse than top-1's drop
  EXPECT_EQ(result->budget_search[1].drop, 0.0);
}

TEST_F(QuantizeSmallCnn, EmptyCalibrationSetIsAnError) {
  LabeledData empty = random_data(small_cnn(), 0, 1);
  auto result = compress_model(bundle_of(small_cnn()), &empty, nullptr, CompressOptions{});
  ASSERT_FALSE(result.is_ok());
  EXPECT_NE(result.status().message().find("empty"), std::string::npos);
  result = compress_model(bundle_of(small_cnn()), nullptr, nullptr, CompressOptions{});
  ASSERT_FALSE(result.is_ok());
  EXPECT_NE(result.status().message().find("calibration"), std::string::npos);
}

}  // namespace
}  // namespace edgeai

namespace edgeai {
namespace {

// x [1,2,8,8] in [0, 1) (mean 0.5) -> Conv 3x3 with, per filter, one weight of 1.27 (the scale:
// 0.01 per step) and 17 weights of 0.004 that all round to 0: every output is shifted by
// -17 * 0.004 * 0.5 = -0.034 on average, about six output steps. Bias correction removes it.
Graph biased_rounding_conv() {
  Graph g;
  g.name = "rounding";
  g.inputs = {ValueInfo{"x", DType::kFloat32, {1, 2, 8, 8}}};
  g.outputs = {ValueInfo{"y", DType::kFloat32, {}}};
  std::vector<float> w(2 * 2 * 9, 0.004f);
  w[0] = 1.27f;
  w[18] = 1.27f;
  g.constants["w"] = Tensor::from_vector<float>({2, 2, 3, 3}, w);
  g.constants["b"] = Tensor::from_values<float>({2}, {0.0f, 0.0f});
  g.nodes = {testing::make_node("Conv", {"x", "w", "b"}, {"y"})};
  EXPECT_TRUE(validate_graph(g).is_ok());
  return g;
}

// A bias too large for the int32 accumulator at the int16 input scale keeps its Conv in float32;
// the same Conv with a small bias is quantised.
TEST(QuantizeInt16, ABiasThatOverflowsInt32KeepsTheLayerFloat) {
  for (float bias : {1e6f, 0.5f}) {
    Graph g;
    g.name = "big_bias";
    g.inputs = {ValueInfo{"x", DType::kFloat32, {1, 1, 4}}};
    g.outputs = {ValueInfo{"y", DType::kFloat32, {}}};
    g.constants["w"] = Tensor::from_values<float>({1, 1, 1}, {1.0f});
    g.constants["b"] = Tensor::from_values<float>({1}, {bias});
    g.nodes = {testing::make_node("Conv", {"x", "w", "b"}, {"y"})};
    ASSERT_TRUE(validate_graph(g).is_ok());
    QuantizeOptions options;
    options.activation_type = DType::kInt16;
    // x_scale = 1e-3 / 32767, w_scale = 1 / 127: 1e6 / (x_scale * w_scale) is about 4e15.
    auto q = quantize_int8(g, {{"x", {-1e-3f, 1e-3f}}, {"y", {-2e6f, 2e6f}}}, options);
    ASSERT_TRUE(q.is_ok()) << q.status().to_string();
    ASSERT_EQ(q->layers.size(), 1u);
    if (bias > 1.0f) {
      EXPECT_FALSE(q->layers[0].quantized);
      EXPECT_NE(q->layers[0].reason.find("overflows int32"), std::string::npos) << q->layers[0].reason;
    } else {
      EXPECT_TRUE(q->layers[0].quantized) << q->layers[0].reason;
    }
  }
}

double mean_error(const Graph& reference, const Graph& quantized, const LabeledData& data) {
  const auto want = run_all(reference, data);
  const auto got = run_all(quantized, data);
  double sum = 0.0;
  std::int64_t n = 0;
  for (std::size_t s = 0; s < want.size(); ++s) {
    for (std::size_t i = 0; i < want[s].size(); ++i, ++n) sum += double(got[s][i]) - want[s][i];
  }
  return sum / static_cast<double>(n);
}

TEST(BiasCorrection, RemovesTheMeanShiftOfWeightRounding) {
  const Graph g = biased_rounding_conv();
  const LabeledData calibration = random_data(g, 32, 1);
  const LabeledData evaluation = random_data(g, 16, 2);
  CompressOptions plain;
  auto a = compress_model(bundle_of(g), &calibration, nullptr, plain);
  ASSERT_TRUE(a.is_ok()) << a.status().to_string();
  CompressOptions corrected;
  corrected.calibration.channel_means = true;
  auto b = compress_model(bundle_of(g), &calibration, nullptr, corrected);
  ASSERT_TRUE(b.is_ok()) << b.status().to_string();
  const double before = mean_error(g, a->bundle.graph, evaluation);
  const double after = mean_error(g, b->bundle.graph, evaluation);
  EXPECT_LT(before, -0.02);  // the predicted shift, -0.034 less edge taps over padding
  EXPECT_LT(std::fabs(after), 0.005);
  EXPECT_NE(b->bundle.manifest.metadata.at("compression.calibration").find("bias correction"), std::string::npos);
}

}  // namespace
}  // namespace edgeai
