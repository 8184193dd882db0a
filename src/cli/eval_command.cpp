// `edgeai eval MODEL --data SPEC`: accuracy and per-class figures of the deployed artifact,
// computed by the edgeai runtime (not libtorch) over a data set.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "cli/commands.hpp"
#include "data/dataset_spec.hpp"
#include "data/evaluate.hpp"
#include "format/atomic_file.hpp"
#include "format/npy.hpp"
#include "runtime/session.hpp"

namespace edgeai::cli {
namespace {

struct EvalArgs {
  std::string model;
  std::string data;
  std::int64_t limit = -1;
  bool json = false;
  std::string predictions;      // .npy of the argmax per sample (int64 [N])
  std::string predictions_csv;  // source, true and predicted label, confidence per sample
  int threads = 1;
};

std::string label_of(const std::vector<std::string>& labels, std::int64_t i) {
  return i >= 0 && static_cast<std::size_t>(i) < labels.size() ? labels[static_cast<std::size_t>(i)]
                                                               : std::to_string(i);
}

// One row per sample: where it came from ("208:5120", a file), its label, the model's and the
// top-1 probability, for comparing with what a device streamed (tools/ecg_stream_agreement.sh).
void write_predictions_csv(const std::string& path, const LabeledData& data, const std::vector<std::string>& labels,
                           const EvaluationResult& result) {
  std::string out = "source,label,predicted,confidence\n";
  const auto classes = static_cast<std::size_t>(result.num_classes);
  for (std::size_t n = 0; n < result.predicted.size(); ++n) {
    const float* y = result.logits.data() + n * classes;
    const float top = *std::max_element(y, y + classes);
    double sum = 0.0;
    for (std::size_t c = 0; c < classes; ++c) sum += std::exp(static_cast<double>(y[c] - top));
    const std::string source = n < data.sources.size() ? data.sources[n] : std::to_string(n);
    out += str_cat(source, ",", label_of(labels, data.labels[n]), ",", label_of(labels, result.predicted[n]), ",",
                   1.0 / sum, "\n");
  }
  check(write_file_atomically(path, out));
}

int run_eval(const EvalArgs& args) {
  if (args.threads < 1) throw CommandError("--threads must be at least 1");
  Bundle bundle = load_model(args.model);
  const Manifest manifest = bundle.manifest;
  std::string description;
  LabeledData data = check(load_dataset_spec(args.data, manifest, &description));
  if (args.limit >= 0 && args.limit < data.size()) {
    data = check(data.evenly_spaced(args.limit));
    description = data.describe_counts();
  }
  if (!args.json) std::fprintf(stderr, "data %s: %s\n", args.data.c_str(), description.c_str());
  SessionOptions options;
  options.threads = args.threads;
  std::unique_ptr<Session> session = check(Session::create(std::move(bundle), options));
  const std::vector<std::string> labels = manifest.labels.empty() ? data.class_names : manifest.labels;
  EvaluationResult result = check(evaluate_on_runtime(*session, data, labels));
  if (!args.predictions.empty()) {
    const auto count = static_cast<std::int64_t>(result.predicted.size());
    check(write_npy(args.predictions, Tensor::from_vector<std::int64_t>({count}, result.predicted)));
  }
  if (!args.predictions_csv.empty()) write_predictions_csv(args.predictions_csv, data, labels, result);

  if (args.json) {
    std::string json = result.confusion.to_json();
    json.pop_back();  // reopen the object to add the run's facts
    std::printf("%s,\"model\":\"%s\",\"data\":\"%s\",\"seconds\":%.3f,\"mean_latency_ms\":%.4f", json.c_str(),
                manifest.name.c_str(), args.data.c_str(), result.seconds, result.mean_latency_ms);
    if (result.roc_auc && !std::isnan(*result.roc_auc)) std::printf(",\"roc_auc\":%.6f", *result.roc_auc);
    std::printf("}\n");
    return 0;
  }
  std::printf("model %s %s on %s (edgeai runtime)\n\n", manifest.name.c_str(), manifest.version.c_str(),
              args.data.c_str());
  std::printf("%s\n%s", result.confusion.format_report().c_str(), result.confusion.format_table().c_str());
  if (result.roc_auc)
    std::printf("\nROC AUC (class '%s') %.4f\n", labels.size() > 1 ? labels[1].c_str() : "1", *result.roc_auc);
  std::printf("\n%lld samples in %.1f s (%.3f ms per inference)\n", static_cast<long long>(data.size()), result.seconds,
              result.mean_latency_ms);
  return 0;
}

}  // namespace

Action add_eval_command(CLI::App& app) {
  auto args = std::make_shared<EvalArgs>();
  CLI::App* cmd = app.add_subcommand("eval", "Evaluate a model on a data set with the edgeai runtime");
  cmd->add_option("model", args->model, "model: .eai bundle or .onnx file")->required()->check(CLI::ExistingFile);
  cmd->add_option("--data", args->data,
                  "fashion-mnist[:test|:train], mitdb:DS2 (DS1, or records 100,101), "
                  "magnetic-tile[:test|:val|:train|:all], or a folder with one sub-folder per class")
      ->required();
  cmd->add_option("--limit", args->limit, "evaluate N samples spread evenly over the set (as train --limit)");
  cmd->add_option("--threads", args->threads, "threads for the kernels")->capture_default_str();
  cmd->add_flag("--json", args->json, "print one JSON object (accuracy, per-class figures, confusion)");
  cmd->add_option("--predictions", args->predictions,
                  "write the predicted class of every sample, in data set order, to this .npy (int64 [N])");
  cmd->add_option("--predictions-csv", args->predictions_csv,
                  "write source,label,predicted,confidence of every sample to this CSV");
  return [args] { return run_eval(*args); };
}

}  // namespace edgeai::cli
