// Recipe `magnetic-tile`: defect inspection on the magnetic tile images (Huang et al.),
// defect vs free (default) or the six classes (--task six-class). A fixed stratified
// train/val/test split by file (70/15/15, seeded) is saved in the bundle's manifest, so
// `edgeai eval --data magnetic-tile:test` later scores exactly the held-out files.
#include "data/image_datasets.hpp"
#include "data/split.hpp"
#include "train/graph_builder.hpp"
#include "train/recipes/recipes.hpp"

namespace edgeai {
namespace {

Result<Graph> build_model(std::uint64_t seed, std::int64_t size, std::int64_t classes) {
  GraphBuilder b("magnetic-tile-cnn", seed);
  std::string x = b.input("input", {-1, 1, size, size});
  for (std::int64_t channels : {16, 32, 64, 96}) {
    x = b.max_pool2d(b.relu(b.batch_norm(b.conv2d(x, channels, 3, 1, 1))), 2);
  }
  x = b.relu(b.batch_norm(b.conv2d(x, 128, 3, 1, 1)));
  x = b.flatten(b.global_avg_pool(x));
  x = b.dropout(x, 0.2f);
  b.output(b.linear(x, classes), "logits");
  return b.build();
}

// Tiles appear in any orientation on a line: flip both ways and rotate by 90 degrees, and
// vary the brightness a little (lighting changes between cameras).
void augment(std::vector<torch::Tensor>& batch, std::mt19937_64& rng) {
  torch::Tensor x = batch[0];
  torch::Tensor out = torch::empty_like(x);
  for (std::int64_t i = 0; i < x.size(0); ++i) {
    const std::uint64_t r = rng();
    torch::Tensor img = x[i];
    if (r & 1) img = img.flip({2});
    if (r & 2) img = img.flip({1});
    if (r & 4) img = img.transpose(1, 2);
    const float gain = 0.9f + 0.2f * static_cast<float>((r >> 8) & 0xFF) / 255.0f;
    const float shift = -0.1f + 0.2f * static_cast<float>((r >> 16) & 0xFF) / 255.0f;
    out[i] = img * gain + shift;
  }
  batch[0] = out;
}

}  // namespace

Result<TrainingPlan> plan_magnetic_tile(const RecipeOptions& options) {
  TrainingPlan plan;
  const std::string task = options.task.empty() ? "defect-vs-free" : options.task;
  EDGEAI_ASSIGN_OR_RETURN(const MagneticTileTask which, parse_magnetic_tile_task(task));
  const Preprocessing pre = magnetic_tile_preprocessing();
  EDGEAI_ASSIGN_OR_RETURN(std::string root, default_magnetic_tile_root());
  EDGEAI_ASSIGN_OR_RETURN(LabeledData all, load_magnetic_tile(root, which, pre));
  const StratifiedSplit split = stratified_split(all, 0.70, 0.15, options.seed);
  EDGEAI_ASSIGN_OR_RETURN(std::string split_text, format_split(all, split, "magnetic-tile split"));
  EDGEAI_ASSIGN_OR_RETURN(LabeledData train, all.subset(split.train));
  EDGEAI_ASSIGN_OR_RETURN(LabeledData val, all.subset(split.val));
  EDGEAI_ASSIGN_OR_RETURN(LabeledData test, all.subset(split.test));
  EDGEAI_ASSIGN_OR_RETURN(plan.train, first_samples(std::move(train), options.limit));
  EDGEAI_ASSIGN_OR_RETURN(plan.val, first_samples(std::move(val), options.limit < 0 ? -1 : options.limit / 4));
  EDGEAI_ASSIGN_OR_RETURN(plan.test, first_samples(std::move(test), options.limit));
  const std::int64_t size = all.inputs[0].shape()[2];
  const auto classes = static_cast<std::int64_t>(all.class_names.size());
  EDGEAI_ASSIGN_OR_RETURN(plan.model, build_model(options.seed, size, classes));

  TrainOptions& o = plan.options;
  o.optimizer = "adamw";
  o.learning_rate = 3e-3;
  o.weight_decay = 1e-3;
  o.lr_schedule = "onecycle";
  o.epochs = options.epochs > 0 ? options.epochs : 60;
  o.batch_size = 32;
  o.class_weighting = "inverse";
  o.seed = options.seed;
  o.augment = augment;
  o.selection_metric = [classes](const std::vector<std::int64_t>& p, const std::vector<std::int64_t>& t) {
    return balanced_accuracy_score(p, t, static_cast<std::size_t>(classes));
  };
  o.selection_metric_name = "balanced accuracy";

  plan.manifest.name = "magnetic-tile-" + task;
  plan.manifest.description = "Magnetic tile surface defects, " + task + " (edgeai recipe magnetic-tile)";
  plan.manifest.labels = all.class_names;
  plan.manifest.preprocessing = pre;
  plan.manifest.metadata["recipe"] = "magnetic-tile";
  plan.manifest.metadata["task"] = task;
  plan.manifest.metadata["split"] = split_text;
  // On the line every defect class is an anomaly (the agent raises events for them).
  std::string defects;
  for (const std::string& name : all.class_names) {
    if (name != "free") defects += (defects.empty() ? "" : ",") + name;
  }
  plan.manifest.metadata["anomaly_labels"] = defects;
  plan.test_spec = "magnetic-tile:test";
  plan.data_summary = {"all   " + all.describe_counts(), "train " + plan.train.describe_counts(),
                       "val   " + plan.val.describe_counts(), "test  " + plan.test.describe_counts()};
  return plan;
}

}  // namespace edgeai
