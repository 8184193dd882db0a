// The device's telemetry outbox (agent/telemetry_queue.hpp): order and acknowledgement, the
// bound with drop-oldest and its counter, sequence numbers that survive a restart and are never
// reused, and a writer killed with SIGKILL mid-push: every push that returned is in the queue
// or counted as dropped, and nothing is there twice.
#include "agent/telemetry_queue.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <random>
#include <thread>

namespace edgeai {
namespace {

namespace fs = std::filesystem;

class TelemetryQueueTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("edgeai-telemetry-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path() const { return (dir_ / "telemetry.db").string(); }
  fs::path dir_;
};

TEST_F(TelemetryQueueTest, ItemsComeOutInOrderUntilAcknowledged) {
  auto q = TelemetryQueue::open(path(), 100);
  ASSERT_TRUE(q.is_ok()) << q.status().to_string();
  std::vector<std::int64_t> sequences;
  for (int i = 0; i < 3; ++i) sequences.push_back(*(*q)->push("window", "{\"i\":" + std::to_string(i) + "}", 1000 + i));
  EXPECT_LT(sequences[0], sequences[1]);
  EXPECT_LT(sequences[1], sequences[2]);
  auto items = (*q)->peek(10);
  ASSERT_TRUE(items.is_ok());
  ASSERT_EQ(items->size(), 3u);
  EXPECT_EQ((*items)[1].body, "{\"i\":1}");
  EXPECT_EQ((*items)[2].created_at, 1002);
  EXPECT_EQ((*q)->peek(2)->size(), 2u);
  ASSERT_TRUE((*q)->acknowledge(sequences[1]).is_ok());
  items = (*q)->peek(10);
  ASSERT_EQ(items->size(), 1u);
  EXPECT_EQ((*items)[0].sequence, sequences[2]);
  EXPECT_EQ(*(*q)->dropped(), 0);
}

TEST_F(TelemetryQueueTest, PastTheBoundTheOldestAreDroppedAndCounted) {
  auto q = TelemetryQueue::open(path(), 5);
  ASSERT_TRUE(q.is_ok());
  for (int i = 0; i < 8; ++i) ASSERT_TRUE((*q)->push("event", std::to_string(i), i).is_ok());
  EXPECT_EQ(*(*q)->size(), 5);
  EXPECT_EQ(*(*q)->dropped(), 3);
  auto items = (*q)->peek(100);
  ASSERT_EQ(items->size(), 5u);
  EXPECT_EQ(items->front().body, "3");
  EXPECT_EQ(items->back().body, "7");
  EXPECT_FALSE(TelemetryQueue::open(path(), 0).is_ok());
}

TEST_F(TelemetryQueueTest, ItemsOutForDeliveryAreNotDroppedWhileTheServerMayBeStoringThem) {
  auto q = TelemetryQueue::open(path(), 3);
  ASSERT_TRUE(q.is_ok());
  for (int i = 1; i <= 3; ++i) ASSERT_TRUE((*q)->push("window", std::to_string(i), i).is_ok());
  auto out = (*q)->take_for_delivery(2);  // 1 and 2 go to the server
  ASSERT_EQ(out->size(), 2u);
  // Two more arrive meanwhile: past the bound, 3 and then 4 are dropped, not the two in flight.
  ASSERT_TRUE((*q)->push("window", "4", 4).is_ok());
  ASSERT_TRUE((*q)->push("window", "5", 5).is_ok());
  EXPECT_EQ(*(*q)->dropped(), 2);
  auto left = (*q)->peek(10);
  ASSERT_EQ(left->size(), 3u);
  EXPECT_EQ((*left)[0].body, "1");
  EXPECT_EQ((*left)[1].body, "2");
  EXPECT_EQ((*left)[2].body, "5");
  // Delivered: everything counts once, as stored or as dropped.
  ASSERT_TRUE((*q)->acknowledge(2).is_ok());
  EXPECT_EQ(*(*q)->size(), 1);
  // A failed delivery frees the items for the bound again.
  out = (*q)->take_for_delivery(10);
  (*q)->delivery_failed();
  for (int i = 6; i <= 8; ++i) ASSERT_TRUE((*q)->push("window", std::to_string(i), i).is_ok());
  left = (*q)->peek(10);
  ASSERT_EQ(left->size(), 3u);
  EXPECT_EQ((*left)[0].body, "6");
}

TEST_F(TelemetryQueueTest, ARestartKeepsItemsAndNeverReusesASequenceNumber) {
  std::int64_t last = 0;
  {
    auto q = TelemetryQueue::open(path(), 3);
    for (int i = 0; i < 4; ++i) last = *(*q)->push("window", std::to_string(i), i);
    ASSERT_TRUE((*q)->acknowledge(last).is_ok());  // everything delivered
  }
  auto q = TelemetryQueue::open(path(), 3);
  ASSERT_TRUE(q.is_ok());
  EXPECT_EQ(*(*q)->size(), 0);
  EXPECT_EQ(*(*q)->dropped(), 1);
  const std::int64_t next = *(*q)->push("window", "after", 10);
  EXPECT_GT(next, last) << "a sequence number came back after a restart: the server would drop it as a duplicate";
}

TEST_F(TelemetryQueueTest, AWriterKilledMidPushLosesNothingThatWasPushed) {
  constexpr int kTrials = 10;
  std::mt19937 rng(11);
  for (int trial = 0; trial < kTrials; ++trial) {
    fs::remove(path());
    fs::remove(path() + "-wal");
    fs::remove(path() + "-shm");
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    const pid_t pid = ::fork();
    if (pid == 0) {
      ::close(fds[0]);
      auto q = TelemetryQueue::open(path(), 50);
      if (!q.is_ok()) ::_exit(2);
      for (int i = 0;; ++i) {
        Result<std::int64_t> s = (*q)->push("window", std::string(200, 'x'), i);
        if (!s.is_ok()) ::_exit(3);
        const std::int64_t v = *s;
        if (::write(fds[1], &v, sizeof v) != sizeof v) ::_exit(4);
      }
    }
    ::close(fds[1]);
    // Wait for the first push to return (a loaded machine may take longer than the kill delay just to start the
    // child), then kill it somewhere in the middle of later pushes.
    std::int64_t v = 0, last_returned = 0;
    if (::read(fds[0], &v, sizeof v) == sizeof v) last_returned = v;
    std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution<int>(5, 60)(rng)));
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    while (::read(fds[0], &v, sizeof v) == sizeof v) last_returned = v;
    ::close(fds[0]);
    ASSERT_GT(last_returned, 0) << "trial " << trial << ": the writer pushed nothing";
    auto q = TelemetryQueue::open(path(), 50);
    ASSERT_TRUE(q.is_ok()) << q.status().to_string();
    auto items = (*q)->peek(1000);
    ASSERT_TRUE(items.is_ok());
    const std::int64_t newest = items->empty() ? 0 : items->back().sequence;
    EXPECT_GE(newest, last_returned) << "trial " << trial << ": a push that returned was lost";
    EXPECT_LE(static_cast<std::int64_t>(items->size()), 50);
    for (std::size_t i = 1; i < items->size(); ++i) {
      EXPECT_EQ((*items)[i].sequence, (*items)[i - 1].sequence + 1) << "trial " << trial;
    }
    // Every item ever pushed is either still there or counted as dropped.
    EXPECT_EQ(static_cast<std::int64_t>(items->size()) + *(*q)->dropped(), newest) << "trial " << trial;
  }
}

}  // namespace
}  // namespace edgeai
