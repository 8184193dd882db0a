// Optimised fp32 pooling on one ISA's micro-kernel table:
//  - MaxPool with 2 spatial axes (any kernel, stride, dilation, padding, ceil_mode; no
//    Indices output): each plane copied once into a padded, stride-phase-split buffer whose
//    padding holds the lowest float, then each output row is the lane-wise maximum of its
//    taps' contiguous runs. Exactly the reference's values.
//  - GlobalAveragePool: a vector sum per plane, divided by the plane size.
// Planes are split over the thread pool. MaxPool on int8/uint8 works the same way on bytes.
#include <algorithm>
#include <cstring>
#include <limits>
#include <memory>
#include <vector>

#include "graph/layout.hpp"
#include "graph/ops/window_geometry.hpp"
#include "kernels/optimized/optimized_kernels.hpp"
#include "kernels/optimized/padded_plane.hpp"
#include "kernels/reference/quantized_operands.hpp"

namespace edgeai {
namespace {

constexpr std::int64_t kMaxPoolTaps = 64;

// What both max pooling kernels plan: the window geometry as padded planes (reaching past the
// end padding where ceil_mode's windows do), the taps' offsets, and planes per task.
struct MaxPoolPlan {
  PaddedPlane plane;
  std::vector<std::ptrdiff_t> tap_offsets;
  std::int64_t k_h = 1, k_w = 1, planes = 0, out_h = 0, out_w = 0, tasks = 1;
  std::int64_t stride_w = 1;

  Status prepare(const Node& node, const Shape& x, std::int64_t slack, const ThreadPool* threads) {
    if (is_channels_last(node)) return unsupported("maxpool: channels-first kernel");
    if (x.size() != 4) return unsupported("maxpool: 2 spatial axes only");
    EDGEAI_ASSIGN_OR_RETURN(WindowGeometry g, resolve_window_geometry(node, {x[2], x[3]}, node.attr_ints("kernel_shape"),
                                                                      true, node.attr_int("ceil_mode", 0) != 0));
    k_h = g.kernel[0];
    k_w = g.kernel[1];
    if (k_h * k_w > kMaxPoolTaps) return unsupported("maxpool: windows over ", kMaxPoolTaps, " taps");
    planes = x[0] * x[1];
    out_h = g.output[0];
    out_w = g.output[1];
    stride_w = g.strides[1];
    const std::int64_t reach_h = (out_h - 1) * g.strides[0] + (k_h - 1) * g.dilations[0] + 1;
    const std::int64_t reach_w = (out_w - 1) * g.strides[1] + (k_w - 1) * g.dilations[1] + 1;
    plane.set(x[2], x[3], g.pads_begin[0], g.pads_begin[1], std::max(x[2] + g.pads_begin[0] + g.pads_end[0], reach_h),
              std::max(x[3] + g.pads_begin[1] + g.pads_end[1], reach_w), g.strides[0], g.strides[1], g.dilations[0],
              g.dilations[1], slack);
    tap_offsets.resize(static_cast<std::size_t>(k_h * k_w));
    for (std::int64_t ky = 0; ky < k_h; ++ky) {
      for (std::int64_t kx = 0; kx < k_w; ++kx) tap_offsets[static_cast<std::size_t>(ky * k_w + kx)] = plane.tap_offset(ky, kx);
    }
    tasks = std::max<std::int64_t>(1, std::min<std::int64_t>(planes, threads != nullptr ? threads->threads() : 1));
    return Status::ok();
  }
};

class F32MaxPoolKernel final : public Kernel {
 public:
  explicit F32MaxPoolKernel(const F32MicroKernels* uk) : uk_(uk) {}

  Status prepare(const Node& node, const KernelSignature& sig) override {
    if (sig.inputs[0].dtype != DType::kFloat32) return unsupported("f32 maxpool: dtype is not float32");
    if (sig.outputs.size() > 1) return unsupported("f32 maxpool: no Indices output");
    threads_ = sig.threads;
    return plan_.prepare(node, sig.inputs[0].shape, uk_->vector_width, threads_);
  }

