// Quantisation-aware training: the fake quantisers against the integer arithmetic of
// kernels/quantization.hpp and the compressor's weights, the straight-through gradients, the
// fake-quantised GraphModule against the int8 model on the edgeai runtime, and a fine-tune that
// recovers accuracy post-training quantisation loses.
#include "train/qat.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <random>

#include "../compress/model_fixtures.hpp"
#include "compress/compress.hpp"
#include "data/evaluate.hpp"
#include "kernels/quantization.hpp"
#include "runtime/session.hpp"
#include "train/export.hpp"
#include "train_fixtures.hpp"

namespace edgeai {
namespace {

using testing::make_node;
using test::teacher_data;

torch::Tensor floats(const std::vector<float>& v) { return torch::tensor(v, torch::kFloat32); }

std::vector<float> values_of(const torch::Tensor& t) {
  const torch::Tensor c = t.detach().to(torch::kCPU).contiguous();
  return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
}

TEST(FakeQuantization, ActivationIsQuantizeThenDequantizeBitForBit) {
  const ActivationQuantization p{0.0371f, -17, -128, 127};
  std::vector<float> x;
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> wide(-8.0f, 8.0f);
  for (int i = 0; i < 20000; ++i) x.push_back(wide(rng));
  // Halfway cases (x / scale = k + 0.5 in float): ties must round to even, as nearbyint does.
  for (int k = -140; k <= 140; ++k) x.push_back((static_cast<float>(k) + 0.5f) * p.scale);
  x.push_back(0.0f);
  const std::vector<float> got = values_of(fake_quantize_activation(floats(x), p));
  int ties_checked = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const std::int32_t q = quant::quantize_value(x[i], p.scale, p.zero_point, -128, 127);
    const float expected = quant::dequantize_value(q, p.scale, p.zero_point);
    ASSERT_EQ(got[i], expected) << "x = " << x[i];
    const float scaled = x[i] / p.scale;
    ties_checked += scaled - std::floor(scaled) == 0.5f;
  }
  EXPECT_GT(ties_checked, 100);
  // Clamped at both ends of the int8 range.
  const std::vector<float> ends = values_of(fake_quantize_activation(floats({-100.0f, 100.0f}), p));
  EXPECT_FLOAT_EQ(ends[0], static_cast<float>(-128 - p.zero_point) * p.scale);
  EXPECT_FLOAT_EQ(ends[1], static_cast<float>(127 - p.zero_point) * p.scale);
}

TEST(FakeQuantization, StraightThroughInsideTheRangeZeroOutside) {
  const ActivationQuantization p{0.05f, 10, -128, 127};  // range [-6.9, 5.85]
  torch::Tensor x = floats({-7.5f, -6.9f, -3.0f, -0.026f, 0.0f, 0.74f, 5.85f, 5.9f, 40.0f}).requires_grad_();
  torch::Tensor y = fake_quantize_activation(x, p);
  (y * floats({1, 2, 3, 4, 5, 6, 7, 8, 9})).sum().backward();
  EXPECT_EQ(values_of(x.grad()), (std::vector<float>{0, 2, 3, 4, 5, 6, 7, 0, 0}));

  // Weights: every weight lies inside its channel's range, so the gradient is the identity.
  torch::Tensor w = floats({0.5f, -1.0f, 0.25f, 0.0f, 0.0f, 0.0f}).reshape({2, 3}).requires_grad_();
  (fake_quantize_weight_per_channel(w, 0) * 3.0).sum().backward();
  EXPECT_EQ(values_of(w.grad()), (std::vector<float>(6, 3.0f)));
}

// x [1,2,8,8] -> Conv 3x3 (4 ch, fused Relu) -> GlobalAveragePool -> Flatten -> Gemm (3 classes).
Graph conv_gap_gemm(bool trans_b, std::uint32_t seed = 3) {
  std::mt19937 rng(seed);
  Graph g;
  g.name = "conv_gap_gemm";
  g.inputs = {ValueInfo{"x", DType::kFloat32, {1, 2, 8, 8}}};
  g.outputs = {ValueInfo{"logits", DType::kFloat32, {}}};
  g.constants["w1"] = testing::random_tensor({4, 2, 3, 3}, rng, 0.4f);
  g.constants["b1"] = testing::random_tensor({4}, rng, 0.1f);
  g.constants["wfc"] = testing::random_tensor(trans_b ? Shape{3, 4} : Shape{4, 3}, rng, 0.8f);
  g.constants["bfc"] = testing::random_tensor({3}, rng, 0.1f);
  g.nodes = {
      make_node("Conv", {"x", "w1", "b1"}, {"c1"},
                {{"pads", std::vector<std::int64_t>{1, 1, 1, 1}}, {"activation", "Relu"}}),
      make_node("GlobalAveragePool", {"c1"}, {"g"}),
      make_node("Flatten", {"g"}, {"f"}),
      make_node("Gemm", {"f", "wfc", "bfc"}, {"logits"}, {{"transB", std::int64_t{trans_b ? 1 : 0}}}),
  };
  EXPECT_TRUE(validate_graph(g).is_ok());
  return g;
}

struct Quantized {
  Int8Calibration calibration;
  QuantizedGraph int8;
};

Quantized calibrate_and_quantize(const Graph& graph, const LabeledData& calibration) {
  Result<Int8Calibration> c = calibrate_int8(graph, calibration, CalibrationOptions{});
  EXPECT_TRUE(c.is_ok()) << c.status().to_string();
  Result<QuantizedGraph> q = quantize_int8(c->prepared, c->ranges);
  EXPECT_TRUE(q.is_ok()) << q.status().to_string();
  return {std::move(c).value(), std::move(q).value()};
}

TEST(FakeQuantization, WeightsEqualTheCompressorsPerChannelInt8) {
  for (bool trans_b : {true, false}) {
    Graph g = conv_gap_gemm(trans_b);
    float* w1 = g.constants["w1"].data<float>();
    std::fill(w1 + 2 * 18, w1 + 3 * 18, 0.0f);  // an all-zero output channel: scale 1
    w1[5] = 1.7f;                               // an outlier in channel 0
    const Quantized q = calibrate_and_quantize(g, testing::random_normal_data(g, 16, 1, 1.0f));
    const FakeQuantization fq = fake_quantization_for(q.calibration.prepared, q.int8);
    ASSERT_EQ(fq.weights.size(), 2u);
    EXPECT_EQ(fq.weights.at("w1"), 0);
    EXPECT_EQ(fq.weights.at("wfc"), trans_b ? 0 : 1);
    for (const auto& [name, axis] : fq.weights) {
      SCOPED_TRACE(name);
      const Tensor& w = g.constants.at(name);
      const Tensor& q8 = q.int8.graph.constants.at(name + "_int8");
      const Tensor& scales = q.int8.graph.constants.at(name + "_scale");
      const std::vector<float> got = values_of(fake_quantize_weight_per_channel(*to_torch(w), axis));
      const Shape& shape = w.shape();
      std::int64_t inner = 1;
      for (std::size_t d = static_cast<std::size_t>(axis) + 1; d < shape.size(); ++d) inner *= shape[d];
      for (std::int64_t i = 0; i < w.num_elements(); ++i) {
        const std::int64_t c = (i / inner) % shape[static_cast<std::size_t>(axis)];
        ASSERT_EQ(got[static_cast<std::size_t>(i)],
                  static_cast<float>(q8.data<std::int8_t>()[i]) * scales.data<float>()[c])
            << "element " << i;
      }
    }
  }
}

struct Agreement {
  double max_diff = 0.0;         // fake-quantised module vs int8 runtime, first output
  double float_max_diff = 0.0;   // the same module without fake quantisation vs int8 runtime
  double label_agreement = 0.0;  // top-1 of the fake-quantised module vs the runtime
  double exact = 0.0;            // fraction of output elements where they are equal
};

std::vector<float> module_outputs(const Quantized& q, const LabeledData& data, bool fake_quantized) {
  Result<std::shared_ptr<GraphModule>> module = GraphModule::create(trainable_graph(q.calibration.prepared));
  EXPECT_TRUE(module.is_ok()) << module.status().to_string();
  if (fake_quantized) {
    EXPECT_TRUE((*module)->set_fake_quantization(fake_quantization_for(q.calibration.prepared, q.int8)).is_ok());
  }
  Result<std::vector<torch::Tensor>> out = predict(**module, data);
  EXPECT_TRUE(out.is_ok()) << out.status().to_string();
  return values_of((*out)[0]);
}

// Runs the int8 graph on the runtime and the module with and without fake quantisation over
// `data`, comparing the first outputs.
Agreement compare_with_int8_runtime(const Quantized& q, const LabeledData& data) {
  Result<std::unique_ptr<Session>> session = Session::create(q.int8.graph);
  EXPECT_TRUE(session.is_ok()) << session.status().to_string();
  Result<EvaluationResult> runtime = evaluate_on_runtime(**session, data);
  EXPECT_TRUE(runtime.is_ok()) << runtime.status().to_string();
  const std::vector<float> fq = module_outputs(q, data, true);
  const std::vector<float> plain = module_outputs(q, data, false);
  EXPECT_EQ(fq.size(), runtime->logits.size());
  Agreement a;
  const std::int64_t classes = runtime->num_classes;
  std::int64_t agree = 0;
  std::int64_t exact = 0;
  for (std::int64_t n = 0; n < data.size(); ++n) {
    const float* r = runtime->logits.data() + n * classes;
    const float* t = fq.data() + n * classes;
    const float* f = plain.data() + n * classes;
    for (std::int64_t c = 0; c < classes; ++c) {
      a.max_diff = std::max(a.max_diff, std::fabs(static_cast<double>(r[c] - t[c])));
      a.float_max_diff = std::max(a.float_max_diff, std::fabs(static_cast<double>(r[c] - f[c])));
      exact += r[c] == t[c];
    }
    agree += std::max_element(t, t + classes) - t == runtime->predicted[static_cast<std::size_t>(n)];
  }
  a.label_agreement = static_cast<double>(agree) / static_cast<double>(data.size());
  a.exact = static_cast<double>(exact) / static_cast<double>(data.size() * classes);
  return a;
}

TEST(FakeQuantization, ConvGapGemmMatchesTheInt8RuntimeWithinOneOutputStep) {
  const Graph g = conv_gap_gemm(true);
  const Quantized q = calibrate_and_quantize(g, testing::random_normal_data(g, 32, 11, 1.0f));
  const double step = q.int8.params_of.at("logits").scale * 1.0001;
  // Fresh samples, drawn like the calibration ones (a few may leave the calibrated ranges).
  const Agreement a = compare_with_int8_runtime(q, testing::random_normal_data(g, 200, 12, 1.0f));
  std::printf("conv-gap-gemm: output step %.4g, fake-quant vs int8 %.4g (%.1f %% equal), float vs int8 %.4g\n", step,
              a.max_diff, 100.0 * a.exact, a.float_max_diff);
  EXPECT_LE(a.max_diff, step);
  EXPECT_EQ(a.label_agreement, 1.0);
  EXPECT_GE(a.exact, 0.95);  // and mostly bit for bit
  // The float module is further away: the check above measures the quantisation.
  EXPECT_GT(a.float_max_diff, step);
}

TEST(FakeQuantization, EveryInt8LayerKindMatchesTheRuntime) {
  // Conv+Relu, MaxPool (pass-through), depthwise Conv+Clip, Add (QLinearAdd), Conv then
  // HardSwish as a lookup table, GlobalAveragePool, Flatten, Gemm; Softmax stays float. The
  // logits come out first so they are compared directly.
  Graph g = testing::small_cnn();
  g.outputs.insert(g.outputs.begin(), ValueInfo{"logits", DType::kFloat32, {}});
  const Quantized q = calibrate_and_quantize(g, testing::random_normal_data(g, 32, 21, 1.0f));
  const double step = q.int8.params_of.at("logits").scale * 1.0001;
  const Agreement a = compare_with_int8_runtime(q, testing::random_normal_data(g, 100, 22, 1.0f));
  std::printf("small cnn: output step %.4g, fake-quant vs int8 %.4g (%.1f %% equal), float vs int8 %.4g\n", step,
              a.max_diff, 100.0 * a.exact, a.float_max_diff);
  EXPECT_LE(a.max_diff, step);
  EXPECT_EQ(a.label_agreement, 1.0);
  EXPECT_GE(a.exact, 0.95);  // and mostly bit for bit
  EXPECT_GT(a.float_max_diff, step);
}

TEST(FakeQuantization, BadParametersAreNamed) {
  Result<std::shared_ptr<GraphModule>> module = GraphModule::create(trainable_graph(conv_gap_gemm(true)));
  ASSERT_TRUE(module.is_ok());
  FakeQuantization fq;
  fq.activations["nope"] = ActivationQuantization{};
  Status s = (*module)->set_fake_quantization(fq);
  EXPECT_NE(s.message().find("'nope' is not a float32 value"), std::string::npos) << s.to_string();
  fq = {};
  fq.activations["c1"] = ActivationQuantization{0.0f, 0, -128, 127};
  s = (*module)->set_fake_quantization(fq);
  EXPECT_NE(s.message().find("'c1' has scale 0"), std::string::npos) << s.to_string();
  fq = {};
  fq.weights["w1"] = 4;
  s = (*module)->set_fake_quantization(fq);
  EXPECT_NE(s.message().find("weight 'w1' of shape [4,2,3,3] has no channel axis 4"), std::string::npos)
      << s.to_string();
  EXPECT_TRUE((*module)->fake_quantization().empty());
}


// x [N,8] -> Gemm (16, Relu) -> Gemm (4): trained in float on the teacher's labels, then given a
// 17th hidden unit with huge activations and no influence on the output. fp32 accuracy does not
// change; the per-tensor int8 range of the hidden layer widens about 30 times, so post-training
// quantisation loses many points. QAT, at the same fixed ranges, learns around the coarse steps.
Bundle outlier_mlp_bundle(const LabeledData& train) {
  GraphBuilder b("outlier_mlp", 4);
  std::string x = b.input("x", {-1, 8});
  x = b.relu(b.linear(x, 16));
  b.output(b.linear(x, 4), "logits");
  Result<Graph> built = b.build();
  EXPECT_TRUE(built.is_ok()) << built.status().to_string();
  Result<std::shared_ptr<GraphModule>> module = GraphModule::create(*built);
  EXPECT_TRUE(module.is_ok()) << module.status().to_string();
  TrainOptions o;
  o.learning_rate = 1e-2;
  o.epochs = 40;
  o.log_epochs = false;
  o.progress = false;
  o.threads = 1;
  EXPECT_TRUE(train_model(**module, train, LabeledData{}, o).is_ok());
  Result<Graph> exported = export_graph(**module);
  EXPECT_TRUE(exported.is_ok()) << exported.status().to_string();
  Graph g = std::move(exported).value();

  for (const Node& n : g.nodes) EXPECT_EQ(n.op_type, "Gemm");
  const Node& hidden = g.nodes[0];
  const Node& out = g.nodes[1];
  EXPECT_EQ(hidden.attr_int("transB", 0), 1);
  EXPECT_EQ(out.attr_int("transB", 0), 1);
  auto append = [&g](const std::string& name, Shape shape, const std::function<float(std::int64_t, std::int64_t)>& at) {
    const Tensor& old = g.constants.at(name);
    Tensor t = Tensor::allocate(DType::kFloat32, shape).value();
    const std::int64_t cols = shape.size() > 1 ? shape[1] : 1;
    const std::int64_t old_cols = old.shape().size() > 1 ? old.shape()[1] : 1;
    for (std::int64_t r = 0; r < shape[0]; ++r) {
      for (std::int64_t c = 0; c < cols; ++c) {
        const bool is_old = r < old.shape()[0] && c < old_cols;
        t.data<float>()[r * cols + c] = is_old ? old.data<float>()[r * old_cols + c] : at(r, c);
      }
    }
    g.constants[name] = std::move(t);
  };
  append(hidden.inputs[1], {17, 8}, [](std::int64_t, std::int64_t) { return 100.0f; });
  append(hidden.inputs[2], {17}, [](std::int64_t, std::int64_t) { return 0.0f; });
  append(out.inputs[1], {4, 17}, [](std::int64_t, std::int64_t) { return 0.0f; });
  g.value_info.clear();
  EXPECT_TRUE(validate_graph(g).is_ok());
  Bundle bundle;
  bundle.manifest.name = "outlier_mlp";
  bundle.manifest.version = "1.0.0";
  bundle.manifest.labels = train.class_names;
  bundle.graph = std::move(g);
  return bundle;
}

TEST(QuantizationAwareTraining, RecoversAccuracyPostTrainingQuantizationLoses) {
  const LabeledData train = teacher_data(2000, 1);
  const LabeledData test_set = teacher_data(2000, 2);
  const Bundle fp32 = outlier_mlp_bundle(train);
  const LabeledData calibration = *train.evenly_spaced(200);

  QatOptions options;
  options.train.learning_rate = 1e-2;  // a tiny model: more steps per point than a real one needs
  options.train.epochs = 10;
  options.train.log_epochs = false;
  options.train.progress = false;
  options.train.threads = 1;
  QatReport report;
  Result<CompressionResult> result =
      quantization_aware_training(fp32, train, calibration, &test_set, options, CompressOptions{}, {}, &report);
  ASSERT_TRUE(result.is_ok()) << result.status().to_string();
  ASSERT_TRUE(result->accuracy.has_value());
  ASSERT_TRUE(report.ptq_top1.has_value());
  const double fp32_top1 = result->accuracy->fp32_top1;
  const double ptq_top1 = *report.ptq_top1;
  const double qat_top1 = result->accuracy->compressed_top1;
  std::printf("outlier MLP: fp32 %.2f %%, PTQ int8 %.2f %%, QAT int8 %.2f %%\n", fp32_top1, ptq_top1, qat_top1);
  EXPECT_GT(fp32_top1 - ptq_top1, 3.0) << "the construction no longer makes PTQ lose accuracy";
  EXPECT_GT(qat_top1, ptq_top1 + 1.0);
  EXPECT_EQ(report.fake_quantized_weights, 2);
  EXPECT_EQ(report.training.epochs.size(), 10u);
  // The bundle is the int8 model: quantised layers, the QAT recorded.
  for (const Node& n : result->bundle.graph.nodes) EXPECT_NE(n.op_type, "Gemm");
  EXPECT_NE(result->bundle.manifest.metadata.at("compression.qat").find("10 epochs"), std::string::npos);
  EXPECT_EQ(result->bundle.manifest.metadata.at("compression.weights"), "int8");
}

TEST(QuantizationAwareTraining, KeepsThePtqWeightsWhenFineTuningHurtsValidation) {
  const LabeledData train = teacher_data(600, 3);
  const LabeledData val = teacher_data(300, 4);
  const Bundle fp32 = outlier_mlp_bundle(train);
  const LabeledData calibration = *train.evenly_spaced(100);
  QatOptions options;
  options.train.learning_rate = 50.0;  // wrecks the weights
  options.train.log_epochs = false;
  options.train.progress = false;
  options.train.threads = 1;
  options.validation = &val;
  QatReport report;
  Result<CompressionResult> qat =
      quantization_aware_training(fp32, train, calibration, &val, options, CompressOptions{}, {}, &report);
  ASSERT_TRUE(qat.is_ok()) << qat.status().to_string();
  EXPECT_FALSE(report.kept_fine_tuned);
  ASSERT_TRUE(report.validation_score_before && report.validation_score_after);
  EXPECT_LE(*report.validation_score_after, *report.validation_score_before);
  // Then the result is exactly post-training quantisation.
  Result<CompressionResult> ptq = compress_model(fp32, &calibration, &val, CompressOptions{});
  ASSERT_TRUE(ptq.is_ok()) << ptq.status().to_string();
  EXPECT_EQ(qat->accuracy->compressed_top1, ptq->accuracy->compressed_top1);
  EXPECT_EQ(qat->accuracy->compressed_top1, *report.ptq_top1);
  EXPECT_NE(qat->bundle.manifest.metadata.at("compression.qat").find("did not raise"), std::string::npos);
}

TEST(QuantizationAwareTraining, FoldsBatchNormalizationAndTrainsThroughDropout) {
  // A freshly trained graph, as training leaves it: BatchNormalization, Dropout, batch -1.
  const LabeledData train = test::bright_square_data(256, 7);
  const LabeledData test_data = test::bright_square_data(128, 8);
  Result<std::shared_ptr<GraphModule>> module = GraphModule::create(test::square_net());
  ASSERT_TRUE(module.is_ok());
  TrainOptions o;
  o.epochs = 3;
  o.learning_rate = 1e-2;
  o.log_epochs = false;
  o.progress = false;
  o.threads = 1;
  ASSERT_TRUE(train_model(**module, train, LabeledData{}, o).is_ok());
  Bundle fp32;
  fp32.manifest.name = "square_net";
  fp32.manifest.version = "1.0.0";
  fp32.manifest.labels = train.class_names;
  fp32.graph = (*module)->to_graph();
  QatOptions options;
  options.train.log_epochs = false;
  options.train.progress = false;
  options.train.threads = 1;
  Result<CompressionResult> result =
      quantization_aware_training(fp32, train, *train.evenly_spaced(64), &test_data, options, CompressOptions{});
  ASSERT_TRUE(result.is_ok()) << result.status().to_string();
  bool has_qconv = false;
  for (const Node& n : result->bundle.graph.nodes) {
    EXPECT_NE(n.op_type, "BatchNormalization");
    has_qconv = has_qconv || n.op_type == "QLinearConv";
  }
  EXPECT_TRUE(has_qconv);
  EXPECT_GE(result->accuracy->compressed_top1, result->accuracy->fp32_top1 - 5.0);
}

TEST(QuantizationAwareTraining, RefusesWeightOnlyFormats) {
  const LabeledData train = teacher_data(64, 5);
  CompressOptions int4;
  int4.weights = WeightFormat::kInt4;
  Bundle fp32;
  fp32.graph = conv_gap_gemm(true);
  Result<CompressionResult> r = quantization_aware_training(fp32, train, train, nullptr, QatOptions{}, int4);
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("needs int8 weights and activations, not int4"), std::string::npos);
}

}  // namespace
}  // namespace edgeai
