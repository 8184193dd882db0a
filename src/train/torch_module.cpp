// GraphModule: each IR node is compiled once into a torch call with its attributes parsed,
// so forward() is a loop over closures. Semantics follow the reference kernels
// (src/kernels/reference/) and the ONNX opset-13 operator pages; window geometry comes from
// the same resolve_window_geometry() the schemas and kernels use, so padding and ceil_mode
// can never disagree with the runtime. Tools side: libtorch, no device code depends on it.
#include "train/torch_module.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>

#include "graph/fused_activation.hpp"
#include "graph/ops/window_geometry.hpp"
#include "graph/validate.hpp"

namespace edgeai {

struct GraphModule::Step {
  std::string description;  // "Conv 'conv1'"
  std::vector<int> inputs;  // slot per node input; -1 for an absent optional one
  std::vector<int> outputs;  // slot per node output; -1 for an unused (empty) one
  std::function<std::vector<torch::Tensor>(const std::vector<torch::Tensor>& in, bool training)> run;
};

namespace {

// Thrown by the compiler for an operator or attribute we do not interpret; create() maps it to
// kUnsupported.
class UnsupportedNode : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

using RunFn = std::function<std::vector<torch::Tensor>(const std::vector<torch::Tensor>&, bool)>;

std::optional<torch::ScalarType> torch_type_of(DType dtype) {
  switch (dtype) {
    case DType::kFloat32: return torch::kFloat32;
    case DType::kFloat16: return torch::kFloat16;
    case DType::kFloat64: return torch::kFloat64;
    case DType::kInt8: return torch::kInt8;
    case DType::kUInt8: return torch::kUInt8;
    case DType::kInt16: return torch::kInt16;
    case DType::kInt32: return torch::kInt32;
    case DType::kInt64: return torch::kInt64;
    case DType::kBool: return torch::kBool;
    case DType::kUndefined: break;
  }
  return std::nullopt;
}

std::optional<DType> dtype_of_torch(torch::ScalarType type) {
  switch (type) {
    case torch::kFloat32: return DType::kFloat32;
    case torch::kFloat16: return DType::kFloat16;
    case torch::kFloat64: return DType::kFloat64;
    case torch::kInt8: return DType::kInt8;
    case torch::kUInt8: return DType::kUInt8;
    case torch::kInt16: return DType::kInt16;
    case torch::kInt32: return DType::kInt32;
    case torch::kInt64: return DType::kInt64;
    case torch::kBool: return DType::kBool;
    default: return std::nullopt;
  }
}

std::string sanitize(const std::string& name) {
  std::string out = name;
  for (char& c : out) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) c = '_';
  }
  return out.empty() ? std::string("constant") : out;
}

// Integer values of a constant (int64 or int32), for shape-like inputs (Reshape, Squeeze, ...).
std::optional<std::vector<std::int64_t>> constant_ints(const Graph& graph, const std::string& name) {
  const Tensor* t = name.empty() ? nullptr : graph.find_constant(name);
  if (t == nullptr) return std::nullopt;
  std::vector<std::int64_t> out;
  for (std::int64_t i = 0; i < t->num_elements(); ++i) {
    if (t->dtype() == DType::kInt64) {
      out.push_back(t->data<std::int64_t>()[i]);
    } else if (t->dtype() == DType::kInt32) {
      out.push_back(t->data<std::int32_t>()[i]);
    } else {
      return std::nullopt;
    }
  }
  return out;
}

std::optional<double> constant_scalar(const Graph& graph, const std::string& name) {
  const Tensor* t = name.empty() ? nullptr : graph.find_constant(name);
  if (t == nullptr || t->num_elements() != 1) return std::nullopt;
  switch (t->dtype()) {
    case DType::kFloat32: return t->data<float>()[0];
    case DType::kFloat64: return t->data<double>()[0];
    case DType::kInt64: return static_cast<double>(t->data<std::int64_t>()[0]);
    case DType::kInt32: return t->data<std::int32_t>()[0];
    default: return std::nullopt;
  }
}

std::vector<std::int64_t> tensor_ints(const torch::Tensor& t) {
  torch::Tensor c = t.to(torch::kCPU, torch::kInt64).contiguous();
  const std::int64_t* p = c.data_ptr<std::int64_t>();
  return std::vector<std::int64_t>(p, p + c.numel());
}

std::vector<std::int64_t> spatial_sizes(const torch::Tensor& t) {
  std::vector<std::int64_t> out;
  for (std::int64_t d = 2; d < t.dim(); ++d) out.push_back(t.size(d));
  return out;
}

[[noreturn]] void fail_at_run(const Node& node, const Status& status) {
  throw std::runtime_error(str_cat(node.describe(), ": ", status.message()));
}

// torch's pad list runs from the last axis backwards: {begin_last, end_last, begin_prev, ...}.
std::vector<std::int64_t> torch_pad_list(const WindowGeometry& g) {
  std::vector<std::int64_t> pads;
  for (std::size_t i = g.pads_begin.size(); i-- > 0;) {
    pads.push_back(g.pads_begin[i]);
    pads.push_back(g.pads_end[i]);
  }
  return pads;
}

