// Executes a manifest's declared image preprocessing (format/bundle.hpp, Preprocessing) on one
// image: the single implementation that training, evaluation and devices share, so a model
// sees the same numbers everywhere. Depends on core, format and data/image; no exceptions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/status.hpp"
#include "core/tensor.hpp"
#include "data/image.hpp"
#include "format/bundle.hpp"

namespace edgeai {

// The declaration of an image preprocessing (kind "image"). `mean` and `std` have one value per
// channel, or one value for all channels, or are empty (0 and 1).
Preprocessing image_preprocessing(std::string color, std::int32_t resize_height, std::int32_t resize_width, float scale,
                                  std::vector<float> mean, std::vector<float> std, std::string layout = "NCHW");

// Ok when `pre` is something preprocess_image executes: kind "image"; color "gray", "rgb" or
// "bgr"; layout "NCHW" or "NHWC"; resize both sizes positive or both 0; mean/std of 0, 1 or
// channel-count values; every std nonzero; scale finite.
Status check_image_preprocessing(const Preprocessing& pre);

// Channels a color produces: 1 for "gray", 3 for "rgb"/"bgr"; 0 for anything else.
std::int32_t color_channels(const std::string& color);

// The shape of one preprocessed sample of a `width` x `height` image: [C,H,W] for NCHW,
// [H,W,C] for NHWC, with H,W the resize sizes when declared.
Result<Shape> preprocessed_shape(const Preprocessing& pre, std::int32_t width, std::int32_t height);

// The normalisation of one value, the arithmetic every reader uses: scale first, then the mean
// is subtracted and the result divided by std (torchvision's ToTensor + Normalize with the
// division by 255 written as a multiplication by `scale`).
inline float normalize_value(float x, float scale, float mean, float std) { return (x * scale - mean) / std; }

// Runs the steps in this order:
//   1 color: convert to gray (BT.601 luma, see to_grayscale) or RGB (BGR: RGB reversed)
//   2 resize: bilinear, half-pixel centres, no antialias (resize_bilinear), in float, when the
//     declared size differs from the image's
//   3 per channel c: y = (x * scale - mean[c]) / std[c]
//   4 layout: planes (NCHW -> [C,H,W]) or interleaved (NHWC -> [H,W,C])
// Returns one float32 sample without the batch dimension.
Result<Tensor> preprocess_image(const Image& image, const Preprocessing& pre);
// The same into `out`, which must hold exactly the preprocessed_shape's element count (a row
// of a batch tensor, so a data set is filled without copies).
Status preprocess_image_into(const Image& image, const Preprocessing& pre, float* out, std::size_t out_elements);

}  // namespace edgeai
