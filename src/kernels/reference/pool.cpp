// Reference pooling kernels, ONNX opset 13: MaxPool (float32, int8, uint8; optional
// Indices output), AveragePool (float32), GlobalAveragePool and GlobalMaxPool (float32),
// for 1 to 3 spatial axes. Depends on core and graph only.
#include <algorithm>
#include <array>
#include <limits>
#include <memory>

#include "kernels/reference/window_3d.hpp"
#include "kernels/reference/channels_last.hpp"
#include "kernels/registry.hpp"

namespace edgeai {
namespace {

// The window geometry of a pooling node plus its plane count (N * C).
struct PoolGeometry : Window3d {
  std::int64_t planes = 0;
};

Result<PoolGeometry> make_pool_geometry(const Node& node, const Shape& x, bool has_dilations) {
  PoolGeometry p;
  EDGEAI_ASSIGN_OR_RETURN(static_cast<Window3d&>(p), make_window_3d(node, x, node.attr_ints("kernel_shape"),
                                                                    has_dilations, node.attr_int("ceil_mode", 0) != 0));
  p.planes = x[0] * x[1];
  return p;
}

class MaxPoolKernel final : public Kernel {
 public:
  Status prepare(const Node& node, const KernelSignature& sig) override {
    dtype_ = sig.inputs[0].dtype;
    if (dtype_ != DType::kFloat32 && dtype_ != DType::kInt8 && dtype_ != DType::kUInt8 && dtype_ != DType::kInt16) {
      return unsupported(node.describe(), ": the reference MaxPool supports float32, int8, uint8 and int16, got ",
                         dtype_name(dtype_));
    }
    EDGEAI_ASSIGN_OR_RETURN(geometry_, make_pool_geometry(node, sig.inputs[0].shape, true));
    has_indices_ = sig.outputs.size() > 1;
    column_major_indices_ = node.attr_int("storage_order", 0) == 1;
    return Status::ok();
  }

  Status run(std::span<const TensorView> inputs, std::span<TensorView> outputs, void* /*scratch*/) override {
    std::int64_t* indices = has_indices_ ? outputs[1].data_as<std::int64_t>() : nullptr;
    switch (dtype_) {
      case DType::kFloat32:
        pool(inputs[0].data_as<const float>(), outputs[0].data_as<float>(), indices);
        break;
      case DType::kInt8:
        pool(inputs[0].data_as<const std::int8_t>(), outputs[0].data_as<std::int8_t>(), indices);
        break;
      case DType::kUInt8:
        pool(inputs[0].data_as<const std::uint8_t>(), outputs[0].data_as<std::uint8_t>(), indices);
        break;
      case DType::kInt16:
        pool(inputs[0].data_as<const std::int16_t>(), outputs[0].data_as<std::int16_t>(), indices);
        break;
      default:
        return internal_error("MaxPool run with unprepared dtype ", dtype_name(dtype_));
    }
    return Status::ok();
  }

 private:
  // ONNX MaxPool: Y[n, c, o] = max over kernel offsets k of X[n, c, o * strides - pads + k * dilations],
  // padding excluded from the maximum.
  template <typename T>
  void pool(const T* x, T* y, std::int64_t* indices) const {
    const PoolGeometry& g = geometry_;
    const std::int64_t in_plane = g.in_plane();
    const std::int64_t out_plane = g.out_plane();
    for (std::int64_t p = 0; p < g.planes; ++p) {
      const T* x_plane = x + p * in_plane;
      for (std::int64_t oz = 0; oz < g.out[0]; ++oz) {
        for (std::int64_t oy = 0; oy < g.out[1]; ++oy) {
          const std::int64_t row = p * out_plane + (oz * g.out[1] + oy) * g.out[2];
          if (indices != nullptr) {
            pool_row_with_indices(x_plane, p * in_plane, oz, oy, y + row, indices + row);
            continue;
          }
          T* y_row = y + row;
          std::fill(y_row, y_row + g.out[2], std::numeric_limits<T>::lowest());
          for_each_row_tap(g, x_plane, oz, oy,
                           [&](const T* x_row, std::int64_t x_offset, std::int64_t begin, std::int64_t end) {
                             const std::int64_t s = g.s[2];
                             for (std::int64_t ox = begin; ox < end; ++ox) {
                               const T v = x_row[ox * s + x_offset];
                               y_row[ox] = v > y_row[ox] ? v : y_row[ox];
                             }
                           });
        }
      }
    }
  }

  // The same maximum, also recording where it is: the flat index into X (all of N, C and
  // the spatial axes), spatial axes in row-major order, or column-major for storage_order 1.
  // Ties keep the first position in row-major scan order.
  template <typename T>
  void pool_row_with_indices(const T* x_plane, std::int64_t plane_offset, std::int64_t oz, std::int64_t oy, T* y_row,
                             std::int64_t* index_row) const {
    const PoolGeometry& g = geometry_;
    for (std::int64_t ox = 0; ox < g.out[2]; ++ox) {
      T best = std::numeric_limits<T>::lowest();
      std::int64_t best_index = -1;
      for_each_window_tap(g, oz, oy, ox, [&](const WindowTap& t) {
        const T v = x_plane[(t.iz * g.in[1] + t.iy) * g.in[2] + t.ix];
        if (best_index < 0 || v > best) {
          best = v;
          best_index = column_major_indices_ ? t.iz + (t.iy + t.ix * g.in[1]) * g.in[0]
                                             : (t.iz * g.in[1] + t.iy) * g.in[2] + t.ix;
        }
      });
      y_row[ox] = best;
      index_row[ox] = best_index < 0 ? -1 : plane_offset + best_index;
    }
  }

