#include "agent/model_runner.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <sstream>

namespace edgeai {
namespace {

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ',')) {
    const auto b = item.find_first_not_of(' ');
    const auto e = item.find_last_not_of(' ');
    if (b != std::string::npos) out.push_back(item.substr(b, e - b + 1));
  }
  return out;
}

bool is_distribution(const float* p, std::size_t n) {
  double sum = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    if (!(p[i] >= 0.0f && p[i] <= 1.0f)) return false;
    sum += p[i];
  }
  return std::abs(sum - 1.0) < 1e-3;
}

}  // namespace

Result<std::unique_ptr<ModelRunner>> ModelRunner::load(const std::string& bundle_path, int threads) {
  EDGEAI_ASSIGN_OR_RETURN(Bundle bundle, read_bundle(bundle_path));
  std::unique_ptr<ModelRunner> runner(new ModelRunner());
  runner->path_ = bundle_path;
  runner->manifest_ = bundle.manifest;
  const Manifest& m = runner->manifest_;
  if (bundle.graph.outputs.empty()) return invalid_argument(bundle_path, ": the model has no outputs");
  SessionOptions options;
  options.threads = std::max(1, threads);
  Result<std::unique_ptr<Session>> session = Session::create(std::move(bundle), options);
  if (!session.is_ok()) return session.status().with_context(bundle_path);
  runner->session_ = std::move(*session);

  runner->labels_ = m.labels;
  runner->anomaly_labels_.assign(m.labels.size(), false);
  if (const auto it = m.metadata.find("anomaly_labels"); it != m.metadata.end()) {
    for (const std::string& name : split_commas(it->second)) {
      const auto at = std::find(m.labels.begin(), m.labels.end(), name);
      if (at == m.labels.end()) {
        return invalid_argument(bundle_path, ": anomaly label '", name, "' is not one of the model's labels");
      }
      runner->anomaly_labels_[static_cast<std::size_t>(at - m.labels.begin())] = true;
    }
  }
  if (const auto it = m.metadata.find("min_confidence"); it != m.metadata.end()) {
    char* end = nullptr;
    const float v = std::strtof(it->second.c_str(), &end);
    if (end == it->second.c_str() || *end != '\0' || !(v >= 0.0f && v <= 1.0f)) {
      return invalid_argument(bundle_path, ": min_confidence '", it->second, "' is not a number in [0, 1]");
    }
    runner->min_confidence_ = v;
  }
  if (const auto it = m.metadata.find("output"); it != m.metadata.end()) {
    if (it->second == "logits") {
      runner->output_kind_ = 1;
    } else if (it->second == "probabilities") {
      runner->output_kind_ = 2;
    } else {
      return invalid_argument(bundle_path, ": output '", it->second, "' (expected logits or probabilities)");
    }
  }
  return runner;
}

Result<Prediction> ModelRunner::classify(std::span<const TensorView> inputs) {
  const auto start = std::chrono::steady_clock::now();
  EDGEAI_RETURN_IF_ERROR(session_->run(inputs));
  Prediction p;
  p.latency_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  const TensorView out = session_->output(0);
  if (out.dtype != DType::kFloat32) {
    return unsupported(path_, ": the first output is ", dtype_name(out.dtype), ", a classifier's must be float32");
  }
  const auto n = static_cast<std::size_t>(out.num_elements());
  if (n == 0) return invalid_argument(path_, ": the first output is empty");
  if (!labels_.empty() && n != labels_.size()) {
    return invalid_argument(path_, ": the first output has ", n, " values for ", labels_.size(),
                            " labels (one sample at a time)");
  }
  const float* y = out.data_as<float>();
  probabilities_.resize(n);
  const bool probabilities = output_kind_ == 2 || (output_kind_ == 0 && is_distribution(y, n));
  if (probabilities) {
    std::copy(y, y + n, probabilities_.begin());
  } else {
    const float top = *std::max_element(y, y + n);
    double sum = 0.0;
    for (std::size_t i = 0; i < n; ++i) sum += probabilities_[i] = std::exp(y[i] - top);
    for (float& v : probabilities_) v = static_cast<float>(v / sum);
  }
  for (float v : probabilities_) {
    if (!std::isfinite(v)) return internal_error(path_, ": the model produced a non-finite output");
  }
  const auto best = std::max_element(probabilities_.begin(), probabilities_.end());
  p.label = static_cast<int>(best - probabilities_.begin());
  p.confidence = *best;
  p.uncertain = p.confidence < min_confidence_;
  p.anomaly = p.uncertain || is_anomaly_label(p.label);
  return p;
}

std::string ModelRunner::label_name(int label) const {
  if (label >= 0 && static_cast<std::size_t>(label) < labels_.size()) return labels_[static_cast<std::size_t>(label)];
  return std::to_string(label);
}

bool ModelRunner::is_anomaly_label(int label) const {
  return label >= 0 && static_cast<std::size_t>(label) < anomaly_labels_.size() &&
         anomaly_labels_[static_cast<std::size_t>(label)];
}

}  // namespace edgeai
