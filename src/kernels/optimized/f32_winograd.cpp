// Optimised fp32 3x3 stride-1 convolution on channels-last activations by Winograd's
// F(2x2, 3x3) (f32_microkernels.hpp, F32WinogradInput): 16 products per channel pair for
// each 2x2 block of output pixels instead of 36, so 2.25x fewer multiply-adds than the
// direct GEMM of f32_channels_last.cpp, the kernel it declines to where it would not pay.
//
// Weights: U = G g G^T for each (output, input) channel pair, computed once at load in double
// and packed as 16 GEMM B matrices [C][M] in the micro-kernel's panels.
// Per run, the 2x2 output tiles go in blocks (one per task) sized so that a block's
// transformed inputs V [16][tiles][C] and products M [16][tiles][M] stay in L2:
//   1. V = B^T d B for each tile (the input transform),
//   2. M[xi] = V[xi] * U[xi] for the 16 points xi (the GEMM micro-kernel, rows in place),
//   3. y = A^T M A + bias, clamped or activated, for each tile's pixels inside the output.
// Reordering the sums this way changes rounding, not the result beyond it: the transforms
// add and subtract (B, A) or halve (G) only, so the error stays within a few units in the
// last place of the summed magnitudes (the tests hold it to 1e-5 of them, as every fp32 kernel).
#include <algorithm>
#include <array>
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

constexpr int kPoints = 16;  // a 4x4 input tile
// A block's V and M together stay under this (half of L2, the rest for the weights' panels).
constexpr std::int64_t kBlockBytes = 1024 * 1024;
// Fewer channels than this and the transforms cost more than the products they save.
constexpr std::int64_t kMinChannels = 16;
// Transformed weights are 16/9 of the direct ones; past this size they stream from memory
// each run, and a small output map (ResNet's 7x7x512) has too few tiles to hide it.
constexpr std::int64_t kMaxWeightBytes = 8 * 1024 * 1024;

std::int64_t ceil_div(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }

// `floats` rounded up to an odd number of 64-byte lines.
std::int64_t round_to_odd_lines(std::int64_t floats) {
  const std::int64_t lines = ceil_div(floats, 16);
  return (lines | 1) * 16;
}

class F32ConvWinogradKernel final : public Kernel {
 public:
  explicit F32ConvWinogradKernel(const F32MicroKernels* uk) : uk_(uk) {}

