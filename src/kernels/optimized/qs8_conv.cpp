// Optimised QLinearConv for 8-bit activations and int8 weights with zero point 0 (what
// `edgeai compress` makes), 2 spatial axes, NCHW, on one ISA's int8 micro-kernel table:
//  - ordinary convolutions (group 1) as an int8 GEMM: weights packed once into quads of K,
//    activations packed per column tile into quads of the micro-kernel's signedness (offset
//    by +-128 where needed; the bias absorbs the offset and the input zero point:
//    sum (x - zx) w = sum v w - (offset + zx) sum w, v = x + offset). 1x1 convolutions read their input as it is; the others read zero-point-padded,
//    stride-phase-split copies of the input planes one output row per tile, or, for maps
//    with short rows, an im2col buffer.
//  - depthwise convolutions (one output channel per input channel): planes copied into
//    padded int16 rows of x - x_zero_point; with dilation 1 and horizontal stride 1 or 2 the
//    taps of a kernel row are summed in pairs (QS8DepthwisePairsRow; stride 1 over the whole
//    plane in one pass) where the ISA has it, otherwise each output row is a sum of taps in
//    int32 lanes.
// The requantisation is kernels/quantization.hpp's, vectorised: results equal the reference
// kernel's bit for bit (tests/kernels/optimized_int8_test.cpp). Everything else declines at
// prepare, as do models whose int32 accumulators could overflow, and the reference runs.
#include <algorithm>
#include <cstring>
#include <limits>
#include <memory>
#include <vector>

#include "core/aligned_buffer.hpp"
#include "graph/ops/window_geometry.hpp"
#include "kernels/optimized/optimized_kernels.hpp"
#include "kernels/optimized/padded_plane.hpp"
#include "kernels/reference/quantized_operands.hpp"

namespace edgeai {
namespace {

constexpr std::size_t kX = 0, kXScale = 1, kXZero = 2, kW = 3, kWScale = 4, kWZero = 5, kYScale = 6, kYZero = 7,
                      kBias = 8;
constexpr std::int64_t kMaxDepthwiseTaps = 64;
// AMX blocks are 32 output channels by 32 columns; below these sizes the zero padding to whole
// 16x64-byte tiles costs more than the tiles save.
constexpr std::int64_t kAmxRows = 32;
constexpr std::int64_t kAmxMinK = 64;
constexpr std::int64_t kAmxMinChannels = 16;

std::int64_t ceil_div(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }

class QS8ConvKernel final : public Kernel {
 public:
  explicit QS8ConvKernel(const QS8MicroKernels* uk) : uk_(uk) {}

