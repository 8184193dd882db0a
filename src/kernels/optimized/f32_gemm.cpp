// Optimised fp32 Gemm and MatMul with constant weights (the classifier and projection
// layers): Y = act(A * B + C). B is packed once, at prepare, into the micro-kernel's column
// panels (whether or not transB), A is packed into the micro-kernel's panels per run (its rows are few), and
// C, when given as [N] or [1, N], is the column bias of the epilogue. Gemm with alpha or beta
// other than 1, a C of another shape, or a non-constant B falls back to the reference;
// MatMul needs a constant 2-D B and takes any leading batch axes of A as more rows.
#include <algorithm>
#include <memory>

#include "core/aligned_buffer.hpp"
#include "kernels/optimized/f32_gemm_driver.hpp"
#include "kernels/optimized/optimized_kernels.hpp"

namespace edgeai {
namespace {

Status require_float32(const KernelSignature& sig) {
  for (std::size_t i = 0; i < sig.inputs.size(); ++i) {
    if (sig.inputs[i].dtype != DType::kUndefined && sig.inputs[i].dtype != DType::kFloat32) {
      return unsupported("f32 gemm: input ", i, " is ", dtype_name(sig.inputs[i].dtype));
    }
  }
  return Status::ok();
}

// Shared by Gemm and MatMul once the operands are resolved.
class F32DenseKernel : public Kernel {
 public:
  explicit F32DenseKernel(const F32MicroKernels* uk) : uk_(uk) {}

  std::size_t scratch_bytes() const override { return gemv_ ? 0 : packed_a_floats(*uk_, m_, k_) * sizeof(float); }
  std::int64_t macs() const override { return m_ * n_ * k_; }

  Status run(std::span<const TensorView> inputs, std::span<TensorView> outputs, void* scratch) override {
    if (gemv_) {
      run_gemv(inputs[0].data_as<const float>(), outputs[0].data_as<float>());
      return Status::ok();
    }
    auto* packed = static_cast<float*>(scratch);
    const float* a = inputs[0].data_as<const float>();
    pack_a_panels(*uk_, a, trans_a_ ? 1 : k_, trans_a_ ? m_ : 1, m_, k_, packed);
    F32GemmCall call;
    call.a_packed = packed;
    call.b_packed = static_cast<const float*>(b_.data());
    call.c = outputs[0].data_as<float>();
    call.ldc = n_;
    call.bias_col = bias_.empty() ? nullptr : bias_.data();
    run_f32_gemm(*uk_, tiling_, call, epilogue_, threads_);
    return Status::ok();
  }

 protected:
  // b(p, j) at b[p * row_stride + j * col_stride].
  void finish_prepare(const Node& node, const KernelSignature& sig, const float* b, std::ptrdiff_t row_stride,
                      std::ptrdiff_t col_stride, const FusedActivation& activation) {
    (void)node;
    threads_ = sig.threads;
    epilogue_ = epilogue_for(activation);
    activation_ = activation;
    gemv_ = m_ == 1 && uk_->dot_rows != nullptr;
    if (gemv_) {
      // One row of A (batch 1): B as rows of K, each read once, in order, by dot products.
      b_ = AlignedBuffer(static_cast<std::size_t>(n_ * k_) * sizeof(float));
      auto* rows = static_cast<float*>(b_.data());
      for (std::int64_t j = 0; j < n_; ++j) {
        for (std::int64_t p = 0; p < k_; ++p) rows[j * k_ + p] = b[p * row_stride + j * col_stride];
      }
      return;
    }
    b_ = AlignedBuffer(packed_b_floats(*uk_, k_, n_) * sizeof(float));
    pack_b_panels(*uk_, b, row_stride, col_stride, k_, n_, static_cast<float*>(b_.data()));
    tiling_ = plan_f32_gemm(*uk_, m_, n_, k_, threads_ != nullptr ? threads_->threads() : 1);
  }

  // Rows of B in chunks of a multiple of 4 (the micro-kernel's pass) over the threads.
  void run_gemv(const float* x, float* y) {
    const int threads = threads_ != nullptr ? threads_->threads() : 1;
    const std::int64_t chunk = threads <= 1 ? n_ : std::max<std::int64_t>(4, (n_ / (4 * threads) + 3) / 4 * 4);
    const std::int64_t tasks = (n_ + chunk - 1) / chunk;
    parallel_for(threads_, static_cast<std::size_t>(tasks), [&](std::size_t task, int) {
      const std::int64_t first = static_cast<std::int64_t>(task) * chunk;
      F32DotRows d;
      d.x = x;
      d.w = static_cast<const float*>(b_.data()) + first * k_;
      d.ldw = k_;
      d.k = static_cast<int>(k_);
      d.rows = static_cast<int>(std::min(chunk, n_ - first));
      d.bias = bias_.empty() ? nullptr : bias_.data() + first;
      d.y = y + first;
      uk_->dot_rows(d);
      apply_activation(*uk_, activation_, d.y, d.y, d.rows);
    });
  }

