// The update server's storage (issue 6): one small SQL interface over two engines, so that one
// schema and one test suite serve both. SQLite, a file in the data directory, is the default;
// PostgreSQL (libpq) takes a "postgresql://..." URL. Statements use PostgreSQL's $1..$N
// placeholders on both engines; every value travels as text (or NULL), and results come back
// as text, so the callers parse numbers themselves. Errors are values; nothing throws.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.hpp"

namespace edgeai::server {

using SqlValue = std::optional<std::string>;  // nullopt is SQL NULL
using SqlRow = std::vector<SqlValue>;

struct SqlResult {
  std::vector<SqlRow> rows;
  std::int64_t changed = 0;  // rows an INSERT, UPDATE or DELETE touched
};

class Database {
 public:
  virtual ~Database() = default;
  // One statement with parameters $1..$N. Safe to call from several threads: calls are
  // serialised on one connection.
  virtual Result<SqlResult> query(std::string_view sql, const std::vector<SqlValue>& params = {}) = 0;
  // Several statements separated by ';', no parameters (the schema).
  virtual Status execute_script(std::string_view sql) = 0;
  // Runs `body` in one transaction (BEGIN ... COMMIT), with no other thread's statements in
  // between; rolls back when `body` returns an error, and returns that error.
  virtual Status transaction(const std::function<Status()>& body) = 0;
  // "sqlite" or "postgresql".
  virtual std::string_view engine() const = 0;
};

// "postgresql://..." or "postgres://..." opens PostgreSQL through libpq; anything else is the
// path of a SQLite file (created when missing). The error names the URL or path and why.
Result<std::unique_ptr<Database>> open_database(const std::string& url_or_path);

// Convenience for callers: the integer in a column (0 for NULL), the text (empty for NULL).
std::int64_t as_int(const SqlValue& value);
double as_double(const SqlValue& value);
const std::string& as_text(const SqlValue& value);

}  // namespace edgeai::server