  Status prepare(const Node& node, const KernelSignature& sig) override {
    const DType x_dtype = sig.inputs[kX].dtype, w_dtype = sig.inputs[kW].dtype, y_dtype = sig.outputs[0].dtype;
    if (!is_quantized_dtype(x_dtype) || w_dtype != DType::kInt8 || !is_quantized_dtype(y_dtype)) {
      return unsupported("qs8 conv: 8-bit x and y, int8 w only");
    }
    const Shape& x = sig.inputs[kX].shape;
    const Shape& w = sig.inputs[kW].shape;
    if (!((x.size() == 4 && w.size() == 4) || (x.size() == 3 && w.size() == 3))) {
      return unsupported("qs8 conv: 1 or 2 spatial axes only");
    }
    const bool one_d = x.size() == 3;  // run as 2-D with height 1
    if (!are_constants(sig, {kXScale, kXZero, kW, kWScale, kWZero, kYScale, kYZero, kBias})) {
      return unsupported("qs8 conv: weights and quantisation parameters must be constants");
    }
    if (has_input(sig, kBias) && (sig.inputs[kBias].dtype != DType::kInt32 || sig.inputs[kBias].shape != Shape{w[0]})) {
      return unsupported("qs8 conv: bias is not int32 [M]");
    }
    EDGEAI_ASSIGN_OR_RETURN(FusedActivation activation, fused_activation_of(node));
    if (check_quantized_activation(node, activation).code() != StatusCode::kOk) {
      return unsupported("qs8 conv: fused activation without an integer form");
    }
    x_signed_ = x_dtype == DType::kInt8;
    // Packed activations must have the micro-kernel's signedness: flip the top bit otherwise,
    // which adds 128 (int8 -> uint8) or subtracts it (uint8 -> int8).
    flip_ = x_signed_ != uk_->b_signed ? 0x80 : 0x00;
    pack_offset_ = flip_ == 0 ? 0 : (x_signed_ ? 128 : -128);
    threads_ = sig.threads;
    batch_ = x[0];
    channels_ = x[1];
    in_h_ = one_d ? 1 : x[2];
    in_w_ = one_d ? x[2] : x[3];
    out_channels_ = w[0];
    const std::int64_t group = node.attr_int("group", 1);
    if (group < 1 || channels_ % group != 0 || out_channels_ % group != 0 || w[1] * group != channels_) {
      return unsupported("qs8 conv: x and w do not agree for the group");
    }
    depthwise_ = group == channels_ && out_channels_ == channels_ && group > 1;
    if (group != 1 && !depthwise_) return unsupported("qs8 conv: grouped convolution");
    EDGEAI_ASSIGN_OR_RETURN(WindowGeometry g, conv_geometry_2d(node, x, w));
    if (g.strides[1] > 8) return unsupported("qs8 conv: strides over 8");
    k_h_ = g.kernel[0];
    k_w_ = g.kernel[1];
    out_h_ = g.output[0];
    out_w_ = g.output[1];
    geometry_ = g;
    macs_ = batch_ * out_channels_ * out_h_ * out_w_ * (channels_ / group) * k_h_ * k_w_;

    // Quantisation parameters, as the reference reads them.
    const std::vector<TensorView> c = constant_input_views(sig);
    const auto view = [&](std::size_t i) { return has_input(sig, i) ? &c[i] : nullptr; };
    x_zero_point_ = zero_point_at(view(kXZero), 0);
    const std::int32_t y_zero_point = zero_point_at(view(kYZero), 0);
    const float x_scale = scale_at(c[kXScale], 0), y_scale = scale_at(c[kYScale], 0);
    if (!(x_scale > 0.0f) || !(y_scale > 0.0f)) return unsupported("qs8 conv: scales");
    const std::int64_t m = out_channels_;
    scale_.resize(static_cast<std::size_t>(m));
    for (std::int64_t i = 0; i < m; ++i) {
      if (zero_point_at(view(kWZero), i) != 0) return unsupported("qs8 conv: weight zero points other than 0");
      const float w_scale = scale_at(c[kWScale], i);
      if (!(w_scale > 0.0f)) return unsupported("qs8 conv: scales");
      const double real = static_cast<double>(x_scale) * static_cast<double>(w_scale) / static_cast<double>(y_scale);
      if (!quant::make_requantization_scale(real, &scale_[static_cast<std::size_t>(i)])) {
        return unsupported("qs8 conv: requantisation scale out of range");
      }
    }
    const std::int32_t qmin = y_dtype == DType::kInt8 ? -128 : 0, qmax = y_dtype == DType::kInt8 ? 127 : 255;
    const QuantizedClamp clamp = quantized_clamp(activation, y_scale, y_zero_point, qmin, qmax);
    requant_.zero_point = y_zero_point;
    requant_.lo = std::max(clamp.lo, qmin);
    requant_.hi = std::min(clamp.hi, qmax);
    const std::int32_t* bias = has_input(sig, kBias) ? c[kBias].data_as<const std::int32_t>() : nullptr;
    const std::int8_t* weights = c[kW].data_as<const std::int8_t>();
    return depthwise_ ? prepare_depthwise(weights, bias) : prepare_gemm(weights, bias);
  }

  std::size_t scratch_bytes() const override { return scratch_bytes_; }
  std::int64_t macs() const override { return macs_; }

  Status run(std::span<const TensorView> inputs, std::span<TensorView> outputs, void* scratch) override {
    const auto* x = inputs[kX].data_as<const std::uint8_t>();
    auto* y = outputs[0].data_as<std::uint8_t>();
    for (std::int64_t b = 0; b < batch_; ++b) {
      const std::uint8_t* xb = x + b * channels_ * in_h_ * in_w_;
      std::uint8_t* yb = y + b * out_channels_ * out_h_ * out_w_;
      if (depthwise_) {
        run_depthwise(xb, yb, static_cast<std::uint8_t*>(scratch));
      } else {
        run_gemm(xb, yb, static_cast<std::uint8_t*>(scratch));
      }
    }
    return Status::ok();
  }

