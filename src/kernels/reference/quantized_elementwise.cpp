// Reference quantised elementwise kernels: QuantizeLinear and DequantizeLinear (ONNX opset 13,
// https://onnx.ai/onnx/operators/onnx__QuantizeLinear.html), ONNX Runtime's com.microsoft
// QLinearAdd, QLinearMul and QLinearConcat, and edgeai's QLinearLookup (a 256-entry table that
// runs Sigmoid, Tanh, HardSwish, ... on int8). Integer-only with one rounding, ties to even:
//   QLinearAdd: y = C_zp + round((a - A_zp) * rA + (b - B_zp) * rB), rA = A_scale / C_scale,
//     rB = B_scale / C_scale. Both ratios share ONE shift: make_fixed_point_multiplier of the
//     larger ratio gives (multiplier, shift); the smaller one becomes round(r * 2^shift) at the
//     same shift. The two int64 products are summed and rounding_shift_right applied once.
//   QLinearMul: y = C_zp + round((a - A_zp) * (b - B_zp) * A_scale * B_scale / C_scale) with
//     multiply_by_fixed_point.
//   QLinearConcat: each input requantised to the output: y = Y_zp + round((x - X_zp) * X_scale / Y_scale);
//     an input with the output's scale and zero point is copied.
// Rounding and requantisation come from kernels/quantization.hpp only. Depends on core, graph
// and the kernel contract.
#include <cmath>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "kernels/reference/broadcast.hpp"
#include "kernels/reference/quantized_operands.hpp"
#include "kernels/registry.hpp"

namespace edgeai {
namespace {

// Elements of `shape` after `axis` and the size of `axis`, for per-axis scales: element i is in
// slice (i / inner) % channels.
struct AxisLayout {
  std::int64_t inner = 1;
  std::int64_t channels = 1;
};

Result<AxisLayout> axis_layout(const Node& node, const Shape& shape, std::int64_t scale_count) {
  AxisLayout layout;
  if (scale_count == 1) return layout;
  const std::int64_t rank = static_cast<std::int64_t>(shape.size());
  std::optional<std::int64_t> axis = normalize_axis(node.attr_int("axis", 1), rank);
  if (!axis) {
    return invalid_argument(node.describe(), ": axis ", node.attr_int("axis", 1), " is out of range for rank ", rank);
  }
  layout.channels = shape[*axis];
  for (std::int64_t d = *axis + 1; d < rank; ++d) layout.inner *= shape[d];
  return layout;
}

// The size of QuantizeLinear's / DequantizeLinear's axis, for checking a 1-D scale; nullopt
// when the axis does not exist (then the scale must be a scalar).
std::optional<std::int64_t> axis_size(const Node& node, const Shape& shape) {
  std::optional<std::int64_t> axis = normalize_axis(node.attr_int("axis", 1), static_cast<std::int64_t>(shape.size()));
  if (!axis) return std::nullopt;
  return shape[*axis];
}

// QuantizeLinear-13: y = saturate(round_half_to_even(x / y_scale) + y_zero_point), per tensor or
// per slice along `axis` when y_scale is 1-D. y's type is y_zero_point's (uint8 without one).
class QuantizeLinearKernel final : public Kernel {
 public:
  Status prepare(const Node& node, const KernelSignature& sig) override {
    const std::string name = node.describe();
    if (sig.inputs[0].dtype != DType::kFloat32) {
      return unsupported(name, ": x must be float32, got ", dtype_name(sig.inputs[0].dtype));
    }
    y_dtype_ = sig.outputs[0].dtype;
    if (!is_activation_dtype(y_dtype_)) {
      return unsupported(name, ": y must be int8, uint8 or int16, got ", dtype_name(y_dtype_));
    }
    const std::optional<std::int64_t> channels = axis_size(node, sig.inputs[0].shape);
    EDGEAI_RETURN_IF_ERROR(check_quant_param(name, sig, {1, "y_scale", true, channels, "slice along axis"}));
    EDGEAI_RETURN_IF_ERROR(check_quant_param(name, sig, {2, "y_zero_point", false, channels, "slice along axis"}));
    EDGEAI_ASSIGN_OR_RETURN(layout_,
                            axis_layout(node, sig.inputs[0].shape, element_count(sig.inputs[1].shape).value_or(1)));
    return Status::ok();
  }