  Status prepare(const Node& node, const KernelSignature& sig) override {
    if (!is_channels_last(node)) return unsupported("f32 winograd conv: the node is channels-first");
    if (!f32_conv_runs_channels_last(node, sig.inputs, sig.input_values) || node.attr_int("group", 1) != 1) {
      return unsupported("f32 winograd conv: needs float32, constant weights, group 1");
    }
    const Shape& x = sig.inputs[0].shape;
    const Shape& w = sig.inputs[1].shape;
    if (w[2] != 3 || w[3] != 3) return unsupported("f32 winograd conv: 3x3 kernels only");
    EDGEAI_ASSIGN_OR_RETURN(WindowGeometry g, resolve_window_geometry(node, {x[1], x[2]}, {3, 3}, true, false));
    for (int axis = 0; axis < 2; ++axis) {
      if (g.strides[axis] != 1 || g.dilations[axis] != 1)
        return unsupported("f32 winograd conv: stride 1, dilation 1 only");
    }
    batch_ = x[0];
    in_h_ = x[1];
    in_w_ = x[2];
    channels_ = x[3];
    out_channels_ = w[0];
    out_stride_ = out_channels_;
    out_h_ = g.output[0];
    out_w_ = g.output[1];
    pad_top_ = g.pads_begin[0];
    pad_left_ = g.pads_begin[1];
    if (channels_ < kMinChannels || out_channels_ < kMinChannels || out_h_ < 2 || out_w_ < 2) {
      return unsupported("f32 winograd conv: too few channels or pixels to pay");
    }
    const std::int64_t nr = uk_->nr;
    const std::int64_t panel_floats = static_cast<std::int64_t>(packed_b_floats(*uk_, channels_, out_channels_));
    if (kPoints * panel_floats * static_cast<std::int64_t>(sizeof(float)) > kMaxWeightBytes) {
      return unsupported("f32 winograd conv: transformed weights would outgrow the caches");
    }
    EDGEAI_ASSIGN_OR_RETURN(FusedActivation activation, fused_activation_of(node));
    epilogue_ = epilogue_for(activation);
    threads_ = sig.threads;
    macs_ = batch_ * out_h_ * out_w_ * out_channels_ * channels_ * 9;  // the convolution's, as the direct kernel counts

    bias_.assign(static_cast<std::size_t>(out_channels_), 0.0f);
    if (sig.inputs.size() > 2 && sig.inputs[2].dtype != DType::kUndefined) {
      const float* b = sig.input_values[2]->data<float>();
      std::copy(b, b + out_channels_, bias_.begin());
    }
    // U[xi][c][m] = (G g G^T)[xi] with G = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1].
    const float* weights = sig.input_values[1]->data<float>();
    static constexpr double G[4][3] = {{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}};
    std::vector<float> u(static_cast<std::size_t>(kPoints * channels_ * out_channels_));
    for (std::int64_t m = 0; m < out_channels_; ++m) {
      for (std::int64_t c = 0; c < channels_; ++c) {
        const float* k = weights + (m * channels_ + c) * 9;
        double gg[4][3];  // G g
        for (int i = 0; i < 4; ++i) {
          for (int j = 0; j < 3; ++j) gg[i][j] = G[i][0] * k[j] + G[i][1] * k[3 + j] + G[i][2] * k[6 + j];
        }
        for (int i = 0; i < 4; ++i) {
          for (int j = 0; j < 4; ++j) {
            const double value = gg[i][0] * G[j][0] + gg[i][1] * G[j][1] + gg[i][2] * G[j][2];
            u[static_cast<std::size_t>(((i * 4 + j) * channels_ + c) * out_channels_ + m)] = static_cast<float>(value);
          }
        }
      }
    }
    panel_floats_ = panel_floats;
    packed_.assign(static_cast<std::size_t>(kPoints * panel_floats), 0.0f);
    for (int xi = 0; xi < kPoints; ++xi) {
      pack_b_panels(*uk_, u.data() + xi * channels_ * out_channels_, out_channels_, 1, channels_, out_channels_,
                    packed_.data() + xi * panel_floats);
    }
    panels_ = ceil_div(out_channels_, nr);

    // Tiles per block: V and M within kBlockBytes, a whole number of row tiles, and at least
    // two blocks per thread where there are tiles enough.
    tiles_h_ = ceil_div(out_h_, 2);
    tiles_w_ = ceil_div(out_w_, 2);
    const std::int64_t tiles = batch_ * tiles_h_ * tiles_w_;
    const std::int64_t mr = uk_->mr;
    const std::int64_t per_tile_bytes =
        kPoints * (channels_ + out_channels_) * static_cast<std::int64_t>(sizeof(float));
    const int threads = threads_ != nullptr ? threads_->threads() : 1;
    // Transformed weights past L2 would stream once per block: when every tile's V and M fit
    // L2, all tiles are one block that the threads share phase by phase, the GEMMs split by
    // point so that each panel of U is read once (ResNet's 14x14x256 layers).
    const std::int64_t weight_bytes = kPoints * panel_floats * static_cast<std::int64_t>(sizeof(float));
    shared_block_ = weight_bytes > kBlockBytes && tiles * per_tile_bytes <= 2 * kBlockBytes;
    if (shared_block_) {
      block_tiles_ = tiles;
    } else {
      block_tiles_ = std::max<std::int64_t>(mr, kBlockBytes / per_tile_bytes / mr * mr);
      block_tiles_ =
          std::min(block_tiles_, std::max<std::int64_t>(mr, ceil_div(ceil_div(tiles, 2 * threads), mr) * mr));
    }
    // The 16 points' matrices start a cache line apart modulo 4 KiB: a transform reads or
    // writes one row of each, and at a stride of a multiple of 4 KiB all 16 would share one
    // L1 set (12 ways).
    v_stride_ = round_to_odd_lines(block_tiles_ * channels_);
    m_stride_ = round_to_odd_lines(block_tiles_ * out_channels_);
    scratch_floats_ = kPoints * (v_stride_ + m_stride_);
    scratch_.assign(static_cast<std::size_t>((shared_block_ ? 1 : threads) * scratch_floats_), 0.0f);
    zeros_.assign(static_cast<std::size_t>(channels_), 0.0f);
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
    const std::int64_t tiles = batch_ * tiles_h_ * tiles_w_;
    if (!shared_block_) {  // a block per task, each on its thread's scratch
      parallel_for(threads_, static_cast<std::size_t>(ceil_div(tiles, block_tiles_)),
                   [&](std::size_t task, int worker) {
                     const std::int64_t first = static_cast<std::int64_t>(task) * block_tiles_;
                     const std::int64_t count = std::min(block_tiles_, tiles - first);
                     float* v = scratch_.data() + worker * scratch_floats_;
                     float* m = v + kPoints * v_stride_;
                     transform_inputs(x, first, count, v);
                     for (int xi = 0; xi < kPoints; ++xi) multiply(xi, 0, panels_, count, v, m);
                     transform_outputs(m, first, count, y);
                   });
      return Status::ok();
    }
    float* v = scratch_.data();
    float* m = v + kPoints * v_stride_;
    const std::int64_t chunk =
        std::max<std::int64_t>(1, ceil_div(tiles, 4 * (threads_ != nullptr ? threads_->threads() : 1)));
    parallel_for(threads_, static_cast<std::size_t>(ceil_div(tiles, chunk)), [&](std::size_t task, int) {
      const std::int64_t first = static_cast<std::int64_t>(task) * chunk;
      transform_inputs(x, first, std::min(chunk, tiles - first), v + first * channels_);
    });
    parallel_for(threads_, kPoints,
                 [&](std::size_t xi, int) { multiply(static_cast<int>(xi), 0, panels_, tiles, v, m); });
    parallel_for(threads_, static_cast<std::size_t>(ceil_div(tiles, chunk)), [&](std::size_t task, int) {
      const std::int64_t first = static_cast<std::int64_t>(task) * chunk;
      transform_outputs(m + first * out_channels_, first, std::min(chunk, tiles - first), y);
    });
    return Status::ok();
  }

