// The device's telemetry outbox (issue 7): aggregate windows and notable events wait here,
// in an embedded SQLite file, until the server has acknowledged them, so that nothing is lost
// while the link is down or the agent restarts. Bounded: past `max_items` the oldest go first
// (drop-oldest) and are counted, and the count travels with the next batch, so the server knows
// what it will never see. Each item has a sequence number that never repeats on this device: the
// server keeps (device, sequence) unique, so a batch sent twice (its answer lost) is stored once.
// Errors are values; nothing throws.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/status.hpp"

struct sqlite3;

namespace edgeai {

struct TelemetryItem {
  std::int64_t sequence = 0;  // increasing, never reused on this device
  std::string kind;           // "window", "event", ...
  std::string body;           // JSON text
  std::int64_t created_at = 0;
};

class TelemetryQueue {
 public:
  // Opens (creates) the queue at `path`, keeping at most `max_items`.
  static Result<std::unique_ptr<TelemetryQueue>> open(const std::string& path, std::int64_t max_items);
  ~TelemetryQueue();
  TelemetryQueue(const TelemetryQueue&) = delete;
  TelemetryQueue& operator=(const TelemetryQueue&) = delete;

  // Appends one item (dropping the oldest past the bound, counted); returns its sequence number.
  Result<std::int64_t> push(const std::string& kind, const std::string& body, std::int64_t now);
  // The oldest `max_items` items still unacknowledged, in order.
  Result<std::vector<TelemetryItem>> peek(std::int64_t max_items);
  // The same for sending: until acknowledge() or delivery_failed(), these items are out for
  // delivery and a push past the bound drops other (newer) items instead of them.
  Result<std::vector<TelemetryItem>> take_for_delivery(std::int64_t max_items);
  void delivery_failed();
  // The server stored everything up to `sequence`: forget it.
  Status acknowledge(std::int64_t sequence);

  Result<std::int64_t> size();
  // Items dropped because the queue was full, since the queue was created.
  Result<std::int64_t> dropped();

 private:
  TelemetryQueue() = default;
  Status exec(const char* sql);

  std::mutex mutex_;  // the service pushes while the sender peeks and acknowledges
  sqlite3* db_ = nullptr;
  std::int64_t max_items_ = 0;
  std::int64_t in_flight_ = 0;  // the newest item out for delivery (0: none)
  std::string path_;
};

}  // namespace edgeai
