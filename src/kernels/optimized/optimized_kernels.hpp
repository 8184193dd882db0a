// Factories of the optimised kernels, one per kernel class, each bound to one ISA's
// micro-kernel table; register.cpp registers them for the ISAs this build has.
#pragma once

#include <memory>
#include <vector>

#include "graph/fused_activation.hpp"
#include "kernels/kernel.hpp"
#include "kernels/optimized/f32_microkernels.hpp"
#include "kernels/optimized/qs8_microkernels.hpp"

namespace edgeai {

std::unique_ptr<Kernel> make_f32_conv_kernel(const F32MicroKernels* uk);
std::unique_ptr<Kernel> make_f32_gemm_kernel(const F32MicroKernels* uk);
std::unique_ptr<Kernel> make_f32_matmul_kernel(const F32MicroKernels* uk);
std::unique_ptr<Kernel> make_f32_maxpool_kernel(const F32MicroKernels* uk);
std::unique_ptr<Kernel> make_f32_global_average_pool_kernel(const F32MicroKernels* uk);
std::unique_ptr<Kernel> make_f32_activation_kernel(const F32MicroKernels* uk, ActivationKind kind);
std::unique_ptr<Kernel> make_f32_binary_kernel(const F32MicroKernels* uk, F32BinaryOp op);
// Channels-last (graph/layout.hpp), with the checks the layout pass asks (registry.hpp).
std::unique_ptr<Kernel> make_f32_conv_channels_last_kernel(const F32MicroKernels* uk);
// 3x3 stride-1 convolutions by Winograd F(2x2, 3x3); declines the others (f32_winograd.cpp).
std::unique_ptr<Kernel> make_f32_conv_winograd_kernel(const F32MicroKernels* uk);
std::unique_ptr<Kernel> make_f32_maxpool_channels_last_kernel(const F32MicroKernels* uk);
std::unique_ptr<Kernel> make_f32_global_average_pool_channels_last_kernel(const F32MicroKernels* uk);
bool f32_conv_runs_channels_last(const Node& node, const std::vector<ValueInfo>& inputs,
                                 const std::vector<const Tensor*>& values);
bool f32_maxpool_runs_channels_last(const Node& node, const std::vector<ValueInfo>& inputs,
                                    const std::vector<const Tensor*>& values);
bool f32_global_average_pool_runs_channels_last(const Node& node, const std::vector<ValueInfo>& inputs,
                                                const std::vector<const Tensor*>& values);
std::unique_ptr<Kernel> make_qs8_conv_kernel(const QS8MicroKernels* uk);
std::unique_ptr<Kernel> make_qs8_quantize_kernel(const QS8MicroKernels* uk);
std::unique_ptr<Kernel> make_qs8_add_kernel(const QS8MicroKernels* uk);
std::unique_ptr<Kernel> make_qs8_gemm_kernel(const QS8MicroKernels* uk);
std::unique_ptr<Kernel> make_qs8_dequantize_kernel(const QS8MicroKernels* uk);
std::unique_ptr<Kernel> make_qs8_mul_kernel(const QS8MicroKernels* uk);
std::unique_ptr<Kernel> make_qs8_concat_kernel(const QS8MicroKernels* uk);
std::unique_ptr<Kernel> make_qs8_maxpool_kernel(const QS8MicroKernels* uk);
std::unique_ptr<Kernel> make_qs8_global_average_pool_kernel();  // portable (compiler-vectorised)
std::unique_ptr<Kernel> make_concat_kernel();  // portable, any dtype
std::unique_ptr<Kernel> make_layout_transpose_kernel();          // portable: NCHW <-> NHWC

}  // namespace edgeai
