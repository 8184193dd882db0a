// Tests of the reference pooling kernels (MaxPool, AveragePool, GlobalAveragePool,
// GlobalMaxPool) and their schemas: the ONNX operator page's examples, randomised shapes
// against a naive pool over an explicitly padded window written here, and the error paths.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "run_node.hpp"

namespace edgeai {
namespace {

using edgeai::testing::run_node;

using Ints = std::vector<std::int64_t>;

std::vector<float> values_of(const Tensor& t) {
  return std::vector<float>(t.data<float>(), t.data<float>() + t.num_elements());
}

Tensor one_to(std::int64_t n, Shape shape) {
  std::vector<float> v(static_cast<std::size_t>(n));
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(i + 1);
  return Tensor::from_vector<float>(std::move(shape), v);
}

Node pool_node(const std::string& op_type, std::map<std::string, Attribute> attributes) {
  Node node;
  node.op_type = op_type;
  node.name = "pool1";
  node.attributes = std::move(attributes);
  return node;
}

// Expected values of the ONNX examples (test_maxpool_2d_precomputed_pads etc.), also
// reproduced with torch.nn.functional.max_pool2d / avg_pool2d on the same inputs.
TEST(PoolKernel, MaxPoolOnnxExamples) {
  auto pads = run_node(pool_node("MaxPool", {{"kernel_shape", Ints{5, 5}}, {"pads", Ints{2, 2, 2, 2}}}),
                       {one_to(25, {1, 1, 5, 5})});
  ASSERT_TRUE(pads.is_ok()) << pads.status().to_string();
  EXPECT_EQ(values_of((*pads)[0]), (std::vector<float>{13, 14, 15, 15, 15, 18, 19, 20, 20, 20, 23, 24, 25,
                                                       25, 25, 23, 24, 25, 25, 25, 23, 24, 25, 25, 25}));

  auto ceil = run_node(
      pool_node("MaxPool", {{"kernel_shape", Ints{3, 3}}, {"strides", Ints{2, 2}}, {"ceil_mode", std::int64_t{1}}}),
      {one_to(16, {1, 1, 4, 4})});
  ASSERT_TRUE(ceil.is_ok()) << ceil.status().to_string();
  EXPECT_EQ((*ceil)[0].shape(), (Shape{1, 1, 2, 2}));
  EXPECT_EQ(values_of((*ceil)[0]), (std::vector<float>{11, 12, 15, 16}));

  auto dilated = run_node(pool_node("MaxPool", {{"kernel_shape", Ints{2, 2}}, {"dilations", Ints{2, 2}}}),
                          {one_to(16, {1, 1, 4, 4})});
  ASSERT_TRUE(dilated.is_ok()) << dilated.status().to_string();
  EXPECT_EQ(values_of((*dilated)[0]), (std::vector<float>{11, 12, 15, 16}));

  // SAME_UPPER, k 3, s 2 on 5x5: output 3x3, padding 1 at both ends.
  auto same = run_node(
      pool_node("MaxPool",
                {{"kernel_shape", Ints{3, 3}}, {"strides", Ints{2, 2}}, {"auto_pad", std::string("SAME_UPPER")}}),
      {one_to(25, {1, 1, 5, 5})});
  ASSERT_TRUE(same.is_ok()) << same.status().to_string();
  EXPECT_EQ(values_of((*same)[0]), (std::vector<float>{7, 9, 10, 17, 19, 20, 22, 24, 25}));
}

TEST(PoolKernel, MaxPoolUint8) {
  std::vector<std::uint8_t> x(25);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<std::uint8_t>(i + 1);
  auto out = run_node(pool_node("MaxPool", {{"kernel_shape", Ints{5, 5}}, {"pads", Ints{2, 2, 2, 2}}}),
                      {Tensor::from_vector<std::uint8_t>({1, 1, 5, 5}, x)});
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  const std::uint8_t* y = (*out)[0].data<std::uint8_t>();
  EXPECT_EQ(std::vector<int>(y, y + 5), (std::vector<int>{13, 14, 15, 15, 15}));
  EXPECT_EQ(y[24], 25);
}

// Indices: flat positions in X (torch.nn.functional.max_pool2d(return_indices=True) gives
// the same for one image); with storage_order 1 the spatial position is column-major
// (ONNX test_maxpool_with_argmax_2d_precomputed_strides: [[6, 16], [8, 18]]).
TEST(PoolKernel, MaxPoolIndices) {
  Node node = pool_node("MaxPool", {{"kernel_shape", Ints{5, 5}}, {"pads", Ints{2, 2, 2, 2}}});
  node.outputs = {"y", "indices"};
  auto out = run_node(node, {one_to(25, {1, 1, 5, 5})});
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  ASSERT_EQ((*out)[1].dtype(), DType::kInt64);
  const std::int64_t* idx = (*out)[1].data<std::int64_t>();
  EXPECT_EQ(std::vector<std::int64_t>(idx, idx + 25),
            (std::vector<std::int64_t>{12, 13, 14, 14, 14, 17, 18, 19, 19, 19, 22, 23, 24,
                                       24, 24, 22, 23, 24, 24, 24, 22, 23, 24, 24, 24}));

  Node column =
      pool_node("MaxPool", {{"kernel_shape", Ints{2, 2}}, {"strides", Ints{2, 2}}, {"storage_order", std::int64_t{1}}});
  column.outputs = {"y", "indices"};
  // Two images, to check the plane offset: the second image's indices are shifted by 25.
  std::vector<float> two(50);
  for (std::size_t i = 0; i < two.size(); ++i) two[i] = static_cast<float>(i % 25 + 1);
  auto col = run_node(column, {Tensor::from_vector<float>({2, 1, 5, 5}, two)});
  ASSERT_TRUE(col.is_ok()) << col.status().to_string();
  EXPECT_EQ(values_of((*col)[0]), (std::vector<float>{7, 9, 17, 19, 7, 9, 17, 19}));
  const std::int64_t* cidx = (*col)[1].data<std::int64_t>();
  EXPECT_EQ(std::vector<std::int64_t>(cidx, cidx + 8), (std::vector<std::int64_t>{6, 16, 8, 18, 31, 41, 33, 43}));
}

TEST(PoolKernel, AveragePoolOnnxExamples) {
  auto excluded = run_node(pool_node("AveragePool", {{"kernel_shape", Ints{5, 5}}, {"pads", Ints{2, 2, 2, 2}}}),
                           {one_to(25, {1, 1, 5, 5})});
  ASSERT_TRUE(excluded.is_ok()) << excluded.status().to_string();
  EXPECT_EQ(values_of((*excluded)[0]),
            (std::vector<float>{7,     7.5f, 8,     8.5f, 9,     9.5f, 10,    10.5f, 11,    11.5f, 12,    12.5f, 13,
                                13.5f, 14,   14.5f, 15,   15.5f, 16,   16.5f, 17,    17.5f, 18,    18.5f, 19}));

  auto included = run_node(
      pool_node("AveragePool",
                {{"kernel_shape", Ints{5, 5}}, {"pads", Ints{2, 2, 2, 2}}, {"count_include_pad", std::int64_t{1}}}),
      {one_to(25, {1, 1, 5, 5})});
  ASSERT_TRUE(included.is_ok()) << included.status().to_string();
  const std::vector<float> expected = {2.52f,  3.6f,  4.8f,  4.08f, 3.24f, 4.56f, 6.4f,  8.4f, 7.04f,
                                       5.52f,  7.2f,  10.0f, 13.0f, 10.8f, 8.4f,  6.96f, 9.6f, 12.4f,
                                       10.24f, 7.92f, 6.12f, 8.4f,  10.8f, 8.88f, 6.84f};
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_NEAR((*included)[0].data<float>()[i], expected[i], 1e-5f) << i;
  }

