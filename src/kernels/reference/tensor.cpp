// Reference kernels of the tensor family: data movement (Concat, Reshape, Flatten, Squeeze,
// Unsqueeze, Transpose, Expand, Slice, Pad, Split, Gather), Cast, and value producers (Shape,
// Constant, ConstantOfShape, Range). Movement kernels work on bytes, so any dtype works.
// Values that decide what moves (Slice starts, Pad pads, ...) are read from the inputs at
// run time into vectors sized at prepare(); the output shapes come from shape inference.
// Depends on core, graph and the kernel contract only.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>

#include "core/float16.hpp"
#include "kernels/reference/concat_layout.hpp"
#include "kernels/registry.hpp"

namespace edgeai {
namespace {

// Reads element `i` of an int64 or int32 tensor.
std::int64_t int_at(const TensorView& t, std::int64_t i) {
  return t.dtype == DType::kInt32 ? t.data_as<const std::int32_t>()[i] : t.data_as<const std::int64_t>()[i];
}

bool is_index_type(DType dtype) { return dtype == DType::kInt64 || dtype == DType::kInt32; }

// ---------------------------------------------------------------------------------------
// Strided gather copy: out[i] = in[base + sum_d index_d(i) * strides[d]] over the row-major
// output index i. Transpose (permuted strides), Expand (stride 0 on broadcast dimensions) and
// Slice (strides times step, base at the starts) are all this one loop.
class StridedCopy {
 public:
  // Reserves for `rank` dimensions so that set() during run() does not allocate.
  void reserve(std::size_t rank) {
    dims_.reserve(rank);
    strides_.reserve(rank);
    counter_.reserve(rank);
  }

  // Drops dimensions of 1 and merges neighbours that the input walks contiguously.
  void set(std::span<const std::int64_t> dims, std::span<const std::int64_t> strides, std::int64_t base,
           std::size_t element_size) {
    dims_.clear();
    strides_.clear();
    count_ = 1;
    for (std::size_t i = 0; i < dims.size(); ++i) {
      count_ *= dims[i];
      if (dims[i] == 1) continue;
      if (!dims_.empty() && strides_.back() == strides[i] * dims[i]) {
        dims_.back() *= dims[i];
        strides_.back() = strides[i];
      } else {
        dims_.push_back(dims[i]);
        strides_.push_back(strides[i]);
      }
    }
    counter_.assign(dims_.size(), 0);
    base_ = base;
    element_size_ = element_size;
  }

  void copy(const void* in, void* out) {
    switch (element_size_) {
      case 1:
        copy_typed<std::uint8_t>(in, out);
        break;
      case 2:
        copy_typed<std::uint16_t>(in, out);
        break;
      case 4:
        copy_typed<std::uint32_t>(in, out);
        break;
      case 8:
        copy_typed<std::uint64_t>(in, out);
        break;
      default:
        break;
    }
  }

 private:
  template <typename Word>
  void copy_typed(const void* in_bytes, void* out_bytes) {
    if (count_ == 0) return;
    const Word* in = static_cast<const Word*>(in_bytes) + base_;
    Word* out = static_cast<Word*>(out_bytes);
    if (dims_.empty()) {
      out[0] = in[0];
      return;
    }
    const std::size_t last = dims_.size() - 1;
    const std::int64_t inner = dims_[last];
    const std::int64_t inner_stride = strides_[last];
    std::fill(counter_.begin(), counter_.end(), 0);
    std::int64_t offset = 0;
    for (std::int64_t row = 0, rows = count_ / inner; row < rows; ++row, out += inner) {
      if (inner_stride == 1) {
        std::memcpy(out, in + offset, static_cast<std::size_t>(inner) * sizeof(Word));
      } else {
        for (std::int64_t i = 0; i < inner; ++i) out[i] = in[offset + i * inner_stride];
      }
      for (std::size_t d = last; d-- > 0;) {
        offset += strides_[d];
        if (++counter_[d] < dims_[d]) break;
        offset -= strides_[d] * dims_[d];
        counter_[d] = 0;
      }
    }
  }

