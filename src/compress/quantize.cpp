#include "compress/quantize.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>

#include "compress/calibration.hpp"
#include "graph/fused_activation.hpp"
#include "graph/passes/passes.hpp"
#include "graph/validate.hpp"

namespace edgeai {
namespace {

// Symmetric weights use [-127, 127]: -128 would make the range lopsided, and keeping products
// of two int8 values below 2^14 in magnitude leaves room in 16-bit multiply-adds (vpmaddubsw).
constexpr std::int32_t kWeightMax = 127;

bool is_epilogue_activation(ActivationKind kind) {
  return kind == ActivationKind::kNone || kind == ActivationKind::kRelu || kind == ActivationKind::kClip;
}

const char* const kActivationAttrs[] = {"activation", "activation_alpha", "activation_beta"};

// Operators that only move or select int8 values: their output has the input's parameters.
bool is_pass_through(const std::string& op) {
  return op == "Reshape" || op == "Flatten" || op == "Transpose" || op == "Squeeze" || op == "Unsqueeze" ||
         op == "Identity" || op == "Dropout" || op == "MaxPool";
}

// Element-wise functions run as a 256-entry table in int8.
std::optional<FusedActivation> table_function(const Node& node, const Graph& graph) {
  std::optional<ActivationKind> kind = activation_kind_from_name(node.op_type);
  if (!kind) return std::nullopt;
  FusedActivation f;
  f.kind = *kind;
  switch (*kind) {
    case ActivationKind::kLeakyRelu: f.alpha = node.attr_float("alpha", 0.01f); break;
    case ActivationKind::kHardSigmoid:
      f.alpha = node.attr_float("alpha", 0.2f);
      f.beta = node.attr_float("beta", 0.5f);
      break;
    case ActivationKind::kClip: {
      f.alpha = -std::numeric_limits<float>::infinity();
      f.beta = std::numeric_limits<float>::infinity();
      for (std::size_t i = 1; i <= 2; ++i) {
        if (!node.has_input(i)) continue;
        const Tensor* bound = graph.find_constant(node.inputs[i]);
        if (bound == nullptr || bound->dtype() != DType::kFloat32 || bound->num_elements() != 1) return std::nullopt;
        (i == 1 ? f.alpha : f.beta) = *bound->data<float>();
      }
      break;
    }
    default: break;
  }
  return f;
}

struct PerChannelWeights {
  Tensor values;  // int8, the weight's shape
  Tensor scales;  // float32 [channels]
};

// The symmetric per-channel int8 scales of a float weight along `axis`: max |w[c]| / 127 (1 for
// an all-zero channel).
std::vector<float> per_channel_scales(const Tensor& w, std::size_t axis) {
  const Shape& shape = w.shape();
  std::int64_t outer = 1, inner = 1;
  for (std::size_t i = 0; i < axis; ++i) outer *= shape[i];
  for (std::size_t i = axis + 1; i < shape.size(); ++i) inner *= shape[i];
  const std::int64_t channels = shape[axis];
  const float* src = w.data<float>();
  std::vector<float> scales(static_cast<std::size_t>(channels), 0.0f);
  for (std::int64_t o = 0; o < outer; ++o) {
    for (std::int64_t c = 0; c < channels; ++c) {
      for (std::int64_t i = 0; i < inner; ++i) {
        scales[c] = std::max(scales[c], std::fabs(src[(o * channels + c) * inner + i]));
      }
    }
  }
  for (float& s : scales) s = s > 0.0f ? s / static_cast<float>(kWeightMax) : 1.0f;
  return scales;
}

// Symmetric per-channel int8 along `axis`: scale[c] = max |w[c]| / 127, q = round(w / scale).
PerChannelWeights quantize_per_channel(const Tensor& w, std::size_t axis) {
  const Shape& shape = w.shape();
  std::int64_t outer = 1, inner = 1;
  for (std::size_t i = 0; i < axis; ++i) outer *= shape[i];
  for (std::size_t i = axis + 1; i < shape.size(); ++i) inner *= shape[i];
  const std::int64_t channels = shape[axis];
  const float* src = w.data<float>();
  const std::vector<float> scales = per_channel_scales(w, axis);
  Tensor q = Tensor::allocate(DType::kInt8, shape).value();
  std::int8_t* dst = q.data<std::int8_t>();
  for (std::int64_t o = 0; o < outer; ++o) {
    for (std::int64_t c = 0; c < channels; ++c) {
      for (std::int64_t i = 0; i < inner; ++i) {
        const std::int64_t k = (o * channels + c) * inner + i;
        dst[k] = static_cast<std::int8_t>(quant::quantize_value(src[k], scales[c], 0, -kWeightMax, kWeightMax));
      }
    }
  }
  return {std::move(q), Tensor::from_vector<float>(Shape{channels}, scales)};
}

// int32 bias (one float per output channel) in the accumulator's scale
// input_scale * weight_scale[c], zero point 0.
Tensor quantize_bias(const std::vector<float>& bias, float input_scale, const Tensor& weight_scales) {
  const std::int64_t channels = weight_scales.num_elements();
  std::vector<std::int32_t> q(static_cast<std::size_t>(channels));
  for (std::int64_t c = 0; c < channels; ++c) {
    const double b = static_cast<double>(bias[static_cast<std::size_t>(c)]);
    const double scale = static_cast<double>(input_scale) * static_cast<double>(weight_scales.data<float>()[c]);
    const double r = std::nearbyint(b / scale);
    q[c] = static_cast<std::int32_t>(std::clamp(r, -2147483648.0, 2147483647.0));
  }
  return Tensor::from_vector<std::int32_t>(Shape{channels}, q);
}

Tensor int8_scalar(std::int32_t v) { return Tensor::from_values<std::int8_t>(Shape{}, {static_cast<std::int8_t>(v)}); }
Tensor float_scalar(float v) { return Tensor::from_values<float>(Shape{}, {v}); }

class Rewriter {
 public:
  Rewriter(const Graph& src, const std::map<std::string, std::pair<float, float>>& ranges,
           const QuantizeOptions& options)
      : src_(src), ranges_(ranges), options_(options) {
    Graph& out = result_.graph;
    out.name = src.name;
    out.inputs = src.inputs;
    out.outputs = src.outputs;
    out.constants = src.constants;
    for (const ValueInfo& v : src.inputs) used_names_.insert(v.name), float_available_.insert(v.name);
    for (const auto& [name, t] : src.constants) used_names_.insert(name), float_available_.insert(name);
    for (const Node& n : src.nodes) {
      used_names_.insert(n.name);
      for (const std::string& o : n.outputs) used_names_.insert(o);
    }
  }

