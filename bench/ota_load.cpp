// ota_load: the update server under load (issue 6). Simulates N lightweight devices against one
// `edgeai server` with a bounded number of OS threads: each thread owns N/threads devices and one
// keep-alive HTTP connection that its devices share (a device is a credential, an ETag and a
// version, not a thread). The run:
//   1. enroll: every device spends one token (--tokens FILE, one a line) on POST /api/v1/enroll;
//   2. warm-up: each device polls GET /api/v1/device/desired every --interval seconds (jittered
//      start, If-None-Match with the last ETag), until every device has its first ETag;
//   3. steady: --steady seconds of the same polling, measured;
//   4. rollout (with --release/--version): the tool creates a campaign (POST /api/v1/campaigns with
//      the operator token) and measures until every device reported the release installed: a
//      device that sees a new target reports "downloading", downloads the artifact with Range
//      requests (--range-bytes a request, as the agent's 1 MiB window), checks its size and
//      SHA-256, and reports "idle" with the new active version; then it keeps polling;
//   5. tail: --tail seconds more polling, then the campaign's state is read back.
// Prints one line of JSON: requests and requests/s per window, latency percentiles per request
// type, poll scheduling lag, errors by kind, the time for the rollout to reach every device (and
// each phase), and CPU time of this process, of the server (--server-pid: it and its PostgreSQL
// backend) and of the machine.
//
//   ota_load --server http://127.0.0.1:PORT --tokens tokens.txt --admin-token DATA/admin-token
//            --release NAME --version V [--devices 1000] [--threads 32] [--interval 1]
#include <httplib.h>
#include <sodium.h>
#include <sys/resource.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <functional>
#include <iterator>
#include <latch>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <queue>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

enum RequestType : std::uint8_t { kEnroll, kPoll, kDownload, kReport, kTypes };
const char* const kTypeNames[kTypes] = {"enroll", "poll", "download", "report"};
enum Window : std::uint8_t { kEnrollWindow, kWarmup, kSteady, kRollout, kTail, kWindows };
const char* const kWindowNames[kWindows] = {"enroll", "warmup", "steady", "rollout", "tail"};

struct Options {
  std::string server;
  std::string tokens_path;
  std::string admin_token_path;
  std::string release, version;
  std::vector<int> phases{5, 25, 100};
  int soak_seconds = 0;
  double max_failure_rate = 0.05;
  int devices = 1000;
  int threads = 32;
  double interval = 1.0;
  double steady = 10.0;
  double warmup_max = 60.0;
  double tail = 2.0;
  double rollout_timeout = 600.0;
  std::size_t range_bytes = 1 << 20;
  std::vector<int> server_pids;  // the server, and its PostgreSQL backend where there is one
  std::string json_out;
  std::string name_prefix = "load";
  bool tcp_nodelay = true;
};

struct Sample {
  float ms;
  RequestType type;
  Window window;
};

struct Device {
  std::string token, name;
  std::string id, credential;
  std::string etag;
  std::string active_version = "0";
  bool enrolled = false;
};

// What the whole run shares; the per-thread parts are merged at the end.
struct Shared {
  std::atomic<int> window{kEnrollWindow};
  std::atomic<bool> stop{false};
  std::atomic<int> with_etag{0};  // devices that have their first ETag
  std::atomic<int> installed{0};
  std::string version;  // the campaign's, once created
  std::atomic<bool> campaign_created{false};
  std::mutex mutex;
  std::vector<double> install_times;  // seconds since steady_clock epoch, under mutex
  std::map<std::string, std::int64_t> errors;
  void error(const std::string& kind) {
    std::lock_guard<std::mutex> lock(mutex);
    ++errors[kind];
  }
};

double seconds_of(Clock::time_point t) { return std::chrono::duration<double>(t.time_since_epoch()).count(); }

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot open");
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  std::size_t start = 0;
  while (start < s.size() && s[start] == ' ') ++start;
  return s.substr(start);
}

std::string hex(const unsigned char* bytes, std::size_t n) {
  static const char* const kDigits = "0123456789abcdef";
  std::string out;
  out.reserve(2 * n);
  for (std::size_t i = 0; i < n; ++i) {
    out += kDigits[bytes[i] >> 4];
    out += kDigits[bytes[i] & 15];
  }
  return out;
}

