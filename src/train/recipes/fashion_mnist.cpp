// Recipe `fashion-mnist`: a small CNN for Debian's Fashion-MNIST (28x28 gray, 10 classes).
// Target >= 92% test accuracy in under 10 minutes on 2 cores. 55000 images train, 5000
// (stratified, fixed seed) select the best epoch, the 10000 test images are reported.
#include "data/image_datasets.hpp"
#include "data/split.hpp"
#include "train/graph_builder.hpp"
#include "train/recipes/recipes.hpp"

namespace edgeai {
namespace {

// conv-bn-relu x2 with pooling, then a small classifier: ~4.6 M MACs per image.
Result<Graph> build_model(std::uint64_t seed) {
  GraphBuilder b("fashion-mnist-cnn", seed);
  std::string x = b.input("input", {-1, 1, 28, 28});
  x = b.relu(b.batch_norm(b.conv2d(x, 32, 3, 1, 1)));
  x = b.max_pool2d(x, 2);                                 // 14x14
  x = b.relu(b.batch_norm(b.conv2d(x, 64, 3, 1, 1)));
  x = b.max_pool2d(x, 2);                                 // 7x7
  x = b.relu(b.batch_norm(b.conv2d(x, 64, 3, 1, 1)));
  x = b.flatten(x);
  x = b.dropout(b.relu(b.linear(x, 128)), 0.3f);
  b.output(b.linear(x, 10), "logits");
  return b.build();
}

// Random shifts of up to 2 pixels (padding with the background value) and horizontal flips:
// clothing is left-right symmetric, its position in the frame is not fixed.
void augment(std::vector<torch::Tensor>& batch, std::mt19937_64& rng) {
  torch::Tensor x = batch[0];
  const float background = (0.0f - 0.2860f) / 0.3530f;
  torch::Tensor padded = torch::constant_pad_nd(x, {2, 2, 2, 2}, background);
  torch::Tensor out = torch::empty_like(x);
  for (std::int64_t i = 0; i < x.size(0); ++i) {
    const std::uint64_t r = rng();
    const std::int64_t dy = static_cast<std::int64_t>(r % 5), dx = static_cast<std::int64_t>((r / 5) % 5);
    torch::Tensor crop = padded[i].narrow(1, dy, 28).narrow(2, dx, 28);
    out[i] = ((r >> 32) & 1) ? crop.flip({2}) : crop;
  }
  batch[0] = out;
}

}  // namespace

Result<TrainingPlan> plan_fashion_mnist(const RecipeOptions& options) {
  TrainingPlan plan;
  EDGEAI_ASSIGN_OR_RETURN(plan.model, build_model(options.seed));
  EDGEAI_ASSIGN_OR_RETURN(LabeledData all_train, load_fashion_mnist(kFashionMnistDir, true));
  EDGEAI_ASSIGN_OR_RETURN(LabeledData test, load_fashion_mnist(kFashionMnistDir, false));
  const StratifiedSplit split = stratified_split(all_train, 55000.0 / 60000.0, 5000.0 / 60000.0, options.seed);
  EDGEAI_ASSIGN_OR_RETURN(LabeledData train, all_train.subset(split.train));
  EDGEAI_ASSIGN_OR_RETURN(LabeledData val, all_train.subset(split.val));
  EDGEAI_ASSIGN_OR_RETURN(plan.train, first_samples(std::move(train), options.limit));
  EDGEAI_ASSIGN_OR_RETURN(plan.val, first_samples(std::move(val), options.limit < 0 ? -1 : options.limit / 4));
  EDGEAI_ASSIGN_OR_RETURN(plan.test, first_samples(std::move(test), options.limit));

  TrainOptions& o = plan.options;
  o.optimizer = "adamw";
  o.learning_rate = 3e-3;
  o.weight_decay = 5e-4;
  o.lr_schedule = "onecycle";
  o.epochs = options.epochs > 0 ? options.epochs : 8;
  o.batch_size = 128;
  o.label_smoothing = 0.05;
  o.seed = options.seed;
  o.augment = augment;

  plan.manifest.name = "fashion-mnist-cnn";
  plan.manifest.description = "Fashion-MNIST classifier (edgeai recipe fashion-mnist)";
  plan.manifest.labels = fashion_mnist_class_names();
  plan.manifest.preprocessing = fashion_mnist_preprocessing();
  plan.manifest.metadata["recipe"] = "fashion-mnist";
  plan.test_spec = "fashion-mnist:test";
  plan.data_summary = {"train " + plan.train.describe_counts(), "val   " + plan.val.describe_counts(),
                       "test  " + plan.test.describe_counts()};
  return plan;
}

}  // namespace edgeai
