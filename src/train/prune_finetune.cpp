// Fine-tuning after pruning: a GraphModule of the pruned graph, gradient masks on the pruned
// weights, train_model, and the trained weights back into the graph with the masks re-applied.
#include "train/prune_finetune.hpp"

#include <memory>

#include "train/qat.hpp"
#include "train/torch_module.hpp"

namespace edgeai {

TrainOptions prune_fine_tune_options(const TrainOptions& base) {
  TrainOptions o = base;
  o.optimizer = "adam";
  o.learning_rate = 1e-3;
  o.lr_schedule = "cosine";
  o.warmup_epochs = 0;
  o.weight_decay = 0.0;
  o.epochs = 1;
  return o;
}

Result<Graph> fine_tune_pruned(const Graph& pruned, const std::map<std::string, Tensor>& masks,
                               const LabeledData& train, const LabeledData& validation, const TrainOptions& options,
                               PruneFineTuneReport* report) {
  PruneFineTuneReport local_report;
  PruneFineTuneReport& r = report != nullptr ? *report : local_report;
  r = PruneFineTuneReport{};
  EDGEAI_ASSIGN_OR_RETURN(std::shared_ptr<GraphModule> model, GraphModule::create(trainable_graph(pruned)));

  // GraphModule registers its parameters in parameter_constants() order and nothing else.
  const std::vector<std::string>& names = model->parameter_constants();
  const std::vector<torch::Tensor> params = model->parameters();
  if (params.size() != names.size()) {
    return internal_error("pruning fine-tune: ", params.size(), " parameters for ", names.size(), " constants");
  }
  for (const auto& [name, mask] : masks) {
    if (pruned.constants.count(name) == 0) {
      return invalid_argument("pruning fine-tune: the mask for '", name, "' names no constant of the graph");
    }
  }
  for (std::size_t i = 0; i < names.size(); ++i) {
    auto it = masks.find(names[i]);
    if (it == masks.end()) continue;
    EDGEAI_ASSIGN_OR_RETURN(torch::Tensor mask, to_torch(it->second));
    mask = mask != 0;  // bool: true where the weight may change
    torch::Tensor param = params[i];
    if (mask.sizes() != param.sizes()) {
      return invalid_argument("pruning fine-tune: the mask for '", names[i], "' has shape ", mask.sizes(),
                              ", the weight ", param.sizes());
    }
    ++r.masked_parameters;
    r.masked_weights += mask.numel() - mask.sum().item<std::int64_t>();
    // torch::where, not a product: a NaN or inf gradient must not leak into a pruned weight.
    param.register_hook([mask](const torch::Tensor& grad) {
      return torch::where(mask.to(grad.device()), grad, torch::zeros_like(grad));
    });
  }

  Result<TrainReport> trained = train_model(*model, train, validation, options);
  if (!trained.is_ok()) return trained.status().with_context("pruning fine-tune");
  r.training = std::move(trained).value();

  Graph tuned = pruned;  // the pruned graph's own input/output shapes and value_info
  try {
    const Graph trained_graph = model->to_graph();
    for (const std::string& name : names) tuned.constants[name] = trained_graph.constants.at(name);
    for (const std::string& name : model->statistic_constants()) tuned.constants[name] = trained_graph.constants.at(name);
  } catch (const std::exception& e) {
    return internal_error("pruning fine-tune: reading back the trained weights: ", e.what());
  }
  // The hooks keep the zeros; this makes it a guarantee whatever the optimiser did.
  EDGEAI_RETURN_IF_ERROR(apply_prune_masks(tuned, masks));
  return tuned;
}

PruneFineTuneFn prune_fine_tuner(const LabeledData& train, TrainOptions options, const LabeledData* validation,
                                 PruneFineTuneReport* report) {
  return [&train, options = std::move(options), validation, report](
             const Graph& pruned, const std::map<std::string, Tensor>& masks) -> Result<Graph> {
    const LabeledData none;
    return fine_tune_pruned(pruned, masks, train, validation != nullptr ? *validation : none, options, report);
  };
}

}  // namespace edgeai
