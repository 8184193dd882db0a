#include "server/update_server.hpp"

#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sodium.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>

#include "format/atomic_file.hpp"
#include "format/delta.hpp"
#include "format/json_fields.hpp"
#include "server/fleet_page.hpp"
#include "server/openapi.hpp"

namespace edgeai::server {
namespace {

namespace fs = std::filesystem;
using json_fields::json;

std::int64_t now_seconds() { return static_cast<std::int64_t>(std::time(nullptr)); }

std::string random_hex(std::size_t bytes) {
  std::vector<std::uint8_t> buffer(bytes);
  randombytes_buf(buffer.data(), buffer.size());
  return to_hex(buffer);
}

// Equal secrets' hashes, compared in constant time.
bool same_hash(const std::string& a, const std::string& b) {
  return a.size() == b.size() && sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string bearer(const httplib::Request& req) {
  const std::string header = req.get_header_value("Authorization");
  constexpr std::string_view kPrefix = "Bearer ";
  return header.rfind(kPrefix, 0) == 0 ? header.substr(kPrefix.size()) : std::string();
}

// The request's route with identifiers replaced, for metrics labels.
std::string route_of(const std::string& path) {
  static const char* const kRoutes[] = {"/api/v1/enroll",
                                        "/api/v1/enrollment-tokens",
                                        "/api/v1/device/desired",
                                        "/api/v1/device/artifacts",
                                        "/api/v1/device/deltas",
                                        "/api/v1/device/status",
                                        "/api/v1/device/telemetry",
                                        "/api/v1/devices",
                                        "/api/v1/releases",
                                        "/api/v1/campaigns",
                                        "/api/v1/root",
                                        "/api/v1/analytics",
                                        "/api/v1/alerts",
                                        "/api/v1/samples",
                                        "/dashboard",
                                        "/openapi.json",
                                        "/metrics",
                                        "/healthz"};
  for (const char* r : kRoutes) {
    if (path.rfind(r, 0) == 0) return r;
  }
  return "other";
}

json device_json(const DeviceRow& d) {
  return json{{"id", d.id},
              {"group", d.device_group},
              {"tags", d.tags},
              {"enrolled_at", format_utc(d.enrolled_at)},
              {"last_seen", format_utc(d.last_seen)},
              {"state", d.state},
              {"active_version", d.active_version},
              {"target_version", d.target_version},
              {"last_error", d.last_error}};
}

json release_json(const ReleaseRow& r) {
  return json{{"name", r.target.name},           {"version", r.target.version},
              {"sha256", r.target.sha256},       {"size", r.target.size},
              {"group", r.target.device_group},  {"release_counter", r.target.release_counter},
              {"downgrade", r.target.downgrade}, {"uploaded_at", format_utc(r.uploaded_at)}};
}

json campaign_json(const CampaignRow& c, const std::vector<AssignmentRow>* assignments) {
  json j{{"id", c.id},
         {"release", {{"name", c.release_name}, {"version", c.release_version}}},
         {"group", c.device_group},
         {"phases", c.phases},
         {"phase", c.phase},
         {"soak_seconds", c.soak_seconds},
         {"max_failure_rate", c.max_failure_rate},
         {"state", c.state},
         {"halt_reason", c.halt_reason},
         {"created_at", format_utc(c.created_at)},
         {"updated_at", format_utc(c.updated_at)}};
  if (assignments != nullptr) {
    json list = json::array();
    std::map<std::string, int> counts{{"pending", 0}, {"installed", 0}, {"failed", 0}};
    for (const AssignmentRow& a : *assignments) {
      ++counts[a.result];
      list.push_back({{"device", a.device_id},
                      {"phase", a.phase},
                      {"result", a.result},
                      {"assigned_at", format_utc(a.assigned_at)},
                      {"finished_at", a.finished_at ? format_utc(a.finished_at) : ""},
                      {"detail", a.detail}});
    }
    j["assignments"] = list;
    j["counts"] = counts;
  }
  return j;
}

// Streams a file; httplib answers Range requests (206) from a provider that knows the length.
bool serve_file(const std::string& path, httplib::Response& res) {
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  if (ec) return false;
  auto file = std::make_shared<std::ifstream>(path, std::ios::binary);
  if (!*file) return false;
  res.set_content_provider(static_cast<std::size_t>(size), "application/octet-stream",
                           [file](std::size_t offset, std::size_t length, httplib::DataSink& sink) {
                             std::vector<char> buffer(std::min<std::size_t>(length, 256 * 1024));
                             file->clear();
                             file->seekg(static_cast<std::streamoff>(offset));
                             file->read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
                             const auto got = static_cast<std::size_t>(file->gcount());
                             if (got == 0) return false;
                             return sink.write(buffer.data(), got);
                           });
  return true;
}

// Debian's compiled cpp-httplib listens with a backlog of 5: with a fleet connecting at once the
// kernel drops handshakes (1 s stalls). Linux lets listen() be called again on a listening socket
// to raise the backlog; httplib does not expose its socket, so find it by its port.
void raise_listen_backlog(int port) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/proc/self/fd", ec)) {
    const int fd = std::atoi(entry.path().filename().c_str());
    int listening = 0;
    socklen_t len = sizeof listening;
    if (::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) != 0 || !listening) continue;
    sockaddr_storage addr{};
    socklen_t addr_len = sizeof addr;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &addr_len) != 0) continue;
    int bound = -1;
    if (addr.ss_family == AF_INET) bound = ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
    if (addr.ss_family == AF_INET6) bound = ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port);
    if (bound == port) ::listen(fd, SOMAXCONN);
  }
}

}  // namespace

struct UpdateServer::Metrics {
  std::mutex mutex;
  std::map<std::pair<std::string, int>, std::uint64_t> requests;  // (route, status) -> count
  static constexpr double kBuckets[] = {0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30, 60};
  struct Latency {
    std::uint64_t buckets[std::size(kBuckets)] = {};
    std::uint64_t count = 0;
    double sum = 0;
  };
  std::map<std::string, Latency> latency;
  std::uint64_t rejected = 0;
};

UpdateServer::~UpdateServer() {
  stop();
  if (ticker_.joinable()) ticker_.join();
}

