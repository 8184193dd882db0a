// Reference fp32 Gemm (https://onnx.ai/onnx/operators/onnx__Gemm.html) and MatMul
// (https://onnx.ai/onnx/operators/onnx__MatMul.html, numpy.matmul semantics), ONNX opset 13,
// with the fused activation applied in the epilogue. Loops in i-k-j order so the innermost
// loop runs over a contiguous output row. Depends on core and graph only.
#include <algorithm>
#include <memory>

#include "graph/fused_activation.hpp"
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
    Shape a = sig.inputs[0].shape;
    Shape b = sig.inputs[1].shape;
    if (a.empty() || b.empty()) {
      return invalid_argument(node.describe(), ": MatMul needs inputs of rank >= 1");
    }
    // numpy.matmul: 1-D A is [1, K], 1-D B is [K, 1].
    if (a.size() == 1) a.insert(a.begin(), 1);
    if (b.size() == 1) b.push_back(1);
    m_ = a[a.size() - 2];
    k_ = a[a.size() - 1];
    n_ = b[b.size() - 1];
    if (b[b.size() - 2] != k_) {
      return invalid_argument(node.describe(), ": inner dimensions of A ", shape_to_string(sig.inputs[0].shape),
                              " and B ", shape_to_string(sig.inputs[1].shape), " differ");
    }
    // Broadcast the batch axes: for every output batch index, the offsets of its A and B
    // blocks. A batch axis of size 1 (or a missing one) has stride 0, so it repeats.
    Shape batch_a(a.begin(), a.end() - 2);
    Shape batch_b(b.begin(), b.end() - 2);
    std::optional<Shape> batch = broadcast_shapes(batch_a, batch_b);
    if (!batch || !is_static(*batch)) {
      return invalid_argument(node.describe(), ": batch dimensions of A ", shape_to_string(sig.inputs[0].shape),
                              " and B ", shape_to_string(sig.inputs[1].shape), " do not broadcast");
    }
    const std::size_t rank = batch->size();
    batch_a.insert(batch_a.begin(), rank - batch_a.size(), 1);
    batch_b.insert(batch_b.begin(), rank - batch_b.size(), 1);
    std::vector<std::int64_t> a_strides = row_major_strides(batch_a);
    std::vector<std::int64_t> b_strides = row_major_strides(batch_b);
    for (std::size_t d = 0; d < rank; ++d) {
      if (batch_a[d] == 1) a_strides[d] = 0;
      if (batch_b[d] == 1) b_strides[d] = 0;
    }
    const std::int64_t batches = element_count(*batch).value_or(0);
    a_offsets_.assign(static_cast<std::size_t>(batches), 0);
    b_offsets_.assign(static_cast<std::size_t>(batches), 0);
    std::vector<std::int64_t> index(rank, 0);
    for (std::size_t bi = 0; bi < a_offsets_.size(); ++bi) {
      std::int64_t a_block = 0, b_block = 0;
      for (std::size_t d = 0; d < rank; ++d) {
        a_block += index[d] * a_strides[d];
        b_block += index[d] * b_strides[d];
      }
      a_offsets_[bi] = a_block * m_ * k_;
      b_offsets_[bi] = b_block * k_ * n_;
      for (std::size_t d = rank; d-- > 0;) {  // next batch index, last axis fastest
        if (++index[d] < (*batch)[d]) break;
        index[d] = 0;
      }
    }
    return Status::ok();
  }

  Status run(std::span<const TensorView> inputs, std::span<TensorView> outputs, void* /*scratch*/) override {
    const float* a = inputs[0].data_as<const float>();
    const float* b = inputs[1].data_as<const float>();
    float* y = outputs[0].data_as<float>();
    const std::int64_t block = m_ * n_;
    std::fill(y, y + block * static_cast<std::int64_t>(a_offsets_.size()), 0.0f);
    for (std::size_t bi = 0; bi < a_offsets_.size(); ++bi) {
      float* y_block = y + static_cast<std::int64_t>(bi) * block;
      accumulate_matmul(a + a_offsets_[bi], k_, 1, b + b_offsets_[bi], m_, k_, n_, y_block);
      if (activation_.kind != ActivationKind::kNone) {
        for (std::int64_t i = 0; i < block; ++i) y_block[i] = activation_.apply(y_block[i]);
      }
    }
    return Status::ok();
  }

  std::int64_t macs() const override { return static_cast<std::int64_t>(a_offsets_.size()) * m_ * k_ * n_; }

 private:
  FusedActivation activation_;
  std::int64_t m_ = 0, k_ = 0, n_ = 0;
  std::vector<std::int64_t> a_offsets_, b_offsets_;
};

}  // namespace

void register_gemm_kernels(KernelRegistry& registry) {
  registry.add("Gemm", []() -> std::unique_ptr<Kernel> { return std::make_unique<GemmKernel>(); });
  registry.add("MatMul", []() -> std::unique_ptr<Kernel> { return std::make_unique<MatMulKernel>(); });
}

}  // namespace edgeai
