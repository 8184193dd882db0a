#include "data/evaluate.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>

namespace edgeai {

Result<EvaluationResult> evaluate_on_runtime(Session& session, const LabeledData& data,
                                             const std::vector<std::string>& class_names) {
  const std::vector<ValueInfo>& model_inputs = session.inputs();
  // Which data input feeds each model input.
  std::vector<std::size_t> source(model_inputs.size());
  for (std::size_t i = 0; i < model_inputs.size(); ++i) {
    if (data.input_names.empty()) {
      source[i] = i;
    } else {
      auto it = std::find(data.input_names.begin(), data.input_names.end(), model_inputs[i].name);
      if (it == data.input_names.end()) {
        return invalid_argument("the data set has no input '", model_inputs[i].name, "' for the model");
      }
      source[i] = static_cast<std::size_t>(it - data.input_names.begin());
    }
    if (source[i] >= data.inputs.size()) {
      return invalid_argument("the model takes ", model_inputs.size(), " inputs; the data set has ",
                              data.inputs.size());
    }
  }
  // Per-sample views straight into the data set's tensors: shape [1, ...].
  std::vector<TensorView> views(model_inputs.size());
  std::vector<std::size_t> row_bytes(model_inputs.size());
  for (std::size_t i = 0; i < model_inputs.size(); ++i) {
    const Tensor& t = data.inputs[source[i]];
    if (t.shape().empty() || t.shape()[0] != data.size()) {
      return invalid_argument("data set input '", model_inputs[i].name, "' has shape ", shape_to_string(t.shape()),
                              " for ", data.size(), " samples");
    }
    Shape sample = t.shape();
    sample[0] = 1;
    views[i] = TensorView{t.dtype(), sample, nullptr};
    row_bytes[i] = data.size() == 0 ? 0 : t.size_bytes() / static_cast<std::size_t>(data.size());
  }

  EvaluationResult result;
  result.confusion = ConfusionMatrix(class_names.empty() ? data.class_names : class_names);
  const auto start = std::chrono::steady_clock::now();
  for (std::int64_t n = 0; n < data.size(); ++n) {
    for (std::size_t i = 0; i < views.size(); ++i) {
      views[i].data = static_cast<std::uint8_t*>(data.inputs[source[i]].raw_data()) + n * row_bytes[i];
    }
    Status status = session.run(views);
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
