// Optimised fp32 Conv (2 spatial axes, NCHW), on one ISA's micro-kernel table:
//  - groups of ordinary channels: packed GEMM per group, Y[Cout][OH*OW] = W[Cout][C*KH*KW] * X',
//    weights packed into the micro-kernel's panels once, at prepare. 1x1 convolutions with
//    stride 1 and no padding read X itself as X' (no im2col). Others copy X once into
//    zero-padded planes (split into stride phases) and the micro-kernel reads each tap's
//    row of X' in place, through a table of per-tap offsets, one output row per column
//    tile; when output rows are too short for that (7x7, 14x14 maps), X' is built by im2col.
//  - depthwise (one output channel per input channel): each channel's plane is copied once
//    into a zero-padded buffer split into stride phases, so that every kernel tap reads a
//    contiguous run and the row micro-kernel needs no bounds checks.
// Bias, Relu and Clip are fused into the micro-kernels; other fused activations run on each
// finished tile. Shapes it does not cover (1-D/3-D, depth multipliers > 1, non-constant
// weights) fail prepare and the session falls back to the reference kernel, which is also
// the specification these paths are tested against (tests/kernels/optimized_test.cpp).
#include <algorithm>
#include <cstring>
#include <memory>
#include <string>

#include "core/aligned_buffer.hpp"
#include "graph/fused_activation.hpp"
#include "graph/layout.hpp"
#include "graph/ops/window_geometry.hpp"
#include "kernels/optimized/f32_gemm_driver.hpp"
#include "kernels/optimized/optimized_kernels.hpp"
#include "kernels/optimized/padded_plane.hpp"

namespace edgeai {
namespace {

constexpr std::int64_t kMaxDepthwiseTaps = 64;  // 8x8; larger depthwise kernels use the reference

class F32ConvKernel final : public Kernel {
 public:
  explicit F32ConvKernel(const F32MicroKernels* uk) : uk_(uk) {}

  Status prepare(const Node& node, const KernelSignature& sig) override {
    if (is_channels_last(node)) return unsupported("f32 conv: channels-first kernel");
    for (std::size_t i = 0; i < sig.inputs.size(); ++i) {
      if (sig.inputs[i].dtype != DType::kUndefined && sig.inputs[i].dtype != DType::kFloat32) {
        return unsupported("f32 conv: input ", i, " is ", dtype_name(sig.inputs[i].dtype));
      }
    }
    const Shape& x = sig.inputs[0].shape;
    const Shape& w = sig.inputs[1].shape;
    if (!((x.size() == 4 && w.size() == 4) || (x.size() == 3 && w.size() == 3))) {
      return unsupported("f32 conv: 1 or 2 spatial axes only");
    }
    const bool one_d = x.size() == 3;  // run as 2-D with height 1
    if (sig.input_values[1] == nullptr) return unsupported("f32 conv: the weights are not constant");
    has_bias_ = sig.inputs.size() > 2 && sig.inputs[2].dtype != DType::kUndefined;
    if (has_bias_ && sig.input_values[2] == nullptr) return unsupported("f32 conv: the bias is not constant");
    EDGEAI_ASSIGN_OR_RETURN(FusedActivation activation, fused_activation_of(node));
    epilogue_ = epilogue_for(activation);
    threads_ = sig.threads;

    batch_ = x[0];
    channels_ = x[1];
    in_h_ = one_d ? 1 : x[2];
    in_w_ = one_d ? x[2] : x[3];
    out_channels_ = w[0];
    group_ = node.attr_int("group", 1);
    if (group_ < 1 || channels_ % group_ != 0 || out_channels_ % group_ != 0 || w[1] * group_ != channels_) {
      return invalid_argument("X ", shape_to_string(x), " and W ", shape_to_string(w), " do not agree for group ",
                              group_);
    }
    EDGEAI_ASSIGN_OR_RETURN(WindowGeometry g, conv_geometry_2d(node, x, w));
    k_h_ = g.kernel[0];
    k_w_ = g.kernel[1];
    stride_h_ = g.strides[0];
    stride_w_ = g.strides[1];
    dil_h_ = g.dilations[0];
    dil_w_ = g.dilations[1];
    pad_t_ = g.pads_begin[0];
    pad_l_ = g.pads_begin[1];
    pad_b_ = g.pads_end[0];
    pad_r_ = g.pads_end[1];
    out_h_ = g.output[0];
    out_w_ = g.output[1];
    const std::int64_t in_per_group = channels_ / group_;
    macs_ = batch_ * out_channels_ * out_h_ * out_w_ * in_per_group * k_h_ * k_w_;
    const float* weights = sig.input_values[1]->data<float>();
    if (has_bias_) {
      const float* b = sig.input_values[2]->data<float>();
      bias_.assign(b, b + out_channels_);
    }
    depthwise_ = group_ == channels_ && out_channels_ == channels_ && group_ > 1;
    return depthwise_ ? prepare_depthwise(weights) : prepare_gemm(weights);
  }

