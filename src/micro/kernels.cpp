// The microcontroller runtime's operators (kernels.hpp): operand checks at load, and the
// reference loops, written after the host's reference kernels (src/kernels/reference/quantized_*)
// with the same arithmetic from kernels/quantization.hpp. int8 activations and weights only;
// scales and zero points must be constants (they are in every bundle edgeai compress writes).
#include "micro/kernels.hpp"

#include <cstring>

#include "kernels/quantization.hpp"

namespace edgeai::micro {
namespace {

constexpr std::int32_t kQmin = -128, kQmax = 127;

// ---- attribute lookup ------------------------------------------------------------------------

// FlatBuffers field ids of Node.attributes and Attribute (src/format/eai.fbs).
constexpr unsigned kNodeAttributes = 4;
constexpr unsigned kAttrName = 0, kAttrI = 2, kAttrF = 3, kAttrS = 4, kAttrInts = 5;

std::uint32_t find_attribute(const Interpreter& in, const Node& node, const char* name) {
  const FbBuffer& fb = in.metadata();
  const FbVector attrs = fb.vector(node.attributes_table, kNodeAttributes, 4);
  for (std::uint32_t i = 0; i < attrs.size; ++i) {
    const std::uint32_t a = fb.element(attrs, i);
    if (fb.string(a, kAttrName).equals(name)) return a;
  }
  return 0;
}

// ---- operand helpers -------------------------------------------------------------------------

const char* op_name(const Node& node) { return op_kernels()[node.op].op_type; }

Code refuse(Interpreter& in, const Node& node, Code code, const char* what) {
  in.message() << "node '" << node.name << "' (" << op_name(node) << "): " << what;
  return code;
}

// Input i, or null when absent.
const Tensor* input(const Interpreter& in, const Node& node, int i) {
  if (i >= node.num_inputs || node.inputs[i] < 0) return nullptr;
  return &in.tensor(node.inputs[i]);
}

// A per-tensor (one element) or per-channel (`channels` elements) constant of `dtype`.
bool is_param(const Tensor* t, DType dtype, std::uint32_t channels = 1) {
  if (t == nullptr || !t->is_constant() || t->dtype != dtype) return false;
  const std::uint32_t n = t->elements();
  return n == 1 || (n == channels && t->rank == 1);
}

// Checks the scale at input `scale` (float32) and zero point at `zero_point` (int8, optional).
Code check_quant_pair(Interpreter& in, const Node& node, int scale, int zero_point, std::uint32_t channels = 1) {
  if (!is_param(input(in, node, scale), DType::kFloat32, channels)) {
    return refuse(in, node, Code::kUnsupported, "scales must be float32 constants, per tensor or per channel");
  }
  const Tensor* zp = input(in, node, zero_point);
  if (zp != nullptr && !is_param(zp, DType::kInt8, channels)) {
    return refuse(in, node, Code::kUnsupported, "zero points must be int8 constants (uint8 is not supported)");
  }
  return Code::kOk;
}

float scale_of(const Interpreter& in, const Node& node, int i, std::uint32_t channel = 0) {
  const Tensor* t = input(in, node, i);
  return load_le<float>(t->constant + 4 * (t->elements() == 1 ? 0 : channel));
}

std::int32_t zero_point_of(const Interpreter& in, const Node& node, int i) {
  const Tensor* t = input(in, node, i);
  return t == nullptr ? 0 : static_cast<const std::int8_t*>(static_cast<const void*>(t->constant))[0];
}

const std::int8_t* int8_data(const Interpreter& in, const Tensor& t) {
  return reinterpret_cast<const std::int8_t*>(in.data(t));
}

// The output clamp of a fused Relu/Clip (the host's quantized_clamp).
Code fused_clamp(Interpreter& in, Node& node, float y_scale, std::int32_t y_zero_point, std::int32_t* lo,
                 std::int32_t* hi) {
  const FbString kind = attr_string(in, node, "activation");
  *lo = kQmin;
  *hi = kQmax;
  if (kind.size == 0) return Code::kOk;
  if (kind.equals("Relu")) {
    *lo = quant::quantize_value(0.0f, y_scale, y_zero_point, kQmin, kQmax);
    return Code::kOk;
  }
  if (kind.equals("Clip")) {
    *lo = quant::quantize_value(attr_float(in, node, "activation_alpha", 0.0f), y_scale, y_zero_point, kQmin, kQmax);
    *hi = quant::quantize_value(attr_float(in, node, "activation_beta", 0.0f), y_scale, y_zero_point, kQmin, kQmax);
    return Code::kOk;
  }
  in.message() << "node '" << node.name << "': fused activation " << kind << " has no integer form";
  return Code::kUnsupported;
}

// Spatial geometry of a 1-D (N, C, W) or 2-D (N, C, H, W) window op: the height is 1 for 1-D.
struct Geometry {
  std::int32_t channels, in_h, in_w, out_h, out_w;
  std::int32_t kernel_h, kernel_w, stride_h, stride_w, pad_top, pad_left, dilation_h, dilation_w;
};

Code window_geometry(Interpreter& in, const Node& node, const Tensor& x, const Tensor& y, const std::int64_t* kernel,
                     int kernel_count, Geometry* g) {
  if (x.rank != y.rank || (x.rank != 3 && x.rank != 4) || x.dims[0] != 1 || y.dims[0] != 1) {
    return refuse(in, node, Code::kUnsupported, "X and Y must be (1, C, W) or (1, C, H, W)");
  }
  const int spatial = x.rank - 2;
  if (kernel_count != spatial) return refuse(in, node, Code::kInvalidBundle, "kernel shape and input rank differ");
  std::int64_t strides[2] = {1, 1}, dilations[2] = {1, 1}, pads[4] = {0, 0, 0, 0};
  if (attr_ints(in, node, "strides", strides, 2) > spatial ||
      attr_ints(in, node, "dilations", dilations, 2) > spatial || attr_ints(in, node, "pads", pads, 4) > 2 * spatial) {
    return refuse(in, node, Code::kInvalidBundle, "strides, dilations or pads longer than the spatial axes");
  }
  const FbString auto_pad = attr_string(in, node, "auto_pad");
  if (auto_pad.size != 0 && !auto_pad.equals("NOTSET")) {
    return refuse(in, node, Code::kUnsupported, "auto_pad must be NOTSET (explicit pads)");
  }
  if (attr_int(in, node, "channels_last", 0) != 0) return refuse(in, node, Code::kUnsupported, "channels_last");
  const bool two_d = spatial == 2;
  g->channels = x.dims[1];
  g->in_h = two_d ? x.dims[2] : 1;
  g->in_w = x.dims[x.rank - 1];
  g->out_h = two_d ? y.dims[2] : 1;
  g->out_w = y.dims[y.rank - 1];
  g->kernel_h = two_d ? static_cast<std::int32_t>(kernel[0]) : 1;
  g->kernel_w = static_cast<std::int32_t>(kernel[spatial - 1]);
  g->stride_h = two_d ? static_cast<std::int32_t>(strides[0]) : 1;
  g->stride_w = static_cast<std::int32_t>(strides[spatial - 1]);
  g->dilation_h = two_d ? static_cast<std::int32_t>(dilations[0]) : 1;
  g->dilation_w = static_cast<std::int32_t>(dilations[spatial - 1]);
  g->pad_top = two_d ? static_cast<std::int32_t>(pads[0]) : 0;
  g->pad_left = static_cast<std::int32_t>(pads[spatial - 1]);
  const std::int32_t pad_bottom = two_d ? static_cast<std::int32_t>(pads[2]) : 0;
  const std::int32_t pad_right = static_cast<std::int32_t>(pads[2 * spatial - 1]);
  if (g->kernel_h < 1 || g->kernel_w < 1 || g->stride_h < 1 || g->stride_w < 1 || g->dilation_h < 1 ||
      g->dilation_w < 1 || g->pad_top < 0 || g->pad_left < 0 || pad_bottom < 0 || pad_right < 0) {
    return refuse(in, node, Code::kInvalidBundle, "kernel, strides and dilations must be >= 1 and pads >= 0");
  }
  // The output extent the attributes give must be Y's: floor, or with MaxPool's ceil_mode
  // rounded up unless the last window would start past the input and its leading padding.
  const bool ceil_mode = attr_int(in, node, "ceil_mode", 0) != 0;
  const auto extent = [&](std::int32_t size, std::int32_t begin, std::int32_t end, std::int32_t k, std::int32_t s,
                          std::int32_t d) {
    const std::int64_t span =
        static_cast<std::int64_t>(size) + begin + end - static_cast<std::int64_t>(d) * (k - 1) - 1;
    if (span < 0) return std::int64_t{0};
    std::int64_t out = (ceil_mode ? (span + s - 1) / s : span / s) + 1;
    if (ceil_mode && (out - 1) * s >= static_cast<std::int64_t>(size) + begin) --out;
    return out;
  };
  if (extent(g->in_h, g->pad_top, pad_bottom, g->kernel_h, g->stride_h, g->dilation_h) != g->out_h ||
      extent(g->in_w, g->pad_left, pad_right, g->kernel_w, g->stride_w, g->dilation_w) != g->out_w) {
    return refuse(in, node, Code::kInvalidBundle, "Y's shape does not follow from X's and the attributes");
  }
  return Code::kOk;
}

// ---- QuantizeLinear / DequantizeLinear (per tensor) ------------------------------------------

Code prepare_quantize(Interpreter& in, Node& node) {
  const Tensor* x = input(in, node, 0);
  const Tensor& y = in.tensor(node.output);
  if (x == nullptr || x->dtype != DType::kFloat32 || y.dtype != DType::kInt8 || x->elements() != y.elements()) {
    return refuse(in, node, Code::kUnsupported, "x must be float32 and y int8 of the same size");
  }
  return check_quant_pair(in, node, 1, 2);
}

Code invoke_quantize(Interpreter& in, const Node& node) {
  const Tensor& x = *input(in, node, 0);
  const float* src = reinterpret_cast<const float*>(in.data(x));
  std::int8_t* dst = reinterpret_cast<std::int8_t*>(in.data(in.tensor(node.output)));
  const float scale = scale_of(in, node, 1);
  const std::int32_t zero_point = zero_point_of(in, node, 2);
  const std::uint32_t n = x.elements();
  for (std::uint32_t i = 0; i < n; ++i) {
    dst[i] = static_cast<std::int8_t>(quant::quantize_value(src[i], scale, zero_point, kQmin, kQmax));
  }
  return Code::kOk;
}

Code prepare_dequantize(Interpreter& in, Node& node) {
  const Tensor* x = input(in, node, 0);
  const Tensor& y = in.tensor(node.output);
  if (x == nullptr || x->dtype != DType::kInt8 || y.dtype != DType::kFloat32 || x->elements() != y.elements()) {
    return refuse(in, node, Code::kUnsupported, "x must be int8 and y float32 of the same size");
  }
  return check_quant_pair(in, node, 1, 2);
}

Code invoke_dequantize(Interpreter& in, const Node& node) {
  const Tensor& x = *input(in, node, 0);
  const std::int8_t* src = int8_data(in, x);
  float* dst = reinterpret_cast<float*>(in.data(in.tensor(node.output)));
  const float scale = scale_of(in, node, 1);
  const std::int32_t zero_point = zero_point_of(in, node, 2);
  const std::uint32_t n = x.elements();
  for (std::uint32_t i = 0; i < n; ++i) dst[i] = quant::dequantize_value(src[i], scale, zero_point);
  return Code::kOk;
}

// ---- QLinearConv -----------------------------------------------------------------------------

enum ConvInput { kX = 0, kXScale, kXZeroPoint, kW, kWScale, kWZeroPoint, kYScale, kYZeroPoint, kBias };

Code prepare_conv(Interpreter& in, Node& node) {
  const Tensor* x = input(in, node, kX);
  const Tensor* w = input(in, node, kW);
  const Tensor& y = in.tensor(node.output);
  if (x == nullptr || w == nullptr || x->dtype != DType::kInt8 || w->dtype != DType::kInt8 || y.dtype != DType::kInt8 ||
      !w->is_constant() || w->rank != x->rank) {
    return refuse(in, node, Code::kUnsupported, "x, y and constant w must be int8, w of x's rank");
  }
  std::int64_t kernel[2] = {w->dims[2], w->rank == 4 ? w->dims[3] : 0};
  Geometry g{};
  Code code = window_geometry(in, node, *x, y, kernel, w->rank - 2, &g);
  if (code != Code::kOk) return code;
  ConvParams& p = node.params.conv;
  const std::int64_t group = attr_int(in, node, "group", 1);
  p.in_channels = g.channels;
  p.out_channels = w->dims[0];
  if (group < 1 || p.in_channels % group != 0 || p.out_channels % group != 0 || w->dims[1] * group != p.in_channels ||
      y.dims[1] != p.out_channels) {
    return refuse(in, node, Code::kInvalidBundle, "x, w and y do not agree for the group");
  }
  p.group = static_cast<std::int32_t>(group);
  p.in_h = g.in_h, p.in_w = g.in_w, p.out_h = g.out_h, p.out_w = g.out_w;
  p.kernel_h = g.kernel_h, p.kernel_w = g.kernel_w, p.stride_h = g.stride_h, p.stride_w = g.stride_w;
  p.pad_top = g.pad_top, p.pad_left = g.pad_left, p.dilation_h = g.dilation_h, p.dilation_w = g.dilation_w;
  const auto channels = static_cast<std::uint32_t>(p.out_channels);
  if ((code = check_quant_pair(in, node, kXScale, kXZeroPoint)) != Code::kOk ||
      (code = check_quant_pair(in, node, kWScale, kWZeroPoint, channels)) != Code::kOk ||
      (code = check_quant_pair(in, node, kYScale, kYZeroPoint)) != Code::kOk) {
    return code;
  }
  p.per_channel = input(in, node, kWScale)->elements() > 1 ||
                  (input(in, node, kWZeroPoint) != nullptr && input(in, node, kWZeroPoint)->elements() > 1);
  const Tensor* bias = input(in, node, kBias);
  if (bias != nullptr && (bias->dtype != DType::kInt32 || !bias->is_constant() || bias->elements() != channels)) {
    return refuse(in, node, Code::kUnsupported, "the bias must be an int32 constant, one per output channel");
  }
  code = fused_clamp(in, node, scale_of(in, node, kYScale), zero_point_of(in, node, kYZeroPoint), &p.act_lo, &p.act_hi);
  if (code != Code::kOk) return code;
  // Scratch: the per-channel float scales, then the DSP form's buffer.
  node.scratch_bytes = 4 * channels + conv_dsp_scratch_bytes(p);
  return Code::kOk;
}

// The requantisation scales x_scale * w_scale[m] / y_scale (in double, rounded once to float32,
// as the host's kernels make them). False (with the message set) when one is out of range.
bool make_scales(Interpreter& in, const Node& node, int a_scale, int b_scale, int y_scale, std::uint32_t count,
                 float* scales) {
  const double a = scale_of(in, node, a_scale), y = scale_of(in, node, y_scale);
  for (std::uint32_t m = 0; m < count; ++m) {
    const double real = a * static_cast<double>(scale_of(in, node, b_scale, m)) / y;
    if (!(y > 0.0) || !(a > 0.0) || !quant::make_requantization_scale(real, &scales[m])) {
      in.message() << "node '" << node.name << "': requantisation ratio of output channel " << m
                   << " is not in (0, 2^30]";
      return false;
    }
  }
  return true;
}

Code invoke_conv(Interpreter& in, const Node& node) {
  const ConvParams& p = node.params.conv;
  float* scales = reinterpret_cast<float*>(in.scratch(node));
  if (!make_scales(in, node, kXScale, kWScale, kYScale, static_cast<std::uint32_t>(p.out_channels), scales)) {
    return Code::kKernelError;
  }
  const Tensor* w_zero_point = input(in, node, kWZeroPoint);
  static const std::int8_t kZero = 0;
  const Tensor* bias = input(in, node, kBias);
  ConvOperands o{};
  o.x = int8_data(in, *input(in, node, kX));
  o.w = int8_data(in, *input(in, node, kW));
  o.bias = bias != nullptr ? reinterpret_cast<const std::int32_t*>(bias->constant) : nullptr;
  o.y = reinterpret_cast<std::int8_t*>(in.data(in.tensor(node.output)));
  o.x_zero_point = zero_point_of(in, node, kXZeroPoint);
  o.w_zero_points = w_zero_point != nullptr ? int8_data(in, *w_zero_point) : &kZero;
  o.scales = scales;
  o.y_zero_point = zero_point_of(in, node, kYZeroPoint);
  ConvParams q = p;
  // A per-tensor zero point with per-channel scales: index 0 for every channel.
  q.per_channel = w_zero_point != nullptr && w_zero_point->elements() > 1;
#if defined(__ARM_FEATURE_DSP) && !defined(EDGEAI_MICRO_REFERENCE)
  if (conv_accumulators_fit_int32(q, o.bias)) {
    conv_dsp(q, o, reinterpret_cast<std::int16_t*>(scales + p.out_channels));
    return Code::kOk;
  }
#endif
  conv_reference(q, o);
  return Code::kOk;
}

// ---- MaxPool (int8) --------------------------------------------------------------------------

Code prepare_max_pool(Interpreter& in, Node& node) {
  const Tensor* x = input(in, node, 0);
  const Tensor& y = in.tensor(node.output);
  if (x == nullptr || x->dtype != DType::kInt8 || y.dtype != DType::kInt8 || x->dims[1] != y.dims[1]) {
    return refuse(in, node, Code::kUnsupported, "x and y must be int8 with the same channels");
  }
  std::int64_t kernel[2] = {0, 0};
  const int count = attr_ints(in, node, "kernel_shape", kernel, 2);
  Geometry g{};
  const Code code = window_geometry(in, node, *x, y, kernel, count, &g);
  if (code != Code::kOk) return code;
  PoolParams& p = node.params.pool;
  p.channels = g.channels, p.in_h = g.in_h, p.in_w = g.in_w, p.out_h = g.out_h, p.out_w = g.out_w;
  p.kernel_h = g.kernel_h, p.kernel_w = g.kernel_w, p.stride_h = g.stride_h, p.stride_w = g.stride_w;
  p.pad_top = g.pad_top, p.pad_left = g.pad_left, p.dilation_h = g.dilation_h, p.dilation_w = g.dilation_w;
  return Code::kOk;
}

// The largest value of each window over the taps inside the input (padding never wins).
Code invoke_max_pool(Interpreter& in, const Node& node) {
  const PoolParams& p = node.params.pool;
  const std::int8_t* x = int8_data(in, *input(in, node, 0));
  std::int8_t* y = reinterpret_cast<std::int8_t*>(in.data(in.tensor(node.output)));
  for (std::int32_t c = 0; c < p.channels; ++c) {
    const std::int8_t* plane = x + c * p.in_h * p.in_w;
    for (std::int32_t oy = 0; oy < p.out_h; ++oy) {
      for (std::int32_t ox = 0; ox < p.out_w; ++ox) {
        std::int32_t best = kQmin;
        for (std::int32_t ky = 0; ky < p.kernel_h; ++ky) {
          const std::int32_t iy = oy * p.stride_h - p.pad_top + ky * p.dilation_h;
          if (iy < 0 || iy >= p.in_h) continue;
          for (std::int32_t kx = 0; kx < p.kernel_w; ++kx) {
            const std::int32_t ix = ox * p.stride_w - p.pad_left + kx * p.dilation_w;
            if (ix < 0 || ix >= p.in_w) continue;
            const std::int32_t v = plane[iy * p.in_w + ix];
            if (v > best) best = v;
          }
        }
        *y++ = static_cast<std::int8_t>(best);
      }
    }
  }
  return Code::kOk;
}

// ---- QLinearGlobalAveragePool ----------------------------------------------------------------

Code prepare_global_average(Interpreter& in, Node& node) {
  const Tensor* x = input(in, node, 0);
  const Tensor& y = in.tensor(node.output);
  if (x == nullptr || x->dtype != DType::kInt8 || y.dtype != DType::kInt8 || x->rank < 3 || x->dims[0] != 1 ||
      y.elements() != static_cast<std::uint32_t>(x->dims[1]) || attr_int(in, node, "channels_last", 0) != 0) {
    return refuse(in, node, Code::kUnsupported, "x must be int8 (1, C, spatial...) and y int8 (1, C, 1...)");
  }
  const Code code = check_quant_pair(in, node, 1, 2);
  return code != Code::kOk ? code : check_quant_pair(in, node, 3, 4);
}

Code invoke_global_average(Interpreter& in, const Node& node) {
  const Tensor& x = *input(in, node, 0);
  const std::int32_t channels = x.dims[1];
  const std::int64_t plane = static_cast<std::int64_t>(x.elements()) / channels;
  const double real = static_cast<double>(scale_of(in, node, 1)) /
                      (static_cast<double>(scale_of(in, node, 3)) * static_cast<double>(plane));
  quant::FixedPointMultiplier multiplier;
  if (!quant::make_fixed_point_multiplier(real, &multiplier)) {
    in.message() << "node '" << node.name << "': x_scale / (y_scale * count) is not in [0, 2^30]";
    return Code::kKernelError;
  }
  const std::int32_t x_zero_point = zero_point_of(in, node, 2), y_zero_point = zero_point_of(in, node, 4);
  const std::int8_t* src = int8_data(in, x);
  std::int8_t* dst = reinterpret_cast<std::int8_t*>(in.data(in.tensor(node.output)));
  for (std::int32_t c = 0; c < channels; ++c) {
    std::int64_t sum = 0;
    for (std::int64_t i = 0; i < plane; ++i) sum += static_cast<std::int32_t>(src[c * plane + i]) - x_zero_point;
    const std::int64_t clamped = sum > INT32_MAX ? INT32_MAX : (sum < INT32_MIN ? INT32_MIN : sum);
    dst[c] = static_cast<std::int8_t>(quant::requantize(clamped, multiplier, y_zero_point, kQmin, kQmax));
  }
  return Code::kOk;
}

// ---- Flatten / Reshape: the same bytes under another shape -----------------------------------

Code prepare_reshape(Interpreter& in, Node& node) {
  const Tensor* x = input(in, node, 0);
  const Tensor& y = in.tensor(node.output);
  if (x == nullptr || x->dtype != y.dtype || x->bytes != y.bytes) {
    return refuse(in, node, Code::kInvalidBundle, "x and y differ in type or size");
  }
  return Code::kOk;
}

Code invoke_reshape(Interpreter& in, const Node& node) {
  const Tensor& x = *input(in, node, 0);
  std::memmove(in.data(in.tensor(node.output)), in.data(x), x.bytes);
  return Code::kOk;
}

// ---- QLinearConcat ---------------------------------------------------------------------------

Code prepare_concat(Interpreter& in, Node& node) {
  const Tensor& y = in.tensor(node.output);
  if (node.num_inputs < 5 || (node.num_inputs - 2) % 3 != 0 || y.dtype != DType::kInt8) {
    return refuse(in, node, Code::kUnsupported, "inputs must be Y_scale, Y_zero_point and (X, X_scale, X_zero_point)");
  }
  std::int64_t axis = attr_int(in, node, "axis", 0);
  if (axis < 0) axis += y.rank;
  if (axis < 0 || axis >= y.rank) return refuse(in, node, Code::kInvalidBundle, "axis out of range");
  ConcatParams& p = node.params.concat;
  p.outer = 1;
  p.inner = 1;
  for (int i = 0; i < axis; ++i) p.outer *= y.dims[i];
  for (int i = static_cast<int>(axis) + 1; i < y.rank; ++i) p.inner *= y.dims[i];
  Code code = check_quant_pair(in, node, 0, 1);
  std::int32_t along = 0;
  for (int t = 2; t < node.num_inputs && code == Code::kOk; t += 3) {
    const Tensor* x = input(in, node, t);
    if (x == nullptr || x->dtype != DType::kInt8 || x->rank != y.rank) {
      return refuse(in, node, Code::kUnsupported, "every X must be int8 of Y's rank");
    }
    along += x->dims[axis];
    code = check_quant_pair(in, node, t + 1, t + 2);
  }
  if (code == Code::kOk && along != y.dims[axis]) {
    return refuse(in, node, Code::kInvalidBundle, "the inputs' sizes along the axis do not add up to Y's");
  }
  return code;
}

Code invoke_concat(Interpreter& in, const Node& node) {
  const ConcatParams& p = node.params.concat;
  std::int8_t* y = reinterpret_cast<std::int8_t*>(in.data(in.tensor(node.output)));
  const float y_scale = scale_of(in, node, 0);
  const std::int32_t y_zero_point = zero_point_of(in, node, 1);
  for (std::int32_t o = 0; o < p.outer; ++o) {
    for (int t = 2; t < node.num_inputs; t += 3) {
      const Tensor& xt = *input(in, node, t);
      const std::int32_t n = xt.dims[0] == 0 ? 0 : static_cast<std::int32_t>(xt.elements() / p.outer);
      const std::int8_t* x = int8_data(in, xt) + o * n;
      const float x_scale = scale_of(in, node, t + 1);
      const std::int32_t x_zero_point = zero_point_of(in, node, t + 2);
      if (x_scale == y_scale && x_zero_point == y_zero_point) {
        std::memcpy(y, x, static_cast<std::size_t>(n));
      } else {
        quant::FixedPointMultiplier m;
        if (!quant::make_fixed_point_multiplier(static_cast<double>(x_scale) / static_cast<double>(y_scale), &m)) {
          in.message() << "node '" << node.name << "': X_scale / Y_scale is not in [0, 2^30]";
          return Code::kKernelError;
        }
        for (std::int32_t i = 0; i < n; ++i) {
          y[i] = static_cast<std::int8_t>(
              quant::requantize(static_cast<std::int64_t>(x[i]) - x_zero_point, m, y_zero_point, kQmin, kQmax));
        }
      }
      y += n;
    }
  }
  return Code::kOk;
}

// ---- QGemm -----------------------------------------------------------------------------------

enum GemmInput { kA = 0, kAScale, kAZeroPoint, kB, kBScale, kBZeroPoint, kC, kGemmYScale, kGemmYZeroPoint };

Code prepare_gemm(Interpreter& in, Node& node) {
  const Tensor* a = input(in, node, kA);
  const Tensor* b = input(in, node, kB);
  const Tensor& y = in.tensor(node.output);
  if (a == nullptr || b == nullptr || a->dtype != DType::kInt8 || b->dtype != DType::kInt8 || !b->is_constant() ||
      y.dtype != DType::kInt8 || a->rank != 2 || b->rank != 2 || input(in, node, kGemmYScale) == nullptr) {
    return refuse(in, node, Code::kUnsupported, "A, Y and constant B must be 2-D int8, with y_scale");
  }
  if (attr_float(in, node, "alpha", 1.0f) != 1.0f) return refuse(in, node, Code::kUnsupported, "alpha must be 1");
  GemmParams& p = node.params.gemm;
  p.trans_a = attr_int(in, node, "transA", 0) != 0;
  p.trans_b = attr_int(in, node, "transB", 0) != 0;
  p.m = p.trans_a ? a->dims[1] : a->dims[0];
  p.k = p.trans_a ? a->dims[0] : a->dims[1];
  p.n = p.trans_b ? b->dims[0] : b->dims[1];
  if ((p.trans_b ? b->dims[1] : b->dims[0]) != p.k || y.dims[0] != p.m || y.dims[1] != p.n) {
    return refuse(in, node, Code::kInvalidBundle, "A, B and Y do not agree");
  }
  const auto columns = static_cast<std::uint32_t>(p.n);
  Code code;
  if ((code = check_quant_pair(in, node, kAScale, kAZeroPoint)) != Code::kOk ||
      (code = check_quant_pair(in, node, kBScale, kBZeroPoint, columns)) != Code::kOk ||
      (code = check_quant_pair(in, node, kGemmYScale, kGemmYZeroPoint)) != Code::kOk) {
    return code;
  }
  const Tensor* c = input(in, node, kC);
  if (c != nullptr && (c->dtype != DType::kInt32 || !c->is_constant() || c->elements() != columns ||
                       (c->rank == 2 && c->dims[0] != 1))) {
    return refuse(in, node, Code::kUnsupported, "C must be an int32 constant of one row");
  }
  code = fused_clamp(in, node, scale_of(in, node, kGemmYScale), zero_point_of(in, node, kGemmYZeroPoint), &p.act_lo,
                     &p.act_hi);
  if (code != Code::kOk) return code;
  node.scratch_bytes = 4 * columns + gemm_dsp_scratch_bytes(p);
  return Code::kOk;
}

Code invoke_gemm(Interpreter& in, const Node& node) {
  const GemmParams& p = node.params.gemm;
  float* scales = reinterpret_cast<float*>(in.scratch(node));
  if (!make_scales(in, node, kAScale, kBScale, kGemmYScale, static_cast<std::uint32_t>(p.n), scales)) {
    return Code::kKernelError;
  }
  static const std::int8_t kZero = 0;
  const Tensor* b_zero_point = input(in, node, kBZeroPoint);
  const Tensor* c = input(in, node, kC);
  GemmOperands o{};
  o.a = int8_data(in, *input(in, node, kA));
  o.b = int8_data(in, *input(in, node, kB));
  o.bias = c != nullptr ? reinterpret_cast<const std::int32_t*>(c->constant) : nullptr;
  o.y = reinterpret_cast<std::int8_t*>(in.data(in.tensor(node.output)));
  o.a_zero_point = zero_point_of(in, node, kAZeroPoint);
  o.b_zero_points = b_zero_point != nullptr ? int8_data(in, *b_zero_point) : &kZero;
  o.scales = scales;
  o.y_zero_point = zero_point_of(in, node, kGemmYZeroPoint);
  GemmParams q = p;
  q.per_column = b_zero_point != nullptr && b_zero_point->elements() > 1;
#if defined(__ARM_FEATURE_DSP) && !defined(EDGEAI_MICRO_REFERENCE)
  if (gemm_accumulators_fit_int32(q, o.bias)) {
    gemm_dsp(q, o, reinterpret_cast<std::int16_t*>(scales + p.n));
    return Code::kOk;
  }
#endif
  gemm_reference(q, o);
  return Code::kOk;
}

constexpr OpKernel kOps[] = {
    {"QuantizeLinear", prepare_quantize, invoke_quantize},
    {"DequantizeLinear", prepare_dequantize, invoke_dequantize},
    {"QLinearConv", prepare_conv, invoke_conv},
    {"MaxPool", prepare_max_pool, invoke_max_pool},
    {"QLinearGlobalAveragePool", prepare_global_average, invoke_global_average},
    {"Flatten", prepare_reshape, invoke_reshape},
    {"Reshape", prepare_reshape, invoke_reshape},
    {"QLinearConcat", prepare_concat, invoke_concat},
    {"QGemm", prepare_gemm, invoke_gemm},
};

std::int32_t saturate_int32(std::int64_t v) {
  return v > INT32_MAX ? INT32_MAX : (v < INT32_MIN ? INT32_MIN : static_cast<std::int32_t>(v));
}

}  // namespace

const OpKernel* op_kernels() { return kOps; }
int op_kernel_count() { return static_cast<int>(sizeof(kOps) / sizeof(kOps[0])); }

std::int64_t attr_int(const Interpreter& in, const Node& node, const char* name, std::int64_t fallback) {
  const std::uint32_t a = find_attribute(in, node, name);
  return a == 0 ? fallback : in.metadata().scalar<std::int64_t>(a, kAttrI, 0);
}

float attr_float(const Interpreter& in, const Node& node, const char* name, float fallback) {
  const std::uint32_t a = find_attribute(in, node, name);
  return a == 0 ? fallback : in.metadata().scalar<float>(a, kAttrF, 0.0f);
}

FbString attr_string(const Interpreter& in, const Node& node, const char* name) {
  const std::uint32_t a = find_attribute(in, node, name);
  return a == 0 ? FbString{} : in.metadata().string(a, kAttrS);
}

int attr_ints(const Interpreter& in, const Node& node, const char* name, std::int64_t* out, int capacity) {
  const std::uint32_t a = find_attribute(in, node, name);
  if (a == 0) return -1;
  const FbVector v = in.metadata().vector(a, kAttrInts, 8);
  for (std::uint32_t i = 0; i < v.size && static_cast<int>(i) < capacity; ++i) {
    out[i] = in.metadata().element_value<std::int64_t>(v, i);
  }
  return static_cast<int>(v.size);
}

// acc = bias[m] + sum over the group's channels and the kernel taps inside the input of
// (x - x_zero_point) * (w - w_zero_point[m]), exact, saturated to int32; then requantised.
void conv_reference(const ConvParams& p, const ConvOperands& o) {
  const std::int32_t in_per_group = p.in_channels / p.group, out_per_group = p.out_channels / p.group;
  const std::int32_t kernel = p.kernel_h * p.kernel_w;
  std::int8_t* y = o.y;
  for (std::int32_t m = 0; m < p.out_channels; ++m) {
    const std::int32_t first_channel = (m / out_per_group) * in_per_group;
    const std::int32_t w_zero_point = o.w_zero_points[p.per_channel ? m : 0];
    for (std::int32_t oy = 0; oy < p.out_h; ++oy) {
      for (std::int32_t ox = 0; ox < p.out_w; ++ox) {
        std::int64_t acc = o.bias != nullptr ? o.bias[m] : 0;
        for (std::int32_t c = 0; c < in_per_group; ++c) {
          const std::int8_t* plane = o.x + (first_channel + c) * p.in_h * p.in_w;
          const std::int8_t* taps = o.w + (m * in_per_group + c) * kernel;
          for (std::int32_t ky = 0; ky < p.kernel_h; ++ky) {
            const std::int32_t iy = oy * p.stride_h - p.pad_top + ky * p.dilation_h;
            if (iy < 0 || iy >= p.in_h) continue;
            for (std::int32_t kx = 0; kx < p.kernel_w; ++kx) {
              const std::int32_t ix = ox * p.stride_w - p.pad_left + kx * p.dilation_w;
              if (ix < 0 || ix >= p.in_w) continue;
              acc += (plane[iy * p.in_w + ix] - o.x_zero_point) * (taps[ky * p.kernel_w + kx] - w_zero_point);
            }
          }
        }
        *y++ = static_cast<std::int8_t>(
            quant::requantize_accumulator(saturate_int32(acc), o.scales[m], o.y_zero_point, p.act_lo, p.act_hi));
      }
    }
  }
}

// y[i, j] = requantise(C[j] + sum over k of (A[i, k] - a_zero_point) * (B[k, j] - b_zero_point[j])).
void gemm_reference(const GemmParams& p, const GemmOperands& o) {
  const std::int32_t a_row = p.trans_a ? 1 : p.k, a_col = p.trans_a ? p.m : 1;
  const std::int32_t b_row = p.trans_b ? 1 : p.n, b_col = p.trans_b ? p.k : 1;
  for (std::int32_t i = 0; i < p.m; ++i) {
    for (std::int32_t j = 0; j < p.n; ++j) {
      const std::int32_t b_zero_point = o.b_zero_points[p.per_column ? j : 0];
      std::int64_t acc = 0;
      for (std::int32_t k = 0; k < p.k; ++k) {
        acc += (o.a[i * a_row + k * a_col] - o.a_zero_point) * (o.b[k * b_row + j * b_col] - b_zero_point);
      }
      if (o.bias != nullptr) acc += o.bias[j];
      o.y[i * p.n + j] = static_cast<std::int8_t>(
          quant::requantize_accumulator(saturate_int32(acc), o.scales[j], o.y_zero_point, p.act_lo, p.act_hi));
    }
  }
}

}  // namespace edgeai::micro
