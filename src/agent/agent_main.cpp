// `edgeai-agent`: the device's update agent (agent/agent.hpp). A small binary of its own: it
// links the runtime, the format layer and an HTTP client, and no libtorch, protobuf or
// database client.
#include <CLI/CLI.hpp>
#include <cstdio>

#include "agent/agent.hpp"

int main(int argc, char** argv) {
  CLI::App app{
      "edgeai-agent: keeps this device's model at the release its update server assigns it, verifying "
      "signatures and freshness, installing into A/B slots, validating before the switch and rolling back "
      "on failure. Every step is journaled: a kill at any instant resumes."};
  app.set_version_flag("--version", "edgeai-agent 0.1.0");
  edgeai::AgentOptions options;
  app.add_option("--server", options.server_url,
                 "update server, http://HOST:PORT or https://HOST:PORT (needed to enroll)");
  app.add_option("--enroll", options.enroll_token,
                 "one-time enrollment token (from `edgeai devices token`), first run only");
  app.add_option("--data-dir", options.data_dir, "where the agent keeps its identity, journal and model slots")
      ->required();
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
  app.add_option("--threads", options.validation.threads, "inference threads for validation")->capture_default_str();
  app.add_option("--health-inferences", options.validation.health_inferences,
                 "inferences the new model must serve after the switch before the update counts as done")
      ->capture_default_str();
  bool no_delta = false;
  app.add_flag("--no-delta", no_delta, "always download whole bundles (default: a model-aware delta when smaller)");
  bool once = false;
  app.add_flag("--once", once, "run one round (finish an interrupted update, poll, install) and exit");
  CLI11_PARSE(app, argc, argv);
  options.validation.max_arena_bytes = max_arena_mb << 20;
  options.deltas = !no_delta;
  if (once && options.wait_seconds == 25) options.wait_seconds = 0;

  auto agent = edgeai::Agent::create(options);
  if (!agent.is_ok()) {
    std::fprintf(stderr, "edgeai-agent: error: %s\n", agent.status().to_string().c_str());
    return 1;
  }
  if (once) {
    edgeai::Status st = (*agent)->cycle();
    if (!st.is_ok()) {
      std::fprintf(stderr, "edgeai-agent: error: %s\n", st.to_string().c_str());
      return 1;
    }
    return 0;
  }
  (*agent)->run();
}
