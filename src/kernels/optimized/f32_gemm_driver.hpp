// The portable half of the f32 GEMM: packing A into the micro-kernel's panels, splitting C
// into tiles and tasks for the thread pool, and the epilogue for activations that are not a
// clamp. The ISA half is one F32MicroKernels table (f32_microkernels.hpp).
//
// C[M][N] = act(bias + A[M][K] * B[K][N]): A packed once (conv weights at load, Gemm rows per
// run), B read in place with a row stride (activations for conv, weights for Gemm), so 1x1
// convolutions read their input as it is, without im2col.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/thread_pool.hpp"
#include "graph/fused_activation.hpp"
#include "kernels/optimized/f32_microkernels.hpp"

namespace edgeai {

// Floats that pack_a_panels writes for an M x K matrix.
std::size_t packed_a_floats(const F32MicroKernels& uk, std::int64_t m, std::int64_t k);
// Packs A (element (i, p) at a[i * row_stride + p * col_stride]) into panels of uk.mr rows:
// out[panel][p][r] = A[panel * mr + r][p], rows past m zero.
void pack_a_panels(const F32MicroKernels& uk, const float* a, std::ptrdiff_t row_stride, std::ptrdiff_t col_stride,
                   std::int64_t m, std::int64_t k, float* out);

// The epilogue: Relu and Clip run inside the micro-kernel as a clamp; the other fused
// activations run over each finished tile while it is still in cache.
struct F32Epilogue {
  bool clamp = false;
  float lo = 0.0f;
  float hi = 0.0f;
  FusedActivation post;  // kind kNone when the clamp (or nothing) is all there is
};
F32Epilogue epilogue_for(const FusedActivation& activation);

// Floats that pack_b_panels writes for a K x N matrix.
std::size_t packed_b_floats(const F32MicroKernels& uk, std::int64_t k, std::int64_t n);
// Packs B (element (p, j) at b[p * row_stride + j * col_stride]) into panels of uk.nr
// columns: out[panel][p][c] = B[p][panel * nr + c], columns past n zero. For constant B.
void pack_b_panels(const F32MicroKernels& uk, const float* b, std::ptrdiff_t row_stride, std::ptrdiff_t col_stride,
                   std::int64_t k, std::int64_t n, float* out);

// How one GEMM is cut up, GotoBLAS style: K in blocks of `kc` so that one packed panel of B
// (kc x nr) stays in the L1 cache while the panels of an L2-sized block of A pass over it,
// and the K block of a group of B panels is packed once and kept in L2 while all of A's
// rows meet it (so A, the weights, is read from memory once per column group, not once per
// panel). Tasks are groups of column panels (each thread packs its own B panels), split by
// row panels as well when there are too few column panels for the threads.
struct F32GemmTiling {
  std::int64_t m = 0, n = 0, k = 0;
  std::int64_t kc = 0;  // K block
  std::int64_t row_panels = 0, col_panels = 0;
  std::int64_t cols_per_task = 0;  // column panels per task
  std::int64_t rows_per_task = 0;  // row panels per task
  std::int64_t tasks = 0;
  std::int64_t block_panels = 1;      // column panels packed together per K block (L2)
  std::int64_t row_block_panels = 1;  // row panels of A per L2 block
  std::int64_t tiles_per_row = 0;     // indirect B: column tiles per row of C
  std::int64_t row_width = 0;         // indirect B: columns per row of C
  int threads = 1;
};
F32GemmTiling plan_f32_gemm(const F32MicroKernels& uk, std::int64_t m, std::int64_t n, std::int64_t k, int threads);
// For indirect B (F32GemmCall::b_offsets): C is `rows` rows of `row_width` columns, each row
// cut into column tiles of nr.
F32GemmTiling plan_f32_gemm_indirect(const F32MicroKernels& uk, std::int64_t m, std::int64_t rows,
                                     std::int64_t row_width, std::int64_t k, int threads);
// Scratch floats run_f32_gemm needs for B given row-major (one kc x nr buffer per thread).
std::size_t f32_gemm_scratch_floats(const F32MicroKernels& uk, const F32GemmTiling& tiling);

// B is either row-major (b, ldb), packed per task into scratch, or pre-packed (b_packed, by
// pack_b_panels), or indirect (b_offsets): column tile q of row r = q / tiles_per_row reads
// B row p at b + r * b_row_stride + ox0 + b_offsets[p], ox0 = (q % tiles_per_row) * nr, and
// writes C columns from r * row_width + ox0: a convolution reading its taps in place.
struct F32GemmCall {
  const float* a_packed = nullptr;
  const float* b = nullptr;
  std::ptrdiff_t ldb = 0;
  const float* b_packed = nullptr;
  float* c = nullptr;
  std::ptrdiff_t ldc = 0;
  const float* bias_row = nullptr;  // [m] or null
  const float* bias_col = nullptr;  // [n] or null
  float* scratch = nullptr;         // f32_gemm_scratch_floats(); unused with b_packed
  const std::ptrdiff_t* b_offsets = nullptr;  // [k], indirect B
  std::ptrdiff_t b_row_stride = 0;            // indirect B
};
void run_f32_gemm(const F32MicroKernels& uk, const F32GemmTiling& tiling, const F32GemmCall& call,
                  const F32Epilogue& epilogue, ThreadPool* threads);

// y = activation(x) for n floats (x may be y) with the micro-kernels' vector forms of the
// reference formulas; Tanh runs the scalar reference formula.
void apply_activation(const F32MicroKernels& uk, const FusedActivation& activation, const float* x, float* y,
                      std::int64_t n);

}  // namespace edgeai
