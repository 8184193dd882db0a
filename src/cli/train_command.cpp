// `edgeai train RECIPE|CONFIG -o MODEL.eai`: trains with libtorch, exports the trained IR as a
// bundle (labels, preprocessing, golden vectors), then evaluates the bundle on the test set
// with the edgeai runtime and checks it agrees with libtorch.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>

#include "cli/commands.hpp"
#include "data/evaluate.hpp"
#include "runtime/session.hpp"
#include "train/export.hpp"
#include "train/recipes/recipes.hpp"
#include "train/torch_module.hpp"
#include "train/trainer.hpp"

namespace edgeai::cli {
namespace {

struct TrainArgs {
  std::string recipe;
  std::string output;
  RecipeOptions recipe_options;
  std::string device = "cpu";
  int threads = 0;
  bool json = false;
  std::string version = "1.0.0";
  int golden = 8;
};

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

int run_train(const TrainArgs& args) {
  const auto start = std::chrono::steady_clock::now();
  const bool is_config = ends_with(args.recipe, ".yaml") || ends_with(args.recipe, ".yml") || ends_with(args.recipe, ".json");
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
  const double agreement = plan.test.size() > 0 ? static_cast<double>(agree) / static_cast<double>(plan.test.size()) : 1.0;
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  if (args.json) {
    std::string json = eval.confusion.to_json();
    json.pop_back();
    std::printf("%s,\"model\":\"%s\",\"output\":\"%s\",\"test_data\":\"%s\",\"best_epoch\":%d,"
                "\"runtime_vs_libtorch_max_abs_diff\":%.3g,\"label_agreement\":%.6f,\"train_seconds\":%.1f,"
                "\"wall_seconds\":%.1f",
                json.c_str(), bundle.manifest.name.c_str(), args.output.c_str(), plan.test_spec.c_str(),
                report.best_epoch, max_abs_diff, agreement, report.total_seconds, wall);
    if (eval.roc_auc && !std::isnan(*eval.roc_auc)) std::printf(",\"roc_auc\":%.6f", *eval.roc_auc);
    std::printf("}\n");
    return 0;
  }
  std::printf("\ntest set %s on the edgeai runtime:\n%s\n%s", plan.test_spec.c_str(),
              eval.confusion.format_report().c_str(), eval.confusion.format_table().c_str());
  if (eval.roc_auc) std::printf("ROC AUC (class '%s') %.4f\n", labels.size() > 1 ? labels[1].c_str() : "1", *eval.roc_auc);
  std::printf("runtime vs libtorch: max abs difference of logits %.3g, label agreement %.4f%% (%lld of %lld)\n",
              max_abs_diff, 100.0 * agreement, static_cast<long long>(agree), static_cast<long long>(plan.test.size()));
  std::printf("wall time %.1f s (training %.1f s)\n", wall, report.total_seconds);
  return 0;
}

}  // namespace

Action add_train_command(CLI::App& app) {
  auto args = std::make_shared<TrainArgs>();
  CLI::App* cmd = app.add_subcommand(
      "train", "Train a model with libtorch (recipes: fashion-mnist, ecg-mitbih, magnetic-tile; or a .yaml/.json config)");
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
  return [args] { return run_train(*args); };
}

}  // namespace edgeai::cli
