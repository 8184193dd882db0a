// The update server's store (server/store.hpp) on SQLite and on PostgreSQL, one suite for both:
// enrollment tokens are single-use and expire, credentials find their device only, phased
// campaigns assign the canary first and move on after the soak, a failure rate over the limit
// halts a campaign by itself and keeps every further device off the release, manual halt and
// resume, and what a device may see and download.
#include "server/store.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "test_databases.hpp"

namespace edgeai::server {
namespace {

class StoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    Result<testing::TestDatabase> db = testing::make_test_database(GetParam());
    ASSERT_TRUE(db.is_ok()) << db.status().to_string();
    location_ = db->location();
    db_ = std::make_unique<testing::TestDatabase>(std::move(db).value());
    // The store owns a second connection to the same database; the test one keeps it alive.
    Result<std::unique_ptr<Database>> second = open_database(location_);
    ASSERT_TRUE(second.is_ok()) << second.status().to_string();
    Result<std::unique_ptr<Store>> store = Store::open(std::move(second).value());
    ASSERT_TRUE(store.is_ok()) << store.status().to_string();
    store_ = std::move(store).value();
  }
  void TearDown() override {
    store_.reset();
    db_.reset();
  }

  // Enrolls `n` devices into `group`, named prefix0, prefix1, ...
  std::vector<std::string> enroll(const std::string& group, int n, const std::string& prefix) {
    auto tokens = store_->create_enrollment_tokens(group, {"cam"}, n, 3600, 1000);
    EXPECT_TRUE(tokens.is_ok()) << tokens.status().to_string();
    std::vector<std::string> ids;
    for (int i = 0; i < n; ++i) {
      auto d = store_->enroll((*tokens)[i], prefix + std::to_string(i), "cred-" + prefix + std::to_string(i), 1000);
      EXPECT_TRUE(d.is_ok()) << d.status().to_string();
      ids.push_back(d->id);
    }
    return ids;
  }

  void publish(const std::string& version, std::int64_t counter, const std::string& group = "line") {
    ReleaseRow r;
    r.target = {"model", version, std::string(64, static_cast<char>('a' + counter % 6)), 100, group, counter, false};
    r.targets_envelope = "{}";
    r.uploaded_at = 1000;
    ASSERT_TRUE(store_->add_release(r).is_ok());
  }

  // Reports each listed device as having installed (or failed) `version`.
  void report(const std::vector<std::string>& ids, const std::string& version, bool failed, std::int64_t now) {
    for (const std::string& id : ids) {
      DeviceReport rep;
      rep.state = failed ? "rolled_back" : "idle";
      rep.active_version = failed ? "" : version;
      rep.target_version = version;
      rep.last_error = failed ? "golden vector 0 differs" : "";
      Result<bool> settled = store_->record_report(id, rep, now);
      ASSERT_TRUE(settled.is_ok());
    }
  }

  std::vector<std::string> assigned(std::int64_t campaign) {
    std::vector<std::string> ids;
    Result<std::vector<AssignmentRow>> rows = store_->assignments(campaign);
    EXPECT_TRUE(rows.is_ok()) << rows.status().to_string();
    if (!rows.is_ok()) return ids;
    for (const AssignmentRow& a : rows.value()) ids.push_back(a.device_id);
    return ids;
  }

  std::string location_;
  std::unique_ptr<testing::TestDatabase> db_;
  std::unique_ptr<Store> store_;
};

TEST_P(StoreTest, EnrollmentTokensAreSingleUseAndExpire) {
  auto tokens = store_->create_enrollment_tokens("line", {"a", "b"}, 2, 100, 1000);
  ASSERT_TRUE(tokens.is_ok());
  ASSERT_EQ(tokens->size(), 2u);
  EXPECT_NE((*tokens)[0], (*tokens)[1]);
  auto d = store_->enroll((*tokens)[0], "cam-1", "h1", 1010);
  ASSERT_TRUE(d.is_ok()) << d.status().to_string();
  EXPECT_EQ(d->device_group, "line");
  EXPECT_EQ(d->tags, (std::vector<std::string>{"a", "b"}));
  EXPECT_FALSE(store_->enroll((*tokens)[0], "cam-2", "h2", 1010).is_ok()) << "a spent token enrolled again";
  EXPECT_FALSE(store_->enroll((*tokens)[1], "cam-3", "h3", 1100).is_ok()) << "an expired token enrolled";
  EXPECT_FALSE(store_->enroll("enr_guess", "cam-4", "h4", 1010).is_ok());
  EXPECT_FALSE(store_->enroll((*tokens)[1], "../etc", "h5", 1010).is_ok()) << "unsafe device name";
  // The credential finds its own device and nothing else.
  auto by = store_->device_by_credential("h1");
  ASSERT_TRUE(by.is_ok() && by->has_value());
  EXPECT_EQ((*by)->id, "cam-1");
  EXPECT_FALSE(store_->device_by_credential("h2")->has_value());
}