  std::vector<std::int64_t> dims_;
  std::vector<std::int64_t> strides_;
  std::vector<std::int64_t> counter_;
  std::int64_t base_ = 0;
  std::int64_t count_ = 0;
  std::size_t element_size_ = 0;
};

bool is_word_sized(DType dtype) {
  const std::size_t size = dtype_size(dtype);
  return size == 1 || size == 2 || size == 4 || size == 8;
}

// Reshape, Flatten, Squeeze, Unsqueeze: the output is input 0's bytes under another shape.
// The runtime aliases the buffer and does not call run(); run() still copies, for callers
// that give the output its own buffer.
class ViewKernel final : public Kernel {
 public:
  Status prepare(const Node& node, const KernelSignature& sig) override {
    if (element_count(sig.inputs[0].shape) != element_count(sig.outputs[0].shape) ||
        sig.inputs[0].dtype != sig.outputs[0].dtype) {
      return invalid_argument(node.describe(), ": output ", shape_to_string(sig.outputs[0].shape),
                              " does not hold the elements of input ", shape_to_string(sig.inputs[0].shape));
    }
    return Status::ok();
  }
  Aliasing aliasing() const override { return Aliasing::kViewOfInput0; }
  Status run(std::span<const TensorView> inputs, std::span<TensorView> outputs, void*) override {
    if (outputs[0].data != inputs[0].data && inputs[0].size_bytes() > 0) {
      std::memmove(outputs[0].data, inputs[0].data, inputs[0].size_bytes());
    }
    return Status::ok();
  }
};

// Concat-13: for each index over the dimensions before `axis`, the inputs' blocks in order.
class ConcatKernel final : public Kernel {
 public:
  Status prepare(const Node& node, const KernelSignature& sig) override {
    EDGEAI_ASSIGN_OR_RETURN(ConcatLayout layout, concat_layout(node, sig));
    outer_ = layout.outer;
    block_bytes_ = std::move(layout.block_bytes);
    return Status::ok();
  }
  Status run(std::span<const TensorView> inputs, std::span<TensorView> outputs, void*) override {
    auto* out = static_cast<std::uint8_t*>(outputs[0].data);
    for (std::int64_t o = 0; o < outer_; ++o) {
      for (std::size_t i = 0; i < inputs.size(); ++i) {
        const std::size_t bytes = block_bytes_[i];
        if (bytes == 0) continue;
        std::memcpy(out, static_cast<const std::uint8_t*>(inputs[i].data) + o * bytes, bytes);
        out += bytes;
      }
    }
    return Status::ok();
  }

 private:
  std::int64_t outer_ = 1;
  std::vector<std::size_t> block_bytes_;
};

// Kernels whose output is input 0 read through fixed strides (Transpose, Expand): prepare()
// sets `copy_`, run() is the strided copy.
class StridedReadKernel : public Kernel {
 public:
  Status run(std::span<const TensorView> inputs, std::span<TensorView> outputs, void*) override {
    copy_.copy(inputs[0].data, outputs[0].data);
    return Status::ok();
  }