  Status run(std::span<const TensorView> inputs, std::span<TensorView> outputs, void* /*scratch*/) override {
    const float* x = inputs[0].data_as<const float>();
    const TensorView* zero_point = optional_input(inputs, 2);
    visit_activation(y_dtype_, [&](auto tag) {
      using T = decltype(tag);
      T* y = outputs[0].data_as<T>();
      for (std::int64_t i = 0, n = outputs[0].num_elements(); i < n; ++i) {
        const std::int64_t c = (i / layout_.inner) % layout_.channels;
        y[i] = static_cast<T>(quant::quantize_value(x[i], scale_at(inputs[1], c), zero_point_at(zero_point, c),
                                                    quant::qmin_of<T>(), quant::qmax_of<T>()));
      }
    });
    return Status::ok();
  }

 private:
  DType y_dtype_ = DType::kUndefined;
  AxisLayout layout_;
};

// DequantizeLinear-13: y = (x - x_zero_point) * x_scale in float32, per tensor or per slice along
// `axis`. x may be int8, uint8 or int32 (an int32 x has zero point 0, as the operator page says).
class DequantizeLinearKernel final : public Kernel {
 public:
  Status prepare(const Node& node, const KernelSignature& sig) override {
    node_ = node.describe();
    x_dtype_ = sig.inputs[0].dtype;
    if (!is_activation_dtype(x_dtype_) && x_dtype_ != DType::kInt32) {
      return unsupported(node_, ": x must be int8, uint8, int16 or int32, got ", dtype_name(x_dtype_));
    }
    if (has_input(sig, 2) && sig.inputs[2].dtype != x_dtype_) {
      return invalid_argument(node_, ": x_zero_point is ", dtype_name(sig.inputs[2].dtype), " but x is ",
                              dtype_name(x_dtype_));
    }
    const std::optional<std::int64_t> channels = axis_size(node, sig.inputs[0].shape);
    EDGEAI_RETURN_IF_ERROR(check_quant_param(node_, sig, {1, "x_scale", true, channels, "slice along axis"}));
    EDGEAI_RETURN_IF_ERROR(
        check_quant_param(node_, sig, {2, "x_zero_point", false, channels, "slice along axis"}, true));
    EDGEAI_ASSIGN_OR_RETURN(layout_,
                            axis_layout(node, sig.inputs[0].shape, element_count(sig.inputs[1].shape).value_or(1)));
    return Status::ok();
  }

  Status run(std::span<const TensorView> inputs, std::span<TensorView> outputs, void* /*scratch*/) override {
    const TensorView* zero_point = optional_input(inputs, 2);
    if (x_dtype_ == DType::kInt32) {
      for (std::int64_t i = 0, n = zero_point != nullptr ? zero_point->num_elements() : 0; i < n; ++i) {
        if (zero_point_at(zero_point, i) != 0) {
          return invalid_argument(node_, ": an int32 x needs x_zero_point 0, got ", zero_point_at(zero_point, i));
        }
      }
    }
    float* y = outputs[0].data_as<float>();
    auto dequantize = [&](auto tag) {
      using T = decltype(tag);
      const T* x = inputs[0].data_as<const T>();
      for (std::int64_t i = 0, n = outputs[0].num_elements(); i < n; ++i) {
        const std::int64_t c = (i / layout_.inner) % layout_.channels;
        y[i] = quant::dequantize_value(x[i], scale_at(inputs[1], c), zero_point_at(zero_point, c));
      }
    };
    if (x_dtype_ == DType::kInt32) {
      dequantize(std::int32_t{});
    } else {
      visit_activation(x_dtype_, dequantize);
    }
    return Status::ok();
  }

