// From a trained GraphModule to a deployable .eai Bundle, and the check that the edgeai
// runtime computes what libtorch computed. Tools side: libtorch.
#pragma once

#include <cstdint>
#include <string>

#include "core/status.hpp"
#include "data/labeled_data.hpp"
#include "format/bundle.hpp"
#include "graph/graph.hpp"
#include "train/torch_module.hpp"

namespace edgeai {

// The trained graph made ready to deploy: to_graph(), then fold_batchnorm, fuse_activations and
// remove_dead_nodes (which also drops Dropout), the batch dimension of every input set to 1,
// validated, output shapes declared. Exposed for callers that want the graph without a bundle.
Result<Graph> export_graph(const GraphModule& model);

// export_graph() in a Bundle. `manifest` supplies name, version, description, preprocessing,
// metadata; its inputs/outputs are replaced by the graph's, its labels default to
// golden_source.class_names. Golden vectors: `golden_count` samples of `golden_source` (held-out
// data), spread evenly over it; expected outputs computed by the edgeai runtime Session on the
// exported graph; tolerance atol 1e-4, rtol 1e-3. The caller writes the bundle (write_bundle).
Result<Bundle> export_bundle(const GraphModule& model, Manifest manifest, const LabeledData& golden_source,
                             int golden_count);

struct AgreementReport {
  std::int64_t samples = 0;
  double max_abs_diff = 0.0;      // over every element of every output
  double label_agreement = 0.0;   // fraction of samples whose argmax of output 0 is the same
  std::int64_t label_disagreements = 0;
  std::int64_t runtime_correct = 0;  // runtime argmax == data label
  std::int64_t torch_correct = 0;    // libtorch argmax == data label
};

// Runs every sample through the edgeai runtime (a Session, one sample at a time) on `graph`
// and through `model` with libtorch (eval mode, batched) and compares the outputs. `graph` is
// typically export_graph(model) or a bundle's graph; its inputs may have batch 1 or -1.
Result<AgreementReport> compare_with_runtime(const Graph& graph, GraphModule& model, const LabeledData& data);

}  // namespace edgeai
