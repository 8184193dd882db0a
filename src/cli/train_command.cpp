// `edgeai train RECIPE|CONFIG -o MODEL.eai`: trains with libtorch, exports the trained IR as a
// bundle (labels, preprocessing, golden vectors), then evaluates the bundle on the test set
// with the edgeai runtime and checks it agrees with libtorch. With `--qat OUT.eai` it then
// fine-tunes with fake quantisation and writes the int8 bundle too. `edgeai train qat MODEL.eai`
// does quantisation-aware training of an existing bundle; `edgeai train prune MODEL.eai` prunes
// it and fine-tunes what is left.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <optional>
#include <sstream>

#include "cli/commands.hpp"
#include "compress/compress.hpp"
#include "data/dataset_spec.hpp"
#include "data/evaluate.hpp"
#include "data/telemetry_stats.hpp"
#include "runtime/session.hpp"
#include "train/export.hpp"
#include "train/prune_finetune.hpp"
#include "train/qat.hpp"
#include "train/recipes/recipes.hpp"
#include "train/torch_module.hpp"
#include "train/trainer.hpp"

namespace edgeai::cli {
namespace {

// Quantisation-aware training options shared by `train --qat` and `train qat`.
struct QatArgs {
  std::string output;
  int epochs = 1;
  std::int64_t limit = -1;         // training samples for fine-tuning, spread evenly (-1: all)
  std::int64_t calibration = 500;  // training samples, spread evenly, that set the int8 ranges
  std::string method = "minmax";
  double learning_rate = 1e-4;
  std::vector<std::string> keep_float;  // layers that stay float32 (mixed precision)
};

struct QatFigures {
  std::optional<AccuracyFigures> accuracy;  // fp32 vs QAT int8 on the evaluation set
  std::optional<double> ptq_top1;
  std::int64_t train_samples = 0;
  std::int64_t calibration_samples = 0;
  bool kept_fine_tuned = true;
  double seconds = 0.0;
};

// QAT of `fp32` on `train` (its first samples as calibration), the int8 bundle written to
// args.output. `base` gives the loss, augmentation, batch size, seed and threads.
QatFigures run_qat(const Bundle& fp32, const LabeledData& train, const LabeledData* validation,
                   const LabeledData* evaluation, const TrainOptions& base, const QatArgs& args, FILE* log) {
  const auto start = std::chrono::steady_clock::now();
  if (args.epochs < 1) throw CommandError("--qat-epochs must be >= 1");
  const LabeledData calibration = check(train.evenly_spaced(args.calibration));
  const LabeledData fine_tune = args.limit >= 0 ? check(train.evenly_spaced(args.limit)) : train;
  QatOptions options;
  options.train = qat_train_options(base);
  options.train.epochs = args.epochs;
  options.train.learning_rate = args.learning_rate;
  options.train.json = false;  // stdout keeps one JSON object per fp32 epoch, then the summary
  options.validation = validation != nullptr && validation->size() > 0 ? validation : nullptr;
  CompressOptions compress;
  compress.calibration.method = check(parse_calibration_method(args.method));
  compress.quantize.keep_float = node_names(args.keep_float, fp32.graph, "--keep-float");
  std::fprintf(log, "QAT: int8 ranges from %lld training samples (%s), fine-tuning %d epoch(s) on %lld samples\n",
               static_cast<long long>(calibration.size()), args.method.c_str(), args.epochs,
               static_cast<long long>(fine_tune.size()));
  std::fflush(log);
  std::string last_stage;
  const ProgressFn progress = [&](std::string_view stage, std::int64_t, std::int64_t total) {
    if (stage == last_stage || total <= 0) return;  // one line per stage
    last_stage = std::string(stage);
    std::fprintf(stderr, "  QAT: %s\n", last_stage.c_str());
  };
  QatReport report;
  CompressionResult result = check(
      quantization_aware_training(fp32, fine_tune, calibration, evaluation, options, compress, progress, &report));
  for (const std::string& w : result.warnings) std::fprintf(stderr, "edgeai: warning: %s\n", w.c_str());
  check(write_bundle(result.bundle, args.output));
  if (!report.kept_fine_tuned) {
    std::fprintf(stderr,
                 "edgeai: warning: QAT did not raise the validation score (%.4f -> %.4f); %s holds the "
                 "post-training quantised weights\n",
                 *report.validation_score_before, *report.validation_score_after, args.output.c_str());
  }
  QatFigures f;
  f.accuracy = result.accuracy;
  f.ptq_top1 = report.ptq_top1;
  f.train_samples = fine_tune.size();
  f.calibration_samples = calibration.size();
  f.kept_fine_tuned = report.kept_fine_tuned;
  f.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return f;
}

void print_qat_summary(const QatFigures& f, const std::string& output, const std::string& eval_spec) {
  std::printf("wrote %s (int8, quantisation-aware training, %.1f s)\n", output.c_str(), f.seconds);
  if (f.accuracy && f.ptq_top1) {
    std::printf(
        "top-1 on %s (%lld samples): fp32 %.2f %%, int8 PTQ %.2f %%, int8 QAT %.2f %%; QAT labels agree "
        "with fp32 on %.2f %%\n",
        eval_spec.c_str(), static_cast<long long>(f.accuracy->samples), f.accuracy->fp32_top1, *f.ptq_top1,
        f.accuracy->compressed_top1, f.accuracy->label_agreement);
  }
}

std::string qat_json_fields(const QatFigures& f, const std::string& output) {
  std::string json = str_cat(",\"qat_output\":\"", output, "\",\"qat_seconds\":", f.seconds,
                             ",\"qat_kept_fine_tuned\":", f.kept_fine_tuned ? "true" : "false");
  if (f.accuracy && f.ptq_top1) {
    json += str_cat(",\"int8_fp32_top1\":", f.accuracy->fp32_top1, ",\"int8_ptq_top1\":", *f.ptq_top1,
                    ",\"int8_qat_top1\":", f.accuracy->compressed_top1,
                    ",\"int8_qat_label_agreement\":", f.accuracy->label_agreement);
  }
  return json;
}

struct TrainArgs {
  std::string recipe;
  std::string output;
  RecipeOptions recipe_options;
  std::string device = "cpu";
  int threads = 0;
  bool json = false;
  std::string version = "1.0.0";
  int golden = 8;
  QatArgs qat;
};

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

int run_train(const TrainArgs& args) {
  const auto start = std::chrono::steady_clock::now();
  const bool is_config =
      ends_with(args.recipe, ".yaml") || ends_with(args.recipe, ".yml") || ends_with(args.recipe, ".json");
  TrainingPlan plan = check(is_config ? plan_from_config(args.recipe, args.recipe_options)
                                      : plan_recipe(args.recipe, args.recipe_options));
  FILE* log = args.json ? stderr : stdout;
  for (const std::string& line : plan.data_summary) std::fprintf(log, "data  %s\n", line.c_str());

  plan.options.device = args.device;
  plan.options.threads = args.threads;
  plan.options.json = args.json;
  std::shared_ptr<GraphModule> model = check(GraphModule::create(plan.model));
  TrainReport report = check(train_model(*model, plan.train, plan.val, plan.options));
  std::fprintf(log, "best epoch %d of %zu: validation %s %.4f (%s, %d threads, %.1f s)\n", report.best_epoch,
               report.epochs.size(), report.metric_name.c_str(), report.best_score, report.device.c_str(),
               report.threads, report.total_seconds);

  Manifest manifest = plan.manifest;
  manifest.version = args.version;
  manifest.metadata["seed"] = std::to_string(args.recipe_options.seed);
  manifest.metadata["best_epoch"] = std::to_string(report.best_epoch);
  manifest.metadata["test_data"] = plan.test_spec;
  Bundle bundle = check(export_bundle(*model, manifest, plan.test, args.golden));
  // The drift baseline: what the model predicts on held-out in-distribution data (the
  // validation split), which devices' telemetry is compared with (data/telemetry_stats.hpp).
  {
    std::unique_ptr<Session> val_session = check(Session::create(bundle.graph));
    EvaluationResult val = check(evaluate_on_runtime(*val_session, plan.val, bundle.manifest.labels));
    PredictionBaseline baseline = baseline_from_outputs(val.logits, val.num_classes);
    baseline.data = str_cat("validation split of the training data (", plan.val.size(), " samples)");
    write_baseline(baseline, bundle.manifest.metadata);
  }
  check(write_bundle(bundle, args.output));
  std::fprintf(log, "wrote %s (%zu nodes, %.2f M parameters, %zu golden vectors)\n", args.output.c_str(),
               bundle.graph.nodes.size(), static_cast<double>(bundle.graph.parameter_count()) / 1e6,
               bundle.manifest.golden.size());

  // The deployed artifact on the test set, with the edgeai runtime; libtorch alongside.
  const std::vector<std::string> labels = bundle.manifest.labels;
  std::unique_ptr<Session> session = check(Session::create(bundle.graph));
  EvaluationResult eval = check(evaluate_on_runtime(*session, plan.test, labels));
  std::vector<torch::Tensor> torch_out = check(predict(*model, plan.test));
  const torch::Tensor torch_logits = torch_out[0].contiguous();
  const float* t = torch_logits.data_ptr<float>();
  double max_abs_diff = 0.0;
  std::int64_t agree = 0;
  for (std::int64_t n = 0; n < plan.test.size(); ++n) {
    const float* r = eval.logits.data() + n * eval.num_classes;
    const float* tn = t + n * eval.num_classes;
    for (std::int64_t c = 0; c < eval.num_classes; ++c) {
      max_abs_diff = std::max(max_abs_diff, static_cast<double>(std::fabs(r[c] - tn[c])));
    }
    agree += (std::max_element(tn, tn + eval.num_classes) - tn) == eval.predicted[n];
  }
  const double agreement =
      plan.test.size() > 0 ? static_cast<double>(agree) / static_cast<double>(plan.test.size()) : 1.0;

  // Quantisation-aware training of the bundle just written: the validation set guards it, the
  // test set measures it (fp32 vs post-training vs quantisation-aware int8).
  std::optional<QatFigures> qat;
  if (!args.qat.output.empty()) {
    qat = run_qat(bundle, plan.train, &plan.val, &plan.test, plan.options, args.qat, log);
  }
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  if (args.json) {
    std::string json = eval.confusion.to_json();
    json.pop_back();
    std::printf(
        "%s,\"model\":\"%s\",\"output\":\"%s\",\"test_data\":\"%s\",\"best_epoch\":%d,"
        "\"runtime_vs_libtorch_max_abs_diff\":%.3g,\"label_agreement\":%.6f,\"train_seconds\":%.1f,"
        "\"wall_seconds\":%.1f",
        json.c_str(), bundle.manifest.name.c_str(), args.output.c_str(), plan.test_spec.c_str(), report.best_epoch,
        max_abs_diff, agreement, report.total_seconds, wall);
    if (eval.roc_auc && !std::isnan(*eval.roc_auc)) std::printf(",\"roc_auc\":%.6f", *eval.roc_auc);
    if (qat) std::printf("%s", qat_json_fields(*qat, args.qat.output).c_str());
    std::printf("}\n");
    return 0;
  }
  std::printf("\ntest set %s on the edgeai runtime:\n%s\n%s", plan.test_spec.c_str(),
              eval.confusion.format_report().c_str(), eval.confusion.format_table().c_str());
  if (eval.roc_auc)
    std::printf("ROC AUC (class '%s') %.4f\n", labels.size() > 1 ? labels[1].c_str() : "1", *eval.roc_auc);
  std::printf("runtime vs libtorch: max abs difference of logits %.3g, label agreement %.4f%% (%lld of %lld)\n",
              max_abs_diff, 100.0 * agreement, static_cast<long long>(agree), static_cast<long long>(plan.test.size()));
  if (qat) print_qat_summary(*qat, args.qat.output, plan.test_spec);
  std::printf("wall time %.1f s (training %.1f s)\n", wall, report.total_seconds);
  return 0;
}

// Training options `train qat` and `train prune` share; the rest comes from the fine-tuning defaults.
struct FineTuneArgs {
  int batch_size = 64;
  std::uint64_t seed = 42;
  std::string class_weighting = "none";
  std::string device = "cpu";
  int threads = 0;
  bool json = false;

