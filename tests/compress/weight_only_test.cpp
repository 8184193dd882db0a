#include "compress/weight_only.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "core/float16.hpp"
#include "model_fixtures.hpp"
#include "runtime/node_evaluator.hpp"
#include "runtime/session.hpp"

namespace edgeai {
namespace {

TEST(EncodeInt4, WorkedExample) {
  // One block of 4: max |w| = 0.7, scale = fp16(0.7 / 7) = fp16(0.1) = 0x2E66 (0.0999755859375);
  // q = rint(w / scale) = 7, -4 (-3.5009 rounds away from -3), 1, 0; nibbles in two's
  // complement, element 0 low: 0xC7, 0x01.
  Tensor w = Tensor::from_values<float>({1, 4}, {0.7f, -0.35f, 0.1f, 0.0f});
  auto q = encode_int4(w, 4);
  ASSERT_TRUE(q.is_ok()) << q.status().to_string();
  EXPECT_EQ(q->packed.shape(), (Shape{2}));
  EXPECT_EQ(q->packed.data<std::uint8_t>()[0], 0xC7);
  EXPECT_EQ(q->packed.data<std::uint8_t>()[1], 0x01);
  EXPECT_EQ(q->scales.shape(), (Shape{1, 1}));
  EXPECT_EQ(q->scales.data<std::uint16_t>()[0], 0x2E66);

  // The reference decoder gives q * scale.
  Node node;
  node.name = "decode";
  node.op_type = "DequantizeInt4";
  node.inputs = {"p", "s"};
  node.outputs = {"w"};
  node.attributes["shape"] = Attribute(std::vector<std::int64_t>{1, 4});
  node.attributes["block_size"] = Attribute(std::int64_t{4});
  auto out = evaluate_node(node, {q->packed, q->scales});
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  const float s = 0.0999755859375f;
  EXPECT_EQ((*out)[0].data<float>()[0], 7 * s);
  EXPECT_EQ((*out)[0].data<float>()[1], -4 * s);
  EXPECT_EQ((*out)[0].data<float>()[2], 1 * s);
  EXPECT_EQ((*out)[0].data<float>()[3], 0.0f);
}

TEST(DequantizeInt4, WrongPackedOrScaleShapesNameTheNode) {
  auto q = encode_int4(Tensor::from_values<float>({2, 4}, {1, 2, 3, 4, 5, 6, 7, 8}), 4);
  ASSERT_TRUE(q.is_ok());
  Node node;
  node.name = "decode";
  node.op_type = "DequantizeInt4";
  node.inputs = {"p", "s"};
  node.outputs = {"w"};
  node.attributes["shape"] = Attribute(std::vector<std::int64_t>{2, 4});
  node.attributes["block_size"] = Attribute(std::int64_t{4});
  ASSERT_TRUE(evaluate_node(node, {q->packed, q->scales}).is_ok());
  // One byte short of the 4 the 8 weights need.
  auto r = evaluate_node(node, {Tensor::allocate(DType::kUInt8, {3}).value(), q->scales});
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("'decode'"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("uint8 [4]"), std::string::npos) << r.status().message();
  // Scales for blocks of 2 while the node says 4.
  r = evaluate_node(node, {q->packed, Tensor::allocate(DType::kFloat16, {2, 2}).value()});
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("float16 [2,1]"), std::string::npos) << r.status().message();
  node.attributes["block_size"] = Attribute(std::int64_t{3});
  r = evaluate_node(node, {q->packed, q->scales});
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("even block_size"), std::string::npos) << r.status().message();
}

TEST(EncodeInt4, BlocksNeverCrossRowsAndOddCounts) {
  // 3 rows of 5: blocks of 4 -> 2 scales per row; 15 values -> 8 bytes.
  std::vector<float> v(15);
  for (int i = 0; i < 15; ++i) v[static_cast<std::size_t>(i)] = (i % 5 == 4) ? 7.0f * (i / 5 + 1) : 0.5f;
  auto q = encode_int4(Tensor::from_vector<float>({3, 5}, v), 4);
  ASSERT_TRUE(q.is_ok());
  EXPECT_EQ(q->packed.shape(), (Shape{8}));
  EXPECT_EQ(q->scales.shape(), (Shape{3, 2}));
  // Row r's second block holds only its last value 7 (r + 1): scale r + 1 exactly.
  for (int r = 0; r < 3; ++r) EXPECT_EQ(float16_bits_to_float(q->scales.data<std::uint16_t>()[r * 2 + 1]), r + 1.0f);
  EXPECT_FALSE(encode_int4(Tensor::from_values<float>({1, 2}, {1, 2}), 3).is_ok());  // odd block size
}

