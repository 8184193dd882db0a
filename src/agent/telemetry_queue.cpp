#include "agent/telemetry_queue.hpp"

#include <sqlite3.h>

namespace edgeai {
namespace {

// A prepared statement that finalizes itself.
class Statement {
 public:
  Statement(sqlite3* db, const char* sql) { rc_ = sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr); }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  bool ok() const { return rc_ == SQLITE_OK; }
  sqlite3_stmt* get() const { return stmt_; }

 private:
  sqlite3_stmt* stmt_ = nullptr;
  int rc_ = SQLITE_ERROR;
};

}  // namespace

TelemetryQueue::~TelemetryQueue() { sqlite3_close(db_); }

Status TelemetryQueue::exec(const char* sql) {
  char* error = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &error) != SQLITE_OK) {
    const std::string message = error ? error : sqlite3_errmsg(db_);
    sqlite3_free(error);
    return io_error(path_, ": telemetry queue: ", message);
  }
  return Status::ok();
}

Result<std::unique_ptr<TelemetryQueue>> TelemetryQueue::open(const std::string& path, std::int64_t max_items) {
  if (max_items < 1) return invalid_argument("telemetry queue: max items ", max_items, " (must be >= 1)");
  std::unique_ptr<TelemetryQueue> q(new TelemetryQueue());
  q->path_ = path;
  q->max_items_ = max_items;
  if (sqlite3_open_v2(path.c_str(), &q->db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                      nullptr) != SQLITE_OK) {
    return io_error(path, ": cannot open the telemetry queue: ", q->db_ ? sqlite3_errmsg(q->db_) : "out of memory");
  }
  sqlite3_busy_timeout(q->db_, 5000);
  // WAL + synchronous=FULL: a push that returned survives a power cut. AUTOINCREMENT: a
  // sequence number is never reused, even after the newest items were acknowledged.
  EDGEAI_RETURN_IF_ERROR(
      q->exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
              "CREATE TABLE IF NOT EXISTS items (sequence INTEGER PRIMARY KEY AUTOINCREMENT, "
              "kind TEXT NOT NULL, body TEXT NOT NULL, created_at INTEGER NOT NULL);"
              "CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);"
              "INSERT OR IGNORE INTO counters VALUES ('dropped', 0);"));
  return q;
}

Result<std::int64_t> TelemetryQueue::push(const std::string& kind, const std::string& body, std::int64_t now) {
  std::lock_guard<std::mutex> lock(mutex_);
  EDGEAI_RETURN_IF_ERROR(exec("BEGIN IMMEDIATE"));
  const auto fail = [&](const char* what) {
    const Status st = io_error(path_, ": telemetry queue: ", what, ": ", sqlite3_errmsg(db_));
    (void)exec("ROLLBACK");
    return st;
  };
  {
    Statement insert(db_, "INSERT INTO items (kind, body, created_at) VALUES (?1, ?2, ?3)");
    if (!insert.ok()) return fail("prepare");
    sqlite3_bind_text(insert.get(), 1, kind.data(), static_cast<int>(kind.size()), SQLITE_TRANSIENT);
    sqlite3_bind_text(insert.get(), 2, body.data(), static_cast<int>(body.size()), SQLITE_TRANSIENT);
    sqlite3_bind_int64(insert.get(), 3, now);
    if (sqlite3_step(insert.get()) != SQLITE_DONE) return fail("insert");
  }
  const std::int64_t sequence = sqlite3_last_insert_rowid(db_);
  // Past the bound: drop the oldest, count them.
  {
    // Never an item out for delivery: the server may be storing it, and an item must be either
    // delivered or counted as dropped, not both. The bound then holds once the delivery settles.
    Statement trim(db_,
                   "DELETE FROM items WHERE sequence IN (SELECT sequence FROM items WHERE sequence > ?2 ORDER BY "
                   "sequence LIMIT max(0, (SELECT COUNT(*) FROM items) - ?1))");
    if (!trim.ok()) return fail("prepare");
    sqlite3_bind_int64(trim.get(), 1, max_items_);
    sqlite3_bind_int64(trim.get(), 2, in_flight_);
    if (sqlite3_step(trim.get()) != SQLITE_DONE) return fail("trim");
  }
  const int dropped_now = sqlite3_changes(db_);
  if (dropped_now > 0) {
    Statement count(db_, "UPDATE counters SET value = value + ?1 WHERE name = 'dropped'");
    if (!count.ok()) return fail("prepare");
    sqlite3_bind_int64(count.get(), 1, dropped_now);
    if (sqlite3_step(count.get()) != SQLITE_DONE) return fail("count");
  }
  EDGEAI_RETURN_IF_ERROR(exec("COMMIT"));
  return sequence;
}

