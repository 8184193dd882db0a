// Reference fp32 Gemm (https://onnx.ai/onnx/operators/onnx__Gemm.html) and MatMul
// (https://onnx.ai/onnx/operators/onnx__MatMul.html, numpy.matmul semantics), ONNX opset 13,
// with the fused activation applied in the epilogue. Loops in i-k-j order so the innermost
// loop runs over a contiguous output row. Depends on core and graph only.
#include <algorithm>
#include <memory>

#include "graph/fused_activation.hpp"
#include "kernels/reference/broadcast.hpp"
#include "kernels/registry.hpp"

namespace edgeai {
namespace {

Status require_float32(const Node& node, const KernelSignature& sig) {
  for (std::size_t i = 0; i < sig.inputs.size(); ++i) {
    if (sig.inputs[i].dtype != DType::kUndefined && sig.inputs[i].dtype != DType::kFloat32) {
      return unsupported(node.describe(), ": the reference ", node.op_type, " supports float32 only, input ", i, " is ",
                         dtype_name(sig.inputs[i].dtype));
    }
  }
  return Status::ok();
}

// y[m, n] += a[m, k] * b[k, n] for one row-major block; a is read through (row, column)
// strides so a transposed A needs no copy.
void accumulate_matmul(const float* a, std::int64_t a_row_stride, std::int64_t a_col_stride, const float* b,
                       std::int64_t m, std::int64_t k, std::int64_t n, float* y) {
  for (std::int64_t i = 0; i < m; ++i) {
    float* y_row = y + i * n;
    for (std::int64_t p = 0; p < k; ++p) {
      const float a_ip = a[i * a_row_stride + p * a_col_stride];
      const float* b_row = b + p * n;
      for (std::int64_t j = 0; j < n; ++j) y_row[j] += a_ip * b_row[j];
    }
  }
}

class GemmKernel final : public Kernel {
 public:
  Status prepare(const Node& node, const KernelSignature& sig) override {
    EDGEAI_RETURN_IF_ERROR(require_float32(node, sig));
    EDGEAI_ASSIGN_OR_RETURN(activation_, fused_activation_of(node));
    const Shape& a = sig.inputs[0].shape;
    const Shape& b = sig.inputs[1].shape;
    if (a.size() != 2 || b.size() != 2) {
      return invalid_argument(node.describe(), ": A ", shape_to_string(a), " and B ", shape_to_string(b),
                              " must both be 2-D");
    }
    trans_a_ = node.attr_int("transA", 0) != 0;
    trans_b_ = node.attr_int("transB", 0) != 0;
    alpha_ = node.attr_float("alpha", 1.0f);
    beta_ = node.attr_float("beta", 1.0f);
    m_ = trans_a_ ? a[1] : a[0];
    k_ = trans_a_ ? a[0] : a[1];
    n_ = trans_b_ ? b[0] : b[1];
    if ((trans_b_ ? b[1] : b[0]) != k_) {
      return invalid_argument(node.describe(), ": inner dimensions of A ", shape_to_string(a), " and B ",
                              shape_to_string(b), " differ");
    }
    has_c_ = sig.inputs.size() > 2 && sig.inputs[2].dtype != DType::kUndefined;
    if (has_c_) {
      // Unidirectional broadcast of C to (M, N): a dimension of 1 (or a missing one) repeats.
      Shape c = sig.inputs[2].shape;
      while (c.size() < 2) c.insert(c.begin(), 1);
      if (c.size() != 2 || (c[0] != 1 && c[0] != m_) || (c[1] != 1 && c[1] != n_)) {
        return invalid_argument(node.describe(), ": C ", shape_to_string(sig.inputs[2].shape),
                                " does not broadcast to [", m_, ",", n_, "]");
      }
      c_row_stride_ = c[0] == 1 ? 0 : c[1];
      c_col_stride_ = c[1] == 1 ? 0 : 1;
    }
    return Status::ok();
  }