  Result<QuantizedGraph> run() {
    if (options_.activation_type != DType::kInt8 && options_.activation_type != DType::kInt16) {
      return invalid_argument("activations must be int8 or int16, got ", dtype_name(options_.activation_type));
    }
    result_.activation_type = options_.activation_type;
    for (const Node& node : src_.nodes) {
      LayerDecision d{node.name, node.op_type, false, "", ""};
      if (options_.keep_float.count(node.name) != 0) {
        d.reason = "kept in float32 by request (mixed precision)";
      } else {
        d.reason = check(node);
      }
      if (d.reason.empty()) {
        d.quantized_op = emit_quantized(node);
        d.quantized = true;
      } else {
        emit_float(node);
        if (options_.strict && options_.keep_float.count(node.name) == 0 && !is_bookkeeping(node)) {
          return invalid_argument(node.describe(), " cannot be quantised: ", d.reason,
                                  " (drop --strict to keep it in float32)");
        }
      }
      result_.layers.push_back(std::move(d));
    }
    for (const ValueInfo& out : src_.outputs) float_of(out.name);
    Graph& g = result_.graph;
    EDGEAI_RETURN_IF_ERROR(g.sort_topologically());
    EDGEAI_RETURN_IF_ERROR(remove_dead_nodes(g).status());
    g.value_info.clear();
    EDGEAI_RETURN_IF_ERROR(validate_graph(g).with_context("the quantised graph"));
    return std::move(result_);
  }

 private:
  // Nodes whose staying in float costs nothing worth a warning (they move no arithmetic).
  static bool is_bookkeeping(const Node& n) {
    return n.op_type == "Shape" || n.op_type == "Gather" || n.op_type == "Cast" || n.op_type == "Constant";
  }

  bool is_float_constant(const std::string& v) const {
    const Tensor* t = src_.find_constant(v);
    return t != nullptr && t->dtype() == DType::kFloat32;
  }
  // A float32 activation the rewrite can have in int8: already int8, or calibrated.
  bool is_quantizable_activation(const std::string& v) const {
    if (result_.int8_value_of.count(v) != 0) return true;
    if (src_.is_constant(v)) return false;
    return ranges_.count(v) != 0;
  }

