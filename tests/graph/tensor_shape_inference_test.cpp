// Shape inference of the built-in elementwise, softmax, reduce and tensor schemas
// (src/graph/ops/{elementwise,softmax,reduce,tensor}_ops.cpp) on small graphs, including
// unknown dimensions, values known only as constants, and the error messages.
#include <gtest/gtest.h>

#include <limits>

#include "graph/validate.hpp"

namespace edgeai {
namespace {

// A one-node graph: inputs named x0, x1, ... (constants where a value is given), output y.
struct OneNode {
  Graph graph;
  std::map<std::string, const Tensor*> known;

  OneNode(std::string op_type, std::vector<ValueInfo> inputs, std::map<std::string, Attribute> attributes = {},
          int outputs = 1) {
    Node node;
    node.name = "n";
    node.op_type = std::move(op_type);
    node.attributes = std::move(attributes);
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      if (inputs[i].dtype == DType::kUndefined) {
        node.inputs.emplace_back();  // absent optional input
        continue;
      }
      inputs[i].name = str_cat("x", i);
      node.inputs.push_back(inputs[i].name);
      graph.inputs.push_back(inputs[i]);
    }
    for (int i = 0; i < outputs; ++i) node.outputs.push_back(str_cat("y", i));
    graph.nodes.push_back(std::move(node));
  }

  // Makes input `i` a constant with this value.
  OneNode& constant(std::size_t i, Tensor value) {
    const std::string name = str_cat("x", i);
    std::erase_if(graph.inputs, [&](const ValueInfo& v) { return v.name == name; });
    graph.constants[name] = std::move(value);
    return *this;
  }