 protected:
  StridedCopy copy_;
};

// Transpose-13: output dimension k walks input dimension perm[k].
class TransposeKernel final : public StridedReadKernel {
 public:
  Status prepare(const Node& node, const KernelSignature& sig) override {
    const Shape& in = sig.inputs[0].shape;
    const std::int64_t rank = static_cast<std::int64_t>(in.size());
    std::vector<std::int64_t> perm = node.attr_ints("perm");
    if (!node.has_attr("perm")) {
      for (std::int64_t i = rank; i-- > 0;) perm.push_back(i);
    }
    if (static_cast<std::int64_t>(perm.size()) != rank || !is_word_sized(sig.inputs[0].dtype)) {
      return invalid_argument(node.describe(), ": perm ", shape_to_string(perm), " does not fit input ",
                              shape_to_string(in));
    }
    const std::vector<std::int64_t> in_strides = row_major_strides(in);
    std::vector<std::int64_t> strides(rank);
    for (std::int64_t k = 0; k < rank; ++k) {
      std::optional<std::int64_t> p = normalize_axis(perm[k], rank);
      if (!p) return invalid_argument(node.describe(), ": perm ", shape_to_string(perm), " is not a permutation");
      strides[k] = in_strides[*p];
    }
    copy_.set(sig.outputs[0].shape, strides, 0, dtype_size(sig.inputs[0].dtype));
    return Status::ok();
  }
};

// Expand-13: numpy broadcasting of the input to the output shape (stride 0 where stretched).
class ExpandKernel final : public StridedReadKernel {
 public:
  Status prepare(const Node& node, const KernelSignature& sig) override {
    const Shape& in = sig.inputs[0].shape;
    const Shape& out = sig.outputs[0].shape;
    if (in.size() > out.size() || !is_word_sized(sig.inputs[0].dtype)) {
      return invalid_argument(node.describe(), ": cannot expand ", shape_to_string(in), " to ", shape_to_string(out));
    }
    const std::vector<std::int64_t> in_strides = row_major_strides(in);
    std::vector<std::int64_t> strides(out.size(), 0);
    const std::size_t offset = out.size() - in.size();
    for (std::size_t i = 0; i < in.size(); ++i) {
      if (in[i] != 1 && in[i] != out[offset + i]) {
        return invalid_argument(node.describe(), ": cannot expand ", shape_to_string(in), " to ", shape_to_string(out));
      }
      strides[offset + i] = in[i] == 1 ? 0 : in_strides[i];
    }
    copy_.set(out, strides, 0, dtype_size(sig.inputs[0].dtype));
    return Status::ok();
  }
};

// Slice-13. The bounds of each sliced axis follow the operator page: negative starts/ends
// count from the end, then starts/ends are clamped to [0, dim] for positive steps and to
// [0, dim-1] / [-1, dim-1] for negative steps.
class SliceKernel final : public Kernel {
 public:
  Status prepare(const Node& node, const KernelSignature& sig) override {
    node_ = node.describe();
    in_shape_ = sig.inputs[0].shape;
    out_shape_ = sig.outputs[0].shape;
    element_size_ = dtype_size(sig.inputs[0].dtype);
    if (!is_word_sized(sig.inputs[0].dtype)) return unsupported(node_, ": dtype ", dtype_name(sig.inputs[0].dtype));
    for (std::size_t i = 1; i < sig.inputs.size(); ++i) {
      if (sig.inputs[i].dtype != DType::kUndefined && !is_index_type(sig.inputs[i].dtype)) {
        return invalid_argument(node_, ": input ", i, " must be int64 or int32, got ", dtype_name(sig.inputs[i].dtype));
      }
    }
    const std::size_t rank = in_shape_.size();
    starts_.assign(rank, 0);
    steps_.assign(rank, 1);
    strides_.assign(rank, 0);
    row_strides_ = row_major_strides(in_shape_);
    copy_.reserve(rank);
    return Status::ok();
  }

  Status run(std::span<const TensorView> inputs, std::span<TensorView> outputs, void*) override {
    const std::int64_t rank = static_cast<std::int64_t>(in_shape_.size());
    std::fill(starts_.begin(), starts_.end(), 0);
    std::fill(steps_.begin(), steps_.end(), 1);
    const std::int64_t n = inputs[1].num_elements();
    const bool has_axes = inputs.size() > 3 && inputs[3].data != nullptr;
    const bool has_steps = inputs.size() > 4 && inputs[4].data != nullptr;
    if (inputs[2].num_elements() != n || (has_axes && inputs[3].num_elements() != n) ||
        (has_steps && inputs[4].num_elements() != n)) {
      return invalid_argument(node_, ": starts, ends, axes and steps have different lengths");
    }
    for (std::int64_t i = 0; i < n; ++i) {
      const std::int64_t raw_axis = has_axes ? int_at(inputs[3], i) : i;
      std::optional<std::int64_t> axis = normalize_axis(raw_axis, rank);
      if (!axis) return invalid_argument(node_, ": axis ", raw_axis, " is out of range for rank ", rank);
      const std::int64_t step = has_steps ? int_at(inputs[4], i) : 1;
      if (step == 0) return invalid_argument(node_, ": step of axis ", raw_axis, " is 0");
      const std::int64_t dim = in_shape_[*axis];
      std::int64_t start = int_at(inputs[1], i);
      std::int64_t end = int_at(inputs[2], i);
      if (start < 0) start += dim;
      if (end < 0) end += dim;
      std::int64_t length = 0;
      if (dim == 0) {
        start = 0;
      } else if (step > 0) {
        start = std::clamp<std::int64_t>(start, 0, dim);
        end = std::clamp<std::int64_t>(end, 0, dim);
        length = end > start ? (end - start + step - 1) / step : 0;
      } else {
        start = std::clamp<std::int64_t>(start, 0, dim - 1);
        end = std::clamp<std::int64_t>(end, -1, dim - 1);
        length = start > end ? (start - end - step - 1) / -step : 0;
      }
      if (length != out_shape_[*axis]) {
        return invalid_argument(node_, ": axis ", *axis, " slices to ", length, " elements, the output has ",
                                out_shape_[*axis]);
      }
      starts_[*axis] = length > 0 ? start : 0;
      steps_[*axis] = step;
    }
    const std::vector<std::int64_t>& in_strides = row_strides_;
    std::int64_t base = 0;
    for (std::int64_t d = 0; d < rank; ++d) {
      base += starts_[d] * in_strides[d];
      strides_[d] = steps_[d] * in_strides[d];
    }
    copy_.set(out_shape_, strides_, base, element_size_);
    copy_.copy(inputs[0].data, outputs[0].data);
    return Status::ok();
  }

