// Training recipes: everything `edgeai train NAME` needs for one use case — the data (train,
// validation and test sets, loaded through the data layer with the preprocessing the bundle
// will declare), the model as an IR graph, the training options, and the manifest. A YAML or
// JSON config file produces the same plan for a user's own model and data.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.hpp"
#include "data/labeled_data.hpp"
#include "format/bundle.hpp"
#include "graph/graph.hpp"
#include "train/trainer.hpp"

namespace edgeai {

struct RecipeOptions {
  std::uint64_t seed = 42;
  int epochs = 0;               // 0: the recipe's default
  std::int64_t limit = -1;      // keep only the first N samples of each set (smoke runs)
  std::string task;             // magnetic-tile: "defect-vs-free" (default) or "six-class"
};

struct TrainingPlan {
  Graph model;             // untrained, batch dimension -1
  LabeledData train;
  LabeledData val;         // selects the best epoch
  LabeledData test;        // reported after training, on the edgeai runtime
  TrainOptions options;
  Manifest manifest;       // name, description, labels, preprocessing, metadata
  std::string test_spec;   // the `edgeai eval --data` spec of the test set
  std::vector<std::string> data_summary;  // one line per set: name and counts per class
};

// The built-in recipes: "fashion-mnist", "ecg-mitbih", "magnetic-tile".
std::vector<std::string> recipe_names();
Result<TrainingPlan> plan_recipe(const std::string& name, const RecipeOptions& options);
// A YAML (or JSON, a subset of YAML) file: see docs/training.md for the keys.
Result<TrainingPlan> plan_from_config(const std::string& path, const RecipeOptions& options);

// Per-recipe builders (recipes/<name>.cpp).
Result<TrainingPlan> plan_fashion_mnist(const RecipeOptions& options);
Result<TrainingPlan> plan_ecg_mitbih(const RecipeOptions& options);
Result<TrainingPlan> plan_magnetic_tile(const RecipeOptions& options);

// Shared helpers for recipes.
Result<LabeledData> first_samples(LabeledData data, std::int64_t limit);
// Macro F1 over the classes present: the validation score for imbalanced sets.
double macro_f1_score(const std::vector<std::int64_t>& predicted, const std::vector<std::int64_t>& truth,
                      std::size_t num_classes);
double balanced_accuracy_score(const std::vector<std::int64_t>& predicted, const std::vector<std::int64_t>& truth,
                               std::size_t num_classes);

}  // namespace edgeai
