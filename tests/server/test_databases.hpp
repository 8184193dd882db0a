// Fresh, empty databases for the server tests, one per test: a SQLite file in a temporary
// directory, or a new database on the PostgreSQL server that EDGEAI_TEST_POSTGRES names (under
// ctest the "postgres" fixture starts one; see tests/server/CMakeLists.txt). Dropped afterwards.
#pragma once

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "core/status.hpp"
#include "server/database.hpp"

namespace edgeai::server::testing {

// An open database that removes itself (file or PostgreSQL database) when destroyed.
class TestDatabase {
 public:
  TestDatabase(std::unique_ptr<Database> db, std::string location, std::function<void()> cleanup)
      : db_(std::move(db)), location_(std::move(location)), cleanup_(std::move(cleanup)) {}
  TestDatabase(TestDatabase&& other) noexcept
      : db_(std::move(other.db_)), location_(std::move(other.location_)), cleanup_(std::exchange(other.cleanup_, {})) {}
  TestDatabase& operator=(TestDatabase&&) = delete;
  ~TestDatabase() {
    db_.reset();  // PostgreSQL drops a database only once nobody is connected
    if (cleanup_) cleanup_();
  }

  Database* get() const { return db_.get(); }
  Database* operator->() const { return db_.get(); }
  Database& operator*() const { return *db_; }
  // The path or URL, for a second connection to the same database.
  const std::string& location() const { return location_; }

 private:
  std::unique_ptr<Database> db_;
  std::string location_;
  std::function<void()> cleanup_;
};

// Unique within the process; the pid makes it unique across the test processes ctest runs.
inline std::string unique_test_name(std::string_view prefix) {
  static std::atomic<int> counter{0};
  return str_cat(prefix, getpid(), "_", counter++);
}

// `url` with its database (the path after the host) replaced by `database`.
inline std::string with_database(const std::string& url, const std::string& database) {
  const std::size_t authority = url.find("://");
  const std::size_t start = authority == std::string::npos ? 0 : authority + 3;
  const std::size_t query = std::min(url.find('?', start), url.size());
  const std::size_t slash = url.find('/', start);
  if (slash == std::string::npos || slash > query) return url.substr(0, query) + "/" + database + url.substr(query);
  return url.substr(0, slash + 1) + database + url.substr(query);
}

// `engine` is "sqlite" or "postgresql" (the test parameter). The PostgreSQL case is an error,
// so a failure and not a skip, when no server is given: a skipped suite looks like a passed one.
inline Result<TestDatabase> make_test_database(std::string_view engine) {
  if (engine == "sqlite") {
    const std::filesystem::path dir = std::filesystem::temp_directory_path() / unique_test_name("edgeai-db-test-");
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
    std::filesystem::create_directories(dir, ignored);
    const std::string path = (dir / "test.sqlite").string();
    EDGEAI_ASSIGN_OR_RETURN(std::unique_ptr<Database> db, open_database(path));
    return TestDatabase(std::move(db), path, [dir] {
      std::error_code ignored_too;
      std::filesystem::remove_all(dir, ignored_too);
    });
  }
  if (engine != "postgresql") return invalid_argument("unknown test engine ", engine);

  const char* server = std::getenv("EDGEAI_TEST_POSTGRES");
  if (server == nullptr || *server == '\0') {
    return failed_precondition(
        "EDGEAI_TEST_POSTGRES is not set: run these tests under ctest (e.g. `ctest -R Database`), whose \"postgres\" "
        "fixture starts a server, or set EDGEAI_TEST_POSTGRES to a server's URL, e.g. "
        "postgresql://postgres@127.0.0.1:55432/edgeai (tests/support/postgres_fixture.sh start DIR 55432)");
  }
  EDGEAI_ASSIGN_OR_RETURN(std::unique_ptr<Database> admin_db, open_database(server));
  std::shared_ptr<Database> admin(std::move(admin_db));
  const std::string name = unique_test_name("t_");
  // WITH (FORCE): a crashed earlier run of the same pid may have left it, connections and all.
  const std::string drop = "DROP DATABASE IF EXISTS " + name + " WITH (FORCE)";
  EDGEAI_RETURN_IF_ERROR(admin->execute_script(drop));
  EDGEAI_RETURN_IF_ERROR(admin->execute_script("CREATE DATABASE " + name));
  const std::string url = with_database(server, name);
  Result<std::unique_ptr<Database>> db = open_database(url);
  if (!db.is_ok()) {
    (void)admin->execute_script(drop);
    return db.status();
  }
  return TestDatabase(std::move(db).value(), url, [admin, drop] { (void)admin->execute_script(drop); });
}

}  // namespace edgeai::server::testing
