// `edgeai bench MODEL --threads N --runs N`: latency (median, p90) and peak memory.
// With `--images DIR|FILE...` each run reads, decodes and preprocesses the next image the way
// the model's manifest declares (data/preprocess.hpp) before inference, and the end-to-end time
// per image (and images per second) is reported beside the inference time.
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>

#include "cli/commands.hpp"
#include "cli/input_spec.hpp"
#include "core/cpu_features.hpp"
#include "data/image.hpp"
#include "data/preprocess.hpp"
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
  std::vector<std::string> images;  // --images: files or folders of JPEG/PNG images
  bool runs_given = false;          // --runs on the command line (else, with --images: one pass)
};

namespace fs = std::filesystem;

std::string lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

// The images --images names: files as given; folders searched recursively for .jpg, .jpeg and
// .png, leaving out a .png next to a .jpg/.jpeg of the same stem (a pixel mask, as in the
// magnetic tile set), sorted so every machine times the same sequence.
std::vector<std::string> list_image_files(const std::vector<std::string>& paths) {
  std::vector<std::string> files;
  for (const std::string& path : paths) {
    std::error_code ec;
    if (fs::is_regular_file(path, ec)) {
      files.push_back(path);
      continue;
    }
    if (!fs::is_directory(path, ec)) throw CommandError("--images: no file or folder '" + path + "'");
    std::vector<fs::path> found;
    std::set<std::string> photo_stems;
    for (fs::recursive_directory_iterator it(path, fs::directory_options::follow_directory_symlink, ec), end;
         !ec && it != end; it.increment(ec)) {
      if (!it->is_regular_file()) continue;
      const std::string ext = lower(it->path().extension().string());
      if (ext != ".jpg" && ext != ".jpeg" && ext != ".png") continue;
      found.push_back(it->path());
      if (ext != ".png") photo_stems.insert((it->path().parent_path() / it->path().stem()).string());
    }
    if (ec) throw CommandError("--images: cannot list '" + path + "': " + ec.message());
    std::sort(found.begin(), found.end());
    const std::size_t before = files.size();
    for (const fs::path& f : found) {
      if (lower(f.extension().string()) == ".png" && photo_stems.count((f.parent_path() / f.stem()).string()) != 0) {
        continue;
      }
      files.push_back(f.string());
    }
    if (files.size() == before) throw CommandError("--images: no .jpg, .jpeg or .png images under '" + path + "'");
  }
  return files;
}

