// Cortex-M DSP forms of the int8 convolution and fully connected layer (kernels.hpp): two
// int16 products and their sum per instruction (SMLAD), after the scheme of CMSIS-NN's
// arm_convolve_s8 and arm_nn_mat_mult_kernel_s8_s16: the input window is widened once per
// output pixel to int16 (x - x_zero_point, padding 0) in the order SXTB16 unpacks weights
// (elements 0, 2 | 1, 3 of each four), and each weight word becomes two int16 pairs. A weight
// zero point w_zp is taken out once per pixel: sum (x - x_zp)(w - w_zp) = sum (x - x_zp) w -
// w_zp sum (x - x_zp). Accumulation is modular int32, so the result equals the reference's
// exact sum whenever that fits int32 (kernels.cpp checks conv_accumulators_fit_int32 first);
// the requantisation is the reference's. On other CPUs the instructions are emulated in C with
// the same results, so the host's tests run this code too.
#include <cstring>

#include "kernels/quantization.hpp"
#include "micro/kernels.hpp"

#if defined(__ARM_FEATURE_DSP)
#include <arm_acle.h>
#endif

namespace edgeai::micro {
namespace {

#if defined(__ARM_FEATURE_DSP)
inline std::uint32_t sxtb16(std::uint32_t x) { return static_cast<std::uint32_t>(__sxtb16(static_cast<int8x4_t>(x))); }
inline std::uint32_t sxtb16_ror8(std::uint32_t x) { return sxtb16((x >> 8) | (x << 24)); }
inline std::int32_t smlad(std::uint32_t x, std::uint32_t y, std::int32_t acc) {
  return __smlad(static_cast<int16x2_t>(x), static_cast<int16x2_t>(y), acc);
}
#else
// SXTB16: bytes 0 and 2, sign-extended to the two halfwords.
inline std::uint32_t sxtb16(std::uint32_t x) {
  const auto lo = static_cast<std::uint16_t>(static_cast<std::int16_t>(static_cast<std::int8_t>(x & 0xff)));
  const auto hi = static_cast<std::uint16_t>(static_cast<std::int16_t>(static_cast<std::int8_t>((x >> 16) & 0xff)));
  return lo | (static_cast<std::uint32_t>(hi) << 16);
}
inline std::uint32_t sxtb16_ror8(std::uint32_t x) { return sxtb16((x >> 8) | (x << 24)); }
// SMLAD: acc + x.lo * y.lo + x.hi * y.hi, modulo 2^32.
inline std::int32_t smlad(std::uint32_t x, std::uint32_t y, std::int32_t acc) {
  const std::int32_t lo = static_cast<std::int16_t>(x & 0xffff) * static_cast<std::int16_t>(y & 0xffff);
  const std::int32_t hi = static_cast<std::int16_t>(x >> 16) * static_cast<std::int16_t>(y >> 16);
  return static_cast<std::int32_t>(static_cast<std::uint32_t>(acc) + static_cast<std::uint32_t>(lo) +
                                   static_cast<std::uint32_t>(hi));
}
#endif

inline std::uint32_t load_word(const void* p) {
  std::uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

std::uint32_t padded_k(std::int32_t k) { return static_cast<std::uint32_t>((k + 3) / 4 * 4); }

// Dot product of `k` int8 weights with the widened, reordered column; columns shorter than a
// multiple of four are padded with zeros, so the weights' tail is read scalar.
inline std::int32_t dot(const std::int8_t* w, const std::int16_t* column, std::int32_t k) {
  std::int32_t acc = 0;
  std::int32_t i = 0;
  for (; i + 4 <= k; i += 4) {
    const std::uint32_t weights = load_word(w + i);
    acc = smlad(sxtb16(weights), load_word(column + i), acc);
    acc = smlad(sxtb16_ror8(weights), load_word(column + i + 2), acc);
  }
  for (; i < k; ++i) acc += w[i] * column[i];
  return acc;
}

// Stores v at position i of a column in SXTB16 order: within each four, 0 2 1 3; the tail
// (after the last full four) in plain order, as dot() reads it.
inline void put(std::int16_t* column, std::int32_t i, std::int32_t full, std::int16_t v) {
  if (i >= full) {
    column[i] = v;
    return;
  }
  static constexpr std::int32_t kSlot[4] = {0, 2, 1, 3};
  column[(i & ~3) + kSlot[i & 3]] = v;
}

inline std::int8_t requantize(std::int32_t acc, float scale, std::int32_t zero_point, std::int32_t lo,
                              std::int32_t hi) {
  return static_cast<std::int8_t>(quant::requantize_accumulator(acc, scale, zero_point, lo, hi));
}

std::int64_t max_abs_bias(const std::int32_t* bias, std::int32_t n) {
  std::int64_t m = 0;
  for (std::int32_t i = 0; bias != nullptr && i < n; ++i) {
    const std::int64_t v = bias[i] < 0 ? -static_cast<std::int64_t>(bias[i]) : bias[i];
    if (v > m) m = v;
  }
  return m;
}

}  // namespace

// Two columns: output pixels go in pairs, so each weight word is loaded and unpacked once for
// both.
std::uint32_t conv_dsp_scratch_bytes(const ConvParams& p) {
  return 2 * 2 * padded_k(p.in_channels / p.group * p.kernel_h * p.kernel_w);
}

bool conv_accumulators_fit_int32(const ConvParams& p, const std::int32_t* bias) {
  if (p.group != 1) return false;  // the DSP form is for dense convolutions
  const std::int64_t k = static_cast<std::int64_t>(p.in_channels) * p.kernel_h * p.kernel_w;
  return max_abs_bias(bias, p.out_channels) + k * 255 * 255 <= INT32_MAX;
}

namespace {

// The window of output pixel `pixel`, widened: element (c, ky, kx) in the weights' order, in
// SXTB16 order (put). Returns the sum of its elements (for a weight zero point).
std::int32_t fill_column(const ConvParams& p, const ConvOperands& o, std::int32_t pixel, std::int16_t* column,
                         std::int32_t full) {
  const std::int32_t oy = pixel / p.out_w, ox = pixel % p.out_w;
  const std::int32_t plane = p.in_h * p.in_w;
  std::int32_t sum = 0, i = 0;
  for (std::int32_t c = 0; c < p.in_channels; ++c) {
    for (std::int32_t ky = 0; ky < p.kernel_h; ++ky) {
      const std::int32_t iy = oy * p.stride_h - p.pad_top + ky * p.dilation_h;
      for (std::int32_t kx = 0; kx < p.kernel_w; ++kx, ++i) {
        const std::int32_t ix = ox * p.stride_w - p.pad_left + kx * p.dilation_w;
        const bool inside = iy >= 0 && iy < p.in_h && ix >= 0 && ix < p.in_w;
        const std::int32_t v = inside ? o.x[c * plane + iy * p.in_w + ix] - o.x_zero_point : 0;
        sum += v;
        put(column, i, full, static_cast<std::int16_t>(v));
      }
    }
  }
  return sum;
}

// acc - w_zp * sum + bias, modulo 2^32, requantised.
inline std::int8_t finish(std::int32_t dot_product, std::int32_t w_zero_point, std::int32_t sum,
                          const std::int32_t* bias, std::int32_t m, const ConvParams& p, const ConvOperands& o) {
  std::uint32_t acc = static_cast<std::uint32_t>(dot_product);
  acc -= static_cast<std::uint32_t>(w_zero_point) * static_cast<std::uint32_t>(sum);
  if (bias != nullptr) acc += static_cast<std::uint32_t>(bias[m]);
  return requantize(static_cast<std::int32_t>(acc), o.scales[m], o.y_zero_point, p.act_lo, p.act_hi);
}

}  // namespace

void conv_dsp(const ConvParams& p, const ConvOperands& o, std::int16_t* scratch) {
  const std::int32_t k = p.in_channels * p.kernel_h * p.kernel_w;
  const std::int32_t full = k / 4 * 4;
  const std::int32_t out_plane = p.out_h * p.out_w;
  std::int16_t* column_a = scratch;
  std::int16_t* column_b = scratch + padded_k(k);
  for (std::int32_t pixel = 0; pixel < out_plane; pixel += 2) {
    const bool pair = pixel + 1 < out_plane;
    const std::int32_t sum_a = fill_column(p, o, pixel, column_a, full);
    const std::int32_t sum_b = pair ? fill_column(p, o, pixel + 1, column_b, full) : 0;
    for (std::int32_t m = 0; m < p.out_channels; ++m) {
      const std::int8_t* w = o.w + m * k;
      std::int32_t acc_a = 0, acc_b = 0;
      std::int32_t i = 0;
      if (pair) {
        for (; i < full; i += 4) {
          const std::uint32_t weights = load_word(w + i);
          const std::uint32_t even = sxtb16(weights), odd = sxtb16_ror8(weights);
          acc_a = smlad(even, load_word(column_a + i), acc_a);
          acc_a = smlad(odd, load_word(column_a + i + 2), acc_a);
          acc_b = smlad(even, load_word(column_b + i), acc_b);
          acc_b = smlad(odd, load_word(column_b + i + 2), acc_b);
        }
        for (; i < k; ++i) {
          acc_a += w[i] * column_a[i];
          acc_b += w[i] * column_b[i];
        }
      } else {
        acc_a = dot(w, column_a, k);
      }
      const std::int32_t w_zero_point = o.w_zero_points[p.per_channel ? m : 0];
      o.y[m * out_plane + pixel] = finish(acc_a, w_zero_point, sum_a, o.bias, m, p, o);
      if (pair) o.y[m * out_plane + pixel + 1] = finish(acc_b, w_zero_point, sum_b, o.bias, m, p, o);
    }
  }
}

std::uint32_t gemm_dsp_scratch_bytes(const GemmParams& p) { return 2 * padded_k(p.k); }

bool gemm_accumulators_fit_int32(const GemmParams& p, const std::int32_t* bias) {
  if (p.trans_a || !p.trans_b) return false;  // the DSP form reads rows of A and of B^T (weights [N, K])
  return max_abs_bias(bias, p.n) + static_cast<std::int64_t>(p.k) * 255 * 255 <= INT32_MAX;
}

void gemm_dsp(const GemmParams& p, const GemmOperands& o, std::int16_t* row) {
  const std::int32_t full = p.k / 4 * 4;
  for (std::int32_t i = 0; i < p.m; ++i) {
    std::int32_t sum = 0;
    for (std::int32_t kk = 0; kk < p.k; ++kk) {
      const std::int32_t v = o.a[i * p.k + kk] - o.a_zero_point;
      sum += v;
      put(row, kk, full, static_cast<std::int16_t>(v));
    }
    for (std::int32_t j = 0; j < p.n; ++j) {
      const std::int32_t b_zero_point = o.b_zero_points[p.per_column ? j : 0];
      std::uint32_t acc = static_cast<std::uint32_t>(dot(o.b + j * p.k, row, p.k));
      acc -= static_cast<std::uint32_t>(b_zero_point) * static_cast<std::uint32_t>(sum);
      if (o.bias != nullptr) acc += static_cast<std::uint32_t>(o.bias[j]);
      o.y[i * p.n + j] = requantize(static_cast<std::int32_t>(acc), o.scales[j], o.y_zero_point, p.act_lo, p.act_hi);
    }
  }
}

const char* product_kernels_name() {
#if defined(__ARM_FEATURE_DSP) && !defined(EDGEAI_MICRO_REFERENCE)
  return "dsp";
#else
  return "reference";
#endif
}

}  // namespace edgeai::micro
