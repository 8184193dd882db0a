// Broadcasting plans shared by the reference kernels: numpy-style multidirectional
// broadcasting of two inputs (Add, Mul, QLinearAdd, ...) and the batch broadcasting of
// numpy.matmul (MatMul, QLinearMatMul, MatMulInteger). Computed at prepare(); the loops
// allocate nothing. Depends on core and graph only.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <vector>

#include "core/shape.hpp"
#include "core/status.hpp"
#include "graph/graph.hpp"

namespace edgeai {

// Broadcasting. ONNX "Broadcasting in ONNX" (numpy rules): shapes are right-aligned, a
// dimension of 1 stretches. We give every input element strides over the output's
// dimensions (0 where the input is broadcast), drop output dimensions of 1, and merge
// neighbouring dimensions that both inputs walk contiguously (or both repeat), so that
// same-shape, scalar and per-channel cases become one long inner loop.
struct BroadcastPlan {
  std::vector<std::int64_t> dims;       // merged output dimensions (may be empty: one element)
  std::vector<std::int64_t> a_strides;  // element strides of input a over `dims`
  std::vector<std::int64_t> b_strides;
  std::vector<std::int64_t> counter;  // run-time index over dims[0..n-2]; sized here, not in run()
  std::int64_t count = 0;             // output elements
};

inline std::vector<std::int64_t> broadcast_strides(const Shape& in, const Shape& out) {
  std::vector<std::int64_t> in_strides = row_major_strides(in);
  std::vector<std::int64_t> strides(out.size(), 0);
  const std::size_t offset = out.size() - in.size();
  for (std::size_t i = 0; i < in.size(); ++i) strides[offset + i] = in[i] == 1 ? 0 : in_strides[i];
  return strides;
}

inline BroadcastPlan make_broadcast_plan(const Shape& a, const Shape& b, const Shape& out) {
  std::vector<std::int64_t> as = broadcast_strides(a, out);
  std::vector<std::int64_t> bs = broadcast_strides(b, out);
  BroadcastPlan plan;
  plan.count = element_count(out).value_or(0);
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (out[i] == 1) continue;
    const bool mergeable =
        !plan.dims.empty() && plan.a_strides.back() == as[i] * out[i] && plan.b_strides.back() == bs[i] * out[i];
    if (mergeable) {
      plan.dims.back() *= out[i];
      plan.a_strides.back() = as[i];
      plan.b_strides.back() = bs[i];
    } else {
      plan.dims.push_back(out[i]);
      plan.a_strides.push_back(as[i]);
      plan.b_strides.push_back(bs[i]);
    }
  }
  plan.counter.assign(plan.dims.size(), 0);
  return plan;
}

// out[i] = fn(a[offset_a(i)], b[offset_b(i)]) over the row-major output index i.
template <typename TA, typename TB, typename TO, typename Fn>
void broadcast_apply(BroadcastPlan& plan, const TA* a, const TB* b, TO* out, Fn fn) {
  if (plan.count == 0) return;
  if (plan.dims.empty()) {
    out[0] = fn(a[0], b[0]);
    return;
  }
  const std::size_t last = plan.dims.size() - 1;
  const std::int64_t inner = plan.dims[last];
  const std::int64_t sa = plan.a_strides[last];
  const std::int64_t sb = plan.b_strides[last];
  std::fill(plan.counter.begin(), plan.counter.end(), 0);
  std::int64_t a_off = 0;
  std::int64_t b_off = 0;
  for (std::int64_t row = 0, rows = plan.count / inner; row < rows; ++row) {
    const TA* pa = a + a_off;
    const TB* pb = b + b_off;
    if (sa == 1 && sb == 1) {
      for (std::int64_t i = 0; i < inner; ++i) out[i] = fn(pa[i], pb[i]);
    } else if (sa == 1 && sb == 0) {
      const TB vb = pb[0];
      for (std::int64_t i = 0; i < inner; ++i) out[i] = fn(pa[i], vb);
    } else if (sa == 0 && sb == 1) {
      const TA va = pa[0];
      for (std::int64_t i = 0; i < inner; ++i) out[i] = fn(va, pb[i]);
    } else {
      for (std::int64_t i = 0; i < inner; ++i) out[i] = fn(pa[i * sa], pb[i * sb]);
    }
    out += inner;
    // Advance the multi-index over the outer dimensions (odometer order).
    for (std::size_t d = last; d-- > 0;) {
      a_off += plan.a_strides[d];
      b_off += plan.b_strides[d];
      if (++plan.counter[d] < plan.dims[d]) break;
      a_off -= plan.a_strides[d] * plan.dims[d];
      b_off -= plan.b_strides[d] * plan.dims[d];
      plan.counter[d] = 0;
    }
  }
}

