// The f32 micro-kernels one instruction set provides, as a table of function pointers that
// the optimised kernels (f32_conv.cpp, f32_gemm.cpp) pick once, when the registry creates
// them. The templates behind the pointers are in f32_microkernels_impl.hpp; each ISA file
// (x86/f32_avx512f.cpp, x86/f32_avx2.cpp, arm/f32_neon.cpp) instantiates them with its
// vector type and is the only file compiled with that ISA's flags.
#pragma once

#include <cstddef>

namespace edgeai {

// One MR x NR tile of C = A * B over k steps, with the bias and clamp epilogue:
//   c[i * ldc + j] = clamp(start[i][j] + sum_p a[p * MR + i] * b[p * NR + j])
// for i < m <= MR, j < n <= NR, where start is c itself when `accumulate` (a later block of
// K) and bias_row[i] + bias_col[j] otherwise (absent biases are null). `a` is one packed
// panel of A (MR values per p, rows past m zero), `b` one packed panel of B (NR values per
// p, columns past n zero). The clamp, max(lo) then min(hi), applies when `clamp` is set.
struct F32GemmTile {
  int k = 0;
  const float* a = nullptr;
  const float* b = nullptr;
  bool accumulate = false;
  float* c = nullptr;
  std::ptrdiff_t ldc = 0;
  int m = 0;
  int n = 0;
  const float* bias_row = nullptr;
  const float* bias_col = nullptr;
  bool clamp = false;
  float lo = 0.0f;
  float hi = 0.0f;
  // gemm_indirect only: row p of B is b + b_offsets[p], so a convolution reads its taps
  // straight from a padded copy of the input. NR floats are read from every row even when
  // n < NR: the memory past each row start must be readable that far (lanes past n are
  // computed and dropped).
  const std::ptrdiff_t* b_offsets = nullptr;
};

// One output row of a depthwise convolution over pre-padded input rows:
//   out[x] = clamp(bias + sum_t weights[t] * rows[t][x]) for x < width.
// rows[t] may be read up to the next multiple of the vector width past `width`.
struct F32DepthwiseRow {
  int width = 0;
  int taps = 0;
  const float* const* rows = nullptr;
  const float* weights = nullptr;
  float bias = 0.0f;
  float* out = nullptr;
  bool clamp = false;
  float lo = 0.0f;
  float hi = 0.0f;
};

// y[i] = activation(x[i]) for i < n (x may equal y). kind is an ActivationKind value other
// than kTanh (which has no vector form here); alpha/beta as in FusedActivation.
struct F32ActivationCall {
  int kind = 0;
  float alpha = 0.0f;
  float beta = 0.0f;
  const float* x = nullptr;
  float* y = nullptr;
  std::ptrdiff_t n = 0;
};

// y[i] = a[i * a_step] op b[i * b_step] for i < n, steps 0 (one value, broadcast) or 1.
enum class F32BinaryOp { kAdd, kSub, kMul, kDiv };
struct F32BinaryCall {
  F32BinaryOp op = F32BinaryOp::kAdd;
  const float* a = nullptr;
  std::ptrdiff_t a_step = 1;
  const float* b = nullptr;
  std::ptrdiff_t b_step = 1;
  float* y = nullptr;
  std::ptrdiff_t n = 0;
};

// One output row of a max pooling over pre-padded rows (padding holds the lowest float):
//   out[x] = max over t of rows[t][x] for x < width, NaN inputs ignored as in the reference.
struct F32MaxRow {
  int width = 0;
  int taps = 0;
  const float* const* rows = nullptr;
  float* out = nullptr;
};

// Channels-last convolution as a GEMM that reads A through row pointers (XNNPACK's IGEMM
// indirection): one MR x NR tile of
//   c[i * ldc + j] = clamp(start[i][j] + sum_t sum_p a[t * MR + i][a_offset + p] * b[t * b_tap_stride + p * NR + j])
// for i < m <= MR, j < n <= NR, p < kc (NR = the table's nr, or its vector width for the
// narrow tile), where start is c itself when `accumulate` (a later block of channels) and the
// bias otherwise. Row pointer i of tap t is output pixel i's input pixel under that tap (its
// channels contiguous; a zero row for padding); pointers of rows past m repeat a valid row.
// `b` is a block of one packed panel of the weights: per tap kc rows of NR floats, columns
// past n zero.
struct F32RowsGemmTile {
  int taps = 1;
  int kc = 0;
  const float* const* a = nullptr;
  std::ptrdiff_t a_offset = 0;
  const float* b = nullptr;
  std::ptrdiff_t b_tap_stride = 0;
  bool accumulate = false;
  float* c = nullptr;
  std::ptrdiff_t ldc = 0;
  int m = 0;
  int n = 0;
  const float* bias = nullptr;  // [n] or null
  bool clamp = false;
  float lo = 0.0f;
  float hi = 0.0f;
  // Weights that the next tiles will read from memory (the next block of a panel): the tile
  // asks for `stream_lines` 64-byte lines from `stream` into L2, one every other K step, so
  // that reading them overlaps this tile's arithmetic instead of stalling the tile that needs
  // them first. Null: none.
  const char* stream = nullptr;
  int stream_lines = 0;
};

// Channels-last depthwise convolution (and, with `max`, max pooling) over `pixels` output
// pixels: out[x * out_stride + c] = clamp(bias[c] + sum_t weights[t * channels + c] * in[x * taps + t][c]),
// or the maximum over t of in[x * taps + t][c] (from the lowest float, NaN ignored as in the
// reference). Input pointers of padding taps point at a row of zeros (convolution) or of the
// lowest float (pooling).
struct F32ChannelsLastPixels {
  int pixels = 0;
  int taps = 0;
  int channels = 0;
  const float* const* in = nullptr;
  const float* weights = nullptr;
  const float* bias = nullptr;
  float* out = nullptr;
  std::ptrdiff_t out_stride = 0;
  bool clamp = false;
  float lo = 0.0f;
  float hi = 0.0f;
};

// y[r] = bias[r] + sum_p x[p] * w[r * ldw + p] for r < rows: a batch-1 dense layer reading
// each weight row once, in order (bias null: 0). Summed in vector-width partial sums.
struct F32DotRows {
  const float* x = nullptr;
  const float* w = nullptr;
  std::ptrdiff_t ldw = 0;
  int k = 0;
  int rows = 0;
  const float* bias = nullptr;
  float* y = nullptr;
};

// Winograd F(2x2, 3x3) (Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks"):
// a 3x3 stride-1 convolution computes each 2x2 block of output pixels from a 4x4 block of
// input pixels with 16 products per channel pair instead of 36. The transforms run over one
// tile's channels (channels-last: the lanes):
//  - input: v[xi * v_stride + c] = (B^T d B)[xi] for the 16 points xi, where d[k] (k = 4 * row
//    + column) are the tile's 4x4 input pixels (a row of zeros outside the input);
//  - output: y[k][c] = clamp((A^T m A)[k] + bias[c]) for the 2x2 output pixels k (null: outside
//    the output), where m[xi * m_stride + c] are the 16 products summed over input channels.
struct F32WinogradInput {
  const float* const* d = nullptr;  // [16]
  int channels = 0;
  float* v = nullptr;
  std::ptrdiff_t v_stride = 0;
};
struct F32WinogradOutput {
  const float* m = nullptr;
  std::ptrdiff_t m_stride = 0;
  int channels = 0;
  const float* bias = nullptr;  // [channels] or null
  float* const* y = nullptr;    // [4]
  bool clamp = false;
  float lo = 0.0f;
  float hi = 0.0f;
};

struct F32MicroKernels {
  const char* isa = "";  // "avx512f", "avx2", "neon"
  int mr = 1;            // rows of a GEMM tile (the packing of A)
  int nr = 1;            // columns of a GEMM tile
  int vector_width = 1;  // float lanes
  void (*gemm)(const F32GemmTile& tile) = nullptr;
  void (*gemm_indirect)(const F32GemmTile& tile) = nullptr;
  void (*depthwise_row)(const F32DepthwiseRow& row) = nullptr;
  void (*activation)(const F32ActivationCall& call) = nullptr;
  void (*binary)(const F32BinaryCall& call) = nullptr;
  // even[i] = src[2i], odd[i] = src[2i + 1] for 2i (+1) < n: the column phases of stride 2.
  void (*deinterleave2)(const float* src, std::ptrdiff_t n, float* even, float* odd) = nullptr;
  void (*max_row)(const F32MaxRow& row) = nullptr;
  // The sum of x[0, n), in vector-width partial sums.
  float (*sum)(const float* x, std::ptrdiff_t n) = nullptr;
  // dst[p * nr + j] = src[p * ld + j] for p < rows, j < n; 0 for n <= j < nr: one K block of a
  // packed B panel, copied with vector loads and stores (no library call per row).
  void (*pack_b_rows)(const float* src, std::ptrdiff_t ld, int rows, int n, float* dst) = nullptr;
  // Channels-last kernels: the mr x nr tile, the mr x vector_width tile for a last panel of
  // at most vector_width columns, depthwise and max pooling over pixels.
  void (*gemm_rows)(const F32RowsGemmTile& tile) = nullptr;
  void (*gemm_rows_narrow)(const F32RowsGemmTile& tile) = nullptr;
  void (*depthwise_pixels)(const F32ChannelsLastPixels& call) = nullptr;
  void (*max_pixels)(const F32ChannelsLastPixels& call) = nullptr;
  void (*dot_rows)(const F32DotRows& call) = nullptr;
  // out[c] = sum over p < pixels, in order, of x[p * stride + c], for c < channels (global
  // average pooling of a channels-last map: the reference's order, so the same sums).
  void (*column_sums)(const float* x, std::ptrdiff_t pixels, std::ptrdiff_t stride, int channels, float* out) = nullptr;
  void (*winograd_input)(const F32WinogradInput& call) = nullptr;
  void (*winograd_output)(const F32WinogradOutput& call) = nullptr;
};

// Null where this build has no such code (an x86 table on an ARM build, and so on).
const F32MicroKernels* f32_microkernels_avx512f();
const F32MicroKernels* f32_microkernels_avx2();
const F32MicroKernels* f32_microkernels_neon();

}  // namespace edgeai