bool has_padding(const WindowGeometry& g) {
  for (std::size_t i = 0; i < g.pads_begin.size(); ++i) {
    if (g.pads_begin[i] != 0 || g.pads_end[i] != 0) return true;
  }
  return false;
}

// Cuts each spatial axis to the size ONNX's geometry gives (torch, pooling a pre-padded input
// in ceil_mode, may keep a last window that starts inside the end padding; ONNX drops it).
torch::Tensor narrow_to(torch::Tensor y, const WindowGeometry& g) {
  for (std::size_t i = 0; i < g.output.size(); ++i) {
    const std::int64_t axis = static_cast<std::int64_t>(i) + 2;
    if (y.size(axis) > g.output[i]) y = y.narrow(axis, 0, g.output[i]);
  }
  return y;
}

torch::Tensor apply_activation(const FusedActivation& act, const torch::Tensor& x) {
  switch (act.kind) {
    case ActivationKind::kNone: return x;
    case ActivationKind::kRelu: return torch::relu(x);
    case ActivationKind::kClip: return torch::clamp(x, act.alpha, act.beta);
    case ActivationKind::kLeakyRelu: return torch::leaky_relu(x, act.alpha);
    case ActivationKind::kHardSigmoid: return torch::clamp(x * act.alpha + act.beta, 0.0, 1.0);
    case ActivationKind::kHardSwish: return torch::hardswish(x);
    case ActivationKind::kSigmoid: return torch::sigmoid(x);
    case ActivationKind::kTanh: return torch::tanh(x);
    case ActivationKind::kSilu: return x * torch::sigmoid(x);
    case ActivationKind::kGatedHardSigmoid: return x * torch::clamp(x * act.alpha + act.beta, 0.0, 1.0);
  }
  return x;
}

FusedActivation activation_of(const Node& node) {
  Result<FusedActivation> act = fused_activation_of(node);
  if (!act.is_ok()) throw UnsupportedNode(act.status().message());
  return *act;
}

std::vector<torch::Tensor> one(torch::Tensor t) { return {std::move(t)}; }

// Sum over each pooling window (avg_pool with divisor 1), for 1-D to 3-D; torch clips windows
// at the end of the (already padded) input.
torch::Tensor window_sum(const torch::Tensor& x, const WindowGeometry& g, bool ceil_mode) {
  const std::size_t rank = g.kernel.size();
  if (rank == 1) {
    torch::Tensor y = torch::avg_pool2d(x.unsqueeze(2), {1, g.kernel[0]}, {1, g.strides[0]}, {0, 0}, ceil_mode, true, 1);
    return y.squeeze(2);
  }
  if (rank == 2) return torch::avg_pool2d(x, g.kernel, g.strides, {0, 0}, ceil_mode, true, 1);
  return torch::avg_pool3d(x, g.kernel, g.strides, {0, 0, 0}, ceil_mode, true, 1);
}

RunFn compile_conv(const Node& node) {
  const FusedActivation act = activation_of(node);
  const std::int64_t group = node.attr_int("group", 1);
  return [node, act, group](const std::vector<torch::Tensor>& in, bool) {
    const torch::Tensor& x = in[0];
    const torch::Tensor& w = in[1];
    Result<WindowGeometry> g = resolve_window_geometry(node, spatial_sizes(x), spatial_sizes(w), true, false);
    if (!g.is_ok()) fail_at_run(node, g.status());
    const std::size_t rank = g->kernel.size();
    torch::Tensor padded = x;
    std::vector<std::int64_t> padding(rank, 0);
    if (g->pads_begin == g->pads_end) {
      padding = g->pads_begin;
    } else {
      padded = torch::constant_pad_nd(x, torch_pad_list(*g), 0.0);
    }
    c10::optional<torch::Tensor> bias;
    if (in.size() > 2 && in[2].defined()) bias = in[2];
    torch::Tensor y = at::convolution(padded, w, bias, g->strides, padding, g->dilations, false,
                                      std::vector<std::int64_t>(rank, 0), group);
    return one(apply_activation(act, y));
  };
}

RunFn compile_gemm(const Node& node) {
  const FusedActivation act = activation_of(node);
  const double alpha = node.attr_float("alpha", 1.0f);
  const double beta = node.attr_float("beta", 1.0f);
  const bool trans_a = node.attr_int("transA", 0) != 0;
  const bool trans_b = node.attr_int("transB", 0) != 0;
  return [=](const std::vector<torch::Tensor>& in, bool) {
    const bool has_c = in.size() > 2 && in[2].defined();
    torch::Tensor y;
    if (!trans_a && trans_b && alpha == 1.0 && beta == 1.0 && (!has_c || in[2].dim() == 1)) {
      y = has_c ? torch::linear(in[0], in[1], in[2]) : torch::linear(in[0], in[1]);
    } else {
      const torch::Tensor a = trans_a ? in[0].t() : in[0];
      const torch::Tensor b = trans_b ? in[1].t() : in[1];
      y = torch::mm(a, b);
      if (alpha != 1.0) y = y * alpha;
      if (has_c) y = y + (beta == 1.0 ? in[2] : in[2] * beta);
    }
    return one(apply_activation(act, y));
  };
}

