// Reference integer convolutions, ONNX opset 13: QLinearConv
// (https://onnx.ai/onnx/operators/onnx__QLinearConv.html) and ConvInteger
// (https://onnx.ai/onnx/operators/onnx__ConvInteger.html), 1 to 3 spatial axes, grouped and
// depthwise, per-tensor or per-output-channel weights. One loop nest serves both, written as
// plain loops in the spirit of tflite-micro reference/integer_ops/conv.h: it is the
// specification optimised int8 convolutions are tested against. Rounding and requantisation
// come from kernels/quantization.hpp only. Depends on core, graph and the kernel contract.
#include <memory>
#include <string>
#include <vector>

#include "kernels/reference/quantized_operands.hpp"
#include "kernels/reference/window_3d.hpp"
#include "kernels/registry.hpp"

namespace edgeai {
namespace {

// Which input holds what; kAbsent where the operator has no such input.
constexpr std::size_t kAbsent = static_cast<std::size_t>(-1);
struct ConvInputIndices {
  std::size_t x, x_zero_point, w, w_zero_point;
  std::size_t x_scale, w_scale, y_scale, y_zero_point, bias;
};
constexpr ConvInputIndices kQLinearConvInputs{0, 2, 3, 5, 1, 4, 6, 7, 8};
constexpr ConvInputIndices kConvIntegerInputs{0, 2, 1, 3, kAbsent, kAbsent, kAbsent, kAbsent, kAbsent};

// The shapes of one integer convolution and its zero points.
struct IntegerConvProblem {
  Window3d window;
  std::int64_t batch = 0, channels = 0, out_channels = 0, group = 1;
  std::int32_t x_zero_point = 0;
  const std::int32_t* w_zero_points = nullptr;  // one per output channel
  const std::int32_t* bias = nullptr;           // one per output channel, or nullptr
};

// ONNX QLinearConv / ConvInteger: for output (n, m, o),
//   acc = B[m] + sum over c in m's group, kernel offsets k of
//         (X[n, c, o * strides - pads_begin + k * dilations] - x_zero_point) * (W[m, c', k] - w_zero_point[m])
// where a position in the padding is X = x_zero_point, i.e. contributes 0. The sum is exact
// (int64) and becomes the int32 accumulator, saturated (unreachable for compressor-made models;
// with int16 activations a saturated accumulator would also saturate the int16 output unless the
// requantisation multiplier is below 2^-16, see docs/formats/quantization.md).
// store(m, flat output index, acc) writes the result.
template <typename TX, typename TW, typename Store>
void integer_conv(const IntegerConvProblem& p, const TX* x, const TW* w, Store store) {
  const Window3d& g = p.window;
  const std::int64_t in_per_group = p.channels / p.group;
  const std::int64_t out_per_group = p.out_channels / p.group;
  const std::int64_t kernel_size = g.kernel_size();
  for (std::int64_t n = 0; n < p.batch; ++n) {
    for (std::int64_t m = 0; m < p.out_channels; ++m) {
      const std::int64_t first_channel = (m / out_per_group) * in_per_group;
      const std::int32_t w_zero_point = p.w_zero_points[m];
      std::int64_t y_index = (n * p.out_channels + m) * g.out_plane();
      for (std::int64_t oz = 0; oz < g.out[0]; ++oz) {
        for (std::int64_t oy = 0; oy < g.out[1]; ++oy) {
          for (std::int64_t ox = 0; ox < g.out[2]; ++ox, ++y_index) {
            std::int64_t acc = p.bias != nullptr ? p.bias[m] : 0;
            for (std::int64_t c = 0; c < in_per_group; ++c) {
              const TX* x_plane = x + (n * p.channels + first_channel + c) * g.in_plane();
              const TW* w_kernel = w + (m * in_per_group + c) * kernel_size;
              for_each_window_tap(g, oz, oy, ox, [&](const WindowTap& t) {
                const std::int32_t x_value = x_plane[(t.iz * g.in[1] + t.iy) * g.in[2] + t.ix];
                const std::int32_t w_value = w_kernel[(t.kz * g.k[1] + t.ky) * g.k[2] + t.kx];
                // Each product fits int32: |x - x_zp| <= 65535 (int16 x), |w - w_zp| <= 255.
                acc += static_cast<std::int64_t>((x_value - p.x_zero_point) * (w_value - w_zero_point));
              });
            }
            store(m, y_index, saturate_to_int32(acc));
          }
        }
      }
    }
  }
}

// QLinearConv (requantizes = true): y = clamp(y_zero_point + round(acc * x_scale * w_scale[m] / y_scale)),
// the clamp being [qmin, qmax] of the output type intersected with a fused Relu/Clip.
// ConvInteger (requantizes = false): y = acc as int32.
class IntegerConvKernel final : public Kernel {
 public:
  explicit IntegerConvKernel(bool requantizes)
      : requantizes_(requantizes), in_(requantizes ? kQLinearConvInputs : kConvIntegerInputs) {}

