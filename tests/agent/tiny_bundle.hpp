// The agent tests' model: y = Relu(x w + b) over a (1, 4) input, golden vectors computed by
// the runtime itself. `scale` multiplies the weights (a retrain), `padding` adds an unused
// constant of that many floats (so that a download takes many chunks).
#pragma once

#include <string>

#include "format/bundle.hpp"
#include "runtime/session.hpp"

namespace edgeai::testing {

inline Bundle tiny_bundle(const std::string& version, int golden, float scale = 1.0f, std::int64_t padding = 0) {
  Bundle bundle;
  Graph& g = bundle.graph;
  g.name = "tiny";
  g.inputs = {{"x", DType::kFloat32, {1, 4}}};
  g.outputs = {{"y", DType::kFloat32, {1, 3}}};
  std::vector<float> w = {0.5f, -1, 2, 1, 0.25f, -0.5f, -2, 1, 0.125f, 3, -1, 1};
  for (float& v : w) v *= scale;
  g.constants["w"] = Tensor::from_vector<float>({4, 3}, w);
  g.constants["b"] = Tensor::from_vector<float>({3}, {0.1f, 0.2f, -0.3f});
  if (padding > 0) g.constants["pad"] = Tensor::from_vector<float>({padding}, std::vector<float>(padding, scale));
  Node gemm;
  gemm.name = "fc";
  gemm.op_type = "Gemm";
  gemm.inputs = {"x", "w", "b"};
  gemm.outputs = {"h"};
  Node relu;
  relu.name = "relu";
  relu.op_type = "Relu";
  relu.inputs = {"h"};
  relu.outputs = {"y"};
  g.nodes = {gemm, relu};
  bundle.manifest = default_manifest_for(g);
  bundle.manifest.name = "tiny";
  bundle.manifest.version = version;
  auto session = Session::create(g);
  for (int i = 0; i < golden; ++i) {
    Tensor x = Tensor::from_vector<float>({1, 4}, {0.5f * i, -1.0f, 2.0f - i, 0.25f});
    auto y = (*session)->run_and_copy({x});
    GoldenVector v;
    v.inputs = {{"x", x}};
    v.outputs = {{"y", (*y)[0]}};
    bundle.manifest.golden.push_back(v);
  }
  return bundle;
}

}  // namespace edgeai::testing