// CPU seconds: this process, another process (/proc/PID/stat), the whole machine (/proc/stat).
double self_cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

double process_cpu_seconds(int pid) {
  if (pid <= 0) return NAN;
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::size_t paren = text.rfind(')');
  if (paren == std::string::npos) return NAN;
  std::istringstream fields(text.substr(paren + 2));
  std::string field;
  double utime = 0, stime = 0;
  // Fields from 3 (state) on; utime and stime are fields 14 and 15.
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14) utime = std::stod(field);
    if (i == 15) stime = std::stod(field);
  }
  return (utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

double machine_busy_seconds() {
  std::ifstream in("/proc/stat");
  std::string cpu;
  double user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0;
  in >> cpu >> user >> nice >> system >> idle >> iowait >> irq >> softirq;
  return (user + nice + system + irq + softirq) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// The server's own time per route, from its /metrics: route -> (seconds in handlers, requests).
using HandlerTimes = std::map<std::string, std::pair<double, double>>;

HandlerTimes scrape_handler_times(const std::string& server) {
  HandlerTimes out;
  httplib::Client client(server);
  client.set_read_timeout(30, 0);
  httplib::Result r = client.Get("/metrics");
  if (!r || r->status != 200) return out;
  std::istringstream in(r->body);
  std::string line;
  const std::string sum = "edgeai_http_request_duration_seconds_sum{route=\"";
  const std::string count = "edgeai_http_request_duration_seconds_count{route=\"";
  while (std::getline(in, line)) {
    const bool is_sum = line.rfind(sum, 0) == 0;
    if (!is_sum && line.rfind(count, 0) != 0) continue;
    const std::size_t start = (is_sum ? sum : count).size();
    const std::size_t quote = line.find('"', start);
    const std::size_t space = line.rfind(' ');
    if (quote == std::string::npos || space == std::string::npos) continue;
    auto& slot = out[line.substr(start, quote - start)];
    (is_sum ? slot.first : slot.second) = std::atof(line.c_str() + space + 1);
  }
  return out;
}

// A window's edge: the time, CPU seconds so far, the server's handler times so far.
struct Mark {
  Clock::time_point at;
  double self = 0, server = 0, machine = 0;
  HandlerTimes handlers;
  static Mark now(const Options& options) {
    Mark m;
    m.handlers = scrape_handler_times(options.server);
    m.at = Clock::now();
    m.self = self_cpu_seconds();
    m.server = 0;
    for (int pid : options.server_pids) m.server += process_cpu_seconds(pid);
    if (options.server_pids.empty()) m.server = NAN;
    m.machine = machine_busy_seconds();
    return m;
  }
};

json marks_between(const Mark& a, const Mark& b) {
  const double wall = std::chrono::duration<double>(b.at - a.at).count();
  auto cores = [wall](double x) {
    return wall > 0 && std::isfinite(x) ? json(std::round(x / wall * 100) / 100) : json();
  };
  // Mean time inside the server's handlers per route (what the server spent, without the network,
  // the accept queue and httplib's reading and writing).
  json handlers = json::object();
  for (const auto& [route, end] : b.handlers) {
    const auto it = a.handlers.find(route);
    const double seconds = end.first - (it == a.handlers.end() ? 0.0 : it->second.first);
    const double n = end.second - (it == a.handlers.end() ? 0.0 : it->second.second);
    if (n > 0) handlers[route] = json{{"requests", n}, {"mean_ms", std::round(seconds / n * 1e6) / 1e3}};
  }
  return json{{"client_cpu_cores", cores(b.self - a.self)},
              {"server_cpu_cores", cores(b.server - a.server)},
              {"machine_busy_cores", cores(b.machine - a.machine)},
              {"server_handlers", handlers}};
}

double percentile(std::vector<float>& v, double p) {  // nearest rank; v is sorted
  if (v.empty()) return NAN;
  const auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(v.size())));
  return v[std::clamp<std::size_t>(rank, 1, v.size()) - 1];
}