  // Why `node` cannot be quantised, or "" if it can.
  std::string check(const Node& node) const {
    const std::string& op = node.op_type;
    const auto need_activation = [&](std::size_t i) -> std::string {
      if (!node.has_input(i)) return str_cat("input ", i, " is absent");
      if (!is_quantizable_activation(node.inputs[i])) {
        return str_cat("input '", node.inputs[i], "' has no calibrated float32 range");
      }
      return "";
    };
    const auto need_output_range = [&](std::size_t i) -> std::string {
      if (ranges_.count(node.outputs[i]) == 0) return str_cat("output '", node.outputs[i], "' has no calibrated range");
      return "";
    };
    Result<FusedActivation> act = fused_activation_of(node);
    if (!act.is_ok()) return act.status().message();
    if (!is_epilogue_activation(act->kind)) return "fused activation is not Relu or Clip";
    std::string why;
    const bool int16 = options_.activation_type == DType::kInt16;
    if (int16 && (op == "Add" || op == "Mul" || (activation_kind_from_name(op) && !is_pass_through(op)))) {
      return str_cat("no int16-activation kernel for ", op, " (it runs in float32 between int16 layers)");
    }
    if (op == "Conv") {
      if (!(why = need_activation(0)).empty()) return why;
      if (!is_float_constant(node.inputs[1])) return "weight W is not a float32 constant";
      if (node.has_input(2) && !is_float_constant(node.inputs[2])) return "bias B is not a float32 constant";
      if (!(why = check_bias_fits(node, 0)).empty()) return why;
      return need_output_range(0);
    }
    if (op == "Gemm") {
      if (!(why = need_activation(0)).empty()) return why;
      if (node.attr_int("transA", 0) != 0) return "transA = 1";
      if (node.attr_float("alpha", 1.0f) != 1.0f) return "alpha != 1";
      if (!is_float_constant(node.inputs[1]) || src_.find_constant(node.inputs[1])->shape().size() != 2) {
        return "B is not a 2-D float32 constant";
      }
      if (node.has_input(2)) {
        const Tensor* c = src_.find_constant(node.inputs[2]);
        const Shape& b = src_.find_constant(node.inputs[1])->shape();
        const std::int64_t n = node.attr_int("transB", 0) != 0 ? b[0] : b[1];
        if (c == nullptr || c->dtype() != DType::kFloat32) return "C is not a float32 constant";
        if (c->num_elements() != n && c->num_elements() != 1) return "C is not one value per output column";
      }
      if (!(why = check_bias_fits(node, node.attr_int("transB", 0) != 0 ? 0 : 1)).empty()) return why;
      return need_output_range(0);
    }
    if (op == "MatMul") {
      if (act->kind != ActivationKind::kNone) return "MatMul with a fused activation";
      if (!(why = need_activation(0)).empty()) return why;
      const std::optional<ValueInfo> a = src_.find_value_info(node.inputs[0]);
      if (!a || a->shape.size() < 2) return "A has rank < 2";
      if (!is_float_constant(node.inputs[1]) || src_.find_constant(node.inputs[1])->shape().size() != 2) {
        return "B is not a 2-D float32 constant";
      }
      return need_output_range(0);
    }
    if (op == "Add" || op == "Mul") {
      int activations = 0;
      for (std::size_t i = 0; i < 2; ++i) {
        if (is_quantizable_activation(node.inputs[i])) {
          ++activations;
        } else if (!is_float_constant(node.inputs[i])) {
          return str_cat("input '", node.inputs[i], "' is neither a calibrated activation nor a float32 constant");
        }
      }
      if (activations == 0) return "both inputs are constants";
      return need_output_range(0);
    }
    if (op == "Concat") {
      for (std::size_t i = 0; i < node.inputs.size(); ++i) {
        if (!(why = need_activation(i)).empty()) return why;
      }
      return need_output_range(0);
    }
    if (op == "AveragePool" || op == "GlobalAveragePool") {
      if (!(why = need_activation(0)).empty()) return why;
      return need_output_range(0);
    }
    if (is_pass_through(op)) {
      if (node.outputs.size() > 1 && !node.outputs[1].empty()) return "its second output is used";
      return need_activation(0);
    }
    if (activation_kind_from_name(op)) {
      if (!table_function(node, src_)) return "Clip bounds are not float32 constants";
      if (!(why = need_activation(0)).empty()) return why;
      return need_output_range(0);
    }
    return str_cat("no int8 kernel for ", op);
  }

