#include "compress/prune.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "compress/compress.hpp"
#include "format/bundle.hpp"
#include "model_fixtures.hpp"
#include "runtime/session.hpp"

namespace edgeai {
namespace {

Node node(std::string name, std::string op, std::vector<std::string> in, std::vector<std::string> out,
          std::map<std::string, Attribute> attrs = {}) {
  Node n = testing::make_node(std::move(op), std::move(in), std::move(out), std::move(attrs));
  n.name = std::move(name);
  return n;
}

std::vector<float> values(const Tensor& t) {
  return std::vector<float>(t.data<float>(), t.data<float>() + t.num_elements());
}

std::vector<std::int64_t> zero_positions(const Tensor& t) {
  std::vector<std::int64_t> out;
  for (std::int64_t i = 0; i < t.num_elements(); ++i) {
    if (t.data<float>()[i] == 0.0f) out.push_back(i);
  }
  return out;
}

const PrunedLayer& layer(const PruneResult& r, const std::string& name) {
  for (const PrunedLayer& l : r.layers) {
    if (l.node == name) return l;
  }
  ADD_FAILURE() << "no layer " << name;
  static const PrunedLayer none;
  return none;
}

// x [1,4] -> Gemm (W1 [3,4], transB) -> MatMul (W2 [3,2]) -> y. W1's magnitudes, by index:
//   0.5 0.1 0.3 0.7 | 0.2 0.9 0.2 0.05 | 0.4 0.6 0.1 0.8   (ties: 1 and 10 at 0.1, 4 and 6 at 0.2)
// W2 is ten times smaller than anything in W1 but 0.055 > 0.05.
Graph two_layers() {
  Graph g;
  g.name = "two_layers";
  g.inputs = {ValueInfo{"x", DType::kFloat32, {1, 4}}};
  g.outputs = {ValueInfo{"y", DType::kFloat32, {}}};
  g.constants["w1"] = Tensor::from_values<float>(
      {3, 4}, {0.5f, -0.1f, 0.3f, -0.7f, 0.2f, 0.9f, -0.2f, 0.05f, -0.4f, 0.6f, 0.1f, -0.8f});
  g.constants["b1"] = Tensor::from_values<float>({3}, {0.01f, -0.02f, 0.0f});
  g.constants["w2"] = Tensor::from_values<float>({3, 2}, {0.015f, -0.035f, 0.025f, 0.045f, -0.005f, 0.055f});
  g.nodes = {node("fc1", "Gemm", {"x", "w1", "b1"}, {"h"}, {{"transB", 1}}), node("mm", "MatMul", {"h", "w2"}, {"y"})};
  if (!validate_graph(g).is_ok()) std::abort();
  return g;
}

TEST(PruneUnstructured, PerLayerZeroesExactlyTheSmallestMagnitudes) {
  const Graph g = two_layers();
  auto r = prune_unstructured(g, 0.5, PruneScope::kPerLayer);
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  // floor(0.5 * 12) = 6 of W1: |w| 0.05 (7), 0.1 (1, 10), 0.2 (4, 6), 0.3 (2).
  EXPECT_EQ(zero_positions(*r->graph.find_constant("w1")), (std::vector<std::int64_t>{1, 2, 4, 6, 7, 10}));
  // floor(0.5 * 6) = 3 of W2: 0.005 (4), 0.015 (0), 0.025 (2).
  EXPECT_EQ(zero_positions(*r->graph.find_constant("w2")), (std::vector<std::int64_t>{0, 2, 4}));
  // The others keep their values exactly; the bias is untouched.
  EXPECT_EQ(r->graph.find_constant("w1")->data<float>()[5], 0.9f);
  EXPECT_EQ(r->graph.find_constant("w2")->data<float>()[5], 0.055f);
  EXPECT_EQ(values(*r->graph.find_constant("b1")), values(*g.find_constant("b1")));
  EXPECT_EQ(layer(*r, "fc1").zeros, 6);
  EXPECT_EQ(layer(*r, "fc1").weights, 12);
  EXPECT_DOUBLE_EQ(layer(*r, "mm").sparsity(), 0.5);
  EXPECT_DOUBLE_EQ(r->sparsity(), 0.5);
  // The source graph is not modified.
  EXPECT_EQ(g.find_constant("w1")->data<float>()[7], 0.05f);
  // Masks: 0 exactly where pruning zeroed.
  ASSERT_EQ(r->masks.count("w1"), 1u);
  const Tensor& mask = r->masks.at("w1");
  EXPECT_EQ(mask.shape(), (Shape{3, 4}));
  for (std::int64_t i = 0; i < 12; ++i)
    EXPECT_EQ(mask.data<std::uint8_t>()[i], (i == 1 || i == 2 || i == 4 || i == 6 || i == 7 || i == 10) ? 0 : 1) << i;
}

TEST(PruneUnstructured, TiesGoToTheLowerIndex) {
  // floor(0.2 * 12) = 2 of W1: 0.05 (7), then 0.1 at 1 and at 10: index 1 wins.
  auto r = prune_unstructured(two_layers(), 0.2, PruneScope::kPerLayer);
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(zero_positions(*r->graph.find_constant("w1")), (std::vector<std::int64_t>{1, 7}));
  // floor(0.2 * 6) = 1 of W2.
  EXPECT_EQ(zero_positions(*r->graph.find_constant("w2")), (std::vector<std::int64_t>{4}));
}

TEST(PruneUnstructured, GlobalThresholdWithLayerCap) {
  // 9 of the 18 weights. In magnitude order: W2's 0.005, 0.015, 0.025, 0.035, 0.045 (W2 is now at
  // its cap floor(0.95 * 6) = 5), W1's 0.05, W2's 0.055 (skipped: capped), W1's 0.1 (1), 0.1 (10),
  // 0.2 (4; 6 ties and loses on index).
  auto r = prune_unstructured(two_layers(), 0.5, PruneScope::kGlobal);
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  EXPECT_EQ(zero_positions(*r->graph.find_constant("w1")), (std::vector<std::int64_t>{1, 4, 7, 10}));
  EXPECT_EQ(zero_positions(*r->graph.find_constant("w2")), (std::vector<std::int64_t>{0, 1, 2, 3, 4}));
  EXPECT_EQ(layer(*r, "fc1").zeros, 4);
  EXPECT_EQ(layer(*r, "mm").zeros, 5);
  EXPECT_NE(layer(*r, "mm").note.find("capped"), std::string::npos) << layer(*r, "mm").note;
  EXPECT_DOUBLE_EQ(r->sparsity(), 0.5);
  // Per layer the same sparsity differs: the two scopes are not the same computation.
  auto per_layer = prune_unstructured(two_layers(), 0.5, PruneScope::kPerLayer);
  EXPECT_NE(zero_positions(*per_layer->graph.find_constant("w2")), zero_positions(*r->graph.find_constant("w2")));
}

TEST(PruneUnstructured, KeptLayersAndZeroSparsity) {
  const Graph g = two_layers();
  auto r = prune_unstructured(g, 0.5, PruneScope::kGlobal, {"mm"});
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(values(*r->graph.find_constant("w2")), values(*g.find_constant("w2")));
  EXPECT_EQ(r->masks.count("w2"), 0u);
  EXPECT_EQ(layer(*r, "mm").note, "kept dense by request");
  // The share is of the weights pruned: floor(0.5 * 12) = 6 of W1, as per layer.
  EXPECT_EQ(zero_positions(*r->graph.find_constant("w1")), (std::vector<std::int64_t>{1, 2, 4, 6, 7, 10}));
  auto none = prune_unstructured(g, 0.0, PruneScope::kGlobal);
  ASSERT_TRUE(none.is_ok());
  EXPECT_EQ(values(*none->graph.find_constant("w1")), values(*g.find_constant("w1")));
}

TEST(PruneUnstructured, InvalidSparsityIsAnError) {
  for (double s : {-0.1, 1.0, 1.5, std::nan("")}) {
    auto r = prune_unstructured(two_layers(), s, PruneScope::kGlobal);
    ASSERT_FALSE(r.is_ok()) << s;
    EXPECT_NE(r.status().message().find("[0, 1)"), std::string::npos) << r.status().message();
    EXPECT_FALSE(prune_structured(two_layers(), s).is_ok()) << s;
  }
  EXPECT_FALSE(parse_prune_scope("everywhere").is_ok());
  EXPECT_EQ(*parse_prune_scope("layer"), PruneScope::kPerLayer);
}

TEST(PruneUnstructured, FineTuneKeepsTheZeros) {
  PruneOptions options;
  options.amount = 0.5;
  options.scope = PruneScope::kPerLayer;
  int calls = 0;
  // A stand-in for training: moves every weight by 1 (pruned ones included).
  options.fine_tune = [&](const Graph& pruned, const std::map<std::string, Tensor>& masks) -> Result<Graph> {
    ++calls;
    EXPECT_EQ(masks.size(), 2u);
    Graph tuned = pruned;
    for (const char* name : {"w1", "w2"}) {
      Tensor t = *Tensor::copy_of(tuned.find_constant(name)->view());
      for (std::int64_t i = 0; i < t.num_elements(); ++i) t.data<float>()[i] += 1.0f;
      tuned.constants[name] = t;
    }
    return tuned;
  };
  auto r = prune_graph(two_layers(), options);
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  EXPECT_EQ(calls, 1);
  const Tensor& w1 = *r->graph.find_constant("w1");
  EXPECT_EQ(zero_positions(w1), (std::vector<std::int64_t>{1, 2, 4, 6, 7, 10}));
  EXPECT_EQ(w1.data<float>()[0], 1.5f);  // trained
  EXPECT_EQ(layer(*r, "fc1").zeros, 6);
  EXPECT_NE(r->description.find("fine-tuned"), std::string::npos);

  // A mask that does not fit is an error naming the weight.
  Graph g = two_layers();
  std::map<std::string, Tensor> bad;
  bad["w1"] = *Tensor::allocate(DType::kUInt8, {4, 3});
  Status s = apply_prune_masks(g, bad);
  EXPECT_FALSE(s.is_ok());
  EXPECT_NE(s.message().find("'w1'"), std::string::npos) << s.message();
}

// Random N(0, 1) values with the filters `zero` along axis 0 set to exactly 0.
Tensor weight_with_zero_filters(Shape shape, std::mt19937& rng, const std::vector<std::int64_t>& zero) {
  Tensor t = testing::random_tensor(shape, rng, 1.0f);
  const std::int64_t per = t.num_elements() / shape[0];
  for (std::int64_t f : zero) std::fill_n(t.data<float>() + f * per, per, 0.0f);
  return t;
}

std::vector<Tensor> run(const Graph& g, const Tensor& x) {
  auto session = Session::create(g);
  EXPECT_TRUE(session.is_ok()) << session.status().to_string();
  auto out = (*session)->run_and_copy({x});
  EXPECT_TRUE(out.is_ok()) << out.status().to_string();
  return *out;
}

// x [1,2,6,6] -> conv1 (4 filters, 3x3, pad 1) -> Relu -> conv2 (4 filters) -> GlobalAveragePool
// -> Flatten -> Gemm (5 classes). conv1's filters 1 and 3 and conv2's filters 0 and 3 are zero,
// with zero bias: removing them must change nothing.
Graph conv_relu_conv(bool trans_b, std::mt19937& rng) {
  Graph g;
  g.name = "conv_relu_conv";
  g.inputs = {ValueInfo{"x", DType::kFloat32, {1, 2, 6, 6}}};
  g.outputs = {ValueInfo{"y", DType::kFloat32, {}}};
  g.constants["w1"] = weight_with_zero_filters({4, 2, 3, 3}, rng, {1, 3});
  g.constants["b1"] = Tensor::from_values<float>({4}, {0.1f, 0.0f, -0.2f, 0.0f});
  g.constants["w2"] = weight_with_zero_filters({4, 4, 3, 3}, rng, {0, 3});
  g.constants["b2"] = Tensor::from_values<float>({4}, {0.0f, 0.3f, 0.1f, 0.0f});
  g.constants["wfc"] = testing::random_tensor(trans_b ? Shape{5, 4} : Shape{4, 5}, rng, 1.0f);
  g.constants["bfc"] = testing::random_tensor({5}, rng, 0.1f);
  const std::vector<std::int64_t> pad1 = {1, 1, 1, 1};
  g.nodes = {node("conv1", "Conv", {"x", "w1", "b1"}, {"c1"}, {{"pads", pad1}}),
             node("relu", "Relu", {"c1"}, {"r1"}),
             node("conv2", "Conv", {"r1", "w2", "b2"}, {"c2"}, {{"pads", pad1}}),
             node("gap", "GlobalAveragePool", {"c2"}, {"g"}),
             node("flatten", "Flatten", {"g"}, {"f"}),
             node("fc", "Gemm", {"f", "wfc", "bfc"}, {"y"}, {{"transB", trans_b ? 1 : 0}})};
  if (!validate_graph(g).is_ok()) std::abort();
  return g;
}

TEST(PruneStructured, RemovingZeroFiltersChangesNothing) {
  for (bool trans_b : {true, false}) {
    std::mt19937 rng(3);
    const Graph g = conv_relu_conv(trans_b, rng);
    const Tensor x = testing::random_tensor({1, 2, 6, 6}, rng, 1.0f);
    const std::vector<Tensor> want = run(g, x);

    // Only conv1: conv2 loses input channels 1 and 3.
    auto r = prune_structured(g, 0.5, {"conv2"});
    ASSERT_TRUE(r.is_ok()) << r.status().to_string();
    const Tensor& w1 = *r->graph.find_constant("w1");
    EXPECT_EQ(w1.shape(), (Shape{2, 2, 3, 3}));
    // Filters 0 and 2 stay, in order.
    const std::vector<float> w1_before = values(*g.find_constant("w1"));
    for (int i = 0; i < 18; ++i) {
      EXPECT_EQ(w1.data<float>()[i], w1_before[static_cast<std::size_t>(i)]);
      EXPECT_EQ(w1.data<float>()[18 + i], w1_before[static_cast<std::size_t>(36 + i)]);
    }
    EXPECT_EQ(values(*r->graph.find_constant("b1")), (std::vector<float>{0.1f, -0.2f}));
    EXPECT_EQ(r->graph.find_constant("w2")->shape(), (Shape{4, 2, 3, 3}));
    // w2[m, c'] is the old w2[m, {0, 2}[c']].
    const Tensor& w2_before = *g.find_constant("w2");
    for (int m = 0; m < 4; ++m) {
      for (int k = 0; k < 9; ++k) {
        EXPECT_EQ(r->graph.find_constant("w2")->data<float>()[(m * 2 + 1) * 9 + k],
                  w2_before.data<float>()[(m * 4 + 2) * 9 + k]);
      }
    }
    EXPECT_EQ(layer(*r, "conv1").channels, 2);
    EXPECT_EQ(layer(*r, "conv1").original_channels, 4);
    EXPECT_EQ(layer(*r, "conv2").channels, 4);
    std::vector<Tensor> got = run(r->graph, x);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(values(got[0]), values(want[0]));

    // Both convs: the Gemm loses conv2's channels 0 and 3 (columns with transB, rows without).
    auto both = prune_structured(g, 0.5);
    ASSERT_TRUE(both.is_ok()) << both.status().to_string();
    EXPECT_EQ(both->graph.find_constant("w2")->shape(), (Shape{2, 2, 3, 3}));
    EXPECT_EQ(values(*both->graph.find_constant("b2")), (std::vector<float>{0.3f, 0.1f}));
    const Tensor& fc = *both->graph.find_constant("wfc");
    EXPECT_EQ(fc.shape(), trans_b ? (Shape{5, 2}) : (Shape{2, 5}));
    const Tensor& fc_before = *g.find_constant("wfc");
    for (int n = 0; n < 5; ++n) {
      EXPECT_EQ(trans_b ? fc.data<float>()[n * 2 + 0] : fc.data<float>()[0 * 5 + n],
                trans_b ? fc_before.data<float>()[n * 4 + 1] : fc_before.data<float>()[1 * 5 + n]);
    }
    EXPECT_NE(layer(*both, "fc").note.find("conv2"), std::string::npos);
    got = run(both->graph, x);
    EXPECT_EQ(values(got[0]), values(want[0]));
    EXPECT_NEAR(both->removed_fraction(), 1.0 - (36.0 + 36.0 + 10.0) / (72.0 + 144.0 + 20.0), 1e-12);
  }
}

TEST(PruneStructured, NonZeroFiltersGoBySmallestNorm) {
  std::mt19937 rng(5);
  Graph g = conv_relu_conv(true, rng);
  // conv1's filter norms: filter 1 all 0.01 (0.042), filter 3 all 0.02 (0.085), filter 2 N(0, 1)
  // * 0.05 (~0.2), filter 0 N(0, 1) (~4): they go in the order 1, 3, 2.
  Tensor w1 = *Tensor::copy_of(g.find_constant("w1")->view());
  for (std::int64_t i = 0; i < 18; ++i) {
    w1.data<float>()[18 + i] = 0.01f;
    w1.data<float>()[54 + i] = 0.02f;
    w1.data<float>()[36 + i] *= 0.05f;
  }
  g.constants["w1"] = w1;
  auto r = prune_structured(g, 0.75, {"conv2"});  // floor(3) = 3 of 4: 1, 3 and 2 go
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(r->graph.find_constant("w1")->shape(), (Shape{1, 2, 3, 3}));
  EXPECT_EQ(r->graph.find_constant("w1")->data<float>()[0], w1.data<float>()[0]);
  // Never all of them: at least one filter stays.
  auto almost_all = prune_structured(g, 0.9999999, {"conv2"});
  ASSERT_TRUE(almost_all.is_ok());
  EXPECT_EQ(almost_all->graph.find_constant("w1")->shape()[0], 1);
}

// conv1 (4 filters; 1 and 3 zero) -> BatchNormalization -> Relu -> depthwise 3x3 (multiplier 2)
// -> Clip -> MaxPool 2x2 -> conv3 1x1 (3 filters) -> Flatten (3 x 3 x 3 columns) -> Gemm. The BN
// mean and shift of channels 1 and 3 and the depthwise biases reading them are zero, so those
// channels are 0 all the way to conv3.
TEST(PruneStructured, DepthwiseChainPassesTheRemovalOn) {
  std::mt19937 rng(11);
  Graph g;
  g.name = "depthwise_chain";
  g.inputs = {ValueInfo{"x", DType::kFloat32, {1, 2, 6, 6}}};
  g.outputs = {ValueInfo{"y", DType::kFloat32, {}}};
  g.constants["w1"] = weight_with_zero_filters({4, 2, 3, 3}, rng, {1, 3});
  g.constants["b1"] = Tensor::from_values<float>({4}, {0.1f, 0.0f, -0.2f, 0.0f});
  g.constants["bn_scale"] = Tensor::from_values<float>({4}, {1.5f, 2.0f, 0.5f, 1.0f});
  g.constants["bn_bias"] = Tensor::from_values<float>({4}, {0.1f, 0.0f, 0.2f, 0.0f});
  g.constants["bn_mean"] = Tensor::from_values<float>({4}, {0.05f, 0.0f, -0.1f, 0.0f});
  g.constants["bn_var"] = Tensor::from_values<float>({4}, {1.0f, 2.0f, 0.5f, 3.0f});
  // Depthwise filters 2c, 2c + 1 read channel c: 2, 3, 6, 7 read the removed channels 1 and 3.
  g.constants["wdw"] = weight_with_zero_filters({8, 1, 3, 3}, rng, {});
  g.constants["bdw"] = Tensor::from_values<float>({8}, {0.1f, -0.1f, 0.0f, 0.0f, 0.2f, 0.05f, 0.0f, 0.0f});
  g.constants["w3"] = testing::random_tensor({3, 8, 1, 1}, rng, 1.0f);
  g.constants["wfc"] = testing::random_tensor({4, 27}, rng, 1.0f);
  const std::vector<std::int64_t> pad1 = {1, 1, 1, 1};
  g.nodes = {node("conv1", "Conv", {"x", "w1", "b1"}, {"c1"}, {{"pads", pad1}}),
             node("bn", "BatchNormalization", {"c1", "bn_scale", "bn_bias", "bn_mean", "bn_var"}, {"n1"}),
             node("relu", "Relu", {"n1"}, {"r1"}),
             node("dw", "Conv", {"r1", "wdw", "bdw"}, {"d"}, {{"pads", pad1}, {"group", 4}}),
             node("clip", "Clip", {"d"}, {"dc"}),
             node("pool", "MaxPool", {"dc"}, {"p"},
                  {{"kernel_shape", std::vector<std::int64_t>{2, 2}}, {"strides", std::vector<std::int64_t>{2, 2}}}),
             node("conv3", "Conv", {"p", "w3"}, {"c3"}),
             node("flatten", "Flatten", {"c3"}, {"f"}),
             node("fc", "Gemm", {"f", "wfc"}, {"y"}, {{"transB", 1}})};
  ASSERT_TRUE(validate_graph(g).is_ok());
  const Tensor x = testing::random_tensor({1, 2, 6, 6}, rng, 1.0f);
  const std::vector<Tensor> want = run(g, x);

  auto r = prune_structured(g, 0.5, {"conv3"});
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  EXPECT_EQ(r->graph.find_constant("w1")->shape(), (Shape{2, 2, 3, 3}));
  EXPECT_EQ(values(*r->graph.find_constant("bn_var")), (std::vector<float>{1.0f, 0.5f}));
  EXPECT_EQ(r->graph.find_constant("wdw")->shape(), (Shape{4, 1, 3, 3}));
  EXPECT_EQ(values(*r->graph.find_constant("bdw")), (std::vector<float>{0.1f, -0.1f, 0.2f, 0.05f}));
  const Node* dw = nullptr;
  for (const Node& n : r->graph.nodes) dw = n.name == "dw" ? &n : dw;
  ASSERT_NE(dw, nullptr);
  EXPECT_EQ(dw->attr_int("group", 1), 2);
  EXPECT_EQ(r->graph.find_constant("w3")->shape(), (Shape{3, 4, 1, 1}));
  EXPECT_EQ(r->graph.find_constant("wfc")->shape(), (Shape{4, 27}));  // conv3 kept whole
  EXPECT_NE(layer(*r, "dw").note.find("conv1"), std::string::npos) << layer(*r, "dw").note;
  EXPECT_EQ(values(run(r->graph, x)[0]), values(want[0]));

  // Pruning conv3 too (3 filters: floor(1.5) = 1, the smallest norm) takes its 9 columns from
  // the Gemm: the graph still validates and runs.
  auto all = prune_structured(g, 0.5);
  ASSERT_TRUE(all.is_ok()) << all.status().to_string();
  EXPECT_EQ(all->graph.find_constant("wfc")->shape(), (Shape{4, 18}));
  EXPECT_EQ(layer(*all, "conv3").channels, 2);
  EXPECT_EQ(run(all->graph, x)[0].shape(), (Shape{1, 4}));
}

// GlobalAveragePool -> Reshape to [-1, C] is a flatten the pruner can prove; its shape is rewritten.
TEST(PruneStructured, ReshapeThatFlattensIsRewritten) {
  std::mt19937 rng(13);
  Graph g = conv_relu_conv(true, rng);
  g.constants["shape"] = Tensor::from_values<std::int64_t>({2}, {-1, 4});
  g.nodes[4] = node("flatten", "Reshape", {"g", "shape"}, {"f"});
  g.value_info.clear();
  ASSERT_TRUE(validate_graph(g).is_ok());
  const Tensor x = testing::random_tensor({1, 2, 6, 6}, rng, 1.0f);
  auto r = prune_structured(g, 0.5);
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  const Node* reshape = nullptr;
  for (const Node& n : r->graph.nodes) reshape = n.op_type == "Reshape" ? &n : reshape;
  ASSERT_NE(reshape, nullptr);
  const Tensor* shape = r->graph.find_constant(reshape->inputs[1]);
  ASSERT_NE(shape, nullptr);
  EXPECT_EQ(shape->data<std::int64_t>()[1], 2);
  EXPECT_EQ(values(run(r->graph, x)[0]), values(run(g, x)[0]));
}

TEST(PruneStructured, ConvFeedingAnAddOrTheOutputIsSkipped) {
  std::mt19937 rng(17);
  Graph g;
  g.name = "residual";
  g.inputs = {ValueInfo{"x", DType::kFloat32, {1, 4, 5, 5}}};
  g.outputs = {ValueInfo{"y", DType::kFloat32, {}}};
  g.constants["w1"] = testing::random_tensor({4, 4, 3, 3}, rng, 1.0f);
  g.constants["w2"] = testing::random_tensor({2, 4, 1, 1}, rng, 1.0f);
  const std::vector<std::int64_t> pad1 = {1, 1, 1, 1};
  g.nodes = {node("conv1", "Conv", {"x", "w1"}, {"c1"}, {{"pads", pad1}}), node("relu", "Relu", {"c1"}, {"r1"}),
             node("add", "Add", {"r1", "x"}, {"s"}), node("conv2", "Conv", {"s", "w2"}, {"y"})};
  ASSERT_TRUE(validate_graph(g).is_ok());
  auto r = prune_structured(g, 0.5);
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  EXPECT_EQ(values(*r->graph.find_constant("w1")), values(*g.find_constant("w1")));
  EXPECT_EQ(values(*r->graph.find_constant("w2")), values(*g.find_constant("w2")));
  EXPECT_EQ(layer(*r, "conv1").channels, 4);
  EXPECT_NE(layer(*r, "conv1").note.find("Add 'add'"), std::string::npos) << layer(*r, "conv1").note;
  EXPECT_NE(layer(*r, "conv2").note.find("graph output 'y'"), std::string::npos) << layer(*r, "conv2").note;
  EXPECT_EQ(r->removed_fraction(), 0.0);
}

// A large weight pruned to 90 % stores in about a tenth of its bytes with the bundle's entropy
// coding: storage follows the non-zeros.
TEST(PruneUnstructured, EntropyCodedBundleShrinksWithSparsity) {
  std::mt19937 rng(19);
  Graph g;
  g.name = "fc";
  g.inputs = {ValueInfo{"x", DType::kFloat32, {1, 256}}};
  g.outputs = {ValueInfo{"y", DType::kFloat32, {}}};
  g.constants["w"] = testing::random_tensor({256, 256}, rng, 1.0f);
  g.nodes = {node("fc", "Gemm", {"x", "w"}, {"y"}, {{"transB", 1}})};
  ASSERT_TRUE(validate_graph(g).is_ok());
  BundleWriteOptions coded;
  coded.entropy_code_constants = true;
  const auto size = [&](const Graph& graph) {
    Bundle b;
    b.manifest = default_manifest_for(graph);
    b.manifest.created_at = "2026-01-01T00:00:00Z";
    b.graph = graph;
    return static_cast<double>(serialize_bundle(b, coded)->size());
  };
  const double dense = size(g);
  const double raw_weight_bytes = 256.0 * 256.0 * 4.0;
  auto pruned = prune_unstructured(g, 0.9, PruneScope::kGlobal);
  ASSERT_TRUE(pruned.is_ok());
  const double sparse = size(pruned->graph);
  EXPECT_GT(dense, 0.85 * raw_weight_bytes);  // random float32 hardly compresses
  // 10 % non-zeros (4 bytes) + the positions (H(0.1) = 0.47 bits per weight): ~0.46 bytes per
  // weight, 0.115 of the raw bytes; never below the non-zeros themselves.
  EXPECT_LT(sparse, 0.15 * raw_weight_bytes) << sparse;
  EXPECT_GT(sparse, 0.09 * raw_weight_bytes) << sparse;
}

// The pipeline: prune then int8 or none; accuracy against the unpruned model.
TEST(CompressWithPruning, PrunesBeforeQuantising) {
  const Graph g = testing::small_cnn();
  Bundle source;
  source.manifest = default_manifest_for(g);
  source.manifest.labels = {"a", "b", "c"};
  source.graph = g;
  const LabeledData calibration = testing::random_data(g, 8, 1);
  const LabeledData evaluation = testing::random_normal_data(g, 16, 2, 1.0f);

  CompressOptions options;
  options.weights = WeightFormat::kFp32;
  options.prune = PruneOptions{};
  options.prune->amount = 0.5;
  options.prune->scope = PruneScope::kPerLayer;
  auto fp32 = compress_model(source, nullptr, &evaluation, options);
  ASSERT_TRUE(fp32.is_ok()) << fp32.status().to_string();
  EXPECT_EQ(fp32->pruning, "unstructured 50 % (per layer)");
  EXPECT_EQ(fp32->bundle.manifest.metadata.at("compression.pruning"), "unstructured 50 % (per layer)");
  EXPECT_EQ(fp32->bundle.manifest.metadata.at("compression.weights"), "fp32");
  // w1 has 72 weights: 36 zero in the bundle's graph.
  EXPECT_EQ(zero_positions(*fp32->bundle.graph.find_constant("w1")).size(), 36u);
  ASSERT_TRUE(fp32->accuracy.has_value());
  // The fp32 figure is the unpruned model's: the same as without pruning.
  CompressOptions plain;
  plain.weights = WeightFormat::kFp32;
  auto unpruned = compress_model(source, nullptr, &evaluation, plain);
  ASSERT_TRUE(unpruned.is_ok());
  EXPECT_EQ(fp32->accuracy->fp32_top1, unpruned->accuracy->fp32_top1);
  EXPECT_EQ(unpruned->accuracy->label_agreement, 100.0);

  options.weights = WeightFormat::kInt8;
  auto int8 = compress_model(source, &calibration, &evaluation, options);
  ASSERT_TRUE(int8.is_ok()) << int8.status().to_string();
  EXPECT_EQ(int8->bundle.manifest.metadata.at("compression.pruning"), "unstructured 50 % (per layer)");
  EXPECT_EQ(int8->pruned_layers.size(), 4u);  // 3 Conv + 1 Gemm
  EXPECT_EQ(int8->accuracy->fp32_top1, unpruned->accuracy->fp32_top1);
  // Zeros stay zero in int8: the quantised conv weight has at least as many zeros.
  std::int64_t int8_zeros = 0;
  for (const Node& n : int8->bundle.graph.nodes) {
    if (n.op_type != "QLinearConv") continue;
    const Tensor* w = int8->bundle.graph.find_constant(n.inputs[3]);
    ASSERT_NE(w, nullptr);
    if (w->num_elements() != 72) continue;
    for (std::int64_t i = 0; i < 72; ++i) int8_zeros += w->data<std::int8_t>()[i] == 0;
  }
  EXPECT_GE(int8_zeros, 36);
}

}  // namespace
}  // namespace edgeai
