// f32 micro-kernels for AVX2 + FMA: GEMM tile 6x16 (12 ymm accumulators), depthwise rows,
// activations and binary arithmetic on 8 lanes. Compiled with -mavx2 -mfma; chosen when
// cpuid reports both.
#include "kernels/optimized/f32_microkernels_impl.hpp"
#include "kernels/x86/vec_avx2.hpp"

namespace edgeai {

const F32MicroKernels* f32_microkernels_avx2() {
  static const F32MicroKernels table{"avx2",
                                     6,
                                     16,
                                     8,
                                     &f32_gemm_tile<x86::F32x8, 6, 2>,
                                     &f32_gemm_tile_indirect<x86::F32x8, 6, 2>,
                                     &f32_depthwise_row<x86::F32x8>,
                                     &f32_activation<x86::F32x8>,
                                     &f32_binary<x86::F32x8>,
                                     &deinterleave2_scalar,
                                     &f32_max_row<x86::F32x8>,
                                     &f32_sum<x86::F32x8>,
                                     &f32_pack_b_rows<x86::F32x8, 2>,
                                     &f32_gemm_rows_tile<x86::F32x8, 6, 2>,
                                     &f32_gemm_rows_tile<x86::F32x8, 6, 1>,
                                     &f32_depthwise_pixels<x86::F32x8>,
                                     &f32_max_pixels<x86::F32x8>,
                                     &f32_dot_rows<x86::F32x8>,
                                     &f32_column_sums<x86::F32x8>,
                                     &f32_winograd_input<x86::F32x8>,
                                     &f32_winograd_output<x86::F32x8>};
  return &table;
}

}  // namespace edgeai