  Status prepare(const Node& node, const KernelSignature& sig) override {
    node_ = node.describe();
    x_dtype_ = sig.inputs[in_.x].dtype;
    w_dtype_ = sig.inputs[in_.w].dtype;
    y_dtype_ = sig.outputs[0].dtype;
    // QLinearConv's x and y may be int16 (int16 activations, int8 weights); ConvInteger is 8-bit.
    const bool x_ok = requantizes_ ? is_activation_dtype(x_dtype_) : is_quantized_dtype(x_dtype_);
    if (!x_ok || !is_quantized_dtype(w_dtype_)) {
      return unsupported(node_, ": x must be int8 or uint8", requantizes_ ? " (or int16)" : "",
                         " and w int8 or uint8, got ", dtype_name(x_dtype_), " and ", dtype_name(w_dtype_));
    }
    const Shape& x = sig.inputs[in_.x].shape;
    const Shape& w = sig.inputs[in_.w].shape;
    if (x.size() < 3 || w.size() != x.size()) {
      return invalid_argument(node_, ": x ", shape_to_string(x), " must be (N, C, spatial...) and w ",
                              shape_to_string(w), " of the same rank");
    }
    problem_.group = node.attr_int("group", 1);
    problem_.batch = x[0];
    problem_.channels = x[1];
    problem_.out_channels = w[0];
    const std::int64_t group = problem_.group;
    if (group < 1 || x[1] % group != 0 || w[0] % group != 0 || w[1] * group != x[1]) {
      return invalid_argument(node_, ": x ", shape_to_string(x), " and w ", shape_to_string(w),
                              " do not agree for group ", group);
    }
    EDGEAI_ASSIGN_OR_RETURN(problem_.window,
                            make_window_3d(node, x, std::vector<std::int64_t>(w.begin() + 2, w.end()), true, false));

    const std::int64_t m = problem_.out_channels;
    EDGEAI_RETURN_IF_ERROR(check_zero_point_type(sig, in_.x_zero_point, "x_zero_point", x_dtype_));
    EDGEAI_RETURN_IF_ERROR(check_zero_point_type(sig, in_.w_zero_point, "w_zero_point", w_dtype_));
    EDGEAI_RETURN_IF_ERROR(check_quant_param(node_, sig, {in_.x_zero_point, "x_zero_point", false}));
    EDGEAI_RETURN_IF_ERROR(
        check_quant_param(node_, sig, {in_.w_zero_point, "w_zero_point", false, m, "output channel"}));
    if (requantizes_) {
      if (!is_activation_dtype(y_dtype_)) {
        return invalid_argument(node_, ": y_zero_point must be int8, uint8 or int16, got ", dtype_name(y_dtype_));
      }
      EDGEAI_ASSIGN_OR_RETURN(activation_, fused_activation_of(node));
      EDGEAI_RETURN_IF_ERROR(check_quantized_activation(node, activation_));
      EDGEAI_RETURN_IF_ERROR(check_quant_param(node_, sig, {in_.x_scale, "x_scale", true}));
      EDGEAI_RETURN_IF_ERROR(check_quant_param(node_, sig, {in_.w_scale, "w_scale", true, m, "output channel"}));
      EDGEAI_RETURN_IF_ERROR(check_quant_param(node_, sig, {in_.y_scale, "y_scale", true}));
      EDGEAI_RETURN_IF_ERROR(check_quant_param(node_, sig, {in_.y_zero_point, "y_zero_point", false}));
      has_bias_ = has_input(sig, in_.bias);
      if (has_bias_ && (sig.inputs[in_.bias].dtype != DType::kInt32 || sig.inputs[in_.bias].shape != Shape{m})) {
        return invalid_argument(node_, ": bias B must be int32 [", m, "], got ", dtype_name(sig.inputs[in_.bias].dtype),
                                " ", shape_to_string(sig.inputs[in_.bias].shape));
      }
    } else if (y_dtype_ != DType::kInt32) {
      return internal_error(node_, ": ConvInteger's output must be int32, got ", dtype_name(y_dtype_));
    }
    w_zero_points_.assign(static_cast<std::size_t>(m), 0);
    scales_.assign(requantizes_ ? static_cast<std::size_t>(m) : 0, 0.0f);
    params_ready_ = are_constants(sig, {in_.x_zero_point, in_.w_zero_point}) &&
                    (!requantizes_ || are_constants(sig, {in_.x_scale, in_.w_scale, in_.y_scale, in_.y_zero_point}));
    if (params_ready_) EDGEAI_RETURN_IF_ERROR(load_params(constant_input_views(sig)));
    const Window3d& g = problem_.window;
    macs_ = problem_.batch * m * g.out_plane() * (problem_.channels / group) * g.kernel_size();
    return Status::ok();
  }

