// Reference kernels of the tensor family. Stub: filled in by the family's owner.
#include "kernels/registry.hpp"

namespace edgeai {

void register_tensor_kernels(KernelRegistry& /*registry*/) {}

}  // namespace edgeai