Result<std::unique_ptr<UpdateServer>> UpdateServer::create(const ServerOptions& options) {
  if (sodium_init() < 0) return internal_error("libsodium failed to initialise");
  std::unique_ptr<UpdateServer> server(new UpdateServer());
  server->options_ = options;
  server->metrics_ = std::make_unique<Metrics>();
  const fs::path dir(options.data_dir);
  std::error_code ec;
  fs::create_directories(dir / "artifacts", ec);
  fs::create_directories(dir / "keys", ec);
  if (ec) return io_error(options.data_dir, ": cannot create the data directory: ", ec.message());

  // The online timestamp key: made on first start, kept owner-only.
  const std::string ts_prefix = (dir / "keys" / "timestamp").string();
  if (!fs::exists(ts_prefix + ".key")) EDGEAI_RETURN_IF_ERROR(write_key_files(ts_prefix, generate_key_pair()));
  EDGEAI_ASSIGN_OR_RETURN(server->timestamp_key_, read_secret_key_file(ts_prefix + ".key"));

  // The root: signed once by the offline root key, then read back on every start.
  const std::string root_path = (dir / "root.json").string();
  if (!fs::exists(root_path)) {
    if (options.root_key_path.empty() || options.release_pub_path.empty()) {
      return failed_precondition(root_path,
                                 " does not exist: on first start pass --root-key (the offline root key, to sign the "
                                 "root metadata) and --release-pub (the public key that signs releases)");
    }
    EDGEAI_ASSIGN_OR_RETURN(KeyPair root_key, read_secret_key_file(options.root_key_path));
    EDGEAI_ASSIGN_OR_RETURN(PublicKey release_pub, read_public_key_file(options.release_pub_path));
    RootMetadata root;
    root.version = 1;
    root.expires = format_utc(now_seconds() + 365LL * 24 * 3600);
    for (const PublicKey& k : {root_key.public_key, release_pub, server->timestamp_key_.public_key}) {
      root.keys[key_id(k)] = k;
    }
    root.root.keyids = {key_id(root_key.public_key)};
    root.targets.keyids = {key_id(release_pub)};
    root.timestamp.keyids = {key_id(server->timestamp_key_.public_key)};
    const KeyPair* signers[] = {&root_key};
    EDGEAI_RETURN_IF_ERROR(write_file_atomically(root_path, sign_envelope(kRootType, root_to_json(root), signers)));
  }
  EDGEAI_ASSIGN_OR_RETURN(server->root_envelope_, read_whole_file(root_path));
  EDGEAI_ASSIGN_OR_RETURN(Envelope root_env, parse_envelope(server->root_envelope_));
  EDGEAI_ASSIGN_OR_RETURN(server->root_, root_from_json(root_env.payload));
  if (valid_signatures(root_env, server->root_.keys, server->root_.root.keyids) < server->root_.root.threshold) {
    return data_loss(root_path, ": not signed by its own root keys");
  }
  // Every root version is kept (roots/N.json): a device that pinned an old one walks the chain.
  fs::create_directories(dir / "roots", ec);
  const fs::path this_root = dir / "roots" / str_cat(server->root_.version, ".json");
  if (!fs::exists(this_root)) EDGEAI_RETURN_IF_ERROR(write_file_atomically(this_root.string(), server->root_envelope_));
  if (std::find(server->root_.timestamp.keyids.begin(), server->root_.timestamp.keyids.end(),
                key_id(server->timestamp_key_.public_key)) == server->root_.timestamp.keyids.end()) {
    return failed_precondition(root_path, " does not name this server's timestamp key ", ts_prefix, ".pub");
  }

  // The operator's token: shown once in the file, kept as a hash in memory.
  const std::string token_path = (dir / "admin-token").string();
  if (!fs::exists(token_path)) {
    EDGEAI_RETURN_IF_ERROR(write_file_atomically(token_path, "adm_" + random_hex(24) + "\n", 0600));
  }
  EDGEAI_ASSIGN_OR_RETURN(std::string token, read_whole_file(token_path));
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.pop_back();
  server->admin_token_hash_ = sha256_hex(token);

  const std::string db = options.db_url.empty() ? (dir / "edgeai.db").string() : options.db_url;
  EDGEAI_ASSIGN_OR_RETURN(std::unique_ptr<Database> database, open_database(db));
  EDGEAI_ASSIGN_OR_RETURN(server->store_, Store::open(std::move(database)));
  EDGEAI_ASSIGN_OR_RETURN(server->analytics_,
                          FleetAnalytics::open(*server->store_, (dir / "artifacts").string(), options.analytics));
  FleetAnalytics* analytics = server->analytics_.get();
  server->store_->set_phase_gate([analytics](const CampaignRow& c) { return analytics->phase_ready(c); });

  if (!options.tls_cert_path.empty() || !options.tls_key_path.empty()) {
    auto https = std::make_unique<httplib::SSLServer>(options.tls_cert_path.c_str(), options.tls_key_path.c_str());
    if (!https->is_valid()) {
      return invalid_argument("cannot use TLS certificate ", options.tls_cert_path, " / key ", options.tls_key_path);
    }
    server->http_ = std::move(https);
  } else {
    server->http_ = std::make_unique<httplib::Server>();
  }
  server->routes();
  return server;
}

Status UpdateServer::bind() {
  if (options_.port == 0) {
    port_ = http_->bind_to_any_port(options_.host);
    if (port_ <= 0) return io_error("cannot listen on ", options_.host, ": no free port");
  } else {
    if (!http_->bind_to_port(options_.host, options_.port)) {
      return io_error("cannot listen on ", options_.host, ":", options_.port, " (in use, or not an address here)");
    }
    port_ = options_.port;
  }
  raise_listen_backlog(port_);
  return Status::ok();
}

Status UpdateServer::serve() {
  ticker_ = std::thread([this] { tick_loop(); });
  const bool ok = http_->listen_after_bind();
  stop();
  if (ticker_.joinable()) ticker_.join();
  return ok || stopping_ ? Status::ok() : io_error("the server stopped with an error");
}

void UpdateServer::stop() {
  if (stopping_.exchange(true)) return;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++generation_;
  }
  wake_.notify_all();
  if (http_) http_->stop();
}

std::int64_t UpdateServer::root_version() {
  std::lock_guard<std::mutex> lock(root_mutex_);
  return root_.version;
}

std::pair<RootMetadata, std::string> UpdateServer::current_root() {
  std::lock_guard<std::mutex> lock(root_mutex_);
  return {root_, root_envelope_};
}

void UpdateServer::changed() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++generation_;
  }
  wake_.notify_all();
}

// Phases move on their own time (soak), so a ticker advances campaigns once a second.
void UpdateServer::evaluate_fleet() {
  std::lock_guard<std::mutex> lock(evaluate_mutex_);  // one evaluation at a time: alerts are raised once
  // At most once a second: it aggregates the last hour of windows, and devices report often.
  const auto now = std::chrono::steady_clock::now();
  if (now - last_evaluation_ < std::chrono::seconds(1)) return;
  last_evaluation_ = now;
  Result<bool> moved = analytics_->evaluate(now_seconds());
  if (!moved.is_ok()) {
    std::fprintf(stderr, "edgeai server: analytics: %s\n", moved.status().to_string().c_str());
  } else if (*moved) {
    changed();
  }
}

void UpdateServer::tick_loop() {
  int ticks = 0;
  while (!stopping_) {
    Result<bool> moved = store_->advance_campaigns(now_seconds());
    if (!moved.is_ok()) {
      std::fprintf(stderr, "edgeai server: campaigns: %s\n", moved.status().to_string().c_str());
    } else if (*moved) {
      changed();
    }
    if (++ticks % 5 == 0) evaluate_fleet();  // also without new telemetry: drift windows slide
    std::unique_lock<std::mutex> lock(mutex_);
    wake_.wait_for(lock, std::chrono::seconds(1), [this] { return stopping_.load(); });
  }
}

