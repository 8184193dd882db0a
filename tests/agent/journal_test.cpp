// The agent's journal (agent/journal.hpp): records round trip, damage is reported, and a
// writer killed with SIGKILL at random instants always leaves a whole record behind.
#include "agent/journal.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

namespace edgeai {
namespace {

namespace fs = std::filesystem;

class JournalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("edgeai_journal_test_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

// A record that says how long it is, so a torn one would show.
std::string record(int i, std::size_t padding) {
  return "record " + std::to_string(i) + " " + std::to_string(padding) + " " + std::string(padding, 'x');
}
bool is_whole_record(const std::string& text) {
  std::istringstream in(text);
  std::string word;
  int i = 0;
  std::size_t padding = 0;
  in >> word >> i >> padding;
  const std::string head = "record " + std::to_string(i) + " " + std::to_string(padding) + " ";
  return word == "record" && text == head + std::string(padding, 'x');
}

TEST_F(JournalTest, RecordsRoundTripAndReplaceEachOther) {
  Journal journal((dir_ / "state").string());
  auto none = journal.read();
  ASSERT_TRUE(none.is_ok()) << none.status().to_string();
  EXPECT_FALSE(none->has_value());
  ASSERT_TRUE(journal.write("{\"state\":\"idle\"}").is_ok());
  EXPECT_EQ(journal.read()->value(), "{\"state\":\"idle\"}");
  ASSERT_TRUE(journal.write("").is_ok());
  EXPECT_EQ(journal.read()->value(), "");
  ASSERT_TRUE(journal.write(std::string(100000, 'z') + std::string("\n\0tail", 6)).is_ok());
  EXPECT_EQ(journal.read()->value().size(), 100006u);
  EXPECT_FALSE(fs::exists(dir_ / "state.tmp"));
  EXPECT_FALSE(Journal((dir_ / "missing" / "state").string()).write("x").is_ok());
}

TEST_F(JournalTest, DamagedRecordsAreReportedNotTrusted) {
  Journal journal((dir_ / "state").string());
  ASSERT_TRUE(journal.write("{\"state\":\"active\",\"slot\":\"a\"}").is_ok());
  std::string bytes;
  {
    std::ifstream in(journal.path(), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    bytes = ss.str();
  }
  const auto damage = [&](const std::string& changed) {
    std::ofstream(journal.path(), std::ios::binary | std::ios::trunc) << changed;
    return journal.read().status();
  };
  std::string flipped = bytes;
  flipped[flipped.size() - 3] ^= 1;
  EXPECT_EQ(damage(flipped).code(), StatusCode::kDataLoss);
  EXPECT_EQ(damage(bytes.substr(0, bytes.size() - 1)).code(), StatusCode::kDataLoss);
  EXPECT_EQ(damage(bytes + "x").code(), StatusCode::kDataLoss);
  EXPECT_EQ(damage("garbage").code(), StatusCode::kDataLoss);
  EXPECT_EQ(damage("").code(), StatusCode::kDataLoss);
  EXPECT_TRUE(damage(bytes).is_ok());
}

TEST_F(JournalTest, AWriterKilledAtAnyInstantLeavesAWholeRecord) {
  const std::string path = (dir_ / "state").string();
  std::mt19937 rng(20261126);
  int trials = 0, failures = 0, records_seen = 0;
  for (int trial = 0; trial < 60; ++trial) {
    int ready[2];
    ASSERT_EQ(::pipe(ready), 0);
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      ::close(ready[0]);
      // Writes records of varying size as fast as it can until killed.
      Journal journal(path);
      if (::write(ready[1], "r", 1) != 1) ::_exit(4);  // started: the parent times the kill from here
      std::mt19937 sizes(static_cast<unsigned>(trial));
      for (int i = 0;; ++i) {
        if (!journal.write(record(i, sizes() % 200000)).is_ok()) ::_exit(3);
      }
    }
    ::close(ready[1]);
    char started = 0;
    ASSERT_EQ(::read(ready[0], &started, 1), 1);  // a loaded machine may be slow to start the child
    ::close(ready[0]);
    std::this_thread::sleep_for(std::chrono::microseconds(rng() % 30000));
    ::kill(child, SIGKILL);
    int status = 0;
    ::waitpid(child, &status, 0);
    ++trials;
    auto got = Journal(path).read();
    // Before the first rename there is no record yet; after it, always a whole one.
    const bool ok = got.is_ok() && (!got->has_value() || is_whole_record(**got));
    if (!ok) {
      ++failures;
      ADD_FAILURE() << "trial " << trial << ": " << (got.is_ok() ? "a torn record" : got.status().to_string());
    }
    if (got.is_ok() && got->has_value()) ++records_seen;
  }
  std::printf("  journal kill trials: %d, failures: %d, whole records found: %d\n", trials, failures, records_seen);
  EXPECT_EQ(failures, 0);
  EXPECT_GT(records_seen, trials / 2);  // the kills landed mid-stream, not before the first write
}

}  // namespace
}  // namespace edgeai
