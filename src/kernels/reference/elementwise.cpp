// Reference kernels of the elementwise family: binary arithmetic with ONNX multidirectional
// broadcasting (Add, Sub, Mul, Div, Pow), unary activations/math, Clip, Identity and Dropout
// (inference). Plain loops that are the numerical specification; activation formulas come
// from graph/fused_activation.hpp so a fused epilogue computes bit-identical results.
// Depends on core, graph and the kernel contract only.
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>

#include "graph/fused_activation.hpp"
#include "kernels/reference/broadcast.hpp"
#include "kernels/registry.hpp"

namespace edgeai {
namespace {

// Calls fn(T{}) with T the C++ type of `dtype`, for the numeric dtypes; false if none.
template <typename Fn>
bool visit_numeric(DType dtype, Fn&& fn) {
  switch (dtype) {
    case DType::kFloat32:
      fn(float{});
      return true;
    case DType::kFloat64:
      fn(double{});
      return true;
    case DType::kInt8:
      fn(std::int8_t{});
      return true;
    case DType::kUInt8:
      fn(std::uint8_t{});
      return true;
    case DType::kInt16:
      fn(std::int16_t{});
      return true;
    case DType::kInt32:
      fn(std::int32_t{});
      return true;
    case DType::kInt64:
      fn(std::int64_t{});
      return true;
    default:
      return false;
  }
}

// ---------------------------------------------------------------------------------------
// Add, Sub, Mul, Div. Integer results wrap modulo 2^bits as numpy's do (test_add_uint8):
// the arithmetic is done in uint64 so signed overflow is never undefined behaviour.
// Integer Div truncates toward zero (ONNX reference: np.divide then astype).
enum class ArithOp { kAdd, kSub, kMul, kDiv };

template <typename T>
T wrap_arith(ArithOp op, T a, T b) {
  const std::uint64_t ua = static_cast<std::uint64_t>(a);
  const std::uint64_t ub = static_cast<std::uint64_t>(b);
  switch (op) {
    case ArithOp::kAdd:
      return static_cast<T>(ua + ub);
    case ArithOp::kSub:
      return static_cast<T>(ua - ub);
    case ArithOp::kMul:
      return static_cast<T>(ua * ub);
    case ArithOp::kDiv:
      // b == 0 was rejected before the loop; min / -1 overflows, so negate with wrap-around.
      if constexpr (std::is_signed_v<T>) {
        if (b == -1) return static_cast<T>(std::uint64_t{0} - ua);
      }
      return static_cast<T>(a / b);
  }
  return T{};
}

class ArithmeticKernel final : public Kernel {
 public:
  explicit ArithmeticKernel(ArithOp op) : op_(op) {}

  Status prepare(const Node& node, const KernelSignature& sig) override {
    node_ = node.describe();
    dtype_ = sig.inputs[0].dtype;
    if (sig.inputs[1].dtype != dtype_) {
      return invalid_argument(node_, ": inputs have different dtypes ", dtype_name(dtype_), " and ",
                              dtype_name(sig.inputs[1].dtype));
    }
    EDGEAI_ASSIGN_OR_RETURN(activation_, fused_activation_of(node));
    if (activation_.kind != ActivationKind::kNone && dtype_ != DType::kFloat32) {
      return unsupported(node_, ": a fused activation needs float32, got ", dtype_name(dtype_));
    }
    const bool supported = visit_numeric(dtype_, [](auto) {});
    if (!supported) return unsupported(node_, ": dtype ", dtype_name(dtype_), " is not supported");
    std::optional<Shape> out = broadcast_shapes(sig.inputs[0].shape, sig.inputs[1].shape);
    if (!out || *out != sig.outputs[0].shape) {
      return invalid_argument(node_, ": shapes ", shape_to_string(sig.inputs[0].shape), " and ",
                              shape_to_string(sig.inputs[1].shape), " do not broadcast to ",
                              shape_to_string(sig.outputs[0].shape));
    }
    plan_ = make_broadcast_plan(sig.inputs[0].shape, sig.inputs[1].shape, sig.outputs[0].shape);
    input0_is_output_shaped_ = sig.inputs[0].shape == sig.outputs[0].shape;
    return Status::ok();
  }

