// The sliding-window geometry of graph/ops/window_geometry.hpp in the 3-D form the reference
// pooling and convolution kernels loop over: 1 and 2 spatial axes run as 3-D with leading
// axes of size 1. Shared by pool.cpp, quantized_pool.cpp and quantized_conv.cpp. Depends on
// core and graph only.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <vector>

#include "core/status.hpp"
#include "graph/graph.hpp"
#include "graph/ops/window_geometry.hpp"

namespace edgeai {

// Lower spatial ranks are run as 3-D with leading axes of size 1 (kernel 1, stride 1, no pad).
constexpr int kMaxSpatial = 3;

// The window geometry of one node, in 3-D form, plus for each kernel column kx the range of
// output columns whose input column ix = ox * stride - pad + kx * dilation is inside [0, W).
struct Window3d {
  std::array<std::int64_t, kMaxSpatial> in{}, out{}, k{}, s{}, d{}, pad{}, pad_end{};
  std::vector<std::int64_t> ox_begin, ox_end;

  std::int64_t in_plane() const { return in[0] * in[1] * in[2]; }
  std::int64_t out_plane() const { return out[0] * out[1] * out[2]; }
  std::int64_t kernel_size() const { return k[0] * k[1] * k[2]; }
  // Input index along `axis` for output index `o` and kernel index `kk`.
  std::int64_t input_index(int axis, std::int64_t o, std::int64_t kk) const {
    return o * s[axis] - pad[axis] + kk * d[axis];
  }
};

// `x` is (N, C, spatial...); `kernel` has one entry per spatial axis.
inline Result<Window3d> make_window_3d(const Node& node, const Shape& x, const std::vector<std::int64_t>& kernel,
                                       bool has_dilations, bool ceil_mode) {
  const int spatial = static_cast<int>(x.size()) - 2;
  if (spatial < 1 || spatial > kMaxSpatial) {
    return unsupported(node.describe(), ": input ", shape_to_string(x), " has ", spatial,
                       " spatial axes; 1 to 3 are supported");
  }
  const std::vector<std::int64_t> input(x.begin() + 2, x.end());
  EDGEAI_ASSIGN_OR_RETURN(WindowGeometry g, resolve_window_geometry(node, input, kernel, has_dilations, ceil_mode));
  Window3d p;
  const int lead = kMaxSpatial - spatial;
  for (int i = 0; i < kMaxSpatial; ++i) {
    const bool real = i >= lead;
    const std::size_t j = real ? static_cast<std::size_t>(i - lead) : 0;
    p.in[i] = real ? g.input[j] : 1;
    p.out[i] = real ? g.output[j] : 1;
    p.k[i] = real ? g.kernel[j] : 1;
    p.s[i] = real ? g.strides[j] : 1;
    p.d[i] = real ? g.dilations[j] : 1;
    p.pad[i] = real ? g.pads_begin[j] : 0;
    p.pad_end[i] = real ? g.pads_end[j] : 0;
  }
  p.ox_begin.assign(static_cast<std::size_t>(p.k[2]), 0);
  p.ox_end.assign(static_cast<std::size_t>(p.k[2]), 0);
  for (std::int64_t kx = 0; kx < p.k[2]; ++kx) {
    const std::int64_t lo = p.pad[2] - kx * p.d[2];                // need ox * s >= lo
    const std::int64_t hi = p.in[2] - 1 + p.pad[2] - kx * p.d[2];  // need ox * s <= hi
    const std::int64_t begin = lo <= 0 ? 0 : (lo + p.s[2] - 1) / p.s[2];
    const std::int64_t end = hi < 0 ? 0 : std::min(p.out[2], hi / p.s[2] + 1);
    p.ox_begin[kx] = begin;
    p.ox_end[kx] = std::max(begin, end);
  }
  return p;
}

// One tap of a window that lies inside the input: input coordinates and kernel coordinates.
struct WindowTap {
  std::int64_t iz, iy, ix;  // input position
  std::int64_t kz, ky, kx;  // kernel offset
};

// Calls visit(tap) for every tap of the window of output (oz, oy, ox) that lies inside the
// input; taps over the padding are skipped (they read 0, or the zero point, or nothing).
// The plain loop the reference kernels share; the input's flat offset in its plane is
// (iz * in[1] + iy) * in[2] + ix, the kernel's (kz * k[1] + ky) * k[2] + kx.
template <typename Visit>
void for_each_window_tap(const Window3d& g, std::int64_t oz, std::int64_t oy, std::int64_t ox, Visit visit) {
  for (std::int64_t kz = 0; kz < g.k[0]; ++kz) {
    const std::int64_t iz = g.input_index(0, oz, kz);
    if (iz < 0 || iz >= g.in[0]) continue;
    for (std::int64_t ky = 0; ky < g.k[1]; ++ky) {
      const std::int64_t iy = g.input_index(1, oy, ky);
      if (iy < 0 || iy >= g.in[1]) continue;
      for (std::int64_t kx = 0; kx < g.k[2]; ++kx) {
        const std::int64_t ix = g.input_index(2, ox, kx);
        if (ix < 0 || ix >= g.in[2]) continue;
        visit(WindowTap{iz, iy, ix, kz, ky, kx});
      }
    }
  }
}

// Calls visit(x_row, x_offset, ox_begin, ox_end) for every (kz, ky, kx) tap of output row
// (oz, oy) that lies inside the input: the input column of output column ox is
// ox * stride + x_offset in x_row.
template <typename T, typename Visit>
void for_each_row_tap(const Window3d& g, const T* x_plane, std::int64_t oz, std::int64_t oy, Visit visit) {
  for (std::int64_t kz = 0; kz < g.k[0]; ++kz) {
    const std::int64_t iz = g.input_index(0, oz, kz);
    if (iz < 0 || iz >= g.in[0]) continue;
    for (std::int64_t ky = 0; ky < g.k[1]; ++ky) {
      const std::int64_t iy = g.input_index(1, oy, ky);
      if (iy < 0 || iy >= g.in[1]) continue;
      const T* x_row = x_plane + (iz * g.in[1] + iy) * g.in[2];
      for (std::int64_t kx = 0; kx < g.k[2]; ++kx) {
        visit(x_row, kx * g.d[2] - g.pad[2], g.ox_begin[kx], g.ox_end[kx]);
      }
    }
  }
}

// AveragePool's divisor along one axis for output index `o`: the window's elements inside the
// input, or with count_include_pad also the padding (but never past the end padding, which
// ceil_mode windows may overhang; as ONNX Runtime and PyTorch). The divisor of a box window is
// the product over the axes.
inline std::int64_t average_window_extent(const Window3d& g, int axis, std::int64_t o, bool count_include_pad) {
  const std::int64_t start = o * g.s[axis] - g.pad[axis];
  const std::int64_t end = start + g.k[axis];
  const std::int64_t lo = count_include_pad ? start : std::max<std::int64_t>(start, 0);
  const std::int64_t hi = std::min(end, count_include_pad ? g.in[axis] + g.pad_end[axis] : g.in[axis]);
  return std::max<std::int64_t>(hi - lo, 1);
}

}  // namespace edgeai
