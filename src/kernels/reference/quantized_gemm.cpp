// Reference integer matrix products: QLinearMatMul
// (https://onnx.ai/onnx/operators/onnx__QLinearMatMul.html) and MatMulInteger
// (https://onnx.ai/onnx/operators/onnx__MatMulInteger.html), ONNX opset 13 with numpy.matmul
// broadcasting, and QGemm, ONNX Runtime's com.microsoft contrib operator (Gemm with quantised
// A and B, an int32 bias C and a quantised output). One loop nest serves all three; rounding
// and requantisation come from kernels/quantization.hpp only. Depends on core, graph and the
// kernel contract.
#include <memory>
#include <string>
#include <vector>

#include "kernels/reference/broadcast.hpp"
#include "kernels/reference/quantized_operands.hpp"
#include "kernels/registry.hpp"

namespace edgeai {
namespace {

// One [M, K] x [K, N] product; A and B are read through (row, column) strides so that a
// transposed operand needs no copy.
struct IntegerMatMulProblem {
  std::int64_t m = 0, k = 0, n = 0;
  std::int64_t a_row_stride = 0, a_col_stride = 1;
  std::int64_t b_row_stride = 0, b_col_stride = 1;
  const std::int32_t* a_zero_points = nullptr;  // one per row of A (all equal when per-tensor)
  const std::int32_t* b_zero_points = nullptr;  // one per column of B (all equal when per-tensor)
};

// acc[i, j] = sum over p of (A[i, p] - a_zero_point[i]) * (B[p, j] - b_zero_point[j]), exact in
// int64; store(i, j, acc) turns it into the output.
template <typename TA, typename TB, typename Store>
void integer_matmul(const IntegerMatMulProblem& q, const TA* a, const TB* b, Store store) {
  for (std::int64_t i = 0; i < q.m; ++i) {
    const std::int32_t a_zero_point = q.a_zero_points[i];
    for (std::int64_t j = 0; j < q.n; ++j) {
      const std::int32_t b_zero_point = q.b_zero_points[j];
      std::int64_t acc = 0;
      for (std::int64_t p = 0; p < q.k; ++p) {
        const std::int32_t a_value = a[i * q.a_row_stride + p * q.a_col_stride];
        const std::int32_t b_value = b[p * q.b_row_stride + j * q.b_col_stride];
        // Each product fits int32: |a - a_zp| <= 65535 (int16 a), |b - b_zp| <= 255.
        acc += static_cast<std::int64_t>((a_value - a_zero_point) * (b_value - b_zero_point));
      }
      store(i, j, acc);
    }
  }
}

// Per-column requantisation of QLinearMatMul and QGemm: scale[j] = a_scale * b_scale[j] /
// y_scale (in double from the float scales, rounded once to float32), the output zero point
// and the output clamp (quant::requantize_accumulator).
struct ColumnRequantizer {
  std::vector<float> scales;
  std::int32_t y_zero_point = 0;
  QuantizedClamp clamp;

  Status load(const std::string& node, const TensorView& a_scale, const TensorView& b_scale, const TensorView& y_scale,
              const TensorView* y_zero_point_input, const FusedActivation& activation, DType y_dtype) {
    const float a = scale_at(a_scale, 0);
    const float y = scale_at(y_scale, 0);
    EDGEAI_RETURN_IF_ERROR(check_scale_value(node, "a_scale", a));
    EDGEAI_RETURN_IF_ERROR(check_scale_value(node, "y_scale", y));
    y_zero_point = zero_point_at(y_zero_point_input, 0);
    for (std::size_t j = 0; j < scales.size(); ++j) {
      const float b = scale_at(b_scale, static_cast<std::int64_t>(j));
      EDGEAI_RETURN_IF_ERROR(check_scale_value(node, "b_scale", b));
      const double real = static_cast<double>(a) * static_cast<double>(b) / static_cast<double>(y);
      EDGEAI_RETURN_IF_ERROR(make_requantization_scale(node, real, &scales[j], "a_scale * b_scale[", j, "] / y_scale"));
    }
    visit_activation(y_dtype, [&](auto tag) {
      using TY = decltype(tag);
      clamp = quantized_clamp(activation, y, y_zero_point, quant::qmin_of<TY>(), quant::qmax_of<TY>());
    });
    return Status::ok();
  }

