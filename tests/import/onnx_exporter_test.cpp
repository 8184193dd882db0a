// Tests of ONNX export (import/onnx/onnx_exporter.cpp). Every exported model must pass
// onnx::checker and ONNX's own strict shape/type inference; read back with edgeai's importer
// and run on the runtime it must compute what its source computes: float graphs to 1e-5, int8
// graphs in QDQ form (float arithmetic between DequantizeLinear and QuantizeLinear) within two
// quantisation steps of the integer kernels, lookup tables exactly.
#include "import/onnx/onnx_exporter.hpp"

#include <gtest/gtest.h>
#include <onnx/checker.h>
#include <onnx/onnx_pb.h>
#include <onnx/shape_inference/implementation.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <random>

#include "../compress/model_fixtures.hpp"
#include "compress/compress.hpp"
#include "graph/validate.hpp"
#include "import/onnx/onnx_importer.hpp"
#include "kernels/quantization.hpp"
#include "runtime/session.hpp"

namespace edgeai {
namespace {

using testing::make_node;
using testing::random_data;
using testing::random_tensor;
using testing::small_cnn;

onnx::ModelProto parse_model(const std::string& bytes) {
  onnx::ModelProto model;
  EXPECT_TRUE(model.ParseFromString(bytes));
  return model;
}

// The checks ONNX Runtime's loader relies on: the model checker, then shape inference with
// type checking in strict mode (an operator given a type its schema does not allow throws).
void expect_valid_onnx(const std::string& bytes) {
  onnx::ModelProto model = parse_model(bytes);
  EXPECT_NO_THROW(onnx::checker::check_model(model));
  try {
    onnx::shape_inference::InferShapes(model, onnx::OpSchemaRegistry::Instance(),
                                       onnx::ShapeInferenceOptions(/*check_type=*/true, /*strict_mode=*/1));
  } catch (const std::exception& e) {
    ADD_FAILURE() << "ONNX shape inference: " << e.what();
  }
  EXPECT_EQ(model.ir_version(), kExportOnnxIrVersion);
  ASSERT_EQ(model.opset_import_size(), 1);
  EXPECT_EQ(model.opset_import(0).version(), 13);
  EXPECT_EQ(model.producer_name(), "edgeai");
}

std::map<std::string, int> onnx_op_counts(const onnx::ModelProto& model) {
  std::map<std::string, int> counts;
  for (const onnx::NodeProto& n : model.graph().node()) {
    ++counts[n.op_type()];
    EXPECT_TRUE(n.domain().empty()) << n.name() << " is in domain " << n.domain();
    for (const onnx::AttributeProto& a : n.attribute()) EXPECT_NE(a.name(), "activation") << n.name();
  }
  return counts;
}

std::map<std::string, int> ir_op_counts(const Graph& g) {
  std::map<std::string, int> counts;
  for (const Node& n : g.nodes) ++counts[n.op_type];
  return counts;
}

const onnx::TensorProto* find_initializer(const onnx::ModelProto& model, const std::string& name) {
  for (const onnx::TensorProto& t : model.graph().initializer()) {
    if (t.name() == name) return &t;
  }
  return nullptr;
}

Graph reimport(const std::string& bytes) {
  Result<Graph> g = import_onnx_bytes(bytes.data(), bytes.size(), "exported.onnx");
  EXPECT_TRUE(g.is_ok()) << g.status().to_string();
  return g.is_ok() ? std::move(g).value() : Graph{};
}

// The first output of `graph` for every sample of `data` (one sample per run).
std::vector<std::vector<float>> run_all(const Graph& graph, const LabeledData& data) {
  auto session = Session::create(graph);
  EXPECT_TRUE(session.is_ok()) << session.status().to_string();
  std::vector<std::vector<float>> rows;
  if (!session.is_ok()) return rows;
  const std::int64_t sample = data.inputs[0].num_elements() / data.size();
  for (std::int64_t n = 0; n < data.size(); ++n) {
    Shape shape = data.inputs[0].shape();
    shape[0] = 1;
    TensorView x{DType::kFloat32, shape, data.inputs[0].data<float>() + n * sample};
    const Status status = (*session)->run({&x, 1});
    EXPECT_TRUE(status.is_ok()) << status.to_string();
    const TensorView y = (*session)->output(0);
    rows.emplace_back(y.data_as<const float>(), y.data_as<const float>() + y.num_elements());
  }
  return rows;
}

double max_abs_difference(const std::vector<std::vector<float>>& a, const std::vector<std::vector<float>>& b) {
  EXPECT_EQ(a.size(), b.size());
  double worst = 0.0;
  for (std::size_t n = 0; n < a.size() && n < b.size(); ++n) {
    EXPECT_EQ(a[n].size(), b[n].size());
    for (std::size_t c = 0; c < a[n].size() && c < b[n].size(); ++c) {
      worst = std::max(worst, std::fabs(static_cast<double>(a[n][c]) - b[n][c]));
    }
  }
  return worst;
}

double argmax_agreement(const std::vector<std::vector<float>>& a, const std::vector<std::vector<float>>& b) {
  if (a.size() != b.size()) return 0.0;  // max_abs_difference reports it
  int same = 0;
  for (std::size_t n = 0; n < a.size(); ++n) {
    same += std::max_element(a[n].begin(), a[n].end()) - a[n].begin() ==
                    std::max_element(b[n].begin(), b[n].end()) - b[n].begin()
                ? 1
                : 0;
  }
  return a.empty() ? 0.0 : static_cast<double>(same) / static_cast<double>(a.size());
}

Bundle bundle_of(Graph g) {
  Bundle b;
  b.manifest = default_manifest_for(g);
  b.manifest.created_at = "2026-01-01T00:00:00Z";
  b.graph = std::move(g);
  return b;
}

Graph compress(const Graph& g, WeightFormat format, const LabeledData& calibration) {
  CompressOptions options;
  options.weights = format;
  auto result = compress_model(bundle_of(g), &calibration, nullptr, options);
  EXPECT_TRUE(result.is_ok()) << result.status().to_string();
  return result.is_ok() ? std::move(result->bundle.graph) : Graph{};
}

// The scale of the DequantizeLinear that produces graph output 0 of an int8 graph: one step of
// the output's quantisation.
float output_step(const Graph& g) {
  for (const Node& n : g.nodes) {
    if (n.op_type == "DequantizeLinear" && n.outputs[0] == g.outputs[0].name) {
      return g.find_constant(n.inputs[1])->data<float>()[0];
    }
  }
  ADD_FAILURE() << "no DequantizeLinear produces the output";
  return 0.0f;
}

// small_cnn without its Softmax: the output is the QGemm's, dequantised, so its step is known.
Graph small_cnn_logits() {
  Graph g = small_cnn();
  g.nodes.pop_back();
  g.outputs = {ValueInfo{"logits", DType::kFloat32, {}}};
  EXPECT_TRUE(validate_graph(g).is_ok());
  return g;
}

// x [1,3,6,6] through a chain of convolutions, one per fused activation, then Gemm + Relu,
// MatMul and an Add with a fused Tanh.
Graph every_activation_graph() {
  std::mt19937 rng(3);
  Graph g;
  g.name = "activations";
  g.inputs = {ValueInfo{"x", DType::kFloat32, {1, 3, 6, 6}}};
  g.outputs = {ValueInfo{"y", DType::kFloat32, {}}};
  const float inf = std::numeric_limits<float>::infinity();
  const std::vector<std::map<std::string, Attribute>> activations = {
      {{"activation", "Relu"}},
      {{"activation", "Clip"}, {"activation_alpha", -0.5f}, {"activation_beta", 0.5f}},
      {{"activation", "Clip"}, {"activation_alpha", -0.25f}, {"activation_beta", inf}},  // Clip(min) only
      {{"activation", "LeakyRelu"}, {"activation_alpha", 0.1f}},
      {{"activation", "HardSigmoid"}, {"activation_alpha", 0.3f}, {"activation_beta", 0.4f}},
      {{"activation", "HardSwish"}},
      {{"activation", "Sigmoid"}},
      {{"activation", "Tanh"}},
  };
  std::string prev = "x";
  for (std::size_t i = 0; i < activations.size(); ++i) {
    const std::string w = str_cat("w", i), b = str_cat("b", i), out = str_cat("c", i);
    g.constants[w] = random_tensor({3, 3, 3, 3}, rng, 0.5f);
    g.constants[b] = random_tensor({3}, rng, 0.2f);
    std::map<std::string, Attribute> attrs = activations[i];
    attrs["pads"] = std::vector<std::int64_t>{1, 1, 1, 1};
    g.nodes.push_back(make_node("Conv", {prev, w, b}, {out}, attrs));
    prev = out;
  }
  g.constants["wfc"] = random_tensor({4, 3}, rng, 0.5f);
  g.constants["bfc"] = random_tensor({4}, rng, 0.1f);
  g.constants["wmm"] = random_tensor({4, 5}, rng, 0.5f);
  g.constants["bias"] = random_tensor({5}, rng, 0.1f);
  g.nodes.push_back(make_node("GlobalAveragePool", {prev}, {"pooled"}));
  g.nodes.push_back(make_node("Flatten", {"pooled"}, {"flat"}));
  g.nodes.push_back(make_node("Gemm", {"flat", "wfc", "bfc"}, {"fc"}, {{"transB", 1}, {"activation", "Relu"}}));
  g.nodes.push_back(make_node("MatMul", {"fc", "wmm"}, {"mm"}));
  g.nodes.push_back(make_node("Add", {"mm", "bias"}, {"y"}, {{"activation", "Tanh"}}));
  EXPECT_TRUE(validate_graph(g).is_ok());
  return g;
}

TEST(OnnxExport, FloatGraphWithEveryFusedActivationRoundTrips) {
  const Graph g = every_activation_graph();
  Result<std::string> bytes = export_onnx(g);
  ASSERT_TRUE(bytes.is_ok()) << bytes.status().to_string();
  expect_valid_onnx(*bytes);
  const onnx::ModelProto model = parse_model(*bytes);
  const auto ops = onnx_op_counts(model);
  EXPECT_EQ(ops.at("Conv"), 8);
  EXPECT_EQ(ops.at("Relu"), 2);  // conv 0, gemm
  EXPECT_EQ(ops.at("Clip"), 2);
  EXPECT_EQ(ops.at("LeakyRelu"), 1);
  EXPECT_EQ(ops.at("HardSigmoid"), 2);  // its own, and HardSwish's gate (opset 13 has no HardSwish)
  EXPECT_EQ(ops.at("Mul"), 1);          // x * gate
  EXPECT_EQ(ops.at("Sigmoid"), 1);
  EXPECT_EQ(ops.at("Tanh"), 2);  // conv 7, add
  EXPECT_EQ(ops.count("HardSwish"), 0u);
  // Clip with an infinite bound leaves that input absent: Clip(x, min, "").
  int clips_without_max = 0;
  for (const onnx::NodeProto& n : model.graph().node()) {
    if (n.op_type() == "Clip") clips_without_max += n.input_size() == 3 && n.input(2).empty() ? 1 : 0;
  }
  EXPECT_EQ(clips_without_max, 1);

  const Graph back = reimport(*bytes);
  const LabeledData data = testing::random_normal_data(g, 16, 5, 1.0f);
  EXPECT_LE(max_abs_difference(run_all(g, data), run_all(back, data)), 1e-5);
}

TEST(OnnxExport, Int8GraphBecomesQdqThatTracksTheIntegerKernels) {
  const Graph float_graph = small_cnn_logits();
  const Graph q = compress(float_graph, WeightFormat::kInt8, random_data(float_graph, 64, 1));
  const auto ir_ops = ir_op_counts(q);
  ASSERT_EQ(ir_ops.at("QLinearConv"), 3);
  ASSERT_EQ(ir_ops.at("QGemm"), 1);
  ASSERT_EQ(ir_ops.at("QLinearLookup"), 1);
  ASSERT_EQ(ir_ops.at("QLinearAdd"), 1);
  ASSERT_EQ(ir_ops.at("QLinearGlobalAveragePool"), 1);

  Result<std::string> bytes = export_onnx(q);
  ASSERT_TRUE(bytes.is_ok()) << bytes.status().to_string();
  expect_valid_onnx(*bytes);
  const onnx::ModelProto model = parse_model(*bytes);
  const auto ops = onnx_op_counts(model);
  for (const auto& [op, count] : ops) EXPECT_EQ(op.find("QLinear"), std::string::npos) << op;
  EXPECT_EQ(ops.at("Conv"), 3);
  EXPECT_EQ(ops.at("Gemm"), 1);
  EXPECT_EQ(ops.at("Add"), 2);  // the residual add, and the lookup's index offset
  EXPECT_EQ(ops.at("GlobalAveragePool"), 1);
  EXPECT_EQ(ops.at("Gather"), 1);
  EXPECT_EQ(ops.at("Cast"), 1);
  EXPECT_EQ(ops.at("MaxPool"), 1);  // on int8, as in the IR
  EXPECT_EQ(ops.at("Relu"), 1);     // conv 1's fused Relu, before its QuantizeLinear
  EXPECT_EQ(ops.at("Clip"), 1);     // the depthwise conv's Clip(0, 6)
  // Q after the input and after conv1, conv2, conv3, add, pool, gemm (the lookup and MaxPool
  // stay integer); DQ before each float operator's inputs, the weights and biases, and the output.
  EXPECT_EQ(ops.at("QuantizeLinear"), 7);

  // Each Conv reads its int8 weight through a per-channel DequantizeLinear (axis 0, one int8
  // zero per channel) and its int32 bias through DequantizeLinear with scale x_scale * w_scale.
  std::map<std::string, const onnx::NodeProto*> producer;
  for (const onnx::NodeProto& n : model.graph().node()) {
    for (const std::string& o : n.output()) producer[o] = &n;
  }
  for (const onnx::NodeProto& conv : model.graph().node()) {
    if (conv.op_type() != "Conv") continue;
    ASSERT_EQ(conv.input_size(), 3) << conv.name();
    const onnx::NodeProto* w_dq = producer.at(conv.input(1));
    const onnx::NodeProto* b_dq = producer.at(conv.input(2));
    ASSERT_EQ(w_dq->op_type(), "DequantizeLinear");
    ASSERT_EQ(b_dq->op_type(), "DequantizeLinear");
    const onnx::TensorProto* w = find_initializer(model, w_dq->input(0));
    const onnx::TensorProto* w_zp = find_initializer(model, w_dq->input(2));
    const onnx::TensorProto* b = find_initializer(model, b_dq->input(0));
    const onnx::TensorProto* b_scale = find_initializer(model, b_dq->input(1));
    const onnx::TensorProto* w_scale = find_initializer(model, w_dq->input(1));
    const onnx::NodeProto* x_dq = producer.at(conv.input(0));
    const onnx::TensorProto* x_scale = find_initializer(model, x_dq->input(1));
    ASSERT_TRUE(w && w_zp && b && b_scale && w_scale && x_scale) << conv.name();
    EXPECT_EQ(w->data_type(), onnx::TensorProto::INT8);
    EXPECT_EQ(w_zp->data_type(), onnx::TensorProto::INT8);
    EXPECT_EQ(w_zp->dims_size(), 1);
    EXPECT_EQ(w_zp->dims(0), w->dims(0));
    EXPECT_EQ(b->data_type(), onnx::TensorProto::INT32);
    ASSERT_EQ(w_dq->attribute_size(), 1);
    EXPECT_EQ(w_dq->attribute(0).name(), "axis");
    EXPECT_EQ(w_dq->attribute(0).i(), 0);
    const auto* xs = reinterpret_cast<const float*>(x_scale->raw_data().data());
    const auto* ws = reinterpret_cast<const float*>(w_scale->raw_data().data());
    const auto* bs = reinterpret_cast<const float*>(b_scale->raw_data().data());
    for (std::int64_t c = 0; c < w->dims(0); ++c) EXPECT_EQ(bs[c], xs[0] * ws[c]) << conv.name() << " channel " << c;
  }

  // Read back and run: the QDQ graph computes in float between its Q and DQ nodes, so an output
  // may round to the neighbouring step; never further than two, and the top class stays.
  const Graph back = reimport(*bytes);
  const LabeledData data = testing::random_normal_data(float_graph, 200, 9, 0.6f);
  const auto int8_out = run_all(q, data);
  const auto qdq_out = run_all(back, data);
  const float step = output_step(q);
  ASSERT_GT(step, 0.0f);
  EXPECT_LE(max_abs_difference(int8_out, qdq_out), 2.0 * step + 1e-6);
  EXPECT_GE(argmax_agreement(int8_out, qdq_out), 0.95);
}

// Concat, AveragePool, Mul by a constant, MatMul and Add: the int8 operators small_cnn lacks.
Graph concat_matmul_graph() {
  std::mt19937 rng(5);
  Graph g;
  g.name = "concat_matmul";
  g.inputs = {ValueInfo{"x", DType::kFloat32, {1, 2, 6, 6}}};
  g.outputs = {ValueInfo{"y", DType::kFloat32, {}}};
  g.constants["w"] = random_tensor({4, 2, 3, 3}, rng, 0.4f);
  g.constants["b"] = random_tensor({4}, rng, 0.1f);
  g.constants["gain"] = random_tensor({1, 8, 1, 1}, rng, 1.0f);
  g.constants["wmm"] = random_tensor({72, 5}, rng, 0.2f);
  g.constants["bias"] = random_tensor({5}, rng, 0.1f);
  const std::vector<std::int64_t> k2 = {2, 2};
  g.nodes = {
      make_node("Conv", {"x", "w", "b"}, {"c"}, {{"pads", std::vector<std::int64_t>{1, 1, 1, 1}}}),
      make_node("AveragePool", {"c"}, {"avg"}, {{"kernel_shape", k2}, {"strides", k2}}),
      make_node("MaxPool", {"c"}, {"max"}, {{"kernel_shape", k2}, {"strides", k2}}),
      make_node("Concat", {"avg", "max"}, {"cat"}, {{"axis", 1}}),
      make_node("Mul", {"cat", "gain"}, {"scaled"}),
      make_node("Flatten", {"scaled"}, {"flat"}),
      make_node("MatMul", {"flat", "wmm"}, {"mm"}),
      make_node("Add", {"mm", "bias"}, {"y"}),
  };
  EXPECT_TRUE(validate_graph(g).is_ok());
  return g;
}

TEST(OnnxExport, Int8ConcatPoolMulMatMulTrackTheIntegerKernels) {
  const Graph float_graph = concat_matmul_graph();
  const Graph q = compress(float_graph, WeightFormat::kInt8, testing::random_normal_data(float_graph, 64, 2, 1.0f));
  const auto ir_ops = ir_op_counts(q);
  for (const char* op :
       {"QLinearConv", "QLinearAveragePool", "QLinearConcat", "QLinearMul", "QLinearMatMul", "QLinearAdd"}) {
    EXPECT_EQ(ir_ops.count(op), 1u) << op;
  }
  Result<std::string> bytes = export_onnx(q);
  ASSERT_TRUE(bytes.is_ok()) << bytes.status().to_string();
  expect_valid_onnx(*bytes);
  const auto ops = onnx_op_counts(parse_model(*bytes));
  for (const char* op : {"Conv", "AveragePool", "MaxPool", "Concat", "Mul", "MatMul", "Add", "Flatten"}) {
    EXPECT_EQ(ops.count(op), 1u) << op;
  }
  const Graph back = reimport(*bytes);
  const LabeledData data = testing::random_normal_data(float_graph, 100, 3, 1.0f);
  const auto int8_out = run_all(q, data);
  const auto qdq_out = run_all(back, data);
  EXPECT_LE(max_abs_difference(int8_out, qdq_out), 2.0 * output_step(q) + 1e-6);
  EXPECT_GE(argmax_agreement(int8_out, qdq_out), 0.95);
}

// The same int8 graphs with uint8 activations (ONNX Runtime's x86 form): the same real values,
// so the same results; the weights stay int8, every other quantised tensor becomes uint8.
TEST(OnnxExport, Uint8ActivationsKeepTheValues) {
  ExportOptions options;
  options.uint8_activations = true;
  for (bool concat : {false, true}) {
    SCOPED_TRACE(concat ? "concat_matmul" : "small_cnn");
    const Graph float_graph = concat ? concat_matmul_graph() : small_cnn_logits();
    const Graph q = compress(float_graph, WeightFormat::kInt8, testing::random_normal_data(float_graph, 64, 2, 1.0f));
    Result<std::string> bytes = export_onnx(q, options);
    ASSERT_TRUE(bytes.is_ok()) << bytes.status().to_string();
    expect_valid_onnx(*bytes);
    const onnx::ModelProto model = parse_model(*bytes);
    std::map<std::string, const onnx::NodeProto*> producer;
    for (const onnx::NodeProto& n : model.graph().node()) {
      for (const std::string& o : n.output()) producer[o] = &n;
    }
    int int8_weights = 0;
    for (const onnx::NodeProto& n : model.graph().node()) {
      if (n.op_type() == "QuantizeLinear") {
        EXPECT_EQ(find_initializer(model, n.input(2))->data_type(), onnx::TensorProto::UINT8) << n.name();
      }
      if (n.op_type() == "DequantizeLinear") {
        const onnx::TensorProto* x = find_initializer(model, n.input(0));
        const int type = x != nullptr ? x->data_type() : onnx::TensorProto::UINT8;  // computed: checked via its Q
        const bool is_weight = type == onnx::TensorProto::INT8;
        int8_weights += is_weight ? 1 : 0;
        // Only the weights of Conv / Gemm / MatMul stay int8.
        if (is_weight) {
          for (const onnx::NodeProto& consumer : model.graph().node()) {
            for (int i = 0; i < consumer.input_size(); ++i) {
              if (consumer.input(i) == n.output(0)) {
                EXPECT_TRUE(i == 1 && (consumer.op_type() == "Conv" || consumer.op_type() == "Gemm" ||
                                       consumer.op_type() == "MatMul"))
                    << n.name() << " feeds " << consumer.name();
              }
            }
          }
        }
      }
    }
    EXPECT_EQ(int8_weights, concat ? 2 : 4);
    // A uint8 lookup index needs no offset: small_cnn's only Add is its residual one.
    if (!concat) {
      EXPECT_EQ(onnx_op_counts(model).at("Add"), 1);
    }
    const Graph back = reimport(*bytes);
    const LabeledData data = testing::random_normal_data(float_graph, 100, 3, 0.6f);
    const auto int8_out = run_all(q, data);
    const auto uint8_out = run_all(back, data);
    EXPECT_LE(max_abs_difference(int8_out, uint8_out), 2.0 * output_step(q) + 1e-6);
    EXPECT_GE(argmax_agreement(int8_out, uint8_out), 0.95);
  }
}

// x -> QuantizeLinear -> QLinearLookup -> DequantizeLinear: the Cast/Add/Gather form is exact,
// checked against the table read by hand.
TEST(OnnxExport, LookupTableIsExact) {
  Graph g;
  g.name = "lookup";
  g.inputs = {ValueInfo{"x", DType::kFloat32, {1, 64}}};
  g.outputs = {ValueInfo{"y", DType::kFloat32, {}}};
  std::vector<std::int8_t> table(256);
  for (int i = 0; i < 256; ++i)
    table[static_cast<std::size_t>(i)] = static_cast<std::int8_t>((i * 37 + 11) % 256 - 128);
  g.constants["table"] = Tensor::from_vector<std::int8_t>({256}, table);
  g.constants["xs"] = Tensor::from_values<float>({}, {0.05f});
  g.constants["xz"] = Tensor::from_values<std::int8_t>({}, {-3});
  g.constants["ys"] = Tensor::from_values<float>({}, {0.5f});
  g.constants["yz"] = Tensor::from_values<std::int8_t>({}, {2});
  g.nodes = {make_node("QuantizeLinear", {"x", "xs", "xz"}, {"x8"}),
             make_node("QLinearLookup", {"x8", "table"}, {"y8"}, {{"function", "Test"}}),
             make_node("DequantizeLinear", {"y8", "ys", "yz"}, {"y"})};
  ASSERT_TRUE(validate_graph(g).is_ok());
  Result<std::string> bytes = export_onnx(g);
  ASSERT_TRUE(bytes.is_ok()) << bytes.status().to_string();
  expect_valid_onnx(*bytes);
  const Graph back = reimport(*bytes);
  // Inputs from -8 to 8 cover the whole int8 range at scale 0.05 (saturating at both ends).
  LabeledData data = testing::random_data(g, 4, 1);
  for (std::int64_t i = 0; i < data.inputs[0].num_elements(); ++i) {
    data.inputs[0].data<float>()[i] =
        -8.0f + 16.0f * static_cast<float>(i) / static_cast<float>(data.inputs[0].num_elements());
  }
  const auto out = run_all(back, data);
  for (std::size_t n = 0; n < out.size(); ++n) {
    for (std::size_t k = 0; k < out[n].size(); ++k) {
      const float x = data.inputs[0].data<float>()[n * 64 + k];
      const int q = std::clamp(static_cast<int>(std::nearbyint(x / 0.05f)) - 3, -128, 127);
      const float expected = static_cast<float>(table[static_cast<std::size_t>(q + 128)] - 2) * 0.5f;
      ASSERT_EQ(out[n][k], expected) << "x = " << x;
    }
  }
}

// Conv (16x8x3x3) + Relu -> global average pool -> Gemm (32x16): weights large enough for the
// weight-only formats (compress/weight_only.cpp leaves ones under 256 values alone).
Graph weight_only_graph() {
  std::mt19937 rng(11);
  Graph g;
  g.name = "weight_only";
  g.inputs = {ValueInfo{"x", DType::kFloat32, {1, 8, 5, 5}}};
  g.outputs = {ValueInfo{"y", DType::kFloat32, {}}};
  g.constants["w"] = random_tensor({16, 8, 3, 3}, rng, 0.3f);
  g.constants["b"] = random_tensor({16}, rng, 0.1f);
  g.constants["wfc"] = random_tensor({32, 16}, rng, 0.3f);
  g.constants["bfc"] = random_tensor({32}, rng, 0.1f);
  g.nodes = {
      make_node("Conv", {"x", "w", "b"}, {"c"}, {{"activation", "Relu"}}),
      make_node("GlobalAveragePool", {"c"}, {"g"}),
      make_node("Flatten", {"g"}, {"f"}),
      make_node("Gemm", {"f", "wfc", "bfc"}, {"y"}, {{"transB", 1}}),
  };
  EXPECT_TRUE(validate_graph(g).is_ok());
  return g;
}

TEST(OnnxExport, WeightOnlyGraphsExportFloat32Weights) {
  const Graph g = weight_only_graph();
  const LabeledData calibration = random_data(g, 8, 1);
  const LabeledData data = testing::random_normal_data(g, 16, 4, 1.0f);
  for (WeightFormat format : {WeightFormat::kInt4, WeightFormat::kFp16}) {
    SCOPED_TRACE(std::string(weight_format_name(format)));
    const Graph compressed = compress(g, format, calibration);
    ASSERT_EQ(ir_op_counts(compressed)[format == WeightFormat::kInt4 ? "DequantizeInt4" : "Cast"], 2);
    Result<std::string> bytes = export_onnx(compressed);
    ASSERT_TRUE(bytes.is_ok()) << bytes.status().to_string();
    expect_valid_onnx(*bytes);
    const onnx::ModelProto model = parse_model(*bytes);
    const auto ops = onnx_op_counts(model);
    EXPECT_EQ(ops.count("Cast"), 0u);
    for (const onnx::TensorProto& t : model.graph().initializer()) {
      EXPECT_EQ(t.data_type(), onnx::TensorProto::FLOAT) << t.name();
    }
    const Graph back = reimport(*bytes);
    EXPECT_LE(max_abs_difference(run_all(compressed, data), run_all(back, data)), 1e-5);
  }
}

TEST(OnnxExport, WritesAFileWithMetadata) {
  ExportOptions options;
  options.metadata["edgeai.name"] = "small";
  const std::string path = ::testing::TempDir() + "small_cnn.onnx";
  ASSERT_TRUE(export_onnx_file(small_cnn(), path, options).is_ok());
  std::ifstream in(path, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const onnx::ModelProto model = parse_model(bytes);
  ASSERT_EQ(model.metadata_props_size(), 1);
  EXPECT_EQ(model.metadata_props(0).key(), "edgeai.name");
  EXPECT_EQ(model.metadata_props(0).value(), "small");
  EXPECT_EQ(model.graph().input(0).name(), "x");
  EXPECT_EQ(model.graph().output(0).name(), "probs");
  // The output's type and shape come from inference, not the fixture's empty declaration.
  EXPECT_EQ(model.graph().output(0).type().tensor_type().shape().dim_size(), 2);

  const Status bad = export_onnx_file(small_cnn(), "/nonexistent-dir/m.onnx");
  ASSERT_FALSE(bad.is_ok());
  EXPECT_NE(bad.message().find("/nonexistent-dir/m.onnx"), std::string::npos) << bad.message();
}

TEST(OnnxExport, WhatHasNoOnnxFormIsAnErrorNamingTheNode) {
  // Unfolded int4 weights: DequantizeInt4 is edgeai's own operator.
  const Graph g = weight_only_graph();
  const Graph int4 = compress(g, WeightFormat::kInt4, random_data(g, 8, 1));
  ExportOptions no_folding;
  no_folding.fold_constants = false;
  Result<std::string> bytes = export_onnx(int4, no_folding);
  ASSERT_FALSE(bytes.is_ok());
  bool names_a_decoder = false;
  for (const Node& n : int4.nodes) {
    const bool named = bytes.status().message().find("DequantizeInt4 '" + n.name + "'") != std::string::npos;
    names_a_decoder = names_a_decoder || (n.op_type == "DequantizeInt4" && named);
  }
  EXPECT_TRUE(names_a_decoder) << bytes.status().message();
  EXPECT_NE(bytes.status().message().find("opset-13"), std::string::npos) << bytes.status().message();

  // An opset-14 attribute.
  Graph reshape;
  reshape.inputs = {ValueInfo{"x", DType::kFloat32, {2, 3}}};
  reshape.outputs = {ValueInfo{"y", DType::kFloat32, {}}};
  reshape.constants["shape"] = Tensor::from_values<std::int64_t>({2}, {3, 2});
  reshape.nodes = {make_node("Reshape", {"x", "shape"}, {"y"}, {{"allowzero", 1}})};
  ASSERT_TRUE(validate_graph(reshape).is_ok());
  bytes = export_onnx(reshape);
  ASSERT_FALSE(bytes.is_ok());
  EXPECT_NE(bytes.status().message().find("Reshape 'y_node'"), std::string::npos) << bytes.status().message();
  EXPECT_NE(bytes.status().message().find("allowzero"), std::string::npos) << bytes.status().message();

  // uint8 activations must not change the interface: an int8 graph output stays int8.
  Graph lookup;
  lookup.inputs = {ValueInfo{"x", DType::kFloat32, {1, 4}}};
  lookup.outputs = {ValueInfo{"y8", DType::kInt8, {}}};
  lookup.constants["table"] = Tensor::allocate(DType::kInt8, {256}).value();
  lookup.constants["xs"] = Tensor::from_values<float>({}, {0.1f});
  lookup.constants["xz"] = Tensor::from_values<std::int8_t>({}, {0});
  lookup.nodes = {make_node("QuantizeLinear", {"x", "xs", "xz"}, {"x8"}),
                  make_node("QLinearLookup", {"x8", "table"}, {"y8"})};
  ASSERT_TRUE(validate_graph(lookup).is_ok());
  ASSERT_TRUE(export_onnx(lookup).is_ok());
  ExportOptions uint8;
  uint8.uint8_activations = true;
  bytes = export_onnx(lookup, uint8);
  ASSERT_FALSE(bytes.is_ok());
  EXPECT_NE(bytes.status().message().find("graph output 'y8' is int8"), std::string::npos) << bytes.status().message();
}

}  // namespace
}  // namespace edgeai
