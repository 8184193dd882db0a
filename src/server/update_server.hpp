// `edgeai server` (issue 6): the update server's HTTP API over cpp-httplib. What it keeps in
// its data directory:
//   edgeai.db           the SQLite database (unless --db names a PostgreSQL server)
//   artifacts/<sha256>  each published bundle, named by its hash
//   deltas/<from>-<to>  model-aware deltas between two bundles, made on a device's first request
//   root.json           the signed root metadata devices pin at enrollment (the newest)
//   roots/<N>.json      every root version: a device walks the chain from the one it pinned
//   keys/timestamp.*    the server's online key: it signs short-lived timestamps
//   admin-token         the operator's bearer token (owner-only); `edgeai publish|campaign|devices`
//                       read it from here or from --token / EDGEAI_ADMIN_TOKEN
// The API is documented in docs/ota.md and served as /openapi.json.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

#include "format/trust.hpp"
#include "server/fleet_analytics.hpp"
#include "server/store.hpp"

namespace httplib {
class Server;
}

namespace edgeai::server {

struct ServerOptions {
  std::string data_dir;
  std::string host = "127.0.0.1";
  int port = 8080;     // 0: any free port (see UpdateServer::port)
  std::string db_url;  // empty: DATA_DIR/edgeai.db
  // First start only: the root key signs root.json, naming the release key and the server's
  // timestamp key. Later starts read root.json.
  std::string root_key_path, release_pub_path;
  std::string tls_cert_path, tls_key_path;  // both set: HTTPS
  std::int64_t max_upload_bytes = std::int64_t{512} << 20;
  std::int64_t timestamp_ttl_seconds = 24 * 3600;
  int threads = 64;  // request threads; a long-poll holds one
  int max_wait_seconds = 60;
  AnalyticsOptions analytics;  // drift threshold and windows (issue 7)
  std::string request_log;     // every request (method, path, body) as JSON lines: an audit of what devices send
};

class UpdateServer {
 public:
  static Result<std::unique_ptr<UpdateServer>> create(const ServerOptions& options);
  ~UpdateServer();

  // Binds; the port is known after this.
  Status bind();
  int port() const { return port_; }
  // Serves until stop() (from another thread or a signal handler's thread).
  Status serve();
  void stop();

 private:
  UpdateServer() = default;
  void routes();
  void tick_loop();
  void evaluate_fleet();  // drift alerts and campaign health; wakes devices when a campaign changed
  void changed();                                       // wakes long-polls
  std::pair<RootMetadata, std::string> current_root();  // the metadata and its envelope
  std::int64_t root_version();                          // without copying it (every poll asks)

  ServerOptions options_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<FleetAnalytics> analytics_;
  std::unique_ptr<httplib::Server> http_;
  RootMetadata root_;
  std::string root_envelope_;
  KeyPair timestamp_key_;
  std::string admin_token_hash_;
  int port_ = 0;

  std::mutex mutex_;
  std::mutex delta_mutex_;
  std::mutex evaluate_mutex_;
  std::chrono::steady_clock::time_point last_evaluation_{};
  std::mutex root_mutex_;  // root_ and root_envelope_ change at a key rotation
  std::condition_variable wake_;
  std::uint64_t generation_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread ticker_;
  struct Metrics;
  std::unique_ptr<Metrics> metrics_;
};

}  // namespace edgeai::server
