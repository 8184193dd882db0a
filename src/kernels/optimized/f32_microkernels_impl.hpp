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

// MR x (NV * width) tile; the accumulators stay in registers (MR * NV of them).
template <class S, int MR, int NV>
void f32_gemm_tile(const F32GemmTile& t) {
  using V = typename S::V;
  constexpr int W = S::kWidth;
  constexpr int NR = NV * W;
  V acc[MR][NV];
  if (t.accumulate) {
    for (int i = 0; i < MR; ++i) {
      for (int j = 0; j < NV; ++j) acc[i][j] = i < t.m ? S::load_partial(t.c + i * t.ldc + j * W, t.n - j * W) : S::zero();
    }
  } else {
    V col[NV];
    for (int j = 0; j < NV; ++j) {
      col[j] = t.bias_col != nullptr ? S::load_partial(t.bias_col + j * W, t.n - j * W) : S::zero();
    }
    for (int i = 0; i < MR; ++i) {
      const V row = S::set1(t.bias_row != nullptr && i < t.m ? t.bias_row[i] : 0.0f);
      for (int j = 0; j < NV; ++j) acc[i][j] = S::add(col[j], row);
    }
  }
  const float* a = t.a;
  const float* b = t.b;
  for (int p = 0; p < t.k; ++p, a += MR, b += NR) {
    V bv[NV];
    for (int j = 0; j < NV; ++j) bv[j] = S::load(b + j * W);
    for (int i = 0; i < MR; ++i) {
      const V av = S::set1(a[i]);
      for (int j = 0; j < NV; ++j) acc[i][j] = S::fma(av, bv[j], acc[i][j]);
    }
  }
  const V lo = S::set1(t.lo);
  const V hi = S::set1(t.hi);
  for (int i = 0; i < MR; ++i) {
    if (i >= t.m) break;
    float* c = t.c + i * t.ldc;
    for (int j = 0; j < NV; ++j) {
      const V v = t.clamp ? clamp_vec<S>(acc[i][j], lo, hi) : acc[i][j];
      S::store_partial(c + j * W, v, t.n - j * W);
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

}  // namespace
}  // namespace edgeai