RunFn compile_binary(const Node& node) {
  const FusedActivation act = activation_of(node);
  const std::string op = node.op_type;
  return [act, op](const std::vector<torch::Tensor>& in, bool) {
    torch::Tensor y;
    if (op == "Add") {
      y = in[0] + in[1];
    } else if (op == "Sub") {
      y = in[0] - in[1];
    } else if (op == "Mul") {
      y = in[0] * in[1];
    } else if (torch::isIntegralType(in[0].scalar_type(), true)) {
      y = torch::div(in[0], in[1], "trunc");  // ONNX integer Div truncates, like C
    } else {
      y = in[0] / in[1];
    }
    return one(apply_activation(act, y));
  };
}

RunFn compile_max_pool(const Node& node) {
  if (node.outputs.size() > 1 && !node.outputs[1].empty()) {
    throw UnsupportedNode(str_cat(node.describe(), ": the Indices output of MaxPool is not supported for training"));
  }
  const bool ceil_mode = node.attr_int("ceil_mode", 0) != 0;
  const std::vector<std::int64_t> kernel = node.attr_ints("kernel_shape");
  if (kernel.empty() || kernel.size() > 3) {
    throw UnsupportedNode(str_cat(node.describe(), ": ", kernel.size(), "-D MaxPool is not supported (1-D to 3-D)"));
  }
  return [node, kernel, ceil_mode](const std::vector<torch::Tensor>& in, bool) {
    Result<WindowGeometry> g = resolve_window_geometry(node, spatial_sizes(in[0]), kernel, true, ceil_mode);
    if (!g.is_ok()) fail_at_run(node, g.status());
    torch::Tensor x = in[0];
    if (has_padding(*g)) {
      x = torch::constant_pad_nd(x, torch_pad_list(*g), -std::numeric_limits<double>::infinity());
    }
    const std::vector<std::int64_t> zero(kernel.size(), 0);
    torch::Tensor y;
    if (kernel.size() == 1) {
      y = torch::max_pool1d(x, g->kernel, g->strides, zero, g->dilations, ceil_mode);
    } else if (kernel.size() == 2) {
      y = torch::max_pool2d(x, g->kernel, g->strides, zero, g->dilations, ceil_mode);
    } else {
      y = torch::max_pool3d(x, g->kernel, g->strides, zero, g->dilations, ceil_mode);
    }
    return one(narrow_to(y, *g));
  };
}

RunFn compile_average_pool(const Node& node) {
  const bool ceil_mode = node.attr_int("ceil_mode", 0) != 0;
  const bool count_include_pad = node.attr_int("count_include_pad", 0) != 0;
  const std::vector<std::int64_t> kernel = node.attr_ints("kernel_shape");
  if (kernel.empty() || kernel.size() > 3) {
    throw UnsupportedNode(
        str_cat(node.describe(), ": ", kernel.size(), "-D AveragePool is not supported (1-D to 3-D)"));
  }
  return [node, kernel, ceil_mode, count_include_pad](const std::vector<torch::Tensor>& in, bool) {
    const torch::Tensor& x = in[0];
    Result<WindowGeometry> g = resolve_window_geometry(node, spatial_sizes(x), kernel, false, ceil_mode);
    if (!g.is_ok()) fail_at_run(node, g.status());
    if (!has_padding(*g) && !ceil_mode) {
      // Every window lies inside the input: the divisor is the kernel volume.
      torch::Tensor sum = window_sum(x, *g, false);
      std::int64_t volume = 1;
      for (std::int64_t k : kernel) volume *= k;
      return one(sum / static_cast<double>(volume));
    }
    // ONNX divides by the number of elements of the window inside the input, or, with
    // count_include_pad, inside input and padding (never the part past the padding that
    // ceil_mode adds). Counting ones pooled the same way gives exactly that divisor.
    const std::vector<std::int64_t> pads = torch_pad_list(*g);
    torch::Tensor padded = torch::constant_pad_nd(x, pads, 0.0);
    std::vector<std::int64_t> mask_shape{1, 1};
    if (count_include_pad) {
      for (std::int64_t d = 2; d < padded.dim(); ++d) mask_shape.push_back(padded.size(d));
    } else {
      for (std::int64_t d = 2; d < x.dim(); ++d) mask_shape.push_back(x.size(d));
    }
    torch::Tensor mask = torch::ones(mask_shape, x.options().requires_grad(false));
    if (!count_include_pad) mask = torch::constant_pad_nd(mask, pads, 0.0);
    torch::Tensor sum = window_sum(padded, *g, ceil_mode);
    torch::Tensor count = window_sum(mask, *g, ceil_mode).clamp_min(1.0);
    return one(narrow_to(sum / count, *g));
  };
}

