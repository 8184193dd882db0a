// An input plane copied into a padded, stride-phase-split layout, so that the windowed
// kernels (conv taps, depthwise rows, max pooling) read contiguous runs without bounds
// checks: rows of height pad_top + H + pad_bottom; each row holds `stride_w` phases of
// `phase_w` floats, phase f holding padded columns f, f + stride_w, f + 2 stride_w, ...
// Window tap (ky, kx) of output (oy, ox) is then at row oy * stride_h + ky * dil_h, phase
// (kx * dil_w) % stride_w, position ox + (kx * dil_w) / stride_w.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/optimized/f32_microkernels.hpp"

namespace edgeai {

struct PaddedPlane {
  std::int64_t in_h = 0, in_w = 0;
  std::int64_t pad_t = 0, pad_l = 0;
  std::int64_t stride_h = 1, stride_w = 1, dil_h = 1, dil_w = 1;
  std::int64_t padded_h = 0, phase_w = 0, row_stride = 0;
  std::size_t plane_floats = 0;  // one padded plane, rounded up to 16 floats

  // `padded_h` / `padded_w`: the padded extent the windows reach (H + pads, or more with
  // ceil_mode pooling); `slack`: floats readable past every phase row (vector overreads).
  void set(std::int64_t h, std::int64_t w, std::int64_t top, std::int64_t left, std::int64_t padded_height,
           std::int64_t padded_width, std::int64_t sh, std::int64_t sw, std::int64_t dh, std::int64_t dw,
           std::int64_t slack);

  // Where tap (ky, kx) of output row oy, column 0, is: at oy * stride_h * row_stride +
  // tap_offset(ky, kx) (kernels compute the offsets once, at prepare: they hold divisions).
  std::ptrdiff_t tap_offset(std::int64_t ky, std::int64_t kx) const {
    const std::int64_t col = kx * dil_w;
    return ky * dil_h * row_stride + (col % stride_w) * phase_w + col / stride_w;
  }

  // Writes the input plane `src` (in_h x in_w) into its place in `plane`; the padding is
  // left as it is (fill it once: every plane writes the same positions).
  void copy(const F32MicroKernels& uk, const float* src, float* plane) const;
};

}  // namespace edgeai

#include "core/status.hpp"
#include "graph/graph.hpp"
#include "graph/ops/window_geometry.hpp"

namespace edgeai {

// Writes the byte plane `src` (in_h x in_w) into its place in `dst` (elements of type T),
// converting each value with `convert` (the int8 kernels: flip to unsigned, or x - x_zero_point
// as int16); the padding is left as it is. Per phase, a strided run of every input row
// (contiguous for stride 1, which the compiler vectorises); where each phase's run starts and
// how long it is does not depend on the row, so it is computed once. Strides up to 8.
template <typename T, typename Convert>
void copy_bytes_into_plane(const PaddedPlane& plane, const std::uint8_t* src, T* dst, Convert convert) {
  const std::int64_t s = plane.stride_w;
  struct Run {
    std::int64_t first_ix, dst_offset, count;
  };
  Run runs[8];
  int run_count = 0;
  for (std::int64_t phase = 0; phase < s && run_count < 8; ++phase) {
    const std::int64_t first_pc = plane.pad_l + ((phase - plane.pad_l) % s + s) % s;
    const std::int64_t first_ix = first_pc - plane.pad_l;
    if (first_ix >= plane.in_w) continue;
    runs[run_count++] = Run{first_ix, phase * plane.phase_w + first_pc / s, (plane.in_w - first_ix + s - 1) / s};
  }
  for (std::int64_t iy = 0; iy < plane.in_h; ++iy) {
    T* prow = dst + (iy + plane.pad_t) * plane.row_stride;
    const std::uint8_t* srow = src + iy * plane.in_w;
    for (int k = 0; k < run_count; ++k) {
      T* __restrict out = prow + runs[k].dst_offset;
      const std::uint8_t* __restrict in = srow + runs[k].first_ix;
      const std::int64_t count = runs[k].count;
      if (s == 1) {
        for (std::int64_t j = 0; j < count; ++j) out[j] = convert(in[j]);
      } else if (s == 2) {
        for (std::int64_t j = 0; j < count; ++j) out[j] = convert(in[2 * j]);
      } else {
        for (std::int64_t j = 0; j < count; ++j) out[j] = convert(in[j * s]);
      }
    }
  }
}

// The window geometry of a 1-D or 2-D convolution as 2-D: a 1-D one ([N, C, L], kernel [k])
// becomes height 1, kernel 1 x k, stride/dilation 1 and no padding on the new axis, so the
// 2-D kernels run it unchanged. kUnsupported for other ranks.
inline Result<WindowGeometry> conv_geometry_2d(const Node& node, const Shape& x, const Shape& w) {
  if (x.size() == 4 && w.size() == 4) return resolve_window_geometry(node, {x[2], x[3]}, {w[2], w[3]}, true, false);
  if (x.size() != 3 || w.size() != 3) return unsupported("1 or 2 spatial axes only");
  EDGEAI_ASSIGN_OR_RETURN(WindowGeometry g, resolve_window_geometry(node, {x[2]}, {w[2]}, true, false));
  WindowGeometry out;
  out.input = {1, g.input[0]};
  out.kernel = {1, g.kernel[0]};
  out.strides = {1, g.strides[0]};
  out.dilations = {1, g.dilations[0]};
  out.pads_begin = {0, g.pads_begin[0]};
  out.pads_end = {0, g.pads_end[0]};
  out.output = {1, g.output[0]};
  return out;
}

}  // namespace edgeai
