#include "core/tensor.hpp"

#include <cstring>

#include "core/aligned_buffer.hpp"

namespace edgeai {

std::int64_t TensorView::num_elements() const { return element_count(shape).value_or(0); }

std::int64_t Tensor::num_elements() const { return element_count(shape_).value_or(0); }

Result<Tensor> Tensor::allocate(DType dtype, Shape shape) {
  std::optional<std::int64_t> count = element_count(shape);
  if (!count) return invalid_argument("cannot allocate a tensor of shape ", shape_to_string(shape));
  if (dtype == DType::kUndefined) return invalid_argument("cannot allocate a tensor of undefined dtype");
  const std::size_t bytes = static_cast<std::size_t>(*count) * dtype_size(dtype);
  auto buffer = std::make_shared<AlignedBuffer>(bytes);
  if (bytes > 0 && buffer->data() == nullptr) {
    return out_of_range("out of memory allocating ", bytes, " bytes for a tensor of shape ", shape_to_string(shape));
  }
  Tensor tensor;
  tensor.dtype_ = dtype;
  tensor.shape_ = std::move(shape);
  tensor.data_ = buffer->data();
  tensor.owner_ = std::move(buffer);
  return tensor;
}

Tensor Tensor::wrap(DType dtype, Shape shape, void* data, std::shared_ptr<const void> owner) {
  Tensor tensor;
  tensor.dtype_ = dtype;
  tensor.shape_ = std::move(shape);
  tensor.data_ = data;
  tensor.owner_ = std::move(owner);
  return tensor;
}

Result<Tensor> Tensor::copy_of(const TensorView& view) {
  EDGEAI_ASSIGN_OR_RETURN(Tensor tensor, allocate(view.dtype, view.shape));
  if (tensor.size_bytes() > 0) std::memcpy(tensor.raw_data(), view.data, tensor.size_bytes());
  return tensor;
}

Result<Tensor> Tensor::reshaped(Shape shape) const {
  if (element_count(shape) != element_count(shape_)) {
    return invalid_argument("cannot reshape ", shape_to_string(shape_), " to ", shape_to_string(shape));
  }
  Tensor tensor = *this;
  tensor.shape_ = std::move(shape);
  return tensor;
}

}  // namespace edgeai
