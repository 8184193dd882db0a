// Tests of ONNX import (import/onnx/onnx_importer.cpp). Models are built in the test with the
// protobuf API or exported by torch at test time; numbers are checked against independent
// computations written out here or against the ONNX node tests' own outputs.
#include "import/onnx/onnx_importer.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "graph/fused_activation.hpp"
#include "import/onnx/proto_convert.hpp"
#include "import/onnx/tensor_proto.hpp"
#include "onnx_model_builder.hpp"

namespace edgeai {
namespace {

using testing::OnnxModelBuilder;
using testing::run_graph_by_nodes;
using testing::set_attr;

Result<Graph> import_model(const OnnxModelBuilder& b, const ImportOptions& options = {}) {
  const std::string bytes = b.bytes();
  return import_onnx_bytes(bytes.data(), bytes.size(), "m.onnx", options);
}

std::vector<float> values_of(const Tensor& t) {
  return std::vector<float>(t.data<float>(), t.data<float>() + t.num_elements());
}

std::vector<float> ramp(std::size_t n, float start, float step) {
  std::vector<float> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = start + step * static_cast<float>(i);
  return v;
}

int count_ops(const Graph& g, std::string_view op) {
  int n = 0;
  for (const Node& node : g.nodes) n += node.op_type == op ? 1 : 0;
  return n;
}

std::string write_temp_file(const std::string& name, const std::string& bytes) {
  const std::string path = ::testing::TempDir() + name;
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

// ---- translation ------------------------------------------------------------------------

TEST(OnnxImport, InitializersInRawAndTypedFieldsBecomeConstants) {
  OnnxModelBuilder b;
  b.input("x", {3});
  b.input("w_raw", {3});  // listed as an input too, as exporters before IR version 4 do
  b.output("y", {3});
  b.initializer("w_raw", {3}, {1.0f, 2.0f, 3.0f}, /*raw=*/true);
  b.initializer("w_typed", {3}, {4.0f, 5.0f, 6.0f}, /*raw=*/false);
  b.int64_initializer("i64", {2}, {-7, 1LL << 40});
  onnx::TensorProto& i32 = *b.graph().add_initializer();
  i32.set_name("i32");
  i32.set_data_type(onnx::TensorProto::INT32);
  i32.add_dims(2);
  i32.add_int32_data(-3);
  i32.add_int32_data(9);
  onnx::TensorProto& f64 = *b.graph().add_initializer();
  f64.set_name("f64");
  f64.set_data_type(onnx::TensorProto::DOUBLE);
  f64.add_double_data(0.125);  // no dims: a scalar
  b.node("Add", {"x", "w_raw"}, {"y"}, "add");
  ImportOptions options;
  options.fold_constants = false;
  options.remove_dead_nodes = false;
  Result<Graph> g = import_model(b, options);
  ASSERT_TRUE(g.is_ok()) << g.status().to_string();
  ASSERT_EQ(g->inputs.size(), 1u);
  EXPECT_EQ(g->inputs[0].name, "x");
  EXPECT_EQ(values_of(*g->find_constant("w_raw")), std::vector<float>({1, 2, 3}));
  EXPECT_EQ(values_of(*g->find_constant("w_typed")), std::vector<float>({4, 5, 6}));
  const Tensor* t64 = g->find_constant("i64");
  ASSERT_EQ(t64->dtype(), DType::kInt64);
  EXPECT_EQ(t64->data<std::int64_t>()[1], 1LL << 40);
  const Tensor* t32 = g->find_constant("i32");
  ASSERT_EQ(t32->dtype(), DType::kInt32);
  EXPECT_EQ(t32->data<std::int32_t>()[0], -3);
  const Tensor* td = g->find_constant("f64");
  ASSERT_EQ(td->dtype(), DType::kFloat64);
  EXPECT_EQ(td->shape(), Shape{});
  EXPECT_EQ(td->data<double>()[0], 0.125);
  // Unused constants go with dead-node removal (on by default).
  Result<Graph> pruned = import_model(b);
  ASSERT_TRUE(pruned.is_ok()) << pruned.status().to_string();
  EXPECT_FALSE(pruned->is_constant("w_typed"));
  EXPECT_TRUE(pruned->is_constant("w_raw"));
}

TEST(OnnxImport, WeightsFedAsGraphInputsStayInputs) {
  OnnxModelBuilder b;
  b.input("x", {1, 1, 3, 3});
  b.input("W", {1, 1, 2, 2});
  b.output("y", {1, 1, 2, 2});
  b.node("Conv", {"x", "W"}, {"y"});
  Result<Graph> g = import_model(b);
  ASSERT_TRUE(g.is_ok()) << g.status().to_string();
  ASSERT_EQ(g->inputs.size(), 2u);
  EXPECT_EQ(g->inputs[1].name, "W");
  EXPECT_TRUE(g->constants.empty());
  ASSERT_EQ(g->nodes.size(), 1u);
  EXPECT_EQ(g->nodes[0].name, "Conv_0") << "a nameless node gets <op_type>_<index>";
}

TEST(OnnxImport, UnsupportedTensorDtypeNamesTheTensor) {
  OnnxModelBuilder b;
  b.input("x", {2});
  b.output("y", {2});
  onnx::TensorProto& t = *b.graph().add_initializer();
  t.set_name("labels");
  t.set_data_type(onnx::TensorProto::STRING);
  t.add_dims(1);
  t.add_string_data("cat");
  b.node("Relu", {"x"}, {"y"});
  Result<Graph> g = import_model(b);
  ASSERT_FALSE(g.is_ok());
  EXPECT_EQ(g.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(g.status().message().find("tensor 'labels' has data type STRING"), std::string::npos) << g.status().message();
}

TEST(OnnxImport, AttributesOfEveryType) {
  auto make = [](const std::string& name, onnx::AttributeProto::AttributeType type) {
    onnx::AttributeProto a;
    a.set_name(name);
    a.set_type(type);
    return a;
  };
  onnx::AttributeProto i = make("i", onnx::AttributeProto::INT);
  i.set_i(-5);
  onnx::AttributeProto f = make("f", onnx::AttributeProto::FLOAT);
  f.set_f(0.5f);
  onnx::AttributeProto s = make("s", onnx::AttributeProto::STRING);
  s.set_s("SAME_UPPER");
  onnx::AttributeProto is = make("is", onnx::AttributeProto::INTS);
  is.add_ints(1);
  is.add_ints(2);
  onnx::AttributeProto fs = make("fs", onnx::AttributeProto::FLOATS);
  fs.add_floats(1.5f);
  onnx::AttributeProto ss = make("ss", onnx::AttributeProto::STRINGS);
  ss.add_strings("a");
  ss.add_strings("b");
  onnx::AttributeProto t = make("t", onnx::AttributeProto::TENSOR);
  t.mutable_t()->set_data_type(onnx::TensorProto::FLOAT);
  t.mutable_t()->add_dims(2);
  t.mutable_t()->add_float_data(3.0f);
  t.mutable_t()->add_float_data(4.0f);

  EXPECT_EQ(attribute_from_proto(i, "n")->as_int(), -5);
  EXPECT_EQ(attribute_from_proto(f, "n")->as_float(), 0.5f);
  EXPECT_EQ(attribute_from_proto(s, "n")->as_string(), "SAME_UPPER");
  EXPECT_EQ(attribute_from_proto(is, "n")->as_ints(), std::vector<std::int64_t>({1, 2}));
  EXPECT_EQ(attribute_from_proto(fs, "n")->as_floats(), std::vector<float>({1.5f}));
  EXPECT_EQ(attribute_from_proto(ss, "n")->as_strings(), std::vector<std::string>({"a", "b"}));
  Result<Attribute> tensor = attribute_from_proto(t, "n");
  ASSERT_TRUE(tensor.is_ok());
  EXPECT_EQ(values_of(tensor->as_tensor()), std::vector<float>({3.0f, 4.0f}));

  onnx::AttributeProto g = make("then_branch", onnx::AttributeProto::GRAPH);
  g.mutable_g()->set_name("body");
  Result<Attribute> graph_attr = attribute_from_proto(g, "If 'if_1'");
  ASSERT_FALSE(graph_attr.is_ok());
  EXPECT_EQ(graph_attr.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(graph_attr.status().message().find("If 'if_1': attribute 'then_branch' is a graph"), std::string::npos);
  onnx::AttributeProto sparse = make("sp", onnx::AttributeProto::SPARSE_TENSOR);
  EXPECT_EQ(attribute_from_proto(sparse, "n").status().code(), StatusCode::kUnsupported);
}

TEST(OnnxImport, NodeAttributesArriveTyped) {
  OnnxModelBuilder b;
  b.input("x", {1, 1, 4, 4});
  b.output("y", {});
  b.initializer("W", {1, 1, 3, 3}, std::vector<float>(9, 1.0f));
  onnx::NodeProto& conv = b.node("Conv", {"x", "W"}, {"c"}, "conv");
  set_attr(conv, "kernel_shape", {3, 3});
  set_attr(conv, "strides", {1, 1});
  set_attr(conv, "group", std::int64_t{1});
  set_attr(conv, "auto_pad", std::string("SAME_UPPER"));
  onnx::NodeProto& leaky = b.node("LeakyRelu", {"c"}, {"y"}, "leaky");
  set_attr(leaky, "alpha", 0.25f);
  ImportOptions options;
  options.fuse_activations = false;
  Result<Graph> g = import_model(b, options);
  ASSERT_TRUE(g.is_ok()) << g.status().to_string();
  const Node& c = g->nodes[0];
  EXPECT_EQ(c.attr_ints("kernel_shape"), std::vector<std::int64_t>({3, 3}));
  EXPECT_EQ(c.attr_int("group", 0), 1);
  EXPECT_EQ(c.attr_string("auto_pad", ""), "SAME_UPPER");
  EXPECT_EQ(g->nodes[1].attr_float("alpha", 0.0f), 0.25f);
  EXPECT_EQ(g->outputs[0].shape, Shape({1, 1, 4, 4})) << "shapes are inferred at import";
}

TEST(OnnxImport, GraphAttributeOnANodeNamesTheNode) {
  OnnxModelBuilder b;
  b.input("x", {2});
  b.output("y", {2});
  onnx::NodeProto& n = b.node("Relu", {"x"}, {"y"}, "relu_with_body");
  onnx::AttributeProto& a = *n.add_attribute();
  a.set_name("body");
  a.set_type(onnx::AttributeProto::GRAPH);
  Result<Graph> g = import_model(b);
  ASSERT_FALSE(g.is_ok());
  EXPECT_NE(g.status().message().find("Relu 'relu_with_body': attribute 'body' is a graph"), std::string::npos)
      << g.status().message();
}

// ---- errors -------------------------------------------------------------------------------

TEST(OnnxImport, UnsupportedOperatorNamesOperatorNodeAndOpset) {
  OnnxModelBuilder b(13);
  b.input("x", {1, 2, 3});
  b.output("y", {});
  b.node("LSTM", {"x"}, {"y"}, "lstm_1");
  Result<Graph> g = import_model(b);
  ASSERT_FALSE(g.is_ok());
  EXPECT_EQ(g.status().code(), StatusCode::kUnsupported);
  EXPECT_EQ(g.status().message(), "m.onnx: unsupported operator LSTM (node 'lstm_1', opset 13)");

  OnnxModelBuilder nameless(12);
  nameless.input("x", {1, 2, 3});
  nameless.output("y", {});
  nameless.node("Relu", {"x"}, {"r"});
  nameless.node("LSTM", {"r"}, {"y"});
  g = import_model(nameless);
  ASSERT_FALSE(g.is_ok());
  EXPECT_EQ(g.status().message(), "m.onnx: unsupported operator LSTM (node 'LSTM_1', opset 12)");
}

TEST(OnnxImport, NonDefaultDomainIsAnError) {
  OnnxModelBuilder b;
  b.input("x", {2});
  b.output("y", {2});
  b.node("FusedConv", {"x"}, {"y"}, "fc").set_domain("com.microsoft");
  Result<Graph> g = import_model(b);
  ASSERT_FALSE(g.is_ok());
  EXPECT_EQ(g.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(g.status().message().find("com.microsoft.FusedConv (node 'fc')"), std::string::npos) << g.status().message();
}

// ONNX Runtime's quantiser writes QLinearAdd, QGemm, ... in the com.microsoft domain; they import
// under the same names. A = [10, 20] (scale 0.5, zp 10) + B = [4, 4] (scale 0.25, zp 0), C scale 1,
// zp 0: 0 + 1 = 1, 5 + 1 = 6.
TEST(OnnxImport, MicrosoftQuantisedOperatorsImport) {
  OnnxModelBuilder b;
  onnx::OperatorSetIdProto* ms = b.model().add_opset_import();
  ms->set_domain("com.microsoft");
  ms->set_version(1);
  const std::vector<std::pair<std::string, int>> inputs = {
      {"a", onnx::TensorProto::UINT8},       {"a_scale", onnx::TensorProto::FLOAT}, {"a_zp", onnx::TensorProto::UINT8},
      {"b", onnx::TensorProto::UINT8},       {"b_scale", onnx::TensorProto::FLOAT}, {"b_zp", onnx::TensorProto::UINT8},
      {"c_scale", onnx::TensorProto::FLOAT}, {"c_zp", onnx::TensorProto::UINT8}};
  std::vector<std::string> names;
  for (const auto& [name, elem] : inputs) {
    b.input(name, name == "a" || name == "b" ? std::vector<std::int64_t>{2} : std::vector<std::int64_t>{}, elem);
    names.push_back(name);
  }
  b.output("y", {2}, onnx::TensorProto::UINT8);
  b.node("QLinearAdd", names, {"y"}, "qadd").set_domain("com.microsoft");
  Result<Graph> g = import_model(b);
  ASSERT_TRUE(g.is_ok()) << g.status().to_string();
  ASSERT_EQ(g->nodes.size(), 1u);
  EXPECT_EQ(g->nodes[0].op_type, "QLinearAdd");
  auto u8 = [](Shape shape, std::initializer_list<std::uint8_t> v) {
    return Tensor::from_values<std::uint8_t>(shape, v);
  };
  auto f32 = [](float v) { return Tensor::from_values<float>({}, {v}); };
  Result<std::map<std::string, Tensor>> values = run_graph_by_nodes(*g, {{"a", u8({2}, {10, 20})},
                                                                         {"a_scale", f32(0.5f)},
                                                                         {"a_zp", u8({}, {10})},
                                                                         {"b", u8({2}, {4, 4})},
                                                                         {"b_scale", f32(0.25f)},
                                                                         {"b_zp", u8({}, {0})},
                                                                         {"c_scale", f32(1.0f)},
                                                                         {"c_zp", u8({}, {0})}});
  ASSERT_TRUE(values.is_ok()) << values.status().to_string();
  const Tensor& y = values->at("y");
  EXPECT_EQ(std::vector<int>(y.data<std::uint8_t>(), y.data<std::uint8_t>() + 2), (std::vector<int>{1, 6}));

  // Only the listed contrib operators: another com.microsoft operator stays an error.
  OnnxModelBuilder other;
  other.input("x", {2});
  other.output("y", {2});
  other.node("QLinearSigmoid", {"x"}, {"y"}, "qs").set_domain("com.microsoft");
  EXPECT_EQ(import_model(other).status().code(), StatusCode::kUnsupported);
}

TEST(OnnxImport, TruncatedFileIsDataLossNamingTheFile) {
  OnnxModelBuilder b;
  b.input("x", {64});
  b.output("y", {64});
  b.initializer("w", {64}, ramp(64, 0.0f, 1.0f));
  b.node("Add", {"x", "w"}, {"y"});
  const std::string bytes = b.bytes();
  const std::string path = write_temp_file("truncated.onnx", bytes.substr(0, bytes.size() / 2));
  Result<Graph> g = import_onnx_file(path);
  ASSERT_FALSE(g.is_ok());
  EXPECT_EQ(g.status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(g.status().message(), path + ": not a valid ONNX model (protobuf parse failed)");

  const std::string empty = write_temp_file("empty.onnx", "");
  g = import_onnx_file(empty);
  ASSERT_FALSE(g.is_ok());
  EXPECT_EQ(g.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(g.status().message().find("no graph"), std::string::npos);

  g = import_onnx_file(::testing::TempDir() + "does_not_exist.onnx");
  EXPECT_EQ(g.status().code(), StatusCode::kIoError);
}

TEST(OnnxImport, UnsupportedOpsetIsAClearError) {
  for (int opset : {0, 18}) {
    OnnxModelBuilder b(opset);
    b.input("x", {2});
    b.output("y", {2});
    b.node("Relu", {"x"}, {"y"});
    Result<Graph> g = import_model(b);
    ASSERT_FALSE(g.is_ok());
    EXPECT_EQ(g.status().code(), StatusCode::kUnsupported);
    EXPECT_NE(g.status().message().find(str_cat("ONNX opset ", opset, " is not supported (edgeai imports opsets 11 to 17")),
              std::string::npos)
        << g.status().message();
  }
  for (int opset : {7, 11, 17}) {  // Relu-6 and Relu-14 compute the same for float
    OnnxModelBuilder b(opset);
    b.input("x", {2});
    b.output("y", {2});
    b.node("Relu", {"x"}, {"y"});
    EXPECT_TRUE(import_model(b).is_ok()) << opset;
  }
  // Clip-6 had min/max attributes; Clip-11 made them inputs: onnx.version_converter rewrites it.
  OnnxModelBuilder old_clip(10);
  old_clip.input("x", {2});
  old_clip.output("y", {2});
  set_attr(old_clip.node("Clip", {"x"}, {"y"}, "clip"), "max", 6.0f);
  Result<Graph> clip = import_model(old_clip);
  ASSERT_TRUE(clip.is_ok()) << clip.status().to_string();
  ASSERT_EQ(clip->nodes.size(), 1u);
  ASSERT_EQ(clip->nodes[0].inputs.size(), 3u);
  const Tensor* max = clip->find_constant(clip->nodes[0].inputs[2]);
  ASSERT_NE(max, nullptr);
  EXPECT_EQ(max->data<float>()[0], 6.0f);

  // Reshape-1 without its `shape` attribute: the converter gives up, and the error says why.
  OnnxModelBuilder old_reshape(1);
  old_reshape.input("x", {2});
  old_reshape.output("y", {2});
  old_reshape.node("Reshape", {"x"}, {"y"}, "reshape");
  Result<Graph> reshape = import_model(old_reshape);
  ASSERT_FALSE(reshape.is_ok());
  EXPECT_EQ(reshape.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(reshape.status().message().find("m.onnx: operator Reshape (node 'reshape', opset 1) changed in opset 5, and "
                                            "onnx.version_converter cannot convert the model to opset 11"),
            std::string::npos)
      << reshape.status().message();

  OnnxModelBuilder no_default;
  no_default.model().mutable_opset_import(0)->set_domain("ai.onnx.ml");
  no_default.input("x", {2});
  no_default.output("y", {2});
  no_default.node("Relu", {"x"}, {"y"});
  Result<Graph> g = import_model(no_default);
  ASSERT_FALSE(g.is_ok());
  EXPECT_NE(g.status().message().find("no opset of the default ONNX domain"), std::string::npos);
}

TEST(OnnxImport, DanglingInputFailsImport) {
  OnnxModelBuilder b;
  b.input("x", {2});
  b.output("y", {2});
  b.node("Add", {"x", "nowhere"}, {"y"}, "add");
  Result<Graph> g = import_model(b);
  ASSERT_FALSE(g.is_ok());
  EXPECT_NE(g.status().message().find("'nowhere'"), std::string::npos) << g.status().message();
}

TEST(OnnxImport, ShapeFedAsAGraphInputLeavesShapesUnknownButImports) {
  OnnxModelBuilder b;
  b.input("x", {2, 6});
  b.input("shape", {2}, onnx::TensorProto::INT64);
  b.output("y", {});
  b.node("Reshape", {"x", "shape"}, {"r"});
  b.node("Relu", {"r"}, {"y"});
  Result<Graph> g = import_model(b);
  ASSERT_TRUE(g.is_ok()) << g.status().to_string();
  EXPECT_EQ(g->nodes.size(), 2u);
  EXPECT_EQ(g->value_info.count("y"), 0u);
}

TEST(OnnxImport, InputShapesOptionPinsSymbolicDims) {
  OnnxModelBuilder b;
  b.input("x", {-1, 3});
  b.output("y", {-1, 3});
  b.node("Relu", {"x"}, {"y"});
  Result<Graph> plain = import_model(b);
  ASSERT_TRUE(plain.is_ok());
  EXPECT_EQ(plain->inputs[0].shape, Shape({kUnknownDim, 3}));

  ImportOptions options;
  options.input_shapes["x"] = {4, 3};
  Result<Graph> pinned = import_model(b, options);
  ASSERT_TRUE(pinned.is_ok()) << pinned.status().to_string();
  EXPECT_EQ(pinned->inputs[0].shape, Shape({4, 3}));
  EXPECT_EQ(pinned->outputs[0].shape, Shape({4, 3}));

  options.input_shapes["x"] = {4, 5};
  EXPECT_EQ(import_model(b, options).status().code(), StatusCode::kInvalidArgument);
  options.input_shapes = {{"z", {1}}};
  Result<Graph> unknown = import_model(b, options);
  ASSERT_FALSE(unknown.is_ok());
  EXPECT_NE(unknown.status().message().find("'z', which is not a graph input"), std::string::npos);
}

// ---- older opset forms ----------------------------------------------------------------------

TEST(OnnxImport, Opset11SqueezeAxesAttributeBecomesAnInput) {
  OnnxModelBuilder b(11);
  b.input("x", {1, 3, 1});
  b.output("y", {});
  set_attr(b.node("Squeeze", {"x"}, {"y"}, "sq"), "axes", {0, 2});
  Result<Graph> g = import_model(b);
  ASSERT_TRUE(g.is_ok()) << g.status().to_string();
  const Node& sq = g->nodes[0];
  EXPECT_FALSE(sq.has_attr("axes"));
  ASSERT_EQ(sq.inputs.size(), 2u);
  const Tensor* axes = g->find_constant(sq.inputs[1]);
  ASSERT_NE(axes, nullptr);
  EXPECT_EQ(axes->data<std::int64_t>()[1], 2);
  EXPECT_EQ(g->outputs[0].shape, Shape({3}));
}

// Opset < 13 Softmax normalises over everything from `axis` on (coerced to 2-D).
TEST(OnnxImport, Opset11SoftmaxKeepsItsFlattenSemantics) {
  OnnxModelBuilder b(11);
  b.input("x", {2, 3, 4});
  b.output("y", {2, 3, 4});
  set_attr(b.node("Softmax", {"x"}, {"y"}, "sm"), "axis", std::int64_t{1});
  Result<Graph> g = import_model(b);
  ASSERT_TRUE(g.is_ok()) << g.status().to_string();
  Tensor x = Tensor::from_vector<float>({2, 3, 4}, ramp(24, -2.0f, 0.3f));
  Result<std::map<std::string, Tensor>> values = run_graph_by_nodes(*g, {{"x", x}});
  ASSERT_TRUE(values.is_ok()) << values.status().to_string();
  const Tensor& y = values->at("y");
  ASSERT_EQ(y.shape(), Shape({2, 3, 4}));
  for (int n = 0; n < 2; ++n) {
    double sum = 0.0;
    for (int k = 0; k < 12; ++k) sum += std::exp(static_cast<double>(x.data<float>()[n * 12 + k]));
    for (int k = 0; k < 12; ++k) {
      EXPECT_NEAR(y.data<float>()[n * 12 + k], std::exp(x.data<float>()[n * 12 + k]) / sum, 1e-6);
    }
  }

  OnnxModelBuilder last(11);
  last.input("x", {2, 3, 4});
  last.output("y", {2, 3, 4});
  set_attr(last.node("Softmax", {"x"}, {"y"}, "sm"), "axis", std::int64_t{2});
  g = import_model(last);
  ASSERT_TRUE(g.is_ok()) << g.status().to_string();
  ASSERT_EQ(g->nodes.size(), 1u) << "over the last axis both forms agree";
  EXPECT_EQ(g->nodes[0].attr_int("axis", 0), -1);
}

// ---- passes at import ----------------------------------------------------------------------

// torch's x.view(x.size(0), -1): Shape -> Gather -> Unsqueeze -> Concat -> Reshape.
TEST(OnnxImport, TorchFlattenPatternFoldsToAConstantShape) {
  for (int opset : {11, 13}) {
    OnnxModelBuilder b(opset);
    b.input("x", {2, 3, 4, 4});
    b.output("y", {});
    b.node("Shape", {"x"}, {"s"});
    b.int64_constant("zero", {0}, /*scalar=*/true);
    set_attr(b.node("Gather", {"s", "zero"}, {"batch"}), "axis", std::int64_t{0});
    if (opset < 13) {
      set_attr(b.node("Unsqueeze", {"batch"}, {"batch1"}), "axes", {0});
    } else {
      b.int64_constant("axes", {0});
      b.node("Unsqueeze", {"batch", "axes"}, {"batch1"});
    }
    b.int64_constant("minus1", {-1});
    set_attr(b.node("Concat", {"batch1", "minus1"}, {"target"}), "axis", std::int64_t{0});
    b.node("Reshape", {"x", "target"}, {"y"}, "reshape");
    Result<Graph> g = import_model(b);
    ASSERT_TRUE(g.is_ok()) << g.status().to_string();
    ASSERT_EQ(g->nodes.size(), 1u) << "opset " << opset;
    EXPECT_EQ(g->nodes[0].op_type, "Reshape");
    const Tensor* target = g->find_constant(g->nodes[0].inputs[1]);
    ASSERT_NE(target, nullptr);
    ASSERT_EQ(target->num_elements(), 2);
    EXPECT_EQ(target->data<std::int64_t>()[0], 2);
    EXPECT_EQ(target->data<std::int64_t>()[1], -1);
    EXPECT_EQ(g->outputs[0].shape, Shape({2, 48}));
    EXPECT_EQ(g->constants.size(), 1u) << "the folded chain leaves no other constants";
  }
}

// Conv(3x3, pad 1, bias) over x, then ONNX BatchNormalization, written out.
std::vector<float> conv_bn_reference(const std::vector<float>& x, const std::vector<float>& w, const std::vector<float>& bias,
                                     const std::vector<float>& scale, const std::vector<float>& shift,
                                     const std::vector<float>& mean, const std::vector<float>& var, float epsilon) {
  const int C = 2, M = 3, H = 5, W = 5;
  std::vector<float> y(M * H * W);
  for (int m = 0; m < M; ++m) {
    for (int i = 0; i < H; ++i) {
      for (int j = 0; j < W; ++j) {
        double acc = bias[m];
        for (int c = 0; c < C; ++c) {
          for (int ki = 0; ki < 3; ++ki) {
            for (int kj = 0; kj < 3; ++kj) {
              const int ii = i + ki - 1, jj = j + kj - 1;
              if (ii < 0 || ii >= H || jj < 0 || jj >= W) continue;
              acc += static_cast<double>(x[(c * H + ii) * W + jj]) * w[((m * C + c) * 3 + ki) * 3 + kj];
            }
          }
        }
        y[(m * H + i) * W + j] = static_cast<float>((acc - mean[m]) / std::sqrt(var[m] + epsilon) * scale[m] + shift[m]);
      }
    }
  }
  return y;
}

TEST(OnnxImport, BatchNormFoldingGivesTheNumbersOfConvThenBatchNorm) {
  const std::vector<float> w = ramp(3 * 2 * 9, -0.8f, 0.03f);
  const std::vector<float> bias = {0.1f, -0.2f, 0.05f};
  const std::vector<float> scale = {1.5f, 0.5f, -2.0f}, shift = {0.0f, 1.0f, -0.5f};
  const std::vector<float> mean = {0.2f, -0.4f, 1.0f}, var = {0.25f, 4.0f, 1.0f};
  OnnxModelBuilder b;
  b.input("x", {1, 2, 5, 5});
  b.output("y", {1, 3, 5, 5});
  b.initializer("W", {3, 2, 3, 3}, w);
  b.initializer("B", {3}, bias);
  b.initializer("scale", {3}, scale);
  b.initializer("shift", {3}, shift);
  b.initializer("mean", {3}, mean);
  b.initializer("var", {3}, var);
  onnx::NodeProto& conv = b.node("Conv", {"x", "W", "B"}, {"c"}, "conv");
  set_attr(conv, "pads", {1, 1, 1, 1});
  set_attr(conv, "kernel_shape", {3, 3});
  onnx::NodeProto& bn = b.node("BatchNormalization", {"c", "scale", "shift", "mean", "var"}, {"y"}, "bn");
  set_attr(bn, "epsilon", 1e-3f);
  set_attr(bn, "momentum", 0.9f);

  const std::vector<float> x = ramp(50, -1.0f, 0.045f);
  const std::vector<float> expected = conv_bn_reference(x, w, bias, scale, shift, mean, var, 1e-3f);
  for (bool fold : {true, false}) {
    ImportOptions options;
    options.fold_batchnorm = fold;
    Result<Graph> g = import_model(b, options);
    ASSERT_TRUE(g.is_ok()) << g.status().to_string();
    EXPECT_EQ(count_ops(*g, "BatchNormalization"), fold ? 0 : 1);
    EXPECT_EQ(g->nodes.size(), fold ? 1u : 2u);
    Result<std::map<std::string, Tensor>> values =
        run_graph_by_nodes(*g, {{"x", Tensor::from_vector<float>({1, 2, 5, 5}, x)}});
    ASSERT_TRUE(values.is_ok()) << values.status().to_string();
    const std::vector<float> got = values_of(values->at("y"));
    ASSERT_EQ(got.size(), expected.size());
    for (std::size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], expected[i], 1e-4f) << "fold " << fold << " at " << i;
  }
}

TEST(OnnxImport, ActivationsFuseIntoTheirProducers) {
  OnnxModelBuilder b;
  b.input("x", {1, 2, 3, 3});
  b.output("y", {});
  b.output("z", {});
  b.initializer("W", {2, 2, 1, 1}, {1.0f, -1.0f, 0.5f, 2.0f});
  b.initializer("lo", {}, {0.0f});
  b.initializer("hi", {}, {6.0f});
  b.node("Conv", {"x", "W"}, {"c"}, "conv");
  b.node("Relu", {"c"}, {"y"}, "relu");
  b.node("Conv", {"x", "W"}, {"c2"}, "conv2");
  b.node("Clip", {"c2", "lo", "hi"}, {"z"}, "relu6");
  Result<Graph> g = import_model(b);
  ASSERT_TRUE(g.is_ok()) << g.status().to_string();
  ASSERT_EQ(g->nodes.size(), 2u);
  Result<FusedActivation> relu = fused_activation_of(g->nodes[0]);
  ASSERT_TRUE(relu.is_ok());
  EXPECT_EQ(relu->kind, ActivationKind::kRelu);
  EXPECT_EQ(g->nodes[0].outputs[0], "y");
  Result<FusedActivation> clip = fused_activation_of(g->nodes[1]);
  EXPECT_EQ(clip->kind, ActivationKind::kClip);
  EXPECT_EQ(clip->alpha, 0.0f);
  EXPECT_EQ(clip->beta, 6.0f);

  const std::vector<float> x = ramp(18, -4.0f, 0.7f);
  Result<std::map<std::string, Tensor>> values = run_graph_by_nodes(*g, {{"x", Tensor::from_vector<float>({1, 2, 3, 3}, x)}});
  ASSERT_TRUE(values.is_ok()) << values.status().to_string();
  const float w[2][2] = {{1.0f, -1.0f}, {0.5f, 2.0f}};
  for (int m = 0; m < 2; ++m) {
    for (int p = 0; p < 9; ++p) {
      const float conv_out = w[m][0] * x[p] + w[m][1] * x[9 + p];
      EXPECT_NEAR(values->at("y").data<float>()[m * 9 + p], std::max(conv_out, 0.0f), 1e-6f);
      EXPECT_NEAR(values->at("z").data<float>()[m * 9 + p], std::min(std::max(conv_out, 0.0f), 6.0f), 1e-6f);
    }
  }
}

// ---- real files -------------------------------------------------------------------------------

const char* const kNodeTestDir = "/usr/share/libonnx-testdata/data/node/";

TEST(OnnxImport, OnnxNodeTestConvWithStridesPadding) {
  const std::string dir = std::string(kNodeTestDir) + "test_conv_with_strides_padding/";
  if (!std::filesystem::exists(dir + "model.onnx")) GTEST_SKIP() << "libonnx-testdata is not installed";
  Result<Graph> g = import_onnx_file(dir + "model.onnx");
  ASSERT_TRUE(g.is_ok()) << g.status().to_string();
  ASSERT_EQ(g->inputs.size(), 2u) << "the node tests feed the weights as inputs";
  ASSERT_EQ(g->nodes.size(), 1u);
  EXPECT_EQ(g->nodes[0].op_type, "Conv");

  Result<Tensor> x = read_tensor_proto_file(dir + "test_data_set_0/input_0.pb");
  Result<Tensor> w = read_tensor_proto_file(dir + "test_data_set_0/input_1.pb");
  Result<Tensor> expected = read_tensor_proto_file(dir + "test_data_set_0/output_0.pb");
  ASSERT_TRUE(x.is_ok() && w.is_ok() && expected.is_ok());
  Result<std::map<std::string, Tensor>> values =
      run_graph_by_nodes(*g, {{g->inputs[0].name, *x}, {g->inputs[1].name, *w}});
  ASSERT_TRUE(values.is_ok()) << values.status().to_string();
  const Tensor& y = values->at(g->outputs[0].name);
  ASSERT_EQ(y.shape(), expected->shape());
  for (std::int64_t i = 0; i < y.num_elements(); ++i) EXPECT_NEAR(y.data<float>()[i], expected->data<float>()[i], 1e-5f);
}

TEST(OnnxImport, EveryOnnxNodeTestOfTheSupportedOperatorsImportsOrNamesWhatIsMissing) {
  if (!std::filesystem::exists(kNodeTestDir)) GTEST_SKIP() << "libonnx-testdata is not installed";
  int imported = 0;
  for (const auto& entry : std::filesystem::directory_iterator(kNodeTestDir)) {
    const std::string path = entry.path().string() + "/model.onnx";
    if (!std::filesystem::exists(path)) continue;
    Result<Graph> g = import_onnx_file(path);
    if (g.is_ok()) {
      ++imported;
      continue;
    }
    // Every failure is an expected, named kind: never an internal error or a crash.
    EXPECT_NE(g.status().code(), StatusCode::kInternal) << g.status().to_string();
    EXPECT_EQ(g.status().message().rfind(path, 0), 0u) << g.status().to_string();
  }
  EXPECT_GT(imported, 100);
}

// torch.onnx.export of a small CNN (Conv, BatchNorm, ReLU, view(N, -1), Linear), run here node
// by node and compared with torch's own output.
TEST(OnnxImport, TorchExportedModelImportsFoldedAndComputesTorchsNumbers) {
  const std::string dir = ::testing::TempDir() + "edgeai_torch_export/";
  std::filesystem::create_directories(dir);
  const std::string script = dir + "export.py";
  std::ofstream(script) << R"PY(
import sys, torch, numpy as np
from onnx import numpy_helper
torch.manual_seed(0)
class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 4, 3, padding=1, bias=False)
        self.bn = torch.nn.BatchNorm2d(4)
        self.fc = torch.nn.Linear(4 * 6 * 6, 5)
    def forward(self, x):
        y = torch.relu(self.bn(self.conv(x)))
        return self.fc(y.view(y.size(0), -1))
net = Net()
with torch.no_grad():
    net.bn.running_mean.uniform_(-0.5, 0.5)
    net.bn.running_var.uniform_(0.5, 2.0)
    net.bn.weight.uniform_(0.5, 1.5)
    net.bn.bias.uniform_(-0.5, 0.5)
net.eval()
x = torch.randn(2, 3, 6, 6)
out = sys.argv[1]
torch.onnx.export(net, x, out + "model.onnx", opset_version=13, do_constant_folding=False)
with torch.no_grad():
    y = net(x)
open(out + "input_0.pb", "wb").write(numpy_helper.from_array(x.numpy()).SerializeToString())
open(out + "output_0.pb", "wb").write(numpy_helper.from_array(y.numpy()).SerializeToString())
)PY";
  const std::string command = "/usr/bin/python3 " + script + " " + dir + " > " + dir + "log.txt 2>&1";
  if (std::system(command.c_str()) != 0) GTEST_SKIP() << "torch export unavailable; see " << dir << "log.txt";

  Result<Graph> g = import_onnx_file(dir + "model.onnx");
  ASSERT_TRUE(g.is_ok()) << g.status().to_string();
  EXPECT_EQ(count_ops(*g, "BatchNormalization"), 0);
  EXPECT_EQ(count_ops(*g, "Relu"), 0);
  EXPECT_EQ(count_ops(*g, "Shape"), 0);
  EXPECT_EQ(count_ops(*g, "Gather"), 0);
  Result<Tensor> x = read_tensor_proto_file(dir + "input_0.pb");
  Result<Tensor> expected = read_tensor_proto_file(dir + "output_0.pb");
  ASSERT_TRUE(x.is_ok() && expected.is_ok());
  Result<std::map<std::string, Tensor>> values = run_graph_by_nodes(*g, {{g->inputs[0].name, *x}});
  ASSERT_TRUE(values.is_ok()) << values.status().to_string();
  const Tensor& y = values->at(g->outputs[0].name);
  ASSERT_EQ(y.shape(), expected->shape());
  for (std::int64_t i = 0; i < y.num_elements(); ++i) EXPECT_NEAR(y.data<float>()[i], expected->data<float>()[i], 1e-4f);
}

}  // namespace
}  // namespace edgeai
