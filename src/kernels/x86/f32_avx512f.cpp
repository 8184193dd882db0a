// f32 micro-kernels for AVX-512F: GEMM tile 8x32 (16 zmm accumulators), depthwise rows of 16
// lanes. Compiled with -mavx512f -mfma; chosen only when cpuid says the CPU and OS have AVX-512.
#include "kernels/optimized/f32_microkernels_impl.hpp"
#include "kernels/x86/vec_avx512.hpp"

namespace edgeai {

const F32MicroKernels* f32_microkernels_avx512f() {
  static const F32MicroKernels table{"avx512f", 8, 32, 16, &f32_gemm_tile<x86::F32x16, 8, 2>,
                                     &f32_depthwise_row<x86::F32x16>};
  return &table;
}

}  // namespace edgeai