  // The output may take input 0's buffer only when input 0 is not broadcast: then output
  // element i reads element i of input 0 just before writing it.
  Aliasing aliasing() const override { return input0_is_output_shaped_ ? Aliasing::kInPlaceAllowed : Aliasing::kNone; }

  Status run(std::span<const TensorView> inputs, std::span<TensorView> outputs, void*) override {
    Status status;
    visit_numeric(dtype_, [&](auto tag) {
      using T = decltype(tag);
      status = run_typed<T>(inputs[0].data_as<const T>(), inputs[1].data_as<const T>(), outputs[0].data_as<T>(),
                            inputs[1].num_elements());
    });
    return status;
  }

 private:
  template <typename T>
  Status run_typed(const T* a, const T* b, T* out, std::int64_t b_count) {
    if constexpr (std::is_floating_point_v<T>) {
      switch (op_) {
        case ArithOp::kAdd:
          apply(a, b, out, [](T x, T y) { return x + y; });
          break;
        case ArithOp::kSub:
          apply(a, b, out, [](T x, T y) { return x - y; });
          break;
        case ArithOp::kMul:
          apply(a, b, out, [](T x, T y) { return x * y; });
          break;
        case ArithOp::kDiv:
          apply(a, b, out, [](T x, T y) { return x / y; });
          break;
      }
    } else {
      if (op_ == ArithOp::kDiv) {
        for (std::int64_t i = 0; i < b_count; ++i) {
          if (b[i] == 0) return invalid_argument(node_, ": integer division by zero (divisor element ", i, ")");
        }
      }
      const ArithOp op = op_;
      broadcast_apply(plan_, a, b, out, [op](T x, T y) { return wrap_arith(op, x, y); });
    }
    return Status::ok();
  }

  // Float paths: the fused activation (if any) is applied to each result, as the
  // standalone activation kernel would apply it to the stored value.
  template <typename T, typename Fn>
  void apply(const T* a, const T* b, T* out, Fn fn) {
    if constexpr (std::is_same_v<T, float>) {
      if (activation_.kind != ActivationKind::kNone) {
        const FusedActivation act = activation_;
        broadcast_apply(plan_, a, b, out, [act, fn](float x, float y) { return act.apply(fn(x, y)); });
        return;
      }
    }
    broadcast_apply(plan_, a, b, out, fn);
  }

  ArithOp op_;
  std::string node_;
  DType dtype_ = DType::kUndefined;
  FusedActivation activation_;
  BroadcastPlan plan_;
  bool input0_is_output_shaped_ = false;
};

// Pow (opset 15): base and exponent types may differ; the result has the base's type.
// Computed in double and converted, as the ONNX reference (np.power, then astype) does.
class PowKernel final : public Kernel {
 public:
  Status prepare(const Node& node, const KernelSignature& sig) override {
    node_ = node.describe();
    base_ = sig.inputs[0].dtype;
    exponent_ = sig.inputs[1].dtype;
    auto is_supported = [](DType d) {
      return d == DType::kFloat32 || d == DType::kFloat64 || d == DType::kInt32 || d == DType::kInt64;
    };
    if (!is_supported(base_) || !is_supported(exponent_)) {
      return unsupported(node_, ": Pow of ", dtype_name(base_), " by ", dtype_name(exponent_),
                         " is not supported (float32, float64, int32, int64)");
    }
    if (!broadcast_shapes(sig.inputs[0].shape, sig.inputs[1].shape)) {
      return invalid_argument(node_, ": shapes ", shape_to_string(sig.inputs[0].shape), " and ",
                              shape_to_string(sig.inputs[1].shape), " cannot be broadcast together");
    }
    plan_ = make_broadcast_plan(sig.inputs[0].shape, sig.inputs[1].shape, sig.outputs[0].shape);
    input0_is_output_shaped_ = sig.inputs[0].shape == sig.outputs[0].shape;
    return Status::ok();
  }

  Aliasing aliasing() const override { return input0_is_output_shaped_ ? Aliasing::kInPlaceAllowed : Aliasing::kNone; }

