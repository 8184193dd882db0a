#include "train/export.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <unistd.h>

#include "train/trainer.hpp"
#include "train_fixtures.hpp"

namespace edgeai {
namespace {

LabeledData beat_data(std::int64_t n, std::uint64_t seed) {
  LabeledData data;
  // Deliberately not in graph order: inputs are matched by name.
  data.input_names = {"features", "beat"};
  data.class_names = {"N", "S", "V"};
  data.inputs = {test::random_tensor({n, 4}, seed), test::random_tensor({n, 1, 64}, seed + 1, 2.0f)};
  for (std::int64_t i = 0; i < n; ++i) data.labels.push_back(i % 3);
  return data;
}

std::int64_t count_ops(const Graph& graph, const std::string& op) {
  std::int64_t count = 0;
  for (const Node& node : graph.nodes) count += node.op_type == op ? 1 : 0;
  return count;
}

TEST(Export, ToGraphRoundTripsTheTrainedValues) {
  GraphModule model(test::square_net());
  {
    // Stand-in for training: move every parameter and statistic.
    torch::NoGradGuard no_grad;
    for (torch::Tensor& p : model.parameters()) p.add_(0.25);
    for (torch::Tensor& b : model.buffers()) b.mul_(1.5);
  }
  Graph graph = model.to_graph();
  const float* w = graph.constants.at("conv1.weight").data<float>();
  torch::Tensor expected = model.named_parameters()["conv1_weight"].contiguous();
  EXPECT_EQ(std::memcmp(w, expected.data_ptr<float>(), expected.numel() * sizeof(float)), 0);
  EXPECT_FLOAT_EQ(graph.constants.at("bn1.running_var").data<float>()[0], 1.5f);
  // The untrained module still holds the initial values in graph().
  EXPECT_FLOAT_EQ(model.graph().constants.at("bn1.running_var").data<float>()[0], 1.0f);
  // The dropout ratio is not a parameter and stays as it was.
  EXPECT_FLOAT_EQ(graph.constants.at("dropout1.ratio").data<float>()[0], 0.1f);

  GraphModule reloaded(graph);
  model.eval();
  reloaded.eval();
  torch::NoGradGuard no_grad;
  torch::Tensor x = torch::randn({3, 1, 8, 8});
  EXPECT_TRUE(torch::equal(model.forward({x})[0], reloaded.forward({x})[0]));
}

TEST(Export, FoldsBatchNormAndKeepsTheOutputs) {
  Graph graph = test::beat_net();
  GraphModule model(graph);
  Result<Graph> exported = export_graph(model);
  ASSERT_TRUE(exported.is_ok()) << exported.status().to_string();
  EXPECT_EQ(count_ops(*exported, "BatchNormalization"), 0);
  EXPECT_EQ(count_ops(*exported, "Dropout"), 0);
  EXPECT_EQ(count_ops(*exported, "Relu"), 0);  // fused into conv1, conv2, fc1
  EXPECT_EQ(exported->inputs[0].shape, (Shape{1, 1, 64}));
  EXPECT_EQ(exported->outputs[0].shape, (Shape{1, 3}));
  // Before (libtorch on the unfolded graph) and after (runtime on the folded one) agree.
  const LabeledData data = beat_data(12, 21);
  Result<AgreementReport> agreement = compare_with_runtime(*exported, model, data);
  ASSERT_TRUE(agreement.is_ok()) << agreement.status().to_string();
  EXPECT_EQ(agreement->samples, 12);
  EXPECT_LT(agreement->max_abs_diff, 1e-4);
  EXPECT_DOUBLE_EQ(agreement->label_agreement, 1.0);
  EXPECT_EQ(agreement->runtime_correct, agreement->torch_correct);
  // And the unfolded graph in the runtime agrees too.
  Result<AgreementReport> unfolded = compare_with_runtime(graph, model, data);
  ASSERT_TRUE(unfolded.is_ok()) << unfolded.status().to_string();
  EXPECT_LT(unfolded->max_abs_diff, 1e-4);
}

TEST(Export, GoldenVectorsAreReproducedFromTheWrittenBundle) {
  const LabeledData train = test::bright_square_data(100, 31);
  const LabeledData held_out = test::bright_square_data(30, 32);
  GraphModule model(test::square_net());
  TrainOptions o;
  o.epochs = 1;
  o.batch_size = 25;
  o.learning_rate = 0.02;
  o.progress = false;
  o.log_epochs = false;
  ASSERT_TRUE(train_model(model, train, held_out, o).is_ok());

  Manifest manifest;
  manifest.name = "square";
  manifest.version = "1.2.3";
  Result<Bundle> bundle = export_bundle(model, manifest, held_out, 5);
  ASSERT_TRUE(bundle.is_ok()) << bundle.status().to_string();
  EXPECT_EQ(bundle->manifest.labels, held_out.class_names);
  ASSERT_EQ(bundle->manifest.golden.size(), 5u);
  EXPECT_FLOAT_EQ(bundle->manifest.golden[0].atol, 1e-4f);
  EXPECT_FLOAT_EQ(bundle->manifest.golden[0].rtol, 1e-3f);
  EXPECT_EQ(bundle->manifest.inputs[0].shape, (Shape{1, 1, 8, 8}));

  const std::string path =
      (std::filesystem::temp_directory_path() / ("edgeai_train_export_" + std::to_string(getpid()) + ".eai")).string();
  ASSERT_TRUE(write_bundle(*bundle, path).is_ok());
  Result<Bundle> read = read_bundle(path);
  ASSERT_TRUE(read.is_ok()) << read.status().to_string();
  std::filesystem::remove(path);
  const std::vector<GoldenVector> golden = read->manifest.golden;
  Result<std::unique_ptr<Session>> session = Session::create(std::move(read).value());
  ASSERT_TRUE(session.is_ok()) << session.status().to_string();
  Result<std::vector<torch::Tensor>> torch_logits = predict(model, held_out);
  ASSERT_TRUE(torch_logits.is_ok());
  for (std::size_t k = 0; k < golden.size(); ++k) {
    std::vector<Tensor> inputs;
    for (const auto& [name, tensor] : golden[k].inputs) inputs.push_back(tensor);
    Result<std::vector<Tensor>> out = (*session)->run_and_copy(inputs);
    ASSERT_TRUE(out.is_ok()) << out.status().to_string();
    const Tensor& expected = golden[k].outputs[0].second;
    ASSERT_EQ((*out)[0].shape(), expected.shape());
    for (std::int64_t i = 0; i < expected.num_elements(); ++i) {
      const float e = expected.data<float>()[i];
      EXPECT_LE(std::fabs((*out)[0].data<float>()[i] - e), golden[k].atol + golden[k].rtol * std::fabs(e));
    }
    // The golden output is what libtorch computes for that held-out sample (spread evenly).
    const std::int64_t sample = static_cast<std::int64_t>(k) * held_out.size() / 5;
    EXPECT_LT(test::max_abs_diff(expected, (*torch_logits)[0].narrow(0, sample, 1)), 1e-4);
  }
}

TEST(Export, BadGoldenCountIsAClearError) {
  GraphModule model(test::square_net());
  Result<Bundle> bundle = export_bundle(model, Manifest{}, test::bright_square_data(4, 1), 10);
  ASSERT_FALSE(bundle.is_ok());
  EXPECT_NE(bundle.status().message().find("golden_count 10 is more than the 4 samples"), std::string::npos)
      << bundle.status().message();
}

}  // namespace
}  // namespace edgeai
