// What the quantised reference kernels share: checking and reading their scale and zero-point
// inputs (scalars or per-channel 1-D tensors, constants or fed at run time), turning real
// ratios into kernels/quantization.hpp's float32 scales or fixed-point multipliers with an
// error that names the node, and a fused Relu/Clip as a clamp in the output's integer domain. The arithmetic itself
// lives in kernels/quantization.hpp only. Depends on core, graph and the kernel contract.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "graph/fused_activation.hpp"
#include "graph/ops/quant_params.hpp"
#include "kernels/kernel.hpp"
#include "kernels/quantization.hpp"
#include "kernels/registry.hpp"

namespace edgeai {

// The parts of register_quantized_kernels (registry.hpp), one per quantized_<family>.cpp.
void register_quantized_conv_kernels(KernelRegistry& registry);         // QLinearConv, ConvInteger
void register_quantized_gemm_kernels(KernelRegistry& registry);         // QLinearMatMul, MatMulInteger, QGemm
void register_quantized_pool_kernels(KernelRegistry& registry);         // QLinearAveragePool, QLinearGlobalAveragePool
void register_quantized_elementwise_kernels(KernelRegistry& registry);  // Quantize/DequantizeLinear, QLinearAdd,
                                                                        // QLinearMul, QLinearConcat, QLinearLookup

inline bool is_quantized_dtype(DType dtype) { return dtype == DType::kInt8 || dtype == DType::kUInt8; }

// Calls fn(T{}) with T = int8_t or uint8_t for `dtype`; false for any other dtype.
template <typename Fn>
bool visit_quantized(DType dtype, Fn&& fn) {
  if (dtype == DType::kInt8) {
    fn(std::int8_t{});
    return true;
  }
  if (dtype == DType::kUInt8) {
    fn(std::uint8_t{});
    return true;
  }
  return false;
}

// Activations (x and y of the convolutions, matrix products, pools, Concat and Quantize/
// DequantizeLinear) may also be int16: the "16x8" scheme, int16 activations with zero point 0 and
// int8 weights, for layers whose 8-bit activations lose too much. Weights stay int8/uint8.
inline bool is_activation_dtype(DType dtype) { return is_quantized_dtype(dtype) || dtype == DType::kInt16; }

// visit_quantized, plus int16_t for an int16 activation.
template <typename Fn>
bool visit_activation(DType dtype, Fn&& fn) {
  if (dtype == DType::kInt16) {
    fn(std::int16_t{});
    return true;
  }
  return visit_quantized(dtype, std::forward<Fn>(fn));
}

inline bool has_input(const KernelSignature& sig, std::size_t i) {
  return i < sig.inputs.size() && sig.inputs[i].dtype != DType::kUndefined;
}
inline bool has_input(std::span<const TensorView> inputs, std::size_t i) {
  return i < inputs.size() && inputs[i].data != nullptr;
}
// Input i, or nullptr when it is absent. (A pointer: copying a TensorView copies its shape,
// which would allocate in run().)
inline const TensorView* optional_input(std::span<const TensorView> inputs, std::size_t i) {
  return has_input(inputs, i) ? &inputs[i] : nullptr;
}

// graph/ops/quant_params.hpp's rule for a present input of the signature.
inline Status check_quant_param(const std::string& node, const KernelSignature& sig, const QuantParamSpec& spec,
                                bool allow_int32_zero_point = false) {
  if (!has_input(sig, spec.index)) return Status::ok();
  return check_quant_param(node, sig.inputs[spec.index], spec, allow_int32_zero_point);
}

// The views of the inputs known at plan time (constants); absent or run-time inputs are empty.
inline std::vector<TensorView> constant_input_views(const KernelSignature& sig) {
  std::vector<TensorView> views(sig.inputs.size());
  for (std::size_t i = 0; i < sig.inputs.size() && i < sig.input_values.size(); ++i) {
    if (sig.input_values[i] != nullptr) views[i] = sig.input_values[i]->view();
  }
  return views;
}

// True when every present input among `indices` is a constant, so the parameters they give
// can be computed once at prepare().
inline bool are_constants(const KernelSignature& sig, std::initializer_list<std::size_t> indices) {
  for (std::size_t i : indices) {
    if (has_input(sig, i) && (i >= sig.input_values.size() || sig.input_values[i] == nullptr)) return false;
  }
  return true;
}

// Element i of a scale tensor, or its only element when it holds one.
inline float scale_at(const TensorView& scale, std::int64_t i) {
  return scale.data_as<const float>()[scale.num_elements() == 1 ? 0 : i];
}

// Element i of a zero-point tensor (int8, uint8, int16 or int32), its only element when it holds one,
// 0 when the input is absent (nullptr).
inline std::int32_t zero_point_at(const TensorView* zero_point, std::int64_t i) {
  if (zero_point == nullptr || zero_point->data == nullptr) return 0;
  const std::int64_t j = zero_point->num_elements() == 1 ? 0 : i;
  switch (zero_point->dtype) {
    case DType::kInt8:
      return zero_point->data_as<const std::int8_t>()[j];
    case DType::kUInt8:
      return zero_point->data_as<const std::uint8_t>()[j];
    case DType::kInt16:
      return zero_point->data_as<const std::int16_t>()[j];
    case DType::kInt32:
      return zero_point->data_as<const std::int32_t>()[j];
    default:
      return 0;
  }
}

// A scale must be a positive finite float (QuantizeLinear divides by it).
inline Status check_scale_value(const std::string& node, std::string_view name, float scale) {
  if (!(scale > 0.0f) || !std::isfinite(scale)) {
    return invalid_argument(node, ": ", name, " must be positive and finite, got ", scale);
  }
  return Status::ok();
}

// make_fixed_point_multiplier with an error naming the node and what the ratio is (`what...`
// is only formatted on failure, so run() allocates nothing on the good path).
template <typename... What>
Status make_multiplier(const std::string& node, double real, quant::FixedPointMultiplier* out, const What&... what) {
  if (!quant::make_fixed_point_multiplier(real, out)) {
    return invalid_argument(node, ": ", what..., " = ", real,
                            " is not a usable requantisation multiplier (it must be in [0, ", quant::kMaxRealMultiplier,
                            "])");
  }
  return Status::ok();
}

// make_requantization_scale with the same error as make_multiplier.
template <typename... What>
Status make_requantization_scale(const std::string& node, double real, float* out, const What&... what) {
  if (!quant::make_requantization_scale(real, out)) {
    return invalid_argument(node, ": ", what..., " = ", real,
                            " is not a usable requantisation scale (it must be in [0, ", quant::kMaxRealMultiplier,
                            "])");
  }
  return Status::ok();
}

// An exact int64 accumulator as the int32 accumulator of the integer kernels: saturated where it
// would not fit. Models whose scales the compressor chose never come near the limit.
inline std::int32_t saturate_to_int32(std::int64_t acc) {
  return static_cast<std::int32_t>(std::clamp<std::int64_t>(acc, std::numeric_limits<std::int32_t>::min(),
                                                            std::numeric_limits<std::int32_t>::max()));
}

// A fused activation in the integer domain: the output clamp [lo, hi]. Relu's lower bound is
// quantize(0), Clip's bounds are quantize(min) and quantize(max), both with the output's scale
// and zero point and inside [qmin, qmax]; so a fused Relu/Clip gives exactly what the float
// activation followed by QuantizeLinear would give.
struct QuantizedClamp {
  std::int32_t lo = 0;
  std::int32_t hi = 0;

  std::int32_t apply(std::int32_t q) const { return std::min(std::max(q, lo), hi); }
};

// Only Relu and Clip have an integer form; other kinds need a QLinearLookup table.
inline Status check_quantized_activation(const Node& node, const FusedActivation& activation) {
  if (activation.kind == ActivationKind::kNone || activation.kind == ActivationKind::kRelu ||
      activation.kind == ActivationKind::kClip) {
    return Status::ok();
  }
  return unsupported(node.describe(), ": fused activation ", activation_name(activation.kind),
                     " has no integer form (Relu and Clip do; others run as QLinearLookup)");
}

inline QuantizedClamp quantized_clamp(const FusedActivation& activation, float y_scale, std::int32_t y_zero_point,
                                      std::int32_t qmin, std::int32_t qmax) {
  switch (activation.kind) {
    case ActivationKind::kRelu:
      return {quant::quantize_value(0.0f, y_scale, y_zero_point, qmin, qmax), qmax};
    case ActivationKind::kClip:
      return {quant::quantize_value(activation.alpha, y_scale, y_zero_point, qmin, qmax),
              quant::quantize_value(activation.beta, y_scale, y_zero_point, qmin, qmax)};
    default:
      return {qmin, qmax};
  }
}

}  // namespace edgeai
