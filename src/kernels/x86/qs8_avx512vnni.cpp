// int8 micro-kernels for AVX-512 VNNI: GEMM tile 8x32 (16 zmm int32 accumulators, one
// vpdpbusd per row and 16 columns per quad of K), quad packing with SSE unpacks, depthwise
// rows in int32 lanes, the float32 requantisation of accumulators and the exact fixed-point
// one of the elementwise ops (64-bit products, rounding half to even) in vector form. Compiled with -mavx512f -mavx512bw -mavx512vl -mavx512vnni;
// chosen only when cpuid reports AVX-512 BW and VNNI.
#include <immintrin.h>

#include <algorithm>
#include <cstring>

#include "kernels/optimized/qs8_microkernels.hpp"
#include "kernels/optimized/qs8_requantize_scalar.hpp"

namespace edgeai {
namespace {

constexpr int kMR = 8;
constexpr int kNV = 2;
constexpr int kNR = 16 * kNV;

// acc += dot products of u8 x s8 quads (vpdpbusd) and of int16 pairs (vpdpwssd), in place.
// Written as asm with a read-write operand: GCC (12) treats the intrinsics' accumulator as a
// separate input and copies every accumulator twice per instruction in the GEMM loop.
inline void dot_u8s8(__m512i& acc, __m512i u8, __m512i s8) {
  asm("vpdpbusd %2, %1, %0" : "+v"(acc) : "v"(u8), "v"(s8));
}
inline void dot_s16(__m512i& acc, __m512i a, __m512i b) { asm("vpdpwssd %2, %1, %0" : "+v"(acc) : "v"(a), "v"(b)); }

// rshift_rne(v, s) on 8 int64 lanes, s in [1, 62]: with v = k 2^s + r, adding 2^(s-1) - 1 plus
// the parity of k carries into k exactly when r > 2^(s-1), or r = 2^(s-1) and k is odd.
inline __m512i rounding_shift_right(__m512i v, __m128i count, __m512i half_minus_one) {
  const __m512i parity = _mm512_and_si512(_mm512_sra_epi64(v, count), _mm512_set1_epi64(1));
  return _mm512_sra_epi64(_mm512_add_epi64(_mm512_add_epi64(v, half_minus_one), parity), count);
}

// The requantisation of 16 int32 accumulators of one output channel.
struct RowRequant {
  __m512i multiplier, half_minus_one, lo, hi, zero_point;
  __m128i count;
  int shift;

  RowRequant(std::int32_t m, std::int32_t s, std::int32_t zp, std::int32_t lo_q, std::int32_t hi_q) {
    multiplier = _mm512_set1_epi64(m);
    shift = s;
    count = _mm_cvtsi32_si128(s);
    half_minus_one = _mm512_set1_epi64(s > 0 ? (std::int64_t{1} << (s - 1)) - 1 : 0);
    // The clamp in the scaled domain, before the zero point is added (fits int32 after it).
    lo = _mm512_set1_epi64(static_cast<std::int64_t>(lo_q) - zp);
    hi = _mm512_set1_epi64(static_cast<std::int64_t>(hi_q) - zp);
    zero_point = _mm512_set1_epi32(zp);
  }

  __m512i scale(__m512i products) const {
    const __m512i r = shift > 0 ? rounding_shift_right(products, count, half_minus_one) : products;
    return _mm512_min_epi64(_mm512_max_epi64(r, lo), hi);
  }

  // 16 int32 accumulators -> 16 clamped int32 results.
  __m512i apply(__m512i acc) const {
    const __m512i even = scale(_mm512_mul_epi32(acc, multiplier));
    const __m512i odd = scale(_mm512_mul_epi32(_mm512_srli_epi64(acc, 32), multiplier));
    const __m512i both = _mm512_mask_blend_epi32(0xAAAA, even, _mm512_slli_epi64(odd, 32));
    return _mm512_add_epi32(both, zero_point);
  }
};

// quant::requantize_accumulator on 16 int32 accumulators of one output channel: float32
// product, clamp against lo - zp and hi - zp, conversion rounding to nearest even (MXCSR's
// default), plus the zero point.
struct AccumulatorRequant {
  __m512 scale, low, high;
  __m512i zero_point;