TEST_P(StoreTest, DevicesFilterByGroupAndTag) {
  enroll("line", 2, "l");
  auto tokens = store_->create_enrollment_tokens("shelf", {"aisle-3"}, 1, 3600, 1000);
  ASSERT_TRUE(store_->enroll((*tokens)[0], "s0", "hs", 1000).is_ok());
  EXPECT_EQ(store_->devices("line")->size(), 2u);
  EXPECT_EQ(store_->devices("", "aisle-3")->size(), 1u);
  EXPECT_EQ(store_->devices("", "cam")->size(), 2u);
  EXPECT_EQ(store_->devices()->size(), 3u);
  ASSERT_TRUE(store_->set_device_labels("s0", std::string("line"), std::vector<std::string>{"x"}).is_ok());
  EXPECT_EQ(store_->devices("line")->size(), 3u);
  EXPECT_EQ(store_->devices("", "aisle-3")->size(), 0u);
  EXPECT_EQ(store_->set_device_labels("nobody", std::nullopt, std::nullopt).code(), StatusCode::kNotFound);
}

TEST_P(StoreTest, PhasesAssignTheCanaryFirstAndWaitForTheSoak) {
  const std::vector<std::string> ids = enroll("line", 10, "d");
  publish("2.0.0", 2);
  CampaignRow spec;
  spec.release_name = "model";
  spec.release_version = "2.0.0";
  spec.phases = {10, 50, 100};
  spec.soak_seconds = 30;
  auto c = store_->create_campaign(spec, 2000);
  ASSERT_TRUE(c.is_ok()) << c.status().to_string();
  EXPECT_EQ(c->device_group, "line");
  // A report settles only an assignment of the reported version.
  DeviceReport early{"idle", "2.0.0", "2.0.0", ""};
  EXPECT_FALSE(*store_->record_report("d5", early, 2001)) << "settled an assignment d5 does not have";
  // Phase 0: the first device enrolled only.
  EXPECT_EQ(assigned(c->id), (std::vector<std::string>{"d0"}));
  EXPECT_TRUE(store_->desired("d0")->has_value());
  EXPECT_FALSE(store_->desired("d1")->has_value());
  EXPECT_TRUE(*store_->may_download("d0", std::string(64, 'c')));
  EXPECT_FALSE(*store_->may_download("d1", std::string(64, 'c'))) << "an unassigned device may download";
  ASSERT_TRUE(store_->advance_campaigns(2010).is_ok());
  EXPECT_EQ(assigned(c->id).size(), 1u) << "moved on before the canary finished";
  report({"d0"}, "2.0.0", false, 2020);
  ASSERT_TRUE(store_->advance_campaigns(2020).is_ok());  // phase done: the soak starts
  ASSERT_TRUE(store_->advance_campaigns(2049).is_ok());
  EXPECT_EQ(assigned(c->id).size(), 1u) << "moved on during the soak";
  ASSERT_TRUE(store_->advance_campaigns(2050).is_ok());
  ASSERT_TRUE(store_->advance_campaigns(2050).is_ok());
  EXPECT_EQ(assigned(c->id), (std::vector<std::string>{"d0", "d1", "d2", "d3", "d4"}));
  report({"d1", "d2", "d3", "d4"}, "2.0.0", false, 2060);
  for (std::int64_t t : {2060, 2090, 2091}) ASSERT_TRUE(store_->advance_campaigns(t).is_ok());
  EXPECT_EQ(assigned(c->id).size(), 10u);
  std::vector<std::string> rest(ids.begin() + 5, ids.end());
  report(rest, "2.0.0", false, 2100);
  ASSERT_TRUE(store_->advance_campaigns(2100).is_ok());
  EXPECT_EQ((*store_->campaign(c->id))->state, "completed");
  Result<std::vector<AssignmentRow>> rows = store_->assignments(c->id);
  ASSERT_TRUE(rows.is_ok());
  for (const AssignmentRow& a : rows.value()) EXPECT_EQ(a.result, "installed") << a.device_id;
  EXPECT_EQ((*store_->device("d7"))->active_version, "2.0.0");
}

