// The layout pass (graph/passes/passes.hpp, plan_channels_last) and the session's use of it:
// a graph with the layout-agnostic nodes the pass moves Transposes through (Relu, Add of two
// branches, Mul by a per-channel constant and by an (N, C, 1, 1) squeeze-excite scale, Concat)
// and layout-bound ones it must stop at (Reshape, a 3-D Conv). Under the reference kernels the
// rewritten graph gives bitwise the original's outputs; the rewrite leaves only the Transposes
// it must; the session with this CPU's channels-last kernels agrees with the channels-first
// plan; EDGEAI_KERNELS=reference plans no channels-last node. Also the session's other load-time
// rewrite, SiLU fusion: bitwise the unfused Sigmoid and Mul.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <span>

#include "graph/layout.hpp"
#include "graph/passes/passes.hpp"
#include "kernels/registry.hpp"
#include "runtime/session.hpp"

namespace edgeai {
namespace {

Node make_node(std::string op, std::vector<std::string> in, std::vector<std::string> out,
               std::map<std::string, Attribute> attrs = {}) {
  Node n;
  n.name = out[0];
  n.op_type = std::move(op);
  n.inputs = std::move(in);
  n.outputs = std::move(out);
  n.attributes = std::move(attrs);
  return n;
}

Tensor random_tensor(Shape shape, std::mt19937& rng) {
  std::int64_t n = 1;
  for (std::int64_t d : shape) n *= d;
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> v(static_cast<std::size_t>(n));
  for (float& x : v) x = dist(rng);
  return Tensor::from_vector<float>(std::move(shape), v);
}

// x (1, 3, 13, 11) -> stem conv 3x3 s2 + Relu -> [depthwise 3x3 -> 1x1] + stem (residual Add)
// -> MaxPool 2x2 -> Concat(1x1 conv, 3x3 conv) on channels -> Mul by a (C, 1, 1) constant ->
// squeeze-excite (GAP -> 1x1 conv -> Sigmoid -> Mul) -> two outputs: GAP -> Flatten -> Gemm,
// and Reshape to 5-D -> 3-D Conv (layout-bound: reads channels-first bytes).
Graph layout_graph(std::mt19937& rng) {
  Graph g;
  g.name = "layout";
  g.inputs = {ValueInfo{"x", DType::kFloat32, {1, 3, 13, 11}}};
  g.outputs = {ValueInfo{"logits", DType::kFloat32, {}}, ValueInfo{"volume", DType::kFloat32, {}}};
  g.constants["w_stem"] = random_tensor({8, 3, 3, 3}, rng);
  g.constants["b_stem"] = random_tensor({8}, rng);
  g.constants["w_dw"] = random_tensor({8, 1, 3, 3}, rng);
  g.constants["w_pw"] = random_tensor({8, 8, 1, 1}, rng);
  g.constants["w_a"] = random_tensor({5, 8, 1, 1}, rng);
  g.constants["w_b"] = random_tensor({6, 8, 3, 3}, rng);
  g.constants["scale"] = random_tensor({11, 1, 1}, rng);
  g.constants["w_se"] = random_tensor({11, 11, 1, 1}, rng);
  g.constants["w_fc"] = random_tensor({11, 4}, rng);
  g.constants["flat5"] = Tensor::from_values<std::int64_t>({5}, {1, 11, 3, 3, 1});
  g.constants["w_3d"] = random_tensor({2, 11, 2, 2, 1}, rng);
  const auto ints = [](std::vector<std::int64_t> v) { return Attribute(std::move(v)); };
  g.nodes = {
      make_node("Conv", {"x", "w_stem", "b_stem"}, {"stem"}, {{"strides", ints({2, 2})}, {"pads", ints({1, 1, 1, 1})}}),
      make_node("Relu", {"stem"}, {"stem_relu"}),
      make_node("Conv", {"stem_relu", "w_dw"}, {"dw"}, {{"group", std::int64_t{8}}, {"pads", ints({1, 1, 1, 1})}}),
      make_node("Conv", {"dw", "w_pw"}, {"pw"}, {{"activation", std::string("Relu")}}),
      make_node("Add", {"pw", "stem_relu"}, {"res"}),
      make_node("MaxPool", {"res"}, {"pool"}, {{"kernel_shape", ints({2, 2})}, {"strides", ints({2, 2})}}),
      make_node("Conv", {"pool", "w_a"}, {"a"}),
      make_node("Conv", {"pool", "w_b"}, {"b"}, {{"pads", ints({1, 1, 1, 1})}}),
      make_node("Concat", {"a", "b"}, {"cat"}, {{"axis", std::int64_t{1}}}),
      make_node("Mul", {"cat", "scale"}, {"scaled"}),
      make_node("GlobalAveragePool", {"scaled"}, {"squeeze"}),
      make_node("Conv", {"squeeze", "w_se"}, {"excite"}),
      make_node("Sigmoid", {"excite"}, {"gate"}),
      make_node("Mul", {"scaled", "gate"}, {"gated"}),
      make_node("GlobalAveragePool", {"gated"}, {"pooled"}),
      make_node("Flatten", {"pooled"}, {"flat"}),
      make_node("MatMul", {"flat", "w_fc"}, {"logits"}),
      make_node("Reshape", {"gated", "flat5"}, {"r5"}),
      make_node("Conv", {"r5", "w_3d"}, {"volume"}),
  };
  return g;
}

int count(const Graph& g, std::string_view op) {
  int n = 0;
  for (const Node& node : g.nodes) n += node.op_type == op ? 1 : 0;
  return n;
}

Result<std::vector<Tensor>> run(Graph graph, const Tensor& x, KernelSelection kernels, bool plan_layout,
                                int* channels_last_nodes = nullptr) {
  SessionOptions options;
  options.kernels = kernels;
  options.plan_layout = plan_layout;
  EDGEAI_ASSIGN_OR_RETURN(std::unique_ptr<Session> session, Session::create(std::move(graph), options));
  if (channels_last_nodes != nullptr) *channels_last_nodes = session->plan_summary().channels_last_nodes;
  return session->run_and_copy({x});
}

TEST(LayoutPass, SameOutputsBitForBitUnderTheReferenceKernels) {
  std::mt19937 rng(5);
  const Graph original = layout_graph(rng);
  const Tensor x = random_tensor({1, 3, 13, 11}, rng);
  Graph rewritten = original;
  auto converted = plan_channels_last(rewritten, [](const Node&, const std::vector<ValueInfo>&) { return true; });
  ASSERT_TRUE(converted.is_ok()) << converted.status().to_string();
  // 6 2-D Convs, the MaxPool and 2 GlobalAveragePools; the 3-D Conv has no rank-4 X.
  EXPECT_EQ(*converted, 9);
  // Transposes left: x into the stem; the Reshape's channels-first bytes; the (1, 1, 1, C)
  // pooled value before Flatten moves no bytes and became a Reshape. Everything between
  // (Relu, Add, Concat, the constant and squeeze-excite Muls) stays channels-last.
  EXPECT_EQ(count(rewritten, "Transpose"), 2) << "stem input and before the 5-D Reshape";
  int channels_last = 0;
  for (const Node& node : rewritten.nodes) {
    channels_last += is_channels_last(node) ? 1 : 0;
    if (node.op_type == "Concat") {
      EXPECT_EQ(node.attr_int("axis", 1), 3);
    }
  }
  EXPECT_EQ(channels_last, 9);

  auto want = run(original, x, KernelSelection::kReference, false);
  auto got = run(rewritten, x, KernelSelection::kReference, false);
  ASSERT_TRUE(want.is_ok()) << want.status().to_string();
  ASSERT_TRUE(got.is_ok()) << got.status().to_string();
  ASSERT_EQ(want->size(), 2u);
  for (std::size_t k = 0; k < want->size(); ++k) {
    const Tensor& w = (*want)[k];
    const Tensor& r = (*got)[k];
    ASSERT_EQ(r.shape(), w.shape());
    for (std::int64_t i = 0; i < w.num_elements(); ++i) ASSERT_EQ(r.data<float>()[i], w.data<float>()[i]) << k << " " << i;
  }
}

// ShuffleNet v2's unit: channel shuffle (Reshape, Transpose (0, 2, 1, 3, 4), Reshape) and a
// channel split by two Slices (one with constant axes, one with default ones), then Concat.
TEST(LayoutPass, ChannelShuffleAndSlicesStayChannelsLast) {
  std::mt19937 rng(9);
  Graph g;
  g.name = "shuffle";
  g.inputs = {ValueInfo{"x", DType::kFloat32, {1, 3, 6, 7}}};
  g.outputs = {ValueInfo{"y", DType::kFloat32, {}}};
  g.constants["w0"] = random_tensor({8, 3, 1, 1}, rng);
  g.constants["w1"] = random_tensor({4, 4, 3, 3}, rng);
  g.constants["grouped"] = Tensor::from_values<std::int64_t>({5}, {1, 2, 4, 6, 7});
  g.constants["merged"] = Tensor::from_values<std::int64_t>({4}, {1, 8, 6, 7});
  g.constants["zero4"] = Tensor::from_values<std::int64_t>({4}, {0, 0, 0, 0});
  g.constants["first_half"] = Tensor::from_values<std::int64_t>({4}, {1, 4, 6, 7});
  g.constants["four"] = Tensor::from_values<std::int64_t>({1}, {4});
  g.constants["eight"] = Tensor::from_values<std::int64_t>({1}, {8});
  g.constants["axis1"] = Tensor::from_values<std::int64_t>({1}, {1});
  const auto ints = [](std::vector<std::int64_t> v) { return Attribute(std::move(v)); };
  g.nodes = {
      make_node("Conv", {"x", "w0"}, {"c"}),
      make_node("Reshape", {"c", "grouped"}, {"r5"}),
      make_node("Transpose", {"r5"}, {"t5"}, {{"perm", ints({0, 2, 1, 3, 4})}}),
      make_node("Reshape", {"t5", "merged"}, {"shuffled"}),
      make_node("Slice", {"shuffled", "zero4", "first_half"}, {"left"}),
      make_node("Slice", {"shuffled", "four", "eight", "axis1"}, {"right"}),
      make_node("Conv", {"right", "w1"}, {"right_conv"}, {{"pads", ints({1, 1, 1, 1})}}),
      make_node("Concat", {"left", "right_conv"}, {"y"}, {{"axis", std::int64_t{1}}}),
  };
  const Tensor x = random_tensor({1, 3, 6, 7}, rng);
  Graph rewritten = g;
  auto converted = plan_channels_last(rewritten, [](const Node&, const std::vector<ValueInfo>&) { return true; });
  ASSERT_TRUE(converted.is_ok()) << converted.status().to_string();
  EXPECT_EQ(*converted, 2);
  // Into the first Conv, the shuffle's own (now a swap of the last two axes), and out at y.
  EXPECT_EQ(count(rewritten, "Transpose"), 3);
  for (const Node& node : rewritten.nodes) {
    if (node.op_type == "Transpose" && node.attr_ints("perm").size() == 5) {
      EXPECT_EQ(node.attr_ints("perm"), (std::vector<std::int64_t>{0, 1, 2, 4, 3}));
    }
  }
  auto want = run(g, x, KernelSelection::kReference, false);
  auto got = run(rewritten, x, KernelSelection::kReference, false);
  auto fast = run(g, x, KernelSelection::kAuto, true);
  ASSERT_TRUE(want.is_ok() && got.is_ok() && fast.is_ok()) << got.status().to_string();
  ASSERT_EQ((*got)[0].shape(), (*want)[0].shape());
  for (std::int64_t i = 0; i < (*want)[0].num_elements(); ++i) {
    ASSERT_EQ((*got)[0].data<float>()[i], (*want)[0].data<float>()[i]) << i;
    ASSERT_NEAR((*fast)[0].data<float>()[i], (*want)[0].data<float>()[i], 1e-4f) << i;
  }
}

TEST(LayoutPass, NodesThePredicateDeclinesStayChannelsFirst) {
  std::mt19937 rng(6);
  Graph graph = layout_graph(rng);
  const Graph original = graph;
  auto converted = plan_channels_last(graph, [](const Node& node, const std::vector<ValueInfo>& inputs) {
    EXPECT_EQ(inputs[0].shape.size(), 4u);  // asked with the channels-first types
    return node.op_type == "MaxPool";
  });
  ASSERT_TRUE(converted.is_ok()) << converted.status().to_string();
  EXPECT_EQ(*converted, 1);
  // One island: into the MaxPool and back out (its two readers share the one Transpose back).
  EXPECT_EQ(count(graph, "Transpose"), 2);
  auto none = plan_channels_last(graph = original, [](const Node&, const std::vector<ValueInfo>&) { return false; });
  ASSERT_TRUE(none.is_ok());
  EXPECT_EQ(*none, 0);
  EXPECT_EQ(graph.nodes.size(), original.nodes.size());
}

TEST(LayoutPass, SessionWithChannelsLastKernelsAgreesWithTheChannelsFirstPlan) {
  std::mt19937 rng(7);
  const Graph graph = layout_graph(rng);
  const Tensor x = random_tensor({1, 3, 13, 11}, rng);
  int planned = -1, reference_planned = -1;
  auto first = run(graph, x, KernelSelection::kAuto, false);
  auto last = run(graph, x, KernelSelection::kAuto, true, &planned);
  auto reference = run(graph, x, KernelSelection::kReference, true, &reference_planned);
  ASSERT_TRUE(first.is_ok() && last.is_ok() && reference.is_ok());
  EXPECT_EQ(reference_planned, 0) << "the reference kernels keep the model's layout";
  bool has_kernels = false;
  for (const KernelImplementation* k : KernelRegistry::builtin().candidates("Conv", KernelSelection::kAuto)) {
    has_kernels = has_kernels || k->runs_channels_last != nullptr;
  }
  EXPECT_EQ(planned, has_kernels ? 9 : 0);
  for (std::size_t k = 0; k < first->size(); ++k) {
    const Tensor& w = (*reference)[k];
    for (std::int64_t i = 0; i < w.num_elements(); ++i) {
      EXPECT_NEAR((*last)[k].data<float>()[i], w.data<float>()[i], 1e-4f) << k << " " << i;
      EXPECT_NEAR((*first)[k].data<float>()[i], w.data<float>()[i], 1e-4f) << k << " " << i;
    }
  }
}

// Concat along channels of (1x1 conv, 3x3 conv (Winograd), MaxPool, 1x1 conv that is also a
// graph output), then a 1x1 conv (the Concat inside a channels-last island): with this CPU's kernels the two convs read
// only by the Concat write their slices of its output in place; the MaxPool's and the shared conv's outputs are copied.
// The outputs agree with the reference kernels, and a Concat along another axis copies all.
TEST(SessionConcatSlices, ProducersWriteTheirSlicesInPlace) {
  std::mt19937 rng(9);
  for (const std::int64_t axis : {std::int64_t{1}, std::int64_t{2}}) {
    SCOPED_TRACE(axis);
    Graph g;
    g.name = "concat";
    g.inputs = {ValueInfo{"x", DType::kFloat32, {1, 16, 9, 7}}};
    g.outputs = {ValueInfo{"y", DType::kFloat32, {}}, ValueInfo{"d", DType::kFloat32, {}}};
    g.constants["w_a"] = random_tensor({16, 16, 1, 1}, rng);
    g.constants["w_b"] = random_tensor({16, 16, 3, 3}, rng);
    g.constants["w_d"] = random_tensor({16, 16, 1, 1}, rng);
    g.constants["w_e"] = random_tensor({8, axis == 1 ? 64 : 16, 1, 1}, rng);
    const Attribute same(std::vector<std::int64_t>{1, 1, 1, 1});
    g.nodes = {make_node("Conv", {"x", "w_a"}, {"a"}, {{"activation", Attribute(std::string("Relu"))}}),
               make_node("Conv", {"x", "w_b"}, {"b"}, {{"pads", same}}),
               make_node("MaxPool", {"x"}, {"r"},
                         {{"kernel_shape", Attribute(std::vector<std::int64_t>{3, 3})}, {"pads", same}}),
               make_node("Conv", {"x", "w_d"}, {"d"}),
               make_node("Concat", {"a", "b", "r", "d"}, {"cat"}, {{"axis", Attribute(axis)}}),
               make_node("Conv", {"cat", "w_e"}, {"y"})};
    const Tensor x = random_tensor({1, 16, 9, 7}, rng);
    SessionOptions options;
    options.kernels = KernelSelection::kAuto;
    auto session = Session::create(g, options);
    ASSERT_TRUE(session.is_ok()) << session.status().to_string();
    bool has_kernels = false;
    for (const KernelImplementation* k : KernelRegistry::builtin().candidates("Conv", KernelSelection::kAuto)) {
      has_kernels = has_kernels || k->runs_channels_last != nullptr;
    }
    EXPECT_EQ((*session)->plan_summary().concat_slices, has_kernels && axis == 1 ? 2 : 0);
    auto got = (*session)->run_and_copy({x});
    auto want = run(g, x, KernelSelection::kReference, true);
    ASSERT_TRUE(got.is_ok() && want.is_ok()) << got.status().to_string();
    for (std::size_t k = 0; k < want->size(); ++k) {
      ASSERT_EQ((*got)[k].shape(), (*want)[k].shape());
      for (std::int64_t i = 0; i < (*want)[k].num_elements(); ++i) {
        ASSERT_NEAR((*got)[k].data<float>()[i], (*want)[k].data<float>()[i], 1e-4f) << k << " " << i;
      }
    }
    // A second run over the same arena gives the same bytes (nothing stale is left to skip).
    auto again = (*session)->run_and_copy({x});
    ASSERT_TRUE(again.is_ok());
    EXPECT_EQ(std::memcmp((*again)[0].raw_data(), (*got)[0].raw_data(), (*got)[0].size_bytes()), 0);
  }
}

TEST(SessionSiluFusion, FusedEpilogueIsBitwiseTheGateAndMul) {
  for (const char* gate : {"Sigmoid", "HardSigmoid"}) {
    SCOPED_TRACE(gate);
    std::mt19937 rng(8);
    Graph fused;
    fused.name = "silu";
    fused.inputs = {ValueInfo{"x", DType::kFloat32, {1, 4, 6, 5}}};
    fused.outputs = {ValueInfo{"y", DType::kFloat32, {}}};
    fused.constants["w"] = random_tensor({6, 4, 3, 3}, rng);
    fused.nodes = {make_node("Conv", {"x", "w"}, {"c"}, {{"pads", Attribute(std::vector<std::int64_t>{1, 1, 1, 1})}}),
                   make_node(gate, {"c"}, {"s"}), make_node("Mul", {"s", "c"}, {"y"})};
    if (std::string(gate) == "HardSigmoid") fused.nodes[1].attributes["alpha"] = Attribute(1.0f / 6.0f);
    // The same graph with c also an output: nothing may be fused.
    Graph unfused = fused;
    unfused.outputs.push_back(ValueInfo{"c", DType::kFloat32, {}});
    Tensor x = random_tensor({1, 4, 6, 5}, rng);
    for (float& v : std::span<float>(x.data<float>(), static_cast<std::size_t>(x.num_elements()))) v *= 30.0f;
    for (KernelSelection kernels : {KernelSelection::kReference, KernelSelection::kAuto}) {
      SessionOptions options;
      options.kernels = kernels;
      auto one = Session::create(fused, options);
      auto three = Session::create(unfused, options);
      ASSERT_TRUE(one.is_ok() && three.is_ok());
      int ops = 0;
      for (const OperatorProfile& p : (*one)->profile()) ops += p.op_type == gate || p.op_type == "Mul" ? 1 : 0;
      EXPECT_EQ(ops, 0) << "the gate and Mul fused into the Conv";
      auto want = (*three)->run_and_copy({x});
      auto got = (*one)->run_and_copy({x});
      ASSERT_TRUE(want.is_ok() && got.is_ok());
      for (std::int64_t i = 0; i < (*want)[0].num_elements(); ++i) {
        const float w = (*want)[0].data<float>()[i], g = (*got)[0].data<float>()[i];
        if (kernels == KernelSelection::kReference) {
          ASSERT_EQ(g, w) << i;
        } else {
          ASSERT_NEAR(g, w, 1e-5f * (std::fabs(w) + 1.0f)) << i;
        }
      }
    }
  }
}

}  // namespace
}  // namespace edgeai
