// Reference kernels of the softmax family: Softmax-13 and LogSoftmax-13 along one axis.
// Softmax(x)_i = exp(x_i - max) / sum_j exp(x_j - max); subtracting the max changes nothing
// mathematically and keeps exp() from overflowing (test_softmax_large_number).
// LogSoftmax(x)_i = (x_i - max) - log(sum_j exp(x_j - max)). Depends on core, graph, kernel.
#include <algorithm>
#include <cmath>
#include <limits>

#include "kernels/registry.hpp"

namespace edgeai {
namespace {

class SoftmaxKernel final : public Kernel {
 public:
  explicit SoftmaxKernel(bool is_log) : is_log_(is_log) {}

  Status prepare(const Node& node, const KernelSignature& sig) override {
    node_ = node.describe();
    dtype_ = sig.inputs[0].dtype;
    if (dtype_ != DType::kFloat32 && dtype_ != DType::kFloat64) {
      return unsupported(node_, ": dtype ", dtype_name(dtype_), " is not supported (float32, float64)");
    }
    const Shape& shape = sig.inputs[0].shape;
    const std::int64_t rank = static_cast<std::int64_t>(shape.size());
    const std::int64_t attr_axis = node.attr_int("axis", -1);
    std::optional<std::int64_t> axis = normalize_axis(attr_axis, rank);
    if (!axis) return invalid_argument(node_, ": axis ", attr_axis, " is out of range for rank ", rank);
    // View the tensor as [outer, axis_size, inner]; the reduction runs over the middle index.
    outer_ = 1;
    inner_ = 1;
    for (std::int64_t i = 0; i < *axis; ++i) outer_ *= shape[i];
    axis_size_ = shape[*axis];
    for (std::int64_t i = *axis + 1; i < rank; ++i) inner_ *= shape[i];
    return Status::ok();
  }

  Aliasing aliasing() const override { return Aliasing::kInPlaceAllowed; }

  Status run(std::span<const TensorView> inputs, std::span<TensorView> outputs, void*) override {
    if (dtype_ == DType::kFloat32) {
      compute(inputs[0].data_as<const float>(), outputs[0].data_as<float>());
    } else {
      compute(inputs[0].data_as<const double>(), outputs[0].data_as<double>());
    }
    return Status::ok();
  }

 private:
  template <typename T>
  void compute(const T* x, T* y) const {
    for (std::int64_t o = 0; o < outer_; ++o) {
      for (std::int64_t in = 0; in < inner_; ++in) {
        const std::int64_t base = o * axis_size_ * inner_ + in;
        T max_value = -std::numeric_limits<T>::infinity();
        for (std::int64_t k = 0; k < axis_size_; ++k) max_value = std::max(max_value, x[base + k * inner_]);
        // The sum is accumulated in double so long axes (vocabularies, attention rows) keep precision.
        double sum = 0.0;
        for (std::int64_t k = 0; k < axis_size_; ++k) {
          const T e = std::exp(x[base + k * inner_] - max_value);
          sum += static_cast<double>(e);
          if (!is_log_) y[base + k * inner_] = e;
        }
        if (is_log_) {
          const T log_sum = static_cast<T>(std::log(sum));
          for (std::int64_t k = 0; k < axis_size_; ++k)
            y[base + k * inner_] = x[base + k * inner_] - max_value - log_sum;
        } else {
          for (std::int64_t k = 0; k < axis_size_; ++k) {
            y[base + k * inner_] = static_cast<T>(static_cast<double>(y[base + k * inner_]) / sum);
          }
        }
      }
    }
  }

  bool is_log_;
  std::string node_;
  DType dtype_ = DType::kUndefined;
  std::int64_t outer_ = 1;
  std::int64_t axis_size_ = 1;
  std::int64_t inner_ = 1;
};

}  // namespace

void register_softmax_kernels(KernelRegistry& registry) {
  registry.add("Softmax", [] { return std::unique_ptr<Kernel>(std::make_unique<SoftmaxKernel>(false)); });
  registry.add("LogSoftmax", [] { return std::unique_ptr<Kernel>(std::make_unique<SoftmaxKernel>(true)); });
}

}  // namespace edgeai
