// Classification metrics for evaluation and training: confusion matrix, accuracy, per-class
// sensitivity (Se, recall) and positive predictivity (+P, precision) as the AAMI EC57 /
// MIT-BIH literature reports them, and ROC AUC for binary detectors. No torch: `edgeai eval`
// computes them from the runtime's outputs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace edgeai {

class ConfusionMatrix {
 public:
  explicit ConfusionMatrix(std::vector<std::string> class_names);

  void add(std::int64_t true_label, std::int64_t predicted_label);
  std::int64_t count(std::int64_t true_label, std::int64_t predicted_label) const;
  std::int64_t total() const { return total_; }
  std::size_t num_classes() const { return class_names_.size(); }
  const std::vector<std::string>& class_names() const { return class_names_; }

  double accuracy() const;
  // TP / (TP + FN); NaN when the class never occurs.
  double sensitivity(std::size_t c) const;
  // TP / (TP + FP); NaN when the class is never predicted.
  double positive_predictivity(std::size_t c) const;
  double f1(std::size_t c) const;
  // Mean F1 over the classes that occur (a selection metric that does not ignore rare classes).
  double macro_f1() const;
  // Mean sensitivity over the classes that occur (balanced accuracy).
  double balanced_accuracy() const;
  std::int64_t support(std::size_t c) const;  // true samples of class c

  // A fixed-width table: rows true class, columns predicted class.
  std::string format_table() const;
  // Per class: support, Se, +P, F1; then overall accuracy.
  std::string format_report() const;
  // {"accuracy":..,"balanced_accuracy":..,"macro_f1":..,"classes":[{"name":..,"support":..,
  //   "sensitivity":..,"positive_predictivity":..,"f1":..}],"confusion":[[..],..]}
  std::string to_json() const;

 private:
  std::vector<std::string> class_names_;
  std::vector<std::int64_t> counts_;  // row-major [true][predicted]
  std::int64_t total_ = 0;
};

// Area under the ROC curve of `scores` (higher = more positive) for binary `is_positive`
// labels, by the Mann-Whitney U statistic with ties counted as one half. NaN if either class
// is empty.
double roc_auc(const std::vector<double>& scores, const std::vector<bool>& is_positive);

}  // namespace edgeai
