// server/database.hpp on both engines: parameters (NULL, reused, out of order), change counts,
// ON CONFLICT and RETURNING, transactions that commit or roll back, errors as one-line values,
// and four threads sharing one connection. The PostgreSQL cases need a server: run them under
// ctest, which starts one (tests/server/CMakeLists.txt).
#include "server/database.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "test_databases.hpp"

namespace edgeai::server {
namespace {

using testing::make_test_database;
using testing::TestDatabase;

constexpr std::string_view kSchema =
    "CREATE TABLE items (name TEXT PRIMARY KEY, note TEXT, count BIGINT, weight DOUBLE PRECISION);\n"
    "CREATE TABLE events (thread BIGINT NOT NULL, seq BIGINT NOT NULL, PRIMARY KEY (thread, seq))";

class DatabaseTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    Result<TestDatabase> made = make_test_database(GetParam());
    ASSERT_TRUE(made.is_ok()) << made.status().to_string();
    test_db_.emplace(std::move(made).value());
    db_ = test_db_->get();
    Status schema = db_->execute_script(kSchema);
    ASSERT_TRUE(schema.is_ok()) << schema.to_string();
  }

  // The query's result, or an empty one after recording a failure.
  SqlResult run(std::string_view sql, const std::vector<SqlValue>& params = {}) {
    Result<SqlResult> result = db_->query(sql, params);
    EXPECT_TRUE(result.is_ok()) << sql << ": " << result.status().to_string();
    return result.is_ok() ? std::move(result).value() : SqlResult{};
  }

  std::int64_t count_items() { return as_int(run("SELECT count(*) FROM items").rows.at(0).at(0)); }

  std::optional<TestDatabase> test_db_;
  Database* db_ = nullptr;
};

TEST_P(DatabaseTest, NamesItsEngine) { EXPECT_EQ(db_->engine(), GetParam()); }

TEST_P(DatabaseTest, ValuesRoundTripAsTextWithNull) {
  const char* insert = "INSERT INTO items (name, note, count, weight) VALUES ($1, $2, $3, $4)";
  // Quotes and a ';' travel as data, not SQL; 2^53 + 1 is not a double, so it must stay exact.
  const std::string tricky = "it's \"quoted\"; DROP TABLE items; -- \xc3\xbc";
  run(insert, {"alpha", tricky, "9007199254740993", "2.5"});
  run(insert, {"beta", std::nullopt, "-7", std::nullopt});
  run(insert, {"gamma", "", "0", "0.1"});

  SqlResult result = run("SELECT name, note, count, weight FROM items WHERE count >= $1 ORDER BY name", {"-7"});
  ASSERT_EQ(result.rows.size(), 3u);
  const SqlRow& alpha = result.rows[0];
  ASSERT_EQ(alpha.size(), 4u);
  EXPECT_EQ(alpha[0], "alpha");
  EXPECT_EQ(alpha[1], tricky);
  EXPECT_EQ(alpha[2], "9007199254740993");
  EXPECT_EQ(as_int(alpha[2]), 9007199254740993);
  EXPECT_DOUBLE_EQ(as_double(alpha[3]), 2.5);

  const SqlRow& beta = result.rows[1];
  EXPECT_EQ(beta[1], std::nullopt);
  EXPECT_EQ(as_int(beta[2]), -7);
  EXPECT_EQ(beta[3], std::nullopt);
  EXPECT_EQ(as_text(beta[1]), "");

  // The empty string is not NULL.
  const SqlRow& gamma = result.rows[2];
  ASSERT_TRUE(gamma[1].has_value());
  EXPECT_EQ(*gamma[1], "");
  EXPECT_DOUBLE_EQ(as_double(gamma[3]), 0.1);

  // NULL as a parameter of an UPDATE.
  EXPECT_EQ(run("UPDATE items SET note = $1 WHERE name = $2", {std::nullopt, "alpha"}).changed, 1);
  EXPECT_EQ(run("SELECT note FROM items WHERE name = $1", {"alpha"}).rows.at(0).at(0), std::nullopt);
  EXPECT_EQ(run("SELECT count(*) FROM items WHERE note IS NULL").rows.at(0).at(0), "2");
}

TEST_P(DatabaseTest, AParameterMayBeUsedTwiceAndOutOfOrder) {
  run("INSERT INTO items (name, note, count) VALUES ($2, $2, $1)", {"5", "twice"});
  SqlResult row = run("SELECT name, note, count FROM items");
  ASSERT_EQ(row.rows.size(), 1u);
  EXPECT_EQ(row.rows[0], (SqlRow{"twice", "twice", "5"}));
  run("INSERT INTO items (name, note) VALUES ('other', 'x')");
  EXPECT_EQ(run("SELECT count(*) FROM items WHERE name = $1 OR note = $1", {"twice"}).rows.at(0).at(0), "1");
  EXPECT_EQ(run("SELECT count(*) FROM items WHERE name = $1 OR note = $1", {"x"}).rows.at(0).at(0), "1");
}

