// Test helper: runs one node through the full kernel contract (schema check, shape
// inference, registry lookup, prepare, run) on owned input tensors, without the runtime.
#pragma once

#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "core/aligned_buffer.hpp"
#include "core/cpu_features.hpp"
#include "graph/validate.hpp"
#include "kernels/registry.hpp"

namespace edgeai::testing {

// Inputs are fed as graph inputs named in0, in1, ... unless `as_constants` marks them as
// constants (then kernels see them at prepare time, as weights are). An empty Tensor is an
// absent optional input. `implementation` names the registered kernel to run ("reference"
// or an optimised one); `threads` is the pool it may use.
inline Result<std::vector<Tensor>> run_node(Node node, const std::vector<Tensor>& inputs,
                                            std::vector<bool> as_constants = {},
                                            std::string_view implementation = "reference",
                                            ThreadPool* threads = nullptr) {
  Graph graph;
  node.inputs.clear();
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i].is_null()) {
      node.inputs.emplace_back();
      continue;
    }
    std::string name = str_cat("in", i);
    node.inputs.push_back(name);
    if (i < as_constants.size() && as_constants[i]) {
      graph.constants[name] = inputs[i];
    } else {
      graph.inputs.push_back(ValueInfo{name, inputs[i].dtype(), inputs[i].shape()});
    }
  }
  if (node.outputs.empty()) node.outputs = {"out0"};
  if (node.name.empty()) node.name = "node";
  for (const std::string& out : node.outputs) graph.outputs.push_back(ValueInfo{out, DType::kUndefined, {}});
  graph.nodes.push_back(node);

  const OpSchema* schema = OpSchemaRegistry::builtin().find(node.op_type);
  if (schema == nullptr) return unsupported("no schema for ", node.op_type);
  EDGEAI_RETURN_IF_ERROR(check_node(node, *schema));
  std::map<std::string, const Tensor*> known;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i].is_null()) known[str_cat("in", i)] = &inputs[i];
  }
  EDGEAI_RETURN_IF_ERROR(infer_shapes(graph, known));

  KernelSignature sig;
  sig.threads = threads;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    sig.inputs.push_back(inputs[i].is_null() ? ValueInfo{} : ValueInfo{node.inputs[i], inputs[i].dtype(), inputs[i].shape()});
    sig.input_values.push_back(i < as_constants.size() && as_constants[i] ? &inputs[i] : nullptr);
  }
  for (const std::string& out : node.outputs) sig.outputs.push_back(graph.value_info.at(out));

  EDGEAI_ASSIGN_OR_RETURN(std::unique_ptr<Kernel> kernel, KernelRegistry::builtin().create(node.op_type, implementation));
  EDGEAI_RETURN_IF_ERROR(kernel->prepare(node, sig));

  std::vector<Tensor> outputs;
  std::vector<TensorView> out_views;
  for (const ValueInfo& info : sig.outputs) {
    EDGEAI_ASSIGN_OR_RETURN(Tensor t, Tensor::allocate(info.dtype, info.shape));
    outputs.push_back(t);
    out_views.push_back(t.view());
  }
  std::vector<TensorView> in_views;
  for (const Tensor& t : inputs) in_views.push_back(t.is_null() ? TensorView{} : t.view());
  if (kernel->aliasing() == Aliasing::kViewOfInput0) {
    // The runtime never calls run() for a view op; the output is input 0's bytes.
    if (outputs[0].size_bytes() > 0) std::memcpy(outputs[0].raw_data(), inputs[0].raw_data(), outputs[0].size_bytes());
    return outputs;
  }
  AlignedBuffer scratch(kernel->scratch_bytes());
  EDGEAI_RETURN_IF_ERROR(kernel->run(in_views, out_views, scratch.data()));
  return outputs;
}

// The optimised implementations of `op_type` this CPU can run (the registry's names), so a
// test runs every one of them against the reference: those of channels-first nodes, or with
// `channels_last` those of channels-last nodes (graph/layout.hpp).
inline std::vector<std::string> optimized_implementations(const std::string& op_type, bool channels_last = false) {
  std::vector<std::string> names;
  for (const KernelImplementation* impl : KernelRegistry::builtin().implementations(op_type)) {
    if (impl->name != "reference" && (impl->runs_channels_last != nullptr) == channels_last &&
        (impl->available == nullptr || impl->available(cpu_features()))) {
      names.push_back(impl->name);
    }
  }
  return names;
}

}  // namespace edgeai::testing
