// `edgeai bench MODEL --threads N --runs N`: latency (median, p90) and peak memory.
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <chrono>
#include <cstdio>

#include "cli/commands.hpp"
#include "cli/input_spec.hpp"
#include "core/cpu_features.hpp"
#include "runtime/session.hpp"

namespace edgeai::cli {
namespace {

struct BenchArgs {
  std::string model;
  std::vector<std::string> inputs;
  int threads = 1;
  int runs = 20;
  int warmup = 2;
  bool json = false;
  bool profile = false;
};

double percentile(std::vector<double> sorted, double p) {
  std::sort(sorted.begin(), sorted.end());
  if (sorted.empty()) return 0.0;
  const double rank = p * static_cast<double>(sorted.size() - 1);
  const std::size_t lo = static_cast<std::size_t>(rank);
  const std::size_t hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - static_cast<double>(lo));
}

double peak_rss_mb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}

// "12 optimised (f32_conv_gemm_dw__avx512f ...), 54 reference": which kernels the plan chose.
std::string kernels_summary(const Session& session) {
  std::map<std::string, int> counts;
  for (const OperatorProfile& p : session.profile()) counts[p.implementation] += 1;
  std::string out;
  for (const auto& [name, count] : counts) {
    if (!out.empty()) out += ", ";
    out += std::to_string(count) + " " + name;
  }
  return out.empty() ? "none" : out;
}

int run_bench(const BenchArgs& args) {
  if (args.runs < 1) throw CommandError("--runs must be at least 1");
  if (args.threads < 1) throw CommandError("--threads must be at least 1");
  Bundle bundle = load_model(args.model);
  const std::string name = bundle.manifest.name;
  SessionOptions options;
  options.threads = args.threads;
  options.profile = args.profile;
  std::unique_ptr<Session> session = check(Session::create(std::move(bundle), options));
  std::vector<std::string> specs = args.inputs;
  std::vector<Tensor> inputs;
  if (specs.empty()) {
    for (std::size_t i = 0; i < session->inputs().size(); ++i) inputs.push_back(random_input(session->inputs()[i], i));
  } else {
    inputs = resolve_inputs(session->inputs(), specs, 0);
  }
  std::vector<TensorView> views;
  for (const Tensor& t : inputs) views.push_back(t.view());

  for (int i = 0; i < args.warmup; ++i) check(session->run(views));
  session->reset_profile();
  // Progress only for a person watching a terminal, never into logs or pipes.
  const bool show_progress = !args.json && isatty(STDERR_FILENO) != 0;
  std::vector<double> times_ms;
  times_ms.reserve(static_cast<std::size_t>(args.runs));
  for (int i = 0; i < args.runs; ++i) {
    const auto start = std::chrono::steady_clock::now();
    check(session->run(views));
    times_ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
    if (show_progress) std::fprintf(stderr, "\rrun %d/%d", i + 1, args.runs);
  }
  if (show_progress) std::fprintf(stderr, "\r              \r");
  const double median = percentile(times_ms, 0.5);
  const double p90 = percentile(times_ms, 0.9);
  const double min = *std::min_element(times_ms.begin(), times_ms.end());
  const PlanSummary& plan = session->plan_summary();
  const double gmacs = median > 0 ? static_cast<double>(plan.total_macs) / (median * 1e6) : 0.0;
  if (args.json) {
    std::printf(
        "{\"model\":\"%s\",\"threads\":%d,\"runs\":%d,\"median_ms\":%.4f,\"p90_ms\":%.4f,\"min_ms\":%.4f,"
        "\"peak_rss_mb\":%.2f,\"arena_mb\":%.3f,\"macs\":%lld,\"gmac_per_s\":%.3f,\"kernels\":\"%s\"}\n",
        name.c_str(), args.threads, args.runs, median, p90, min, peak_rss_mb(),
        static_cast<double>(plan.arena_bytes) / (1024.0 * 1024.0), static_cast<long long>(plan.total_macs), gmacs,
        kernels_summary(*session).c_str());
    return 0;
  }
  std::printf("model      %s\n", name.c_str());
  std::printf("kernels    %s (CPU: %s)\n", kernels_summary(*session).c_str(), cpu_features().describe().c_str());
  std::printf("threads    %d\nruns       %d (after %d warm-up)\n", args.threads, args.runs, args.warmup);
  std::printf("median     %.3f ms\np90        %.3f ms\nmin        %.3f ms\n", median, p90, min);
  std::printf("MACs       %.1f M  (%.2f GMAC/s at the median)\n", static_cast<double>(plan.total_macs) / 1e6, gmacs);
  std::printf("arena      %.2f MiB (%.2f MiB without planning)\n", static_cast<double>(plan.arena_bytes) / 1048576.0,
              static_cast<double>(plan.unplanned_bytes) / 1048576.0);
  std::printf("peak RSS   %.1f MiB\n", peak_rss_mb());
  if (args.profile) {
    std::vector<OperatorProfile> ops = session->profile();
    std::sort(ops.begin(), ops.end(), [](const auto& a, const auto& b) { return a.total_ms > b.total_ms; });
    std::printf("\n%-40s %-20s %10s %8s  %s\n", "node", "op", "ms/run", "share", "kernel");
    double total = 0;
    for (const auto& op : ops) total += op.total_ms;
    for (const auto& op : ops) {
      if (op.calls == 0) continue;
      std::printf("%-40s %-20s %10.3f %7.1f%%  %s\n", op.node_name.substr(0, 40).c_str(), op.op_type.c_str(),
                  op.total_ms / static_cast<double>(op.calls), total > 0 ? 100.0 * op.total_ms / total : 0.0,
                  op.implementation.c_str());
    }
  }
  return 0;
}

}  // namespace

Action add_bench_command(CLI::App& app) {
  auto args = std::make_shared<BenchArgs>();
  CLI::App* cmd = app.add_subcommand("bench", "Measure latency (median, p90) and peak memory of a model");
  cmd->add_option("model", args->model, "model: .eai bundle or .onnx file")->required()->check(CLI::ExistingFile);
  cmd->add_option("-i,--input", args->inputs, "[NAME=]FILE.npy or random per input (default: seeded random)");
  cmd->add_option("--threads", args->threads, "threads for the kernels (EDGEAI_KERNELS=reference: reference kernels only)")
      ->capture_default_str();
  cmd->add_option("--runs", args->runs, "timed runs")->capture_default_str();
  cmd->add_option("--warmup", args->warmup, "untimed runs first")->capture_default_str();
  cmd->add_flag("--json", args->json, "print one JSON object (median_ms, p90_ms, peak_rss_mb, ...)");
  cmd->add_flag("--profile", args->profile, "print time per operator");
  return [args] { return run_bench(*args); };
}

}  // namespace edgeai::cli