  AccumulatorRequant(float s, std::int32_t zp, std::int32_t lo_q, std::int32_t hi_q)
      : scale(_mm512_set1_ps(s)),
        low(_mm512_set1_ps(static_cast<float>(lo_q - zp))),
        high(_mm512_set1_ps(static_cast<float>(hi_q - zp))),
        zero_point(_mm512_set1_epi32(zp)) {}

  __m512i apply(__m512i acc) const {
    const __m512 v = _mm512_mul_ps(_mm512_cvtepi32_ps(acc), scale);
    return _mm512_add_epi32(_mm512_cvtps_epi32(_mm512_min_ps(_mm512_max_ps(v, low), high)), zero_point);
  }
};

inline void store_bytes(std::uint8_t* dst, __m512i values, int n) {
  const __m128i bytes = _mm512_cvtepi32_epi8(values);
  if (n >= 16) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst), bytes);
  } else if (n > 0) {
    _mm_mask_storeu_epi8(dst, static_cast<__mmask16>((1u << n) - 1u), bytes);
  }
}

// The tile's epilogue when the products fit int32 (QS8Requantization::products_fit_int32):
// two rows at a time, the rounded products packed with saturation to int16, the zero point
// added with saturation, packed with saturation to bytes (unsigned when lo >= 0), put back in
// column order and clamped to [lo, hi] as bytes. Equal to quant::requantize_accumulator:
// saturation only ever replaces values that lie beyond the type's range, which the clamp maps
// to the same bound.
template <int MR, int NV>
void store_rows_saturating(const QS8GemmTile& t, const __m512i (&acc)[MR][NV]) {
  static_assert(NV == 2, "two vectors of 16 columns per row");
  const bool is_unsigned = t.requant.lo >= 0;
  const __m512i zero_point = _mm512_set1_epi16(static_cast<short>(t.requant.zero_point));
  const __m512i lo = _mm512_set1_epi8(static_cast<char>(t.requant.lo));
  const __m512i hi = _mm512_set1_epi8(static_cast<char>(t.requant.hi));
  // After the two packs, 128-bit lane L holds dwords (row a cols 4L.., row a cols 16 + 4L..,
  // row b cols 4L.., row b cols 16 + 4L..).
  const __m512i order = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
  const __mmask32 live = t.n >= 32 ? ~__mmask32{0} : (__mmask32{1} << t.n) - 1;
  const auto rounded = [](__m512i v, __m512 scale) { return _mm512_cvtps_epi32(_mm512_mul_ps(_mm512_cvtepi32_ps(v), scale)); };
#pragma GCC unroll 4
  for (int i = 0; i < MR; i += 2) {
    if (i >= t.m) break;
    const __m512 scale_a = _mm512_set1_ps(t.requant.scale[i]);
    const __m512 scale_b = _mm512_set1_ps(i + 1 < t.m ? t.requant.scale[i + 1] : 0.0f);
    const __m512i a = _mm512_adds_epi16(_mm512_packs_epi32(rounded(acc[i][0], scale_a), rounded(acc[i][1], scale_a)),
                                        zero_point);
    const __m512i b = _mm512_adds_epi16(
        _mm512_packs_epi32(rounded(acc[i + 1][0], scale_b), rounded(acc[i + 1][1], scale_b)), zero_point);
    __m512i bytes;
    if (is_unsigned) {
      bytes = _mm512_permutexvar_epi32(order, _mm512_packus_epi16(a, b));
      bytes = _mm512_min_epu8(_mm512_max_epu8(bytes, lo), hi);
    } else {
      bytes = _mm512_permutexvar_epi32(order, _mm512_packs_epi16(a, b));
      bytes = _mm512_min_epi8(_mm512_max_epi8(bytes, lo), hi);
    }
    _mm256_mask_storeu_epi8(t.c + i * t.ldc, live, _mm512_castsi512_si256(bytes));
    if (i + 1 < t.m) _mm256_mask_storeu_epi8(t.c + (i + 1) * t.ldc, live, _mm512_extracti64x4_epi64(bytes, 1));
  }
}

inline void store_tile(const QS8GemmTile& t, const __m512i (&acc)[kMR][kNV]);