  template <typename TY>
  TY apply(std::int64_t acc, std::int64_t column) const {
    return static_cast<TY>(quant::requantize_accumulator(
        saturate_to_int32(acc), scales[static_cast<std::size_t>(column)], y_zero_point, clamp.lo, clamp.hi));
  }
};

// `a_may_be_int16`: the requantising products take int16 activations (with int8 B).
Status check_operand_types(const std::string& node, const KernelSignature& sig, std::size_t a, std::size_t a_zero_point,
                           std::size_t b, std::size_t b_zero_point, bool a_may_be_int16) {
  for (std::size_t i : {a, b}) {
    const DType dtype = sig.inputs[i].dtype;
    const bool ok = i == a && a_may_be_int16 ? is_activation_dtype(dtype) : is_quantized_dtype(dtype);
    if (!ok) {
      return unsupported(node, ": input ", i, " must be int8 or uint8", i == a && a_may_be_int16 ? " (or int16)" : "",
                         ", got ", dtype_name(dtype));
    }
  }
  for (auto [tensor, zero_point] : {std::pair{a, a_zero_point}, std::pair{b, b_zero_point}}) {
    if (has_input(sig, zero_point) && sig.inputs[zero_point].dtype != sig.inputs[tensor].dtype) {
      return invalid_argument(node, ": zero point input ", zero_point, " is ", dtype_name(sig.inputs[zero_point].dtype),
                              " but its tensor (input ", tensor, ") is ", dtype_name(sig.inputs[tensor].dtype));
    }
  }
  return Status::ok();
}

// QLinearMatMul (requantizes = true; inputs a, a_scale, a_zero_point, b, b_scale, b_zero_point,
// y_scale, y_zero_point) and MatMulInteger (inputs A, B, a_zero_point, b_zero_point; int32 out).
// a's zero point is per tensor or, for MatMulInteger, per row of A; b's scale and zero point are
// per tensor or per column of B.
class IntegerMatMulKernel final : public Kernel {
 public:
  explicit IntegerMatMulKernel(bool requantizes)
      : requantizes_(requantizes),
        a_(0),
        b_(requantizes ? 3 : 1),
        a_zero_point_(2),
        b_zero_point_(requantizes ? 5 : 3) {}

  Status prepare(const Node& node, const KernelSignature& sig) override {
    node_ = node.describe();
    EDGEAI_RETURN_IF_ERROR(check_operand_types(node_, sig, a_, a_zero_point_, b_, b_zero_point_, requantizes_));
    a_dtype_ = sig.inputs[a_].dtype;
    b_dtype_ = sig.inputs[b_].dtype;
    y_dtype_ = sig.outputs[0].dtype;
    EDGEAI_ASSIGN_OR_RETURN(plan_, make_matmul_plan(node, sig.inputs[a_].shape, sig.inputs[b_].shape));
    // Per-row zero points of A: MatMulInteger only.
    const std::optional<std::int64_t> a_rows = requantizes_ ? std::nullopt : std::optional<std::int64_t>(plan_.m);
    EDGEAI_RETURN_IF_ERROR(check_quant_param(node_, sig, {a_zero_point_, "a_zero_point", false, a_rows, "row of A"}));
    EDGEAI_RETURN_IF_ERROR(
        check_quant_param(node_, sig, {b_zero_point_, "b_zero_point", false, plan_.n, "column of B"}));
    if (requantizes_) {
      if (!is_activation_dtype(y_dtype_)) {
        return invalid_argument(node_, ": y_zero_point must be int8, uint8 or int16, got ", dtype_name(y_dtype_));
      }
      EDGEAI_RETURN_IF_ERROR(check_quant_param(node_, sig, {1, "a_scale", true}));
      EDGEAI_RETURN_IF_ERROR(check_quant_param(node_, sig, {4, "b_scale", true, plan_.n, "column of B"}));
      EDGEAI_RETURN_IF_ERROR(check_quant_param(node_, sig, {6, "y_scale", true}));
      EDGEAI_RETURN_IF_ERROR(check_quant_param(node_, sig, {7, "y_zero_point", false}));
      requantizer_.scales.assign(static_cast<std::size_t>(plan_.n), 0.0f);
    }
    a_zero_points_.assign(static_cast<std::size_t>(plan_.m), 0);
    b_zero_points_.assign(static_cast<std::size_t>(plan_.n), 0);
    params_ready_ = requantizes_ ? are_constants(sig, {1, 2, 4, 5, 6, 7}) : are_constants(sig, {2, 3});
    if (params_ready_) EDGEAI_RETURN_IF_ERROR(load_params(constant_input_views(sig)));
    return Status::ok();
  }