json round3(double x) { return std::isfinite(x) ? json(std::round(x * 1000) / 1000) : json(); }

json latency_json(std::vector<float> v) {
  std::sort(v.begin(), v.end());
  return json{{"count", v.size()},
              {"p50_ms", round3(percentile(v, 50))},
              {"p90_ms", round3(percentile(v, 90))},
              {"p99_ms", round3(percentile(v, 99))},
              {"max_ms", v.empty() ? json() : round3(v.back())}};
}

// One OS thread and its devices.
class Worker {
 public:
  Worker(const Options& options, Shared& shared, std::vector<Device*> devices, unsigned seed)
      : options_(options), shared_(shared), devices_(std::move(devices)), rng_(seed), client_(options.server) {
    client_.set_keep_alive(true);
    client_.set_tcp_nodelay(options.tcp_nodelay);
    client_.set_connection_timeout(10, 0);
    client_.set_read_timeout(60, 0);
    client_.set_write_timeout(60, 0);
  }

  void enroll_all() {
    for (Device* d : devices_) enroll(*d);
  }

  void poll_loop() {
    using Due = std::pair<Clock::time_point, std::size_t>;
    std::priority_queue<Due, std::vector<Due>, std::greater<>> queue;
    std::uniform_real_distribution<double> jitter(0.0, options_.interval);
    const auto start = Clock::now();
    const auto interval = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(options_.interval));
    for (std::size_t i = 0; i < devices_.size(); ++i) {
      if (!devices_[i]->enrolled) continue;
      queue.push({start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(jitter(rng_))), i});
    }
    while (!shared_.stop && !queue.empty()) {
      const auto [due, index] = queue.top();
      const auto now = Clock::now();
      if (due > now) {
        std::this_thread::sleep_for(std::min<Clock::duration>(due - now, std::chrono::milliseconds(50)));
        continue;
      }
      queue.pop();
      if (shared_.window == kSteady) lag_ms_.push_back(std::chrono::duration<float, std::milli>(now - due).count());
      poll(*devices_[index]);
      // Every interval from the schedule, not from now: a late device is not pushed later still
      // (with a saturated server the thread polls back to back instead).
      queue.push({due + interval, index});
    }
  }

  std::vector<Sample> samples_;
  std::vector<float> lag_ms_;

 private:
  // The request's type and window recorded with its latency; the window is the one it began in.
  template <typename F>
  httplib::Result timed(RequestType type, F&& send) {
    const auto window = static_cast<Window>(shared_.window.load());
    const auto t0 = Clock::now();
    httplib::Result result = send();
    samples_.push_back({std::chrono::duration<float, std::milli>(Clock::now() - t0).count(), type, window});
    if (!result) error(type, httplib::to_string(result.error()));
    return result;
  }

  // Errors by window and request type: "steady/poll: HTTP 500", "enroll/enroll: Read".
  void error(RequestType type, const std::string& what) {
    shared_.error(std::string(kWindowNames[shared_.window.load()]) + "/" + kTypeNames[type] + ": " + what);
  }
  void http_error(RequestType type, int status) { error(type, "HTTP " + std::to_string(status)); }

  void enroll(Device& d) {
    const std::string body = json{{"token", d.token}, {"name", d.name}}.dump();
    for (int attempt = 0; attempt < 3 && !d.enrolled; ++attempt) {
      httplib::Result r = timed(kEnroll, [&] { return client_.Post("/api/v1/enroll", body, "application/json"); });
      if (!r) continue;
      if (r->status != 201) {
        http_error(kEnroll, r->status);
        if (r->status < 500) return;  // a spent or bad token does not get better
        continue;
      }
      try {
        const json j = json::parse(r->body);
        d.id = j.at("device_id").get<std::string>();
        d.credential = j.at("credential").get<std::string>();
        d.enrolled = true;
      } catch (const std::exception& e) {
        error(kEnroll, std::string("bad answer: ") + e.what());
      }
    }
  }

  httplib::Headers auth(const Device& d) const { return {{"Authorization", "Bearer " + d.credential}}; }

  bool report(const Device& d, const std::string& state, const std::string& active_version,
              const std::string& target_version) {
    const std::string body = json{
        {"state", state},
        {"active_version", active_version},
        {"target_version", target_version},
        {"last_error", ""}}.dump();
    httplib::Result r =
        timed(kReport, [&] { return client_.Post("/api/v1/device/status", auth(d), body, "application/json"); });
    if (!r) return false;
    if (r->status != 200) {
      http_error(kReport, r->status);
      return false;
    }
    return true;
  }

  void poll(Device& d) {
    httplib::Headers headers = auth(d);
    if (!d.etag.empty()) headers.emplace("If-None-Match", d.etag);
    httplib::Result r = timed(kPoll, [&] { return client_.Get("/api/v1/device/desired", headers); });
    if (!r) return;
    if (r->status == 304) return;
    if (r->status != 200) return http_error(kPoll, r->status);
    const bool first = d.etag.empty();
    d.etag = r->get_header_value("ETag");
    if (first && !d.etag.empty()) ++shared_.with_etag;
    json j;
    try {
      j = json::parse(r->body);
    } catch (const std::exception& e) {
      return error(kPoll, std::string("bad answer: ") + e.what());
    }
    const auto target = j.find("target");
    if (target == j.end() || !target->is_object()) return;
    const std::string version = target->value("version", "");
    if (version.empty() || version == d.active_version) return;
    if (!update(d, *target)) d.etag.clear();  // asks again (a 200, not a 304) at the next poll
  }

  bool update(Device& d, const json& target) {
    const std::string version = target.value("version", "");
    const std::string sha = target.value("sha256", "");
    const auto size = target.value("size", std::int64_t{0});
    if (!report(d, "downloading", d.active_version, version)) return false;
    crypto_hash_sha256_state state;
    crypto_hash_sha256_init(&state);
    std::int64_t have = 0;
    const std::string path = "/api/v1/device/artifacts/" + sha;
    while (have < size) {
      const std::int64_t want = std::min<std::int64_t>(static_cast<std::int64_t>(options_.range_bytes), size - have);
      httplib::Headers headers = auth(d);
      headers.emplace("Range", "bytes=" + std::to_string(have) + "-" + std::to_string(have + want - 1));
      httplib::Result r = timed(kDownload, [&] { return client_.Get(path, headers); });
      if (!r) return false;
      if (r->status != 206 && !(r->status == 200 && have == 0)) {
        http_error(kDownload, r->status);
        return false;
      }
      if (r->body.empty() || static_cast<std::int64_t>(r->body.size()) > size - have) {
        error(kDownload, std::to_string(r->body.size()) + " bytes for a range of " + std::to_string(want));
        return false;
      }
      crypto_hash_sha256_update(&state, reinterpret_cast<const unsigned char*>(r->body.data()), r->body.size());
      have += static_cast<std::int64_t>(r->body.size());
    }
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_final(&state, digest);
    if (hex(digest, sizeof digest) != sha) {
      error(kDownload, "SHA-256 mismatch");
      return false;
    }
    // Installed once the server has heard it; a lost report means the whole update again.
    if (!report(d, "idle", version, version)) return false;
    d.active_version = version;
    if (shared_.campaign_created && version == shared_.version) {
      const double at = seconds_of(Clock::now());
      std::lock_guard<std::mutex> lock(shared_.mutex);
      shared_.install_times.push_back(at);
      ++shared_.installed;
    }
    return true;
  }

  const Options& options_;
  Shared& shared_;
  std::vector<Device*> devices_;
  std::mt19937 rng_;
  httplib::Client client_;
};

