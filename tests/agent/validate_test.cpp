// Validation before activation (agent/validate.hpp): a bundle passes only if it loads, every
// golden vector matches within its tolerance and the latency budget holds.
#include "agent/validate.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "format/bundle.hpp"
#include "runtime/session.hpp"
#include "tiny_bundle.hpp"

namespace edgeai {
namespace {

namespace fs = std::filesystem;

Bundle make_bundle(int golden) { return testing::tiny_bundle("1.0.0", golden); }

class ValidateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("edgeai_validate_test_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string write(const Bundle& bundle, const std::string& name) {
    const std::string path = (dir_ / name).string();
    EXPECT_TRUE(write_bundle(bundle, path).is_ok());
    return path;
  }
  fs::path dir_;
};

TEST_F(ValidateTest, AGoodBundlePassesEveryGoldenVector) {
  auto report = validate_bundle(write(make_bundle(3), "good.eai"));
  ASSERT_TRUE(report.is_ok()) << report.status().to_string();
  EXPECT_EQ(report->golden_vectors, 3);
  EXPECT_LE(report->worst_excess, 1.0);
  EXPECT_GT(report->median_latency_ms, 0.0);
}

TEST_F(ValidateTest, AWrongGoldenOutputNamesVectorOutputAndElement) {
  Bundle bundle = make_bundle(3);
  bundle.manifest.golden[2].outputs[0].second.data<float>()[1] += 0.5f;  // a retrain that broke the model
  auto report = validate_bundle(write(bundle, "bad.eai"));
  ASSERT_FALSE(report.is_ok());
  EXPECT_EQ(report.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(report.status().message().find("golden vector 2 output 'y' element 1"), std::string::npos)
      << report.status().to_string();
}

TEST_F(ValidateTest, BundlesThatCannotRunOrHaveNothingToCheckFail) {
  EXPECT_EQ(validate_bundle(write(make_bundle(0), "none.eai")).status().code(), StatusCode::kFailedPrecondition);
  Bundle unknown = make_bundle(1);
  unknown.graph.nodes[1].op_type = "NoSuchOperator";
  auto report = validate_bundle(write(unknown, "unknown.eai"));
  ASSERT_FALSE(report.is_ok());
  EXPECT_NE(report.status().message().find("does not load"), std::string::npos) << report.status().to_string();
  const std::string truncated = (dir_ / "cut.eai").string();
  const std::string good = write(make_bundle(1), "whole.eai");
  fs::copy_file(good, truncated);
  fs::resize_file(truncated, fs::file_size(good) / 2);
  EXPECT_FALSE(validate_bundle(truncated).is_ok());
  EXPECT_FALSE(validate_bundle((dir_ / "missing.eai").string()).is_ok());
}

TEST_F(ValidateTest, GoldenVectorsNamingNoSuchInputOrOutputFail) {
  Bundle no_input = make_bundle(1);
  no_input.manifest.golden[0].inputs[0].first = "image";
  auto a = validate_bundle(write(no_input, "no_input.eai"));
  ASSERT_FALSE(a.is_ok());
  EXPECT_NE(a.status().message().find("no input 'x'"), std::string::npos) << a.status().to_string();
  Bundle no_output = make_bundle(1);
  no_output.manifest.golden[0].outputs[0].first = "logits";
  auto b = validate_bundle(write(no_output, "no_output.eai"));
  ASSERT_FALSE(b.is_ok());
  EXPECT_NE(b.status().message().find("no output 'logits'"), std::string::npos) << b.status().to_string();
}

TEST_F(ValidateTest, TheLatencyBudgetHoldsFromOptionsOrManifest) {
  ValidationOptions options;
  options.latency_budget_ms = 1e-9;  // no inference is that fast
  auto over = validate_bundle(write(make_bundle(1), "slow.eai"), options);
  ASSERT_FALSE(over.is_ok());
  EXPECT_NE(over.status().message().find("over the budget"), std::string::npos) << over.status().to_string();
  Bundle generous = make_bundle(1);
  generous.manifest.metadata["latency_budget_ms"] = "10000";
  auto ok = validate_bundle(write(generous, "budget.eai"), options);  // the manifest's budget wins
  ASSERT_TRUE(ok.is_ok()) << ok.status().to_string();
  EXPECT_EQ(ok->budget_ms, 10000.0);
  Bundle garbled = make_bundle(1);
  garbled.manifest.metadata["latency_budget_ms"] = "fast";
  EXPECT_EQ(validate_bundle(write(garbled, "garbled.eai")).status().code(), StatusCode::kInvalidArgument);
}

// The capability check: what the bundle says it needs against this device.
TEST_F(ValidateTest, ABundleNeedingMoreThanThisDeviceHasIsRefusedNamingWhat) {
  Bundle newer = make_bundle(1);
  newer.manifest.metadata["requires_runtime"] = "0.2.0";
  auto report = validate_bundle(write(newer, "newer.eai"));
  ASSERT_FALSE(report.is_ok());
  EXPECT_NE(report.status().message().find("needs runtime 0.2.0"), std::string::npos) << report.status().to_string();
  Bundle same = make_bundle(1);
  same.manifest.metadata["requires_runtime"] = kRuntimeVersion;
  EXPECT_TRUE(validate_bundle(write(same, "same.eai")).is_ok());

  Bundle cpu = make_bundle(1);
  cpu.manifest.metadata["requires_cpu"] = "avx2,quantum_annealer";
  report = validate_bundle(write(cpu, "cpu.eai"));
  ASSERT_FALSE(report.is_ok());
  EXPECT_NE(report.status().message().find("'quantum_annealer', unknown here"), std::string::npos)
      << report.status().to_string();

  ValidationOptions tiny_arena;
  tiny_arena.max_arena_bytes = 1;
  report = validate_bundle(write(make_bundle(1), "arena.eai"), tiny_arena);
  ASSERT_FALSE(report.is_ok());
  EXPECT_NE(report.status().message().find("this device allows 1"), std::string::npos) << report.status().to_string();
}

TEST_F(ValidateTest, TheHealthWindowRunsTheGoldenInputsAndRefusesABundleThatDoesNotLoad) {
  EXPECT_TRUE(check_health(write(make_bundle(2), "good.eai"), 5).is_ok());
  EXPECT_FALSE(check_health(write(make_bundle(0), "none.eai"), 5).is_ok()) << "nothing to run";
  const std::string broken = (dir_ / "broken.eai").string();
  std::ofstream(broken) << "not a bundle";
  EXPECT_FALSE(check_health(broken, 5).is_ok());
}

}  // namespace
}  // namespace edgeai
