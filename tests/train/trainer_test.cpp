#include "train/trainer.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>

#include "train_fixtures.hpp"

namespace edgeai {
namespace {

TrainOptions quiet_options() {
  TrainOptions o;
  o.optimizer = "adam";
  o.learning_rate = 0.02;
  o.epochs = 4;
  o.batch_size = 20;
  o.seed = 123;
  o.progress = false;
  o.log_epochs = false;
  return o;
}

bool same_parameters(GraphModule& a, GraphModule& b) {
  std::vector<torch::Tensor> pa = a.parameters();
  std::vector<torch::Tensor> pb = b.parameters();
  std::vector<torch::Tensor> ba = a.buffers();
  std::vector<torch::Tensor> bb = b.buffers();
  if (pa.size() != pb.size() || ba.size() != bb.size()) return false;
  for (std::size_t i = 0; i < pa.size(); ++i) {
    if (!torch::equal(pa[i], pb[i])) return false;
  }
  for (std::size_t i = 0; i < ba.size(); ++i) {
    if (!torch::equal(ba[i], bb[i])) return false;
  }
  return true;
}

TEST(Trainer, LearnsASeparableSetAndTheLossFalls) {
  const LabeledData train = test::bright_square_data(200, 1);
  const LabeledData val = test::bright_square_data(60, 2);
  GraphModule model(test::square_net());
  Result<TrainReport> report = train_model(model, train, val, quiet_options());
  ASSERT_TRUE(report.is_ok()) << report.status().to_string();
  ASSERT_EQ(report->epochs.size(), 4u);
  EXPECT_GT(report->epochs.back().train_accuracy, 0.9);
  EXPECT_LT(report->epochs.back().train_loss, report->epochs.front().train_loss);
  EXPECT_GT(report->best_score, 0.9);
  EXPECT_EQ(report->metric_name, "accuracy");
  EXPECT_GE(report->best_epoch, 1);
  // The restored best epoch is what predict() sees.
  Result<std::vector<torch::Tensor>> logits = predict(model, val);
  ASSERT_TRUE(logits.is_ok()) << logits.status().to_string();
  ASSERT_EQ(logits->size(), 1u);
  EXPECT_EQ((*logits)[0].sizes(), (std::vector<std::int64_t>{60, 2}));
  torch::Tensor predicted = (*logits)[0].argmax(1);
  const double accuracy = predicted.eq(torch::tensor(val.labels)).to(torch::kFloat64).mean().item<double>();
  EXPECT_DOUBLE_EQ(accuracy, report->epochs[static_cast<std::size_t>(report->best_epoch - 1)].val_accuracy);
}

TEST(Trainer, SameSeedGivesBitIdenticalParameters) {
  const LabeledData train = test::bright_square_data(120, 3);
  const LabeledData val = test::bright_square_data(40, 4);
  TrainOptions o = quiet_options();
  o.epochs = 2;
  o.optimizer = "sgd";
  o.nesterov = true;
  o.learning_rate = 0.05;
  o.lr_schedule = "cosine";
  o.warmup_epochs = 1;
  o.weight_decay = 1e-4;
  // Random flips from the hook's generator: must be reproducible too.
  o.augment = [](std::vector<torch::Tensor>& batch, std::mt19937_64& rng) {
    if (rng() % 2 == 0) batch[0] = batch[0].flip({3});
  };
  GraphModule a(test::square_net());
  GraphModule b(test::square_net());
  ASSERT_TRUE(train_model(a, train, val, o).is_ok());
  ASSERT_TRUE(train_model(b, train, val, o).is_ok());
  EXPECT_TRUE(same_parameters(a, b));
  o.seed = 124;
  GraphModule c(test::square_net());
  ASSERT_TRUE(train_model(c, train, val, o).is_ok());
  EXPECT_FALSE(same_parameters(a, c));
}

TEST(Trainer, KeepsTheBestEpochBySelectionMetric) {
  const LabeledData train = test::bright_square_data(100, 5);
  const LabeledData val = test::bright_square_data(40, 6);
  TrainOptions o = quiet_options();
  o.epochs = 3;
  // A metric that prefers the first epoch: the model must come back to its epoch-1 state.
  int calls = 0;
  o.selection_metric = [&calls](const std::vector<std::int64_t>&, const std::vector<std::int64_t>&) {
    return -static_cast<double>(++calls);
  };
  o.selection_metric_name = "first";
  GraphModule three_epochs(test::square_net());
  Result<TrainReport> report = train_model(three_epochs, train, val, o);
  ASSERT_TRUE(report.is_ok()) << report.status().to_string();
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(report->best_epoch, 1);
  EXPECT_EQ(report->metric_name, "first");
  EXPECT_DOUBLE_EQ(report->best_score, -1.0);
  o.epochs = 1;
  GraphModule one_epoch(test::square_net());
  ASSERT_TRUE(train_model(one_epoch, train, val, o).is_ok());
  EXPECT_TRUE(same_parameters(three_epochs, one_epoch));
}

TEST(Trainer, ClassWeightsAndBalancedSampling) {
  const LabeledData train = test::bright_square_data(120, 7, /*class1_every=*/4);  // 90 plain, 30 square
  TrainOptions o = quiet_options();
  o.epochs = 2;
  o.class_weighting = "inverse";
  o.balanced_sampling = true;
  o.lr_schedule = "onecycle";
  o.label_smoothing = 0.1;
  GraphModule model(test::square_net());
  Result<TrainReport> report = train_model(model, train, LabeledData{}, o);
  ASSERT_TRUE(report.is_ok()) << report.status().to_string();
  ASSERT_EQ(report->class_weights.size(), 2u);
  EXPECT_DOUBLE_EQ(report->class_weights[0], 120.0 / (2 * 90));
  EXPECT_DOUBLE_EQ(report->class_weights[1], 120.0 / (2 * 30));
  EXPECT_EQ(report->best_epoch, 2);  // no validation set: the last epoch

  o.class_weighting = "sqrt_inverse";
  o.balanced_sampling = false;
  o.epochs = 1;
  GraphModule other(test::square_net());
  report = train_model(other, train, LabeledData{}, o);
  ASSERT_TRUE(report.is_ok()) << report.status().to_string();
  // w_c proportional to 1/sqrt(n_c), the sample-average weight is 1.
  EXPECT_NEAR(report->class_weights[1] / report->class_weights[0], std::sqrt(3.0), 1e-12);
  EXPECT_NEAR((90 * report->class_weights[0] + 30 * report->class_weights[1]) / 120.0, 1.0, 1e-12);
}

TEST(Trainer, BadOptionsAndDataAreClearErrors) {
  const LabeledData train = test::bright_square_data(40, 8);
  GraphModule model(test::square_net());
  TrainOptions o = quiet_options();
  o.optimizer = "rmsprop";
  Result<TrainReport> report = train_model(model, train, LabeledData{}, o);
  ASSERT_FALSE(report.is_ok());
  EXPECT_NE(report.status().message().find("optimizer 'rmsprop'"), std::string::npos);

  LabeledData renamed = train;
  renamed.input_names = {"picture"};
  report = train_model(model, renamed, LabeledData{}, quiet_options());
  ASSERT_FALSE(report.is_ok());
  EXPECT_NE(report.status().message().find("graph input 'image' is not among the data set's inputs (picture)"),
            std::string::npos)
      << report.status().message();

  LabeledData three_classes = train;
  three_classes.class_names.push_back("extra");
  report = train_model(model, three_classes, LabeledData{}, quiet_options());
  ASSERT_FALSE(report.is_ok());
  EXPECT_NE(report.status().message().find("training needs logits [N, 3]"), std::string::npos)
      << report.status().message();
}

TEST(Trainer, ShuffleIsAPortablePermutation) {
  std::vector<std::int64_t> a(50);
  std::iota(a.begin(), a.end(), 0);
  std::vector<std::int64_t> b = a;
  std::mt19937_64 ra(9), rb(9);
  shuffle_indices(a, ra);
  shuffle_indices(b, rb);
  EXPECT_EQ(a, b);
  std::vector<std::int64_t> sorted = a;
  std::sort(sorted.begin(), sorted.end());
  for (std::int64_t i = 0; i < 50; ++i) EXPECT_EQ(sorted[static_cast<std::size_t>(i)], i);
  EXPECT_NE(a, sorted);
  // std::mt19937_64 is fully specified by the standard (its 10000th output is
  // 9981545732273789042), and uniform_index is our own arithmetic: a fixed seed gives a fixed
  // draw everywhere.
  std::mt19937_64 check(5489u);
  check.discard(9999);
  EXPECT_EQ(check(), 9981545732273789042ull);
  std::mt19937_64 r(1);
  const std::uint64_t first = r();
  std::mt19937_64 r2(1);
  EXPECT_EQ(uniform_index(r2, 10), first % 10);  // first draw far below the rejection limit
}

}  // namespace
}  // namespace edgeai