  DType dtype_ = DType::kUndefined;
  PoolGeometry geometry_;
  bool has_indices_ = false;
  bool column_major_indices_ = false;
};

class AveragePoolKernel final : public Kernel {
 public:
  Status prepare(const Node& node, const KernelSignature& sig) override {
    if (sig.inputs[0].dtype != DType::kFloat32) {
      return unsupported(node.describe(), ": the reference AveragePool supports float32 only, got ",
                         dtype_name(sig.inputs[0].dtype));
    }
    EDGEAI_ASSIGN_OR_RETURN(geometry_, make_pool_geometry(node, sig.inputs[0].shape, false));
    const bool count_include_pad = node.attr_int("count_include_pad", 0) != 0;
    const PoolGeometry& g = geometry_;
    for (int axis = 0; axis < kMaxSpatial; ++axis) {
      std::vector<float>& count = window_count_[axis];
      count.assign(static_cast<std::size_t>(g.out[axis]), 0.0f);
      for (std::int64_t o = 0; o < g.out[axis]; ++o) {
        count[static_cast<std::size_t>(o)] = static_cast<float>(average_window_extent(g, axis, o, count_include_pad));
      }
    }
    return Status::ok();
  }

  // ONNX AveragePool: Y[n, c, o] = sum over the window of X / the window's element count.
  Status run(std::span<const TensorView> inputs, std::span<TensorView> outputs, void* /*scratch*/) override {
    const PoolGeometry& g = geometry_;
    const float* x = inputs[0].data_as<const float>();
    float* y = outputs[0].data_as<float>();
    for (std::int64_t p = 0; p < g.planes; ++p) {
      const float* x_plane = x + p * g.in_plane();
      for (std::int64_t oz = 0; oz < g.out[0]; ++oz) {
        for (std::int64_t oy = 0; oy < g.out[1]; ++oy) {
          float* y_row = y + p * g.out_plane() + (oz * g.out[1] + oy) * g.out[2];
          std::fill(y_row, y_row + g.out[2], 0.0f);
          for_each_row_tap(g, x_plane, oz, oy,
                           [&](const float* x_row, std::int64_t x_offset, std::int64_t begin, std::int64_t end) {
                             const std::int64_t s = g.s[2];
                             for (std::int64_t ox = begin; ox < end; ++ox) y_row[ox] += x_row[ox * s + x_offset];
                           });
          const float zy_count =
              window_count_[0][static_cast<std::size_t>(oz)] * window_count_[1][static_cast<std::size_t>(oy)];
          const std::vector<float>& x_count = window_count_[2];
          for (std::int64_t ox = 0; ox < g.out[2]; ++ox) {
            y_row[ox] /= zy_count * x_count[static_cast<std::size_t>(ox)];
          }
        }
      }
    }
    return Status::ok();
  }

 private:
  PoolGeometry geometry_;
  std::array<std::vector<float>, kMaxSpatial> window_count_;
};

// GlobalAveragePool / GlobalMaxPool: one mean or maximum over all spatial elements of each (n, c).
class GlobalPoolKernel final : public Kernel {
 public:
  explicit GlobalPoolKernel(bool is_max) : is_max_(is_max) {}

  Status prepare(const Node& node, const KernelSignature& sig) override {
    const Shape& x = sig.inputs[0].shape;
    if (sig.inputs[0].dtype != DType::kFloat32) {
      return unsupported(node.describe(), ": the reference ", node.op_type, " supports float32 only, got ",
                         dtype_name(sig.inputs[0].dtype));
    }
    if (x.size() < 3) return invalid_argument(node.describe(), ": input ", shape_to_string(x), " has no spatial axis");
    planes_ = x[0] * x[1];
    plane_size_ = element_count(Shape(x.begin() + 2, x.end())).value_or(0);
    return Status::ok();
  }

  Status run(std::span<const TensorView> inputs, std::span<TensorView> outputs, void* /*scratch*/) override {
    const float* x = inputs[0].data_as<const float>();
    float* y = outputs[0].data_as<float>();
    for (std::int64_t p = 0; p < planes_; ++p) {
      const float* plane = x + p * plane_size_;
      if (is_max_) {
        float best = -std::numeric_limits<float>::infinity();
        for (std::int64_t i = 0; i < plane_size_; ++i) best = plane[i] > best ? plane[i] : best;
        y[p] = best;
      } else {
        float sum = 0.0f;
        for (std::int64_t i = 0; i < plane_size_; ++i) sum += plane[i];
        y[p] = sum / static_cast<float>(plane_size_);
      }
    }
    return Status::ok();
  }

 private:
  bool is_max_;
  std::int64_t planes_ = 0, plane_size_ = 0;
};

}  // namespace

void register_pool_kernels(KernelRegistry& registry) {
  registry.add("MaxPool", []() { return make_channels_last_adapter(std::make_unique<MaxPoolKernel>()); });
  registry.add("AveragePool", []() -> std::unique_ptr<Kernel> { return std::make_unique<AveragePoolKernel>(); });
  registry.add("GlobalAveragePool",
               []() { return make_channels_last_adapter(std::make_unique<GlobalPoolKernel>(false)); });
  registry.add("GlobalMaxPool", []() -> std::unique_ptr<Kernel> { return std::make_unique<GlobalPoolKernel>(true); });
}

}  // namespace edgeai
