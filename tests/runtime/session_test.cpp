#include "runtime/session.hpp"

#include <gtest/gtest.h>

#include "../support/allocation_counter.hpp"

#include <cstdlib>


namespace edgeai {
namespace {

Node make_node(std::string op, std::vector<std::string> in, std::vector<std::string> out,
               std::map<std::string, Attribute> attrs = {}) {
  Node n;
  n.name = out.empty() ? op : out[0];
  n.op_type = std::move(op);
  n.inputs = std::move(in);
  n.outputs = std::move(out);
  n.attributes = std::move(attrs);
  return n;
}

// y = Relu(x) + 1 -> Reshape to [6] -> Relu; hand-computed expectations below.
Graph small_graph() {
  Graph g;
  g.name = "small";
  g.inputs = {ValueInfo{"x", DType::kFloat32, {2, 3}}};
  g.outputs = {ValueInfo{"y", DType::kFloat32, {}}};
  g.constants["one"] = Tensor::from_values<float>({1}, {1.0f});
  g.constants["shape"] = Tensor::from_values<std::int64_t>({1}, {6});
  g.nodes = {make_node("Relu", {"x"}, {"a"}), make_node("Add", {"a", "one"}, {"b"}),
             make_node("Reshape", {"b", "shape"}, {"c"}), make_node("Neg", {"c"}, {"d"}),
             make_node("Relu", {"d"}, {"y"})};
  return g;
}

TEST(Session, RunsAndComputesTheGraph) {
  auto session = Session::create(small_graph());
  ASSERT_TRUE(session.is_ok()) << session.status().to_string();
  EXPECT_TRUE((*session)->is_planned());
  Tensor x = Tensor::from_values<float>({2, 3}, {-2, -1, 0, 1, 2, 3});
  auto out = (*session)->run_and_copy({x});
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  ASSERT_EQ(out->size(), 1u);
  EXPECT_EQ((*out)[0].shape(), (Shape{6}));
  // relu(x)+1 = 1 1 1 2 3 4; neg -> all negative; relu -> zeros.
  for (int i = 0; i < 6; ++i) EXPECT_EQ((*out)[0].data<float>()[i], 0.0f);
}

TEST(Session, ReusesBuffersInPlaceAndForViews) {
  auto session = Session::create(small_graph());
  ASSERT_TRUE(session.is_ok()) << session.status().to_string();
  const PlanSummary& plan = (*session)->plan_summary();
  EXPECT_EQ(plan.view_outputs, 1);      // Reshape
  EXPECT_GE(plan.in_place_outputs, 2);  // Neg and the last Relu reuse their input's buffer
  EXPECT_LT(plan.arena_bytes, plan.unplanned_bytes);
}

TEST(Session, RunAllocatesNothingAfterTheFirstRun) {
  auto session = Session::create(small_graph());
  ASSERT_TRUE(session.is_ok());
  Tensor x = Tensor::from_values<float>({2, 3}, {1, 2, 3, 4, 5, 6});
  std::vector<TensorView> views = {x.view()};
  ASSERT_TRUE((*session)->run(views).is_ok());
  // The counter sees allocations (else the assertion below could never fail).
  const long probe = testing::heap_allocations();
  auto* canary = new int(7);
  EXPECT_GT(testing::heap_allocations(), probe);
  delete canary;
  const long before = testing::heap_allocations();
  for (int i = 0; i < 10; ++i) ASSERT_TRUE((*session)->run(views).is_ok());
  EXPECT_EQ(testing::heap_allocations(), before);
}

TEST(Session, WrongInputShapeOrDtypeNamesTheInput) {
  auto session = Session::create(small_graph());
  ASSERT_TRUE(session.is_ok());
  Tensor bad_shape = Tensor::from_values<float>({3, 2}, {1, 2, 3, 4, 5, 6});
  Status s = (*session)->run(std::vector<TensorView>{bad_shape.view()});
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "input 'x': expected shape [2,3], got [3,2]");
  Tensor bad_dtype = Tensor::from_values<std::int64_t>({2, 3}, {1, 2, 3, 4, 5, 6});
  s = (*session)->run(std::vector<TensorView>{bad_dtype.view()});
  EXPECT_EQ(s.message(), "input 'x': expected dtype float32, got int64");
  s = (*session)->run(std::vector<TensorView>{});
  EXPECT_EQ(s.message(), "the model takes 1 input(s), got 0");
}

TEST(Session, PlansAtFirstRunWhenShapesDependOnInputs) {
  // The target shape comes in as a graph input, as in the ONNX node tests.
  Graph g;
  g.inputs = {ValueInfo{"x", DType::kFloat32, {kUnknownDim, 4}}, ValueInfo{"shape", DType::kInt64, {2}}};
  g.outputs = {ValueInfo{"y", DType::kFloat32, {}}};
  g.nodes = {make_node("Reshape", {"x", "shape"}, {"r"}), make_node("Relu", {"r"}, {"y"})};
  auto session = Session::create(std::move(g));
  ASSERT_TRUE(session.is_ok()) << session.status().to_string();
  EXPECT_FALSE((*session)->is_planned());
  Tensor x = Tensor::from_values<float>({2, 4}, {-1, 2, -3, 4, -5, 6, -7, 8});
  Tensor s1 = Tensor::from_values<std::int64_t>({2}, {4, 2});
  auto out = (*session)->run_and_copy({x, s1});
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  EXPECT_EQ((*out)[0].shape(), (Shape{4, 2}));
  EXPECT_EQ((*out)[0].data<float>()[3], 4.0f);
  Tensor s2 = Tensor::from_values<std::int64_t>({2}, {1, 8});
  out = (*session)->run_and_copy({x, s2});
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  EXPECT_EQ((*out)[0].shape(), (Shape{1, 8}));
  EXPECT_EQ((*out)[0].data<float>()[7], 8.0f);
  EXPECT_EQ((*out)[0].data<float>()[6], 0.0f);
}

TEST(Session, UnknownOperatorIsRefusedAtCreate) {
  Graph g;
  g.inputs = {ValueInfo{"x", DType::kFloat32, {1}}};
  g.outputs = {ValueInfo{"y", DType::kFloat32, {}}};
  g.nodes = {make_node("LSTM", {"x"}, {"y"})};
  auto session = Session::create(std::move(g));
  ASSERT_FALSE(session.is_ok());
  EXPECT_EQ(session.status().message(), "operator LSTM (node 'y') is not supported");
}

TEST(Session, DanglingInputIsRefusedAtCreate) {
  Graph g;
  g.inputs = {ValueInfo{"x", DType::kFloat32, {1}}};
  g.outputs = {ValueInfo{"y", DType::kFloat32, {}}};
  g.nodes = {make_node("Add", {"x", "nowhere"}, {"y"})};
  auto session = Session::create(std::move(g));
  ASSERT_FALSE(session.is_ok());
  EXPECT_NE(session.status().message().find("'nowhere'"), std::string::npos);
  EXPECT_NE(session.status().message().find("dangling"), std::string::npos);
}

}  // namespace
}  // namespace edgeai
