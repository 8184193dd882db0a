// A small fixed thread pool for the kernels: parallel_for(count, fn) runs fn(task, worker)
// for task in [0, count) on the calling thread (worker 0) and the pool's workers (1 to
// threads-1), and returns when all are done. The worker index lets a task use its thread's
// slice of the kernel's scratch memory. Each thread first runs its own contiguous share of
// the tasks (task i of n goes to thread i * threads / n), so that consecutive operators split
// alike keep a thread on the activations it wrote (in its own cache, not the other core's);
// a thread that finishes early then claims the others' remaining tasks one at a time, so
// uneven tasks and a descheduled thread still balance.
// Workers spin briefly between calls (consecutive operators follow each other within
// microseconds) before sleeping on a condition variable.
// With EDGEAI_SINGLE_THREAD defined (the CMake option of that name) there is no thread code:
// parallel_for is a plain loop, for microcontroller-class targets.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <type_traits>
#include <utility>

namespace edgeai {

// A non-owning reference to a callable fn(task, worker): unlike std::function it never
// allocates, so kernels can hand lambdas to the pool inside run().
class TaskFunction {
 public:
  template <class F, class = std::enable_if_t<!std::is_same_v<std::decay_t<F>, TaskFunction>>>
  TaskFunction(F&& fn)  // NOLINT: implicit, like std::function
      : object_(const_cast<void*>(static_cast<const void*>(&fn))),
        call_([](void* object, std::size_t task, int worker) {
          (*static_cast<std::remove_reference_t<F>*>(object))(task, worker);
        }) {}
  void operator()(std::size_t task, int worker) const { call_(object_, task, worker); }

 private:
  void* object_;
  void (*call_)(void*, std::size_t, int);
};

class ThreadPool {
 public:
  // `threads` counts the calling thread: 1 means no workers.
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int threads() const { return threads_; }
  // Runs fn(i, worker) for every i in [0, count), in any order and on any thread. Not
  // reentrant: fn must not call parallel_for on the same pool.
  void parallel_for(std::size_t count, TaskFunction fn);

 private:
  struct Shared;
  int threads_ = 1;
  std::unique_ptr<Shared> shared_;
};

// parallel_for on `pool`, or a plain loop when pool is null.
inline void parallel_for(ThreadPool* pool, std::size_t count, TaskFunction fn) {
  if (pool == nullptr || pool->threads() <= 1 || count <= 1) {
    for (std::size_t i = 0; i < count; ++i) fn(i, 0);
    return;
  }
  pool->parallel_for(count, fn);
}

// fn(begin, count) over [0, n) in chunks of `chunk` elements, the chunks spread over the pool.
template <class Fn>
void parallel_chunks(ThreadPool* pool, std::int64_t n, std::int64_t chunk, Fn&& fn) {
  parallel_for(pool, static_cast<std::size_t>((n + chunk - 1) / chunk), [&](std::size_t t, int) {
    const std::int64_t begin = static_cast<std::int64_t>(t) * chunk;
    fn(begin, n - begin < chunk ? n - begin : chunk);
  });
}

}  // namespace edgeai
