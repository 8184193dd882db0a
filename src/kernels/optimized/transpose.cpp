// The Transposes the layout pass leaves at the borders of channels-last regions, (N, C, H, W)
// <-> (N, H, W, C), and the channels-last channel shuffle (a swap of the last two axes): a
// batch of 2-D transposes [A][B] -> [B][A], copied in square tiles so that
// both the reads and the writes stay within a few cache lines per row (the reference walks
// the output with strided reads). Portable (the compiler vectorises the tile loops); 1-, 2-,
// 4- and 8-byte elements; tasks over tiles of B for the thread pool.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>

#include "graph/layout.hpp"
#include "kernels/optimized/optimized_kernels.hpp"

namespace edgeai {
namespace {

constexpr std::int64_t kTile = 32;
constexpr std::int64_t kFewRowsChunk = 1024;  // columns per task when a is 4 or less
constexpr std::int64_t kSmallBatchElements = 8192;  // elements per task of small matrices

// Few rows (an RGB image going channels-last): all of them per output row, unrolled.
template <class T, int A>
void transpose_few_rows(const T* src, T* dst, std::int64_t b, std::int64_t b_begin, std::int64_t b_end) {
  for (std::int64_t j = b_begin; j < b_end; ++j) {
    for (int i = 0; i < A; ++i) dst[j * A + i] = src[i * b + j];
  }
}

template <class T>
void transpose_tiles(const T* src, T* dst, std::int64_t a, std::int64_t b, std::int64_t b_begin, std::int64_t b_end) {
  switch (a) {
    case 1: return transpose_few_rows<T, 1>(src, dst, b, b_begin, b_end);
    case 2: return transpose_few_rows<T, 2>(src, dst, b, b_begin, b_end);
    case 3: return transpose_few_rows<T, 3>(src, dst, b, b_begin, b_end);
    case 4: return transpose_few_rows<T, 4>(src, dst, b, b_begin, b_end);
    default: break;
  }
  for (std::int64_t a0 = 0; a0 < a; a0 += kTile) {
    const std::int64_t a1 = std::min(a, a0 + kTile);
    for (std::int64_t b0 = b_begin; b0 < b_end; b0 += kTile) {
      const std::int64_t b1 = std::min(b_end, b0 + kTile);
      for (std::int64_t j = b0; j < b1; ++j) {
        T* out = dst + j * a;
        for (std::int64_t i = a0; i < a1; ++i) out[i] = src[i * b + j];
      }
    }
  }
}

class LayoutTransposeKernel final : public Kernel {
 public:
  Status prepare(const Node& node, const KernelSignature& sig) override {
    const Shape& in = sig.inputs[0].shape;
    const std::vector<std::int64_t> perm = node.attr_ints("perm");
    element_size_ = dtype_size(sig.inputs[0].dtype);
    if (element_size_ != 1 && element_size_ != 2 && element_size_ != 4 && element_size_ != 8) {
      return unsupported("layout transpose: elements of 1, 2, 4 or 8 bytes");
    }
    threads_ = sig.threads;
    const std::size_t rank = in.size();
    // The last two axes swapped (a channel shuffle in channels-last form): [..][A][B] -> [..][B][A].
    bool swap_last_two = rank >= 2 && perm.size() == rank && perm[rank - 2] == static_cast<std::int64_t>(rank - 1) &&
                         perm[rank - 1] == static_cast<std::int64_t>(rank - 2);
    for (std::size_t k = 0; swap_last_two && k + 2 < rank; ++k) swap_last_two = perm[k] == static_cast<std::int64_t>(k);
    if (swap_last_two) {
      batch_ = 1;
      for (std::size_t k = 0; k + 2 < rank; ++k) batch_ *= in[k];
      a_ = in[rank - 2];
      b_ = in[rank - 1];
      return Status::ok();
    }
    if (rank != 4 || (perm != kToChannelsLast && perm != kToChannelsFirst)) {
      return unsupported("layout transpose: (0, 2, 3, 1), (0, 3, 1, 2) or a swap of the last two axes only");
    }
    batch_ = in[0];
    // To channels-last: [C][H*W] -> [H*W][C]; back: [H*W][C] -> [C][H*W].
    a_ = perm == kToChannelsLast ? in[1] : in[1] * in[2];
    b_ = perm == kToChannelsLast ? in[2] * in[3] : in[3];
    return Status::ok();
  }

  Status run(std::span<const TensorView> inputs, std::span<TensorView> outputs, void*) override {
    const auto* src = static_cast<const std::uint8_t*>(inputs[0].data);
    auto* dst = static_cast<std::uint8_t*>(outputs[0].data);
    const std::int64_t chunk = a_ <= 4 ? kFewRowsChunk : kTile;
    const std::int64_t tiles = (b_ + chunk - 1) / chunk;
    // Small matrices (a shuffle's (g, C/g) per pixel) go several to a task.
    const std::int64_t per_task = tiles == 1 ? std::max<std::int64_t>(1, kSmallBatchElements / std::max<std::int64_t>(1, a_ * b_)) : 1;
    const std::int64_t groups = (batch_ + per_task - 1) / per_task;
    const std::int64_t plane = a_ * b_ * static_cast<std::int64_t>(element_size_);
    parallel_for(threads_, static_cast<std::size_t>(groups * tiles), [&](std::size_t task, int) {
      const std::int64_t group = static_cast<std::int64_t>(task) / tiles;
      const std::int64_t b_begin = static_cast<std::int64_t>(task) % tiles * chunk;
      const std::int64_t b_end = std::min(b_, b_begin + chunk);
      for (std::int64_t n = group * per_task; n < std::min(batch_, (group + 1) * per_task); ++n) {
      const std::uint8_t* s = src + n * plane;
      std::uint8_t* d = dst + n * plane;
      switch (element_size_) {
        case 1: transpose_tiles(s, d, a_, b_, b_begin, b_end); break;
        case 2:
          transpose_tiles(reinterpret_cast<const std::uint16_t*>(s), reinterpret_cast<std::uint16_t*>(d), a_, b_, b_begin, b_end);
          break;
        case 4:
          transpose_tiles(reinterpret_cast<const std::uint32_t*>(s), reinterpret_cast<std::uint32_t*>(d), a_, b_, b_begin, b_end);
          break;
        default:
          transpose_tiles(reinterpret_cast<const std::uint64_t*>(s), reinterpret_cast<std::uint64_t*>(d), a_, b_, b_begin, b_end);
          break;
      }
      }
    });
    return Status::ok();
  }

 private:
  ThreadPool* threads_ = nullptr;
  std::size_t element_size_ = 4;
  std::int64_t batch_ = 0, a_ = 0, b_ = 0;
};

}  // namespace

std::unique_ptr<Kernel> make_layout_transpose_kernel() { return std::make_unique<LayoutTransposeKernel>(); }

}  // namespace edgeai