  TrainOptions base() const {
    TrainOptions o;
    o.batch_size = batch_size;
    o.seed = seed;
    o.class_weighting = class_weighting;
    o.device = device;
    o.threads = threads;
    return o;
  }
  void add_options(CLI::App* cmd) {
    cmd->add_option("--batch-size", batch_size, "batch size")->capture_default_str();
    cmd->add_option("--class-weighting", class_weighting, "none, inverse or sqrt_inverse")->capture_default_str();
    cmd->add_option("--seed", seed, "seed for shuffling")->capture_default_str();
    cmd->add_option("--device", device, "cpu, or cuda when libtorch has CUDA")->capture_default_str();
    cmd->add_option("--threads", threads, "threads for libtorch (0: all cores)")->capture_default_str();
    cmd->add_flag("--json", json, "one JSON object with the figures on stdout");
  }
};

struct QatCommandArgs {
  std::string model;
  std::string data;
  std::string eval;
  std::string val;
  QatArgs qat;
  FineTuneArgs tuning;
};

int run_qat_command(const QatCommandArgs& args) {
  const Bundle fp32 = check(read_bundle(args.model));
  FILE* log = args.tuning.json ? stderr : stdout;
  std::string description;
  const LabeledData train = check(load_dataset_spec(args.data, fp32.manifest, &description));
  std::fprintf(log, "data  train %s\n", description.c_str());
  std::optional<LabeledData> val;
  if (!args.val.empty()) {
    description.clear();  // load_dataset_spec fills it only when empty
    val = check(load_dataset_spec(args.val, fp32.manifest, &description));
    std::fprintf(log, "data  val   %s\n", description.c_str());
  }
  std::optional<LabeledData> eval;
  if (!args.eval.empty()) {
    description.clear();
    eval = check(load_dataset_spec(args.eval, fp32.manifest, &description));
    std::fprintf(log, "data  eval  %s\n", description.c_str());
  }
  const TrainOptions base = args.tuning.base();
  const QatFigures f = run_qat(fp32, train, val ? &*val : nullptr, eval ? &*eval : nullptr, base, args.qat, log);
  if (args.tuning.json) {
    std::printf("{\"model\":\"%s\",\"train_samples\":%lld,\"calibration_samples\":%lld%s}\n", args.model.c_str(),
                static_cast<long long>(f.train_samples), static_cast<long long>(f.calibration_samples),
                qat_json_fields(f, args.qat.output).c_str());
    return 0;
  }
  print_qat_summary(f, args.qat.output, args.eval);
  return 0;
}

struct PruneCommandArgs {
  std::string model;
  std::string data;
  std::string output;
  std::string eval;
  double amount = -1.0;
  bool structured = false;
  std::string scope;
  std::vector<std::string> keep;
  int epochs = 1;
  std::int64_t limit = -1;  // training samples for fine-tuning, spread evenly (-1: all)
  double learning_rate = prune_fine_tune_options().learning_rate;
  bool no_fine_tune = false;
  FineTuneArgs tuning;
};

int run_prune_command(const PruneCommandArgs& args) {
  const auto start = std::chrono::steady_clock::now();
  if (!(args.amount >= 0.0 && args.amount < 1.0)) {
    throw CommandError(
        "--amount must lie in [0, 1): the share of weights (or with --structured, of filters) to remove");
  }
  if (args.epochs < 1) throw CommandError("--epochs must be >= 1");
  const Bundle fp32 = check(read_bundle(args.model));
  FILE* log = args.tuning.json ? stderr : stdout;
  std::string description;
  std::optional<LabeledData> train;
  if (!args.no_fine_tune) {
    if (args.data.empty()) throw CommandError("fine-tuning needs training data (--data), or give --no-fine-tune");
    const LabeledData all = check(load_dataset_spec(args.data, fp32.manifest, &description));
    train = args.limit >= 0 ? check(all.evenly_spaced(args.limit)) : all;
    std::fprintf(log, "data  train %s; fine-tuning on %lld samples\n", description.c_str(),
                 static_cast<long long>(train->size()));
  }
  std::optional<LabeledData> eval;
  if (!args.eval.empty()) {
    description.clear();  // load_dataset_spec fills it only when empty
    eval = check(load_dataset_spec(args.eval, fp32.manifest, &description));
    std::fprintf(log, "data  eval  %s\n", description.c_str());
  }

  PruneOptions prune;
  prune.amount = args.amount;
  prune.structured = args.structured;
  if (!args.scope.empty()) {
    if (args.structured) throw CommandError("--scope applies to unstructured pruning, not --structured");
    prune.scope = check(parse_prune_scope(args.scope));
  }
  prune.keep = node_names(args.keep, fp32.graph, "--keep");
  const TrainOptions base = args.tuning.base();
  TrainOptions options = prune_fine_tune_options(base);
  options.epochs = args.epochs;
  options.learning_rate = args.learning_rate;
  options.json = false;
  PruneFineTuneReport tune_report;
  std::optional<double> pruned_top1;
  double tune_seconds = 0.0;
  if (train) {
    prune.fine_tune = [&, tuner = prune_fine_tuner(*train, options, nullptr, &tune_report)](
                          const Graph& pruned, const std::map<std::string, Tensor>& masks) -> Result<Graph> {
      if (eval) {  // the pruned model before fine-tuning
        EDGEAI_ASSIGN_OR_RETURN(std::unique_ptr<Session> session, Session::create(pruned));
        EDGEAI_ASSIGN_OR_RETURN(EvaluationResult e, evaluate_on_runtime(*session, *eval, fp32.manifest.labels));
        pruned_top1 = 100.0 * e.confusion.accuracy();
        std::fprintf(log, "top-1 after pruning, before fine-tuning: %.2f %%\n", *pruned_top1);
      }
      std::fprintf(log, "fine-tuning %d epoch(s), %s lr %g %s\n", options.epochs, options.optimizer.c_str(),
                   options.learning_rate, options.lr_schedule.c_str());
      std::fflush(log);
      const auto train_start = std::chrono::steady_clock::now();
      Result<Graph> tuned = tuner(pruned, masks);
      tune_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - train_start).count();
      return tuned;
    };
  }
  CompressOptions compress;
  compress.weights = WeightFormat::kFp32;
  compress.prune = std::move(prune);
  CompressionResult result = check(compress_model(fp32, nullptr, eval ? &*eval : nullptr, compress));
  for (const std::string& w : result.warnings) std::fprintf(stderr, "edgeai: warning: %s\n", w.c_str());
  if (train) {
    result.bundle.manifest.metadata["compression.prune_fine_tune"] =
        str_cat(options.epochs, " epochs on ", train->size(), " samples, ", options.optimizer, " lr ",
                options.learning_rate, " ", options.lr_schedule, ", seed ", options.seed);
  }
  BundleWriteOptions write_options;
  write_options.entropy_code_constants = true;  // zero runs of unstructured pruning cost a few bytes
  check(write_bundle(result.bundle, args.output, write_options));
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  std::int64_t zeros = 0, weights = 0, before = 0;
  for (const PrunedLayer& l : result.pruned_layers)
    zeros += l.zeros, weights += l.weights, before += l.original_weights;
  const double zero_share = weights > 0 ? 100.0 * static_cast<double>(zeros) / static_cast<double>(weights) : 0.0;
  if (args.tuning.json) {
    std::string json = str_cat("{\"model\":\"", args.model, "\",\"output\":\"", args.output, "\",\"pruning\":\"",
                               result.pruning, "\",\"original_weights\":", before, ",\"weights\":", weights,
                               ",\"zeros\":", zeros, ",\"fine_tuned\":", train ? "true" : "false");
    if (train) {
      json += str_cat(",\"train_samples\":", train->size(), ",\"epochs\":", options.epochs,
                      ",\"learning_rate\":", options.learning_rate, ",\"fine_tune_seconds\":", tune_seconds);
    }
    if (result.accuracy) {
      json += str_cat(",\"eval_samples\":", result.accuracy->samples, ",\"fp32_top1\":", result.accuracy->fp32_top1);
      if (pruned_top1) json += str_cat(",\"pruned_top1\":", *pruned_top1);
      json += str_cat(train ? ",\"fine_tuned_top1\":" : ",\"pruned_top1\":", result.accuracy->compressed_top1);
    }
    json += str_cat(",\"wall_seconds\":", wall, "}");
    std::printf("%s\n", json.c_str());
    return 0;
  }
  std::printf("wrote %s (float32, %s, %.1f s)\n", args.output.c_str(), result.pruning.c_str(), wall);
  std::printf("pruning: %lld of %lld weights left, %lld of them zero (%.1f %%)\n", static_cast<long long>(weights),
              static_cast<long long>(before), static_cast<long long>(zeros), zero_share);
  if (train) {
    std::printf("fine-tuning: %d epoch(s) on %lld samples in %.1f s; %lld pruned weights held at 0\n", options.epochs,
                static_cast<long long>(train->size()), tune_seconds,
                static_cast<long long>(tune_report.masked_weights));
  }
  if (result.accuracy) {
    const AccuracyFigures& a = *result.accuracy;
    std::printf("top-1 on %s (%lld samples): fp32 %.2f %%", args.eval.c_str(), static_cast<long long>(a.samples),
                a.fp32_top1);
    if (train) {
      if (pruned_top1) std::printf(", pruned %.2f %%", *pruned_top1);
      std::printf(", pruned + fine-tuned %.2f %%", a.compressed_top1);
    } else {
      std::printf(", pruned %.2f %%", a.compressed_top1);
    }
    std::printf("; labels agree with fp32 on %.2f %%\n", a.label_agreement);
  }
  std::printf("next: edgeai compress %s -o OUT.eai --weights int8 --calib SPEC%s\n", args.output.c_str(),
              args.structured ? "" : " (int8 keeps the zeros)");
  return 0;
}

}  // namespace