 private:
  // The bias with the zero-point compensation folded in, or a decline when the int32
  // accumulator could overflow (the reference saturates an exact int64 sum there).
  Status fold_bias(const std::int8_t* weights, const std::int32_t* bias, std::int64_t k, std::int64_t offset) {
    bias_.resize(static_cast<std::size_t>(out_channels_));
    double largest_product = 0.0;
    for (std::int64_t i = 0; i < out_channels_; ++i) {
      std::int64_t sum = 0;
      for (std::int64_t p = 0; p < k; ++p) sum += weights[i * k + p];
      const std::int64_t b = (bias != nullptr ? bias[i] : 0) - (offset + x_zero_point_) * sum;
      const std::int64_t bound = std::llabs(b) + k * 255 * 128 + std::llabs((offset + x_zero_point_) * sum);
      if (bound >= std::numeric_limits<std::int32_t>::max()) {
        return unsupported("qs8 conv: the int32 accumulator could overflow");
      }
      bias_[static_cast<std::size_t>(i)] = static_cast<std::int32_t>(b);
      largest_product = std::max(largest_product, static_cast<double>(bound) * scale_[static_cast<std::size_t>(i)]);
    }
    requant_.products_fit_int32 = largest_product < 1073741824.0;
    return Status::ok();
  }