  Status run(std::span<const TensorView> inputs, std::span<TensorView> outputs, void* /*scratch*/) override {
    if (!params_ready_) EDGEAI_RETURN_IF_ERROR(load_params(inputs));
    IntegerMatMulProblem q;
    q.m = plan_.m;
    q.k = plan_.k;
    q.n = plan_.n;
    q.a_row_stride = plan_.k;
    q.b_row_stride = plan_.n;
    q.a_zero_points = a_zero_points_.data();
    q.b_zero_points = b_zero_points_.data();
    const std::int64_t block = plan_.m * plan_.n;
    visit_activation(a_dtype_, [&](auto a_tag) {
      using TA = decltype(a_tag);
      visit_quantized(b_dtype_, [&](auto b_tag) {
        using TB = decltype(b_tag);
        for (std::int64_t bi = 0; bi < plan_.batches(); ++bi) {
          const TA* a = inputs[a_].data_as<const TA>() + plan_.a_offsets[static_cast<std::size_t>(bi)];
          const TB* b = inputs[b_].data_as<const TB>() + plan_.b_offsets[static_cast<std::size_t>(bi)];
          if (!requantizes_) {
            std::int32_t* y = outputs[0].data_as<std::int32_t>() + bi * block;
            integer_matmul(q, a, b, [&](std::int64_t i, std::int64_t j, std::int64_t acc) {
              y[i * q.n + j] = saturate_to_int32(acc);
            });
            continue;
          }
          visit_activation(y_dtype_, [&](auto y_tag) {
            using TY = decltype(y_tag);
            TY* y = outputs[0].data_as<TY>() + bi * block;
            integer_matmul(q, a, b, [&](std::int64_t i, std::int64_t j, std::int64_t acc) {
              y[i * q.n + j] = requantizer_.apply<TY>(acc, j);
            });
          });
        }
      });
    });
    return Status::ok();
  }

  std::int64_t macs() const override { return plan_.batches() * plan_.m * plan_.k * plan_.n; }

 private:
  Status load_params(std::span<const TensorView> in) {
    const auto view = [&](std::size_t i) { return optional_input(in, i); };
    for (std::size_t i = 0; i < a_zero_points_.size(); ++i) {
      a_zero_points_[i] = zero_point_at(view(a_zero_point_), static_cast<std::int64_t>(i));
    }
    for (std::size_t j = 0; j < b_zero_points_.size(); ++j) {
      b_zero_points_[j] = zero_point_at(view(b_zero_point_), static_cast<std::int64_t>(j));
    }
    if (!requantizes_) return Status::ok();
    return requantizer_.load(node_, in[1], in[4], in[6], view(7), FusedActivation{}, y_dtype_);
  }

