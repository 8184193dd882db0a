// Reference fp32 Conv (ONNX opset 13, https://onnx.ai/onnx/operators/onnx__Conv.html) for
// 1, 2 and 3 spatial axes, grouped and depthwise, with the fused activation applied in the
// epilogue. Direct loops: the specification every optimised conv is tested against.
// Depends on core and graph only.
#include <algorithm>
#include <array>
#include <memory>

#include "graph/fused_activation.hpp"
#include "graph/ops/window_geometry.hpp"
#include "kernels/reference/channels_last.hpp"
#include "kernels/registry.hpp"

namespace edgeai {
namespace {

// Lower spatial ranks are run as 3-D with leading axes of size 1 (kernel 1, stride 1, no pad).
constexpr int kMaxSpatial = 3;

class ConvKernel final : public Kernel {
 public:
  Status prepare(const Node& node, const KernelSignature& sig) override {
    for (std::size_t i = 0; i < sig.inputs.size(); ++i) {
      if (sig.inputs[i].dtype != DType::kUndefined && sig.inputs[i].dtype != DType::kFloat32) {
        return unsupported(node.describe(), ": the reference Conv supports float32 only, input ", i, " is ",
                           dtype_name(sig.inputs[i].dtype));
      }
    }
    const Shape& x = sig.inputs[0].shape;
    const Shape& w = sig.inputs[1].shape;
    const int spatial = static_cast<int>(x.size()) - 2;
    if (spatial < 1 || spatial > kMaxSpatial || w.size() != x.size()) {
      return unsupported(node.describe(), ": Conv with X ", shape_to_string(x), " and W ", shape_to_string(w),
                         " (1 to 3 spatial axes are supported)");
    }
    EDGEAI_ASSIGN_OR_RETURN(activation_, fused_activation_of(node));
    group_ = node.attr_int("group", 1);
    batch_ = x[0];
    channels_ = x[1];
    out_channels_ = w[0];
    if (group_ < 1 || channels_ % group_ != 0 || out_channels_ % group_ != 0 || w[1] * group_ != channels_) {
      return invalid_argument(node.describe(), ": X ", shape_to_string(x), " and W ", shape_to_string(w),
                              " do not agree for group ", group_);
    }
    has_bias_ = sig.inputs.size() > 2 && sig.inputs[2].dtype != DType::kUndefined;

    std::vector<std::int64_t> input(x.begin() + 2, x.end());
    std::vector<std::int64_t> kernel(w.begin() + 2, w.end());
    EDGEAI_ASSIGN_OR_RETURN(WindowGeometry g, resolve_window_geometry(node, input, kernel, true, false));
    const int lead = kMaxSpatial - spatial;
    for (int i = 0; i < kMaxSpatial; ++i) {
      const bool real = i >= lead;
      const std::size_t j = real ? static_cast<std::size_t>(i - lead) : 0;
      in_[i] = real ? g.input[j] : 1;
      out_[i] = real ? g.output[j] : 1;
      k_[i] = real ? g.kernel[j] : 1;
      s_[i] = real ? g.strides[j] : 1;
      d_[i] = real ? g.dilations[j] : 1;
      pad_[i] = real ? g.pads_begin[j] : 0;
    }
    // For each kernel column kx, the output columns whose input column
    // ix = ox * stride - pad + kx * dilation lies inside [0, W): a contiguous range.
    ox_begin_.assign(static_cast<std::size_t>(k_[2]), 0);
    ox_end_.assign(static_cast<std::size_t>(k_[2]), 0);
    for (std::int64_t kx = 0; kx < k_[2]; ++kx) {
      const std::int64_t lo = pad_[2] - kx * d_[2];               // need ox * s >= lo
      const std::int64_t hi = in_[2] - 1 + pad_[2] - kx * d_[2];  // need ox * s <= hi
      const std::int64_t begin = lo <= 0 ? 0 : (lo + s_[2] - 1) / s_[2];
      const std::int64_t end = hi < 0 ? 0 : std::min(out_[2], hi / s_[2] + 1);
      ox_begin_[kx] = begin;
      ox_end_[kx] = std::max(begin, end);
    }
    macs_ = batch_ * out_channels_ * out_[0] * out_[1] * out_[2] * (channels_ / group_) * k_[0] * k_[1] * k_[2];
    return Status::ok();
  }

