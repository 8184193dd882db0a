// `edgeai-agent`: the device's agent. A small binary of its own: it links the runtime, the
// format and data layers, an HTTP client and SQLite, and no libtorch, protobuf or database
// server's client.
//
// Two jobs, each optional:
//   - updates (--server/--data-dir): keep the model at the release the server assigns
//     (agent/agent.hpp);
//   - inference (--source and/or --listen): run the active model on a stream and for local
//     requests (agent/inference_service.hpp), keeping telemetry in DATA_DIR/telemetry.db and
//     sending it to the server every --telemetry-interval seconds.
// With --model instead of a server the inference runs on that bundle alone, offline.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <thread>

#include "agent/agent.hpp"
#include "agent/inference_service.hpp"
#include "agent/local_endpoint.hpp"
#include "agent/telemetry_sender.hpp"

namespace {

using namespace edgeai;

int fail(const Status& st) {
  std::fprintf(stderr, "edgeai-agent: error: %s\n", st.to_string().c_str());
  return 1;
}

void print_summary(const InferenceService& service, const std::string& source, double seconds) {
  ServiceTotals t = service.totals();
  const std::vector<std::string> labels = service.labels();
  std::printf("source      %s\n", source.c_str());
  std::printf("model       %s (version %s)\n", service.model_path().c_str(), service.model_version().c_str());
  std::printf("inferences  %lld in %.1f s (%.1f/s); dropped %lld; errors %lld; model switches %lld\n",
              static_cast<long long>(t.inferences), seconds, seconds > 0 ? t.inferences / seconds : 0.0,
              static_cast<long long>(t.dropped), static_cast<long long>(t.errors), static_cast<long long>(t.switches));
  std::printf("classes    ");
  for (std::size_t i = 0; i < labels.size() && i < t.counts.size(); ++i) {
    std::printf(" %s %lld", labels[i].c_str(), static_cast<long long>(t.counts[i]));
  }
  std::printf("\n");
  const double p50 = percentile(t.latencies_ms, 50), p95 = percentile(t.latencies_ms, 95),
               p99 = percentile(t.latencies_ms, 99);
  std::printf("latency     p50 %.3f ms, p95 %.3f ms, p99 %.3f ms\n", p50, p95, p99);
  std::printf("anomalies   %lld; alerts %lld; telemetry windows %lld\n", static_cast<long long>(t.anomalies),
              static_cast<long long>(t.alerts), static_cast<long long>(t.windows));
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "edgeai-agent: the device side of edgeai. Keeps this device's model at the release its update server "
      "assigns it (verifying signatures and freshness, installing into A/B slots, validating before the switch, "
      "rolling back on failure; every step journaled, so a kill at any instant resumes), and runs the active "
      "model on a live source and for local requests, sending only aggregate telemetry to the server."};
  app.set_version_flag("--version", "edgeai-agent 0.1.0");
  edgeai::AgentOptions options;
  app.add_option("--server", options.server_url,
                 "update server, http://HOST:PORT or https://HOST:PORT (needed to enroll)");
  app.add_option("--enroll", options.enroll_token,
                 "one-time enrollment token (from `edgeai devices token`), first run only");
  app.add_option("--data-dir", options.data_dir,
                 "where the agent keeps its identity, journal, model slots and telemetry outbox");
  app.add_option("--name", options.name, "device id to enroll as (default: the server picks one)");
  app.add_option("--root", options.root_path,
                 "root metadata file to pin at enrollment (default: the one the server sends, trusted on first use)");
  app.add_option("--ca-cert", options.ca_cert, "PEM certificate to verify an HTTPS server with");
  app.add_option("--wait", options.wait_seconds, "long-poll seconds per request")
      ->capture_default_str()
      ->check(CLI::Range(0, 60));
  app.add_option("--retry", options.retry_seconds, "seconds between rounds after an error")
      ->capture_default_str()
      ->check(CLI::Range(1, 3600));
  app.add_option("--latency-budget-ms", options.validation.latency_budget_ms,
                 "default latency budget a new model must meet (a bundle's manifest may set its own)")
      ->capture_default_str();
  std::size_t max_arena_mb = 0;
  app.add_option("--max-arena-mb", max_arena_mb, "largest arena a model may plan on this device (0: no limit)")
      ->capture_default_str();
  app.add_option("--threads", options.validation.threads, "inference threads")->capture_default_str();
  app.add_option("--health-inferences", options.validation.health_inferences,
                 "inferences the new model must serve after the switch before the update counts as done")
      ->capture_default_str();
  bool no_delta = false;
  app.add_flag("--no-delta", no_delta, "always download whole bundles (default: a model-aware delta when smaller)");
  bool once = false;
  app.add_flag("--once", once, "run one update round (finish an interrupted update, poll, install) and exit");

