// Optimised fp32 kernels of channels-last nodes (graph/layout.hpp): Conv, MaxPool and
// GlobalAveragePool on (N, H, W, C) activations. One pixel's channels are contiguous, so
//  - a convolution is a GEMM, C[pixels][M] = A[pixels][taps * C] * B[taps * C][M], whose A rows
//    are read in place through row pointers (XNNPACK's indirection buffer: per output pixel and
//    tap, the input pixel's channels or a row of zeros in the padding): no im2col, no packing of
//    activations, and a 1x1 convolution needs no pointers at all. B, the weights, is packed once
//    into panels of the micro-kernel's width; output channels are the vector lanes, so a layer
//    of 7x7 pixels keeps its tiles full.
//  - a depthwise convolution and a max pooling are a vector FMA (or max) per tap over a pixel's
//    channels, through the same pointers.
// The indirection is built when the input's address changes (once per plan for intermediate
// values, which live in the arena; per run for a graph input).
#include <algorithm>
#include <cstring>
#include <limits>
#include <memory>
#include <vector>

#include "core/aligned_buffer.hpp"
#include "graph/fused_activation.hpp"
#include "graph/layout.hpp"
#include "graph/ops/window_geometry.hpp"
#include "kernels/optimized/f32_gemm_driver.hpp"
#include "kernels/optimized/optimized_kernels.hpp"

namespace edgeai {
namespace {

std::int64_t ceil_div(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }

// The input rows of a chunk of row tiles stay in the L2 cache while the weight panels pass.
constexpr std::int64_t kL2InputBlockBytes = 512 * 1024;
// A block of one weight panel (every tap, a block of input channels) stays in the L2 cache
// while the row tiles of a chunk meet it (3x3x512 weights are 590 KiB per panel).
constexpr std::int64_t kL2WeightBlockBytes = 256 * 1024;
// Weights this small stay in L2 whole: each row tile then meets every panel in turn, so its
// input rows (and row pointers) are read once, not once per panel.
constexpr std::int64_t kL2AllWeightsBytes = 1024 * 1024;
// Below this many input channels, a tap is too short a run of K for the micro-kernel's
// per-tap setup: kernel rows serve as the taps where they can.
constexpr std::int64_t kRowTapsBelowChannels = 16;

// The sliding windows of a channels-last node over an (N, H, W, C) input.
struct ChannelsLastWindows {
  std::int64_t batch = 0, in_h = 0, in_w = 0, channels = 0, out_h = 0, out_w = 0;
  std::int64_t k_h = 1, k_w = 1, stride_h = 1, stride_w = 1, dil_h = 1, dil_w = 1, pad_top = 0, pad_left = 0;

  std::int64_t taps() const { return k_h * k_w; }
  std::int64_t pixels() const { return batch * out_h * out_w; }
  bool is_pointwise() const {
    return taps() == 1 && stride_h == 1 && stride_w == 1 && pad_top == 0 && pad_left == 0 && out_h == in_h &&
           out_w == in_w;
  }

  Status set(const Node& node, const Shape& x, const std::vector<std::int64_t>& kernel, bool dilations, bool ceil_mode) {
    if (x.size() != 4 || kernel.size() != 2) return unsupported("2 spatial axes only");
    EDGEAI_ASSIGN_OR_RETURN(WindowGeometry g, resolve_window_geometry(node, {x[1], x[2]}, kernel, dilations, ceil_mode));
    batch = x[0];
    in_h = x[1];
    in_w = x[2];
    channels = x[3];
    out_h = g.output[0];
    out_w = g.output[1];
    k_h = kernel[0];
    k_w = kernel[1];
    stride_h = g.strides[0];
    stride_w = g.strides[1];
    dil_h = g.dilations[0];
    dil_w = g.dilations[1];
    pad_top = g.pads_begin[0];
    pad_left = g.pads_begin[1];
    return Status::ok();
  }

