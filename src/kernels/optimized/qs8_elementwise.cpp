// Optimised 8-bit QuantizeLinear and DequantizeLinear (per tensor), QLinearAdd (both operands
// of the output's shape) and QLinearMul (the broadcasts of binary_broadcast.hpp: squeeze-excite
// scales, gates) on one ISA's int8 micro-kernel table: the reference's arithmetic
// (kernels/quantization.hpp, and QLinearAdd's numerators over a common shift as in
// reference/quantized_elementwise.cpp), vectorised, bit for bit. Per-axis parameters, int16,
// other broadcasts and run-time parameters decline.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <initializer_list>
#include <memory>
#include <optional>
#include <vector>

#include "kernels/optimized/binary_broadcast.hpp"
#include "kernels/optimized/optimized_kernels.hpp"
#include "kernels/reference/quantized_operands.hpp"

namespace edgeai {
namespace {

constexpr std::int64_t kChunk = 16384;

class QS8QuantizeKernel final : public Kernel {
 public:
  explicit QS8QuantizeKernel(const QS8MicroKernels* uk) : uk_(uk) {}

  Status prepare(const Node&, const KernelSignature& sig) override {
    if (uk_->quantize == nullptr) return unsupported("qs8 quantize: no vector form on ", uk_->isa);
    const DType y = sig.outputs[0].dtype;
    if (sig.inputs[0].dtype != DType::kFloat32 || !is_quantized_dtype(y)) {
      return unsupported("qs8 quantize: float32 to int8/uint8 only");
    }
    if (!are_constants(sig, {1, 2}) || element_count(sig.inputs[1].shape).value_or(0) != 1 ||
        (has_input(sig, 2) && element_count(sig.inputs[2].shape).value_or(0) != 1)) {
      return unsupported("qs8 quantize: one constant scale and zero point");
    }
    const std::vector<TensorView> c = constant_input_views(sig);
    call_.scale = scale_at(c[1], 0);
    if (!(call_.scale > 0.0f) || !std::isfinite(call_.scale)) return unsupported("qs8 quantize: scale");
    call_.zero_point = zero_point_at(has_input(sig, 2) ? &c[2] : nullptr, 0);
    call_.qmin = y == DType::kInt8 ? -128 : 0;
    call_.qmax = y == DType::kInt8 ? 127 : 255;
    threads_ = sig.threads;
    return Status::ok();
  }

  Status run(std::span<const TensorView> inputs, std::span<TensorView> outputs, void*) override {
    const std::int64_t n = inputs[0].num_elements();
    const float* x = inputs[0].data_as<const float>();
    auto* y = outputs[0].data_as<std::uint8_t>();
    parallel_chunks(threads_, n, kChunk, [&](std::int64_t begin, std::int64_t count) {
      QS8QuantizeCall call = call_;
      call.x = x + begin;
      call.y = y + begin;
      call.n = count;
      uk_->quantize(call);
    });
    return Status::ok();
  }

 private:
  const QS8MicroKernels* uk_;
  ThreadPool* threads_ = nullptr;
  QS8QuantizeCall call_;
};

class QS8AddKernel final : public Kernel {
 public:
  explicit QS8AddKernel(const QS8MicroKernels* uk) : uk_(uk) {}