 private:
  std::string node_;
  DType x_dtype_ = DType::kUndefined;
  AxisLayout layout_;
};

// QLinearAdd and QLinearMul (com.microsoft): inputs A, A_scale, A_zero_point, B, B_scale,
// B_zero_point, C_scale, C_zero_point (zero points optional, 0 when absent), per-tensor
// parameters, numpy broadcasting of A and B, a fused Relu/Clip. Rules in the file header.
class QLinearBinaryKernel final : public Kernel {
 public:
  enum class Op { kAdd, kMul };
  explicit QLinearBinaryKernel(Op op) : op_(op) {}

  Status prepare(const Node& node, const KernelSignature& sig) override {
    node_ = node.describe();
    dtype_ = sig.inputs[0].dtype;
    if (!is_quantized_dtype(dtype_)) return unsupported(node_, ": A must be int8 or uint8, got ", dtype_name(dtype_));
    for (std::size_t i : {std::size_t{2}, std::size_t{3}, std::size_t{5}, std::size_t{7}}) {
      if (has_input(sig, i) && sig.inputs[i].dtype != dtype_) {
        return invalid_argument(node_, ": input ", i, " is ", dtype_name(sig.inputs[i].dtype), " but A is ",
                                dtype_name(dtype_));
      }
    }
    if (sig.outputs[0].dtype != dtype_) {
      return invalid_argument(node_, ": the output is ", dtype_name(sig.outputs[0].dtype), " but A is ",
                              dtype_name(dtype_));
    }
    const char* names[] = {"A_scale", "A_zero_point", "B_scale", "B_zero_point", "C_scale", "C_zero_point"};
    const std::size_t indices[] = {1, 2, 4, 5, 6, 7};
    for (std::size_t i = 0; i < 6; ++i) {
      EDGEAI_RETURN_IF_ERROR(check_quant_param(node_, sig, {indices[i], names[i], i % 2 == 0}));
    }
    EDGEAI_ASSIGN_OR_RETURN(activation_, fused_activation_of(node));
    EDGEAI_RETURN_IF_ERROR(check_quantized_activation(node, activation_));
    std::optional<Shape> out = broadcast_shapes(sig.inputs[0].shape, sig.inputs[3].shape);
    if (!out || *out != sig.outputs[0].shape) {
      return invalid_argument(node_, ": shapes ", shape_to_string(sig.inputs[0].shape), " and ",
                              shape_to_string(sig.inputs[3].shape), " do not broadcast to ",
                              shape_to_string(sig.outputs[0].shape));
    }
    plan_ = make_broadcast_plan(sig.inputs[0].shape, sig.inputs[3].shape, sig.outputs[0].shape);
    params_ready_ = are_constants(sig, {1, 2, 4, 5, 6, 7});
    if (params_ready_) EDGEAI_RETURN_IF_ERROR(load_params(constant_input_views(sig)));
    return Status::ok();
  }

  Status run(std::span<const TensorView> inputs, std::span<TensorView> outputs, void* /*scratch*/) override {
    if (!params_ready_) EDGEAI_RETURN_IF_ERROR(load_params(inputs));
    visit_quantized(dtype_, [&](auto tag) {
      using T = decltype(tag);
      const std::int32_t qmin = quant::qmin_of<T>();
      const std::int32_t qmax = quant::qmax_of<T>();
      const T* a = inputs[0].data_as<const T>();
      const T* b = inputs[3].data_as<const T>();
      T* y = outputs[0].data_as<T>();
      if (op_ == Op::kAdd) {
        broadcast_apply(plan_, a, b, y, [&](T x, T z) {
          const std::int64_t sum = (static_cast<std::int64_t>(x) - a_zero_point_) * a_numerator_ +
                                   (static_cast<std::int64_t>(z) - b_zero_point_) * b_numerator_;
          const std::int64_t q = quant::rounding_shift_right(sum, shift_) + c_zero_point_;
          return static_cast<T>(clamp_.apply(static_cast<std::int32_t>(std::clamp<std::int64_t>(q, qmin, qmax))));
        });
      } else {
        broadcast_apply(plan_, a, b, y, [&](T x, T z) {
          const std::int64_t product = (static_cast<std::int64_t>(x) - a_zero_point_) * (z - b_zero_point_);
          return static_cast<T>(clamp_.apply(quant::requantize(product, multiplier_, c_zero_point_, qmin, qmax)));
        });
      }
    });
    return Status::ok();
  }