  // Kernel rows as taps: along x at dilation 1, the k_w taps of one kernel row read k_w * C
  // contiguous floats of an input row. For each tile of `mr` pixels, usable[tile] says whether
  // every window of the tile lies inside the input along x; then entry (tile * k_h + ky) * mr + i
  // is the start of kernel row ky of pixel i's window, or `pad_row` (k_w * C zeros) above or
  // below the input.
  void build_rows(const float* x, const float* pad_row, std::int64_t mr, const float** out,
                  std::uint8_t* usable) const {
    const std::int64_t tiles = ceil_div(pixels(), mr);
    for (std::int64_t tile = 0; tile < tiles; ++tile) {
      bool inside = true;
      for (std::int64_t i = 0; i < mr; ++i) {
        const std::int64_t pixel = std::min(tile * mr + i, pixels() - 1);
        const std::int64_t n = pixel / (out_h * out_w);
        const std::int64_t oy = pixel / out_w % out_h;
        const std::int64_t ix = pixel % out_w * stride_w - pad_left;
        inside = inside && ix >= 0 && ix + k_w <= in_w;
        for (std::int64_t ky = 0; ky < k_h; ++ky) {
          const std::int64_t iy = oy * stride_h - pad_top + ky * dil_h;
          const bool row_inside = iy >= 0 && iy < in_h && ix >= 0 && ix + k_w <= in_w;
          out[(tile * k_h + ky) * mr + i] = row_inside ? x + ((n * in_h + iy) * in_w + ix) * channels : pad_row;
        }
      }
      usable[tile] = inside ? 1 : 0;
    }
  }

  // Pointers in tiles of `mr` pixels: entry ((pixel / mr) * taps + t) * mr + pixel % mr is
  // the input under tap t of that output pixel, or `pad`; slots past the last pixel repeat it.
  std::size_t indirection_size(std::int64_t mr) const {
    return static_cast<std::size_t>(ceil_div(pixels(), mr) * mr * taps());
  }
  void build(const float* x, const float* pad, std::int64_t mr, const float** out) const {
    const std::int64_t total = ceil_div(pixels(), mr) * mr;
    for (std::int64_t slot = 0; slot < total; ++slot) {
      const std::int64_t pixel = std::min(slot, pixels() - 1);
      const std::int64_t n = pixel / (out_h * out_w);
      const std::int64_t oy = pixel / out_w % out_h;
      const std::int64_t ox = pixel % out_w;
      for (std::int64_t ky = 0; ky < k_h; ++ky) {
        const std::int64_t iy = oy * stride_h - pad_top + ky * dil_h;
        for (std::int64_t kx = 0; kx < k_w; ++kx) {
          const std::int64_t ix = ox * stride_w - pad_left + kx * dil_w;
          const bool inside = iy >= 0 && iy < in_h && ix >= 0 && ix < in_w;
          const std::int64_t t = ky * k_w + kx;
          out[((slot / mr) * taps() + t) * mr + slot % mr] = inside ? x + ((n * in_h + iy) * in_w + ix) * channels : pad;
        }
      }
    }
  }
};

constexpr std::int64_t kMaxTileRows = 16;  // the largest mr of the micro-kernel tables

// Splits `count` items into chunks for the pool: several per thread, so uneven finishes even out.
std::int64_t chunk_for(std::int64_t count, const ThreadPool* threads) {
  const int n = threads != nullptr ? threads->threads() : 1;
  return n <= 1 ? count : std::max<std::int64_t>(1, ceil_div(count, 4 * n));
}

// A kernel's indirection buffer: the windows' pointers into its current input, padding taps
// pointing at a row of `pad_value`. Rebuilt when the input's address changes (once per plan
// for values in the arena, per run for a graph input); sized at prepare, so run allocates nothing.
class WindowPointers {
 public:
  // `by_rows`: also the kernel-row pointers of ChannelsLastWindows::build_rows (zero padding).
  void prepare(const ChannelsLastWindows& windows, std::int64_t mr, float pad_value, bool by_rows = false) {
    windows_ = windows;
    mr_ = mr;
    pad_.assign(static_cast<std::size_t>(by_rows ? windows.k_w * windows.channels : windows.channels), pad_value);
    pointers_.assign(windows.indirection_size(mr), nullptr);
    const std::int64_t tiles = ceil_div(windows.pixels(), mr);
    row_pointers_.assign(by_rows ? static_cast<std::size_t>(tiles * windows.k_h * mr) : 0, nullptr);
    rows_usable_.assign(by_rows ? static_cast<std::size_t>(tiles) : 0, 0);
    built_for_ = nullptr;
  }
  const float* const* for_input(const float* x) {
    if (built_for_ != x) {
      windows_.build(x, pad_.data(), mr_, pointers_.data());
      if (!row_pointers_.empty()) windows_.build_rows(x, pad_.data(), mr_, row_pointers_.data(), rows_usable_.data());
      built_for_ = x;
    }
    return pointers_.data();
  }
  bool prepared() const { return !pointers_.empty(); }
  // Kernel-row pointers of `tile` (after for_input), or null where its windows leave the input along x.
  const float* const* rows_of(std::int64_t tile) const {
    return !rows_usable_.empty() && rows_usable_[static_cast<std::size_t>(tile)] != 0
               ? row_pointers_.data() + tile * windows_.k_h * mr_
               : nullptr;
  }