  // A transposed B is copied into (K, N) order so the inner loop stays contiguous.
  std::size_t scratch_bytes() const override {
    return trans_b_ ? static_cast<std::size_t>(k_ * n_) * sizeof(float) : 0;
  }

  Status run(std::span<const TensorView> inputs, std::span<TensorView> outputs, void* scratch) override {
    const float* a = inputs[0].data_as<const float>();
    const float* b = inputs[1].data_as<const float>();
    const float* c = has_c_ ? inputs[2].data_as<const float>() : nullptr;
    float* y = outputs[0].data_as<float>();
    if (trans_b_) {
      float* b_kn = static_cast<float*>(scratch);
      for (std::int64_t j = 0; j < n_; ++j) {
        for (std::int64_t p = 0; p < k_; ++p) b_kn[p * n_ + j] = b[j * k_ + p];
      }
      b = b_kn;
    }
    // ONNX Gemm: Y = alpha * A' * B' + beta * C, A' = transpose(A) if transA, B' likewise.
    std::fill(y, y + m_ * n_, 0.0f);
    accumulate_matmul(a, trans_a_ ? 1 : k_, trans_a_ ? m_ : 1, b, m_, k_, n_, y);
    for (std::int64_t i = 0; i < m_; ++i) {
      float* y_row = y + i * n_;
      for (std::int64_t j = 0; j < n_; ++j) {
        float value = alpha_ * y_row[j];
        if (c != nullptr) value += beta_ * c[i * c_row_stride_ + j * c_col_stride_];
        y_row[j] = activation_.apply(value);
      }
    }
    return Status::ok();
  }

  std::int64_t macs() const override { return m_ * k_ * n_; }

 private:
  FusedActivation activation_;
  bool trans_a_ = false, trans_b_ = false, has_c_ = false;
  float alpha_ = 1.0f, beta_ = 1.0f;
  std::int64_t m_ = 0, k_ = 0, n_ = 0, c_row_stride_ = 0, c_col_stride_ = 0;
};

class MatMulKernel final : public Kernel {
 public:
  Status prepare(const Node& node, const KernelSignature& sig) override {
    EDGEAI_RETURN_IF_ERROR(require_float32(node, sig));
    EDGEAI_ASSIGN_OR_RETURN(activation_, fused_activation_of(node));
    EDGEAI_ASSIGN_OR_RETURN(plan_, make_matmul_plan(node, sig.inputs[0].shape, sig.inputs[1].shape));
    return Status::ok();
  }

  Status run(std::span<const TensorView> inputs, std::span<TensorView> outputs, void* /*scratch*/) override {
    const float* a = inputs[0].data_as<const float>();
    const float* b = inputs[1].data_as<const float>();
    float* y = outputs[0].data_as<float>();
    const MatMulPlan& p = plan_;
    const std::int64_t block = p.m * p.n;
    std::fill(y, y + block * p.batches(), 0.0f);
    for (std::int64_t bi = 0; bi < p.batches(); ++bi) {
      float* y_block = y + bi * block;
      const auto i = static_cast<std::size_t>(bi);
      accumulate_matmul(a + p.a_offsets[i], p.k, 1, b + p.b_offsets[i], p.m, p.k, p.n, y_block);
      if (activation_.kind != ActivationKind::kNone) {
        for (std::int64_t j = 0; j < block; ++j) y_block[j] = activation_.apply(y_block[j]);
      }
    }
    return Status::ok();
  }

  std::int64_t macs() const override { return plan_.batches() * plan_.m * plan_.k * plan_.n; }

 private:
  FusedActivation activation_;
  MatMulPlan plan_;
};

}  // namespace

void register_gemm_kernels(KernelRegistry& registry) {
  registry.add("Gemm", []() -> std::unique_ptr<Kernel> { return std::make_unique<GemmKernel>(); });
  registry.add("MatMul", []() -> std::unique_ptr<Kernel> { return std::make_unique<MatMulKernel>(); });
}

}  // namespace edgeai