Action add_train_command(CLI::App& app) {
  auto args = std::make_shared<TrainArgs>();
  CLI::App* cmd = app.add_subcommand(
      "train",
      "Train a model with libtorch (recipes: fashion-mnist, ecg-mitbih, magnetic-tile; or a .yaml/.json config)");
  cmd->add_option("recipe", args->recipe, "a recipe name or a config file")->required();
  cmd->add_option("-o,--output", args->output, "bundle to write (.eai)")->required();
  cmd->add_option("--epochs", args->recipe_options.epochs, "epochs (default: the recipe's)");
  cmd->add_option("--seed", args->recipe_options.seed, "seed for initial weights, splits, shuffling, augmentation")
      ->capture_default_str();
  cmd->add_option("--limit", args->recipe_options.limit, "use only N samples per set (quick runs)");
  cmd->add_option("--task", args->recipe_options.task, "magnetic-tile: defect-vs-free (default) or six-class");
  cmd->add_option("--device", args->device, "cpu, or cuda when libtorch has CUDA")->capture_default_str();
  cmd->add_option("--threads", args->threads, "threads for libtorch (0: all cores)")->capture_default_str();
  cmd->add_option("--version", args->version, "semantic version in the manifest")->capture_default_str();
  cmd->add_option("--golden", args->golden, "golden test vectors from the test set to embed")->capture_default_str();
  cmd->add_flag("--json", args->json, "one JSON object per epoch, then one with the test figures, on stdout");
  cmd->add_option("--qat", args->qat.output,
                  "after training, quantisation-aware training: write the int8 bundle here too");
  cmd->add_option("--qat-epochs", args->qat.epochs, "QAT fine-tuning epochs")->capture_default_str();
  cmd->add_option("--qat-limit", args->qat.limit, "QAT: fine-tune on N training samples spread evenly (default all)");
  cmd->add_option("--qat-calib", args->qat.calibration, "QAT: training samples that set the int8 ranges")
      ->capture_default_str();
  cmd->add_option("--qat-method", args->qat.method, "QAT calibration: minmax, percentile, entropy, mse")
      ->capture_default_str();
  cmd->add_option("--qat-lr", args->qat.learning_rate, "QAT learning rate (Adam, cosine decay)")->capture_default_str();
  return [args] { return run_train(*args); };
}

