// ONNX ModelProto -> Graph: initializers, inputs, outputs, nodes and attributes translated one to
// one, older operator forms (opsets 11, 12) rewritten into the IR's opset-13 forms, then the graph
// passes. Only structural problems fail an import; shapes that depend on values fed at run time
// stay unknown for the runtime to infer.
#include "import/onnx/onnx_importer.hpp"

#include <algorithm>
#include <climits>
#include <fstream>
#include <iterator>
#include <set>
#include <vector>

#include "graph/op_schema.hpp"
#include "graph/passes/passes.hpp"
#include "graph/validate.hpp"
#include "import/onnx/opset_history.hpp"
#include "import/onnx/proto_convert.hpp"
#include "runtime/node_evaluator.hpp"

namespace edgeai {
namespace {

bool is_default_domain(const std::string& domain) { return domain.empty() || domain == "ai.onnx"; }

// ONNX Runtime's com.microsoft contrib operators that the IR has under the same names and inputs
// (default domain): the int8 operators ORT's quantiser emits next to the standard QLinearConv.
bool is_supported_contrib_operator(const std::string& domain, const std::string& op) {
  static const std::set<std::string> kMicrosoftOps = {
      "QGemm", "QLinearAdd", "QLinearMul", "QLinearConcat", "QLinearAveragePool", "QLinearGlobalAveragePool"};
  return domain == "com.microsoft" && kMicrosoftOps.count(op) != 0;
}

class OnnxTranslator {
 public:
  explicit OnnxTranslator(int opset) : opset_(opset) {}

  Status translate(const onnx::GraphProto& proto, const ImportOptions& options);
  Status rewrite_legacy_softmax();
  Graph& graph() { return graph_; }

 private:
  Status add_initializers(const onnx::GraphProto& proto);
  Status add_inputs(const onnx::GraphProto& proto, const ImportOptions& options);
  Status add_outputs(const onnx::GraphProto& proto);
  Status add_node(const onnx::NodeProto& proto, std::size_t index);
  Status add_constant_node(const onnx::NodeProto& proto, const std::string& name);
  Status normalize_to_opset13(Node& node);
  // Moves an INTS attribute into a new int64 constant input at position `input_index`.
  void move_ints_attr_to_input(Node& node, const std::string& attr, std::size_t input_index);
  std::string unique_value_name(const std::string& base);
  std::string unique_node_name(const std::string& base);