 private:
  ChannelsLastWindows windows_;
  std::int64_t mr_ = 1;
  std::vector<float> pad_;
  std::vector<const float*> pointers_;
  std::vector<const float*> row_pointers_;
  std::vector<std::uint8_t> rows_usable_;
  const float* built_for_ = nullptr;
};

// Runs `micro_kernel` over chunks of output pixels on the pool: `call` with pixels, in and out
// set for each chunk (pointers in tiles of one pixel).
template <class Fn>
void for_pixel_chunks(ThreadPool* threads, const ChannelsLastWindows& windows, const float* const* pointers,
                      float* y, std::int64_t out_channels, const F32ChannelsLastPixels& call, Fn micro_kernel) {
  const std::int64_t pixels = windows.pixels();
  const std::int64_t chunk = chunk_for(pixels, threads);
  parallel_for(threads, static_cast<std::size_t>(ceil_div(pixels, chunk)), [&](std::size_t task, int) {
    const std::int64_t begin = static_cast<std::int64_t>(task) * chunk;
    F32ChannelsLastPixels d = call;
    d.pixels = static_cast<int>(std::min(chunk, pixels - begin));
    d.taps = static_cast<int>(windows.taps());
    d.in = pointers + begin * windows.taps();
    d.out = y + begin * out_channels;
    d.out_stride = out_channels;
    micro_kernel(d);
  });
}

class F32ConvChannelsLastKernel final : public Kernel {
 public:
  explicit F32ConvChannelsLastKernel(const F32MicroKernels* uk) : uk_(uk) {}

