// Tensor (shared, possibly owning storage) and TensorView (a non-owning window used by
// kernels). Data is dense, row-major. Storage is either an AlignedBuffer we own or memory
// owned by someone else (an mmap'ed bundle) that `owner` keeps alive: zero-copy weights.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "core/dtype.hpp"
#include "core/shape.hpp"
#include "core/status.hpp"

namespace edgeai {

struct TensorView {
  DType dtype = DType::kUndefined;
  Shape shape;
  void* data = nullptr;  // null for an absent optional input

  bool is_present() const { return data != nullptr || dtype != DType::kUndefined; }
  std::int64_t num_elements() const;
  std::size_t size_bytes() const { return static_cast<std::size_t>(num_elements()) * dtype_size(dtype); }
  template <typename T> T* data_as() const { return static_cast<T*>(data); }
};

class Tensor {
 public:
  Tensor() = default;

  // A zero-filled, 64-byte aligned tensor. Fails on a dynamic shape or allocation failure.
  static Result<Tensor> allocate(DType dtype, Shape shape);
  // Wraps memory owned elsewhere without copying; `owner` keeps it alive.
  static Tensor wrap(DType dtype, Shape shape, void* data, std::shared_ptr<const void> owner);
  // A deep copy of `view` into owned memory.
  static Result<Tensor> copy_of(const TensorView& view);
  // A 1-element or N-element tensor holding `values`; for tests and graph passes.
  template <typename T>
  static Tensor from_values(Shape shape, std::initializer_list<T> values);
  template <typename T>
  static Tensor from_vector(Shape shape, const std::vector<T>& values);

  bool is_null() const { return dtype_ == DType::kUndefined; }
  DType dtype() const { return dtype_; }
  const Shape& shape() const { return shape_; }
  std::int64_t num_elements() const;
  std::size_t size_bytes() const { return static_cast<std::size_t>(num_elements()) * dtype_size(dtype_); }

  void* raw_data() const { return data_; }
  template <typename T> T* data() const { return static_cast<T*>(data_); }
  TensorView view() const { return TensorView{dtype_, shape_, data_}; }

  // Same storage, new shape with the same element count (Reshape/Flatten without a copy).
  Result<Tensor> reshaped(Shape shape) const;

 private:
  DType dtype_ = DType::kUndefined;
  Shape shape_;
  void* data_ = nullptr;
  std::shared_ptr<const void> owner_;
};

template <typename T>
Tensor Tensor::from_vector(Shape shape, const std::vector<T>& values) {
  Result<Tensor> tensor = allocate(dtype_of<T>(), std::move(shape));
  assert(tensor.is_ok() && static_cast<std::size_t>(tensor->num_elements()) == values.size());
  T* out = tensor->template data<T>();
  for (std::size_t i = 0; i < values.size(); ++i) out[i] = values[i];
  return std::move(tensor).value();
}

template <typename T>
Tensor Tensor::from_values(Shape shape, std::initializer_list<T> values) {
  return from_vector<T>(std::move(shape), std::vector<T>(values));
}

}  // namespace edgeai
