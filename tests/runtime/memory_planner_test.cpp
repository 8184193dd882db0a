#include "runtime/memory_planner.hpp"

#include <gtest/gtest.h>

#include <random>

namespace edgeai {
namespace {

bool overlaps(const BufferRequest& a, std::size_t oa, const BufferRequest& b, std::size_t ob) {
  const bool live_together = a.first_step <= b.last_step && b.first_step <= a.last_step;
  const bool share_bytes = oa < ob + b.size_bytes && ob < oa + a.size_bytes;
  return live_together && share_bytes;
}

TEST(MemoryPlanner, ReusesMemoryOfDeadBuffers) {
  // A chain: each buffer is written at step i and read at step i+1. A and C never live
  // together, so two 128-byte slots suffice.
  std::vector<BufferRequest> requests = {{100, 0, 1}, {100, 1, 2}, {100, 2, 3}};
  MemoryPlan plan = plan_memory(requests, 64);
  EXPECT_EQ(plan.arena_bytes, 256u);
  EXPECT_EQ(plan.offsets[0], plan.offsets[2]);
  EXPECT_NE(plan.offsets[0], plan.offsets[1]);
}

TEST(MemoryPlanner, FillsGapsBetweenLiveBuffers) {
  // Big buffers at [0,64) and [64+?..) alive throughout; a small one fits nowhere but after.
  std::vector<BufferRequest> requests = {{64, 0, 5}, {64, 0, 5}, {64, 2, 3}};
  MemoryPlan plan = plan_memory(requests, 64);
  EXPECT_EQ(plan.arena_bytes, 192u);
}

TEST(MemoryPlanner, RandomPlansNeverOverlapAndAreAligned) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<BufferRequest> requests;
    const int n = 1 + static_cast<int>(rng() % 30);
    for (int i = 0; i < n; ++i) {
      const int first = static_cast<int>(rng() % 20);
      requests.push_back({1 + rng() % 5000, first, first + static_cast<int>(rng() % 6)});
    }
    MemoryPlan plan = plan_memory(requests, 64);
    std::size_t total = 0;
    for (int i = 0; i < n; ++i) {
      EXPECT_EQ(plan.offsets[i] % 64, 0u);
      EXPECT_LE(plan.offsets[i] + requests[i].size_bytes, plan.arena_bytes);
      total += (requests[i].size_bytes + 63) / 64 * 64;
      for (int j = 0; j < i; ++j) {
        ASSERT_FALSE(overlaps(requests[i], plan.offsets[i], requests[j], plan.offsets[j]))
            << "trial " << trial << " buffers " << i << " and " << j;
      }
    }
    EXPECT_LE(plan.arena_bytes, total);
  }
}

}  // namespace
}  // namespace edgeai
