// Tests of the graph passes (graph/passes/). They link the graph layer only, so they bring their
// own small schema registry and node evaluator; expected values are computed independently here.
#include "graph/passes/passes.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "graph/fused_activation.hpp"

namespace edgeai {
namespace {

Status same_as_input0(const InferenceContext& ctx, std::vector<ValueInfo>& outputs) {
  outputs[0].dtype = ctx.input(0).dtype;
  outputs[0].shape = ctx.input(0).shape;
  return Status::ok();
}

// Schemas just rich enough for the passes: which ops accept a fused activation, and shapes.
OpSchemaRegistry test_registry() {
  OpSchemaRegistry r;
  std::vector<AttrSpec> conv_attrs = fused_activation_attr_specs();
  r.add(OpSchema{"Conv", 2, 3, 1, 1, conv_attrs, same_as_input0, {}});
  r.add(OpSchema{"Add", 2, 2, 1, 1, conv_attrs, same_as_input0, {}});
  r.add(OpSchema{"MaxPool", 1, 1, 1, 1, {}, same_as_input0, {}});
  r.add(OpSchema{"Relu", 1, 1, 1, 1, {}, same_as_input0, {}});
  r.add(OpSchema{"Sigmoid", 1, 1, 1, 1, {}, same_as_input0, {}});
  r.add(OpSchema{"Mul", 2, 2, 1, 1, conv_attrs, same_as_input0, {}});
  r.add(OpSchema{"Clip", 1, 3, 1, 1, {}, same_as_input0, {}});
  r.add(OpSchema{"LeakyRelu", 1, 1, 1, 1, {{"alpha", AttrType::kFloat}}, same_as_input0, {}});
  r.add(OpSchema{"HardSigmoid", 1, 1, 1, 1, {{"alpha", AttrType::kFloat}, {"beta", AttrType::kFloat}}, same_as_input0, {}});
  return r;
}

ValueInfo f32(const std::string& name, Shape shape) { return ValueInfo{name, DType::kFloat32, std::move(shape)}; }

Node make_node(std::string name, std::string op, std::vector<std::string> in, std::vector<std::string> out,
               std::map<std::string, Attribute> attrs = {}) {
  return Node{std::move(name), std::move(op), std::move(in), std::move(out), std::move(attrs)};
}

const Node* find_node(const Graph& g, std::string_view name) {
  for (const Node& n : g.nodes) {
    if (n.name == name) return &n;
  }
  return nullptr;
}

// ---- constant folding -------------------------------------------------------------------

// Evaluates the int64 1-D ops of torch's Flatten/Reshape pattern; fails on anything else.
Result<std::vector<Tensor>> tiny_evaluator(const Node& node, const std::vector<Tensor>& in) {
  if (node.op_type == "Gather") {  // 1-D data, scalar index
    const std::int64_t i = in[1].data<std::int64_t>()[0];
    return std::vector<Tensor>{Tensor::from_values<std::int64_t>({}, {in[0].data<std::int64_t>()[i]})};
  }
  if (node.op_type == "Unsqueeze") {  // scalar -> [1]
    return std::vector<Tensor>{Tensor::from_values<std::int64_t>({1}, {in[0].data<std::int64_t>()[0]})};
  }
  if (node.op_type == "Concat") {
    std::vector<std::int64_t> all;
    for (const Tensor& t : in) {
      for (std::int64_t k = 0; k < t.num_elements(); ++k) all.push_back(t.data<std::int64_t>()[k]);
    }
    return std::vector<Tensor>{Tensor::from_vector<std::int64_t>({static_cast<std::int64_t>(all.size())}, all)};
  }
  return unsupported("tiny evaluator: ", node.op_type);
}

TEST(FoldConstants, FoldsTorchShapeGatherUnsqueezeConcatIntoAConstantReshapeShape) {
  Graph g;
  g.inputs = {f32("x", {2, 3, 4, 4})};
  g.outputs = {f32("y", {})};
  g.constants["idx0"] = Tensor::from_values<std::int64_t>({}, {0});
  g.constants["axes0"] = Tensor::from_values<std::int64_t>({1}, {0});
  g.constants["minus1"] = Tensor::from_values<std::int64_t>({1}, {-1});
  g.nodes = {
      make_node("shape", "Shape", {"x"}, {"s"}),
      make_node("gather", "Gather", {"s", "idx0"}, {"batch"}, {{"axis", Attribute(0)}}),
      make_node("unsqueeze", "Unsqueeze", {"batch", "axes0"}, {"batch1"}),
      make_node("concat", "Concat", {"batch1", "minus1"}, {"target"}, {{"axis", Attribute(0)}}),
      make_node("reshape", "Reshape", {"x", "target"}, {"y"}),
  };
  OpSchemaRegistry empty;
  ASSERT_TRUE(fold_constants(g, tiny_evaluator, {}, empty).is_ok());
  ASSERT_EQ(g.nodes.size(), 1u);
  EXPECT_EQ(g.nodes[0].op_type, "Reshape");
  const Tensor* target = g.find_constant("target");
  ASSERT_NE(target, nullptr);
  ASSERT_EQ(target->shape(), Shape({2}));
  EXPECT_EQ(target->data<std::int64_t>()[0], 2);
  EXPECT_EQ(target->data<std::int64_t>()[1], -1);

  ASSERT_TRUE(remove_dead_nodes(g).is_ok());
  EXPECT_EQ(g.constants.size(), 1u) << "the intermediate constants are unused after folding";
}

TEST(FoldConstants, ShapeStartEndAttributesOfOpset15) {
  Graph g;
  g.inputs = {f32("x", {2, 3, 4, 5})};
  g.outputs = {f32("y", {})};
  g.nodes = {make_node("shape", "Shape", {"x"}, {"s"}, {{"start", Attribute(1)}, {"end", Attribute(-1)}}),
             make_node("reshape", "Reshape", {"x", "s"}, {"y"})};
  OpSchemaRegistry empty;
  ASSERT_TRUE(fold_constants(g, tiny_evaluator, {}, empty).is_ok());
  const Tensor* s = g.find_constant("s");
  ASSERT_NE(s, nullptr);
  ASSERT_EQ(s->num_elements(), 2);
  EXPECT_EQ(s->data<std::int64_t>()[0], 3);
  EXPECT_EQ(s->data<std::int64_t>()[1], 4);
}

TEST(FoldConstants, ShapeOfASymbolicDimensionStays) {
  Graph g;
  g.inputs = {f32("x", {kUnknownDim, 3})};
  g.outputs = {f32("y", {})};
  g.nodes = {make_node("shape", "Shape", {"x"}, {"s"}), make_node("reshape", "Reshape", {"x", "s"}, {"y"})};
  OpSchemaRegistry empty;
  ASSERT_TRUE(fold_constants(g, tiny_evaluator, {}, empty).is_ok());
  EXPECT_EQ(g.nodes.size(), 2u);
  EXPECT_FALSE(g.is_constant("s"));
}

TEST(FoldConstants, ConstantNodesBecomeConstantsAndGraphOutputsStayComputed) {
  Graph g;
  g.outputs = {ValueInfo{"out", DType::kInt64, {}}};
  Tensor two = Tensor::from_values<std::int64_t>({1}, {2});
  g.nodes = {make_node("c", "Constant", {}, {"c_out"}, {{"value", Attribute(two)}}),
             make_node("k", "Constant", {}, {"k_out"}, {{"value_ints", Attribute(std::vector<std::int64_t>{5})}}),
             make_node("concat", "Concat", {"c_out", "k_out"}, {"out"}, {{"axis", Attribute(0)}})};
  OpSchemaRegistry empty;
  ASSERT_TRUE(fold_constants(g, tiny_evaluator, {}, empty).is_ok());
  ASSERT_EQ(g.nodes.size(), 1u) << "the Concat writes a graph output and is kept";
  EXPECT_EQ(g.nodes[0].op_type, "Concat");
  ASSERT_TRUE(g.is_constant("c_out"));
  EXPECT_EQ(g.find_constant("k_out")->data<std::int64_t>()[0], 5);
}

TEST(FoldConstants, NodeTheEvaluatorRejectsIsKept) {
  Graph g;
  g.inputs = {f32("x", {4})};
  g.outputs = {f32("y", {})};
  g.constants["a"] = Tensor::from_values<float>({4}, {1, 2, 3, 4});
  g.nodes = {make_node("exp", "Exp", {"a"}, {"e"}), make_node("add", "Add", {"x", "e"}, {"y"})};
  OpSchemaRegistry empty;
  ASSERT_TRUE(fold_constants(g, tiny_evaluator, {}, empty).is_ok());
  EXPECT_EQ(g.nodes.size(), 2u);
}

TEST(FoldConstants, OutputLargerThanTheLimitIsKept) {
  Graph g;
  g.outputs = {f32("y", {})};
  g.inputs = {ValueInfo{"x", DType::kInt64, {3}}};
  g.constants["a"] = Tensor::from_values<std::int64_t>({2}, {1, 2});
  g.constants["b"] = Tensor::from_values<std::int64_t>({1}, {3});
  g.nodes = {make_node("concat", "Concat", {"a", "b"}, {"ab"}, {{"axis", Attribute(0)}}),
             make_node("add", "Add", {"x", "ab"}, {"y"})};
  OpSchemaRegistry empty;
  ConstantFoldingOptions options;
  options.max_output_bytes = 16;  // the Concat makes 24 bytes
  ASSERT_TRUE(fold_constants(g, tiny_evaluator, options, empty).is_ok());
  EXPECT_EQ(g.nodes.size(), 2u);
  options.max_output_bytes = 24;
  ASSERT_TRUE(fold_constants(g, tiny_evaluator, options, empty).is_ok());
  EXPECT_EQ(g.nodes.size(), 1u);
}

// ---- batch-norm folding -------------------------------------------------------------------

// A 1x1 convolution of one pixel: y[m] = sum_c W[m][c] x[c] + b[m].
std::vector<float> conv1x1(const Tensor& w, const Tensor* b, const std::vector<float>& x) {
  const std::int64_t m_count = w.shape()[0];
  const std::int64_t c_count = w.shape()[1];
  std::vector<float> y(static_cast<std::size_t>(m_count));
  for (std::int64_t m = 0; m < m_count; ++m) {
    double acc = b != nullptr ? b->data<float>()[m] : 0.0;
    for (std::int64_t c = 0; c < c_count; ++c) acc += static_cast<double>(w.data<float>()[m * c_count + c]) * x[c];
    y[m] = static_cast<float>(acc);
  }
  return y;
}

Graph conv_bn_graph(bool with_bias) {
  Graph g;
  g.inputs = {f32("x", {1, 2, 1, 1})};
  g.outputs = {f32("y", {})};
  g.constants["W"] = Tensor::from_values<float>({3, 2, 1, 1}, {0.5f, -1.0f, 2.0f, 0.25f, -0.75f, 1.5f});
  if (with_bias) g.constants["B"] = Tensor::from_values<float>({3}, {0.1f, -0.2f, 0.3f});
  g.constants["scale"] = Tensor::from_values<float>({3}, {1.5f, 0.5f, -2.0f});
  g.constants["shift"] = Tensor::from_values<float>({3}, {0.0f, 1.0f, -0.5f});
  g.constants["mean"] = Tensor::from_values<float>({3}, {0.2f, -0.4f, 1.0f});
  g.constants["var"] = Tensor::from_values<float>({3}, {0.25f, 4.0f, 1.0f});
  std::vector<std::string> conv_in = {"x", "W"};
  if (with_bias) conv_in.push_back("B");
  g.nodes = {make_node("conv", "Conv", conv_in, {"c"}),
             make_node("bn", "BatchNormalization", {"c", "scale", "shift", "mean", "var"}, {"y"},
                       {{"epsilon", Attribute(1e-3f)}})};
  return g;
}

class FoldBatchNorm : public ::testing::TestWithParam<bool> {};

TEST_P(FoldBatchNorm, GivesTheNumbersOfConvThenBatchNorm) {
  const bool with_bias = GetParam();
  Graph original = conv_bn_graph(with_bias);
  Graph g = conv_bn_graph(with_bias);
  Result<int> folded = fold_batchnorm(g);
  ASSERT_TRUE(folded.is_ok()) << folded.status().to_string();
  EXPECT_EQ(*folded, 1);
  ASSERT_EQ(g.nodes.size(), 1u);
  const Node& conv = g.nodes[0];
  EXPECT_EQ(conv.op_type, "Conv");
  EXPECT_EQ(conv.outputs[0], "y");
  ASSERT_EQ(conv.inputs.size(), 3u);

  const std::vector<float> x = {0.7f, -1.3f};
  std::vector<float> expected = conv1x1(*original.find_constant("W"), original.find_constant("B"), x);
  for (std::size_t m = 0; m < 3; ++m) {  // ONNX BatchNormalization, written out
    const float scale = original.find_constant("scale")->data<float>()[m];
    const float shift = original.find_constant("shift")->data<float>()[m];
    const float mean = original.find_constant("mean")->data<float>()[m];
    const float var = original.find_constant("var")->data<float>()[m];
    expected[m] = (expected[m] - mean) / std::sqrt(var + 1e-3f) * scale + shift;
  }
  std::vector<float> got = conv1x1(*g.find_constant(conv.inputs[1]), g.find_constant(conv.inputs[2]), x);
  for (std::size_t m = 0; m < 3; ++m) EXPECT_NEAR(got[m], expected[m], 1e-5f) << "channel " << m;
  // The original weights are untouched (another Conv might share them).
  EXPECT_EQ(g.find_constant("W")->data<float>()[0], 0.5f);
}

INSTANTIATE_TEST_SUITE_P(WithAndWithoutBias, FoldBatchNorm, ::testing::Bool());

TEST(FoldBatchNormRules, ConvOutputReadTwiceIsNotFolded) {
  Graph g = conv_bn_graph(true);
  g.outputs.push_back(f32("c", {}));
  Result<int> folded = fold_batchnorm(g);
  ASSERT_TRUE(folded.is_ok());
  EXPECT_EQ(*folded, 0);
  EXPECT_EQ(g.nodes.size(), 2u);
}

TEST(FoldBatchNormRules, NonConstantStatisticsAreNotFolded) {
  Graph g = conv_bn_graph(false);
  g.constants.erase("var");
  g.inputs.push_back(f32("var", {3}));
  Result<int> folded = fold_batchnorm(g);
  ASSERT_TRUE(folded.is_ok());
  EXPECT_EQ(*folded, 0);
}

// ---- activation fusion -------------------------------------------------------------------

Graph conv_then(const Node& activation) {
  Graph g;
  g.inputs = {f32("x", {1, 2, 4, 4})};
  g.outputs = {f32("y", {})};
  g.constants["W"] = Tensor::from_values<float>({2, 2, 1, 1}, {1, 0, 0, 1});
  g.nodes = {make_node("conv", "Conv", {"x", "W"}, {"c"}), activation};
  return g;
}

TEST(FuseActivations, ReluIntoConv) {
  Graph g = conv_then(make_node("relu", "Relu", {"c"}, {"y"}));
  Result<int> fused = fuse_activations(g, test_registry());
  ASSERT_TRUE(fused.is_ok()) << fused.status().to_string();
  EXPECT_EQ(*fused, 1);
  ASSERT_EQ(g.nodes.size(), 1u);
  EXPECT_EQ(g.nodes[0].outputs[0], "y");
  Result<FusedActivation> act = fused_activation_of(g.nodes[0]);
  ASSERT_TRUE(act.is_ok());
  EXPECT_EQ(act->kind, ActivationKind::kRelu);
}

// conv -> c; Sigmoid(c) -> s; Mul -> y, with the Mul's operands in the given order.
Graph conv_then_silu(std::vector<std::string> mul_inputs) {
  Graph g = conv_then(make_node("sigmoid", "Sigmoid", {"c"}, {"s"}));
  g.nodes.push_back(make_node("mul", "Mul", std::move(mul_inputs), {"y"}));
  EXPECT_TRUE(infer_shapes_partially(g, test_registry()).is_ok());
  return g;
}

TEST(FuseSilu, SigmoidTimesItsInputIntoConvEitherOperandOrder) {
  for (const std::vector<std::string>& order : {std::vector<std::string>{"c", "s"}, std::vector<std::string>{"s", "c"}}) {
    Graph g = conv_then_silu(order);
    Result<int> fused = fuse_gated_activations(g, test_registry());
    ASSERT_TRUE(fused.is_ok()) << fused.status().to_string();
    EXPECT_EQ(*fused, 1);
    ASSERT_EQ(g.nodes.size(), 1u);
    EXPECT_EQ(g.nodes[0].outputs[0], "y");
    Result<FusedActivation> act = fused_activation_of(g.nodes[0]);
    ASSERT_TRUE(act.is_ok());
    EXPECT_EQ(act->kind, ActivationKind::kSilu);
    EXPECT_EQ(act->apply(2.0f), 2.0f * (1.0f / (1.0f + std::exp(-2.0f))));
  }
}

TEST(FuseSilu, HardSigmoidTimesItsInputCarriesAlphaAndBeta) {
  Graph g = conv_then(make_node("gate", "HardSigmoid", {"c"}, {"s"}, {{"alpha", 1.0f / 6.0f}}));
  g.nodes.push_back(make_node("mul", "Mul", {"s", "c"}, {"y"}));
  ASSERT_TRUE(infer_shapes_partially(g, test_registry()).is_ok());
  ASSERT_EQ(*fuse_gated_activations(g, test_registry()), 1);
  ASSERT_EQ(g.nodes.size(), 1u);
  Result<FusedActivation> act = fused_activation_of(g.nodes[0]);
  ASSERT_TRUE(act.is_ok());
  EXPECT_EQ(act->kind, ActivationKind::kGatedHardSigmoid);
  EXPECT_EQ(act->alpha, 1.0f / 6.0f);
  EXPECT_EQ(act->beta, 0.5f);  // HardSigmoid's default
  EXPECT_EQ(act->apply(3.0f), 3.0f * std::max(0.0f, std::min(1.0f, (1.0f / 6.0f) * 3.0f + 0.5f)));
}

TEST(FuseSilu, LeavesOtherPatternsAlone) {
  // The Mul is of c and something else.
  Graph other = conv_then_silu({"c", "x"});
  other.nodes.back().inputs = {"s", "x"};
  EXPECT_EQ(*fuse_gated_activations(other, test_registry()), 0);
  // The gate has a second reader.
  Graph gate_read = conv_then_silu({"c", "s"});
  gate_read.nodes.push_back(make_node("relu", "Relu", {"s"}, {"r"}));
  gate_read.outputs.push_back(f32("r", {}));
  EXPECT_EQ(*fuse_gated_activations(gate_read, test_registry()), 0);
  // c has a third reader.
  Graph c_read = conv_then_silu({"c", "s"});
  c_read.nodes.push_back(make_node("relu", "Relu", {"c"}, {"r"}));
  c_read.outputs.push_back(f32("r", {}));
  EXPECT_EQ(*fuse_gated_activations(c_read, test_registry()), 0);
  // c is a graph output.
  Graph c_out = conv_then_silu({"c", "s"});
  c_out.outputs.push_back(f32("c", {}));
  EXPECT_EQ(*fuse_gated_activations(c_out, test_registry()), 0);
  // The producer carries an activation already.
  Graph relu_conv = conv_then_silu({"c", "s"});
  relu_conv.nodes[0].attributes["activation"] = std::string("Relu");
  EXPECT_EQ(*fuse_gated_activations(relu_conv, test_registry()), 0);
  EXPECT_EQ(relu_conv.nodes.size(), 3u);
}

TEST(FuseActivations, ClipBoundsFromConstantsAndAbsentMaxIsInfinity) {
  Graph g = conv_then(make_node("clip", "Clip", {"c", "lo"}, {"y"}));
  g.constants["lo"] = Tensor::from_values<float>({}, {-1.5f});
  ASSERT_EQ(*fuse_activations(g, test_registry()), 1);
  Result<FusedActivation> act = fused_activation_of(g.nodes[0]);
  ASSERT_TRUE(act.is_ok());
  EXPECT_EQ(act->kind, ActivationKind::kClip);
  EXPECT_EQ(act->alpha, -1.5f);
  EXPECT_EQ(act->beta, std::numeric_limits<float>::infinity());
  EXPECT_EQ(act->apply(7.0f), 7.0f);
  EXPECT_EQ(act->apply(-3.0f), -1.5f);

  Graph relu6 = conv_then(make_node("clip", "Clip", {"c", "", "hi"}, {"y"}));
  relu6.constants["hi"] = Tensor::from_values<float>({}, {6.0f});
  ASSERT_EQ(*fuse_activations(relu6, test_registry()), 1);
  act = fused_activation_of(relu6.nodes[0]);
  EXPECT_EQ(act->alpha, -std::numeric_limits<float>::infinity());
  EXPECT_EQ(act->beta, 6.0f);
}

TEST(FuseActivations, ClipWithARunTimeBoundIsNotFused) {
  Graph g = conv_then(make_node("clip", "Clip", {"c", "lo"}, {"y"}));
  g.inputs.push_back(f32("lo", {}));
  EXPECT_EQ(*fuse_activations(g, test_registry()), 0);
  EXPECT_EQ(g.nodes.size(), 2u);
}

TEST(FuseActivations, LeakyReluAndHardSigmoidCarryTheirDefaults) {
  Graph leaky = conv_then(make_node("leaky", "LeakyRelu", {"c"}, {"y"}));
  ASSERT_EQ(*fuse_activations(leaky, test_registry()), 1);
  EXPECT_EQ(fused_activation_of(leaky.nodes[0])->alpha, 0.01f);

  Graph hs = conv_then(make_node("hs", "HardSigmoid", {"c"}, {"y"}, {{"alpha", Attribute(0.25f)}}));
  ASSERT_EQ(*fuse_activations(hs, test_registry()), 1);
  Result<FusedActivation> act = fused_activation_of(hs.nodes[0]);
  EXPECT_EQ(act->alpha, 0.25f);
  EXPECT_EQ(act->beta, 0.5f);
}

TEST(FuseActivations, NotFusedWhenTheValueHasAnotherConsumerOrIsAGraphOutput) {
  Graph two_readers = conv_then(make_node("relu", "Relu", {"c"}, {"y"}));
  two_readers.outputs.push_back(f32("z", {}));
  two_readers.nodes.push_back(make_node("pool", "MaxPool", {"c"}, {"z"}));
  EXPECT_EQ(*fuse_activations(two_readers, test_registry()), 0);

  Graph output = conv_then(make_node("relu", "Relu", {"c"}, {"y"}));
  output.outputs.push_back(f32("c", {}));
  EXPECT_EQ(*fuse_activations(output, test_registry()), 0);
}

TEST(FuseActivations, NotFusedIntoAnOpWithoutTheActivationAttribute) {
  Graph g;
  g.inputs = {f32("x", {1, 2, 4, 4})};
  g.outputs = {f32("y", {})};
  g.nodes = {make_node("pool", "MaxPool", {"x"}, {"p"}), make_node("relu", "Relu", {"p"}, {"y"})};
  EXPECT_EQ(*fuse_activations(g, test_registry()), 0);
}

TEST(FuseActivations, OnlyOneActivationPerNode) {
  Graph g = conv_then(make_node("relu", "Relu", {"c"}, {"r"}));
  g.nodes.push_back(make_node("clip", "Clip", {"r"}, {"y"}));
  EXPECT_EQ(*fuse_activations(g, test_registry()), 1);
  ASSERT_EQ(g.nodes.size(), 2u);
  EXPECT_EQ(g.nodes[0].attr_string("activation", ""), "Relu");
  EXPECT_EQ(g.nodes[1].op_type, "Clip");
  EXPECT_EQ(g.nodes[1].inputs[0], "r");
}

// ---- dead-node removal -------------------------------------------------------------------

TEST(RemoveDeadNodes, BypassesIdentityAndDropoutAndDropsUnusedWork) {
  Graph g;
  g.inputs = {f32("x", {4})};
  g.outputs = {f32("y", {})};
  g.constants["used"] = Tensor::from_values<float>({1}, {1.0f});
  g.constants["unused"] = Tensor::from_values<float>({1}, {2.0f});
  g.nodes = {make_node("id", "Identity", {"x"}, {"x2"}),
             make_node("drop", "Dropout", {"x2"}, {"x3", "mask"}),
             make_node("add", "Add", {"x3", "used"}, {"y"}),
             make_node("dead", "Relu", {"x"}, {"nobody_reads_this"})};
  Result<int> removed = remove_dead_nodes(g);
  ASSERT_TRUE(removed.is_ok()) << removed.status().to_string();
  EXPECT_EQ(*removed, 3);
  ASSERT_EQ(g.nodes.size(), 1u);
  EXPECT_EQ(g.nodes[0].inputs[0], "x");
  EXPECT_TRUE(g.is_constant("used"));
  EXPECT_FALSE(g.is_constant("unused"));
}

TEST(RemoveDeadNodes, IdentityWritingAGraphOutputHandsTheNameToItsProducer) {
  Graph g;
  g.inputs = {f32("x", {4})};
  g.outputs = {f32("y", {}), f32("z", {})};
  g.nodes = {make_node("relu", "Relu", {"x"}, {"r"}), make_node("id", "Identity", {"r"}, {"y"}),
             make_node("add", "Add", {"r", "x"}, {"z"})};
  ASSERT_EQ(*remove_dead_nodes(g), 1);
  ASSERT_EQ(g.nodes.size(), 2u);
  EXPECT_EQ(find_node(g, "relu")->outputs[0], "y");
  EXPECT_EQ(find_node(g, "add")->inputs[0], "y");
}

TEST(RemoveDeadNodes, IdentityFromAGraphInputToAGraphOutputStays) {
  Graph g;
  g.inputs = {f32("x", {4})};
  g.outputs = {f32("y", {})};
  g.nodes = {make_node("id", "Identity", {"x"}, {"y"})};
  ASSERT_EQ(*remove_dead_nodes(g), 0);
  EXPECT_EQ(g.nodes.size(), 1u);
}

TEST(RemoveDeadNodes, DropoutWhoseMaskIsReadStays) {
  Graph g;
  g.inputs = {f32("x", {4})};
  g.outputs = {f32("y", {}), ValueInfo{"mask", DType::kBool, {}}};
  g.nodes = {make_node("drop", "Dropout", {"x"}, {"d", "mask"}), make_node("relu", "Relu", {"d"}, {"y"})};
  ASSERT_EQ(*remove_dead_nodes(g), 0);
  EXPECT_EQ(g.nodes.size(), 2u);
}

TEST(RemoveDeadNodes, TrainingModeDropoutStays) {
  for (bool training : {true, false}) {
    Graph g;
    g.inputs = {f32("x", {4})};
    g.outputs = {f32("y", {})};
    g.constants["ratio"] = Tensor::from_values<float>({}, {0.5f});
    g.constants["training"] = Tensor::from_values<bool>({}, {training});
    g.nodes = {make_node("drop", "Dropout", {"x", "ratio", "training"}, {"d"}), make_node("relu", "Relu", {"d"}, {"y"})};
    ASSERT_EQ(*remove_dead_nodes(g), training ? 0 : 1) << training;
  }
}

TEST(InferShapesPartially, KeepsWhatItCanInfer) {
  Graph g;
  g.inputs = {f32("x", {1, 2, 4, 4})};
  g.outputs = {f32("y", {})};
  g.constants["W"] = Tensor::from_values<float>({2, 2, 1, 1}, {1, 0, 0, 1});
  g.nodes = {make_node("conv", "Conv", {"x", "W"}, {"c"}), make_node("odd", "NoSuchOp", {"c"}, {"o"}),
             make_node("relu", "Relu", {"o"}, {"y"})};
  Result<std::size_t> unknown = infer_shapes_partially(g, test_registry());
  ASSERT_TRUE(unknown.is_ok());
  EXPECT_EQ(*unknown, 2u);
  ASSERT_TRUE(g.value_info.count("c"));
  EXPECT_EQ(g.value_info["c"].shape, Shape({1, 2, 4, 4}));
  EXPECT_FALSE(g.value_info.count("y"));
}

}  // namespace
}  // namespace edgeai