  std::size_t scratch_bytes() const override {
    return plan_.plane.plane_floats * static_cast<std::size_t>(plan_.tasks) * sizeof(float);
  }

  Status run(std::span<const TensorView> inputs, std::span<TensorView> outputs, void* scratch) override {
    const float* x = inputs[0].data_as<const float>();
    float* y = outputs[0].data_as<float>();
    const std::int64_t per_task = (plan_.planes + plan_.tasks - 1) / plan_.tasks;
    const std::int64_t in_plane = plan_.plane.in_h * plan_.plane.in_w;
    parallel_for(threads_, static_cast<std::size_t>(plan_.tasks), [&](std::size_t task, int) {
      float* padded = static_cast<float*>(scratch) + task * plan_.plane.plane_floats;
      std::fill(padded, padded + plan_.plane.plane_floats, std::numeric_limits<float>::lowest());
      const float* rows[kMaxPoolTaps];
      F32MaxRow r;
      r.width = static_cast<int>(plan_.out_w);
      r.taps = static_cast<int>(plan_.k_h * plan_.k_w);
      r.rows = rows;
      const std::int64_t begin = static_cast<std::int64_t>(task) * per_task;
      const std::int64_t end = std::min(plan_.planes, begin + per_task);
      for (std::int64_t p = begin; p < end; ++p) {
        plan_.plane.copy(*uk_, x + p * in_plane, padded);
        for (std::int64_t oy = 0; oy < plan_.out_h; ++oy) {
          const float* row_base = padded + oy * plan_.plane.stride_h * plan_.plane.row_stride;
          for (std::int64_t t = 0; t < plan_.k_h * plan_.k_w; ++t) rows[t] = row_base + plan_.tap_offsets[static_cast<std::size_t>(t)];
          r.out = y + (p * plan_.out_h + oy) * plan_.out_w;
          uk_->max_row(r);
        }
      }
    });
    return Status::ok();
  }

 private:
  const F32MicroKernels* uk_;
  ThreadPool* threads_ = nullptr;
  MaxPoolPlan plan_;
};

class F32GlobalAveragePoolKernel final : public Kernel {
 public:
  explicit F32GlobalAveragePoolKernel(const F32MicroKernels* uk) : uk_(uk) {}

  Status prepare(const Node& node, const KernelSignature& sig) override {
    if (is_channels_last(node)) return unsupported("f32 global average pool: channels-first kernel");
    if (sig.inputs[0].dtype != DType::kFloat32) return unsupported("f32 global average pool: dtype is not float32");
    const Shape& x = sig.inputs[0].shape;
    if (x.size() < 3) return unsupported("f32 global average pool: rank below 3");
    planes_ = x[0] * x[1];
    plane_size_ = 1;
    for (std::size_t i = 2; i < x.size(); ++i) plane_size_ *= x[i];
    threads_ = sig.threads;
    return Status::ok();
  }

  Status run(std::span<const TensorView> inputs, std::span<TensorView> outputs, void*) override {
    const float* x = inputs[0].data_as<const float>();
    float* y = outputs[0].data_as<float>();
    const std::int64_t per_task = std::max<std::int64_t>(1, 16384 / std::max<std::int64_t>(1, plane_size_));
    const std::int64_t tasks = (planes_ + per_task - 1) / per_task;
    parallel_for(threads_, static_cast<std::size_t>(tasks), [&](std::size_t task, int) {
      const std::int64_t begin = static_cast<std::int64_t>(task) * per_task;
      const std::int64_t end = std::min(planes_, begin + per_task);
      for (std::int64_t p = begin; p < end; ++p) {
        y[p] = uk_->sum(x + p * plane_size_, plane_size_) / static_cast<float>(plane_size_);
      }
    });
    return Status::ok();
  }

