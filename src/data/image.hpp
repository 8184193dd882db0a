// 8-bit images: JPEG/PNG decoding (stb_image), grayscale/RGB conversion and the bilinear resize
// that image preprocessing uses. Depends on core, format (MappedFile) and stb; no exceptions,
// errors name the file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.hpp"

namespace edgeai {

// Pixels interleaved row-major: pixels[(y * width + x) * channels + c]. Channels: 1 gray,
// 2 gray+alpha, 3 RGB, 4 RGBA.
struct Image {
  std::int32_t width = 0;
  std::int32_t height = 0;
  std::int32_t channels = 0;
  std::vector<std::uint8_t> pixels;
};

// Ok when the sizes are positive, channels is 1..4 and pixels holds width*height*channels bytes.
Status check_image(const Image& image, std::string_view name);

// Decodes a JPEG (baseline or progressive) or PNG (8 or 16 bit, 16 is reduced to 8) into its
// own channel count. Any other content, or a corrupt file, is an error naming `name`.
Result<Image> decode_image(const std::uint8_t* data, std::size_t size, std::string_view name);
Result<Image> read_image(const std::string& path);

// One channel. From RGB(A) the ITU-R BT.601 luma with PIL's fixed-point rounding
// (Image.convert("L")): L = (19595 R + 38470 G + 7471 B + 0x8000) >> 16. Alpha is dropped.
Image to_grayscale(const Image& image);
// Three channels: gray is replicated, alpha dropped.
Image to_rgb(const Image& image);

// Bilinear resize of interleaved float pixels [in_height, in_width, channels] into
// [out_height, out_width, channels], with half-pixel centres (align_corners=false) and no
// antialiasing, which is torch.nn.functional.interpolate(mode="bilinear", align_corners=False,
// antialias=False) and OpenCV's INTER_LINEAR:
//   scale = in_size / out_size (as float)
//   src   = max(0, (dst + 0.5) * scale - 0.5)
//   i0    = floor(src), i1 = min(i0 + 1, in_size - 1), w1 = src - i0, w0 = 1 - w1
// applied along y and x: out = wy0 * (wx0 p[y0][x0] + wx1 p[y0][x1]) + wy1 * (wx0 p[y1][x0] + wx1 p[y1][x1]).
// Downscaling by more than 2x skips pixels (no antialias): declare sizes with that in mind.
// Same size in and out is the identity. All sizes must be positive.
void resize_bilinear(const float* in, std::int32_t in_height, std::int32_t in_width, std::int32_t channels, float* out,
                     std::int32_t out_height, std::int32_t out_width);
// The same on an 8-bit image; each result is rounded to the nearest integer (halves up).
Result<Image> resize_bilinear(const Image& image, std::int32_t out_width, std::int32_t out_height);

}  // namespace edgeai
