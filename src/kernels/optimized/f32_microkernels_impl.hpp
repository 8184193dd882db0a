// The f32 micro-kernel templates, written once over a vector type S (x86::F32x16,
// x86::F32x8, arm::F32x4: zero, set1, load, load_partial, store, store_partial, fma, max,
// min). Included only by the ISA files; everything here has internal linkage so that code
// compiled for one ISA is never linked in place of another's (no std:: templates either).
#pragma once

#include "kernels/optimized/f32_microkernels.hpp"

namespace edgeai {
namespace {

template <class S>
inline typename S::V clamp_vec(typename S::V v, typename S::V lo, typename S::V hi) {
  return S::min(S::max(v, lo), hi);
}

// Packed weights stream from memory once per run (a model's weights outgrow the caches): the
// hardware prefetcher restarts at every 4 KiB page, so the GEMM tiles ask for the panel rows
// they will read this many steps ahead.
constexpr int kPrefetchRows = 16;
inline void prefetch_ahead(const float* p) { __builtin_prefetch(p, 0, 3); }

// A tile's accumulators at the start: C itself for a later K block, else the biases.
template <class S, int MR, int NV>
inline void tile_start(const F32GemmTile& t, typename S::V (&acc)[MR][NV]) {
  using V = typename S::V;
  constexpr int W = S::kWidth;
  if (t.accumulate) {
    for (int i = 0; i < MR; ++i) {
      for (int j = 0; j < NV; ++j) acc[i][j] = i < t.m ? S::load_partial(t.c + i * t.ldc + j * W, t.n - j * W) : S::zero();
    }
    return;
  }
  V col[NV];
  for (int j = 0; j < NV; ++j) col[j] = t.bias_col != nullptr ? S::load_partial(t.bias_col + j * W, t.n - j * W) : S::zero();
  for (int i = 0; i < MR; ++i) {
    const V row = S::set1(t.bias_row != nullptr && i < t.m ? t.bias_row[i] : 0.0f);
    for (int j = 0; j < NV; ++j) acc[i][j] = S::add(col[j], row);
  }
}

// The tile's m x n results into C, clamped when asked.
template <class S, int MR, int NV>
inline void tile_finish(const F32GemmTile& t, const typename S::V (&acc)[MR][NV]) {
  using V = typename S::V;
  constexpr int W = S::kWidth;
  const V lo = S::set1(t.lo);
  const V hi = S::set1(t.hi);
  for (int i = 0; i < MR && i < t.m; ++i) {
    float* c = t.c + i * t.ldc;
    for (int j = 0; j < NV; ++j) S::store_partial(c + j * W, t.clamp ? clamp_vec<S>(acc[i][j], lo, hi) : acc[i][j], t.n - j * W);
  }
}

// MR x (NV * width) tile; the accumulators stay in registers (MR * NV of them).
template <class S, int MR, int NV>
void f32_gemm_tile(const F32GemmTile& t) {
  using V = typename S::V;
  constexpr int W = S::kWidth;
  constexpr int NR = NV * W;
  V acc[MR][NV];
  tile_start<S, MR, NV>(t, acc);
  const float* a = t.a;
  const float* b = t.b;
  for (int p = 0; p < t.k; ++p, a += MR, b += NR) {
    V bv[NV];
    for (int j = 0; j < NV; ++j) {
      prefetch_ahead(b + kPrefetchRows * NR + j * W);
      bv[j] = S::load(b + j * W);
    }
    for (int i = 0; i < MR; ++i) {
      const V av = S::set1(a[i]);
      for (int j = 0; j < NV; ++j) acc[i][j] = S::fma(av, bv[j], acc[i][j]);
    }
  }
  tile_finish<S, MR, NV>(t, acc);
}

// f32_gemm_tile with B rows at t.b + t.b_offsets[p] (see F32GemmTile).
template <class S, int MR, int NV>
void f32_gemm_tile_indirect(const F32GemmTile& t) {
  using V = typename S::V;
  constexpr int W = S::kWidth;
  V acc[MR][NV];
  tile_start<S, MR, NV>(t, acc);
  // Full vectors even when n < NR: the caller guarantees NR readable floats past every row
  // start (the lanes past n are never stored).
  const float* a = t.a;
  for (int p = 0; p < t.k; ++p, a += MR) {
    const float* b = t.b + t.b_offsets[p];
    V bv[NV];
    for (int j = 0; j < NV; ++j) bv[j] = S::load(b + j * W);
    for (int i = 0; i < MR; ++i) {
      const V av = S::set1(a[i]);
      for (int j = 0; j < NV; ++j) acc[i][j] = S::fma(av, bv[j], acc[i][j]);
    }
  }
  tile_finish<S, MR, NV>(t, acc);
}

// MR x (NV * width) tile of the channels-last GEMM through row pointers, whose pointers
// come PR per tap (the table's mr: a short tile runs a kernel of fewer rows on them).
template <class S, int MR, int NV, int PR = MR>
void f32_gemm_rows_tile(const F32RowsGemmTile& t) {
  using V = typename S::V;
  constexpr int W = S::kWidth;
  constexpr int NR = NV * W;
  // A last tile of few rows (49 pixels: 6 x 8 + 1) costs what its rows cost, not MR rows.
  if constexpr (MR > 1) {
    if (t.m <= MR / 2) return f32_gemm_rows_tile<S, MR / 2, NV, PR>(t);
  }
  V acc[MR][NV];
  if (t.accumulate) {
    for (int i = 0; i < MR; ++i) {
      for (int j = 0; j < NV; ++j) acc[i][j] = i < t.m ? S::load_partial(t.c + i * t.ldc + j * W, t.n - j * W) : S::zero();
    }
  } else {
    for (int j = 0; j < NV; ++j) {
      const V b = t.bias != nullptr ? S::load_partial(t.bias + j * W, t.n - j * W) : S::zero();
      for (int i = 0; i < MR; ++i) acc[i][j] = b;
    }
  }
  const char* stream = t.stream;
  int stream_left = t.stream_lines;
  for (int tap = 0; tap < t.taps; ++tap) {
    const float* a[MR];
    for (int i = 0; i < MR; ++i) a[i] = t.a[tap * PR + i] + t.a_offset;
    const float* b = t.b + tap * t.b_tap_stride;
    // Unrolled: the loop's own instructions take issue slots from the broadcasts and FMAs.
#pragma GCC unroll 4
    for (int p = 0; p < t.kc; ++p, b += NR) {
      if (stream_left > 0 && (p & 1) == 0) {
        __builtin_prefetch(stream, 0, 2);  // into L2 (prefetcht1 on x86)
        stream += 64;
        --stream_left;
      }
      V bv[NV];
      for (int j = 0; j < NV; ++j) {
        prefetch_ahead(b + kPrefetchRows * NR + j * W);
        bv[j] = S::load(b + j * W);
      }
      for (int i = 0; i < MR; ++i) {
        const V av = S::set1(a[i][p]);
        for (int j = 0; j < NV; ++j) acc[i][j] = S::fma(av, bv[j], acc[i][j]);
      }
    }
  }
  const V lo = S::set1(t.lo);
  const V hi = S::set1(t.hi);
  for (int i = 0; i < MR && i < t.m; ++i) {
    float* c = t.c + i * t.ldc;
    for (int j = 0; j < NV; ++j) S::store_partial(c + j * W, t.clamp ? clamp_vec<S>(acc[i][j], lo, hi) : acc[i][j], t.n - j * W);
  }
}

// Winograd F(2x2, 3x3) input transform (F32WinogradInput): B^T d B with
// B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1], columns then rows, a vector of channels at a time.
template <class S>
void f32_winograd_input(const F32WinogradInput& call) {
  using V = typename S::V;
  constexpr int W = S::kWidth;
  for (int c = 0; c < call.channels; c += W) {
    const int n = call.channels - c;
    V t[16];
    for (int col = 0; col < 4; ++col) {
      const V d0 = S::load_partial(call.d[col] + c, n), d1 = S::load_partial(call.d[4 + col] + c, n);
      const V d2 = S::load_partial(call.d[8 + col] + c, n), d3 = S::load_partial(call.d[12 + col] + c, n);
      t[col] = S::sub(d0, d2);
      t[4 + col] = S::add(d1, d2);
      t[8 + col] = S::sub(d2, d1);
      t[12 + col] = S::sub(d1, d3);
    }
    float* v = call.v + c;
    for (int row = 0; row < 4; ++row) {
      const V* r = t + 4 * row;
      S::store_partial(v + (4 * row + 0) * call.v_stride, S::sub(r[0], r[2]), n);
      S::store_partial(v + (4 * row + 1) * call.v_stride, S::add(r[1], r[2]), n);
      S::store_partial(v + (4 * row + 2) * call.v_stride, S::sub(r[2], r[1]), n);
      S::store_partial(v + (4 * row + 3) * call.v_stride, S::sub(r[1], r[3]), n);
    }
  }
}

// Winograd F(2x2, 3x3) output transform (F32WinogradOutput): A^T m A with
// A^T = [1 1 1 0; 0 1 -1 -1], then the bias and the clamp.
template <class S>
void f32_winograd_output(const F32WinogradOutput& call) {
  using V = typename S::V;
  constexpr int W = S::kWidth;
  const V lo = S::set1(call.lo);
  const V hi = S::set1(call.hi);
  for (int c = 0; c < call.channels; c += W) {
    const int n = call.channels - c;
    V t[8];  // A^T m: two rows of four
    for (int col = 0; col < 4; ++col) {
      const float* m = call.m + c + col * call.m_stride;
      const V m0 = S::load_partial(m, n), m1 = S::load_partial(m + 4 * call.m_stride, n);
      const V m2 = S::load_partial(m + 8 * call.m_stride, n), m3 = S::load_partial(m + 12 * call.m_stride, n);
      t[col] = S::add(S::add(m0, m1), m2);
      t[4 + col] = S::sub(S::sub(m1, m2), m3);
    }
    const V bias = call.bias != nullptr ? S::load_partial(call.bias + c, n) : S::zero();
    for (int row = 0; row < 2; ++row) {
      const V* r = t + 4 * row;
      V out[2] = {S::add(S::add(S::add(r[0], r[1]), r[2]), bias), S::add(S::sub(S::sub(r[1], r[2]), r[3]), bias)};
      for (int col = 0; col < 2; ++col) {
        float* y = call.y[2 * row + col];
        if (y != nullptr) S::store_partial(y + c, call.clamp ? clamp_vec<S>(out[col], lo, hi) : out[col], n);
      }
    }
  }
}

// P output pixels from pixel x on: each tap's weight vectors are loaded once for all P.
template <class S, int P>
void depthwise_pixel_group(const F32ChannelsLastPixels& d, int x, typename S::V lo, typename S::V hi) {
  using V = typename S::V;
  constexpr int W = S::kWidth;
  const float* const* in[P];
  float* out[P];
  for (int i = 0; i < P; ++i) {
    in[i] = d.in + static_cast<std::ptrdiff_t>(x + i) * d.taps;
    out[i] = d.out + (x + i) * d.out_stride;
  }
  int c = 0;
  for (; c + 2 * W <= d.channels; c += 2 * W) {
    V a[P][2];
    for (int i = 0; i < P; ++i) {
      a[i][0] = S::load(d.bias + c);
      a[i][1] = S::load(d.bias + c + W);
    }
    const float* w = d.weights + c;
    for (int t = 0; t < d.taps; ++t, w += d.channels) {
      const V w0 = S::load(w), w1 = S::load(w + W);
      for (int i = 0; i < P; ++i) {
        a[i][0] = S::fma(w0, S::load(in[i][t] + c), a[i][0]);
        a[i][1] = S::fma(w1, S::load(in[i][t] + c + W), a[i][1]);
      }
    }
    for (int i = 0; i < P; ++i) {
      for (int j = 0; j < 2; ++j) S::store(out[i] + c + j * W, d.clamp ? clamp_vec<S>(a[i][j], lo, hi) : a[i][j]);
    }
  }
  for (; c < d.channels; c += W) {
    const int n = d.channels - c;
    V a[P];
    for (int i = 0; i < P; ++i) a[i] = S::load_partial(d.bias + c, n);
    const float* w = d.weights + c;
    for (int t = 0; t < d.taps; ++t, w += d.channels) {
      const V wv = S::load_partial(w, n);
      for (int i = 0; i < P; ++i) a[i] = S::fma(wv, S::load_partial(in[i][t] + c, n), a[i]);
    }
    for (int i = 0; i < P; ++i) S::store_partial(out[i] + c, d.clamp ? clamp_vec<S>(a[i], lo, hi) : a[i], n);
  }
}

template <class S>
void f32_depthwise_pixels(const F32ChannelsLastPixels& d) {
  const typename S::V lo = S::set1(d.lo);
  const typename S::V hi = S::set1(d.hi);
  int x = 0;
  for (; x + 4 <= d.pixels; x += 4) depthwise_pixel_group<S, 4>(d, x, lo, hi);
  for (; x + 2 <= d.pixels; x += 2) depthwise_pixel_group<S, 2>(d, x, lo, hi);
  if (x < d.pixels) depthwise_pixel_group<S, 1>(d, x, lo, hi);
}

template <class S>
void f32_max_pixels(const F32ChannelsLastPixels& d) {
  using V = typename S::V;
  constexpr int W = S::kWidth;
  const V lowest = S::set1(-3.40282347e+38f);
  for (int x = 0; x < d.pixels; ++x) {
    const float* const* in = d.in + static_cast<std::ptrdiff_t>(x) * d.taps;
    float* out = d.out + x * d.out_stride;
    int c = 0;
    // max(value, acc): a NaN value leaves acc (the reference's `v > y ? v : y` skips NaN).
    for (; c + 2 * W <= d.channels; c += 2 * W) {
      V a0 = lowest, a1 = lowest;
      for (int t = 0; t < d.taps; ++t) {
        a0 = S::max(S::load(in[t] + c), a0);
        a1 = S::max(S::load(in[t] + c + W), a1);
      }
      S::store(out + c, a0);
      S::store(out + c + W, a1);
    }
    for (; c < d.channels; c += W) {
      const int n = d.channels - c;
      V a = lowest;
      for (int t = 0; t < d.taps; ++t) a = S::max(S::load_partial(in[t] + c, n), a);
      S::store_partial(out + c, a, n);
    }
  }
}

template <class S>
void f32_depthwise_row(const F32DepthwiseRow& r) {
  using V = typename S::V;
  constexpr int W = S::kWidth;
  const V lo = S::set1(r.lo);
  const V hi = S::set1(r.hi);
  const V bias = S::set1(r.bias);
  int x = 0;
  for (; x + 4 * W <= r.width; x += 4 * W) {
    V a0 = bias, a1 = bias, a2 = bias, a3 = bias;
    for (int t = 0; t < r.taps; ++t) {
      const V w = S::set1(r.weights[t]);
      const float* in = r.rows[t] + x;
      a0 = S::fma(w, S::load(in), a0);
      a1 = S::fma(w, S::load(in + W), a1);
      a2 = S::fma(w, S::load(in + 2 * W), a2);
      a3 = S::fma(w, S::load(in + 3 * W), a3);
    }
    if (r.clamp) {
      a0 = clamp_vec<S>(a0, lo, hi);
      a1 = clamp_vec<S>(a1, lo, hi);
      a2 = clamp_vec<S>(a2, lo, hi);
      a3 = clamp_vec<S>(a3, lo, hi);
    }
    S::store(r.out + x, a0);
    S::store(r.out + x + W, a1);
    S::store(r.out + x + 2 * W, a2);
    S::store(r.out + x + 3 * W, a3);
  }
  for (; x < r.width; x += W) {
    const int n = r.width - x;
    V a = bias;
    for (int t = 0; t < r.taps; ++t) a = S::fma(S::set1(r.weights[t]), S::load_partial(r.rows[t] + x, n), a);
    if (r.clamp) a = clamp_vec<S>(a, lo, hi);
    S::store_partial(r.out + x, a, n);
  }
}

// exp(x), Cephes-style: x = n ln2 + r with |r| <= ln2/2, exp(r) by a degree-6 polynomial,
// scaled by 2^n. Inputs are clamped to [-87.3, 88.7] (results stay normal and finite);
// about 1 ulp from std::exp inside that range.
template <class S>
inline typename S::V exp_vec(typename S::V x) {
  using V = typename S::V;
  x = S::min(S::max(x, S::set1(-87.33654f)), S::set1(88.72283f));
  const V n = S::round(S::mul(x, S::set1(1.44269504088896341f)));
  V r = S::fma(n, S::set1(-0.693359375f), x);
  r = S::fma(n, S::set1(2.12194440e-4f), r);
  V p = S::set1(1.9875691500e-4f);
  p = S::fma(p, r, S::set1(1.3981999507e-3f));
  p = S::fma(p, r, S::set1(8.3334519073e-3f));
  p = S::fma(p, r, S::set1(4.1665795894e-2f));
  p = S::fma(p, r, S::set1(1.6666665459e-1f));
  p = S::fma(p, r, S::set1(5.0000001201e-1f));
  p = S::fma(p, S::mul(r, r), S::add(r, S::set1(1.0f)));
  return S::scale_pow2(p, n);
}

// 1 / (1 + exp(-x)) with the refined reciprocal estimate instead of a division. The sum is
// capped at the largest float: where exp overflows (an infinite sum) the estimate of 1/inf
// is 0 and its Newton step would be inf * 0.
template <class S>
inline typename S::V sigmoid_vec(typename S::V x) {
  const typename S::V sum = S::add(S::set1(1.0f), exp_vec<S>(S::sub(S::zero(), x)));
  return S::reciprocal(S::min(sum, S::set1(3.40282347e+38f)));
}

// The FusedActivation formulas on a vector (kind as in graph/fused_activation.hpp; kKind < 0:
// read it from the call).
template <class S, int kKind = -1>
inline typename S::V activation_vec(const F32ActivationCall& c, typename S::V x) {
  using V = typename S::V;
  const V zero = S::zero();
  const V one = S::set1(1.0f);
  switch (kKind >= 0 ? kKind : c.kind) {
    case 1: return S::max(x, zero);                                       // Relu
    case 2: return S::min(S::max(x, S::set1(c.alpha)), S::set1(c.beta));  // Clip
    case 3: return S::select_nonnegative(x, x, S::mul(S::set1(c.alpha), x));  // LeakyRelu
    case 4:                                                               // HardSigmoid
      return S::max(zero, S::min(one, S::add(S::mul(S::set1(c.alpha), x), S::set1(c.beta))));
    case 5:  // HardSwish: x * max(0, min(1, x / 6 + 0.5))
      return S::mul(x, S::max(zero, S::min(one, S::add(S::div(x, S::set1(6.0f)), S::set1(0.5f)))));
    case 6:  // Sigmoid: 1 / (1 + exp(-x))
      return sigmoid_vec<S>(x);
    case 8:  // SiLU: x * Sigmoid(x)
      return S::mul(x, sigmoid_vec<S>(x));
    case 9:  // GatedHardSigmoid: x * HardSigmoid(x)
      return S::mul(x, S::max(zero, S::min(one, S::add(S::mul(S::set1(c.alpha), x), S::set1(c.beta)))));
    default: return x;
  }
}

template <class S, int kKind>
void f32_activation_of_kind(const F32ActivationCall& c) {
  constexpr int W = S::kWidth;
  std::ptrdiff_t i = 0;
  for (; i + W <= c.n; i += W) S::store(c.y + i, activation_vec<S, kKind>(c, S::load(c.x + i)));
  if (i < c.n) {
    const int rest = static_cast<int>(c.n - i);
    S::store_partial(c.y + i, activation_vec<S, kKind>(c, S::load_partial(c.x + i, rest)), rest);
  }
}

template <class S>
void f32_activation(const F32ActivationCall& c) {
  // One loop per kind, so that the kind is not tested per vector.
  switch (c.kind) {
    case 1: return f32_activation_of_kind<S, 1>(c);
    case 2: return f32_activation_of_kind<S, 2>(c);
    case 3: return f32_activation_of_kind<S, 3>(c);
    case 4: return f32_activation_of_kind<S, 4>(c);
    case 5: return f32_activation_of_kind<S, 5>(c);
    case 6: return f32_activation_of_kind<S, 6>(c);
    case 8: return f32_activation_of_kind<S, 8>(c);
    case 9: return f32_activation_of_kind<S, 9>(c);
    default: return f32_activation_of_kind<S, 0>(c);
  }
}

template <class S>
inline typename S::V binary_vec(F32BinaryOp op, typename S::V a, typename S::V b) {
  switch (op) {
    case F32BinaryOp::kAdd: return S::add(a, b);
    case F32BinaryOp::kSub: return S::sub(a, b);
    case F32BinaryOp::kMul: return S::mul(a, b);
    case F32BinaryOp::kDiv: return S::div(a, b);
  }
  return a;
}

template <class S>
void f32_binary(const F32BinaryCall& c) {
  using V = typename S::V;
  constexpr int W = S::kWidth;
  const V a_one = c.a_step == 0 ? S::set1(c.a[0]) : S::zero();
  const V b_one = c.b_step == 0 ? S::set1(c.b[0]) : S::zero();
  std::ptrdiff_t i = 0;
  for (; i + W <= c.n; i += W) {
    const V a = c.a_step == 0 ? a_one : S::load(c.a + i);
    const V b = c.b_step == 0 ? b_one : S::load(c.b + i);
    S::store(c.y + i, binary_vec<S>(c.op, a, b));
  }
  if (i < c.n) {
    const int rest = static_cast<int>(c.n - i);
    const V a = c.a_step == 0 ? a_one : S::load_partial(c.a + i, rest);
    const V b = c.b_step == 0 ? b_one : S::load_partial(c.b + i, rest);
    S::store_partial(c.y + i, binary_vec<S>(c.op, a, b), rest);
  }
}

template <class S>
void f32_max_row(const F32MaxRow& r) {
  using V = typename S::V;
  constexpr int W = S::kWidth;
  const V lowest = S::set1(-3.40282347e+38f);
  int x = 0;
  // max(value, acc): a NaN value leaves acc (the reference's `v > y ? v : y` skips NaN).
  for (; x + 2 * W <= r.width; x += 2 * W) {
    V a0 = lowest, a1 = lowest;
    for (int t = 0; t < r.taps; ++t) {
      a0 = S::max(S::load(r.rows[t] + x), a0);
      a1 = S::max(S::load(r.rows[t] + x + W), a1);
    }
    S::store(r.out + x, a0);
    S::store(r.out + x + W, a1);
  }
  for (; x < r.width; x += W) {
    const int n = r.width - x;
    V a = lowest;
    for (int t = 0; t < r.taps; ++t) a = S::max(S::load_partial(r.rows[t] + x, n), a);
    S::store_partial(r.out + x, a, n);
  }
}

template <class S, int NV>
void f32_pack_b_rows(const float* src, std::ptrdiff_t ld, int rows, int n, float* dst) {
  using V = typename S::V;
  constexpr int W = S::kWidth;
  constexpr int NR = NV * W;
  if (n == NR) {
    for (int p = 0; p < rows; ++p, src += ld, dst += NR) {
      V v[NV];
      for (int j = 0; j < NV; ++j) v[j] = S::load(src + j * W);
      for (int j = 0; j < NV; ++j) S::store(dst + j * W, v[j]);
    }
    return;
  }
  for (int p = 0; p < rows; ++p, src += ld, dst += NR) {
    for (int j = 0; j < NV; ++j) S::store(dst + j * W, S::load_partial(src + j * W, n - j * W));
  }
}

// The lanes of v added up.
template <class S>
inline float lane_sum(typename S::V v) {
  constexpr int W = S::kWidth;
  float lanes[W];
  S::store(lanes, v);
  float total = 0.0f;
  for (int k = 0; k < W; ++k) total += lanes[k];
  return total;
}

// Four vectors of channels per pass over the pixels, the sums in registers.
template <class S>
void f32_column_sums(const float* x, std::ptrdiff_t pixels, std::ptrdiff_t stride, int channels, float* out) {
  using V = typename S::V;
  constexpr int W = S::kWidth;
  int c = 0;
  for (; c + 4 * W <= channels; c += 4 * W) {
    V a0 = S::zero(), a1 = S::zero(), a2 = S::zero(), a3 = S::zero();
    const float* p = x + c;
    for (std::ptrdiff_t i = 0; i < pixels; ++i, p += stride) {
      a0 = S::add(a0, S::load(p));
      a1 = S::add(a1, S::load(p + W));
      a2 = S::add(a2, S::load(p + 2 * W));
      a3 = S::add(a3, S::load(p + 3 * W));
    }
    S::store(out + c, a0);
    S::store(out + c + W, a1);
    S::store(out + c + 2 * W, a2);
    S::store(out + c + 3 * W, a3);
  }
  for (; c < channels; c += W) {
    const int n = channels - c;
    V a = S::zero();
    const float* p = x + c;
    for (std::ptrdiff_t i = 0; i < pixels; ++i, p += stride) a = S::add(a, S::load_partial(p, n));
    S::store_partial(out + c, a, n);
  }
}

// Four weight rows per pass (four streams the prefetchers follow), x from L1.
template <class S>
void f32_dot_rows(const F32DotRows& c) {
  using V = typename S::V;
  constexpr int W = S::kWidth;
  int r = 0;
  for (; r + 4 <= c.rows; r += 4) {
    const float* w0 = c.w + r * c.ldw;
    const float* w1 = w0 + c.ldw;
    const float* w2 = w1 + c.ldw;
    const float* w3 = w2 + c.ldw;
    V a0 = S::zero(), a1 = S::zero(), a2 = S::zero(), a3 = S::zero();
    int p = 0;
    for (; p + W <= c.k; p += W) {
      const V x = S::load(c.x + p);
      a0 = S::fma(S::load(w0 + p), x, a0);
      a1 = S::fma(S::load(w1 + p), x, a1);
      a2 = S::fma(S::load(w2 + p), x, a2);
      a3 = S::fma(S::load(w3 + p), x, a3);
    }
    if (p < c.k) {
      const int n = c.k - p;
      const V x = S::load_partial(c.x + p, n);
      a0 = S::fma(S::load_partial(w0 + p, n), x, a0);
      a1 = S::fma(S::load_partial(w1 + p, n), x, a1);
      a2 = S::fma(S::load_partial(w2 + p, n), x, a2);
      a3 = S::fma(S::load_partial(w3 + p, n), x, a3);
    }
    const float* b = c.bias != nullptr ? c.bias + r : nullptr;
    c.y[r] = lane_sum<S>(a0) + (b != nullptr ? b[0] : 0.0f);
    c.y[r + 1] = lane_sum<S>(a1) + (b != nullptr ? b[1] : 0.0f);
    c.y[r + 2] = lane_sum<S>(a2) + (b != nullptr ? b[2] : 0.0f);
    c.y[r + 3] = lane_sum<S>(a3) + (b != nullptr ? b[3] : 0.0f);
  }
  for (; r < c.rows; ++r) {
    const float* w = c.w + r * c.ldw;
    V a = S::zero();
    int p = 0;
    for (; p + W <= c.k; p += W) a = S::fma(S::load(w + p), S::load(c.x + p), a);
    if (p < c.k) a = S::fma(S::load_partial(w + p, c.k - p), S::load_partial(c.x + p, c.k - p), a);
    c.y[r] = lane_sum<S>(a) + (c.bias != nullptr ? c.bias[r] : 0.0f);
  }
}

template <class S>
float f32_sum(const float* x, std::ptrdiff_t n) {
  using V = typename S::V;
  constexpr int W = S::kWidth;
  V a0 = S::zero(), a1 = S::zero();
  std::ptrdiff_t i = 0;
  for (; i + 2 * W <= n; i += 2 * W) {
    a0 = S::add(a0, S::load(x + i));
    a1 = S::add(a1, S::load(x + i + W));
  }
  for (; i < n; i += W) a0 = S::add(a0, S::load_partial(x + i, static_cast<int>(n - i)));
  float lanes[W];
  S::store(lanes, S::add(a0, a1));
  float total = 0.0f;
  for (int k = 0; k < W; ++k) total += lanes[k];
  return total;
}

// Scalar is fast enough here on every ISA (one pass per depthwise input plane).
inline void deinterleave2_scalar(const float* src, std::ptrdiff_t n, float* even, float* odd) {
  std::ptrdiff_t i = 0;
  for (; i + 1 < n; i += 2) {
    even[i / 2] = src[i];
    odd[i / 2] = src[i + 1];
  }
  if (i < n) even[i / 2] = src[i];
}

}  // namespace
}  // namespace edgeai
