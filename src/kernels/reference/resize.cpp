// Reference fp32 Resize, ONNX opset 13 (https://onnx.ai/onnx/operators/onnx__Resize.html):
// nearest (all four nearest_modes), linear and cubic interpolation over any axes, with every
// coordinate_transformation_mode including tf_crop_and_resize and the opset-11
// tf_half_pixel_for_nn. Follows the ONNX reference implementation
// (onnx/backend/test/case/node/resize.py), which the ONNX node tests were generated with.
// Depends on core and graph only.
#include <array>
#include <cmath>
#include <memory>
#include <optional>
#include <string>

#include "kernels/registry.hpp"

namespace edgeai {
namespace {

constexpr std::size_t kMaxRank = 8;

enum class ResizeMode { kNearest, kLinear, kCubic };
enum class Transform { kHalfPixel, kPytorchHalfPixel, kAlignCorners, kAsymmetric, kTfHalfPixelForNn, kTfCropAndResize };
enum class NearestMode { kRoundPreferFloor, kRoundPreferCeil, kFloor, kCeil };

std::optional<ResizeMode> resize_mode_from_name(const std::string& name) {
  if (name == "nearest") return ResizeMode::kNearest;
  if (name == "linear") return ResizeMode::kLinear;
  if (name == "cubic") return ResizeMode::kCubic;
  return std::nullopt;
}

std::optional<Transform> transform_from_name(const std::string& name) {
  if (name == "half_pixel") return Transform::kHalfPixel;
  if (name == "pytorch_half_pixel") return Transform::kPytorchHalfPixel;
  if (name == "align_corners") return Transform::kAlignCorners;
  if (name == "asymmetric") return Transform::kAsymmetric;
  if (name == "tf_half_pixel_for_nn") return Transform::kTfHalfPixelForNn;
  if (name == "tf_crop_and_resize") return Transform::kTfCropAndResize;
  return std::nullopt;
}

std::optional<NearestMode> nearest_mode_from_name(const std::string& name) {
  if (name == "round_prefer_floor") return NearestMode::kRoundPreferFloor;
  if (name == "round_prefer_ceil") return NearestMode::kRoundPreferCeil;
  if (name == "floor") return NearestMode::kFloor;
  if (name == "ceil") return NearestMode::kCeil;
  return std::nullopt;
}

// An optional input counts as given when it is present and has at least one element.
bool is_given(const ValueInfo& info) {
  if (info.dtype == DType::kUndefined) return false;
  const std::optional<std::int64_t> count = element_count(info.shape);
  return count && *count > 0;
}

class ResizeKernel final : public Kernel {
 public:
  Status prepare(const Node& node, const KernelSignature& sig) override {
    describe_ = node.describe();
    if (sig.inputs[0].dtype != DType::kFloat32) {
      return unsupported(describe_, ": the reference Resize supports float32 X only, got ",
                         dtype_name(sig.inputs[0].dtype));
    }
    in_shape_ = sig.inputs[0].shape;
    out_shape_ = sig.outputs[0].shape;
    rank_ = in_shape_.size();
    if (rank_ == 0 || rank_ > kMaxRank || out_shape_.size() != rank_) {
      return unsupported(describe_, ": Resize of rank ", rank_, " (1 to ", kMaxRank, " is supported)");
    }
    const std::string mode = node.attr_string("mode", "nearest");
    const std::string transform = node.attr_string("coordinate_transformation_mode", "half_pixel");
    const std::string nearest = node.attr_string("nearest_mode", "round_prefer_floor");
    std::optional<ResizeMode> mode_value = resize_mode_from_name(mode);
    std::optional<Transform> transform_value = transform_from_name(transform);
    std::optional<NearestMode> nearest_value = nearest_mode_from_name(nearest);
    if (!mode_value) return invalid_argument(describe_, ": unknown mode '", mode, "'");
    if (!transform_value) {
      return invalid_argument(describe_, ": unknown coordinate_transformation_mode '", transform, "'");
    }
    if (!nearest_value) return invalid_argument(describe_, ": unknown nearest_mode '", nearest, "'");
    mode_ = *mode_value;
    transform_ = *transform_value;
    nearest_mode_ = *nearest_value;
    cubic_a_ = node.attr_float("cubic_coeff_a", -0.75f);
    exclude_outside_ = node.attr_int("exclude_outside", 0) != 0;
    extrapolation_value_ = node.attr_float("extrapolation_value", 0.0f);

    auto input_info = [&](std::size_t i) { return i < sig.inputs.size() ? sig.inputs[i] : ValueInfo{}; };
    has_sizes_ = is_given(input_info(3));
    if (!has_sizes_ && !is_given(input_info(2))) {
      return invalid_argument(describe_, ": Resize needs scales or sizes");
    }
    if (!has_sizes_ && input_info(2).dtype != DType::kFloat32) {
      return unsupported(describe_, ": scales must be float32, got ", dtype_name(input_info(2).dtype));
    }
    if (transform_ == Transform::kTfCropAndResize) {
      const ValueInfo roi = input_info(1);
      if (roi.dtype != DType::kFloat32 ||
          element_count(roi.shape).value_or(0) != static_cast<std::int64_t>(2 * rank_)) {
        return unsupported(describe_, ": tf_crop_and_resize needs a float32 roi of ", 2 * rank_, " values, got ",
                           dtype_name(roi.dtype), " ", shape_to_string(roi.shape));
      }
    }
    taps_ = mode_ == ResizeMode::kNearest ? 1 : mode_ == ResizeMode::kLinear ? 2 : 4;
    // The tables are filled in run(), where the scales and roi values are at hand; their
    // size depends only on the output shape, so they are allocated here.
    in_strides_ = row_major_strides(in_shape_);
    for (std::size_t a = 0; a < rank_; ++a) {
      const std::size_t n = static_cast<std::size_t>(out_shape_[a]);
      tap_index_[a].assign(n * taps_, 0);
      tap_weight_[a].assign(n * taps_, 0.0f);
      outside_[a].assign(n, 0);
    }
    return Status::ok();
  }

