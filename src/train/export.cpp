// Export of a trained GraphModule: the IR passes a deployment wants, a static batch of 1 (the
// runtime plans static shapes), golden vectors computed by the runtime itself, and the
// libtorch-versus-runtime agreement check. Tools side: libtorch.
#include "train/export.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <stdexcept>

#include "graph/passes/passes.hpp"
#include "graph/validate.hpp"
#include "runtime/session.hpp"
#include "train/trainer.hpp"

namespace edgeai {
namespace {

// Sample `index` of `data` as one [1, ...] tensor per graph input (in `order`).
Result<std::vector<Tensor>> sample_inputs(const LabeledData& data, const std::vector<std::size_t>& order,
                                          std::int64_t index) {
  std::vector<Tensor> out;
  for (std::size_t i : order) {
    const Tensor& all = data.inputs[i];
    Shape shape = all.shape();
    const std::size_t row_bytes = all.size_bytes() / static_cast<std::size_t>(shape[0]);
    shape[0] = 1;
    EDGEAI_ASSIGN_OR_RETURN(Tensor t, Tensor::allocate(all.dtype(), shape));
    std::memcpy(t.raw_data(), static_cast<const std::uint8_t*>(all.raw_data()) + index * row_bytes, row_bytes);
    out.push_back(std::move(t));
  }
  return out;
}

std::int64_t argmax_of(const float* values, std::int64_t count) {
  std::int64_t best = 0;
  for (std::int64_t i = 1; i < count; ++i) {
    if (values[i] > values[best]) best = i;
  }
  return best;
}

}  // namespace

Result<Graph> export_graph(const GraphModule& model) {
  Graph graph;
  try {
    graph = model.to_graph();
  } catch (const std::exception& e) {
    return internal_error("export of graph '", model.graph().name, "': ", e.what());
  }
  const std::string context = str_cat("export of graph '", graph.name, "'");
  Result<int> folded = fold_batchnorm(graph);
  if (!folded.is_ok()) return folded.status().with_context(context);
  Result<int> fused = fuse_activations(graph);
  if (!fused.is_ok()) return fused.status().with_context(context);
  Result<int> removed = remove_dead_nodes(graph);
  if (!removed.is_ok()) return removed.status().with_context(context);

  // A deployable bundle has static shapes: one sample per run.
  for (ValueInfo& input : graph.inputs) {
    if (!input.shape.empty()) input.shape[0] = 1;
  }
  for (ValueInfo& output : graph.outputs) {
    if (!output.shape.empty() && output.shape[0] < 0) output.shape[0] = 1;
  }
  graph.value_info.clear();
  Status valid = validate_graph(graph);
  if (!valid.is_ok()) return valid.with_context(context);
  for (ValueInfo& output : graph.outputs) {
    std::optional<ValueInfo> inferred = graph.find_value_info(output.name);
    if (inferred) {
      output.dtype = inferred->dtype;
      output.shape = inferred->shape;
    }
  }
  return graph;
}

Result<Bundle> export_bundle(const GraphModule& model, Manifest manifest, const LabeledData& golden_source,
                             int golden_count) {
  EDGEAI_ASSIGN_OR_RETURN(Graph graph, export_graph(model));
  if (golden_count < 0) return invalid_argument("golden_count must be >= 0, got ", golden_count);
  if (golden_count > golden_source.size()) {
    return invalid_argument("golden_count ", golden_count, " is more than the ", golden_source.size(),
                            " samples given for golden vectors");
  }
  manifest.inputs = graph.inputs;
  manifest.outputs = graph.outputs;
  if (manifest.name.empty()) manifest.name = graph.name;
  if (manifest.labels.empty()) manifest.labels = golden_source.class_names;

  if (golden_count > 0) {
    EDGEAI_ASSIGN_OR_RETURN(std::vector<std::size_t> order, match_data_inputs(graph, golden_source));
    Result<std::unique_ptr<Session>> session = Session::create(graph);
    if (!session.is_ok()) return session.status().with_context("golden vectors");
    for (int k = 0; k < golden_count; ++k) {
      // Evenly spread over the set, so a class-sorted set still gives several classes.
      const std::int64_t index = static_cast<std::int64_t>(k) * golden_source.size() / golden_count;
      EDGEAI_ASSIGN_OR_RETURN(std::vector<Tensor> inputs, sample_inputs(golden_source, order, index));
      Result<std::vector<Tensor>> outputs = (*session)->run_and_copy(inputs);
      if (!outputs.is_ok()) return outputs.status().with_context(str_cat("golden vector of sample ", index));
      GoldenVector golden;
      golden.atol = 1e-4f;
      golden.rtol = 1e-3f;
      for (std::size_t i = 0; i < inputs.size(); ++i) golden.inputs.emplace_back(graph.inputs[i].name, inputs[i]);
      for (std::size_t i = 0; i < outputs->size(); ++i) {
        golden.outputs.emplace_back(graph.outputs[i].name, (*outputs)[i]);
      }
      manifest.golden.push_back(std::move(golden));
    }
  }
  Bundle bundle;
  bundle.manifest = std::move(manifest);
  bundle.graph = std::move(graph);
  return bundle;
}

Result<AgreementReport> compare_with_runtime(const Graph& graph, GraphModule& model, const LabeledData& data) {
  EDGEAI_ASSIGN_OR_RETURN(std::vector<std::size_t> order, match_data_inputs(graph, data));
  EDGEAI_ASSIGN_OR_RETURN(std::vector<torch::Tensor> torch_outputs, predict(model, data, 256));
  Result<std::unique_ptr<Session>> session = Session::create(graph);
  if (!session.is_ok()) return session.status().with_context("runtime session for the agreement check");
  if (!torch_outputs.empty() && torch_outputs.size() != graph.outputs.size()) {
    return invalid_argument("the module has ", torch_outputs.size(), " outputs, graph '", graph.name, "' has ",
                            graph.outputs.size());
  }
  std::vector<torch::Tensor> torch_rows;
  for (const torch::Tensor& t : torch_outputs) torch_rows.push_back(t.to(torch::kFloat32).contiguous());

  AgreementReport report;
  report.samples = data.size();
  for (std::int64_t i = 0; i < data.size(); ++i) {
    EDGEAI_ASSIGN_OR_RETURN(std::vector<Tensor> inputs, sample_inputs(data, order, i));
    Result<std::vector<Tensor>> outputs = (*session)->run_and_copy(inputs);
    if (!outputs.is_ok()) return outputs.status().with_context(str_cat("runtime on sample ", i));
    for (std::size_t k = 0; k < outputs->size(); ++k) {
      const Tensor& runtime_out = (*outputs)[k];
      if (runtime_out.dtype() != DType::kFloat32) {
        return unsupported("output '", graph.outputs[k].name, "' is ", dtype_name(runtime_out.dtype()),
                           "; the agreement check compares float32 outputs");
      }
      const std::int64_t per_sample = torch_rows[k].numel() / std::max<std::int64_t>(1, data.size());
      if (runtime_out.num_elements() != per_sample) {
        return invalid_argument("output '", graph.outputs[k].name, "': the runtime gives ",
                                runtime_out.num_elements(), " values per sample, libtorch ", per_sample);
      }
      const float* r = runtime_out.data<float>();
      const float* t = torch_rows[k].data_ptr<float>() + i * per_sample;
      for (std::int64_t j = 0; j < per_sample; ++j) {
        const double diff = std::fabs(static_cast<double>(r[j]) - static_cast<double>(t[j]));
        // A NaN on either side is a disagreement, not a silent 0.
        report.max_abs_diff = std::isnan(diff) ? INFINITY : std::max(report.max_abs_diff, diff);
      }
      if (k == 0) {
        const std::int64_t runtime_label = argmax_of(r, per_sample);
        const std::int64_t torch_label = argmax_of(t, per_sample);
        if (runtime_label != torch_label) ++report.label_disagreements;
        const std::int64_t truth = data.labels[static_cast<std::size_t>(i)];
        report.runtime_correct += runtime_label == truth ? 1 : 0;
        report.torch_correct += torch_label == truth ? 1 : 0;
      }
    }
  }
  report.label_agreement =
      report.samples > 0
          ? static_cast<double>(report.samples - report.label_disagreements) / static_cast<double>(report.samples)
          : 1.0;
  return report;
}

}  // namespace edgeai
