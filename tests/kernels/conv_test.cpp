// Tests of the reference Conv kernel and its schema: the ONNX operator page's examples,
// randomised shapes against a naive im2col + matmul written here, and the error paths.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "run_node.hpp"

namespace edgeai {
namespace {

using edgeai::testing::run_node;

std::vector<float> iota_values(std::int64_t n) {
  std::vector<float> v(static_cast<std::size_t>(n));
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(i);
  return v;
}

std::vector<float> random_values(std::int64_t n, std::mt19937& rng) {
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> v(static_cast<std::size_t>(n));
  for (float& x : v) x = dist(rng);
  return v;
}

std::vector<float> values_of(const Tensor& t) {
  return std::vector<float>(t.data<float>(), t.data<float>() + t.num_elements());
}

Node conv_node(std::map<std::string, Attribute> attributes) {
  Node node;
  node.op_type = "Conv";
  node.name = "conv1";
  node.attributes = std::move(attributes);
  return node;
}

// The examples of https://onnx.ai/onnx/operators/onnx__Conv.html: X = 0..24 (or 0..34),
// W = 3x3 ones; expected values as listed there (re-derived with numpy: sums of 3x3 windows
// of the zero-padded input).
TEST(ConvKernel, OnnxExampleWithPadding) {
  Tensor x = Tensor::from_vector<float>({1, 1, 5, 5}, iota_values(25));
  Tensor w = Tensor::from_vector<float>({1, 1, 3, 3}, std::vector<float>(9, 1.0f));
  auto out = run_node(
      conv_node({{"kernel_shape", std::vector<std::int64_t>{3, 3}}, {"pads", std::vector<std::int64_t>{1, 1, 1, 1}}}),
      {x, w});
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  EXPECT_EQ((*out)[0].shape(), (Shape{1, 1, 5, 5}));
  const std::vector<float> expected = {12,  21, 27, 33,  24,  33,  54,  63, 72,  51,  63,  99, 108,
                                       117, 81, 93, 144, 153, 162, 111, 72, 111, 117, 123, 84};
  EXPECT_EQ(values_of((*out)[0]), expected);
}

TEST(ConvKernel, OnnxExampleWithoutPadding) {
  Tensor x = Tensor::from_vector<float>({1, 1, 5, 5}, iota_values(25));
  Tensor w = Tensor::from_vector<float>({1, 1, 3, 3}, std::vector<float>(9, 1.0f));
  auto out = run_node(conv_node({}), {x, w});
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  EXPECT_EQ((*out)[0].shape(), (Shape{1, 1, 3, 3}));
  EXPECT_EQ(values_of((*out)[0]), (std::vector<float>{54, 63, 72, 99, 108, 117, 144, 153, 162}));
}

TEST(ConvKernel, OnnxExampleStridesAndAsymmetricPadding) {
  Tensor x = Tensor::from_vector<float>({1, 1, 7, 5}, iota_values(35));
  Tensor w = Tensor::from_vector<float>({1, 1, 3, 3}, std::vector<float>(9, 1.0f));
  auto out = run_node(conv_node({{"kernel_shape", std::vector<std::int64_t>{3, 3}},
                                 {"pads", std::vector<std::int64_t>{1, 0, 1, 0}},
                                 {"strides", std::vector<std::int64_t>{2, 2}}}),
                      {x, w});
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  EXPECT_EQ((*out)[0].shape(), (Shape{1, 1, 4, 2}));
  EXPECT_EQ(values_of((*out)[0]), (std::vector<float>{21, 33, 99, 117, 189, 207, 171, 183}));
}

// SAME_LOWER with stride 2 on 5x5 (the ONNX test_conv_with_autopad_same case): output 3x3,
// total padding 2 split 1/1. Same windows as the padded example at even positions.
TEST(ConvKernel, AutoPadSameLower) {
  Tensor x = Tensor::from_vector<float>({1, 1, 5, 5}, iota_values(25));
  Tensor w = Tensor::from_vector<float>({1, 1, 3, 3}, std::vector<float>(9, 1.0f));
  auto out = run_node(conv_node({{"auto_pad", std::string("SAME_LOWER")},
                                 {"kernel_shape", std::vector<std::int64_t>{3, 3}},
                                 {"strides", std::vector<std::int64_t>{2, 2}}}),
                      {x, w});
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  EXPECT_EQ(values_of((*out)[0]), (std::vector<float>{12, 27, 24, 63, 108, 81, 72, 117, 84}));
}

// Hand-worked: 1-D, two output channels, bias and a fused Relu.
// X = [1, 2, 3, 4], W0 = [1, -1], W1 = [-1, -1], B = [0.5, 1].
// Channel 0: x[i] - x[i+1] + 0.5 = -0.5 each -> Relu 0; channel 1: -(x[i] + x[i+1]) + 1 = -2, -4, -6 -> 0.
// Then with W1 = [1, 1]: 3+1, 5+1, 7+1 = 4, 6, 8.
TEST(ConvKernel, BiasAndFusedRelu1D) {
  Tensor x = Tensor::from_values<float>({1, 1, 4}, {1, 2, 3, 4});
  Tensor w = Tensor::from_values<float>({2, 1, 2}, {1, -1, 1, 1});
  Tensor b = Tensor::from_values<float>({2}, {0.5f, 1.0f});
  auto out = run_node(conv_node({{"activation", std::string("Relu")}}), {x, w, b}, {false, true, true});
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  EXPECT_EQ((*out)[0].shape(), (Shape{1, 2, 3}));
  EXPECT_EQ(values_of((*out)[0]), (std::vector<float>{0, 0, 0, 4, 6, 8}));

  auto clipped =
      run_node(conv_node({{"activation", std::string("Clip")}, {"activation_alpha", 0.0f}, {"activation_beta", 5.0f}}),
               {x, w, b});
  ASSERT_TRUE(clipped.is_ok()) << clipped.status().to_string();
  EXPECT_EQ(values_of((*clipped)[0]), (std::vector<float>{0, 0, 0, 4, 5, 5}));
}

TEST(ConvKernel, ReportsMacs) {
  Node node = conv_node({{"pads", std::vector<std::int64_t>{1, 1, 1, 1}}, {"group", std::int64_t{2}}});
  KernelSignature sig;
  sig.inputs = {ValueInfo{"x", DType::kFloat32, {2, 4, 8, 8}}, ValueInfo{"w", DType::kFloat32, {6, 2, 3, 3}}};
  sig.outputs = {ValueInfo{"y", DType::kFloat32, {2, 6, 8, 8}}};
  auto kernel = KernelRegistry::builtin().create("Conv");
  ASSERT_TRUE(kernel.is_ok());
  ASSERT_TRUE((*kernel)->prepare(node, sig).is_ok());
  // N * M * out pixels * (C / group) * kernel elements.
  EXPECT_EQ((*kernel)->macs(), 2 * 6 * 64 * 2 * 9);
}

// ---- Randomised shapes against im2col + matmul ----

struct ConvCase {
  Shape x;  // (N, C, spatial...)
  std::int64_t out_channels;
  std::int64_t group;
  std::vector<std::int64_t> kernel;
  std::vector<std::int64_t> strides;
  std::vector<std::int64_t> dilations;
  std::vector<std::int64_t> pads;  // begins then ends; ignored with auto_pad
  std::string auto_pad;            // "" = NOTSET
  bool bias;
};

// Naive N-d convolution: for each image and group, unfold the (zero-padded) input into a
// column matrix [C/group * prod(kernel), prod(out)] by unravelling flat indices, then
// multiply by the weights viewed as [M/group, C/group * prod(kernel)].
std::vector<float> naive_conv(const ConvCase& c, const std::vector<float>& x, const std::vector<float>& w,
                              const std::vector<float>& b, Shape& out_shape) {
  const std::size_t r = c.x.size() - 2;
  std::vector<std::int64_t> in(c.x.begin() + 2, c.x.end()), out(r), pad_begin(r);
  for (std::size_t i = 0; i < r; ++i) {
    const std::int64_t window = (c.kernel[i] - 1) * c.dilations[i] + 1;
    if (c.auto_pad == "SAME_UPPER" || c.auto_pad == "SAME_LOWER") {
      out[i] = (in[i] + c.strides[i] - 1) / c.strides[i];
      const std::int64_t total = std::max<std::int64_t>(0, (out[i] - 1) * c.strides[i] + window - in[i]);
      pad_begin[i] = c.auto_pad == "SAME_UPPER" ? total / 2 : total - total / 2;
    } else if (c.auto_pad == "VALID") {
      out[i] = (in[i] - window) / c.strides[i] + 1;
      pad_begin[i] = 0;
    } else {
      out[i] = (in[i] + c.pads[i] + c.pads[i + r] - window) / c.strides[i] + 1;
      pad_begin[i] = c.pads[i];
    }
  }
  const std::int64_t n_batch = c.x[0], channels = c.x[1], cg = channels / c.group, mg = c.out_channels / c.group;
  std::int64_t kernel_size = 1, out_size = 1, in_size = 1;
  for (std::size_t i = 0; i < r; ++i) {
    kernel_size *= c.kernel[i];
    out_size *= out[i];
    in_size *= in[i];
  }
  out_shape = {n_batch, c.out_channels};
  out_shape.insert(out_shape.end(), out.begin(), out.end());
  std::vector<float> y(static_cast<std::size_t>(n_batch * c.out_channels * out_size), 0.0f);
  std::vector<float> col(static_cast<std::size_t>(cg * kernel_size * out_size));
  for (std::int64_t n = 0; n < n_batch; ++n) {
    for (std::int64_t g = 0; g < c.group; ++g) {
      for (std::int64_t row = 0; row < cg * kernel_size; ++row) {
        const std::int64_t ch = row / kernel_size;
        for (std::int64_t o = 0; o < out_size; ++o) {
          std::int64_t k_rest = row % kernel_size, o_rest = o, in_flat = 0;
          bool inside = true;
          std::int64_t k_div = kernel_size, o_div = out_size;
          for (std::size_t i = 0; i < r; ++i) {
            k_div /= c.kernel[i];
            o_div /= out[i];
            const std::int64_t ki = k_rest / k_div, oi = o_rest / o_div;
            k_rest %= k_div;
            o_rest %= o_div;
            const std::int64_t pos = oi * c.strides[i] - pad_begin[i] + ki * c.dilations[i];
            inside = inside && pos >= 0 && pos < in[i];
            in_flat = in_flat * in[i] + pos;
          }
          col[static_cast<std::size_t>(row * out_size + o)] =
              inside ? x[static_cast<std::size_t>((n * channels + g * cg + ch) * in_size + in_flat)] : 0.0f;
        }
      }
      for (std::int64_t m = 0; m < mg; ++m) {
        const std::int64_t oc = g * mg + m;
        for (std::int64_t o = 0; o < out_size; ++o) {
          double acc = c.bias ? b[static_cast<std::size_t>(oc)] : 0.0;
          for (std::int64_t row = 0; row < cg * kernel_size; ++row) {
            acc += static_cast<double>(w[static_cast<std::size_t>(oc * cg * kernel_size + row)]) *
                   col[static_cast<std::size_t>(row * out_size + o)];
          }
          y[static_cast<std::size_t>((n * c.out_channels + oc) * out_size + o)] = static_cast<float>(acc);
        }
      }
    }
  }
  return y;
}

void check_against_naive(const ConvCase& c, std::mt19937& rng) {
  Shape w_shape{c.out_channels, c.x[1] / c.group};
  w_shape.insert(w_shape.end(), c.kernel.begin(), c.kernel.end());
  const std::vector<float> x = random_values(element_count(c.x).value(), rng);
  const std::vector<float> w = random_values(element_count(w_shape).value(), rng);
  const std::vector<float> b = random_values(c.out_channels, rng);

  std::map<std::string, Attribute> attrs{
      {"group", c.group}, {"strides", c.strides}, {"dilations", c.dilations}, {"kernel_shape", c.kernel}};
  if (c.auto_pad.empty()) {
    attrs["pads"] = c.pads;
  } else {
    attrs["auto_pad"] = c.auto_pad;
  }
  std::vector<Tensor> inputs{Tensor::from_vector<float>(c.x, x), Tensor::from_vector<float>(w_shape, w)};
  if (c.bias) inputs.push_back(Tensor::from_vector<float>({c.out_channels}, b));
  Shape expected_shape;
  const std::vector<float> expected = naive_conv(c, x, w, b, expected_shape);

  std::string label = "X " + shape_to_string(c.x) + " W " + shape_to_string(w_shape) + " group " +
                      std::to_string(c.group) + " strides " + shape_to_string(c.strides) + " dilations " +
                      shape_to_string(c.dilations) + " pads " + shape_to_string(c.pads) + " auto_pad '" + c.auto_pad +
                      "'";
  auto out = run_node(conv_node(attrs), inputs, {false, true, true});
  ASSERT_TRUE(out.is_ok()) << label << ": " << out.status().to_string();
  ASSERT_EQ((*out)[0].shape(), expected_shape) << label;
  const float* got = (*out)[0].data<float>();
  for (std::size_t i = 0; i < expected.size(); ++i) {
    ASSERT_NEAR(got[i], expected[i], 1e-4f * (1.0f + std::fabs(expected[i]))) << label << " at " << i;
  }
}

TEST(ConvKernelRandom, MatchesIm2colOnHandPickedEdgeCases) {
  std::mt19937 rng(1234);
  const std::vector<ConvCase> cases = {
      // 2-D: odd sizes, asymmetric pads, stride 2, dilation 2
      {{1, 3, 7, 9}, 4, 1, {3, 2}, {2, 1}, {1, 2}, {1, 0, 2, 1}, "", true},
      // grouped
      {{2, 6, 5, 6}, 4, 2, {3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}, "", false},
      // depthwise with channel multiplier 2
      {{1, 4, 6, 5}, 8, 4, {3, 3}, {2, 2}, {1, 1}, {1, 1, 1, 1}, "", true},
      // 1x1
      {{1, 5, 4, 4}, 3, 1, {1, 1}, {1, 1}, {1, 1}, {0, 0, 0, 0}, "", true},
      // 1-D, stride 3, dilation 2, pads
      {{2, 3, 17}, 5, 1, {3}, {3}, {2}, {2, 1}, "", true},
      // 1-D depthwise
      {{1, 4, 10}, 4, 4, {5}, {1}, {1}, {2, 2}, "", false},
      // auto_pad variants
      {{1, 2, 6, 7}, 3, 1, {3, 4}, {2, 3}, {1, 1}, {0, 0, 0, 0}, "SAME_UPPER", true},
      {{1, 2, 6, 7}, 3, 1, {3, 4}, {2, 3}, {1, 1}, {0, 0, 0, 0}, "SAME_LOWER", true},
      {{1, 2, 6, 7}, 3, 1, {3, 2}, {2, 2}, {1, 2}, {0, 0, 0, 0}, "VALID", true},
      // kernel larger than the input on one axis, covered by padding
      {{1, 1, 2, 5}, 2, 1, {4, 3}, {1, 2}, {1, 1}, {2, 1, 1, 1}, "", true},
      // 3-D
      {{1, 2, 4, 5, 6}, 3, 1, {2, 3, 3}, {1, 2, 1}, {1, 1, 2}, {1, 0, 1, 0, 1, 1}, "", true},
  };
  for (const ConvCase& c : cases) check_against_naive(c, rng);
}

TEST(ConvKernelRandom, MatchesIm2colOnRandomShapes) {
  std::mt19937 rng(42);
  auto pick = [&](std::int64_t lo, std::int64_t hi) {
    return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng);
  };
  for (int trial = 0; trial < 60; ++trial) {
    ConvCase c;
    const std::size_t r = static_cast<std::size_t>(pick(1, 2));
    c.group = pick(1, 3);
    const std::int64_t cg = pick(1, 3);
    c.out_channels = c.group * pick(1, 3);
    c.x = {pick(1, 2), c.group * cg};
    for (std::size_t i = 0; i < r; ++i) {
      c.kernel.push_back(pick(1, 4));
      c.strides.push_back(pick(1, 3));
      c.dilations.push_back(pick(1, 2));
    }
    for (std::size_t i = 0; i < 2 * r; ++i) c.pads.push_back(pick(0, 2));
    for (std::size_t i = 0; i < r; ++i) {
      const std::int64_t window = (c.kernel[i] - 1) * c.dilations[i] + 1;
      c.x.push_back(std::max<std::int64_t>(window - c.pads[i] - c.pads[i + r], 1) + pick(0, 9));
    }
    const std::int64_t mode = pick(0, 5);
    c.auto_pad = mode == 4 ? "SAME_UPPER" : mode == 5 ? "SAME_LOWER" : "";
    c.bias = pick(0, 1) == 1;
    check_against_naive(c, rng);
  }
}

// ---- Error paths: each names the node ----

TEST(ConvKernelErrors, ChannelMismatchNamesNodeAndShapes) {
  Tensor x = Tensor::from_vector<float>({1, 3, 5, 5}, std::vector<float>(75, 0.0f));
  Tensor w = Tensor::from_vector<float>({2, 2, 3, 3}, std::vector<float>(36, 0.0f));
  auto out = run_node(conv_node({}), {x, w});
  ASSERT_FALSE(out.is_ok());
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(out.status().message().find("Conv 'conv1'"), std::string::npos) << out.status().message();
  EXPECT_NE(out.status().message().find("[1,3,5,5]"), std::string::npos) << out.status().message();
  EXPECT_NE(out.status().message().find("[2,2,3,3]"), std::string::npos) << out.status().message();
}

TEST(ConvKernelErrors, OutputChannelsNotMultipleOfGroup) {
  Tensor x = Tensor::from_vector<float>({1, 4, 5, 5}, std::vector<float>(100, 0.0f));
  Tensor w = Tensor::from_vector<float>({3, 2, 3, 3}, std::vector<float>(54, 0.0f));
  auto out = run_node(conv_node({{"group", std::int64_t{2}}}), {x, w});
  ASSERT_FALSE(out.is_ok());
  EXPECT_NE(out.status().message().find("Conv 'conv1'"), std::string::npos);
  EXPECT_NE(out.status().message().find("not a multiple of group 2"), std::string::npos) << out.status().message();
}

TEST(ConvKernelErrors, BadBiasLength) {
  Tensor x = Tensor::from_vector<float>({1, 1, 4, 4}, std::vector<float>(16, 0.0f));
  Tensor w = Tensor::from_vector<float>({2, 1, 3, 3}, std::vector<float>(18, 0.0f));
  Tensor b = Tensor::from_vector<float>({3}, std::vector<float>(3, 0.0f));
  auto out = run_node(conv_node({}), {x, w, b});
  ASSERT_FALSE(out.is_ok());
  EXPECT_NE(out.status().message().find("Conv 'conv1'"), std::string::npos);
  EXPECT_NE(out.status().message().find("bias B [3] must be [2]"), std::string::npos) << out.status().message();
}

TEST(ConvKernelErrors, WrongAttributeType) {
  Tensor x = Tensor::from_vector<float>({1, 1, 4, 4}, std::vector<float>(16, 0.0f));
  Tensor w = Tensor::from_vector<float>({1, 1, 3, 3}, std::vector<float>(9, 0.0f));
  auto out = run_node(conv_node({{"strides", std::int64_t{2}}}), {x, w});
  ASSERT_FALSE(out.is_ok());
  EXPECT_NE(out.status().message().find("Conv 'conv1'"), std::string::npos);
  EXPECT_NE(out.status().message().find("'strides' must be of type ints, got int"), std::string::npos)
      << out.status().message();
}

TEST(ConvKernelErrors, BadAttributeValues) {
  Tensor x = Tensor::from_vector<float>({1, 1, 4, 4}, std::vector<float>(16, 0.0f));
  Tensor w = Tensor::from_vector<float>({1, 1, 3, 3}, std::vector<float>(9, 0.0f));
  auto bad_pad = run_node(conv_node({{"auto_pad", std::string("SAME")}}), {x, w});
  ASSERT_FALSE(bad_pad.is_ok());
  EXPECT_NE(bad_pad.status().message().find("auto_pad 'SAME'"), std::string::npos) << bad_pad.status().message();
  auto short_pads = run_node(conv_node({{"pads", std::vector<std::int64_t>{1, 1}}}), {x, w});
  ASSERT_FALSE(short_pads.is_ok());
  EXPECT_NE(short_pads.status().message().find("pads has 2 entries"), std::string::npos);
  auto zero_stride = run_node(conv_node({{"strides", std::vector<std::int64_t>{0, 1}}}), {x, w});
  ASSERT_FALSE(zero_stride.is_ok());
  EXPECT_NE(zero_stride.status().message().find("stride 0"), std::string::npos);
  auto wrong_kernel = run_node(conv_node({{"kernel_shape", std::vector<std::int64_t>{2, 2}}}), {x, w});
  ASSERT_FALSE(wrong_kernel.is_ok());
  EXPECT_NE(wrong_kernel.status().message().find("kernel_shape [2,2] disagrees"), std::string::npos);
  auto bad_activation = run_node(conv_node({{"activation", std::string("Swish")}}), {x, w});
  ASSERT_FALSE(bad_activation.is_ok());
  EXPECT_NE(bad_activation.status().message().find("unknown fused activation 'Swish'"), std::string::npos);
}

TEST(ConvKernelErrors, KernelLargerThanPaddedInput) {
  Tensor x = Tensor::from_vector<float>({1, 1, 2, 2}, std::vector<float>(4, 0.0f));
  Tensor w = Tensor::from_vector<float>({1, 1, 3, 3}, std::vector<float>(9, 0.0f));
  auto out = run_node(conv_node({}), {x, w});
  ASSERT_FALSE(out.is_ok());
  EXPECT_NE(out.status().message().find("larger than the padded input"), std::string::npos) << out.status().message();
}

TEST(ConvKernelErrors, NonFloatIsUnsupported) {
  Tensor x = Tensor::from_vector<std::int8_t>({1, 1, 3, 3}, std::vector<std::int8_t>(9, 1));
  Tensor w = Tensor::from_vector<std::int8_t>({1, 1, 1, 1}, std::vector<std::int8_t>(1, 1));
  auto out = run_node(conv_node({}), {x, w});
  ASSERT_FALSE(out.is_ok());
  EXPECT_EQ(out.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(out.status().message().find("Conv 'conv1'"), std::string::npos);
  EXPECT_NE(out.status().message().find("int8"), std::string::npos) << out.status().message();
}

}  // namespace
}  // namespace edgeai
