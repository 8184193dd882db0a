// Small models and data sets shared by the train-layer tests: a 2-D CNN exercising every
// geometry corner (asymmetric pads, groups, ceil_mode pooling), a two-input 1-D beat net, a
// tiny separable image set, and the libtorch-versus-runtime comparison.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "data/labeled_data.hpp"
#include "runtime/session.hpp"
#include "train/graph_builder.hpp"
#include "train/torch_module.hpp"

namespace edgeai::test {

inline Node* find_node(Graph& graph, const std::string& name) {
  for (Node& node : graph.nodes) {
    if (node.name == name) return &node;
  }
  return nullptr;
}

// Gives every BatchNormalization non-trivial statistics and affine values, so that eval mode,
// BN folding and the running statistics are actually tested.
inline void randomize_batch_norms(Graph& graph, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  auto unit = [&rng] { return static_cast<float>(static_cast<double>(rng() >> 11) * 0x1.0p-53); };
  for (const Node& node : graph.nodes) {
    if (node.op_type != "BatchNormalization") continue;
    const std::int64_t c = graph.constants.at(node.inputs[1]).num_elements();
    std::vector<float> scale, shift, mean, var;
    for (std::int64_t i = 0; i < c; ++i) {
      scale.push_back(0.5f + unit());
      shift.push_back(unit() - 0.5f);
      mean.push_back(0.4f * (unit() - 0.5f));
      var.push_back(0.5f + unit());
    }
    graph.constants[node.inputs[1]] = Tensor::from_vector<float>({c}, scale);
    graph.constants[node.inputs[2]] = Tensor::from_vector<float>({c}, shift);
    graph.constants[node.inputs[3]] = Tensor::from_vector<float>({c}, mean);
    graph.constants[node.inputs[4]] = Tensor::from_vector<float>({c}, var);
  }
}

// [N,3,11,10] -> conv (asymmetric pads) -> BN -> relu -> depthwise conv (groups, stride 2,
// dilation) -> relu6 -> MaxPool (asymmetric pads, ceil_mode) -> conv -> leaky_relu ->
// AveragePool (pads, ceil_mode, count_include_pad 0) -> hardswish -> GAP -> flatten -> fc ->
// sigmoid -> fc (logits, 5 classes).
inline Graph small_cnn(std::uint64_t seed = 3) {
  GraphBuilder b("small_cnn", seed);
  std::string x = b.input("image", {-1, 3, 11, 10});
  x = b.conv(x, ConvSpec{8, {3, 3}, {1, 1}, {1, 0, 2, 1}, {1, 1}, 1, true});
  x = b.relu(b.batch_norm(x));
  x = b.relu6(b.conv(x, ConvSpec{8, {3, 3}, {2, 1}, {1, 1, 1, 1}, {1, 2}, 8, false}));
  x = b.max_pool2d(x, 2);
  x = b.leaky_relu(b.conv2d(x, 6, 1), 0.1f);
  x = b.hardswish(b.avg_pool(x, {2, 3}, {2, 2}, {1, 0, 0, 1}, false));
  x = b.flatten(b.global_avg_pool(x));
  x = b.linear(b.sigmoid(b.linear(x, 12)), 5);
  b.output(x, "logits");
  Result<Graph> graph = b.build();
  EXPECT_TRUE(graph.is_ok()) << graph.status().to_string();
  Graph g = std::move(graph).value();
  // Geometry corners the builder does not expose: asymmetric pads and ceil_mode on the pools.
  Node* max_pool = find_node(g, "maxpool1");
  Node* avg_pool = find_node(g, "avgpool1");
  EXPECT_TRUE(max_pool != nullptr && avg_pool != nullptr);
  if (max_pool != nullptr) {
    max_pool->attributes["pads"] = std::vector<std::int64_t>{0, 1, 1, 0};
    max_pool->attributes["ceil_mode"] = std::int64_t{1};
  }
  if (avg_pool != nullptr) avg_pool->attributes["ceil_mode"] = std::int64_t{1};
  randomize_batch_norms(g, seed + 100);
  g.value_info.clear();
  return g;
}

// Two inputs: beat [N,1,64] through a 1-D conv stack, features [N,4] concatenated after
// flatten; dropout before the classifier (3 classes).
inline Graph beat_net(std::uint64_t seed = 5) {
  GraphBuilder b("beat_net", seed);
  std::string beat = b.input("beat", {-1, 1, 64});
  std::string features = b.input("features", {-1, 4});
  std::string x = b.relu(b.batch_norm(b.conv1d(beat, 6, 5, 1, 2)));
  x = b.max_pool1d(x, 2);
  x = b.relu(b.conv(x, ConvSpec{8, {3}, {2}, {0, 1}, {2}, 2, true}));
  x = b.avg_pool(x, {3}, {2}, {1, 1}, true);
  x = b.flatten(x);
  x = b.concat({x, features}, 1);
  x = b.dropout(b.relu(b.linear(x, 16)), 0.25f);
  b.output(b.linear(x, 3), "logits");
  Result<Graph> graph = b.build();
  EXPECT_TRUE(graph.is_ok()) << graph.status().to_string();
  Graph g = std::move(graph).value();
  randomize_batch_norms(g, seed + 100);
  return g;
}

inline Tensor random_tensor(Shape shape, std::uint64_t seed, float scale = 1.0f) {
  std::mt19937_64 rng(seed);
  Result<Tensor> t = Tensor::allocate(DType::kFloat32, std::move(shape));
  for (std::int64_t i = 0; i < t->num_elements(); ++i) {
    t->data<float>()[i] = scale * static_cast<float>(2.0 * static_cast<double>(rng() >> 11) * 0x1.0p-53 - 1.0);
  }
  return std::move(t).value();
}

// Largest |a - b| between a runtime tensor and a torch tensor of the same shape.
inline double max_abs_diff(const Tensor& runtime, const torch::Tensor& reference) {
  torch::Tensor r = reference.detach().to(torch::kCPU).contiguous();
  EXPECT_EQ(static_cast<std::int64_t>(runtime.num_elements()), r.numel());
  EXPECT_EQ(runtime.shape(), Shape(r.sizes().begin(), r.sizes().end()));
  double diff = 0.0;
  const float* t = r.data_ptr<float>();
  for (std::int64_t i = 0; i < std::min<std::int64_t>(runtime.num_elements(), r.numel()); ++i) {
    const double d = std::fabs(static_cast<double>(runtime.data<float>()[i]) - t[i]);
    diff = std::isnan(d) ? INFINITY : std::max(diff, d);  // a NaN on either side is a mismatch
  }
  return diff;
}

// Runs `graph` in the edgeai runtime and `module` (eval) on the same inputs; returns the
// largest output difference.
inline double runtime_vs_module(const Graph& graph, GraphModule& module, const std::vector<Tensor>& inputs) {
  Result<std::unique_ptr<Session>> session = Session::create(graph);
  EXPECT_TRUE(session.is_ok()) << session.status().to_string();
  if (!session.is_ok()) return INFINITY;
  Result<std::vector<Tensor>> expected = (*session)->run_and_copy(inputs);
  EXPECT_TRUE(expected.is_ok()) << expected.status().to_string();
  if (!expected.is_ok()) return INFINITY;
  std::vector<torch::Tensor> torch_inputs;
  for (const Tensor& t : inputs) torch_inputs.push_back(*to_torch(t));
  module.eval();
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> got = module.forward(torch_inputs);
  EXPECT_EQ(got.size(), expected->size());
  double diff = 0.0;
  for (std::size_t i = 0; i < std::min(got.size(), expected->size()); ++i) {
    diff = std::max(diff, max_abs_diff((*expected)[i], got[i]));
  }
  return diff;
}

// `n` images [1,8,8] of noise; class 1 also has a bright 3x3 square somewhere. Labels alternate
// unless `class1_every` > 2 (imbalanced: one sample in class1_every is class 1).
inline LabeledData bright_square_data(std::int64_t n, std::uint64_t seed, std::int64_t class1_every = 2) {
  std::mt19937_64 rng(seed);
  auto unit = [&rng] { return static_cast<float>(static_cast<double>(rng() >> 11) * 0x1.0p-53); };
  LabeledData data;
  data.input_names = {"image"};
  data.class_names = {"plain", "square"};
  Result<Tensor> images = Tensor::allocate(DType::kFloat32, {n, 1, 8, 8});
  for (std::int64_t i = 0; i < n; ++i) {
    float* img = images->data<float>() + i * 64;
    for (int p = 0; p < 64; ++p) img[p] = 0.3f * unit();
    const std::int64_t label = i % class1_every == 1 ? 1 : 0;
    if (label == 1) {
      const int y0 = static_cast<int>(rng() % 6);
      const int x0 = static_cast<int>(rng() % 6);
      for (int y = y0; y < y0 + 3; ++y) {
        for (int x = x0; x < x0 + 3; ++x) img[y * 8 + x] += 1.0f;
      }
    }
    data.labels.push_back(label);
    data.sources.push_back("synthetic:" + std::to_string(i));
  }
  data.inputs.push_back(std::move(images).value());
  return data;
}

// conv -> BN -> relu -> maxpool -> dropout -> fc: trains on bright_square_data in a few epochs.
inline Graph square_net(std::uint64_t seed = 11) {
  GraphBuilder b("square_net", seed);
  std::string x = b.input("image", {-1, 1, 8, 8});
  x = b.max_pool2d(b.relu(b.batch_norm(b.conv2d(x, 4, 3, 1, 1))), 2);
  x = b.dropout(b.flatten(x), 0.1f);
  b.output(b.linear(x, 2), "logits");
  Result<Graph> graph = b.build();
  EXPECT_TRUE(graph.is_ok()) << graph.status().to_string();
  return std::move(graph).value();
}

// A teacher network labels N(0, 1) points in 8-D with 4 classes: a problem a small MLP learns well
// (QAT and pruning fine-tune tests).
inline LabeledData teacher_data(std::int64_t n, std::uint32_t seed) {
  std::mt19937 teacher_rng(99);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> t1(32 * 8), t2(4 * 32);
  for (float& v : t1) v = normal(teacher_rng);
  for (float& v : t2) v = normal(teacher_rng);
  std::mt19937 rng(seed);
  LabeledData data;
  data.input_names = {"x"};
  data.class_names = {"a", "b", "c", "d"};
  Tensor x = Tensor::allocate(DType::kFloat32, {n, 8}).value();
  for (std::int64_t i = 0; i < n; ++i) {
    float* xi = x.data<float>() + i * 8;
    for (int d = 0; d < 8; ++d) xi[d] = normal(rng);
    float logits[4] = {0, 0, 0, 0};
    for (int h = 0; h < 32; ++h) {
      float a = 0.0f;
      for (int d = 0; d < 8; ++d) a += t1[static_cast<std::size_t>(h * 8 + d)] * xi[d];
      for (int c = 0; c < 4; ++c) logits[c] += t2[static_cast<std::size_t>(c * 32 + h)] * std::max(a, 0.0f);
    }
    data.labels.push_back(std::max_element(logits, logits + 4) - logits);
  }
  data.inputs.push_back(std::move(x));
  return data;
}

}  // namespace edgeai::test
