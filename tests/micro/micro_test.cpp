// The microcontroller runtime against the host: an int8 bundle from edgeai compress runs in the
// micro interpreter (in place, one arena) with the same output bytes as the host runtime's
// reference kernels; the DSP forms of convolution and fully connected layers give the reference
// forms' bytes; bad bundles and small arenas are refused with their numbers.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <random>
#include <set>

#include "../compress/model_fixtures.hpp"
#include "cli/mcu_bundle.hpp"
#include "compress/compress.hpp"
#include "micro/interpreter.hpp"
#include "micro/kernels.hpp"
#include "runtime/session.hpp"

namespace edgeai {
namespace {

using testing::make_node;
using testing::random_tensor;

// An ECG-like 1-D CNN with a second input: conv (relu) -> max pool -> conv stride 2 (relu) ->
// global average pool -> flatten -> concat with `rr` -> gemm (relu) -> gemm.
Graph beat_cnn(std::uint32_t seed) {
  std::mt19937 rng(seed);
  Graph g;
  g.name = "beat_cnn";
  g.inputs = {ValueInfo{"beat", DType::kFloat32, {1, 1, 64}}, ValueInfo{"rr", DType::kFloat32, {1, 3}}};
  g.outputs = {ValueInfo{"logits", DType::kFloat32, {}}};
  g.constants["w1"] = random_tensor({6, 1, 7}, rng, 0.5f);
  g.constants["b1"] = random_tensor({6}, rng, 0.1f);
  g.constants["w2"] = random_tensor({8, 6, 5}, rng, 0.3f);
  g.constants["b2"] = random_tensor({8}, rng, 0.1f);
  g.constants["wfc"] = random_tensor({10, 11}, rng, 0.4f);
  g.constants["bfc"] = random_tensor({10}, rng, 0.1f);
  g.constants["wout"] = random_tensor({4, 10}, rng, 0.4f);
  g.constants["bout"] = random_tensor({4}, rng, 0.1f);
  using Ints = std::vector<std::int64_t>;
  g.nodes = {
      make_node("Conv", {"beat", "w1", "b1"}, {"c1"}, {{"pads", Ints{3, 3}}, {"activation", "Relu"}}),
      make_node("MaxPool", {"c1"}, {"p1"}, {{"kernel_shape", Ints{2}}, {"strides", Ints{2}}}),
      make_node("Conv", {"p1", "w2", "b2"}, {"c2"},
                {{"pads", Ints{2, 2}}, {"strides", Ints{2}}, {"activation", "Relu"}}),
      make_node("GlobalAveragePool", {"c2"}, {"g"}),
      make_node("Flatten", {"g"}, {"f"}),
      make_node("Concat", {"f", "rr"}, {"features"}, {{"axis", std::int64_t{1}}}),
      make_node("Gemm", {"features", "wfc", "bfc"}, {"h"}, {{"transB", std::int64_t{1}}, {"activation", "Relu"}}),
      make_node("Gemm", {"h", "wout", "bout"}, {"logits"}, {{"transB", std::int64_t{1}}}),
  };
  if (!validate_graph(g).is_ok()) std::abort();
  return g;
}

LabeledData beat_data(const Graph& g, std::int64_t count, std::uint32_t seed) {
  std::mt19937 rng(seed);
  LabeledData data;
  for (const ValueInfo& in : g.inputs) {
    Shape shape = in.shape;
    shape[0] = count;
    data.inputs.push_back(random_tensor(shape, rng, 1.0f));
    data.input_names.push_back(in.name);
  }
  data.labels.assign(static_cast<std::size_t>(count), 0);
  data.class_names = {"N", "S", "V", "F"};
  return data;
}

Bundle int8_beat_bundle() {
  const Graph g = beat_cnn(11);
  const LabeledData calibration = beat_data(g, 64, 5);
  Bundle source = testing::bundle_of(g);
  source.manifest.labels = {"N", "S", "V", "F"};
  CompressOptions options;
  auto result = compress_model(source, &calibration, nullptr, options);
  if (!result.is_ok()) {
    ADD_FAILURE() << result.status().to_string();
    std::abort();
  }
  return result->bundle;
}

// The bundle's bytes as the firmware holds them, 16-byte aligned like export --c-array's array.
struct AlignedBytes {
  explicit AlignedBytes(const std::vector<std::uint8_t>& bytes)
      : storage(bytes.size() + 16),
        data(storage.data() + (16 - reinterpret_cast<std::uintptr_t>(storage.data()) % 16) % 16),
        size(bytes.size()) {
    std::memcpy(data, bytes.data(), bytes.size());
  }
  std::vector<std::uint8_t> storage;
  std::uint8_t* data;
  std::size_t size;
};

class MicroRuntime : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    bundle_ = new Bundle(int8_beat_bundle());
    auto mcu = cli::make_mcu_bundle(*bundle_);
    ASSERT_TRUE(mcu.is_ok()) << mcu.status().to_string();
    bytes_ = new std::vector<std::uint8_t>(mcu->bytes);
  }
  static void TearDownTestSuite() {
    delete bundle_;
    delete bytes_;
  }
  static Bundle* bundle_;
  static std::vector<std::uint8_t>* bytes_;
};
Bundle* MicroRuntime::bundle_ = nullptr;
std::vector<std::uint8_t>* MicroRuntime::bytes_ = nullptr;