  Status run(std::span<const TensorView> inputs, std::span<TensorView> outputs, void* /*scratch*/) override {
    const float* roi = transform_ == Transform::kTfCropAndResize ? inputs[1].data_as<const float>() : nullptr;
    for (std::size_t a = 0; a < rank_; ++a) {
      // The scale of each axis: sizes / input (opset 13), or the given scale. length_resized
      // is the output length as the reference implementation uses it: scale * input.
      double scale = 0.0;
      double length_resized = 0.0;
      if (has_sizes_) {
        scale = static_cast<double>(out_shape_[a]) / static_cast<double>(in_shape_[a]);
        length_resized = static_cast<double>(out_shape_[a]);
      } else {
        scale = static_cast<double>(inputs[2].data_as<const float>()[a]);
        length_resized = scale * static_cast<double>(in_shape_[a]);
        double extent = static_cast<double>(in_shape_[a]);
        if (roi != nullptr) extent *= static_cast<double>(roi[a + rank_]) - roi[a];
        if (static_cast<std::int64_t>(std::floor(extent * scale)) != out_shape_[a]) {
          return invalid_argument(describe_, ": scales ", a, " = ", scale, " at run time does not give the planned ",
                                  "output ", shape_to_string(out_shape_));
        }
      }
      fill_axis_taps(a, scale, length_resized, roi);
    }
    const float* x = inputs[0].data_as<const float>();
    float* y = outputs[0].data_as<float>();
    const std::int64_t out_width = out_shape_[rank_ - 1];
    const std::int64_t rows = element_count(out_shape_).value_or(0) / out_width;
    std::array<std::int64_t, kMaxRank> index{};  // output index of the current row (last axis unused)
    for (std::int64_t r = 0; r < rows; ++r) {
      float* y_row = y + r * out_width;
      bool row_outside = false;
      for (std::size_t a = 0; a + 1 < rank_; ++a)
        row_outside = row_outside || outside_[a][static_cast<std::size_t>(index[a])];
      if (row_outside) {
        std::fill(y_row, y_row + out_width, extrapolation_value_);
      } else {
        std::fill(y_row, y_row + out_width, 0.0f);
        accumulate(0, index, 0, 1.0f, x, y_row);
        const std::vector<std::uint8_t>& outside_x = outside_[rank_ - 1];
        for (std::int64_t ox = 0; ox < out_width; ++ox) {
          if (outside_x[static_cast<std::size_t>(ox)]) y_row[ox] = extrapolation_value_;
        }
      }
      for (std::size_t a = rank_ - 1; a-- > 0;) {  // next row: odometer over all but the last axis
        if (++index[a] < out_shape_[a]) break;
        index[a] = 0;
      }
    }
    return Status::ok();
  }