  Status run(std::span<const TensorView> inputs, std::span<TensorView> outputs, void*) override {
    visit_numeric(base_, [&](auto base_tag) {
      using TA = decltype(base_tag);
      visit_numeric(exponent_, [&](auto exp_tag) {
        using TB = decltype(exp_tag);
        broadcast_apply(
            plan_, inputs[0].data_as<const TA>(), inputs[1].data_as<const TB>(), outputs[0].data_as<TA>(),
            [](TA x, TB y) { return static_cast<TA>(std::pow(static_cast<double>(x), static_cast<double>(y))); });
      });
    });
    return Status::ok();
  }

 private:
  std::string node_;
  DType base_ = DType::kUndefined;
  DType exponent_ = DType::kUndefined;
  BroadcastPlan plan_;
  bool input0_is_output_shaped_ = false;
};

// ---------------------------------------------------------------------------------------
// Unary operators. The activations (Relu, LeakyRelu, Sigmoid, Tanh, HardSigmoid, HardSwish)
// evaluate FusedActivation::apply so that a fused epilogue and the standalone kernel agree
// bit for bit. Relu, Neg and Abs also take signed integers (Relu-14, Neg-13, Abs-13).
enum class UnaryOp {
  kRelu,
  kLeakyRelu,
  kSigmoid,
  kTanh,
  kHardSigmoid,
  kHardSwish,
  kNeg,
  kExp,
  kLog,
  kSqrt,
  kReciprocal,
  kErf,
  kAbs
};

bool takes_integers(UnaryOp op) { return op == UnaryOp::kRelu || op == UnaryOp::kNeg || op == UnaryOp::kAbs; }

class UnaryKernel final : public Kernel {
 public:
  explicit UnaryKernel(UnaryOp op) : op_(op) {}

  Status prepare(const Node& node, const KernelSignature& sig) override {
    node_ = node.describe();
    dtype_ = sig.inputs[0].dtype;
    const bool is_float = dtype_ == DType::kFloat32 || dtype_ == DType::kFloat64;
    const bool is_signed_int =
        dtype_ == DType::kInt8 || dtype_ == DType::kInt16 || dtype_ == DType::kInt32 || dtype_ == DType::kInt64;
    if (!is_float && !(is_signed_int && takes_integers(op_))) {
      return unsupported(node_, ": dtype ", dtype_name(dtype_), " is not supported");
    }
    switch (op_) {
      case UnaryOp::kRelu:
        activation_ = {ActivationKind::kRelu, 0.0f, 0.0f};
        break;
      // LeakyRelu-16: alpha defaults to 0.01. HardSigmoid-6: alpha 0.2, beta 0.5.
      case UnaryOp::kLeakyRelu:
        activation_ = {ActivationKind::kLeakyRelu, node.attr_float("alpha", 0.01f), 0.0f};
        break;
      case UnaryOp::kSigmoid:
        activation_ = {ActivationKind::kSigmoid, 0.0f, 0.0f};
        break;
      case UnaryOp::kTanh:
        activation_ = {ActivationKind::kTanh, 0.0f, 0.0f};
        break;
      case UnaryOp::kHardSigmoid:
        activation_ = {ActivationKind::kHardSigmoid, node.attr_float("alpha", 0.2f), node.attr_float("beta", 0.5f)};
        break;
      case UnaryOp::kHardSwish:
        activation_ = {ActivationKind::kHardSwish, 0.0f, 0.0f};
        break;
      default:
        break;
    }
    return Status::ok();
  }

  Aliasing aliasing() const override { return Aliasing::kInPlaceAllowed; }

  Status run(std::span<const TensorView> inputs, std::span<TensorView> outputs, void*) override {
    const std::int64_t n = inputs[0].num_elements();
    visit_numeric(dtype_, [&](auto tag) {
      using T = decltype(tag);
      const T* x = inputs[0].data_as<const T>();
      T* y = outputs[0].data_as<T>();
      for (std::int64_t i = 0; i < n; ++i) y[i] = evaluate<T>(x[i]);
    });
    return Status::ok();
  }