namespace edgeai {
namespace {

TEST(Trainer, PrintsOneLinePerEpochAndJsonOnStdout) {
  const LabeledData train = test::bright_square_data(60, 12);
  const LabeledData val = test::bright_square_data(20, 13);
  TrainOptions o = quiet_options();
  o.epochs = 2;
  o.log_epochs = true;
  o.json = true;
  GraphModule model(test::square_net());
  testing::internal::CaptureStdout();
  testing::internal::CaptureStderr();
  Result<TrainReport> report = train_model(model, train, val, o);
  const std::string out = testing::internal::GetCapturedStdout();
  const std::string err = testing::internal::GetCapturedStderr();
  ASSERT_TRUE(report.is_ok()) << report.status().to_string();
  // stdout: exactly one JSON object per line, per epoch.
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 2) << out;
  EXPECT_EQ(out.rfind("{\"epoch\":1,\"epochs\":2,\"lr\":0.02,\"train_loss\":", 0), 0u) << out;
  EXPECT_NE(out.find("\n{\"epoch\":2,"), std::string::npos) << out;
  EXPECT_NE(out.find("\"metric\":\"accuracy\",\"val_score\":"), std::string::npos) << out;
  EXPECT_NE(out.find("\"is_best\":"), std::string::npos) << out;
  // stderr: the human lines (no progress bar: stderr is not a terminal here).
  EXPECT_NE(err.find("epoch 1/2  lr 0.02  train loss "), std::string::npos) << err;
  EXPECT_NE(err.find("epoch 2/2"), std::string::npos) << err;
  EXPECT_NE(err.find("best epoch " + std::to_string(report->best_epoch) + ": accuracy "), std::string::npos) << err;
  EXPECT_EQ(err.find('\r'), std::string::npos) << err;
}

TEST(Trainer, CudaWithoutCudaIsAClearError) {
  if (torch::cuda::is_available()) GTEST_SKIP() << "this libtorch has CUDA";
  GraphModule model(test::square_net());
  TrainOptions o = quiet_options();
  o.device = "cuda";
  Result<TrainReport> report = train_model(model, test::bright_square_data(20, 1), LabeledData{}, o);
  ASSERT_FALSE(report.is_ok());
  EXPECT_EQ(report.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(report.status().message().find("device cuda requested"), std::string::npos);
}

}  // namespace
}  // namespace edgeai