 private:
  const F32MicroKernels* uk_;
  ThreadPool* threads_ = nullptr;
  std::int64_t planes_ = 0, plane_size_ = 1;
};

// MaxPool on 8-bit values: planes copied with the sign bit flipped (int8 becomes an
// order-preserving unsigned byte), padded with 0, the lowest; maxima flipped back. Exact.
class QS8MaxPoolKernel final : public Kernel {
 public:
  explicit QS8MaxPoolKernel(const QS8MicroKernels* uk) : uk_(uk) {}

  Status prepare(const Node& node, const KernelSignature& sig) override {
    if (uk_->max_row == nullptr) return unsupported("qs8 maxpool: no vector form on ", uk_->isa);
    const DType t = sig.inputs[0].dtype;
    if (!is_quantized_dtype(t) || sig.outputs.size() > 1) return unsupported("qs8 maxpool: int8/uint8, no Indices");
    threads_ = sig.threads;
    EDGEAI_RETURN_IF_ERROR(plan_.prepare(node, sig.inputs[0].shape, 64, threads_));
    if (plan_.stride_w > 8) return unsupported("qs8 maxpool: strides over 8");
    flip_ = t == DType::kInt8 ? 0x80 : 0x00;
    return Status::ok();
  }

  std::size_t scratch_bytes() const override { return plan_.plane.plane_floats * static_cast<std::size_t>(plan_.tasks); }

  Status run(std::span<const TensorView> inputs, std::span<TensorView> outputs, void* scratch) override {
    const auto* x = inputs[0].data_as<const std::uint8_t>();
    auto* y = outputs[0].data_as<std::uint8_t>();
    const std::int64_t per_task = (plan_.planes + plan_.tasks - 1) / plan_.tasks;
    const std::int64_t in_plane = plan_.plane.in_h * plan_.plane.in_w;
    const std::uint8_t flip = flip_;
    parallel_for(threads_, static_cast<std::size_t>(plan_.tasks), [&](std::size_t task, int) {
      auto* padded = static_cast<std::uint8_t*>(scratch) + task * plan_.plane.plane_floats;
      std::memset(padded, 0, plan_.plane.plane_floats);
      const std::uint8_t* rows[kMaxPoolTaps];
      QS8MaxRow r;
      r.width = static_cast<int>(plan_.out_w);
      r.taps = static_cast<int>(plan_.k_h * plan_.k_w);
      r.rows = rows;
      r.flip = flip;
      const std::int64_t end = std::min(plan_.planes, (static_cast<std::int64_t>(task) + 1) * per_task);
      for (std::int64_t p = static_cast<std::int64_t>(task) * per_task; p < end; ++p) {
        copy_bytes_into_plane(plan_.plane, x + p * in_plane, padded, [flip](std::uint8_t v) { return static_cast<std::uint8_t>(v ^ flip); });
        for (std::int64_t oy = 0; oy < plan_.out_h; ++oy) {
          const std::uint8_t* row_base = padded + oy * plan_.plane.stride_h * plan_.plane.row_stride;
          for (std::int64_t t = 0; t < plan_.k_h * plan_.k_w; ++t) rows[t] = row_base + plan_.tap_offsets[static_cast<std::size_t>(t)];
          r.out = y + (p * plan_.out_h + oy) * plan_.out_w;
          uk_->max_row(r);
        }
      }
    });
    return Status::ok();
  }

 private:
  const QS8MicroKernels* uk_;
  ThreadPool* threads_ = nullptr;
  MaxPoolPlan plan_;  // element counts are bytes here
  std::uint8_t flip_ = 0;
};

}  // namespace

std::unique_ptr<Kernel> make_qs8_maxpool_kernel(const QS8MicroKernels* uk) {
  return std::make_unique<QS8MaxPoolKernel>(uk);
}

std::unique_ptr<Kernel> make_f32_maxpool_kernel(const F32MicroKernels* uk) {
  return std::make_unique<F32MaxPoolKernel>(uk);
}
std::unique_ptr<Kernel> make_f32_global_average_pool_kernel(const F32MicroKernels* uk) {
  return std::make_unique<F32GlobalAveragePoolKernel>(uk);
}

}  // namespace edgeai