 private:
  template <typename T>
  T evaluate(T x) const {
    if constexpr (std::is_same_v<T, float>) {
      if (activation_.kind != ActivationKind::kNone) return activation_.apply(x);
    }
    switch (op_) {
      case UnaryOp::kRelu:
        return x > T{0} ? x : T{0};
      case UnaryOp::kNeg:
        return static_cast<T>(T{0} - x);
      case UnaryOp::kAbs:
        return x < T{0} ? static_cast<T>(T{0} - x) : x;
      default:
        break;
    }
    if constexpr (std::is_floating_point_v<T>) {
      // float64 activations: the same formulas as FusedActivation::apply, in double.
      switch (op_) {
        case UnaryOp::kLeakyRelu:
          return x >= 0 ? x : static_cast<T>(activation_.alpha) * x;
        case UnaryOp::kSigmoid:
          return T{1} / (T{1} + std::exp(-x));
        case UnaryOp::kTanh:
          return std::tanh(x);
        case UnaryOp::kHardSigmoid:
          return std::max(T{0},
                          std::min(T{1}, static_cast<T>(activation_.alpha) * x + static_cast<T>(activation_.beta)));
        case UnaryOp::kHardSwish:
          return x * std::max(T{0}, std::min(T{1}, x / T{6} + T{0.5}));
        case UnaryOp::kExp:
          return std::exp(x);
        case UnaryOp::kLog:
          return std::log(x);
        case UnaryOp::kSqrt:
          return std::sqrt(x);
        case UnaryOp::kReciprocal:
          return T{1} / x;
        case UnaryOp::kErf:
          return std::erf(x);
        default:
          break;
      }
    }
    return x;
  }

  UnaryOp op_;
  std::string node_;
  DType dtype_ = DType::kUndefined;
  FusedActivation activation_;
};

// Clip-13: y = min(max(x, min), max); min/max are optional scalar inputs defaulting to the
// type's lowest/highest value. When min > max every element becomes max (the formula).
class ClipKernel final : public Kernel {
 public:
  Status prepare(const Node& node, const KernelSignature& sig) override {
    node_ = node.describe();
    dtype_ = sig.inputs[0].dtype;
    if (!visit_numeric(dtype_, [](auto) {}))
      return unsupported(node_, ": dtype ", dtype_name(dtype_), " is not supported");
    for (std::size_t i = 1; i < sig.inputs.size(); ++i) {
      if (sig.inputs[i].dtype == DType::kUndefined) continue;
      if (sig.inputs[i].dtype != dtype_) {
        return invalid_argument(node_, ": bound input ", i, " has dtype ", dtype_name(sig.inputs[i].dtype),
                                ", input has ", dtype_name(dtype_));
      }
      if (element_count(sig.inputs[i].shape).value_or(0) != 1) {
        return invalid_argument(node_, ": bound input ", i, " must hold one value, got shape ",
                                shape_to_string(sig.inputs[i].shape));
      }
    }
    return Status::ok();
  }

  Aliasing aliasing() const override { return Aliasing::kInPlaceAllowed; }

  Status run(std::span<const TensorView> inputs, std::span<TensorView> outputs, void*) override {
    const std::int64_t n = inputs[0].num_elements();
    visit_numeric(dtype_, [&](auto tag) {
      using T = decltype(tag);
      T lo = std::numeric_limits<T>::lowest();
      T hi = std::numeric_limits<T>::max();
      if (inputs.size() > 1 && inputs[1].data != nullptr) lo = inputs[1].data_as<const T>()[0];
      if (inputs.size() > 2 && inputs[2].data != nullptr) hi = inputs[2].data_as<const T>()[0];
      const T* x = inputs[0].data_as<const T>();
      T* y = outputs[0].data_as<T>();
      if constexpr (std::is_same_v<T, float>) {
        const FusedActivation clip{ActivationKind::kClip, lo, hi};
        for (std::int64_t i = 0; i < n; ++i) y[i] = clip.apply(x[i]);
      } else {
        for (std::int64_t i = 0; i < n; ++i) y[i] = std::min(std::max(x[i], lo), hi);
      }
    });
    return Status::ok();
  }

