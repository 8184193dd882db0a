// IR -> ONNX ModelProto, opset 13: float nodes one to one, the IR's quantised operators in QDQ
// form (https://onnxruntime.ai/docs/performance/model-optimizations/quantization.html, "QDQ
// format"), fused activations as standard nodes, then onnx::checker. Depends on graph, the
// runtime's node evaluator (constant folding) and libonnx; protobuf stays inside this file.
#include "import/onnx/onnx_exporter.hpp"

#include <onnx/checker.h>
#include <onnx/defs/schema.h>
#include <onnx/onnx_pb.h>

#include <climits>
#include <cmath>
#include <cstring>
#include <deque>
#include <exception>
#include <fstream>
#include <optional>
#include <set>
#include <tuple>
#include <utility>
#include <vector>

#include "graph/fused_activation.hpp"
#include "graph/passes/passes.hpp"
#include "runtime/node_evaluator.hpp"

namespace edgeai {
namespace {

const char* const kActivationAttrs[] = {"activation", "activation_alpha", "activation_beta"};

int onnx_data_type(DType dtype) {
  switch (dtype) {
    case DType::kFloat32:
      return onnx::TensorProto::FLOAT;
    case DType::kFloat16:
      return onnx::TensorProto::FLOAT16;
    case DType::kFloat64:
      return onnx::TensorProto::DOUBLE;
    case DType::kInt8:
      return onnx::TensorProto::INT8;
    case DType::kUInt8:
      return onnx::TensorProto::UINT8;
    case DType::kInt16:
      return onnx::TensorProto::INT16;
    case DType::kInt32:
      return onnx::TensorProto::INT32;
    case DType::kInt64:
      return onnx::TensorProto::INT64;
    case DType::kBool:
      return onnx::TensorProto::BOOL;
    case DType::kUndefined:
      break;
  }
  return onnx::TensorProto::UNDEFINED;
}

// TensorProto with the data in raw_data: little-endian, as onnx.proto specifies it and as edgeai
// stores tensors (bool one byte per element, float16 as IEEE half bit patterns).
void fill_tensor_proto(const Tensor& tensor, onnx::TensorProto* proto) {
  proto->set_data_type(onnx_data_type(tensor.dtype()));
  for (std::int64_t d : tensor.shape()) proto->add_dims(d);
  proto->set_raw_data(tensor.raw_data(), tensor.size_bytes());
}

void fill_attribute_proto(const std::string& name, const Attribute& value, onnx::AttributeProto* proto) {
  proto->set_name(name);
  switch (value.type()) {
    case AttrType::kInt:
      proto->set_type(onnx::AttributeProto::INT);
      proto->set_i(value.as_int());
      break;
    case AttrType::kFloat:
      proto->set_type(onnx::AttributeProto::FLOAT);
      proto->set_f(value.as_float());
      break;
    case AttrType::kString:
      proto->set_type(onnx::AttributeProto::STRING);
      proto->set_s(value.as_string());
      break;
    case AttrType::kInts:
      proto->set_type(onnx::AttributeProto::INTS);
      for (std::int64_t v : value.as_ints()) proto->add_ints(v);
      break;
    case AttrType::kFloats:
      proto->set_type(onnx::AttributeProto::FLOATS);
      for (float v : value.as_floats()) proto->add_floats(v);
      break;
    case AttrType::kStrings:
      proto->set_type(onnx::AttributeProto::STRINGS);
      for (const std::string& v : value.as_strings()) proto->add_strings(v);
      break;
    case AttrType::kTensor:
      proto->set_type(onnx::AttributeProto::TENSOR);
      fill_tensor_proto(value.as_tensor(), proto->mutable_t());
      break;
  }
}

void fill_value_info_proto(const ValueInfo& info, onnx::ValueInfoProto* proto) {
  proto->set_name(info.name);
  onnx::TypeProto::Tensor* type = proto->mutable_type()->mutable_tensor_type();
  type->set_elem_type(onnx_data_type(info.dtype));
  onnx::TensorShapeProto* shape = type->mutable_shape();
  for (std::int64_t d : info.shape) {
    onnx::TensorShapeProto::Dimension* dim = shape->add_dim();
    if (d >= 0) dim->set_dim_value(d);  // an unknown dimension stays without value or name
  }
}

template <typename T>
Tensor filled(Shape shape, T value) {
  Tensor t = Tensor::allocate(dtype_of<T>(), std::move(shape)).value();
  for (std::int64_t i = 0; i < t.num_elements(); ++i) t.data<T>()[i] = value;
  return t;
}

// A zero of `dtype` (int8, uint8 or int32), scalar or 1-D of `count`.
Tensor zeros(DType dtype, std::optional<std::int64_t> count) {
  Shape shape = count ? Shape{*count} : Shape{};
  return Tensor::allocate(dtype, std::move(shape)).value();
}

bool is_reduce_with_axes_attribute(const std::string& op) {
  // Opset 13: only ReduceSum takes axes as an input; the others kept the attribute until opset 18.
  return op == "ReduceMean" || op == "ReduceMax" || op == "ReduceMin" || op == "ReduceProd" || op == "ReduceSumSquare";
}

class QdqExporter {
 public:
  explicit QdqExporter(const Graph& graph) : graph_(graph) {
    for (const ValueInfo& v : graph.inputs) value_names_.insert(v.name);
    for (const ValueInfo& v : graph.outputs) value_names_.insert(v.name);
    for (const auto& [name, tensor] : graph.constants) value_names_.insert(name);
    for (const Node& n : graph.nodes) {
      reserved_node_names_.insert(n.name);
      value_names_.insert(n.inputs.begin(), n.inputs.end());
      value_names_.insert(n.outputs.begin(), n.outputs.end());
    }
  }

  Result<onnx::ModelProto> build(const ExportOptions& options);

 private:
  // ---- emission
  onnx::NodeProto& emit(const std::string& op, const std::string& name, const std::vector<std::string>& inputs,
                        const std::vector<std::string>& outputs);
  std::string fresh_value(const std::string& base);
  std::string fresh_node(const std::string& base);
  std::string add_constant(const std::string& base, Tensor value);

  // ---- what the graph knows about a value
  Result<ValueInfo> info_of(const Node& node, const std::string& value, std::string_view role) const;
  Result<std::int64_t> count_of(const Node& node, const std::string& value, std::string_view role) const;
  DType output_dtype(const Node& node, std::size_t fallback_input) const;

