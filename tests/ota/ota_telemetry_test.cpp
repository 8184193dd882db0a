// Telemetry delivery (issue 7) between a device's outbox and the real server: every item is
// stored exactly once, also when an answer is lost and the batch is sent again; while the
// server is down the outbox keeps what fits and counts what it drops; after the server returns
// (same data directory) every kept item arrives, and delivered + dropped = pushed.
#include <gtest/gtest.h>

#include <set>

#include "agent/telemetry_sender.hpp"
#include "fleet.hpp"

namespace edgeai {
namespace {

using namespace ota_testing;

TEST(OtaTelemetry, EveryItemArrivesOnceOrIsCountedAsDroppedAcrossAServerOutage) {
  Fleet fleet("sqlite");
  const std::vector<std::string> tokens = fleet.tokens("line", 1);
  ASSERT_EQ(fleet.agent_once("dev-t", tokens[0]).exit_code, 0);
  const json identity =
      json::parse(*Journal((fleet.agent_dir("dev-t") / "identity").string()).read().value(), nullptr, false);
  const auto connect = [&] {
    auto http = HttpClient::create(fleet.url());
    EXPECT_TRUE(http.is_ok());
    (*http)->set_credential(identity["credential"].get<std::string>());
    return std::move(http).value();
  };
  auto http = connect();
  auto queue = TelemetryQueue::open((fleet.agent_dir("dev-t") / "telemetry.db").string(), 12);
  ASSERT_TRUE(queue.is_ok()) << queue.status().to_string();
  TelemetryQueue& q = **queue;
  int pushed = 0;
  const auto push = [&](int n) {
    for (int i = 0; i < n; ++i, ++pushed) {
      ASSERT_TRUE(q.push("window", json{{"window", pushed}, {"count", 30}}.dump(), 1000 + pushed).is_ok());
    }
  };
  push(5);
  Result<FlushReport> sent = flush_telemetry(q, *http, 4);
  ASSERT_TRUE(sent.is_ok()) << sent.status().to_string();
  EXPECT_EQ(sent->items, 5);
  EXPECT_EQ(sent->batches, 2);

  // An answer lost: the server stored the batch, the device did not hear back and sends it again.
  push(3);
  {
    auto items = q.peek(100);
    json list = json::array();
    for (const TelemetryItem& item : *items) {
      list.push_back(
          {{"sequence", item.sequence}, {"kind", item.kind}, {"body", item.body}, {"created_at", item.created_at}});
    }
    auto reply = http->post_json("/api/v1/device/telemetry", json{{"dropped", 0}, {"items", list}}.dump());
    ASSERT_TRUE(reply.is_ok());
    EXPECT_EQ(reply->status, 200);
  }
  ASSERT_TRUE(flush_telemetry(q, *http).is_ok());  // the same 3 again
  EXPECT_EQ(*q.size(), 0);

  // The server goes away: the outbox keeps the newest 12 and counts the rest.
  fleet.stop_server();
  push(20);
  Result<FlushReport> offline = flush_telemetry(q, *http);
  EXPECT_FALSE(offline.is_ok());
  EXPECT_EQ(*q.size(), 12);
  EXPECT_EQ(*q.dropped(), 8);

  // Back (same data directory, a new port): everything kept arrives.
  fleet.start_server();
  http = connect();
  Result<FlushReport> after = flush_telemetry(q, *http);
  ASSERT_TRUE(after.is_ok()) << after.status().to_string();
  EXPECT_EQ(after->items, 12);
  EXPECT_EQ(*q.size(), 0);

  const json stored = fleet.api("GET", "/api/v1/devices/dev-t/telemetry");
  std::set<std::int64_t> sequences;
  std::set<int> windows;
  for (const json& item : stored["items"]) {
    EXPECT_TRUE(sequences.insert(item["sequence"].get<std::int64_t>()).second) << "stored twice: " << item.dump();
    windows.insert(json::parse(item["body"].get<std::string>())["window"].get<int>());
  }
  const std::int64_t dropped = stored["dropped"].get<std::int64_t>();
  std::printf("telemetry: %d pushed, %zu stored once each, %lld dropped while offline (reported), 0 twice\n", pushed,
              sequences.size(), static_cast<long long>(dropped));
  EXPECT_EQ(dropped, 8);
  EXPECT_EQ(static_cast<std::int64_t>(sequences.size()) + dropped, pushed);
  // The dropped ones are the oldest of the outage: windows 8..15; 0..7 and 16..27 arrived.
  for (int w = 0; w < pushed; ++w) EXPECT_EQ(windows.count(w), (w >= 8 && w < 16) ? 0u : 1u) << "window " << w;
  // A device cannot read another's telemetry, nor send without a credential.
  int status = 0;
  fleet.api("GET", "/api/v1/devices/dev-t/telemetry", "", identity["credential"].get<std::string>(), &status);
  EXPECT_EQ(status, 403);
  fleet.api("POST", "/api/v1/device/telemetry", "{\"items\": []}", "", &status);
  EXPECT_EQ(status, 401);
  fleet.api("POST", "/api/v1/device/telemetry", "{\"items\": [{\"sequence\": 0}]}",
            identity["credential"].get<std::string>(), &status);
  EXPECT_EQ(status, 400);
}

}  // namespace
}  // namespace edgeai