// Squared error over squared signal: 1 / SQNR.
double relative_noise(const std::vector<Tensor>& want, const std::vector<Tensor>& got) {
  double signal = 0.0, noise = 0.0;
  for (std::int64_t i = 0; i < want[0].num_elements(); ++i) {
    const double w = want[0].data<float>()[i];
    signal += w * w;
    noise += (w - got[0].data<float>()[i]) * (w - got[0].data<float>()[i]);
  }
  return noise / signal;
}

float max_abs_diff(const std::vector<Tensor>& a, const std::vector<Tensor>& b) {
  float d = 0.0f;
  for (std::int64_t i = 0; i < a[0].num_elements(); ++i) d = std::max(d, std::fabs(a[0].data<float>()[i] - b[0].data<float>()[i]));
  return d;
}

TEST(CompressWeights, Int4AndFp16RunAndStayCloseToFloat) {
  const Graph g = testing::small_cnn();
  const LabeledData data = testing::random_data(g, 1, 4);
  auto fp32 = Session::create(g);
  ASSERT_TRUE(fp32.is_ok());
  const std::vector<Tensor> input = {data.inputs[0]};
  auto reference = (*fp32)->run_and_copy(input);
  ASSERT_TRUE(reference.is_ok());

  auto int4 = compress_weights(g, WeightOnlyFormat::kInt4, 16);
  ASSERT_TRUE(int4.is_ok()) << int4.status().to_string();
  // w1 (72 values), w2 (36), w3 (32), wfc (24) are all below the 256-element floor: nothing to do.
  EXPECT_TRUE(int4->compressed_nodes.empty());

  // A graph with a big enough weight.
  Graph big;
  big.name = "fc";
  big.inputs = {ValueInfo{"x", DType::kFloat32, {1, 64}}};
  big.outputs = {ValueInfo{"y", DType::kFloat32, {}}};
  std::mt19937 rng(1);
  big.constants["w"] = testing::random_tensor({32, 64}, rng, 1.0f);
  big.constants["b"] = testing::random_tensor({32}, rng, 0.1f);
  big.nodes = {testing::make_node("Gemm", {"x", "w", "b"}, {"y"}, {{"transB", 1}})};
  ASSERT_TRUE(validate_graph(big).is_ok());
  const std::vector<Tensor> x = {testing::random_tensor({1, 64}, rng, 1.0f)};
  auto want = (*Session::create(big))->run_and_copy(x);

  for (WeightOnlyFormat format : {WeightOnlyFormat::kInt4, WeightOnlyFormat::kFp16}) {
    auto c = compress_weights(big, format, 32);
    ASSERT_TRUE(c.is_ok()) << c.status().to_string();
    EXPECT_EQ(c->compressed_nodes.count("y_node"), 1u);
    EXPECT_EQ(c->graph.find_constant("w"), nullptr);  // the float weight is gone
    const std::int64_t bytes = c->graph.parameter_bytes();
    auto session = Session::create(c->graph);
    ASSERT_TRUE(session.is_ok()) << session.status().to_string();
    // The decoder ran once at load: the planned graph has only the Gemm left.
    EXPECT_EQ((*session)->graph().nodes.size(), 1u);
    auto got = (*session)->run_and_copy(x);
    ASSERT_TRUE(got.is_ok());
    // The weights themselves, decoded at load: their error against the originals.
    const Tensor* decoded = (*session)->graph().find_constant((*session)->graph().nodes[0].inputs[1]);
    ASSERT_NE(decoded, nullptr);
    const std::vector<Tensor> w = {*big.find_constant("w")}, w_hat = {*decoded};
    if (format == WeightOnlyFormat::kInt4) {
      // 2048 weights in 1024 bytes + 64 fp16 scales + the float bias.
      EXPECT_EQ(bytes, 1024 + 64 * 2 + 32 * 4);
      // Blocks of 32 N(0,1) weights: scale ~ 2.2 / 7, rounding noise ~ scale^2 / 12 per weight
      // against a weight variance of 1: about 1 % of the signal's power.
      EXPECT_LT(relative_noise(w, w_hat), 0.015);
      EXPECT_GT(relative_noise(w, w_hat), 0.005);
      EXPECT_LT(relative_noise(*want, *got), 0.1);
    } else {
      EXPECT_EQ(bytes, 2048 * 2 + 32 * 4);
      EXPECT_LT(relative_noise(w, w_hat), 1e-6);  // float16 keeps 11 significant bits
      EXPECT_LT(max_abs_diff(*want, *got), 0.02f);
    }
  }
}

}  // namespace
}  // namespace edgeai
