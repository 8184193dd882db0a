#include "train/torch_module.hpp"

#include <gtest/gtest.h>

#include "graph/passes/passes.hpp"
#include "train_fixtures.hpp"

namespace edgeai {
namespace {

TEST(GraphModule, SmallCnnMatchesTheRuntime) {
  Graph graph = test::small_cnn();
  GraphModule module(graph);
  for (std::uint64_t seed : {1u, 2u}) {
    const double diff = test::runtime_vs_module(graph, module, {test::random_tensor({3, 3, 11, 10}, seed, 2.0f)});
    EXPECT_LT(diff, 1e-4) << "seed " << seed;
  }
}

TEST(GraphModule, BeatNetWithTwoInputsMatchesTheRuntime) {
  Graph graph = test::beat_net();
  GraphModule module(graph);
  const double diff = test::runtime_vs_module(
      graph, module, {test::random_tensor({4, 1, 64}, 7, 1.5f), test::random_tensor({4, 4}, 8)});
  EXPECT_LT(diff, 1e-4);
}

TEST(GraphModule, PoolingCornersMatchTheRuntime) {
  // AveragePool with count_include_pad and ceil_mode over asymmetric pads; MaxPool with dilation.
  for (std::int64_t include_pad : {0, 1}) {
    GraphBuilder b("pools", 0);
    std::string x = b.input("x", {-1, 2, 9, 6});
    std::string avg = b.avg_pool(x, {3, 2}, {2, 2}, {2, 0, 1, 1}, include_pad != 0);
    std::string max = b.max_pool2d(x, 3, 2, 1);
    b.output(avg, "avg");
    b.output(max, "max");
    Result<Graph> built = b.build();
    ASSERT_TRUE(built.is_ok()) << built.status().to_string();
    Graph graph = std::move(built).value();
    test::find_node(graph, "avgpool1")->attributes["ceil_mode"] = std::int64_t{1};
    Node* max_node = test::find_node(graph, "maxpool1");
    max_node->attributes["dilations"] = std::vector<std::int64_t>{2, 1};
    max_node->attributes["ceil_mode"] = std::int64_t{1};
    graph.value_info.clear();
    for (ValueInfo& output : graph.outputs) output.shape = {-1, -1, -1, -1};  // ceil_mode changed them
    GraphModule module(graph);
    EXPECT_LT(test::runtime_vs_module(graph, module, {test::random_tensor({2, 2, 9, 6}, 3)}), 1e-5)
        << "count_include_pad " << include_pad;
  }
}

TEST(GraphModule, LoadsAFusedGraph) {
  Graph graph = test::small_cnn();
  GraphModule plain(graph);
  Graph fused = graph;
  ASSERT_TRUE(fold_batchnorm(fused).is_ok());
  Result<int> count = fuse_activations(fused);
  ASSERT_TRUE(count.is_ok());
  EXPECT_GE(*count, 3);  // relu after the folded conv, relu6 (Clip), leaky_relu
  GraphModule fused_module(fused);
  const Tensor x = test::random_tensor({2, 3, 11, 10}, 9);
  torch::NoGradGuard no_grad;
  plain.eval();
  fused_module.eval();
  torch::Tensor a = plain.forward({*to_torch(x)})[0];
  torch::Tensor b = fused_module.forward({*to_torch(x)})[0];
  EXPECT_LT((a - b).abs().max().item<double>(), 1e-5);
  EXPECT_LT(test::runtime_vs_module(fused, fused_module, {x}), 1e-4);
}

TEST(GraphModule, RegistersParametersAndBuffers) {
  GraphModule module(test::small_cnn());
  std::vector<std::string> names;
  for (const auto& item : module.named_parameters()) names.push_back(item.key());
  EXPECT_NE(std::find(names.begin(), names.end(), "conv1_weight"), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "bn1_weight"), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "fc2_bias"), names.end());
  EXPECT_EQ(std::find(names.begin(), names.end(), "bn1_running_mean"), names.end());
  std::vector<std::string> buffers;
  for (const auto& item : module.named_buffers()) buffers.push_back(item.key());
  EXPECT_NE(std::find(buffers.begin(), buffers.end(), "bn1_running_mean"), buffers.end());
  EXPECT_NE(std::find(buffers.begin(), buffers.end(), "relu6_1_max"), buffers.end());
  // conv1 w+b, bn1 scale+bias, conv2 w, conv3 w+b, fc1 w+b, fc2 w+b.
  EXPECT_EQ(module.parameter_constants().size(), 11u);
  EXPECT_EQ(module.statistic_constants().size(), 2u);
}

