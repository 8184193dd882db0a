#include "data/evaluate.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "data/sample_feeder.hpp"

namespace edgeai {

Result<EvaluationResult> evaluate_on_runtime(Session& session, const LabeledData& data,
                                             const std::vector<std::string>& class_names) {
  EDGEAI_ASSIGN_OR_RETURN(SampleFeeder feeder, SampleFeeder::create(session.inputs(), data));

  EvaluationResult result;
  result.confusion = ConfusionMatrix(class_names.empty() ? data.class_names : class_names);
  const auto start = std::chrono::steady_clock::now();
  for (std::int64_t n = 0; n < data.size(); ++n) {
    Status status = session.run(feeder.sample(n));
    if (!status.is_ok()) return status.with_context(str_cat("sample ", n, n < static_cast<std::int64_t>(data.sources.size()) ? " (" + data.sources[n] + ")" : ""));
    const TensorView out = session.output(0);
    if (out.dtype != DType::kFloat32 || out.num_elements() == 0) {
      return invalid_argument("the model's first output is not float32 scores");
    }
    const std::int64_t classes = out.num_elements();
    if (result.num_classes == 0) result.num_classes = classes;
    const float* scores = out.data_as<const float>();
    result.logits.insert(result.logits.end(), scores, scores + classes);
    const std::int64_t best = std::max_element(scores, scores + classes) - scores;
    result.predicted.push_back(best);
    result.confusion.add(data.labels[n], best);
  }
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  result.mean_latency_ms = data.size() > 0 ? 1000.0 * result.seconds / static_cast<double>(data.size()) : 0.0;

  if (result.num_classes == 2 && data.size() > 0) {
    // Softmax probability of class 1 = sigmoid(l1 - l0): monotonic, so the difference ranks alike.
    std::vector<double> scores(static_cast<std::size_t>(data.size()));
    std::vector<bool> positive(static_cast<std::size_t>(data.size()));
    for (std::int64_t n = 0; n < data.size(); ++n) {
      scores[n] = static_cast<double>(result.logits[2 * n + 1]) - static_cast<double>(result.logits[2 * n]);
      positive[n] = data.labels[n] == 1;
    }
    result.roc_auc = roc_auc(scores, positive);
  }
  return result;
}

}  // namespace edgeai