TEST_P(StoreTest, AFailedCanaryHaltsTheCampaignAndNoOtherDeviceGetsTheRelease) {
  enroll("line", 4, "d");
  publish("1.0.0", 1);
  publish("2.0.0", 2);
  CampaignRow good;
  good.release_name = "model";
  good.release_version = "1.0.0";
  auto c1 = store_->create_campaign(good, 1000);
  ASSERT_TRUE(c1.is_ok());
  report({"d0", "d1", "d2", "d3"}, "1.0.0", false, 1001);
  ASSERT_TRUE(store_->advance_campaigns(1001).is_ok());
  CampaignRow bad = good;
  bad.release_version = "2.0.0";
  bad.phases = {25, 100};
  auto c2 = store_->create_campaign(bad, 1100);
  ASSERT_TRUE(c2.is_ok());
  report({"d0"}, "2.0.0", true, 1110);
  for (std::int64_t t : {1110, 1200, 5000}) ASSERT_TRUE(store_->advance_campaigns(t).is_ok());
  auto halted = *store_->campaign(c2->id);
  EXPECT_EQ(halted->state, "halted");
  EXPECT_NE(halted->halt_reason.find("golden vector 0 differs"), std::string::npos) << halted->halt_reason;
  EXPECT_EQ(assigned(c2->id), (std::vector<std::string>{"d0"}));
  for (const char* id : {"d1", "d2", "d3"}) {
    auto desired = *store_->desired(id);
    ASSERT_TRUE(desired.has_value());
    EXPECT_EQ(desired->release.target.version, "1.0.0") << id;
  }
  // Resumed by hand: the known failure is forgiven, the rollout goes on; halted again by hand.
  ASSERT_TRUE(store_->resume_campaign(c2->id, 5001).is_ok());
  ASSERT_TRUE(store_->advance_campaigns(5001).is_ok());
  ASSERT_TRUE(store_->advance_campaigns(5002).is_ok());
  EXPECT_EQ((*store_->campaign(c2->id))->state, "running");
  EXPECT_EQ(assigned(c2->id).size(), 4u);
  ASSERT_TRUE(store_->halt_campaign(c2->id, "operator", 5003).is_ok());
  EXPECT_EQ(store_->halt_campaign(c2->id, "again", 5004).code(), StatusCode::kFailedPrecondition);
  // Halted with pending devices: they keep the release they had.
  EXPECT_EQ((*store_->desired("d2"))->release.target.version, "1.0.0");
}

TEST_P(StoreTest, ACampaignNeedsAPublishedReleaseOfItsGroupAndSanePhases) {
  publish("1.0.0", 1);
  CampaignRow spec;
  spec.release_name = "model";
  spec.release_version = "9.9.9";
  EXPECT_EQ(store_->create_campaign(spec, 1).status().code(), StatusCode::kNotFound);
  spec.release_version = "1.0.0";
  spec.device_group = "shelf";
  EXPECT_EQ(store_->create_campaign(spec, 1).status().code(), StatusCode::kInvalidArgument);
  spec.device_group.clear();
  for (std::vector<int> phases : {std::vector<int>{50}, {50, 20, 100}, {0, 100}, {100, 100}}) {
    spec.phases = phases;
    EXPECT_FALSE(store_->create_campaign(spec, 1).is_ok()) << phases_to_text(phases);
  }
  EXPECT_FALSE(store_->add_release(*store_->release("model", "1.0.0").value()).is_ok()) << "same version twice";
  EXPECT_EQ(store_->next_release_counter(), 2);
}

TEST_P(StoreTest, TelemetryIsStoredOncePerDeviceAndSequence) {
  enroll("line", 2, "d");
  const std::vector<TelemetryRow> batch = {{1, "window", "{\"n\":1}", 10, 0}, {2, "event", "{\"alert\":\"V\"}", 11, 0}};
  EXPECT_EQ(*store_->ingest_telemetry("d0", batch, 0, 100), 2);
  EXPECT_EQ(*store_->ingest_telemetry("d0", batch, 3, 101), 2) << "a batch sent again";
  EXPECT_EQ(*store_->ingest_telemetry("d1", batch, 0, 102), 2) << "another device's sequence numbers are its own";
  EXPECT_TRUE(store_->ingest_telemetry("d0", {}, 1, 103).is_ok());
  Result<std::vector<TelemetryRow>> rows = store_->telemetry("d0");
  ASSERT_TRUE(rows.is_ok());
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ(rows.value()[1].body, "{\"alert\":\"V\"}");
  EXPECT_EQ(rows.value()[0].received_at, 100);
  EXPECT_EQ(store_->telemetry("d0", "event")->size(), 1u);
  EXPECT_EQ(*store_->telemetry_dropped("d0"), 3) << "the device's dropped count only grows";
  EXPECT_EQ(*store_->telemetry_dropped("d1"), 0);
}

TEST(PhaseCount, CoversAtLeastOneDeviceAndAtMostAll) {
  EXPECT_EQ(phase_device_count(5, 3), 1);
  EXPECT_EQ(phase_device_count(34, 3), 2);
  EXPECT_EQ(phase_device_count(33, 3), 1);
  EXPECT_EQ(phase_device_count(25, 1000), 250);
  EXPECT_EQ(phase_device_count(100, 7), 7);
  EXPECT_EQ(phase_device_count(50, 0), 0);
}

INSTANTIATE_TEST_SUITE_P(Engines, StoreTest, ::testing::Values("sqlite", "postgresql"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace edgeai::server