// numpy.matmul (https://onnx.ai/onnx/operators/onnx__MatMul.html): A is [..., M, K] (a 1-D A
// is [1, K]), B is [..., K, N] (a 1-D B is [K, 1]), and the batch axes broadcast. For every
// output batch, in row-major order, the element offsets of its A and B blocks.
struct MatMulPlan {
  std::int64_t m = 0, k = 0, n = 0;
  std::vector<std::int64_t> a_offsets;
  std::vector<std::int64_t> b_offsets;

  std::int64_t batches() const { return static_cast<std::int64_t>(a_offsets.size()); }
};

inline Result<MatMulPlan> make_matmul_plan(const Node& node, const Shape& a_shape, const Shape& b_shape) {
  Shape a = a_shape;
  Shape b = b_shape;
  if (a.empty() || b.empty()) {
    return invalid_argument(node.describe(), ": ", node.op_type, " needs inputs of rank >= 1");
  }
  if (a.size() == 1) a.insert(a.begin(), 1);
  if (b.size() == 1) b.push_back(1);
  MatMulPlan plan;
  plan.m = a[a.size() - 2];
  plan.k = a[a.size() - 1];
  plan.n = b[b.size() - 1];
  if (b[b.size() - 2] != plan.k) {
    return invalid_argument(node.describe(), ": inner dimensions of A ", shape_to_string(a_shape), " and B ",
                            shape_to_string(b_shape), " differ");
  }
  // A batch axis of size 1 (or a missing one) has stride 0, so it repeats.
  Shape batch_a(a.begin(), a.end() - 2);
  Shape batch_b(b.begin(), b.end() - 2);
  std::optional<Shape> batch = broadcast_shapes(batch_a, batch_b);
  if (!batch || !is_static(*batch)) {
    return invalid_argument(node.describe(), ": batch dimensions of A ", shape_to_string(a_shape), " and B ",
                            shape_to_string(b_shape), " do not broadcast");
  }
  const std::size_t rank = batch->size();
  batch_a.insert(batch_a.begin(), rank - batch_a.size(), 1);
  batch_b.insert(batch_b.begin(), rank - batch_b.size(), 1);
  std::vector<std::int64_t> a_strides = row_major_strides(batch_a);
  std::vector<std::int64_t> b_strides = row_major_strides(batch_b);
  for (std::size_t d = 0; d < rank; ++d) {
    if (batch_a[d] == 1) a_strides[d] = 0;
    if (batch_b[d] == 1) b_strides[d] = 0;
  }
  const std::int64_t batches = element_count(*batch).value_or(0);
  plan.a_offsets.assign(static_cast<std::size_t>(batches), 0);
  plan.b_offsets.assign(static_cast<std::size_t>(batches), 0);
  std::vector<std::int64_t> index(rank, 0);
  for (std::size_t bi = 0; bi < plan.a_offsets.size(); ++bi) {
    std::int64_t a_block = 0, b_block = 0;
    for (std::size_t d = 0; d < rank; ++d) {
      a_block += index[d] * a_strides[d];
      b_block += index[d] * b_strides[d];
    }
    plan.a_offsets[bi] = a_block * plan.m * plan.k;
    plan.b_offsets[bi] = b_block * plan.k * plan.n;
    for (std::size_t d = rank; d-- > 0;) {  // next batch index, last axis fastest
      if (++index[d] < (*batch)[d]) break;
      index[d] = 0;
    }
  }
  return plan;
}

}  // namespace edgeai
