// Optimised QGemm for fully connected layers (a few rows of 8-bit activations times constant
// int8 weights with zero point 0), on one ISA's int8 GEMV micro-kernel: the weights stored
// once as rows of K (transposed at prepare when transB = 0) padded to 64 bytes, each row of
// A offset to the micro-kernel's signedness (the bias absorbs the offset and A's zero point),
// per-column requantisation exactly as the reference's. More than 16 rows, a C that is not a
// row, non-constant weights or parameters, or int16 activations decline.
#include <algorithm>
#include <cstring>
#include <limits>
#include <memory>
#include <vector>

#include "core/aligned_buffer.hpp"
#include "kernels/optimized/optimized_kernels.hpp"
#include "kernels/reference/quantized_operands.hpp"

namespace edgeai {
namespace {

constexpr std::size_t kA = 0, kAScale = 1, kAZero = 2, kB = 3, kBScale = 4, kBZero = 5, kC = 6, kYScale = 7, kYZero = 8;
constexpr std::int64_t kMaxRows = 16;

class QS8GemmKernel final : public Kernel {
 public:
  explicit QS8GemmKernel(const QS8MicroKernels* uk) : uk_(uk) {}

  Status prepare(const Node& node, const KernelSignature& sig) override {
    if (uk_->gemv == nullptr) return unsupported("qs8 gemm: no GEMV micro-kernel on ", uk_->isa);
    const DType a_dtype = sig.inputs[kA].dtype, y_dtype = sig.outputs[0].dtype;
    if (!is_quantized_dtype(a_dtype) || sig.inputs[kB].dtype != DType::kInt8 || !is_quantized_dtype(y_dtype) ||
        !has_input(sig, kYScale)) {
      return unsupported("qs8 gemm: 8-bit A and y, int8 B");
    }
    if (node.attr_float("alpha", 1.0f) != 1.0f) return unsupported("qs8 gemm: alpha");
    if (!are_constants(sig, {kAScale, kAZero, kB, kBScale, kBZero, kC, kYScale, kYZero})) {
      return unsupported("qs8 gemm: constant weights and parameters only");
    }
    const Shape& a = sig.inputs[kA].shape;
    const Shape& b = sig.inputs[kB].shape;
    if (a.size() != 2 || b.size() != 2) return unsupported("qs8 gemm: 2-D operands");
    const bool trans_a = node.attr_int("transA", 0) != 0, trans_b = node.attr_int("transB", 0) != 0;
    m_ = trans_a ? a[1] : a[0];
    k_ = trans_a ? a[0] : a[1];
    n_ = trans_b ? b[0] : b[1];
    if ((trans_b ? b[1] : b[0]) != k_) return unsupported("qs8 gemm: inner dimensions differ");
    if (m_ > kMaxRows || (trans_a && m_ != 1)) return unsupported("qs8 gemm: more than ", kMaxRows, " rows");
    EDGEAI_ASSIGN_OR_RETURN(FusedActivation activation, fused_activation_of(node));
    if (check_quantized_activation(node, activation).code() != StatusCode::kOk) {
      return unsupported("qs8 gemm: fused activation without an integer form");
    }
    const std::vector<TensorView> c = constant_input_views(sig);
    const auto view = [&](std::size_t i) { return has_input(sig, i) ? &c[i] : nullptr; };
    const std::int32_t* bias = nullptr;
    if (has_input(sig, kC)) {
      const Shape& cs = sig.inputs[kC].shape;
      const bool row = (cs.size() == 1 && cs[0] == n_) || (cs.size() == 2 && cs[0] == 1 && cs[1] == n_);
      if (sig.inputs[kC].dtype != DType::kInt32 || !row) return unsupported("qs8 gemm: C is not an int32 row");
      bias = c[kC].data_as<const std::int32_t>();
    }
    const float a_scale = scale_at(c[kAScale], 0), y_scale = scale_at(c[kYScale], 0);
    if (!(a_scale > 0.0f) || !(y_scale > 0.0f)) return unsupported("qs8 gemm: scales");
    const std::int32_t a_zero = zero_point_at(view(kAZero), 0);
    const std::int32_t y_zero = zero_point_at(view(kYZero), 0);
    x_signed_ = a_dtype == DType::kInt8;
    flip_ = x_signed_ != uk_->b_signed ? 0x80 : 0x00;
    const std::int64_t offset = flip_ == 0 ? 0 : (x_signed_ ? 128 : -128);

    k_padded_ = (k_ + 63) / 64 * 64;
    weights_ = AlignedBuffer(static_cast<std::size_t>(n_ * k_padded_));
    auto* w = static_cast<std::int8_t*>(weights_.data());
    const auto* bw = c[kB].data_as<const std::int8_t>();
    bias_.resize(static_cast<std::size_t>(n_));
    scale_.resize(static_cast<std::size_t>(n_));
    for (std::int64_t j = 0; j < n_; ++j) {
      if (zero_point_at(view(kBZero), j) != 0) return unsupported("qs8 gemm: weight zero points other than 0");
      std::int64_t sum = 0;
      for (std::int64_t p = 0; p < k_; ++p) {
        const std::int8_t v = trans_b ? bw[j * k_ + p] : bw[p * n_ + j];
        w[j * k_padded_ + p] = v;
        sum += v;
      }
      const std::int64_t folded = (bias != nullptr ? bias[j] : 0) - (offset + a_zero) * sum;
      if (std::llabs(folded) + k_ * 255 * 128 + std::llabs((offset + a_zero) * sum) >= std::numeric_limits<std::int32_t>::max()) {
        return unsupported("qs8 gemm: the int32 accumulator could overflow");
      }
      bias_[static_cast<std::size_t>(j)] = static_cast<std::int32_t>(folded);
      const float b_scale = scale_at(c[kBScale], j);
      if (!(b_scale > 0.0f)) return unsupported("qs8 gemm: scales");
      const double real = static_cast<double>(a_scale) * static_cast<double>(b_scale) / static_cast<double>(y_scale);
      if (!quant::make_requantization_scale(real, &scale_[static_cast<std::size_t>(j)])) {
        return unsupported("qs8 gemm: requantisation scale out of range");
      }
    }
    const std::int32_t qmin = y_dtype == DType::kInt8 ? -128 : 0, qmax = y_dtype == DType::kInt8 ? 127 : 255;
    const QuantizedClamp clamp = quantized_clamp(activation, y_scale, y_zero, qmin, qmax);
    requant_.zero_point = y_zero;
    requant_.lo = std::max(clamp.lo, qmin);
    requant_.hi = std::min(clamp.hi, qmax);
    threads_ = sig.threads;
    return Status::ok();
  }

