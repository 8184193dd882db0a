// Greedy arena planner: places buffers with known lifetimes in one block so that buffers
// alive at the same time never overlap. Largest first, lowest fitting offset, as
// tflite-micro's GreedyMemoryPlanner does. Pure computation: no allocation of the arena.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace edgeai {

struct BufferRequest {
  std::size_t size_bytes = 0;
  int first_step = 0;  // the step that writes the buffer
  int last_step = 0;   // the last step that reads it (inclusive)
};

struct MemoryPlan {
  std::vector<std::size_t> offsets;  // one per request, each a multiple of `alignment`
  std::size_t arena_bytes = 0;
};

MemoryPlan plan_memory(const std::vector<BufferRequest>& requests, std::size_t alignment = 64);

}  // namespace edgeai
