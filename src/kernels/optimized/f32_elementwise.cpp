// Optimised fp32 elementwise kernels on one ISA's micro-kernel table:
//  - activations (Relu, LeakyRelu, Sigmoid, HardSigmoid, HardSwish) with the vector forms of
//    the reference formulas (Sigmoid through a polynomial exp, ~1 ulp);
//  - Add, Sub, Mul, Div (with a fused activation) when both shapes equal the output's, one
//    operand is a single value, or one broadcasts over trailing axes ([N, C, 1, 1] against
//    [N, C, H, W], the squeeze-excite scale) or over leading axes ([C] against [N, H, C]).
// Other broadcasts decline at prepare and run on the reference. Work is split into chunks
// for the thread pool.
#include <algorithm>
#include <memory>

#include "graph/fused_activation.hpp"
#include "kernels/optimized/f32_gemm_driver.hpp"
#include "kernels/optimized/optimized_kernels.hpp"

namespace edgeai {
namespace {

constexpr std::int64_t kChunk = 16384;  // floats per task: enough to amortise a hand-off

std::int64_t element_product(const Shape& shape, std::size_t begin, std::size_t end) {
  std::int64_t n = 1;
  for (std::size_t i = begin; i < end; ++i) n *= shape[i];
  return n;
}

class F32ActivationKernel final : public Kernel {
 public:
  F32ActivationKernel(const F32MicroKernels* uk, ActivationKind kind) : uk_(uk), kind_(kind) {}

  Status prepare(const Node& node, const KernelSignature& sig) override {
    if (sig.inputs[0].dtype != DType::kFloat32) return unsupported("f32 activation: dtype is not float32");
    activation_.kind = kind_;
    if (kind_ == ActivationKind::kLeakyRelu) activation_.alpha = node.attr_float("alpha", 0.01f);
    if (kind_ == ActivationKind::kHardSigmoid) {
      activation_.alpha = node.attr_float("alpha", 0.2f);
      activation_.beta = node.attr_float("beta", 0.5f);
    }
    threads_ = sig.threads;
    return Status::ok();
  }
  Aliasing aliasing() const override { return Aliasing::kInPlaceAllowed; }

  Status run(std::span<const TensorView> inputs, std::span<TensorView> outputs, void*) override {
    const std::int64_t n = inputs[0].num_elements();
    const float* x = inputs[0].data_as<const float>();
    float* y = outputs[0].data_as<float>();
    const std::int64_t tasks = (n + kChunk - 1) / kChunk;
    parallel_for(threads_, static_cast<std::size_t>(tasks), [&](std::size_t t, int) {
      const std::int64_t begin = static_cast<std::int64_t>(t) * kChunk;
      apply_activation(*uk_, activation_, x + begin, y + begin, std::min(kChunk, n - begin));
    });
    return Status::ok();
  }

 private:
  const F32MicroKernels* uk_;
  ActivationKind kind_;
  FusedActivation activation_;
  ThreadPool* threads_ = nullptr;
};

class F32BinaryKernel final : public Kernel {
 public:
  F32BinaryKernel(const F32MicroKernels* uk, F32BinaryOp op) : uk_(uk), op_(op) {}

  Status prepare(const Node& node, const KernelSignature& sig) override {
    if (sig.inputs[0].dtype != DType::kFloat32 || sig.inputs[1].dtype != DType::kFloat32) {
      return unsupported("f32 binary: dtype is not float32");
    }
    EDGEAI_ASSIGN_OR_RETURN(activation_, fused_activation_of(node));
    threads_ = sig.threads;
    const Shape& out = sig.outputs[0].shape;
    const std::size_t rank = out.size();
    total_ = element_product(out, 0, rank);
    Shape a = sig.inputs[0].shape, b = sig.inputs[1].shape;
    if (a.size() > rank || b.size() > rank) return unsupported("f32 binary: operand rank above the output's");
    a.insert(a.begin(), rank - a.size(), 1);
    b.insert(b.begin(), rank - b.size(), 1);
    a_full_ = a == out;
    const bool b_full = b == out;
    if (a_full_ && b_full) {
      layout_ = Layout::kSame;
      return Status::ok();
    }
    if (!a_full_ && !b_full) return unsupported("f32 binary: both operands broadcast");
    const Shape& small = a_full_ ? b : a;
    if (element_product(small, 0, rank) == 1) {
      layout_ = Layout::kScalar;
      return Status::ok();
    }
    // Trailing broadcast: small = out[:r] followed by ones.
    for (std::size_t r = 1; r < rank; ++r) {
      bool match = true;
      for (std::size_t i = 0; i < rank && match; ++i) match = i < r ? small[i] == out[i] : small[i] == 1;
      if (match) {
        layout_ = Layout::kPerOuter;
        outer_ = element_product(out, 0, r);
        inner_ = element_product(out, r, rank);
        return Status::ok();
      }
    }
    // Leading broadcast: ones followed by small = out[r:].
    for (std::size_t r = 1; r < rank; ++r) {
      bool match = true;
      for (std::size_t i = 0; i < rank && match; ++i) match = i < r ? small[i] == 1 : small[i] == out[i];
      if (match) {
        layout_ = Layout::kPerInner;
        outer_ = element_product(out, 0, r);
        inner_ = element_product(out, r, rank);
        return Status::ok();
      }
    }
    return unsupported("f32 binary: broadcast pattern not covered");
  }

