#include "core/thread_pool.hpp"

#if !defined(EDGEAI_SINGLE_THREAD)
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>
#endif

namespace edgeai {

#if defined(EDGEAI_SINGLE_THREAD)

struct ThreadPool::Shared {};
ThreadPool::ThreadPool(int /*threads*/) : threads_(1) {}
ThreadPool::~ThreadPool() = default;
void ThreadPool::parallel_for(std::size_t count, TaskFunction fn) {
  for (std::size_t i = 0; i < count; ++i) fn(i, 0);
}

#else

// A polite busy-wait step (the core's pause hint).
inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

struct ThreadPool::Shared {
  std::mutex mutex;
  std::condition_variable wake;
  std::atomic<std::uint64_t> generation{0};  // bumped once per parallel_for
  std::atomic<bool> stop{false};
  // The current job; written before `generation` is bumped, read after it is seen.
  const TaskFunction* fn = nullptr;
  std::size_t count = 0;
  // Thread t's share of the current job is tasks [share_begin(t), share_end(t)); next[t] is
  // its next unclaimed one (each in its own cache line: the threads claim concurrently).
  struct alignas(64) Cursor {
    std::atomic<std::size_t> next{0};
  };
  std::unique_ptr<Cursor[]> cursors;
  int threads = 1;
  std::atomic<std::size_t> pending{0};  // workers still inside the current job
  std::vector<std::thread> workers;

  std::size_t share_end(int t) const {
    return count * static_cast<std::size_t>(t + 1) / static_cast<std::size_t>(threads);
  }

  void work(int worker) {
    // Its own share first, then what is left of the others'.
    for (int k = 0; k < threads; ++k) {
      const int t = (worker + k) % threads;
      const std::size_t end = share_end(t);
      for (std::size_t i = cursors[t].next.fetch_add(1, std::memory_order_relaxed); i < end;
           i = cursors[t].next.fetch_add(1, std::memory_order_relaxed)) {
        (*fn)(i, worker);
      }
    }
  }

  void worker_loop(int worker) {
    std::uint64_t seen = 0;
    for (;;) {
      // Spin for a while: the next operator usually starts within microseconds.
      const auto spin_until = std::chrono::steady_clock::now() + std::chrono::microseconds(200);
      std::uint64_t g = generation.load(std::memory_order_acquire);
      for (int round = 0;
           g == seen && !stop.load(std::memory_order_relaxed) && std::chrono::steady_clock::now() < spin_until;
           ++round) {
        if (round < 32) {
          for (int k = 0; k < 64; ++k) cpu_relax();
        } else {
          std::this_thread::yield();  // let a descheduled thread (ours or another) run
        }
        g = generation.load(std::memory_order_acquire);
      }
      if (g == seen && !stop.load()) {
        std::unique_lock<std::mutex> lock(mutex);
        wake.wait(lock, [&] { return stop.load() || generation.load(std::memory_order_acquire) != seen; });
        g = generation.load(std::memory_order_acquire);
      }
      if (stop.load()) return;
      seen = g;
      work(worker);
      pending.fetch_sub(1, std::memory_order_acq_rel);
    }
  }
};

ThreadPool::ThreadPool(int threads) : threads_(threads < 1 ? 1 : threads), shared_(std::make_unique<Shared>()) {
  shared_->threads = threads_;
  shared_->cursors = std::make_unique<Shared::Cursor[]>(static_cast<std::size_t>(threads_));
  for (int i = 1; i < threads_; ++i) shared_->workers.emplace_back([s = shared_.get(), i] { s->worker_loop(i); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(shared_->mutex);
    shared_->stop.store(true);
  }
  shared_->wake.notify_all();
  for (std::thread& t : shared_->workers) t.join();
}

void ThreadPool::parallel_for(std::size_t count, TaskFunction fn) {
  Shared& s = *shared_;
  if (s.workers.empty() || count <= 1) {
    for (std::size_t i = 0; i < count; ++i) fn(i, 0);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(s.mutex);
    s.fn = &fn;
    s.count = count;
    for (int t = 0; t < s.threads; ++t) {
      s.cursors[t].next.store(count * static_cast<std::size_t>(t) / static_cast<std::size_t>(s.threads),
                              std::memory_order_relaxed);
    }
    s.pending.store(s.workers.size(), std::memory_order_relaxed);
    s.generation.fetch_add(1, std::memory_order_release);
  }
  s.wake.notify_all();
  s.work(0);
  // Wait for the workers to leave this job before its fn and counters may change. After a
  // short spin, yield: on a machine busier than its cores a worker may be descheduled, and
  // spinning would keep it from running.
  for (int spins = 0; s.pending.load(std::memory_order_acquire) != 0; ++spins) {
    if (spins < 2000) {
      cpu_relax();
    } else {
      std::this_thread::yield();
    }
  }
}

#endif

}  // namespace edgeai