void qs8_gemm_8x32(const QS8GemmTile& t) {
  // Sixteen named accumulators (an array would live in memory around the asm operands).
  const auto bias = [&](int i) { return _mm512_set1_epi32(i < t.m ? t.requant.bias[i] : 0); };
  __m512i c00 = bias(0), c01 = c00, c10 = bias(1), c11 = c10, c20 = bias(2), c21 = c20, c30 = bias(3), c31 = c30;
  __m512i c40 = bias(4), c41 = c40, c50 = bias(5), c51 = c50, c60 = bias(6), c61 = c60, c70 = bias(7), c71 = c70;
  const std::int8_t* a = t.a;
  const std::uint8_t* b = t.b;
  for (int q = 0; q < t.k4; ++q, a += 4 * kMR, b += 4 * kNR) {
    const __m512i b0 = _mm512_loadu_si512(b);
    const __m512i b1 = _mm512_loadu_si512(b + 64);
#define EDGEAI_QS8_ROW(i)                               \
  {                                                     \
    std::int32_t quad;                                  \
    std::memcpy(&quad, a + 4 * (i), 4);                 \
    const __m512i av = _mm512_set1_epi32(quad);         \
    dot_u8s8(c##i##0, b0, av);                          \
    dot_u8s8(c##i##1, b1, av);                          \
  }
    EDGEAI_QS8_ROW(0) EDGEAI_QS8_ROW(1) EDGEAI_QS8_ROW(2) EDGEAI_QS8_ROW(3)
    EDGEAI_QS8_ROW(4) EDGEAI_QS8_ROW(5) EDGEAI_QS8_ROW(6) EDGEAI_QS8_ROW(7)
#undef EDGEAI_QS8_ROW
  }
  const __m512i acc[kMR][kNV] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31},
                                 {c40, c41}, {c50, c51}, {c60, c61}, {c70, c71}};
  store_tile(t, acc);
}

// The requantised tile (bias included in acc) into t.c: rows < t.m, columns < t.n.
inline void store_tile(const QS8GemmTile& t, const __m512i (&acc)[kMR][kNV]) {
  if (t.requant.products_fit_int32) {
    store_rows_saturating(t, acc);
    return;
  }
  // Unrolled with constant row indices, so the accumulators stay in registers; only the scale
  // changes from row to row.
  AccumulatorRequant rq(1.0f, t.requant.zero_point, t.requant.lo, t.requant.hi);
#pragma GCC unroll 8
  for (int i = 0; i < kMR; ++i) {
    if (i >= t.m) break;
    rq.scale = _mm512_set1_ps(t.requant.scale[i]);
    std::uint8_t* c = t.c + i * t.ldc;
    for (int j = 0; j < kNV; ++j) store_bytes(c + 16 * j, rq.apply(acc[i][j]), t.n - 16 * j);
  }
}

// AMX (QS8AmxTile): four 16x16 int32 tiles, C = A * B with tdpbsud (A: weights, signed; B:
// the packed panel, unsigned), per 64 bytes of K two A tiles (channels 0-15, 16-31) and two B
// tiles (columns 0-15, 16-31: the panel's quad rows are 128 bytes, 32 columns). The tiles go
// to t.acc and through the VNNI tile's epilogue eight rows at a time, so the bytes are the
// same. One tile configuration for every call (all eight tiles 16 rows of 64 bytes), loaded
// once per thread: the kernel saves and restores it with the thread's other state.
struct alignas(64) AmxTileConfig {
  std::uint8_t palette = 1;
  std::uint8_t start_row = 0;
  std::uint8_t reserved[14] = {};
  std::uint16_t colsb[16] = {};
  std::uint8_t rows[16] = {};
};