TEST_F(MicroRuntime, RunsTheInt8BundleWithTheHostReferenceKernelsBytes) {
  AlignedBytes flash(*bytes_);
  auto interpreter = std::make_unique<micro::Interpreter>();
  ASSERT_EQ(interpreter->load(flash.data, flash.size), micro::Code::kOk) << interpreter->error();
  std::vector<std::uint8_t> arena_storage(interpreter->arena_bytes() + 16);
  std::uint8_t* arena = arena_storage.data() + (16 - reinterpret_cast<std::uintptr_t>(arena_storage.data()) % 16) % 16;
  ASSERT_EQ(interpreter->allocate(arena, interpreter->arena_bytes()), micro::Code::kOk) << interpreter->error();
  ASSERT_EQ(interpreter->input_count(), 2);
  ASSERT_EQ(interpreter->output_count(), 1);

  SessionOptions options;
  options.kernels = KernelSelection::kReference;
  auto session = Session::create(*bundle_, options);
  ASSERT_TRUE(session.is_ok()) << session.status().to_string();

  const LabeledData data = beat_data(bundle_->graph, 200, 99);
  int different_labels = 0;
  std::set<std::int64_t> labels;
  for (std::int64_t s = 0; s < 200; ++s) {
    std::vector<Tensor> feeds;
    for (std::size_t i = 0; i < 2; ++i) {
      const Tensor& all = data.inputs[i];
      const std::int64_t per = all.num_elements() / 200;
      Shape shape = all.shape();
      shape[0] = 1;
      Tensor one = Tensor::allocate(DType::kFloat32, shape).value();
      std::memcpy(one.data<float>(), all.data<float>() + s * per, per * sizeof(float));
      std::memcpy(interpreter->input_data<float>(static_cast<int>(i)), one.data<float>(), per * sizeof(float));
      feeds.push_back(std::move(one));
    }
    ASSERT_EQ(interpreter->invoke(), micro::Code::kOk) << interpreter->error();
    auto host = (*session)->run_and_copy(feeds);
    ASSERT_TRUE(host.is_ok()) << host.status().to_string();
    const Tensor& expected = host->at(0);
    ASSERT_EQ(expected.num_elements(), 4);
    // Dequantised int8 logits, bit for bit.
    EXPECT_EQ(std::memcmp(expected.data<float>(), interpreter->output_data<float>(0), 4 * sizeof(float)), 0)
        << "sample " << s;
    float scale = 0;
    std::int32_t zero_point = 0;
    const std::int8_t* q = interpreter->quantized_output(0, &scale, &zero_point);
    ASSERT_NE(q, nullptr);
    for (int j = 0; j < 4; ++j) {
      EXPECT_EQ(static_cast<float>(q[j] - zero_point) * scale, expected.data<float>()[j]);
    }
    const float* y = interpreter->output_data<float>(0);
    labels.insert(std::max_element(y, y + 4) - y);
    different_labels += std::memcmp(expected.data<float>(), y, 16) != 0;
  }
  EXPECT_EQ(different_labels, 0);
  EXPECT_GE(labels.size(), 2u) << "the random model should not answer one class for every input";
}