 private:
  // Tile `tile`'s batch index and the top-left output pixel of its 2x2 block.
  void tile_origin(std::int64_t tile, std::int64_t& n, std::int64_t& oy, std::int64_t& ox) const {
    n = tile / (tiles_h_ * tiles_w_);
    oy = tile / tiles_w_ % tiles_h_ * 2;
    ox = tile % tiles_w_ * 2;
  }

  // 1. V = B^T d B for tiles [first, first + count): tile i's rows at v + xi * v_stride_ + i * C.
  void transform_inputs(const float* x, std::int64_t first, std::int64_t count, float* v) const {
    std::array<const float*, kPoints> d;
    F32WinogradInput in;
    in.d = d.data();
    in.channels = static_cast<int>(channels_);
    in.v_stride = v_stride_;
    for (std::int64_t i = 0; i < count; ++i) {
      std::int64_t n, oy, ox;
      tile_origin(first + i, n, oy, ox);
      for (int r = 0; r < 4; ++r) {
        const std::int64_t iy = oy - pad_top_ + r;
        for (int c = 0; c < 4; ++c) {
          const std::int64_t ix = ox - pad_left_ + c;
          const bool inside = iy >= 0 && iy < in_h_ && ix >= 0 && ix < in_w_;
          d[static_cast<std::size_t>(r * 4 + c)] =
              inside ? x + ((n * in_h_ + iy) * in_w_ + ix) * channels_ : zeros_.data();
        }
      }
      in.v = v + i * channels_;
      uk_->winograd_input(in);
    }
  }