  // ---- building blocks of the QDQ form
  std::string dequantize(const std::string& x, const std::string& scale, const std::string& zero_point,
                         std::optional<std::int64_t> axis = std::nullopt);
  Result<std::string> dequantize_weight(const Node& node, std::size_t w, std::size_t scale, std::size_t zero_point,
                                        std::int64_t axis);
  Result<std::string> dequantize_bias(const Node& node, std::size_t bias, const std::string& x_scale,
                                      const std::string& w_scale, std::int64_t channels);
  Status emit_activation(const Node& node, const FusedActivation& act, const std::string& in, const std::string& out);
  void emit_hard_swish(const std::string& node_name, const std::string& in, const std::string& out);
  // op(inputs) -> fused activation -> QuantizeLinear(y_scale, y_zero_point) -> node.outputs[0].
  Status emit_quantized_compute(const Node& node, const std::string& op, const std::vector<std::string>& inputs,
                                const std::map<std::string, Attribute>& attributes, std::size_t y_scale,
                                std::size_t y_zero_point, std::size_t type_input);
  std::string input(const Node& node, std::size_t i) const {
    return node.has_input(i) ? node.inputs[i] : std::string();
  }

  // ---- one handler per IR operator family
  Status export_node(const Node& node);
  Status export_standard(const Node& node);
  Status rewrite_to_opset13(Node& node);
  Status export_qlinear_conv(const Node& node);
  Status export_qgemm(const Node& node);
  Status export_qlinear_matmul(const Node& node);
  Status export_qlinear_binary(const Node& node, const std::string& op);
  Status export_qlinear_concat(const Node& node);
  Status export_qlinear_pool(const Node& node, const std::string& op);
  Status export_qlinear_lookup(const Node& node);

