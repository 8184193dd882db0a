// What the CPU we run on can do, asked once: cpuid on x86 (with the OS's consent to save the
// AVX/AVX-512 registers, via xgetbv), hwcaps on Linux/aarch64. The kernel registry picks
// optimised kernels by it; `edgeai compress` says from it whether int8 will pay off.
#pragma once

#include <string>

namespace edgeai {

struct CpuFeatures {
  std::string model;  // "Intel(R) Xeon(R) ..." (x86 brand string) or "aarch64"
  bool avx2 = false;
  bool fma = false;
  bool avx512f = false;
  bool avx512bw = false;
  bool avx512_vnni = false;  // vpdpbusd on 512-bit registers
  bool avx_vnni = false;     // vpdpbusd on 256-bit registers (Alder Lake and later)
  // AMX tiles with int8 dot products (Sapphire Rapids and later), the OS saving tile state,
  // and (Linux) this process granted it: tdpbsud on 16x64-byte tiles.
  bool amx_int8 = false;
  bool neon = false;
  bool arm_dotprod = false;  // sdot/udot

  // Has an int8 dot-product instruction (VNNI or Arm dot product).
  bool has_int8_dot_product() const { return avx512_vnni || avx_vnni || arm_dotprod; }
  // "avx2 fma avx512f avx512bw avx512_vnni" and so on.
  std::string describe() const;
};

const CpuFeatures& cpu_features();

}  // namespace edgeai
