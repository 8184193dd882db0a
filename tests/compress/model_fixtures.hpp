// Small float32 graphs and data for the compression tests: a CNN that touches every int8 layer
// kind (conv + relu, depthwise conv + clip, conv + hardswish, max pool, residual add, global
// average pool, flatten, gemm) and random inputs from a fixed seed.
#pragma once

#include <random>

#include "data/labeled_data.hpp"
#include "format/bundle.hpp"
#include "graph/graph.hpp"
#include "graph/validate.hpp"

namespace edgeai::testing {

inline Node make_node(std::string op, std::vector<std::string> in, std::vector<std::string> out,
                      std::map<std::string, Attribute> attrs = {}) {
  Node n;
  n.name = out[0] + "_node";
  n.op_type = std::move(op);
  n.inputs = std::move(in);
  n.outputs = std::move(out);
  n.attributes = std::move(attrs);
  return n;
}

inline Tensor random_tensor(Shape shape, std::mt19937& rng, float scale) {
  Tensor t = Tensor::allocate(DType::kFloat32, shape).value();
  std::normal_distribution<float> normal(0.0f, scale);
  for (std::int64_t i = 0; i < t.num_elements(); ++i) t.data<float>()[i] = normal(rng);
  return t;
}

// x [1,2,8,8] -> conv 3x3 (4 ch, relu) -> maxpool 2x2 -> depthwise 3x3 (clip 0..6) -> + pooled
// -> conv 1x1 (8 ch, hardswish) -> global avg pool -> flatten -> gemm (3 classes) -> softmax.
inline Graph small_cnn(std::uint32_t seed = 7) {
  std::mt19937 rng(seed);
  Graph g;
  g.name = "small_cnn";
  g.inputs = {ValueInfo{"x", DType::kFloat32, {1, 2, 8, 8}}};
  g.outputs = {ValueInfo{"probs", DType::kFloat32, {}}};
  g.constants["w1"] = random_tensor({4, 2, 3, 3}, rng, 0.4f);
  g.constants["b1"] = random_tensor({4}, rng, 0.1f);
  g.constants["w2"] = random_tensor({4, 1, 3, 3}, rng, 0.4f);
  g.constants["b2"] = random_tensor({4}, rng, 0.1f);
  g.constants["w3"] = random_tensor({8, 4, 1, 1}, rng, 0.5f);
  g.constants["b3"] = random_tensor({8}, rng, 0.1f);
  g.constants["wfc"] = random_tensor({3, 8}, rng, 0.5f);
  g.constants["bfc"] = random_tensor({3}, rng, 0.1f);
  const std::vector<std::int64_t> pad1 = {1, 1, 1, 1};
  g.nodes = {
      make_node("Conv", {"x", "w1", "b1"}, {"c1"}, {{"pads", pad1}, {"activation", "Relu"}}),
      make_node("MaxPool", {"c1"}, {"p1"}, {{"kernel_shape", std::vector<std::int64_t>{2, 2}},
                                            {"strides", std::vector<std::int64_t>{2, 2}}}),
      make_node("Conv", {"p1", "w2", "b2"}, {"c2"},
                {{"pads", pad1}, {"group", 4}, {"activation", "Clip"}, {"activation_alpha", 0.0f},
                 {"activation_beta", 6.0f}}),
      make_node("Add", {"c2", "p1"}, {"r"}),
      make_node("Conv", {"r", "w3", "b3"}, {"c3"}, {{"activation", "HardSwish"}}),
      make_node("GlobalAveragePool", {"c3"}, {"g"}),
      make_node("Flatten", {"g"}, {"f"}),
      make_node("Gemm", {"f", "wfc", "bfc"}, {"logits"}, {{"transB", 1}}),
      make_node("Softmax", {"logits"}, {"probs"}),
  };
  if (!validate_graph(g).is_ok()) std::abort();
  return g;
}

// `count` samples of uniform [0, scale) inputs shaped like `graph`'s single input.
inline LabeledData random_data(const Graph& graph, std::int64_t count, std::uint32_t seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> uniform(0.0f, scale);
  Shape shape = graph.inputs[0].shape;
  shape[0] = count;
  LabeledData data;
  Tensor t = Tensor::allocate(DType::kFloat32, shape).value();
  for (std::int64_t i = 0; i < t.num_elements(); ++i) t.data<float>()[i] = uniform(rng);
  data.inputs.push_back(std::move(t));
  data.input_names.push_back(graph.inputs[0].name);
  data.labels.assign(static_cast<std::size_t>(count), 0);
  data.class_names = {"a", "b", "c"};
  return data;
}

// The same with N(0, sigma) inputs: negative values too, and predictions that vary.
inline LabeledData random_normal_data(const Graph& graph, std::int64_t count, std::uint32_t seed, float sigma) {
  LabeledData data = random_data(graph, count, seed);
  std::mt19937 rng(seed);
  data.inputs[0] = random_tensor(data.inputs[0].shape(), rng, sigma);
  return data;
}

// `g` in a bundle with a fixed creation time and three labels, as compress_model takes it.
inline Bundle bundle_of(Graph g) {
  Bundle b;
  b.manifest = default_manifest_for(g);
  b.manifest.created_at = "2026-01-01T00:00:00Z";
  b.manifest.labels = {"a", "b", "c"};
  b.graph = std::move(g);
  return b;
}

}  // namespace edgeai::testing
