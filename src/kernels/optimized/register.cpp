// Registers the optimised kernels of the ISAs this build has. Priority: the widest vectors
// first; the registry keeps only those the CPU runs (cpuid / hwcaps, asked once) and the
// session falls back to the reference kernel for nodes they decline.
#include "kernels/optimized/optimized_kernels.hpp"
#include "kernels/registry.hpp"

namespace edgeai {
namespace {

using Make = std::unique_ptr<Kernel> (*)(const F32MicroKernels*);
using Table = const F32MicroKernels* (*)();

template <Make make, Table table>
std::unique_ptr<Kernel> create() {
  return make(table());
}

template <Table table, ActivationKind kind>
std::unique_ptr<Kernel> create_activation() {
  return make_f32_activation_kernel(table(), kind);
}

template <Table table, F32BinaryOp op>
std::unique_ptr<Kernel> create_binary() {
  return make_f32_binary_kernel(table(), op);
}

template <Table table>
void add_f32(KernelRegistry& r, const char* isa, int priority, bool (*available)(const CpuFeatures&)) {
  const std::string suffix = std::string("__") + isa;
  r.add_optimized("Conv", {"f32_conv_gemm_dw" + suffix, priority, available, &create<make_f32_conv_kernel, table>});
  // Channels-last nodes only (the channels-first kernels decline them, and these the others).
  r.add_optimized("Conv", {"f32_conv_winograd" + suffix, priority + 1, available,
                           &create<make_f32_conv_winograd_kernel, table>, &f32_conv_runs_channels_last});
  r.add_optimized("Conv", {"f32_conv_nhwc" + suffix, priority, available,
                           &create<make_f32_conv_channels_last_kernel, table>, &f32_conv_runs_channels_last});
  r.add_optimized("MaxPool", {"f32_maxpool_nhwc" + suffix, priority, available,
                              &create<make_f32_maxpool_channels_last_kernel, table>, &f32_maxpool_runs_channels_last});
  r.add_optimized("GlobalAveragePool", {"f32_global_average_pool_nhwc" + suffix, priority, available,
                                        &create<make_f32_global_average_pool_channels_last_kernel, table>,
                                        &f32_global_average_pool_runs_channels_last});
  r.add_optimized("Gemm", {"f32_gemm" + suffix, priority, available, &create<make_f32_gemm_kernel, table>});
  r.add_optimized("MatMul", {"f32_matmul" + suffix, priority, available, &create<make_f32_matmul_kernel, table>});
  r.add_optimized("MaxPool", {"f32_maxpool" + suffix, priority, available, &create<make_f32_maxpool_kernel, table>});
  r.add_optimized("GlobalAveragePool", {"f32_global_average_pool" + suffix, priority, available,
                                        &create<make_f32_global_average_pool_kernel, table>});
  r.add_optimized("Relu", {"f32_relu" + suffix, priority, available, &create_activation<table, ActivationKind::kRelu>});
  r.add_optimized("LeakyRelu",
                  {"f32_leakyrelu" + suffix, priority, available, &create_activation<table, ActivationKind::kLeakyRelu>});
  r.add_optimized("Sigmoid",
                  {"f32_sigmoid" + suffix, priority, available, &create_activation<table, ActivationKind::kSigmoid>});
  r.add_optimized("HardSigmoid", {"f32_hardsigmoid" + suffix, priority, available,
                                  &create_activation<table, ActivationKind::kHardSigmoid>});
  r.add_optimized("HardSwish",
                  {"f32_hardswish" + suffix, priority, available, &create_activation<table, ActivationKind::kHardSwish>});
  r.add_optimized("Add", {"f32_add" + suffix, priority, available, &create_binary<table, F32BinaryOp::kAdd>});
  r.add_optimized("Sub", {"f32_sub" + suffix, priority, available, &create_binary<table, F32BinaryOp::kSub>});
  r.add_optimized("Mul", {"f32_mul" + suffix, priority, available, &create_binary<table, F32BinaryOp::kMul>});
  r.add_optimized("Div", {"f32_div" + suffix, priority, available, &create_binary<table, F32BinaryOp::kDiv>});
}

}  // namespace

void register_optimized_kernels(KernelRegistry& r) {
  r.add_optimized("Transpose", {"transpose_nchw_nhwc", 10, nullptr, [] { return make_layout_transpose_kernel(); }});
  r.add_optimized("Concat", {"concat", 10, nullptr, [] { return make_concat_kernel(); }});
  r.add_optimized("QLinearGlobalAveragePool",
                  {"qs8_global_average_pool", 10, nullptr, [] { return make_qs8_global_average_pool_kernel(); }});
#if defined(__x86_64__)
  const auto vnni = [](const CpuFeatures& f) { return f.avx512bw && f.avx512_vnni; };
  const auto amx = [](const CpuFeatures& f) { return f.amx_int8 && f.avx512bw && f.avx512_vnni; };
  r.add_optimized("QLinearConv", {"qs8_conv_gemm_dw__amx", 35, amx,
                                  [] { return make_qs8_conv_kernel(qs8_microkernels_avx512amx()); }});
  r.add_optimized("QLinearConv", {"qs8_conv_gemm_dw__avx512vnni", 30, vnni,
                                  [] { return make_qs8_conv_kernel(qs8_microkernels_avx512vnni()); }});
  r.add_optimized("QuantizeLinear", {"qs8_quantize__avx512vnni", 30, vnni,
                                     [] { return make_qs8_quantize_kernel(qs8_microkernels_avx512vnni()); }});
  r.add_optimized("QLinearAdd", {"qs8_add__avx512vnni", 30, vnni,
                                 [] { return make_qs8_add_kernel(qs8_microkernels_avx512vnni()); }});
  r.add_optimized("QGemm", {"qs8_gemv__avx512vnni", 30, vnni,
                            [] { return make_qs8_gemm_kernel(qs8_microkernels_avx512vnni()); }});
  r.add_optimized("DequantizeLinear", {"qs8_dequantize__avx512vnni", 30, vnni,
                                       [] { return make_qs8_dequantize_kernel(qs8_microkernels_avx512vnni()); }});
  r.add_optimized("QLinearMul", {"qs8_mul__avx512vnni", 30, vnni,
                                 [] { return make_qs8_mul_kernel(qs8_microkernels_avx512vnni()); }});
  r.add_optimized("MaxPool", {"qs8_maxpool__avx512vnni", 25, vnni,
                              [] { return make_qs8_maxpool_kernel(qs8_microkernels_avx512vnni()); }});
  r.add_optimized("QLinearConcat", {"qs8_concat__avx512vnni", 30, vnni,
                                    [] { return make_qs8_concat_kernel(qs8_microkernels_avx512vnni()); }});
  r.add_optimized("QLinearConv", {"qs8_conv_gemm_dw__avx2", 20, [](const CpuFeatures& f) { return f.avx2; },
                                  [] { return make_qs8_conv_kernel(qs8_microkernels_avx2()); }});
  add_f32<f32_microkernels_avx512f>(r, "avx512f", 30, [](const CpuFeatures& f) { return f.avx512f && f.fma; });
  add_f32<f32_microkernels_avx2>(r, "avx2", 20, [](const CpuFeatures& f) { return f.avx2 && f.fma; });
#elif defined(__aarch64__)
  add_f32<f32_microkernels_neon>(r, "neon", 20, [](const CpuFeatures& f) { return f.neon; });
  r.add_optimized("QLinearConv", {"qs8_conv_gemm_dw__neondot", 30, [](const CpuFeatures& f) { return f.arm_dotprod; },
                                  [] { return make_qs8_conv_kernel(qs8_microkernels_neon_dot()); }});
  r.add_optimized("QLinearConv", {"qs8_conv_gemm_dw__neon", 20, [](const CpuFeatures& f) { return f.neon; },
                                  [] { return make_qs8_conv_kernel(qs8_microkernels_neon()); }});
#else
  (void)r;
#endif
}

}  // namespace edgeai