void qs8_gemm_amx_32x32(const QS8AmxTile& t) {
  thread_local bool configured = false;
  if (!configured) {
    AmxTileConfig config;
    for (int i = 0; i < 8; ++i) {
      config.colsb[i] = 64;
      config.rows[i] = 16;
    }
    _tile_loadconfig(&config);
    configured = true;
  }
  _tile_zero(0);
  _tile_zero(1);
  _tile_zero(2);
  _tile_zero(3);
  const std::int8_t* a0 = t.a;
  const std::int8_t* a1 = t.a + 16 * t.lda;
  const std::uint8_t* b = t.b;
  for (int kb = 0; kb < t.k64; ++kb, a0 += 64, a1 += 64, b += 16 * 4 * kNR) {
    _tile_loadd(4, a0, t.lda);
    _tile_loadd(5, a1, t.lda);
    _tile_loadd(6, b, 4 * kNR);
    _tile_loadd(7, b + 64, 4 * kNR);
    _tile_dpbsud(0, 4, 6);
    _tile_dpbsud(1, 4, 7);
    _tile_dpbsud(2, 5, 6);
    _tile_dpbsud(3, 5, 7);
  }
  std::int32_t* acc = t.acc;  // [32][32]
  _tile_stored(0, acc, 4 * kNR);
  _tile_stored(1, acc + 16, 4 * kNR);
  _tile_stored(2, acc + 16 * kNR, 4 * kNR);
  _tile_stored(3, acc + 16 * kNR + 16, 4 * kNR);
  QS8GemmTile rows;
  rows.n = t.n;
  rows.ldc = t.ldc;
  rows.requant = t.requant;
  for (int r = 0; r < t.m; r += kMR) {
    rows.m = std::min(kMR, t.m - r);
    rows.requant.bias = t.requant.bias + r;
    rows.requant.scale = t.requant.scale + r;
    rows.c = t.c + r * t.ldc;
    __m512i block[kMR][kNV];
    for (int i = 0; i < kMR; ++i) {
      const __m512i bias = _mm512_set1_epi32(i < rows.m ? rows.requant.bias[i] : 0);
      for (int j = 0; j < kNV; ++j) {
        block[i][j] = _mm512_add_epi32(_mm512_loadu_si512(acc + (r + i) * kNR + 16 * j), bias);
      }
    }
    store_tile(rows, block);
  }
}

inline void pack_quads_sse(const std::uint8_t* const* rows, int n, std::uint8_t flip, std::uint8_t* dst) {
  alignas(16) static const std::uint8_t zeros[16] = {};
  const __m128i flip_v = _mm_set1_epi8(static_cast<char>(flip));
  for (int j0 = 0; j0 < kNR; j0 += 16, dst += 64) {
    const int valid = n - j0;
    __m128i r[4];
    for (int k = 0; k < 4; ++k) {
      if (rows[k] == nullptr || valid <= 0) {
        r[k] = _mm_loadu_si128(reinterpret_cast<const __m128i*>(zeros));
      } else if (valid >= 16) {
        r[k] = _mm_loadu_si128(reinterpret_cast<const __m128i*>(rows[k] + j0));
      } else {
        r[k] = _mm_maskz_loadu_epi8(static_cast<__mmask16>((1u << valid) - 1u), rows[k] + j0);
      }
      r[k] = _mm_xor_si128(r[k], flip_v);
    }
    const __m128i ab_lo = _mm_unpacklo_epi8(r[0], r[1]);
    const __m128i ab_hi = _mm_unpackhi_epi8(r[0], r[1]);
    const __m128i cd_lo = _mm_unpacklo_epi8(r[2], r[3]);
    const __m128i cd_hi = _mm_unpackhi_epi8(r[2], r[3]);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst), _mm_unpacklo_epi16(ab_lo, cd_lo));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + 16), _mm_unpackhi_epi16(ab_lo, cd_lo));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + 32), _mm_unpacklo_epi16(ab_hi, cd_hi));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + 48), _mm_unpackhi_epi16(ab_hi, cd_hi));
  }
}

void pack_quads_table(const std::uint8_t* const* rows, int n, std::uint8_t flip, std::uint8_t* dst) {
  pack_quads_sse(rows, n, flip, dst);
}

void pack_panel_sse(const std::uint8_t* base, const std::ptrdiff_t* offsets, int k, int n, std::uint8_t flip,
                    std::uint8_t* dst) {
  const std::uint8_t* rows[4];
  for (int q = 0; 4 * q < k; ++q, dst += 4 * kNR) {
    for (int t = 0; t < 4; ++t) rows[t] = 4 * q + t < k ? base + offsets[4 * q + t] : nullptr;
    pack_quads_sse(rows, n, flip, dst);
  }
}

