// Reference kernels of the elementwise family. Stub: filled in by the family's owner.
#include "kernels/registry.hpp"

namespace edgeai {

void register_elementwise_kernels(KernelRegistry& /*registry*/) {}

}  // namespace edgeai
