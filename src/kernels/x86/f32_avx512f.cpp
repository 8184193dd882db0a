// f32 micro-kernels for AVX-512F: GEMM tile 8x32 (16 zmm accumulators), depthwise rows,
// activations and binary arithmetic on 16 lanes, stride-2 deinterleave with vpermt2ps.
// Compiled with -mavx512f -mfma; chosen only when cpuid says the CPU and OS have AVX-512.
#include "kernels/optimized/f32_microkernels_impl.hpp"
#include "kernels/x86/vec_avx512.hpp"

namespace edgeai {
namespace {

void deinterleave2_avx512(const float* src, std::ptrdiff_t n, float* even, float* odd) {
  const __m512i even_index = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512i odd_index = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
  std::ptrdiff_t i = 0;
  for (; i + 32 <= n; i += 32) {
    const __m512 lo = _mm512_loadu_ps(src + i);
    const __m512 hi = _mm512_loadu_ps(src + i + 16);
    _mm512_storeu_ps(even + i / 2, _mm512_permutex2var_ps(lo, even_index, hi));
    _mm512_storeu_ps(odd + i / 2, _mm512_permutex2var_ps(lo, odd_index, hi));
  }
  deinterleave2_scalar(src + i, n - i, even + i / 2, odd + i / 2);
}

}  // namespace

const F32MicroKernels* f32_microkernels_avx512f() {
  static const F32MicroKernels table{"avx512f",
                                     8,
                                     32,
                                     16,
                                     &f32_gemm_tile<x86::F32x16, 8, 2>,
                                     &f32_gemm_tile_indirect<x86::F32x16, 8, 2>,
                                     &f32_depthwise_row<x86::F32x16>,
                                     &f32_activation<x86::F32x16>,
                                     &f32_binary<x86::F32x16>,
                                     &deinterleave2_avx512,
                                     &f32_max_row<x86::F32x16>,
                                     &f32_sum<x86::F32x16>,
                                     &f32_pack_b_rows<x86::F32x16, 2>,
                                     &f32_gemm_rows_tile<x86::F32x16, 8, 2>,
                                     &f32_gemm_rows_tile<x86::F32x16, 8, 1>,
                                     &f32_depthwise_pixels<x86::F32x16>,
                                     &f32_max_pixels<x86::F32x16>,
                                     &f32_dot_rows<x86::F32x16>,
                                     &f32_column_sums<x86::F32x16>,
                                     &f32_winograd_input<x86::F32x16>,
                                     &f32_winograd_output<x86::F32x16>};
  return &table;
}

}  // namespace edgeai
