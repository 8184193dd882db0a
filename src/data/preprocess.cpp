#include "data/preprocess.hpp"

#include <cmath>
#include <utility>

namespace edgeai {
namespace {

// mean/std value for channel c: one value for all channels, or one per channel.
float channel_value(const std::vector<float>& values, std::size_t c, float absent) {
  if (values.empty()) return absent;
  return values.size() == 1 ? values[0] : values[c];
}

}  // namespace

Preprocessing image_preprocessing(std::string color, std::int32_t resize_height, std::int32_t resize_width, float scale,
                                  std::vector<float> mean, std::vector<float> std, std::string layout) {
  Preprocessing pre;
  pre.kind = "image";
  pre.layout = std::move(layout);
  pre.color = std::move(color);
  pre.resize_height = resize_height;
  pre.resize_width = resize_width;
  pre.scale = scale;
  pre.mean = std::move(mean);
  pre.std = std::move(std);
  return pre;
}

std::int32_t color_channels(const std::string& color) {
  if (color == "gray") return 1;
  if (color == "rgb" || color == "bgr") return 3;
  return 0;
}

Status check_image_preprocessing(const Preprocessing& pre) {
  if (pre.kind != "image") return unsupported("preprocessing kind '", pre.kind, "' is not 'image'");
  const std::int32_t channels = color_channels(pre.color);
  if (channels == 0) return unsupported("image preprocessing color '", pre.color, "': expected gray, rgb or bgr");
  if (pre.layout != "NCHW" && pre.layout != "NHWC") {
    return unsupported("image preprocessing layout '", pre.layout, "': expected NCHW or NHWC");
  }
  if (pre.resize_height < 0 || pre.resize_width < 0 || ((pre.resize_height == 0) != (pre.resize_width == 0))) {
    return invalid_argument("image preprocessing resize ", pre.resize_height, "x", pre.resize_width,
                            ": both sizes positive, or both 0 for no resize");
  }
  if (!std::isfinite(pre.scale)) return invalid_argument("image preprocessing scale ", pre.scale, " is not finite");
  for (const auto* values : {&pre.mean, &pre.std}) {
    const char* what = values == &pre.mean ? "mean" : "std";
    if (values->size() > 1 && values->size() != static_cast<std::size_t>(channels)) {
      return invalid_argument("image preprocessing ", what, " has ", values->size(), " values for ", channels,
                              " channels (", pre.color, ")");
    }
    for (float v : *values) {
      if (!std::isfinite(v)) return invalid_argument("image preprocessing ", what, " value ", v, " is not finite");
    }
  }
  for (float v : pre.std) {
    if (v == 0.0f) return invalid_argument("image preprocessing std value is 0");
  }
  return Status::ok();
}

Result<Shape> preprocessed_shape(const Preprocessing& pre, std::int32_t width, std::int32_t height) {
  EDGEAI_RETURN_IF_ERROR(check_image_preprocessing(pre));
  const std::int64_t c = color_channels(pre.color);
  const std::int64_t h = pre.resize_height > 0 ? pre.resize_height : height;
  const std::int64_t w = pre.resize_width > 0 ? pre.resize_width : width;
  if (h <= 0 || w <= 0) return invalid_argument("image size ", width, "x", height, " is not positive");
  return pre.layout == "NCHW" ? Shape{c, h, w} : Shape{h, w, c};
}

Status preprocess_image_into(const Image& image, const Preprocessing& pre, float* out, std::size_t out_elements) {
  EDGEAI_RETURN_IF_ERROR(check_image(image, "preprocess input"));
  EDGEAI_ASSIGN_OR_RETURN(const Shape shape, preprocessed_shape(pre, image.width, image.height));
  const std::size_t expected = static_cast<std::size_t>(shape[0] * shape[1] * shape[2]);
  if (out_elements != expected) {
    return invalid_argument("preprocessed image ", shape_to_string(shape), " has ", expected,
                            " elements, the destination ", out_elements);
  }

  // 1 color, in 8 bits (the conversions round like PIL's).
  const Image converted = pre.color == "gray" ? to_grayscale(image) : to_rgb(image);
  const std::size_t channels = static_cast<std::size_t>(converted.channels);
  const bool is_bgr = pre.color == "bgr";

  // 2 resize, in float so no rounding happens between the decoder and the model.
  std::vector<float> pixels(converted.pixels.begin(), converted.pixels.end());
  std::int32_t height = converted.height;
  std::int32_t width = converted.width;
  if (pre.resize_height > 0 && (pre.resize_height != height || pre.resize_width != width)) {
    std::vector<float> resized(static_cast<std::size_t>(pre.resize_height) *
                               static_cast<std::size_t>(pre.resize_width) * channels);
    resize_bilinear(pixels.data(), height, width, converted.channels, resized.data(), pre.resize_height,
                    pre.resize_width);
    pixels = std::move(resized);
    height = pre.resize_height;
    width = pre.resize_width;
  }

  // 3 normalise and 4 lay out.
  const std::size_t plane = static_cast<std::size_t>(height) * static_cast<std::size_t>(width);
  const bool is_planar = pre.layout == "NCHW";
  for (std::size_t c = 0; c < channels; ++c) {
    const std::size_t src_c = is_bgr ? channels - 1 - c : c;
    const float mean = channel_value(pre.mean, c, 0.0f);
    const float std = channel_value(pre.std, c, 1.0f);
    for (std::size_t i = 0; i < plane; ++i) {
      const float y = normalize_value(pixels[i * channels + src_c], pre.scale, mean, std);
      out[is_planar ? c * plane + i : i * channels + c] = y;
    }
  }
  return Status::ok();
}

Result<Tensor> preprocess_image(const Image& image, const Preprocessing& pre) {
  EDGEAI_RETURN_IF_ERROR(check_image(image, "preprocess input"));
  EDGEAI_ASSIGN_OR_RETURN(Shape shape, preprocessed_shape(pre, image.width, image.height));
  EDGEAI_ASSIGN_OR_RETURN(Tensor tensor, Tensor::allocate(DType::kFloat32, shape));
  EDGEAI_RETURN_IF_ERROR(
      preprocess_image_into(image, pre, tensor.data<float>(), static_cast<std::size_t>(tensor.num_elements())));
  return tensor;
}

}  // namespace edgeai
