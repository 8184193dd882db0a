// An activation fused into the producing node (Conv, Gemm, MatMul, Add, ...) by the
// fuse-activation pass: the node carries attributes
//   activation = "Relu" | "Clip" | "LeakyRelu" | "HardSigmoid" | "HardSwish" | "Sigmoid" | "Tanh"
//                | "SiLU" (x * Sigmoid(x)) | "GatedHardSigmoid" (x * HardSigmoid(x), alpha/beta as
//                  HardSigmoid's; opset-13 exports of Hardswish): no ONNX operators of their own; the
//                  session fuses the activation + Mul pairs that exporters write, see
//                  fuse_gated_activations in graph/passes)
//   activation_alpha, activation_beta (floats; meaning as in the ONNX operator: Clip min/max,
//   LeakyRelu alpha, HardSigmoid alpha/beta)
// and kernels apply it in their epilogue. The formulas match the standalone reference
// kernels exactly, so fusing never changes a result.
#pragma once

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "core/status.hpp"
#include "graph/graph.hpp"
#include "graph/op_schema.hpp"

namespace edgeai {

enum class ActivationKind { kNone, kRelu, kClip, kLeakyRelu, kHardSigmoid, kHardSwish, kSigmoid, kTanh, kSilu,
                            kGatedHardSigmoid };

struct FusedActivation {
  ActivationKind kind = ActivationKind::kNone;
  float alpha = 0.0f;
  float beta = 0.0f;

  float apply(float x) const {
    switch (kind) {
      case ActivationKind::kNone: return x;
      case ActivationKind::kRelu: return x > 0.0f ? x : 0.0f;
      case ActivationKind::kClip: return std::min(std::max(x, alpha), beta);
      case ActivationKind::kLeakyRelu: return x >= 0.0f ? x : alpha * x;
      case ActivationKind::kHardSigmoid: return std::max(0.0f, std::min(1.0f, alpha * x + beta));
      case ActivationKind::kHardSwish: return x * std::max(0.0f, std::min(1.0f, x / 6.0f + 0.5f));
      case ActivationKind::kSigmoid: return 1.0f / (1.0f + std::exp(-x));
      case ActivationKind::kTanh: return std::tanh(x);
      case ActivationKind::kSilu: return x * (1.0f / (1.0f + std::exp(-x)));  // Mul(x, Sigmoid(x))
      case ActivationKind::kGatedHardSigmoid:  // Mul(x, HardSigmoid(x))
        return x * std::max(0.0f, std::min(1.0f, alpha * x + beta));
    }
    return x;
  }
};

// Reads the fused-activation attributes of `node`; an unknown name is an error.
Result<FusedActivation> fused_activation_of(const Node& node);
// The attribute specs every op that accepts a fused activation adds to its schema.
std::vector<AttrSpec> fused_activation_attr_specs();
// The op_type names the pass may fuse ("Relu", "Clip", ...), and kind for a name.
std::optional<ActivationKind> activation_kind_from_name(std::string_view name);
std::string_view activation_name(ActivationKind kind);

}  // namespace edgeai
