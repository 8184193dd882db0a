// The broadcasts the optimised binary kernels cover (f32 Add/Sub/Mul/Div, int8 QLinearMul):
// both operands of the output's shape; one a single value; one broadcast over trailing axes
// ([N, C, 1, 1] against [N, C, H, W], squeeze-excite scales); one over leading axes ([C]
// against [N, H, C], biases). The output is walked in runs where each operand either advances
// element by element (step 1) or stays on one value (step 0), in chunks for the thread pool.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "core/shape.hpp"

namespace edgeai {

struct BinaryBroadcast {
  enum class Layout { kSame, kScalar, kPerOuter, kPerInner };
  Layout layout = Layout::kSame;
  bool a_full = true;  // operand a has the output's shape (else b does)
  std::int64_t total = 0, outer = 0, inner = 0;

  // nullopt when the shapes need another broadcast (both operands broadcast, or a pattern
  // not listed above).
  static std::optional<BinaryBroadcast> classify(Shape a, Shape b, const Shape& out) {
    const std::size_t rank = out.size();
    if (a.size() > rank || b.size() > rank) return std::nullopt;
    a.insert(a.begin(), rank - a.size(), 1);
    b.insert(b.begin(), rank - b.size(), 1);
    BinaryBroadcast r;
    r.total = product(out, 0, rank);
    r.a_full = a == out;
    const bool b_full = b == out;
    if (r.a_full && b_full) return r;
    if (!r.a_full && !b_full) return std::nullopt;
    const Shape& small = r.a_full ? b : a;
    if (product(small, 0, rank) == 1) {
      r.layout = Layout::kScalar;
      return r;
    }
    for (const Layout layout : {Layout::kPerOuter, Layout::kPerInner}) {
      for (std::size_t split = 1; split < rank; ++split) {
        bool match = true;
        for (std::size_t i = 0; i < rank && match; ++i) {
          const bool kept = layout == Layout::kPerOuter ? i < split : i >= split;
          match = kept ? small[i] == out[i] : small[i] == 1;
        }
        if (match) {
          r.layout = layout;
          r.outer = product(out, 0, split);
          r.inner = product(out, split, rank);
          return r;
        }
      }
    }
    return std::nullopt;
  }

  // How many chunks of about `chunk` elements the output is walked in.
  std::int64_t tasks(std::int64_t chunk) const {
    if (layout == Layout::kSame || layout == Layout::kScalar) return (total + chunk - 1) / chunk;
    const std::int64_t rows = rows_per_task(chunk);
    return (outer + rows - 1) / rows;
  }

  // Calls run(begin, n, a_offset, a_step, b_offset, b_step) for the runs of task t: output
  // elements [begin, begin + n) read a from a_offset (advancing when a_step is 1) and b
  // likewise.
  template <class Run>
  void walk(std::int64_t t, std::int64_t chunk, Run run) const {
    if (layout == Layout::kSame || layout == Layout::kScalar) {
      const std::int64_t begin = t * chunk, n = std::min(chunk, total - begin);
      const bool a_moves = layout == Layout::kSame || a_full;
      const bool b_moves = layout == Layout::kSame || !a_full;
      run(begin, n, a_moves ? begin : 0, a_moves ? 1 : 0, b_moves ? begin : 0, b_moves ? 1 : 0);
      return;
    }
    const std::int64_t rows = rows_per_task(chunk);
    const std::int64_t o_end = std::min(outer, (t + 1) * rows);
    for (std::int64_t o = t * rows; o < o_end; ++o) {
      const std::int64_t begin = o * inner;
      const std::int64_t small_offset = layout == Layout::kPerOuter ? o : 0;
      const std::int64_t small_step = layout == Layout::kPerOuter ? 0 : 1;
      if (a_full) {
        run(begin, inner, begin, 1, small_offset, small_step);
      } else {
        run(begin, inner, small_offset, small_step, begin, 1);
      }
    }
  }

 private:
  static std::int64_t product(const Shape& shape, std::size_t begin, std::size_t end) {
    std::int64_t n = 1;
    for (std::size_t i = begin; i < end; ++i) n *= shape[i];
    return n;
  }
  std::int64_t rows_per_task(std::int64_t chunk) const { return std::max<std::int64_t>(1, chunk / std::max<std::int64_t>(1, inner)); }
};

}  // namespace edgeai
