// Reference kernels of the gemm family. Stub: filled in by the family's owner.
#include "kernels/registry.hpp"

namespace edgeai {

void register_gemm_kernels(KernelRegistry& /*registry*/) {}

}  // namespace edgeai
