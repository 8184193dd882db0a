// The int8 micro-kernels one instruction set provides (see f32_microkernels.hpp for the
// pattern). Operands of the int8 GEMM: A, the weights, int8 with zero point 0, packed as
// panels of MR rows in quads of K ([k/4][MR][4] bytes); B, the activations, packed per column
// tile as [k/4][NR][4] bytes, unsigned for x86 VNNI (u8 x s8) and signed for Arm's sdot
// (s8 x s8): activations of the other signedness are offset by 128 while packing, and the
// bias absorbs the offset and the zero point. The epilogue of the GEMM, GEMV and depthwise
// kernels is quant::requantize_accumulator, bit for bit: y = zero_point + round_half_to_even(
// clamp(float(acc + bias) * scale, lo - zero_point, hi - zero_point)), each step one float32
// operation. The elementwise kernels keep the fixed-point form of kernels/quantization.hpp.
#pragma once

#include <cstddef>
#include <cstdint>

namespace edgeai {

// The per-output-channel requantisation of rows [row, row + m).
struct QS8Requantization {
  const std::int32_t* bias = nullptr;  // [m]: B - (128 or 0 + x_zero_point) * sum(w)
  const float* scale = nullptr;        // [m]: quant::make_requantization_scale of x_scale * w_scale / y_scale
  std::int32_t zero_point = 0;
  std::int32_t lo = 0, hi = 0;               // the output clamp (type range and fused Relu/Clip)
  // |float(acc + bias) * scale| < 2^30 for every accumulator these weights can produce: the
  // product converts to int32 without the float clamp, and the clamp can run on saturated
  // bytes instead (same results; the kernel computes the bound at prepare).
  bool products_fit_int32 = false;
};

struct QS8GemmTile {
  int k4 = 0;                       // quads of K
  const std::int8_t* a = nullptr;   // [k4][MR][4]
  const std::uint8_t* b = nullptr;  // [k4][NR][4]
  int m = 0, n = 0;
  QS8Requantization requant;        // pointers already at this tile's first row
  std::uint8_t* c = nullptr;        // output bytes (int8 or uint8: the low byte of the clamped value)
  std::ptrdiff_t ldc = 0;
};

// One output row of an int8 depthwise convolution over pre-padded int16 rows holding x -
// x_zero_point (padding 0): out[x] = requant(bias + sum_t w[t] * rows[t][x]) for x < width.
// rows[t] may be read up to the next multiple of 16 past width.
struct QS8DepthwiseRow {
  int width = 0;
  int taps = 0;
  const std::int16_t* const* rows = nullptr;
  const std::int8_t* weights = nullptr;
  std::int32_t bias = 0;
  float scale = 0.0f;
  std::int32_t zero_point = 0, lo = 0, hi = 0;
  std::uint8_t* out = nullptr;
};

// The same with dilation 1 and horizontal stride 1 or 2, the taps of a kernel row taken in
// pairs (vpdpwssd-style: two int16 products summed into one int32 lane):
//   out[j] = requant(bias + sum over ky < kernel_h, kx < kernel_w of w[ky][kx] * rows[ky][stride * j + kx])
// with weight_pairs[ky * pairs + p] = w[ky][2p] | w[ky][2p + 1] << 16 (int16 halves, the
// second 0 past kernel_w), pairs = ceil(kernel_w / 2). rows[ky] (int16 x - x_zero_point,
// padding 0) may be read up to kDepthwisePairsSlack elements past stride * width + kernel_w.
inline constexpr int kDepthwisePairsSlack = 64;
struct QS8DepthwisePairsRow {
  int width = 0;
  int stride = 1;
  int kernel_h = 0;
  int pairs = 0;
  const std::int16_t* const* rows = nullptr;
  const std::int32_t* weight_pairs = nullptr;
  std::int32_t bias = 0;
  float scale = 0.0f;
  std::int32_t zero_point = 0, lo = 0, hi = 0;
  std::uint8_t* out = nullptr;
};

// Rows of bytes widened to int16 x - x_zero_point (the depthwise planes):
// dst[r * dst_stride + j] = x[r * width + j] - zero_point for r < rows, j < width, x read as
// int8 when `is_signed`, else uint8.
struct QS8WidenRows {
  const std::uint8_t* src = nullptr;
  int rows = 0, width = 0;
  bool is_signed = true;
  std::int32_t zero_point = 0;
  std::int16_t* dst = nullptr;
  std::ptrdiff_t dst_stride = 0;
};

// QuantizeLinear per tensor: y[i] = saturate(round_half_to_even(x[i] / scale) + zero_point)
// into [qmin, qmax] (NaN -> zero_point), as quant::quantize_value; the low byte is stored.
struct QS8QuantizeCall {
  const float* x = nullptr;
  std::uint8_t* y = nullptr;
  std::ptrdiff_t n = 0;
  float scale = 1.0f;
  std::int32_t zero_point = 0, qmin = 0, qmax = 0;
};

// QLinearAdd with both operands the output's shape: y[i] = clamp(rshift_rne((a[i] - za) * na +
// (b[i] - zb) * nb, shift) + zc, lo, hi), values read as int8 when `is_signed`, else uint8.
struct QS8AddCall {
  const std::uint8_t* a = nullptr;
  const std::uint8_t* b = nullptr;
  std::uint8_t* y = nullptr;
  std::ptrdiff_t n = 0;
  bool is_signed = true;
  std::int32_t a_zero_point = 0, b_zero_point = 0, c_zero_point = 0, lo = 0, hi = 0;
  std::int32_t a_numerator = 0, b_numerator = 0, shift = 0;
};

// QLinearMul: y[i] = clamp(rshift_rne((a[i a_step] - za) * (b[i b_step] - zb) * multiplier,
// shift) + zc, lo, hi), steps 0 (one value) or 1; values int8 when `is_signed`, else uint8.
struct QS8MulCall {
  const std::uint8_t* a = nullptr;
  std::ptrdiff_t a_step = 1;
  const std::uint8_t* b = nullptr;
  std::ptrdiff_t b_step = 1;
  std::uint8_t* y = nullptr;
  std::ptrdiff_t n = 0;
  bool is_signed = true;
  std::int32_t a_zero_point = 0, b_zero_point = 0, c_zero_point = 0, lo = 0, hi = 0;
  std::int32_t multiplier = 0, shift = 0;
};

// Requantisation to other parameters (QLinearConcat's inputs): y[i] = clamp(rshift_rne((x[i] -
// zx) * multiplier, shift) + zy, lo, hi).
struct QS8RescaleCall {
  const std::uint8_t* x = nullptr;
  std::uint8_t* y = nullptr;
  std::ptrdiff_t n = 0;
  bool is_signed = true;
  std::int32_t x_zero_point = 0, y_zero_point = 0, lo = 0, hi = 0, multiplier = 0, shift = 0;
};

// One output row of an 8-bit max pooling over pre-padded rows of unsigned bytes (int8 planes
// flipped to unsigned, which keeps the order; padding 0): out[x] = (max_t rows[t][x]) ^ flip.
// rows[t] may be read up to the next multiple of 64 past width.
struct QS8MaxRow {
  int width = 0;
  int taps = 0;
  const std::uint8_t* const* rows = nullptr;
  std::uint8_t flip = 0;
  std::uint8_t* out = nullptr;
};

// DequantizeLinear per tensor: y[i] = float(x[i] - zero_point) * scale.
struct QS8DequantizeCall {
  const std::uint8_t* x = nullptr;
  float* y = nullptr;
  std::ptrdiff_t n = 0;
  bool is_signed = true;
  std::int32_t zero_point = 0;
  float scale = 1.0f;
};

// Matrix-vector product for QGemm/fully connected layers with a few rows: for j < n,
//   y[j] = requant_j(bias[j] + sum_k a[k] * w[j * k_padded + k])
// where a holds k_padded bytes in the micro-kernel's B signedness (past K: zeros) and each
// weight row k_padded int8 bytes (past K: zeros); k_padded is a multiple of 64.
struct QS8GemvCall {
  std::int64_t k_padded = 0;
  const std::uint8_t* a = nullptr;
  const std::int8_t* w = nullptr;
  std::int64_t n = 0;
  QS8Requantization requant;  // per row j
  std::uint8_t* y = nullptr;
};

// AMX (x86 with AMX-INT8): a block of m <= 32 output channels by n <= 32 columns, c[i * ldc +
// j] = requant(bias[i] + sum_k a[i * lda + k] * B[k][j]), over k64 blocks of 64 bytes of K.
// a: 32 rows of lda bytes (rows past m and K zero); b: a B panel of pack_panel's layout with
// k64 * 16 quads (quads past K zero); acc: 32 x 32 int32 of scratch.
struct QS8AmxTile {
  int k64 = 0;
  const std::int8_t* a = nullptr;
  std::ptrdiff_t lda = 0;
  const std::uint8_t* b = nullptr;
  int m = 0, n = 0;
  QS8Requantization requant;  // pointers at the block's first row
  std::uint8_t* c = nullptr;
  std::ptrdiff_t ldc = 0;
  std::int32_t* acc = nullptr;
};

struct QS8MicroKernels {
  const char* isa = "";
  int mr = 1;
  int nr = 1;
  bool b_signed = false;  // B bytes are int8 (Arm) rather than uint8 (x86 VNNI)
  void (*gemm)(const QS8GemmTile& tile) = nullptr;
  // dst[j * 4 + r] = rows[r][j] ^ flip for j < n (r < 4), and 0 ^ flip... for j in [n, nr):
  // one quad row of a B panel. rows[r] may be null (a zero row past K).
  void (*pack_quads)(const std::uint8_t* const* rows, int n, std::uint8_t flip, std::uint8_t* dst) = nullptr;
  void (*depthwise_row)(const QS8DepthwiseRow& row) = nullptr;
  void (*quantize)(const QS8QuantizeCall& call) = nullptr;  // may be null (the reference runs)
  void (*add)(const QS8AddCall& call) = nullptr;            // may be null
  void (*gemv)(const QS8GemvCall& call) = nullptr;          // may be null
  void (*mul)(const QS8MulCall& call) = nullptr;            // may be null
  void (*dequantize)(const QS8DequantizeCall& call) = nullptr;  // may be null
  void (*rescale)(const QS8RescaleCall& call) = nullptr;        // may be null
  void (*max_row)(const QS8MaxRow& row) = nullptr;              // may be null
  void (*depthwise_pairs_row)(const QS8DepthwisePairsRow& row) = nullptr;  // may be null (depthwise_row runs)
  void (*widen_rows)(const QS8WidenRows& call) = nullptr;                   // may be null
  // A whole B panel in one call: quad q from rows base + offsets[4q + t] (t < 4, rows past k
  // are zeros), ceil(k / 4) quads of pack_quads' layout. May be null (pack_quads per quad).
  void (*pack_panel)(const std::uint8_t* base, const std::ptrdiff_t* offsets, int k, int n, std::uint8_t flip,
                     std::uint8_t* dst) = nullptr;
  void (*gemm_amx)(const QS8AmxTile& tile) = nullptr;  // null without AMX
};

const QS8MicroKernels* qs8_microkernels_avx512vnni();
const QS8MicroKernels* qs8_microkernels_avx512amx();  // the VNNI table plus gemm_amx
const QS8MicroKernels* qs8_microkernels_avx2();      // x86 without VNNI
const QS8MicroKernels* qs8_microkernels_neon();      // any AArch64 CPU
const QS8MicroKernels* qs8_microkernels_neon_dot();  // with the dot-product extension (sdot)

}  // namespace edgeai