Action add_qat_command(CLI::App& app) {
  auto args = std::make_shared<QatCommandArgs>();
  CLI::App* cmd = app.add_subcommand(
      "qat",
      "Quantisation-aware training of a float bundle: fine-tune with fake quantisation at the int8 ranges, "
      "write the int8 bundle");
  cmd->add_option("model", args->model, "float32 bundle (.eai)")->required();
  cmd->add_option("--data", args->data, "training data (--data spec, e.g. fashion-mnist:train)")->required();
  cmd->add_option("-o,--output", args->qat.output, "int8 bundle to write (.eai)")->required();
  cmd->add_option("--eval", args->eval, "evaluation data: fp32, PTQ and QAT top-1");
  cmd->add_option("--val", args->val, "validation data: selects the best epoch, keeps PTQ weights if QAT is worse");
  cmd->add_option("--epochs", args->qat.epochs, "fine-tuning epochs")->capture_default_str();
  cmd->add_option("--limit", args->qat.limit, "fine-tune on N samples of --data spread evenly (default all)");
  cmd->add_option("--calib", args->qat.calibration, "samples of --data that set the int8 ranges")
      ->capture_default_str();
  cmd->add_option("--method", args->qat.method, "calibration: minmax, percentile, entropy, mse")->capture_default_str();
  cmd->add_option("--keep-float", args->qat.keep_float, "node names to keep in float32 (comma-separated, repeatable)");
  cmd->add_option("--lr", args->qat.learning_rate, "learning rate (Adam, cosine decay)")->capture_default_str();
  args->tuning.add_options(cmd);
  return [args] { return run_qat_command(*args); };
}

