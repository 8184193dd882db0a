// The A/B update state machine (agent/updater.hpp) without the network: installs, each way an
// update must fail without touching the active model, and a writer killed with SIGKILL at
// random instants of an update, 50 times: after a restart the device always has a working
// model and converges to the target version.
#include "agent/updater.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <thread>

#include "format/bundle.hpp"
#include "runtime/session.hpp"
#include "tiny_bundle.hpp"

namespace edgeai {
namespace {

namespace fs = std::filesystem;

// The tiny model with 256 KiB of padding (a download takes many chunks), written to `dir`.
std::vector<std::uint8_t> bundle_bytes(const std::string& version, float scale, bool break_golden,
                                       const fs::path& dir) {
  Bundle bundle = testing::tiny_bundle(version, 2, scale, 65536);
  if (break_golden) {
    for (GoldenVector& v : bundle.manifest.golden) v.outputs[0].second.data<float>()[0] += 1.0f;
  }
  const fs::path path = dir / ("bundle-" + version + (break_golden ? "-bad" : "") + ".eai");
  EXPECT_TRUE(write_bundle(bundle, path.string()).is_ok());
  std::ifstream in(path, std::ios::binary);
  return std::vector<std::uint8_t>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

TargetInfo target_for(const std::vector<std::uint8_t>& bytes, const std::string& version, std::int64_t counter) {
  TargetInfo t;
  t.name = "tiny";
  t.version = version;
  t.sha256 = sha256_hex(std::span<const std::uint8_t>(bytes));
  t.size = static_cast<std::int64_t>(bytes.size());
  t.device_group = "line-1";
  t.release_counter = counter;
  return t;
}

// Serves `bytes` in chunks of at most `chunk`, pausing `pause_us` per chunk (a slow network).
ByteSource serve(const std::vector<std::uint8_t>& bytes, std::size_t chunk = 64 * 1024, int pause_us = 0) {
  return [&bytes, chunk, pause_us](std::int64_t offset, std::uint8_t* out, std::size_t size) -> Result<std::size_t> {
    if (pause_us > 0) std::this_thread::sleep_for(std::chrono::microseconds(pause_us));
    const std::size_t at = static_cast<std::size_t>(offset);
    if (at >= bytes.size()) return std::size_t{0};
    const std::size_t n = std::min({size, chunk, bytes.size() - at});
    std::memcpy(out, bytes.data() + at, n);
    return n;
  };
}

// The active model's output for a fixed input: what users of the device see.
std::vector<float> active_output(const Updater& updater) {
  auto bundle = read_bundle(updater.active_path());
  EXPECT_TRUE(bundle.is_ok()) << bundle.status().to_string();
  auto session = Session::create(std::move(*bundle));
  auto y = (*session)->run_and_copy({Tensor::from_vector<float>({1, 4}, {1, 2, 3, 4})});
  return std::vector<float>((*y)[0].data<float>(), (*y)[0].data<float>() + 3);
}

class UpdaterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("edgeai_updater_test_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
    v1_ = bundle_bytes("1.0.0", 1.0f, false, dir_);
    v2_ = bundle_bytes("2.0.0", 2.0f, false, dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
  std::vector<std::uint8_t> v1_, v2_;
};

TEST_F(UpdaterTest, InstallsThenUpdatesIntoTheOtherSlot) {
  Updater updater((dir_ / "device").string(), "line-1");
  ASSERT_TRUE(updater.open().is_ok());
  EXPECT_EQ(updater.active_path(), "");
  ASSERT_TRUE(updater.update(target_for(v1_, "1.0.0", 1), serve(v1_)).is_ok());
  EXPECT_EQ(updater.record().active_slot, "a");
  const std::vector<float> out1 = active_output(updater);
  ASSERT_TRUE(updater.update(target_for(v2_, "2.0.0", 2), serve(v2_, 4096)).is_ok());
  EXPECT_EQ(updater.record().active_slot, "b");
  EXPECT_EQ(updater.record().active_version, "2.0.0");
  EXPECT_NE(active_output(updater), out1);
  Updater restarted((dir_ / "device").string(), "line-1");
  ASSERT_TRUE(restarted.open().is_ok());
  EXPECT_EQ(restarted.record().active_version, "2.0.0");
  EXPECT_EQ(restarted.record().state, "idle");
}

// The health window after the switch: a new model that no longer serves (here: its file damaged
// between the switch and the health check, as a kill then a bad sector would) sends the device
// back to the previous slot, which serves as before.
TEST_F(UpdaterTest, AFailedHealthWindowMakesThePreviousSlotActiveAgain) {
  const std::string device = (dir_ / "device").string();
  {
    Updater updater(device, "line-1");
    ASSERT_TRUE(updater.open().is_ok());
    ASSERT_TRUE(updater.update(target_for(v1_, "1.0.0", 1), serve(v1_)).is_ok());
  }
  std::vector<float> out1;
  {
    Updater updater(device, "line-1");
    ASSERT_TRUE(updater.open().is_ok());
    out1 = active_output(updater);
    ASSERT_TRUE(updater.update(target_for(v2_, "2.0.0", 2), serve(v2_)).is_ok());
    ASSERT_EQ(updater.record().active_slot, "b");
    // Back to the instant after the switch, the health window not yet passed.
    DeviceRecord r = updater.record();
    r.state = "active";
    ASSERT_TRUE(Journal((fs::path(device) / "state").string()).write(record_to_json(r)).is_ok());
    std::ofstream(updater.active_path(), std::ios::binary | std::ios::trunc) << "damaged";
  }
  Updater restarted(device, "line-1");
  ASSERT_TRUE(restarted.open().is_ok());
  ASSERT_EQ(restarted.record().state, "active");
  EXPECT_FALSE(restarted.resume(serve(v2_)).is_ok());
  EXPECT_EQ(restarted.record().state, "rolled_back");
  EXPECT_EQ(restarted.record().active_slot, "a");
  EXPECT_EQ(restarted.record().active_version, "1.0.0");
  EXPECT_EQ(restarted.record().active_counter, 1);
  EXPECT_NE(restarted.record().last_error.find("health check"), std::string::npos) << restarted.record().last_error;
  EXPECT_EQ(active_output(restarted), out1);
}

TEST_F(UpdaterTest, FailedUpdatesRollBackAndLeaveTheActiveModelAsItWas) {
  Updater updater((dir_ / "device").string(), "line-1");
  ASSERT_TRUE(updater.open().is_ok());
  ASSERT_TRUE(updater.update(target_for(v1_, "1.0.0", 1), serve(v1_)).is_ok());
  const std::vector<float> before = active_output(updater);
  std::vector<std::uint8_t> tampered = v2_;
  tampered[tampered.size() / 2] ^= 1;
  std::vector<std::uint8_t> inflated = v2_;
  inflated.resize(v2_.size() + 10, 0);
  const std::vector<std::uint8_t> bad = bundle_bytes("2.0.1", 3.0f, true, dir_);
  struct Case {
    const char* what;
    TargetInfo target;
    std::vector<std::uint8_t>* bytes;
    StatusCode code;
  };
  std::vector<Case> cases = {
      {"flipped byte in the bundle", target_for(v2_, "2.0.0", 2), &tampered, StatusCode::kDataLoss},
      {"server streams past the signed size", target_for(v2_, "2.0.0", 2), &inflated, StatusCode::kOutOfRange},
      {"golden vectors fail (bad release)", target_for(bad, "2.0.1", 2), const_cast<std::vector<std::uint8_t>*>(&bad),
       StatusCode::kFailedPrecondition},
      {"older version (rollback)", target_for(v1_, "0.9.0", 2), &v1_, StatusCode::kFailedPrecondition},
  };
  for (const Case& c : cases) {
    const Status s = updater.update(c.target, serve(*c.bytes));
    std::printf("  %-40s -> %s\n", c.what, s.to_string().c_str());
    EXPECT_EQ(s.code(), c.code) << c.what << ": " << s.to_string();
    EXPECT_EQ(updater.record().active_version, "1.0.0") << c.what;
    EXPECT_EQ(updater.record().active_slot, "a") << c.what;
    EXPECT_EQ(active_output(updater), before) << c.what;
  }
  EXPECT_EQ(updater.record().state, "rolled_back");
  EXPECT_NE(updater.record().last_error.find("golden vector"), std::string::npos) << updater.record().last_error;
  // A good release still goes through afterwards.
  ASSERT_TRUE(updater.update(target_for(v2_, "2.0.0", 2), serve(v2_)).is_ok());
  EXPECT_EQ(updater.record().active_version, "2.0.0");
}

TEST_F(UpdaterTest, ANetworkErrorLeavesTheDownloadToResumeAndAnUpdateInProgressBlocksAnother) {
  Updater updater((dir_ / "device").string(), "line-1");
  ASSERT_TRUE(updater.open().is_ok());
  ASSERT_TRUE(updater.update(target_for(v1_, "1.0.0", 1), serve(v1_)).is_ok());
  const std::size_t cut = v2_.size() / 2;
  ByteSource flaky = [&](std::int64_t offset, std::uint8_t* out, std::size_t size) -> Result<std::size_t> {
    if (static_cast<std::size_t>(offset) >= cut) return io_error("connection reset");
    const std::size_t n = std::min({size, std::size_t{4096}, cut - static_cast<std::size_t>(offset)});
    std::memcpy(out, v2_.data() + offset, n);
    return n;
  };
  const Status interrupted = updater.update(target_for(v2_, "2.0.0", 2), flaky);
  EXPECT_EQ(interrupted.code(), StatusCode::kIoError) << interrupted.to_string();
  EXPECT_EQ(updater.record().state, "downloading");
  EXPECT_EQ(updater.record().active_version, "1.0.0");
  EXPECT_EQ(updater.update(target_for(v2_, "2.0.0", 2), serve(v2_)).code(), StatusCode::kFailedPrecondition)
      << "a second update while one is in progress";
  std::int64_t first_offset = -1;
  ByteSource rest = [&](std::int64_t offset, std::uint8_t* out, std::size_t size) -> Result<std::size_t> {
    if (first_offset < 0) first_offset = offset;
    return serve(v2_)(offset, out, size);
  };
  ASSERT_TRUE(updater.resume(rest).is_ok());
  EXPECT_EQ(first_offset, static_cast<std::int64_t>(cut)) << "the download resumes where it stopped";
  EXPECT_EQ(updater.record().active_version, "2.0.0");
}

TEST_F(UpdaterTest, ADamagedDeviceRecordIsAnErrorNotAFreshDevice) {
  Updater updater((dir_ / "device").string(), "line-1");
  ASSERT_TRUE(updater.open().is_ok());
  ASSERT_TRUE(updater.update(target_for(v1_, "1.0.0", 1), serve(v1_)).is_ok());
  const std::string good = record_to_json(updater.record());
  ASSERT_TRUE(record_from_json(good).is_ok());
  const auto replaced = [&](const std::string& from, const std::string& to) {
    std::string text = good;
    const std::size_t at = text.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return text.replace(at, from.size(), to);
  };
  for (const std::string& bad :
       {std::string("[]"), std::string("{"), replaced("\"state\":\"idle\"", "\"state\":\"dancing\""),
        replaced("\"active_slot\":\"a\"", "\"active_slot\":\"../c\""),
        replaced("\"active_counter\":1", "\"active_counter\":\"1\""), replaced("\"last_error\":\"\",", "")}) {
    EXPECT_EQ(record_from_json(bad).status().code(), StatusCode::kDataLoss) << bad;
  }
  ASSERT_TRUE(
      Journal((dir_ / "device" / "state").string()).write(replaced("\"state\":\"idle\"", "\"state\":\"x\"")).is_ok());
  Updater restarted((dir_ / "device").string(), "line-1");
  EXPECT_EQ(restarted.open().code(), StatusCode::kDataLoss);
}

TEST_F(UpdaterTest, AKillAtAnyInstantNeverLeavesTheDeviceWithoutAWorkingModel) {
  std::mt19937 rng(42);
  const TargetInfo t1 = target_for(v1_, "1.0.0", 1), t2 = target_for(v2_, "2.0.0", 2);
  int trials = 0, failures = 0;
  std::map<std::string, int> killed_in;
  for (int trial = 0; trial < 50; ++trial) {
    const std::string data = (dir_ / ("device" + std::to_string(trial))).string();
    {
      Updater updater(data, "line-1");
      ASSERT_TRUE(updater.open().is_ok());
      ASSERT_TRUE(updater.update(t1, serve(v1_)).is_ok());
    }
    int ready[2];
    ASSERT_EQ(::pipe(ready), 0);
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      ::close(ready[0]);
      Updater updater(data, "line-1");
      if (!updater.open().is_ok()) ::_exit(2);
      if (::write(ready[1], "r", 1) != 1) ::_exit(4);  // started: the parent times the kill from here
      ::_exit(updater.update(t2, serve(v2_, 4096, 40)).is_ok() ? 0 : 1);
    }
    ::close(ready[1]);
    char started = 0;
    ASSERT_EQ(::read(ready[0], &started, 1), 1);  // a loaded machine may be slow to start the child
    ::close(ready[0]);
    std::this_thread::sleep_for(std::chrono::microseconds(rng() % 25000));
    ::kill(child, SIGKILL);
    int status = 0;
    ::waitpid(child, &status, 0);
    ++trials;
    // A restart: what the journal says, then the update carried through.
    Updater updater(data, "line-1");
    bool ok = updater.open().is_ok();
    if (ok) {
      killed_in[updater.record().state == "idle" ? updater.record().active_version : updater.record().state] += 1;
      ok = validate_bundle(updater.active_path()).is_ok();  // a working model right after the kill
      Status resumed = updater.resume(serve(v2_));
      // The agent's loop: not at the target yet (killed before the update began) -> start it.
      if (resumed.is_ok() && updater.record().active_version != "2.0.0") resumed = updater.update(t2, serve(v2_));
      ok = ok && resumed.is_ok() && updater.record().active_version == "2.0.0" &&
           validate_bundle(updater.active_path()).is_ok();
      if (!ok) std::printf("  trial %d: %s\n", trial, resumed.to_string().c_str());
    }
    if (!ok) ++failures;
  }
  std::printf("  update kill trials: %d, failures: %d; state at the kill:", trials, failures);
  for (const auto& [state, n] : killed_in) std::printf(" %s %d", state.c_str(), n);
  std::printf("\n");
  EXPECT_EQ(failures, 0);
  const int mid_update = trials - killed_in["1.0.0"] - killed_in["2.0.0"];
  EXPECT_GE(mid_update, 10) << "too few kills landed inside an update for the test to mean much";
}

}  // namespace
}  // namespace edgeai
