#include "kernels/registry.hpp"

#include <algorithm>
#include <cstdlib>

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
    register_optimized_kernels(r);
    return r;
  }();
  return registry;
}

Result<KernelSelection> kernel_selection_from_environment() {
  const char* value = std::getenv("EDGEAI_KERNELS");
  if (value == nullptr || *value == '\0' || std::string_view(value) == "auto") return KernelSelection::kAuto;
  if (std::string_view(value) == "reference") return KernelSelection::kReference;
  return invalid_argument("EDGEAI_KERNELS='", value, "': expected 'auto' (the fastest kernels this CPU runs) or ",
                          "'reference' (the reference kernels only)");
}

void KernelRegistry::add(std::string op_type, KernelFactory factory) {
  std::vector<KernelImplementation>& list = implementations_[op_type];
  KernelImplementation reference{"reference", 0, nullptr, factory};
  if (!list.empty() && list.front().name == "reference") {
    list.front() = reference;
  } else {
    list.insert(list.begin(), reference);
  }
}

void KernelRegistry::add_optimized(std::string op_type, KernelImplementation implementation) {
  implementations_[op_type].push_back(std::move(implementation));
}

Result<std::unique_ptr<Kernel>> KernelRegistry::create(std::string_view op_type) const {
  return create(op_type, "reference");
}

Result<std::unique_ptr<Kernel>> KernelRegistry::create(std::string_view op_type, std::string_view name) const {
  auto it = implementations_.find(op_type);
  if (it == implementations_.end()) return unsupported("no kernel for operator ", op_type);
  for (const KernelImplementation& impl : it->second) {
    if (impl.name == name) return impl.factory();
  }
  return unsupported("no kernel '", name, "' for operator ", op_type);
}

std::vector<const KernelImplementation*> KernelRegistry::candidates(std::string_view op_type,
                                                                    KernelSelection selection,
                                                                    const CpuFeatures& cpu) const {
  std::vector<const KernelImplementation*> out;
  auto it = implementations_.find(op_type);
  if (it == implementations_.end()) return out;
  const KernelImplementation* reference = nullptr;
  for (const KernelImplementation& impl : it->second) {
    if (impl.name == "reference") {
      reference = &impl;
    } else if (selection == KernelSelection::kAuto && (impl.available == nullptr || impl.available(cpu))) {
      out.push_back(&impl);
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const auto* a, const auto* b) { return a->priority > b->priority; });
  if (reference != nullptr) out.push_back(reference);
  return out;
}

bool KernelRegistry::has(std::string_view op_type) const {
  auto it = implementations_.find(op_type);
  return it != implementations_.end() &&
         std::any_of(it->second.begin(), it->second.end(), [](const auto& i) { return i.name == "reference"; });
}

std::vector<std::string> KernelRegistry::op_types() const {
  std::vector<std::string> out;
  for (const auto& [name, list] : implementations_) out.push_back(name);
  return out;
}

std::vector<const KernelImplementation*> KernelRegistry::implementations(std::string_view op_type) const {
  std::vector<const KernelImplementation*> out;
  auto it = implementations_.find(op_type);
  if (it == implementations_.end()) return out;
  for (const KernelImplementation& impl : it->second) out.push_back(&impl);
  return out;
}

}  // namespace edgeai