 private:
  Status load_params(std::span<const TensorView> in) {
    const auto view = [&](std::size_t i) { return optional_input(in, i); };
    const float a_scale = scale_at(in[1], 0);
    const float b_scale = scale_at(in[4], 0);
    const float c_scale = scale_at(in[6], 0);
    EDGEAI_RETURN_IF_ERROR(check_scale_value(node_, "A_scale", a_scale));
    EDGEAI_RETURN_IF_ERROR(check_scale_value(node_, "B_scale", b_scale));
    EDGEAI_RETURN_IF_ERROR(check_scale_value(node_, "C_scale", c_scale));
    a_zero_point_ = zero_point_at(view(2), 0);
    b_zero_point_ = zero_point_at(view(5), 0);
    c_zero_point_ = zero_point_at(view(7), 0);
    if (op_ == Op::kAdd) {
      const double ra = static_cast<double>(a_scale) / static_cast<double>(c_scale);
      const double rb = static_cast<double>(b_scale) / static_cast<double>(c_scale);
      quant::FixedPointMultiplier larger;
      EDGEAI_RETURN_IF_ERROR(make_multiplier(node_, std::max(ra, rb), &larger, "max(A_scale, B_scale) / C_scale"));
      shift_ = larger.shift;
      // The smaller ratio at the larger one's shift: an integer numerator <= the larger's.
      const std::int64_t smaller =
          larger.multiplier == 0 ? 0 : static_cast<std::int64_t>(std::nearbyint(std::ldexp(std::min(ra, rb), shift_)));
      a_numerator_ = ra >= rb ? larger.multiplier : smaller;
      b_numerator_ = ra >= rb ? smaller : larger.multiplier;
    } else {
      const double real = static_cast<double>(a_scale) * static_cast<double>(b_scale) / static_cast<double>(c_scale);
      EDGEAI_RETURN_IF_ERROR(make_multiplier(node_, real, &multiplier_, "A_scale * B_scale / C_scale"));
    }
    visit_quantized(dtype_, [&](auto tag) {
      using T = decltype(tag);
      clamp_ = quantized_clamp(activation_, c_scale, c_zero_point_, quant::qmin_of<T>(), quant::qmax_of<T>());
    });
    return Status::ok();
  }