std::string describe_preprocessing(const Preprocessing& pre) {
  std::string out = pre.kind + " " + pre.layout + " " + pre.color;
  if (pre.resize_height > 0)
    out += " resize " + std::to_string(pre.resize_width) + "x" + std::to_string(pre.resize_height);
  return out;
}

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
  if (!args.images.empty() && !args.inputs.empty()) throw CommandError("--images and --input exclude each other");
  Bundle bundle = load_model(args.model);
  const std::string name = bundle.manifest.name;
  const Preprocessing pre = bundle.manifest.preprocessing;
  SessionOptions options;
  options.threads = args.threads;
  options.profile = args.profile;
  std::unique_ptr<Session> session = check(Session::create(std::move(bundle), options));
  std::vector<std::string> specs = args.inputs;
  std::vector<Tensor> inputs;
  std::vector<std::string> image_files;
  if (!args.images.empty()) {
    if (pre.kind != "image") {
      throw CommandError("--images needs a model whose manifest declares image preprocessing; '" + name +
                         "' declares '" + pre.kind + "'");
    }
    check(check_image_preprocessing(pre));
    if (session->inputs().size() != 1 || session->inputs()[0].dtype != DType::kFloat32) {
      throw CommandError("--images needs a model with one float32 input; '" + name + "' has " +
                         std::to_string(session->inputs().size()));
    }
    image_files = list_image_files(args.images);
    inputs.push_back(random_input(session->inputs()[0], 0));  // the buffer each image is preprocessed into
  } else if (specs.empty()) {
    for (std::size_t i = 0; i < session->inputs().size(); ++i) inputs.push_back(random_input(session->inputs()[i], i));
  } else {
    inputs = resolve_inputs(session->inputs(), specs, 0);
  }
  std::vector<TensorView> views;
  for (const Tensor& t : inputs) views.push_back(t.view());

  // With --images, one run = read and decode image i (cycling through the list), preprocess it
  // into the input buffer, infer; each step timed. The warm-up takes the first images, then the
  // timed runs start again at the first, so the default (one run per image) times each once.
  using Clock = std::chrono::steady_clock;
  const auto ms_between = [](Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration<double, std::milli>(b - a).count();
  };
  const int runs = (!image_files.empty() && !args.runs_given) ? static_cast<int>(image_files.size()) : args.runs;
  std::vector<double> decode_ms, preprocess_ms, e2e_ms;
  const auto load_image = [&](int i, Clock::time_point start) {
    const std::string& file = image_files[static_cast<std::size_t>(i) % image_files.size()];
    const Image image = check(read_image(file));
    const Clock::time_point decoded = Clock::now();
    const Status status =
        preprocess_image_into(image, pre, inputs[0].data<float>(), static_cast<std::size_t>(inputs[0].num_elements()));
    if (!status.is_ok()) throw CommandError(file + ": " + status.to_string());
    const Clock::time_point preprocessed = Clock::now();
    decode_ms.push_back(ms_between(start, decoded));
    preprocess_ms.push_back(ms_between(decoded, preprocessed));
  };

  for (int i = 0; i < args.warmup; ++i) {
    if (!image_files.empty()) load_image(i, Clock::now());
    check(session->run(views));
  }
  decode_ms.clear();
  preprocess_ms.clear();
  session->reset_profile();
  // Progress only for a person watching a terminal, never into logs or pipes.
  const bool show_progress = !args.json && isatty(STDERR_FILENO) != 0;
  std::vector<double> times_ms;
  times_ms.reserve(static_cast<std::size_t>(runs));
  for (int i = 0; i < runs; ++i) {
    const auto image_start = Clock::now();
    if (!image_files.empty()) load_image(i, image_start);
    const auto start = Clock::now();
    check(session->run(views));
    const auto end = Clock::now();
    times_ms.push_back(ms_between(start, end));
    if (!image_files.empty()) e2e_ms.push_back(ms_between(image_start, end));
    if (show_progress) std::fprintf(stderr, "\rrun %d/%d", i + 1, runs);
  }
  if (show_progress) std::fprintf(stderr, "\r              \r");
  const double median = percentile(times_ms, 0.5);
  const double p90 = percentile(times_ms, 0.9);
  const double min = *std::min_element(times_ms.begin(), times_ms.end());
  const PlanSummary& plan = session->plan_summary();
  const double gmacs = median > 0 ? static_cast<double>(plan.total_macs) / (median * 1e6) : 0.0;
  // End to end with --images: median and p90 per image, frames per second at the median, and
  // images per second over all timed runs (the mean rate).
  double e2e_total = 0;
  for (double t : e2e_ms) e2e_total += t;
  const double e2e_median = percentile(e2e_ms, 0.5);
  const double e2e_fps = e2e_median > 0 ? 1000.0 / e2e_median : 0.0;
  const double images_per_s = e2e_total > 0 ? 1000.0 * static_cast<double>(e2e_ms.size()) / e2e_total : 0.0;
  if (args.json) {
    std::printf(
        "{\"model\":\"%s\",\"threads\":%d,\"runs\":%d,\"median_ms\":%.4f,\"p90_ms\":%.4f,\"min_ms\":%.4f,"
        "\"peak_rss_mb\":%.2f,\"arena_mb\":%.3f,\"macs\":%lld,\"gmac_per_s\":%.3f,\"kernels\":\"%s\","
        "\"channels_last_nodes\":%d",
        name.c_str(), args.threads, runs, median, p90, min, peak_rss_mb(),
        static_cast<double>(plan.arena_bytes) / (1024.0 * 1024.0), static_cast<long long>(plan.total_macs), gmacs,
        kernels_summary(*session).c_str(), plan.channels_last_nodes);
    if (!image_files.empty()) {
      std::printf(
          ",\"images\":%zu,\"decode_median_ms\":%.4f,\"preprocess_median_ms\":%.4f,\"e2e_median_ms\":%.4f,"
          "\"e2e_p90_ms\":%.4f,\"e2e_fps\":%.2f,\"images_per_s\":%.2f",
          image_files.size(), percentile(decode_ms, 0.5), percentile(preprocess_ms, 0.5), e2e_median,
          percentile(e2e_ms, 0.9), e2e_fps, images_per_s);
    }
    std::printf("}\n");
    return 0;
  }
  std::printf("model      %s\n", name.c_str());
  std::printf("kernels    %s (CPU: %s)\n", kernels_summary(*session).c_str(), cpu_features().describe().c_str());
  std::printf("layout     %d node(s) run channels-last (NHWC; the model's own layout elsewhere)\n",
              plan.channels_last_nodes);
  std::printf("threads    %d\nruns       %d (after %d warm-up)\n", args.threads, runs, args.warmup);
  if (!image_files.empty()) {
    std::printf("images     %zu, each run: read + decode, preprocess (%s), inference\n", image_files.size(),
                describe_preprocessing(pre).c_str());
    std::printf("decode     %.3f ms median (read and decode)\npreprocess %.3f ms median\n", percentile(decode_ms, 0.5),
                percentile(preprocess_ms, 0.5));
    std::printf("end-to-end %.3f ms median, %.3f ms p90: %.1f fps at the median, %.1f images/s over all runs\n",
                e2e_median, percentile(e2e_ms, 0.9), e2e_fps, images_per_s);
  }
  const char* what = image_files.empty() ? "" : " (inference)";
  std::printf("median     %.3f ms%s\np90        %.3f ms%s\nmin        %.3f ms%s\n", median, what, p90, what, min, what);
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
  cmd->add_option("--threads", args->threads,
                  "threads for the kernels (EDGEAI_KERNELS=reference: reference kernels only)")
      ->capture_default_str();
  CLI::Option* runs =
      cmd->add_option("--runs", args->runs, "timed runs (with --images: one per image)")->capture_default_str();
  cmd->add_option("--warmup", args->warmup, "untimed runs first")->capture_default_str();
  cmd->add_flag("--json", args->json, "print one JSON object (median_ms, p90_ms, peak_rss_mb, ...)");
  cmd->add_flag("--profile", args->profile, "print time per operator");
  cmd->add_option("--images", args->images,
                  "JPEG/PNG files or folders (searched recursively; a .png mask beside a .jpg is skipped): each run "
                  "reads, decodes and preprocesses the next image as the manifest declares, then infers; reports "
                  "the time per image end to end and images per second")
      ->expected(1, -1);
  return [args, runs] {
    args->runs_given = runs->count() > 0;
    return run_bench(*args);
  };
}

}  // namespace edgeai::cli
