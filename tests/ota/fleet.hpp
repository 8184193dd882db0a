// A fleet on 127.0.0.1 for the OTA tests: real `edgeai server` and `edgeai-agent` processes,
// each with its own data directory, driven through the `edgeai` CLI and the HTTP API.
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "../agent/tiny_bundle.hpp"
#include "../server/test_databases.hpp"
#include "agent/journal.hpp"
#include "agent/updater.hpp"
#include "format/bundle.hpp"
#include "format/trust.hpp"
#include "runtime/session.hpp"

namespace edgeai::ota_testing {

namespace fs = std::filesystem;
using nlohmann::json;

inline std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// A child process with stdout and stderr in `log`; killed (SIGKILL) when destroyed.
class Process {
 public:
  Process(const std::vector<std::string>& argv, const fs::path& log, const std::vector<std::string>& env = {}) {
    pid_ = ::fork();
    if (pid_ == 0) {
      const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      for (const std::string& e : env) ::putenv(const_cast<char*>(e.c_str()));
      std::vector<char*> args;
      for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      ::execv(args[0], args.data());
      ::_exit(127);
    }
  }
  Process(const Process&) = delete;
  ~Process() {
    if (pid_ > 0 && !exited_) {
      ::kill(pid_, SIGKILL);
      wait();
    }
  }
  pid_t pid() const { return pid_; }
  // The raw wait status.
  int wait() {
    if (!exited_) {
      ::waitpid(pid_, &status_, 0);
      exited_ = true;
    }
    return status_;
  }
  bool running() {
    if (exited_) return false;
    if (::waitpid(pid_, &status_, WNOHANG) == pid_) exited_ = true;
    return !exited_;
  }
  void signal(int sig) { ::kill(pid_, sig); }

 private:
  pid_t pid_ = -1;
  int status_ = 0;
  bool exited_ = false;
};

struct CommandResult {
  int exit_code = -1;
  bool killed_by_sigkill = false;
  std::string output;  // stdout and stderr
};

// Runs a command to its end.
inline CommandResult run_command(const std::vector<std::string>& argv, const fs::path& scratch,
                                 const std::vector<std::string>& env = {}) {
  const fs::path log = scratch / ("cmd-" + std::to_string(::getpid()) + ".log");
  fs::remove(log);
  int status;
  {
    Process p(argv, log, env);
    status = p.wait();
  }
  CommandResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.killed_by_sigkill = WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
  r.output = read_text(log);
  fs::remove(log);
  return r;
}

inline bool wait_until(const std::function<bool()>& done, double seconds) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return done();
}

// The tiny model at `version` (golden vectors broken when `bad`), written under `dir`.
inline fs::path write_tiny_bundle(const fs::path& dir, const std::string& version, float scale, bool bad = false,
                                  std::int64_t padding = 65536) {
  Bundle bundle = testing::tiny_bundle(version, 2, scale, padding);
  if (bad) {
    for (GoldenVector& v : bundle.manifest.golden) v.outputs[0].second.data<float>()[0] += 1.0f;
  }
  const fs::path path = dir / ("tiny-" + version + (bad ? "-bad" : "") + ".eai");
  EXPECT_TRUE(write_bundle(bundle, path.string()).is_ok());
  return path;
}

// The outputs of the bundle at `path` on a fixed input: what "the model's outputs" means here.
inline std::vector<float> model_outputs(const fs::path& path) {
  Result<Bundle> bundle = read_bundle(path.string());
  if (!bundle.is_ok()) return {};
  auto session = Session::create(std::move(bundle).value());
  if (!session.is_ok()) return {};
  Tensor x = Tensor::from_vector<float>({1, 4}, {1.0f, -0.5f, 0.25f, 2.0f});
  auto y = (*session)->run_and_copy({x});
  if (!y.is_ok()) return {};
  const Tensor& t = (*y)[0];
  return std::vector<float>(t.data<float>(), t.data<float>() + t.num_elements());
}