  // ---- group 1: int8 GEMM ----
  Status prepare_gemm(const std::int8_t* weights, const std::int32_t* bias) {
    k_ = channels_ * k_h_ * k_w_;
    n_ = out_h_ * out_w_;
    k4_ = ceil_div(k_, 4);
    EDGEAI_RETURN_IF_ERROR(fold_bias(weights, bias, k_, pack_offset_));
    // A: panels of MR rows, quads of K: packed[p][q][r][t] = w[p*MR + r][4q + t], 0 past M or K.
    const std::int64_t mr = uk_->mr;
    row_panels_ = ceil_div(out_channels_, mr);
    packed_ = AlignedBuffer(static_cast<std::size_t>(row_panels_ * k4_ * mr * 4));
    auto* a = static_cast<std::int8_t*>(packed_.data());
    for (std::int64_t p = 0; p < row_panels_; ++p) {
      for (std::int64_t q = 0; q < k4_; ++q) {
        for (std::int64_t r = 0; r < mr; ++r) {
          for (std::int64_t t = 0; t < 4; ++t) {
            const std::int64_t i = p * mr + r, kk = 4 * q + t;
            a[((p * k4_ + q) * mr + r) * 4 + t] = i < out_channels_ && kk < k_ ? weights[i * k_ + kk] : 0;
          }
        }
      }
    }
    // AMX: blocks of 32 output channels whose rows are K bytes padded to whole tiles (64).
    amx_ = uk_->gemm_amx != nullptr && k_ >= kAmxMinK && out_channels_ >= kAmxMinChannels;
    if (amx_) {
      k64_ = ceil_div(k_, 64);
      row_panels_ = ceil_div(out_channels_, kAmxRows);
      amx_packed_ = AlignedBuffer(static_cast<std::size_t>(row_panels_ * kAmxRows * k64_ * 64));
      auto* w = static_cast<std::int8_t*>(amx_packed_.data());
      for (std::int64_t i = 0; i < out_channels_; ++i) std::memcpy(w + i * k64_ * 64, weights + i * k_, static_cast<std::size_t>(k_));
      packed_ = AlignedBuffer();
    }
    const bool pointwise = k_h_ == 1 && k_w_ == 1 && geometry_.strides[0] == 1 && geometry_.strides[1] == 1 &&
                           geometry_.pads_begin[0] == 0 && geometry_.pads_begin[1] == 0 &&
                           geometry_.pads_end[0] == 0 && geometry_.pads_end[1] == 0;
    const std::int64_t nr = uk_->nr;
    const std::int64_t row_tiles = out_h_ * ceil_div(out_w_, nr);
    const std::int64_t flat_tiles = ceil_div(n_, nr);
    mode_ = pointwise ? Mode::kPointwise : 4 * row_tiles <= 5 * flat_tiles ? Mode::kPadded : Mode::kIm2col;
    tiles_per_row_ = mode_ == Mode::kPadded ? ceil_div(out_w_, nr) : flat_tiles;
    col_tiles_ = mode_ == Mode::kPadded ? row_tiles : flat_tiles;
    // Where row k of B starts, from a column tile's first element: rows of n_ bytes (the input
    // as it is, or im2col), or a tap of a padded plane.
    row_offsets_.resize(static_cast<std::size_t>(k_));
    for (std::int64_t k = 0; k < k_; ++k) row_offsets_[static_cast<std::size_t>(k)] = k * n_;
    if (mode_ == Mode::kPadded) {
      plane_.set(in_h_, in_w_, geometry_.pads_begin[0], geometry_.pads_begin[1],
                 in_h_ + geometry_.pads_begin[0] + geometry_.pads_end[0],
                 in_w_ + geometry_.pads_begin[1] + geometry_.pads_end[1], geometry_.strides[0], geometry_.strides[1],
                 geometry_.dilations[0], geometry_.dilations[1], nr);
      for (std::int64_t c = 0; c < channels_; ++c) {
        for (std::int64_t ky = 0; ky < k_h_; ++ky) {
          for (std::int64_t kx = 0; kx < k_w_; ++kx) {
            row_offsets_[static_cast<std::size_t>((c * k_h_ + ky) * k_w_ + kx)] =
                c * static_cast<std::int64_t>(plane_.plane_floats) + plane_.tap_offset(ky, kx);
          }
        }
      }
      source_bytes_ = plane_.plane_floats * static_cast<std::size_t>(channels_);  // one byte per element
    } else if (mode_ == Mode::kIm2col) {
      source_bytes_ = static_cast<std::size_t>(k_ * n_);
    }
    // Tasks: column tiles, and row panels too when there are few tiles for the threads.
    const int threads = threads_ != nullptr ? threads_->threads() : 1;
    cols_per_task_ = col_tiles_;
    rows_per_task_ = row_panels_;
    if (threads > 1) {
      const std::int64_t wanted = 4 * threads;
      cols_per_task_ = std::max<std::int64_t>(1, col_tiles_ / wanted);
      const std::int64_t col_tasks = ceil_div(col_tiles_, cols_per_task_);
      rows_per_task_ = ceil_div(row_panels_, std::clamp<std::int64_t>(ceil_div(wanted, col_tasks), 1, row_panels_));
    }
    tasks_ = ceil_div(col_tiles_, cols_per_task_) * ceil_div(row_panels_, rows_per_task_);
    // Per worker: the B panel (quads to whole AMX tiles) and AMX's 32x32 int32 block.
    panel_bytes_ = amx_ ? static_cast<std::size_t>(k64_ * 16 * nr * 4 + kAmxRows * 32 * 4)
                        : static_cast<std::size_t>(k4_ * nr * 4);
    source_bytes_ = (source_bytes_ + 63) / 64 * 64 + 64;  // + slack: whole vectors read past row ends
    scratch_bytes_ = source_bytes_ + panel_bytes_ * static_cast<std::size_t>(std::max(1, threads));
    return Status::ok();
  }