  Status prepare(const Node& node, const KernelSignature& sig) override {
    if (uk_->add == nullptr) return unsupported("qs8 add: no vector form on ", uk_->isa);
    const DType t = sig.inputs[0].dtype;
    if (!is_quantized_dtype(t) || sig.inputs[3].dtype != t || sig.outputs[0].dtype != t) {
      return unsupported("qs8 add: int8 or uint8 operands of one type");
    }
    if (sig.inputs[0].shape != sig.outputs[0].shape || sig.inputs[3].shape != sig.outputs[0].shape) {
      return unsupported("qs8 add: broadcasting");
    }
    if (!are_constants(sig, {1, 2, 4, 5, 6, 7})) return unsupported("qs8 add: run-time parameters");
    for (std::size_t i : {std::size_t{1}, std::size_t{2}, std::size_t{4}, std::size_t{5}, std::size_t{6}, std::size_t{7}}) {
      if (has_input(sig, i) && element_count(sig.inputs[i].shape).value_or(0) != 1) {
        return unsupported("qs8 add: per-tensor parameters only");
      }
    }
    for (std::size_t i : {std::size_t{2}, std::size_t{5}, std::size_t{7}}) {
      if (has_input(sig, i) && sig.inputs[i].dtype != t) return unsupported("qs8 add: zero point type");
    }
    EDGEAI_ASSIGN_OR_RETURN(FusedActivation activation, fused_activation_of(node));
    if (check_quantized_activation(node, activation).code() != StatusCode::kOk) {
      return unsupported("qs8 add: fused activation without an integer form");
    }
    const std::vector<TensorView> c = constant_input_views(sig);
    const auto view = [&](std::size_t i) { return has_input(sig, i) ? &c[i] : nullptr; };
    const float a_scale = scale_at(c[1], 0), b_scale = scale_at(c[4], 0), c_scale = scale_at(c[6], 0);
    for (float s : {a_scale, b_scale, c_scale}) {
      if (!(s > 0.0f) || !std::isfinite(s)) return unsupported("qs8 add: scales");
    }
    call_.is_signed = t == DType::kInt8;
    call_.a_zero_point = zero_point_at(view(2), 0);
    call_.b_zero_point = zero_point_at(view(5), 0);
    call_.c_zero_point = zero_point_at(view(7), 0);
    // The reference's numerators: the larger ratio as a fixed-point multiplier, the smaller at
    // its shift.
    const double ra = static_cast<double>(a_scale) / static_cast<double>(c_scale);
    const double rb = static_cast<double>(b_scale) / static_cast<double>(c_scale);
    quant::FixedPointMultiplier larger;
    if (!quant::make_fixed_point_multiplier(std::max(ra, rb), &larger)) return unsupported("qs8 add: multiplier");
    const std::int64_t smaller =
        larger.multiplier == 0 ? 0 : static_cast<std::int64_t>(std::nearbyint(std::ldexp(std::min(ra, rb), larger.shift)));
    call_.shift = larger.shift;
    call_.a_numerator = static_cast<std::int32_t>(ra >= rb ? larger.multiplier : smaller);
    call_.b_numerator = static_cast<std::int32_t>(ra >= rb ? smaller : larger.multiplier);
    const std::int32_t qmin = call_.is_signed ? -128 : 0, qmax = call_.is_signed ? 127 : 255;
    const QuantizedClamp clamp = quantized_clamp(activation, c_scale, call_.c_zero_point, qmin, qmax);
    call_.lo = std::max(clamp.lo, qmin);
    call_.hi = std::min(clamp.hi, qmax);
    threads_ = sig.threads;
    return Status::ok();
  }

  Aliasing aliasing() const override { return Aliasing::kInPlaceAllowed; }

  Status run(std::span<const TensorView> inputs, std::span<TensorView> outputs, void*) override {
    const std::int64_t n = outputs[0].num_elements();
    const auto* a = inputs[0].data_as<const std::uint8_t>();
    const auto* b = inputs[3].data_as<const std::uint8_t>();
    auto* y = outputs[0].data_as<std::uint8_t>();
    parallel_chunks(threads_, n, kChunk, [&](std::int64_t begin, std::int64_t count) {
      QS8AddCall call = call_;
      call.a = a + begin;
      call.b = b + begin;
      call.y = y + begin;
      call.n = count;
      uk_->add(call);
    });
    return Status::ok();
  }

 private:
  const QS8MicroKernels* uk_;
  ThreadPool* threads_ = nullptr;
  QS8AddCall call_;
};

// Per-tensor parameters that are constants: true when every input in `indices` that is present
// holds one value and is known at prepare.
bool per_tensor_constants(const KernelSignature& sig, std::initializer_list<std::size_t> indices) {
  if (!are_constants(sig, indices)) return false;
  for (std::size_t i : indices) {
    if (has_input(sig, i) && element_count(sig.inputs[i].shape).value_or(0) != 1) return false;
  }
  return true;
}

class QS8DequantizeKernel final : public Kernel {
 public:
  explicit QS8DequantizeKernel(const QS8MicroKernels* uk) : uk_(uk) {}