// Taps in pairs with vpmaddwd: two taps' int16 rows interleaved (unpack within 128-bit lanes,
// so lane j holds output perm[j], perm = 0-3, 8-11, 4-7, 12-15) times the two weights, summed
// in int32; the permutation, its own inverse, is undone once per 16 outputs.
void qs8_depthwise_row(const QS8DepthwiseRow& r) {
  const AccumulatorRequant rq(r.scale, r.zero_point, r.lo, r.hi);
  const __m512i unpermute = _mm512_setr_epi32(0, 1, 2, 3, 8, 9, 10, 11, 4, 5, 6, 7, 12, 13, 14, 15);
  const __m512i bias = _mm512_set1_epi32(r.bias);
  const __m256i zero = _mm256_setzero_si256();
  for (int x = 0; x < r.width; x += 16) {
    __m512i acc = _mm512_setzero_si512();
    int t = 0;
    for (; t < r.taps; t += 2) {
      const __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(r.rows[t] + x));
      const bool pair = t + 1 < r.taps;
      const __m256i b = pair ? _mm256_loadu_si256(reinterpret_cast<const __m256i*>(r.rows[t + 1] + x)) : zero;
      const __m512i v =
          _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_unpacklo_epi16(a, b)), _mm256_unpackhi_epi16(a, b), 1);
      const std::uint32_t w = static_cast<std::uint16_t>(r.weights[t]) |
                              (static_cast<std::uint32_t>(static_cast<std::uint16_t>(pair ? r.weights[t + 1] : 0)) << 16);
      acc = _mm512_add_epi32(acc, _mm512_madd_epi16(v, _mm512_set1_epi32(static_cast<int>(w))));
    }
    acc = _mm512_add_epi32(_mm512_permutexvar_epi32(unpermute, acc), bias);
    store_bytes(r.out + x, rq.apply(acc), r.width - x);
  }
}

// Pairs of taps with vpdpwssd. Stride 2: lane k of the 32-bit view of row + 2j + 2p holds
// row[2(j + k) + 2p] and the next element, output j + k's taps 2p and 2p + 1. Stride 1: even
// and odd outputs are two stride-2 problems, on row + j and row + j + 1; their bytes are
// interleaved back at the end. Even and odd kernel rows accumulate separately (two dependency
// chains per vector). KH and P are the kernel height and pairs per row when known at compile
// time (3x3: the weights stay in registers and the loops unroll), else 0.
template <int KH, int P>
void depthwise_pairs(const QS8DepthwisePairsRow& r) {
  const int kernel_h = KH > 0 ? KH : r.kernel_h, pairs = P > 0 ? P : r.pairs;
  constexpr int kHeld = KH * P;  // weight pairs held in registers
  __m512i held[kHeld > 0 ? kHeld : 1];
  for (int i = 0; i < kHeld; ++i) held[i] = _mm512_set1_epi32(r.weight_pairs[i]);
  const auto weight = [&](int ky, int p) {
    return kHeld > 0 ? held[ky * P + p] : _mm512_set1_epi32(r.weight_pairs[ky * pairs + p]);
  };
  const AccumulatorRequant rq(r.scale, r.zero_point, r.lo, r.hi);
  const __m512i bias = _mm512_set1_epi32(r.bias);
  const __m512i zero = _mm512_setzero_si512();
  if (r.stride == 2) {
    for (int j = 0; j < r.width; j += 16) {
      __m512i acc[2] = {bias, zero};
      for (int ky = 0; ky < kernel_h; ++ky) {
        const std::int16_t* row = r.rows[ky] + 2 * j;
        for (int p = 0; p < pairs; ++p) {
          dot_s16(acc[ky & 1], _mm512_loadu_si512(row + 2 * p), weight(ky, p));
        }
      }
      store_bytes(r.out + j, rq.apply(_mm512_add_epi32(acc[0], acc[1])), r.width - j);
    }
    return;
  }
  for (int j = 0; j < r.width; j += 32) {
    __m512i even[2] = {bias, zero}, odd[2] = {bias, zero};
    for (int ky = 0; ky < kernel_h; ++ky) {
      const std::int16_t* row = r.rows[ky] + j;
      for (int p = 0; p < pairs; ++p) {
        const __m512i wp = weight(ky, p);
        dot_s16(even[ky & 1], _mm512_loadu_si512(row + 2 * p), wp);
        dot_s16(odd[ky & 1], _mm512_loadu_si512(row + 2 * p + 1), wp);
      }
    }
    const __m128i e = _mm512_cvtepi32_epi8(rq.apply(_mm512_add_epi32(even[0], even[1])));
    const __m128i o = _mm512_cvtepi32_epi8(rq.apply(_mm512_add_epi32(odd[0], odd[1])));
    const int n = r.width - j;
    const __m128i first = _mm_unpacklo_epi8(e, o), second = _mm_unpackhi_epi8(e, o);
    if (n >= 32) {
      _mm_storeu_si128(reinterpret_cast<__m128i*>(r.out + j), first);
      _mm_storeu_si128(reinterpret_cast<__m128i*>(r.out + j + 16), second);
    } else {
      const __mmask32 live = (__mmask32{1} << n) - 1;
      _mm_mask_storeu_epi8(r.out + j, static_cast<__mmask16>(live), first);
      _mm_mask_storeu_epi8(r.out + j + 16, static_cast<__mmask16>(live >> 16), second);
    }
  }
}