  bool requantizes_;
  std::size_t a_, b_, a_zero_point_, b_zero_point_;
  std::string node_;
  DType a_dtype_ = DType::kUndefined, b_dtype_ = DType::kUndefined, y_dtype_ = DType::kUndefined;
  MatMulPlan plan_;
  bool params_ready_ = false;
  std::vector<std::int32_t> a_zero_points_, b_zero_points_;
  ColumnRequantizer requantizer_;
};

// QGemm (com.microsoft): inputs A, a_scale, a_zero_point, B, b_scale, b_zero_point, C (optional
// int32 bias in the scale a_scale * b_scale, unidirectionally broadcast to [M, N]), y_scale,
// y_zero_point; attributes transA, transB, alpha (1.0 only) and a fused Relu/Clip.
//   y[i, j] = clamp(y_zero_point + round((C[i, j] + acc[i, j]) * a_scale * b_scale[j] / y_scale))
// b's scale and zero point are per tensor or per output column j (a row of B when transB = 1).
class QGemmKernel final : public Kernel {
 public:
  static constexpr std::size_t kA = 0, kAScale = 1, kAZeroPoint = 2, kB = 3, kBScale = 4, kBZeroPoint = 5, kC = 6,
                               kYScale = 7, kYZeroPoint = 8;

  Status prepare(const Node& node, const KernelSignature& sig) override {
    node_ = node.describe();
    EDGEAI_RETURN_IF_ERROR(check_operand_types(node_, sig, kA, kAZeroPoint, kB, kBZeroPoint, true));
    a_dtype_ = sig.inputs[kA].dtype;
    b_dtype_ = sig.inputs[kB].dtype;
    y_dtype_ = sig.outputs[0].dtype;
    if (!has_input(sig, kYScale) || !is_activation_dtype(y_dtype_)) {
      return unsupported(node_, ": QGemm needs y_scale and an int8, uint8 or int16 y_zero_point (float output is not "
                                "supported)");
    }
    if (node.attr_float("alpha", 1.0f) != 1.0f) {
      return unsupported(node_, ": alpha ", node.attr_float("alpha", 1.0f), " is not supported (only 1.0)");
    }
    EDGEAI_ASSIGN_OR_RETURN(activation_, fused_activation_of(node));
    EDGEAI_RETURN_IF_ERROR(check_quantized_activation(node, activation_));
    const Shape& a = sig.inputs[kA].shape;
    const Shape& b = sig.inputs[kB].shape;
    if (a.size() != 2 || b.size() != 2) {
      return invalid_argument(node_, ": A ", shape_to_string(a), " and B ", shape_to_string(b), " must both be 2-D");
    }
    const bool trans_a = node.attr_int("transA", 0) != 0;
    const bool trans_b = node.attr_int("transB", 0) != 0;
    problem_.m = trans_a ? a[1] : a[0];
    problem_.k = trans_a ? a[0] : a[1];
    problem_.n = trans_b ? b[0] : b[1];
    if ((trans_b ? b[1] : b[0]) != problem_.k) {
      return invalid_argument(node_, ": inner dimensions of A ", shape_to_string(a), " and B ", shape_to_string(b),
                              " differ");
    }
    problem_.a_row_stride = trans_a ? 1 : a[1];
    problem_.a_col_stride = trans_a ? a[1] : 1;
    problem_.b_row_stride = trans_b ? 1 : b[1];
    problem_.b_col_stride = trans_b ? b[1] : 1;
    const std::int64_t n = problem_.n;
    EDGEAI_RETURN_IF_ERROR(check_quant_param(node_, sig, {kAScale, "a_scale", true}));
    EDGEAI_RETURN_IF_ERROR(check_quant_param(node_, sig, {kAZeroPoint, "a_zero_point", false}));
    EDGEAI_RETURN_IF_ERROR(check_quant_param(node_, sig, {kBScale, "b_scale", true, n, "output column"}));
    EDGEAI_RETURN_IF_ERROR(check_quant_param(node_, sig, {kBZeroPoint, "b_zero_point", false, n, "output column"}));
    EDGEAI_RETURN_IF_ERROR(check_quant_param(node_, sig, {kYScale, "y_scale", true}));
    EDGEAI_RETURN_IF_ERROR(check_quant_param(node_, sig, {kYZeroPoint, "y_zero_point", false}));
    has_c_ = has_input(sig, kC);
    if (has_c_) {
      // Unidirectional broadcast of C to (M, N): a dimension of 1 (or a missing one) repeats.
      Shape c = sig.inputs[kC].shape;
      while (c.size() < 2) c.insert(c.begin(), 1);
      if (sig.inputs[kC].dtype != DType::kInt32 || c.size() != 2 || (c[0] != 1 && c[0] != problem_.m) ||
          (c[1] != 1 && c[1] != n)) {
        return invalid_argument(node_, ": C must be int32 and broadcast to [", problem_.m, ",", n, "], got ",
                                dtype_name(sig.inputs[kC].dtype), " ", shape_to_string(sig.inputs[kC].shape));
      }
      c_row_stride_ = c[0] == 1 ? 0 : c[1];
      c_col_stride_ = c[1] == 1 ? 0 : 1;
    }
    a_zero_points_.assign(static_cast<std::size_t>(problem_.m), 0);
    b_zero_points_.assign(static_cast<std::size_t>(n), 0);
    requantizer_.scales.assign(static_cast<std::size_t>(n), 0.0f);
    params_ready_ = are_constants(sig, {kAScale, kAZeroPoint, kBScale, kBZeroPoint, kYScale, kYZeroPoint});
    if (params_ready_) EDGEAI_RETURN_IF_ERROR(load_params(constant_input_views(sig)));
    return Status::ok();
  }