  std::size_t scratch_bytes() const override { return scratch_floats_ * sizeof(float); }
  std::int64_t macs() const override { return macs_; }

  Status run(std::span<const TensorView> inputs, std::span<TensorView> outputs, void* scratch) override {
    const float* x = inputs[0].data_as<const float>();
    float* y = outputs[0].data_as<float>();
    auto* s = static_cast<float*>(scratch);
    if (depthwise_) {
      run_depthwise(x, y, s);
    } else {
      run_gemm(x, y, s);
    }
    return Status::ok();
  }

 private:
  // ---- grouped / ordinary convolution as GEMM ----
  Status prepare_gemm(const float* weights) {
    m_ = out_channels_ / group_;
    k_ = (channels_ / group_) * k_h_ * k_w_;
    n_ = out_h_ * out_w_;
    const bool pointwise = k_h_ == 1 && k_w_ == 1 && stride_h_ == 1 && stride_w_ == 1 && pad_t_ == 0 &&
                           pad_l_ == 0 && pad_b_ == 0 && pad_r_ == 0;
    // Taps read in place from a padded copy, one output row per column tile, unless rows
    // are so short that the tiles would be mostly empty (then im2col over flat columns).
    const std::int64_t row_tiles = out_h_ * ((out_w_ + uk_->nr - 1) / uk_->nr);
    const std::int64_t flat_tiles = (n_ + uk_->nr - 1) / uk_->nr;
    mode_ = pointwise ? Mode::kPointwise : 4 * row_tiles <= 5 * flat_tiles ? Mode::kPadded : Mode::kIm2col;
    const std::size_t per_group = packed_a_floats(*uk_, m_, k_);
    packed_ = AlignedBuffer(per_group * static_cast<std::size_t>(group_) * sizeof(float));
    auto* packed = static_cast<float*>(packed_.data());
    for (std::int64_t gi = 0; gi < group_; ++gi) {
      pack_a_panels(*uk_, weights + gi * m_ * k_, k_, 1, m_, k_, packed + gi * per_group);
    }
    packed_group_floats_ = per_group;
    const int threads = threads_ != nullptr ? threads_->threads() : 1;
    if (mode_ == Mode::kPadded) {
      set_padded_geometry();
      const std::int64_t cg = channels_ / group_;
      b_offsets_.resize(static_cast<std::size_t>(k_));
      for (std::int64_t c = 0; c < cg; ++c) {
        for (std::int64_t ky = 0; ky < k_h_; ++ky) {
          for (std::int64_t kx = 0; kx < k_w_; ++kx) {
            b_offsets_[static_cast<std::size_t>((c * k_h_ + ky) * k_w_ + kx)] =
                c * static_cast<std::int64_t>(planes_.plane_floats) + planes_.tap_offset(ky, kx);
          }
        }
      }
      tiling_ = plan_f32_gemm_indirect(*uk_, m_, out_h_, out_w_, k_, threads);
      // Plus one tile of slack: the indirect micro-kernel reads nr floats from every row start.
      im2col_floats_ = planes_.plane_floats * static_cast<std::size_t>(cg) + static_cast<std::size_t>(uk_->nr);
    } else {
      tiling_ = plan_f32_gemm(*uk_, m_, n_, k_, threads);
      im2col_floats_ = mode_ == Mode::kPointwise ? 0 : static_cast<std::size_t>((k_ * n_ + 15) / 16 * 16);
    }
    scratch_floats_ = im2col_floats_ + f32_gemm_scratch_floats(*uk_, tiling_);
    return Status::ok();
  }

