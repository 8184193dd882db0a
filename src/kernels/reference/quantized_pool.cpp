// Reference quantised average pooling: QLinearAveragePool and QLinearGlobalAveragePool, ONNX
// Runtime's com.microsoft contrib operators (AveragePool's attributes on int8/uint8, NCHW only:
// channels_last = 0), 1 to 3 spatial axes. Integer-only: the window's sum of (x - x_zp), exact,
// times x_scale / (y_scale * count) as a fixed-point multiplier, one rounding (ties to even):
//   y = clamp(y_zp + round(sum * x_scale / (y_scale * count)))
// with one multiplier per possible count (1 .. kernel size), made once. Padding counts as
// x_zp (it adds 0) and as an element when count_include_pad = 1. Depends on core, graph and
// the kernel contract.
#include <memory>
#include <string>
#include <vector>

#include "kernels/reference/quantized_operands.hpp"
#include "kernels/reference/window_3d.hpp"
#include "kernels/registry.hpp"

namespace edgeai {
namespace {

constexpr std::size_t kX = 0, kXScale = 1, kXZeroPoint = 2, kYScale = 3, kYZeroPoint = 4;

// Checks the dtypes, parameters and layout shared by both operators.
Status check_pool_operands(const Node& node, const std::string& name, const KernelSignature& sig) {
  const DType x = sig.inputs[kX].dtype;
  if (!is_activation_dtype(x)) return unsupported(name, ": X must be int8, uint8 or int16, got ", dtype_name(x));
  if (sig.outputs[0].dtype != x) {
    return invalid_argument(name, ": Y is ", dtype_name(sig.outputs[0].dtype), " but X is ", dtype_name(x));
  }
  for (std::size_t i : {kXZeroPoint, kYZeroPoint}) {
    if (has_input(sig, i) && sig.inputs[i].dtype != x) {
      return invalid_argument(name, ": input ", i, " is ", dtype_name(sig.inputs[i].dtype), " but X is ",
                              dtype_name(x));
    }
  }
  EDGEAI_RETURN_IF_ERROR(check_quant_param(name, sig, {kXScale, "x_scale", true}));
  EDGEAI_RETURN_IF_ERROR(check_quant_param(name, sig, {kXZeroPoint, "x_zero_point", false}));
  EDGEAI_RETURN_IF_ERROR(check_quant_param(name, sig, {kYScale, "y_scale", true}));
  EDGEAI_RETURN_IF_ERROR(check_quant_param(name, sig, {kYZeroPoint, "y_zero_point", false}));
  if (node.attr_int("channels_last", 0) != 0) {
    return unsupported(name, ": channels_last = ", node.attr_int("channels_last", 0), " is not supported (NCHW only)");
  }
  if (sig.inputs[kX].shape.size() < 3) {
    return invalid_argument(name, ": X ", shape_to_string(sig.inputs[kX].shape), " has no spatial axis");
  }
  return Status::ok();
}

// The zero points and, for every window count first_count .. first_count + multipliers.size() - 1,
// the multiplier x_scale / (y_scale * count), computed in double from the float scales.
struct AverageRequantizer {
  std::int32_t x_zero_point = 0;
  std::int32_t y_zero_point = 0;
  std::int64_t first_count = 1;
  std::vector<quant::FixedPointMultiplier> multipliers;  // [count - first_count]

  Status load(const std::string& node, std::span<const TensorView> in) {
    const auto view = [&](std::size_t i) { return optional_input(in, i); };
    const float x_scale = scale_at(in[kXScale], 0);
    const float y_scale = scale_at(in[kYScale], 0);
    EDGEAI_RETURN_IF_ERROR(check_scale_value(node, "x_scale", x_scale));
    EDGEAI_RETURN_IF_ERROR(check_scale_value(node, "y_scale", y_scale));
    x_zero_point = zero_point_at(view(kXZeroPoint), 0);
    y_zero_point = zero_point_at(view(kYZeroPoint), 0);
    for (std::size_t c = 0; c < multipliers.size(); ++c) {
      const std::int64_t count = first_count + static_cast<std::int64_t>(c);
      const double real = static_cast<double>(x_scale) / (static_cast<double>(y_scale) * static_cast<double>(count));
      EDGEAI_RETURN_IF_ERROR(make_multiplier(node, real, &multipliers[c], "x_scale / (y_scale * ", count, ")"));
    }
    return Status::ok();
  }

  template <typename T>
  T average(std::int64_t sum, std::int64_t count) const {
    return static_cast<T>(quant::requantize(saturate_to_int32(sum),
                                            multipliers[static_cast<std::size_t>(count - first_count)], y_zero_point,
                                            quant::qmin_of<T>(), quant::qmax_of<T>()));
  }
};

// QLinearAveragePool: inputs X, x_scale, x_zero_point (optional), y_scale, y_zero_point
// (optional); attributes auto_pad, ceil_mode, channels_last, count_include_pad, kernel_shape,
// pads, strides as AveragePool's (https://onnx.ai/onnx/operators/onnx__AveragePool.html).
class QLinearAveragePoolKernel final : public Kernel {
 public:
  Status prepare(const Node& node, const KernelSignature& sig) override {
    node_ = node.describe();
    EDGEAI_RETURN_IF_ERROR(check_pool_operands(node, node_, sig));
    dtype_ = sig.inputs[kX].dtype;
    const Shape& x = sig.inputs[kX].shape;
    EDGEAI_ASSIGN_OR_RETURN(
        window_, make_window_3d(node, x, node.attr_ints("kernel_shape"), false, node.attr_int("ceil_mode", 0) != 0));
    planes_ = x[0] * x[1];
    count_include_pad_ = node.attr_int("count_include_pad", 0) != 0;
    requantizer_.multipliers.assign(static_cast<std::size_t>(window_.kernel_size()), {});
    params_ready_ = are_constants(sig, {kXScale, kXZeroPoint, kYScale, kYZeroPoint});
    if (params_ready_) EDGEAI_RETURN_IF_ERROR(requantizer_.load(node_, constant_input_views(sig)));
    return Status::ok();
  }

