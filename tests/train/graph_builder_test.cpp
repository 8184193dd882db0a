#include "train/graph_builder.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "graph/validate.hpp"
#include "train_fixtures.hpp"

namespace edgeai {
namespace {

TEST(GraphBuilder, BuildsAValidGraphWithReadableNames) {
  Graph graph = test::small_cnn();
  EXPECT_TRUE(validate_graph(graph).is_ok());
  ASSERT_EQ(graph.inputs.size(), 1u);
  EXPECT_EQ(graph.inputs[0].shape, (Shape{-1, 3, 11, 10}));
  ASSERT_EQ(graph.outputs.size(), 1u);
  EXPECT_EQ(graph.outputs[0].name, "logits");
  EXPECT_EQ(graph.outputs[0].shape, (Shape{-1, 5}));
  EXPECT_NE(test::find_node(graph, "conv1"), nullptr);
  EXPECT_NE(test::find_node(graph, "bn1"), nullptr);
  EXPECT_NE(test::find_node(graph, "fc2"), nullptr);
  EXPECT_TRUE(graph.is_constant("conv1.weight"));
  EXPECT_TRUE(graph.is_constant("bn1.running_var"));
  // The depthwise conv was declared without bias.
  EXPECT_FALSE(graph.is_constant("conv2.bias"));
  EXPECT_EQ(graph.find_constant("conv2.weight")->shape(), (Shape{8, 1, 3, 3}));
  EXPECT_EQ(graph.find_constant("fc1.weight")->shape(), (Shape{12, 6}));
  const Node* gemm = test::find_node(graph, "fc1");
  ASSERT_NE(gemm, nullptr);
  EXPECT_EQ(gemm->attr_int("transB", 0), 1);
  // relu6 is a Clip with constant bounds 0 and 6.
  const Node* clip = test::find_node(graph, "relu6_1");
  ASSERT_NE(clip, nullptr);
  EXPECT_EQ(clip->op_type, "Clip");
  EXPECT_EQ(graph.find_constant(clip->inputs[2])->data<float>()[0], 6.0f);
}

TEST(GraphBuilder, InitialisesLikeTorch) {
  GraphBuilder b("init", 1);
  std::string x = b.input("x", {1, 16, 9, 9});
  x = b.batch_norm(b.conv2d(x, 32, 3));
  b.output(b.linear(b.flatten(b.global_avg_pool(x)), 64), "y");
  Result<Graph> graph = b.build();
  ASSERT_TRUE(graph.is_ok()) << graph.status().to_string();
  // kaiming_uniform(a = sqrt(5)): bound = sqrt(6 / ((1 + 5) * fan_in)) = 1 / sqrt(fan_in).
  auto check_bound = [&](const std::string& name, double fan_in) {
    const Tensor* t = graph->find_constant(name);
    ASSERT_NE(t, nullptr) << name;
    const double bound = std::sqrt(6.0 / (6.0 * fan_in));
    double max_abs = 0.0, sum = 0.0;
    for (std::int64_t i = 0; i < t->num_elements(); ++i) {
      max_abs = std::max(max_abs, std::fabs(static_cast<double>(t->data<float>()[i])));
      sum += t->data<float>()[i];
    }
    EXPECT_LE(max_abs, bound) << name;
    EXPECT_GT(max_abs, 0.9 * bound) << name;  // uniform over the whole range
    EXPECT_LT(std::fabs(sum / static_cast<double>(t->num_elements())), 0.2 * bound) << name;
  };
  check_bound("conv1.weight", 16 * 9);
  check_bound("conv1.bias", 16 * 9);
  check_bound("fc1.weight", 32);
  const Tensor* var = graph->find_constant("bn1.running_var");
  const Tensor* scale = graph->find_constant("bn1.weight");
  for (int i = 0; i < 32; ++i) {
    EXPECT_EQ(var->data<float>()[i], 1.0f);
    EXPECT_EQ(scale->data<float>()[i], 1.0f);
    EXPECT_EQ(graph->find_constant("bn1.running_mean")->data<float>()[i], 0.0f);
    EXPECT_EQ(graph->find_constant("bn1.bias")->data<float>()[i], 0.0f);
  }
  // ONNX momentum = 1 - torch's 0.1.
  EXPECT_FLOAT_EQ(test::find_node(*graph, "bn1")->attr_float("momentum", 0), 0.9f);
}

TEST(GraphBuilder, SameSeedSameWeightsOtherSeedOtherWeights) {
  Graph a = test::small_cnn(3);
  Graph b = test::small_cnn(3);
  Graph c = test::small_cnn(4);
  const Tensor& wa = a.constants.at("conv1.weight");
  EXPECT_EQ(std::memcmp(wa.raw_data(), b.constants.at("conv1.weight").raw_data(), wa.size_bytes()), 0);
  EXPECT_NE(std::memcmp(wa.raw_data(), c.constants.at("conv1.weight").raw_data(), wa.size_bytes()), 0);
}

TEST(GraphBuilder, FirstErrorIsKeptAndNamed) {
  GraphBuilder b("bad", 0);
  std::string x = b.input("x", {-1, 3, 8, 8});
  x = b.conv2d(x, 8, 3, 1, 1, /*groups=*/2);  // 3 channels are not a multiple of 2 groups
  x = b.relu(b.conv2d("nope", 4, 3));
  b.output(x, "y");
  Result<Graph> graph = b.build();
  ASSERT_FALSE(graph.is_ok());
  EXPECT_EQ(graph.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(graph.status().message().find("conv1"), std::string::npos) << graph.status().message();
  EXPECT_NE(graph.status().message().find("groups 2"), std::string::npos) << graph.status().message();

  GraphBuilder c("unknown", 0);
  c.input("x", {-1, 4});
  c.output(c.linear("y", 2), "out");
  Result<Graph> unknown = c.build();
  ASSERT_FALSE(unknown.is_ok());
  EXPECT_NE(unknown.status().message().find("unknown value 'y'"), std::string::npos) << unknown.status().message();

  GraphBuilder d("no_flatten", 0);
  std::string z = d.input("x", {-1, 4, 5});
  d.output(d.linear(z, 2), "out");
  Result<Graph> rank = d.build();
  ASSERT_FALSE(rank.is_ok());
  EXPECT_NE(rank.status().message().find("flatten first"), std::string::npos) << rank.status().message();
}

TEST(GraphBuilder, OutputOfAnInputIsAnIdentity) {
  GraphBuilder b("passthrough", 0);
  std::string x = b.input("x", {1, 4});
  b.output(x, "y");
  b.output(b.relu(x), "z");
  Result<Graph> graph = b.build();
  ASSERT_TRUE(graph.is_ok()) << graph.status().to_string();
  ASSERT_EQ(graph->outputs.size(), 2u);
  EXPECT_EQ(graph->outputs[0].name, "y");
  EXPECT_EQ(graph->outputs[1].name, "z");
  EXPECT_EQ(graph->nodes[0].op_type, "Identity");
}

}  // namespace
}  // namespace edgeai