  // 2. M[xi] = V[xi] U[xi] for `count` rows, panels [first_panel, last_panel) of U[xi]: each
  // row tile meets the panels in turn (its V rows stay in L1).
  void multiply(int xi, std::int64_t first_panel, std::int64_t last_panel, std::int64_t count, const float* v,
                float* m) const {
    const std::int64_t mr = uk_->mr, nr = uk_->nr;
    const float* rows[16];
    F32RowsGemmTile t;
    t.taps = 1;
    t.kc = static_cast<int>(channels_);
    t.a = rows;
    t.ldc = out_channels_;
    // Weights past L2 (shared_block_): the calls share out the lines of the next point's U,
    // so that it streams in while this one computes (F32RowsGemmTile::stream).
    const char* next = reinterpret_cast<const char*>(packed_.data() + (xi + 1) * panel_floats_);
    const std::int64_t next_lines =
        shared_block_ && xi + 1 < kPoints ? ceil_div(panel_floats_ * static_cast<std::int64_t>(sizeof(float)), 64) : 0;
    const std::int64_t lines_per_call = ceil_div(next_lines, ceil_div(count, mr) * (last_panel - first_panel));
    std::int64_t streamed = 0;
    for (std::int64_t r = 0; r < count; r += mr) {
      t.m = static_cast<int>(std::min(mr, count - r));
      for (std::int64_t i = 0; i < mr; ++i) rows[i] = v + xi * v_stride_ + std::min(r + i, count - 1) * channels_;
      for (std::int64_t p = first_panel; p < last_panel; ++p) {
        t.stream = next + streamed * 64;
        t.stream_lines = static_cast<int>(std::clamp<std::int64_t>(next_lines - streamed, 0, lines_per_call));
        streamed += t.stream_lines;
        t.b = packed_.data() + xi * panel_floats_ + p * channels_ * nr;
        t.n = static_cast<int>(std::min(nr, out_channels_ - p * nr));
        t.c = m + xi * m_stride_ + r * out_channels_ + p * nr;
        uk_->gemm_rows(t);
      }
    }
  }

  // 3. y = A^T M A + bias, clamped or activated, for tiles [first, first + count) (tile i's
  // products at m + xi * m_stride_ + i * M).
  void transform_outputs(const float* m, std::int64_t first, std::int64_t count, float* y) const {
    std::array<float*, 4> out;
    F32WinogradOutput o;
    o.m_stride = m_stride_;
    o.channels = static_cast<int>(out_channels_);
    o.bias = bias_.data();
    o.y = out.data();
    o.clamp = epilogue_.clamp;
    o.lo = epilogue_.lo;
    o.hi = epilogue_.hi;
    for (std::int64_t i = 0; i < count; ++i) {
      std::int64_t n, oy, ox;
      tile_origin(first + i, n, oy, ox);
      for (int k = 0; k < 4; ++k) {
        const std::int64_t py = oy + k / 2, px = ox + k % 2;
        out[static_cast<std::size_t>(k)] =
            py < out_h_ && px < out_w_ ? y + ((n * out_h_ + py) * out_w_ + px) * out_stride_ : nullptr;
      }
      o.m = m + i * out_channels_;
      uk_->winograd_output(o);
      if (epilogue_.post.kind != ActivationKind::kNone) {
        for (float* pixel : out) {
          if (pixel != nullptr) apply_activation(*uk_, epilogue_.post, pixel, pixel, out_channels_);
        }
      }
    }
  }

  const F32MicroKernels* uk_;
  ThreadPool* threads_ = nullptr;
  F32Epilogue epilogue_;
  std::int64_t batch_ = 0, in_h_ = 0, in_w_ = 0, channels_ = 0, out_channels_ = 0, out_h_ = 0, out_w_ = 0;
  std::int64_t out_stride_ = 0;  // floats from one output pixel to the next (out_channels_ unless a slice)
  std::int64_t pad_top_ = 0, pad_left_ = 0, tiles_h_ = 0, tiles_w_ = 0, macs_ = 0;
  std::int64_t panel_floats_ = 0, panels_ = 0, block_tiles_ = 0, v_stride_ = 0, m_stride_ = 0, scratch_floats_ = 0;
  bool shared_block_ = false;  // one block of all tiles, its phases shared by the threads
  AlignedVector<float> packed_;  // 64-byte aligned: the tiles load its rows a vector at a time
  std::vector<float> bias_, zeros_;
  AlignedVector<float> scratch_;  // per thread (or one, shared_block_): a block's V and M
};

}  // namespace

std::unique_ptr<Kernel> make_f32_conv_winograd_kernel(const F32MicroKernels* uk) {
  return std::make_unique<F32ConvWinogradKernel>(uk);
}

}  // namespace edgeai
