// Tests of the reference BatchNormalization kernel (inference and training mode) and its schema.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "run_node.hpp"

namespace edgeai {
namespace {

using edgeai::testing::run_node;

Node batch_norm_node(std::map<std::string, Attribute> attributes = {}) {
  Node node;
  node.op_type = "BatchNormalization";
  node.name = "bn1";
  node.attributes = std::move(attributes);
  return node;
}

std::vector<Tensor> example_inputs() {
  return {Tensor::from_values<float>({1, 2, 1, 3}, {1, 3, 5, -1, 0, 1}),
          Tensor::from_values<float>({2}, {1, 2}),       // scale
          Tensor::from_values<float>({2}, {0, 1}),       // B
          Tensor::from_values<float>({2}, {1, -1}),      // input_mean
          Tensor::from_values<float>({2}, {4, 0.25f})};  // input_var
}

// Expected: numpy (x - mean) / sqrt(var + eps) * scale + B in float32, per channel.
TEST(BatchNormKernel, MatchesNumpyDefaultEpsilon) {
  auto out = run_node(batch_norm_node(), example_inputs(), {false, true, true, true, true});
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  EXPECT_EQ((*out)[0].shape(), (Shape{1, 2, 1, 3}));
  const std::vector<float> expected = {0.0f, 0.9999988079071045f, 1.999997615814209f,
                                       1.0f, 4.999919891357422f,  8.999839782714844f};
  for (std::size_t i = 0; i < expected.size(); ++i) EXPECT_NEAR((*out)[0].data<float>()[i], expected[i], 1e-6f) << i;
}

TEST(BatchNormKernel, MatchesNumpyGivenEpsilon) {
  auto out = run_node(batch_norm_node({{"epsilon", 0.5f}, {"momentum", 0.9f}}), example_inputs());
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  const std::vector<float> expected = {0.0f, 0.9428091049194336f, 1.8856182098388672f,
                                       1.0f, 3.309401035308838f,  5.618802070617676f};
  for (std::size_t i = 0; i < expected.size(); ++i) EXPECT_NEAR((*out)[0].data<float>()[i], expected[i], 1e-6f) << i;
}

// (N, C) input with no spatial axes, two images: channel 0 gives x - 1 over 2, channel 1 gives (x + 1) * 4 + 1.
TEST(BatchNormKernel, TwoDimensionalInput) {
  std::vector<Tensor> inputs = example_inputs();
  inputs[0] = Tensor::from_values<float>({2, 2}, {3, 0, 5, 1});
  inputs[4] = Tensor::from_values<float>({2}, {4, 0.25f});
  auto out = run_node(batch_norm_node({{"epsilon", 0.0f}}), inputs);
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  const float* y = (*out)[0].data<float>();
  EXPECT_FLOAT_EQ(y[0], 1.0f);
  EXPECT_FLOAT_EQ(y[1], 5.0f);
  EXPECT_FLOAT_EQ(y[2], 2.0f);
  EXPECT_FLOAT_EQ(y[3], 9.0f);
}

TEST(BatchNormKernelErrors, WrongParameterLengthNamesNode) {
  std::vector<Tensor> inputs = example_inputs();
  inputs[3] = Tensor::from_values<float>({3}, {0, 0, 0});
  auto out = run_node(batch_norm_node(), inputs);
  ASSERT_FALSE(out.is_ok());
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(out.status().message().find("BatchNormalization 'bn1': input_mean [3] must be [2]"), std::string::npos)
      << out.status().message();
}

// Training mode normalises with the batch statistics over N and the spatial axes and
// updates the running ones with momentum. Expected values: numpy
// x.mean(axis=(0,2,3)), x.var(axis=(0,2,3)) and the ONNX formulas, in float32.
TEST(BatchNormKernel, TrainingModeUsesBatchStatistics) {
  std::vector<Tensor> inputs = example_inputs();
  inputs[0] = Tensor::from_values<float>({2, 2, 1, 3}, {1, 3, 5, -1, 0, 1, 2, 2, 2, 0, 0, 3});
  Node node = batch_norm_node({{"training_mode", std::int64_t{1}}});
  node.outputs = {"y", "running_mean", "running_var"};
  auto out = run_node(node, inputs);
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  const std::vector<float> expected = {-1.1920753717422485f, 0.3973584473133087f,  1.9867922067642212f,
                                       -1.384150743484497f,  0.20528310537338257f, 1.7947168350219727f,
                                       -0.3973584473133087f, -0.3973584473133087f, -0.3973584473133087f,
                                       0.20528310537338257f, 0.20528310537338257f, 4.973584175109863f};
  for (std::size_t i = 0; i < expected.size(); ++i) EXPECT_NEAR((*out)[0].data<float>()[i], expected[i], 1e-5f) << i;
  ASSERT_EQ((*out)[1].shape(), Shape{2});
  EXPECT_NEAR((*out)[1].data<float>()[0], 1.15f, 1e-6f);
  EXPECT_NEAR((*out)[1].data<float>()[1], -0.85f, 1e-6f);
  EXPECT_NEAR((*out)[2].data<float>()[0], 3.758333206176758f, 1e-6f);
  EXPECT_NEAR((*out)[2].data<float>()[1], 0.38333332538604736f, 1e-6f);
}

TEST(BatchNormKernelErrors, RunningOutputsNeedTrainingMode) {
  Node node = batch_norm_node();
  node.outputs = {"y", "running_mean", "running_var"};
  auto out = run_node(node, example_inputs());
  ASSERT_FALSE(out.is_ok());
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(out.status().message().find("BatchNormalization 'bn1': running_mean and running_var outputs need "
                                        "training_mode = 1"),
            std::string::npos)
      << out.status().message();
}

TEST(BatchNormKernelErrors, WrongAttributeTypeAndDtype) {
  auto bad_attr = run_node(batch_norm_node({{"epsilon", std::int64_t{1}}}), example_inputs());
  ASSERT_FALSE(bad_attr.is_ok());
  EXPECT_NE(bad_attr.status().message().find("attribute 'epsilon' must be of type float, got int"), std::string::npos)
      << bad_attr.status().message();

  std::vector<Tensor> inputs = example_inputs();
  inputs[1] = Tensor::from_values<std::int32_t>({2}, {1, 2});
  auto bad_dtype = run_node(batch_norm_node(), inputs);
  ASSERT_FALSE(bad_dtype.is_ok());
  EXPECT_NE(bad_dtype.status().message().find("BatchNormalization 'bn1': scale is int32 but X is float32"),
            std::string::npos)
      << bad_dtype.status().message();
}

}  // namespace
}  // namespace edgeai