  Status prepare(const Node& node, const KernelSignature& sig) override {
    if (!is_channels_last(node)) return unsupported("f32 channels-last conv: the node is channels-first");
    if (!f32_conv_runs_channels_last(node, sig.inputs, sig.input_values)) {
      return unsupported("f32 channels-last conv: needs float32, constant weights, group 1 or depthwise");
    }
    threads_ = sig.threads;
    const Shape& x = sig.inputs[0].shape;
    const Shape& w = sig.inputs[1].shape;
    EDGEAI_RETURN_IF_ERROR(windows_.set(node, x, {w[2], w[3]}, true, false));
    EDGEAI_ASSIGN_OR_RETURN(FusedActivation activation, fused_activation_of(node));
    epilogue_ = epilogue_for(activation);
    out_channels_ = w[0];
    out_stride_ = out_channels_;
    depthwise_ = node.attr_int("group", 1) != 1;
    const float* weights = sig.input_values[1]->data<float>();
    bias_.assign(static_cast<std::size_t>(out_channels_), 0.0f);
    if (sig.inputs.size() > 2 && sig.inputs[2].dtype != DType::kUndefined) {
      const float* b = sig.input_values[2]->data<float>();
      std::copy(b, b + out_channels_, bias_.begin());
    }
    const std::int64_t taps = windows_.taps();
    macs_ = windows_.pixels() * out_channels_ * taps * (depthwise_ ? 1 : windows_.channels);
    if (depthwise_) {
      // weights [C, 1, kH, kW] -> [tap][C].
      packed_.assign(static_cast<std::size_t>(taps * out_channels_), 0.0f);
      for (std::int64_t c = 0; c < out_channels_; ++c) {
        for (std::int64_t t = 0; t < taps; ++t) packed_[static_cast<std::size_t>(t * out_channels_ + c)] = weights[c * taps + t];
      }
      pointers_.prepare(windows_, 1, 0.0f);
      return Status::ok();
    }
    // weights [M, C, kH, kW] -> panels of nr output channels (a last panel of at most one
    // vector is a narrow one), each cut into blocks of input channels; a block holds, per tap,
    // its channels' rows of `stride` floats, and the blocks of a panel follow each other, so
    // the weights stream from memory in the order the tiles read them.
    const std::int64_t nr = uk_->nr, width = uk_->vector_width, c_in = windows_.channels;
    k_ = taps * c_in;
    channel_block_ = std::clamp<std::int64_t>(kL2WeightBlockBytes / (taps * nr * static_cast<std::int64_t>(sizeof(float))),
                                              1, c_in);
    for (std::int64_t col = 0; col < out_channels_; col += nr) {
      const std::int64_t n = std::min(nr, out_channels_ - col);
      const std::int64_t stride = n <= width && n < nr ? width : nr;
      panels_.push_back(Panel{col, n, stride, static_cast<std::int64_t>(packed_.size())});
      packed_.resize(packed_.size() + static_cast<std::size_t>(k_ * stride), 0.0f);
      float* dst = packed_.data() + panels_.back().offset;
      for (std::int64_t c0 = 0; c0 < c_in; c0 += channel_block_) {
        const std::int64_t kc = std::min(channel_block_, c_in - c0);
        for (std::int64_t t = 0; t < taps; ++t) {
          for (std::int64_t ci = c0; ci < c0 + kc; ++ci, dst += stride) {
            for (std::int64_t j = 0; j < n; ++j) dst[j] = weights[((col + j) * c_in + ci) * taps + t];
          }
        }
      }
    }
    tile_outer_ = static_cast<std::int64_t>(packed_.size() * sizeof(float)) <= kL2AllWeightsBytes;
    // Few channels per tap (a stem on RGB): kernel rows of k_w * C contiguous floats as the
    // taps wherever a tile's windows lie inside the input along x (one block of channels; the
    // weights' rows (ky, kx, c) of one ky are then consecutive).
    by_rows_ = !windows_.is_pointwise() && tile_outer_ && c_in < kRowTapsBelowChannels && windows_.k_w > 1 &&
               windows_.dil_w == 1 && channel_block_ == c_in;
    if (!windows_.is_pointwise()) pointers_.prepare(windows_, uk_->mr, 0.0f, by_rows_);
    return Status::ok();
  }

  std::int64_t macs() const override { return macs_; }

  bool set_output_row_stride(std::int64_t stride) override {
    if (stride < out_channels_) return false;
    out_stride_ = stride;
    return true;
  }

  Status run(std::span<const TensorView> inputs, std::span<TensorView> outputs, void*) override {
    const float* x = inputs[0].data_as<const float>();
    float* y = outputs[0].data_as<float>();
    const float* const* pointers = pointers_.prepared() ? pointers_.for_input(x) : nullptr;
    if (depthwise_) {
      run_depthwise(pointers, y);
    } else {
      run_gemm(x, pointers, y);
    }
    return Status::ok();
  }