  // The parameters value v's integer version has or will have.
  quant::QuantParams planned_params(const std::string& v) const {
    auto it = result_.params_of.find(v);
    if (it != result_.params_of.end()) return it->second;
    const auto& [lo, hi] = ranges_.at(v);
    return options_.activation_type == DType::kInt16 ? int16_params_for_range(lo, hi) : int8_params_for_range(lo, hi);
  }

  // Why a Conv/Gemm bias would not fit the int32 accumulator's scale x_scale * w_scale[m] (a small
  // int16 input scale can push a large bias past 2^31), or "" when it fits.
  std::string check_bias_fits(const Node& node, std::size_t axis) const {
    if (!node.has_input(2) || !is_quantizable_activation(node.inputs[0])) return "";
    const Tensor& w = *src_.find_constant(node.inputs[1]);
    const Tensor& b = *src_.find_constant(node.inputs[2]);
    const std::vector<float> w_scales = per_channel_scales(w, axis);
    const double x_scale = planned_params(node.inputs[0]).scale;
    const float beta = node.op_type == "Gemm" ? node.attr_float("beta", 1.0f) : 1.0f;
    for (std::size_t c = 0; c < w_scales.size(); ++c) {
      const double bias = std::fabs(static_cast<double>(b.data<float>()[b.num_elements() == 1 ? 0 : c]) * beta);
      const double w_scale = w_scales[c];
      if (bias / (x_scale * w_scale) > 2147483647.0) {
        return str_cat("bias of output channel ", c, " overflows int32 at scale x_scale * w_scale (", x_scale * w_scale,
                       ")");
      }
    }
    return "";
  }

  std::string fresh_name(const std::string& base) {
    std::string name = base;
    for (int i = 1; used_names_.count(name) != 0; ++i) name = str_cat(base, "_", i);
    used_names_.insert(name);
    return name;
  }
  std::string add_constant(const std::string& base, Tensor t) {
    const std::string name = fresh_name(base);
    result_.graph.constants[name] = std::move(t);
    return name;
  }

  quant::QuantParams params_of(const std::string& v) {
    auto it = result_.params_of.find(v);
    if (it != result_.params_of.end()) return it->second;
    const auto& [lo, hi] = ranges_.at(v);
    const quant::QuantParams p = options_.activation_type == DType::kInt16 ? int16_params_for_range(lo, hi)
                                                                            : int8_params_for_range(lo, hi);
    result_.params_of[v] = p;
    return p;
  }
  // (scale, zero point) constants of value v's int8 version, shared by all its uses.
  std::pair<std::string, std::string> param_constants(const std::string& v) {
    auto it = param_constants_.find(v);
    if (it != param_constants_.end()) return it->second;
    const quant::QuantParams p = params_of(v);
    const Tensor zero_point = options_.activation_type == DType::kInt16
                                  ? Tensor::from_values<std::int16_t>(Shape{}, {static_cast<std::int16_t>(p.zero_point)})
                                  : int8_scalar(p.zero_point);
    std::pair<std::string, std::string> names{add_constant(v + "_scale", float_scalar(p.scale)),
                                              add_constant(v + "_zero_point", zero_point)};
    param_constants_[v] = names;
    return names;
  }

  const char* integer_suffix() const { return options_.activation_type == DType::kInt16 ? "_int16" : "_int8"; }

  // The int8 version of activation v, quantising the float one where it first appears.
  std::string int8_of(const std::string& v) {
    auto it = result_.int8_value_of.find(v);
    if (it != result_.int8_value_of.end()) return it->second;
    const auto [scale, zp] = param_constants(v);
    const std::string q = fresh_name(v + integer_suffix());
    Node n;
    n.name = fresh_name(v + "_quantize");
    n.op_type = "QuantizeLinear";
    n.inputs = {float_of(v), scale, zp};
    n.outputs = {q};
    result_.graph.nodes.push_back(std::move(n));
    result_.int8_value_of[v] = q;
    return q;
  }
  // The float32 version of v, dequantising the int8 one where a float consumer first needs it.
  std::string float_of(const std::string& v) {
    if (v.empty() || float_available_.count(v) != 0) return v;
    auto it = result_.int8_value_of.find(v);
    if (it == result_.int8_value_of.end()) return v;  // produced by a float node: available once emitted
    const auto [scale, zp] = param_constants(v);
    Node n;
    n.name = fresh_name(v + "_dequantize");
    n.op_type = "DequantizeLinear";
    n.inputs = {it->second, scale, zp};
    n.outputs = {v};
    result_.graph.nodes.push_back(std::move(n));
    float_available_.insert(v);
    return v;
  }
  // An int8 output of a quantised node: named apart from the float value, with its parameters.
  std::string int8_output(const std::string& v, std::optional<quant::QuantParams> params = std::nullopt) {
    if (params) result_.params_of[v] = *params;
    const std::string q = fresh_name(v + integer_suffix());
    result_.int8_value_of[v] = q;
    return q;
  }

