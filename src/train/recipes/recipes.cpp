#include "train/recipes/recipes.hpp"

#include "data/metrics.hpp"

namespace edgeai {

std::vector<std::string> recipe_names() { return {"fashion-mnist", "ecg-mitbih", "magnetic-tile"}; }

Result<TrainingPlan> plan_recipe(const std::string& name, const RecipeOptions& options) {
  if (name == "fashion-mnist") return plan_fashion_mnist(options);
  if (name == "ecg-mitbih") return plan_ecg_mitbih(options);
  if (name == "magnetic-tile") return plan_magnetic_tile(options);
  return not_found("no recipe named '", name, "' (recipes: fashion-mnist, ecg-mitbih, magnetic-tile; ",
                   "or give a .yaml/.json config file)");
}

Result<LabeledData> first_samples(LabeledData data, std::int64_t limit) {
  if (limit < 0 || limit >= data.size()) return data;
  return data.evenly_spaced(limit);
}

namespace {
ConfusionMatrix confusion_of(const std::vector<std::int64_t>& predicted, const std::vector<std::int64_t>& truth,
                             std::size_t num_classes) {
  std::vector<std::string> names(num_classes);
  for (std::size_t c = 0; c < num_classes; ++c) names[c] = std::to_string(c);
  ConfusionMatrix m(names);
  for (std::size_t i = 0; i < truth.size() && i < predicted.size(); ++i) m.add(truth[i], predicted[i]);
  return m;
}
}  // namespace

double macro_f1_score(const std::vector<std::int64_t>& predicted, const std::vector<std::int64_t>& truth,
                      std::size_t num_classes) {
  return confusion_of(predicted, truth, num_classes).macro_f1();
}

double balanced_accuracy_score(const std::vector<std::int64_t>& predicted, const std::vector<std::int64_t>& truth,
                               std::size_t num_classes) {
  return confusion_of(predicted, truth, num_classes).balanced_accuracy();
}

}  // namespace edgeai