TEST_F(MicroRuntime, ArenaIsWhatThePlanNeedsAndASmallerOneIsRefusedWithBothNumbers) {
  AlignedBytes flash(*bytes_);
  auto interpreter = std::make_unique<micro::Interpreter>();
  ASSERT_EQ(interpreter->load(flash.data, flash.size), micro::Code::kOk) << interpreter->error();
  const micro::PlanSummary& plan = interpreter->summary();
  // Reuse: the arena is smaller than every activation and scratch side by side.
  EXPECT_GT(plan.arena_bytes, 0u);
  EXPECT_LT(plan.arena_bytes, plan.activation_bytes + plan.scratch_bytes * plan.nodes);
  EXPECT_GT(plan.weight_bytes, 10u * 11u + 4u * 10u);
  EXPECT_EQ(plan.bundle_bytes, flash.size);

  alignas(16) static std::uint8_t arena[1 << 16];
  std::memset(arena, 0xA5, sizeof arena);
  const std::uint32_t need = plan.arena_bytes;
  EXPECT_EQ(interpreter->allocate(arena, need - 1), micro::Code::kArenaTooSmall);
  const std::string message = interpreter->error();
  EXPECT_NE(message.find(std::to_string(need - 1) + " bytes"), std::string::npos) << message;
  EXPECT_NE(message.find(std::to_string(need) + " bytes"), std::string::npos) << message;
  EXPECT_EQ(interpreter->invoke(), micro::Code::kNotReady);
  for (std::size_t i = 0; i < sizeof arena; ++i) ASSERT_EQ(arena[i], 0xA5) << "byte " << i << " was written";

  // With exactly the planned bytes every write stays inside them.
  ASSERT_EQ(interpreter->allocate(arena, need), micro::Code::kOk) << interpreter->error();
  std::memset(interpreter->input_data<float>(0), 0, 64 * sizeof(float));
  std::memset(interpreter->input_data<float>(1), 0, 3 * sizeof(float));
  ASSERT_EQ(interpreter->invoke(), micro::Code::kOk) << interpreter->error();
  for (std::size_t i = need; i < sizeof arena; ++i) ASSERT_EQ(arena[i], 0xA5) << "byte " << i << " past the arena";
}