 private:
  // The source coordinate of output index `o` on axis `a`: the ONNX coordinate transforms.
  double original_coordinate(std::size_t a, std::int64_t o, double scale, double length_resized,
                             const float* roi) const {
    const double x = static_cast<double>(o);
    const double length_original = static_cast<double>(in_shape_[a]);
    switch (transform_) {
      case Transform::kHalfPixel:
        return (x + 0.5) / scale - 0.5;
      case Transform::kPytorchHalfPixel:
        return length_resized > 1.0 ? (x + 0.5) / scale - 0.5 : 0.0;
      case Transform::kAlignCorners:
        return length_resized == 1.0 ? 0.0 : x * (length_original - 1.0) / (length_resized - 1.0);
      case Transform::kAsymmetric:
        return x / scale;
      case Transform::kTfHalfPixelForNn:
        return (x + 0.5) / scale;
      case Transform::kTfCropAndResize: {
        const double start = roi[a];
        const double end = roi[a + rank_];
        return length_resized > 1.0 ? start * (length_original - 1.0) +
                                          x * (end - start) * (length_original - 1.0) / (length_resized - 1.0)
                                    : 0.5 * (start + end) * (length_original - 1.0);
      }
    }
    return 0.0;
  }

  // Interpolation taps of every output index on axis `a`. As in the reference, the source
  // coordinate is split into floor f and ratio r in (0, 1] (an integral coordinate is
  // f = x - 1, r = 1), neighbours are f (nearest), f and f + 1 (linear) or f - 1 .. f + 2
  // (cubic), and out-of-range neighbours read the edge value (the input is edge-padded).
  void fill_axis_taps(std::size_t a, double scale, double length_resized, const float* roi) {
    const std::int64_t in = in_shape_[a];
    for (std::int64_t o = 0; o < out_shape_[a]; ++o) {
      const double x_original = original_coordinate(a, o, scale, length_resized, roi);
      std::int64_t* index = &tap_index_[a][static_cast<std::size_t>(o) * taps_];
      float* weight = &tap_weight_[a][static_cast<std::size_t>(o) * taps_];
      // tf_crop_and_resize: a coordinate outside the input gives extrapolation_value.
      outside_[a][static_cast<std::size_t>(o)] =
          transform_ == Transform::kTfCropAndResize && (x_original < 0.0 || x_original > static_cast<double>(in - 1));
      std::int64_t f = static_cast<std::int64_t>(std::floor(x_original));
      double r = x_original - static_cast<double>(f);
      if (r == 0.0) {
        f -= 1;
        r = 1.0;
      }
      double w[4] = {0.0, 0.0, 0.0, 0.0};
      std::int64_t first = f;
      switch (mode_) {
        case ResizeMode::kNearest: {
          bool take_upper = true;  // an integral coordinate (r = 1) is f + 1 itself
          if (r < 1.0) {
            switch (nearest_mode_) {
              case NearestMode::kRoundPreferFloor:
                take_upper = r > 0.5;
                break;
              case NearestMode::kRoundPreferCeil:
                take_upper = r >= 0.5;
                break;
              case NearestMode::kFloor:
                take_upper = false;
                break;
              case NearestMode::kCeil:
                take_upper = true;
                break;
            }
          }
          first = take_upper ? f + 1 : f;
          w[0] = 1.0;
          break;
        }
        case ResizeMode::kLinear:
          w[0] = 1.0 - r;
          w[1] = r;
          break;
        case ResizeMode::kCubic: {
          // Keys cubic convolution with coefficient A (cubic_coeff_a), as in the ONNX reference.
          const double A = cubic_a_;
          const double s = 1.0 - r;
          w[0] = ((A * (r + 1.0) - 5.0 * A) * (r + 1.0) + 8.0 * A) * (r + 1.0) - 4.0 * A;
          w[1] = ((A + 2.0) * r - (A + 3.0)) * r * r + 1.0;
          w[2] = ((A + 2.0) * s - (A + 3.0)) * s * s + 1.0;
          w[3] = ((A * (s + 1.0) - 5.0 * A) * (s + 1.0) + 8.0 * A) * (s + 1.0) - 4.0 * A;
          first = f - 1;
          break;
        }
      }
      if (exclude_outside_ && mode_ != ResizeMode::kNearest) {
        // Neighbours outside the input get weight 0; the rest are renormalised to sum to 1.
        double sum = 0.0;
        for (std::size_t t = 0; t < taps_; ++t) {
          const std::int64_t i = first + static_cast<std::int64_t>(t);
          if (i < 0 || i >= in) w[t] = 0.0;
          sum += w[t];
        }
        for (std::size_t t = 0; t < taps_; ++t) w[t] = sum != 0.0 ? w[t] / sum : 0.0;
      }
      for (std::size_t t = 0; t < taps_; ++t) {
        index[t] = std::min(std::max<std::int64_t>(first + static_cast<std::int64_t>(t), 0), in - 1);
        weight[t] = static_cast<float>(w[t]);
      }
    }
  }

