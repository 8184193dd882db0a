// Reference kernels of the conv family. Stub: filled in by the family's owner.
#include "kernels/registry.hpp"

namespace edgeai {

void register_conv_kernels(KernelRegistry& /*registry*/) {}

}  // namespace edgeai