 private:
  struct Panel {
    std::int64_t col, n, stride, offset;
  };

  void run_depthwise(const float* const* pointers, float* y) {
    F32ChannelsLastPixels call;
    call.channels = static_cast<int>(out_channels_);
    call.weights = packed_.data();
    call.bias = bias_.data();
    call.clamp = epilogue_.clamp;
    call.lo = epilogue_.lo;
    call.hi = epilogue_.hi;
    for_pixel_chunks(threads_, windows_, pointers, y, out_stride_, call, [&](const F32ChannelsLastPixels& d) {
      uk_->depthwise_pixels(d);
      if (epilogue_.post.kind == ActivationKind::kNone) return;
      if (out_stride_ == out_channels_) {
        apply_activation(*uk_, epilogue_.post, d.out, d.out, d.pixels * out_channels_);
        return;
      }
      for (int i = 0; i < d.pixels; ++i) {
        float* pixel = d.out + i * out_stride_;
        apply_activation(*uk_, epilogue_.post, pixel, pixel, out_channels_);
      }
    });
  }

  // GotoBLAS order with the roles of the operands as channels-last gives them: a chunk of row
  // tiles (its input pixels, A, kept in L2) meets one block of a weight panel (B) after
  // another; with weights that fit L2 whole, each tile meets every panel instead.
  void run_gemm(const float* x, const float* const* pointers, float* y) {
    const std::int64_t mr = uk_->mr;
    const std::int64_t tiles = ceil_div(windows_.pixels(), mr);
    const std::int64_t tile_bytes = mr * k_ * static_cast<std::int64_t>(sizeof(float));
    const std::int64_t panels = static_cast<std::int64_t>(panels_.size());
    const int threads = threads_ != nullptr ? threads_->threads() : 1;
    const bool pointwise = pointers == nullptr;
    // Weights that outgrow L2 stream from memory: split them (panels) between the threads
    // first, so that each is read once, not once per thread; small weights split the tiles.
    const bool split_weights = !tile_outer_ && threads > 1 && panels > 1;
    // Each chunk of tiles reads the weights once more. A chunk's input is its tiles' rows, but
    // windows of neighbouring tiles share input pixels: an input map that fits the L2 block
    // serves every tile in one chunk (a 7x7x512 map, whose 9.4 MB of 3x3 weights would
    // otherwise stream three times).
    const std::int64_t input_bytes =
        windows_.in_h * windows_.in_w * windows_.channels * static_cast<std::int64_t>(sizeof(float));
    const std::int64_t tiles_in_l2 =
        !pointwise && input_bytes <= kL2InputBlockBytes ? tiles : std::max<std::int64_t>(1, kL2InputBlockBytes / tile_bytes);
    const std::int64_t chunk = std::min(split_weights ? tiles : chunk_for(tiles, threads_), tiles_in_l2);
    const std::int64_t chunks = ceil_div(tiles, chunk);
    // Too few chunks for the threads (a 7x7 layer): split the panels too.
    const std::int64_t panel_groups = std::min(panels, std::max<std::int64_t>(1, ceil_div(2 * threads, chunks)));
    const std::int64_t panels_per_group = ceil_div(panels, panel_groups);
    const std::int64_t taps = windows_.taps();
    parallel_for(threads_, static_cast<std::size_t>(chunks * panel_groups), [&](std::size_t task, int) {
      const std::int64_t first_tile = static_cast<std::int64_t>(task) / panel_groups * chunk;
      const std::int64_t last_tile = std::min(tiles, first_tile + chunk);
      const std::int64_t first_panel = static_cast<std::int64_t>(task) % panel_groups * panels_per_group;
      const std::int64_t last_panel = std::min(panels, first_panel + panels_per_group);
      const float* rows[kMaxTileRows];
      F32RowsGemmTile t;
      t.ldc = out_stride_;
      t.lo = epilogue_.lo;
      t.hi = epilogue_.hi;
      // The tile's pixels: t.m and its rows (returns the kernel-row pointers when it uses them).
      auto set_tile = [&](std::int64_t tile) -> const float* const* {
        const std::int64_t row = tile * mr;
        t.m = static_cast<int>(std::min(mr, windows_.pixels() - row));
        if (pointwise) {
          for (std::int64_t i = 0; i < mr; ++i) rows[i] = x + std::min(row + i, windows_.pixels() - 1) * windows_.channels;
          t.a = rows;
          return nullptr;
        }
        const float* const* kernel_rows = by_rows_ ? pointers_.rows_of(tile) : nullptr;
        t.a = kernel_rows != nullptr ? kernel_rows : pointers + tile * taps * mr;
        return kernel_rows;
      };
      // The block of input channels from c0 of panel p; returns whether it is the last.
      auto set_block = [&](const Panel& p, std::int64_t c0, bool kernel_rows) {
        const bool last = c0 + channel_block_ >= windows_.channels;
        t.taps = static_cast<int>(taps);
        t.kc = static_cast<int>(std::min(channel_block_, windows_.channels - c0));
        t.a_offset = c0;
        t.b = packed_.data() + p.offset + taps * c0 * p.stride;
        if (kernel_rows) {  // one block: kernel row ky's weights follow each other
          t.taps = static_cast<int>(windows_.k_h);
          t.kc = static_cast<int>(windows_.k_w * windows_.channels);
        }
        t.b_tap_stride = t.kc * p.stride;
        t.accumulate = c0 > 0;
        t.clamp = last && epilogue_.clamp;
        return last;
      };
      auto compute = [&](const Panel& p, std::int64_t tile, bool last) {
        t.n = static_cast<int>(p.n);
        t.bias = bias_.data() + p.col;
        t.c = y + tile * mr * out_stride_ + p.col;
        if (p.stride == uk_->nr) {
          uk_->gemm_rows(t);
        } else {
          uk_->gemm_rows_narrow(t);
        }
        if (last && epilogue_.post.kind != ActivationKind::kNone) {
          for (int i = 0; i < t.m; ++i) apply_activation(*uk_, epilogue_.post, t.c + i * t.ldc, t.c + i * t.ldc, t.n);
        }
      };
      if (tile_outer_) {
        for (std::int64_t tile = first_tile; tile < last_tile; ++tile) {
          const bool kernel_rows = set_tile(tile) != nullptr;
          for (std::int64_t q = first_panel; q < last_panel; ++q) {
            const Panel& p = panels_[static_cast<std::size_t>(q)];
            for (std::int64_t c0 = 0; c0 < windows_.channels; c0 += channel_block_) {
              compute(p, tile, set_block(p, c0, kernel_rows));
            }
          }
        }
        return;
      }
      // This task's weights end where its last panel does; the tiles of each block share out
      // the lines of the block after it (see F32RowsGemmTile::stream).
      const char* weights_end = reinterpret_cast<const char*>(
          packed_.data() + (last_panel < panels ? panels_[static_cast<std::size_t>(last_panel)].offset
                                                : static_cast<std::int64_t>(packed_.size())));
      const std::int64_t task_tiles = last_tile - first_tile;
      for (std::int64_t q = first_panel; q < last_panel; ++q) {
        const Panel& p = panels_[static_cast<std::size_t>(q)];
        for (std::int64_t c0 = 0; c0 < windows_.channels; c0 += channel_block_) {
          const bool last = set_block(p, c0, false);  // kernel rows only in tile order (few-channel stems)
          const char* block = reinterpret_cast<const char*>(t.b);
          const char* next = reinterpret_cast<const char*>(t.b + t.taps * t.b_tap_stride);
          const std::int64_t next_lines = ceil_div(std::min(next - block, weights_end - next), 64);
          const std::int64_t lines_per_tile = ceil_div(next_lines, task_tiles);
          for (std::int64_t tile = first_tile; tile < last_tile; ++tile) {
            set_tile(tile);
            const std::int64_t first_line = (tile - first_tile) * lines_per_tile;
            t.stream = next + first_line * 64;
            t.stream_lines = static_cast<int>(std::clamp<std::int64_t>(next_lines - first_line, 0, lines_per_tile));
            compute(p, tile, last);
          }
        }
      }
    });
  }