TEST_F(MicroRuntime, CorruptAndUnsupportedBundlesAreRefusedWithAReason) {
  auto interpreter = std::make_unique<micro::Interpreter>();
  {
    AlignedBytes flash(*bytes_);
    EXPECT_EQ(interpreter->load(flash.data, flash.size - 1), micro::Code::kInvalidBundle);
    EXPECT_NE(std::string(interpreter->error()).find("the header says"), std::string::npos) << interpreter->error();
    flash.data[0] = 'X';
    EXPECT_EQ(interpreter->load(flash.data, flash.size), micro::Code::kInvalidBundle);
    EXPECT_NE(std::string(interpreter->error()).find("magic"), std::string::npos);
  }
  {
    // Not 16-byte aligned: refused, not read misaligned.
    std::vector<std::uint8_t> storage(bytes_->size() + 32);
    std::uint8_t* p = storage.data() + (16 - reinterpret_cast<std::uintptr_t>(storage.data()) % 16) % 16 + 4;
    std::memcpy(p, bytes_->data(), bytes_->size());
    EXPECT_EQ(interpreter->load(p, bytes_->size()), micro::Code::kInvalidBundle);
    EXPECT_NE(std::string(interpreter->error()).find("boundary"), std::string::npos);
  }
  // Every byte of the metadata flipped in turn: refused or loaded, never a crash (ASan checks
  // the reads); the valid bundle loads again afterwards.
  AlignedBytes flash(*bytes_);
  const std::uint64_t metadata_offset = micro::load_le<std::uint64_t>(flash.data + 24);
  const std::uint64_t metadata_size = micro::load_le<std::uint64_t>(flash.data + 32);
  int refused = 0;
  for (std::uint64_t i = metadata_offset; i < metadata_offset + metadata_size; i += 3) {
    flash.data[i] ^= 0x5A;
    refused += interpreter->load(flash.data, flash.size) != micro::Code::kOk;
    flash.data[i] ^= 0x5A;
  }
  EXPECT_GT(refused, 0);
  EXPECT_EQ(interpreter->load(flash.data, flash.size), micro::Code::kOk) << interpreter->error();

  // An operator the micro runtime lacks: make_mcu_bundle names it.
  const Graph cnn = testing::small_cnn();
  const LabeledData calibration = testing::random_data(cnn, 32, 3);
  CompressOptions options;
  auto int8 = compress_model(testing::bundle_of(cnn), &calibration, nullptr, options);
  ASSERT_TRUE(int8.is_ok()) << int8.status().to_string();
  auto mcu = cli::make_mcu_bundle(int8->bundle);
  ASSERT_FALSE(mcu.is_ok());
  EXPECT_NE(mcu.status().message().find("is not in the microcontroller runtime"), std::string::npos)
      << mcu.status().to_string();
}

// float -> QuantizeLinear -> `flattens` Flatten nodes -> DequantizeLinear: a graph the micro
// runtime runs, of any length.
Graph quantize_chain(int flattens) {
  Graph g;
  g.name = "chain";
  g.inputs = {ValueInfo{"x", DType::kFloat32, {1, 4}}};
  g.outputs = {ValueInfo{"y", DType::kFloat32, {}}};
  g.constants["s"] = Tensor::from_vector<float>({}, {0.05f});
  g.constants["z"] = Tensor::from_vector<std::int8_t>({}, {3});
  g.nodes.push_back(make_node("QuantizeLinear", {"x", "s", "z"}, {"q0"}));
  for (int i = 0; i < flattens; ++i) {
    g.nodes.push_back(make_node("Flatten", {"q" + std::to_string(i)}, {"q" + std::to_string(i + 1)}));
  }
  g.nodes.push_back(make_node("DequantizeLinear", {"q" + std::to_string(flattens), "s", "z"}, {"y"}));
  if (!validate_graph(g).is_ok()) std::abort();
  return g;
}