void UpdateServer::routes() {
  httplib::Server& s = *http_;
  s.new_task_queue = [threads = options_.threads] {
    return new httplib::ThreadPool(static_cast<std::size_t>(threads));
  };
  s.set_payload_max_length(static_cast<std::size_t>(options_.max_upload_bytes));
  s.set_read_timeout(30, 0);
  s.set_write_timeout(30, 0);
  // Small JSON answers on kept-alive connections: without TCP_NODELAY each waits ~40 ms for
  // Nagle's algorithm; and a device polls for hours on one connection.
  s.set_tcp_nodelay(true);
  s.set_keep_alive_max_count(100000);
  s.set_keep_alive_timeout(120);

  Metrics& metrics = *metrics_;
  std::FILE* request_log = nullptr;
  if (!options_.request_log.empty()) {
    request_log = std::fopen(options_.request_log.c_str(), "a");
    if (request_log == nullptr) std::fprintf(stderr, "edgeai server: cannot open %s\n", options_.request_log.c_str());
  }
  s.set_logger([&metrics, request_log](const httplib::Request& req, const httplib::Response& res) {
    std::lock_guard<std::mutex> lock(metrics.mutex);
    ++metrics.requests[{route_of(req.path), res.status}];
    if (request_log != nullptr) {  // the audit: what arrived, byte for byte (binary as replacement characters)
      const json line{{"at", now_seconds()}, {"method", req.method}, {"path", req.path},
                      {"status", res.status}, {"body", req.body}};
      std::fprintf(request_log, "%s\n", line.dump(-1, ' ', false, json::error_handler_t::replace).c_str());
      std::fflush(request_log);
    }
    // httplib answered these before any handler (handlers log their own): log the reason here.
    if (res.status == 413) {
      ++metrics.rejected;
      std::fprintf(stderr, "edgeai server: rejected %s %s: 413 body larger than the upload limit\n", req.method.c_str(),
                   req.path.c_str());
    } else if (res.status == 404 && res.body.empty()) {
      ++metrics.rejected;
      std::fprintf(stderr, "edgeai server: rejected %s %s: 404 no such route\n", req.method.c_str(), req.path.c_str());
    }
  });

  // Every rejection: a JSON body naming the reason, and one log line.
  auto reject = [&metrics](httplib::Response& res, int status, const std::string& why, const httplib::Request& req) {
    {
      std::lock_guard<std::mutex> lock(metrics.mutex);
      ++metrics.rejected;
    }
    std::fprintf(stderr, "edgeai server: rejected %s %s: %d %s\n", req.method.c_str(), req.path.c_str(), status,
                 why.c_str());
    res.status = status;
    res.set_content(json_fields::to_text(json{{"error", why}}) + "\n", "application/json");
  };
  auto reply = [](httplib::Response& res, const json& body, int status = 200) {
    res.status = status;
    res.set_content(json_fields::to_text(body) + "\n", "application/json");
  };
  auto status_code = [](const Status& st) {
    switch (st.code()) {
      case StatusCode::kNotFound:
        return 404;
      case StatusCode::kFailedPrecondition:
        return 409;
      case StatusCode::kInvalidArgument:
      case StatusCode::kOutOfRange:
        return 400;
      case StatusCode::kDataLoss:
        return 422;
      default:
        return 500;
    }
  };
  // Wraps a handler: its latency into the metrics.
  auto timed = [&metrics](std::string route, httplib::Server::Handler handler) {
    return [&metrics, route = std::move(route), handler = std::move(handler)](const httplib::Request& req,
                                                                              httplib::Response& res) {
      const auto start = std::chrono::steady_clock::now();
      handler(req, res);
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      std::lock_guard<std::mutex> lock(metrics.mutex);
      Metrics::Latency& l = metrics.latency[route];
      ++l.count;
      l.sum += seconds;
      for (std::size_t i = 0; i < std::size(Metrics::kBuckets); ++i) l.buckets[i] += seconds <= Metrics::kBuckets[i];
    };
  };
  auto is_admin = [this](const httplib::Request& req) {
    const std::string token = bearer(req);
    return !token.empty() && same_hash(sha256_hex(token), admin_token_hash_);
  };
  // The operator's routes: 401 without a credential, 403 with a device's.
  auto admin = [this, reject, is_admin](const httplib::Request& req, httplib::Response& res) {
    if (is_admin(req)) return true;
    const std::string token = bearer(req);
    if (token.empty()) {
      reject(res, 401, "no credential: send 'Authorization: Bearer <admin token>'", req);
    } else {
      Result<std::optional<DeviceRow>> device = store_->device_by_credential(sha256_hex(token));
      if (device.is_ok() && device->has_value()) {
        reject(res, 403, "device '" + (*device)->id + "' may not use the operator's API", req);
      } else {
        reject(res, 401, "credential not valid", req);
      }
    }
    return false;
  };
  auto device_of = [this, reject](const httplib::Request& req, httplib::Response& res) -> std::optional<DeviceRow> {
    const std::string token = bearer(req);
    if (token.empty()) {
      reject(res, 401, "no credential: send 'Authorization: Bearer <device credential>'", req);
      return std::nullopt;
    }
    Result<std::optional<DeviceRow>> device = store_->device_by_credential(sha256_hex(token));
    if (!device.is_ok()) {
      reject(res, 500, device.status().to_string(), req);
      return std::nullopt;
    }
    if (!device->has_value()) {
      reject(res, 401, "device credential not valid", req);
      return std::nullopt;
    }
    return **device;
  };
  auto body_json = [reject](const httplib::Request& req, httplib::Response& res) -> std::optional<json> {
    Result<json> parsed = json_fields::parse_object(req.body, "request body");
    if (!parsed.is_ok()) {
      reject(res, 400, "malformed JSON: " + parsed.status().message(), req);
      return std::nullopt;
    }
    return *parsed;
  };

  s.Get("/healthz", [reply](const httplib::Request&, httplib::Response& res) { reply(res, json{{"ok", true}}); });
  s.Get("/openapi.json", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(openapi_document(), "application/json");
  });
  s.Get("/api/v1/root", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(current_root().second, "application/json");
  });
  s.Get(R"(/api/v1/root/(\d+))", [this, reject](const httplib::Request& req, httplib::Response& res) {
    Result<std::string> text =
        read_whole_file((fs::path(options_.data_dir) / "roots" / (std::string(req.matches[1]) + ".json")).string());
    if (!text.is_ok()) return reject(res, 404, "no root version " + std::string(req.matches[1]), req);
    res.set_content(*text, "application/json");
  });
  // Key rotation: the next root, signed by the current root's keys and by its own.
  s.Post("/api/v1/root",
         timed("/api/v1/root", [this, admin, reject, reply](const httplib::Request& req, httplib::Response& res) {
           if (!admin(req, res)) return;
           std::lock_guard<std::mutex> lock(root_mutex_);
           TrustState chain(root_);
           if (Status st = chain.update_root(req.body, now_seconds()); !st.is_ok()) {
             return reject(res, 422, st.message(), req);
           }
           const RootMetadata& next = chain.root();
           if (std::find(next.timestamp.keyids.begin(), next.timestamp.keyids.end(),
                         key_id(timestamp_key_.public_key)) == next.timestamp.keyids.end()) {
             return reject(res, 422, "the new root does not name this server's timestamp key", req);
           }
           const fs::path dir(options_.data_dir);
           if (Status st = write_file_atomically((dir / "roots" / str_cat(next.version, ".json")).string(), req.body);
               !st.is_ok()) {
             return reject(res, 500, st.message(), req);
           }
           if (Status st = write_file_atomically((dir / "root.json").string(), req.body); !st.is_ok()) {
             return reject(res, 500, st.message(), req);
           }
           root_ = next;
           root_envelope_ = req.body;
           std::fprintf(stderr, "edgeai server: root rotated to version %lld\n", static_cast<long long>(next.version));
           changed();
           reply(res, json{{"version", next.version}, {"expires", next.expires}}, 201);
         }));

  s.Get("/metrics", timed("/metrics", [this, &metrics](const httplib::Request&, httplib::Response& res) {
          std::string out;
          out += "# HELP edgeai_http_requests_total HTTP requests by route and status code.\n";
          out += "# TYPE edgeai_http_requests_total counter\n";
          std::lock_guard<std::mutex> lock(metrics.mutex);
          for (const auto& [key, count] : metrics.requests) {
            out += str_cat("edgeai_http_requests_total{route=\"", key.first, "\",code=\"", key.second, "\"} ", count,
                           "\n");
          }
          out += "# HELP edgeai_http_rejected_total Requests refused (authentication, validation, limits).\n";
          out += "# TYPE edgeai_http_rejected_total counter\n";
          out += str_cat("edgeai_http_rejected_total ", metrics.rejected, "\n");
          out += "# HELP edgeai_http_request_duration_seconds Time to answer, by route.\n";
          out += "# TYPE edgeai_http_request_duration_seconds histogram\n";
          for (const auto& [route, l] : metrics.latency) {
            for (std::size_t i = 0; i < std::size(Metrics::kBuckets); ++i) {
              out += str_cat("edgeai_http_request_duration_seconds_bucket{route=\"", route, "\",le=\"",
                             Metrics::kBuckets[i], "\"} ", l.buckets[i], "\n");
            }
            out += str_cat("edgeai_http_request_duration_seconds_bucket{route=\"", route, "\",le=\"+Inf\"} ", l.count,
                           "\n");
            out += str_cat("edgeai_http_request_duration_seconds_sum{route=\"", route, "\"} ", l.sum, "\n");
            out += str_cat("edgeai_http_request_duration_seconds_count{route=\"", route, "\"} ", l.count, "\n");
          }
          std::map<std::string, int> states;
          if (Result<std::vector<DeviceRow>> devices = store_->devices(); devices.is_ok()) {
            for (const DeviceRow& d : *devices) ++states[d.state];
          }
          out += "# HELP edgeai_devices Enrolled devices by their last reported state.\n# TYPE edgeai_devices gauge\n";
          for (const auto& [state, n] : states) out += str_cat("edgeai_devices{state=\"", state, "\"} ", n, "\n");
          out += "# HELP edgeai_campaign_devices Devices of each campaign by result.\n";
          out += "# TYPE edgeai_campaign_devices gauge\n";
          if (Result<std::vector<CampaignRow>> campaigns = store_->campaigns(); campaigns.is_ok()) {
            for (const CampaignRow& c : *campaigns) {
              std::map<std::string, int> counts{{"pending", 0}, {"installed", 0}, {"failed", 0}};
              if (auto a = store_->assignments(c.id); a.is_ok()) {
                for (const AssignmentRow& row : *a) ++counts[row.result];
              }
              for (const auto& [result, n] : counts) {
                out += str_cat("edgeai_campaign_devices{campaign=\"", c.id, "\",state=\"", c.state, "\",result=\"",
                               result, "\"} ", n, "\n");
              }
            }
          }
          res.set_content(out, "text/plain; version=0.0.4");
        }));

  // --- enrollment -------------------------------------------------------------------------
  s.Post("/api/v1/enrollment-tokens",
         timed("/api/v1/enrollment-tokens", [this, admin, body_json, reject, reply](const httplib::Request& req,
                                                                                    httplib::Response& res) {
           if (!admin(req, res)) return;
           std::optional<json> body = body_json(req, res);
           if (!body) return;
           Result<std::string> group = json_fields::get_string(*body, "group");
           if (!group.is_ok()) return reject(res, 400, group.status().message(), req);
           std::vector<std::string> tags;
           if (auto it = body->find("tags"); it != body->end()) {
             if (!it->is_array()) return reject(res, 400, "field 'tags' must be an array of strings", req);
             for (const json& t : *it) {
               if (!t.is_string()) return reject(res, 400, "field 'tags' must be an array of strings", req);
               tags.push_back(t.get<std::string>());
             }
           }
           const std::int64_t count = json_fields::get_int_or(*body, "count", 1);
           const std::int64_t ttl = json_fields::get_int_or(*body, "ttl_seconds", 7 * 24 * 3600);
           Result<std::vector<std::string>> tokens = store_->create_enrollment_tokens(
               *group, tags, static_cast<int>(std::clamp<std::int64_t>(count, 0, 100000)), ttl, now_seconds());
           if (!tokens.is_ok()) return reject(res, 400, tokens.status().message(), req);
           reply(res, json{{"tokens", *tokens}, {"group", *group}, {"expires", format_utc(now_seconds() + ttl)}}, 201);
         }));

  s.Post("/api/v1/enroll",
         timed("/api/v1/enroll", [this, body_json, reject, reply](const httplib::Request& req, httplib::Response& res) {
           std::optional<json> body = body_json(req, res);
           if (!body) return;
           Result<std::string> token = json_fields::get_string(*body, "token");
           if (!token.is_ok()) return reject(res, 400, token.status().message(), req);
           const std::string name = json_fields::get_string_or(*body, "name", "");
           const std::string credential = "dev_" + random_hex(32);
           Result<DeviceRow> device = store_->enroll(*token, name, sha256_hex(credential), now_seconds());
           if (!device.is_ok()) {
             const int code = device.status().code() == StatusCode::kFailedPrecondition ? 403 : 400;
             return reject(res, code, device.status().message(), req);
           }
           std::fprintf(stderr, "edgeai server: enrolled device %s (group %s)\n", device->id.c_str(),
                        device->device_group.c_str());
           reply(res,
                 json{{"device_id", device->id},
                      {"credential", credential},
                      {"group", device->device_group},
                      {"root", current_root().second}},
                 201);
           changed();
         }));

  // --- devices --------------------------------------------------------------------------------
  s.Get("/api/v1/devices",
        timed("/api/v1/devices", [this, admin, reject, reply](const httplib::Request& req, httplib::Response& res) {
          if (!admin(req, res)) return;
          Result<std::vector<DeviceRow>> devices =
              store_->devices(req.get_param_value("group"), req.get_param_value("tag"));
          if (!devices.is_ok()) return reject(res, 500, devices.status().to_string(), req);
          json list = json::array();
          for (const DeviceRow& d : *devices) list.push_back(device_json(d));
          reply(res, json{{"devices", list}});
        }));
  s.Get(R"(/api/v1/devices/([^/]+))",
        timed("/api/v1/devices", [this, admin, reject, reply](const httplib::Request& req, httplib::Response& res) {
          if (!admin(req, res)) return;
          Result<std::optional<DeviceRow>> device = store_->device(req.matches[1]);
          if (!device.is_ok()) return reject(res, 500, device.status().to_string(), req);
          if (!device->has_value()) return reject(res, 404, "no device '" + std::string(req.matches[1]) + "'", req);
          json j = device_json(**device);
          if (auto desired = store_->desired((*device)->id); desired.is_ok() && desired->has_value()) {
            j["desired"] = {{"campaign", (*desired)->campaign_id}, {"release", release_json((*desired)->release)}};
          }
          reply(res, j);
        }));
  s.Put(R"(/api/v1/devices/([^/]+))",
        timed("/api/v1/devices",
              [this, admin, body_json, reject, reply](const httplib::Request& req, httplib::Response& res) {
                if (!admin(req, res)) return;
                std::optional<json> body = body_json(req, res);
                if (!body) return;
                std::optional<std::string> group;
                std::optional<std::vector<std::string>> tags;
                if (auto g = json_fields::get_string(*body, "group"); g.is_ok()) group = *g;
                if (auto it = body->find("tags"); it != body->end()) {
                  tags.emplace();
                  if (!it->is_array()) return reject(res, 400, "field 'tags' must be an array of strings", req);
                  for (const json& t : *it) {
                    if (!t.is_string()) return reject(res, 400, "field 'tags' must be an array of strings", req);
                    tags->push_back(t.get<std::string>());
                  }
                }
                if (Status st = store_->set_device_labels(req.matches[1], group, tags); !st.is_ok()) {
                  return reject(res, st.code() == StatusCode::kNotFound ? 404 : 400, st.message(), req);
                }
                changed();
                reply(res, json{{"ok", true}});
              }));

  // --- releases -------------------------------------------------------------------------------
  s.Get("/api/v1/releases",
        timed("/api/v1/releases", [this, admin, reject, reply](const httplib::Request& req, httplib::Response& res) {
          if (!admin(req, res)) return;
          Result<std::vector<ReleaseRow>> releases = store_->releases();
          if (!releases.is_ok()) return reject(res, 500, releases.status().to_string(), req);
          json list = json::array();
          for (const ReleaseRow& r : *releases) list.push_back(release_json(r));
          reply(res, json{{"releases", list}, {"next_release_counter", store_->next_release_counter()}});
        }));
  s.Post(
      "/api/v1/releases",
      timed("/api/v1/releases", [this, admin, reject, reply](const httplib::Request& req, httplib::Response& res) {
        if (!admin(req, res)) return;
        if (!req.is_multipart_form_data() || !req.has_file("targets") || !req.has_file("bundle")) {
          return reject(res, 400, "expected multipart/form-data with parts 'targets' and 'bundle'", req);
        }
        const std::string targets_envelope = req.get_file_value("targets").content;
        const std::string& bundle = req.get_file_value("bundle").content;
        // The server checks what a device will check, so that a bad release fails here first.
        Result<Envelope> env = parse_envelope(targets_envelope);
        if (!env.is_ok()) return reject(res, 400, "targets: " + env.status().message(), req);
        if (env->payload_type != kTargetsType || [&] {
              const RootMetadata root = current_root().first;
              return valid_signatures(*env, root.keys, root.targets.keyids) < root.targets.threshold;
            }()) {
          return reject(res, 422, "targets metadata is not signed by the release key the root names", req);
        }
        Result<TargetsMetadata> targets = targets_from_json(env->payload);
        if (!targets.is_ok()) return reject(res, 400, targets.status().message(), req);
        if (targets->targets.size() != 1) return reject(res, 400, "targets must name exactly one bundle", req);
        const TargetInfo& t = targets->targets[0];
        if (!is_safe_target_name(t.name) || !is_safe_target_name(t.version) || !is_safe_target_name(t.device_group)) {
          return reject(res, 400, "name, version and group: letters, digits, '.', '-', '_' only", req);
        }
        const std::span<const std::uint8_t> bytes(reinterpret_cast<const std::uint8_t*>(bundle.data()), bundle.size());
        if (Status st = check_download_size(t, static_cast<std::int64_t>(bytes.size())); !st.is_ok()) {
          return reject(res, 422, st.message(), req);
        }
        if (Status st = check_download_hash(t, bytes); !st.is_ok()) return reject(res, 422, st.message(), req);
        if (t.release_counter != targets->version) {
          return reject(res, 400, "targets version must equal the release counter", req);
        }
        if (t.release_counter < store_->next_release_counter()) {
          return reject(res, 409,
                        str_cat("release counter ", t.release_counter,
                                " is not above every published one (next: ", store_->next_release_counter(), ")"),
                        req);
        }
        const std::string path = (fs::path(options_.data_dir) / "artifacts" / t.sha256).string();
        if (Status st = write_file_atomically(path, bytes); !st.is_ok()) return reject(res, 500, st.message(), req);
        ReleaseRow row{t, targets_envelope, now_seconds()};
        if (Status st = store_->add_release(row); !st.is_ok()) return reject(res, 409, st.message(), req);
        std::fprintf(stderr, "edgeai server: published %s %s (%lld bytes, counter %lld)\n", t.name.c_str(),
                     t.version.c_str(), static_cast<long long>(t.size), static_cast<long long>(t.release_counter));
        reply(res, release_json(row), 201);
      }));

  // --- campaigns ------------------------------------------------------------------------------
  // A campaign with its assignments, quality policy and what its release did on its devices.
  auto campaign_detail = [this](const CampaignRow& c) {
    auto assignments = store_->assignments(c.id);
    json j = campaign_json(c, assignments.is_ok() ? &*assignments : nullptr);
    if (auto p = analytics_->policy(c.id); p.is_ok()) j["quality"] = to_json(*p);
    if (auto t = analytics_->campaign_stats(c, false); t.is_ok() && t->has_value()) j["telemetry"] = to_json(**t);
    if (auto t = analytics_->campaign_stats(c, true); t.is_ok() && t->has_value()) j["shadow"] = to_json(**t);
    return j;
  };
  s.Post("/api/v1/campaigns", timed("/api/v1/campaigns", [this, admin, body_json, reject, reply, status_code,
                                                          campaign_detail](
                                                             const httplib::Request& req, httplib::Response& res) {
           if (!admin(req, res)) return;
           std::optional<json> body = body_json(req, res);
           if (!body) return;
           CampaignRow spec;
           Result<std::string> name = json_fields::get_string(*body, "release");
           Result<std::string> version = json_fields::get_string(*body, "version");
           if (!name.is_ok() || !version.is_ok())
             return reject(res, 400, "fields 'release' and 'version' are needed", req);
           spec.release_name = *name;
           spec.release_version = *version;
           if (auto g = json_fields::get_string(*body, "group"); g.is_ok()) spec.device_group = *g;
           if (auto it = body->find("phases"); it != body->end()) {
             if (!it->is_array()) return reject(res, 400, "field 'phases' must be an array of percentages", req);
             for (const json& p : *it) {
               if (!p.is_number_integer())
                 return reject(res, 400, "field 'phases' must be an array of percentages", req);
               spec.phases.push_back(p.get<int>());
             }
           }
           if (auto soak = json_fields::get_int(*body, "soak_seconds"); soak.is_ok()) spec.soak_seconds = *soak;
           if (auto it = body->find("max_failure_rate"); it != body->end()) {
             if (!it->is_number()) return reject(res, 400, "field 'max_failure_rate' must be a number", req);
             spec.max_failure_rate = it->get<double>();
           }
           QualityPolicy policy;
           policy.mode = json_fields::get_string_or(*body, "mode", "rollout");
           for (auto [field, value] : {std::pair<const char*, double*>{"max_latency_ratio", &policy.max_latency_ratio},
                                       {"max_anomaly_increase", &policy.max_anomaly_increase},
                                       {"min_agreement", &policy.min_agreement}}) {
             if (auto it = body->find(field); it != body->end()) {
               if (!it->is_number()) return reject(res, 400, str_cat("field '", field, "' must be a number"), req);
               *value = it->get<double>();
             }
           }
           policy.min_inferences = json_fields::get_int_or(*body, "min_inferences", policy.min_inferences);
           policy.collect_per_hour = json_fields::get_int_or(*body, "collect_per_hour", 0);
           if (auto it = body->find("collect_below"); it != body->end()) {
             if (!it->is_number()) return reject(res, 400, "field 'collect_below' must be a number", req);
             policy.collect_below = it->get<double>();
           }
           Result<CampaignRow> campaign = store_->create_campaign(
               spec, now_seconds(), [&](std::int64_t id) { return analytics_->set_policy(id, policy); });
           if (!campaign.is_ok()) return reject(res, status_code(campaign.status()), campaign.status().message(), req);
           changed();
           reply(res, campaign_detail(*campaign), 201);
         }));
  s.Get("/api/v1/campaigns",
        timed("/api/v1/campaigns", [this, admin, reject, reply, campaign_detail](const httplib::Request& req,
                                                                                 httplib::Response& res) {
          if (!admin(req, res)) return;
          Result<std::vector<CampaignRow>> campaigns = store_->campaigns();
          if (!campaigns.is_ok()) return reject(res, 500, campaigns.status().to_string(), req);
          json list = json::array();
          for (const CampaignRow& c : *campaigns) list.push_back(campaign_detail(c));
          reply(res, json{{"campaigns", list}});
        }));
  s.Get(R"(/api/v1/campaigns/(\d+))",
        timed("/api/v1/campaigns", [this, admin, reject, reply, campaign_detail](const httplib::Request& req,
                                                                                 httplib::Response& res) {
          if (!admin(req, res)) return;
          Result<std::optional<CampaignRow>> c = store_->campaign(std::stoll(req.matches[1]));
          if (!c.is_ok()) return reject(res, 500, c.status().to_string(), req);
          if (!c->has_value()) return reject(res, 404, "no campaign " + std::string(req.matches[1]), req);
          reply(res, campaign_detail(**c));
        }));
  s.Post(R"(/api/v1/campaigns/(\d+)/(halt|resume))",
         timed("/api/v1/campaigns",
               [this, admin, reject, reply, status_code](const httplib::Request& req, httplib::Response& res) {
                 if (!admin(req, res)) return;
                 const std::int64_t id = std::stoll(req.matches[1]);
                 std::string reason = "halted by the operator";
                 if (!req.body.empty()) {
                   Result<json> body = json_fields::parse_object(req.body, "request body");
                   if (!body.is_ok()) return reject(res, 400, "malformed JSON: " + body.status().message(), req);
                   if (auto r = json_fields::get_string(*body, "reason"); r.is_ok()) reason = *r;
                 }
                 const Status st = req.matches[2] == "halt" ? store_->halt_campaign(id, reason, now_seconds())
                                                            : store_->resume_campaign(id, now_seconds());
                 if (!st.is_ok()) return reject(res, status_code(st), st.message(), req);
                 changed();
                 reply(res, json{{"ok", true}});
               }));

  // --- fleet analytics (issue 7) ----------------------------------------------------------------
  // The dashboard: a static page; its data comes from the API below with the operator's token.
  s.Get("/dashboard", timed("/dashboard", [](const httplib::Request&, httplib::Response& res) {
          res.set_header("Content-Security-Policy",
                         "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'");
          res.set_header("Cache-Control", "no-store");
          res.set_content(fleet_page_html(), "text/html; charset=utf-8");
        }));
  s.Get("/favicon.svg", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 16 16\"><rect width=\"16\" height=\"16\" "
        "rx=\"3\" fill=\"#1d3557\"/><path d=\"M4 11l3-4 2 2 3-5\" stroke=\"#fff\" fill=\"none\"/></svg>",
        "image/svg+xml");
  });
  // ?since=SECONDS: telemetry received in the last SECONDS (default: a day).
  auto since_of = [](const httplib::Request& req) {
    const std::int64_t seconds = req.has_param("since") ? std::atoll(req.get_param_value("since").c_str()) : 86400;
    return now_seconds() - std::clamp<std::int64_t>(seconds, 0, std::int64_t{10} * 365 * 86400);
  };
  s.Get("/api/v1/analytics", timed("/api/v1/analytics", [this, admin, reject, reply, status_code, since_of](
                                                            const httplib::Request& req, httplib::Response& res) {
          if (!admin(req, res)) return;
          const std::string by = req.has_param("by") ? req.get_param_value("by") : "version";
          Result<std::vector<TelemetryStats>> stats = analytics_->summary(by, since_of(req));
          if (!stats.is_ok()) return reject(res, status_code(stats.status()), stats.status().message(), req);
          json list = json::array();
          for (const TelemetryStats& t : *stats) list.push_back(to_json(t));
          reply(res, json{{"by", by}, {"groups", list}});
        }));
  s.Get("/api/v1/analytics/timeline",
        timed("/api/v1/analytics", [this, admin, reject, reply, status_code, since_of](const httplib::Request& req,
                                                                                       httplib::Response& res) {
          if (!admin(req, res)) return;
          const std::int64_t bucket =
              req.has_param("bucket") ? std::atoll(req.get_param_value("bucket").c_str()) : 300;
          auto rows = analytics_->timeline(since_of(req), bucket);
          if (!rows.is_ok()) return reject(res, status_code(rows.status()), rows.status().message(), req);
          json list = json::array();
          for (const auto& [at, t] : *rows) {
            json j = to_json(t);
            j["at"] = at;
            list.push_back(j);
          }
          reply(res, json{{"bucket_seconds", bucket}, {"points", list}});
        }));
  s.Get("/api/v1/samples", timed("/api/v1/samples", [this, admin, reject, reply, since_of](const httplib::Request& req,
                                                                                            httplib::Response& res) {
          if (!admin(req, res)) return;
          Result<std::vector<FleetAnalytics::Sample>> samples = analytics_->samples(since_of(req));
          if (!samples.is_ok()) return reject(res, 500, samples.status().to_string(), req);
          json list = json::array();
          for (const FleetAnalytics::Sample& x : *samples) {
            list.push_back({{"id", x.id},
                            {"at", x.at},
                            {"device", x.device_id},
                            {"model_version", x.model_version},
                            {"label", x.label},
                            {"confidence", x.confidence},
                            {"media_type", x.media_type},
                            {"data", x.data_base64}});
          }
          reply(res, json{{"samples", list}});
        }));
  s.Get("/api/v1/alerts", timed("/api/v1/alerts", [this, admin, reject, reply, since_of](const httplib::Request& req,
                                                                                         httplib::Response& res) {
          if (!admin(req, res)) return;
          Result<std::vector<AlertRow>> alerts = analytics_->alerts(since_of(req));
          if (!alerts.is_ok()) return reject(res, 500, alerts.status().to_string(), req);
          json list = json::array();
          for (const AlertRow& a : *alerts) list.push_back(to_json(a));
          reply(res, json{{"alerts", list}});
        }));

  // --- the device's own endpoints ---------------------------------------------------------------
  s.Get("/api/v1/device/desired",
        timed("/api/v1/device/desired", [this, device_of, reject, reply](const httplib::Request& req,
                                                                         httplib::Response& res) {
          std::optional<DeviceRow> device = device_of(req, res);
          if (!device) return;
          int wait = 0;
          if (req.has_param("wait"))
            wait = std::clamp(std::atoi(req.get_param_value("wait").c_str()), 0, options_.max_wait_seconds);
          const std::string if_none_match = req.get_header_value("If-None-Match");
          const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(wait);
          for (;;) {
            std::uint64_t generation;
            {
              std::lock_guard<std::mutex> lock(mutex_);
              generation = generation_;
            }
            Result<std::optional<Desired>> desired = store_->desired(device->id);
            if (!desired.is_ok()) return reject(res, 500, desired.status().to_string(), req);
            // Shadow: the device runs the release beside its active model instead of installing it.
            std::string mode = "rollout";
            QualityPolicy policy;
            if (desired->has_value()) {
              if (Result<QualityPolicy> p = analytics_->policy((*desired)->campaign_id); p.is_ok()) policy = *p;
              mode = policy.mode;
            }
            const std::string tag =
                desired->has_value()
                    ? str_cat((*desired)->campaign_id, "-", (*desired)->release.target.sha256, "-", mode, "-",
                              policy.collect_per_hour)
                    : std::string("none");
            const std::string etag =
                str_cat('"', sha256_hex(str_cat(device->device_group, "/", tag)).substr(0, 16), '"');
            if (etag != if_none_match || stopping_ || std::chrono::steady_clock::now() >= deadline) {
              (void)store_->touch_device(device->id, now_seconds());
              res.set_header("ETag", etag);
              if (etag == if_none_match) {
                res.status = 304;
                return;
              }
              json body{{"device_id", device->id}, {"group", device->device_group}, {"root_version", root_version()}};
              if (desired->has_value()) {
                const ReleaseRow& r = (*desired)->release;
                // Freshness: signed now, by the online key, naming this exact targets document.
                TimestampMetadata ts;
                const std::int64_t now = now_seconds();
                ts.version = now;
                ts.expires = format_utc(now + options_.timestamp_ttl_seconds);
                ts.targets_version = r.target.release_counter;
                ts.targets_sha256 = sha256_hex(r.targets_envelope);
                const KeyPair* signers[] = {&timestamp_key_};
                body["campaign"] = (*desired)->campaign_id;
                body["mode"] = mode;
                if (policy.collect_per_hour > 0) {  // opted in: uncertain inputs go to the server
                  body["collect"] = {{"max_per_hour", policy.collect_per_hour}, {"below_confidence", policy.collect_below}};
                }
                body["timestamp"] = sign_envelope(kTimestampType, timestamp_to_json(ts), signers);
                body["targets"] = r.targets_envelope;
                body["target"] = {{"name", r.target.name},
                                  {"version", r.target.version},
                                  {"sha256", r.target.sha256},
                                  {"size", r.target.size}};
              } else {
                body["campaign"] = nullptr;
              }
              return reply(res, body);
            }
            std::unique_lock<std::mutex> lock(mutex_);
            wake_.wait_until(lock, deadline, [&] { return generation_ != generation || stopping_.load(); });
          }
        }));

  s.Get(
      R"(/api/v1/device/artifacts/([0-9a-f]{64}))",
      timed("/api/v1/device/artifacts", [this, device_of, reject](const httplib::Request& req, httplib::Response& res) {
        std::optional<DeviceRow> device = device_of(req, res);
        if (!device) return;
        const std::string sha = req.matches[1];
        Result<bool> allowed = store_->may_download(device->id, sha);
        if (!allowed.is_ok()) return reject(res, 500, allowed.status().to_string(), req);
        // Another device's artifact looks the same as one that does not exist.
        if (!*allowed) return reject(res, 404, "no artifact " + sha + " for device " + device->id, req);
        const std::string path = (fs::path(options_.data_dir) / "artifacts" / sha).string();
        if (!serve_file(path, res)) return reject(res, 404, "artifact " + sha + " missing from the store", req);
      }));

  // A model-aware delta (format/delta.hpp) from a bundle the device had to one it is assigned,
  // made once and kept; 404 when no delta is smaller than the bundle (the device then downloads
  // the bundle itself).
  s.Get(R"(/api/v1/device/deltas/([0-9a-f]{64}))",
        timed("/api/v1/device/deltas", [this, device_of, reject](const httplib::Request& req, httplib::Response& res) {
          std::optional<DeviceRow> device = device_of(req, res);
          if (!device) return;
          const std::string target = req.matches[1];
          const std::string base = req.get_param_value("from");
          if (base.size() != 64 || base.find_first_not_of("0123456789abcdef") != std::string::npos) {
            return reject(res, 400, "query 'from' must be the sha256 of the bundle the device has", req);
          }
          Result<bool> to = store_->may_download(device->id, target);
          Result<bool> from = store_->may_download(device->id, base);
          if (!to.is_ok() || !from.is_ok()) return reject(res, 500, "store unavailable", req);
          if (!*to || !*from)
            return reject(res, 404, "no delta " + base + " -> " + target + " for device " + device->id, req);
          const fs::path dir = fs::path(options_.data_dir) / "deltas";
          const std::string path = (dir / (base + "-" + target)).string();
          {
            std::lock_guard<std::mutex> lock(delta_mutex_);  // one delta computed at a time
            std::error_code ec;
            if (!fs::exists(path, ec)) {
              Result<std::string> base_bytes =
                  read_whole_file((fs::path(options_.data_dir) / "artifacts" / base).string());
              Result<std::string> target_bytes =
                  read_whole_file((fs::path(options_.data_dir) / "artifacts" / target).string());
              if (!base_bytes.is_ok() || !target_bytes.is_ok())
                return reject(res, 404, "artifact missing from the store", req);
              const auto span = [](const std::string& b) {
                return std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(b.data()), b.size());
              };
              DeltaStats stats;
              Result<std::vector<std::uint8_t>> delta = make_delta(span(*base_bytes), span(*target_bytes), &stats);
              if (!delta.is_ok()) return reject(res, 404, "no delta: " + delta.status().message(), req);
              // An empty file marks "no smaller delta", so that it is not computed again.
              const bool smaller = delta->size() < target_bytes->size();
              fs::create_directories(dir, ec);
              if (Status st = write_file_atomically(path, smaller ? *delta : std::vector<std::uint8_t>());
                  !st.is_ok()) {
                return reject(res, 500, st.message(), req);
              }
              std::fprintf(stderr, "edgeai server: delta %.12s -> %.12s: %zu bytes (%s) for a %zu-byte bundle\n",
                           base.c_str(), target.c_str(), delta->size(), stats.chosen.c_str(), target_bytes->size());
            }
            if (fs::file_size(path, ec) == 0) return reject(res, 404, "no delta smaller than the bundle", req);
          }
          if (!serve_file(path, res)) return reject(res, 404, "delta missing", req);
        }));

  // Telemetry (issue 7): batches from the device's outbox; each item is stored once.
  s.Post("/api/v1/device/telemetry",
         timed("/api/v1/device/telemetry", [this, device_of, body_json, reject, reply](const httplib::Request& req,
                                                                                       httplib::Response& res) {
           std::optional<DeviceRow> device = device_of(req, res);
           if (!device) return;
           std::optional<json> body = body_json(req, res);
           if (!body) return;
           auto items = body->find("items");
           if (items == body->end() || !items->is_array())
             return reject(res, 400, "field 'items' must be an array", req);
           if (items->size() > 1000) return reject(res, 400, "at most 1000 items per batch", req);
           std::vector<TelemetryRow> rows;
           for (const json& item : *items) {
             if (!item.is_object()) return reject(res, 400, "each item must be an object", req);
             TelemetryRow row;
             auto sequence = json_fields::get_int(item, "sequence");
             auto kind = json_fields::get_string(item, "kind");
             auto text = json_fields::get_string(item, "body");
             auto created = json_fields::get_int(item, "created_at");
             if (!sequence.is_ok() || !kind.is_ok() || !text.is_ok() || !created.is_ok() || *sequence < 1) {
               return reject(res, 400, "an item needs sequence (>= 1), kind, body (JSON text) and created_at", req);
             }
             if (kind->size() > 64 || text->size() > 65536) return reject(res, 400, "an item is too large", req);
             row.sequence = *sequence;
             row.kind = *kind;
             row.body = *text;
             row.created_at = *created;
             rows.push_back(std::move(row));
           }
           const std::int64_t dropped = json_fields::get_int_or(*body, "dropped", 0);
           std::vector<TelemetryRow> fresh;
           const std::int64_t now = now_seconds();
           Result<std::int64_t> acknowledged = store_->ingest_telemetry(device->id, rows, dropped, now, &fresh);
           if (!acknowledged.is_ok()) return reject(res, 500, acknowledged.status().to_string(), req);
           // The raw items are stored: the analytics of the new ones follow (a failure there is
           // logged; the device need not send them again).
           if (Status st = analytics_->ingest(device->id, fresh, now); !st.is_ok()) {
             std::fprintf(stderr, "edgeai server: analytics: %s\n", st.to_string().c_str());
           }
           reply(res, json{{"acknowledged", *acknowledged}});
           evaluate_fleet();
         }));
  s.Get(R"(/api/v1/devices/([^/]+)/telemetry)",
        timed("/api/v1/devices", [this, admin, reject, reply](const httplib::Request& req, httplib::Response& res) {
          if (!admin(req, res)) return;
          Result<std::vector<TelemetryRow>> rows = store_->telemetry(req.matches[1], req.get_param_value("kind"));
          Result<std::int64_t> dropped = store_->telemetry_dropped(req.matches[1]);
          if (!rows.is_ok() || !dropped.is_ok()) return reject(res, 500, "store unavailable", req);
          json list = json::array();
          for (const TelemetryRow& r : *rows) {
            list.push_back({{"sequence", r.sequence},
                            {"kind", r.kind},
                            {"body", r.body},
                            {"created_at", r.created_at},
                            {"received_at", r.received_at}});
          }
          reply(res, json{{"device", std::string(req.matches[1])}, {"items", list}, {"dropped", *dropped}});
        }));

  s.Post("/api/v1/device/status",
         timed("/api/v1/device/status", [this, device_of, body_json, reject, reply](const httplib::Request& req,
                                                                                    httplib::Response& res) {
           std::optional<DeviceRow> device = device_of(req, res);
           if (!device) return;
           std::optional<json> body = body_json(req, res);
           if (!body) return;
           DeviceReport report;
           for (auto [field, out] :
                {std::pair{"state", &report.state}, std::pair{"active_version", &report.active_version},
                 std::pair{"target_version", &report.target_version}, std::pair{"last_error", &report.last_error}}) {
             Result<std::string> v = json_fields::get_string(*body, field);
             if (!v.is_ok()) return reject(res, 400, v.status().message(), req);
             if (v->size() > 4096) return reject(res, 400, std::string("field '") + field + "' longer than 4096", req);
             *out = *v;
           }
           Result<bool> settled = store_->record_report(device->id, report, now_seconds());
           if (!settled.is_ok()) return reject(res, 500, settled.status().to_string(), req);
           std::fprintf(stderr, "edgeai server: %s reports %s (active %s, target %s)%s%s\n", device->id.c_str(),
                        report.state.c_str(), report.active_version.c_str(), report.target_version.c_str(),
                        report.last_error.empty() ? "" : ": ", report.last_error.c_str());
           // A report that settled an assignment may finish a phase or trip the failure rate: advance
           // campaigns now rather than at the next tick.
           if (*settled) {
             if (auto moved = store_->advance_campaigns(now_seconds()); moved.is_ok() && *moved) changed();
           }
           reply(res, json{{"ok", true}});
         }));
}

}  // namespace edgeai::server
