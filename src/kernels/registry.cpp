#include "kernels/registry.hpp"

namespace edgeai {

const KernelRegistry& KernelRegistry::builtin() {
  static const KernelRegistry registry = [] {
    KernelRegistry r;
    register_conv_kernels(r);
    register_gemm_kernels(r);
    register_pool_kernels(r);
    register_normalization_kernels(r);
    register_resize_kernels(r);
    register_elementwise_kernels(r);
    register_softmax_kernels(r);
    register_reduce_kernels(r);
    register_tensor_kernels(r);
    register_quantized_kernels(r);
    register_int4_kernels(r);
    return r;
  }();
  return registry;
}

void KernelRegistry::add(std::string op_type, KernelFactory factory) {
  factories_.insert_or_assign(std::move(op_type), factory);
}

Result<std::unique_ptr<Kernel>> KernelRegistry::create(std::string_view op_type) const {
  auto it = factories_.find(op_type);
  if (it == factories_.end()) return unsupported("no kernel for operator ", op_type);
  return it->second();
}

bool KernelRegistry::has(std::string_view op_type) const { return factories_.find(op_type) != factories_.end(); }

std::vector<std::string> KernelRegistry::op_types() const {
  std::vector<std::string> out;
  for (const auto& [name, factory] : factories_) out.push_back(name);
  return out;
}

}  // namespace edgeai