void qs8_depthwise_pairs_row(const QS8DepthwisePairsRow& r) {
  if (r.kernel_h == 3 && r.pairs == 2) {
    depthwise_pairs<3, 2>(r);
  } else {
    depthwise_pairs<0, 0>(r);
  }
}

// The fields are read into locals once: the stores through dst could alias the call struct
// as far as the compiler knows, which would reload them after every store.
template <bool kSigned>
void widen_rows(const std::uint8_t* src_base, int rows, int width, std::int32_t zero_point, std::int16_t* dst_base,
                std::ptrdiff_t dst_stride) {
  const __m512i zp = _mm512_set1_epi16(static_cast<short>(zero_point));
  const int tail = width % 32;
  const __mmask32 tail_mask = (__mmask32{1} << tail) - 1;
  for (int r = 0; r < rows; ++r) {
    const std::uint8_t* src = src_base + static_cast<std::ptrdiff_t>(r) * width;
    std::int16_t* dst = dst_base + r * dst_stride;
    const auto widen = [&](__m256i bytes) {
      return _mm512_sub_epi16(kSigned ? _mm512_cvtepi8_epi16(bytes) : _mm512_cvtepu8_epi16(bytes), zp);
    };
    int j = 0;
    for (; j + 32 <= width; j += 32) {
      _mm512_storeu_si512(dst + j, widen(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + j))));
    }
    if (tail != 0) _mm512_mask_storeu_epi16(dst + j, tail_mask, widen(_mm256_maskz_loadu_epi8(tail_mask, src + j)));
  }
}

void qs8_widen_rows(const QS8WidenRows& c) {
  if (c.is_signed) {
    widen_rows<true>(c.src, c.rows, c.width, c.zero_point, c.dst, c.dst_stride);
  } else {
    widen_rows<false>(c.src, c.rows, c.width, c.zero_point, c.dst, c.dst_stride);
  }
}

void qs8_quantize(const QS8QuantizeCall& c) {
  const __m512 scale = _mm512_set1_ps(c.scale);
  const __m512 zero_point = _mm512_set1_ps(static_cast<float>(c.zero_point));
  const __m512 qmin = _mm512_set1_ps(static_cast<float>(c.qmin));
  const __m512 qmax = _mm512_set1_ps(static_cast<float>(c.qmax));
  const __m512i zp_int = _mm512_set1_epi32(std::min(std::max(c.zero_point, c.qmin), c.qmax));
  for (std::ptrdiff_t i = 0; i < c.n; i += 16) {
    const int n = static_cast<int>(std::min<std::ptrdiff_t>(16, c.n - i));
    const __mmask16 live = n >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << n) - 1u);
    const __m512 scaled = _mm512_div_ps(_mm512_maskz_loadu_ps(live, c.x + i), scale);
    const __mmask16 is_nan = _mm512_cmp_ps_mask(scaled, scaled, _CMP_UNORD_Q);
    const __m512 rounded = _mm512_roundscale_ps(scaled, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    // max/min with the bound second: a value at or beyond it becomes the bound, as the reference's
    // !(shifted > qmin) / !(shifted < qmax) tests do.
    const __m512 shifted = _mm512_min_ps(_mm512_max_ps(_mm512_add_ps(rounded, zero_point), qmin), qmax);
    const __m512i q = _mm512_mask_blend_epi32(is_nan, _mm512_cvtps_epi32(shifted), zp_int);
    store_bytes(c.y + i, q, n);
  }
}

