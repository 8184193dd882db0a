// Delivers the telemetry outbox (agent/telemetry_queue.hpp) to the update server: batches of
// the oldest items, each acknowledged by the server before it leaves the queue. A failure
// stops the flush and keeps every unacknowledged item for the next one; a batch the server
// stored but whose answer was lost is sent again and stored once (the server keeps
// (device, sequence) unique). Only what the queue holds is sent: aggregates and events, never
// raw input (issue 7).
#pragma once

#include <cstdint>

#include "agent/http_client.hpp"
#include "agent/telemetry_queue.hpp"

namespace edgeai {

struct FlushReport {
  std::int64_t items = 0;  // acknowledged by the server in this flush
  std::int64_t batches = 0;
};

Result<FlushReport> flush_telemetry(TelemetryQueue& queue, HttpClient& http, std::int64_t batch_size = 200);

}  // namespace edgeai
