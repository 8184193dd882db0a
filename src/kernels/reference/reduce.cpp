// Reference kernels of the reduce family. Stub: filled in by the family's owner.
#include "kernels/registry.hpp"

namespace edgeai {

void register_reduce_kernels(KernelRegistry& /*registry*/) {}

}  // namespace edgeai
