// Pruning with fine-tuning (train/prune_finetune.hpp): on a small synthetic problem, 50 %
// unstructured pruning loses accuracy and fine-tuning through prune_graph's callback recovers it
// while every pruned weight stays exactly zero; structured pruning's smaller graph trains too.
#include "train/prune_finetune.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <random>

#include "compress/prune.hpp"
#include "data/evaluate.hpp"
#include "runtime/session.hpp"
#include "train/export.hpp"
#include "train/graph_builder.hpp"
#include "train/torch_module.hpp"
#include "train_fixtures.hpp"

namespace edgeai {
namespace {

using test::teacher_data;


TrainOptions quiet(TrainOptions o) {
  o.log_epochs = false;
  o.progress = false;
  o.threads = 1;
  return o;
}

// Trains `graph` on `train` in float and exports it (batch 1 on the inputs, as a bundle has).
Graph trained(const Graph& graph, const LabeledData& train, double lr, int epochs) {
  Result<std::shared_ptr<GraphModule>> module = GraphModule::create(graph);
  EXPECT_TRUE(module.is_ok()) << module.status().to_string();
  TrainOptions o = quiet({});
  o.learning_rate = lr;
  o.epochs = epochs;
  EXPECT_TRUE(train_model(**module, train, LabeledData{}, o).is_ok());
  Result<Graph> exported = export_graph(**module);
  EXPECT_TRUE(exported.is_ok()) << exported.status().to_string();
  return std::move(exported).value();
}

double top1(const Graph& graph, const LabeledData& data) {
  Result<std::unique_ptr<Session>> session = Session::create(graph);
  EXPECT_TRUE(session.is_ok()) << session.status().to_string();
  Result<EvaluationResult> e = evaluate_on_runtime(**session, data);
  EXPECT_TRUE(e.is_ok()) << e.status().to_string();
  return 100.0 * e->confusion.accuracy();
}

Graph mlp() {
  GraphBuilder b("mlp", 4);
  std::string x = b.input("x", {-1, 8});
  x = b.relu(b.linear(x, 16));
  b.output(b.linear(x, 4), "logits");
  Result<Graph> built = b.build();
  EXPECT_TRUE(built.is_ok()) << built.status().to_string();
  return std::move(built).value();
}

TEST(PruneFineTune, RecoversAccuracyAndKeepsThePrunedWeightsAtZero) {
  const LabeledData train = teacher_data(2000, 1);
  const LabeledData test_set = teacher_data(2000, 2);
  const Graph fp32 = trained(mlp(), train, 1e-2, 40);
  const double fp32_top1 = top1(fp32, test_set);

  Result<PruneResult> pruned_only = prune_unstructured(fp32, 0.5, PruneScope::kGlobal);
  ASSERT_TRUE(pruned_only.is_ok()) << pruned_only.status().to_string();
  const double pruned_top1 = top1(pruned_only->graph, test_set);

  PruneOptions options;
  options.amount = 0.5;
  TrainOptions train_options = quiet(prune_fine_tune_options());
  train_options.epochs = 5;  // a tiny model: more steps per point than a real one needs
  train_options.learning_rate = 1e-2;
  PruneFineTuneReport report;
  // The callback's result, before prune_graph re-applies the masks: the hooks alone must keep
  // the zeros.
  Graph tuned_by_callback;
  const PruneFineTuneFn tuner = prune_fine_tuner(train, train_options, nullptr, &report);
  options.fine_tune = [&](const Graph& pruned, const std::map<std::string, Tensor>& masks) -> Result<Graph> {
    Result<Graph> tuned = tuner(pruned, masks);
    if (tuned.is_ok()) tuned_by_callback = *tuned;
    return tuned;
  };
  Result<PruneResult> result = prune_graph(fp32, options);
  ASSERT_TRUE(result.is_ok()) << result.status().to_string();
  const double tuned_top1 = top1(result->graph, test_set);
  std::printf("MLP: fp32 %.2f %%, 50 %% pruned %.2f %%, fine-tuned %.2f %%\n", fp32_top1, pruned_top1, tuned_top1);
  EXPECT_GT(fp32_top1 - pruned_top1, 2.0) << "the construction no longer makes pruning lose accuracy";
  EXPECT_GT(tuned_top1, pruned_top1 + 1.0);
  EXPECT_EQ(report.training.epochs.size(), 5u);
  EXPECT_EQ(report.masked_parameters, 2);

  // Every position the masks zero is exactly 0 in the callback's result; the others moved.
  ASSERT_EQ(result->masks.size(), 2u);
  std::int64_t masked = 0, changed = 0;
  for (const auto& [name, mask] : result->masks) {
    const Tensor& w = tuned_by_callback.constants.at(name);
    const Tensor& before = pruned_only->graph.constants.at(name);
    ASSERT_EQ(w.num_elements(), mask.num_elements());
    for (std::int64_t i = 0; i < w.num_elements(); ++i) {
      if (mask.data<std::uint8_t>()[i] == 0) {
        ++masked;
        EXPECT_EQ(w.data<float>()[i], 0.0f) << name << "[" << i << "]";
      } else {
        changed += w.data<float>()[i] != before.data<float>()[i];
      }
    }
  }
  EXPECT_EQ(masked, report.masked_weights);
  EXPECT_EQ(masked, (8 * 16 + 16 * 4) / 2);
  EXPECT_GT(changed, masked / 2);
  EXPECT_NEAR(result->sparsity(), 0.5, 1e-9);
}

TEST(PruneFineTune, TrainsTheSmallerGraphOfStructuredPruning) {
  const LabeledData train = test::bright_square_data(256, 7);
  const LabeledData test_set = test::bright_square_data(128, 8);
  const Graph fp32 = trained(test::square_net(), train, 1e-2, 5);
  PruneOptions options;
  options.amount = 0.5;
  options.structured = true;
  TrainOptions train_options = quiet(prune_fine_tune_options());
  train_options.epochs = 3;
  PruneFineTuneReport report;
  options.fine_tune = prune_fine_tuner(train, train_options, nullptr, &report);
  Result<PruneResult> result = prune_graph(fp32, options);
  ASSERT_TRUE(result.is_ok()) << result.status().to_string();
  EXPECT_TRUE(result->masks.empty());
  EXPECT_EQ(report.masked_parameters, 0);
  EXPECT_EQ(report.training.epochs.size(), 3u);
  EXPECT_GT(result->removed_fraction(), 0.0);
  EXPECT_GT(top1(result->graph, test_set), 60.0);
}

TEST(PruneFineTune, RejectsAMaskOfTheWrongShape) {
  const LabeledData train = teacher_data(64, 5);
  Graph g = mlp();
  std::map<std::string, Tensor> masks;
  const std::string weight = g.nodes.front().inputs[1];
  masks[weight] = Tensor::allocate(DType::kUInt8, {3}).value();
  Result<Graph> r = fine_tune_pruned(g, masks, train, LabeledData{}, quiet(prune_fine_tune_options()));
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("the mask for '" + weight + "'"), std::string::npos) << r.status().to_string();
}

}  // namespace
}  // namespace edgeai
