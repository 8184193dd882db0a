// Tests of the int8/uint8 arithmetic (kernels/quantization.hpp) and the quantised reference
// kernels and schemas (QuantizeLinear, DequantizeLinear, QLinearConv, ConvInteger,
// QLinearMatMul, MatMulInteger, QGemm, QLinearAdd, QLinearMul, QLinearConcat,
// QLinearAveragePool, QLinearGlobalAveragePool, QLinearLookup), plus the data-movement ops on
// int8/uint8. Expected integers are hand-worked (re-derived with numpy: float64 math, then
// numpy.rint, which rounds half to even) or computed here in float64 and rounded with
// std::nearbyint, a different path from the kernels' float32 scales and fixed-point multipliers.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "../support/allocation_counter.hpp"
#include "kernels/quantization.hpp"
#include "run_node.hpp"

namespace edgeai {
namespace {

using edgeai::testing::run_node;
using Ints = std::vector<std::int64_t>;

template <typename T>
Tensor tensor_of(Shape shape, const std::vector<int>& values) {
  std::vector<T> v(values.begin(), values.end());
  return Tensor::from_vector<T>(std::move(shape), v);
}
Tensor s8(Shape shape, const std::vector<int>& values) { return tensor_of<std::int8_t>(std::move(shape), values); }
Tensor u8(Shape shape, const std::vector<int>& values) { return tensor_of<std::uint8_t>(std::move(shape), values); }
Tensor i32(Shape shape, const std::vector<int>& values) { return tensor_of<std::int32_t>(std::move(shape), values); }
Tensor s16(Shape shape, const std::vector<int>& values) { return tensor_of<std::int16_t>(std::move(shape), values); }
Tensor f32(Shape shape, const std::vector<float>& values) {
  return Tensor::from_vector<float>(std::move(shape), values);
}
Tensor scalar_f32(float v) { return Tensor::from_values<float>({}, {v}); }
Tensor scalar_s8(int v) { return s8({}, {v}); }
Tensor scalar_u8(int v) { return u8({}, {v}); }

// The elements of an int8, uint8 or int32 tensor as ints.
std::vector<int> ints_of(const Tensor& t) {
  std::vector<int> out;
  for (std::int64_t i = 0; i < t.num_elements(); ++i) {
    switch (t.dtype()) {
      case DType::kInt8:
        out.push_back(t.data<std::int8_t>()[i]);
        break;
      case DType::kUInt8:
        out.push_back(t.data<std::uint8_t>()[i]);
        break;
      case DType::kInt16:
        out.push_back(t.data<std::int16_t>()[i]);
        break;
      case DType::kInt32:
        out.push_back(t.data<std::int32_t>()[i]);
        break;
      default:
        ADD_FAILURE() << "not an integer tensor: " << dtype_name(t.dtype());
        return out;
    }
  }
  return out;
}

Node make_node(const std::string& op_type, std::map<std::string, Attribute> attributes = {}) {
  Node node;
  node.op_type = op_type;
  node.name = "q1";
  node.attributes = std::move(attributes);
  return node;
}

// Runs `node` twice, once with inputs `constant` fed as constants (parameters computed at
// prepare) and once with every input fed at run time (parameters computed in run()), and
// checks that both give the same output; returns it.
Result<Tensor> run_both_ways(const Node& node, const std::vector<Tensor>& inputs, const std::vector<bool>& constant) {
  EDGEAI_ASSIGN_OR_RETURN(std::vector<Tensor> with_constants, run_node(node, inputs, constant));
  EDGEAI_ASSIGN_OR_RETURN(std::vector<Tensor> with_inputs, run_node(node, inputs));
  EXPECT_EQ(with_constants[0].dtype(), with_inputs[0].dtype());
  EXPECT_EQ(ints_of(with_constants[0]), ints_of(with_inputs[0])) << "constant and run-time parameters disagree";
  return with_constants[0];
}

// ---------------------------------------------------------------------------------------
// kernels/quantization.hpp

TEST(QuantizationArithmetic, QuantizeRoundsHalfToEvenAndSaturates) {
  using quant::quantize_value;
  // x / scale = 0.5, 1.5, 2.5, -2.5, -0.5, -1.5
  EXPECT_EQ(quantize_value(0.25f, 0.5f, 0, -128, 127), 0);
  EXPECT_EQ(quantize_value(0.75f, 0.5f, 0, -128, 127), 2);
  EXPECT_EQ(quantize_value(1.25f, 0.5f, 0, -128, 127), 2);
  EXPECT_EQ(quantize_value(-1.25f, 0.5f, 0, -128, 127), -2);
  EXPECT_EQ(quantize_value(-0.25f, 0.5f, 0, -128, 127), 0);
  EXPECT_EQ(quantize_value(-0.75f, 0.5f, 0, -128, 127), -2);
  // The zero point is added after rounding: 2.5 -> 2, + 10.
  EXPECT_EQ(quantize_value(1.25f, 0.5f, 10, -128, 127), 12);
  EXPECT_EQ(quantize_value(1000.0f, 1.0f, 0, -128, 127), 127);
  EXPECT_EQ(quantize_value(-1000.0f, 1.0f, 0, -128, 127), -128);
  EXPECT_EQ(quantize_value(-3.0f, 1.0f, 0, 0, 255), 0);
  EXPECT_EQ(quantize_value(std::nanf(""), 1.0f, 7, -128, 127), 7);
  EXPECT_EQ(quantize_value(-INFINITY, 1.0f, 7, -128, 127), -128);
  EXPECT_FLOAT_EQ(quant::dequantize_value(-3, 0.5f, 5), -4.0f);
}

TEST(QuantizationArithmetic, FixedPointMultiplierOfSimpleAndInexactRatios) {
  quant::FixedPointMultiplier m;
  // 0.5 = 2^30 * 2^-31, 1.0 = 2^30 * 2^-30: the multiplier is always in [2^30, 2^31).
  ASSERT_TRUE(quant::make_fixed_point_multiplier(0.5, &m));
  EXPECT_EQ(m.multiplier, 1 << 30);
  EXPECT_EQ(m.shift, 31);
  ASSERT_TRUE(quant::make_fixed_point_multiplier(1.0, &m));
  EXPECT_EQ(m.multiplier, 1 << 30);
  EXPECT_EQ(m.shift, 30);
  for (double real : {0.1, 0.0123456789, 3.7, 1e-6, 0.999999999}) {
    ASSERT_TRUE(quant::make_fixed_point_multiplier(real, &m)) << real;
    EXPECT_GE(m.multiplier, 1 << 30) << real;
    const double represented = std::ldexp(static_cast<double>(m.multiplier), -m.shift);
    EXPECT_LE(std::fabs(represented - real) / real, std::ldexp(1.0, -31)) << real;
  }
  // 0.1 by hand: 0.1 = 0.8 * 2^-3, so shift = 31 + 3 and multiplier = round(0.8 * 2^31).
  ASSERT_TRUE(quant::make_fixed_point_multiplier(0.1, &m));
  EXPECT_EQ(m.shift, 34);
  EXPECT_EQ(m.multiplier, 1717986918);
  ASSERT_TRUE(quant::make_fixed_point_multiplier(0.0, &m));
  EXPECT_EQ(m.multiplier, 0);
  EXPECT_FALSE(quant::make_fixed_point_multiplier(-0.5, &m));
  EXPECT_FALSE(quant::make_fixed_point_multiplier(std::nan(""), &m));
  EXPECT_FALSE(quant::make_fixed_point_multiplier(2.0 * quant::kMaxRealMultiplier, &m));
}

TEST(QuantizationArithmetic, RoundingShiftRightTiesToEvenAndNegatives) {
  using quant::rounding_shift_right;
  EXPECT_EQ(rounding_shift_right(5, 1), 2);    // 2.5
  EXPECT_EQ(rounding_shift_right(7, 1), 4);    // 3.5
  EXPECT_EQ(rounding_shift_right(-5, 1), -2);  // -2.5
  EXPECT_EQ(rounding_shift_right(-7, 1), -4);  // -3.5
  EXPECT_EQ(rounding_shift_right(6, 2), 2);    // 1.5
  EXPECT_EQ(rounding_shift_right(-6, 2), -2);  // -1.5
  EXPECT_EQ(rounding_shift_right(10, 2), 2);   // 2.5
  EXPECT_EQ(rounding_shift_right(-2, 2), 0);   // -0.5
  EXPECT_EQ(rounding_shift_right(3, 2), 1);    // 0.75
  EXPECT_EQ(rounding_shift_right(-3, 2), -1);  // -0.75
  EXPECT_EQ(rounding_shift_right(1, 2), 0);    // 0.25
  EXPECT_EQ(rounding_shift_right(-1, 2), 0);   // -0.25
  EXPECT_EQ(rounding_shift_right(-9, 0), -9);
}

TEST(QuantizationArithmetic, AccumulatorRequantizationIsFloat32TiesToEvenAndClamps) {
  float scale = -1.0f;
  ASSERT_TRUE(quant::make_requantization_scale(0.5, &scale));
  EXPECT_EQ(scale, 0.5f);
  EXPECT_EQ(quant::requantize_accumulator(5, scale, 0, -128, 127), 2);    // 2.5 -> 2
  EXPECT_EQ(quant::requantize_accumulator(7, scale, 0, -128, 127), 4);    // 3.5 -> 4
  EXPECT_EQ(quant::requantize_accumulator(-5, scale, 3, -128, 127), 1);   // -2.5 -> -2, + 3
  EXPECT_EQ(quant::requantize_accumulator(1000, scale, 0, -128, 127), 127);
  EXPECT_EQ(quant::requantize_accumulator(-1000, scale, 0, 0, 255), 0);
  EXPECT_EQ(quant::requantize_accumulator(600, scale, -100, 0, 255), 200);
  // A fused Relu's bound and the type's other bound, and products far beyond int32.
  EXPECT_EQ(quant::requantize_accumulator(-40, scale, 10, 10, 127), 10);
  ASSERT_TRUE(quant::make_requantization_scale(quant::kMaxRealMultiplier, &scale));
  EXPECT_EQ(quant::requantize_accumulator(std::numeric_limits<std::int32_t>::max(), scale, 5, -32768, 32767), 32767);
  EXPECT_EQ(quant::requantize_accumulator(std::numeric_limits<std::int32_t>::min(), scale, -5, -32768, 32767), -32768);
  // Scales: 0 and ratios below float32's normal range give 0; negative, NaN and too large fail.
  ASSERT_TRUE(quant::make_requantization_scale(1e-40, &scale));
  EXPECT_EQ(scale, 0.0f);
  EXPECT_EQ(quant::requantize_accumulator(123456, scale, 7, -128, 127), 7);
  ASSERT_TRUE(quant::make_requantization_scale(0.0, &scale));
  EXPECT_EQ(scale, 0.0f);
  EXPECT_FALSE(quant::make_requantization_scale(-0.5, &scale));
  EXPECT_FALSE(quant::make_requantization_scale(std::nan(""), &scale));
  EXPECT_FALSE(quant::make_requantization_scale(2.0 * quant::kMaxRealMultiplier, &scale));
  // The scale is the ratio rounded once to float32, not a product of float32 roundings.
  ASSERT_TRUE(quant::make_requantization_scale(1.0 / 3.0, &scale));
  EXPECT_EQ(scale, static_cast<float>(1.0 / 3.0));
}

// The two-addition rounding equals std::nearbyint (ties to even) wherever requantisation uses
// it: every multiple of 1/64 in [-2^17, 2^17] (all ties among them), a million random floats up
// to 2^22, and the ends of the range.
TEST(QuantizationArithmetic, SmallRoundingIsNearbyintTiesToEven) {
  for (std::int32_t i = -(1 << 23); i <= (1 << 23); ++i) {
    const float x = static_cast<float>(i) / 64.0f;
    ASSERT_EQ(quant::round_half_even_small(x), std::nearbyint(x)) << x;
  }
  std::mt19937 rng(9);
  std::uniform_real_distribution<float> any(-4194304.0f, 4194304.0f);
  for (int i = 0; i < 1000000; ++i) {
    const float x = any(rng);
    ASSERT_EQ(quant::round_half_even_small(x), std::nearbyint(x)) << x;
  }
  for (float x : {4194304.0f, -4194304.0f, 4194303.5f, -4194303.5f, 0.5f, -0.5f, 1.5f, 2.5f, -2.5f}) {
    EXPECT_EQ(quant::round_half_even_small(x), std::nearbyint(x)) << x;
  }
}

TEST(QuantizationArithmetic, RequantizeRoundsOnceAndSaturates) {
  quant::FixedPointMultiplier half;
  ASSERT_TRUE(quant::make_fixed_point_multiplier(0.5, &half));
  EXPECT_EQ(quant::requantize(5, half, 0, -128, 127), 2);   // 2.5 -> 2
  EXPECT_EQ(quant::requantize(-5, half, 3, -128, 127), 1);  // -2.5 -> -2, + 3
  EXPECT_EQ(quant::requantize(1000, half, 0, -128, 127), 127);
  EXPECT_EQ(quant::requantize(-1000, half, 0, -128, 127), -128);
  EXPECT_EQ(quant::requantize(-1000, half, 0, 0, 255), 0);
  EXPECT_EQ(quant::requantize(600, half, -100, 0, 255), 200);
}

// ---------------------------------------------------------------------------------------
// QuantizeLinear / DequantizeLinear

TEST(QuantizeLinearKernel, TiesToEvenSaturationAndDefaultUint8) {
  Tensor x = f32({7}, {0.25f, 0.75f, 1.25f, -1.25f, -0.25f, 300.0f, -300.0f});
  auto out = run_node(make_node("QuantizeLinear"), {x, scalar_f32(0.5f), scalar_s8(0)});
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  EXPECT_EQ((*out)[0].dtype(), DType::kInt8);
  EXPECT_EQ(ints_of((*out)[0]), (std::vector<int>{0, 2, 2, -2, 0, 127, -128}));

  // Without a zero point the output is uint8 with zero point 0.
  auto unsigned_out = run_node(make_node("QuantizeLinear"), {x, scalar_f32(0.5f)});
  ASSERT_TRUE(unsigned_out.is_ok()) << unsigned_out.status().to_string();
  EXPECT_EQ((*unsigned_out)[0].dtype(), DType::kUInt8);
  EXPECT_EQ(ints_of((*unsigned_out)[0]), (std::vector<int>{0, 2, 2, 0, 0, 255, 0}));
}

// Per-axis (axis 1 of [1, 2, 2]): scales [0.5, 2], zero points [1, -1].
// Channel 0: 1.25 / 0.5 = 2.5 -> 2, + 1 = 3; -1 / 0.5 = -2 + 1 = -1.
// Channel 1: 5 / 2 = 2.5 -> 2, - 1 = 1; -7 / 2 = -3.5 -> -4, - 1 = -5.
TEST(QuantizeLinearKernel, PerAxisScalesAndZeroPoints) {
  Tensor x = f32({1, 2, 2}, {1.25f, -1.0f, 5.0f, -7.0f});
  Tensor scale = f32({2}, {0.5f, 2.0f});
  Tensor zero_point = s8({2}, {1, -1});
  auto out = run_node(make_node("QuantizeLinear", {{"axis", std::int64_t{1}}}), {x, scale, zero_point});
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  EXPECT_EQ(ints_of((*out)[0]), (std::vector<int>{3, -1, 1, -5}));

  auto dequantized =
      run_node(make_node("DequantizeLinear", {{"axis", std::int64_t{-2}}}), {(*out)[0], scale, zero_point});
  ASSERT_TRUE(dequantized.is_ok()) << dequantized.status().to_string();
  const Tensor& y = (*dequantized)[0];
  EXPECT_EQ(y.dtype(), DType::kFloat32);
  // (3 - 1) * 0.5, (-1 - 1) * 0.5, (1 + 1) * 2, (-5 + 1) * 2
  EXPECT_EQ(std::vector<float>(y.data<float>(), y.data<float>() + 4), (std::vector<float>{1.0f, -1.0f, 4.0f, -8.0f}));
}

TEST(QuantizeLinearKernel, PerAxisScaleLengthMismatchNamesTheNode) {
  Tensor x = f32({1, 3, 2}, {0, 0, 0, 0, 0, 0});
  auto out = run_node(make_node("QuantizeLinear"), {x, f32({2}, {1.0f, 1.0f})});
  ASSERT_FALSE(out.is_ok());
  EXPECT_NE(out.status().message().find("QuantizeLinear 'q1'"), std::string::npos) << out.status().message();
  EXPECT_NE(out.status().message().find("y_scale"), std::string::npos) << out.status().message();
}

TEST(DequantizeLinearKernel, Int32WithoutZeroPoint) {
  auto out = run_node(make_node("DequantizeLinear"), {i32({3}, {-7, 0, 1000}), scalar_f32(0.25f)});
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  const Tensor& y = (*out)[0];
  EXPECT_EQ(std::vector<float>(y.data<float>(), y.data<float>() + 3), (std::vector<float>{-1.75f, 0.0f, 250.0f}));
}

// ---------------------------------------------------------------------------------------
// QLinearConv

// Inputs of QLinearConv in order.
std::vector<Tensor> qconv_inputs(Tensor x, float x_scale, Tensor x_zp, Tensor w, Tensor w_scale, Tensor w_zp,
                                 float y_scale, Tensor y_zp, Tensor bias = {}) {
  std::vector<Tensor> in = {std::move(x),       scalar_f32(x_scale), std::move(x_zp),     std::move(w),
                            std::move(w_scale), std::move(w_zp),     scalar_f32(y_scale), std::move(y_zp)};
  if (!bias.is_null()) in.push_back(std::move(bias));
  return in;
}
const std::vector<bool> kQConvConstants = {false, true, true, true, true, true, true, true, true};

// Hand-worked: uint8 x with zero point 128, padding 1, stride 2, per-channel int8 weights
// (a Sobel kernel and a box kernel), bias. x - 128 =
//    2  4 -2  0
//   12 -8  0  8
//    0  0 32 -28
//   -4  1  3 -1
// Output (0, 0) of channel 0 sees x rows/cols 0..1 under kernel rows/cols 1..2:
// 2*0 + 4*(-2) + 12*0 + (-8)*(-1) = 0, + bias 4 = 4. Accumulators (numpy):
// channel 0: 4, -4, 11, 46; channel 1: 2, -6, -7, -1.
// Multipliers x_scale * w_scale[m] / y_scale = 0.5 * [0.25, 0.125] / 0.25 = [0.5, 0.25]:
// channel 0: 2, -2, 5.5 -> 6, 23; channel 1: 0.5 -> 0, -1.5 -> -2, -1.75 -> -2, -0.25 -> 0; + y_zp 3.
std::vector<Tensor> sobel_and_box_example() {
  Tensor x = u8({1, 1, 4, 4}, {130, 132, 126, 128, 140, 120, 128, 136, 128, 128, 160, 100, 124, 129, 131, 127});
  Tensor w = s8({2, 1, 3, 3}, {1, 0, -1, 2, 0, -2, 1, 0, -1, 1, 1, 1, 1, 1, 1, 1, 1, 1});
  return qconv_inputs(x, 0.5f, scalar_u8(128), w, f32({2}, {0.25f, 0.125f}), s8({2}, {0, 0}), 0.25f, scalar_s8(3),
                      i32({2}, {4, -8}));
}
const std::map<std::string, Attribute> kPad1Stride2 = {{"pads", Ints{1, 1, 1, 1}}, {"strides", Ints{2, 2}}};

TEST(QLinearConvKernel, PerChannelWeightsPaddingWithNonZeroXZeroPointStride2) {
  auto out = run_both_ways(make_node("QLinearConv", kPad1Stride2), sobel_and_box_example(), kQConvConstants);
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  EXPECT_EQ(out->dtype(), DType::kInt8);
  EXPECT_EQ(out->shape(), (Shape{1, 2, 2, 2}));
  EXPECT_EQ(ints_of(*out), (std::vector<int>{5, 1, 9, 26, 3, 1, 1, 3}));
}

// The same with a fused Relu (lower bound quantize(0) = y_zp = 3) and Clip(0, 5): upper bound
// quantize(5) = 5 / 0.25 + 3 = 23.
TEST(QLinearConvKernel, FusedReluAndClipClampTheQuantisedOutput) {
  std::map<std::string, Attribute> relu = kPad1Stride2;
  relu["activation"] = std::string("Relu");
  auto with_relu = run_both_ways(make_node("QLinearConv", relu), sobel_and_box_example(), kQConvConstants);
  ASSERT_TRUE(with_relu.is_ok()) << with_relu.status().to_string();
  EXPECT_EQ(ints_of(*with_relu), (std::vector<int>{5, 3, 9, 26, 3, 3, 3, 3}));

  std::map<std::string, Attribute> clip = kPad1Stride2;
  clip["activation"] = std::string("Clip");
  clip["activation_alpha"] = 0.0f;
  clip["activation_beta"] = 5.0f;
  auto with_clip = run_both_ways(make_node("QLinearConv", clip), sobel_and_box_example(), kQConvConstants);
  ASSERT_TRUE(with_clip.is_ok()) << with_clip.status().to_string();
  EXPECT_EQ(ints_of(*with_clip), (std::vector<int>{5, 3, 9, 23, 3, 3, 3, 3}));
}

// Depthwise (group = channels = 2), int8 x with zero point -1, uint8 output with zero point 128.
// Accumulators (numpy) of (x + 1) * w: channel 0: 27, 37, 57, 11; channel 1: -70, 90, 49, -61.
// Multipliers 0.5 * [0.5, 0.25] / 1 = [0.25, 0.125]: 6.75 -> 7, 9.25 -> 9, 14.25 -> 14,
// 2.75 -> 3; -8.75 -> -9, 11.25 -> 11, 6.125 -> 6, -7.625 -> -8; + 128.
TEST(QLinearConvKernel, DepthwiseInt8InputUint8Output) {
  Tensor x = s8({1, 2, 3, 3}, {-1, 0, 1, 2, 3, 4, 5, 6, -7, 10, -10, 20, -20, 30, -30, 0, 1, 2});
  Tensor w = s8({2, 1, 2, 2}, {1, 2, 3, 4, -1, 1, 1, -1});
  auto out = run_both_ways(
      make_node("QLinearConv", {{"group", std::int64_t{2}}}),
      qconv_inputs(x, 0.5f, scalar_s8(-1), w, f32({2}, {0.5f, 0.25f}), s8({2}, {0, 0}), 1.0f, scalar_u8(128)),
      kQConvConstants);
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  EXPECT_EQ(out->dtype(), DType::kUInt8);
  EXPECT_EQ(ints_of(*out), (std::vector<int>{135, 137, 142, 131, 119, 139, 134, 120}));
}

// 1-D, stride 2, dilation 2, pads 1, x_zp 2 and a non-zero weight zero point 1:
// x - 2 = [3, -5, 0, 5, -2, -10, 2] padded with 0 at both ends, w - 1 = [2, -2, 1]; taps at
// padded positions 2o, 2o + 2, 2o + 4: o = 0: 0*2 + (-5)*(-2) + 5*1 = 15; o = 1: -5*2 + 5*(-2) + (-10)*1 = -30;
// o = 2: 5*2 + (-10)*(-2) + 0 = 30. Multiplier 1 * 1 / 2: 7.5 -> 8, -15, 15.
TEST(QLinearConvKernel, OneDimensionalDilatedStridedWithWeightZeroPoint) {
  Tensor x = s8({1, 1, 7}, {5, -3, 2, 7, 0, -8, 4});
  Tensor w = s8({1, 1, 3}, {3, -1, 2});
  auto out = run_both_ways(
      make_node("QLinearConv", {{"pads", Ints{1, 1}}, {"strides", Ints{2}}, {"dilations", Ints{2}}}),
      qconv_inputs(x, 1.0f, scalar_s8(2), w, scalar_f32(1.0f), scalar_s8(1), 2.0f, scalar_s8(0)), kQConvConstants);
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  EXPECT_EQ(out->shape(), (Shape{1, 1, 3}));
  EXPECT_EQ(ints_of(*out), (std::vector<int>{8, -15, 15}));
}

// 1x1 conv: channel 0 has w = 1 (acc = x), channel 1 w = 127; multiplier 0.5.
// Channel 0: 0.5 -> 0, 1.5 -> 2, 2.5 -> 2, -0.5 -> 0, -1.5 -> -2, -2.5 -> -2, 63.5 -> 64, -64.
// Channel 1: 63.5 -> 64, 190.5 -> 127 (saturated), ..., -63.5 -> -64, -190.5 -> -128, ...
TEST(QLinearConvKernel, RequantisationTiesToEvenAndSaturates) {
  Tensor x = s8({1, 1, 8}, {1, 3, 5, -1, -3, -5, 127, -128});
  Tensor w = s8({2, 1, 1}, {1, 127});
  auto out =
      run_both_ways(make_node("QLinearConv"),
                    qconv_inputs(x, 1.0f, scalar_s8(0), w, f32({2}, {0.5f, 0.5f}), s8({2}, {0, 0}), 1.0f, scalar_s8(0)),
                    kQConvConstants);
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  EXPECT_EQ(ints_of(*out), (std::vector<int>{0, 2, 2, 0, -2, -2, 64, -64, 64, 127, 127, -64, -128, -128, 127, -128}));
}

TEST(QLinearConvKernel, PerChannelScaleLengthMismatchNamesTheNode) {
  std::vector<Tensor> in = sobel_and_box_example();
  in[4] = f32({3}, {0.25f, 0.125f, 1.0f});  // w_scale for 3 channels; W has 2
  auto out = run_node(make_node("QLinearConv", kPad1Stride2), in, kQConvConstants);
  ASSERT_FALSE(out.is_ok());
  EXPECT_NE(out.status().message().find("QLinearConv 'q1'"), std::string::npos) << out.status().message();
  EXPECT_NE(out.status().message().find("w_scale"), std::string::npos) << out.status().message();
  EXPECT_NE(out.status().message().find("output channel"), std::string::npos) << out.status().message();
}

TEST(QLinearConvKernel, ActivationWithoutIntegerFormIsUnsupported) {
  std::map<std::string, Attribute> attributes = kPad1Stride2;
  attributes["activation"] = std::string("Sigmoid");
  auto out = run_node(make_node("QLinearConv", attributes), sobel_and_box_example(), kQConvConstants);
  ASSERT_FALSE(out.is_ok());
  EXPECT_EQ(out.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(out.status().message().find("QLinearConv 'q1'"), std::string::npos) << out.status().message();
  EXPECT_NE(out.status().message().find("Sigmoid"), std::string::npos) << out.status().message();
}

TEST(QLinearConvKernel, MismatchedZeroPointDtypeIsAnError) {
  std::vector<Tensor> in = sobel_and_box_example();
  in[2] = scalar_s8(0);  // x is uint8
  auto out = run_node(make_node("QLinearConv", kPad1Stride2), in, kQConvConstants);
  ASSERT_FALSE(out.is_ok());
  EXPECT_NE(out.status().message().find("QLinearConv 'q1'"), std::string::npos) << out.status().message();
}

// Random shapes (1 to 3 spatial axes, groups, strides, pads, dilations), random scales: the
// kernel against the float computation y = rint(acc * (double)x_scale * w_scale[m] / y_scale) + y_zp,
// acc summed here over an explicitly zero-point-padded input. The fixed-point multiplier is
// within 2^-31 (relative) of that ratio, so the two can only differ where acc * ratio lies that
// close to a half-integer; such elements are counted, not compared (none occur with this seed).
TEST(QLinearConvKernel, RandomShapesAgreeWithFloatComputation) {
  std::mt19937 rng(20240607);
  auto uniform = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  int compared = 0, saturated = 0, near_ties = 0;
  for (int trial = 0; trial < 100; ++trial) {
    const int spatial = uniform(1, 3);
    const int group = uniform(1, 2);
    const int c = group * uniform(1, 3);
    const int m = group * uniform(1, 2);
    const bool x_signed = uniform(0, 1) == 1;
    const bool y_signed = uniform(0, 1) == 1;
    Shape x_shape{uniform(1, 2), c};
    Shape w_shape{m, c / group};
    Ints pads, strides, dilations;
    for (int i = 0; i < spatial; ++i) {
      w_shape.push_back(uniform(1, 3));
      strides.push_back(uniform(1, 2));
      dilations.push_back(uniform(1, 2));
      const int window = static_cast<int>((w_shape.back() - 1) * dilations.back() + 1);
      x_shape.push_back(window + uniform(0, spatial == 3 ? 2 : 4));
    }
    for (int i = 0; i < 2 * spatial; ++i) pads.push_back(uniform(0, 1));
    const int x_lo = x_signed ? -128 : 0, x_hi = x_signed ? 127 : 255;
    std::vector<int> xv(static_cast<std::size_t>(*element_count(x_shape)));
    for (int& v : xv) v = uniform(x_lo, x_hi);
    std::vector<int> wv(static_cast<std::size_t>(*element_count(w_shape)));
    for (int& v : wv) v = uniform(-127, 127);
    const int x_zp = uniform(x_lo, x_hi);
    const int y_zp = y_signed ? uniform(-20, 20) : uniform(100, 150);
    std::uniform_real_distribution<float> scale(0.001f, 0.05f);
    const float x_scale = scale(rng), y_scale = scale(rng) * 12.0f;
    std::vector<float> w_scales(static_cast<std::size_t>(m));
    for (float& s : w_scales) s = scale(rng);
    std::vector<int> biases(static_cast<std::size_t>(m));
    for (int& b : biases) b = uniform(-2000, 2000);

    Node node =
        make_node("QLinearConv",
                  {{"pads", pads}, {"strides", strides}, {"dilations", dilations}, {"group", std::int64_t{group}}});
    Tensor x = x_signed ? s8(x_shape, xv) : u8(x_shape, xv);
    Tensor x_zero_point = x_signed ? scalar_s8(x_zp) : scalar_u8(x_zp);
    auto out = run_node(node,
                        qconv_inputs(x, x_scale, x_zero_point, s8(w_shape, wv), f32({m}, w_scales),
                                     s8({m}, std::vector<int>(static_cast<std::size_t>(m), 0)), y_scale,
                                     y_signed ? scalar_s8(y_zp) : scalar_u8(y_zp), i32({m}, biases)),
                        kQConvConstants);
    ASSERT_TRUE(out.is_ok()) << out.status().to_string();
    const std::vector<int> got = ints_of((*out)[0]);
    const Shape& y_shape = (*out)[0].shape();

    // Naive convolution over every output position, reading x_zp outside the input.
    const std::int64_t n_batch = x_shape[0];
    std::vector<std::int64_t> out_dims(y_shape.begin() + 2, y_shape.end());
    std::int64_t out_plane = 1;
    for (std::int64_t d : out_dims) out_plane *= d;
    std::size_t index = 0;
    for (std::int64_t n = 0; n < n_batch; ++n) {
      for (int oc = 0; oc < m; ++oc) {
        for (std::int64_t o = 0; o < out_plane; ++o, ++index) {
          std::vector<std::int64_t> pos(static_cast<std::size_t>(spatial));
          for (int i = spatial - 1, rest = static_cast<int>(o); i >= 0; --i) {
            pos[static_cast<std::size_t>(i)] = rest % out_dims[static_cast<std::size_t>(i)];
            rest /= static_cast<int>(out_dims[static_cast<std::size_t>(i)]);
          }
          std::int64_t acc = biases[static_cast<std::size_t>(oc)];
          const int cg = c / group;
          const int first = (oc / (m / group)) * cg;
          const std::int64_t taps = *element_count(Shape(w_shape.begin() + 2, w_shape.end()));
          for (int ci = 0; ci < cg; ++ci) {
            for (std::int64_t t = 0; t < taps; ++t) {
              std::int64_t x_offset = 0;
              bool inside = true;
              for (int i = spatial - 1, rest = static_cast<int>(t); i >= 0; --i) {
                const std::size_t a = static_cast<std::size_t>(i);
                const std::int64_t k = rest % w_shape[a + 2];
                rest /= static_cast<int>(w_shape[a + 2]);
                const std::int64_t at = pos[a] * strides[a] - pads[a] + k * dilations[a];
                inside = inside && at >= 0 && at < x_shape[a + 2];
                std::int64_t stride = 1;
                for (int j = i + 1; j < spatial; ++j) stride *= x_shape[static_cast<std::size_t>(j) + 2];
                x_offset += at * stride;
              }
              const std::int64_t x_base =
                  (n * c + first + ci) * *element_count(Shape(x_shape.begin() + 2, x_shape.end()));
              const int xq = inside ? xv[static_cast<std::size_t>(x_base + x_offset)] : x_zp;
              const int wq = wv[static_cast<std::size_t>((oc * cg + ci) * taps + t)];
              acc += static_cast<std::int64_t>(xq - x_zp) * wq;
            }
          }
          const double real = static_cast<double>(acc) * static_cast<double>(x_scale) *
                              static_cast<double>(w_scales[static_cast<std::size_t>(oc)]) /
                              static_cast<double>(y_scale);
          // The kernels round three times in float32 (the scale, the product and, past 2^24, the
          // accumulator): results may differ from float64 only this close to a half-integer.
          const double distance_to_tie = std::fabs(std::fabs(real - std::floor(real)) - 0.5);
          if (distance_to_tie < 3e-7 * std::max(1.0, std::fabs(real))) {
            ++near_ties;
            continue;
          }
          const int lo = y_signed ? -128 : 0, hi = y_signed ? 127 : 255;
          const int expected = static_cast<int>(std::clamp(std::nearbyint(real) + y_zp, double(lo), double(hi)));
          ASSERT_EQ(got[index], expected) << "trial " << trial << " element " << index << " acc " << acc;
          ++compared;
          if (expected == lo || expected == hi) ++saturated;
        }
      }
    }
  }
  EXPECT_GT(compared, 2000);
  EXPECT_LT(saturated, compared / 4);  // mostly values inside the range, not clamped ones
  EXPECT_LT(near_ties, compared / 1000);
}

// int16 activations (int8 weights): random 1-D and 2-D convolutions against float64 math.
// Accumulators reach several million here, far past what int8 activations produce.
TEST(QLinearConvKernel, Int16ActivationsAgreeWithFloatComputation) {
  std::mt19937 rng(16);
  auto uniform = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  int compared = 0, saturated = 0;
  std::int64_t largest_acc = 0;
  for (int trial = 0; trial < 40; ++trial) {
    const bool two_d = uniform(0, 1) == 1;
    const int c = uniform(1, 4), m = uniform(1, 3), k = uniform(1, 3), pad = uniform(0, 1);
    const int h = two_d ? uniform(k, k + 3) : 1, w = uniform(k, k + 5);
    const Shape x_shape = two_d ? Shape{1, c, h, w} : Shape{1, c, w};
    const Shape w_shape = two_d ? Shape{m, c, k, k} : Shape{m, c, k};
    std::vector<int> xv(static_cast<std::size_t>(*element_count(x_shape)));
    for (int& v : xv) v = uniform(-32768, 32767);
    std::vector<int> wv(static_cast<std::size_t>(*element_count(w_shape)));
    for (int& v : wv) v = uniform(-127, 127);
    std::uniform_real_distribution<float> scale(1e-5f, 1e-3f);
    const float x_scale = scale(rng), y_scale = scale(rng) * 40.0f;
    std::vector<float> w_scales(static_cast<std::size_t>(m));
    for (float& v : w_scales) v = scale(rng) * 10.0f;
    std::vector<int> biases(static_cast<std::size_t>(m));
    for (int& b : biases) b = uniform(-200000, 200000);
    const Ints pads(two_d ? 4 : 2, pad);
    auto out = run_node(make_node("QLinearConv", {{"pads", pads}}),
                        qconv_inputs(s16(x_shape, xv), x_scale, s16({}, {0}), s8(w_shape, wv), f32({m}, w_scales),
                                     s8({m}, std::vector<int>(static_cast<std::size_t>(m), 0)), y_scale, s16({}, {0}),
                                     i32({m}, biases)),
                        kQConvConstants);
    ASSERT_TRUE(out.is_ok()) << out.status().to_string();
    ASSERT_EQ((*out)[0].dtype(), DType::kInt16);
    const std::vector<int> got = ints_of((*out)[0]);
    const std::int64_t oh = two_d ? h + 2 * pad - k + 1 : 1, ow = w + 2 * pad - k + 1;
    std::size_t index = 0;
    for (int oc = 0; oc < m; ++oc) {
      for (std::int64_t oy = 0; oy < oh; ++oy) {
        for (std::int64_t ox = 0; ox < ow; ++ox, ++index) {
          std::int64_t acc = biases[static_cast<std::size_t>(oc)];
          for (int ci = 0; ci < c; ++ci) {
            for (int ky = 0; ky < (two_d ? k : 1); ++ky) {
              for (int kx = 0; kx < k; ++kx) {
                const std::int64_t iy = two_d ? oy - pad + ky : 0, ix = ox - pad + kx;
                if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                const int xq = xv[static_cast<std::size_t>((ci * h + iy) * w + ix)];
                const int wq = wv[static_cast<std::size_t>(((oc * c + ci) * (two_d ? k : 1) + ky) * k + kx)];
                acc += static_cast<std::int64_t>(xq) * wq;
              }
            }
          }
          largest_acc = std::max(largest_acc, std::abs(acc));
          const double real = static_cast<double>(acc) * x_scale * w_scales[static_cast<std::size_t>(oc)] / y_scale;
          // Too close to a tie for float32's three roundings (see the test above).
          if (std::fabs(std::fabs(real - std::floor(real)) - 0.5) < 3e-7 * std::max(1.0, std::fabs(real))) continue;
          const int expected = static_cast<int>(std::clamp(std::nearbyint(real), -32768.0, 32767.0));
          ASSERT_EQ(got[index], expected) << "trial " << trial << " element " << index << " acc " << acc;
          ++compared;
          if (expected == -32768 || expected == 32767) ++saturated;
        }
      }
    }
  }
  EXPECT_GT(compared, 500);
  EXPECT_GT(largest_acc, 5'000'000);  // int8 x int8 of these shapes stays below 128 * 128 * 36 = 589824
  EXPECT_LT(saturated, compared / 4);
}

TEST(QGemmKernel, Int16ActivationsAgreeWithFloatComputation) {
  std::mt19937 rng(17);
  auto uniform = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  const int m = 3, k = 40, n = 5;
  std::vector<int> a(m * k), b(n * k), bias(n);
  for (int& v : a) v = uniform(-32768, 32767);
  for (int& v : b) v = uniform(-127, 127);
  for (int& v : bias) v = uniform(-100000, 100000);
  const std::vector<float> b_scales = {0.002f, 0.004f, 0.001f, 0.003f, 0.0025f};
  const float a_scale = 0.0004f, y_scale = 0.25f;
  auto out = run_node(make_node("QGemm", {{"transB", std::int64_t{1}}}),
                      {s16({m, k}, a), scalar_f32(a_scale), s16({}, {0}), s8({n, k}, b), f32({n}, b_scales),
                       s8({n}, {0, 0, 0, 0, 0}), i32({n}, bias), scalar_f32(y_scale), s16({}, {0})});
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  ASSERT_EQ((*out)[0].dtype(), DType::kInt16);
  const std::vector<int> got = ints_of((*out)[0]);
  for (int i = 0; i < m; ++i) {
    for (int j = 0; j < n; ++j) {
      std::int64_t acc = bias[static_cast<std::size_t>(j)];
      for (int q = 0; q < k; ++q) acc += static_cast<std::int64_t>(a[i * k + q]) * b[j * k + q];
      const double real = static_cast<double>(acc) * a_scale * b_scales[static_cast<std::size_t>(j)] / y_scale;
      EXPECT_EQ(got[static_cast<std::size_t>(i * n + j)],
                static_cast<int>(std::clamp(std::nearbyint(real), -32768.0, 32767.0)))
          << i << "," << j;
    }
  }
}

TEST(Int16Activations, QuantizeDequantizePoolsAndConcat) {
  // QuantizeLinear to int16: ties to even, saturation at the int16 limits.
  auto q = run_node(make_node("QuantizeLinear"),
                    {f32({6}, {0.5f, 1.5f, 2.5f, -2.5f, 1e9f, -1e9f}), scalar_f32(1.0f), s16({}, {0})});
  ASSERT_TRUE(q.is_ok()) << q.status().to_string();
  EXPECT_EQ((*q)[0].dtype(), DType::kInt16);
  EXPECT_EQ(ints_of((*q)[0]), (std::vector<int>{0, 2, 2, -2, 32767, -32768}));
  auto dq = run_node(make_node("DequantizeLinear"), {s16({3}, {-32768, 1, 32767}), scalar_f32(0.5f), s16({}, {0})});
  ASSERT_TRUE(dq.is_ok()) << dq.status().to_string();
  EXPECT_EQ(std::vector<float>((*dq)[0].data<float>(), (*dq)[0].data<float>() + 3),
            (std::vector<float>{-16384.0f, 0.5f, 16383.5f}));
  // MaxPool moves int16 values.
  auto mp = run_node(make_node("MaxPool", {{"kernel_shape", Ints{2}}, {"strides", Ints{2}}}),
                     {s16({1, 1, 4}, {-30000, 20000, 300, -7})});
  ASSERT_TRUE(mp.is_ok()) << mp.status().to_string();
  EXPECT_EQ(ints_of((*mp)[0]), (std::vector<int>{20000, 300}));
  // Global average, one rounding: sum 4001 * x_scale / (2 * y_scale) = 4001; -40001 saturates.
  auto gap = run_node(make_node("QLinearGlobalAveragePool"),
                      {s16({1, 2, 2}, {1000, 3001, -20000, -20001}), scalar_f32(1.0f), s16({}, {0}), scalar_f32(0.5f),
                       s16({}, {0})});
  ASSERT_TRUE(gap.is_ok()) << gap.status().to_string();
  EXPECT_EQ(ints_of((*gap)[0]), (std::vector<int>{4001, -32768}));
  // Concat requantises the input whose scale differs: 30000 * 0.5 / 1.0 = 15000.
  auto cat = run_node(make_node("QLinearConcat", {{"axis", std::int64_t{1}}}),
                      {scalar_f32(1.0f), s16({}, {0}), s16({1, 2}, {-5, 32767}), scalar_f32(1.0f), s16({}, {0}),
                       s16({1, 1}, {30000}), scalar_f32(0.5f), s16({}, {0})});
  ASSERT_TRUE(cat.is_ok()) << cat.status().to_string();
  EXPECT_EQ(ints_of((*cat)[0]), (std::vector<int>{-5, 32767, 15000}));
}

TEST(Int16Activations, WeightsAndOtherOperatorsStayEightBit) {
  // An int16 weight is refused by the schema; so are int16 operands of QLinearAdd (no int16 kernel).
  auto conv = run_node(make_node("QLinearConv"),
                       qconv_inputs(s16({1, 1, 3}, {1, 2, 3}), 1.0f, s16({}, {0}), s16({1, 1, 1}, {1}), f32({1}, {1.0f}),
                                    s16({1}, {0}), 1.0f, s16({}, {0}), i32({1}, {0})));
  ASSERT_FALSE(conv.is_ok());
  EXPECT_NE(conv.status().message().find("w must be int8 or uint8"), std::string::npos) << conv.status().message();
  auto add = run_node(make_node("QLinearAdd"), {s16({2}, {1, 2}), scalar_f32(1.0f), s16({}, {0}), s16({2}, {1, 2}),
                                                scalar_f32(1.0f), s16({}, {0}), scalar_f32(1.0f), s16({}, {0})});
  ASSERT_FALSE(add.is_ok());
  EXPECT_NE(add.status().message().find("int8 or uint8"), std::string::npos) << add.status().message();
}

// ---------------------------------------------------------------------------------------
// ConvInteger

// uint8 x = 2..10 (zero point 1), w channel 0 all ones (the ONNX example: 12, 16, 24, 28),
// channel 1 = [[3, 1], [1, 1]] with per-channel zero point 1, i.e. 2 * (x - 1) at the top left.
TEST(ConvIntegerKernel, PerChannelWeightZeroPoint) {
  Tensor x = u8({1, 1, 3, 3}, {2, 3, 4, 5, 6, 7, 8, 9, 10});
  Tensor w = u8({2, 1, 2, 2}, {1, 1, 1, 1, 3, 1, 1, 1});
  auto out = run_both_ways(make_node("ConvInteger"), {x, w, scalar_u8(1), u8({2}, {0, 1})}, {false, true, true, true});
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  EXPECT_EQ(out->dtype(), DType::kInt32);
  EXPECT_EQ(ints_of(*out), (std::vector<int>{12, 16, 24, 28, 2, 4, 8, 10}));
}

// ---------------------------------------------------------------------------------------
// QLinearMatMul / MatMulInteger / QGemm

// a uint8 [2, 2, 3] (zero point 120) times b int8 [3, 2] (per-column zero points [0, 1] and
// scales [0.5, 0.25]); a_scale 0.5, y_scale 1, y_zp -3. Accumulators (numpy):
// 14, -32, -30, 32, -100, 80, 662, -544; times [0.25, 0.125]: 3.5 -> 4, -4, -7.5 -> -8, 4,
// -25, 10, 165.5 -> saturated, -68; + (-3).
TEST(QLinearMatMulKernel, PerColumnScalesAndBatchBroadcasting) {
  Tensor a = u8({2, 2, 3}, {120, 122, 125, 118, 130, 121, 100, 140, 120, 255, 0, 128});
  Tensor b = s8({3, 2}, {2, 1, -3, 5, 4, -7});
  auto out = run_both_ways(make_node("QLinearMatMul"),
                           {a, scalar_f32(0.5f), scalar_u8(120), b, f32({2}, {0.5f, 0.25f}), s8({2}, {0, 1}),
                            scalar_f32(1.0f), scalar_s8(-3)},
                           {false, true, true, true, true, true, true, true});
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  EXPECT_EQ(out->shape(), (Shape{2, 2, 2}));
  EXPECT_EQ(ints_of(*out), (std::vector<int>{1, -7, -11, 1, -28, 7, 127, -71}));
}

// (A - [1, 2] per row) x (B - [0, -1] per column) = [[0, 4, 8], [0, 0, 5]] x [[1, -1], [3, 5], [-5, 7]].
TEST(MatMulIntegerKernel, PerRowAndPerColumnZeroPoints) {
  Tensor a = u8({2, 3}, {1, 5, 9, 2, 2, 7});
  Tensor b = s8({3, 2}, {1, -2, 3, 4, -5, 6});
  auto out =
      run_both_ways(make_node("MatMulInteger"), {a, b, u8({2}, {1, 2}), s8({2}, {0, -1})}, {false, false, true, true});
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  EXPECT_EQ(out->dtype(), DType::kInt32);
  EXPECT_EQ(ints_of(*out), (std::vector<int>{-28, 76, -25, 35}));
}

// A int8 [2, 3] (zero point 1), B stored as [N, K] (transB), per-output-column scales [0.5, 0.25],
// int32 bias C = [10, -20]: accumulators 20, -8, -4, -38 -> 10, -2, -2, -9.5 -> -10.
std::vector<Tensor> qgemm_inputs() {
  return {s8({2, 3}, {3, -1, 5, 0, 2, -4}),
          scalar_f32(1.0f),
          scalar_s8(1),
          s8({2, 3}, {1, 2, 3, -2, 0, 4}),
          f32({2}, {0.5f, 0.25f}),
          s8({2}, {0, 0}),
          i32({2}, {10, -20}),
          scalar_f32(1.0f),
          scalar_s8(0)};
}

TEST(QGemmKernel, TransposedBPerColumnScalesBiasAndRelu) {
  const std::vector<bool> constants = {false, true, true, true, true, true, true, true, true};
  auto out = run_both_ways(make_node("QGemm", {{"transB", std::int64_t{1}}}), qgemm_inputs(), constants);
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  EXPECT_EQ(ints_of(*out), (std::vector<int>{10, -2, -2, -10}));

  auto relu = run_both_ways(make_node("QGemm", {{"transB", std::int64_t{1}}, {"activation", std::string("Relu")}}),
                            qgemm_inputs(), constants);
  ASSERT_TRUE(relu.is_ok()) << relu.status().to_string();
  EXPECT_EQ(ints_of(*relu), (std::vector<int>{10, 0, 0, 0}));

  // Without a bias: 10, 12 * 0.25 = 3, -14 * 0.5 = -7, -18 * 0.25 = -4.5 -> -4.
  std::vector<Tensor> no_bias = qgemm_inputs();
  no_bias[6] = Tensor{};
  auto out_no_bias = run_node(make_node("QGemm", {{"transB", std::int64_t{1}}}), no_bias);
  ASSERT_TRUE(out_no_bias.is_ok()) << out_no_bias.status().to_string();
  EXPECT_EQ(ints_of((*out_no_bias)[0]), (std::vector<int>{5, 3, -7, -4}));
}

TEST(QGemmKernel, AlphaOtherThanOneIsUnsupported) {
  auto out = run_node(make_node("QGemm", {{"transB", std::int64_t{1}}, {"alpha", 2.0f}}), qgemm_inputs());
  ASSERT_FALSE(out.is_ok());
  EXPECT_EQ(out.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(out.status().message().find("QGemm 'q1'"), std::string::npos) << out.status().message();
}

// A ratio x_scale * w_scale / y_scale above 2^30 is a broken model: refused with the node and
// the ratio named, whether the scales are constants (at prepare) or graph inputs (at run).
TEST(QuantizedProducts, RequantisationRatiosAbove2To30AreRefused) {
  std::vector<Tensor> conv = sobel_and_box_example();
  conv[1] = scalar_f32(1e6f);
  conv[6] = scalar_f32(1e-6f);
  std::vector<Tensor> gemm = qgemm_inputs();
  gemm[1] = scalar_f32(1e6f);
  gemm[7] = scalar_f32(1e-6f);
  const std::vector<bool> gemm_constants = {false, true, true, true, true, true, true, true, true};
  for (bool constant : {true, false}) {
    auto c = run_node(make_node("QLinearConv", kPad1Stride2), conv,
                      constant ? kQConvConstants : std::vector<bool>(conv.size(), false));
    ASSERT_FALSE(c.is_ok());
    EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(c.status().message().find("x_scale * w_scale[0] / y_scale"), std::string::npos) << c.status().message();
    EXPECT_NE(c.status().message().find("not a usable requantisation scale"), std::string::npos);
    auto g = run_node(make_node("QGemm", {{"transB", std::int64_t{1}}}), gemm,
                      constant ? gemm_constants : std::vector<bool>(gemm.size(), false));
    ASSERT_FALSE(g.is_ok());
    EXPECT_EQ(g.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(g.status().message().find("a_scale * b_scale[0] / y_scale"), std::string::npos) << g.status().message();
  }
}

// ---------------------------------------------------------------------------------------
// QLinearAdd / QLinearMul

// A int8 [2, 3] (scale 0.5, zp 0) + B int8 [3] (scale 0.25, zp 2), broadcast over rows;
// C scale 1, zp -1. Real sums 0.5, 2, 2, -0.5, -1, 49.5 -> 0, 2, 2, 0, -1, 50 (ties to even), - 1.
TEST(QLinearAddKernel, BroadcastingAndTiesToEven) {
  Tensor a = s8({2, 3}, {1, 3, 5, -1, -3, 100});
  Tensor b = s8({3}, {2, 4, 0});
  auto out = run_both_ways(
      make_node("QLinearAdd"),
      {a, scalar_f32(0.5f), scalar_s8(0), b, scalar_f32(0.25f), scalar_s8(2), scalar_f32(1.0f), scalar_s8(-1)},
      {false, true, true, false, true, true, true, true});
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  EXPECT_EQ(out->shape(), (Shape{2, 3}));
  EXPECT_EQ(ints_of(*out), (std::vector<int>{-1, 1, 1, -1, -2, 49}));
}

// Every uint8 A with every fifth uint8 B, scales whose ratios are not powers of two, against
// float64 + rint, plus Relu and saturation. No result is near a tie: in decimal the real value is
// (313 a' + 471 b') / 899, whose distance to a half-integer is a multiple of 1 / 1798 and never 0
// (899 is odd), far more than the float32 scales' and the fixed-point multipliers' errors.
TEST(QLinearAddKernel, AllUint8PairsAgreeWithFloatComputation) {
  std::vector<int> av, bv;
  for (int i = 0; i < 256; ++i) {
    for (int j = 0; j < 256; j += 5) {
      av.push_back(i);
      bv.push_back(j);
    }
  }
  const Shape shape{static_cast<std::int64_t>(av.size())};
  const float a_scale = 0.0313f, b_scale = 0.0471f, c_scale = 0.0899f;
  auto out = run_node(make_node("QLinearAdd", {{"activation", std::string("Relu")}}),
                      {u8(shape, av), scalar_f32(a_scale), scalar_u8(131), u8(shape, bv), scalar_f32(b_scale),
                       scalar_u8(97), scalar_f32(c_scale), scalar_u8(40)},
                      {false, true, true, false, true, true, true, true});
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  const std::vector<int> got = ints_of((*out)[0]);
  const double ra = static_cast<double>(a_scale) / c_scale, rb = static_cast<double>(b_scale) / c_scale;
  for (std::size_t i = 0; i < av.size(); ++i) {
    const double real = (av[i] - 131) * ra + (bv[i] - 97) * rb;
    const int expected = static_cast<int>(std::clamp(std::nearbyint(real) + 40, 40.0, 255.0));  // Relu: >= zp
    ASSERT_EQ(got[i], expected) << "a " << av[i] << " b " << bv[i];
  }
}

// uint8 A [2, 2] (scale 0.5, zp 10) times B [1] (scale 0.25, zp 3), C scale 0.125, zp 100:
// (a - 10) * 4 * 1 = 0, 8, 40, -24; + 100.
TEST(QLinearMulKernel, ScalarBroadcast) {
  auto out = run_both_ways(make_node("QLinearMul"),
                           {u8({2, 2}, {10, 12, 20, 4}), scalar_f32(0.5f), scalar_u8(10), u8({1}, {7}),
                            scalar_f32(0.25f), scalar_u8(3), scalar_f32(0.125f), scalar_u8(100)},
                           {false, true, true, false, true, true, true, true});
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  EXPECT_EQ(ints_of(*out), (std::vector<int>{100, 108, 140, 76}));
}

// int8 with ratio A_scale * B_scale / C_scale = 0.5: products 1, 3, -5, 127 * 127 ->
// 0.5 -> 0, 1.5 -> 2, -2.5 -> -2, saturated 127; with absent zero points (0).
TEST(QLinearMulKernel, TiesAndSaturationWithAbsentZeroPoints) {
  auto out = run_node(make_node("QLinearMul"), {s8({4}, {1, 3, -5, 127}), scalar_f32(1.0f), Tensor{},
                                                s8({4}, {1, 1, 1, 127}), scalar_f32(0.5f), Tensor{}, scalar_f32(1.0f)});
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  EXPECT_EQ(ints_of((*out)[0]), (std::vector<int>{0, 2, -2, 127}));
}

// ---------------------------------------------------------------------------------------
// QLinearConcat

// Y scale 0.5, zp 0. X0 has Y's parameters (copied bit for bit, including -128); X1 has scale
// 0.25 and zp 4: (x - 4) * 0.5 = 0.5 -> 0, 1.5 -> 2, 0.
TEST(QLinearConcatKernel, RequantisesInputsWithOtherParametersAndCopiesTheRest) {
  auto out = run_both_ways(make_node("QLinearConcat", {{"axis", std::int64_t{1}}}),
                           {scalar_f32(0.5f), scalar_s8(0), s8({1, 2}, {-128, 7}), scalar_f32(0.5f), scalar_s8(0),
                            s8({1, 3}, {5, 7, 4}), scalar_f32(0.25f), scalar_s8(4)},
                           {true, true, false, true, true, false, true, true});
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  EXPECT_EQ(out->shape(), (Shape{1, 5}));
  EXPECT_EQ(ints_of(*out), (std::vector<int>{-128, 7, 0, 2, 0}));
}

// ---------------------------------------------------------------------------------------
// QLinearAveragePool / QLinearGlobalAveragePool

// int8 3x3 (x_zp 1, x_scale 0.5), kernel 3, pads 1, y_scale 0.25, y_zp -2:
// y = rint(2 * sum / count) - 2. count_include_pad 0: counts 4 at corners, 6 on edges, 9 in
// the centre: real values -1.5, 2.33, 2, -2, 3.11, 6.67, -1, 3.33, 9.5 (numpy).
// count_include_pad 1: count 9 everywhere.
TEST(QLinearAveragePoolKernel, CountIncludePadAtBorders) {
  Tensor x = s8({1, 1, 3, 3}, {4, -6, 9, 1, 2, 3, -8, 7, 11});
  std::map<std::string, Attribute> attributes = {{"kernel_shape", Ints{3, 3}}, {"pads", Ints{1, 1, 1, 1}}};
  const std::vector<Tensor> in = {x, scalar_f32(0.5f), scalar_s8(1), scalar_f32(0.25f), scalar_s8(-2)};
  const std::vector<bool> constants = {false, true, true, true, true};
  auto excluded = run_both_ways(make_node("QLinearAveragePool", attributes), in, constants);
  ASSERT_TRUE(excluded.is_ok()) << excluded.status().to_string();
  EXPECT_EQ(ints_of(*excluded), (std::vector<int>{-4, 0, 0, -4, 1, 5, -3, 1, 8}));

  attributes["count_include_pad"] = std::int64_t{1};
  auto included = run_both_ways(make_node("QLinearAveragePool", attributes), in, constants);
  ASSERT_TRUE(included.is_ok()) << included.status().to_string();
  EXPECT_EQ(ints_of(*included), (std::vector<int>{-3, 0, -1, -3, 1, 2, -2, 0, 2}));
}

TEST(QLinearAveragePoolKernel, ChannelsLastIsUnsupported) {
  auto out =
      run_node(make_node("QLinearAveragePool", {{"kernel_shape", Ints{2, 2}}, {"channels_last", std::int64_t{1}}}),
               {u8({1, 1, 2, 2}, {1, 2, 3, 4}), scalar_f32(1.0f), scalar_u8(0), scalar_f32(1.0f), scalar_u8(0)});
  ASSERT_FALSE(out.is_ok());
  EXPECT_EQ(out.status().code(), StatusCode::kUnsupported);
}

// Means 2.5 -> 2 (tie to even) and 3.
TEST(QLinearGlobalAveragePoolKernel, MeanPerChannelTiesToEven) {
  auto out = run_both_ways(
      make_node("QLinearGlobalAveragePool"),
      {u8({1, 2, 2, 2}, {1, 2, 3, 4, 1, 2, 3, 6}), scalar_f32(1.0f), scalar_u8(0), scalar_f32(1.0f), scalar_u8(0)},
      {false, true, true, true, true});
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  EXPECT_EQ(out->shape(), (Shape{1, 2, 1, 1}));
  EXPECT_EQ(ints_of(*out), (std::vector<int>{2, 3}));
}

// ---------------------------------------------------------------------------------------
// QLinearLookup

TEST(QLinearLookupKernel, Int8IndexesAtXPlus128AndUint8AtX) {
  std::vector<int> reversed(256);
  for (int i = 0; i < 256; ++i) reversed[static_cast<std::size_t>(i)] = 127 - i;  // int8 table: 127 .. -128
  auto signed_out = run_node(make_node("QLinearLookup", {{"function", std::string("Neg")}}),
                             {s8({4}, {-128, -1, 0, 127}), s8({256}, reversed)}, {false, true});
  ASSERT_TRUE(signed_out.is_ok()) << signed_out.status().to_string();
  // table[x + 128] = 127 - (x + 128) = -1 - x
  EXPECT_EQ(ints_of((*signed_out)[0]), (std::vector<int>{127, 0, -1, -128}));

  std::vector<int> squares(256);
  for (int i = 0; i < 256; ++i) squares[static_cast<std::size_t>(i)] = (i * i) % 256;
  auto unsigned_out = run_node(make_node("QLinearLookup"), {u8({3}, {0, 3, 255}), u8({256}, squares)});
  ASSERT_TRUE(unsigned_out.is_ok()) << unsigned_out.status().to_string();
  EXPECT_EQ(ints_of((*unsigned_out)[0]), (std::vector<int>{0, 9, 1}));

  // int8 in, uint8 out: the table's dtype is the output's.
  auto mixed = run_node(make_node("QLinearLookup"), {s8({2}, {-128, 127}), u8({256}, squares)});
  ASSERT_TRUE(mixed.is_ok()) << mixed.status().to_string();
  EXPECT_EQ(ints_of((*mixed)[0]), (std::vector<int>{0, 1}));

  auto short_table = run_node(make_node("QLinearLookup"), {s8({2}, {0, 1}), s8({255}, std::vector<int>(255, 0))});
  ASSERT_FALSE(short_table.is_ok());
  EXPECT_NE(short_table.status().message().find("QLinearLookup 'q1'"), std::string::npos);
}

// ---------------------------------------------------------------------------------------
// docs/formats/quantization.md, "Worked examples": the numbers printed there.

TEST(QuantizationDocs, WorkedExamples) {
  // 1. quantize(1.25, scale 0.5, zero point -3) = round(2.5) - 3 = 2 - 3 = -1.
  EXPECT_EQ(quant::quantize_value(1.25f, 0.5f, -3, -128, 127), -1);

  // 2. x_scale 0.02, w_scale 0.005, y_scale 0.1: the ratio from the float32 scales is
  //    0.000999999940395, float32 S = 0.00099999993108; acc 12345 -> float32(12345 * S) =
  //    12.3449993 -> 12, + y_zp 5 = 17. S = float32(0.001): 4500 -> 4.5 exactly -> 4 (even),
  //    6500 -> 6.50000048 -> 7.
  const double real = static_cast<double>(0.02f) * static_cast<double>(0.005f) / static_cast<double>(0.1f);
  float scale = 0.0f;
  ASSERT_TRUE(quant::make_requantization_scale(real, &scale));
  EXPECT_EQ(scale, static_cast<float>(0.000999999940395));
  EXPECT_NEAR(static_cast<double>(scale), 0.00099999993108, 1e-14);
  EXPECT_NEAR(static_cast<double>(12345.0f * scale), 12.3449993, 1e-7);
  EXPECT_EQ(quant::requantize_accumulator(12345, scale, 5, -128, 127), 17);
  EXPECT_EQ(quant::requantize_accumulator(4500, 0.001f, 0, -128, 127), 4);
  EXPECT_EQ(quant::requantize_accumulator(6500, 0.001f, 0, -128, 127), 7);

  // 3. QLinearAdd with A_scale 0.5, B_scale 0.2, C_scale 0.4 (float32): rA = 1.24999998 (the
  //    larger: multiplier 1342177260, shift 30), rB = 0.5 at the same shift: 536870912.
  //    a - A_zp = 3, b - B_zp = 5: (3 * 1342177260 + 5 * 536870912) / 2^30 = 6.24999994 -> 6.
  auto add = run_node(make_node("QLinearAdd"), {s8({1}, {3}), scalar_f32(0.5f), scalar_s8(0), s8({1}, {5}),
                                                scalar_f32(0.2f), scalar_s8(0), scalar_f32(0.4f), scalar_s8(0)});
  ASSERT_TRUE(add.is_ok()) << add.status().to_string();
  EXPECT_EQ(ints_of((*add)[0]), (std::vector<int>{6}));
  quant::FixedPointMultiplier ra;
  ASSERT_TRUE(quant::make_fixed_point_multiplier(static_cast<double>(0.5f) / static_cast<double>(0.4f), &ra));
  EXPECT_EQ(ra.multiplier, 1342177260);
  EXPECT_EQ(ra.shift, 30);
  EXPECT_EQ(std::nearbyint(std::ldexp(static_cast<double>(0.2f) / static_cast<double>(0.4f), ra.shift)), 536870912.0);

  // 4. Average of a 6-element border window: sum of (x - x_zp) = 7, x_scale 0.5, y_scale 0.25:
  //    7 * 0.5 / (0.25 * 6) = 2.333 -> 2, + y_zp -2 = 0 (the first row, second column above).
  quant::FixedPointMultiplier third;
  ASSERT_TRUE(quant::make_fixed_point_multiplier(0.5 / (0.25 * 6), &third));
  EXPECT_EQ(quant::requantize(7, third, -2, -128, 127), 0);
}

// ---------------------------------------------------------------------------------------
// run() allocates nothing, also when scales and zero points are fed at run time (the kernels
// then compute their multipliers in run(), into buffers sized at prepare()).

// Heap allocations made by the second run() of `node`'s kernel with every input fed at run time.
Result<long> allocations_of_second_run(const Node& node, const std::vector<Tensor>& inputs) {
  EDGEAI_ASSIGN_OR_RETURN(std::vector<Tensor> reference, run_node(node, inputs));
  KernelSignature sig;
  std::vector<TensorView> in_views;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const bool absent = inputs[i].is_null();
    sig.inputs.push_back(absent ? ValueInfo{} : ValueInfo{str_cat("in", i), inputs[i].dtype(), inputs[i].shape()});
    sig.input_values.push_back(nullptr);
    in_views.push_back(absent ? TensorView{} : inputs[i].view());
  }
  std::vector<Tensor> outputs;
  std::vector<TensorView> out_views;
  for (const Tensor& t : reference) {
    sig.outputs.push_back(ValueInfo{"out", t.dtype(), t.shape()});
    EDGEAI_ASSIGN_OR_RETURN(Tensor out, Tensor::allocate(t.dtype(), t.shape()));
    outputs.push_back(out);
    out_views.push_back(out.view());
  }
  EDGEAI_ASSIGN_OR_RETURN(std::unique_ptr<Kernel> kernel, KernelRegistry::builtin().create(node.op_type));
  EDGEAI_RETURN_IF_ERROR(kernel->prepare(node, sig));
  AlignedBuffer scratch(kernel->scratch_bytes());
  EDGEAI_RETURN_IF_ERROR(kernel->run(in_views, out_views, scratch.data()));
  const long before = testing::heap_allocations();
  EDGEAI_RETURN_IF_ERROR(kernel->run(in_views, out_views, scratch.data()));
  const long allocations = testing::heap_allocations() - before;
  EXPECT_EQ(ints_of(outputs[0]), ints_of(reference[0])) << node.op_type;
  return allocations;
}

TEST(QuantizedKernels, RunAllocatesNothingWithRunTimeParameters) {
  // The counter sees allocations (else the assertions below could never fail).
  const long probe = testing::heap_allocations();
  auto* allocated = new std::vector<int>(3);
  EXPECT_GT(testing::heap_allocations(), probe);
  delete allocated;

  std::map<std::string, Attribute> relu_conv = kPad1Stride2;
  relu_conv["activation"] = std::string("Relu");
  const std::vector<std::pair<Node, std::vector<Tensor>>> cases = {
      {make_node("QLinearConv", relu_conv), sobel_and_box_example()},
      {make_node("ConvInteger"),
       {u8({1, 1, 3, 3}, {2, 3, 4, 5, 6, 7, 8, 9, 10}), u8({1, 1, 2, 2}, {1, 1, 1, 1}), scalar_u8(1)}},
      {make_node("QGemm", {{"transB", std::int64_t{1}}}), qgemm_inputs()},
      {make_node("QLinearMatMul"),
       {u8({2, 3}, {1, 2, 3, 4, 5, 6}), scalar_f32(0.5f), scalar_u8(2), s8({3, 2}, {1, 2, 3, 4, 5, 6}),
        f32({2}, {0.5f, 0.25f}), s8({2}, {0, 1}), scalar_f32(1.0f), scalar_s8(0)}},
      {make_node("QLinearAdd"),
       {s8({2, 3}, {1, 3, 5, -1, -3, 100}), scalar_f32(0.5f), scalar_s8(0), s8({3}, {2, 4, 0}), scalar_f32(0.25f),
        scalar_s8(2), scalar_f32(1.0f), scalar_s8(-1)}},
      {make_node("QLinearMul"),
       {u8({2, 2}, {10, 12, 20, 4}), scalar_f32(0.5f), scalar_u8(10), u8({1}, {7}), scalar_f32(0.25f), scalar_u8(3),
        scalar_f32(0.125f), scalar_u8(100)}},
      {make_node("QLinearConcat", {{"axis", std::int64_t{1}}}),
       {scalar_f32(0.5f), scalar_s8(0), s8({1, 2}, {-128, 7}), scalar_f32(0.5f), scalar_s8(0), s8({1, 3}, {5, 7, 4}),
        scalar_f32(0.25f), scalar_s8(4)}},
      {make_node("QLinearAveragePool", {{"kernel_shape", Ints{3, 3}}, {"pads", Ints{1, 1, 1, 1}}}),
       {s8({1, 1, 3, 3}, {4, -6, 9, 1, 2, 3, -8, 7, 11}), scalar_f32(0.5f), scalar_s8(1), scalar_f32(0.25f),
        scalar_s8(-2)}},
      {make_node("QLinearGlobalAveragePool"),
       {u8({1, 2, 2, 2}, {1, 2, 3, 4, 1, 2, 3, 6}), scalar_f32(1.0f), scalar_u8(0), scalar_f32(1.0f), scalar_u8(0)}},
      {make_node("QuantizeLinear", {{"axis", std::int64_t{1}}}),
       {f32({1, 2, 2}, {1.25f, -1.0f, 5.0f, -7.0f}), f32({2}, {0.5f, 2.0f}), s8({2}, {1, -1})}},
      {make_node("QLinearLookup"), {u8({3}, {0, 3, 255}), u8({256}, std::vector<int>(256, 7))}},
  };
  for (const auto& [node, inputs] : cases) {
    Result<long> allocations = allocations_of_second_run(node, inputs);
    ASSERT_TRUE(allocations.is_ok()) << node.op_type << ": " << allocations.status().to_string();
    EXPECT_EQ(*allocations, 0) << node.op_type;
  }
}

// ---------------------------------------------------------------------------------------
// Data movement on int8/uint8: the kernels move bytes, so quantised tensors pass unchanged.

TEST(QuantizedDataMovement, MaxPoolOnInt8AndUint8) {
  auto s =
      run_node(make_node("MaxPool", {{"kernel_shape", Ints{2, 2}}}), {s8({1, 1, 2, 3}, {-128, -5, 7, -1, -128, 3})});
  ASSERT_TRUE(s.is_ok()) << s.status().to_string();
  EXPECT_EQ((*s)[0].dtype(), DType::kInt8);
  EXPECT_EQ(ints_of((*s)[0]), (std::vector<int>{-1, 7}));
  auto u =
      run_node(make_node("MaxPool", {{"kernel_shape", Ints{2}}, {"pads", Ints{1, 1}}}), {u8({1, 1, 3}, {200, 0, 255})});
  ASSERT_TRUE(u.is_ok()) << u.status().to_string();
  EXPECT_EQ(ints_of((*u)[0]), (std::vector<int>{200, 200, 255, 255}));
}

TEST(QuantizedDataMovement, ViewsTransposeSliceSplitGatherConcatIdentity) {
  Tensor x = s8({2, 3}, {-128, -1, 0, 1, 2, 127});
  auto reshape = run_node(make_node("Reshape"), {x, Tensor::from_values<std::int64_t>({2}, {3, 2})});
  ASSERT_TRUE(reshape.is_ok()) << reshape.status().to_string();
  EXPECT_EQ((*reshape)[0].shape(), (Shape{3, 2}));
  EXPECT_EQ(ints_of((*reshape)[0]), ints_of(x));

  auto flatten = run_node(make_node("Flatten", {{"axis", std::int64_t{0}}}), {x});
  ASSERT_TRUE(flatten.is_ok()) << flatten.status().to_string();
  EXPECT_EQ((*flatten)[0].shape(), (Shape{1, 6}));

  auto unsqueeze = run_node(make_node("Unsqueeze"), {x, Tensor::from_values<std::int64_t>({1}, {0})});
  ASSERT_TRUE(unsqueeze.is_ok()) << unsqueeze.status().to_string();
  auto squeeze = run_node(make_node("Squeeze"), {(*unsqueeze)[0], Tensor::from_values<std::int64_t>({1}, {0})});
  ASSERT_TRUE(squeeze.is_ok()) << squeeze.status().to_string();
  EXPECT_EQ((*squeeze)[0].shape(), (Shape{2, 3}));
  EXPECT_EQ(ints_of((*squeeze)[0]), ints_of(x));

  auto identity = run_node(make_node("Identity"), {x});
  ASSERT_TRUE(identity.is_ok()) << identity.status().to_string();
  EXPECT_EQ(ints_of((*identity)[0]), ints_of(x));

  auto transpose = run_node(make_node("Transpose"), {x});
  ASSERT_TRUE(transpose.is_ok()) << transpose.status().to_string();
  EXPECT_EQ(ints_of((*transpose)[0]), (std::vector<int>{-128, 1, -1, 2, 0, 127}));

  auto slice = run_node(make_node("Slice"),
                        {x, Tensor::from_values<std::int64_t>({1}, {2}), Tensor::from_values<std::int64_t>({1}, {0}),
                         Tensor::from_values<std::int64_t>({1}, {1}), Tensor::from_values<std::int64_t>({1}, {-1})});
  ASSERT_TRUE(slice.is_ok()) << slice.status().to_string();
  EXPECT_EQ(ints_of((*slice)[0]), (std::vector<int>{0, -1, 127, 2}));

  Node split = make_node("Split", {{"axis", std::int64_t{1}}});
  split.outputs = {"a", "b"};
  auto parts = run_node(split, {x, Tensor::from_values<std::int64_t>({2}, {1, 2})});
  ASSERT_TRUE(parts.is_ok()) << parts.status().to_string();
  EXPECT_EQ(ints_of((*parts)[0]), (std::vector<int>{-128, 1}));
  EXPECT_EQ(ints_of((*parts)[1]), (std::vector<int>{-1, 0, 2, 127}));

  auto gather = run_node(make_node("Gather", {{"axis", std::int64_t{1}}}),
                         {u8({2, 3}, {0, 128, 255, 1, 2, 3}), Tensor::from_values<std::int64_t>({2}, {2, -3})});
  ASSERT_TRUE(gather.is_ok()) << gather.status().to_string();
  EXPECT_EQ(ints_of((*gather)[0]), (std::vector<int>{255, 0, 3, 1}));

  auto concat = run_node(make_node("Concat", {{"axis", std::int64_t{0}}}), {x, s8({1, 3}, {9, 8, 7})});
  ASSERT_TRUE(concat.is_ok()) << concat.status().to_string();
  EXPECT_EQ(ints_of((*concat)[0]), (std::vector<int>{-128, -1, 0, 1, 2, 127, 9, 8, 7}));
}

// Constant-mode Pad with an int8 pad value (the activation's zero point, as a quantised model
// pads): -128 has the byte 0x80, so a wrong width or a float constant would show.
TEST(QuantizedDataMovement, ConstantPadWithInt8Value) {
  auto out = run_node(make_node("Pad"),
                      {s8({1, 2}, {5, -6}), Tensor::from_values<std::int64_t>({4}, {0, 1, 1, 2}), scalar_s8(-128)});
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  EXPECT_EQ((*out)[0].shape(), (Shape{2, 5}));
  EXPECT_EQ(ints_of((*out)[0]), (std::vector<int>{-128, 5, -6, -128, -128, -128, -128, -128, -128, -128}));
  auto uint8_out =
      run_node(make_node("Pad"), {u8({2}, {1, 2}), Tensor::from_values<std::int64_t>({2}, {1, 0}), scalar_u8(128)});
  ASSERT_TRUE(uint8_out.is_ok()) << uint8_out.status().to_string();
  EXPECT_EQ(ints_of((*uint8_out)[0]), (std::vector<int>{128, 1, 2}));
}

}  // namespace
}  // namespace edgeai