  void run_gemm(const std::uint8_t* x, std::uint8_t* y, std::uint8_t* scratch) const {
    const std::int64_t nr = uk_->nr, mr = uk_->mr;
    const std::uint8_t* source = x;  // rows of K, row k at row_offsets_[k] from a tile's start
    if (mode_ == Mode::kPadded) {
      fill_padded(x, scratch);
      source = scratch;
    } else if (mode_ == Mode::kIm2col) {
      im2col(x, scratch);
      source = scratch;
    }
    std::uint8_t* panels = scratch + source_bytes_;
    const std::int64_t row_groups = ceil_div(row_panels_, rows_per_task_);
    parallel_for(threads_, static_cast<std::size_t>(tasks_), [&](std::size_t task, int worker) {
      const std::int64_t cg = static_cast<std::int64_t>(task) / row_groups;
      const std::int64_t rg = static_cast<std::int64_t>(task) % row_groups;
      const std::int64_t q_end = std::min(col_tiles_, (cg + 1) * cols_per_task_);
      const std::int64_t p_end = std::min(row_panels_, (rg + 1) * rows_per_task_);
      std::uint8_t* panel = panels + static_cast<std::size_t>(worker) * panel_bytes_;
      QS8GemmTile tile;
      tile.k4 = static_cast<int>(k4_);
      tile.b = panel;
      tile.requant = requant_;
      tile.ldc = n_;
      for (std::int64_t q = cg * cols_per_task_; q < q_end; ++q) {
        // This tile's columns: a run of one output row (kPadded) or of the flat output.
        std::int64_t out_col = 0, n = 0;
        const std::uint8_t* base = nullptr;
        if (mode_ == Mode::kPadded) {
          const std::int64_t oy = q / tiles_per_row_, ox0 = (q % tiles_per_row_) * nr;
          out_col = oy * out_w_ + ox0;
          n = std::min(nr, out_w_ - ox0);
          base = source + oy * geometry_.strides[0] * plane_.row_stride + ox0;
        } else {
          out_col = q * nr;
          n = std::min(nr, n_ - out_col);
          base = source + out_col;
        }
        const std::uint8_t flip = mode_ == Mode::kPadded ? 0 : flip_;  // padded copies are already flipped
        if (uk_->pack_panel != nullptr) {
          uk_->pack_panel(base, row_offsets_.data(), static_cast<int>(k_), static_cast<int>(n), flip, panel);
        } else {
          const std::uint8_t* rows[4];
          for (std::int64_t kq = 0; kq < k4_; ++kq) {
            for (std::int64_t t = 0; t < 4; ++t) {
              const std::int64_t k = 4 * kq + t;
              rows[t] = k < k_ ? base + row_offsets_[static_cast<std::size_t>(k)] : nullptr;
            }
            uk_->pack_quads(rows, static_cast<int>(n), flip, panel + kq * nr * 4);
          }
        }
        tile.n = static_cast<int>(n);
        if (amx_) {
          // Quads past K up to whole tiles: zeros (the buffer serves other nodes between runs).
          std::memset(panel + k4_ * nr * 4, 0, static_cast<std::size_t>((k64_ * 16 - k4_) * nr * 4));
          QS8AmxTile block;
          block.k64 = static_cast<int>(k64_);
          block.lda = k64_ * 64;
          block.b = panel;
          block.n = static_cast<int>(n);
          block.requant = requant_;
          block.ldc = n_;
          block.acc = reinterpret_cast<std::int32_t*>(panel + k64_ * 16 * nr * 4);
          for (std::int64_t p = rg * rows_per_task_; p < p_end; ++p) {
            const std::int64_t row = p * kAmxRows;
            block.m = static_cast<int>(std::min(kAmxRows, out_channels_ - row));
            block.a = static_cast<const std::int8_t*>(amx_packed_.data()) + row * k64_ * 64;
            block.requant.bias = bias_.data() + row;
            block.requant.scale = scale_.data() + row;
            block.c = y + row * n_ + out_col;
            uk_->gemm_amx(block);
          }
          continue;
        }
        for (std::int64_t p = rg * rows_per_task_; p < p_end; ++p) {
          const std::int64_t row = p * mr;
          tile.m = static_cast<int>(std::min(mr, out_channels_ - row));
          tile.a = static_cast<const std::int8_t*>(packed_.data()) + p * k4_ * mr * 4;
          tile.requant.bias = bias_.data() + row;
          tile.requant.scale = scale_.data() + row;
          tile.c = y + row * n_ + out_col;
          uk_->gemm(tile);
        }
      }
    });
  }

  // Copies of the input planes in the micro-kernel's signedness, padded with the zero point.
  void fill_padded(const std::uint8_t* x, std::uint8_t* padded) const {
    const std::uint8_t pad = static_cast<std::uint8_t>(x_zero_point_ ^ flip_);
    const std::size_t plane = plane_.plane_floats;
    std::memset(padded + plane * static_cast<std::size_t>(channels_), pad, 64);
    parallel_for(threads_, static_cast<std::size_t>(channels_), [&](std::size_t c, int) {
      std::uint8_t* dst = padded + c * plane;
      std::memset(dst, pad, plane);
      copy_plane(x + static_cast<std::int64_t>(c) * in_h_ * in_w_, dst, flip_);
    });
  }

  template <typename T, typename Convert>
  void copy_plane_as(const std::uint8_t* src, T* dst, Convert convert) const {
    copy_bytes_into_plane(plane_, src, dst, convert);
  }
  void copy_plane(const std::uint8_t* src, std::uint8_t* dst, std::uint8_t flip) const {
    copy_plane_as(src, dst, [flip](std::uint8_t v) { return static_cast<std::uint8_t>(v ^ flip); });
  }

