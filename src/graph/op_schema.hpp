// Operator schemas: for each op_type the IR accepts, its input/output counts, typed
// attributes and shape-inference function. The IR follows ONNX opset 13 semantics
// (import rewrites older forms); see docs/architecture.md, "Adding an operator".
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.hpp"
#include "graph/graph.hpp"

namespace edgeai {

struct AttrSpec {
  std::string name;
  AttrType type;
  bool required = false;
};

// What shape inference sees of one node. Indices follow node.inputs.
struct InferenceContext {
  const Node& node;
  std::vector<std::optional<ValueInfo>> inputs;  // nullopt for an absent optional input
  std::vector<const Tensor*> input_values;       // the value when known at plan time (constants), else nullptr

  bool has_input(std::size_t i) const { return i < inputs.size() && inputs[i].has_value(); }
  const ValueInfo& input(std::size_t i) const { return *inputs[i]; }
  const Tensor* input_value(std::size_t i) const { return i < input_values.size() ? input_values[i] : nullptr; }
};

// Sets dtype and shape of each output (names are already filled in). Errors name the node.
using InferShapesFn = Status (*)(const InferenceContext& ctx, std::vector<ValueInfo>& outputs);

struct OpSchema {
  std::string op_type;
  int min_inputs = 1;
  int max_inputs = 1;
  int min_outputs = 1;
  int max_outputs = 1;
  std::vector<AttrSpec> attributes;
  InferShapesFn infer_shapes = nullptr;
  // Inputs whose values, not only their shapes, decide the output shapes (Reshape's shape,
  // Resize's scales, ...). When a graph input feeds one, the runtime plans with its value
  // and plans again when it changes.
  std::vector<int> shape_value_inputs;
};

class OpSchemaRegistry {
 public:
  // All built-in schemas (the families below).
  static const OpSchemaRegistry& builtin();

  void add(OpSchema schema);
  const OpSchema* find(std::string_view op_type) const;
  std::vector<std::string> op_types() const;

 private:
  std::map<std::string, OpSchema, std::less<>> schemas_;
};

// One function per operator family, defined in graph/ops/<family>_ops.cpp.
void add_conv_schemas(OpSchemaRegistry& registry);           // Conv
void add_gemm_schemas(OpSchemaRegistry& registry);           // Gemm, MatMul
void add_pool_schemas(OpSchemaRegistry& registry);           // MaxPool, AveragePool, GlobalAveragePool
void add_normalization_schemas(OpSchemaRegistry& registry);  // BatchNormalization
void add_resize_schemas(OpSchemaRegistry& registry);         // Resize
void add_elementwise_schemas(OpSchemaRegistry& registry);    // Add..Div, activations, Identity, Dropout
void add_softmax_schemas(OpSchemaRegistry& registry);        // Softmax
void add_reduce_schemas(OpSchemaRegistry& registry);         // ReduceMean
void add_tensor_schemas(OpSchemaRegistry& registry);         // Concat, Reshape, Flatten, Transpose, Squeeze,
                                                             // Unsqueeze, Pad, Split, Gather, Cast, Shape, ...
void add_int4_schemas(OpSchemaRegistry& registry);           // DequantizeInt4 (int4 weight-only decoder)
void add_quant_schemas(OpSchemaRegistry& registry);          // QuantizeLinear, DequantizeLinear, QLinearConv,
                                                             // ConvInteger, QLinearMatMul, MatMulInteger, and
                                                             // the com.microsoft QGemm, QLinearAdd, QLinearMul,
                                                             // QLinearConcat, QLinearAveragePool,
                                                             // QLinearGlobalAveragePool; edgeai's QLinearLookup

}  // namespace edgeai
