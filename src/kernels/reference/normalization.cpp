// Reference kernels of the normalization family. Stub: filled in by the family's owner.
#include "kernels/registry.hpp"

namespace edgeai {

void register_normalization_kernels(KernelRegistry& /*registry*/) {}

}  // namespace edgeai
