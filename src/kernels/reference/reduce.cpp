// Reference kernels of the reduce family (ReduceMean, ReduceSum, ReduceMax, ReduceMin,
// ReduceProd, ReduceSumSquare; ONNX opset 13/18 pages). The input is walked once in
// row-major order and each element is folded into the accumulator of its output element
// (the reduced dimensions have output stride 0). Float inputs accumulate in double, integer
// inputs in int64, both in scratch memory sized at prepare(). Depends on core, graph, kernel.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>

#include "kernels/registry.hpp"

namespace edgeai {
namespace {

enum class ReduceOp { kMean, kSum, kMax, kMin, kProd, kSumSquare };

class ReduceKernel final : public Kernel {
 public:
  explicit ReduceKernel(ReduceOp op) : op_(op) {}

  Status prepare(const Node& node, const KernelSignature& sig) override {
    node_ = node.describe();
    dtype_ = sig.inputs[0].dtype;
    if (dtype_ != DType::kFloat32 && dtype_ != DType::kFloat64 && dtype_ != DType::kInt32 && dtype_ != DType::kInt64) {
      return unsupported(node_, ": dtype ", dtype_name(dtype_), " is not supported (float32, float64, int32, int64)");
    }
    in_shape_ = sig.inputs[0].shape;
    keepdims_ = node.attr_int("keepdims", 1) != 0;
    noop_with_empty_axes_ = node.attr_int("noop_with_empty_axes", 0) != 0;
    in_count_ = element_count(in_shape_).value_or(0);
    out_count_ = element_count(sig.outputs[0].shape).value_or(0);
    const std::size_t rank = in_shape_.size();
    // Reserve everything run() may touch, so that axes read from data at run time do not allocate.
    is_reduced_.assign(rank, 0);
    dims_.reserve(rank);
    out_strides_.reserve(rank);
    counter_.reserve(rank);
    axes_from_data_ = sig.inputs.size() > 1 && sig.inputs[1].dtype != DType::kUndefined;
    if (!axes_from_data_) return plan(node.attr_ints("axes"));
    const Tensor* axes = sig.input_values.size() > 1 ? sig.input_values[1] : nullptr;
    if (sig.inputs[1].dtype != DType::kInt64) {
      return invalid_argument(node_, ": axes must be int64, got ", dtype_name(sig.inputs[1].dtype));
    }
    if (axes == nullptr) return Status::ok();  // planned in run() from the data
    axes_from_data_ = false;
    return plan(std::span<const std::int64_t>(axes->data<const std::int64_t>(), axes->num_elements()));
  }

  std::size_t scratch_bytes() const override { return static_cast<std::size_t>(out_count_) * 8; }

  Status run(std::span<const TensorView> inputs, std::span<TensorView> outputs, void* scratch) override {
    if (axes_from_data_) {
      EDGEAI_RETURN_IF_ERROR(
          plan(std::span<const std::int64_t>(inputs[1].data_as<const std::int64_t>(), inputs[1].num_elements())));
    }
    if (outputs[0].num_elements() != out_count_) {
      return invalid_argument(node_, ": axes give ", out_count_, " output elements, the output has ",
                              outputs[0].num_elements());
    }
    if (is_noop_) {
      if (outputs[0].data != inputs[0].data) std::memcpy(outputs[0].data, inputs[0].data, inputs[0].size_bytes());
      return Status::ok();
    }
    switch (dtype_) {
      case DType::kFloat32:
        reduce<float, double>(inputs[0], outputs[0], scratch);
        break;
      case DType::kFloat64:
        reduce<double, double>(inputs[0], outputs[0], scratch);
        break;
      case DType::kInt32:
        reduce<std::int32_t, std::int64_t>(inputs[0], outputs[0], scratch);
        break;
      case DType::kInt64:
        reduce<std::int64_t, std::int64_t>(inputs[0], outputs[0], scratch);
        break;
      default:
        return internal_error(node_, ": unexpected dtype");
    }
    return Status::ok();
  }

 private:
  // Marks the reduced dimensions and merges neighbouring dimensions with the same role.
  Status plan(std::span<const std::int64_t> axes) {
    const std::int64_t rank = static_cast<std::int64_t>(in_shape_.size());
    std::fill(is_reduced_.begin(), is_reduced_.end(), 0);
    is_noop_ = axes.empty() && noop_with_empty_axes_;
    for (std::int64_t axis : axes) {
      std::optional<std::int64_t> a = normalize_axis(axis, rank);
      if (!a) return invalid_argument(node_, ": axis ", axis, " is out of range for rank ", rank);
      if (is_reduced_[*a]) return invalid_argument(node_, ": axis ", axis, " is repeated");
      is_reduced_[*a] = 1;
    }
    // Empty axes (without noop_with_empty_axes) reduce over all dimensions.
    if (axes.empty() && !is_noop_) std::fill(is_reduced_.begin(), is_reduced_.end(), 1);
    std::int64_t kept = 1;
    for (std::int64_t i = 0; i < rank; ++i) kept *= is_reduced_[i] ? 1 : in_shape_[i];
    if (!is_noop_ && kept != out_count_) {
      return invalid_argument(node_, ": axes give ", kept, " output elements, the output has ", out_count_);
    }
    dims_.clear();
    out_strides_.clear();
    std::int64_t stride = 1;
    // Output strides over the input's dimensions, innermost first, then reversed below.
    for (std::int64_t i = rank; i-- > 0;) {
      const std::int64_t d = in_shape_[i];
      if (d == 1) continue;
      const std::int64_t s = is_reduced_[i] ? 0 : stride;
      if (!is_reduced_[i]) stride *= d;
      if (!dims_.empty() && out_strides_.back() * dims_.back() == s) {
        dims_.back() *= d;  // merges into the inner neighbour (both reduced, or both kept and contiguous)
      } else {
        dims_.push_back(d);
        out_strides_.push_back(s);
      }
    }
    std::reverse(dims_.begin(), dims_.end());
    std::reverse(out_strides_.begin(), out_strides_.end());
    counter_.assign(dims_.size(), 0);
    return Status::ok();
  }

