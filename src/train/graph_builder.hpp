// GraphBuilder: declares a model as an IR Graph (the same IR the importer produces and the
// runtime runs), with seeded initial weights drawn the way torch.nn initialises its layers.
// Tools side, but free of torch: the builder depends on core and graph only.
//
// Errors are sticky, as in a FlatBuffers builder: a bad call (unknown value, wrong rank,
// channel mismatch) records the first error, returns a placeholder value name, and build()
// returns that error. So a model is written as straight-line code and checked once:
//
//   GraphBuilder b("cnn", /*seed=*/7);
//   std::string x = b.input("image", {-1, 1, 28, 28});
//   x = b.relu(b.batch_norm(b.conv2d(x, 16, 3, 1, 1)));
//   x = b.linear(b.flatten(b.global_avg_pool(x)), 10);
//   b.output(x, "logits");
//   Result<Graph> graph = b.build();
#pragma once

#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "core/status.hpp"
#include "graph/graph.hpp"

namespace edgeai {

// A convolution of any spatial rank (1-D: one entry per vector, 2-D: two).
struct ConvSpec {
  std::int64_t out_channels = 0;
  std::vector<std::int64_t> kernel;     // one per spatial axis
  std::vector<std::int64_t> strides;    // empty: 1 on every axis
  std::vector<std::int64_t> pads;       // ONNX order [begin..., end...]; empty: 0 (may be asymmetric)
  std::vector<std::int64_t> dilations;  // empty: 1 on every axis
  std::int64_t groups = 1;
  bool bias = true;
};

class GraphBuilder {
 public:
  // `seed` decides every initial weight: same seed, same graph, bit for bit, on any platform
  // (the draws use std::mt19937_64 and our own integer-to-float conversion).
  explicit GraphBuilder(std::string graph_name, std::uint64_t seed = 0);

  // A float32 graph input; `shape` includes the batch dimension (-1 for any, or 1).
  std::string input(const std::string& name, Shape shape);

  // Conv with weight [M, C/groups, k...] and bias [M] (torch init: kaiming_uniform(a=sqrt(5)),
  // i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for both). Returns the output value name.
  std::string conv(const std::string& x, const ConvSpec& spec);
  std::string conv1d(const std::string& x, std::int64_t out_channels, std::int64_t kernel, std::int64_t stride = 1,
                     std::int64_t padding = 0, std::int64_t groups = 1, std::int64_t dilation = 1, bool bias = true);
  std::string conv2d(const std::string& x, std::int64_t out_channels, std::int64_t kernel, std::int64_t stride = 1,
                     std::int64_t padding = 0, std::int64_t groups = 1, std::int64_t dilation = 1, bool bias = true);

  // BatchNormalization over axis 1: scale 1, bias 0, mean 0, var 1. `momentum` is torch's
  // (weight of the new batch statistic); the IR stores ONNX's, 1 - momentum.
  std::string batch_norm(const std::string& x, float epsilon = 1e-5f, float momentum = 0.1f);

  std::string relu(const std::string& x);
  std::string relu6(const std::string& x);  // Clip with constant min 0 and max 6
  std::string leaky_relu(const std::string& x, float alpha = 0.01f);
  std::string sigmoid(const std::string& x);
  std::string tanh(const std::string& x);
  std::string hardswish(const std::string& x);

  // stride 0 means stride = kernel (torch's default); padding is symmetric.
  std::string max_pool1d(const std::string& x, std::int64_t kernel, std::int64_t stride = 0, std::int64_t padding = 0);
  std::string max_pool2d(const std::string& x, std::int64_t kernel, std::int64_t stride = 0, std::int64_t padding = 0);
  // AveragePool of any rank: `kernel` has one entry per spatial axis; empty strides = kernel.
  std::string avg_pool(const std::string& x, std::vector<std::int64_t> kernel, std::vector<std::int64_t> strides = {},
                       std::vector<std::int64_t> pads = {}, bool count_include_pad = false);
  std::string global_avg_pool(const std::string& x);
  std::string flatten(const std::string& x, std::int64_t axis = 1);

  // Gemm(x, W, b) with transB = 1: W is [out, in] as in torch.nn.Linear.
  std::string linear(const std::string& x, std::int64_t out_features, bool bias = true);
  // Dropout-13: the ratio is a constant input; the runtime passes it through, training drops.
  std::string dropout(const std::string& x, float ratio);
  std::string concat(const std::vector<std::string>& xs, std::int64_t axis);
  std::string add(const std::string& a, const std::string& b);
  std::string softmax(const std::string& x, std::int64_t axis = -1);

  // Declares `x` a graph output called `name` (renaming the value; an Identity when `x` is a
  // graph input or already an output).
  void output(const std::string& x, const std::string& name);

  // The dtype/shape inferred so far for a value (shape empty and dtype undefined if unknown).
  ValueInfo info(const std::string& value) const;
  // The first error so far, or ok.
  const Status& status() const { return status_; }

  // Validates (graph/validate.hpp) and returns the graph; the first recorded error otherwise.
  // The builder may be used again afterwards only to build the same graph.
  Result<Graph> build() const;

 private:
  std::string fresh_name(const std::string& kind);
  bool check_value(const std::string& value, const char* what);
  void fail(Status status);
  // Adds `node` (name and outputs set), infers its output shapes with the op's schema.
  std::string add_node(Node node);
  std::string add_constant(const std::string& name, Tensor tensor);
  Tensor uniform_tensor(Shape shape, float bound);
  std::string unary(const char* op_type, const char* kind, const std::string& x);
  std::string max_pool(const std::string& x, std::size_t rank, std::int64_t kernel, std::int64_t stride,
                       std::int64_t padding);

  Graph graph_;
  std::mt19937_64 rng_;
  Status status_;
  std::map<std::string, int> counters_;
  std::map<std::string, ValueInfo> values_;  // every value declared so far
};

}  // namespace edgeai
