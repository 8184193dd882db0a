// Reference kernels of the pool family. Stub: filled in by the family's owner.
#include "kernels/registry.hpp"

namespace edgeai {

void register_pool_kernels(KernelRegistry& /*registry*/) {}

}  // namespace edgeai