RunFn compile_batch_norm(const Node& node) {
  if (node.attr_int("training_mode", 0) != 0 || node.outputs.size() > 1) {
    throw UnsupportedNode(str_cat(node.describe(),
                                  ": training_mode BatchNormalization (running-statistics outputs) is not supported; "
                                  "the module updates its statistics itself in train() mode"));
  }
  const double epsilon = node.attr_float("epsilon", 1e-5f);
  // ONNX momentum weighs the running value, torch's the batch statistic.
  const double momentum = 1.0 - node.attr_float("momentum", 0.9f);
  return [epsilon, momentum](const std::vector<torch::Tensor>& in, bool training) {
    return one(torch::batch_norm(in[0], in[1], in[2], in[3], in[4], training, momentum, epsilon, true));
  };
}

RunFn compile_clip(const Graph& graph, const Node& node) {
  std::optional<double> lo;
  std::optional<double> hi;
  bool lo_dynamic = false;
  bool hi_dynamic = false;
  if (node.has_input(1)) {
    lo = constant_scalar(graph, node.inputs[1]);
    lo_dynamic = !lo.has_value();
  }
  if (node.has_input(2)) {
    hi = constant_scalar(graph, node.inputs[2]);
    hi_dynamic = !hi.has_value();
  }
  return [=](const std::vector<torch::Tensor>& in, bool) {
    std::optional<double> min = lo;
    std::optional<double> max = hi;
    if (lo_dynamic) min = in[1].item<double>();
    if (hi_dynamic) max = in[2].item<double>();
    if (!min && !max) return one(in[0]);
    c10::optional<c10::Scalar> min_scalar;
    c10::optional<c10::Scalar> max_scalar;
    if (min) min_scalar = *min;
    if (max) max_scalar = *max;
    return one(torch::clamp(in[0], min_scalar, max_scalar));
  };
}

RunFn compile_reshape(const Graph& graph, const Node& node) {
  const std::optional<std::vector<std::int64_t>> fixed = constant_ints(graph, node.inputs[1]);
  const bool allow_zero = node.attr_int("allowzero", 0) != 0;
  return [fixed, allow_zero](const std::vector<torch::Tensor>& in, bool) {
    std::vector<std::int64_t> shape = fixed ? *fixed : tensor_ints(in[1]);
    for (std::size_t i = 0; i < shape.size(); ++i) {
      if (shape[i] == 0 && !allow_zero) shape[i] = in[0].size(static_cast<std::int64_t>(i));  // 0 copies the dim
    }
    return one(in[0].reshape(shape));
  };
}

RunFn compile_flatten(const Node& node) {
  const std::int64_t attr_axis = node.attr_int("axis", 1);
  return [attr_axis](const std::vector<torch::Tensor>& in, bool) {
    const torch::Tensor& x = in[0];
    const std::int64_t axis = attr_axis < 0 ? attr_axis + x.dim() : attr_axis;
    std::int64_t outer = 1;
    std::int64_t inner = 1;
    for (std::int64_t d = 0; d < x.dim(); ++d) (d < axis ? outer : inner) *= x.size(d);
    return one(x.reshape({outer, inner}));
  };
}

RunFn compile_transpose(const Node& node) {
  const bool has_perm = node.has_attr("perm");
  const std::vector<std::int64_t> perm = node.attr_ints("perm");
  return [has_perm, perm](const std::vector<torch::Tensor>& in, bool) {
    std::vector<std::int64_t> p = perm;
    if (!has_perm) {
      for (std::int64_t d = in[0].dim(); d-- > 0;) p.push_back(d);
    }
    return one(in[0].permute(p));
  };
}

// Squeeze-13/Unsqueeze-13 take axes as input 1; older graphs carry the attribute.
std::optional<std::vector<std::int64_t>> axes_of(const Graph& graph, const Node& node, bool* dynamic) {
  *dynamic = false;
  if (node.has_input(1)) {
    std::optional<std::vector<std::int64_t>> axes = constant_ints(graph, node.inputs[1]);
    *dynamic = !axes.has_value();
    return axes;
  }
  if (node.has_attr("axes")) return node.attr_ints("axes");
  return std::nullopt;
}

RunFn compile_squeeze(const Graph& graph, const Node& node) {
  bool dynamic = false;
  const std::optional<std::vector<std::int64_t>> fixed = axes_of(graph, node, &dynamic);
  return [fixed, dynamic](const std::vector<torch::Tensor>& in, bool) {
    torch::Tensor x = in[0];
    std::optional<std::vector<std::int64_t>> axes = fixed;
    if (dynamic) axes = tensor_ints(in[1]);
    if (!axes) return one(x.squeeze());
    std::vector<std::int64_t> sorted;
    for (std::int64_t a : *axes) sorted.push_back(a < 0 ? a + x.dim() : a);
    std::sort(sorted.rbegin(), sorted.rend());
    for (std::int64_t a : sorted) x = x.squeeze(a);
    return one(x);
  };
}