  // Inference.
  std::string model_path, source_spec;
  edgeai::SourceOptions source_options;
  edgeai::InferenceServiceOptions service_options;
  int listen_port = -1;
  double telemetry_interval = 10.0;
  std::int64_t telemetry_max_items = 10000;
  app.add_option("--model", model_path, "run inference on this bundle alone, without an update server (offline)");
  app.add_option("--source", source_spec,
                 "what to run the model on: images:DIR (PNG/JPEG, at --fps), video:FILE.y4m, wfdb:PATH/RECORD "
                 "(an ECG record played at --speed), csv:FILE (a sensor stream at --fps)");
  app.add_option("--fps", source_options.fps,
                 "frames (or csv samples) per second; a frame arriving while the model is busy is dropped "
                 "(0: every frame, as fast as the model runs; video: its own rate)")
      ->capture_default_str();
  app.add_option("--speed", source_options.speed,
                 "ECG playback speed: 1 real time, 10 ten times faster, 0 as fast as it computes")
      ->capture_default_str();
  app.add_flag("--loop", source_options.loop, "images/video/csv: start again at the end (never ends)");
  app.add_flag("--shuffle", source_options.shuffle, "images: a random order (fixed seed) instead of sorted by path");
  app.add_option("--lead", source_options.lead, "ECG: the signal to read (default: the model's lead)");
  app.add_option("--listen", listen_port,
                 "serve local inference requests on 127.0.0.1:PORT (0: any free port, printed)");
  app.add_option("--window-seconds", service_options.window_seconds, "telemetry window length")->capture_default_str();
  app.add_option("--events", service_options.events_path,
                 "append every inference to this JSON-lines file (on the device only)");
  app.add_option("--alert-run", service_options.run_alert_beats,
                 "consecutive predictions of one anomaly label that make an alert")
      ->capture_default_str();
  app.add_option("--telemetry-interval", telemetry_interval, "seconds between telemetry deliveries")
      ->capture_default_str();
  app.add_option("--telemetry-max-items", telemetry_max_items,
                 "telemetry items kept while offline; past it the oldest are dropped and counted")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  options.validation.max_arena_bytes = max_arena_mb << 20;
  options.deltas = !no_delta;
  service_options.threads = options.validation.threads;
  if (once && options.wait_seconds == 25) options.wait_seconds = 0;
  const bool infer = !source_spec.empty() || listen_port >= 0;
  if (model_path.empty() && options.data_dir.empty()) {
    return fail(invalid_argument("pass --data-dir (with a server) or --model FILE (offline inference)"));
  }
  if (!model_path.empty() && !infer) return fail(invalid_argument("--model needs --source or --listen"));

  // SIGINT/SIGTERM end the stream cleanly (the last window is kept): a thread waits for them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  std::unique_ptr<Agent> agent;
  std::unique_ptr<TelemetryQueue> queue;
  // Shadow mode: the candidate the server asked for, handed to the service once it runs.
  struct Shadow {
    std::mutex mutex;
    std::string path, version;
    std::int64_t collect_per_hour = 0;
    double collect_below = 0.0;
    InferenceService* service = nullptr;
  } shadow;
  if (!options.data_dir.empty() && model_path.empty()) {
    Result<std::unique_ptr<Agent>> created = Agent::create(options);
    if (!created.is_ok()) return fail(created.status());
    agent = std::move(*created);
    agent->on_shadow([&shadow](const std::string& path, const std::string& version) {
      std::lock_guard<std::mutex> lock(shadow.mutex);
      shadow.path = path;
      shadow.version = version;
      if (shadow.service == nullptr) return;
      Status st = shadow.service->set_shadow(path, version);
      if (!st.is_ok()) std::fprintf(stderr, "edgeai-agent: shadow: %s\n", st.to_string().c_str());
    });
    agent->on_collect([&shadow](std::int64_t per_hour, double below) {
      std::lock_guard<std::mutex> lock(shadow.mutex);
      shadow.collect_per_hour = per_hour;
      shadow.collect_below = below;
      if (shadow.service != nullptr) shadow.service->set_sample_policy(per_hour, below);
    });
    if (once || !infer) {
      pthread_sigmask(SIG_UNBLOCK, &stop_signals, nullptr);
      if (once) {
        Status st = agent->cycle();
        return st.is_ok() ? 0 : fail(st);
      }
      agent->run();
    }
    // The stream needs a model: update rounds until there is one.
    while (agent->active_path().empty()) {
      Status st = agent->cycle();
      if (agent->active_path().empty()) {
        std::fprintf(stderr, "edgeai-agent: waiting for a first model%s\n",
                     st.is_ok() ? "" : (": " + st.to_string()).c_str());
        std::this_thread::sleep_for(std::chrono::seconds(st.is_ok() ? 1 : options.retry_seconds));
      }
    }
    model_path = agent->active_path();
  }
  if (!options.data_dir.empty()) {
    std::filesystem::create_directories(options.data_dir);
    Result<std::unique_ptr<TelemetryQueue>> q =
        TelemetryQueue::open((std::filesystem::path(options.data_dir) / "telemetry.db").string(), telemetry_max_items);
    if (!q.is_ok()) return fail(q.status());
    queue = std::move(*q);
  }