 private:
  std::string node_;
  DType dtype_ = DType::kUndefined;
};

// Identity, and Dropout in inference mode (Dropout-13: training_mode false => output = input,
// mask = all true). Without a mask output the result is a view of input 0 and run() is not
// called; with a mask, run() copies and fills the mask.
class PassThroughKernel final : public Kernel {
 public:
  Status prepare(const Node& node, const KernelSignature& sig) override {
    node_ = node.describe();
    has_mask_ = sig.outputs.size() > 1 && !sig.outputs[1].name.empty();
    if (node.op_type == "Dropout" && sig.inputs.size() > 2 && sig.input_values.size() > 2 &&
        sig.input_values[2] != nullptr) {
      EDGEAI_RETURN_IF_ERROR(check_inference_mode(*sig.input_values[2]));
    }
    return Status::ok();
  }

  Aliasing aliasing() const override { return has_mask_ ? Aliasing::kNone : Aliasing::kViewOfInput0; }

  Status run(std::span<const TensorView> inputs, std::span<TensorView> outputs, void*) override {
    if (inputs.size() > 2 && inputs[2].data != nullptr && *inputs[2].data_as<const bool>()) {
      return unsupported(node_, ": training_mode = true is not supported (inference runtime)");
    }
    if (outputs[0].data != inputs[0].data && inputs[0].size_bytes() > 0) {
      std::memmove(outputs[0].data, inputs[0].data, inputs[0].size_bytes());
    }
    if (outputs.size() > 1 && outputs[1].data != nullptr) {
      bool* mask = outputs[1].data_as<bool>();
      for (std::int64_t i = 0, n = outputs[1].num_elements(); i < n; ++i) mask[i] = true;
    }
    return Status::ok();
  }

 private:
  Status check_inference_mode(const Tensor& training_mode) const {
    if (training_mode.dtype() != DType::kBool || training_mode.num_elements() != 1) {
      return invalid_argument(node_, ": training_mode must be one bool");
    }
    if (*training_mode.data<const bool>()) {
      return unsupported(node_, ": training_mode = true is not supported (inference runtime)");
    }
    return Status::ok();
  }

  std::string node_;
  bool has_mask_ = false;
};

template <ArithOp op>
std::unique_ptr<Kernel> make_arithmetic() {
  return std::make_unique<ArithmeticKernel>(op);
}
template <UnaryOp op>
std::unique_ptr<Kernel> make_unary() {
  return std::make_unique<UnaryKernel>(op);
}

}  // namespace

void register_elementwise_kernels(KernelRegistry& registry) {
  registry.add("Add", make_arithmetic<ArithOp::kAdd>);
  registry.add("Sub", make_arithmetic<ArithOp::kSub>);
  registry.add("Mul", make_arithmetic<ArithOp::kMul>);
  registry.add("Div", make_arithmetic<ArithOp::kDiv>);
  registry.add("Pow", [] { return std::unique_ptr<Kernel>(std::make_unique<PowKernel>()); });
  registry.add("Relu", make_unary<UnaryOp::kRelu>);
  registry.add("LeakyRelu", make_unary<UnaryOp::kLeakyRelu>);
  registry.add("Sigmoid", make_unary<UnaryOp::kSigmoid>);
  registry.add("Tanh", make_unary<UnaryOp::kTanh>);
  registry.add("HardSigmoid", make_unary<UnaryOp::kHardSigmoid>);
  registry.add("HardSwish", make_unary<UnaryOp::kHardSwish>);
  registry.add("Neg", make_unary<UnaryOp::kNeg>);
  registry.add("Exp", make_unary<UnaryOp::kExp>);
  registry.add("Log", make_unary<UnaryOp::kLog>);
  registry.add("Sqrt", make_unary<UnaryOp::kSqrt>);
  registry.add("Reciprocal", make_unary<UnaryOp::kReciprocal>);
  registry.add("Erf", make_unary<UnaryOp::kErf>);
  registry.add("Abs", make_unary<UnaryOp::kAbs>);
  registry.add("Clip", [] { return std::unique_ptr<Kernel>(std::make_unique<ClipKernel>()); });
  registry.add("Identity", [] { return std::unique_ptr<Kernel>(std::make_unique<PassThroughKernel>()); });
  registry.add("Dropout", [] { return std::unique_ptr<Kernel>(std::make_unique<PassThroughKernel>()); });
}

}  // namespace edgeai