TEST(MicroBundles, WhatTheRuntimeCannotRunIsRefusedBeforeTheDeviceWithTheReason) {
  // A short chain runs: Flatten copies, the round trip quantises.
  auto ok = cli::make_mcu_bundle(testing::bundle_of(quantize_chain(2)));
  ASSERT_TRUE(ok.is_ok()) << ok.status().to_string();
  {
    AlignedBytes flash(ok->bytes);
    auto interpreter = std::make_unique<micro::Interpreter>();
    alignas(16) static std::uint8_t arena[256];
    ASSERT_EQ(interpreter->load(flash.data, flash.size), micro::Code::kOk) << interpreter->error();
    ASSERT_EQ(interpreter->allocate(arena, sizeof arena), micro::Code::kOk) << interpreter->error();
    const float x[4] = {0.0f, 1.0f, -0.52f, 100.0f};
    std::memcpy(interpreter->input_data<float>(0), x, sizeof x);
    ASSERT_EQ(interpreter->invoke(), micro::Code::kOk) << interpreter->error();
    // (clamp(round(x / 0.05) + 3, -128, 127) - 3) * 0.05
    const float want[4] = {0.0f, 20 * 0.05f, -10 * 0.05f, 124 * 0.05f};
    for (int i = 0; i < 4; ++i) EXPECT_EQ(interpreter->output_data<float>(0)[i], want[i]) << i;
  }

  // More nodes than the fixed capacity.
  auto long_chain = cli::make_mcu_bundle(testing::bundle_of(quantize_chain(micro::kMaxNodes)));
  ASSERT_FALSE(long_chain.is_ok());
  EXPECT_NE(long_chain.status().message().find("raise kMaxNodes"), std::string::npos)
      << long_chain.status().to_string();

  // A dynamic input shape.
  Bundle dynamic = testing::bundle_of(quantize_chain(1));
  dynamic.graph.inputs[0].shape = {-1, 4};
  auto refused = cli::make_mcu_bundle(dynamic);
  ASSERT_FALSE(refused.is_ok());
  EXPECT_NE(refused.status().message().find("dynamic shape"), std::string::npos) << refused.status().to_string();
}

TEST(MicroBundles, EntropyCodedTensorsAndNodesOutOfOrderAreRefusedAtLoad) {
  Graph g = quantize_chain(3);
  // A large, compressible constant (read by nothing) so that the writer entropy-codes it.
  g.constants["unused"] = Tensor::from_vector<std::int8_t>({8192}, std::vector<std::int8_t>(8192, 7));
  ASSERT_TRUE(infer_shapes(g).is_ok());
  BundleWriteOptions coded;
  coded.entropy_code_constants = true;
  auto bytes = serialize_bundle(testing::bundle_of(g), coded);
  ASSERT_TRUE(bytes.is_ok()) << bytes.status().to_string();
  auto interpreter = std::make_unique<micro::Interpreter>();
  {
    AlignedBytes flash(*bytes);
    EXPECT_EQ(interpreter->load(flash.data, flash.size), micro::Code::kUnsupported);
    EXPECT_NE(std::string(interpreter->error()).find("'unused' is entropy-coded"), std::string::npos)
        << interpreter->error();
  }
  // The same graph with its nodes reversed (the file format does not order them).
  std::reverse(g.nodes.begin(), g.nodes.end());
  auto reversed = serialize_bundle(testing::bundle_of(g));
  ASSERT_TRUE(reversed.is_ok()) << reversed.status().to_string();
  AlignedBytes flash(*reversed);
  EXPECT_EQ(interpreter->load(flash.data, flash.size), micro::Code::kInvalidBundle);
  EXPECT_NE(std::string(interpreter->error()).find("which no earlier node produces"), std::string::npos)
      << interpreter->error();
}