 private:
  std::string node_;
  Shape in_shape_;
  Shape out_shape_;
  std::size_t element_size_ = 0;
  std::vector<std::int64_t> starts_;
  std::vector<std::int64_t> steps_;
  std::vector<std::int64_t> strides_;
  std::vector<std::int64_t> row_strides_;
  StridedCopy copy_;
};

// Pad-13/18/19. Output coordinate o on an axis reads input coordinate c = o - pad_begin:
// constant mode writes constant_value when c is outside [0, dim); edge clamps c; reflect
// mirrors it about the first/last element (without repeating them); wrap takes c mod dim.
class PadKernel final : public Kernel {
 public:
  enum class Mode { kConstant, kReflect, kEdge, kWrap };

  Status prepare(const Node& node, const KernelSignature& sig) override {
    node_ = node.describe();
    const std::string mode = node.attr_string("mode", "constant");
    if (mode == "constant") {
      mode_ = Mode::kConstant;
    } else if (mode == "reflect") {
      mode_ = Mode::kReflect;
    } else if (mode == "edge") {
      mode_ = Mode::kEdge;
    } else if (mode == "wrap") {
      mode_ = Mode::kWrap;
    } else {
      return invalid_argument(node_, ": mode '", mode, "' is not supported");
    }
    if (!is_index_type(sig.inputs[1].dtype)) {
      return invalid_argument(node_, ": pads must be int64 or int32, got ", dtype_name(sig.inputs[1].dtype));
    }
    in_shape_ = sig.inputs[0].shape;
    out_shape_ = sig.outputs[0].shape;
    element_size_ = dtype_size(sig.inputs[0].dtype);
    const std::size_t rank = in_shape_.size();
    in_strides_ = row_major_strides(in_shape_);
    pad_begin_.assign(rank, 0);
    counter_.assign(rank, 0);
    return Status::ok();
  }

  Status run(std::span<const TensorView> inputs, std::span<TensorView> outputs, void*) override {
    const std::int64_t rank = static_cast<std::int64_t>(in_shape_.size());
    const bool has_axes = inputs.size() > 3 && inputs[3].data != nullptr;
    const std::int64_t n = has_axes ? inputs[3].num_elements() : rank;
    if (inputs[1].num_elements() != 2 * n) {
      return invalid_argument(node_, ": pads has ", inputs[1].num_elements(), " values, expected ", 2 * n);
    }
    std::fill(pad_begin_.begin(), pad_begin_.end(), 0);
    for (std::int64_t k = 0; k < n; ++k) {
      const std::int64_t raw_axis = has_axes ? int_at(inputs[3], k) : k;
      std::optional<std::int64_t> axis = normalize_axis(raw_axis, rank);
      if (!axis) return invalid_argument(node_, ": axis ", raw_axis, " is out of range for rank ", rank);
      const std::int64_t begin = int_at(inputs[1], k);
      const std::int64_t end = int_at(inputs[1], k + n);
      if (in_shape_[*axis] + begin + end != out_shape_[*axis]) {
        return invalid_argument(node_, ": pads give axis ", *axis, " size ", in_shape_[*axis] + begin + end,
                                ", the output has ", out_shape_[*axis]);
      }
      if (mode_ != Mode::kConstant && in_shape_[*axis] == 0 && out_shape_[*axis] > 0) {
        return invalid_argument(node_, ": cannot pad the empty axis ", *axis, " in this mode");
      }
      pad_begin_[*axis] = begin;
    }
    const void* constant = inputs.size() > 2 && inputs[2].data != nullptr ? inputs[2].data : nullptr;
    switch (element_size_) {
      case 1:
        pad<std::uint8_t>(inputs[0].data, constant, outputs[0]);
        break;
      case 2:
        pad<std::uint16_t>(inputs[0].data, constant, outputs[0]);
        break;
      case 4:
        pad<std::uint32_t>(inputs[0].data, constant, outputs[0]);
        break;
      case 8:
        pad<std::uint64_t>(inputs[0].data, constant, outputs[0]);
        break;
      default:
        return unsupported(node_, ": element size ", element_size_, " is not supported");
    }
    return Status::ok();
  }