  void emit_float(const Node& node) {
    Node n = node;
    for (std::string& in : n.inputs) in = float_of(in);
    for (const std::string& o : n.outputs) {
      if (!o.empty()) float_available_.insert(o);
    }
    result_.graph.nodes.push_back(std::move(n));
  }

  // Quantises a float32 constant per tensor (asymmetric, its own min/max), for Add/Mul operands.
  std::string int8_constant(const std::string& v) {
    auto it = result_.int8_value_of.find(v);
    if (it != result_.int8_value_of.end()) return it->second;
    const Tensor& t = *src_.find_constant(v);
    const float* x = t.data<float>();
    float lo = 0.0f, hi = 0.0f;
    for (std::int64_t i = 0; i < t.num_elements(); ++i) lo = std::min(lo, x[i]), hi = std::max(hi, x[i]);
    const quant::QuantParams p = int8_params_for_range(lo, hi);
    Tensor q = Tensor::allocate(DType::kInt8, t.shape()).value();
    for (std::int64_t i = 0; i < t.num_elements(); ++i) {
      q.data<std::int8_t>()[i] = static_cast<std::int8_t>(quant::quantize_value(x[i], p.scale, p.zero_point, -128, 127));
    }
    result_.params_of[v] = p;
    const std::string name = add_constant(v + "_int8", std::move(q));
    result_.int8_value_of[v] = name;
    return name;
  }

  static void copy_attributes(const Node& from, Node& to, bool with_activation) {
    for (const auto& [key, value] : from.attributes) {
      const bool is_activation_attr = std::find(std::begin(kActivationAttrs), std::end(kActivationAttrs), key) !=
                                      std::end(kActivationAttrs);
      if (!is_activation_attr || with_activation) to.attributes[key] = value;
    }
  }

  // The bias correction of a Conv/Gemm (see QuantizeOptions::channel_means): per output channel,
  // sum over its inputs of the weight's rounding error times the input channel's mean. Empty
  // when the input has no channel means.
  std::vector<double> bias_correction(const Node& node, const Tensor& w, const PerChannelWeights& pw,
                                      std::size_t axis) const {
    if (options_.channel_means == nullptr) return {};
    auto it = options_.channel_means->find(node.inputs[0]);
    if (it == options_.channel_means->end()) return {};
    const std::vector<double>& mean = it->second;
    const Shape& shape = w.shape();
    const float* wf = w.data<float>();
    const std::int8_t* wq = pw.values.data<std::int8_t>();
    const float* scale = pw.scales.data<float>();
    const std::int64_t out_channels = shape[axis];
    std::vector<double> delta(static_cast<std::size_t>(out_channels), 0.0);
    if (node.op_type == "Conv") {
      // W [M, C/group, k...]: input channel of (m, c) is (m / (M / group)) * (C / group) + c.
      const std::int64_t group = node.attr_int("group", 1);
      const std::int64_t in_per_group = shape[1];
      std::int64_t taps = 1;
      for (std::size_t d = 2; d < shape.size(); ++d) taps *= shape[d];
      if (static_cast<std::int64_t>(mean.size()) != in_per_group * group) return {};
      const std::int64_t out_per_group = out_channels / group;
      for (std::int64_t m = 0; m < out_channels; ++m) {
        const std::int64_t first = (m / out_per_group) * in_per_group;
        for (std::int64_t c = 0; c < in_per_group; ++c) {
          for (std::int64_t k = 0; k < taps; ++k) {
            const std::int64_t i = (m * in_per_group + c) * taps + k;
            const double error = static_cast<double>(wq[i]) * scale[m] - static_cast<double>(wf[i]);
            delta[static_cast<std::size_t>(m)] += error * mean[static_cast<std::size_t>(first + c)];
          }
        }
      }
      return delta;
    }
    // Gemm / MatMul: B is [N, K] (axis 0) or [K, N] (axis 1); the input's features are K.
    const std::int64_t k_size = axis == 0 ? shape[1] : shape[0];
    if (static_cast<std::int64_t>(mean.size()) != k_size) return {};
    for (std::int64_t n = 0; n < out_channels; ++n) {
      for (std::int64_t k = 0; k < k_size; ++k) {
        const std::int64_t i = axis == 0 ? n * k_size + k : k * out_channels + n;
        const double error = static_cast<double>(wq[i]) * scale[n] - static_cast<double>(wf[i]);
        delta[static_cast<std::size_t>(n)] += error * mean[static_cast<std::size_t>(k)];
      }
    }
    return delta;
  }