  const F32MicroKernels* uk_;
  ThreadPool* threads_ = nullptr;
  ChannelsLastWindows windows_;
  F32Epilogue epilogue_;
  bool depthwise_ = false;
  bool tile_outer_ = false;
  bool by_rows_ = false;
  std::int64_t out_channels_ = 0, k_ = 0, macs_ = 0, channel_block_ = 1;
  std::int64_t out_stride_ = 0;  // floats from one output pixel to the next (out_channels_ unless a slice)
  AlignedVector<float> packed_;  // 64-byte aligned: the tiles load its rows a vector at a time
  std::vector<float> bias_;
  std::vector<Panel> panels_;
  WindowPointers pointers_;  // not prepared for a 1x1 stride-1 convolution: its rows are its input
};

class F32MaxPoolChannelsLastKernel final : public Kernel {
 public:
  explicit F32MaxPoolChannelsLastKernel(const F32MicroKernels* uk) : uk_(uk) {}

  Status prepare(const Node& node, const KernelSignature& sig) override {
    if (!is_channels_last(node)) return unsupported("f32 channels-last maxpool: the node is channels-first");
    if (!f32_maxpool_runs_channels_last(node, sig.inputs, sig.input_values)) {
      return unsupported("f32 channels-last maxpool: float32, 2-D, no Indices");
    }
    threads_ = sig.threads;
    EDGEAI_RETURN_IF_ERROR(windows_.set(node, sig.inputs[0].shape, node.attr_ints("kernel_shape"), true,
                                        node.attr_int("ceil_mode", 0) != 0));
    pointers_.prepare(windows_, 1, std::numeric_limits<float>::lowest());
    return Status::ok();
  }