 private:
  // The input coordinate read for `c` = output coordinate - pad_begin, or -1 for "constant".
  std::int64_t source(std::int64_t c, std::int64_t dim) const {
    if (c >= 0 && c < dim) return c;
    switch (mode_) {
      case Mode::kConstant:
        return -1;
      case Mode::kEdge:
        return c < 0 ? 0 : dim - 1;
      case Mode::kWrap:
        return ((c % dim) + dim) % dim;
      case Mode::kReflect: {
        if (dim == 1) return 0;
        // Reflection has period 2 * (dim - 1); fold c into one period, then mirror.
        const std::int64_t period = 2 * (dim - 1);
        std::int64_t r = ((c % period) + period) % period;
        return r < dim ? r : period - r;
      }
    }
    return -1;
  }

  template <typename Word>
  void pad(const void* in_bytes, const void* constant_bytes, const TensorView& output) {
    const Word* in = static_cast<const Word*>(in_bytes);
    Word* out = static_cast<Word*>(output.data);
    Word constant{};  // absent constant_value means 0, whose bytes are all zero in every dtype
    if (constant_bytes != nullptr) std::memcpy(&constant, constant_bytes, sizeof(Word));
    const std::int64_t count = element_count(out_shape_).value_or(0);
    const std::int64_t rank = static_cast<std::int64_t>(out_shape_.size());
    if (count == 0) return;
    if (rank == 0) {
      out[0] = in[0];
      return;
    }
    std::fill(counter_.begin(), counter_.end(), 0);
    const std::int64_t inner_dim = out_shape_[rank - 1];
    const std::int64_t inner_in = in_shape_[rank - 1];
    const std::int64_t inner_begin = pad_begin_[rank - 1];
    for (std::int64_t row = 0, rows = count / inner_dim; row < rows; ++row, out += inner_dim) {
      // Locate the input row for the outer coordinates; a padded outer coordinate in
      // constant mode makes the whole row constant.
      std::int64_t offset = 0;
      bool is_constant_row = false;
      for (std::int64_t d = 0; d + 1 < rank; ++d) {
        const std::int64_t c = source(counter_[d] - pad_begin_[d], in_shape_[d]);
        if (c < 0) {
          is_constant_row = true;
          break;
        }
        offset += c * in_strides_[d];
      }
      for (std::int64_t i = 0; i < inner_dim; ++i) {
        const std::int64_t c = is_constant_row ? -1 : source(i - inner_begin, inner_in);
        out[i] = c < 0 ? constant : in[offset + c];
      }
      for (std::int64_t d = rank - 1; d-- > 0;) {
        if (++counter_[d] < out_shape_[d]) break;
        counter_[d] = 0;
      }
    }
  }

  std::string node_;
  Mode mode_ = Mode::kConstant;
  Shape in_shape_;
  Shape out_shape_;
  std::size_t element_size_ = 0;
  std::vector<std::int64_t> in_strides_;
  std::vector<std::int64_t> pad_begin_;
  std::vector<std::int64_t> counter_;
};

// Split-13: output j takes the next split[j] indices along `axis`; sizes come from the
// planned output shapes, which shape inference derived from `split` or equal parts.
class SplitKernel final : public Kernel {
 public:
  Status prepare(const Node& node, const KernelSignature& sig) override {
    const Shape& in = sig.inputs[0].shape;
    const std::int64_t rank = static_cast<std::int64_t>(in.size());
    std::optional<std::int64_t> axis = normalize_axis(node.attr_int("axis", 0), rank);
    if (!axis) return invalid_argument(node.describe(), ": axis ", node.attr_int("axis", 0), " is out of range");
    const std::size_t element_size = dtype_size(sig.inputs[0].dtype);
    outer_ = 1;
    for (std::int64_t i = 0; i < *axis; ++i) outer_ *= in[i];
    std::int64_t inner = 1;
    for (std::int64_t i = *axis + 1; i < rank; ++i) inner *= in[i];
    in_block_bytes_ = static_cast<std::size_t>(in[*axis] * inner) * element_size;
    std::int64_t total = 0;
    out_block_bytes_.clear();
    for (const ValueInfo& out : sig.outputs) {
      total += out.shape[*axis];
      out_block_bytes_.push_back(static_cast<std::size_t>(out.shape[*axis] * inner) * element_size);
    }
    if (total != in[*axis]) {
      return invalid_argument(node.describe(), ": outputs take ", total, " of the ", in[*axis], " indices of axis ",
                              *axis);
    }
    return Status::ok();
  }
  Status run(std::span<const TensorView> inputs, std::span<TensorView> outputs, void*) override {
    const auto* in = static_cast<const std::uint8_t*>(inputs[0].data);
    for (std::int64_t o = 0; o < outer_; ++o) {
      std::size_t offset = 0;
      for (std::size_t j = 0; j < outputs.size(); ++j) {
        const std::size_t bytes = out_block_bytes_[j];
        if (bytes > 0 && outputs[j].data != nullptr) {
          std::memcpy(static_cast<std::uint8_t*>(outputs[j].data) + o * bytes, in + o * in_block_bytes_ + offset,
                      bytes);
        }
        offset += bytes;
      }
    }
    return Status::ok();
  }

