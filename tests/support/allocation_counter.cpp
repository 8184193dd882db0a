#include "allocation_counter.hpp"

#include <atomic>
#include <cstdlib>
#include <new>

// The replacement new/delete pair malloc/free on purpose; gcc cannot see that through inlining.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace {
std::atomic<long> g_allocations{0};
}  // namespace

void* operator new(std::size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace edgeai::testing {

long heap_allocations() { return g_allocations.load(std::memory_order_relaxed); }

}  // namespace edgeai::testing