  Status infer() { return infer_shapes(graph, known); }
  const ValueInfo& output(int i = 0) const { return graph.value_info.at(str_cat("y", i)); }
};

ValueInfo f32(Shape shape) { return ValueInfo{"", DType::kFloat32, std::move(shape)}; }
ValueInfo i64(Shape shape) { return ValueInfo{"", DType::kInt64, std::move(shape)}; }
Tensor ints(std::vector<std::int64_t> v) {
  return Tensor::from_vector<std::int64_t>({static_cast<std::int64_t>(v.size())}, v);
}

void expect_error(Status status, StatusCode code, const std::vector<std::string>& fragments) {
  ASSERT_FALSE(status.is_ok());
  EXPECT_EQ(status.code(), code) << status.to_string();
  for (const std::string& f : fragments) EXPECT_NE(status.message().find(f), std::string::npos) << status.message();
}

TEST(ElementwiseShapeInference, BroadcastWithUnknownDims) {
  OneNode g("Add", {f32({kUnknownDim, 3, 1}), f32({4})});
  ASSERT_TRUE(g.infer().is_ok());
  EXPECT_EQ(g.output().shape, (Shape{kUnknownDim, 3, 4}));
  EXPECT_EQ(g.output().dtype, DType::kFloat32);
}

TEST(ElementwiseShapeInference, IncompatibleShapesNameNodeAndShapes) {
  OneNode g("Mul", {f32({2, 3}), f32({4, 1, 2})});
  expect_error(g.infer(), StatusCode::kInvalidArgument, {"Mul 'n'", "[2,3]", "[4,1,2]"});
}

TEST(ElementwiseShapeInference, ClipAndDropoutOutputs) {
  OneNode clip("Clip", {f32({2, 5}), ValueInfo{}, f32({})});
  ASSERT_TRUE(clip.infer().is_ok());
  EXPECT_EQ(clip.output().shape, (Shape{2, 5}));
  OneNode dropout("Dropout", {f32({3})}, {}, 2);
  ASSERT_TRUE(dropout.infer().is_ok());
  EXPECT_EQ(dropout.output(1).dtype, DType::kBool);
  EXPECT_EQ(dropout.output(1).shape, (Shape{3}));
}

TEST(SoftmaxShapeInference, AxisRange) {
  OneNode ok("Softmax", {f32({2, 3})}, {{"axis", -2}});
  ASSERT_TRUE(ok.infer().is_ok());
  EXPECT_EQ(ok.output().shape, (Shape{2, 3}));
  OneNode bad("Softmax", {f32({2, 3})}, {{"axis", -3}});
  expect_error(bad.infer(), StatusCode::kInvalidArgument, {"Softmax 'n'", "axis -3"});
}

TEST(ReduceShapeInference, KeepdimsAndAxesInput) {
  OneNode keep("ReduceMean", {f32({2, 3, 4})}, {{"axes", std::vector<std::int64_t>{-1, 1}}});
  ASSERT_TRUE(keep.infer().is_ok());
  EXPECT_EQ(keep.output().shape, (Shape{2, 1, 1}));
  OneNode drop("ReduceSum", {f32({2, 3, 4}), i64({1})}, {{"keepdims", 0}});
  drop.constant(1, ints({1}));
  ASSERT_TRUE(drop.infer().is_ok());
  EXPECT_EQ(drop.output().shape, (Shape{2, 4}));
  OneNode unknown("ReduceSum", {f32({2, 3}), i64({1})});
  expect_error(unknown.infer(), StatusCode::kInvalidArgument, {"ReduceSum 'n'", "input 1", "x1"});
}

TEST(TensorShapeInference, ReshapeNeedsTheShapeValue) {
  OneNode unknown("Reshape", {f32({2, 3}), i64({2})});
  expect_error(unknown.infer(), StatusCode::kInvalidArgument, {"Reshape 'n'", "input 1", "shape", "x1"});
  OneNode known("Reshape", {f32({2, 3, 4}), i64({3})});
  known.constant(1, ints({0, -1, 2}));
  ASSERT_TRUE(known.infer().is_ok());
  EXPECT_EQ(known.output().shape, (Shape{2, 6, 2}));
}

TEST(TensorShapeInference, ReshapeValueFromKnownGraphInput) {
  // The runtime passes graph-input values it already has (ONNX node tests feed shapes as inputs).
  OneNode g("Reshape", {f32({6}), i64({2})});
  Tensor shape = ints({3, -1});
  g.known["x1"] = &shape;
  ASSERT_TRUE(g.infer().is_ok());
  EXPECT_EQ(g.output().shape, (Shape{3, 2}));
}

TEST(TensorShapeInference, ReshapeKeepsUnknownBatch) {
  OneNode g("Reshape", {f32({kUnknownDim, 3, 4}), i64({2})});
  g.constant(1, ints({0, -1}));
  ASSERT_TRUE(g.infer().is_ok());
  EXPECT_EQ(g.output().shape, (Shape{kUnknownDim, kUnknownDim}));
}

TEST(TensorShapeInference, ReshapeElementCountMismatch) {
  OneNode g("Reshape", {f32({2, 3}), i64({2})});
  g.constant(1, ints({5, 1}));
  expect_error(g.infer(), StatusCode::kInvalidArgument, {"Reshape 'n'", "[2,3]", "6 elements", "5 elements"});
}

TEST(TensorShapeInference, ConcatAddsAxisAndChecksTheRest) {
  OneNode g("Concat", {f32({2, 3}), f32({2, 5}), f32({2, kUnknownDim})}, {{"axis", -1}});
  ASSERT_TRUE(g.infer().is_ok());
  EXPECT_EQ(g.output().shape, (Shape{2, kUnknownDim}));
  OneNode two("Concat", {f32({2, 3}), f32({2, 5})}, {{"axis", 1}});
  ASSERT_TRUE(two.infer().is_ok());
  EXPECT_EQ(two.output().shape, (Shape{2, 8}));
  OneNode bad("Concat", {f32({2, 3}), f32({3, 3})}, {{"axis", 1}});
  expect_error(bad.infer(), StatusCode::kInvalidArgument, {"Concat 'n'", "input 1", "[3,3]"});
  OneNode axis("Concat", {f32({2, 3}), f32({2, 3})}, {{"axis", 2}});
  expect_error(axis.infer(), StatusCode::kInvalidArgument, {"Concat 'n'", "axis 2", "rank 2"});
}

TEST(TensorShapeInference, FlattenAndTranspose) {
  OneNode flatten("Flatten", {f32({kUnknownDim, 3, 4})});
  ASSERT_TRUE(flatten.infer().is_ok());
  EXPECT_EQ(flatten.output().shape, (Shape{kUnknownDim, 12}));
  OneNode transpose("Transpose", {f32({2, 3, 4})}, {{"perm", std::vector<std::int64_t>{2, 0, 1}}});
  ASSERT_TRUE(transpose.infer().is_ok());
  EXPECT_EQ(transpose.output().shape, (Shape{4, 2, 3}));
  OneNode bad("Transpose", {f32({2, 3, 4})}, {{"perm", std::vector<std::int64_t>{0, 1}}});
  expect_error(bad.infer(), StatusCode::kInvalidArgument, {"Transpose 'n'", "perm"});
}

TEST(TensorShapeInference, SqueezeAndUnsqueeze) {
  OneNode squeeze("Squeeze", {f32({1, 3, 1}), i64({1})});
  squeeze.constant(1, ints({-1}));
  ASSERT_TRUE(squeeze.infer().is_ok());
  EXPECT_EQ(squeeze.output().shape, (Shape{1, 3}));
  OneNode bad("Squeeze", {f32({1, 3, 1}), i64({1})});
  bad.constant(1, ints({1}));
  expect_error(bad.infer(), StatusCode::kInvalidArgument, {"Squeeze 'n'", "axis 1", "size 3"});
  OneNode unsqueeze("Unsqueeze", {f32({3, 4}), i64({2})});
  unsqueeze.constant(1, ints({0, 3}));
  ASSERT_TRUE(unsqueeze.infer().is_ok());
  EXPECT_EQ(unsqueeze.output().shape, (Shape{1, 3, 4, 1}));
}

TEST(TensorShapeInference, PadSplitSliceGather) {
  OneNode pad("Pad", {f32({1, 3, 4, 5}), i64({8})});
  pad.constant(1, ints({0, 0, 1, 3, 0, 0, 2, 4}));  // test_constant_pad: [1, 3, 7, 12]
  ASSERT_TRUE(pad.infer().is_ok());
  EXPECT_EQ(pad.output().shape, (Shape{1, 3, 7, 12}));

  OneNode split("Split", {f32({6, 2})}, {}, 3);
  ASSERT_TRUE(split.infer().is_ok());
  EXPECT_EQ(split.output(2).shape, (Shape{2, 2}));

  OneNode slice("Slice", {f32({20, 10, 5}), i64({3}), i64({3}), i64({3}), i64({3})});
  // test_slice_neg_steps: starts [20,10,4], ends [0,0,1], steps [-1,-3,-2] -> [19, 3, 2].
  slice.constant(1, ints({20, 10, 4})).constant(2, ints({0, 0, 1})).constant(3, ints({0, 1, 2}));
  slice.constant(4, ints({-1, -3, -2}));
  ASSERT_TRUE(slice.infer().is_ok());
  EXPECT_EQ(slice.output().shape, (Shape{19, 3, 2}));

  OneNode clamped("Slice", {f32({20, 10}), i64({1}), i64({1})});
  clamped.constant(1, ints({1})).constant(2, ints({std::numeric_limits<std::int64_t>::max()}));
  ASSERT_TRUE(clamped.infer().is_ok());
  EXPECT_EQ(clamped.output().shape, (Shape{19, 10}));

  OneNode gather("Gather", {f32({5, 4, 3}), i64({2, 7})}, {{"axis", 1}});
  ASSERT_TRUE(gather.infer().is_ok());
  EXPECT_EQ(gather.output().shape, (Shape{5, 2, 7, 3}));
}

TEST(TensorShapeInference, SliceWithUnknownStartsNamesTheInput) {
  OneNode g("Slice", {f32({4}), i64({1}), i64({1})});
  g.constant(2, ints({3}));
  expect_error(g.infer(), StatusCode::kInvalidArgument, {"Slice 'n'", "input 1", "starts"});
}

TEST(TensorShapeInference, CastShapeConstantOfShape) {
  OneNode cast("Cast", {f32({2})}, {{"to", 7}});  // ONNX INT64
  ASSERT_TRUE(cast.infer().is_ok());
  EXPECT_EQ(cast.output().dtype, DType::kInt64);
  OneNode shape("Shape", {f32({kUnknownDim, 3, 4})}, {{"start", 1}});
  ASSERT_TRUE(shape.infer().is_ok());
  EXPECT_EQ(shape.output().shape, (Shape{2}));
  EXPECT_EQ(shape.output().dtype, DType::kInt64);
  OneNode fill("ConstantOfShape", {i64({2})}, {{"value", Tensor::from_values<std::int32_t>({1}, {1})}});
  fill.constant(0, ints({4, 2}));
  ASSERT_TRUE(fill.infer().is_ok());
  EXPECT_EQ(fill.output().shape, (Shape{4, 2}));
  EXPECT_EQ(fill.output().dtype, DType::kInt32);
}

TEST(TensorShapeInference, DeclaresShapeValueInputs) {
  // The runtime plans with the values of graph inputs feeding these, so they must be declared.
  const std::map<std::string, std::vector<int>> expected = {
      {"Reshape", {1}},     {"Squeeze", {1}},        {"Unsqueeze", {1}}, {"Pad", {1, 3}},
      {"Split", {1}},       {"Slice", {1, 2, 3, 4}}, {"Expand", {1}},    {"ConstantOfShape", {0}},
      {"Range", {0, 1, 2}}, {"ReduceMean", {1}},     {"ReduceSum", {1}}, {"Add", {}},
  };
  for (const auto& [op, inputs] : expected) {
    const OpSchema* schema = OpSchemaRegistry::builtin().find(op);
    ASSERT_NE(schema, nullptr) << op;
    EXPECT_EQ(schema->shape_value_inputs, inputs) << op;
  }
}

}  // namespace
}  // namespace edgeai
