// Reference kernels of the softmax family. Stub: filled in by the family's owner.
#include "kernels/registry.hpp"

namespace edgeai {

void register_softmax_kernels(KernelRegistry& /*registry*/) {}

}  // namespace edgeai