Action add_prune_command(CLI::App& app) {
  auto args = std::make_shared<PruneCommandArgs>();
  CLI::App* cmd = app.add_subcommand(
      "prune",
      "Magnitude pruning of a float bundle, then fine-tuning of what is left; writes the float bundle "
      "(quantise it afterwards with edgeai compress)");
  cmd->add_option("model", args->model, "float32 bundle (.eai)")->required();
  cmd->add_option("--data", args->data, "training data for fine-tuning (--data spec, e.g. fashion-mnist:train)");
  cmd->add_option("-o,--output", args->output, "pruned float32 bundle to write (.eai)")->required();
  cmd->add_option("--amount", args->amount,
                  "share of the Conv/Gemm/MatMul weights to zero, or with --structured of each Conv's filters to "
                  "remove; in [0, 1)")
      ->required();
  cmd->add_flag("--structured", args->structured, "remove whole Conv filters (the graph gets smaller and faster)");
  cmd->add_option("--scope", args->scope, "unstructured: global (default) or layer");
  cmd->add_option("--keep", args->keep, "node names to leave unpruned (comma-separated, repeatable)");
  cmd->add_option("--eval", args->eval, "evaluation data: top-1 before pruning, after pruning, after fine-tuning");
  cmd->add_option("--epochs", args->epochs, "fine-tuning epochs")->capture_default_str();
  cmd->add_option("--limit", args->limit, "fine-tune on N samples of --data spread evenly (default all)");
  cmd->add_option("--lr", args->learning_rate, "learning rate (Adam, cosine decay)")->capture_default_str();
  cmd->add_flag("--no-fine-tune", args->no_fine_tune, "prune only (as edgeai compress --prune --weights fp32)");
  args->tuning.add_options(cmd);
  return [args] { return run_prune_command(*args); };
}

}  // namespace edgeai::cli