  // X' rows (c, ky, kx) of one image and group: X'[(c*KH + ky)*KW + kx][oy*OW + ox] =
  // X[c][oy*sh - pt + ky*dh][ox*sw - pl + kx*dw], 0 outside the input.
  void im2col(const float* x, float* cols) const {
    const std::int64_t rows = k_;
    const int tasks = threads_ != nullptr ? threads_->threads() * 4 : 1;
    const std::int64_t per_task = (rows + tasks - 1) / tasks;
    parallel_for(threads_, static_cast<std::size_t>(tasks), [&](std::size_t task, int) {
      const std::int64_t r_begin = static_cast<std::int64_t>(task) * per_task;
      const std::int64_t r_end = std::min(rows, r_begin + per_task);
      for (std::int64_t r = r_begin; r < r_end; ++r) {
        const std::int64_t kx = r % k_w_;
        const std::int64_t ky = (r / k_w_) % k_h_;
        const std::int64_t c = r / (k_w_ * k_h_);
        const float* plane = x + c * in_h_ * in_w_;
        float* dst = cols + r * n_;
        // Output columns whose input column lies inside [0, W): [ox_lo, ox_hi).
        const std::int64_t off = kx * dil_w_ - pad_l_;
        const std::int64_t ox_lo = off >= 0 ? 0 : std::min(out_w_, (-off + stride_w_ - 1) / stride_w_);
        const std::int64_t ox_hi =
            in_w_ - 1 - off < 0 ? 0 : std::max(ox_lo, std::min(out_w_, (in_w_ - 1 - off) / stride_w_ + 1));
        for (std::int64_t oy = 0; oy < out_h_; ++oy) {
          float* row = dst + oy * out_w_;
          const std::int64_t iy = oy * stride_h_ - pad_t_ + ky * dil_h_;
          if (iy < 0 || iy >= in_h_) {
            std::memset(row, 0, sizeof(float) * static_cast<std::size_t>(out_w_));
            continue;
          }
          const float* src = plane + iy * in_w_ + off;
          std::fill(row, row + ox_lo, 0.0f);
          if (stride_w_ == 1) {
            std::memcpy(row + ox_lo, src + ox_lo, sizeof(float) * static_cast<std::size_t>(ox_hi - ox_lo));
          } else {
            for (std::int64_t ox = ox_lo; ox < ox_hi; ++ox) row[ox] = src[ox * stride_w_];
          }
          std::fill(row + ox_hi, row + out_w_, 0.0f);
        }
      }
    });
  }

  void run_gemm(const float* x, float* y, float* scratch) const {
    const auto* packed = static_cast<const float*>(packed_.data());
    const std::int64_t cg = channels_ / group_;
    for (std::int64_t b = 0; b < batch_; ++b) {
      for (std::int64_t gi = 0; gi < group_; ++gi) {
        const float* xg = x + (b * channels_ + gi * cg) * in_h_ * in_w_;
        F32GemmCall call;
        call.a_packed = packed + gi * packed_group_floats_;
        if (mode_ == Mode::kPointwise) {
          call.b = xg;
        } else if (mode_ == Mode::kPadded) {
          copy_padded(xg, cg, scratch);
          call.b = scratch;
          call.b_offsets = b_offsets_.data();
          call.b_row_stride = stride_h_ * planes_.row_stride;
        } else {
          im2col(xg, scratch);
          call.b = scratch;
        }
        call.ldb = n_;
        call.c = y + (b * out_channels_ + gi * m_) * n_;
        call.ldc = n_;
        call.bias_row = has_bias_ ? bias_.data() + gi * m_ : nullptr;
        call.scratch = scratch + im2col_floats_;
        run_f32_gemm(*uk_, tiling_, call, epilogue_, threads_);
      }
    }
  }

  // ---- the padded, phase-split input planes (depthwise, and the kPadded GEMM) ----
  void set_padded_geometry() {
    planes_.set(in_h_, in_w_, pad_t_, pad_l_, in_h_ + pad_t_ + pad_b_, in_w_ + pad_l_ + pad_r_, stride_h_, stride_w_,
                dil_h_, dil_w_, uk_->vector_width);
  }

  // The padded planes of `channels` consecutive input channels, for the kPadded GEMM.
  void copy_padded(const float* x, std::int64_t channels, float* padded) const {
    const std::size_t plane_floats = planes_.plane_floats;
    std::memset(padded + channels * static_cast<std::int64_t>(plane_floats), 0,
                sizeof(float) * static_cast<std::size_t>(uk_->nr));
    parallel_for(threads_, static_cast<std::size_t>(channels), [&](std::size_t c, int) {
      float* plane = padded + c * plane_floats;
      std::memset(plane, 0, plane_floats * sizeof(float));
      planes_.copy(*uk_, x + static_cast<std::int64_t>(c) * in_h_ * in_w_, plane);
    });
  }