void qs8_add(const QS8AddCall& c) {
  const __m512i za = _mm512_set1_epi32(c.a_zero_point), zb = _mm512_set1_epi32(c.b_zero_point);
  const __m512i na = _mm512_set1_epi64(c.a_numerator), nb = _mm512_set1_epi64(c.b_numerator);
  // The requantisation with multiplier 1 (sums are already scaled by the numerators).
  RowRequant rq(1, c.shift, c.c_zero_point, c.lo, c.hi);
  for (std::ptrdiff_t i = 0; i < c.n; i += 16) {
    const int n = static_cast<int>(std::min<std::ptrdiff_t>(16, c.n - i));
    const __mmask16 live = n >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << n) - 1u);
    const __m128i a8 = _mm_maskz_loadu_epi8(live, c.a + i);
    const __m128i b8 = _mm_maskz_loadu_epi8(live, c.b + i);
    const __m512i a = _mm512_sub_epi32(c.is_signed ? _mm512_cvtepi8_epi32(a8) : _mm512_cvtepu8_epi32(a8), za);
    const __m512i b = _mm512_sub_epi32(c.is_signed ? _mm512_cvtepi8_epi32(b8) : _mm512_cvtepu8_epi32(b8), zb);
    const __m512i even = _mm512_add_epi64(_mm512_mul_epi32(a, na), _mm512_mul_epi32(b, nb));
    const __m512i odd = _mm512_add_epi64(_mm512_mul_epi32(_mm512_srli_epi64(a, 32), na),
                                         _mm512_mul_epi32(_mm512_srli_epi64(b, 32), nb));
    const __m512i both = _mm512_mask_blend_epi32(0xAAAA, rq.scale(even), _mm512_slli_epi64(rq.scale(odd), 32));
    store_bytes(c.y + i, _mm512_add_epi32(both, rq.zero_point), n);
  }
}

// Four weight rows at a time share each 64-byte chunk of the vector.
void qs8_gemv(const QS8GemvCall& c) {
  std::int64_t j = 0;
  for (; j + 4 <= c.n; j += 4) {
    __m512i acc0 = _mm512_setzero_si512(), acc1 = acc0, acc2 = acc0, acc3 = acc0;
    const std::int8_t* w = c.w + j * c.k_padded;
    for (std::int64_t k = 0; k < c.k_padded; k += 64) {
      const __m512i a = _mm512_loadu_si512(c.a + k);
      acc0 = _mm512_dpbusd_epi32(acc0, a, _mm512_loadu_si512(w + k));
      acc1 = _mm512_dpbusd_epi32(acc1, a, _mm512_loadu_si512(w + c.k_padded + k));
      acc2 = _mm512_dpbusd_epi32(acc2, a, _mm512_loadu_si512(w + 2 * c.k_padded + k));
      acc3 = _mm512_dpbusd_epi32(acc3, a, _mm512_loadu_si512(w + 3 * c.k_padded + k));
    }
    const std::int32_t sums[4] = {_mm512_reduce_add_epi32(acc0), _mm512_reduce_add_epi32(acc1),
                                  _mm512_reduce_add_epi32(acc2), _mm512_reduce_add_epi32(acc3)};
    for (int r = 0; r < 4; ++r) {
      c.y[j + r] = static_cast<std::uint8_t>(requantize_accumulator_scalar(
          sums[r] + c.requant.bias[j + r], c.requant.scale[j + r], c.requant.zero_point, c.requant.lo, c.requant.hi));
    }
  }
  for (; j < c.n; ++j) {
    __m512i acc = _mm512_setzero_si512();
    const std::int8_t* w = c.w + j * c.k_padded;
    for (std::int64_t k = 0; k < c.k_padded; k += 64) {
      acc = _mm512_dpbusd_epi32(acc, _mm512_loadu_si512(c.a + k), _mm512_loadu_si512(w + k));
    }
    c.y[j] = static_cast<std::uint8_t>(requantize_accumulator_scalar(_mm512_reduce_add_epi32(acc) + c.requant.bias[j],
                                                                     c.requant.scale[j], c.requant.zero_point,
                                                                     c.requant.lo, c.requant.hi));
  }
}