  const F32MicroKernels* uk_;
  ThreadPool* threads_ = nullptr;
  FusedActivation activation_;
  bool gemv_ = false;
  F32Epilogue epilogue_;
  F32GemmTiling tiling_;
  AlignedBuffer b_;
  std::vector<float> bias_;
  std::int64_t m_ = 0, n_ = 0, k_ = 0;
  bool trans_a_ = false;
};

class F32GemmKernel final : public F32DenseKernel {
 public:
  using F32DenseKernel::F32DenseKernel;

  Status prepare(const Node& node, const KernelSignature& sig) override {
    EDGEAI_RETURN_IF_ERROR(require_float32(sig));
    const Shape& a = sig.inputs[0].shape;
    const Shape& b = sig.inputs[1].shape;
    if (a.size() != 2 || b.size() != 2) return unsupported("f32 gemm: A and B must be 2-D");
    if (sig.input_values[1] == nullptr) return unsupported("f32 gemm: B is not constant");
    if (node.attr_float("alpha", 1.0f) != 1.0f) return unsupported("f32 gemm: alpha != 1");
    trans_a_ = node.attr_int("transA", 0) != 0;
    const bool trans_b = node.attr_int("transB", 0) != 0;
    m_ = trans_a_ ? a[1] : a[0];
    k_ = trans_a_ ? a[0] : a[1];
    n_ = trans_b ? b[0] : b[1];
    if ((trans_b ? b[1] : b[0]) != k_) return invalid_argument("inner dimensions of A and B differ");
    const bool has_c = sig.inputs.size() > 2 && sig.inputs[2].dtype != DType::kUndefined;
    if (has_c) {
      const Shape& c = sig.inputs[2].shape;
      const bool row = (c.size() == 1 && c[0] == n_) || (c.size() == 2 && c[0] == 1 && c[1] == n_);
      if (!row || sig.input_values[2] == nullptr) return unsupported("f32 gemm: C is not a constant [N] row");
      if (node.attr_float("beta", 1.0f) != 1.0f) return unsupported("f32 gemm: beta != 1");
      const float* cv = sig.input_values[2]->data<float>();
      bias_.assign(cv, cv + n_);
    }
    EDGEAI_ASSIGN_OR_RETURN(FusedActivation activation, fused_activation_of(node));
    const float* bv = sig.input_values[1]->data<float>();
    finish_prepare(node, sig, bv, trans_b ? 1 : n_, trans_b ? k_ : 1, activation);
    return Status::ok();
  }
};

class F32MatMulKernel final : public F32DenseKernel {
 public:
  using F32DenseKernel::F32DenseKernel;

  Status prepare(const Node& node, const KernelSignature& sig) override {
    EDGEAI_RETURN_IF_ERROR(require_float32(sig));
    const Shape& a = sig.inputs[0].shape;
    const Shape& b = sig.inputs[1].shape;
    if (a.size() < 2 || b.size() != 2) return unsupported("f32 matmul: A of rank >= 2 and a 2-D B only");
    if (sig.input_values[1] == nullptr) return unsupported("f32 matmul: B is not constant");
    k_ = a.back();
    n_ = b[1];
    if (b[0] != k_) return invalid_argument("inner dimensions of A and B differ");
    m_ = 1;
    for (std::size_t i = 0; i + 1 < a.size(); ++i) m_ *= a[i];
    EDGEAI_ASSIGN_OR_RETURN(FusedActivation activation, fused_activation_of(node));
    finish_prepare(node, sig, sig.input_values[1]->data<float>(), n_, 1, activation);
    return Status::ok();
  }
};

}  // namespace

std::unique_ptr<Kernel> make_f32_gemm_kernel(const F32MicroKernels* uk) { return std::make_unique<F32GemmKernel>(uk); }
std::unique_ptr<Kernel> make_f32_matmul_kernel(const F32MicroKernels* uk) {
  return std::make_unique<F32MatMulKernel>(uk);
}

}  // namespace edgeai
