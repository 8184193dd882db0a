// Tests of the reduce reference kernels and schemas (src/kernels/reference/reduce.cpp,
// src/graph/ops/reduce_ops.cpp). Expected values come from the ONNX ReduceMean page's
// example, hand sums, or a naive implementation written here.
#include <gtest/gtest.h>

#include "run_node.hpp"

namespace edgeai {
namespace {

using edgeai::testing::run_node;

Node reduce_node(std::string op_type, std::optional<std::vector<std::int64_t>> axes, std::int64_t keepdims = 1) {
  Node node;
  node.name = "r";
  node.op_type = std::move(op_type);
  if (axes) node.attributes["axes"] = *axes;
  node.attributes["keepdims"] = keepdims;
  return node;
}

// The ONNX ReduceMean example: shape [3, 2, 2].
Tensor onnx_example() { return Tensor::from_values<float>({3, 2, 2}, {5, 1, 20, 2, 30, 1, 40, 2, 55, 1, 60, 2}); }

std::vector<float> floats_of(const Tensor& t) {
  return std::vector<float>(t.data<const float>(), t.data<const float>() + t.num_elements());
}

Tensor run_one(const Node& node, const std::vector<Tensor>& inputs, std::vector<bool> as_constants = {}) {
  Result<std::vector<Tensor>> out = run_node(node, inputs, std::move(as_constants));
  EXPECT_TRUE(out.is_ok()) << out.status().to_string();
  return out.is_ok() ? (*out)[0] : Tensor();
}

TEST(ReduceKernel, MeanKeepdims) {
  // ONNX page: axes [1], keepdims 1 -> [[[12.5, 1.5]], [[35, 1.5]], [[57.5, 1.5]]].
  Tensor out = run_one(reduce_node("ReduceMean", std::vector<std::int64_t>{1}), {onnx_example()});
  EXPECT_EQ(out.shape(), (Shape{3, 1, 2}));
  EXPECT_EQ(floats_of(out), (std::vector<float>{12.5f, 1.5f, 35, 1.5f, 57.5f, 1.5f}));
}

TEST(ReduceKernel, MeanWithoutKeepdimsAndNegativeAxis) {
  Tensor out = run_one(reduce_node("ReduceMean", std::vector<std::int64_t>{-2}, 0), {onnx_example()});
  EXPECT_EQ(out.shape(), (Shape{3, 2}));
  EXPECT_EQ(floats_of(out), (std::vector<float>{12.5f, 1.5f, 35, 1.5f, 57.5f, 1.5f}));
}

TEST(ReduceKernel, MeanDefaultAxesReducesEverything) {
  // ONNX page: the mean of all twelve values is 18.25.
  Tensor out = run_one(reduce_node("ReduceMean", std::nullopt), {onnx_example()});
  EXPECT_EQ(out.shape(), (Shape{1, 1, 1}));
  EXPECT_EQ(floats_of(out), (std::vector<float>{18.25f}));
}

TEST(ReduceKernel, SpatialMeanLikeGlobalPooling) {
  // [1, 2, 2, 2] over axes [2, 3]: channel means (0+1+2+3)/4 = 1.5 and (4+5+6+7)/4 = 5.5.
  Tensor input = Tensor::from_values<float>({1, 2, 2, 2}, {0, 1, 2, 3, 4, 5, 6, 7});
  Tensor out = run_one(reduce_node("ReduceMean", std::vector<std::int64_t>{-1, -2}), {input});
  EXPECT_EQ(out.shape(), (Shape{1, 2, 1, 1}));
  EXPECT_EQ(floats_of(out), (std::vector<float>{1.5f, 5.5f}));
}

TEST(ReduceKernel, AxesAsInputConstantOrData) {
  // Opset-18 form: axes is input 1. As a constant it is read at prepare, as a graph input at run.
  Node node = reduce_node("ReduceSum", std::nullopt);
  for (bool as_constant : {true, false}) {
    Tensor out = run_one(node, {onnx_example(), Tensor::from_values<std::int64_t>({1}, {0})}, {false, as_constant});
    EXPECT_EQ(out.shape(), (Shape{1, 2, 2}));
    // Sums over the first axis: 5+30+55, 1+1+1, 20+40+60, 2+2+2.
    EXPECT_EQ(floats_of(out), (std::vector<float>{90, 3, 120, 6}));
  }
}

TEST(ReduceKernel, EmptyAxesWithNoopIsIdentity) {
  Node node = reduce_node("ReduceSum", std::nullopt);
  node.attributes["noop_with_empty_axes"] = std::int64_t{1};
  Tensor out = run_one(node, {onnx_example(), Tensor::from_vector<std::int64_t>({0}, {})});
  EXPECT_EQ(out.shape(), (Shape{3, 2, 2}));
  EXPECT_EQ(floats_of(out), floats_of(onnx_example()));
}

TEST(ReduceKernel, MaxMinSumOverOddShapeMatchNaive) {
  const Shape shape = {3, 4, 5};
  std::vector<float> values(60);
  for (int i = 0; i < 60; ++i) values[i] = static_cast<float>((i * 37) % 23) - 11.0f;
  Tensor input = Tensor::from_vector<float>(shape, values);
  Tensor max = run_one(reduce_node("ReduceMax", std::vector<std::int64_t>{0, 2}, 0), {input});
  Tensor min = run_one(reduce_node("ReduceMin", std::vector<std::int64_t>{0, 2}, 0), {input});
  Tensor sum = run_one(reduce_node("ReduceSum", std::vector<std::int64_t>{2, 0}, 1), {input});
  ASSERT_EQ(max.shape(), (Shape{4}));
  ASSERT_EQ(sum.shape(), (Shape{1, 4, 1}));
  for (int j = 0; j < 4; ++j) {
    float hi = -1e9f, lo = 1e9f, total = 0;
    for (int i = 0; i < 3; ++i) {
      for (int k = 0; k < 5; ++k) {
        const float v = values[(i * 4 + j) * 5 + k];
        hi = std::max(hi, v);
        lo = std::min(lo, v);
        total += v;
      }
    }
    EXPECT_EQ(max.data<float>()[j], hi);
    EXPECT_EQ(min.data<float>()[j], lo);
    EXPECT_EQ(sum.data<float>()[j], total);
  }
}

TEST(ReduceKernel, Int64Sum) {
  Tensor out = run_one(reduce_node("ReduceSum", std::vector<std::int64_t>{1}, 0),
                       {Tensor::from_values<std::int64_t>({2, 3}, {1, 2, 3, 4, 5, 6})});
  ASSERT_EQ(out.dtype(), DType::kInt64);
  EXPECT_EQ(out.data<std::int64_t>()[0], 6);
  EXPECT_EQ(out.data<std::int64_t>()[1], 15);
}

TEST(ReduceKernel, AxisOutOfRangeNamesTheNode) {
  Result<std::vector<Tensor>> out = run_node(reduce_node("ReduceMean", std::vector<std::int64_t>{3}), {onnx_example()});
  ASSERT_FALSE(out.is_ok());
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(out.status().message().find("ReduceMean 'r'"), std::string::npos) << out.status().message();
  EXPECT_NE(out.status().message().find("axis 3"), std::string::npos) << out.status().message();
}

TEST(ReduceKernel, RepeatedAxisIsAnError) {
  Result<std::vector<Tensor>> out =
      run_node(reduce_node("ReduceMean", std::vector<std::int64_t>{1, -2}), {onnx_example()});
  ASSERT_FALSE(out.is_ok());
  EXPECT_NE(out.status().message().find("repeated"), std::string::npos) << out.status().message();
}

}  // namespace
}  // namespace edgeai