  auto ceil = run_node(
      pool_node("AveragePool", {{"kernel_shape", Ints{3, 3}}, {"strides", Ints{2, 2}}, {"ceil_mode", std::int64_t{1}}}),
      {one_to(16, {1, 1, 4, 4})});
  ASSERT_TRUE(ceil.is_ok()) << ceil.status().to_string();
  EXPECT_EQ(values_of((*ceil)[0]), (std::vector<float>{6, 7.5f, 12, 13.5f}));

  // 1-D: mean of neighbouring pairs of 1..6 = 1.5, 2.5, ...
  auto one_d = run_node(pool_node("AveragePool", {{"kernel_shape", Ints{2}}}), {one_to(6, {1, 1, 6})});
  ASSERT_TRUE(one_d.is_ok()) << one_d.status().to_string();
  EXPECT_EQ(values_of((*one_d)[0]), (std::vector<float>{1.5f, 2.5f, 3.5f, 4.5f, 5.5f}));
}

TEST(PoolKernel, GlobalPools) {
  // Two channels of 1..9 and 10..18: means 5 and 14, maxima 9 and 18.
  Tensor x = one_to(18, {1, 2, 3, 3});
  auto avg = run_node(pool_node("GlobalAveragePool", {}), {x});
  ASSERT_TRUE(avg.is_ok()) << avg.status().to_string();
  EXPECT_EQ((*avg)[0].shape(), (Shape{1, 2, 1, 1}));
  EXPECT_EQ(values_of((*avg)[0]), (std::vector<float>{5, 14}));
  auto max = run_node(pool_node("GlobalMaxPool", {}), {x});
  ASSERT_TRUE(max.is_ok()) << max.status().to_string();
  EXPECT_EQ(values_of((*max)[0]), (std::vector<float>{9, 18}));
  auto one_d = run_node(pool_node("GlobalAveragePool", {}), {one_to(4, {2, 1, 2})});
  ASSERT_TRUE(one_d.is_ok()) << one_d.status().to_string();
  EXPECT_EQ((*one_d)[0].shape(), (Shape{2, 1, 1}));
  EXPECT_EQ(values_of((*one_d)[0]), (std::vector<float>{1.5f, 3.5f}));
}

// ---- Randomised shapes against a naive N-d pool ----

struct PoolCase {
  Shape x;
  Ints kernel, strides, dilations, pads;
  bool ceil_mode;
  bool count_include_pad;
};

// Visits every output position and every kernel offset by unravelling flat indices; a
// position inside [0, in) contributes, one inside [-pad_begin, in + pad_end) counts as
// padding for count_include_pad. The output size follows the ONNX formula, with the last
// ceil_mode window dropped when it would start in the end padding.
std::vector<float> naive_pool(const PoolCase& c, bool is_max, const std::vector<float>& x, Shape& out_shape) {
  const std::size_t r = c.x.size() - 2;
  Ints in(c.x.begin() + 2, c.x.end()), out(r);
  std::int64_t out_size = 1, kernel_size = 1, in_size = 1;
  for (std::size_t i = 0; i < r; ++i) {
    const double span = static_cast<double>(in[i] + c.pads[i] + c.pads[i + r] - (c.kernel[i] - 1) * c.dilations[i] - 1);
    out[i] =
        static_cast<std::int64_t>(c.ceil_mode ? std::ceil(span / c.strides[i]) : std::floor(span / c.strides[i])) + 1;
    if (c.ceil_mode && (out[i] - 1) * c.strides[i] >= in[i] + c.pads[i]) --out[i];
    out_size *= out[i];
    kernel_size *= c.kernel[i];
    in_size *= in[i];
  }
  out_shape = {c.x[0], c.x[1]};
  out_shape.insert(out_shape.end(), out.begin(), out.end());
  std::vector<float> y(static_cast<std::size_t>(c.x[0] * c.x[1] * out_size));
  for (std::int64_t plane = 0; plane < c.x[0] * c.x[1]; ++plane) {
    for (std::int64_t o = 0; o < out_size; ++o) {
      double best = -std::numeric_limits<double>::infinity(), sum = 0.0;
      std::int64_t inside_count = 0, padded_count = 0;
      for (std::int64_t kk = 0; kk < kernel_size; ++kk) {
        std::int64_t o_rest = o, k_rest = kk, o_div = out_size, k_div = kernel_size, flat = 0;
        bool inside = true, in_padded = true;
        for (std::size_t i = 0; i < r; ++i) {
          o_div /= out[i];
          k_div /= c.kernel[i];
          const std::int64_t pos = (o_rest / o_div) * c.strides[i] - c.pads[i] + (k_rest / k_div) * c.dilations[i];
          o_rest %= o_div;
          k_rest %= k_div;
          inside = inside && pos >= 0 && pos < in[i];
          in_padded = in_padded && pos < in[i] + c.pads[i + r];
          flat = flat * in[i] + pos;
        }
        if (in_padded) ++padded_count;
        if (!inside) continue;
        const float v = x[static_cast<std::size_t>(plane * in_size + flat)];
        best = std::max(best, static_cast<double>(v));
        sum += v;
        ++inside_count;
      }
      y[static_cast<std::size_t>(plane * out_size + o)] = static_cast<float>(
          is_max ? best : sum / static_cast<double>(c.count_include_pad ? padded_count : inside_count));
    }
  }
  return y;
}

TEST(PoolKernelRandom, MatchesNaivePool) {
  std::mt19937 rng(2024);
  auto pick = [&](std::int64_t lo, std::int64_t hi) {
    return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng);
  };
  std::uniform_real_distribution<float> value(-1.0f, 1.0f);
  for (int trial = 0; trial < 80; ++trial) {
    const bool is_max = trial % 2 == 0;
    PoolCase c;
    const std::size_t r = static_cast<std::size_t>(pick(1, 3));
    c.x = {pick(1, 2), pick(1, 3)};
    for (std::size_t i = 0; i < r; ++i) {
      c.kernel.push_back(pick(1, 3));
      c.strides.push_back(pick(1, 3));
      c.dilations.push_back(is_max ? pick(1, 2) : 1);
    }
    // Pads no larger than the window reach, inputs at least one window: no window is all padding.
    for (std::size_t i = 0; i < 2 * r; ++i) c.pads.push_back(pick(0, (c.kernel[i % r] - 1) * c.dilations[i % r]));
    for (std::size_t i = 0; i < r; ++i) c.x.push_back((c.kernel[i] - 1) * c.dilations[i] + 1 + pick(0, 6));
    c.ceil_mode = pick(0, 1) == 1;
    c.count_include_pad = !is_max && pick(0, 1) == 1;

    std::vector<float> x(static_cast<std::size_t>(element_count(c.x).value()));
    for (float& v : x) v = value(rng);
    std::map<std::string, Attribute> attrs{
        {"kernel_shape", c.kernel}, {"strides", c.strides}, {"pads", c.pads}, {"ceil_mode", std::int64_t{c.ceil_mode}}};
    if (is_max) {
      attrs["dilations"] = c.dilations;
    } else {
      attrs["count_include_pad"] = std::int64_t{c.count_include_pad};
    }
    Shape expected_shape;
    const std::vector<float> expected = naive_pool(c, is_max, x, expected_shape);
    const std::string label = std::string(is_max ? "MaxPool" : "AveragePool") + " X " + shape_to_string(c.x) +
                              " kernel " + shape_to_string(c.kernel) + " strides " + shape_to_string(c.strides) +
                              " dilations " + shape_to_string(c.dilations) + " pads " + shape_to_string(c.pads) +
                              " ceil " + std::to_string(c.ceil_mode) + " include_pad " +
                              std::to_string(c.count_include_pad);
    auto out = run_node(pool_node(is_max ? "MaxPool" : "AveragePool", attrs), {Tensor::from_vector<float>(c.x, x)});
    ASSERT_TRUE(out.is_ok()) << label << ": " << out.status().to_string();
    ASSERT_EQ((*out)[0].shape(), expected_shape) << label;
    for (std::size_t i = 0; i < expected.size(); ++i) {
      ASSERT_NEAR((*out)[0].data<float>()[i], expected[i], 1e-5f) << label << " at " << i;
    }
  }
}