  const Graph& graph_;
  std::deque<onnx::NodeProto> nodes_;  // a deque: emit() hands out references that must stay valid
  std::vector<std::pair<std::string, Tensor>> new_constants_;
  std::set<std::string> value_names_;
  std::set<std::string> node_names_;
  std::set<std::string> reserved_node_names_;  // the IR's own node names, kept for the nodes they name
  std::set<std::string> produced_;             // values written by an exported node
  std::set<std::string> read_;                 // values read by an exported node
  std::map<std::tuple<std::string, std::string, std::string, std::int64_t>, std::string> dequantized_;
};

std::string QdqExporter::fresh_value(const std::string& base) {
  std::string name = base;
  for (int i = 1; value_names_.count(name) != 0; ++i) name = str_cat(base, "_", i);
  value_names_.insert(name);
  return name;
}

std::string QdqExporter::fresh_node(const std::string& base) {
  std::string name = base;
  for (int i = 1; node_names_.count(name) != 0 || reserved_node_names_.count(name) != 0; ++i)
    name = str_cat(base, "_", i);
  node_names_.insert(name);
  return name;
}

std::string QdqExporter::add_constant(const std::string& base, Tensor value) {
  const std::string name = fresh_value(base);
  new_constants_.emplace_back(name, std::move(value));
  return name;
}

onnx::NodeProto& QdqExporter::emit(const std::string& op, const std::string& name,
                                   const std::vector<std::string>& inputs, const std::vector<std::string>& outputs) {
  onnx::NodeProto& proto = nodes_.emplace_back();
  proto.set_op_type(op);
  proto.set_name(name);
  node_names_.insert(name);
  for (const std::string& in : inputs) {
    proto.add_input(in);
    if (!in.empty()) read_.insert(in);
  }
  for (const std::string& out : outputs) {
    proto.add_output(out);
    if (!out.empty()) produced_.insert(out);
  }
  return proto;
}

Result<ValueInfo> QdqExporter::info_of(const Node& node, const std::string& value, std::string_view role) const {
  std::optional<ValueInfo> info = graph_.find_value_info(value);
  if (!info || info->dtype == DType::kUndefined) {
    return invalid_argument(node.describe(), ": the type of ", role, " '", value,
                            "' is unknown (run shape inference before export)");
  }
  return *info;
}

Result<std::int64_t> QdqExporter::count_of(const Node& node, const std::string& value, std::string_view role) const {
  EDGEAI_ASSIGN_OR_RETURN(const ValueInfo info, info_of(node, value, role));
  std::optional<std::int64_t> count = edgeai::element_count(info.shape);
  if (!count) {
    return invalid_argument(node.describe(), ": the shape of ", role, " '", value, "' is not static (",
                            shape_to_string(info.shape), "), so per-tensor and per-channel cannot be told apart");
  }
  return *count;
}

DType QdqExporter::output_dtype(const Node& node, std::size_t fallback_input) const {
  std::optional<ValueInfo> out = graph_.find_value_info(node.outputs[0]);
  if (out && out->dtype != DType::kUndefined) return out->dtype;
  std::optional<ValueInfo> in =
      node.has_input(fallback_input) ? graph_.find_value_info(node.inputs[fallback_input]) : std::nullopt;
  return in && in->dtype != DType::kUndefined ? in->dtype : DType::kInt8;
}

// DequantizeLinear-13 (https://onnx.ai/onnx/operators/onnx__DequantizeLinear.html): y = (x - zp) *
// scale, per tensor or along `axis`. One node per (value, parameters): consumers share it (ORT's
// EnsureUniqueDQForNodeUnit duplicates it where its fusions need their own).
std::string QdqExporter::dequantize(const std::string& x, const std::string& scale, const std::string& zero_point,
                                    std::optional<std::int64_t> axis) {
  const auto key = std::make_tuple(x, scale, zero_point, axis.value_or(INT64_MIN));
  auto it = dequantized_.find(key);
  if (it != dequantized_.end()) return it->second;
  const std::string out = fresh_value(x + "_dequantized");
  std::vector<std::string> inputs = {x, scale};
  if (!zero_point.empty()) inputs.push_back(zero_point);
  onnx::NodeProto& dq = emit("DequantizeLinear", fresh_node(x + "_DequantizeLinear"), inputs, {out});
  if (axis) fill_attribute_proto("axis", Attribute(*axis), dq.add_attribute());
  dequantized_[key] = out;
  return out;
}

// A weight (input `w`) with its scale: per tensor, or per channel along `axis` with a 1-D scale
// and a zero point of the same length (DequantizeLinear-13 wants both 1-D for per-axis; the IR's
// QLinearConv and QGemm allow a scalar zero point with per-channel scales, so it is expanded).
Result<std::string> QdqExporter::dequantize_weight(const Node& node, std::size_t w, std::size_t scale,
                                                   std::size_t zero_point, std::int64_t axis) {
  const std::string& w_name = node.inputs[w];
  const std::string& scale_name = node.inputs[scale];
  EDGEAI_ASSIGN_OR_RETURN(const ValueInfo w_info, info_of(node, w_name, "weight"));
  EDGEAI_ASSIGN_OR_RETURN(const std::int64_t channels, count_of(node, scale_name, "weight scale"));
  if (channels <= 1) return dequantize(w_name, scale_name, input(node, zero_point));
  const std::int64_t rank = static_cast<std::int64_t>(w_info.shape.size());
  if (axis >= rank ||
      (w_info.shape[static_cast<std::size_t>(axis)] >= 0 && w_info.shape[static_cast<std::size_t>(axis)] != channels)) {
    return invalid_argument(node.describe(), ": weight '", w_name, "' ", shape_to_string(w_info.shape), " has no axis ",
                            axis, " of ", channels, " channels for its ", channels, " scales");
  }
  std::string scale_1d = scale_name;
  if (const Tensor* s = graph_.find_constant(scale_name); s != nullptr && s->shape().size() != 1) {
    scale_1d = add_constant(scale_name + "_1d", s->reshaped({channels}).value());
  }
  std::string zp_1d;
  if (!node.has_input(zero_point)) {
    zp_1d = add_constant(w_name + "_zero_point", zeros(w_info.dtype, channels));
  } else if (const Tensor* zp = graph_.find_constant(node.inputs[zero_point]); zp != nullptr) {
    if (zp->num_elements() == channels && zp->shape().size() == 1) {
      zp_1d = node.inputs[zero_point];
    } else if (zp->num_elements() == channels || zp->num_elements() == 1) {
      Tensor expanded = Tensor::allocate(zp->dtype(), {channels}).value();
      const std::size_t bytes = dtype_size(zp->dtype());
      for (std::int64_t c = 0; c < channels; ++c) {
        const std::int64_t from = zp->num_elements() == 1 ? 0 : c;
        std::memcpy(static_cast<char*>(expanded.raw_data()) + c * bytes,
                    static_cast<const char*>(zp->raw_data()) + from * bytes, bytes);
      }
      zp_1d = add_constant(node.inputs[zero_point] + "_per_channel", std::move(expanded));
    } else {
      return invalid_argument(node.describe(), ": zero point '", node.inputs[zero_point], "' has ", zp->num_elements(),
                              " values for ", channels, " channels");
    }
  } else {
    EDGEAI_ASSIGN_OR_RETURN(const std::int64_t zp_count, count_of(node, node.inputs[zero_point], "zero point"));
    if (zp_count != channels) {
      return unsupported(node.describe(), ": per-channel scales with the per-tensor zero point '",
                         node.inputs[zero_point], "' fed at run time have no DequantizeLinear form (it must be a ",
                         "constant or have one value per channel)");
    }
    zp_1d = node.inputs[zero_point];
  }
  return dequantize(w_name, scale_1d, zp_1d, axis);
}

// The int32 bias of QLinearConv / QGemm: in the QDQ form (as ORT's quantiser writes it) a
// DequantizeLinear of the int32 values with scale x_scale * w_scale[c] and zero point 0, along
// the channel axis; ORT's QDQ fusion then hands the int32 values to its integer kernel as they are.
Result<std::string> QdqExporter::dequantize_bias(const Node& node, std::size_t bias, const std::string& x_scale,
                                                 const std::string& w_scale, std::int64_t channels) {
  const Tensor* xs = graph_.find_constant(x_scale);
  const Tensor* ws = graph_.find_constant(w_scale);
  if (xs == nullptr || ws == nullptr || xs->dtype() != DType::kFloat32 || ws->dtype() != DType::kFloat32 ||
      xs->num_elements() != 1) {
    return unsupported(node.describe(), ": the int32 bias '", node.inputs[bias],
                       "' needs a constant float32 scalar input scale and constant float32 weight scales to be ",
                       "written as DequantizeLinear (scale = x_scale * w_scale)");
  }
  const float x = xs->data<float>()[0];
  const std::string& b_name = node.inputs[bias];
  EDGEAI_ASSIGN_OR_RETURN(const ValueInfo b_info, info_of(node, b_name, "bias"));
  if (b_info.dtype != DType::kInt32) {
    return invalid_argument(node.describe(), ": bias '", b_name, "' must be int32, got ", dtype_name(b_info.dtype));
  }
  if (ws->num_elements() == 1) {
    const std::string scale = add_constant(b_name + "_scale", filled<float>({}, x * ws->data<float>()[0]));
    const std::string zp = add_constant(b_name + "_zero_point", zeros(DType::kInt32, std::nullopt));
    return dequantize(b_name, scale, zp);
  }
  if (ws->num_elements() != channels) {
    return invalid_argument(node.describe(), ": weight scale '", w_scale, "' has ", ws->num_elements(), " values for ",
                            channels, " output channels");
  }
  // Per channel along the bias's last axis; a bias that broadcasts over the channels (a scalar, or
  // a last dimension of 1) is widened to one value per channel, as the scales differ.
  std::string values = b_name;
  Shape shape = b_info.shape;
  if (shape.empty() || shape.back() == 1) {
    const Tensor* b = graph_.find_constant(b_name);
    if (b == nullptr) {
      return unsupported(node.describe(), ": bias '", b_name, "' ", shape_to_string(shape),
                         " broadcasts over channels with different scales; only a constant one can be widened");
    }
    if (shape.empty()) shape = {1};
    const std::int64_t rows = b->num_elements();
    shape.back() = channels;
    Tensor wide = Tensor::allocate(DType::kInt32, shape).value();
    for (std::int64_t r = 0; r < rows; ++r) {
      for (std::int64_t c = 0; c < channels; ++c)
        wide.data<std::int32_t>()[r * channels + c] = b->data<std::int32_t>()[r];
    }
    values = add_constant(b_name + "_per_channel", std::move(wide));
  } else if (shape.back() != channels) {
    return invalid_argument(node.describe(), ": bias '", b_name, "' ", shape_to_string(shape), " does not have ",
                            channels, " output channels in its last dimension");
  }
  std::vector<float> scales(static_cast<std::size_t>(channels));
  for (std::int64_t c = 0; c < channels; ++c) scales[static_cast<std::size_t>(c)] = x * ws->data<float>()[c];
  const std::string scale = add_constant(b_name + "_scale", Tensor::from_vector<float>({channels}, scales));
  const std::string zp = add_constant(b_name + "_zero_point", zeros(DType::kInt32, channels));
  return dequantize(values, scale, zp, static_cast<std::int64_t>(shape.size()) - 1);
}

// HardSwish is ONNX opset 14 (https://onnx.ai/onnx/operators/onnx__HardSwish.html):
// y = x * max(0, min(1, x / 6 + 1/2)), which is x * HardSigmoid(x; alpha = 1/6, beta = 1/2) in opset 6.
void QdqExporter::emit_hard_swish(const std::string& node_name, const std::string& in, const std::string& out) {
  const std::string gate = fresh_value(out + "_hardsigmoid");
  onnx::NodeProto& hs = emit("HardSigmoid", fresh_node(node_name + "_HardSigmoid"), {in}, {gate});
  fill_attribute_proto("alpha", Attribute(1.0f / 6.0f), hs.add_attribute());
  fill_attribute_proto("beta", Attribute(0.5f), hs.add_attribute());
  emit("Mul", fresh_node(node_name + "_HardSwish"), {in, gate}, {out});
}

// The standard node for a fused activation (graph/fused_activation.hpp), reading `in`, writing `out`.
Status QdqExporter::emit_activation(const Node& node, const FusedActivation& act, const std::string& in,
                                    const std::string& out) {
  const std::string name = std::string(activation_name(act.kind));
  switch (act.kind) {
    case ActivationKind::kNone:
      return internal_error(node.describe(), ": no activation to emit");
    case ActivationKind::kHardSwish:
      emit_hard_swish(node.name, in, out);
      return Status::ok();
    case ActivationKind::kClip: {
      // Clip-13 takes min and max as inputs; an infinite bound is an absent one.
      const std::string lo =
          std::isinf(act.alpha) ? std::string() : add_constant(node.name + "_clip_min", filled<float>({}, act.alpha));
      const std::string hi =
          std::isinf(act.beta) ? std::string() : add_constant(node.name + "_clip_max", filled<float>({}, act.beta));
      emit("Clip", fresh_node(node.name + "_Clip"), {in, lo, hi}, {out});
      return Status::ok();
    }
    case ActivationKind::kRelu:
    case ActivationKind::kSigmoid:
    case ActivationKind::kTanh:
      emit(name, fresh_node(node.name + "_" + name), {in}, {out});
      return Status::ok();
    case ActivationKind::kSilu: {
      const std::string gate = fresh_value(out + "_sigmoid");
      emit("Sigmoid", fresh_node(node.name + "_Sigmoid"), {in}, {gate});
      emit("Mul", fresh_node(node.name + "_SiLU"), {in, gate}, {out});
      return Status::ok();
    }
    case ActivationKind::kGatedHardSigmoid: {
      const std::string gate = fresh_value(out + "_hardsigmoid");
      onnx::NodeProto& n = emit("HardSigmoid", fresh_node(node.name + "_HardSigmoid"), {in}, {gate});
      fill_attribute_proto("alpha", Attribute(act.alpha), n.add_attribute());
      fill_attribute_proto("beta", Attribute(act.beta), n.add_attribute());
      emit("Mul", fresh_node(node.name + "_GatedHardSigmoid"), {in, gate}, {out});
      return Status::ok();
    }
    case ActivationKind::kLeakyRelu: {
      onnx::NodeProto& n = emit(name, fresh_node(node.name + "_" + name), {in}, {out});
      fill_attribute_proto("alpha", Attribute(act.alpha), n.add_attribute());
      return Status::ok();
    }
    case ActivationKind::kHardSigmoid: {
      onnx::NodeProto& n = emit(name, fresh_node(node.name + "_" + name), {in}, {out});
      fill_attribute_proto("alpha", Attribute(act.alpha), n.add_attribute());
      fill_attribute_proto("beta", Attribute(act.beta), n.add_attribute());
      return Status::ok();
    }
  }
  return internal_error(node.describe(), ": unknown activation");
}

Status QdqExporter::emit_quantized_compute(const Node& node, const std::string& op,
                                           const std::vector<std::string>& inputs,
                                           const std::map<std::string, Attribute>& attributes, std::size_t y_scale,
                                           std::size_t y_zero_point, std::size_t type_input) {
  EDGEAI_ASSIGN_OR_RETURN(const FusedActivation act, fused_activation_of(node));
  const std::string& out = node.outputs[0];
  const bool has_output_scale = node.has_input(y_scale);  // QGemm without y_scale has a float output
  std::string y = has_output_scale || act.kind != ActivationKind::kNone ? fresh_value(out + "_float") : out;
  onnx::NodeProto& compute = emit(op, node.name, inputs, {y});
  for (const auto& [key, value] : attributes) fill_attribute_proto(key, value, compute.add_attribute());
  if (act.kind != ActivationKind::kNone) {
    const std::string activated = has_output_scale ? fresh_value(out + "_activated") : out;
    EDGEAI_RETURN_IF_ERROR(emit_activation(node, act, y, activated));
    y = activated;
  }
  if (!has_output_scale) return Status::ok();
  // QuantizeLinear-13 (https://onnx.ai/onnx/operators/onnx__QuantizeLinear.html) gives uint8
  // without a zero point; the contrib operators' default is a zero of the input type.
  std::string zp = input(node, y_zero_point);
  const DType out_dtype = output_dtype(node, type_input);
  if (zp.empty() && out_dtype != DType::kUInt8) zp = add_constant(out + "_zero_point", zeros(out_dtype, std::nullopt));
  std::vector<std::string> q_inputs = {y, node.inputs[y_scale]};
  if (!zp.empty()) q_inputs.push_back(zp);
  emit("QuantizeLinear", fresh_node(node.name + "_QuantizeLinear"), q_inputs, {out});
  return Status::ok();
}

std::map<std::string, Attribute> attributes_without_activation(const Node& node) {
  std::map<std::string, Attribute> attributes = node.attributes;
  for (const char* key : kActivationAttrs) attributes.erase(key);
  return attributes;
}

Status require_inputs(const Node& node, std::initializer_list<std::size_t> indices) {
  for (std::size_t i : indices) {
    if (!node.has_input(i)) return invalid_argument(node.describe(), ": input ", i, " is required");
  }
  return Status::ok();
}

// QLinearConv (inputs x, x_scale, x_zp, w, w_scale, w_zp, y_scale, y_zp, B?) as
// DQ(x), DQ(w, axis 0), DQ(B) -> Conv -> activation -> Q.
Status QdqExporter::export_qlinear_conv(const Node& node) {
  EDGEAI_RETURN_IF_ERROR(require_inputs(node, {0, 1, 3, 4, 6}));
  const std::string x = dequantize(node.inputs[0], node.inputs[1], input(node, 2));
  EDGEAI_ASSIGN_OR_RETURN(const std::string w, dequantize_weight(node, 3, 4, 5, 0));
  std::vector<std::string> inputs = {x, w};
  if (node.has_input(8)) {
    EDGEAI_ASSIGN_OR_RETURN(const ValueInfo w_info, info_of(node, node.inputs[3], "weight"));
    if (w_info.shape.empty() || w_info.shape[0] < 0) {
      return invalid_argument(node.describe(), ": the output channels of weight '", node.inputs[3], "' are unknown");
    }
    EDGEAI_ASSIGN_OR_RETURN(std::string b, dequantize_bias(node, 8, node.inputs[1], node.inputs[4], w_info.shape[0]));
    inputs.push_back(std::move(b));
  }
  return emit_quantized_compute(node, "Conv", inputs, attributes_without_activation(node), 6, 7, 0);
}

// QGemm (com.microsoft; inputs A, a_scale, a_zp, B, b_scale, b_zp, C?, y_scale?, y_zp?) as
// DQ(A), DQ(B, per output column: axis 0 with transB, else 1), DQ(C) -> Gemm -> activation -> Q.
Status QdqExporter::export_qgemm(const Node& node) {
  EDGEAI_RETURN_IF_ERROR(require_inputs(node, {0, 1, 3, 4}));
  const bool trans_b = node.attr_int("transB", 0) != 0;
  EDGEAI_ASSIGN_OR_RETURN(const ValueInfo b_info, info_of(node, node.inputs[3], "B"));
  if (b_info.shape.size() != 2)
    return invalid_argument(node.describe(), ": B must be 2-D, got ", shape_to_string(b_info.shape));
  const std::int64_t n = trans_b ? b_info.shape[0] : b_info.shape[1];
  const std::string a = dequantize(node.inputs[0], node.inputs[1], input(node, 2));
  EDGEAI_ASSIGN_OR_RETURN(const std::string b, dequantize_weight(node, 3, 4, 5, trans_b ? 0 : 1));
  std::vector<std::string> inputs = {a, b};
  if (node.has_input(6)) {
    EDGEAI_ASSIGN_OR_RETURN(std::string c, dequantize_bias(node, 6, node.inputs[1], node.inputs[4], n));
    inputs.push_back(std::move(c));
  }
  return emit_quantized_compute(node, "Gemm", inputs, attributes_without_activation(node), 7, 8, 0);
}

// QLinearMatMul (inputs a, a_scale, a_zp, b, b_scale, b_zp, y_scale, y_zp) as DQ(a), DQ(b, per
// column: its last axis) -> MatMul -> Q.
Status QdqExporter::export_qlinear_matmul(const Node& node) {
  EDGEAI_RETURN_IF_ERROR(require_inputs(node, {0, 1, 3, 4, 6}));
  EDGEAI_ASSIGN_OR_RETURN(const ValueInfo b_info, info_of(node, node.inputs[3], "b"));
  const std::string a = dequantize(node.inputs[0], node.inputs[1], input(node, 2));
  const std::int64_t last_axis = std::max<std::int64_t>(0, static_cast<std::int64_t>(b_info.shape.size()) - 1);
  EDGEAI_ASSIGN_OR_RETURN(const std::string b, dequantize_weight(node, 3, 4, 5, last_axis));
  return emit_quantized_compute(node, "MatMul", {a, b}, attributes_without_activation(node), 6, 7, 0);
}

// QLinearAdd / QLinearMul (com.microsoft; A, A_scale, A_zp?, B, B_scale, B_zp?, C_scale, C_zp?).
Status QdqExporter::export_qlinear_binary(const Node& node, const std::string& op) {
  EDGEAI_RETURN_IF_ERROR(require_inputs(node, {0, 1, 3, 4, 6}));
  const std::string a = dequantize(node.inputs[0], node.inputs[1], input(node, 2));
  const std::string b = dequantize(node.inputs[3], node.inputs[4], input(node, 5));
  return emit_quantized_compute(node, op, {a, b}, attributes_without_activation(node), 6, 7, 0);
}

// QLinearConcat (com.microsoft; Y_scale, Y_zp, then X, X_scale, X_zp per input).
Status QdqExporter::export_qlinear_concat(const Node& node) {
  if (node.inputs.size() < 5 || (node.inputs.size() - 2) % 3 != 0) {
    return invalid_argument(node.describe(), ": expected Y_scale, Y_zero_point and (X, X_scale, X_zero_point) per ",
                            "input, got ", node.inputs.size(), " inputs");
  }
  std::vector<std::string> inputs;
  for (std::size_t i = 2; i < node.inputs.size(); i += 3) {
    EDGEAI_RETURN_IF_ERROR(require_inputs(node, {i, i + 1}));
    inputs.push_back(dequantize(node.inputs[i], node.inputs[i + 1], input(node, i + 2)));
  }
  return emit_quantized_compute(node, "Concat", inputs, node.attributes, 0, 1, 2);
}

// QLinearAveragePool / QLinearGlobalAveragePool (com.microsoft; X, x_scale, x_zp?, y_scale, y_zp?).
Status QdqExporter::export_qlinear_pool(const Node& node, const std::string& op) {
  EDGEAI_RETURN_IF_ERROR(require_inputs(node, {0, 1, 3}));
  if (node.attr_int("channels_last", 0) != 0) {
    return unsupported(node.describe(), ": channels_last = 1 has no ", op, " form (ONNX pools are NCHW)");
  }
  std::map<std::string, Attribute> attributes = node.attributes;
  attributes.erase("channels_last");
  const std::string x = dequantize(node.inputs[0], node.inputs[1], input(node, 2));
  return emit_quantized_compute(node, op, {x}, attributes, 3, 4, 0);
}

// QLinearLookup (edgeai; y = Table[x - min(T)]) exactly, in integers: Cast(x -> int32), Add 128
// for int8, Gather(Table, index, axis 0) (https://onnx.ai/onnx/operators/onnx__Gather.html).
Status QdqExporter::export_qlinear_lookup(const Node& node) {
  EDGEAI_RETURN_IF_ERROR(require_inputs(node, {0, 1}));
  EDGEAI_ASSIGN_OR_RETURN(const ValueInfo x_info, info_of(node, node.inputs[0], "X"));
  EDGEAI_ASSIGN_OR_RETURN(const ValueInfo table_info, info_of(node, node.inputs[1], "Table"));
  if (x_info.dtype != DType::kInt8 && x_info.dtype != DType::kUInt8) {
    return invalid_argument(node.describe(), ": X must be int8 or uint8, got ", dtype_name(x_info.dtype));
  }
  if (table_info.shape != Shape{256}) {
    return invalid_argument(node.describe(), ": Table must be 1-D of 256 entries, got ",
                            shape_to_string(table_info.shape));
  }
  const std::string& out = node.outputs[0];
  std::string index = fresh_value(out + "_index");
  onnx::NodeProto& cast = emit("Cast", fresh_node(node.name + "_Cast"), {node.inputs[0]}, {index});
  fill_attribute_proto("to", Attribute(std::int64_t{onnx::TensorProto::INT32}), cast.add_attribute());
  if (x_info.dtype == DType::kInt8) {
    const std::string offset = add_constant(node.name + "_offset", filled<std::int32_t>({}, 128));
    const std::string shifted = fresh_value(out + "_index_shifted");
    emit("Add", fresh_node(node.name + "_Add"), {index, offset}, {shifted});
    index = shifted;
  }
  onnx::NodeProto& gather = emit("Gather", node.name, {node.inputs[1], index}, {out});
  fill_attribute_proto("axis", Attribute(std::int64_t{0}), gather.add_attribute());
  return Status::ok();
}

// IR forms newer than opset 13 (the importer accepts them up to opset 17, some schemas take
// opset-18 forms) rewritten into opset 13 where the meaning is the same; otherwise an error.
Status QdqExporter::rewrite_to_opset13(Node& node) {
  const std::string& op = node.op_type;
  auto attribute_to_input = [&](const char* attr, std::size_t index) {
    auto it = node.attributes.find(attr);
    if (it == node.attributes.end()) return;
    const std::vector<std::int64_t> values = it->second.as_ints();
    node.attributes.erase(it);
    if (node.inputs.size() <= index) node.inputs.resize(index + 1);
    node.inputs[index] =
        add_constant(str_cat(node.name, "_", attr),
                     Tensor::from_vector<std::int64_t>({static_cast<std::int64_t>(values.size())}, values));
  };
  // Squeeze-13, Unsqueeze-13, ReduceSum-13, Split-13: axes / split are inputs.
  if (op == "Squeeze" || op == "Unsqueeze" || op == "ReduceSum") attribute_to_input("axes", 1);
  if (op == "Split") {
    attribute_to_input("split", 1);
    // Split-18's num_outputs: chunks of ceil(dim / n), the last one smaller.
    if (node.has_attr("num_outputs")) {
      const std::int64_t count = node.attr_int("num_outputs", 0);
      node.attributes.erase("num_outputs");
      if (!node.has_input(1)) {
        EDGEAI_ASSIGN_OR_RETURN(const ValueInfo x, info_of(node, node.inputs[0], "input"));
        const std::int64_t rank = static_cast<std::int64_t>(x.shape.size());
        std::int64_t axis = node.attr_int("axis", 0);
        if (axis < 0) axis += rank;
        if (axis < 0 || axis >= rank || x.shape[static_cast<std::size_t>(axis)] < 0 || count <= 0) {
          return unsupported(node.describe(), ": num_outputs (opset 18) needs a known split dimension for opset 13");
        }
        const std::int64_t dim = x.shape[static_cast<std::size_t>(axis)];
        const std::int64_t chunk = (dim + count - 1) / count;
        std::vector<std::int64_t> sizes;
        for (std::int64_t left = dim; left > 0; left -= chunk) sizes.push_back(std::min(chunk, left));
        if (static_cast<std::int64_t>(sizes.size()) != count) {
          return unsupported(node.describe(), ": num_outputs ", count, " does not split ", dim, " into ", count,
                             " parts");
        }
        if (node.inputs.size() < 2) node.inputs.resize(2);
        node.inputs[1] = add_constant(node.name + "_split", Tensor::from_vector<std::int64_t>({count}, sizes));
      }
    }
  }
  if (is_reduce_with_axes_attribute(op)) {
    if (node.has_input(1)) {
      const Tensor* axes = graph_.find_constant(node.inputs[1]);
      if (axes == nullptr || axes->dtype() != DType::kInt64) {
        return unsupported(node.describe(), ": axes fed at run time (opset 18) have no opset-13 form");
      }
      node.attributes["axes"] = Attribute(
          std::vector<std::int64_t>(axes->data<std::int64_t>(), axes->data<std::int64_t>() + axes->num_elements()));
      node.inputs.resize(1);
    }
    if (node.attr_int("noop_with_empty_axes", 0) != 0 && !node.has_attr("axes")) {
      return unsupported(node.describe(), ": noop_with_empty_axes without axes has no opset-13 form");
    }
    node.attributes.erase("noop_with_empty_axes");
  }
  if (op == "Reshape") {
    if (node.attr_int("allowzero", 0) != 0) return unsupported(node.describe(), ": allowzero = 1 is opset 14");
    node.attributes.erase("allowzero");
  }
  if (op == "BatchNormalization") {
    if (node.attr_int("training_mode", 0) != 0) return unsupported(node.describe(), ": training_mode = 1 is opset 14");
    node.attributes.erase("training_mode");
  }
  if (op == "Cast") node.attributes.erase("saturate");  // opset 19, only for float8 targets
  if (op == "Shape" && (node.has_attr("start") || node.has_attr("end"))) {
    return unsupported(node.describe(), ": start/end are opset 15");
  }
  if (op == "Pad" && node.has_input(3)) return unsupported(node.describe(), ": the axes input is opset 18");
  return Status::ok();
}

Status QdqExporter::export_standard(const Node& original) {
  Node node = original;
  EDGEAI_ASSIGN_OR_RETURN(const FusedActivation act, fused_activation_of(node));
  node.attributes = attributes_without_activation(node);
  if (node.op_type == "HardSwish") {
    if (node.inputs.size() != 1 || node.outputs.size() != 1) {
      return invalid_argument(node.describe(), ": expected one input and one output");
    }
    emit_hard_swish(node.name, node.inputs[0], node.outputs[0]);
    return Status::ok();
  }
  if (onnx::OpSchemaRegistry::Schema(node.op_type, kExportOnnxOpset, onnx::ONNX_DOMAIN) == nullptr) {
    return unsupported(node.describe(), ": operator ", node.op_type, " has no ONNX opset-", kExportOnnxOpset,
                       " form, so the model cannot be exported");
  }
  EDGEAI_RETURN_IF_ERROR(rewrite_to_opset13(node));
  std::string out;
  if (act.kind != ActivationKind::kNone) {
    if (node.outputs.size() != 1) return invalid_argument(node.describe(), ": a fused activation needs one output");
    out = node.outputs[0];
    node.outputs[0] = fresh_value(out + "_preactivation");
  }
  onnx::NodeProto& proto = emit(node.op_type, node.name, node.inputs, node.outputs);
  for (const auto& [key, value] : node.attributes) fill_attribute_proto(key, value, proto.add_attribute());
  if (act.kind != ActivationKind::kNone) return emit_activation(original, act, node.outputs[0], out);
  return Status::ok();
}

Status QdqExporter::export_node(const Node& node) {
  if (node.outputs.empty() || node.outputs[0].empty()) return invalid_argument(node.describe(), ": has no output");
  const std::string& op = node.op_type;
  if (op == "QLinearConv") return export_qlinear_conv(node);
  if (op == "QGemm") return export_qgemm(node);
  if (op == "QLinearMatMul") return export_qlinear_matmul(node);
  if (op == "QLinearAdd") return export_qlinear_binary(node, "Add");
  if (op == "QLinearMul") return export_qlinear_binary(node, "Mul");
  if (op == "QLinearConcat") return export_qlinear_concat(node);
  if (op == "QLinearAveragePool") return export_qlinear_pool(node, "AveragePool");
  if (op == "QLinearGlobalAveragePool") return export_qlinear_pool(node, "GlobalAveragePool");
  if (op == "QLinearLookup") return export_qlinear_lookup(node);
  return export_standard(node);
}

Result<onnx::ModelProto> QdqExporter::build(const ExportOptions& options) {
  // int16 activations need QuantizeLinear/DequantizeLinear of opset 21; this exporter writes 13.
  for (const auto& [name, t] : graph_.constants) {
    if (t.dtype() == DType::kInt16) {
      return unsupported("'", name, "' is int16: a model with int16 activations (edgeai compress --activations int16) "
                         "needs ONNX opset 21 QuantizeLinear, and edgeai export writes opset ", kExportOnnxOpset,
                         "; run it with the edgeai runtime, or export the int8 model");
    }
  }
  for (const Node& node : graph_.nodes) EDGEAI_RETURN_IF_ERROR(export_node(node));

  onnx::ModelProto model;
  model.set_ir_version(kExportOnnxIrVersion);
  model.set_producer_name("edgeai");
  model.set_producer_version(options.producer_version);
  onnx::OperatorSetIdProto* opset = model.add_opset_import();
  opset->set_domain("");
  opset->set_version(kExportOnnxOpset);
  for (const auto& [key, value] : options.metadata) {
    onnx::StringStringEntryProto* entry = model.add_metadata_props();
    entry->set_key(key);
    entry->set_value(value);
  }
  onnx::GraphProto* graph = model.mutable_graph();
  graph->set_name(graph_.name.empty() ? "edgeai" : graph_.name);
  for (const ValueInfo& in : graph_.inputs) {
    if (in.dtype == DType::kUndefined) return invalid_argument("graph input '", in.name, "' has no data type");
    fill_value_info_proto(in, graph->add_input());
  }
  for (const ValueInfo& declared : graph_.outputs) {
    std::optional<ValueInfo> info = graph_.find_value_info(declared.name);
    if (!info || info->dtype == DType::kUndefined) {
      return invalid_argument("graph output '", declared.name, "' has no known data type (run shape inference first)");
    }
    fill_value_info_proto(*info, graph->add_output());
    read_.insert(declared.name);
  }
  // Weights the exported nodes read (constants only a folded node read are left out), then the
  // scales, zero points and tables the QDQ form added.
  for (const auto& [name, tensor] : graph_.constants) {
    if (read_.count(name) == 0) continue;
    onnx::TensorProto* init = graph->add_initializer();
    init->set_name(name);
    fill_tensor_proto(tensor, init);
  }
  for (const auto& [name, tensor] : new_constants_) {
    onnx::TensorProto* init = graph->add_initializer();
    init->set_name(name);
    fill_tensor_proto(tensor, init);
  }
  for (onnx::NodeProto& node : nodes_) *graph->add_node() = std::move(node);
  for (const auto& [name, info] : graph_.value_info) {
    if (produced_.count(name) == 0 || graph_.is_graph_output(name) || info.dtype == DType::kUndefined) continue;
    fill_value_info_proto(info, graph->add_value_info());
  }
  return model;
}

// ---- int8 activations as uint8 ----------------------------------------------------------

// Operators that only move or select int8 values: they commute with adding 128 to every value.
bool moves_values(const std::string& op) {
  return op == "MaxPool" || op == "Reshape" || op == "Flatten" || op == "Transpose" || op == "Squeeze" ||
         op == "Unsqueeze" || op == "Identity" || op == "Concat" || op == "Slice" || op == "Split" || op == "Gather" ||
         op == "Expand" || op == "Pad" || op == "GlobalMaxPool" || op == "ReduceMax" || op == "ReduceMin";
}

// (tensor input, its zero point input) pairs of a quantised operator, and the zero point that
// sets its output type; kNone where there is none. Weights (`weight_slot`) stay int8 when constant.
constexpr std::size_t kNone = static_cast<std::size_t>(-1);
struct QuantizedSlots {
  std::vector<std::pair<std::size_t, std::size_t>> operands;
  std::size_t output_zero_point = kNone;
  std::size_t weight_slot = kNone;
};

std::optional<QuantizedSlots> quantized_slots(const Node& node) {
  const std::string& op = node.op_type;
  if (op == "QuantizeLinear") return QuantizedSlots{{}, 2, kNone};
  if (op == "DequantizeLinear") return QuantizedSlots{{{0, 2}}, kNone, kNone};
  if (op == "QLinearConv" || op == "QLinearMatMul") return QuantizedSlots{{{0, 2}, {3, 5}}, 7, 3};
  if (op == "QGemm") return QuantizedSlots{{{0, 2}, {3, 5}}, 8, 3};
  if (op == "ConvInteger" || op == "MatMulInteger") return QuantizedSlots{{{0, 2}, {1, 3}}, kNone, 1};
  if (op == "QLinearAdd" || op == "QLinearMul") return QuantizedSlots{{{0, 2}, {3, 5}}, 7, kNone};
  if (op == "QLinearAveragePool" || op == "QLinearGlobalAveragePool") return QuantizedSlots{{{0, 2}}, 4, kNone};
  if (op == "QLinearConcat") {
    QuantizedSlots slots{{}, 1, kNone};
    for (std::size_t i = 2; i + 1 < node.inputs.size(); i += 3) slots.operands.emplace_back(i, i + 2);
    return slots;
  }
  return std::nullopt;
}

// Rewrites every int8 activation of `graph` as uint8 holding the same real values: q + 128 with
// zero point z + 128 (DequantizeLinear gives (q + 128 - (z + 128)) * s, unchanged; QuantizeLinear
// saturates to [0, 255] exactly where it saturated to [-128, 127]). Constant int8 weights of the
// matrix operators stay int8: the U8S8 form ONNX Runtime's x86 kernels take (its QDQ fusion only
// fuses int8 activations into QLinearConv / QLinearMatMul on ARM). Lookup tables shift with
// their output; an int8 graph input or output, or an operator that computes on int8 values
// (rather than moving them), is an error naming it.
Status shift_activations_to_uint8(Graph& graph) {
  for (const auto* list : {&graph.inputs, &graph.outputs}) {
    for (const ValueInfo& v : *list) {
      if (v.dtype == DType::kInt8) {
        return unsupported("graph ", list == &graph.inputs ? "input" : "output", " '", v.name,
                           "' is int8: uint8 activations would change the model's interface");
      }
    }
  }
  const auto is_int8 = [&](const std::string& v) {
    std::optional<ValueInfo> info = v.empty() ? std::nullopt : graph.find_value_info(v);
    return info && info->dtype == DType::kInt8;
  };
  std::set<std::string> names;
  for (const auto& [name, t] : graph.constants) names.insert(name);
  for (const Node& n : graph.nodes) names.insert(n.outputs.begin(), n.outputs.end());
  std::map<std::string, std::string> shifted_constants;
  std::optional<std::string> shifted_zero;
  const auto shifted_constant = [&](const std::string& v) -> std::string {
    auto it = shifted_constants.find(v);
    if (it != shifted_constants.end()) return it->second;
    const Tensor& from = *graph.find_constant(v);
    Tensor to = Tensor::allocate(DType::kUInt8, from.shape()).value();
    for (std::int64_t i = 0; i < from.num_elements(); ++i) {
      to.data<std::uint8_t>()[i] = static_cast<std::uint8_t>(from.data<std::int8_t>()[i] + 128);
    }
    std::string name = v + "_uint8";
    for (int i = 1; names.count(name) != 0; ++i) name = str_cat(v, "_uint8_", i);
    names.insert(name);
    graph.constants[name] = std::move(to);
    return shifted_constants[v] = name;
  };
  // An absent zero point of a shifted tensor is 0 in int8, so 128 in uint8.
  const auto uint8_zero = [&]() -> std::string {
    if (shifted_zero) return *shifted_zero;
    std::string name = "uint8_zero_point_128";
    for (int i = 1; names.count(name) != 0; ++i) name = str_cat("uint8_zero_point_128_", i);
    names.insert(name);
    graph.constants[name] = filled<std::uint8_t>({}, 128);
    return *(shifted_zero = name);
  };
  // Shifts input slot i (a tensor or a zero point): a constant gets its uint8 copy; a computed
  // value is shifted where it is produced.
  const auto shift_input = [&](Node& node, std::size_t i) -> Status {
    const std::string& v = node.inputs[i];
    if (graph.find_constant(v) != nullptr) {
      node.inputs[i] = shifted_constant(v);
    } else if (graph.is_graph_input(v)) {
      return unsupported(node.describe(), ": int8 input '", v, "' is fed at run time and cannot be shifted to uint8");
    }
    return Status::ok();
  };
  for (Node& node : graph.nodes) {
    if (std::optional<QuantizedSlots> slots = quantized_slots(node)) {
      for (const auto& [tensor, zero_point] : slots->operands) {
        if (!node.has_input(tensor) || !is_int8(node.inputs[tensor])) continue;
        if (tensor == slots->weight_slot && graph.is_constant(node.inputs[tensor])) continue;  // int8 weight
        EDGEAI_RETURN_IF_ERROR(shift_input(node, tensor));
        if (node.has_input(zero_point)) {
          EDGEAI_RETURN_IF_ERROR(shift_input(node, zero_point));
        } else {
          if (node.inputs.size() <= zero_point) node.inputs.resize(zero_point + 1);
          node.inputs[zero_point] = uint8_zero();
        }
      }
      const std::size_t out_zp = slots->output_zero_point;
      if (out_zp != kNone && node.outputs.size() == 1 && is_int8(node.outputs[0])) {
        if (node.has_input(out_zp)) {
          EDGEAI_RETURN_IF_ERROR(shift_input(node, out_zp));
        } else {
          if (node.inputs.size() <= out_zp) node.inputs.resize(out_zp + 1);
          node.inputs[out_zp] = uint8_zero();
        }
      }
      continue;
    }
    if (node.op_type == "QLinearLookup") {
      // y = Table[x - min(T_x)]: index x + 128 for int8 x is index x for the shifted uint8 x.
      if (node.inputs.size() == 2 && is_int8(node.inputs[0])) EDGEAI_RETURN_IF_ERROR(shift_input(node, 0));
      if (node.inputs.size() == 2 && is_int8(node.inputs[1])) EDGEAI_RETURN_IF_ERROR(shift_input(node, 1));
      continue;
    }
    bool reads_int8 = false;
    for (const std::string& in : node.inputs) reads_int8 = reads_int8 || is_int8(in);
    if (!reads_int8) continue;
    if (!moves_values(node.op_type)) {
      return unsupported(node.describe(), " computes on int8 values; it has no uint8 form with the same results");
    }
    // The data inputs move; shape, index and axis inputs are int64. Pad's constant value shifts.
    for (std::size_t i = 0; i < node.inputs.size(); ++i) {
      if (is_int8(node.inputs[i])) EDGEAI_RETURN_IF_ERROR(shift_input(node, i));
    }
  }
  // Every int8 value is now produced from shifted inputs; infer the types again.
  graph.value_info.clear();
  EDGEAI_RETURN_IF_ERROR(infer_shapes_partially(graph).status());
  for (const Node& node : graph.nodes) {
    for (const std::string& out : node.outputs) {
      if (is_int8(out)) {
        return unsupported(node.describe(), " still produces int8 '", out, "' after the shift to uint8");
      }
    }
  }
  return Status::ok();
}

}  // namespace

Result<std::string> export_onnx(const Graph& source, const ExportOptions& options) {
  Graph graph = source;
  if (options.fold_constants) EDGEAI_RETURN_IF_ERROR(fold_constants(graph, evaluate_node));
  EDGEAI_RETURN_IF_ERROR(graph.sort_topologically());
  if (options.uint8_activations) {
    (void)infer_shapes_partially(graph);
    EDGEAI_RETURN_IF_ERROR(shift_activations_to_uint8(graph));
  }
  (void)infer_shapes_partially(graph);  // types the QDQ form needs; what stays unknown is reported where needed
  EDGEAI_ASSIGN_OR_RETURN(onnx::ModelProto model, QdqExporter(graph).build(options));
  try {
    onnx::checker::check_model(model);
  } catch (const std::exception& e) {
    return internal_error("the exported model fails the ONNX checker: ", e.what());
  }
  std::string bytes;
  if (model.ByteSizeLong() > static_cast<std::size_t>(INT_MAX) || !model.SerializeToString(&bytes)) {
    return unsupported("the model does not fit one ONNX protobuf (2 GiB; external data is not supported)");
  }
  return bytes;
}

Status export_onnx_file(const Graph& graph, const std::string& path, const ExportOptions& options) {
  Result<std::string> bytes = export_onnx(graph, options);
  if (!bytes.is_ok()) return bytes.status().with_context(path);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return io_error(path, ": cannot open for writing");
  out.write(bytes->data(), static_cast<std::streamsize>(bytes->size()));
  out.close();
  if (!out) return io_error(path, ": write failed");
  return Status::ok();
}

}  // namespace edgeai