 private:
  std::int64_t outer_ = 1;
  std::size_t in_block_bytes_ = 0;
  std::vector<std::size_t> out_block_bytes_;
};

// Gather-13: out[outer, idx..., inner] = data[outer, indices[idx...], inner]; negative
// indices count from the end, anything outside [-dim, dim) is an error.
class GatherKernel final : public Kernel {
 public:
  Status prepare(const Node& node, const KernelSignature& sig) override {
    node_ = node.describe();
    const Shape& data = sig.inputs[0].shape;
    const std::int64_t rank = static_cast<std::int64_t>(data.size());
    std::optional<std::int64_t> axis = normalize_axis(node.attr_int("axis", 0), rank);
    if (!axis) return invalid_argument(node_, ": axis ", node.attr_int("axis", 0), " is out of range for rank ", rank);
    if (!is_index_type(sig.inputs[1].dtype)) {
      return invalid_argument(node_, ": indices must be int64 or int32, got ", dtype_name(sig.inputs[1].dtype));
    }
    outer_ = 1;
    for (std::int64_t i = 0; i < *axis; ++i) outer_ *= data[i];
    axis_dim_ = data[*axis];
    std::int64_t inner = 1;
    for (std::int64_t i = *axis + 1; i < rank; ++i) inner *= data[i];
    block_bytes_ = static_cast<std::size_t>(inner) * dtype_size(sig.inputs[0].dtype);
    return Status::ok();
  }
  Status run(std::span<const TensorView> inputs, std::span<TensorView> outputs, void*) override {
    const std::int64_t n = inputs[1].num_elements();
    for (std::int64_t j = 0; j < n; ++j) {
      const std::int64_t index = int_at(inputs[1], j);
      if (index < -axis_dim_ || index >= axis_dim_) {
        return out_of_range(node_, ": index ", index, " is out of range for axis size ", axis_dim_);
      }
    }
    const auto* in = static_cast<const std::uint8_t*>(inputs[0].data);
    auto* out = static_cast<std::uint8_t*>(outputs[0].data);
    if (block_bytes_ == 0) return Status::ok();
    for (std::int64_t o = 0; o < outer_; ++o) {
      for (std::int64_t j = 0; j < n; ++j, out += block_bytes_) {
        std::int64_t index = int_at(inputs[1], j);
        if (index < 0) index += axis_dim_;
        std::memcpy(out, in + (o * axis_dim_ + index) * block_bytes_, block_bytes_);
      }
    }
    return Status::ok();
  }