// ---- Error paths ----

TEST(PoolKernelErrors, MissingKernelShapeNamesNode) {
  auto out = run_node(pool_node("MaxPool", {}), {one_to(16, {1, 1, 4, 4})});
  ASSERT_FALSE(out.is_ok());
  EXPECT_NE(out.status().message().find("MaxPool 'pool1': required attribute 'kernel_shape' is missing"),
            std::string::npos)
      << out.status().message();
}

TEST(PoolKernelErrors, BadAttributes) {
  Tensor x = one_to(16, {1, 1, 4, 4});
  auto wrong_rank = run_node(pool_node("AveragePool", {{"kernel_shape", Ints{2}}}), {x});
  ASSERT_FALSE(wrong_rank.is_ok());
  EXPECT_NE(wrong_rank.status().message().find("AveragePool 'pool1': kernel_shape has 1 entries for 2 spatial axes"),
            std::string::npos)
      << wrong_rank.status().message();
  auto wrong_type = run_node(pool_node("AveragePool", {{"kernel_shape", Ints{2, 2}}, {"ceil_mode", 1.0f}}), {x});
  ASSERT_FALSE(wrong_type.is_ok());
  EXPECT_NE(wrong_type.status().message().find("attribute 'ceil_mode' must be of type int, got float"),
            std::string::npos)
      << wrong_type.status().message();
  // AveragePool has no dilations in opset 13.
  auto dilations = run_node(pool_node("AveragePool", {{"kernel_shape", Ints{2, 2}}, {"dilations", Ints{2, 2}}}), {x});
  ASSERT_FALSE(dilations.is_ok());
  EXPECT_EQ(dilations.status().code(), StatusCode::kUnsupported);
  auto too_big = run_node(pool_node("MaxPool", {{"kernel_shape", Ints{5, 5}}}), {x});
  ASSERT_FALSE(too_big.is_ok());
  EXPECT_NE(too_big.status().message().find("larger than the padded input"), std::string::npos);
}

TEST(PoolKernelErrors, UnsupportedDtypeNamesNode) {
  Tensor x = Tensor::from_vector<std::uint8_t>({1, 1, 2, 2}, std::vector<std::uint8_t>(4, 1));
  auto out = run_node(pool_node("AveragePool", {{"kernel_shape", Ints{2, 2}}}), {x});
  ASSERT_FALSE(out.is_ok());
  EXPECT_EQ(out.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(out.status().message().find("AveragePool 'pool1'"), std::string::npos);
  EXPECT_NE(out.status().message().find("uint8"), std::string::npos) << out.status().message();
}

}  // namespace
}  // namespace edgeai
