// Shape inference of the nn operator schemas (Conv, Gemm, MatMul, MaxPool, AveragePool,
// GlobalAveragePool, GlobalMaxPool, BatchNormalization, Resize) through infer_shapes and
// validate_graph: output shapes with symbolic dimensions, and errors that name the node.
// Expected sizes are worked from the ONNX operator pages' output-shape formulas.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "graph/validate.hpp"

namespace edgeai {
namespace {

using Ints = std::vector<std::int64_t>;

Tensor zeros(DType dtype, Shape shape) { return *Tensor::allocate(dtype, std::move(shape)); }

// A one-node graph: `inputs` are graph inputs (dtype/shape only) unless a constant of that
// name is given; the node's single output is "y".
struct OneNodeGraph {
  Graph graph;

  OneNodeGraph(const std::string& op_type, std::vector<ValueInfo> inputs, std::map<std::string, Tensor> constants,
               std::vector<std::string> input_names, std::map<std::string, Attribute> attributes,
               std::vector<std::string> outputs = {"y"}) {
    graph.inputs = std::move(inputs);
    graph.constants = std::move(constants);
    Node node;
    node.name = "n1";
    node.op_type = op_type;
    node.inputs = std::move(input_names);
    node.outputs = outputs;
    node.attributes = std::move(attributes);
    graph.nodes.push_back(std::move(node));
    for (const std::string& out : outputs) graph.outputs.push_back(ValueInfo{out, DType::kUndefined, {}});
  }

