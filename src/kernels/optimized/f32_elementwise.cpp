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
#include "kernels/optimized/binary_broadcast.hpp"
#include "kernels/optimized/f32_gemm_driver.hpp"
#include "kernels/optimized/optimized_kernels.hpp"

namespace edgeai {
namespace {

constexpr std::int64_t kChunk = 16384;  // floats per task: enough to amortise a hand-off

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
    parallel_chunks(threads_, n, kChunk, [&](std::int64_t begin, std::int64_t count) {
      apply_activation(*uk_, activation_, x + begin, y + begin, count);
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
    const std::optional<BinaryBroadcast> broadcast =
        BinaryBroadcast::classify(sig.inputs[0].shape, sig.inputs[1].shape, sig.outputs[0].shape);
    if (!broadcast) return unsupported("f32 binary: broadcast pattern not covered");
    broadcast_ = *broadcast;
    return Status::ok();
  }

  Aliasing aliasing() const override { return broadcast_.a_full ? Aliasing::kInPlaceAllowed : Aliasing::kNone; }

  Status run(std::span<const TensorView> inputs, std::span<TensorView> outputs, void*) override {
    const float* a = inputs[0].data_as<const float>();
    const float* b = inputs[1].data_as<const float>();
    float* y = outputs[0].data_as<float>();
    parallel_for(threads_, static_cast<std::size_t>(broadcast_.tasks(kChunk)), [&](std::size_t t, int) {
      broadcast_.walk(static_cast<std::int64_t>(t), kChunk,
                      [&](std::int64_t begin, std::int64_t n, std::int64_t a_at, std::int64_t a_step, std::int64_t b_at,
                          std::int64_t b_step) {
                        F32BinaryCall call;
                        call.op = op_;
                        call.a = a + a_at;
                        call.a_step = a_step;
                        call.b = b + b_at;
                        call.b_step = b_step;
                        call.y = y + begin;
                        call.n = n;
                        uk_->binary(call);
                        if (activation_.kind != ActivationKind::kNone) {
                          apply_activation(*uk_, activation_, y + begin, y + begin, n);
                        }
                      });
    });
    return Status::ok();
  }

 private:
  const F32MicroKernels* uk_;
  F32BinaryOp op_;
  FusedActivation activation_;
  ThreadPool* threads_ = nullptr;
  BinaryBroadcast broadcast_;
};

}  // namespace

std::unique_ptr<Kernel> make_f32_activation_kernel(const F32MicroKernels* uk, ActivationKind kind) {
  return std::make_unique<F32ActivationKernel>(uk, kind);
}
std::unique_ptr<Kernel> make_f32_binary_kernel(const F32MicroKernels* uk, F32BinaryOp op) {
  return std::make_unique<F32BinaryKernel>(uk, op);
}

}  // namespace edgeai