RunFn compile_unsqueeze(const Graph& graph, const Node& node) {
  bool dynamic = false;
  const std::optional<std::vector<std::int64_t>> fixed = axes_of(graph, node, &dynamic);
  if (!fixed && !dynamic) throw UnsupportedNode(str_cat(node.describe(), ": Unsqueeze without axes"));
  return [fixed, dynamic](const std::vector<torch::Tensor>& in, bool) {
    torch::Tensor x = in[0];
    const std::vector<std::int64_t> axes = dynamic ? tensor_ints(in[1]) : *fixed;
    const std::int64_t out_rank = x.dim() + static_cast<std::int64_t>(axes.size());
    std::vector<std::int64_t> sorted;
    for (std::int64_t a : axes) sorted.push_back(a < 0 ? a + out_rank : a);
    std::sort(sorted.begin(), sorted.end());
    for (std::int64_t a : sorted) x = x.unsqueeze(a);
    return one(x);
  };
}

RunFn compile_dropout(const Graph& graph, const Node& node) {
  // Dropout-13: ratio is input 1 (default 0.5). training_mode (input 2) is ignored: the module's
  // train()/eval() mode decides, as it does for BatchNormalization.
  std::optional<double> ratio = 0.5;
  bool dynamic = false;
  if (node.has_input(1)) {
    ratio = constant_scalar(graph, node.inputs[1]);
    dynamic = !ratio.has_value();
  }
  const bool wants_mask = node.outputs.size() > 1 && !node.outputs[1].empty();
  return [ratio, dynamic, wants_mask](const std::vector<torch::Tensor>& in, bool training) {
    const double p = dynamic ? in[1].item<double>() : *ratio;
    const torch::Tensor& x = in[0];
    if (!wants_mask) return one(torch::dropout(x, p, training));
    if (!training || p == 0.0) {
      return std::vector<torch::Tensor>{x, torch::ones(x.sizes(), x.options().dtype(torch::kBool))};
    }
    torch::Tensor keep = torch::bernoulli(torch::full(x.sizes(), 1.0 - p, x.options().requires_grad(false)));
    return std::vector<torch::Tensor>{x * keep / (1.0 - p), keep.to(torch::kBool)};
  };
}

RunFn compile_node(const Graph& graph, const Node& node) {
  const std::string& op = node.op_type;
  if (op == "Conv") {
    if (node.attr_ints("kernel_shape").size() > 3) throw UnsupportedNode(node.describe() + ": Conv above 3-D");
    return compile_conv(node);
  }
  if (op == "Gemm") return compile_gemm(node);
  if (op == "MatMul") {
    const FusedActivation act = activation_of(node);
    return [act](const std::vector<torch::Tensor>& in, bool) {
      return one(apply_activation(act, torch::matmul(in[0], in[1])));
    };
  }
  if (op == "Add" || op == "Sub" || op == "Mul" || op == "Div") return compile_binary(node);
  if (op == "Relu") return [](const std::vector<torch::Tensor>& in, bool) { return one(torch::relu(in[0])); };
  if (op == "Sigmoid") return [](const std::vector<torch::Tensor>& in, bool) { return one(torch::sigmoid(in[0])); };
  if (op == "Tanh") return [](const std::vector<torch::Tensor>& in, bool) { return one(torch::tanh(in[0])); };
  if (op == "HardSwish") {
    return [](const std::vector<torch::Tensor>& in, bool) { return one(torch::hardswish(in[0])); };
  }
  if (op == "LeakyRelu") {
    const double alpha = node.attr_float("alpha", 0.01f);
    return [alpha](const std::vector<torch::Tensor>& in, bool) { return one(torch::leaky_relu(in[0], alpha)); };
  }
  if (op == "HardSigmoid") {
    const double alpha = node.attr_float("alpha", 0.2f);
    const double beta = node.attr_float("beta", 0.5f);
    return [alpha, beta](const std::vector<torch::Tensor>& in, bool) {
      return one(torch::clamp(in[0] * alpha + beta, 0.0, 1.0));
    };
  }
  if (op == "Clip") return compile_clip(graph, node);
  if (op == "Softmax" || op == "LogSoftmax") {
    const std::int64_t axis = node.attr_int("axis", -1);
    const bool log = op == "LogSoftmax";
    return [axis, log](const std::vector<torch::Tensor>& in, bool) {
      return one(log ? torch::log_softmax(in[0], axis) : torch::softmax(in[0], axis));
    };
  }
  if (op == "MaxPool") return compile_max_pool(node);
  if (op == "AveragePool") return compile_average_pool(node);
  if (op == "GlobalAveragePool" || op == "GlobalMaxPool") {
    const bool is_max = op == "GlobalMaxPool";
    return [is_max](const std::vector<torch::Tensor>& in, bool) {
      std::vector<std::int64_t> dims;
      for (std::int64_t d = 2; d < in[0].dim(); ++d) dims.push_back(d);
      return one(is_max ? torch::amax(in[0], dims, true) : torch::mean(in[0], dims, true));
    };
  }
  if (op == "BatchNormalization") return compile_batch_norm(node);
  if (op == "Concat") {
    const std::int64_t axis = node.attr_int("axis", 0);
    return [axis](const std::vector<torch::Tensor>& in, bool) { return one(torch::cat(in, axis)); };
  }
  if (op == "Reshape") return compile_reshape(graph, node);
  if (op == "Flatten") return compile_flatten(node);
  if (op == "Transpose") return compile_transpose(node);
  if (op == "Squeeze") return compile_squeeze(graph, node);
  if (op == "Unsqueeze") return compile_unsqueeze(graph, node);
  if (op == "Dropout") return compile_dropout(graph, node);
  if (op == "Identity") return [](const std::vector<torch::Tensor>& in, bool) { return one(in[0]); };
  throw UnsupportedNode(str_cat(
      node.describe(), ": operator ", op,
      " is not supported for training (supported: Conv, Gemm, MatMul, Add, Sub, Mul, Div, Relu, Clip, LeakyRelu, "
      "Sigmoid, Tanh, HardSigmoid, HardSwish, Softmax, LogSoftmax, MaxPool, AveragePool, GlobalAveragePool, "
      "GlobalMaxPool, BatchNormalization, Concat, Reshape, Flatten, Transpose, Squeeze, Unsqueeze, Dropout, "
      "Identity)"));
}

