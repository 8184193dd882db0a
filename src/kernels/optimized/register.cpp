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

template <Table table>
void add_f32(KernelRegistry& r, const char* isa, int priority, bool (*available)(const CpuFeatures&)) {
  const std::string suffix = std::string("__") + isa;
  r.add_optimized("Conv", {"f32_conv_gemm_dw" + suffix, priority, available, &create<make_f32_conv_kernel, table>});
  r.add_optimized("Gemm", {"f32_gemm" + suffix, priority, available, &create<make_f32_gemm_kernel, table>});
  r.add_optimized("MatMul", {"f32_matmul" + suffix, priority, available, &create<make_f32_matmul_kernel, table>});
}

}  // namespace

void register_optimized_kernels(KernelRegistry& r) {
#if defined(__x86_64__)
  add_f32<f32_microkernels_avx512f>(r, "avx512f", 30, [](const CpuFeatures& f) { return f.avx512f && f.fma; });
  add_f32<f32_microkernels_avx2>(r, "avx2", 20, [](const CpuFeatures& f) { return f.avx2 && f.fma; });
#elif defined(__aarch64__)
  add_f32<f32_microkernels_neon>(r, "neon", 20, [](const CpuFeatures& f) { return f.neon; });
#else
  (void)r;
#endif
}

}  // namespace edgeai
