#include "core/thread_pool.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

namespace edgeai {
namespace {

TEST(ThreadPool, RunsEveryTaskOnceOnEveryWorker) {
  ThreadPool pool(3);
#if defined(EDGEAI_SINGLE_THREAD)
  EXPECT_EQ(pool.threads(), 1);  // no thread code: everything runs on the caller
#else
  EXPECT_EQ(pool.threads(), 3);
#endif
  for (int round = 0; round < 200; ++round) {  // many calls: the spin/sleep handover must not lose one
    const std::size_t count = static_cast<std::size_t>(round % 17) + 1;
    std::vector<std::atomic<int>> hits(count);
    std::atomic<int> bad_worker{0};
    pool.parallel_for(count, [&](std::size_t task, int worker) {
      hits[task].fetch_add(1);
      if (worker < 0 || worker >= 3) bad_worker.fetch_add(1);
    });
    for (std::size_t i = 0; i < count; ++i) ASSERT_EQ(hits[i].load(), 1) << "round " << round << " task " << i;
    ASSERT_EQ(bad_worker.load(), 0);
  }
}

TEST(ThreadPool, UsesTheWorkers) {
  ThreadPool pool(2);
  std::mutex mutex;
  std::set<int> workers;
  // Tasks that take a while, so the second thread certainly joins.
  pool.parallel_for(64, [&](std::size_t, int worker) {
    volatile double x = 0;
    for (int i = 0; i < 200000; ++i) x = x + 1.0;
    std::lock_guard<std::mutex> lock(mutex);
    workers.insert(worker);
  });
#if defined(EDGEAI_SINGLE_THREAD)
  EXPECT_EQ(workers, (std::set<int>{0}));
#else
  EXPECT_EQ(workers, (std::set<int>{0, 1}));
#endif
}

TEST(ThreadPool, TheOthersTakeTheShareOfAThreadThatIsHeldUp) {
#if !defined(EDGEAI_SINGLE_THREAD)
  // Eight tasks on two threads: shares [0, 4) and [4, 8). Whichever task the worker thread
  // starts first holds it until the caller has run every other task (or 2 s pass), so the
  // caller must have taken the rest of the worker's share.
  ThreadPool pool(2);
  for (int round = 0; round < 20; ++round) {
    std::atomic<int> by_caller{0};
    std::atomic<bool> worker_started{false};
    std::vector<std::atomic<int>> hits(8);
    pool.parallel_for(8, [&](std::size_t task, int worker) {
      hits[task].fetch_add(1);
      if (worker == 0) {
        by_caller.fetch_add(1);
        return;
      }
      if (worker_started.exchange(true)) return;
      const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(2);
      while (by_caller.load() < 7 && std::chrono::steady_clock::now() < until) std::this_thread::yield();
    });
    for (auto& h : hits) ASSERT_EQ(h.load(), 1);
    // The worker ran one task at most when it woke in time (none: the caller ran all eight).
    EXPECT_GE(by_caller.load(), 7) << "round " << round;
  }
#endif
}

TEST(ThreadPool, NullPoolAndOneThreadRunInline) {
  std::vector<int> order;
  parallel_for(nullptr, 4, [&](std::size_t task, int worker) {
    EXPECT_EQ(worker, 0);
    order.push_back(static_cast<int>(task));
  });
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3}));
  ThreadPool one(0);  // clamped to 1
  EXPECT_EQ(one.threads(), 1);
}

}  // namespace
}  // namespace edgeai
