#include "graph/fused_activation.hpp"

namespace edgeai {

std::optional<ActivationKind> activation_kind_from_name(std::string_view name) {
  if (name == "Relu") return ActivationKind::kRelu;
  if (name == "Clip") return ActivationKind::kClip;
  if (name == "LeakyRelu") return ActivationKind::kLeakyRelu;
  if (name == "HardSigmoid") return ActivationKind::kHardSigmoid;
  if (name == "HardSwish") return ActivationKind::kHardSwish;
  if (name == "Sigmoid") return ActivationKind::kSigmoid;
  if (name == "Tanh") return ActivationKind::kTanh;
  if (name == "SiLU") return ActivationKind::kSilu;
  if (name == "GatedHardSigmoid") return ActivationKind::kGatedHardSigmoid;
  return std::nullopt;
}

std::string_view activation_name(ActivationKind kind) {
  switch (kind) {
    case ActivationKind::kNone: return "";
    case ActivationKind::kRelu: return "Relu";
    case ActivationKind::kClip: return "Clip";
    case ActivationKind::kLeakyRelu: return "LeakyRelu";
    case ActivationKind::kHardSigmoid: return "HardSigmoid";
    case ActivationKind::kHardSwish: return "HardSwish";
    case ActivationKind::kSigmoid: return "Sigmoid";
    case ActivationKind::kTanh: return "Tanh";
    case ActivationKind::kSilu: return "SiLU";
    case ActivationKind::kGatedHardSigmoid: return "GatedHardSigmoid";
  }
  return "";
}

Result<FusedActivation> fused_activation_of(const Node& node) {
  FusedActivation act;
  const std::string name = node.attr_string("activation", "");
  if (name.empty()) return act;
  std::optional<ActivationKind> kind = activation_kind_from_name(name);
  if (!kind) return invalid_argument(node.describe(), ": unknown fused activation '", name, "'");
  act.kind = *kind;
  act.alpha = node.attr_float("activation_alpha", 0.0f);
  act.beta = node.attr_float("activation_beta", 0.0f);
  return act;
}

std::vector<AttrSpec> fused_activation_attr_specs() {
  return {{"activation", AttrType::kString, false},
          {"activation_alpha", AttrType::kFloat, false},
          {"activation_beta", AttrType::kFloat, false}};
}

}  // namespace edgeai