  int opset_;
  Graph graph_;
  std::set<std::string> value_names_;
  std::set<std::string> node_names_;           // names taken so far
  std::set<std::string> reserved_node_names_;  // every name the file gives
  // Softmax-family nodes from opsets < 13, whose axis means "coerce to 2-D at axis".
  std::vector<std::string> legacy_softmax_;
};

Result<ValueInfo> value_info_from_proto(const onnx::ValueInfoProto& proto, const char* role) {
  ValueInfo info;
  info.name = proto.name();
  if (!proto.type().has_tensor_type()) {
    return unsupported(role, " '", proto.name(), "' is not a tensor (sequences, maps and optionals are not supported)");
  }
  const onnx::TypeProto::Tensor& tensor_type = proto.type().tensor_type();
  if (tensor_type.elem_type() != onnx::TensorProto::UNDEFINED) {
    std::optional<DType> dtype = dtype_from_onnx(tensor_type.elem_type());
    if (!dtype) {
      return unsupported(role, " '", proto.name(), "' has data type ", onnx_dtype_name(tensor_type.elem_type()),
                         ", which edgeai does not support");
    }
    info.dtype = *dtype;
  }
  if (tensor_type.has_shape()) {
    for (const onnx::TensorShapeProto::Dimension& dim : tensor_type.shape().dim()) {
      info.shape.push_back(dim.has_dim_value() && dim.dim_value() >= 0 ? dim.dim_value() : kUnknownDim);
    }
  }
  return info;
}

Status OnnxTranslator::add_initializers(const onnx::GraphProto& proto) {
  if (proto.sparse_initializer_size() > 0) {
    return unsupported("initializer '", proto.sparse_initializer(0).values().name(),
                       "' is sparse; sparse initializers are not supported");
  }
  for (const onnx::TensorProto& init : proto.initializer()) {
    if (init.name().empty()) return invalid_argument("an initializer has no name");
    EDGEAI_ASSIGN_OR_RETURN(Tensor tensor, tensor_from_proto(init));
    if (!graph_.constants.emplace(init.name(), std::move(tensor)).second) {
      return invalid_argument("two initializers are named '", init.name(), "'");
    }
    value_names_.insert(init.name());
  }
  return Status::ok();
}

Status OnnxTranslator::add_inputs(const onnx::GraphProto& proto, const ImportOptions& options) {
  std::set<std::string> overridden;
  for (const onnx::ValueInfoProto& input : proto.input()) {
    // An input with an initializer is a weight (exporters before IR version 4 list them all).
    if (graph_.is_constant(input.name())) continue;
    EDGEAI_ASSIGN_OR_RETURN(ValueInfo info, value_info_from_proto(input, "graph input"));
    if (info.dtype == DType::kUndefined) return invalid_argument("graph input '", info.name, "' has no data type");
    auto it = options.input_shapes.find(info.name);
    if (it != options.input_shapes.end()) {
      const bool declared = input.type().tensor_type().has_shape();
      if (declared && it->second.size() != info.shape.size()) {
        return invalid_argument("input_shapes gives graph input '", info.name, "' the shape ",
                                shape_to_string(it->second), ", but the model declares rank ", info.shape.size(), " (",
                                shape_to_string(info.shape), ")");
      }
      for (std::size_t d = 0; declared && d < info.shape.size(); ++d) {
        if (info.shape[d] >= 0 && it->second[d] >= 0 && info.shape[d] != it->second[d]) {
          return invalid_argument("input_shapes gives graph input '", info.name, "' the shape ",
                                  shape_to_string(it->second), ", but the model declares ", shape_to_string(info.shape));
        }
      }
      info.shape = it->second;
      overridden.insert(info.name);
    } else if (!input.type().tensor_type().has_shape()) {
      return unsupported("graph input '", info.name,
                         "' has no declared shape (unknown rank); give it one with the input_shapes option");
    }
    if (graph_.is_graph_input(info.name)) return invalid_argument("two graph inputs are named '", info.name, "'");
    value_names_.insert(info.name);
    graph_.inputs.push_back(std::move(info));
  }
  for (const auto& [name, shape] : options.input_shapes) {
    if (overridden.count(name) == 0) {
      return invalid_argument("input_shapes names '", name, "', which is not a graph input of the model");
    }
  }
  return Status::ok();
}

Status OnnxTranslator::add_outputs(const onnx::GraphProto& proto) {
  for (const onnx::ValueInfoProto& output : proto.output()) {
    EDGEAI_ASSIGN_OR_RETURN(ValueInfo info, value_info_from_proto(output, "graph output"));
    graph_.outputs.push_back(std::move(info));
  }
  if (graph_.outputs.empty()) return invalid_argument("the graph has no outputs");
  return Status::ok();
}

std::string OnnxTranslator::unique_value_name(const std::string& base) {
  std::string name = base;
  for (int i = 1; value_names_.count(name) != 0; ++i) name = str_cat(base, "_", i);
  value_names_.insert(name);
  return name;
}

std::string OnnxTranslator::unique_node_name(const std::string& base) {
  std::string name = base;
  for (int i = 1; node_names_.count(name) != 0 || reserved_node_names_.count(name) != 0; ++i) {
    name = str_cat(base, "_", i);
  }
  node_names_.insert(name);
  return name;
}

Status OnnxTranslator::add_constant_node(const onnx::NodeProto& proto, const std::string& name) {
  const std::string desc = str_cat("Constant '", name, "'");
  if (proto.output_size() != 1 || proto.output(0).empty()) return invalid_argument(desc, " must have one output");
  if (proto.attribute_size() != 1) return invalid_argument(desc, " must have exactly one value attribute");
  const onnx::AttributeProto& attr = proto.attribute(0);
  Tensor value;
  if (attr.name() == "value") {
    Result<Tensor> tensor = tensor_from_proto(attr.t());
    if (!tensor.is_ok()) return tensor.status().with_context(desc);
    value = std::move(tensor).value();
  } else if (attr.name() == "value_float") {
    value = Tensor::from_values<float>({}, {attr.f()});
  } else if (attr.name() == "value_int") {
    value = Tensor::from_values<std::int64_t>({}, {static_cast<std::int64_t>(attr.i())});
  } else if (attr.name() == "value_floats") {
    value = Tensor::from_vector<float>({attr.floats_size()}, std::vector<float>(attr.floats().begin(), attr.floats().end()));
  } else if (attr.name() == "value_ints") {
    value = Tensor::from_vector<std::int64_t>({attr.ints_size()},
                                              std::vector<std::int64_t>(attr.ints().begin(), attr.ints().end()));
  } else {
    return unsupported(desc, ": attribute '", attr.name(), "' is not supported (string and sparse constants)");
  }
  const std::string& out = proto.output(0);
  if (value_names_.count(out) != 0) return invalid_argument(desc, " writes '", out, "', which already exists");
  value_names_.insert(out);
  graph_.constants[out] = std::move(value);
  return Status::ok();
}

void OnnxTranslator::move_ints_attr_to_input(Node& node, const std::string& attr, std::size_t input_index) {
  auto it = node.attributes.find(attr);
  if (it == node.attributes.end() || it->second.type() != AttrType::kInts) return;
  const std::vector<std::int64_t> values = it->second.as_ints();
  node.attributes.erase(it);
  const std::string name = unique_value_name(str_cat(node.name, "_", attr));
  graph_.constants[name] = Tensor::from_vector<std::int64_t>({static_cast<std::int64_t>(values.size())}, values);
  if (node.inputs.size() <= input_index) node.inputs.resize(input_index + 1);
  node.inputs[input_index] = name;
}

// Rewrites the forms of opsets 11 and 12 (and attributes that mean nothing at inference) into
// the opset-13 forms the IR's schemas define. See the ONNX Changelog for each operator.
Status OnnxTranslator::normalize_to_opset13(Node& node) {
  const std::string& op = node.op_type;
  const OpSchema* schema = OpSchemaRegistry::builtin().find(op);
  auto schema_has_attr = [schema](std::string_view attr) {
    for (const AttrSpec& spec : schema->attributes) {
      if (spec.name == attr) return true;
    }
    return false;
  };
  if (opset_ < 13) {
    // Squeeze-13, Unsqueeze-13, ReduceSum-13: `axes` moved from an attribute to input 1.
    if (op == "Squeeze" || op == "Unsqueeze" || op == "ReduceSum") move_ints_attr_to_input(node, "axes", 1);
    // Split-13: `split` moved to input 1.
    if (op == "Split") move_ints_attr_to_input(node, "split", 1);
    // Softmax-13 changed the meaning of axis; see rewrite_legacy_softmax.
    if (op == "Softmax" || op == "LogSoftmax" || op == "Hardmax") legacy_softmax_.push_back(node.name);
  }
  if (op == "Dropout") {
    // Dropout-12 moved ratio to an input; at inference Dropout is the identity either way.
    if (!schema_has_attr("ratio")) node.attributes.erase("ratio");
    if (!schema_has_attr("seed")) node.attributes.erase("seed");
  }
  if (op == "BatchNormalization") {
    if (node.attr_int("training_mode", 0) != 0 && !schema_has_attr("training_mode")) {
      return unsupported(node.describe(), ": training-mode BatchNormalization is not supported (export for inference)");
    }
    if (!schema_has_attr("training_mode")) node.attributes.erase("training_mode");
    // momentum only updates running statistics in training.
    if (!schema_has_attr("momentum")) node.attributes.erase("momentum");
  }
  if (op == "Resize") {
    // Resize-11 requires roi and scales inputs and passes empty tensors for the unused ones;
    // Resize-13 lets them be absent. An empty constant is the absent input.
    for (std::size_t i = 1; i < 3 && i < node.inputs.size(); ++i) {
      const Tensor* value = graph_.find_constant(node.inputs[i]);
      if (value != nullptr && value->num_elements() == 0) node.inputs[i].clear();
    }
  }
  while (!node.inputs.empty() && node.inputs.back().empty()) node.inputs.pop_back();
  return Status::ok();
}

Status OnnxTranslator::add_node(const onnx::NodeProto& proto, std::size_t index) {
  const std::string& op = proto.op_type();
  std::string name = !proto.name().empty() && node_names_.insert(proto.name()).second
                         ? proto.name()
                         : unique_node_name(str_cat(op, "_", index));
  const bool is_contrib = is_supported_contrib_operator(proto.domain(), op);
  if (!is_default_domain(proto.domain()) && !is_contrib) {
    return unsupported("unsupported operator ", proto.domain(), ".", op, " (node '", name, "'): only the default ONNX ",
                       "domain and the com.microsoft quantised operators are supported");
  }
  if (op == "Constant") return add_constant_node(proto, name);
  if (OpSchemaRegistry::builtin().find(op) == nullptr) {
    return unsupported("unsupported operator ", op, " (node '", name, "', opset ", opset_, ")");
  }
  if (opset_ < kMinOnnxOpset && !is_contrib) {
    // An older model is read as opset 11 where the operator has not changed since its opset.
    std::optional<int> since = onnx_operator_since_version(op, opset_);
    std::optional<int> since_at_min = onnx_operator_since_version(op, kMinOnnxOpset);
    if (!since || since != since_at_min) {
      return unsupported("operator ", op, " (node '", name, "', opset ", opset_, ") changed in opset ",
                         since_at_min.value_or(kMinOnnxOpset), "; edgeai reads the older form only from opset ",
                         kMinOnnxOpset, " on (convert the model with onnx.version_converter)");
    }
  }
  Node node;
  node.name = std::move(name);
  node.op_type = op;
  node.inputs.assign(proto.input().begin(), proto.input().end());
  node.outputs.assign(proto.output().begin(), proto.output().end());
  while (!node.outputs.empty() && node.outputs.back().empty()) node.outputs.pop_back();
  for (const onnx::AttributeProto& attr : proto.attribute()) {
    EDGEAI_ASSIGN_OR_RETURN(Attribute value, attribute_from_proto(attr, node.describe()));
    if (!node.attributes.emplace(attr.name(), std::move(value)).second) {
      return invalid_argument(node.describe(), ": attribute '", attr.name(), "' is given twice");
    }
  }
  for (const std::string& out : node.outputs) {
    if (!out.empty()) value_names_.insert(out);
  }
  EDGEAI_RETURN_IF_ERROR(normalize_to_opset13(node));
  graph_.nodes.push_back(std::move(node));
  return Status::ok();
}

Status OnnxTranslator::translate(const onnx::GraphProto& proto, const ImportOptions& options) {
  graph_.name = proto.name();
  EDGEAI_RETURN_IF_ERROR(add_initializers(proto));
  EDGEAI_RETURN_IF_ERROR(add_inputs(proto, options));
  // Names given in the file win; made-up names avoid all of them. A repeated name is renamed.
  for (const onnx::NodeProto& node : proto.node()) reserved_node_names_.insert(node.name());
  for (std::size_t i = 0; i < static_cast<std::size_t>(proto.node_size()); ++i) {
    EDGEAI_RETURN_IF_ERROR(add_node(proto.node(static_cast<int>(i)), i));
  }
  return add_outputs(proto);
}

// Softmax, LogSoftmax and Hardmax before opset 13 flatten the input to 2-D at `axis` (default 1)
// and normalise each row. With axis the last dimension that equals opset 13's per-axis form;
// otherwise it becomes Flatten(axis) -> op(axis=-1) -> Reshape(back to the input's shape).
Status OnnxTranslator::rewrite_legacy_softmax() {
  if (legacy_softmax_.empty()) return Status::ok();
  (void)infer_shapes_partially(graph_);  // ranks where known; failures only leave them unknown
  for (const std::string& node_name : legacy_softmax_) {
    auto it = std::find_if(graph_.nodes.begin(), graph_.nodes.end(), [&](const Node& n) { return n.name == node_name; });
    if (it == graph_.nodes.end() || it->inputs.empty() || it->outputs.empty()) continue;
    const std::int64_t axis = it->attr_int("axis", 1);
    std::optional<ValueInfo> info = graph_.find_value_info(it->inputs[0]);
    if (info && info->dtype != DType::kUndefined) {
      const auto rank = static_cast<std::int64_t>(info->shape.size());
      std::optional<std::int64_t> normalized = normalize_axis(axis, rank);
      if (!normalized) return invalid_argument(it->describe(), ": axis ", axis, " is out of range for rank ", rank);
      if (*normalized == rank - 1) {
        it->attributes["axis"] = Attribute(std::int64_t{-1});
        continue;
      }
    }
    for (const char* needed : {"Flatten", "Reshape", "Shape"}) {
      if (OpSchemaRegistry::builtin().find(needed) == nullptr) {
        return unsupported(it->describe(), " (opset ", opset_, ") normalises over all axes from ", axis,
                           ", which needs the operator ", needed);
      }
    }
    Node original = *it;
    const std::string input = original.inputs[0];
    const std::string output = original.outputs[0];
    const std::string flat = unique_value_name(str_cat(original.name, "_flat"));
    const std::string normalized_flat = unique_value_name(str_cat(original.name, "_2d"));
    const std::string shape = unique_value_name(str_cat(original.name, "_shape"));
    Node flatten{unique_node_name(str_cat(original.name, "_flatten")), "Flatten", {input}, {flat}, {{"axis", Attribute(axis)}}};
    Node softmax = original;
    softmax.inputs = {flat};
    softmax.outputs = {normalized_flat};
    softmax.attributes["axis"] = Attribute(std::int64_t{-1});
    Node shape_of{unique_node_name(str_cat(original.name, "_input_shape")), "Shape", {input}, {shape}, {}};
    Node reshape{unique_node_name(str_cat(original.name, "_reshape")), "Reshape", {normalized_flat, shape}, {output}, {}};
    *it = std::move(softmax);
    graph_.nodes.push_back(std::move(flatten));
    graph_.nodes.push_back(std::move(shape_of));
    graph_.nodes.push_back(std::move(reshape));
  }
  return graph_.sort_topologically();
}

// Structure only: every node against its schema, then sortable (no dangling input, no cycle).
Status check_structure(Graph& graph) {
  for (const Node& node : graph.nodes) {
    const OpSchema* schema = OpSchemaRegistry::builtin().find(node.op_type);
    if (schema == nullptr) return unsupported("operator ", node.op_type, " (node '", node.name, "') is not supported");
    EDGEAI_RETURN_IF_ERROR(check_node(node, *schema));
  }
  return graph.sort_topologically();
}

Status run_passes(Graph& graph, const ImportOptions& options) {
  if (options.fold_constants) {
    EDGEAI_RETURN_IF_ERROR(fold_constants(graph, evaluate_node));
  }
  if (options.remove_dead_nodes) {
    EDGEAI_RETURN_IF_ERROR(remove_dead_nodes(graph).status());
  }
  if (options.fold_batchnorm) {
    EDGEAI_RETURN_IF_ERROR(fold_batchnorm(graph).status());
  }
  if (options.fuse_activations) {
    // Dtypes of values decide what may fuse; fold_constants left them, other paths need them.
    if (!options.fold_constants) (void)infer_shapes_partially(graph);
    EDGEAI_RETURN_IF_ERROR(fuse_activations(graph).status());
  }
  if (options.remove_dead_nodes) {
    EDGEAI_RETURN_IF_ERROR(remove_dead_nodes(graph).status());
  }
  return Status::ok();
}

Result<Graph> import_model(const onnx::ModelProto& model, const ImportOptions& options) {
  if (!model.has_graph()) return data_loss("not a valid ONNX model (it has no graph)");
  int opset = -1;
  for (const onnx::OperatorSetIdProto& id : model.opset_import()) {
    if (is_default_domain(id.domain())) opset = static_cast<int>(id.version());
  }
  if (opset < 0) return invalid_argument("the model imports no opset of the default ONNX domain");
  if (opset < 1 || opset > kMaxOnnxOpset) {
    return unsupported("ONNX opset ", opset, " is not supported (edgeai imports opsets ", kMinOnnxOpset, " to ",
                       kMaxOnnxOpset, ", and older ones for operators unchanged since; convert the model with ",
                       "onnx.version_converter)");
  }
  if (model.functions_size() > 0) return unsupported("model-local functions are not supported");
  if (opset < kMinOnnxOpset) {
    // Operators unchanged since the model's opset are read as they are; otherwise the whole model
    // goes through onnx.version_converter to opset 11 first (Clip-6 attributes, Pad-2, Upsample...).
    for (const onnx::NodeProto& node : model.graph().node()) {
      const std::string& op = node.op_type();
      if (!is_default_domain(node.domain()) || op == "Constant" || OpSchemaRegistry::builtin().find(op) == nullptr) {
        continue;  // reported with the model's own opset below
      }
      if (onnx_operator_since_version(op, opset) == onnx_operator_since_version(op, kMinOnnxOpset)) continue;
      Result<onnx::ModelProto> converted = convert_model_opset(model, kMinOnnxOpset);
      if (!converted.is_ok()) {
        return unsupported("operator ", op, " (node '", node.name(), "', opset ", opset, ") changed in opset ",
                           onnx_operator_since_version(op, kMinOnnxOpset).value_or(kMinOnnxOpset), ", and ",
                           converted.status().message());
      }
      return import_model(*converted, options);
    }
  }

  OnnxTranslator translator(opset);
  EDGEAI_RETURN_IF_ERROR(translator.translate(model.graph(), options));
  Graph& graph = translator.graph();
  EDGEAI_RETURN_IF_ERROR(check_structure(graph));
  EDGEAI_RETURN_IF_ERROR(translator.rewrite_legacy_softmax());
  EDGEAI_RETURN_IF_ERROR(run_passes(graph, options));
  EDGEAI_RETURN_IF_ERROR(check_structure(graph));
  // Shapes fed as inputs (the ONNX node tests feed Reshape's shape) are known only at run time:
  // then the values after them stay unknown here and the runtime infers them with the inputs.
  if (!infer_shapes(graph).is_ok()) EDGEAI_RETURN_IF_ERROR(infer_shapes_partially(graph).status());
  return std::move(graph);
}

}  // namespace

Result<Attribute> attribute_from_proto(const onnx::AttributeProto& proto, const std::string& node_desc) {
  const std::string what = str_cat(node_desc, ": attribute '", proto.name(), "'");
  if (!proto.ref_attr_name().empty()) return unsupported(what, " refers to a function attribute; functions are not supported");
  onnx::AttributeProto::AttributeType type = proto.type();
  if (type == onnx::AttributeProto::UNDEFINED) {
    // IR version 1 files may leave `type` unset; the field that is set tells it.
    if (proto.has_f()) type = onnx::AttributeProto::FLOAT;
    else if (proto.has_i()) type = onnx::AttributeProto::INT;
    else if (proto.has_s()) type = onnx::AttributeProto::STRING;
    else if (proto.has_t()) type = onnx::AttributeProto::TENSOR;
    else if (proto.floats_size() > 0) type = onnx::AttributeProto::FLOATS;
    else if (proto.ints_size() > 0) type = onnx::AttributeProto::INTS;
    else if (proto.strings_size() > 0) type = onnx::AttributeProto::STRINGS;
    else if (proto.has_g() || proto.graphs_size() > 0) type = onnx::AttributeProto::GRAPH;
  }
  switch (type) {
    case onnx::AttributeProto::INT: return Attribute(static_cast<std::int64_t>(proto.i()));
    case onnx::AttributeProto::FLOAT: return Attribute(proto.f());
    case onnx::AttributeProto::STRING: return Attribute(std::string(proto.s()));
    case onnx::AttributeProto::INTS: return Attribute(std::vector<std::int64_t>(proto.ints().begin(), proto.ints().end()));
    case onnx::AttributeProto::FLOATS: return Attribute(std::vector<float>(proto.floats().begin(), proto.floats().end()));
    case onnx::AttributeProto::STRINGS:
      return Attribute(std::vector<std::string>(proto.strings().begin(), proto.strings().end()));
    case onnx::AttributeProto::TENSOR: {
      Result<Tensor> tensor = tensor_from_proto(proto.t());
      if (!tensor.is_ok()) return tensor.status().with_context(what);
      return Attribute(std::move(tensor).value());
    }
    case onnx::AttributeProto::GRAPH:
    case onnx::AttributeProto::GRAPHS:
      return unsupported(what, " is a graph; subgraphs (If, Loop, Scan bodies) are not supported");
    case onnx::AttributeProto::SPARSE_TENSOR:
    case onnx::AttributeProto::SPARSE_TENSORS:
      return unsupported(what, " is a sparse tensor; sparse tensors are not supported");
    case onnx::AttributeProto::TENSORS: return unsupported(what, " is a list of tensors, which is not supported");
    case onnx::AttributeProto::TYPE_PROTO:
    case onnx::AttributeProto::TYPE_PROTOS: return unsupported(what, " is a type, which is not supported");
    default: return invalid_argument(what, " has no type");
  }
}

Result<Graph> import_onnx_bytes(const void* data, std::size_t size, std::string_view source_name,
                                const ImportOptions& options) {
  onnx::ModelProto model;
  if (size > static_cast<std::size_t>(INT_MAX)) {
    return unsupported(source_name, ": models over 2 GiB (external data) are not supported");
  }
  if (!model.ParseFromArray(data, static_cast<int>(size))) {
    return data_loss(source_name, ": not a valid ONNX model (protobuf parse failed)");
  }
  Result<Graph> graph = import_model(model, options);
  if (!graph.is_ok()) return graph.status().with_context(source_name);
  return graph;
}

Result<Graph> import_onnx_file(const std::string& path, const ImportOptions& options) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return io_error(path, ": cannot open");
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return io_error(path, ": read failed");
  return import_onnx_bytes(bytes.data(), bytes.size(), path, options);
}

}  // namespace edgeai
