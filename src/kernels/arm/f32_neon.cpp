// f32 micro-kernels for AArch64 NEON: GEMM tile 8x12 (24 q-register accumulators), depthwise
// rows, activations and binary arithmetic on 4 lanes. NEON is part of the AArch64 baseline:
// no extra flags.
#include "kernels/arm/vec_neon.hpp"
#include "kernels/optimized/f32_microkernels_impl.hpp"

namespace edgeai {

const F32MicroKernels* f32_microkernels_neon() {
  static const F32MicroKernels table{"neon",
                                     8,
                                     12,
                                     4,
                                     &f32_gemm_tile<arm::F32x4, 8, 3>,
                                     &f32_gemm_tile_indirect<arm::F32x4, 8, 3>,
                                     &f32_depthwise_row<arm::F32x4>,
                                     &f32_activation<arm::F32x4>,
                                     &f32_binary<arm::F32x4>,
                                     &deinterleave2_scalar,
                                     &f32_max_row<arm::F32x4>,
                                     &f32_sum<arm::F32x4>,
                                     &f32_pack_b_rows<arm::F32x4, 3>,
                                     &f32_gemm_rows_tile<arm::F32x4, 8, 3>,
                                     &f32_gemm_rows_tile<arm::F32x4, 8, 1>,
                                     &f32_depthwise_pixels<arm::F32x4>,
                                     &f32_max_pixels<arm::F32x4>,
                                     &f32_dot_rows<arm::F32x4>,
                                     &f32_column_sums<arm::F32x4>,
                                     &f32_winograd_input<arm::F32x4>,
                                     &f32_winograd_output<arm::F32x4>};
  return &table;
}

}  // namespace edgeai