  Status prepare(const Node&, const KernelSignature& sig) override {
    if (uk_->dequantize == nullptr) return unsupported("qs8 dequantize: no vector form on ", uk_->isa);
    const DType x = sig.inputs[0].dtype;
    if (!is_quantized_dtype(x) || sig.outputs[0].dtype != DType::kFloat32) {
      return unsupported("qs8 dequantize: int8/uint8 to float32 only");
    }
    if (!per_tensor_constants(sig, {1, 2})) return unsupported("qs8 dequantize: one constant scale and zero point");
    const std::vector<TensorView> c = constant_input_views(sig);
    call_.scale = scale_at(c[1], 0);
    if (!(call_.scale > 0.0f) || !std::isfinite(call_.scale)) return unsupported("qs8 dequantize: scale");
    call_.zero_point = zero_point_at(has_input(sig, 2) ? &c[2] : nullptr, 0);
    call_.is_signed = x == DType::kInt8;
    threads_ = sig.threads;
    return Status::ok();
  }

  Status run(std::span<const TensorView> inputs, std::span<TensorView> outputs, void*) override {
    const std::int64_t n = inputs[0].num_elements();
    const auto* x = inputs[0].data_as<const std::uint8_t>();
    float* y = outputs[0].data_as<float>();
    parallel_chunks(threads_, n, kChunk, [&](std::int64_t begin, std::int64_t count) {
      QS8DequantizeCall call = call_;
      call.x = x + begin;
      call.y = y + begin;
      call.n = count;
      uk_->dequantize(call);
    });
    return Status::ok();
  }

 private:
  const QS8MicroKernels* uk_;
  ThreadPool* threads_ = nullptr;
  QS8DequantizeCall call_;
};

class QS8MulKernel final : public Kernel {
 public:
  explicit QS8MulKernel(const QS8MicroKernels* uk) : uk_(uk) {}

  Status prepare(const Node& node, const KernelSignature& sig) override {
    if (uk_->mul == nullptr) return unsupported("qs8 mul: no vector form on ", uk_->isa);
    const DType t = sig.inputs[0].dtype;
    if (!is_quantized_dtype(t) || sig.inputs[3].dtype != t || sig.outputs[0].dtype != t) {
      return unsupported("qs8 mul: int8 or uint8 operands of one type");
    }
    if (!per_tensor_constants(sig, {1, 2, 4, 5, 6, 7})) return unsupported("qs8 mul: constant per-tensor parameters");
    for (std::size_t i : {std::size_t{2}, std::size_t{5}, std::size_t{7}}) {
      if (has_input(sig, i) && sig.inputs[i].dtype != t) return unsupported("qs8 mul: zero point type");
    }
    const std::optional<BinaryBroadcast> broadcast =
        BinaryBroadcast::classify(sig.inputs[0].shape, sig.inputs[3].shape, sig.outputs[0].shape);
    if (!broadcast) return unsupported("qs8 mul: broadcast pattern not covered");
    broadcast_ = *broadcast;
    EDGEAI_ASSIGN_OR_RETURN(FusedActivation activation, fused_activation_of(node));
    if (check_quantized_activation(node, activation).code() != StatusCode::kOk) {
      return unsupported("qs8 mul: fused activation without an integer form");
    }
    const std::vector<TensorView> c = constant_input_views(sig);
    const auto view = [&](std::size_t i) { return has_input(sig, i) ? &c[i] : nullptr; };
    const float a_scale = scale_at(c[1], 0), b_scale = scale_at(c[4], 0), c_scale = scale_at(c[6], 0);
    for (float v : {a_scale, b_scale, c_scale}) {
      if (!(v > 0.0f) || !std::isfinite(v)) return unsupported("qs8 mul: scales");
    }
    quant::FixedPointMultiplier m;
    const double real = static_cast<double>(a_scale) * static_cast<double>(b_scale) / static_cast<double>(c_scale);
    if (!quant::make_fixed_point_multiplier(real, &m)) return unsupported("qs8 mul: multiplier");
    call_.is_signed = t == DType::kInt8;
    call_.a_zero_point = zero_point_at(view(2), 0);
    call_.b_zero_point = zero_point_at(view(5), 0);
    call_.c_zero_point = zero_point_at(view(7), 0);
    call_.multiplier = m.multiplier;
    call_.shift = m.shift;
    const std::int32_t qmin = call_.is_signed ? -128 : 0, qmax = call_.is_signed ? 127 : 255;
    const QuantizedClamp clamp = quantized_clamp(activation, c_scale, call_.c_zero_point, qmin, qmax);
    call_.lo = std::max(clamp.lo, qmin);
    call_.hi = std::min(clamp.hi, qmax);
    threads_ = sig.threads;
    return Status::ok();
  }

