// Quantisation-aware training: calibrate, learn the int8 decisions from one dry quantisation,
// fine-tune with fake quantisation at those fixed parameters, quantise the fine-tuned weights.
// The ranges never move during fine-tuning, so what the fake-quantised model learnt to live
// with is exactly what the int8 model computes. Tools side: libtorch and the compressor.
#include "train/qat.hpp"

#include <algorithm>
#include <memory>
#include <thread>

#include "compress/quantize.hpp"
#include "data/evaluate.hpp"
#include "graph/passes/passes.hpp"
#include "runtime/session.hpp"

namespace edgeai {
namespace {

bool has_batch_norm(const Graph& graph) {
  return std::any_of(graph.nodes.begin(), graph.nodes.end(),
                     [](const Node& n) { return n.op_type == "BatchNormalization"; });
}

// The int8 quantiser has no BatchNormalization kernel: fold it into the Conv before it, as
// import and export do (a BN no Conv feeds stays, and quantisation leaves it in float).
Result<Graph> graph_to_quantize(const Graph& graph) {
  if (!has_batch_norm(graph)) return graph;
  Graph folded = graph;
  EDGEAI_RETURN_IF_ERROR(fold_batchnorm(folded).status().with_context("QAT: folding BatchNormalization"));
  EDGEAI_RETURN_IF_ERROR(remove_dead_nodes(folded).status().with_context("QAT: folding BatchNormalization"));
  folded.value_info.clear();
  return folded;
}

// The selection score of `model` (eval mode, fake quantisation on) on `data`.
Result<double> validation_score(GraphModule& model, const LabeledData& data, const TrainOptions& options) {
  EDGEAI_ASSIGN_OR_RETURN(std::vector<torch::Tensor> outputs, predict(model, data));
  const torch::Tensor predicted_tensor = outputs.at(0).argmax(1).to(torch::kInt64).contiguous();
  const std::int64_t* p = predicted_tensor.data_ptr<std::int64_t>();
  const std::vector<std::int64_t> predicted(p, p + predicted_tensor.numel());
  return options.selection_metric ? options.selection_metric(predicted, data.labels)
                                  : accuracy_score(predicted, data.labels);
}

}  // namespace

TrainOptions qat_train_options(const TrainOptions& base) {
  TrainOptions o = base;
  // Fine-tuning from a trained optimum: a rate well below training's, decayed to 0, so the
  // weights adapt to the rounding without leaving the basin (1e-4 Adam is the usual choice
  // in QAT recipes, e.g. PyTorch's and TensorFlow Model Optimization's tutorials).
  o.optimizer = "adam";
  o.learning_rate = 1e-4;
  o.lr_schedule = "cosine";
  o.warmup_epochs = 0;
  o.weight_decay = 0.0;
  o.epochs = 1;
  return o;
}

FakeQuantization fake_quantization_for(const Graph& prepared, const QuantizedGraph& quantized) {
  FakeQuantization fq;
  for (const auto& [name, p] : quantized.params_of) {
    fq.activations[name] = ActivationQuantization{p.scale, p.zero_point, -128, 127};
  }
  for (const LayerDecision& d : quantized.layers) {
    if (!d.quantized || (d.op_type != "Conv" && d.op_type != "Gemm" && d.op_type != "MatMul")) continue;
    auto node =
        std::find_if(prepared.nodes.begin(), prepared.nodes.end(), [&](const Node& n) { return n.name == d.node; });
    if (node == prepared.nodes.end() || !node->has_input(1)) continue;
    // The axis quantize_per_channel is given in compress/quantize.cpp.
    const bool trans_b = d.op_type == "Gemm" && node->attr_int("transB", 0) != 0;
    fq.weights.emplace(node->inputs[1], d.op_type == "Conv" || trans_b ? 0 : 1);
  }
  return fq;
}

Graph trainable_graph(const Graph& prepared) {
  Graph g = prepared;
  for (ValueInfo& v : g.inputs) {
    if (!v.shape.empty()) v.shape[0] = -1;
  }
  for (ValueInfo& v : g.outputs) {
    if (!v.shape.empty()) v.shape[0] = -1;
  }
  g.value_info.clear();
  return g;
}

Result<CompressionResult> quantization_aware_training(const Bundle& fp32, const LabeledData& train_data,
                                                      const LabeledData& calibration_data,
                                                      const LabeledData* evaluation, const QatOptions& options,
                                                      const CompressOptions& compress_options,
                                                      const ProgressFn& progress, QatReport* report) {
  if (compress_options.weights != WeightFormat::kInt8) {
    return invalid_argument("quantisation-aware training needs int8 weights and activations, not ",
                            weight_format_name(compress_options.weights));
  }
  QatReport local_report;
  QatReport& r = report != nullptr ? *report : local_report;
  r = QatReport{};

  EDGEAI_ASSIGN_OR_RETURN(Graph graph, graph_to_quantize(fp32.graph));
  EDGEAI_ASSIGN_OR_RETURN(Int8Calibration calibrated,
                          calibrate_int8(graph, calibration_data, compress_options.calibration, progress));
  // The dry run: which values and weights the int8 model has, with which parameters.
  EDGEAI_ASSIGN_OR_RETURN(QuantizedGraph ptq,
                          quantize_int8(calibrated.prepared, calibrated.ranges, compress_options.quantize));
  FakeQuantization fq = fake_quantization_for(calibrated.prepared, ptq);
  r.fake_quantized_values = static_cast<std::int64_t>(fq.activations.size());
  r.fake_quantized_weights = static_cast<std::int64_t>(fq.weights.size());
  if (report != nullptr && evaluation != nullptr) {
    EDGEAI_ASSIGN_OR_RETURN(std::unique_ptr<Session> session, Session::create(ptq.graph));
    EDGEAI_ASSIGN_OR_RETURN(EvaluationResult e, evaluate_on_runtime(*session, *evaluation, fp32.manifest.labels));
    r.ptq_top1 = 100.0 * e.confusion.accuracy();
    if (progress) progress("evaluating PTQ", 1, 1);
  }

  EDGEAI_ASSIGN_OR_RETURN(std::shared_ptr<GraphModule> model,
                          GraphModule::create(trainable_graph(calibrated.prepared)));
  EDGEAI_RETURN_IF_ERROR(model->set_fake_quantization(std::move(fq)));
  const LabeledData no_validation;
  const LabeledData& validation = options.validation != nullptr ? *options.validation : no_validation;
  if (validation.size() > 0) {
    torch::set_num_threads(options.train.threads > 0
                               ? options.train.threads
                               : static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
    EDGEAI_ASSIGN_OR_RETURN(double before, validation_score(*model, validation, options.train));
    r.validation_score_before = before;
  }
  if (progress) progress("fine-tuning", 0, options.train.epochs);
  Result<TrainReport> trained = train_model(*model, train_data, validation, options.train);
  if (!trained.is_ok()) return trained.status().with_context("QAT fine-tuning");
  r.training = std::move(trained).value();
  if (progress) progress("fine-tuning", options.train.epochs, options.train.epochs);
  if (validation.size() > 0) {
    r.validation_score_after = r.training.best_score;
    r.kept_fine_tuned = *r.validation_score_after > *r.validation_score_before;
  }

  // The fine-tuned float weights into the calibrated graph; the ranges stay.
  if (r.kept_fine_tuned) {
    Graph tuned;
    try {
      tuned = model->to_graph();
    } catch (const std::exception& e) {
      return internal_error("QAT: reading back the fine-tuned weights: ", e.what());
    }
    for (const std::string& name : model->parameter_constants()) {
      calibrated.prepared.constants[name] = tuned.constants.at(name);
    }
  }
  EDGEAI_ASSIGN_OR_RETURN(CompressionResult result,
                          compress_int8(fp32, calibrated, calibration_data, evaluation, compress_options, progress));
  result.bundle.manifest.metadata["compression.qat"] =
      r.kept_fine_tuned
          ? str_cat(options.train.epochs, " epochs (best ", r.training.best_epoch, ") on ", train_data.size(),
                    " samples, ", options.train.optimizer, " lr ", options.train.learning_rate, " ",
                    options.train.lr_schedule, ", seed ", options.train.seed)
          : str_cat("fine-tuning did not raise the validation score (", *r.validation_score_before, " -> ",
                    *r.validation_score_after, "): weights as post-training quantisation");
  return result;
}

}  // namespace edgeai