  // Adds weight * (interpolation over axes a.. of X at `offset`) into the output row: the
  // interpolation is separable, so it is a weighted sum over the taps of each axis in turn.
  void accumulate(std::size_t a, const std::array<std::int64_t, kMaxRank>& index, std::int64_t offset, float weight,
                  const float* x, float* y_row) const {
    if (a + 1 == rank_) {
      const std::int64_t out_width = out_shape_[a];
      const std::int64_t* tap_index = tap_index_[a].data();
      const float* tap_weight = tap_weight_[a].data();
      const float* x_line = x + offset;
      for (std::int64_t ox = 0; ox < out_width; ++ox) {
        float sum = 0.0f;
        for (std::size_t t = 0; t < taps_; ++t) {
          const std::size_t k = static_cast<std::size_t>(ox) * taps_ + t;
          sum += tap_weight[k] * x_line[tap_index[k]];
        }
        y_row[ox] += weight * sum;
      }
      return;
    }
    const std::size_t base = static_cast<std::size_t>(index[a]) * taps_;
    for (std::size_t t = 0; t < taps_; ++t) {
      const float w = tap_weight_[a][base + t];
      if (w == 0.0f) continue;  // e.g. every axis that is not resized
      accumulate(a + 1, index, offset + tap_index_[a][base + t] * in_strides_[a], weight * w, x, y_row);
    }
  }

  std::string describe_;
  ResizeMode mode_ = ResizeMode::kNearest;
  Transform transform_ = Transform::kHalfPixel;
  NearestMode nearest_mode_ = NearestMode::kRoundPreferFloor;
  float cubic_a_ = -0.75f;
  bool exclude_outside_ = false;
  float extrapolation_value_ = 0.0f;
  bool has_sizes_ = false;
  std::size_t rank_ = 0;
  std::size_t taps_ = 1;
  Shape in_shape_, out_shape_;
  std::vector<std::int64_t> in_strides_;
  std::array<std::vector<std::int64_t>, kMaxRank> tap_index_;
  std::array<std::vector<float>, kMaxRank> tap_weight_;
  std::array<std::vector<std::uint8_t>, kMaxRank> outside_;
};

}  // namespace

void register_resize_kernels(KernelRegistry& registry) {
  registry.add("Resize", []() -> std::unique_ptr<Kernel> { return std::make_unique<ResizeKernel>(); });
}

}  // namespace edgeai