 private:
  std::string node_;
  std::int64_t outer_ = 1;
  std::int64_t axis_dim_ = 0;
  std::size_t block_bytes_ = 0;
};

// ---------------------------------------------------------------------------------------
// Cast-13. float16 is converted through float (IEEE 754 binary16, round to nearest even).
// Float to integer truncates toward zero; NaN becomes 0 and values beyond the target range
// saturate (the ONNX page leaves these undefined; we pick the behaviour with no UB).
// Anything to bool is x != 0; bool to a number is 0 or 1.
struct Half {
  std::uint16_t bits;
};

template <typename To, typename From>
To convert(From x) {
  if constexpr (std::is_same_v<From, Half>) {
    return convert<To>(float16_bits_to_float(x.bits));
  } else if constexpr (std::is_same_v<To, Half>) {
    return Half{float_to_float16_bits(convert<float>(x))};
  } else if constexpr (std::is_same_v<To, bool>) {
    return x != From{0};
  } else if constexpr (std::is_floating_point_v<From> && std::is_integral_v<To>) {
    if (std::isnan(x)) return To{0};
    if (x <= static_cast<From>(std::numeric_limits<To>::lowest())) return std::numeric_limits<To>::lowest();
    if (x >= static_cast<From>(std::numeric_limits<To>::max())) return std::numeric_limits<To>::max();
    return static_cast<To>(x);
  } else {
    return static_cast<To>(x);
  }
}

template <typename Fn>
bool visit_castable(DType dtype, Fn&& fn) {
  switch (dtype) {
    case DType::kFloat32:
      fn(float{});
      return true;
    case DType::kFloat16:
      fn(Half{});
      return true;
    case DType::kFloat64:
      fn(double{});
      return true;
    case DType::kInt8:
      fn(std::int8_t{});
      return true;
    case DType::kUInt8:
      fn(std::uint8_t{});
      return true;
    case DType::kInt16:
      fn(std::int16_t{});
      return true;
    case DType::kInt32:
      fn(std::int32_t{});
      return true;
    case DType::kInt64:
      fn(std::int64_t{});
      return true;
    case DType::kBool:
      fn(bool{});
      return true;
    default:
      return false;
  }
}

class CastKernel final : public Kernel {
 public:
  Status prepare(const Node& node, const KernelSignature& sig) override {
    from_ = sig.inputs[0].dtype;
    to_ = sig.outputs[0].dtype;
    if (!visit_castable(from_, [](auto) {}) || !visit_castable(to_, [](auto) {})) {
      return unsupported(node.describe(), ": cast from ", dtype_name(from_), " to ", dtype_name(to_),
                         " is not supported");
    }
    return Status::ok();
  }
  Status run(std::span<const TensorView> inputs, std::span<TensorView> outputs, void*) override {
    const std::int64_t n = inputs[0].num_elements();
    visit_castable(from_, [&](auto from_tag) {
      using From = decltype(from_tag);
      visit_castable(to_, [&](auto to_tag) {
        using To = decltype(to_tag);
        const From* x = inputs[0].data_as<const From>();
        To* y = outputs[0].data_as<To>();
        for (std::int64_t i = 0; i < n; ++i) y[i] = convert<To>(x[i]);
      });
    });
    return Status::ok();
  }

 private:
  DType from_ = DType::kUndefined;
  DType to_ = DType::kUndefined;
};

// ---------------------------------------------------------------------------------------
// Shape-15: the input's dimensions [start, end), known at prepare().
class ShapeKernel final : public Kernel {
 public:
  Status prepare(const Node& node, const KernelSignature& sig) override {
    const Shape& in = sig.inputs[0].shape;
    const std::int64_t rank = static_cast<std::int64_t>(in.size());
    std::int64_t start = node.attr_int("start", 0);
    std::int64_t end = node.attr_int("end", rank);
    if (start < 0) start += rank;
    if (end < 0) end += rank;
    start = std::clamp<std::int64_t>(start, 0, rank);
    end = std::clamp<std::int64_t>(end, 0, rank);
    dims_.assign(in.begin() + start, in.begin() + std::max(start, end));
    return Status::ok();
  }
  Status run(std::span<const TensorView>, std::span<TensorView> outputs, void*) override {
    std::int64_t* out = outputs[0].data_as<std::int64_t>();
    for (std::size_t i = 0; i < dims_.size(); ++i) out[i] = dims_[i];
    return Status::ok();
  }

 private:
  std::vector<std::int64_t> dims_;
};

// Constant: the attribute's bytes, built into a tensor at prepare().
class ConstantKernel final : public Kernel {
 public:
  Status prepare(const Node& node, const KernelSignature&) override {
    if (const Attribute* a = node.find_attr("value")) {
      value_ = a->as_tensor();
    } else if (const Attribute* f = node.find_attr("value_float")) {
      value_ = Tensor::from_values<float>({}, {f->as_float()});
    } else if (const Attribute* i = node.find_attr("value_int")) {
      value_ = Tensor::from_values<std::int64_t>({}, {i->as_int()});
    } else if (const Attribute* fs = node.find_attr("value_floats")) {
      value_ = Tensor::from_vector<float>({static_cast<std::int64_t>(fs->as_floats().size())}, fs->as_floats());
    } else if (const Attribute* is = node.find_attr("value_ints")) {
      value_ = Tensor::from_vector<std::int64_t>({static_cast<std::int64_t>(is->as_ints().size())}, is->as_ints());
    } else {
      return invalid_argument(node.describe(), ": no value attribute");
    }
    return Status::ok();
  }
  Status run(std::span<const TensorView>, std::span<TensorView> outputs, void*) override {
    if (value_.size_bytes() > 0) std::memcpy(outputs[0].data, value_.raw_data(), value_.size_bytes());
    return Status::ok();
  }