  template <typename Acc>
  Acc initial() const {
    switch (op_) {
      case ReduceOp::kMax:
        return std::numeric_limits<Acc>::has_infinity ? -std::numeric_limits<Acc>::infinity()
                                                      : std::numeric_limits<Acc>::lowest();
      case ReduceOp::kMin:
        return std::numeric_limits<Acc>::has_infinity ? std::numeric_limits<Acc>::infinity()
                                                      : std::numeric_limits<Acc>::max();
      case ReduceOp::kProd:
        return Acc{1};
      default:
        return Acc{0};
    }
  }

  template <typename Acc>
  Acc fold(Acc acc, Acc x) const {
    switch (op_) {
      case ReduceOp::kMean:
      case ReduceOp::kSum:
        return acc + x;
      case ReduceOp::kSumSquare:
        return acc + x * x;
      case ReduceOp::kMax:
        return std::max(acc, x);
      case ReduceOp::kMin:
        return std::min(acc, x);
      case ReduceOp::kProd:
        return acc * x;
    }
    return acc;
  }

  template <typename T, typename Acc>
  void reduce(const TensorView& input, const TensorView& output, void* scratch) {
    Acc* acc = static_cast<Acc*>(scratch);
    for (std::int64_t i = 0; i < out_count_; ++i) acc[i] = initial<Acc>();
    const T* x = input.data_as<const T>();
    if (in_count_ > 0 && dims_.empty()) {
      acc[0] = fold(acc[0], static_cast<Acc>(x[0]));
    } else if (in_count_ > 0) {
      const std::size_t last = dims_.size() - 1;
      const std::int64_t inner = dims_[last];
      const std::int64_t inner_stride = out_strides_[last];
      std::fill(counter_.begin(), counter_.end(), 0);
      std::int64_t out_offset = 0;
      for (std::int64_t row = 0, rows = in_count_ / inner; row < rows; ++row, x += inner) {
        if (inner_stride == 0) {
          Acc a = acc[out_offset];
          for (std::int64_t i = 0; i < inner; ++i) a = fold(a, static_cast<Acc>(x[i]));
          acc[out_offset] = a;
        } else {
          for (std::int64_t i = 0; i < inner; ++i)
            acc[out_offset + i] = fold(acc[out_offset + i], static_cast<Acc>(x[i]));
        }
        for (std::size_t d = last; d-- > 0;) {
          out_offset += out_strides_[d];
          if (++counter_[d] < dims_[d]) break;
          out_offset -= out_strides_[d] * dims_[d];
          counter_[d] = 0;
        }
      }
    }
    T* y = output.data_as<T>();
    // ReduceMean divides by the number of elements folded into each output.
    const std::int64_t group = out_count_ > 0 ? in_count_ / out_count_ : 0;
    for (std::int64_t i = 0; i < out_count_; ++i) {
      if (op_ == ReduceOp::kMean) {
        if constexpr (std::is_floating_point_v<Acc>) {
          y[i] = static_cast<T>(acc[i] / static_cast<Acc>(group));
        } else {
          y[i] = group == 0 ? T{0} : static_cast<T>(acc[i] / group);
        }
      } else {
        y[i] = static_cast<T>(acc[i]);
      }
    }
  }

  ReduceOp op_;
  std::string node_;
  DType dtype_ = DType::kUndefined;
  Shape in_shape_;
  bool keepdims_ = true;
  bool noop_with_empty_axes_ = false;
  bool axes_from_data_ = false;
  bool is_noop_ = false;
  std::int64_t in_count_ = 0;
  std::int64_t out_count_ = 0;
  std::vector<char> is_reduced_;
  std::vector<std::int64_t> dims_;         // merged input dimensions, outermost first
  std::vector<std::int64_t> out_strides_;  // output element stride per merged dimension (0: reduced)
  std::vector<std::int64_t> counter_;
};

template <ReduceOp op>
std::unique_ptr<Kernel> make_reduce() {
  return std::make_unique<ReduceKernel>(op);
}

}  // namespace

void register_reduce_kernels(KernelRegistry& registry) {
  registry.add("ReduceMean", make_reduce<ReduceOp::kMean>);
  registry.add("ReduceSum", make_reduce<ReduceOp::kSum>);
  registry.add("ReduceMax", make_reduce<ReduceOp::kMax>);
  registry.add("ReduceMin", make_reduce<ReduceOp::kMin>);
  registry.add("ReduceProd", make_reduce<ReduceOp::kProd>);
  registry.add("ReduceSumSquare", make_reduce<ReduceOp::kSumSquare>);
}

}  // namespace edgeai
