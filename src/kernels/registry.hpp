// The kernel registry: maps (op_type, implementation) to kernel factories. The reference
// kernels register as "reference"; optimised kernels (later) register with a priority and
// a CPU-feature predicate, and selection happens once, at plan time, never in a hot loop.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.hpp"
#include "kernels/kernel.hpp"

namespace edgeai {

class KernelRegistry {
 public:
  // The registry with every built-in kernel.
  static const KernelRegistry& builtin();

  void add(std::string op_type, KernelFactory factory);
  // Creates the kernel for `op_type`; kUnsupported naming the operator if there is none.
  Result<std::unique_ptr<Kernel>> create(std::string_view op_type) const;
  bool has(std::string_view op_type) const;
  std::vector<std::string> op_types() const;

 private:
  std::map<std::string, KernelFactory, std::less<>> factories_;
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

}  // namespace edgeai
