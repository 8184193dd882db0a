// Test helper: builds small ONNX models with the protobuf API (no .onnx files in the tree),
// and runs an imported graph node by node with the reference kernels.
#pragma once

#include <onnx/onnx_pb.h>

#include <initializer_list>
#include <map>
#include <string>
#include <vector>

#include "core/status.hpp"
#include "graph/graph.hpp"
#include "runtime/node_evaluator.hpp"

namespace edgeai::testing {

class OnnxModelBuilder {
 public:
  explicit OnnxModelBuilder(int opset = 13) {
    model_.set_ir_version(7);
    model_.set_producer_name("edgeai-test");
    onnx::OperatorSetIdProto* id = model_.add_opset_import();
    id->set_domain("");
    id->set_version(opset);
    model_.mutable_graph()->set_name("test_graph");
  }

  onnx::ModelProto& model() { return model_; }
  onnx::GraphProto& graph() { return *model_.mutable_graph(); }

  // A dimension of -1 becomes a symbolic dim_param "N".
  void input(const std::string& name, std::vector<std::int64_t> dims, int elem = onnx::TensorProto::FLOAT) {
    set_value_info(graph().add_input(), name, dims, elem);
  }
  void output(const std::string& name, std::vector<std::int64_t> dims, int elem = onnx::TensorProto::FLOAT) {
    set_value_info(graph().add_output(), name, dims, elem);
  }

  // float initializer in raw_data (raw = true) or float_data.
  onnx::TensorProto& initializer(const std::string& name, std::vector<std::int64_t> dims, const std::vector<float>& values,
                                 bool raw = true) {
    onnx::TensorProto& t = *graph().add_initializer();
    t.set_name(name);
    t.set_data_type(onnx::TensorProto::FLOAT);
    for (std::int64_t d : dims) t.add_dims(d);
    if (raw) {
      t.set_raw_data(std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(float)));
    } else {
      for (float v : values) t.add_float_data(v);
    }
    return t;
  }
  onnx::TensorProto& int64_initializer(const std::string& name, std::vector<std::int64_t> dims,
                                       const std::vector<std::int64_t>& values) {
    onnx::TensorProto& t = *graph().add_initializer();
    t.set_name(name);
    t.set_data_type(onnx::TensorProto::INT64);
    for (std::int64_t d : dims) t.add_dims(d);
    for (std::int64_t v : values) t.add_int64_data(v);
    return t;
  }

  onnx::NodeProto& node(const std::string& op, std::vector<std::string> inputs, std::vector<std::string> outputs,
                        const std::string& name = "") {
    onnx::NodeProto& n = *graph().add_node();
    n.set_op_type(op);
    n.set_name(name);
    for (const std::string& in : inputs) n.add_input(in);
    for (const std::string& out : outputs) n.add_output(out);
    return n;
  }

  // A Constant node holding int64 values (shape [n], or a scalar when `scalar`).
  void int64_constant(const std::string& output, const std::vector<std::int64_t>& values, bool scalar = false) {
    onnx::NodeProto& n = node("Constant", {}, {output});
    onnx::AttributeProto& a = *n.add_attribute();
    a.set_name("value");
    a.set_type(onnx::AttributeProto::TENSOR);
    onnx::TensorProto& t = *a.mutable_t();
    t.set_data_type(onnx::TensorProto::INT64);
    if (!scalar) t.add_dims(static_cast<std::int64_t>(values.size()));
    for (std::int64_t v : values) t.add_int64_data(v);
  }

  std::string bytes() const { return model_.SerializeAsString(); }

 private:
  static void set_value_info(onnx::ValueInfoProto* info, const std::string& name, const std::vector<std::int64_t>& dims,
                             int elem) {
    info->set_name(name);
    onnx::TypeProto::Tensor* tt = info->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(elem);
    onnx::TensorShapeProto* shape = tt->mutable_shape();
    for (std::int64_t d : dims) {
      if (d < 0) {
        shape->add_dim()->set_dim_param("N");
      } else {
        shape->add_dim()->set_dim_value(d);
      }
    }
  }

  onnx::ModelProto model_;
};

inline void set_attr(onnx::NodeProto& n, const std::string& name, std::int64_t v) {
  onnx::AttributeProto& a = *n.add_attribute();
  a.set_name(name);
  a.set_type(onnx::AttributeProto::INT);
  a.set_i(v);
}
inline void set_attr(onnx::NodeProto& n, const std::string& name, float v) {
  onnx::AttributeProto& a = *n.add_attribute();
  a.set_name(name);
  a.set_type(onnx::AttributeProto::FLOAT);
  a.set_f(v);
}
inline void set_attr(onnx::NodeProto& n, const std::string& name, const std::string& v) {
  onnx::AttributeProto& a = *n.add_attribute();
  a.set_name(name);
  a.set_type(onnx::AttributeProto::STRING);
  a.set_s(v);
}
inline void set_attr(onnx::NodeProto& n, const std::string& name, std::initializer_list<std::int64_t> v) {
  onnx::AttributeProto& a = *n.add_attribute();
  a.set_name(name);
  a.set_type(onnx::AttributeProto::INTS);
  for (std::int64_t x : v) a.add_ints(x);
}

// Runs `graph` node by node (topological order) with evaluate_node; returns every value.
inline Result<std::map<std::string, Tensor>> run_graph_by_nodes(const Graph& graph, std::map<std::string, Tensor> values) {
  for (const auto& [name, t] : graph.constants) values[name] = t;
  for (const Node& node : graph.nodes) {
    std::vector<Tensor> inputs;
    for (const std::string& in : node.inputs) {
      if (in.empty()) {
        inputs.emplace_back();
        continue;
      }
      auto it = values.find(in);
      if (it == values.end()) return internal_error("no value for '", in, "'");
      inputs.push_back(it->second);
    }
    EDGEAI_ASSIGN_OR_RETURN(std::vector<Tensor> outputs, evaluate_node(node, inputs));
    for (std::size_t i = 0; i < node.outputs.size(); ++i) values[node.outputs[i]] = outputs[i];
  }
  return values;
}

}  // namespace edgeai::testing