class Fleet {
 public:
  // `engine`: "sqlite" or "postgresql" (a fresh database on the test server).
  // `tls`: HTTPS with a self-signed certificate for 127.0.0.1 (made with the openssl tool).
  explicit Fleet(const std::string& engine, const std::vector<std::string>& server_args = {}, bool tls = false) {
    dir_ = fs::temp_directory_path() / server::testing::unique_test_name("edgeai-ota-");
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "agents");
    root_ = generate_key_pair();
    release_ = generate_key_pair();
    EXPECT_TRUE(write_key_files((dir_ / "root").string(), root_).is_ok());
    EXPECT_TRUE(write_key_files((dir_ / "release").string(), release_).is_ok());
    if (engine == "postgresql") {
      auto db = server::testing::make_test_database(engine);
      EXPECT_TRUE(db.is_ok()) << db.status().to_string();
      if (db.is_ok()) {
        db_url_ = db->location();
        db_ = std::make_unique<server::testing::TestDatabase>(std::move(db).value());
      }
    }
    std::vector<std::string> args = server_args;
    if (tls) {
      ca_cert_ = (dir_ / "server.crt").string();
      const CommandResult made = run_command(
          {"/usr/bin/openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
           "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", (dir_ / "server.key").string(), "-out", ca_cert_},
          dir_);
      EXPECT_EQ(made.exit_code, 0) << made.output;
      args.insert(args.end(), {"--tls-cert", ca_cert_, "--tls-key", (dir_ / "server.key").string()});
    }
    start_server(args);
  }
  ~Fleet() {
    agents_.clear();
    server_.reset();
    db_.reset();
    if (!::testing::Test::HasFailure()) fs::remove_all(dir_);
  }

  const fs::path& dir() const { return dir_; }
  const std::string& url() const { return url_; }
  const std::string& ca_cert() const { return ca_cert_; }
  fs::path server_dir() const { return dir_ / "server"; }
  fs::path server_log() const { return dir_ / "server.log"; }
  const KeyPair& release_key() const { return release_; }
  KeyPair timestamp_key() const { return *read_secret_key_file((server_dir() / "keys" / "timestamp.key").string()); }
  std::string admin_token() const {
    std::string t = read_text(server_dir() / "admin-token");
    while (!t.empty() && t.back() == '\n') t.pop_back();
    return t;
  }

  // `port` 0: any free one.
  void start_server(const std::vector<std::string>& extra = {}, int port = 0) {
    server_.reset();
    fs::remove(dir_ / "url");
    std::vector<std::string> argv = {EDGEAI_BIN,      "server",
                                     "--data-dir",    server_dir().string(),
                                     "--listen",      "127.0.0.1:" + std::to_string(port),
                                     "--root-key",    (dir_ / "root.key").string(),
                                     "--release-pub", (dir_ / "release.pub").string(),
                                     "--url-file",    (dir_ / "url").string()};
    if (!db_url_.empty()) {
      argv.push_back("--db");
      argv.push_back(db_url_);
    }
    argv.insert(argv.end(), extra.begin(), extra.end());
    server_ = std::make_unique<Process>(argv, server_log());
    EXPECT_TRUE(wait_until([&] { return fs::exists(dir_ / "url"); }, 20)) << read_text(server_log());
    url_ = read_text(dir_ / "url");
    while (!url_.empty() && url_.back() == '\n') url_.pop_back();
  }

  void stop_server() { server_.reset(); }
  // The port the server listens on (from its URL).
  int port() const { return std::atoi(url_.substr(url_.rfind(':') + 1).c_str()); }

  // `edgeai ARGS --server URL --data-dir SERVER_DIR`.
  CommandResult cli(std::vector<std::string> args) {
    args.insert(args.begin(), EDGEAI_BIN);
    for (const std::string& a : {std::string("--server"), url_, std::string("--data-dir"), server_dir().string()}) {
      args.push_back(a);
    }
    if (!ca_cert_.empty()) args.insert(args.end(), {"--ca-cert", ca_cert_});
    return run_command(args, dir_);
  }
  std::string cli_ok(const std::vector<std::string>& args) {
    CommandResult r = cli(args);
    EXPECT_EQ(r.exit_code, 0) << r.output;
    return r.output;
  }

  std::vector<std::string> tokens(const std::string& group, int count) {
    std::stringstream out(cli_ok({"devices", "token", "--group", group, "--count", std::to_string(count)}));
    std::vector<std::string> list;
    for (std::string line; std::getline(out, line);) {
      if (line.rfind("enr_", 0) == 0) list.push_back(line);
    }
    EXPECT_EQ(static_cast<int>(list.size()), count);
    return list;
  }

  fs::path agent_dir(const std::string& name) const { return dir_ / "agents" / name; }
  fs::path agent_log(const std::string& name) const { return dir_ / "agents" / (name + ".log"); }

  // A long-running agent (`--wait 2`: it notices campaigns within a long-poll); `extra`: more
  // options (a --source to stream, telemetry intervals).
  Process& start_agent(const std::string& name, const std::string& token, const std::vector<std::string>& extra = {}) {
    std::vector<std::string> argv = {
        EDGEAI_AGENT_BIN, "--server", url_,      "--data-dir", agent_dir(name).string(), "--name", name,
        "--wait",         "2",        "--retry", "1"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    if (!ca_cert_.empty()) argv.insert(argv.end(), {"--ca-cert", ca_cert_});
    if (!token.empty()) {
      argv.push_back("--enroll");
      argv.push_back(token);
    }
    agents_[name] = std::make_unique<Process>(argv, agent_log(name));
    return *agents_[name];
  }
  void stop_agent(const std::string& name) { agents_.erase(name); }
  // SIGTERM, as a device shutting down: the agent closes its window and sends what it holds.
  int terminate_agent(const std::string& name) {
    auto it = agents_.find(name);
    if (it == agents_.end()) return -1;
    it->second->signal(SIGTERM);
    const int status = it->second->wait();
    agents_.erase(it);
    return status;
  }

  // One agent round (`--once`) against `server` (default: this fleet's).
  CommandResult agent_once(const std::string& name, const std::string& token = "", const std::string& server = "",
                           const std::vector<std::string>& env = {}) {
    std::vector<std::string> argv = {EDGEAI_AGENT_BIN,
                                     "--server",
                                     server.empty() ? url_ : server,
                                     "--data-dir",
                                     agent_dir(name).string(),
                                     "--name",
                                     name,
                                     "--once"};
    if (!ca_cert_.empty() && server.empty()) argv.insert(argv.end(), {"--ca-cert", ca_cert_});
    if (!token.empty()) {
      argv.push_back("--enroll");
      argv.push_back(token);
    }
    CommandResult r = run_command(argv, dir_, env);
    std::ofstream(agent_log(name), std::ios::app) << r.output;
    return r;
  }

  // The agent's journal, as the device sees itself.
  DeviceRecord record(const std::string& name) const {
    Journal journal((agent_dir(name) / "state").string());
    auto text = journal.read();
    if (!text.is_ok() || !text->has_value()) return DeviceRecord{};
    auto record = record_from_json(**text);
    return record.is_ok() ? *record : DeviceRecord{};
  }
  fs::path active_model(const std::string& name) const {
    const DeviceRecord r = record(name);
    return r.active_slot.empty() ? fs::path() : agent_dir(name) / "slots" / r.active_slot / "model.eai";
  }

  // The operator API.
  json api(const std::string& method, const std::string& path, const std::string& body = "",
           const std::string& token = "*admin*", int* status = nullptr) {
    httplib::Client client(url_);
    if (!ca_cert_.empty()) client.set_ca_cert_path(ca_cert_.c_str());
    client.set_read_timeout(30, 0);
    httplib::Headers headers;
    const std::string credential = token == "*admin*" ? admin_token() : token;
    if (!credential.empty()) headers.emplace("Authorization", "Bearer " + credential);
    httplib::Result r = method == "GET"   ? client.Get(path, headers)
                        : method == "PUT" ? client.Put(path, headers, body, "application/json")
                                          : client.Post(path, headers, body, "application/json");
    if (status) *status = r ? r->status : -1;
    if (!r) return json();
    return json::parse(r->body, nullptr, false);
  }

 private:
  fs::path dir_;
  KeyPair root_, release_;
  std::string url_, db_url_, ca_cert_;
  std::unique_ptr<server::testing::TestDatabase> db_;
  std::unique_ptr<Process> server_;
  std::map<std::string, std::unique_ptr<Process>> agents_;
};

}  // namespace edgeai::ota_testing