  Op op_;
  std::string node_;
  DType dtype_ = DType::kUndefined;
  FusedActivation activation_;
  BroadcastPlan plan_;
  bool params_ready_ = false;
  std::int32_t a_zero_point_ = 0, b_zero_point_ = 0, c_zero_point_ = 0;
  std::int64_t a_numerator_ = 0, b_numerator_ = 0;  // QLinearAdd: rA and rB as numerators over 2^shift_
  int shift_ = 0;
  quant::FixedPointMultiplier multiplier_;  // QLinearMul
  QuantizedClamp clamp_;
};

// QLinearConcat (com.microsoft): inputs Y_scale, Y_zero_point, then (X, X_scale, X_zero_point)
// per tensor; attribute axis. For each index over the axes before `axis`, the inputs' blocks in
// order, each requantised to the output's parameters (or copied when they are the same).
class QLinearConcatKernel final : public Kernel {
 public:
  Status prepare(const Node& node, const KernelSignature& sig) override {
    node_ = node.describe();
    dtype_ = sig.outputs[0].dtype;
    if (!is_activation_dtype(dtype_)) {
      return unsupported(node_, ": Y must be int8, uint8 or int16, got ", dtype_name(dtype_));
    }
    if (sig.inputs.size() < 5 || (sig.inputs.size() - 2) % 3 != 0) {
      return invalid_argument(node_,
                              ": inputs must be Y_scale, Y_zero_point and (X, X_scale, X_zero_point) triples, got ",
                              sig.inputs.size(), " inputs");
    }
    EDGEAI_RETURN_IF_ERROR(check_quant_param(node_, sig, {0, "Y_scale", true}));
    EDGEAI_RETURN_IF_ERROR(check_quant_param(node_, sig, {1, "Y_zero_point", false}));
    const std::size_t count = (sig.inputs.size() - 2) / 3;
    const Shape& out = sig.outputs[0].shape;
    const std::int64_t rank = static_cast<std::int64_t>(out.size());
    std::optional<std::int64_t> axis = normalize_axis(node.attr_int("axis", 0), rank);
    if (!axis) return invalid_argument(node_, ": axis ", node.attr_int("axis", 0), " is out of range");
    outer_ = 1;
    for (std::int64_t i = 0; i < *axis; ++i) outer_ *= out[i];
    std::int64_t inner = 1;
    for (std::int64_t i = *axis + 1; i < rank; ++i) inner *= out[i];
    block_elements_.assign(count, 0);
    for (std::size_t t = 0; t < count; ++t) {
      const ValueInfo& x = sig.inputs[2 + 3 * t];
      if (x.dtype != dtype_) {
        return invalid_argument(node_, ": input ", 2 + 3 * t, " is ", dtype_name(x.dtype), " but Y is ",
                                dtype_name(dtype_));
      }
      EDGEAI_RETURN_IF_ERROR(check_quant_param(node_, sig, {3 + 3 * t, "X_scale", true}));
      EDGEAI_RETURN_IF_ERROR(check_quant_param(node_, sig, {4 + 3 * t, "X_zero_point", false}));
      block_elements_[t] = x.shape[*axis] * inner;
    }
    multipliers_.assign(count, {});
    x_zero_points_.assign(count, 0);
    is_copy_.assign(count, 0);
    params_ready_ = true;
    for (std::size_t i = 0; i < sig.inputs.size(); ++i) {
      if (i >= 2 && (i - 2) % 3 == 0) continue;  // the tensors themselves
      params_ready_ = params_ready_ && are_constants(sig, {i});
    }
    if (params_ready_) EDGEAI_RETURN_IF_ERROR(load_params(constant_input_views(sig)));
    return Status::ok();
  }

  Status run(std::span<const TensorView> inputs, std::span<TensorView> outputs, void* /*scratch*/) override {
    if (!params_ready_) EDGEAI_RETURN_IF_ERROR(load_params(inputs));
    visit_activation(dtype_, [&](auto tag) {
      using T = decltype(tag);
      T* y = outputs[0].data_as<T>();
      for (std::int64_t o = 0; o < outer_; ++o) {
        for (std::size_t t = 0; t < block_elements_.size(); ++t) {
          const std::int64_t n = block_elements_[t];
          const T* x = inputs[2 + 3 * t].data_as<const T>() + o * n;
          if (is_copy_[t] != 0) {
            if (n > 0) std::memcpy(y, x, static_cast<std::size_t>(n) * sizeof(T));
          } else {
            for (std::int64_t i = 0; i < n; ++i) {
              y[i] =
                  static_cast<T>(quant::requantize(static_cast<std::int64_t>(x[i]) - x_zero_points_[t], multipliers_[t],
                                                   y_zero_point_, quant::qmin_of<T>(), quant::qmax_of<T>()));
            }
          }
          y += n;
        }
      }
    });
    return Status::ok();
  }

 private:
  Status load_params(std::span<const TensorView> in) {
    const auto view = [&](std::size_t i) { return optional_input(in, i); };
    const float y_scale = scale_at(in[0], 0);
    EDGEAI_RETURN_IF_ERROR(check_scale_value(node_, "Y_scale", y_scale));
    y_zero_point_ = zero_point_at(view(1), 0);
    for (std::size_t t = 0; t < multipliers_.size(); ++t) {
      const float x_scale = scale_at(in[3 + 3 * t], 0);
      EDGEAI_RETURN_IF_ERROR(check_scale_value(node_, "X_scale", x_scale));
      x_zero_points_[t] = zero_point_at(view(4 + 3 * t), 0);
      is_copy_[t] = x_scale == y_scale && x_zero_points_[t] == y_zero_point_ ? 1 : 0;
      const double real = static_cast<double>(x_scale) / static_cast<double>(y_scale);
      EDGEAI_RETURN_IF_ERROR(make_multiplier(node_, real, &multipliers_[t], "X_scale / Y_scale of input ", 2 + 3 * t));
    }
    return Status::ok();
  }