  Aliasing aliasing() const override { return broadcast_.a_full ? Aliasing::kInPlaceAllowed : Aliasing::kNone; }

  Status run(std::span<const TensorView> inputs, std::span<TensorView> outputs, void*) override {
    const auto* a = inputs[0].data_as<const std::uint8_t>();
    const auto* b = inputs[3].data_as<const std::uint8_t>();
    auto* y = outputs[0].data_as<std::uint8_t>();
    parallel_for(threads_, static_cast<std::size_t>(broadcast_.tasks(kChunk)), [&](std::size_t t, int) {
      broadcast_.walk(static_cast<std::int64_t>(t), kChunk,
                      [&](std::int64_t begin, std::int64_t n, std::int64_t a_at, std::int64_t a_step, std::int64_t b_at,
                          std::int64_t b_step) {
                        QS8MulCall call = call_;
                        call.a = a + a_at;
                        call.a_step = a_step;
                        call.b = b + b_at;
                        call.b_step = b_step;
                        call.y = y + begin;
                        call.n = n;
                        uk_->mul(call);
                      });
    });
    return Status::ok();
  }

 private:
  const QS8MicroKernels* uk_;
  ThreadPool* threads_ = nullptr;
  BinaryBroadcast broadcast_;
  QS8MulCall call_;
};

// QLinearConcat (8-bit, constant per-tensor parameters): per index over the axes before `axis`,
// each input's block copied (same parameters as Y) or requantised to Y's.
class QS8ConcatKernel final : public Kernel {
 public:
  explicit QS8ConcatKernel(const QS8MicroKernels* uk) : uk_(uk) {}