enum class ConstantRole { kPlain, kParameter, kStatistic };

// Symmetric weights use [-127, 127], as compress/quantize.cpp (kWeightMax) does.
constexpr double kWeightQmax = 127.0;

}  // namespace

torch::Tensor fake_quantize_activation(const torch::Tensor& x, const ActivationQuantization& params) {
  // Every operation below is float32 element-wise with a float-exact scalar, so it rounds as
  // quant::quantize_value / dequantize_value do: x / scale (a true division: torch does not turn
  // it into a multiplication by 1/scale), round half to even (torch::round is nearbyint), the
  // zero point and clamp exact on integers, (q - zero_point) * scale.
  const double scale = params.scale;
  const double zero_point = params.zero_point;
  const torch::Tensor xd = x.detach();
  const torch::Tensor q = torch::clamp(torch::round(xd / scale) + zero_point, params.qmin, params.qmax);
  const torch::Tensor y = (q - zero_point) * scale;
  if (!x.requires_grad()) return y;
  // Straight-through inside the representable range: y + (x - x) is y exactly, and its
  // gradient with respect to x is the mask.
  const double lo = static_cast<double>(static_cast<float>(params.qmin - params.zero_point) * params.scale);
  const double hi = static_cast<double>(static_cast<float>(params.qmax - params.zero_point) * params.scale);
  const torch::Tensor inside = torch::logical_and(xd >= lo, xd <= hi).to(x.scalar_type());
  return y + (x - xd) * inside;
}

torch::Tensor fake_quantize_weight_per_channel(const torch::Tensor& w, std::int64_t axis) {
  const torch::Tensor wd = w.detach();
  std::vector<std::int64_t> others;
  for (std::int64_t d = 0; d < wd.dim(); ++d) {
    if (d != axis) others.push_back(d);
  }
  // amax over an empty dim list would reduce everything: a 1-D weight is one value per channel.
  const torch::Tensor max_abs = others.empty() ? wd.abs() : wd.abs().amax(others, true);
  const torch::Tensor scale = torch::where(max_abs > 0, max_abs / kWeightQmax, torch::ones_like(max_abs));
  const torch::Tensor q = torch::clamp(torch::round(wd / scale), -kWeightQmax, kWeightQmax);
  // Every weight lies inside its channel's range, so the gradient passes through unchanged.
  return q * scale + (w - wd);
}

Result<torch::Tensor> to_torch(const Tensor& tensor) {
  std::optional<torch::ScalarType> type = torch_type_of(tensor.dtype());
  if (!type) return unsupported("no torch type for ", dtype_name(tensor.dtype()));
  const std::vector<std::int64_t> sizes(tensor.shape().begin(), tensor.shape().end());
  if (tensor.num_elements() == 0) return torch::empty(sizes, torch::TensorOptions().dtype(*type));
  return torch::from_blob(tensor.raw_data(), sizes, torch::TensorOptions().dtype(*type)).clone();
}

Result<Tensor> from_torch(const torch::Tensor& tensor) {
  std::optional<DType> dtype = dtype_of_torch(tensor.scalar_type());
  if (!dtype) return unsupported("no IR dtype for torch type ", c10::toString(tensor.scalar_type()));
  const torch::Tensor cpu = tensor.detach().to(torch::kCPU).contiguous();
  EDGEAI_ASSIGN_OR_RETURN(Tensor out, Tensor::allocate(*dtype, Shape(cpu.sizes().begin(), cpu.sizes().end())));
  if (out.size_bytes() > 0) std::memcpy(out.raw_data(), cpu.data_ptr(), out.size_bytes());
  return out;
}