  std::size_t scratch_bytes() const override { return static_cast<std::size_t>(m_ * k_padded_); }
  std::int64_t macs() const override { return m_ * n_ * k_; }

  Status run(std::span<const TensorView> inputs, std::span<TensorView> outputs, void* scratch) override {
    const auto* a = inputs[kA].data_as<const std::uint8_t>();
    auto* y = outputs[0].data_as<std::uint8_t>();
    auto* rows = static_cast<std::uint8_t*>(scratch);
    for (std::int64_t i = 0; i < m_; ++i) {
      std::uint8_t* row = rows + i * k_padded_;
      for (std::int64_t p = 0; p < k_; ++p) row[p] = static_cast<std::uint8_t>(a[i * k_ + p] ^ flip_);
      std::memset(row + k_, 0, static_cast<std::size_t>(k_padded_ - k_));
    }
    // Column chunks of 64 rows of weights per task.
    const std::int64_t chunk = 64, chunks = (n_ + chunk - 1) / chunk;
    parallel_for(threads_, static_cast<std::size_t>(m_ * chunks), [&](std::size_t task, int) {
      const std::int64_t i = static_cast<std::int64_t>(task) / chunks, j0 = (static_cast<std::int64_t>(task) % chunks) * chunk;
      QS8GemvCall call;
      call.k_padded = k_padded_;
      call.a = rows + i * k_padded_;
      call.w = static_cast<const std::int8_t*>(weights_.data()) + j0 * k_padded_;
      call.n = std::min(chunk, n_ - j0);
      call.requant = requant_;
      call.requant.bias = bias_.data() + j0;
      call.requant.scale = scale_.data() + j0;
      call.y = y + i * n_ + j0;
      uk_->gemv(call);
    });
    return Status::ok();
  }

 private:
  const QS8MicroKernels* uk_;
  ThreadPool* threads_ = nullptr;
  bool x_signed_ = true;
  std::uint8_t flip_ = 0;
  std::int64_t m_ = 0, n_ = 0, k_ = 0, k_padded_ = 0;
  AlignedBuffer weights_;
  std::vector<std::int32_t> bias_;
  std::vector<float> scale_;
  QS8Requantization requant_;
};

}  // namespace

std::unique_ptr<Kernel> make_qs8_gemm_kernel(const QS8MicroKernels* uk) { return std::make_unique<QS8GemmKernel>(uk); }

}  // namespace edgeai