  // Re-rounds a Conv/Gemm/MatMul weight by GPTQ when calibration gave the node's input
  // covariance (QuantizeOptions::input_covariances); the scales stay those of nearest rounding.
  void round_by_gptq(const Node& node, const Tensor& w, std::size_t axis, PerChannelWeights& pw) const {
    if (options_.input_covariances == nullptr) return;
    auto it = options_.input_covariances->find(node.name);
    if (it == options_.input_covariances->end()) return;
    const InputCovariance& cov = it->second;
    const Shape& shape = w.shape();
    const std::int64_t channels = shape[axis];
    const std::int64_t size = w.num_elements() / channels;
    if (size != cov.size || channels % cov.groups != 0) return;
    // Rows of `size` weights per output channel: the layout already for Conv and Gemm with
    // transB; a [K, N] weight is transposed there and back.
    std::vector<float> rows(static_cast<std::size_t>(w.num_elements()));
    const float* src = w.data<float>();
    for (std::int64_t c = 0; c < channels; ++c) {
      for (std::int64_t k = 0; k < size; ++k) rows[c * size + k] = axis == 0 ? src[c * size + k] : src[k * channels + c];
    }
    std::vector<std::int8_t> q(rows.size());
    const std::int64_t per_group = channels / cov.groups;
    const float* scales = pw.scales.data<float>();
    for (std::int64_t g = 0; g < cov.groups; ++g) {
      const std::int64_t first = g * per_group;
      if (!gptq_round(rows.data() + first * size, per_group, size, cov.moment.data() + g * size * size,
                      scales + first, kWeightMax, q.data() + first * size)) {
        return;  // a moment matrix that cannot be factored: keep nearest rounding for this layer
      }
    }
    std::int8_t* dst = pw.values.data<std::int8_t>();
    for (std::int64_t c = 0; c < channels; ++c) {
      for (std::int64_t k = 0; k < size; ++k) (axis == 0 ? dst[c * size + k] : dst[k * channels + c]) = q[c * size + k];
    }
  }

