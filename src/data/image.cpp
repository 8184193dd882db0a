#include "data/image.hpp"

#include <stb/stb_image.h>  // Debian's libstb carries the implementation: do not define STB_IMAGE_IMPLEMENTATION

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>

#include "format/mapped_file.hpp"

namespace edgeai {
namespace {

// One output coordinate's two source taps along an axis (see resize_bilinear in image.hpp).
struct Taps {
  std::int32_t i0 = 0;
  std::int32_t i1 = 0;
  float w0 = 1.0f;
  float w1 = 0.0f;
};

std::vector<Taps> linear_taps(std::int32_t in_size, std::int32_t out_size) {
  std::vector<Taps> taps(static_cast<std::size_t>(out_size));
  const float scale = static_cast<float>(in_size) / static_cast<float>(out_size);
  for (std::int32_t d = 0; d < out_size; ++d) {
    float src = scale * (static_cast<float>(d) + 0.5f) - 0.5f;
    if (src < 0.0f) src = 0.0f;
    Taps& t = taps[static_cast<std::size_t>(d)];
    t.i0 = std::min(static_cast<std::int32_t>(std::floor(src)), in_size - 1);
    t.i1 = std::min(t.i0 + 1, in_size - 1);
    t.w1 = std::clamp(src - static_cast<float>(t.i0), 0.0f, 1.0f);
    t.w0 = 1.0f - t.w1;
  }
  return taps;
}

}  // namespace

Status check_image(const Image& image, std::string_view name) {
  if (image.width <= 0 || image.height <= 0) {
    return invalid_argument(name, ": image size ", image.width, "x", image.height, " is not positive");
  }
  if (image.channels < 1 || image.channels > 4) {
    return invalid_argument(name, ": image has ", image.channels, " channels, expected 1 to 4");
  }
  const std::uint64_t expected = static_cast<std::uint64_t>(image.width) * static_cast<std::uint64_t>(image.height) *
                                 static_cast<std::uint64_t>(image.channels);
  if (image.pixels.size() != expected) {
    return invalid_argument(name, ": image ", image.width, "x", image.height, "x", image.channels, " holds ",
                            image.pixels.size(), " bytes, expected ", expected);
  }
  return Status::ok();
}

Result<Image> decode_image(const std::uint8_t* data, std::size_t size, std::string_view name) {
  if (size == 0) return data_loss(name, ": empty image file");
  if (size > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
    return invalid_argument(name, ": image file of ", size, " bytes is too large to decode");
  }
  int width = 0;
  int height = 0;
  int channels = 0;
  // stb_image keeps its failure reason in a thread-local: safe to decode on several threads.
  std::unique_ptr<stbi_uc, void (*)(void*)> pixels(
      stbi_load_from_memory(data, static_cast<int>(size), &width, &height, &channels, 0), stbi_image_free);
  if (!pixels) {
    const char* reason = stbi_failure_reason();
    return data_loss(name, ": cannot decode image: ", reason != nullptr ? reason : "unknown error");
  }
  Image image;
  image.width = width;
  image.height = height;
  image.channels = channels;
  const std::size_t bytes =
      static_cast<std::size_t>(width) * static_cast<std::size_t>(height) * static_cast<std::size_t>(channels);
  image.pixels.assign(pixels.get(), pixels.get() + bytes);
  EDGEAI_RETURN_IF_ERROR(check_image(image, name));
  return image;
}

Result<Image> read_image(const std::string& path) {
  EDGEAI_ASSIGN_OR_RETURN(MappedFile file, MappedFile::open(path));
  return decode_image(file.data(), file.size(), path);
}

Image to_grayscale(const Image& image) {
  Image out;
  out.width = image.width;
  out.height = image.height;
  out.channels = 1;
  const std::size_t count = static_cast<std::size_t>(image.width) * static_cast<std::size_t>(image.height);
  out.pixels.resize(count);
  const std::size_t c = static_cast<std::size_t>(image.channels);
  for (std::size_t i = 0; i < count; ++i) {
    const std::uint8_t* p = image.pixels.data() + i * c;
    if (c >= 3) {
      out.pixels[i] = static_cast<std::uint8_t>((19595u * p[0] + 38470u * p[1] + 7471u * p[2] + 0x8000u) >> 16);
    } else {
      out.pixels[i] = p[0];
    }
  }
  return out;
}

Image to_rgb(const Image& image) {
  Image out;
  out.width = image.width;
  out.height = image.height;
  out.channels = 3;
  const std::size_t count = static_cast<std::size_t>(image.width) * static_cast<std::size_t>(image.height);
  out.pixels.resize(count * 3);
  const std::size_t c = static_cast<std::size_t>(image.channels);
  for (std::size_t i = 0; i < count; ++i) {
    const std::uint8_t* p = image.pixels.data() + i * c;
    for (std::size_t k = 0; k < 3; ++k) out.pixels[i * 3 + k] = c >= 3 ? p[k] : p[0];
  }
  return out;
}

void resize_bilinear(const float* in, std::int32_t in_height, std::int32_t in_width, std::int32_t channels, float* out,
                     std::int32_t out_height, std::int32_t out_width) {
  const std::vector<Taps> ys = linear_taps(in_height, out_height);
  const std::vector<Taps> xs = linear_taps(in_width, out_width);
  const std::size_t c_count = static_cast<std::size_t>(channels);
  const std::size_t in_row = static_cast<std::size_t>(in_width) * c_count;
  for (std::int32_t y = 0; y < out_height; ++y) {
    const Taps& ty = ys[static_cast<std::size_t>(y)];
    const float* row0 = in + static_cast<std::size_t>(ty.i0) * in_row;
    const float* row1 = in + static_cast<std::size_t>(ty.i1) * in_row;
    float* dst = out + static_cast<std::size_t>(y) * static_cast<std::size_t>(out_width) * c_count;
    for (std::int32_t x = 0; x < out_width; ++x) {
      const Taps& tx = xs[static_cast<std::size_t>(x)];
      const std::size_t a = static_cast<std::size_t>(tx.i0) * c_count;
      const std::size_t b = static_cast<std::size_t>(tx.i1) * c_count;
      for (std::size_t c = 0; c < c_count; ++c) {
        const float top = row0[a + c] * tx.w0 + row0[b + c] * tx.w1;
        const float bottom = row1[a + c] * tx.w0 + row1[b + c] * tx.w1;
        dst[static_cast<std::size_t>(x) * c_count + c] = top * ty.w0 + bottom * ty.w1;
      }
    }
  }
}

Result<Image> resize_bilinear(const Image& image, std::int32_t out_width, std::int32_t out_height) {
  EDGEAI_RETURN_IF_ERROR(check_image(image, "resize input"));
  if (out_width <= 0 || out_height <= 0) {
    return invalid_argument("resize to ", out_width, "x", out_height, ": sizes must be positive");
  }
  std::vector<float> in(image.pixels.begin(), image.pixels.end());
  std::vector<float> resized(static_cast<std::size_t>(out_width) * static_cast<std::size_t>(out_height) *
                             static_cast<std::size_t>(image.channels));
  resize_bilinear(in.data(), image.height, image.width, image.channels, resized.data(), out_height, out_width);
  Image out;
  out.width = out_width;
  out.height = out_height;
  out.channels = image.channels;
  out.pixels.resize(resized.size());
  for (std::size_t i = 0; i < resized.size(); ++i) {
    out.pixels[i] = static_cast<std::uint8_t>(std::clamp(std::floor(resized[i] + 0.5f), 0.0f, 255.0f));
  }
  return out;
}

}  // namespace edgeai