 private:
  Tensor value_;
};

// ConstantOfShape-9: every element is `value` (default float32 0).
class ConstantOfShapeKernel final : public Kernel {
 public:
  Status prepare(const Node& node, const KernelSignature& sig) override {
    element_size_ = dtype_size(sig.outputs[0].dtype);
    value_.fill(0);
    if (const Attribute* a = node.find_attr("value")) {
      const Tensor& t = a->as_tensor();
      if (t.num_elements() != 1 || t.size_bytes() > value_.size()) {
        return invalid_argument(node.describe(), ": value must hold one element");
      }
      std::memcpy(value_.data(), t.raw_data(), t.size_bytes());
    }
    return Status::ok();
  }
  Status run(std::span<const TensorView>, std::span<TensorView> outputs, void*) override {
    auto* out = static_cast<std::uint8_t*>(outputs[0].data);
    for (std::int64_t i = 0, n = outputs[0].num_elements(); i < n; ++i) {
      std::memcpy(out + i * element_size_, value_.data(), element_size_);
    }
    return Status::ok();
  }

 private:
  std::size_t element_size_ = 0;
  std::array<std::uint8_t, 8> value_{};
};

// Range-11: out[i] = start + i * delta.
class RangeKernel final : public Kernel {
 public:
  Status prepare(const Node& node, const KernelSignature& sig) override {
    dtype_ = sig.outputs[0].dtype;
    if (dtype_ != DType::kFloat32 && dtype_ != DType::kFloat64 && dtype_ != DType::kInt16 && dtype_ != DType::kInt32 &&
        dtype_ != DType::kInt64) {
      return unsupported(node.describe(), ": dtype ", dtype_name(dtype_), " is not supported");
    }
    return Status::ok();
  }
  Status run(std::span<const TensorView> inputs, std::span<TensorView> outputs, void*) override {
    auto fill = [&](auto tag) {
      using T = decltype(tag);
      const T start = inputs[0].data_as<const T>()[0];
      const T delta = inputs[2].data_as<const T>()[0];
      T* out = outputs[0].data_as<T>();
      for (std::int64_t i = 0, n = outputs[0].num_elements(); i < n; ++i)
        out[i] = static_cast<T>(start + static_cast<T>(i) * delta);
    };
    switch (dtype_) {
      case DType::kFloat32:
        fill(float{});
        break;
      case DType::kFloat64:
        fill(double{});
        break;
      case DType::kInt16:
        fill(std::int16_t{});
        break;
      case DType::kInt32:
        fill(std::int32_t{});
        break;
      case DType::kInt64:
        fill(std::int64_t{});
        break;
      default:
        break;
    }
    return Status::ok();
  }

 private:
  DType dtype_ = DType::kUndefined;
};

template <typename K>
std::unique_ptr<Kernel> make() {
  return std::make_unique<K>();
}

}  // namespace

void register_tensor_kernels(KernelRegistry& registry) {
  for (const char* op : {"Reshape", "Flatten", "Squeeze", "Unsqueeze"}) registry.add(op, make<ViewKernel>);
  registry.add("Concat", make<ConcatKernel>);
  registry.add("Transpose", make<TransposeKernel>);
  registry.add("Expand", make<ExpandKernel>);
  registry.add("Slice", make<SliceKernel>);
  registry.add("Pad", make<PadKernel>);
  registry.add("Split", make<SplitKernel>);
  registry.add("Gather", make<GatherKernel>);
  registry.add("Cast", make<CastKernel>);
  registry.add("Shape", make<ShapeKernel>);
  registry.add("Constant", make<ConstantKernel>);
  registry.add("ConstantOfShape", make<ConstantOfShapeKernel>);
  registry.add("Range", make<RangeKernel>);
}

}  // namespace edgeai