// 16 bytes from p as int32 lanes (n valid), or one byte repeated when step is 0.
inline __m512i load_widened(const std::uint8_t* p, std::ptrdiff_t step, int n, bool is_signed) {
  if (step == 0) return _mm512_set1_epi32(is_signed ? static_cast<std::int8_t>(*p) : *p);
  const __m128i bytes = _mm_maskz_loadu_epi8(n >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << n) - 1u), p);
  return is_signed ? _mm512_cvtepi8_epi32(bytes) : _mm512_cvtepu8_epi32(bytes);
}

void qs8_mul(const QS8MulCall& c) {
  const __m512i za = _mm512_set1_epi32(c.a_zero_point), zb = _mm512_set1_epi32(c.b_zero_point);
  const RowRequant rq(c.multiplier, c.shift, c.c_zero_point, c.lo, c.hi);
  for (std::ptrdiff_t i = 0; i < c.n; i += 16) {
    const int n = static_cast<int>(std::min<std::ptrdiff_t>(16, c.n - i));
    const __m512i a = _mm512_sub_epi32(load_widened(c.a + i * c.a_step, c.a_step, n, c.is_signed), za);
    const __m512i b = _mm512_sub_epi32(load_widened(c.b + i * c.b_step, c.b_step, n, c.is_signed), zb);
    // |a - za| and |b - zb| <= 255: the product is exact in int32.
    store_bytes(c.y + i, rq.apply(_mm512_mullo_epi32(a, b)), n);
  }
}

void qs8_rescale(const QS8RescaleCall& c) {
  const __m512i zx = _mm512_set1_epi32(c.x_zero_point);
  const RowRequant rq(c.multiplier, c.shift, c.y_zero_point, c.lo, c.hi);
  for (std::ptrdiff_t i = 0; i < c.n; i += 16) {
    const int n = static_cast<int>(std::min<std::ptrdiff_t>(16, c.n - i));
    store_bytes(c.y + i, rq.apply(_mm512_sub_epi32(load_widened(c.x + i, 1, n, c.is_signed), zx)), n);
  }
}

void qs8_max_row(const QS8MaxRow& r) {
  const __m512i flip = _mm512_set1_epi8(static_cast<char>(r.flip));
  for (int x = 0; x < r.width; x += 64) {
    __m512i m = _mm512_setzero_si512();
    for (int t = 0; t < r.taps; ++t) m = _mm512_max_epu8(m, _mm512_loadu_si512(r.rows[t] + x));
    const int n = r.width - x;
    const __mmask64 live = n >= 64 ? ~__mmask64{0} : ((__mmask64{1} << n) - 1);
    _mm512_mask_storeu_epi8(r.out + x, live, _mm512_xor_si512(m, flip));
  }
}

void qs8_dequantize(const QS8DequantizeCall& c) {
  const __m512i zp = _mm512_set1_epi32(c.zero_point);
  const __m512 scale = _mm512_set1_ps(c.scale);
  for (std::ptrdiff_t i = 0; i < c.n; i += 16) {
    const int n = static_cast<int>(std::min<std::ptrdiff_t>(16, c.n - i));
    const __mmask16 live = n >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << n) - 1u);
    const __m512 v = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(load_widened(c.x + i, 1, n, c.is_signed), zp)), scale);
    _mm512_mask_storeu_ps(c.y + i, live, v);
  }
}

}  // namespace

const QS8MicroKernels* qs8_microkernels_avx512vnni() {
  static const QS8MicroKernels table{"avx512vnni",      kMR,           kNR,           false, &qs8_gemm_8x32,
                                     &pack_quads_table, &qs8_depthwise_row, &qs8_quantize, &qs8_add,
                                     &qs8_gemv,         &qs8_mul,           &qs8_dequantize,
                                     &qs8_rescale,      &qs8_max_row,       &qs8_depthwise_pairs_row,
                                     &qs8_widen_rows,   &pack_panel_sse};
  return &table;
}

const QS8MicroKernels* qs8_microkernels_avx512amx() {
  static const QS8MicroKernels table = [] {
    QS8MicroKernels t = *qs8_microkernels_avx512vnni();
    t.isa = "amx";
    t.gemm_amx = &qs8_gemm_amx_32x32;
    return t;
  }();
  return &table;
}

}  // namespace edgeai