  Status run(std::span<const TensorView> inputs, std::span<TensorView> outputs, void* /*scratch*/) override {
    if (!params_ready_) EDGEAI_RETURN_IF_ERROR(load_params(inputs));
    problem_.w_zero_points = w_zero_points_.data();
    problem_.bias = has_bias_ ? inputs[in_.bias].data_as<const std::int32_t>() : nullptr;
    const IntegerConvProblem& p = problem_;
    visit_activation(x_dtype_, [&](auto x_tag) {
      using TX = decltype(x_tag);
      visit_quantized(w_dtype_, [&](auto w_tag) {
        using TW = decltype(w_tag);
        const TX* x = inputs[in_.x].data_as<const TX>();
        const TW* w = inputs[in_.w].data_as<const TW>();
        if (!requantizes_) {
          std::int32_t* y = outputs[0].data_as<std::int32_t>();
          integer_conv(p, x, w, [y](std::int64_t, std::int64_t i, std::int32_t acc) { y[i] = acc; });
          return;
        }
        visit_activation(y_dtype_, [&](auto y_tag) {
          using TY = decltype(y_tag);
          TY* y = outputs[0].data_as<TY>();
          integer_conv(p, x, w, [&](std::int64_t m, std::int64_t i, std::int32_t acc) {
            y[i] = static_cast<TY>(quant::requantize_accumulator(acc, scales_[static_cast<std::size_t>(m)],
                                                                 y_zero_point_, clamp_.lo, clamp_.hi));
          });
        });
      });
    });
    return Status::ok();
  }

  std::int64_t macs() const override { return macs_; }

 private:
  Status check_zero_point_type(const KernelSignature& sig, std::size_t index, std::string_view name,
                               DType expected) const {
    if (has_input(sig, index) && sig.inputs[index].dtype != expected) {
      return invalid_argument(node_, ": ", name, " is ", dtype_name(sig.inputs[index].dtype), " but its tensor is ",
                              dtype_name(expected));
    }
    return Status::ok();
  }

  // Zero points, and for QLinearConv the per-channel scales x_scale * w_scale[m] / y_scale
  // (computed in double from the float scales) and the output clamp.
  Status load_params(std::span<const TensorView> in) {
    const auto view = [&](std::size_t i) { return optional_input(in, i); };
    problem_.x_zero_point = zero_point_at(view(in_.x_zero_point), 0);
    const TensorView* w_zero_point = view(in_.w_zero_point);
    for (std::size_t m = 0; m < w_zero_points_.size(); ++m) {
      w_zero_points_[m] = zero_point_at(w_zero_point, static_cast<std::int64_t>(m));
    }
    if (!requantizes_) return Status::ok();
    const float x_scale = scale_at(in[in_.x_scale], 0);
    const float y_scale = scale_at(in[in_.y_scale], 0);
    EDGEAI_RETURN_IF_ERROR(check_scale_value(node_, "x_scale", x_scale));
    EDGEAI_RETURN_IF_ERROR(check_scale_value(node_, "y_scale", y_scale));
    y_zero_point_ = zero_point_at(view(in_.y_zero_point), 0);
    for (std::size_t m = 0; m < scales_.size(); ++m) {
      const float w_scale = scale_at(in[in_.w_scale], static_cast<std::int64_t>(m));
      EDGEAI_RETURN_IF_ERROR(check_scale_value(node_, "w_scale", w_scale));
      const double real = static_cast<double>(x_scale) * static_cast<double>(w_scale) / static_cast<double>(y_scale);
      EDGEAI_RETURN_IF_ERROR(
          make_requantization_scale(node_, real, &scales_[m], "x_scale * w_scale[", m, "] / y_scale"));
    }
    visit_activation(y_dtype_, [&](auto tag) {
      using TY = decltype(tag);
      clamp_ = quantized_clamp(activation_, y_scale, y_zero_point_, quant::qmin_of<TY>(), quant::qmax_of<TY>());
    });
    return Status::ok();
  }

  bool requantizes_;
  ConvInputIndices in_;
  std::string node_;
  DType x_dtype_ = DType::kUndefined, w_dtype_ = DType::kUndefined, y_dtype_ = DType::kUndefined;
  IntegerConvProblem problem_;
  FusedActivation activation_;
  bool has_bias_ = false;
  bool params_ready_ = false;
  std::vector<std::int32_t> w_zero_points_;
  std::vector<float> scales_;  // x_scale * w_scale[m] / y_scale in float32
  std::int32_t y_zero_point_ = 0;
  QuantizedClamp clamp_;
  std::int64_t macs_ = 0;
};

}  // namespace

void register_quantized_conv_kernels(KernelRegistry& registry) {
  registry.add("QLinearConv", []() -> std::unique_ptr<Kernel> { return std::make_unique<IntegerConvKernel>(true); });
  registry.add("ConvInteger", []() -> std::unique_ptr<Kernel> { return std::make_unique<IntegerConvKernel>(false); });
}

}  // namespace edgeai