TEST_P(DatabaseTest, ChangedCountsTheRowsAStatementWrote) {
  for (const char* name : {"a", "b", "c"}) {
    EXPECT_EQ(run("INSERT INTO items (name, count) VALUES ($1, 1)", {name}).changed, 1);
  }
  EXPECT_EQ(run("UPDATE items SET count = count + 1 WHERE name <> $1", {"a"}).changed, 2);
  // Statements that write nothing report 0, not the count of the last write before them.
  EXPECT_EQ(run("SELECT name FROM items").changed, 0);
  EXPECT_EQ(run("CREATE TABLE other (x BIGINT)").changed, 0);
  EXPECT_EQ(run("UPDATE items SET count = 0 WHERE name = $1", {"missing"}).changed, 0);
  EXPECT_EQ(run("DELETE FROM items WHERE count = $1", {"2"}).changed, 2);
  EXPECT_EQ(count_items(), 1);
}

TEST_P(DatabaseTest, OnConflictDoNothingAndReturning) {
  const char* insert =
      "INSERT INTO items (name, count) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING RETURNING name, count";
  SqlResult first = run(insert, {"a", "3"});
  EXPECT_EQ(first.changed, 1);
  ASSERT_EQ(first.rows.size(), 1u);
  EXPECT_EQ(first.rows[0], (SqlRow{"a", "3"}));

  SqlResult again = run(insert, {"a", "4"});
  EXPECT_EQ(again.changed, 0);
  EXPECT_TRUE(again.rows.empty());
  EXPECT_EQ(run("INSERT INTO items (name, count) VALUES ($1, 9) ON CONFLICT DO NOTHING", {"a"}).changed, 0);

  SqlResult updated = run("UPDATE items SET count = count + $1 WHERE name = $2 RETURNING count", {"10", "a"});
  EXPECT_EQ(updated.changed, 1);
  ASSERT_EQ(updated.rows.size(), 1u);
  EXPECT_EQ(as_int(updated.rows[0][0]), 13);
}

TEST_P(DatabaseTest, AFailedTransactionIsRolledBack) {
  Status status = db_->transaction([&] {
    run("INSERT INTO items (name) VALUES ('kept?')");
    return not_found("the body gave up");
  });
  EXPECT_EQ(status.code(), StatusCode::kNotFound);
  EXPECT_EQ(status.message(), "the body gave up");

  // A failing statement, its error passed on: the insert before it goes too.
  status = db_->transaction([&] {
    run("INSERT INTO items (name) VALUES ('b')");
    return db_->query("INSERT INTO items (name) VALUES ('b')").status();
  });
  EXPECT_FALSE(status.is_ok());
  EXPECT_EQ(count_items(), 0);
}

TEST_P(DatabaseTest, ASuccessfulTransactionCommits) {
  Status status = db_->transaction([&] {
    run("INSERT INTO items (name) VALUES ('a')");
    run("INSERT INTO items (name) VALUES ('b')");
    return Status::ok();
  });
  ASSERT_TRUE(status.is_ok()) << status.to_string();
  // Another connection sees the rows only once they are committed.
  Result<std::unique_ptr<Database>> other = open_database(test_db_->location());
  ASSERT_TRUE(other.is_ok()) << other.status().to_string();
  Result<SqlResult> seen = (*other)->query("SELECT name FROM items ORDER BY name");
  ASSERT_TRUE(seen.is_ok()) << seen.status().to_string();
  EXPECT_EQ(seen->rows, (std::vector<SqlRow>{{"a"}, {"b"}}));
  // And the connection is out of the transaction: another one starts.
  EXPECT_TRUE(db_->transaction([] { return Status::ok(); }).is_ok());
}

TEST_P(DatabaseTest, ANestedTransactionFailsAlone) {
  Status status = db_->transaction([&] {
    run("INSERT INTO items (name) VALUES ('outer')");
    Status inner = db_->transaction([&] {
      run("INSERT INTO items (name) VALUES ('inner')");
      return invalid_argument("inner failed");
    });
    EXPECT_EQ(inner.message(), "inner failed");
    EXPECT_TRUE(
        db_->transaction([&] { return db_->query("INSERT INTO items (name) VALUES ('inner2')").status(); }).is_ok());
    return Status::ok();
  });
  ASSERT_TRUE(status.is_ok()) << status.to_string();
  EXPECT_EQ(run("SELECT name FROM items ORDER BY name").rows, (std::vector<SqlRow>{{"inner2"}, {"outer"}}));
}

