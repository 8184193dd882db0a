// Reference DequantizeInt4: the decoder of compress/weight_only.hpp's int4 encoding and so its
// specification. Row r of the [shape[0], K] view, element j: w = q * scale[r, j / block_size],
// q the signed nibble at flat index i (low nibble for even i). Depends on core, graph, kernel.
#include "core/float16.hpp"
#include "kernels/registry.hpp"

namespace edgeai {
namespace {

class DequantizeInt4Kernel final : public Kernel {
 public:
  Status prepare(const Node& node, const KernelSignature& sig) override {
    block_ = node.attr_int("block_size", 0);
    const Shape& out = sig.outputs[0].shape;
    count_ = 1;
    for (std::int64_t d : out) count_ *= d;
    rows_ = out.empty() ? 0 : out[0];
    k_ = rows_ == 0 ? 0 : count_ / rows_;
    blocks_ = block_ > 0 ? (k_ + block_ - 1) / block_ : 0;
    if (block_ < 2) return invalid_argument(node.describe(), ": block_size must be >= 2");
    return Status::ok();
  }

  Status run(std::span<const TensorView> inputs, std::span<TensorView> outputs, void*) override {
    const std::uint8_t* packed = inputs[0].data_as<const std::uint8_t>();
    const std::uint16_t* scales = inputs[1].data_as<const std::uint16_t>();
    float* w = outputs[0].data_as<float>();
    for (std::int64_t r = 0; r < rows_; ++r) {
      for (std::int64_t j = 0; j < k_; ++j) {
        const std::int64_t i = r * k_ + j;
        const std::uint8_t nibble = i % 2 == 0 ? packed[i / 2] & 0x0f : packed[i / 2] >> 4;
        const int q = nibble >= 8 ? static_cast<int>(nibble) - 16 : static_cast<int>(nibble);  // two's complement
        w[i] = static_cast<float>(q) * float16_bits_to_float(scales[r * blocks_ + j / block_]);
      }
    }
    return Status::ok();
  }

 private:
  std::int64_t block_ = 0, count_ = 0, rows_ = 0, k_ = 0, blocks_ = 0;
};

}  // namespace

void register_int4_kernels(KernelRegistry& registry) {
  registry.add("DequantizeInt4", []() -> std::unique_ptr<Kernel> { return std::make_unique<DequantizeInt4Kernel>(); });
}

}  // namespace edgeai
