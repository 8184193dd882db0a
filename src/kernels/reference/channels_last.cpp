#include "kernels/reference/channels_last.hpp"

#include <cstring>

#include "core/aligned_buffer.hpp"
#include "graph/layout.hpp"

namespace edgeai {
namespace {

// (N, A, B) -> (N, B, A).
void transpose_last_two(const void* src, void* dst, std::int64_t n, std::int64_t a, std::int64_t b, std::size_t es) {
  const auto* s = static_cast<const std::uint8_t*>(src);
  auto* d = static_cast<std::uint8_t*>(dst);
  for (std::int64_t i = 0; i < n; ++i) {
    for (std::int64_t x = 0; x < a; ++x) {
      for (std::int64_t y = 0; y < b; ++y) {
        std::memcpy(d + ((i * b + y) * a + x) * es, s + ((i * a + x) * b + y) * es, es);
      }
    }
  }
}

std::int64_t spatial_size(const Shape& channels_first) {
  std::int64_t p = 1;
  for (std::size_t i = 2; i < channels_first.size(); ++i) p *= channels_first[i];
  return p;
}

class ChannelsLastAdapter final : public Kernel {
 public:
  explicit ChannelsLastAdapter(std::unique_ptr<Kernel> inner) : inner_(std::move(inner)) {}

  Status prepare(const Node& node, const KernelSignature& signature) override {
    channels_last_ = is_channels_last(node);
    if (!channels_last_) return inner_->prepare(node, signature);
    if (signature.outputs.size() != 1 || signature.inputs.empty() || signature.inputs[0].shape.size() < 3) {
      return invalid_argument("a channels-last node needs an X of rank >= 3 and one output");
    }
    node_ = node;
    node_.attributes.erase(std::string(kChannelsLastAttr));
    KernelSignature first = signature;
    first.inputs[0].shape = to_channels_first(signature.inputs[0].shape);
    first.outputs[0].shape = to_channels_first(signature.outputs[0].shape);
    x_shape_ = first.inputs[0].shape;
    y_shape_ = first.outputs[0].shape;
    x_bytes_ = align_up(static_cast<std::size_t>(element_count(x_shape_).value_or(0)) *
                        dtype_size(signature.inputs[0].dtype));
    y_bytes_ = align_up(static_cast<std::size_t>(element_count(y_shape_).value_or(0)) *
                        dtype_size(signature.outputs[0].dtype));
    return inner_->prepare(node_, first);
  }

  std::size_t scratch_bytes() const override {
    return channels_last_ ? x_bytes_ + y_bytes_ + inner_->scratch_bytes() : inner_->scratch_bytes();
  }
  Aliasing aliasing() const override { return channels_last_ ? Aliasing::kNone : inner_->aliasing(); }
  std::int64_t macs() const override { return inner_->macs(); }

  Status run(std::span<const TensorView> inputs, std::span<TensorView> outputs, void* scratch) override {
    if (!channels_last_) return inner_->run(inputs, outputs, scratch);
    auto* base = static_cast<std::uint8_t*>(scratch);
    std::vector<TensorView> in(inputs.begin(), inputs.end());
    TensorView out = outputs[0];
    in[0].shape = x_shape_;
    in[0].data = base;
    out.shape = y_shape_;
    out.data = base + x_bytes_;
    transpose_to_channels_first(inputs[0].data, in[0].data, x_shape_[0], x_shape_[1], spatial_size(x_shape_),
                                dtype_size(in[0].dtype));
    EDGEAI_RETURN_IF_ERROR(inner_->run(in, std::span<TensorView>(&out, 1), base + x_bytes_ + y_bytes_));
    transpose_to_channels_last(out.data, outputs[0].data, y_shape_[0], y_shape_[1], spatial_size(y_shape_),
                               dtype_size(out.dtype));
    return Status::ok();
  }

 private:
  std::unique_ptr<Kernel> inner_;
  bool channels_last_ = false;
  Node node_;  // the node as the inner kernel sees it (kernels may keep a reference)
  Shape x_shape_, y_shape_;
  std::size_t x_bytes_ = 0, y_bytes_ = 0;
};

}  // namespace

void transpose_to_channels_last(const void* src, void* dst, std::int64_t n, std::int64_t c, std::int64_t p,
                                std::size_t element_size) {
  transpose_last_two(src, dst, n, c, p, element_size);
}

void transpose_to_channels_first(const void* src, void* dst, std::int64_t n, std::int64_t c, std::int64_t p,
                                 std::size_t element_size) {
  transpose_last_two(src, dst, n, p, c, element_size);
}

std::unique_ptr<Kernel> make_channels_last_adapter(std::unique_ptr<Kernel> channels_first) {
  return std::make_unique<ChannelsLastAdapter>(std::move(channels_first));
}

}  // namespace edgeai
