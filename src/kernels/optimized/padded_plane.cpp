#include "kernels/optimized/padded_plane.hpp"

#include <algorithm>
#include <cstring>

namespace edgeai {

void PaddedPlane::set(std::int64_t h, std::int64_t w, std::int64_t top, std::int64_t left,
                      std::int64_t padded_height, std::int64_t padded_width, std::int64_t sh, std::int64_t sw,
                      std::int64_t dh, std::int64_t dw, std::int64_t slack) {
  in_h = h;
  in_w = w;
  pad_t = top;
  pad_l = left;
  stride_h = sh;
  stride_w = sw;
  dil_h = dh;
  dil_w = dw;
  padded_h = std::max(padded_height, top + h);
  phase_w = (std::max(padded_width, left + w) + sw - 1) / sw + slack;
  row_stride = sw * phase_w;
  plane_floats = static_cast<std::size_t>((padded_h * row_stride + 15) / 16 * 16);
}

void PaddedPlane::copy(const F32MicroKernels& uk, const float* src, float* plane) const {
  for (std::int64_t iy = 0; iy < in_h; ++iy) {
    float* prow = plane + (iy + pad_t) * row_stride;
    const float* srow = src + iy * in_w;
    if (stride_w == 1) {
      std::memcpy(prow + pad_l, srow, sizeof(float) * static_cast<std::size_t>(in_w));
    } else if (stride_w == 2) {
      // Even input columns land in phase pad_l % 2, odd ones in the other.
      float* first = prow + (pad_l % 2) * phase_w + pad_l / 2;
      float* second = prow + ((pad_l + 1) % 2) * phase_w + (pad_l + 1) / 2;
      uk.deinterleave2(srow, in_w, first, second);
    } else {
      // Padded column pc = ix + pad_l goes to phase pc % stride, position pc / stride.
      for (std::int64_t phase = 0; phase < stride_w; ++phase) {
        const std::int64_t first_pc = pad_l + ((phase - pad_l) % stride_w + stride_w) % stride_w;
        const std::int64_t first_ix = first_pc - pad_l;
        if (first_ix >= in_w) continue;
        float* dst = prow + phase * phase_w + first_pc / stride_w;
        const std::int64_t count = (in_w - first_ix + stride_w - 1) / stride_w;
        for (std::int64_t j = 0; j < count; ++j) dst[j] = srow[first_ix + j * stride_w];
      }
    }
  }
}

}  // namespace edgeai
