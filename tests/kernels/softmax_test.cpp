// Tests of the Softmax/LogSoftmax reference kernels and schemas (src/kernels/reference/
// softmax.cpp, src/graph/ops/softmax_ops.cpp). Expected values: numpy in float64, as noted,
// or a naive float64 implementation written here.
#include <gtest/gtest.h>

#include <cmath>

#include "run_node.hpp"

namespace edgeai {
namespace {

using edgeai::testing::run_node;

Node softmax_node(std::string op_type, std::optional<std::int64_t> axis = std::nullopt) {
  Node node;
  node.name = "sm";
  node.op_type = std::move(op_type);
  if (axis) node.attributes["axis"] = *axis;
  return node;
}

void expect_floats_near(const Tensor& t, const std::vector<float>& expected, float tolerance = 1e-6f) {
  ASSERT_EQ(t.num_elements(), static_cast<std::int64_t>(expected.size()));
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_NEAR(t.data<const float>()[i], expected[i], tolerance) << "element " << i;
  }
}

Tensor run_one(const Node& node, const Tensor& input) {
  Result<std::vector<Tensor>> out = run_node(node, {input});
  EXPECT_TRUE(out.is_ok()) << out.status().to_string();
  return out.is_ok() ? (*out)[0] : Tensor();
}

TEST(SoftmaxKernel, OnnxExampleDefaultAxis) {
  // numpy: e = np.exp([-1, 0, 1]); e / e.sum() = [0.09003057, 0.24472847, 0.66524096].
  Tensor out = run_one(softmax_node("Softmax"), Tensor::from_values<float>({1, 3}, {-1, 0, 1}));
  EXPECT_EQ(out.shape(), (Shape{1, 3}));
  expect_floats_near(out, {0.09003057f, 0.24472847f, 0.66524096f});
}

TEST(SoftmaxKernel, LargeNumbersDoNotOverflow) {
  // Same differences as above, so the same result (test_softmax_large_number).
  Tensor out = run_one(softmax_node("Softmax"), Tensor::from_values<float>({3}, {1000, 1001, 1002}));
  expect_floats_near(out, {0.09003057f, 0.24472847f, 0.66524096f});
}

TEST(SoftmaxKernel, AxisZeroAndNegativeAxis) {
  // numpy: a = [[1,2,3],[4,5,6]]; np.exp(a) / np.exp(a).sum(0): every column [0.04742587, 0.95257413].
  const Tensor input = Tensor::from_values<float>({2, 3}, {1, 2, 3, 4, 5, 6});
  const std::vector<float> expected = {0.04742587f, 0.04742587f, 0.04742587f, 0.95257413f, 0.95257413f, 0.95257413f};
  expect_floats_near(run_one(softmax_node("Softmax", 0), input), expected);
  expect_floats_near(run_one(softmax_node("Softmax", -2), input), expected);
}

TEST(SoftmaxKernel, MiddleAxisOfOddShapeMatchesNaive) {
  const Shape shape = {3, 5, 7};
  std::vector<float> values(105);
  for (std::size_t i = 0; i < values.size(); ++i) values[i] = std::sin(static_cast<float>(i)) * 4.0f;
  Tensor out = run_one(softmax_node("Softmax", 1), Tensor::from_vector<float>(shape, values));
  ASSERT_EQ(out.shape(), shape);
  for (int a = 0; a < 3; ++a) {
    for (int c = 0; c < 7; ++c) {
      double sum = 0;
      for (int b = 0; b < 5; ++b) sum += std::exp(static_cast<double>(values[(a * 5 + b) * 7 + c]));
      for (int b = 0; b < 5; ++b) {
        const int i = (a * 5 + b) * 7 + c;
        EXPECT_NEAR(out.data<float>()[i], std::exp(static_cast<double>(values[i])) / sum, 1e-6) << i;
      }
    }
  }
}

TEST(SoftmaxKernel, LogSoftmax) {
  // numpy: x - np.log(np.exp(x).sum()) for x = [-1, 0, 1] = [-2.40760596, -1.40760596, -0.40760596].
  Tensor out = run_one(softmax_node("LogSoftmax"), Tensor::from_values<float>({1, 3}, {-1, 0, 1}));
  expect_floats_near(out, {-2.40760596f, -1.40760596f, -0.40760596f});
}

TEST(SoftmaxKernel, AxisOutOfRangeNamesTheNode) {
  Result<std::vector<Tensor>> out =
      run_node(softmax_node("Softmax", 2), {Tensor::from_values<float>({1, 3}, {1, 2, 3})});
  ASSERT_FALSE(out.is_ok());
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(out.status().message().find("Softmax 'sm'"), std::string::npos) << out.status().message();
  EXPECT_NE(out.status().message().find("axis 2"), std::string::npos) << out.status().message();
}

TEST(SoftmaxKernel, IntegerInputIsRejected) {
  Result<std::vector<Tensor>> out = run_node(softmax_node("Softmax"), {Tensor::from_values<std::int32_t>({2}, {1, 2})});
  ASSERT_FALSE(out.is_ok());
  EXPECT_NE(out.status().message().find("Softmax 'sm'"), std::string::npos);
}

}  // namespace
}  // namespace edgeai