  Status run(std::span<const TensorView> inputs, std::span<TensorView> outputs, void*) override {
    F32ChannelsLastPixels call;
    call.channels = static_cast<int>(windows_.channels);
    for_pixel_chunks(threads_, windows_, pointers_.for_input(inputs[0].data_as<const float>()),
                     outputs[0].data_as<float>(), windows_.channels, call,
                     [&](const F32ChannelsLastPixels& d) { uk_->max_pixels(d); });
    return Status::ok();
  }

 private:
  const F32MicroKernels* uk_;
  ThreadPool* threads_ = nullptr;
  ChannelsLastWindows windows_;
  WindowPointers pointers_;
};

// Sums each channel over the pixels in pixel order, as the reference does per plane, so the
// result is bitwise the reference's.
class F32GlobalAveragePoolChannelsLastKernel final : public Kernel {
 public:
  explicit F32GlobalAveragePoolChannelsLastKernel(const F32MicroKernels* uk) : uk_(uk) {}

  Status prepare(const Node& node, const KernelSignature& sig) override {
    if (!is_channels_last(node)) return unsupported("f32 channels-last global average pool: the node is channels-first");
    if (!f32_global_average_pool_runs_channels_last(node, sig.inputs, sig.input_values)) {
      return unsupported("f32 channels-last global average pool: float32, rank 4");
    }
    const Shape& x = sig.inputs[0].shape;
    batch_ = x[0];
    pixels_ = x[1] * x[2];
    channels_ = x[3];
    threads_ = sig.threads;
    // Tasks over channel ranges (whole vectors) for the threads; one range with one thread.
    const int threads = threads_ != nullptr ? threads_->threads() : 1;
    chunk_ = threads <= 1 ? channels_ : std::max<std::int64_t>(kMinChannelsPerTask, (channels_ / (2 * threads) + 15) / 16 * 16);
    return Status::ok();
  }

