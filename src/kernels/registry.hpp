// The kernel registry: maps (op_type, implementation) to kernel factories. The reference
// kernels register as "reference" and are always there; optimised kernels register with a
// name that says what they are (XNNPACK style: "f32_conv_gemm__avx512f"), a priority and a
// CPU-feature predicate. Selection happens once, at plan time, never in a hot loop: the
// session prepares the available candidates best first and keeps the first that accepts
// the node (an optimised kernel declines shapes it does not cover by failing prepare), so
// the reference kernel is every optimised kernel's fallback. EDGEAI_KERNELS=reference in the
// environment (or SessionOptions::kernels) makes the reference kernels the only candidates.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/cpu_features.hpp"
#include "core/status.hpp"
#include "kernels/kernel.hpp"

namespace edgeai {

// Which kernels a session may use.
enum class KernelSelection {
  kAuto,       // the best available for this CPU, falling back to the reference
  kReference,  // the reference kernels only (EDGEAI_KERNELS=reference)
};

// EDGEAI_KERNELS from the environment: unset, "" or "auto" -> kAuto, "reference" -> kReference;
// anything else is an error that says what is accepted.
Result<KernelSelection> kernel_selection_from_environment();

// Whether a kernel runs `node` channels-last (graph/layout.hpp), asked by the session's layout
// pass before the node is rewritten: inputs as the graph has them (channels-first), values of
// the constant ones (else null).
using ChannelsLastCheck = bool (*)(const Node& node, const std::vector<ValueInfo>& inputs,
                                   const std::vector<const Tensor*>& input_values);

struct KernelImplementation {
  std::string name;  // "reference", or what the kernel is: "f32_conv_gemm__avx512f"
  int priority = 0;  // higher is tried first; the reference kernel is 0
  bool (*available)(const CpuFeatures&) = nullptr;  // null: any CPU
  KernelFactory factory = nullptr;
  // Non-null for kernels of channels-last nodes: the layout pass makes a node channels-last
  // when a kernel of this CPU says it runs it.
  ChannelsLastCheck runs_channels_last = nullptr;
};

class KernelRegistry {
 public:
  // The registry with every built-in kernel.
  static const KernelRegistry& builtin();

  // Registers the reference kernel of `op_type`.
  void add(std::string op_type, KernelFactory factory);
  // Registers an optimised kernel of `op_type`.
  void add_optimized(std::string op_type, KernelImplementation implementation);

  // Creates the reference kernel for `op_type`; kUnsupported naming the operator if there is none.
  Result<std::unique_ptr<Kernel>> create(std::string_view op_type) const;
  // Creates the implementation named `name` ("reference" included); kUnsupported if there is none.
  Result<std::unique_ptr<Kernel>> create(std::string_view op_type, std::string_view name) const;
  // The implementations this CPU can run, best first, ending with the reference kernel.
  std::vector<const KernelImplementation*> candidates(std::string_view op_type, KernelSelection selection,
                                                      const CpuFeatures& cpu = cpu_features()) const;
  bool has(std::string_view op_type) const;
  std::vector<std::string> op_types() const;
  // Every implementation of `op_type`, in registration order (for tests and `--help` texts).
  std::vector<const KernelImplementation*> implementations(std::string_view op_type) const;

 private:
  // Per op_type: the reference kernel first, then the optimised ones.
  std::map<std::string, std::vector<KernelImplementation>, std::less<>> implementations_;
};

// One function per family, in kernels/reference/<family>.cpp.
void register_conv_kernels(KernelRegistry& registry);           // Conv
void register_gemm_kernels(KernelRegistry& registry);           // Gemm, MatMul
void register_pool_kernels(KernelRegistry& registry);           // MaxPool, AveragePool, GlobalAveragePool
void register_normalization_kernels(KernelRegistry& registry);  // BatchNormalization
void register_resize_kernels(KernelRegistry& registry);         // Resize
void register_elementwise_kernels(KernelRegistry& registry);    // binary, unary, Identity, Dropout
void register_softmax_kernels(KernelRegistry& registry);        // Softmax
void register_reduce_kernels(KernelRegistry& registry);         // ReduceMean
void register_tensor_kernels(KernelRegistry& registry);         // Concat, Reshape, ..., Gather, Cast, Shape
// int8/uint8 (reference/quantized_*.cpp): QuantizeLinear, DequantizeLinear, QLinearConv, ConvInteger,
// QLinearMatMul, MatMulInteger, QGemm, QLinearAdd, QLinearMul, QLinearConcat, QLinearAveragePool,
// QLinearGlobalAveragePool, QLinearLookup.
void register_quantized_kernels(KernelRegistry& registry);
void register_int4_kernels(KernelRegistry& registry);  // DequantizeInt4 (reference/int4.cpp)
// Optimised kernels (optimized/*.cpp drive the ISA-specific micro-kernels in x86/ and arm/).
void register_optimized_kernels(KernelRegistry& registry);

}  // namespace edgeai