  Result<std::unique_ptr<InferenceService>> created =
      InferenceService::create(model_path, queue.get(), service_options, agent ? agent->record().active_version : "");
  if (!created.is_ok()) return fail(created.status());
  InferenceService& service = **created;
  {
    std::lock_guard<std::mutex> lock(shadow.mutex);
    shadow.service = &service;
    if (!shadow.path.empty()) (void)service.set_shadow(shadow.path, shadow.version);
    service.set_sample_policy(shadow.collect_per_hour, shadow.collect_below);
  }

  std::unique_ptr<InputSource> source;
  if (!source_spec.empty()) {
    Result<std::unique_ptr<InputSource>> opened = open_source(source_spec, source_options);
    if (!opened.is_ok()) return fail(opened.status());
    source = std::move(*opened);
  }
  std::unique_ptr<LocalEndpoint> endpoint;
  if (listen_port >= 0) {
    Result<std::unique_ptr<LocalEndpoint>> started = LocalEndpoint::start(service, listen_port);
    if (!started.is_ok()) return fail(started.status());
    endpoint = std::move(*started);
    std::printf("local inference on http://127.0.0.1:%d/v1/infer\n", endpoint->port());
    std::fflush(stdout);
  }

  std::atomic<bool> stopping{false};
  std::thread signals([&] {
    int signal = 0;
    sigwait(&stop_signals, &signal);
    stopping = true;
    service.stop();
  });
  signals.detach();

  // Updates go on beside the stream; a new active model is swapped in between two inferences.
  std::unique_ptr<HttpClient> telemetry_client, final_client;
  if (agent) {
    Result<std::unique_ptr<HttpClient>> client = agent->new_client();
    if (!client.is_ok()) return fail(client.status());
    telemetry_client = std::move(*client);
    client = agent->new_client();
    if (!client.is_ok()) return fail(client.status());
    final_client = std::move(*client);
    std::thread updates([&] {
      std::string active = agent->active_path() + "@" + agent->record().active_version;
      for (;;) {
        Status st = agent->cycle();
        const std::string now = agent->active_path() + "@" + agent->record().active_version;
        if (now != active && !agent->active_path().empty()) {
          Status switched = service.switch_model(agent->active_path(), agent->record().active_version);
          std::fprintf(stderr, "edgeai-agent: inference now on version %s%s\n", agent->record().active_version.c_str(),
                       switched.is_ok() ? "" : (": " + switched.to_string()).c_str());
          active = now;
        }
        if (!st.is_ok()) std::this_thread::sleep_for(std::chrono::seconds(options.retry_seconds));
      }
    });
    updates.detach();
    std::thread sender([&] {
      for (;;) {
        std::this_thread::sleep_for(std::chrono::duration<double>(telemetry_interval));
        Result<FlushReport> sent = flush_telemetry(*queue, *telemetry_client);
        if (!sent.is_ok()) std::fprintf(stderr, "edgeai-agent: telemetry: %s\n", sent.status().to_string().c_str());
      }
    });
    sender.detach();
  }

  const auto start = std::chrono::steady_clock::now();
  Status result = Status::ok();
  if (source) {
    std::fprintf(stderr, "edgeai-agent: streaming %s\n", source->describe().c_str());
    result = service.run(*source);
  } else {
    while (!stopping) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (endpoint) endpoint->stop();
  if (source) print_summary(service, source->describe(), seconds);
  if (agent && queue) {  // what the stream left in the outbox, before the process ends
    Result<FlushReport> sent = flush_telemetry(*queue, *final_client);
    if (!sent.is_ok())
      std::fprintf(stderr, "edgeai-agent: telemetry: %s (kept for the next run)\n", sent.status().to_string().c_str());
  }
  std::fflush(stdout);
  std::fflush(stderr);
  // The update and telemetry threads may be inside a long-poll: end without waiting for them.
  _exit(result.is_ok() ? 0 : fail(result));
}