  Status run(std::span<const TensorView> inputs, std::span<TensorView> outputs, void* /*scratch*/) override {
    if (!params_ready_) EDGEAI_RETURN_IF_ERROR(requantizer_.load(node_, inputs));
    visit_activation(dtype_, [&](auto tag) {
      using T = decltype(tag);
      pool(inputs[kX].data_as<const T>(), outputs[0].data_as<T>());
    });
    return Status::ok();
  }

 private:
  template <typename T>
  void pool(const T* x, T* y) const {
    const Window3d& g = window_;
    const std::int32_t x_zero_point = requantizer_.x_zero_point;
    for (std::int64_t p = 0; p < planes_; ++p) {
      const T* x_plane = x + p * g.in_plane();
      for (std::int64_t oz = 0; oz < g.out[0]; ++oz) {
        for (std::int64_t oy = 0; oy < g.out[1]; ++oy) {
          for (std::int64_t ox = 0; ox < g.out[2]; ++ox, ++y) {
            std::int64_t sum = 0;
            for_each_window_tap(g, oz, oy, ox, [&](const WindowTap& t) {
              sum += static_cast<std::int32_t>(x_plane[(t.iz * g.in[1] + t.iy) * g.in[2] + t.ix]) - x_zero_point;
            });
            const std::int64_t count = average_window_extent(g, 0, oz, count_include_pad_) *
                                       average_window_extent(g, 1, oy, count_include_pad_) *
                                       average_window_extent(g, 2, ox, count_include_pad_);
            *y = requantizer_.average<T>(sum, count);
          }
        }
      }
    }
  }

  std::string node_;
  DType dtype_ = DType::kUndefined;
  Window3d window_;
  std::int64_t planes_ = 0;
  bool count_include_pad_ = false;
  bool params_ready_ = false;
  AverageRequantizer requantizer_;
};

// QLinearGlobalAveragePool: inputs X, x_scale, x_zero_point, y_scale, y_zero_point; attribute
// channels_last. One average over all spatial elements of each (n, c): count = H * W (* D).
class QLinearGlobalAveragePoolKernel final : public Kernel {
 public:
  Status prepare(const Node& node, const KernelSignature& sig) override {
    node_ = node.describe();
    EDGEAI_RETURN_IF_ERROR(check_pool_operands(node, node_, sig));
    dtype_ = sig.inputs[kX].dtype;
    const Shape& x = sig.inputs[kX].shape;
    planes_ = x[0] * x[1];
    plane_size_ = element_count(Shape(x.begin() + 2, x.end())).value_or(0);
    if (plane_size_ < 1) return invalid_argument(node_, ": X ", shape_to_string(x), " has an empty spatial plane");
    requantizer_.first_count = plane_size_;
    requantizer_.multipliers.assign(1, {});
    params_ready_ = are_constants(sig, {kXScale, kXZeroPoint, kYScale, kYZeroPoint});
    if (params_ready_) EDGEAI_RETURN_IF_ERROR(requantizer_.load(node_, constant_input_views(sig)));
    return Status::ok();
  }

  Status run(std::span<const TensorView> inputs, std::span<TensorView> outputs, void* /*scratch*/) override {
    if (!params_ready_) EDGEAI_RETURN_IF_ERROR(requantizer_.load(node_, inputs));
    visit_activation(dtype_, [&](auto tag) {
      using T = decltype(tag);
      const T* x = inputs[kX].data_as<const T>();
      T* y = outputs[0].data_as<T>();
      for (std::int64_t p = 0; p < planes_; ++p) {
        const T* plane = x + p * plane_size_;
        std::int64_t sum = 0;
        for (std::int64_t i = 0; i < plane_size_; ++i) {
          sum += static_cast<std::int32_t>(plane[i]) - requantizer_.x_zero_point;
        }
        y[p] = requantizer_.average<T>(sum, plane_size_);
      }
    });
    return Status::ok();
  }

 private:
  std::string node_;
  DType dtype_ = DType::kUndefined;
  std::int64_t planes_ = 0, plane_size_ = 0;
  bool params_ready_ = false;
  AverageRequantizer requantizer_;
};

}  // namespace

void register_quantized_pool_kernels(KernelRegistry& registry) {
  registry.add("QLinearAveragePool",
               []() -> std::unique_ptr<Kernel> { return std::make_unique<QLinearAveragePoolKernel>(); });
  registry.add("QLinearGlobalAveragePool",
               []() -> std::unique_ptr<Kernel> { return std::make_unique<QLinearGlobalAveragePoolKernel>(); });
}

}  // namespace edgeai