  // ---- depthwise ----
  Status prepare_depthwise(const float* weights) {
    const std::int64_t taps = k_h_ * k_w_;
    if (taps > kMaxDepthwiseTaps) return unsupported("f32 conv: depthwise kernels over ", kMaxDepthwiseTaps, " taps");
    weights_.assign(weights, weights + channels_ * taps);
    set_padded_geometry();
    tap_offsets_.resize(static_cast<std::size_t>(taps));
    for (std::int64_t ky = 0; ky < k_h_; ++ky) {
      for (std::int64_t kx = 0; kx < k_w_; ++kx) tap_offsets_[static_cast<std::size_t>(ky * k_w_ + kx)] = planes_.tap_offset(ky, kx);
    }
    tasks_ = std::max<std::int64_t>(1, std::min<std::int64_t>(batch_ * channels_, threads_ ? threads_->threads() : 1));
    scratch_floats_ = planes_.plane_floats * static_cast<std::size_t>(tasks_);
    return Status::ok();
  }

  void run_depthwise(const float* x, float* y, float* scratch) const {
    const std::int64_t planes = batch_ * channels_;
    const std::int64_t per_task = (planes + tasks_ - 1) / tasks_;
    const std::int64_t taps = k_h_ * k_w_;
    parallel_for(threads_, static_cast<std::size_t>(tasks_), [&](std::size_t task, int) {
      float* padded = scratch + task * planes_.plane_floats;
      const float* row_ptrs[kMaxDepthwiseTaps];
      const std::int64_t begin = static_cast<std::int64_t>(task) * per_task;
      const std::int64_t end = std::min(planes, begin + per_task);
      // Every channel writes the same positions: the padding, zeroed once, stays zero.
      std::memset(padded, 0, planes_.plane_floats * sizeof(float));
      for (std::int64_t bc = begin; bc < end; ++bc) {
        const std::int64_t c = bc % channels_;
        planes_.copy(*uk_, x + bc * in_h_ * in_w_, padded);
        F32DepthwiseRow r;
        r.width = static_cast<int>(out_w_);
        r.taps = static_cast<int>(taps);
        r.rows = row_ptrs;
        r.weights = weights_.data() + c * taps;
        r.bias = has_bias_ ? bias_[static_cast<std::size_t>(c)] : 0.0f;
        r.clamp = epilogue_.clamp;
        r.lo = epilogue_.lo;
        r.hi = epilogue_.hi;
        for (std::int64_t oy = 0; oy < out_h_; ++oy) {
          const float* row_base = padded + oy * stride_h_ * planes_.row_stride;
          for (std::int64_t t = 0; t < taps; ++t) row_ptrs[t] = row_base + tap_offsets_[static_cast<std::size_t>(t)];
          r.out = y + bc * out_h_ * out_w_ + oy * out_w_;
          uk_->depthwise_row(r);
          if (epilogue_.post.kind != ActivationKind::kNone) apply_activation(*uk_, epilogue_.post, r.out, r.out, out_w_);
        }
      }
    });
  }

  const F32MicroKernels* uk_;
  ThreadPool* threads_ = nullptr;
  F32Epilogue epilogue_;
  // How the GEMM path reads its input: as it is (1x1, stride 1, no padding), through a
  // padded copy with per-tap offsets, or through im2col.
  enum class Mode { kPointwise, kPadded, kIm2col };
  Mode mode_ = Mode::kPointwise;
  bool has_bias_ = false, depthwise_ = false;
  std::int64_t batch_ = 0, channels_ = 0, in_h_ = 0, in_w_ = 0, out_channels_ = 0, group_ = 1;
  std::int64_t k_h_ = 1, k_w_ = 1, stride_h_ = 1, stride_w_ = 1, dil_h_ = 1, dil_w_ = 1;
  std::int64_t pad_t_ = 0, pad_l_ = 0, pad_b_ = 0, pad_r_ = 0, out_h_ = 0, out_w_ = 0, macs_ = 0;
  std::vector<float> bias_;
  std::size_t scratch_floats_ = 0;
  std::size_t im2col_floats_ = 0;
  // GEMM
  std::int64_t m_ = 0, n_ = 0, k_ = 0;
  AlignedBuffer packed_;
  std::size_t packed_group_floats_ = 0;
  F32GemmTiling tiling_;
  // depthwise
  std::vector<float> weights_;
  std::int64_t tasks_ = 1;
  // padded planes
  PaddedPlane planes_;
  std::vector<std::ptrdiff_t> b_offsets_;
  std::vector<std::ptrdiff_t> tap_offsets_;  // depthwise: tap t's offset from its output row's base
};

}  // namespace

std::unique_ptr<Kernel> make_f32_conv_kernel(const F32MicroKernels* uk) { return std::make_unique<F32ConvKernel>(uk); }

}  // namespace edgeai