  Status run(std::span<const TensorView> inputs, std::span<TensorView> outputs, void* /*scratch*/) override {
    if (!params_ready_) EDGEAI_RETURN_IF_ERROR(load_params(inputs));
    IntegerMatMulProblem q = problem_;
    q.a_zero_points = a_zero_points_.data();
    q.b_zero_points = b_zero_points_.data();
    const std::int32_t* c = has_c_ ? inputs[kC].data_as<const std::int32_t>() : nullptr;
    visit_activation(a_dtype_, [&](auto a_tag) {
      using TA = decltype(a_tag);
      visit_quantized(b_dtype_, [&](auto b_tag) {
        using TB = decltype(b_tag);
        visit_activation(y_dtype_, [&](auto y_tag) {
          using TY = decltype(y_tag);
          TY* y = outputs[0].data_as<TY>();
          integer_matmul(q, inputs[kA].data_as<const TA>(), inputs[kB].data_as<const TB>(),
                         [&](std::int64_t i, std::int64_t j, std::int64_t acc) {
                           if (c != nullptr) acc += c[i * c_row_stride_ + j * c_col_stride_];
                           y[i * q.n + j] = requantizer_.apply<TY>(acc, j);
                         });
        });
      });
    });
    return Status::ok();
  }

  std::int64_t macs() const override { return problem_.m * problem_.k * problem_.n; }

 private:
  Status load_params(std::span<const TensorView> in) {
    const auto view = [&](std::size_t i) { return optional_input(in, i); };
    const std::int32_t a_zero_point = zero_point_at(view(kAZeroPoint), 0);
    std::fill(a_zero_points_.begin(), a_zero_points_.end(), a_zero_point);
    for (std::size_t j = 0; j < b_zero_points_.size(); ++j) {
      b_zero_points_[j] = zero_point_at(view(kBZeroPoint), static_cast<std::int64_t>(j));
    }
    return requantizer_.load(node_, in[kAScale], in[kBScale], in[kYScale], view(kYZeroPoint), activation_, y_dtype_);
  }

  std::string node_;
  DType a_dtype_ = DType::kUndefined, b_dtype_ = DType::kUndefined, y_dtype_ = DType::kUndefined;
  FusedActivation activation_;
  IntegerMatMulProblem problem_;
  bool has_c_ = false;
  std::int64_t c_row_stride_ = 0, c_col_stride_ = 0;
  bool params_ready_ = false;
  std::vector<std::int32_t> a_zero_points_, b_zero_points_;
  ColumnRequantizer requantizer_;
};

}  // namespace

void register_quantized_gemm_kernels(KernelRegistry& registry) {
  registry.add("QLinearMatMul",
               []() -> std::unique_ptr<Kernel> { return std::make_unique<IntegerMatMulKernel>(true); });
  registry.add("MatMulInteger",
               []() -> std::unique_ptr<Kernel> { return std::make_unique<IntegerMatMulKernel>(false); });
  registry.add("QGemm", []() -> std::unique_ptr<Kernel> { return std::make_unique<QGemmKernel>(); });
}

}  // namespace edgeai