TEST(GraphModule, BatchNormTrainModeUsesBatchStatisticsAndUpdatesRunningStats) {
  GraphBuilder b("bn", 0);
  b.output(b.batch_norm(b.input("x", {-1, 2, 3})), "y");
  GraphModule module(*b.build());
  module.train();
  torch::Tensor x = torch::arange(24, torch::kFloat32).reshape({4, 2, 3});
  torch::Tensor y = module.forward({x})[0];
  // Batch statistics: every channel of y has mean 0.
  EXPECT_LT(y.mean(std::vector<std::int64_t>{0, 2}).abs().max().item<double>(), 1e-5);
  // torch semantics: running = 0.9 * running + 0.1 * batch (unbiased variance).
  torch::Tensor expected_mean = 0.1 * x.mean(std::vector<std::int64_t>{0, 2});
  torch::Tensor expected_var = 0.9 + 0.1 * x.transpose(0, 1).reshape({2, -1}).var(1, true);
  Graph trained = module.to_graph();
  torch::Tensor mean = *to_torch(trained.constants.at("bn1.running_mean"));
  torch::Tensor var = *to_torch(trained.constants.at("bn1.running_var"));
  EXPECT_TRUE(torch::allclose(mean, expected_mean, 1e-5, 1e-6));
  EXPECT_TRUE(torch::allclose(var, expected_var, 1e-5, 1e-6));
}

TEST(GraphModule, DropoutOnlyInTrainMode) {
  GraphBuilder b("drop", 0);
  b.output(b.dropout(b.input("x", {-1, 1000}), 0.5f), "y");
  GraphModule module(*b.build());
  torch::Tensor x = torch::ones({1, 1000});
  module.eval();
  EXPECT_TRUE(torch::equal(module.forward({x})[0], x));
  module.train();
  torch::Tensor y = module.forward({x})[0];
  const double zeros = (y == 0).sum().item<double>();
  EXPECT_GT(zeros, 400);
  EXPECT_LT(zeros, 600);
  EXPECT_DOUBLE_EQ(y.max().item<double>(), 2.0);  // kept values scaled by 1 / (1 - p)
}

TEST(GraphModule, UnsupportedOperatorIsAClearError) {
  Graph graph;
  graph.name = "odd";
  graph.inputs = {ValueInfo{"x", DType::kFloat32, {1, 4}}};
  graph.outputs = {ValueInfo{"y", DType::kFloat32, {1, 4}}};
  Node node;
  node.name = "erf_1";
  node.op_type = "Erf";
  node.inputs = {"x"};
  node.outputs = {"y"};
  graph.nodes.push_back(node);
  Result<std::shared_ptr<GraphModule>> module = GraphModule::create(graph);
  ASSERT_FALSE(module.is_ok());
  EXPECT_EQ(module.status().code(), StatusCode::kUnsupported);
  const std::string message = module.status().message();
  EXPECT_NE(message.find("GraphModule 'odd'"), std::string::npos) << message;
  EXPECT_NE(message.find("Erf 'erf_1'"), std::string::npos) << message;
  EXPECT_NE(message.find("not supported for training"), std::string::npos) << message;
  EXPECT_THROW(GraphModule{graph}, std::runtime_error);

  // An invalid graph is reported by the validator, as invalid argument.
  graph.nodes[0].inputs = {"missing"};
  Result<std::shared_ptr<GraphModule>> invalid = GraphModule::create(graph);
  ASSERT_FALSE(invalid.is_ok());
  EXPECT_EQ(invalid.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(invalid.status().message().find("missing"), std::string::npos) << invalid.status().message();
}

TEST(GraphModule, WrongInputCountIsAClearError) {
  GraphModule module(test::beat_net());
  try {
    module.forward({torch::zeros({1, 1, 64})});
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("got 1 inputs, the graph has 2"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace edgeai
