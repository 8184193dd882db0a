// int8 micro-kernels for AArch64: GEMM tiles over signed quads of K, with sdot (vdotq_laneq_s32,
// 8x8 tile) when the CPU has the dot-product extension (this file is compiled with
// +dotprod; that kernel only runs where hwcaps report it), else with widening multiplies
// (smull + sadalp, 4x8 tile) on any AArch64 CPU; depthwise rows in int32; the requantisation
// is kernels/quantization.hpp's own function per element (AArch64 needs no special flags
// for NEON, so sharing the header's code is safe here).
#include <arm_neon.h>

#include <algorithm>
#include <cstring>

#include "kernels/optimized/qs8_microkernels.hpp"
#include "kernels/quantization.hpp"

namespace edgeai {
namespace {

constexpr int kNR = 8;

inline std::uint8_t requantize_one(std::int32_t acc, float scale, std::int32_t zero_point, std::int32_t lo,
                                   std::int32_t hi) {
  return static_cast<std::uint8_t>(quant::requantize_accumulator(acc, scale, zero_point, lo, hi));
}

// Stores rows of int32 accumulators (bias not yet added) through the requantisation.
template <int MR>
void store_tile(const QS8GemmTile& t, const std::int32_t (&acc)[MR][kNR]) {
  for (int i = 0; i < MR && i < t.m; ++i) {
    std::uint8_t* c = t.c + i * t.ldc;
    for (int j = 0; j < t.n; ++j) {
      c[j] = requantize_one(acc[i][j] + t.requant.bias[i], t.requant.scale[i], t.requant.zero_point, t.requant.lo,
                            t.requant.hi);
    }
  }
}

#define EDGEAI_DOT_ROW(i, a, lane)                                  \
  acc[i][0] = vdotq_laneq_s32(acc[i][0], b0, a, lane);            \
  acc[i][1] = vdotq_laneq_s32(acc[i][1], b1, a, lane)

void qs8_gemm_8x8_dot(const QS8GemmTile& t) {
  int32x4_t acc[8][2];
  for (auto& row : acc) row[0] = row[1] = vdupq_n_s32(0);
  const auto* a = reinterpret_cast<const std::int8_t*>(t.a);
  const auto* b = reinterpret_cast<const std::int8_t*>(t.b);
  for (int q = 0; q < t.k4; ++q, a += 32, b += 32) {
    const int8x16_t b0 = vld1q_s8(b), b1 = vld1q_s8(b + 16);  // columns 0-3 and 4-7, 4 bytes of K each
    const int8x16_t a0 = vld1q_s8(a), a1 = vld1q_s8(a + 16);  // rows 0-3 and 4-7
    EDGEAI_DOT_ROW(0, a0, 0);
    EDGEAI_DOT_ROW(1, a0, 1);
    EDGEAI_DOT_ROW(2, a0, 2);
    EDGEAI_DOT_ROW(3, a0, 3);
    EDGEAI_DOT_ROW(4, a1, 0);
    EDGEAI_DOT_ROW(5, a1, 1);
    EDGEAI_DOT_ROW(6, a1, 2);
    EDGEAI_DOT_ROW(7, a1, 3);
  }
  std::int32_t out[8][kNR];
  for (int i = 0; i < 8; ++i) {
    vst1q_s32(out[i], acc[i][0]);
    vst1q_s32(out[i] + 4, acc[i][1]);
  }
  store_tile<8>(t, out);
}
#undef EDGEAI_DOT_ROW

// Without sdot: for each row, the 4 weights of a quad repeated over 16 bytes times 4 columns'
// quads (smull: int16 products), pairwise-accumulated into int32 (sadalp); adjacent lanes
// are summed at the end.
void qs8_gemm_4x8_neon(const QS8GemmTile& t) {
  int32x4_t acc[4][4];
  for (auto& row : acc) row[0] = row[1] = row[2] = row[3] = vdupq_n_s32(0);
  const auto* a = reinterpret_cast<const std::int8_t*>(t.a);
  const auto* b = reinterpret_cast<const std::int8_t*>(t.b);
  for (int q = 0; q < t.k4; ++q, a += 16, b += 32) {
    const int8x16_t b0 = vld1q_s8(b), b1 = vld1q_s8(b + 16);
    for (int i = 0; i < 4; ++i) {
      std::int32_t quad;
      std::memcpy(&quad, a + 4 * i, 4);
      const int8x16_t w = vreinterpretq_s8_s32(vdupq_n_s32(quad));
      acc[i][0] = vpadalq_s16(acc[i][0], vmull_s8(vget_low_s8(b0), vget_low_s8(w)));
      acc[i][1] = vpadalq_s16(acc[i][1], vmull_high_s8(b0, w));
      acc[i][2] = vpadalq_s16(acc[i][2], vmull_s8(vget_low_s8(b1), vget_low_s8(w)));
      acc[i][3] = vpadalq_s16(acc[i][3], vmull_high_s8(b1, w));
    }
  }
  std::int32_t out[4][kNR];
  for (int i = 0; i < 4; ++i) {
    vst1q_s32(out[i], vpaddq_s32(acc[i][0], acc[i][1]));
    vst1q_s32(out[i] + 4, vpaddq_s32(acc[i][2], acc[i][3]));
  }
  store_tile<4>(t, out);
}

void pack_quads(const std::uint8_t* const* rows, int n, std::uint8_t flip, std::uint8_t* dst) {
  for (int j = 0; j < kNR; ++j) {
    for (int r = 0; r < 4; ++r) {
      dst[j * 4 + r] = static_cast<std::uint8_t>((rows[r] != nullptr && j < n ? rows[r][j] : 0) ^ flip);
    }
  }
}

void qs8_depthwise_row(const QS8DepthwiseRow& r) {
  for (int x = 0; x < r.width; x += 4) {
    int32x4_t acc = vdupq_n_s32(r.bias);
    for (int t = 0; t < r.taps; ++t) {
      acc = vmlal_n_s16(acc, vld1_s16(r.rows[t] + x), r.weights[t]);
    }
    std::int32_t lanes[4];
    vst1q_s32(lanes, acc);
    for (int k = 0; k < 4 && x + k < r.width; ++k) r.out[x + k] = requantize_one(lanes[k], r.scale, r.zero_point, r.lo, r.hi);
  }
}

}  // namespace

const QS8MicroKernels* qs8_microkernels_neon() {
  static const QS8MicroKernels table{"neon", 4, kNR, true, &qs8_gemm_4x8_neon, &pack_quads, &qs8_depthwise_row,
                                     nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr};
  return &table;
}

const QS8MicroKernels* qs8_microkernels_neon_dot() {
  static const QS8MicroKernels table{"neondot", 8, kNR, true, &qs8_gemm_8x8_dot, &pack_quads, &qs8_depthwise_row,
                                     nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr};
  return &table;
}

}  // namespace edgeai