// Random convolutions: the DSP form's bytes equal the reference form's.
TEST(MicroKernels, DspConvolutionEqualsTheReference) {
  std::mt19937 rng(3);
  std::uniform_int_distribution<int> byte(-128, 127);
  for (int trial = 0; trial < 60; ++trial) {
    micro::ConvParams p{};
    const bool two_d = trial % 2 == 1;
    p.in_channels = 1 + trial % 7;
    p.out_channels = 1 + (trial * 5) % 9;
    p.group = 1;
    p.kernel_h = two_d ? 1 + trial % 3 : 1;
    p.kernel_w = 1 + (trial * 3) % 7;
    p.in_h = two_d ? 3 + trial % 5 : 1;
    p.in_w = 5 + trial % 11;
    p.stride_h = two_d ? 1 + trial % 2 : 1;
    p.stride_w = 1 + (trial / 3) % 2;
    p.dilation_h = 1;
    p.dilation_w = 1 + (trial / 7) % 2;
    p.pad_top = two_d ? trial % 2 : 0;
    p.pad_left = (trial / 2) % 3;
    p.out_h = (p.in_h + 2 * p.pad_top - p.dilation_h * (p.kernel_h - 1) - 1) / p.stride_h + 1;
    p.out_w = (p.in_w + 2 * p.pad_left - p.dilation_w * (p.kernel_w - 1) - 1) / p.stride_w + 1;
    if (p.out_w < 1 || p.out_h < 1) continue;
    p.act_lo = trial % 3 == 0 ? -5 : -128;
    p.act_hi = 127;
    p.per_channel = trial % 4 != 0;
    const int k = p.in_channels * p.kernel_h * p.kernel_w;
    std::vector<std::int8_t> x(p.in_channels * p.in_h * p.in_w), w(p.out_channels * k), w_zp(p.out_channels);
    std::vector<std::int32_t> bias(p.out_channels);
    std::vector<float> scales(p.out_channels);
    for (auto& v : x) v = static_cast<std::int8_t>(byte(rng));
    for (auto& v : w) v = static_cast<std::int8_t>(byte(rng));
    for (auto& v : w_zp) v = static_cast<std::int8_t>(trial % 5 == 0 ? byte(rng) / 8 : 0);
    for (auto& v : bias) v = byte(rng) * 300;
    for (auto& v : scales) v = 0.0005f + static_cast<float>(byte(rng) + 128) * 1e-5f;
    std::vector<std::int8_t> want(p.out_channels * p.out_h * p.out_w), got(want.size(), 0);
    micro::ConvOperands o{x.data(), w.data(), bias.data(), want.data(), byte(rng) / 4, w_zp.data(), scales.data(), 3};
    micro::conv_reference(p, o);
    ASSERT_TRUE(micro::conv_accumulators_fit_int32(p, bias.data()));
    std::vector<std::int16_t> scratch(micro::conv_dsp_scratch_bytes(p) / 2);
    o.y = got.data();
    micro::conv_dsp(p, o, scratch.data());
    ASSERT_EQ(want, got) << "trial " << trial << ", k " << k;
  }
}

TEST(MicroKernels, DspFullyConnectedEqualsTheReference) {
  std::mt19937 rng(4);
  std::uniform_int_distribution<int> byte(-128, 127);
  for (int trial = 0; trial < 40; ++trial) {
    micro::GemmParams p{};
    p.m = 1 + trial % 3;
    p.k = 1 + (trial * 7) % 37;
    p.n = 1 + (trial * 3) % 13;
    p.trans_b = true;
    p.per_column = trial % 2 == 0;
    p.act_lo = trial % 3 == 0 ? 0 : -128;
    p.act_hi = 127;
    std::vector<std::int8_t> a(p.m * p.k), b(p.n * p.k), b_zp(p.n), want(p.m * p.n), got(p.m * p.n);
    std::vector<std::int32_t> bias(p.n);
    std::vector<float> scales(p.n);
    for (auto& v : a) v = static_cast<std::int8_t>(byte(rng));
    for (auto& v : b) v = static_cast<std::int8_t>(byte(rng));
    for (auto& v : b_zp) v = static_cast<std::int8_t>(trial % 4 == 1 ? byte(rng) / 8 : 0);
    for (auto& v : bias) v = byte(rng) * 100;
    for (auto& v : scales) v = 0.001f + static_cast<float>(byte(rng) + 128) * 2e-5f;
    micro::GemmOperands o{a.data(), b.data(), bias.data(), want.data(), byte(rng) / 4, b_zp.data(), scales.data(), -7};
    micro::gemm_reference(p, o);
    ASSERT_TRUE(micro::gemm_accumulators_fit_int32(p, bias.data()));
    std::vector<std::int16_t> scratch(micro::gemm_dsp_scratch_bytes(p) / 2);
    o.y = got.data();
    micro::gemm_dsp(p, o, scratch.data());
    ASSERT_EQ(want, got) << "trial " << trial;
  }
}

}  // namespace
}  // namespace edgeai
