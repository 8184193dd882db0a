// Concat of any dtype: for each index over the axes before `axis`, the inputs' blocks in order
// (the reference's order and bytes). A channels-last concat along channels (SqueezeNet's fire
// modules) copies one short block per pixel and input: the reference's memcpy call per
// block cost more than the copy. Here the blocks are copied inline in 64-byte pieces, and
// the pixels are split over the threads. The session may have the producers write their
// slices of the output in place (runtime/session.cpp): those inputs are skipped. Portable.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "core/shape.hpp"
#include "kernels/optimized/optimized_kernels.hpp"
#include "kernels/reference/concat_layout.hpp"

namespace edgeai {
namespace {

// Bytes per task: enough to pay for handing it to a thread.
constexpr std::int64_t kTaskBytes = 64 * 1024;

inline void copy_block(std::uint8_t* dst, const std::uint8_t* src, std::size_t n) {
  std::size_t i = 0;
  for (; i + 64 <= n; i += 64) std::memcpy(dst + i, src + i, 64);
  for (; i + 8 <= n; i += 8) std::memcpy(dst + i, src + i, 8);
  for (; i < n; ++i) dst[i] = src[i];
}

class ConcatKernel final : public Kernel {
 public:
  Status prepare(const Node& node, const KernelSignature& sig) override {
    EDGEAI_ASSIGN_OR_RETURN(ConcatLayout layout, concat_layout(node, sig));
    outer_ = layout.outer;
    block_bytes_ = std::move(layout.block_bytes);
    row_bytes_ = 0;
    for (std::size_t bytes : block_bytes_) row_bytes_ += bytes;
    in_place_.assign(sig.inputs.size(), 0);
    threads_ = sig.threads;
    return Status::ok();
  }

  Status run(std::span<const TensorView> inputs, std::span<TensorView> outputs, void*) override {
    auto* out = static_cast<std::uint8_t*>(outputs[0].data);
    const std::int64_t per_task =
        std::max<std::int64_t>(1, kTaskBytes / std::max<std::int64_t>(1, static_cast<std::int64_t>(row_bytes_)));
    const std::int64_t tasks = (outer_ + per_task - 1) / per_task;
    // An input whose producer wrote its slice of the output in place (Kernel::set_output_row_stride)
    // starts at its block of the first index: it is there already.
    std::size_t offset = 0;
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      in_place_[i] = block_bytes_[i] == 0 || inputs[i].data == out + offset;
      offset += block_bytes_[i];
    }
    parallel_for(threads_, static_cast<std::size_t>(tasks), [&](std::size_t task, int) {
      const std::int64_t begin = static_cast<std::int64_t>(task) * per_task;
      const std::int64_t end = std::min(outer_, begin + per_task);
      std::uint8_t* dst = out + static_cast<std::size_t>(begin) * row_bytes_;
      for (std::int64_t o = begin; o < end; ++o) {
        for (std::size_t i = 0; i < inputs.size(); ++i) {
          const std::size_t bytes = block_bytes_[i];
          if (!in_place_[i]) {
            copy_block(dst, static_cast<const std::uint8_t*>(inputs[i].data) + static_cast<std::size_t>(o) * bytes,
                       bytes);
          }
          dst += bytes;
        }
      }
    });
    return Status::ok();
  }

 private:
  ThreadPool* threads_ = nullptr;
  std::int64_t outer_ = 1;
  std::size_t row_bytes_ = 0;  // one index's blocks, all inputs
  std::vector<std::size_t> block_bytes_;
  std::vector<char> in_place_;  // per input, this run
};

}  // namespace

std::unique_ptr<Kernel> make_concat_kernel() { return std::make_unique<ConcatKernel>(); }

}  // namespace edgeai
