// Reference kernels of the resize family. Stub: filled in by the family's owner.
#include "kernels/registry.hpp"

namespace edgeai {

void register_resize_kernels(KernelRegistry& /*registry*/) {}

}  // namespace edgeai
