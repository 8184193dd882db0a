// Validation and topological sorting of the IR, with a test-local schema registry so the
// messages checked here do not depend on the built-in operator families.
#include "graph/validate.hpp"

#include <gtest/gtest.h>

namespace edgeai {
namespace {

Status same_as_input0(const InferenceContext& ctx, std::vector<ValueInfo>& outputs) {
  for (ValueInfo& out : outputs) {
    out.dtype = ctx.input(0).dtype;
    out.shape = ctx.input(0).shape;
  }
  for (std::size_t i = 1; i < ctx.inputs.size(); ++i) {
    if (ctx.has_input(i) && ctx.input(i).shape != ctx.input(0).shape) {
      return invalid_argument(ctx.node.describe(), ": shape mismatch, ", shape_to_string(ctx.input(0).shape), " vs ",
                              shape_to_string(ctx.input(i).shape));
    }
  }
  return Status::ok();
}

OpSchemaRegistry test_registry() {
  OpSchemaRegistry r;
  r.add(OpSchema{"Unary", 1, 1, 1, 1, {{"alpha", AttrType::kFloat, false}}, same_as_input0, {}});
  r.add(OpSchema{"Binary", 2, 2, 1, 1, {}, same_as_input0, {}});
  r.add(OpSchema{"Needs", 1, 1, 1, 1, {{"axis", AttrType::kInt, true}}, same_as_input0, {}});
  return r;
}

Node node(std::string name, std::string op, std::vector<std::string> in, std::vector<std::string> out) {
  Node n;
  n.name = std::move(name);
  n.op_type = std::move(op);
  n.inputs = std::move(in);
  n.outputs = std::move(out);
  return n;
}

Graph chain() {
  Graph g;
  g.inputs = {ValueInfo{"x", DType::kFloat32, {2, 3}}};
  g.outputs = {ValueInfo{"z", DType::kFloat32, {2, 3}}};
  // Deliberately out of order: z needs y, y needs x.
  g.nodes = {node("second", "Binary", {"y", "x"}, {"z"}), node("first", "Unary", {"x"}, {"y"})};
  return g;
}

TEST(Validate, SortsTopologicallyAndInfersShapes) {
  Graph g = chain();
  ASSERT_TRUE(validate_graph(g, test_registry()).is_ok());
  EXPECT_EQ(g.nodes[0].name, "first");
  EXPECT_EQ(g.nodes[1].name, "second");
  EXPECT_EQ(g.value_info.at("y").shape, (Shape{2, 3}));
}

TEST(Validate, NamesADanglingInput) {
  Graph g = chain();
  g.nodes[0].inputs[1] = "ghost";
  Status s = validate_graph(g, test_registry());
  EXPECT_EQ(s.message(),
            "Binary 'second' reads 'ghost', which is not a graph input, a constant, or any node's output (dangling "
            "input)");
}

TEST(Validate, NamesACycle) {
  Graph g = chain();
  g.nodes[1].inputs[0] = "z";  // first reads z, second reads y: a loop
  Status s = validate_graph(g, test_registry());
  EXPECT_NE(s.message().find("cycle"), std::string::npos) << s.message();
}

TEST(Validate, NamesAWrongAttributeType) {
  Graph g = chain();
  g.nodes[1].attributes["alpha"] = Attribute(std::int64_t{3});
  Status s = validate_graph(g, test_registry());
  EXPECT_EQ(s.message(), "Unary 'first': attribute 'alpha' must be of type float, got int");
}

TEST(Validate, NamesAMissingRequiredAttribute) {
  Graph g = chain();
  g.nodes[1].op_type = "Needs";
  Status s = validate_graph(g, test_registry());
  EXPECT_EQ(s.message(), "Needs 'first': required attribute 'axis' is missing");
}

TEST(Validate, NamesAShapeMismatch) {
  Graph g = chain();
  g.constants["w"] = Tensor::from_values<float>({3}, {1, 2, 3});
  g.nodes[0].inputs[1] = "w";
  Status s = validate_graph(g, test_registry());
  EXPECT_EQ(s.message(), "Binary 'second': shape mismatch, [2,3] vs [3]");
}

TEST(Validate, NamesADeclaredOutputShapeThatDisagrees) {
  Graph g = chain();
  g.outputs[0].shape = {3, 2};
  Status s = validate_graph(g, test_registry());
  EXPECT_EQ(s.message(), "shape mismatch: graph output 'z' is declared [3,2] but computes [2,3]");
}

TEST(Validate, NamesAnUnknownOperatorAndWrongInputCount) {
  Graph g = chain();
  g.nodes[1].op_type = "Mystery";
  EXPECT_EQ(validate_graph(g, test_registry()).message(), "operator Mystery (node 'first') is not supported");
  g = chain();
  g.nodes[0].inputs.push_back("x");
  EXPECT_EQ(validate_graph(g, test_registry()).message(), "Binary 'second' has 3 inputs; Binary takes 2");
}

}  // namespace
}  // namespace edgeai
