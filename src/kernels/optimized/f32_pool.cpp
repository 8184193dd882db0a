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

#include "graph/ops/window_geometry.hpp"
#include "kernels/optimized/optimized_kernels.hpp"
#include "kernels/optimized/padded_plane.hpp"
#include "kernels/reference/quantized_operands.hpp"

namespace edgeai {
namespace {

constexpr std::int64_t kMaxPoolTaps = 64;

class F32MaxPoolKernel final : public Kernel {
 public:
  explicit F32MaxPoolKernel(const F32MicroKernels* uk) : uk_(uk) {}

  Status prepare(const Node& node, const KernelSignature& sig) override {
    if (sig.inputs[0].dtype != DType::kFloat32) return unsupported("f32 maxpool: dtype is not float32");
    if (sig.outputs.size() > 1) return unsupported("f32 maxpool: no Indices output");
    const Shape& x = sig.inputs[0].shape;
    if (x.size() != 4) return unsupported("f32 maxpool: 2 spatial axes only");
    EDGEAI_ASSIGN_OR_RETURN(WindowGeometry g, resolve_window_geometry(node, {x[2], x[3]}, node.attr_ints("kernel_shape"),
                                                                      true, node.attr_int("ceil_mode", 0) != 0));
    k_h_ = g.kernel[0];
    k_w_ = g.kernel[1];
    if (k_h_ * k_w_ > kMaxPoolTaps) return unsupported("f32 maxpool: windows over ", kMaxPoolTaps, " taps");
    planes_count_ = x[0] * x[1];
    out_h_ = g.output[0];
    out_w_ = g.output[1];
    // The windows may reach past the end padding with ceil_mode: pad that far too.
    const std::int64_t reach_h = (out_h_ - 1) * g.strides[0] + (k_h_ - 1) * g.dilations[0] + 1;
    const std::int64_t reach_w = (out_w_ - 1) * g.strides[1] + (k_w_ - 1) * g.dilations[1] + 1;
    plane_.set(x[2], x[3], g.pads_begin[0], g.pads_begin[1], std::max(x[2] + g.pads_begin[0] + g.pads_end[0], reach_h),
               std::max(x[3] + g.pads_begin[1] + g.pads_end[1], reach_w), g.strides[0], g.strides[1], g.dilations[0],
               g.dilations[1], uk_->vector_width);
    tap_offsets_.resize(static_cast<std::size_t>(k_h_ * k_w_));
    for (std::int64_t ky = 0; ky < k_h_; ++ky) {
      for (std::int64_t kx = 0; kx < k_w_; ++kx) tap_offsets_[static_cast<std::size_t>(ky * k_w_ + kx)] = plane_.tap_offset(ky, kx);
    }
    threads_ = sig.threads;
    tasks_ = std::max<std::int64_t>(1, std::min<std::int64_t>(planes_count_, threads_ ? threads_->threads() : 1));
    return Status::ok();
  }

  std::size_t scratch_bytes() const override {
    return plane_.plane_floats * static_cast<std::size_t>(tasks_) * sizeof(float);
  }

  Status run(std::span<const TensorView> inputs, std::span<TensorView> outputs, void* scratch) override {
    const float* x = inputs[0].data_as<const float>();
    float* y = outputs[0].data_as<float>();
    const std::int64_t per_task = (planes_count_ + tasks_ - 1) / tasks_;
    const std::int64_t in_plane = plane_.in_h * plane_.in_w;
    parallel_for(threads_, static_cast<std::size_t>(tasks_), [&](std::size_t task, int) {
      float* padded = static_cast<float*>(scratch) + task * plane_.plane_floats;
      std::fill(padded, padded + plane_.plane_floats, std::numeric_limits<float>::lowest());
      const float* rows[kMaxPoolTaps];
      F32MaxRow r;
      r.width = static_cast<int>(out_w_);
      r.taps = static_cast<int>(k_h_ * k_w_);
      r.rows = rows;
      const std::int64_t begin = static_cast<std::int64_t>(task) * per_task;
      const std::int64_t end = std::min(planes_count_, begin + per_task);
      for (std::int64_t p = begin; p < end; ++p) {
        plane_.copy(*uk_, x + p * in_plane, padded);
        for (std::int64_t oy = 0; oy < out_h_; ++oy) {
          const float* row_base = padded + oy * plane_.stride_h * plane_.row_stride;
          for (std::int64_t t = 0; t < k_h_ * k_w_; ++t) rows[t] = row_base + tap_offsets_[static_cast<std::size_t>(t)];
          r.out = y + (p * out_h_ + oy) * out_w_;
          uk_->max_row(r);
        }
      }
    });
    return Status::ok();
  }

