// Classifiers whose answers the inference tests can predict.
//   tiny_classifier: input x (1, 4) -> logits 10 * (x0, x1, x2): the label is the largest of the
//     first three values ("a", "b", "c"); "c" is an anomaly label. `image` = true makes the
//     input a 2x2 gray image (preprocessing kind image, scale 1/255) flattened into the same.
//   tiny_ecg_classifier: inputs beat (1, 1, 256) and rr (1, 8) -> "slow" when the pre-RR
//     interval is over 0.8 s, else "fast" (logits 0 and 10 * (pre_rr - 0.8)); "slow" is an
//     anomaly label; ecg_beat preprocessing with the defaults.
#pragma once

#include <string>

#include "data/ecg_beats.hpp"
#include "format/bundle.hpp"
#include "runtime/session.hpp"

namespace edgeai::testing {

inline Node make_node(std::string name, std::string op, std::vector<std::string> inputs,
                      std::vector<std::string> outputs) {
  Node n;
  n.name = std::move(name);
  n.op_type = std::move(op);
  n.inputs = std::move(inputs);
  n.outputs = std::move(outputs);
  return n;
}

// Golden vectors (what an update validates before activation): `count` inputs of the graph's
// first input shape, outputs computed by the runtime.
inline void add_golden_vectors(Bundle& bundle, int count) {
  auto session = Session::create(bundle.graph);
  if (!session.is_ok()) return;
  bundle.manifest.golden.clear();
  for (int i = 0; i < count; ++i) {
    std::vector<Tensor> inputs;
    for (const ValueInfo& info : bundle.graph.inputs) {
      std::vector<float> v(static_cast<std::size_t>(element_count(info.shape).value_or(0)));
      for (std::size_t k = 0; k < v.size(); ++k)
        v[k] = static_cast<float>((k + static_cast<std::size_t>(i)) % 3) * 0.5f;
      inputs.push_back(Tensor::from_vector<float>(info.shape, v));
    }
    auto outputs = (*session)->run_and_copy(inputs);
    if (!outputs.is_ok()) return;
    GoldenVector g;
    for (std::size_t k = 0; k < inputs.size(); ++k) g.inputs.emplace_back(bundle.graph.inputs[k].name, inputs[k]);
    for (std::size_t k = 0; k < outputs->size(); ++k)
      g.outputs.emplace_back(bundle.graph.outputs[k].name, (*outputs)[k]);
    bundle.manifest.golden.push_back(std::move(g));
  }
}

inline Bundle tiny_classifier(const std::string& version, bool image = false, float scale = 10.0f) {
  Bundle bundle;
  Graph& g = bundle.graph;
  g.name = "tiny-classifier";
  std::vector<float> w(12, 0.0f);
  for (int i = 0; i < 3; ++i) w[static_cast<std::size_t>(i * 3 + i)] = scale;
  g.constants["w"] = Tensor::from_vector<float>({4, 3}, w);
  g.constants["b"] = Tensor::from_vector<float>({3}, {0, 0, 0});
  if (image) {
    g.inputs = {{"image", DType::kFloat32, {1, 1, 2, 2}}};
    g.nodes.push_back(make_node("flatten", "Flatten", {"image"}, {"x"}));
  } else {
    g.inputs = {{"x", DType::kFloat32, {1, 4}}};
  }
  g.outputs = {{"logits", DType::kFloat32, {1, 3}}};
  g.nodes.push_back(make_node("fc", "Gemm", {"x", "w", "b"}, {"logits"}));
  bundle.manifest = default_manifest_for(g);
  bundle.manifest.name = "tiny-classifier";
  bundle.manifest.version = version;
  bundle.manifest.labels = {"a", "b", "c"};
  bundle.manifest.metadata["anomaly_labels"] = "c";
  if (image) {
    Preprocessing& pre = bundle.manifest.preprocessing;
    pre.kind = "image";
    pre.layout = "NCHW";
    pre.color = "gray";
    pre.scale = 1.0f / 255.0f;
  }
  return bundle;
}

inline Bundle tiny_ecg_classifier(const std::string& version) {
  Bundle bundle;
  Graph& g = bundle.graph;
  g.name = "tiny-ecg";
  g.inputs = {{"beat", DType::kFloat32, {1, 1, 256}}, {"rr", DType::kFloat32, {1, kNumRrFeatures}}};
  g.outputs = {{"logits", DType::kFloat32, {1, 2}}};
  std::vector<float> w(static_cast<std::size_t>(kNumRrFeatures) * 2, 0.0f);
  w[1] = 10.0f;  // rr[0] (pre_rr_s) -> logit 1
  g.constants["w"] = Tensor::from_vector<float>({kNumRrFeatures, 2}, w);
  g.constants["b"] = Tensor::from_vector<float>({2}, {0.0f, -8.0f});
  g.nodes.push_back(make_node("fc", "Gemm", {"rr", "w", "b"}, {"logits"}));
  bundle.manifest = default_manifest_for(g);
  bundle.manifest.name = "tiny-ecg";
  bundle.manifest.version = version;
  bundle.manifest.labels = {"fast", "slow"};
  bundle.manifest.metadata["anomaly_labels"] = "slow";
  bundle.manifest.preprocessing = ecg_beat_preprocessing(EcgBeatParams{});
  return bundle;
}

}  // namespace edgeai::testing