  Aliasing aliasing() const override { return a_full_ ? Aliasing::kInPlaceAllowed : Aliasing::kNone; }

  Status run(std::span<const TensorView> inputs, std::span<TensorView> outputs, void*) override {
    const float* a = inputs[0].data_as<const float>();
    const float* b = inputs[1].data_as<const float>();
    float* y = outputs[0].data_as<float>();
    // One call covers y[begin, begin + n) where both operands advance (or one is fixed).
    auto span = [&](std::int64_t begin, std::int64_t n, const float* a_at, std::ptrdiff_t a_step, const float* b_at,
                    std::ptrdiff_t b_step) {
      F32BinaryCall call;
      call.op = op_;
      call.a = a_at;
      call.a_step = a_step;
      call.b = b_at;
      call.b_step = b_step;
      call.y = y + begin;
      call.n = n;
      uk_->binary(call);
      if (activation_.kind != ActivationKind::kNone) apply_activation(*uk_, activation_, y + begin, y + begin, n);
    };
    if (layout_ == Layout::kSame || layout_ == Layout::kScalar) {
      const std::int64_t tasks = (total_ + kChunk - 1) / kChunk;
      parallel_for(threads_, static_cast<std::size_t>(tasks), [&](std::size_t t, int) {
        const std::int64_t begin = static_cast<std::int64_t>(t) * kChunk;
        const std::int64_t n = std::min(kChunk, total_ - begin);
        const bool a_moves = layout_ == Layout::kSame || a_full_;
        const bool b_moves = layout_ == Layout::kSame || !a_full_;
        span(begin, n, a_moves ? a + begin : a, a_moves ? 1 : 0, b_moves ? b + begin : b, b_moves ? 1 : 0);
      });
      return Status::ok();
    }
    // Per outer index o: the full operand's row o against the small operand's value o
    // (kPerOuter) or its whole row (kPerInner).
    const std::int64_t rows_per_task = std::max<std::int64_t>(1, kChunk / std::max<std::int64_t>(1, inner_));
    const std::int64_t tasks = (outer_ + rows_per_task - 1) / rows_per_task;
    parallel_for(threads_, static_cast<std::size_t>(tasks), [&](std::size_t t, int) {
      const std::int64_t o_begin = static_cast<std::int64_t>(t) * rows_per_task;
      const std::int64_t o_end = std::min(outer_, o_begin + rows_per_task);
      for (std::int64_t o = o_begin; o < o_end; ++o) {
        const std::int64_t begin = o * inner_;
        const float* small = a_full_ ? b : a;
        const float* small_at = layout_ == Layout::kPerOuter ? small + o : small;
        const std::ptrdiff_t small_step = layout_ == Layout::kPerOuter ? 0 : 1;
        if (a_full_) {
          span(begin, inner_, a + begin, 1, small_at, small_step);
        } else {
          span(begin, inner_, small_at, small_step, b + begin, 1);
        }
      }
    });
    return Status::ok();
  }

 private:
  enum class Layout { kSame, kScalar, kPerOuter, kPerInner };
  const F32MicroKernels* uk_;
  F32BinaryOp op_;
  FusedActivation activation_;
  ThreadPool* threads_ = nullptr;
  Layout layout_ = Layout::kSame;
  bool a_full_ = true;
  std::int64_t total_ = 0, outer_ = 0, inner_ = 0;
};

}  // namespace

std::unique_ptr<Kernel> make_f32_activation_kernel(const F32MicroKernels* uk, ActivationKind kind) {
  return std::make_unique<F32ActivationKernel>(uk, kind);
}
std::unique_ptr<Kernel> make_f32_binary_kernel(const F32MicroKernels* uk, F32BinaryOp op) {
  return std::make_unique<F32BinaryKernel>(uk, op);
}

}  // namespace edgeai
