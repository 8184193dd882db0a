// `edgeai server`: runs the update server (server/update_server.hpp) until SIGINT or SIGTERM.
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include "cli/commands.hpp"
#include "server/update_server.hpp"

namespace edgeai::cli {
namespace {

server::UpdateServer* g_running = nullptr;

// host:port, [v6]:port is not needed on the fleets we serve; port 0 picks a free one.
std::pair<std::string, int> parse_listen(const std::string& text) {
  const std::size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) throw CommandError("--listen '" + text + "': expected HOST:PORT");
  char* end = nullptr;
  const long port = std::strtol(text.c_str() + colon + 1, &end, 10);
  if (*end != '\0' || port < 0 || port > 65535) throw CommandError("--listen '" + text + "': port must be 0 to 65535");
  return {text.substr(0, colon), static_cast<int>(port)};
}

}  // namespace

Action add_server_command(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand(
      "server",
      "Run the update server: device enrollment, the release registry, phased campaigns and the device API "
      "(see docs/ota.md; the API is described at /openapi.json, metrics at /metrics)");
  auto options = std::make_shared<server::ServerOptions>();
  auto listen = std::make_shared<std::string>("127.0.0.1:8080");
  auto url_file = std::make_shared<std::string>();
  auto max_upload_mb = std::make_shared<std::int64_t>(512);
  cmd->add_option("--data-dir", options->data_dir, "where the server keeps its database, artifacts and keys")
      ->required();
  cmd->add_option("--listen", *listen, "HOST:PORT to serve on (port 0: any free port)")->capture_default_str();
  cmd->add_option("--db", options->db_url,
                  "postgresql://USER@HOST:PORT/DB to use PostgreSQL (default: SQLite in DATA_DIR/edgeai.db)");
  cmd->add_option("--root-key", options->root_key_path,
                  "first start only: the offline root key (.key) that signs the root metadata devices pin");
  cmd->add_option("--release-pub", options->release_pub_path,
                  "first start only: the public key (.pub) whose signatures on releases devices accept");
  cmd->add_option("--tls-cert", options->tls_cert_path, "PEM certificate: serve HTTPS (with --tls-key)");
  cmd->add_option("--tls-key", options->tls_key_path, "PEM private key of --tls-cert");
  cmd->add_option("--max-upload-mb", *max_upload_mb, "largest bundle upload accepted")->capture_default_str();
  cmd->add_option("--timestamp-ttl", options->timestamp_ttl_seconds,
                  "seconds a signed timestamp stays valid (devices refuse expired ones)")
      ->capture_default_str();
  cmd->add_option("--threads", options->threads, "request threads (a long-poll holds one)")->capture_default_str();
  cmd->add_option("--url-file", *url_file, "write the URL served at to this file once listening (for scripts)");
  cmd->add_option("--drift-threshold", options->analytics.drift_threshold,
                  "population stability index above which a device's predictions raise a drift alert")
      ->capture_default_str();
  cmd->add_option("--drift-min-inferences", options->analytics.drift_min_inferences,
                  "inferences in the drift window before a device's score counts")
      ->capture_default_str();
  cmd->add_option("--drift-window", options->analytics.drift_window_seconds,
                  "seconds of a device's telemetry its drift is scored on")
      ->capture_default_str();
  cmd->add_option("--request-log", options->request_log,
                  "append every request (method, path, body) to this JSON-lines file: an audit of what devices "
                  "send (large; for audits and tests)");
  return [cmd, options, listen, url_file, max_upload_mb]() -> int {
    if (!cmd->parsed()) return 1;
    std::tie(options->host, options->port) = parse_listen(*listen);
    options->max_upload_bytes = *max_upload_mb << 20;
    if ((options->tls_cert_path.empty()) != (options->tls_key_path.empty())) {
      throw CommandError("--tls-cert and --tls-key go together");
    }
    auto server = check(server::UpdateServer::create(*options));
    check(server->bind());
    const std::string scheme = options->tls_cert_path.empty() ? "http" : "https";
    const std::string url = str_cat(scheme, "://", options->host, ":", server->port());
    std::printf("edgeai server: listening on %s (data %s, %s)\noperator token: %s/admin-token\n", url.c_str(),
                options->data_dir.c_str(), options->db_url.empty() ? "SQLite" : "PostgreSQL",
                options->data_dir.c_str());
    std::fflush(stdout);
    if (!url_file->empty()) {
      std::ofstream out(*url_file + ".tmp");
      out << url << "\n";
      out.close();
      std::filesystem::rename(*url_file + ".tmp", *url_file);
    }
    g_running = server.get();
    // The signal only sets the flag httplib polls; stop() runs on a thread of its own.
    static std::atomic<bool> stop_requested{false};
    std::signal(SIGINT, [](int) { stop_requested = true; });
    std::signal(SIGTERM, [](int) { stop_requested = true; });
    std::thread watcher([] {
      while (!stop_requested) std::this_thread::sleep_for(std::chrono::milliseconds(100));
      if (g_running) g_running->stop();
    });
    watcher.detach();
    check(server->serve());
    g_running = nullptr;
    std::printf("edgeai server: stopped\n");
    return 0;
  };
}

}  // namespace edgeai::cli