  // K rows (c, ky, kx) of the flat output, X' values as they are (zero point in the padding).
  void im2col(const std::uint8_t* x, std::uint8_t* cols) const {
    const WindowGeometry& g = geometry_;
    const std::uint8_t pad = static_cast<std::uint8_t>(x_zero_point_);
    for (std::int64_t r = 0; r < k_; ++r) {
      const std::int64_t kx = r % k_w_, ky = (r / k_w_) % k_h_, c = r / (k_w_ * k_h_);
      std::uint8_t* dst = cols + r * n_;
      for (std::int64_t oy = 0; oy < out_h_; ++oy) {
        const std::int64_t iy = oy * g.strides[0] - g.pads_begin[0] + ky * g.dilations[0];
        for (std::int64_t ox = 0; ox < out_w_; ++ox) {
          const std::int64_t ix = ox * g.strides[1] - g.pads_begin[1] + kx * g.dilations[1];
          dst[oy * out_w_ + ox] =
              iy < 0 || iy >= in_h_ || ix < 0 || ix >= in_w_ ? pad : x[(c * in_h_ + iy) * in_w_ + ix];
        }
      }
    }
  }

  // ---- depthwise ----
  Status prepare_depthwise(const std::int8_t* weights, const std::int32_t* bias) {
    const std::int64_t taps = k_h_ * k_w_;
    if (taps > kMaxDepthwiseTaps) return unsupported("qs8 conv: depthwise kernel over 64 taps");
    EDGEAI_RETURN_IF_ERROR(fold_bias(weights, bias, taps, 0));  // x - zx is taken while copying
    // fold_bias subtracted zx * sum(w): the int16 planes hold x - zx already, so undo that.
    for (std::int64_t c = 0; c < channels_; ++c) {
      bias_[static_cast<std::size_t>(c)] = bias != nullptr ? bias[c] : 0;
    }
    weights_.assign(weights, weights + channels_ * taps);
    // Taps in pairs where the ISA has it: dilation 1, horizontal stride 1 or 2; the plane is
    // then not split into stride phases (the micro-kernel reads every other element).
    pairs_ = uk_->depthwise_pairs_row != nullptr && geometry_.dilations[0] == 1 && geometry_.dilations[1] == 1 &&
             (geometry_.strides[1] == 1 || geometry_.strides[1] == 2);
    // Stride 1: the padded plane is one long row (no slack between rows) and each output row
    // continues where the previous padded row ends, so one call covers the plane; the
    // results land at pitch row_stride and are compacted after.
    flat_ = pairs_ && geometry_.strides[0] == 1 && geometry_.strides[1] == 1;
    if (pairs_) {
      const std::int64_t pairs = ceil_div(k_w_, 2);
      weight_pairs_.assign(static_cast<std::size_t>(channels_ * k_h_ * pairs), 0);
      for (std::int64_t c = 0; c < channels_; ++c) {
        for (std::int64_t ky = 0; ky < k_h_; ++ky) {
          for (std::int64_t p = 0; p < pairs; ++p) {
            const auto w_at = [&](std::int64_t kx) -> std::uint32_t {
              const std::int8_t v = kx < k_w_ ? weights[(c * k_h_ + ky) * k_w_ + kx] : 0;
              return static_cast<std::uint16_t>(static_cast<std::int16_t>(v));
            };
            weight_pairs_[static_cast<std::size_t>((c * k_h_ + ky) * pairs + p)] =
                static_cast<std::int32_t>(w_at(2 * p) | (w_at(2 * p + 1) << 16));
          }
        }
      }
    }
    plane_.set(in_h_, in_w_, geometry_.pads_begin[0], geometry_.pads_begin[1],
               in_h_ + geometry_.pads_begin[0] + geometry_.pads_end[0],
               in_w_ + geometry_.pads_begin[1] + geometry_.pads_end[1], geometry_.strides[0],
               pairs_ ? 1 : geometry_.strides[1], geometry_.dilations[0], geometry_.dilations[1],
               flat_ ? 0 : pairs_ ? kDepthwisePairsSlack + 64 : 16);
    if (!pairs_) {
      tap_offsets_.resize(static_cast<std::size_t>(taps));
      for (std::int64_t ky = 0; ky < k_h_; ++ky) {
        for (std::int64_t kx = 0; kx < k_w_; ++kx) {
          tap_offsets_[static_cast<std::size_t>(ky * k_w_ + kx)] = plane_.tap_offset(ky, kx);
        }
      }
    }
    const int threads = threads_ != nullptr ? threads_->threads() : 1;
    tasks_ = std::max<std::int64_t>(1, std::min<std::int64_t>(channels_, threads));
    // Per task: the int16 plane plus the overread past its last row, and the flat results.
    plane_elements_ = plane_.plane_floats + (pairs_ ? kDepthwisePairsSlack + 64 : 0);
    flat_out_bytes_ = flat_ ? static_cast<std::size_t>(out_h_ * plane_.row_stride + 63) / 64 * 64 : 0;
    task_bytes_ = (plane_elements_ * sizeof(std::int16_t) + 63) / 64 * 64 + flat_out_bytes_;
    scratch_bytes_ = task_bytes_ * static_cast<std::size_t>(tasks_);
    return Status::ok();
  }

