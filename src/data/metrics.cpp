#include "data/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numeric>

namespace edgeai {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string json_number(double v) {
  if (std::isnan(v)) return "null";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string percent(double v) {
  if (std::isnan(v)) return "     -";
  char buf[16];
  std::snprintf(buf, sizeof buf, "%6.2f", 100.0 * v);
  return buf;
}

}  // namespace

ConfusionMatrix::ConfusionMatrix(std::vector<std::string> class_names)
    : class_names_(std::move(class_names)), counts_(class_names_.size() * class_names_.size(), 0) {}

void ConfusionMatrix::add(std::int64_t true_label, std::int64_t predicted_label) {
  const auto n = static_cast<std::int64_t>(class_names_.size());
  if (true_label < 0 || true_label >= n || predicted_label < 0 || predicted_label >= n) return;
  ++counts_[static_cast<std::size_t>(true_label * n + predicted_label)];
  ++total_;
}

std::int64_t ConfusionMatrix::count(std::int64_t true_label, std::int64_t predicted_label) const {
  const auto n = static_cast<std::int64_t>(class_names_.size());
  return counts_[static_cast<std::size_t>(true_label * n + predicted_label)];
}

double ConfusionMatrix::accuracy() const {
  if (total_ == 0) return kNaN;
  std::int64_t correct = 0;
  for (std::size_t c = 0; c < class_names_.size(); ++c) correct += count(c, c);
  return static_cast<double>(correct) / static_cast<double>(total_);
}

std::int64_t ConfusionMatrix::support(std::size_t c) const {
  std::int64_t s = 0;
  for (std::size_t p = 0; p < class_names_.size(); ++p) s += count(c, p);
  return s;
}

double ConfusionMatrix::sensitivity(std::size_t c) const {
  const std::int64_t s = support(c);
  return s == 0 ? kNaN : static_cast<double>(count(c, c)) / static_cast<double>(s);
}

double ConfusionMatrix::positive_predictivity(std::size_t c) const {
  std::int64_t predicted = 0;
  for (std::size_t t = 0; t < class_names_.size(); ++t) predicted += count(t, c);
  return predicted == 0 ? kNaN : static_cast<double>(count(c, c)) / static_cast<double>(predicted);
}

double ConfusionMatrix::f1(std::size_t c) const {
  const double se = sensitivity(c);
  const double pp = positive_predictivity(c);
  if (std::isnan(se)) return kNaN;
  if (std::isnan(pp) || se + pp == 0.0) return 0.0;
  return 2.0 * se * pp / (se + pp);
}

double ConfusionMatrix::macro_f1() const {
  double sum = 0.0;
  int n = 0;
  for (std::size_t c = 0; c < class_names_.size(); ++c) {
    if (support(c) == 0) continue;
    sum += f1(c);
    ++n;
  }
  return n == 0 ? kNaN : sum / n;
}

double ConfusionMatrix::balanced_accuracy() const {
  double sum = 0.0;
  int n = 0;
  for (std::size_t c = 0; c < class_names_.size(); ++c) {
    if (support(c) == 0) continue;
    sum += sensitivity(c);
    ++n;
  }
  return n == 0 ? kNaN : sum / n;
}

std::string ConfusionMatrix::format_table() const {
  std::string out = "true \\ predicted";
  char buf[64];
  for (const std::string& name : class_names_) {
    std::snprintf(buf, sizeof buf, " %8.8s", name.c_str());
    out += buf;
  }
  out += "\n";
  for (std::size_t t = 0; t < class_names_.size(); ++t) {
    std::snprintf(buf, sizeof buf, "%-16.16s", class_names_[t].c_str());
    out += buf;
    for (std::size_t p = 0; p < class_names_.size(); ++p) {
      std::snprintf(buf, sizeof buf, " %8lld", static_cast<long long>(count(t, p)));
      out += buf;
    }
    out += "\n";
  }
  return out;
}

std::string ConfusionMatrix::format_report() const {
  std::string out = "class              support   Se (%)   +P (%)   F1 (%)\n";
  char buf[128];
  for (std::size_t c = 0; c < class_names_.size(); ++c) {
    std::snprintf(buf, sizeof buf, "%-16.16s %9lld   %s   %s   %s\n", class_names_[c].c_str(),
                  static_cast<long long>(support(c)), percent(sensitivity(c)).c_str(),
                  percent(positive_predictivity(c)).c_str(), percent(f1(c)).c_str());
    out += buf;
  }
  std::snprintf(buf, sizeof buf, "accuracy %s %% of %lld; balanced accuracy %s %%; macro F1 %s %%\n",
                percent(accuracy()).c_str(), static_cast<long long>(total_), percent(balanced_accuracy()).c_str(),
                percent(macro_f1()).c_str());
  return out + buf;
}

std::string ConfusionMatrix::to_json() const {
  std::string out = "{\"accuracy\":" + json_number(accuracy()) + ",\"balanced_accuracy\":" +
                    json_number(balanced_accuracy()) + ",\"macro_f1\":" + json_number(macro_f1()) +
                    ",\"samples\":" + std::to_string(total_) + ",\"classes\":[";
  for (std::size_t c = 0; c < class_names_.size(); ++c) {
    if (c > 0) out += ",";
    out += "{\"name\":" + json_string(class_names_[c]) + ",\"support\":" + std::to_string(support(c)) +
           ",\"sensitivity\":" + json_number(sensitivity(c)) + ",\"positive_predictivity\":" +
           json_number(positive_predictivity(c)) + ",\"f1\":" + json_number(f1(c)) + "}";
  }
  out += "],\"confusion\":[";
  for (std::size_t t = 0; t < class_names_.size(); ++t) {
    out += t > 0 ? ",[" : "[";
    for (std::size_t p = 0; p < class_names_.size(); ++p) {
      if (p > 0) out += ",";
      out += std::to_string(count(t, p));
    }
    out += "]";
  }
  return out + "]}";
}

double roc_auc(const std::vector<double>& scores, const std::vector<bool>& is_positive) {
  // AUC = P(score of a random positive > score of a random negative) + 0.5 P(tie), computed
  // from ranks: sort once, give tied scores their average rank.
  const std::size_t n = scores.size();
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return scores[a] < scores[b]; });
  double rank_sum_positive = 0.0;
  std::size_t positives = 0;
  for (std::size_t i = 0; i < n;) {
    std::size_t j = i;
    while (j < n && scores[order[j]] == scores[order[i]]) ++j;
    const double average_rank = (static_cast<double>(i) + static_cast<double>(j - 1)) / 2.0 + 1.0;
    for (std::size_t k = i; k < j; ++k) {
      if (is_positive[order[k]]) {
        rank_sum_positive += average_rank;
        ++positives;
      }
    }
    i = j;
  }
  const std::size_t negatives = n - positives;
  if (positives == 0 || negatives == 0) return kNaN;
  const double u = rank_sum_positive - static_cast<double>(positives) * (static_cast<double>(positives) + 1.0) / 2.0;
  return u / (static_cast<double>(positives) * static_cast<double>(negatives));
}

}  // namespace edgeai
