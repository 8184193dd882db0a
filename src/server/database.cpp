// The two engines behind server/database.hpp: SQLite (a file) and PostgreSQL (libpq). Each holds
// one connection behind a recursive mutex, so that a transaction's body can call query() on the
// same thread while other threads wait.
#include "server/database.hpp"

#include <libpq-fe.h>
#include <sqlite3.h>

#include <cctype>
#include <cstdlib>
#include <mutex>
#include <utility>

namespace edgeai::server {
namespace {

// Messages are one line: runs of whitespace that hold a line break or tab become one space.
std::string one_line(std::string_view text) {
  std::string out;
  bool pending_space = false;
  for (char c : text) {
    if (c == '\n' || c == '\r' || c == '\t') {
      pending_space = true;
      continue;
    }
    if (pending_space && !out.empty() && out.back() != ' ' && c != ' ') out += ' ';
    pending_space = false;
    out += c;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

// The start of a statement, for error messages.
std::string sql_head(std::string_view sql) {
  constexpr std::size_t kMax = 80;
  std::string head = one_line(sql.substr(0, kMax));
  if (sql.size() > kMax) head += "...";
  return head;
}

// What the transaction logic needs of an engine, on top of query(): the mutex, the nesting
// depth, and COMMIT (PostgreSQL reports a rolled-back COMMIT without an error).
class LockedDatabase : public Database {
 public:
  Status transaction(const std::function<Status()>& body) override {
    std::lock_guard lock(mutex_);
    // A transaction inside a transaction (same thread) becomes a savepoint, so that its failure
    // undoes only its own statements; a second BEGIN would fail (SQLite) or be ignored (PostgreSQL).
    const bool nested = depth_ > 0;
    const std::string savepoint = str_cat("edgeai_savepoint_", depth_);
    EDGEAI_RETURN_IF_ERROR(query(nested ? "SAVEPOINT " + savepoint : begin_statement()).status());
    // Rolls back when the body returns an error, and also if it throws (callers' code may).
    struct Undo {
      LockedDatabase* db;
      bool nested;
      const std::string& savepoint;
      bool armed = true;
      ~Undo() {
        --db->depth_;
        if (!armed) return;
        if (nested) {
          (void)db->query("ROLLBACK TO SAVEPOINT " + savepoint);
          (void)db->query("RELEASE SAVEPOINT " + savepoint);
        } else if (db->in_transaction()) {  // a failed COMMIT may have ended it already
          (void)db->query("ROLLBACK");
        }
      }
    } undo{this, nested, savepoint};
    ++depth_;
    Status status = body();
    if (!status.is_ok()) return status;
    status = nested ? query("RELEASE SAVEPOINT " + savepoint).status() : commit();
    if (status.is_ok()) undo.armed = false;
    return status;
  }

 protected:
  virtual std::string begin_statement() const { return "BEGIN"; }
  virtual Status commit() { return query("COMMIT").status(); }
  virtual bool in_transaction() = 0;

  std::recursive_mutex mutex_;
  int depth_ = 0;  // open transactions and savepoints; guarded by mutex_
};

// ---- SQLite -----------------------------------------------------------------------------

class SqliteDatabase final : public LockedDatabase {
 public:
  explicit SqliteDatabase(sqlite3* db) : db_(db) {}
  ~SqliteDatabase() override { sqlite3_close_v2(db_); }
  SqliteDatabase(const SqliteDatabase&) = delete;
  SqliteDatabase& operator=(const SqliteDatabase&) = delete;

  Result<SqlResult> query(std::string_view sql, const std::vector<SqlValue>& params) override {
    std::lock_guard lock(mutex_);
    sqlite3_stmt* raw = nullptr;
    const char* tail = nullptr;
    if (sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &raw, &tail) != SQLITE_OK) {
      return error(sql);
    }
    std::unique_ptr<sqlite3_stmt, decltype(&sqlite3_finalize)> stmt(raw, &sqlite3_finalize);
    SqlResult result;
    if (!stmt) return result;  // only whitespace or comments
    EDGEAI_RETURN_IF_ERROR(check_single_statement(sql, tail));
    EDGEAI_RETURN_IF_ERROR(bind(stmt.get(), sql, params));

    const sqlite3_int64 total_before = sqlite3_total_changes64(db_);
    const int columns = sqlite3_column_count(stmt.get());
    for (;;) {
      const int rc = sqlite3_step(stmt.get());
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) return error(sql);
      SqlRow& row = result.rows.emplace_back();
      row.reserve(columns);
      for (int i = 0; i < columns; ++i) {
        const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt.get(), i));
        if (text == nullptr) {
          row.emplace_back(std::nullopt);
        } else {
          row.emplace_back(std::string(text, sqlite3_column_bytes(stmt.get(), i)));
        }
      }
    }
    // sqlite3_changes keeps the count of the last INSERT/UPDATE/DELETE, even after a SELECT or
    // CREATE; the total moves only when this statement wrote.
    if (sqlite3_total_changes64(db_) != total_before) result.changed = sqlite3_changes64(db_);
    return result;
  }

