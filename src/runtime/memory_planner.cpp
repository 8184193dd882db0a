#include "runtime/memory_planner.hpp"

#include <algorithm>
#include <numeric>

#include "core/aligned_buffer.hpp"

namespace edgeai {

MemoryPlan plan_memory(const std::vector<BufferRequest>& requests, std::size_t alignment) {
  MemoryPlan plan;
  plan.offsets.assign(requests.size(), 0);
  std::vector<std::size_t> order(requests.size());
  std::iota(order.begin(), order.end(), 0);
  // Largest first; ties broken by earlier first use, then index, so plans are deterministic.
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    if (requests[a].size_bytes != requests[b].size_bytes) return requests[a].size_bytes > requests[b].size_bytes;
    return requests[a].first_step < requests[b].first_step;
  });

  struct Placed {
    std::size_t offset, end;
    int first, last;
  };
  std::vector<Placed> placed;
  placed.reserve(requests.size());
  for (std::size_t index : order) {
    const BufferRequest& r = requests[index];
    const std::size_t size = align_up(std::max<std::size_t>(r.size_bytes, 1), alignment);
    // Intervals of the arena taken by buffers alive at the same time, sorted by offset.
    std::vector<std::pair<std::size_t, std::size_t>> busy;
    for (const Placed& p : placed) {
      if (p.first <= r.last_step && r.first_step <= p.last) busy.emplace_back(p.offset, p.end);
    }
    std::sort(busy.begin(), busy.end());
    std::size_t offset = 0;
    for (const auto& [start, end] : busy) {
      if (offset + size <= start) break;  // fits in the gap before this interval
      offset = std::max(offset, end);
    }
    plan.offsets[index] = offset;
    placed.push_back(Placed{offset, offset + size, r.first_step, r.last_step});
    plan.arena_bytes = std::max(plan.arena_bytes, offset + size);
  }
  return plan;
}

}  // namespace edgeai
