// Tests of the reference Resize kernel (ONNX opset 13) and its schema: the ONNX operator
// page's examples, values computed with torch.nn.functional.interpolate for the modes
// torch shares with ONNX, and the error paths.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "run_node.hpp"

namespace edgeai {
namespace {

using edgeai::testing::run_node;

Node resize_node(std::map<std::string, Attribute> attributes) {
  Node node;
  node.op_type = "Resize";
  node.name = "up1";
  node.attributes = std::move(attributes);
  return node;
}

Tensor scales(std::vector<float> values) {
  return Tensor::from_vector<float>({static_cast<std::int64_t>(values.size())}, values);
}

Tensor sizes(std::vector<std::int64_t> values) {
  return Tensor::from_vector<std::int64_t>({static_cast<std::int64_t>(values.size())}, values);
}

void expect_values(const Result<std::vector<Tensor>>& out, const Shape& shape, const std::vector<float>& expected,
                   float tolerance = 1e-5f) {
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  const Tensor& y = (*out)[0];
  ASSERT_EQ(y.shape(), shape);
  ASSERT_EQ(static_cast<std::size_t>(y.num_elements()), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) EXPECT_NEAR(y.data<float>()[i], expected[i], tolerance) << i;
}

const Tensor kTwoByTwo = Tensor::from_values<float>({1, 1, 2, 2}, {1, 2, 3, 4});
const Tensor kTwoByFour = Tensor::from_values<float>({1, 1, 2, 4}, {1, 2, 3, 4, 5, 6, 7, 8});
// A 3x4 image used with torch.nn.functional.interpolate(x, size=(5, 7), ...) below.
const Tensor kThreeByFour = Tensor::from_values<float>({1, 1, 3, 4}, {0, 1, 4, 9, 2, -1, 3, 5, 7, 6, -2, 0});

// ---- The examples of https://onnx.ai/onnx/operators/onnx__Resize.html ----

TEST(ResizeKernel, OnnxUpsampleScalesNearest) {
  auto out = run_node(resize_node({{"mode", std::string("nearest")}}), {kTwoByTwo, Tensor(), scales({1, 1, 2, 3})});
  expect_values(out, {1, 1, 4, 6}, {1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 3, 3, 3, 4, 4, 4});
}

TEST(ResizeKernel, OnnxUpsampleScalesLinear) {
  auto out = run_node(resize_node({{"mode", std::string("linear")}}), {kTwoByTwo, Tensor(), scales({1, 1, 2, 2})});
  expect_values(out, {1, 1, 4, 4},
                {1, 1.25f, 1.75f, 2, 1.5f, 1.75f, 2.25f, 2.5f, 2.5f, 2.75f, 3.25f, 3.5f, 3, 3.25f, 3.75f, 4});
}

TEST(ResizeKernel, OnnxUpsampleScalesLinearAlignCorners) {
  auto out = run_node(
      resize_node({{"mode", std::string("linear")}, {"coordinate_transformation_mode", std::string("align_corners")}}),
      {kTwoByTwo, Tensor(), scales({1, 1, 2, 2})});
  const float a = 1.0f / 3.0f, b = 2.0f / 3.0f;
  expect_values(out, {1, 1, 4, 4},
                {1, 1 + a, 1 + b, 2, 1 + b, 2, 2 + a, 2 + b, 2 + a, 2 + b, 3, 3 + a, 3, 3 + a, 3 + b, 4});
}

TEST(ResizeKernel, OnnxDownsampleScalesLinear) {
  auto out =
      run_node(resize_node({{"mode", std::string("linear")}}), {kTwoByFour, Tensor(), scales({1, 1, 0.6f, 0.6f})});
  expect_values(out, {1, 1, 1, 2}, {2.6666665f, 4.3333331f});
}

// align_corners uses the un-rounded output length (0.6 * 4 = 2.4), as the ONNX
// reference and its expected output [[1, 3.142857]] do.
TEST(ResizeKernel, OnnxDownsampleScalesLinearAlignCorners) {
  auto out = run_node(
      resize_node({{"mode", std::string("linear")}, {"coordinate_transformation_mode", std::string("align_corners")}}),
      {kTwoByFour, Tensor(), scales({1, 1, 0.6f, 0.6f})});
  expect_values(out, {1, 1, 1, 2}, {1, 3.142857f});
}

TEST(ResizeKernel, OnnxDownsampleNearest) {
  auto by_scales = run_node(resize_node({}), {kTwoByFour, Tensor(), scales({1, 1, 0.6f, 0.6f})});
  expect_values(by_scales, {1, 1, 1, 2}, {1, 3});
  auto by_sizes = run_node(resize_node({}), {kTwoByFour, Tensor(), Tensor(), sizes({1, 1, 1, 3})});
  expect_values(by_sizes, {1, 1, 1, 3}, {1, 2, 4});
}

// An empty (zero-element) scales tensor means absent, as the ONNX node tests feed it.
TEST(ResizeKernel, EmptyScalesMeansAbsent) {
  Tensor empty = *Tensor::allocate(DType::kFloat32, {0});
  auto out = run_node(resize_node({}), {kTwoByFour, empty, empty, sizes({1, 1, 1, 3})}, {true, true, true, true});
  expect_values(out, {1, 1, 1, 3}, {1, 2, 4});
}

// Hand-worked nearest modes on a 1-D input [10, 20, 30, 40] upsampled to 8 with half_pixel:
// x_original = (x + 0.5) / 2 - 0.5 = -0.25, 0.25, 0.75, 1.25, 1.75, 2.25, 2.75, 3.25.
TEST(ResizeKernel, NearestModesHalfPixel) {
  Tensor x = Tensor::from_values<float>({4}, {10, 20, 30, 40});
  auto floor = run_node(resize_node({{"nearest_mode", std::string("floor")}}), {x, Tensor(), Tensor(), sizes({8})});
  expect_values(floor, {8}, {10, 10, 10, 20, 20, 30, 30, 40});
  auto ceil = run_node(resize_node({{"nearest_mode", std::string("ceil")}}), {x, Tensor(), Tensor(), sizes({8})});
  expect_values(ceil, {8}, {10, 20, 20, 30, 30, 40, 40, 40});
  auto round = run_node(resize_node({}), {x, Tensor(), Tensor(), sizes({8})});
  expect_values(round, {8}, {10, 10, 20, 20, 30, 30, 40, 40});
  // asymmetric x / 2 = 0, 0.5, 1, 1.5, ...: the ties decide.
  auto prefer_floor = run_node(resize_node({{"coordinate_transformation_mode", std::string("asymmetric")}}),
                               {x, Tensor(), Tensor(), sizes({8})});
  expect_values(prefer_floor, {8}, {10, 10, 20, 20, 30, 30, 40, 40});
  auto prefer_ceil = run_node(resize_node({{"coordinate_transformation_mode", std::string("asymmetric")},
                                           {"nearest_mode", std::string("round_prefer_ceil")}}),
                              {x, Tensor(), Tensor(), sizes({8})});
  expect_values(prefer_ceil, {8}, {10, 20, 20, 30, 30, 40, 40, 40});
}

// ---- Against torch.nn.functional.interpolate(x, size=(5, 7), mode=...) ----

TEST(ResizeKernel, MatchesTorchBilinear) {
  // mode='bilinear', align_corners=False == ONNX linear with half_pixel.
  auto out =
      run_node(resize_node({{"mode", std::string("linear")}}), {kThreeByFour, Tensor(), Tensor(), sizes({1, 1, 5, 7})});
  expect_values(out, {1, 1, 5, 7}, {0,          0.3571429f, 0.9285715f, 2.5f,      4.357143f,  7.214287f,   9,
                                    0.8000001f, 0.5857142f, 0.2428571f, 1.9f,      3.871429f,  6.042858f,   7.4f,
                                    2,          0.9285716f, -0.785714f, 1,         3.142857f,  4.285714f,   5,
                                    5,          4.357143f,  3.328572f,  1.6f,      0.142857f,  1.285714f,   2,
                                    7,          6.642857f,  6.071429f,  1.999999f, -1.857143f, -0.7142854f, 0});
  // Downsampling to (2, 3): torch gives [0.5, 2.125, 7.291667, 5.5, 1.75, 0.9166669].
  auto down = run_node(resize_node({{"mode", std::string("linear")},
                                    {"coordinate_transformation_mode", std::string("pytorch_half_pixel")}}),
                       {kThreeByFour, Tensor(), Tensor(), sizes({1, 1, 2, 3})});
  expect_values(down, {1, 1, 2, 3}, {0.5f, 2.125f, 7.291667f, 5.5f, 1.75f, 0.9166669f});
}

TEST(ResizeKernel, MatchesTorchBilinearAlignCorners) {
  auto out = run_node(
      resize_node({{"mode", std::string("linear")}, {"coordinate_transformation_mode", std::string("align_corners")}}),
      {kThreeByFour, Tensor(), Tensor(), sizes({1, 1, 5, 7})});
  expect_values(out, {1, 1, 5, 7},
                {0, 0.5f, 1, 2.5f, 4,    6.5f, 9,    1,    0.5f, 0,    1.75f, 3.5f, 5.25f, 7, 2,  0.5f, -1, 1,
                 3, 4,    5, 4.5f, 3.5f, 2.5f, 1.5f, 0.5f, 1.5f, 2.5f, 7,     6.5f, 6,     2, -2, -1,   0});
}

TEST(ResizeKernel, MatchesTorchBicubic) {
  // mode='bicubic', align_corners=False == ONNX cubic, half_pixel, cubic_coeff_a -0.75, edge-clamped taps.
  auto out =
      run_node(resize_node({{"mode", std::string("cubic")}}), {kThreeByFour, Tensor(), Tensor(), sizes({1, 1, 5, 7})});
  expect_values(
      out, {1, 1, 5, 7},
      {-0.3293156f, 0.1009979f, 0.9786717f, 2.278001f, 4.532697f, 7.760738f,  9.908658f,  0.4850565f, -0.08264595f,
       -0.4365847f, 1.421125f,  4.387884f,  6.762393f, 8.188592f, 2.297651f,  0.7317781f, -1.01312f,  0.5312506f,
       3.299197f,   4.564504f,  5.198433f,  5.408785f, 4.701928f, 3.409234f,  1.14325f,   -0.181066f, 0.8428945f,
       1.829004f,   7.560171f,  7.767511f,  7.140979f, 1.832749f, -2.788315f, -1.724313f, -0.2815668f},
      1e-4f);
}

TEST(ResizeKernel, MatchesTorchNearest) {
  // mode='nearest' == ONNX nearest with asymmetric coordinates and nearest_mode floor.
  auto out = run_node(resize_node({{"coordinate_transformation_mode", std::string("asymmetric")},
                                   {"nearest_mode", std::string("floor")}}),
                      {kThreeByFour, Tensor(), Tensor(), sizes({1, 1, 5, 7})});
  expect_values(out, {1, 1, 5, 7}, {0, 0, 1, 1, 4, 4,  9,  0, 0, 1, 1, 4, 4, 9, 2,  2,  -1, -1,
                                    3, 3, 5, 2, 2, -1, -1, 3, 3, 5, 7, 7, 6, 6, -2, -2, 0});
}

// tf_crop_and_resize, hand-worked in 1-D: roi [0.5, 1.5] of [0, 10, 20] (length 3) resized
// to 3: x_original = 0.5 * 2 + x * 1 * 2 / 2 = 1, 2, 3; 3 is outside -> extrapolation_value.
TEST(ResizeKernel, TfCropAndResize) {
  Tensor x = Tensor::from_values<float>({3}, {0, 10, 20});
  Tensor roi = Tensor::from_values<float>({2}, {0.5f, 1.5f});
  auto out = run_node(resize_node({{"mode", std::string("linear")},
                                   {"coordinate_transformation_mode", std::string("tf_crop_and_resize")},
                                   {"extrapolation_value", -1.0f}}),
                      {x, roi, Tensor(), sizes({3})});
  expect_values(out, {3}, {10, 20, -1});
}

// ---- Error paths ----

TEST(ResizeKernelErrors, ScalesAndSizesAreExclusive) {
  auto both = run_node(resize_node({}), {kTwoByTwo, Tensor(), scales({1, 1, 2, 2}), sizes({1, 1, 4, 4})});
  ASSERT_FALSE(both.is_ok());
  EXPECT_NE(both.status().message().find("Resize 'up1': exactly one of scales and sizes must be given, got both"),
            std::string::npos)
      << both.status().message();
  auto neither = run_node(resize_node({}), {kTwoByTwo});
  ASSERT_FALSE(neither.is_ok());
  EXPECT_NE(neither.status().message().find("got neither"), std::string::npos) << neither.status().message();
}

TEST(ResizeKernelErrors, BadValuesAndAttributes) {
  auto short_scales = run_node(resize_node({}), {kTwoByTwo, Tensor(), scales({2, 2})});
  ASSERT_FALSE(short_scales.is_ok());
  EXPECT_NE(short_scales.status().message().find("Resize 'up1': scales has 2 values for X of rank 4"),
            std::string::npos)
      << short_scales.status().message();
  auto bad_mode =
      run_node(resize_node({{"mode", std::string("bilinear")}}), {kTwoByTwo, Tensor(), scales({1, 1, 2, 2})});
  ASSERT_FALSE(bad_mode.is_ok());
  EXPECT_NE(bad_mode.status().message().find("mode 'bilinear' is not one of nearest, linear, cubic"), std::string::npos)
      << bad_mode.status().message();
  auto bad_type = run_node(resize_node({{"exclude_outside", 1.0f}}), {kTwoByTwo, Tensor(), scales({1, 1, 2, 2})});
  ASSERT_FALSE(bad_type.is_ok());
  EXPECT_NE(bad_type.status().message().find("attribute 'exclude_outside' must be of type int, got float"),
            std::string::npos)
      << bad_type.status().message();
  auto int_scales = run_node(resize_node({}), {kTwoByTwo, Tensor(), sizes({1, 1, 2, 2}), Tensor()});
  ASSERT_FALSE(int_scales.is_ok());
  EXPECT_NE(int_scales.status().message().find("scales must be float32, got int64"), std::string::npos)
      << int_scales.status().message();
  auto zero = run_node(resize_node({}), {kTwoByTwo, Tensor(), scales({1, 1, 0.1f, 1})});
  ASSERT_FALSE(zero.is_ok());
  EXPECT_NE(zero.status().message().find("gives an empty output axis"), std::string::npos) << zero.status().message();
}

TEST(ResizeKernelErrors, NonFloatInputIsUnsupported) {
  Tensor x = Tensor::from_vector<std::uint8_t>({1, 1, 2, 2}, std::vector<std::uint8_t>(4, 1));
  auto out = run_node(resize_node({}), {x, Tensor(), scales({1, 1, 2, 2})});
  ASSERT_FALSE(out.is_ok());
  EXPECT_EQ(out.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(out.status().message().find("Resize 'up1'"), std::string::npos);
  EXPECT_NE(out.status().message().find("uint8"), std::string::npos) << out.status().message();
}

}  // namespace
}  // namespace edgeai