  Status prepare(const Node& node, const KernelSignature& sig) override {
    if (uk_->rescale == nullptr) return unsupported("qs8 concat: no vector form on ", uk_->isa);
    const DType t = sig.outputs[0].dtype;
    if (!is_quantized_dtype(t) || sig.inputs.size() < 5 || (sig.inputs.size() - 2) % 3 != 0) {
      return unsupported("qs8 concat: 8-bit Y and (X, X_scale, X_zero_point) triples");
    }
    const std::size_t count = (sig.inputs.size() - 2) / 3;
    if (!per_tensor_constants(sig, {0, 1})) return unsupported("qs8 concat: constant per-tensor parameters");
    for (std::size_t k = 0; k < count; ++k) {
      if (sig.inputs[2 + 3 * k].dtype != t || !per_tensor_constants(sig, {3 + 3 * k, 4 + 3 * k})) {
        return unsupported("qs8 concat: constant per-tensor parameters of Y's type");
      }
    }
    const Shape& out = sig.outputs[0].shape;
    const std::int64_t rank = static_cast<std::int64_t>(out.size());
    std::int64_t axis = node.attr_int("axis", 0);
    if (axis < 0) axis += rank;
    if (axis < 0 || axis >= rank) return unsupported("qs8 concat: axis");
    outer_ = 1;
    for (std::int64_t i = 0; i < axis; ++i) outer_ *= out[static_cast<std::size_t>(i)];
    std::int64_t inner = 1;
    for (std::int64_t i = axis + 1; i < rank; ++i) inner *= out[static_cast<std::size_t>(i)];
    const std::vector<TensorView> c = constant_input_views(sig);
    const auto view = [&](std::size_t i) { return has_input(sig, i) ? &c[i] : nullptr; };
    const float y_scale = scale_at(c[0], 0);
    if (!(y_scale > 0.0f) || !std::isfinite(y_scale)) return unsupported("qs8 concat: scales");
    const std::int32_t y_zero = zero_point_at(view(1), 0);
    const bool is_signed = t == DType::kInt8;
    parts_.assign(count, Part{});
    row_ = 0;
    for (std::size_t k = 0; k < count; ++k) {
      Part& p = parts_[k];
      const float x_scale = scale_at(c[3 + 3 * k], 0);
      if (!(x_scale > 0.0f) || !std::isfinite(x_scale)) return unsupported("qs8 concat: scales");
      p.block = sig.inputs[2 + 3 * k].shape[static_cast<std::size_t>(axis)] * inner;
      p.call.is_signed = is_signed;
      p.call.x_zero_point = zero_point_at(view(4 + 3 * k), 0);
      p.call.y_zero_point = y_zero;
      p.call.lo = is_signed ? -128 : 0;
      p.call.hi = is_signed ? 127 : 255;
      p.copy = x_scale == y_scale && p.call.x_zero_point == y_zero;
      quant::FixedPointMultiplier m;
      if (!quant::make_fixed_point_multiplier(static_cast<double>(x_scale) / static_cast<double>(y_scale), &m)) {
        return unsupported("qs8 concat: multiplier");
      }
      p.call.multiplier = m.multiplier;
      p.call.shift = m.shift;
      row_ += p.block;
    }
    threads_ = sig.threads;
    return Status::ok();
  }

  Status run(std::span<const TensorView> inputs, std::span<TensorView> outputs, void*) override {
    auto* y = outputs[0].data_as<std::uint8_t>();
    const std::int64_t parts = static_cast<std::int64_t>(parts_.size());
    parallel_for(threads_, static_cast<std::size_t>(outer_ * parts), [&](std::size_t task, int) {
      const std::int64_t o = static_cast<std::int64_t>(task) / parts;
      const std::size_t k = static_cast<std::size_t>(static_cast<std::int64_t>(task) % parts);
      std::int64_t offset = o * row_;
      for (std::size_t j = 0; j < k; ++j) offset += parts_[j].block;
      const Part& p = parts_[k];
      const auto* x = inputs[2 + 3 * k].data_as<const std::uint8_t>() + o * p.block;
      if (p.copy) {
        std::memcpy(y + offset, x, static_cast<std::size_t>(p.block));
      } else {
        QS8RescaleCall call = p.call;
        call.x = x;
        call.y = y + offset;
        call.n = p.block;
        uk_->rescale(call);
      }
    });
    return Status::ok();
  }

 private:
  struct Part {
    std::int64_t block = 0;  // elements per outer index
    bool copy = false;
    QS8RescaleCall call;
  };
  const QS8MicroKernels* uk_;
  ThreadPool* threads_ = nullptr;
  std::vector<Part> parts_;
  std::int64_t outer_ = 1, row_ = 0;
};

// QLinearGlobalAveragePool on 8-bit planes, portable: the plane sums in int32 (a plane of up
// to 2^23 values cannot overflow), which the compiler vectorises, then the reference's
// requantisation quant::requantize(sum, x_scale / (y_scale * count)) per plane, exactly.
class QS8GlobalAveragePoolKernel final : public Kernel {
 public:
  Status prepare(const Node&, const KernelSignature& sig) override {
    const DType t = sig.inputs[0].dtype;
    if (!is_quantized_dtype(t) || sig.outputs[0].dtype != t) return unsupported("qs8 gap: 8-bit x and y of one type");
    if (!per_tensor_constants(sig, {1, 2, 3, 4})) return unsupported("qs8 gap: constant per-tensor parameters");
    const Shape& x = sig.inputs[0].shape;
    if (x.size() < 3) return unsupported("qs8 gap: rank below 3");
    planes_ = x[0] * x[1];
    plane_size_ = element_count(Shape(x.begin() + 2, x.end())).value_or(0);
    if (plane_size_ < 1 || plane_size_ > (std::int64_t{1} << 23)) return unsupported("qs8 gap: plane size");
    const std::vector<TensorView> c = constant_input_views(sig);
    const auto view = [&](std::size_t i) { return has_input(sig, i) ? &c[i] : nullptr; };
    const float x_scale = scale_at(c[1], 0), y_scale = scale_at(c[3], 0);
    if (!(x_scale > 0.0f) || !(y_scale > 0.0f) || !std::isfinite(x_scale) || !std::isfinite(y_scale)) {
      return unsupported("qs8 gap: scales");
    }
    x_zero_point_ = zero_point_at(view(2), 0);
    y_zero_point_ = zero_point_at(view(4), 0);
    const double real =
        static_cast<double>(x_scale) / (static_cast<double>(y_scale) * static_cast<double>(plane_size_));
    if (!quant::make_fixed_point_multiplier(real, &multiplier_)) return unsupported("qs8 gap: multiplier");
    is_signed_ = t == DType::kInt8;
    threads_ = sig.threads;
    return Status::ok();
  }