  void run_depthwise(const std::uint8_t* x, std::uint8_t* y, std::uint8_t* scratch) const {
    const std::int64_t taps = k_h_ * k_w_;
    const std::int64_t per_task = ceil_div(channels_, tasks_);
    const bool is_signed = x_signed_;
    const std::int32_t zx = x_zero_point_;
    parallel_for(threads_, static_cast<std::size_t>(tasks_), [&](std::size_t task, int) {
      std::uint8_t* task_scratch = scratch + task * task_bytes_;
      auto* padded = reinterpret_cast<std::int16_t*>(task_scratch);
      std::memset(padded, 0, plane_elements_ * sizeof(std::int16_t));  // x - zx = 0 in the padding
      QS8WidenRows widen;
      widen.rows = static_cast<int>(in_h_);
      widen.width = static_cast<int>(in_w_);
      widen.is_signed = is_signed;
      widen.zero_point = zx;
      widen.dst = padded + plane_.pad_t * plane_.row_stride + plane_.pad_l;
      widen.dst_stride = plane_.row_stride;
      const std::int16_t* rows[kMaxDepthwiseTaps];
      QS8DepthwiseRow r;
      r.width = static_cast<int>(out_w_);
      r.taps = static_cast<int>(taps);
      r.rows = rows;
      r.zero_point = requant_.zero_point;
      r.lo = requant_.lo;
      r.hi = requant_.hi;
      const std::int64_t end = std::min(channels_, (static_cast<std::int64_t>(task) + 1) * per_task);
      for (std::int64_t c = static_cast<std::int64_t>(task) * per_task; c < end; ++c) {
        const std::uint8_t* src = x + c * in_h_ * in_w_;
        if (uk_->widen_rows != nullptr && plane_.stride_w == 1) {
          widen.src = src;
          uk_->widen_rows(widen);
        } else if (is_signed) {
          copy_plane_as(src, padded, [zx](std::uint8_t v) {
            return static_cast<std::int16_t>(static_cast<std::int8_t>(v) - zx);
          });
        } else {
          copy_plane_as(src, padded, [zx](std::uint8_t v) { return static_cast<std::int16_t>(v - zx); });
        }
        if (pairs_) {
          run_depthwise_pairs(c, padded, y + c * out_h_ * out_w_, task_scratch + task_bytes_ - flat_out_bytes_);
          continue;
        }
        r.weights = weights_.data() + c * taps;
        r.bias = bias_[static_cast<std::size_t>(c)];
        r.scale = scale_[static_cast<std::size_t>(c)];
        for (std::int64_t oy = 0; oy < out_h_; ++oy) {
          const std::int16_t* row_base = padded + oy * plane_.stride_h * plane_.row_stride;
          for (std::int64_t t = 0; t < taps; ++t) rows[t] = row_base + tap_offsets_[static_cast<std::size_t>(t)];
          r.out = y + (c * out_h_ + oy) * out_w_;
          uk_->depthwise_row(r);
        }
      }
    });
  }