  Result<Shape> infer(const std::map<std::string, const Tensor*>& known = {}) {
    EDGEAI_RETURN_IF_ERROR(validate_graph(graph));
    EDGEAI_RETURN_IF_ERROR(infer_shapes(graph, known));
    return graph.value_info.at("y").shape;
  }
};

Result<Shape> conv_shape(const Shape& x, const Shape& w, std::map<std::string, Attribute> attributes,
                         const Shape& bias = {}) {
  std::map<std::string, Tensor> constants{{"w", zeros(DType::kFloat32, w)}};
  std::vector<std::string> names{"x", "w"};
  if (!bias.empty()) {
    constants["b"] = zeros(DType::kFloat32, bias);
    names.push_back("b");
  }
  OneNodeGraph g("Conv", {ValueInfo{"x", DType::kFloat32, x}}, constants, names, std::move(attributes));
  return g.infer();
}

TEST(NnShapeInference, ConvWithSymbolicBatch) {
  // ResNet stem: floor((224 + 3 + 3 - 7) / 2) + 1 = 112.
  auto shape = conv_shape({kUnknownDim, 3, 224, 224}, {64, 3, 7, 7},
                          {{"strides", Ints{2, 2}}, {"pads", Ints{3, 3, 3, 3}}, {"kernel_shape", Ints{7, 7}}}, {64});
  ASSERT_TRUE(shape.is_ok()) << shape.status().to_string();
  EXPECT_EQ(*shape, (Shape{kUnknownDim, 64, 112, 112}));
}

TEST(NnShapeInference, ConvPaddingModes) {
  // SAME_*: ceil(7 / 2) = 4 whatever the kernel.
  auto same =
      conv_shape({1, 2, 7, 8}, {4, 2, 3, 2}, {{"strides", Ints{2, 3}}, {"auto_pad", std::string("SAME_LOWER")}});
  ASSERT_TRUE(same.is_ok()) << same.status().to_string();
  EXPECT_EQ(*same, (Shape{1, 4, 4, 3}));
  // VALID with dilation 2: window (3 - 1) * 2 + 1 = 5; floor((7 - 5) / 1) + 1 = 3, floor((8 - 3) / 1) + 1 = 6.
  auto valid = conv_shape({1, 2, 7, 8}, {4, 2, 3, 2},
                          {{"auto_pad", std::string("VALID")}, {"dilations", Ints{2, 2}}, {"pads", Ints{9, 9, 9, 9}}});
  ASSERT_TRUE(valid.is_ok()) << valid.status().to_string();
  EXPECT_EQ(*valid, (Shape{1, 4, 3, 6}));
  // Asymmetric explicit pads, 1-D: floor((10 + 2 + 0 - 3) / 2) + 1 = 5.
  auto one_d = conv_shape({2, 1, 10}, {3, 1, 3}, {{"strides", Ints{2}}, {"pads", Ints{2, 0}}});
  ASSERT_TRUE(one_d.is_ok()) << one_d.status().to_string();
  EXPECT_EQ(*one_d, (Shape{2, 3, 5}));
  // Depthwise: group = C = M.
  auto depthwise = conv_shape({1, 32, 9, 9}, {32, 1, 3, 3}, {{"group", std::int64_t{32}}, {"pads", Ints{1, 1, 1, 1}}});
  ASSERT_TRUE(depthwise.is_ok()) << depthwise.status().to_string();
  EXPECT_EQ(*depthwise, (Shape{1, 32, 9, 9}));
  // Unknown spatial size stays unknown; unknown channel count is not checked.
  auto unknown = conv_shape({1, kUnknownDim, kUnknownDim, 8}, {4, 3, 3, 3}, {});
  ASSERT_TRUE(unknown.is_ok()) << unknown.status().to_string();
  EXPECT_EQ(*unknown, (Shape{1, 4, kUnknownDim, 6}));
}

TEST(NnShapeInference, ConvChannelErrorsNameNodeAndShapes) {
  auto channels = conv_shape({1, 3, 8, 8}, {4, 2, 3, 3}, {});
  ASSERT_FALSE(channels.is_ok());
  EXPECT_EQ(channels.status().message(),
            "Conv 'n1': X [1,3,8,8] has 3 channels but W [4,2,3,3] expects 2 x group 1 = 2");
  auto grouped = conv_shape({1, 4, 8, 8}, {4, 1, 3, 3}, {{"group", std::int64_t{2}}});
  ASSERT_FALSE(grouped.is_ok());
  EXPECT_NE(grouped.status().message().find("expects 1 x group 2 = 2"), std::string::npos)
      << grouped.status().message();
  auto bias = conv_shape({1, 3, 8, 8}, {4, 3, 3, 3}, {}, {5});
  ASSERT_FALSE(bias.is_ok());
  EXPECT_EQ(bias.status().message(), "Conv 'n1': bias B [5] must be [4], one value per output channel of W [4,3,3,3]");
  auto rank = conv_shape({1, 3, 8, 8}, {4, 3, 3}, {});
  ASSERT_FALSE(rank.is_ok());
  EXPECT_NE(rank.status().message().find("Conv 'n1': weight W [4,3,3] must have the rank of X [1,3,8,8]"),
            std::string::npos);
  auto group_type = conv_shape({1, 3, 8, 8}, {4, 3, 3, 3}, {{"group", 1.0f}});
  ASSERT_FALSE(group_type.is_ok());
  EXPECT_EQ(group_type.status().message(), "Conv 'n1': attribute 'group' must be of type int, got float");
}

Result<Shape> binary_shape(const std::string& op_type, const Shape& a, const Shape& b,
                           std::map<std::string, Attribute> attributes = {}, const Shape* c = nullptr) {
  std::vector<ValueInfo> inputs{{"a", DType::kFloat32, a}, {"b", DType::kFloat32, b}};
  std::vector<std::string> names{"a", "b"};
  if (c != nullptr) {
    inputs.push_back(ValueInfo{"c", DType::kFloat32, *c});
    names.push_back("c");
  }
  OneNodeGraph g(op_type, inputs, {}, names, std::move(attributes));
  return g.infer();
}

TEST(NnShapeInference, GemmShapes) {
  auto plain = binary_shape("Gemm", {kUnknownDim, 512}, {512, 1000});
  ASSERT_TRUE(plain.is_ok()) << plain.status().to_string();
  EXPECT_EQ(*plain, (Shape{kUnknownDim, 1000}));
  const Shape bias{1000};
  auto transposed =
      binary_shape("Gemm", {512, 4}, {1000, 512}, {{"transA", std::int64_t{1}}, {"transB", std::int64_t{1}}}, &bias);
  ASSERT_TRUE(transposed.is_ok()) << transposed.status().to_string();
  EXPECT_EQ(*transposed, (Shape{4, 1000}));
  const Shape bad_bias{4, 999};
  auto bad = binary_shape("Gemm", {4, 512}, {512, 1000}, {}, &bad_bias);
  ASSERT_FALSE(bad.is_ok());
  EXPECT_EQ(bad.status().message(),
            "Gemm 'n1': C [4,999] is not unidirectionally broadcastable to the output [4,1000]");
  auto inner = binary_shape("Gemm", {4, 512}, {1000, 512});
  ASSERT_FALSE(inner.is_ok());
  EXPECT_NE(inner.status().message().find("Gemm 'n1': inner dimensions differ"), std::string::npos);
  auto rank = binary_shape("Gemm", {2, 4, 512}, {512, 10});
  ASSERT_FALSE(rank.is_ok());
  EXPECT_NE(rank.status().message().find("must both be 2-D"), std::string::npos);
}

TEST(NnShapeInference, MatMulShapes) {
  struct Case {
    Shape a, b, expected;
  };
  const std::vector<Case> cases = {
      {{kUnknownDim, 8, 16}, {16, 32}, {kUnknownDim, 8, 32}},
      {{16}, {16, 32}, {32}},
      {{8, 16}, {16}, {8}},
      {{16}, {16}, {}},
      {{2, 1, 3, 4}, {5, 4, 6}, {2, 5, 3, 6}},
      {{4}, {7, 4, 2}, {7, 2}},
  };
  for (const Case& c : cases) {
    auto shape = binary_shape("MatMul", c.a, c.b);
    ASSERT_TRUE(shape.is_ok()) << shape_to_string(c.a) << " @ " << shape_to_string(c.b) << ": "
                               << shape.status().to_string();
    EXPECT_EQ(*shape, c.expected) << shape_to_string(c.a) << " @ " << shape_to_string(c.b);
  }
  auto bad = binary_shape("MatMul", {2, 3, 4}, {3, 4, 5});
  ASSERT_FALSE(bad.is_ok());
  EXPECT_EQ(bad.status().message(), "MatMul 'n1': batch dimensions of A [2,3,4] and B [3,4,5] do not broadcast");
}

Result<Shape> pool_shape(const std::string& op_type, const Shape& x, std::map<std::string, Attribute> attributes) {
  OneNodeGraph g(op_type, {ValueInfo{"x", DType::kFloat32, x}}, {}, {"x"}, std::move(attributes));
  return g.infer();
}

TEST(NnShapeInference, PoolShapes) {
  // ResNet max pool: floor((112 + 2 - 3) / 2) + 1 = 56.
  auto resnet = pool_shape("MaxPool", {kUnknownDim, 64, 112, 112},
                           {{"kernel_shape", Ints{3, 3}}, {"strides", Ints{2, 2}}, {"pads", Ints{1, 1, 1, 1}}});
  ASSERT_TRUE(resnet.is_ok()) << resnet.status().to_string();
  EXPECT_EQ(*resnet, (Shape{kUnknownDim, 64, 56, 56}));
  // ceil_mode: ceil((112 - 3) / 2) + 1 = 56 against floor 55.
  auto ceil = pool_shape("AveragePool", {1, 1, 112, 112},
                         {{"kernel_shape", Ints{3, 3}}, {"strides", Ints{2, 2}}, {"ceil_mode", std::int64_t{1}}});
  ASSERT_TRUE(ceil.is_ok()) << ceil.status().to_string();
  EXPECT_EQ(*ceil, (Shape{1, 1, 56, 56}));
  // ceil_mode window starting in the end padding is dropped: 5 + 1 + 1, k 2, s 2 gives
  // ceil(5 / 2) + 1 = 4, but window 4 would start at 6 >= 5 + 1, so 3 (torch agrees).
  auto dropped = pool_shape(
      "MaxPool", {1, 1, 5},
      {{"kernel_shape", Ints{2}}, {"strides", Ints{2}}, {"pads", Ints{1, 1}}, {"ceil_mode", std::int64_t{1}}});
  ASSERT_TRUE(dropped.is_ok()) << dropped.status().to_string();
  EXPECT_EQ(*dropped, (Shape{1, 1, 3}));
  auto global = pool_shape("GlobalAveragePool", {kUnknownDim, 512, 7, 7}, {});
  ASSERT_TRUE(global.is_ok()) << global.status().to_string();
  EXPECT_EQ(*global, (Shape{kUnknownDim, 512, 1, 1}));
  auto global_max = pool_shape("GlobalMaxPool", {2, 8, 3, 4, 5}, {});
  ASSERT_TRUE(global_max.is_ok()) << global_max.status().to_string();
  EXPECT_EQ(*global_max, (Shape{2, 8, 1, 1, 1}));
  auto three_d = pool_shape("MaxPool", {1, 3, 32, 32, 32}, {{"kernel_shape", Ints{2, 2, 2}}});
  ASSERT_TRUE(three_d.is_ok()) << three_d.status().to_string();
  EXPECT_EQ(*three_d, (Shape{1, 3, 31, 31, 31}));
}

TEST(NnShapeInference, PoolErrorsNameNode) {
  auto missing = pool_shape("MaxPool", {1, 1, 4, 4}, {});
  ASSERT_FALSE(missing.is_ok());
  EXPECT_EQ(missing.status().message(), "MaxPool 'n1': required attribute 'kernel_shape' is missing");
  auto rank = pool_shape("GlobalAveragePool", {1, 8}, {});
  ASSERT_FALSE(rank.is_ok());
  EXPECT_NE(rank.status().message().find("GlobalAveragePool 'n1': input X must be (N, C, spatial...)"),
            std::string::npos);
  auto ceil = pool_shape("MaxPool", {1, 1, 4, 4}, {{"kernel_shape", Ints{2, 2}}, {"ceil_mode", std::int64_t{2}}});
  ASSERT_FALSE(ceil.is_ok());
  EXPECT_EQ(ceil.status().message(), "MaxPool 'n1': ceil_mode must be 0 or 1, got 2");
}

TEST(NnShapeInference, ChannelsLastNodesAndTheirErrors) {
  // channels_last = 1: X and Y are (N, H, W, C); the weights stay (M, C, kH, kW).
  auto conv = conv_shape({1, 9, 11, 3}, {8, 3, 3, 3},
                         {{"strides", Ints{2, 2}}, {"pads", Ints{1, 1, 1, 1}}, {"channels_last", std::int64_t{1}}});
  ASSERT_TRUE(conv.is_ok()) << conv.status().to_string();
  EXPECT_EQ(*conv, (Shape{1, 5, 6, 8}));
  auto pool = pool_shape("MaxPool", {2, 8, 6, 5}, {{"kernel_shape", Ints{2, 2}}, {"channels_last", std::int64_t{1}}});
  ASSERT_TRUE(pool.is_ok()) << pool.status().to_string();
  EXPECT_EQ(*pool, (Shape{2, 7, 5, 5}));
  auto global = pool_shape("GlobalAveragePool", {1, 7, 7, 32}, {{"channels_last", std::int64_t{1}}});
  ASSERT_TRUE(global.is_ok()) << global.status().to_string();
  EXPECT_EQ(*global, (Shape{1, 1, 1, 32}));
  // Only 0 or 1, and a rank that has spatial axes.
  auto bad = conv_shape({1, 9, 11, 3}, {8, 3, 3, 3}, {{"channels_last", std::int64_t{2}}});
  ASSERT_FALSE(bad.is_ok());
  EXPECT_EQ(bad.status().message(), "Conv 'n1': channels_last must be 0 or 1, got 2");
  auto flat = pool_shape("GlobalAveragePool", {1, 8}, {{"channels_last", std::int64_t{1}}});
  ASSERT_FALSE(flat.is_ok());
  EXPECT_NE(flat.status().message().find("a channels-last X must be (N, spatial..., C)"), std::string::npos)
      << flat.status().to_string();
}

TEST(NnShapeInference, MaxPoolIndicesOutputIsInt64) {
  OneNodeGraph g("MaxPool", {ValueInfo{"x", DType::kFloat32, {1, 2, 6, 6}}}, {}, {"x"},
                 {{"kernel_shape", Ints{2, 2}}, {"strides", Ints{2, 2}}}, {"y", "indices"});
  auto shape = g.infer();
  ASSERT_TRUE(shape.is_ok()) << shape.status().to_string();
  EXPECT_EQ(g.graph.value_info.at("indices").dtype, DType::kInt64);
  EXPECT_EQ(g.graph.value_info.at("indices").shape, (Shape{1, 2, 3, 3}));
}

TEST(NnShapeInference, BatchNormalization) {
  std::map<std::string, Tensor> params;
  for (const char* name : {"s", "b", "m", "v"}) params[name] = zeros(DType::kFloat32, {16});
  OneNodeGraph ok("BatchNormalization", {ValueInfo{"x", DType::kFloat32, {kUnknownDim, 16, 5, 5}}}, params,
                  {"x", "s", "b", "m", "v"}, {{"epsilon", 1e-3f}});
  auto shape = ok.infer();
  ASSERT_TRUE(shape.is_ok()) << shape.status().to_string();
  EXPECT_EQ(*shape, (Shape{kUnknownDim, 16, 5, 5}));

  OneNodeGraph training("BatchNormalization", {ValueInfo{"x", DType::kFloat32, {2, 16, 5, 5}}}, params,
                        {"x", "s", "b", "m", "v"}, {{"training_mode", std::int64_t{1}}}, {"y", "mean", "var"});
  auto training_shape = training.infer();
  ASSERT_TRUE(training_shape.is_ok()) << training_shape.status().to_string();
  EXPECT_EQ(training.graph.value_info.at("mean").shape, Shape{16});
  EXPECT_EQ(training.graph.value_info.at("var").shape, Shape{16});

  params["v"] = zeros(DType::kFloat32, {8});
  OneNodeGraph bad("BatchNormalization", {ValueInfo{"x", DType::kFloat32, {1, 16, 5, 5}}}, params,
                   {"x", "s", "b", "m", "v"}, {});
  auto bad_shape = bad.infer();
  ASSERT_FALSE(bad_shape.is_ok());
  EXPECT_EQ(bad_shape.status().message(),
            "BatchNormalization 'n1': input_var [8] must be [16], one value per channel of X [1,16,5,5]");
}

TEST(NnShapeInference, ResizeFromConstants) {
  Tensor scales = Tensor::from_values<float>({4}, {1, 1, 2, 1.5f});
  OneNodeGraph by_scales("Resize", {ValueInfo{"x", DType::kFloat32, {kUnknownDim, 3, 10, 5}}}, {{"scales", scales}},
                         {"x", "", "scales"}, {});
  auto shape = by_scales.infer();
  ASSERT_TRUE(shape.is_ok()) << shape.status().to_string();
  // floor(5 * 1.5) = 7; an unknown batch stays unknown.
  EXPECT_EQ(*shape, (Shape{kUnknownDim, 3, 20, 7}));

  Tensor sizes = Tensor::from_values<std::int64_t>({4}, {1, 3, 4, 4});
  OneNodeGraph by_sizes("Resize", {ValueInfo{"x", DType::kFloat32, {1, 3, 10, 5}}}, {{"sizes", sizes}},
                        {"x", "", "", "sizes"}, {{"mode", std::string("linear")}});
  auto sized = by_sizes.infer();
  ASSERT_TRUE(sized.is_ok()) << sized.status().to_string();
  EXPECT_EQ(*sized, (Shape{1, 3, 4, 4}));
}

TEST(NnShapeInference, ResizeScalesMustBeKnownAtPlanTime) {
  OneNodeGraph g("Resize", {ValueInfo{"x", DType::kFloat32, {1, 3, 10, 5}}, ValueInfo{"scales", DType::kFloat32, {4}}},
                 {}, {"x", "", "scales"}, {});
  auto unknown = g.infer();
  ASSERT_FALSE(unknown.is_ok());
  EXPECT_EQ(unknown.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(unknown.status().message(),
            "Resize 'n1': the value of scales ('scales') must be known at plan time (a constant or a given input)");
  // Given at plan time (as the runtime does for fed inputs), the shape resolves.
  Graph& graph = g.graph;
  Tensor scales = Tensor::from_values<float>({4}, {1, 1, 0.5f, 2});
  ASSERT_TRUE(infer_shapes(graph, {{"scales", &scales}}).is_ok());
  EXPECT_EQ(graph.value_info.at("y").shape, (Shape{1, 3, 5, 10}));
}

}  // namespace
}  // namespace edgeai
