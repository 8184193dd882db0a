// int8 micro-kernels for x86 CPUs with AVX2 but without VNNI: GEMM tile 4x8 over the same
// unsigned quads as the VNNI kernel (so the packing and bias folding are shared), computed
// exactly with widened operands — u8 zero-extended and s8 sign-extended to int16, vpmaddwd
// into int32 pairs (vpmaddubsw would saturate u8 x s8 pair sums), adjacent pairs added at
// the end; depthwise rows in int32 lanes. The requantisation is the scalar float32 form,
// written out here (std:: code compiled with this file's flags must not be shared).
// Compiled with -mavx2 -mfma; chosen when cpuid reports AVX2 and no AVX-512 VNNI kernel wins.
#include <immintrin.h>

#include <cstring>

#include "kernels/optimized/qs8_microkernels.hpp"
#include "kernels/optimized/qs8_requantize_scalar.hpp"

namespace edgeai {
namespace {

constexpr int kMR = 4;
constexpr int kNR = 8;

void qs8_gemm_4x8_avx2(const QS8GemmTile& t) {
  __m256i acc[kMR][2];
  for (auto& row : acc) row[0] = row[1] = _mm256_setzero_si256();
  const std::int8_t* a = t.a;
  const std::uint8_t* b = t.b;
  for (int q = 0; q < t.k4; ++q, a += 4 * kMR, b += 4 * kNR) {
    // Columns 0-3 and 4-7, their 4 bytes of K each, as 16 int16.
    const __m256i b0 = _mm256_cvtepu8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b)));
    const __m256i b1 = _mm256_cvtepu8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b + 16)));
    for (int i = 0; i < kMR; ++i) {
      std::int32_t quad;
      std::memcpy(&quad, a + 4 * i, 4);
      // The row's 4 weights as int16, repeated for the 4 columns.
      const __m128i w16 = _mm_cvtepi8_epi16(_mm_cvtsi32_si128(quad));
      const __m256i w = _mm256_broadcastq_epi64(w16);
      acc[i][0] = _mm256_add_epi32(acc[i][0], _mm256_madd_epi16(b0, w));
      acc[i][1] = _mm256_add_epi32(acc[i][1], _mm256_madd_epi16(b1, w));
    }
  }
  for (int i = 0; i < kMR && i < t.m; ++i) {
    // Lanes hold (k0+k1, k2+k3) per column: add adjacent lanes (hadd works within 128-bit halves).
    const __m256i sums = _mm256_permute4x64_epi64(_mm256_hadd_epi32(acc[i][0], acc[i][1]), 0xD8);
    std::int32_t column[kNR];
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(column), sums);
    std::uint8_t* c = t.c + i * t.ldc;
    for (int j = 0; j < t.n; ++j) {
      c[j] = static_cast<std::uint8_t>(requantize_accumulator_scalar(
          column[j] + t.requant.bias[i], t.requant.scale[i], t.requant.zero_point, t.requant.lo, t.requant.hi));
    }
  }
}

void pack_quads(const std::uint8_t* const* rows, int n, std::uint8_t flip, std::uint8_t* dst) {
  for (int j = 0; j < kNR; ++j) {
    for (int r = 0; r < 4; ++r) {
      dst[j * 4 + r] = static_cast<std::uint8_t>((rows[r] != nullptr && j < n ? rows[r][j] : 0) ^ flip);
    }
  }
}

void qs8_depthwise_row(const QS8DepthwiseRow& r) {
  for (int x = 0; x < r.width; x += 8) {
    __m256i acc = _mm256_set1_epi32(r.bias);
    for (int t = 0; t < r.taps; ++t) {
      const __m256i v = _mm256_cvtepi16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(r.rows[t] + x)));
      acc = _mm256_add_epi32(acc, _mm256_mullo_epi32(v, _mm256_set1_epi32(r.weights[t])));
    }
    std::int32_t lanes[8];
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(lanes), acc);
    for (int k = 0; k < 8 && x + k < r.width; ++k) {
      r.out[x + k] = static_cast<std::uint8_t>(
          requantize_accumulator_scalar(lanes[k], r.scale, r.zero_point, r.lo, r.hi));
    }
  }
}

}  // namespace

const QS8MicroKernels* qs8_microkernels_avx2() {
  static const QS8MicroKernels table{"avx2",  kMR,     kNR,     false,  &qs8_gemm_4x8_avx2, &pack_quads,
                                     &qs8_depthwise_row, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr};
  return &table;
}

}  // namespace edgeai