  Status execute_script(std::string_view sql) override {
    std::lock_guard lock(mutex_);
    char* message = nullptr;
    if (sqlite3_exec(db_, std::string(sql).c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
      Status status = io_error("sqlite: ", one_line(message ? message : sqlite3_errmsg(db_)), " in: ", sql_head(sql));
      sqlite3_free(message);
      return status;
    }
    return Status::ok();
  }

  std::string_view engine() const override { return "sqlite"; }

 protected:
  // IMMEDIATE takes the write lock up front: a deferred transaction that reads and then writes
  // can fail with SQLITE_BUSY at once, with no busy wait, when another process holds the file.
  std::string begin_statement() const override { return "BEGIN IMMEDIATE"; }
  bool in_transaction() override { return sqlite3_get_autocommit(db_) == 0; }

 private:
  Status error(std::string_view sql) const {
    return io_error("sqlite: ", one_line(sqlite3_errmsg(db_)), " in: ", sql_head(sql));
  }

  // One statement per query(), as PostgreSQL's extended protocol insists; a comment may follow.
  Status check_single_statement(std::string_view sql, const char* tail) const {
    const char* end = sql.data() + sql.size();
    while (tail != nullptr && tail < end) {
      sqlite3_stmt* next = nullptr;
      const char* next_tail = nullptr;
      const int rc = sqlite3_prepare_v2(db_, tail, static_cast<int>(end - tail), &next, &next_tail);
      const bool more = rc != SQLITE_OK || next != nullptr;
      sqlite3_finalize(next);
      if (more)
        return invalid_argument("sqlite: more than one statement in a query (use execute_script) in: ", sql_head(sql));
      if (next_tail == tail) break;
      tail = next_tail;
    }
    return Status::ok();
  }

  // Binds each placeholder the statement names ($1 twice is one parameter), as text.
  static Status bind(sqlite3_stmt* stmt, std::string_view sql, const std::vector<SqlValue>& params) {
    const int count = sqlite3_bind_parameter_count(stmt);
    for (int index = 1; index <= count; ++index) {
      const char* name = sqlite3_bind_parameter_name(stmt, index);
      std::size_t number = 0;
      bool valid = name != nullptr && name[0] == '$' && name[1] != '\0';
      for (const char* p = valid ? name + 1 : ""; valid && *p != '\0'; ++p) {
        if (!std::isdigit(static_cast<unsigned char>(*p)) || number > 100000) valid = false;
        number = number * 10 + static_cast<std::size_t>(*p - '0');
      }
      if (!valid || number == 0) {
        return invalid_argument("sqlite: placeholder ", name ? name : "?", " is not $1..$N in: ", sql_head(sql));
      }
      if (number > params.size()) {
        return invalid_argument("sqlite: ", name, " but only ", params.size(), " parameters in: ", sql_head(sql));
      }
      const SqlValue& value = params[number - 1];
      const int rc = value
                         ? sqlite3_bind_text64(stmt, index, value->data(), value->size(), SQLITE_TRANSIENT, SQLITE_UTF8)
                         : sqlite3_bind_null(stmt, index);
      if (rc != SQLITE_OK) {
        return io_error("sqlite: cannot bind ", name, ": ", sqlite3_errstr(rc), " in: ", sql_head(sql));
      }
    }
    return Status::ok();
  }

  sqlite3* db_;
};

Result<std::unique_ptr<Database>> open_sqlite(const std::string& path) {
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  if (rc != SQLITE_OK) {
    Status status = io_error("cannot open SQLite database ", path, ": ",
                             one_line(db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
    sqlite3_close_v2(db);
    return status;
  }
  auto database = std::make_unique<SqliteDatabase>(db);
  sqlite3_busy_timeout(db, 5000);
  // WAL lets readers in other processes run beside the writer; FULL syncs the WAL on every
  // commit, so a committed release survives a power cut.
  for (const char* pragma : {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL", "PRAGMA foreign_keys=ON"}) {
    Status status = database->execute_script(pragma);
    if (!status.is_ok()) return io_error("cannot open SQLite database ", path, ": ", status.message());
  }
  return std::unique_ptr<Database>(std::move(database));
}

// ---- PostgreSQL -------------------------------------------------------------------------

// The URL with any password replaced by ***, for messages and logs.
std::string redact_url(const std::string& url) {
  std::string out = url;
  const std::size_t scheme_end = out.find("://");
  if (scheme_end != std::string::npos) {
    const std::size_t start = scheme_end + 3;
    const std::size_t query = out.find('?', start);
    const std::size_t at = out.rfind('@', query == std::string::npos ? std::string::npos : query);
    if (at != std::string::npos && at >= start) {
      const std::size_t colon = out.find(':', start);
      if (colon != std::string::npos && colon < at) out.replace(colon + 1, at - colon - 1, "***");
    }
  }
  // ...?password=secret&...
  const std::size_t query = out.find('?');
  for (std::size_t key = query; key != std::string::npos; key = out.find('&', key + 1)) {
    constexpr std::string_view kPassword = "password=";
    if (out.compare(key + 1, kPassword.size(), kPassword) != 0) continue;
    const std::size_t value = key + 1 + kPassword.size();
    const std::size_t value_end = out.find('&', value);
    out.replace(value, (value_end == std::string::npos ? out.size() : value_end) - value, "***");
  }
  return out;
}

class PostgresDatabase final : public LockedDatabase {
 public:
  PostgresDatabase(PGconn* conn, std::string redacted_url) : conn_(conn), redacted_url_(std::move(redacted_url)) {}
  ~PostgresDatabase() override { PQfinish(conn_); }
  PostgresDatabase(const PostgresDatabase&) = delete;
  PostgresDatabase& operator=(const PostgresDatabase&) = delete;

  // SET is per session, so it is run again after every reconnect.
  Status configure_session() {
    PgResult result(PQexec(conn_, "SET client_min_messages TO WARNING"));
    if (PQresultStatus(result.get()) != PGRES_COMMAND_OK) {
      return io_error("postgresql: SET client_min_messages failed: ", first_line(PQerrorMessage(conn_)));
    }
    return Status::ok();
  }

  Result<SqlResult> query(std::string_view sql, const std::vector<SqlValue>& params) override {
    std::lock_guard lock(mutex_);
    EDGEAI_RETURN_IF_ERROR(ensure_connected());
    std::vector<const char*> values;
    values.reserve(params.size());
    for (const SqlValue& value : params) values.push_back(value ? value->c_str() : nullptr);
    const std::string text(sql);
    PgResult result(PQexecParams(conn_, text.c_str(), static_cast<int>(values.size()), nullptr, values.data(), nullptr,
                                 nullptr, 0));
    const ExecStatusType status = PQresultStatus(result.get());
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK && status != PGRES_EMPTY_QUERY) {
      return error(result.get(), sql);
    }
    SqlResult out;
    const int rows = PQntuples(result.get());
    const int columns = PQnfields(result.get());
    out.rows.reserve(rows);
    for (int r = 0; r < rows; ++r) {
      SqlRow& row = out.rows.emplace_back();
      row.reserve(columns);
      for (int c = 0; c < columns; ++c) {
        if (PQgetisnull(result.get(), r, c)) {
          row.emplace_back(std::nullopt);
        } else {
          row.emplace_back(std::string(PQgetvalue(result.get(), r, c), PQgetlength(result.get(), r, c)));
        }
      }
    }
    // PQcmdTuples also counts a SELECT's rows; `changed` is for writes only, as on SQLite.
    const std::string_view tag = PQcmdStatus(result.get());
    if (tag.starts_with("INSERT ") || tag.starts_with("UPDATE ") || tag.starts_with("DELETE ") ||
        tag.starts_with("MERGE ")) {
      out.changed = std::atoll(PQcmdTuples(result.get()));
    }
    last_tag_ = tag;
    return out;
  }

  Status execute_script(std::string_view sql) override {
    std::lock_guard lock(mutex_);
    EDGEAI_RETURN_IF_ERROR(ensure_connected());
    PgResult result(PQexec(conn_, std::string(sql).c_str()));
    const ExecStatusType status = PQresultStatus(result.get());
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK && status != PGRES_EMPTY_QUERY) {
      return error(result.get(), sql);
    }
    return Status::ok();
  }

  std::string_view engine() const override { return "postgresql"; }

 protected:
  // After a failed statement PostgreSQL answers COMMIT with "ROLLBACK" and no error.
  Status commit() override {
    EDGEAI_RETURN_IF_ERROR(query("COMMIT", {}).status());
    if (last_tag_ != "COMMIT") {
      return io_error("postgresql: COMMIT rolled the transaction back (a statement in it had failed)");
    }
    return Status::ok();
  }
  // Not after a lost connection either: a ROLLBACK would go to the new one.
  bool in_transaction() override {
    const PGTransactionStatusType status = PQtransactionStatus(conn_);
    return status == PQTRANS_INTRANS || status == PQTRANS_INERROR;
  }

 private:
  struct PgResultFree {
    void operator()(PGresult* result) const { PQclear(result); }
  };
  using PgResult = std::unique_ptr<PGresult, PgResultFree>;

  // libpq notices a dropped connection only when a statement fails; the statement is not
  // retried (it may have run), but the connection is reset once so that the next one works.
  // Inside a transaction it is not: the statements after it would run outside the transaction.
  Status ensure_connected() {
    if (PQstatus(conn_) == CONNECTION_OK) return Status::ok();
    if (depth_ > 0) return io_error("postgresql: lost the connection to ", redacted_url_, " in a transaction");
    PQreset(conn_);
    if (PQstatus(conn_) != CONNECTION_OK) {
      return io_error("postgresql: cannot reconnect to ", redacted_url_, ": ", first_line(PQerrorMessage(conn_)));
    }
    return configure_session();
  }

  Status error(const PGresult* result, std::string_view sql) {
    std::string message;
    const char* primary = result != nullptr ? PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
    if (primary != nullptr) {
      message = one_line(primary);
      if (const char* detail = PQresultErrorField(result, PG_DIAG_MESSAGE_DETAIL))
        message += " (" + one_line(detail) + ")";
    } else {
      message = one_line(PQerrorMessage(conn_));  // no server message: the connection failed
    }
    if (message.empty()) message = "unknown error";
    if (PQstatus(conn_) != CONNECTION_OK) {
      Status reconnect = depth_ > 0 ? Status::ok() : ensure_connected();
      message += reconnect.is_ok() ? " (connection lost)" : " (connection lost; " + reconnect.message() + ")";
    }
    return io_error("postgresql: ", message, " in: ", sql_head(sql));
  }

  static std::string first_line(std::string_view text) { return one_line(text.substr(0, text.find('\n'))); }

  PGconn* conn_;
  std::string redacted_url_;
  std::string last_tag_;  // PQcmdStatus of the last query(); guarded by mutex_
};

Result<std::unique_ptr<Database>> open_postgres(const std::string& url) {
  const std::string redacted = redact_url(url);
  // The URL expands in place of dbname, so a connect_timeout in it overrides this default (an
  // unreachable host would otherwise hang for the TCP timeout, minutes).
  const char* keys[] = {"connect_timeout", "fallback_application_name", "dbname", nullptr};
  const char* values[] = {"10", "edgeai-server", url.c_str(), nullptr};
  PGconn* conn = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
  if (conn == nullptr) return io_error("cannot connect to ", redacted, ": out of memory");
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string_view message = PQerrorMessage(conn);
    Status status = io_error("cannot connect to ", redacted, ": ", one_line(message.substr(0, message.find('\n'))));
    PQfinish(conn);
    return status;
  }
  auto database = std::make_unique<PostgresDatabase>(conn, redacted);
  Status status = database->configure_session();
  if (!status.is_ok()) return io_error("cannot connect to ", redacted, ": ", status.message());
  return std::unique_ptr<Database>(std::move(database));
}

}  // namespace

Result<std::unique_ptr<Database>> open_database(const std::string& url_or_path) {
  if (url_or_path.starts_with("postgresql://") || url_or_path.starts_with("postgres://")) {
    return open_postgres(url_or_path);
  }
  return open_sqlite(url_or_path);
}

std::int64_t as_int(const SqlValue& value) { return value ? std::strtoll(value->c_str(), nullptr, 10) : 0; }

double as_double(const SqlValue& value) { return value ? std::strtod(value->c_str(), nullptr) : 0.0; }

const std::string& as_text(const SqlValue& value) {
  static const std::string kEmpty;
  return value ? *value : kEmpty;
}

}  // namespace edgeai::server