  // Emits the int8 form of a node check() accepted; returns its op_type.
  std::string emit_quantized(const Node& node) {
    const std::string& op = node.op_type;
    Node q;
    q.name = node.name;
    if (op == "Conv" || op == "Gemm" || op == "MatMul") {
      const std::string x = node.inputs[0];
      const std::string x8 = int8_of(x);
      const auto [xs, xz] = param_constants(x);
      const Tensor& w = *src_.find_constant(node.inputs[1]);
      const bool trans_b = op == "Gemm" && node.attr_int("transB", 0) != 0;
      const std::size_t axis = op == "Conv" || trans_b ? 0 : 1;
      PerChannelWeights pw = quantize_per_channel(w, axis);
      round_by_gptq(node, w, axis, pw);
      const float x_scale = params_of(x).scale;
      std::string bias;
      const std::vector<double> correction = bias_correction(node, w, pw, axis);
      if (op != "MatMul" && (node.has_input(2) || !correction.empty())) {
        // One float bias per output channel: Gemm's beta * C (broadcast), plus the correction.
        const std::int64_t channels = pw.scales.num_elements();
        std::vector<float> bias_values(static_cast<std::size_t>(channels), 0.0f);
        if (node.has_input(2)) {
          const Tensor& b = *src_.find_constant(node.inputs[2]);
          const float beta = op == "Gemm" ? node.attr_float("beta", 1.0f) : 1.0f;
          for (std::int64_t c = 0; c < channels; ++c) {
            bias_values[static_cast<std::size_t>(c)] = b.data<float>()[b.num_elements() == 1 ? 0 : c] * beta;
          }
        }
        for (std::size_t c = 0; c < correction.size(); ++c) {
          bias_values[c] = static_cast<float>(static_cast<double>(bias_values[c]) - correction[c]);
        }
        bias = add_constant((node.has_input(2) ? node.inputs[2] : node.inputs[1] + "_bias") + "_int32",
                            quantize_bias(bias_values, x_scale, pw.scales));
      }
      const std::string wq = add_constant(node.inputs[1] + "_int8", std::move(pw.values));
      const std::string ws = add_constant(node.inputs[1] + "_scale", std::move(pw.scales));
      const std::string wz = add_constant(node.inputs[1] + "_zero_point", int8_scalar(0));
      const auto [ys, yz] = param_constants(node.outputs[0]);
      if (op == "Conv") {
        q.op_type = "QLinearConv";
        q.inputs = {x8, xs, xz, wq, ws, wz, ys, yz};
        if (!bias.empty()) q.inputs.push_back(bias);
        copy_attributes(node, q, true);
      } else if (op == "Gemm") {
        q.op_type = "QGemm";
        q.inputs = {x8, xs, xz, wq, ws, wz, bias, ys, yz};
        copy_attributes(node, q, true);
        q.attributes.erase("beta");
      } else {
        q.op_type = "QLinearMatMul";
        q.inputs = {x8, xs, xz, wq, ws, wz, ys, yz};
      }
      q.outputs = {int8_output(node.outputs[0])};
    } else if (op == "Add" || op == "Mul") {
      q.op_type = op == "Add" ? "QLinearAdd" : "QLinearMul";
      for (std::size_t i = 0; i < 2; ++i) {
        const std::string& v = node.inputs[i];
        const std::string v8 = is_float_constant(v) ? int8_constant(v) : int8_of(v);
        const auto [s, z] = param_constants(v);
        q.inputs.insert(q.inputs.end(), {v8, s, z});
      }
      const auto [ys, yz] = param_constants(node.outputs[0]);
      q.inputs.insert(q.inputs.end(), {ys, yz});
      copy_attributes(node, q, true);
      q.outputs = {int8_output(node.outputs[0])};
    } else if (op == "Concat") {
      q.op_type = "QLinearConcat";
      const auto [ys, yz] = param_constants(node.outputs[0]);
      q.inputs = {ys, yz};
      for (const std::string& v : node.inputs) {
        const std::string v8 = int8_of(v);
        const auto [s, z] = param_constants(v);
        q.inputs.insert(q.inputs.end(), {v8, s, z});
      }
      copy_attributes(node, q, false);
      q.outputs = {int8_output(node.outputs[0])};
    } else if (op == "AveragePool" || op == "GlobalAveragePool") {
      q.op_type = op == "AveragePool" ? "QLinearAveragePool" : "QLinearGlobalAveragePool";
      const std::string x8 = int8_of(node.inputs[0]);
      const auto [xs, xz] = param_constants(node.inputs[0]);
      const auto [ys, yz] = param_constants(node.outputs[0]);
      q.inputs = {x8, xs, xz, ys, yz};
      copy_attributes(node, q, false);
      q.outputs = {int8_output(node.outputs[0])};
    } else if (is_pass_through(op)) {
      q.op_type = op == "Dropout" ? "Identity" : op;
      q.inputs = node.inputs;
      q.inputs[0] = int8_of(node.inputs[0]);
      if (op == "Dropout") q.inputs.resize(1);
      copy_attributes(node, q, false);
      if (op == "Dropout") q.attributes.clear();
      q.outputs = {int8_output(node.outputs[0], params_of(node.inputs[0]))};
    } else {  // an element-wise function as a lookup table
      const FusedActivation f = *table_function(node, src_);
      const quant::QuantParams in = params_of(node.inputs[0]);
      const quant::QuantParams out = params_of(node.outputs[0]);
      std::vector<std::int8_t> table(256);
      for (int i = 0; i < 256; ++i) {
        const float x = quant::dequantize_value(i - 128, in.scale, in.zero_point);
        table[static_cast<std::size_t>(i)] =
            static_cast<std::int8_t>(quant::quantize_value(f.apply(x), out.scale, out.zero_point, -128, 127));
      }
      q.op_type = "QLinearLookup";
      q.inputs = {int8_of(node.inputs[0]), add_constant(node.name + "_table", Tensor::from_vector<std::int8_t>(Shape{256}, table))};
      q.attributes["function"] = Attribute(op);
      q.outputs = {int8_output(node.outputs[0])};
    }
    const std::string quantized_op = q.op_type;
    result_.graph.nodes.push_back(std::move(q));
    return quantized_op;
  }