TEST_P(DatabaseTest, BadSqlIsAnErrorNamingTheEngine) {
  const auto expect_error = [&](const Status& status, std::string_view what) {
    EXPECT_FALSE(status.is_ok()) << what;
    EXPECT_NE(status.message().find(GetParam()), std::string::npos) << status.message();
    EXPECT_EQ(status.message().find('\n'), std::string::npos) << status.message();
  };
  expect_error(db_->query("SELEC name FROM items").status(), "syntax");
  expect_error(db_->query("SELECT name FROM no_such_table").status(), "missing table");
  expect_error(db_->query("SELECT name FROM items WHERE name = $2", {"a"}).status(), "$2 of one parameter");
  expect_error(db_->query("INSERT INTO items (name) VALUES ('a'); INSERT INTO items (name) VALUES ('b')").status(),
               "two statements");
  expect_error(db_->execute_script("CREATE TABLE fine (x BIGINT);\nNOT SQL AT ALL"), "script");
  // Still usable, and the two-statement query wrote nothing.
  EXPECT_EQ(count_items(), 0);
  EXPECT_EQ(run("SELECT 1").rows.at(0).at(0), "1");
}

TEST_P(DatabaseTest, FourThreadsShareTheConnection) {
  constexpr int kThreads = 4;
  constexpr int kRows = 200;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kRows; ++i) {
        const std::vector<SqlValue> params = {std::to_string(t), std::to_string(i)};
        const char* insert = "INSERT INTO events (thread, seq) VALUES ($1, $2)";
        if (i % 4 != 0) {
          if (!db_->query(insert, params).is_ok()) ++failures;
          continue;
        }
        // Every fourth row in a transaction that checks no other thread's insert came in between.
        Status status = db_->transaction([&]() -> Status {
          EDGEAI_ASSIGN_OR_RETURN(SqlResult before, db_->query("SELECT count(*) FROM events"));
          EDGEAI_RETURN_IF_ERROR(db_->query(insert, params).status());
          EDGEAI_ASSIGN_OR_RETURN(SqlResult after, db_->query("SELECT count(*) FROM events"));
          if (as_int(after.rows.at(0).at(0)) != as_int(before.rows.at(0).at(0)) + 1) {
            return internal_error("another thread's statement ran inside the transaction");
          }
          return Status::ok();
        });
        if (!status.is_ok()) {
          ADD_FAILURE() << status.to_string();
          ++failures;
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(run("SELECT count(*) FROM events").rows.at(0).at(0), std::to_string(kThreads * kRows));
  EXPECT_EQ(run("SELECT count(DISTINCT thread * 1000 + seq) FROM events").rows.at(0).at(0),
            std::to_string(kThreads * kRows));
}

// Two connections (two server processes on one SQLite file): a transaction that reads and then
// writes waits for the other's instead of failing. On SQLite this needs BEGIN IMMEDIATE; a
// deferred BEGIN would fail the write at once with SQLITE_BUSY (its read snapshot is stale).
TEST_P(DatabaseTest, TransactionsOfTwoConnectionsWaitForEachOther) {
  Result<std::unique_ptr<Database>> other = open_database(test_db_->location());
  ASSERT_TRUE(other.is_ok()) << other.status().to_string();
  std::atomic<bool> inside{false};
  std::thread first([&] {
    Status status = db_->transaction([&] {
      run("INSERT INTO items (name) VALUES ('first')");
      inside = true;
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      return Status::ok();
    });
    EXPECT_TRUE(status.is_ok()) << status.to_string();
  });
  while (!inside) std::this_thread::yield();
  Status second = (*other)->transaction([&]() -> Status {
    EDGEAI_ASSIGN_OR_RETURN(SqlResult count, (*other)->query("SELECT count(*) FROM items"));
    return (*other)->query("INSERT INTO items (name, count) VALUES ('second', $1)", {count.rows.at(0).at(0)}).status();
  });
  first.join();
  EXPECT_TRUE(second.is_ok()) << second.to_string();
  EXPECT_EQ(count_items(), 2);
}

INSTANTIATE_TEST_SUITE_P(Engines, DatabaseTest, ::testing::Values("sqlite", "postgresql"),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

// ---- PostgreSQL only ------------------------------------------------------------------------

class PostgresDatabaseTest : public DatabaseTest {};

// COMMIT after a failed statement rolls back with no error from PostgreSQL; ours must say so.
TEST_P(PostgresDatabaseTest, CommitAfterAFailedStatementIsAnError) {
  Status status = db_->transaction([&] {
    run("INSERT INTO items (name) VALUES ('a')");
    (void)db_->query("INSERT INTO items (name) VALUES ('a')");  // duplicate, error ignored
    return Status::ok();
  });
  EXPECT_FALSE(status.is_ok());
  EXPECT_NE(status.message().find("postgresql"), std::string::npos) << status.message();
  EXPECT_EQ(count_items(), 0);
}

TEST_P(PostgresDatabaseTest, ReconnectsAfterTheConnectionIsDropped) {
  EXPECT_EQ(run("SHOW client_min_messages").rows.at(0).at(0), "warning");
  const SqlValue pid = run("SELECT pg_backend_pid()").rows.at(0).at(0);
  Result<std::unique_ptr<Database>> other = open_database(test_db_->location());
  ASSERT_TRUE(other.is_ok()) << other.status().to_string();
  // The second argument waits (milliseconds) until the backend has gone.
  Result<SqlResult> killed = (*other)->query("SELECT pg_terminate_backend(CAST($1 AS INTEGER), 10000)", {pid});
  ASSERT_TRUE(killed.is_ok()) << killed.status().to_string();
  ASSERT_EQ(killed->rows.at(0).at(0), "t");

  // The statement that finds the connection gone fails (it is not retried: it may have run)...
  Result<SqlResult> lost = db_->query("SELECT 1");
  EXPECT_FALSE(lost.is_ok());
  EXPECT_EQ(lost.status().message().find('\n'), std::string::npos) << lost.status().message();
  // ...and the next one runs on a new connection, set up like the first.
  EXPECT_EQ(run("SELECT 1").rows.at(0).at(0), "1");
  EXPECT_NE(run("SELECT pg_backend_pid()").rows.at(0).at(0), pid);
  EXPECT_EQ(run("SHOW client_min_messages").rows.at(0).at(0), "warning");
}

INSTANTIATE_TEST_SUITE_P(Engine, PostgresDatabaseTest, ::testing::Values("postgresql"),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

// ---- Opening --------------------------------------------------------------------------------

TEST(DatabaseOpenTest, UnreachablePostgresIsAOneLineError) {
  Result<std::unique_ptr<Database>> db = open_database("postgresql://127.0.0.1:1/x");
  ASSERT_FALSE(db.is_ok());
  const std::string message = db.status().message();
  EXPECT_NE(message.find("postgresql://127.0.0.1:1/x"), std::string::npos) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  EXPECT_GT(message.size(), std::string("cannot connect to postgresql://127.0.0.1:1/x: ").size()) << message;
}

TEST(DatabaseOpenTest, ErrorsHidePasswords) {
  for (const char* url :
       {"postgresql://edgeai:hunter2@127.0.0.1:1/x", "postgres://127.0.0.1:1/x?password=hunter2&a=b"}) {
    Result<std::unique_ptr<Database>> db = open_database(url);
    ASSERT_FALSE(db.is_ok()) << url;
    const std::string message = db.status().message();
    EXPECT_EQ(message.find("hunter2"), std::string::npos) << message;
    EXPECT_NE(message.find("***"), std::string::npos) << message;
    EXPECT_NE(message.find("127.0.0.1:1/x"), std::string::npos) << message;
  }
}

TEST(DatabaseOpenTest, SqliteInAMissingDirectoryNamesThePath) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("edgeai-no-such-dir-" + std::to_string(getpid()));
  const std::string path = (dir / "sub" / "db.sqlite").string();
  Result<std::unique_ptr<Database>> db = open_database(path);
  ASSERT_FALSE(db.is_ok());
  EXPECT_NE(db.status().message().find(path), std::string::npos) << db.status().message();
  EXPECT_FALSE(std::filesystem::exists(dir));
}

TEST(DatabaseValueTest, ConversionsTreatNullAsZeroOrEmpty) {
  EXPECT_EQ(as_int(std::nullopt), 0);
  EXPECT_EQ(as_int(SqlValue("-42")), -42);
  EXPECT_EQ(as_int(SqlValue("9223372036854775807")), INT64_MAX);
  EXPECT_DOUBLE_EQ(as_double(std::nullopt), 0.0);
  EXPECT_DOUBLE_EQ(as_double(SqlValue("1e-3")), 0.001);
  EXPECT_EQ(as_text(std::nullopt), "");
  const SqlValue text = "abc";
  EXPECT_EQ(&as_text(text), &*text);  // a reference, not a copy
}

}  // namespace
}  // namespace edgeai::server