  std::string node_;
  DType dtype_ = DType::kUndefined;
  std::int64_t outer_ = 1;
  std::vector<std::int64_t> block_elements_;
  bool params_ready_ = false;
  std::int32_t y_zero_point_ = 0;
  std::vector<quant::FixedPointMultiplier> multipliers_;
  std::vector<std::int32_t> x_zero_points_;
  std::vector<char> is_copy_;
};

// QLinearLookup (edgeai): Y = Table[x - min(T_x)], i.e. index x + 128 for int8 and x for uint8.
// The compressor fills the 256 entries (dtype of Y) with quantize(f(dequantize(x))) for the
// function named by the `function` attribute, so any elementwise activation runs in one load.
class QLinearLookupKernel final : public Kernel {
 public:
  Status prepare(const Node& node, const KernelSignature& sig) override {
    const std::string name = node.describe();
    x_dtype_ = sig.inputs[0].dtype;
    y_dtype_ = sig.inputs[1].dtype;
    if (!is_quantized_dtype(x_dtype_) || !is_quantized_dtype(y_dtype_)) {
      return unsupported(name, ": X and Table must be int8 or uint8, got ", dtype_name(x_dtype_), " and ",
                         dtype_name(y_dtype_));
    }
    if (sig.inputs[1].shape != Shape{256}) {
      return invalid_argument(name, ": Table must be 1-D of 256 entries, got ", shape_to_string(sig.inputs[1].shape));
    }
    return Status::ok();
  }

  Aliasing aliasing() const override { return Aliasing::kInPlaceAllowed; }

  Status run(std::span<const TensorView> inputs, std::span<TensorView> outputs, void* /*scratch*/) override {
    visit_quantized(x_dtype_, [&](auto x_tag) {
      using TX = decltype(x_tag);
      visit_quantized(y_dtype_, [&](auto y_tag) {
        using TY = decltype(y_tag);
        const TX* x = inputs[0].data_as<const TX>();
        const TY* table = inputs[1].data_as<const TY>();
        TY* y = outputs[0].data_as<TY>();
        for (std::int64_t i = 0, n = outputs[0].num_elements(); i < n; ++i) {
          y[i] = table[static_cast<std::int32_t>(x[i]) - quant::qmin_of<TX>()];
        }
      });
    });
    return Status::ok();
  }

 private:
  DType x_dtype_ = DType::kUndefined, y_dtype_ = DType::kUndefined;
};

}  // namespace

void register_quantized_elementwise_kernels(KernelRegistry& registry) {
  registry.add("QuantizeLinear", []() -> std::unique_ptr<Kernel> { return std::make_unique<QuantizeLinearKernel>(); });
  registry.add("DequantizeLinear",
               []() -> std::unique_ptr<Kernel> { return std::make_unique<DequantizeLinearKernel>(); });
  registry.add("QLinearAdd", []() -> std::unique_ptr<Kernel> {
    return std::make_unique<QLinearBinaryKernel>(QLinearBinaryKernel::Op::kAdd);
  });
  registry.add("QLinearMul", []() -> std::unique_ptr<Kernel> {
    return std::make_unique<QLinearBinaryKernel>(QLinearBinaryKernel::Op::kMul);
  });
  registry.add("QLinearConcat", []() -> std::unique_ptr<Kernel> { return std::make_unique<QLinearConcatKernel>(); });
  registry.add("QLinearLookup", []() -> std::unique_ptr<Kernel> { return std::make_unique<QLinearLookupKernel>(); });
}

void register_quantized_kernels(KernelRegistry& registry) {
  register_quantized_conv_kernels(registry);
  register_quantized_gemm_kernels(registry);
  register_quantized_pool_kernels(registry);
  register_quantized_elementwise_kernels(registry);
}

}  // namespace edgeai