GraphModule::GraphModule(Graph graph) : graph_(std::move(graph)) {
  const std::string prefix = str_cat("GraphModule '", graph_.name, "': ");
  Status valid = validate_graph(graph_);
  if (!valid.is_ok()) throw std::runtime_error(prefix + valid.message());

  // Which constants train: the weights and biases of the layers, BN's affine parameters.
  std::map<std::string, ConstantRole> roles;
  std::vector<std::string> order;  // constants in order of first use, then unused ones
  auto mark = [&](const std::string& name, ConstantRole role) {
    const Tensor* t = name.empty() ? nullptr : graph_.find_constant(name);
    if (t == nullptr || t->dtype() != DType::kFloat32) return;
    ConstantRole& current = roles[name];
    if (role == ConstantRole::kParameter || current == ConstantRole::kPlain) current = role;
  };
  for (const Node& node : graph_.nodes) {
    for (const std::string& in : node.inputs) {
      if (!in.empty() && graph_.is_constant(in) && std::find(order.begin(), order.end(), in) == order.end()) {
        order.push_back(in);
      }
    }
    auto input = [&](std::size_t i) { return node.has_input(i) ? node.inputs[i] : std::string(); };
    if (node.op_type == "Conv" || node.op_type == "Gemm") {
      mark(input(1), ConstantRole::kParameter);
      mark(input(2), ConstantRole::kParameter);
    } else if (node.op_type == "MatMul") {
      mark(input(0), ConstantRole::kParameter);
      mark(input(1), ConstantRole::kParameter);
    } else if (node.op_type == "BatchNormalization") {
      mark(input(1), ConstantRole::kParameter);
      mark(input(2), ConstantRole::kParameter);
      mark(input(3), ConstantRole::kStatistic);
      mark(input(4), ConstantRole::kStatistic);
    }
  }
  for (const auto& [name, tensor] : graph_.constants) {
    if (std::find(order.begin(), order.end(), name) == order.end()) order.push_back(name);
  }

  std::map<std::string, int> slots;
  auto slot_of = [&](const std::string& name) {
    auto [it, inserted] = slots.emplace(name, static_cast<int>(slots.size()));
    if (inserted) slot_init_.emplace_back();
    return it->second;
  };
  std::set<std::string> torch_names;
  for (const std::string& name : order) {
    Result<torch::Tensor> tensor = to_torch(graph_.constants.at(name));
    if (!tensor.is_ok()) throw UnsupportedNode(prefix + "constant '" + name + "': " + tensor.status().message());
    std::string torch_name = sanitize(name);
    for (int i = 2; torch_names.count(torch_name) != 0; ++i) torch_name = sanitize(name) + "_" + std::to_string(i);
    torch_names.insert(torch_name);
    const ConstantRole role = roles.count(name) != 0 ? roles[name] : ConstantRole::kPlain;
    const int slot = slot_of(name);
    if (role == ConstantRole::kParameter) {
      slot_init_[slot] = register_parameter(torch_name, *tensor, true);
      parameter_constants_.push_back(name);
      parameter_tensors_.push_back(slot_init_[slot]);
    } else {
      slot_init_[slot] = register_buffer(torch_name, *tensor);
      if (role == ConstantRole::kStatistic) {
        statistic_constants_.push_back(name);
        statistic_tensors_.push_back(slot_init_[slot]);
      }
    }
  }
  for (const ValueInfo& input : graph_.inputs) input_slots_.push_back(slot_of(input.name));

  for (const Node& node : graph_.nodes) {
    auto step = std::make_shared<Step>();
    step->description = node.describe();
    try {
      step->run = compile_node(graph_, node);
    } catch (const UnsupportedNode& e) {
      throw UnsupportedNode(prefix + e.what());
    }
    for (std::size_t i = 0; i < node.inputs.size(); ++i) {
      step->inputs.push_back(node.has_input(i) ? slot_of(node.inputs[i]) : -1);
    }
    for (const std::string& out : node.outputs) step->outputs.push_back(out.empty() ? -1 : slot_of(out));
    steps_.push_back(std::move(step));
  }
  for (const ValueInfo& output : graph_.outputs) {
    if (slots.count(output.name) == 0) throw std::runtime_error(prefix + "output '" + output.name + "' is never produced");
    output_slots_.push_back(slots.at(output.name));
  }
  slot_count_ = slots.size();
  slot_of_value_ = std::move(slots);
  slot_activation_fq_.assign(slot_count_, std::nullopt);
  slot_weight_fq_.assign(slot_count_, std::nullopt);
}

Result<std::shared_ptr<GraphModule>> GraphModule::create(Graph graph) {
  try {
    return std::make_shared<GraphModule>(std::move(graph));
  } catch (const UnsupportedNode& e) {
    return unsupported(e.what());
  } catch (const std::exception& e) {
    return invalid_argument(e.what());
  }
}

