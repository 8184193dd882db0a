#include "kernels/optimized/f32_gemm_driver.hpp"

#include <algorithm>
#include <cstring>
#include <limits>

namespace edgeai {
namespace {

// Longest K block: a 256 x 32 float panel of B is 32 KiB, inside a 48 KiB L1 data cache
// with room for the A panel streaming past it.
constexpr std::int64_t kMaxKBlock = 256;
// A block of packed B panels (one K block) and a block of A rows share the L2 cache.
constexpr std::int64_t kL2PackedBBytes = 768 * 1024;
constexpr std::int64_t kL2ABlockBytes = 512 * 1024;

std::int64_t ceil_div(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }

}  // namespace

std::size_t packed_a_floats(const F32MicroKernels& uk, std::int64_t m, std::int64_t k) {
  return static_cast<std::size_t>(ceil_div(m, uk.mr) * uk.mr * k);
}

void pack_a_panels(const F32MicroKernels& uk, const float* a, std::ptrdiff_t row_stride, std::ptrdiff_t col_stride,
                   std::int64_t m, std::int64_t k, float* out) {
  const std::int64_t mr = uk.mr;
  for (std::int64_t panel = 0; panel < ceil_div(m, mr); ++panel) {
    float* dst = out + panel * mr * k;
    for (std::int64_t p = 0; p < k; ++p) {
      for (std::int64_t r = 0; r < mr; ++r) {
        const std::int64_t i = panel * mr + r;
        dst[p * mr + r] = i < m ? a[i * row_stride + p * col_stride] : 0.0f;
      }
    }
  }
}

F32Epilogue epilogue_for(const FusedActivation& activation) {
  F32Epilogue e;
  switch (activation.kind) {
    case ActivationKind::kNone: break;
    case ActivationKind::kRelu:
      e.clamp = true;
      e.lo = 0.0f;
      e.hi = std::numeric_limits<float>::infinity();
      break;
    case ActivationKind::kClip:
      e.clamp = true;
      e.lo = activation.alpha;
      e.hi = activation.beta;
      break;
    default: e.post = activation; break;
  }
  return e;
}

std::size_t packed_b_floats(const F32MicroKernels& uk, std::int64_t k, std::int64_t n) {
  return static_cast<std::size_t>(ceil_div(n, uk.nr) * uk.nr * k);
}

void pack_b_panels(const F32MicroKernels& uk, const float* b, std::ptrdiff_t row_stride, std::ptrdiff_t col_stride,
                   std::int64_t k, std::int64_t n, float* out) {
  const std::int64_t nr = uk.nr;
  for (std::int64_t panel = 0; panel < ceil_div(n, nr); ++panel) {
    float* dst = out + panel * nr * k;
    for (std::int64_t p = 0; p < k; ++p) {
      for (std::int64_t c = 0; c < nr; ++c) {
        const std::int64_t j = panel * nr + c;
        dst[p * nr + c] = j < n ? b[p * row_stride + j * col_stride] : 0.0f;
      }
    }
  }
}

namespace {

F32GemmTiling plan_tiles(const F32MicroKernels& uk, std::int64_t m, std::int64_t n, std::int64_t col_panels,
                         std::int64_t k, std::int64_t max_k_block, int threads) {
  F32GemmTiling t;
  t.m = m;
  t.n = n;
  t.k = k;
  t.threads = std::max(1, threads);
  const std::int64_t k_blocks = std::max<std::int64_t>(1, ceil_div(k, max_k_block));
  t.kc = std::max<std::int64_t>(1, ceil_div(k, k_blocks));
  t.row_panels = ceil_div(m, uk.mr);
  t.col_panels = col_panels;
  t.cols_per_task = t.col_panels;
  t.rows_per_task = t.row_panels;
  if (t.threads > 1) {
    const std::int64_t wanted = 4 * t.threads;  // several tasks per thread: uneven finishes even out
    t.cols_per_task = std::max<std::int64_t>(1, t.col_panels / wanted);
    const std::int64_t col_tasks = ceil_div(t.col_panels, t.cols_per_task);
    const std::int64_t row_tasks = std::clamp<std::int64_t>(ceil_div(wanted, col_tasks), 1, std::max<std::int64_t>(1, t.row_panels));
    t.rows_per_task = std::max<std::int64_t>(1, ceil_div(t.row_panels, row_tasks));
  }
  t.tasks = ceil_div(t.col_panels, std::max<std::int64_t>(1, t.cols_per_task)) *
            ceil_div(t.row_panels, std::max<std::int64_t>(1, t.rows_per_task));
  const std::int64_t panel_bytes = t.kc * uk.nr * static_cast<std::int64_t>(sizeof(float));
  t.block_panels = std::clamp<std::int64_t>(kL2PackedBBytes / panel_bytes, 1, std::max<std::int64_t>(1, t.cols_per_task));
  const std::int64_t a_panel_bytes = t.kc * uk.mr * static_cast<std::int64_t>(sizeof(float));
  t.row_block_panels = std::max<std::int64_t>(1, kL2ABlockBytes / a_panel_bytes);
  return t;
}

}  // namespace

F32GemmTiling plan_f32_gemm(const F32MicroKernels& uk, std::int64_t m, std::int64_t n, std::int64_t k, int threads) {
  return plan_tiles(uk, m, n, ceil_div(n, uk.nr), k, kMaxKBlock, threads);
}

F32GemmTiling plan_f32_gemm_indirect(const F32MicroKernels& uk, std::int64_t m, std::int64_t rows,
                                     std::int64_t row_width, std::int64_t k, int threads) {
  const std::int64_t tiles_per_row = ceil_div(row_width, uk.nr);
  // Unaligned rows of B touch up to 3 cache lines each: a shorter K block keeps them in L1.
  F32GemmTiling t = plan_tiles(uk, m, rows * row_width, rows * tiles_per_row, k, kMaxKBlock / 2, threads);
  t.tiles_per_row = tiles_per_row;
  t.row_width = row_width;
  t.block_panels = t.cols_per_task;  // nothing is packed: no block limit
  return t;
}

std::size_t f32_gemm_scratch_floats(const F32MicroKernels& uk, const F32GemmTiling& t) {
  if (t.tiles_per_row > 0) return 0;  // indirect B packs nothing
  return static_cast<std::size_t>(t.threads * t.block_panels * t.kc * uk.nr);
}

// The micro-kernels take the activation kind as an int (they must not include the graph
// headers, whose inline std:: code would be compiled with the ISA's flags).
static_assert(static_cast<int>(ActivationKind::kRelu) == 1 && static_cast<int>(ActivationKind::kClip) == 2 &&
              static_cast<int>(ActivationKind::kLeakyRelu) == 3 && static_cast<int>(ActivationKind::kHardSigmoid) == 4 &&
              static_cast<int>(ActivationKind::kHardSwish) == 5 && static_cast<int>(ActivationKind::kSigmoid) == 6 &&
              static_cast<int>(ActivationKind::kTanh) == 7 && static_cast<int>(ActivationKind::kSilu) == 8 &&
              static_cast<int>(ActivationKind::kGatedHardSigmoid) == 9);

void apply_activation(const F32MicroKernels& uk, const FusedActivation& activation, const float* x, float* y,
                      std::int64_t n) {
  if (activation.kind == ActivationKind::kNone) {
    if (x != y) std::memmove(y, x, sizeof(float) * static_cast<std::size_t>(n));
    return;
  }
  if (activation.kind == ActivationKind::kTanh) {
    for (std::int64_t i = 0; i < n; ++i) y[i] = activation.apply(x[i]);
    return;
  }
  F32ActivationCall call;
  call.kind = static_cast<int>(activation.kind);
  call.alpha = activation.alpha;
  call.beta = activation.beta;
  call.x = x;
  call.y = y;
  call.n = n;
  uk.activation(call);
}

void run_f32_gemm(const F32MicroKernels& uk, const F32GemmTiling& t, const F32GemmCall& call,
                  const F32Epilogue& epilogue, ThreadPool* threads) {
  if (t.m == 0 || t.n == 0) return;
  const std::int64_t row_groups = ceil_div(t.row_panels, t.rows_per_task);
  const std::int64_t nr = uk.nr;
  const std::int64_t mr = uk.mr;
  parallel_for(threads, static_cast<std::size_t>(t.tasks), [&](std::size_t task, int worker) {
    const std::int64_t cg = static_cast<std::int64_t>(task) / row_groups;
    const std::int64_t rg = static_cast<std::int64_t>(task) % row_groups;
    const std::int64_t q_begin = cg * t.cols_per_task;
    const std::int64_t q_end = std::min(t.col_panels, q_begin + t.cols_per_task);
    const std::int64_t p_begin = rg * t.rows_per_task;
    const std::int64_t p_end = std::min(t.row_panels, p_begin + t.rows_per_task);
    float* buffer =
        call.scratch != nullptr ? call.scratch + static_cast<std::int64_t>(worker) * t.block_panels * t.kc * nr : nullptr;
    F32GemmTile tile;
    tile.ldc = call.ldc;
    tile.lo = epilogue.lo;
    tile.hi = epilogue.hi;
    // GotoBLAS order: a block of column panels (its K block packed once, kept in L2), rows of
    // A in blocks that stay in L2 while each packed B panel (in L1) meets every A panel.
    for (std::int64_t jc = q_begin; jc < q_end; jc += t.block_panels) {
      const std::int64_t jc_end = std::min(q_end, jc + t.block_panels);
      for (std::int64_t k0 = 0; k0 < t.k; k0 += t.kc) {
        const std::int64_t kl = std::min(t.kc, t.k - k0);
        const bool last = k0 + kl >= t.k;
        if (call.b_packed == nullptr && call.b_offsets == nullptr) {
          // This K block of the column panels, contiguous and zero-padded to nr columns.
          for (std::int64_t q = jc; q < jc_end; ++q) {
            const std::int64_t col = q * nr;
            uk.pack_b_rows(call.b + k0 * call.ldb + col, call.ldb, static_cast<int>(kl),
                           static_cast<int>(std::min(nr, t.n - col)), buffer + (q - jc) * t.kc * nr);
          }
        }
        tile.k = static_cast<int>(kl);
        tile.accumulate = k0 > 0;
        tile.clamp = last && epilogue.clamp;
        for (std::int64_t ic = p_begin; ic < p_end; ic += t.row_block_panels) {
          const std::int64_t ic_end = std::min(p_end, ic + t.row_block_panels);
          for (std::int64_t q = jc; q < jc_end; ++q) {
            std::int64_t col = q * nr;
            if (call.b_offsets != nullptr) {
              const std::int64_t row = q / t.tiles_per_row;
              const std::int64_t ox0 = (q % t.tiles_per_row) * nr;
              col = row * t.row_width + ox0;
              tile.n = static_cast<int>(std::min(nr, t.row_width - ox0));
              tile.b = call.b + row * call.b_row_stride + ox0;
              tile.b_offsets = call.b_offsets + k0;
            } else {
              tile.n = static_cast<int>(std::min(nr, t.n - col));
              tile.b =
                  call.b_packed != nullptr ? call.b_packed + q * t.k * nr + k0 * nr : buffer + (q - jc) * t.kc * nr;
            }
            tile.bias_col = call.bias_col != nullptr ? call.bias_col + col : nullptr;
            for (std::int64_t p = ic; p < ic_end; ++p) {
              const std::int64_t row = p * mr;
              tile.m = static_cast<int>(std::min(mr, t.m - row));
              tile.a = call.a_packed + p * mr * t.k + k0 * mr;
              tile.bias_row = call.bias_row != nullptr ? call.bias_row + row : nullptr;
              tile.c = call.c + row * call.ldc + col;
              if (call.b_offsets != nullptr) {
                uk.gemm_indirect(tile);
              } else {
                uk.gemm(tile);
              }
              if (last && epilogue.post.kind != ActivationKind::kNone) {
                for (int i = 0; i < tile.m; ++i) {
                  apply_activation(uk, epilogue.post, tile.c + i * call.ldc, tile.c + i * call.ldc, tile.n);
                }
              }
            }
          }
        }
      }
    }
  });
}

}  // namespace edgeai