void sleep_until_or(Clock::time_point until, const std::function<bool()>& done) {
  while (Clock::now() < until && !done()) std::this_thread::sleep_for(std::chrono::milliseconds(10));
}

int run(const Options& options) {
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
  std::vector<std::string> tokens;
  {
    std::istringstream in(read_text(options.tokens_path));
    std::string line;
    while (std::getline(in, line)) {
      line = trim(line);
      if (!line.empty()) tokens.push_back(line);
    }
  }
  if (static_cast<int>(tokens.size()) < options.devices) {
    throw std::runtime_error(options.tokens_path + ": " + std::to_string(tokens.size()) + " tokens for " +
                             std::to_string(options.devices) + " devices");
  }
  const bool rollout = !options.release.empty();
  std::string admin_token;
  if (rollout) admin_token = trim(read_text(options.admin_token_path));

  std::vector<Device> devices(static_cast<std::size_t>(options.devices));
  for (int i = 0; i < options.devices; ++i) {
    char name[64];
    std::snprintf(name, sizeof name, "%s-%05d", options.name_prefix.c_str(), i);
    devices[i].token = tokens[i];
    devices[i].name = name;
  }
  const int threads = std::clamp(options.threads, 1, options.devices);
  Shared shared;
  std::vector<std::unique_ptr<Worker>> workers;
  for (int t = 0; t < threads; ++t) {
    std::vector<Device*> mine;
    for (int i = t; i < options.devices; i += threads) mine.push_back(&devices[i]);
    workers.push_back(std::make_unique<Worker>(options, shared, std::move(mine), 1234u + static_cast<unsigned>(t)));
  }

  // Enrollment, then polling: the threads wait for each other in between.
  std::latch enrolled(threads + 1);
  std::vector<std::thread> pool;
  const Mark enroll_start = Mark::now(options);
  for (auto& w : workers) {
    pool.emplace_back([&, worker = w.get()] {
      worker->enroll_all();
      enrolled.arrive_and_wait();
      worker->poll_loop();
    });
  }
  enrolled.arrive_and_wait();
  const Mark enroll_end = Mark::now(options);
  int enrolled_count = 0;
  for (const Device& d : devices) enrolled_count += d.enrolled;
  std::fprintf(stderr, "ota_load: %d of %d devices enrolled in %.1f s\n", enrolled_count, options.devices,
               std::chrono::duration<double>(enroll_end.at - enroll_start.at).count());

  // Warm-up: until each device has polled once (its first answer is a 200 with an ETag).
  shared.window = kWarmup;
  const auto warmup_deadline =
      Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(options.warmup_max));
  sleep_until_or(warmup_deadline, [&] { return shared.with_etag >= enrolled_count; });
  // One more interval so that the steady window sees the jittered schedule, not the first round.
  std::this_thread::sleep_for(std::chrono::duration<double>(options.interval));

  shared.window = kSteady;
  const Mark steady_start = Mark::now(options);
  std::this_thread::sleep_for(std::chrono::duration<double>(options.steady));
  const Mark steady_end = Mark::now(options);

  json campaign_json;
  Mark rollout_start{}, rollout_end{};
  double campaign_create_ms = NAN;
  if (rollout) {
    httplib::Client admin(options.server);
    admin.set_read_timeout(60, 0);
    const httplib::Headers headers{{"Authorization", "Bearer " + admin_token}};
    const std::string body = json{{"release", options.release},
                                  {"version", options.version},
                                  {"phases", options.phases},
                                  {"soak_seconds", options.soak_seconds},
                                  {"max_failure_rate", options.max_failure_rate}}
                                 .dump();
    {
      std::lock_guard<std::mutex> lock(shared.mutex);
      shared.version = options.version;
    }
    shared.campaign_created = true;
    shared.window = kRollout;
    rollout_start = Mark::now(options);
    httplib::Result r = admin.Post("/api/v1/campaigns", headers, body, "application/json");
    campaign_create_ms = std::chrono::duration<double, std::milli>(Clock::now() - rollout_start.at).count();
    std::int64_t campaign_id = 0;
    if (!r || r->status != 201) {
      shared.error("campaign create: " +
                   (r ? "HTTP " + std::to_string(r->status) + " " + trim(r->body) : httplib::to_string(r.error())));
    } else {
      campaign_id = json::parse(r->body).value("id", std::int64_t{0});
      std::fprintf(stderr, "ota_load: campaign %lld created in %.0f ms\n", static_cast<long long>(campaign_id),
                   campaign_create_ms);
      const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                               std::chrono::duration<double>(options.rollout_timeout));
      int last_printed = -1;
      sleep_until_or(deadline, [&] {
        const int n = shared.installed;
        if (n / 100 != last_printed / 100) {
          std::fprintf(stderr, "ota_load: %d installed after %.1f s\n", n,
                       std::chrono::duration<double>(Clock::now() - rollout_start.at).count());
          last_printed = n;
        }
        return n >= enrolled_count;
      });
    }
    shared.window = kTail;
    rollout_end = Mark::now(options);
    std::this_thread::sleep_for(std::chrono::duration<double>(options.tail));
    shared.stop = true;
    for (std::thread& t : pool) t.join();
    if (campaign_id > 0) {
      httplib::Result c = admin.Get("/api/v1/campaigns/" + std::to_string(campaign_id), headers);
      if (c && c->status == 200) {
        const json j = json::parse(c->body);
        campaign_json =
            json{{"id", campaign_id}, {"state", j.value("state", "")}, {"counts", j.value("counts", json())}};
      } else {
        shared.error("campaign status: " + (c ? "HTTP " + std::to_string(c->status) : httplib::to_string(c.error())));
      }
    }
  } else {
    shared.window = kTail;
    std::this_thread::sleep_for(std::chrono::duration<double>(options.tail));
    shared.stop = true;
    for (std::thread& t : pool) t.join();
  }

  // ---- the summary ----
  std::vector<float> by[kWindows][kTypes];
  std::vector<float> lag;
  std::int64_t total = 0;
  for (const auto& w : workers) {
    for (const Sample& s : w->samples_) by[s.window][s.type].push_back(s.ms);
    total += static_cast<std::int64_t>(w->samples_.size());
    lag.insert(lag.end(), w->lag_ms_.begin(), w->lag_ms_.end());
  }
  auto requests_in = [&](Window w) {
    std::size_t n = 0;
    for (int t = 0; t < kTypes; ++t) n += by[w][t].size();
    return static_cast<std::int64_t>(n);
  };
  auto window_json = [&](Window w, const Mark& a, const Mark& b) {
    const double seconds = std::chrono::duration<double>(b.at - a.at).count();
    json j{{"seconds", round3(seconds)},
           {"requests", requests_in(w)},
           {"requests_per_s", round3(seconds > 0 ? static_cast<double>(requests_in(w)) / seconds : NAN)}};
    for (int t = 0; t < kTypes; ++t) {
      if (!by[w][t].empty()) j[kTypeNames[t]] = latency_json(by[w][t]);
    }
    j.update(marks_between(a, b));
    return j;
  };

  json summary{{"devices", options.devices},
               {"enrolled", enrolled_count},
               {"client_threads", threads},
               {"interval_s", options.interval},
               {"range_bytes", options.range_bytes},
               {"offered_polls_per_s", round3(enrolled_count / options.interval)},
               {"requests_total", total}};
  summary["enroll"] = window_json(kEnrollWindow, enroll_start, enroll_end);
  summary["steady"] = window_json(kSteady, steady_start, steady_end);
  {
    std::sort(lag.begin(), lag.end());
    summary["steady"]["poll_lag_p50_ms"] = round3(percentile(lag, 50));
    summary["steady"]["poll_lag_p99_ms"] = round3(percentile(lag, 99));
  }
  if (rollout) {
    json r = window_json(kRollout, rollout_start, rollout_end);
    std::vector<double> times;
    {
      std::lock_guard<std::mutex> lock(shared.mutex);
      times = shared.install_times;
    }
    std::sort(times.begin(), times.end());
    const double t0 = seconds_of(rollout_start.at);
    r["campaign_create_ms"] = round3(campaign_create_ms);
    r["installed"] = times.size();
    r["time_to_all_s"] =
        static_cast<int>(times.size()) >= enrolled_count && !times.empty() ? round3(times.back() - t0) : json();
    r["first_install_s"] = times.empty() ? json() : round3(times.front() - t0);
    // When each phase's share of the devices had installed (the server may count others first).
    json phases = json::array();
    for (int p : options.phases) {
      const auto n = static_cast<std::size_t>(std::max(1.0, std::ceil(p * enrolled_count / 100.0 - 1e-9)));
      phases.push_back(json{{"percent", p}, {"s", n <= times.size() ? round3(times[n - 1] - t0) : json()}});
    }
    r["phase_done_s"] = phases;
    summary["rollout"] = r;
    summary["campaign"] = campaign_json;
  }
  json all_types;
  for (int t = 0; t < kTypes; ++t) {
    std::vector<float> v;
    for (int w = 0; w < kWindows; ++w) v.insert(v.end(), by[w][t].begin(), by[w][t].end());
    if (!v.empty()) all_types[kTypeNames[t]] = latency_json(std::move(v));
  }
  summary["all"] = all_types;
  std::int64_t error_total = 0;
  json kinds = json::object();
  for (const auto& [kind, n] : shared.errors) {
    kinds[kind] = n;
    error_total += n;
  }
  summary["errors"] = json{{"total", error_total}, {"kinds", kinds}};

  const std::string line = summary.dump();
  std::printf("%s\n", line.c_str());
  if (!options.json_out.empty()) {
    std::ofstream out(options.json_out);
    out << line << "\n";
  }
  const bool complete = !rollout || (summary["rollout"]["time_to_all_s"].is_number());
  return complete && enrolled_count == options.devices ? 0 : 3;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"ota_load: N simulated devices polling one edgeai update server, and a rollout to all of them"};
  Options o;
  std::string phases = "5,25,100";
  app.add_option("--server", o.server, "the server's URL, e.g. http://127.0.0.1:8080")->required();
  app.add_option("--tokens", o.tokens_path, "enrollment tokens, one a line (at least --devices)")
      ->required()
      ->check(CLI::ExistingFile);
  app.add_option("--devices", o.devices, "simulated devices")->capture_default_str()->check(CLI::Range(1, 1000000));
  app.add_option("--threads", o.threads, "OS threads (each with one keep-alive connection)")
      ->capture_default_str()
      ->check(CLI::Range(1, 4096));
  app.add_option("--interval", o.interval, "seconds between a device's polls")->capture_default_str();
  app.add_option("--steady", o.steady, "seconds of polling measured before the campaign")->capture_default_str();
  app.add_option("--warmup-max", o.warmup_max, "at most this long for every device's first poll")
      ->capture_default_str();
  app.add_option("--tail", o.tail, "seconds of polling after the rollout")->capture_default_str();
  app.add_option("--release", o.release, "release name to roll out (none: polling only)");
  app.add_option("--version", o.version, "release version to roll out");
  app.add_option("--admin-token", o.admin_token_path, "file holding the operator token (DATA_DIR/admin-token)");
  app.add_option("--phases", phases, "campaign phases, cumulative percentages")->capture_default_str();
  app.add_option("--soak", o.soak_seconds, "campaign soak seconds between phases")->capture_default_str();
  app.add_option("--max-failure-rate", o.max_failure_rate, "campaign failure rate that halts it")
      ->capture_default_str();
  app.add_option("--rollout-timeout", o.rollout_timeout, "give up the rollout after this many seconds")
      ->capture_default_str();
  app.add_option("--range-bytes", o.range_bytes, "bytes per Range request (the agent's window is 1 MiB)")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 30));
  app.add_option("--server-pid", o.server_pids,
                 "process ids whose CPU time counts as the server's (repeatable: the server, its PostgreSQL backend)");
  app.add_option("--name-prefix", o.name_prefix, "device names: PREFIX-00000 ...")->capture_default_str();
  app.add_option("--tcp-nodelay", o.tcp_nodelay,
                 "1: TCP_NODELAY on the devices' connections, as curl (0: cpp-httplib's default, as the agent)")
      ->capture_default_str();
  app.add_option("--json-out", o.json_out, "also write the summary line here");
  CLI11_PARSE(app, argc, argv);
  try {
    o.phases.clear();
    std::istringstream in(phases);
    std::string item;
    while (std::getline(in, item, ',')) o.phases.push_back(std::stoi(item));
    if (!o.release.empty() && (o.version.empty() || o.admin_token_path.empty())) {
      throw std::runtime_error("--release needs --version and --admin-token");
    }
    if (o.interval <= 0) throw std::runtime_error("--interval must be positive");
    return run(o);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ota_load: %s\n", e.what());
    return 1;
  }
}