  Status run(std::span<const TensorView> inputs, std::span<TensorView> outputs, void* /*scratch*/) override {
    const float* x = inputs[0].data_as<const float>();
    const float* w = inputs[1].data_as<const float>();
    const float* bias = has_bias_ ? inputs[2].data_as<const float>() : nullptr;
    float* y = outputs[0].data_as<float>();

    const std::int64_t in_plane = in_[0] * in_[1] * in_[2];
    const std::int64_t out_plane = out_[0] * out_[1] * out_[2];
    const std::int64_t kernel_size = k_[0] * k_[1] * k_[2];
    const std::int64_t in_per_group = channels_ / group_;
    const std::int64_t out_per_group = out_channels_ / group_;

    // ONNX Conv: Y[n, m, o] = B[m] + sum over c in m's group, kernel offsets k of
    //   X[n, c, o * strides - pads_begin + k * dilations] * W[m, c - group_start, k],
    // with X read as 0 outside the input (the padding).
    for (std::int64_t n = 0; n < batch_; ++n) {
      for (std::int64_t m = 0; m < out_channels_; ++m) {
        const std::int64_t first_channel = (m / out_per_group) * in_per_group;
        float* y_plane = y + (n * out_channels_ + m) * out_plane;
        std::fill(y_plane, y_plane + out_plane, bias != nullptr ? bias[m] : 0.0f);
        for (std::int64_t c = 0; c < in_per_group; ++c) {
          const float* x_plane = x + (n * channels_ + first_channel + c) * in_plane;
          const float* w_kernel = w + (m * in_per_group + c) * kernel_size;
          for (std::int64_t kz = 0; kz < k_[0]; ++kz) {
            for (std::int64_t ky = 0; ky < k_[1]; ++ky) {
              for (std::int64_t kx = 0; kx < k_[2]; ++kx) {
                const float weight = w_kernel[(kz * k_[1] + ky) * k_[2] + kx];
                accumulate_tap(x_plane, weight, kz, ky, kx, y_plane);
              }
            }
          }
        }
        if (activation_.kind != ActivationKind::kNone) {
          for (std::int64_t i = 0; i < out_plane; ++i) y_plane[i] = activation_.apply(y_plane[i]);
        }
      }
    }
    return Status::ok();
  }

  std::int64_t macs() const override { return macs_; }

 private:
  // y_plane[oz, oy, ox] += weight * x_plane[iz, iy, ix] for every output whose input
  // position under kernel offset (kz, ky, kx) lies inside the input.
  void accumulate_tap(const float* x_plane, float weight, std::int64_t kz, std::int64_t ky, std::int64_t kx,
                      float* y_plane) const {
    const std::int64_t ox_begin = ox_begin_[kx];
    const std::int64_t ox_end = ox_end_[kx];
    const std::int64_t x_offset = kx * d_[2] - pad_[2];  // ix = ox * s + x_offset
    for (std::int64_t oz = 0; oz < out_[0]; ++oz) {
      const std::int64_t iz = oz * s_[0] - pad_[0] + kz * d_[0];
      if (iz < 0 || iz >= in_[0]) continue;
      for (std::int64_t oy = 0; oy < out_[1]; ++oy) {
        const std::int64_t iy = oy * s_[1] - pad_[1] + ky * d_[1];
        if (iy < 0 || iy >= in_[1]) continue;
        float* y_row = y_plane + (oz * out_[1] + oy) * out_[2];
        const float* x_row = x_plane + (iz * in_[1] + iy) * in_[2];
        if (s_[2] == 1) {  // contiguous: the loop the compiler vectorises
          for (std::int64_t ox = ox_begin; ox < ox_end; ++ox) y_row[ox] += weight * x_row[ox + x_offset];
        } else {
          for (std::int64_t ox = ox_begin; ox < ox_end; ++ox) y_row[ox] += weight * x_row[ox * s_[2] + x_offset];
        }
      }
    }
  }

  FusedActivation activation_;
  std::int64_t group_ = 1, batch_ = 0, channels_ = 0, out_channels_ = 0, macs_ = 0;
  bool has_bias_ = false;
  std::array<std::int64_t, kMaxSpatial> in_{}, out_{}, k_{}, s_{}, d_{}, pad_{};
  std::vector<std::int64_t> ox_begin_, ox_end_;
};

}  // namespace

void register_conv_kernels(KernelRegistry& registry) {
  registry.add("Conv", []() { return make_channels_last_adapter(std::make_unique<ConvKernel>()); });
}

}  // namespace edgeai