  Status run(std::span<const TensorView> inputs, std::span<TensorView> outputs, void*) override {
    const auto* x = inputs[0].data_as<const std::uint8_t>();
    auto* y = outputs[0].data_as<std::uint8_t>();
    const std::int64_t per_task = std::max<std::int64_t>(1, kChunk / plane_size_);
    parallel_for(threads_, static_cast<std::size_t>((planes_ + per_task - 1) / per_task), [&](std::size_t t, int) {
      const std::int64_t end = std::min(planes_, (static_cast<std::int64_t>(t) + 1) * per_task);
      for (std::int64_t p = static_cast<std::int64_t>(t) * per_task; p < end; ++p) {
        const std::uint8_t* plane = x + p * plane_size_;
        std::int32_t sum = 0;
        if (is_signed_) {
          const auto* v = reinterpret_cast<const std::int8_t*>(plane);
          for (std::int64_t i = 0; i < plane_size_; ++i) sum += v[i];
        } else {
          for (std::int64_t i = 0; i < plane_size_; ++i) sum += plane[i];
        }
        const std::int64_t centred = static_cast<std::int64_t>(sum) - static_cast<std::int64_t>(x_zero_point_) * plane_size_;
        const std::int32_t q = quant::requantize(centred, multiplier_, y_zero_point_, is_signed_ ? -128 : 0,
                                                 is_signed_ ? 127 : 255);
        y[p] = static_cast<std::uint8_t>(q);
      }
    });
    return Status::ok();
  }

 private:
  ThreadPool* threads_ = nullptr;
  bool is_signed_ = true;
  std::int64_t planes_ = 0, plane_size_ = 1;
  std::int32_t x_zero_point_ = 0, y_zero_point_ = 0;
  quant::FixedPointMultiplier multiplier_;
};

}  // namespace

std::unique_ptr<Kernel> make_qs8_global_average_pool_kernel() {
  return std::make_unique<QS8GlobalAveragePoolKernel>();
}

std::unique_ptr<Kernel> make_qs8_concat_kernel(const QS8MicroKernels* uk) {
  return std::make_unique<QS8ConcatKernel>(uk);
}

std::unique_ptr<Kernel> make_qs8_dequantize_kernel(const QS8MicroKernels* uk) {
  return std::make_unique<QS8DequantizeKernel>(uk);
}
std::unique_ptr<Kernel> make_qs8_mul_kernel(const QS8MicroKernels* uk) { return std::make_unique<QS8MulKernel>(uk); }

std::unique_ptr<Kernel> make_qs8_quantize_kernel(const QS8MicroKernels* uk) {
  return std::make_unique<QS8QuantizeKernel>(uk);
}
std::unique_ptr<Kernel> make_qs8_add_kernel(const QS8MicroKernels* uk) { return std::make_unique<QS8AddKernel>(uk); }

}  // namespace edgeai