  // One channel's output plane from its padded int16 plane, kernel rows of tap pairs.
  void run_depthwise_pairs(std::int64_t c, const std::int16_t* padded, std::uint8_t* out,
                           std::uint8_t* flat_out) const {
    const std::int16_t* rows[kMaxDepthwiseTaps];
    QS8DepthwisePairsRow r;
    r.width = static_cast<int>(out_w_);
    r.stride = static_cast<int>(geometry_.strides[1]);
    r.kernel_h = static_cast<int>(k_h_);
    r.pairs = static_cast<int>(ceil_div(k_w_, 2));
    r.rows = rows;
    r.weight_pairs = weight_pairs_.data() + c * k_h_ * r.pairs;
    r.bias = bias_[static_cast<std::size_t>(c)];
    r.scale = scale_[static_cast<std::size_t>(c)];
    r.zero_point = requant_.zero_point;
    r.lo = requant_.lo;
    r.hi = requant_.hi;
    if (flat_) {
      const std::int64_t pitch = plane_.row_stride;
      r.width = static_cast<int>((out_h_ - 1) * pitch + out_w_);
      for (std::int64_t ky = 0; ky < k_h_; ++ky) rows[ky] = padded + ky * pitch;
      r.out = flat_out;
      uk_->depthwise_pairs_row(r);
      for (std::int64_t oy = 0; oy < out_h_; ++oy) {
        std::memcpy(out + oy * out_w_, flat_out + oy * pitch, static_cast<std::size_t>(out_w_));
      }
      return;
    }
    for (std::int64_t oy = 0; oy < out_h_; ++oy) {
      const std::int16_t* row_base = padded + oy * plane_.stride_h * plane_.row_stride;
      for (std::int64_t ky = 0; ky < k_h_; ++ky) rows[ky] = row_base + ky * plane_.row_stride;
      r.out = out + oy * out_w_;
      uk_->depthwise_pairs_row(r);
    }
  }

  enum class Mode { kPointwise, kPadded, kIm2col };
  const QS8MicroKernels* uk_;
  ThreadPool* threads_ = nullptr;
  WindowGeometry geometry_;
  std::uint8_t flip_ = 0;
  bool x_signed_ = true;
  std::int64_t pack_offset_ = 0;  // packed value - x
  bool depthwise_ = false;
  bool pairs_ = false;  // depthwise through depthwise_pairs_row
  bool flat_ = false;   // ... over the whole plane at once (stride 1)
  Mode mode_ = Mode::kPointwise;
  std::int64_t batch_ = 0, channels_ = 0, in_h_ = 0, in_w_ = 0, out_channels_ = 0;
  std::int64_t k_h_ = 1, k_w_ = 1, out_h_ = 0, out_w_ = 0, macs_ = 0;
  std::int64_t k_ = 0, n_ = 0, k4_ = 0, row_panels_ = 0, col_tiles_ = 0, tiles_per_row_ = 0;
  bool amx_ = false;          // the GEMM on AMX tiles: row panels of kAmxRows
  std::int64_t k64_ = 0;      // AMX: K in tiles of 64 bytes
  AlignedBuffer amx_packed_;  // AMX: [row_panels_ * kAmxRows][k64_ * 64] weights, zero padded
  std::int64_t cols_per_task_ = 0, rows_per_task_ = 0, tasks_ = 1;
  std::int32_t x_zero_point_ = 0;
  QS8Requantization requant_;
  std::vector<std::int32_t> bias_;
  std::vector<float> scale_;
  std::vector<std::int8_t> weights_;
  std::vector<std::int32_t> weight_pairs_;  // [C][kh][ceil(kw / 2)], see QS8DepthwisePairsRow
  std::vector<std::ptrdiff_t> tap_offsets_;  // depthwise per-tap path: tap t of an output row
  std::vector<std::ptrdiff_t> row_offsets_;  // GEMM: row k of B from a column tile's start
  AlignedBuffer packed_;
  PaddedPlane plane_;  // element counts (bytes for the GEMM, int16 for depthwise)
  std::size_t source_bytes_ = 0, panel_bytes_ = 0, scratch_bytes_ = 0;
  std::size_t plane_elements_ = 0, flat_out_bytes_ = 0, task_bytes_ = 0;  // depthwise scratch per task
};

}  // namespace

std::unique_ptr<Kernel> make_qs8_conv_kernel(const QS8MicroKernels* uk) { return std::make_unique<QS8ConvKernel>(uk); }

}  // namespace edgeai