Status GraphModule::set_fake_quantization(FakeQuantization fq) {
  const std::string prefix = str_cat("fake quantisation of graph '", graph_.name, "': ");
  std::vector<std::optional<ActivationQuantization>> activation_fq(slot_count_);
  std::vector<std::optional<std::int64_t>> weight_fq(slot_count_);
  for (const auto& [name, p] : fq.activations) {
    auto it = slot_of_value_.find(name);
    std::optional<ValueInfo> info = graph_.find_value_info(name);
    const Tensor* constant = graph_.find_constant(name);
    const DType dtype = constant != nullptr ? constant->dtype() : info ? info->dtype : DType::kUndefined;
    if (it == slot_of_value_.end() || dtype != DType::kFloat32) {
      return invalid_argument(prefix, "'", name, "' is not a float32 value of the graph");
    }
    if (!(p.scale > 0.0f) || !std::isfinite(p.scale)) {
      return invalid_argument(prefix, "'", name, "' has scale ", p.scale, ", must be positive and finite");
    }
    if (p.qmin >= p.qmax || p.zero_point < p.qmin || p.zero_point > p.qmax) {
      return invalid_argument(prefix, "'", name, "' has zero point ", p.zero_point, " outside [", p.qmin, ", ",
                              p.qmax, "]");
    }
    activation_fq[static_cast<std::size_t>(it->second)] = p;
  }
  for (const auto& [name, axis] : fq.weights) {
    const Tensor* w = graph_.find_constant(name);
    if (w == nullptr || w->dtype() != DType::kFloat32) {
      return invalid_argument(prefix, "weight '", name, "' is not a float32 constant of the graph");
    }
    if (axis < 0 || axis >= static_cast<std::int64_t>(w->shape().size())) {
      return invalid_argument(prefix, "weight '", name, "' of shape ", shape_to_string(w->shape()),
                              " has no channel axis ", axis);
    }
    const int slot = slot_of_value_.at(name);
    if (activation_fq[static_cast<std::size_t>(slot)]) {
      return invalid_argument(prefix, "'", name, "' is named both as an activation and as a weight");
    }
    weight_fq[static_cast<std::size_t>(slot)] = axis;
  }
  fake_quantization_ = std::move(fq);
  slot_activation_fq_ = std::move(activation_fq);
  slot_weight_fq_ = std::move(weight_fq);
  return Status::ok();
}

std::vector<std::string> GraphModule::input_names() const {
  std::vector<std::string> names;
  for (const ValueInfo& input : graph_.inputs) names.push_back(input.name);
  return names;
}

std::vector<torch::Tensor> GraphModule::forward(const std::vector<torch::Tensor>& inputs) {
  if (inputs.size() != input_slots_.size()) {
    throw std::runtime_error(str_cat("GraphModule '", graph_.name, "': forward() got ", inputs.size(),
                                     " inputs, the graph has ", input_slots_.size()));
  }
  std::vector<torch::Tensor> slots = slot_init_;
  const bool quantize = !fake_quantization_.empty();
  if (quantize) {
    // Weights and constant operands, before the first node reads them.
    for (std::size_t s = 0; s < slot_count_; ++s) {
      if (!slots[s].defined()) continue;
      if (slot_weight_fq_[s]) {
        slots[s] = fake_quantize_weight_per_channel(slots[s], *slot_weight_fq_[s]);
      } else if (slot_activation_fq_[s]) {
        slots[s] = fake_quantize_activation(slots[s], *slot_activation_fq_[s]);
      }
    }
  }
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const std::size_t s = static_cast<std::size_t>(input_slots_[i]);
    slots[s] = quantize && slot_activation_fq_[s] ? fake_quantize_activation(inputs[i], *slot_activation_fq_[s])
                                                  : inputs[i];
  }
  const bool training = is_training();
  std::vector<torch::Tensor> in;
  for (const std::shared_ptr<Step>& step : steps_) {
    in.clear();
    for (int slot : step->inputs) in.push_back(slot < 0 ? torch::Tensor() : slots[static_cast<std::size_t>(slot)]);
    std::vector<torch::Tensor> out;
    try {
      out = step->run(in, training);
    } catch (const c10::Error& e) {
      throw std::runtime_error(str_cat("GraphModule '", graph_.name, "': ", step->description, ": ",
                                       e.what_without_backtrace()));
    }
    for (std::size_t i = 0; i < step->outputs.size() && i < out.size(); ++i) {
      if (step->outputs[i] < 0) continue;
      const std::size_t s = static_cast<std::size_t>(step->outputs[i]);
      slots[s] = quantize && slot_activation_fq_[s] ? fake_quantize_activation(out[i], *slot_activation_fq_[s])
                                                    : std::move(out[i]);
    }
  }
  std::vector<torch::Tensor> outputs;
  for (int slot : output_slots_) outputs.push_back(slots[static_cast<std::size_t>(slot)]);
  return outputs;
}

Graph GraphModule::to_graph() const {
  Graph graph = graph_;
  auto copy_back = [&graph](const std::vector<std::string>& names, const std::vector<torch::Tensor>& tensors) {
    for (std::size_t i = 0; i < names.size(); ++i) {
      Result<Tensor> value = from_torch(tensors[i]);
      // float32 tensors of static shape always convert; anything else is a bug here.
      if (!value.is_ok()) throw std::logic_error("to_graph: " + value.status().message());
      graph.constants[names[i]] = std::move(value).value();
    }
  };
  copy_back(parameter_constants_, parameter_tensors_);
  copy_back(statistic_constants_, statistic_tensors_);
  return graph;
}

}  // namespace edgeai