Result<std::vector<TelemetryItem>> TelemetryQueue::peek(std::int64_t max_items) {
  std::lock_guard<std::mutex> lock(mutex_);
  Statement select(db_, "SELECT sequence, kind, body, created_at FROM items ORDER BY sequence LIMIT ?1");
  if (!select.ok()) return io_error(path_, ": telemetry queue: ", sqlite3_errmsg(db_));
  sqlite3_bind_int64(select.get(), 1, max_items);
  std::vector<TelemetryItem> items;
  int rc;
  while ((rc = sqlite3_step(select.get())) == SQLITE_ROW) {
    TelemetryItem item;
    item.sequence = sqlite3_column_int64(select.get(), 0);
    item.kind = reinterpret_cast<const char*>(sqlite3_column_text(select.get(), 1));
    item.body = reinterpret_cast<const char*>(sqlite3_column_text(select.get(), 2));
    item.created_at = sqlite3_column_int64(select.get(), 3);
    items.push_back(std::move(item));
  }
  if (rc != SQLITE_DONE) return io_error(path_, ": telemetry queue: ", sqlite3_errmsg(db_));
  return items;
}

Result<std::vector<TelemetryItem>> TelemetryQueue::take_for_delivery(std::int64_t max_items) {
  EDGEAI_ASSIGN_OR_RETURN(std::vector<TelemetryItem> items, peek(max_items));
  std::lock_guard<std::mutex> lock(mutex_);
  in_flight_ = items.empty() ? 0 : items.back().sequence;
  return items;
}

void TelemetryQueue::delivery_failed() {
  std::lock_guard<std::mutex> lock(mutex_);
  in_flight_ = 0;
}

Status TelemetryQueue::acknowledge(std::int64_t sequence) {
  std::lock_guard<std::mutex> lock(mutex_);
  in_flight_ = 0;
  Statement erase(db_, "DELETE FROM items WHERE sequence <= ?1");
  if (!erase.ok()) return io_error(path_, ": telemetry queue: ", sqlite3_errmsg(db_));
  sqlite3_bind_int64(erase.get(), 1, sequence);
  if (sqlite3_step(erase.get()) != SQLITE_DONE) return io_error(path_, ": telemetry queue: ", sqlite3_errmsg(db_));
  return Status::ok();
}

namespace {

Result<std::int64_t> single_int(sqlite3* db, const char* sql, const std::string& path) {
  Statement s(db, sql);
  if (!s.ok() || sqlite3_step(s.get()) != SQLITE_ROW) return io_error(path, ": telemetry queue: ", sqlite3_errmsg(db));
  return static_cast<std::int64_t>(sqlite3_column_int64(s.get(), 0));
}

}  // namespace

Result<std::int64_t> TelemetryQueue::size() {
  std::lock_guard<std::mutex> lock(mutex_);
  return single_int(db_, "SELECT COUNT(*) FROM items", path_);
}

Result<std::int64_t> TelemetryQueue::dropped() {
  std::lock_guard<std::mutex> lock(mutex_);
  return single_int(db_, "SELECT value FROM counters WHERE name = 'dropped'", path_);
}

}  // namespace edgeai