  Status run(std::span<const TensorView> inputs, std::span<TensorView> outputs, void*) override {
    const float* x = inputs[0].data_as<const float>();
    float* y = outputs[0].data_as<float>();
    const float count = static_cast<float>(pixels_);
    const std::int64_t chunks = ceil_div(channels_, chunk_);
    parallel_for(threads_, static_cast<std::size_t>(batch_ * chunks), [&](std::size_t task, int) {
      const std::int64_t n = static_cast<std::int64_t>(task) / chunks;
      const std::int64_t c0 = static_cast<std::int64_t>(task) % chunks * chunk_;
      float* out = y + n * channels_ + c0;
      const std::int64_t width = std::min(chunk_, channels_ - c0);
      uk_->column_sums(x + n * pixels_ * channels_ + c0, pixels_, channels_, static_cast<int>(width), out);
      F32BinaryCall divide;
      divide.op = F32BinaryOp::kDiv;
      divide.a = out;
      divide.b = &count;
      divide.b_step = 0;
      divide.y = out;
      divide.n = width;
      uk_->binary(divide);
    });
    return Status::ok();
  }

 private:
  static constexpr std::int64_t kMinChannelsPerTask = 64;
  const F32MicroKernels* uk_;
  ThreadPool* threads_ = nullptr;
  std::int64_t batch_ = 0, pixels_ = 0, channels_ = 0, chunk_ = 1;
};

bool all_float32(const std::vector<ValueInfo>& inputs) {
  for (const ValueInfo& v : inputs) {
    if (v.dtype != DType::kUndefined && v.dtype != DType::kFloat32) return false;
  }
  return !inputs.empty() && inputs[0].dtype == DType::kFloat32;
}

}  // namespace

bool f32_conv_runs_channels_last(const Node& node, const std::vector<ValueInfo>& inputs,
                                 const std::vector<const Tensor*>& values) {
  if (!all_float32(inputs) || inputs.size() < 2 || values.size() < 2 || values[1] == nullptr) return false;
  if (inputs.size() > 2 && inputs[2].dtype != DType::kUndefined && (values.size() < 3 || values[2] == nullptr)) {
    return false;
  }
  const Shape& x = inputs[0].shape;
  const Shape& w = inputs[1].shape;
  if (x.size() != 4 || w.size() != 4 || !is_static(x) || !is_static(w)) return false;
  const std::int64_t channels = is_channels_last(node) ? x[3] : x[1];
  const std::int64_t group = node.attr_int("group", 1);
  const bool depthwise = group == channels && w[0] == channels && w[1] == 1;
  return group == 1 || depthwise;
}

bool f32_maxpool_runs_channels_last(const Node& node, const std::vector<ValueInfo>& inputs,
                                    const std::vector<const Tensor*>&) {
  const bool indices = node.outputs.size() > 1 && !node.outputs[1].empty();
  return !indices && !inputs.empty() && inputs[0].dtype == DType::kFloat32 && inputs[0].shape.size() == 4 &&
         is_static(inputs[0].shape) && node.attr_ints("kernel_shape").size() == 2;
}

bool f32_global_average_pool_runs_channels_last(const Node&, const std::vector<ValueInfo>& inputs,
                                                const std::vector<const Tensor*>&) {
  return !inputs.empty() && inputs[0].dtype == DType::kFloat32 && inputs[0].shape.size() == 4 &&
         is_static(inputs[0].shape);
}

std::unique_ptr<Kernel> make_f32_conv_channels_last_kernel(const F32MicroKernels* uk) {
  return std::make_unique<F32ConvChannelsLastKernel>(uk);
}
std::unique_ptr<Kernel> make_f32_maxpool_channels_last_kernel(const F32MicroKernels* uk) {
  return std::make_unique<F32MaxPoolChannelsLastKernel>(uk);
}
std::unique_ptr<Kernel> make_f32_global_average_pool_channels_last_kernel(const F32MicroKernels* uk) {
  return std::make_unique<F32GlobalAveragePoolChannelsLastKernel>(uk);
}

}  // namespace edgeai