 private:
  const F32MicroKernels* uk_;
  ThreadPool* threads_ = nullptr;
  PaddedPlane plane_;
  std::vector<std::ptrdiff_t> tap_offsets_;
  std::int64_t k_h_ = 1, k_w_ = 1, planes_count_ = 0, out_h_ = 0, out_w_ = 0, tasks_ = 1;
};

class F32GlobalAveragePoolKernel final : public Kernel {
 public:
  explicit F32GlobalAveragePoolKernel(const F32MicroKernels* uk) : uk_(uk) {}

  Status prepare(const Node&, const KernelSignature& sig) override {
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
    const Shape& x = sig.inputs[0].shape;
    if (x.size() != 4) return unsupported("qs8 maxpool: 2 spatial axes only");
    EDGEAI_ASSIGN_OR_RETURN(WindowGeometry g, resolve_window_geometry(node, {x[2], x[3]}, node.attr_ints("kernel_shape"),
                                                                      true, node.attr_int("ceil_mode", 0) != 0));
    if (g.strides[1] > 8) return unsupported("qs8 maxpool: strides over 8");
    k_h_ = g.kernel[0];
    k_w_ = g.kernel[1];
    if (k_h_ * k_w_ > kMaxPoolTaps) return unsupported("qs8 maxpool: windows over ", kMaxPoolTaps, " taps");
    planes_count_ = x[0] * x[1];
    out_h_ = g.output[0];
    out_w_ = g.output[1];
    const std::int64_t reach_h = (out_h_ - 1) * g.strides[0] + (k_h_ - 1) * g.dilations[0] + 1;
    const std::int64_t reach_w = (out_w_ - 1) * g.strides[1] + (k_w_ - 1) * g.dilations[1] + 1;
    plane_.set(x[2], x[3], g.pads_begin[0], g.pads_begin[1], std::max(x[2] + g.pads_begin[0] + g.pads_end[0], reach_h),
               std::max(x[3] + g.pads_begin[1] + g.pads_end[1], reach_w), g.strides[0], g.strides[1], g.dilations[0],
               g.dilations[1], 64);
    tap_offsets_.resize(static_cast<std::size_t>(k_h_ * k_w_));
    for (std::int64_t ky = 0; ky < k_h_; ++ky) {
      for (std::int64_t kx = 0; kx < k_w_; ++kx) tap_offsets_[static_cast<std::size_t>(ky * k_w_ + kx)] = plane_.tap_offset(ky, kx);
    }
    flip_ = t == DType::kInt8 ? 0x80 : 0x00;
    threads_ = sig.threads;
    tasks_ = std::max<std::int64_t>(1, std::min<std::int64_t>(planes_count_, threads_ ? threads_->threads() : 1));
    return Status::ok();
  }

  std::size_t scratch_bytes() const override { return plane_.plane_floats * static_cast<std::size_t>(tasks_); }

  Status run(std::span<const TensorView> inputs, std::span<TensorView> outputs, void* scratch) override {
    const auto* x = inputs[0].data_as<const std::uint8_t>();
    auto* y = outputs[0].data_as<std::uint8_t>();
    const std::int64_t per_task = (planes_count_ + tasks_ - 1) / tasks_;
    const std::int64_t in_plane = plane_.in_h * plane_.in_w;
    const std::uint8_t flip = flip_;
    parallel_for(threads_, static_cast<std::size_t>(tasks_), [&](std::size_t task, int) {
      auto* padded = static_cast<std::uint8_t*>(scratch) + task * plane_.plane_floats;
      std::memset(padded, 0, plane_.plane_floats);
      const std::uint8_t* rows[kMaxPoolTaps];
      QS8MaxRow r;
      r.width = static_cast<int>(out_w_);
      r.taps = static_cast<int>(k_h_ * k_w_);
      r.rows = rows;
      r.flip = flip;
      const std::int64_t end = std::min(planes_count_, (static_cast<std::int64_t>(task) + 1) * per_task);
      for (std::int64_t p = static_cast<std::int64_t>(task) * per_task; p < end; ++p) {
        copy_bytes_into_plane(plane_, x + p * in_plane, padded, [flip](std::uint8_t v) { return static_cast<std::uint8_t>(v ^ flip); });
        for (std::int64_t oy = 0; oy < out_h_; ++oy) {
          const std::uint8_t* row_base = padded + oy * plane_.stride_h * plane_.row_stride;
          for (std::int64_t t = 0; t < k_h_ * k_w_; ++t) rows[t] = row_base + tap_offsets_[static_cast<std::size_t>(t)];
          r.out = y + (p * out_h_ + oy) * out_w_;
          uk_->max_row(r);
        }
      }
    });
    return Status::ok();
  }

 private:
  const QS8MicroKernels* uk_;
  ThreadPool* threads_ = nullptr;
  PaddedPlane plane_;  // element counts are bytes here
  std::vector<std::ptrdiff_t> tap_offsets_;
  std::uint8_t flip_ = 0;
  std::int64_t k_h_ = 1, k_w_ = 1, planes_count_ = 0, out_h_ = 0, out_w_ = 0, tasks_ = 1;
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