  const Graph& src_;
  const std::map<std::string, std::pair<float, float>>& ranges_;
  const QuantizeOptions& options_;
  QuantizedGraph result_;
  std::set<std::string> used_names_;
  std::set<std::string> float_available_;
  std::map<std::string, std::pair<std::string, std::string>> param_constants_;
};

}  // namespace

int split_unfusable_activations(Graph& graph) {
  std::vector<Node> nodes;
  std::set<std::string> names;
  for (const Node& n : graph.nodes) {
    names.insert(n.name);
    for (const std::string& o : n.outputs) names.insert(o);
  }
  int split = 0;
  for (Node& node : graph.nodes) {
    Result<FusedActivation> act = fused_activation_of(node);
    if (!act.is_ok() || is_epilogue_activation(act->kind)) {
      nodes.push_back(std::move(node));
      continue;
    }
    Node activation;
    activation.op_type = std::string(activation_name(act->kind));
    std::string pre = node.outputs[0] + "_preactivation";
    for (int i = 1; names.count(pre) != 0; ++i) pre = str_cat(node.outputs[0], "_preactivation_", i);
    activation.name = node.name + "_" + activation.op_type;
    for (int i = 1; names.count(activation.name) != 0; ++i) activation.name = str_cat(node.name, "_", activation.op_type, "_", i);
    names.insert(pre);
    names.insert(activation.name);
    activation.inputs = {pre};
    activation.outputs = {node.outputs[0]};
    if (act->kind == ActivationKind::kLeakyRelu) activation.attributes["alpha"] = Attribute(act->alpha);
    if (act->kind == ActivationKind::kHardSigmoid) {
      activation.attributes["alpha"] = Attribute(act->alpha);
      activation.attributes["beta"] = Attribute(act->beta);
    }
    const std::string out = node.outputs[0];
    node.outputs[0] = pre;
    for (const char* key : kActivationAttrs) node.attributes.erase(key);
    nodes.push_back(std::move(node));
    if (act->kind == ActivationKind::kSilu || act->kind == ActivationKind::kGatedHardSigmoid) {
      // x * Sigmoid(x) or x * HardSigmoid(x): the gate's node, then a Mul that writes the output.
      const bool hard = act->kind == ActivationKind::kGatedHardSigmoid;
      activation.op_type = hard ? "HardSigmoid" : "Sigmoid";
      if (hard) {
        activation.attributes["alpha"] = Attribute(act->alpha);
        activation.attributes["beta"] = Attribute(act->beta);
      }
      std::string gate = out + "_sigmoid";
      for (int i = 1; names.count(gate) != 0; ++i) gate = str_cat(out, "_sigmoid_", i);
      names.insert(gate);
      activation.outputs = {gate};
      Node mul;
      mul.op_type = "Mul";
      mul.name = activation.name + "_Mul";
      for (int i = 1; names.count(mul.name) != 0; ++i) mul.name = str_cat(activation.name, "_Mul_", i);
      names.insert(mul.name);
      mul.inputs = {pre, gate};
      mul.outputs = {out};
      nodes.push_back(std::move(activation));
      nodes.push_back(std::move(mul));
      ++split;
      continue;
    }
    nodes.push_back(std::move(activation));
    ++split;
  }
  graph.nodes = std::move(nodes);
  graph.value_info.clear();
  (void)infer_shapes(graph);
  return split;
}

std::vector<std::string> values_to_calibrate(const Graph& graph) {
  std::vector<std::string> values;
  for (const ValueInfo& v : graph.inputs) {
    if (v.dtype == DType::kFloat32) values.push_back(v.name);
  }
  for (const Node& n : graph.nodes) {
    for (const std::string& o : n.outputs) {
      if (o.empty()) continue;
      std::optional<ValueInfo> info = graph.find_value_info(o);
      if (info && info->dtype == DType::kFloat32) values.push_back(o);
    }
  }
  return values;
}

Result<QuantizedGraph> quantize_int8(const Graph& graph, const std::map<std::string, std::pair<float, float>>& ranges,
                                     const QuantizeOptions& options) {
  return Rewriter(graph, ranges, options).run();
}

}  // namespace edgeai
