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

namespace edgeai {
namespace {

// A 2-D 3x3 Conv (optimised kernels take it) followed by a 3-D Conv (they decline it: the
// reference runs it), with constant weights.
Graph conv_graph() {
  Graph g;
  g.name = "convs";
  g.inputs = {ValueInfo{"x", DType::kFloat32, {1, 3, 9, 9}}};
  g.outputs = {ValueInfo{"y", DType::kFloat32, {}}};
  std::vector<float> w(4 * 3 * 9), w1(2 * 4 * 3 * 3 * 3), b(4);
  for (std::size_t i = 0; i < w.size(); ++i) w[i] = static_cast<float>((i * 7) % 11) / 11.0f - 0.4f;
  for (std::size_t i = 0; i < w1.size(); ++i) w1[i] = static_cast<float>((i * 5) % 7) / 7.0f - 0.5f;
  for (std::size_t i = 0; i < b.size(); ++i) b[i] = 0.1f * static_cast<float>(i);
  g.constants["w"] = Tensor::from_vector<float>({4, 3, 3, 3}, w);
  g.constants["b"] = Tensor::from_vector<float>({4}, b);
  g.constants["w1"] = Tensor::from_vector<float>({2, 4, 3, 3, 3}, w1);
  g.constants["flat"] = Tensor::from_values<std::int64_t>({5}, {1, 4, 9, 9, 1});
  g.nodes = {make_node("Conv", {"x", "w", "b"}, {"c"}, {{"pads", std::vector<std::int64_t>{1, 1, 1, 1}},
                                                         {"activation", std::string("Relu")}}),
             make_node("Reshape", {"c", "flat"}, {"r"}),
             make_node("Conv", {"r", "w1"}, {"y"}, {{"pads", std::vector<std::int64_t>{0, 0, 1, 0, 0, 1}}})};
  return g;
}

Tensor conv_input() {
  std::vector<float> x(3 * 81);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>((i * 13) % 17) / 17.0f - 0.3f;
  return Tensor::from_vector<float>({1, 3, 9, 9}, x);
}

TEST(SessionKernels, PicksOptimisedKernelsAndFallsBackToTheReference) {
  SessionOptions reference_only;
  reference_only.kernels = KernelSelection::kReference;
  auto reference = Session::create(conv_graph(), reference_only);
  ASSERT_TRUE(reference.is_ok()) << reference.status().to_string();
  for (const OperatorProfile& p : (*reference)->profile()) {
    if (p.op_type == "Conv") {
      EXPECT_EQ(p.implementation, "reference");
    }
  }
  SessionOptions automatic;
  automatic.kernels = KernelSelection::kAuto;
  automatic.threads = 2;
  auto fast = Session::create(conv_graph(), automatic);
  ASSERT_TRUE(fast.is_ok()) << fast.status().to_string();
#if defined(EDGEAI_SINGLE_THREAD)
  EXPECT_EQ((*fast)->threads(), 1);
#else
  EXPECT_EQ((*fast)->threads(), 2);
#endif
  // The Convs in plan order (the layout pass may have added Transposes around the 2-D one).
  std::vector<std::string> conv_kernels;
  for (const OperatorProfile& p : (*fast)->profile()) {
    if (p.op_type == "Conv") conv_kernels.push_back(p.implementation);
  }
  ASSERT_EQ(conv_kernels.size(), 2u);
  const bool has_optimised = KernelRegistry::builtin().candidates("Conv", KernelSelection::kAuto).size() > 1;
  if (has_optimised) {
    EXPECT_NE(conv_kernels[0], "reference");
  }
  EXPECT_EQ(conv_kernels[1], "reference");  // the 3-D Conv is declined

  Tensor x = conv_input();
  auto want = (*reference)->run_and_copy({x});
  auto got = (*fast)->run_and_copy({x});
  ASSERT_TRUE(want.is_ok() && got.is_ok());
  ASSERT_EQ((*got)[0].shape(), (Shape{1, 2, 7, 7, 1}));
  for (std::int64_t i = 0; i < (*want)[0].num_elements(); ++i) {
    EXPECT_NEAR((*got)[0].data<float>()[i], (*want)[0].data<float>()[i], 1e-5f);
  }
  // Threaded optimised kernels allocate nothing while running either.
  std::vector<TensorView> views = {x.view()};
  ASSERT_TRUE((*fast)->run(views).is_ok());
  const long before = testing::heap_allocations();
  for (int i = 0; i < 10; ++i) ASSERT_TRUE((*fast)->run(views).is_ok());
  EXPECT_EQ(testing::heap_allocations(), before);
}

TEST(SessionKernels, EnvironmentChoosesTheReferenceAndRejectsNonsense) {
  ASSERT_EQ(setenv("EDGEAI_KERNELS", "reference", 1), 0);
  auto reference = Session::create(conv_graph());
  ASSERT_TRUE(reference.is_ok()) << reference.status().to_string();
  EXPECT_EQ((*reference)->profile()[0].implementation, "reference");

  ASSERT_EQ(setenv("EDGEAI_KERNELS", "fastest", 1), 0);
  auto bad = Session::create(conv_graph());
  ASSERT_FALSE(bad.is_ok());
  EXPECT_NE(bad.status().message().find("EDGEAI_KERNELS='fastest'"), std::string::npos) << bad.status().to_string();
  EXPECT_NE(bad.status().message().find("reference"), std::string::npos);
  unsetenv("EDGEAI_KERNELS");

  SessionOptions zero_threads;
  zero_threads.threads = 0;
  auto refused = Session::create(conv_graph(), zero_threads);
  ASSERT_FALSE(refused.is_ok());
  EXPECT_NE(refused.status().message().find("threads"), std::string::npos);
}

}  // namespace
}  // namespace edgeai
