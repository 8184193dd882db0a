// `edgeai run MODEL --input [NAME=]FILE|random ... --output FILE|DIR`: one inference,
// inputs and outputs as .npy files.
#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "cli/commands.hpp"
#include "cli/input_spec.hpp"
#include "format/npy.hpp"
#include "runtime/session.hpp"

namespace edgeai::cli {
namespace {

struct RunArgs {
  std::string model;
  std::vector<std::string> inputs;
  std::string output;
  std::uint64_t seed = 0;
  int top = 5;
  int threads = 1;
};

std::string safe_file_name(const std::string& name) {
  std::string out = name;
  for (char& c : out) {
    if (c == '/' || c == '\\' || c == ':' || c == ' ') c = '_';
  }
  return out.empty() ? "output" : out;
}

void print_summary(const std::string& name, const TensorView& view, const std::vector<std::string>& labels, int top) {
  std::printf("%s: %s %s", name.c_str(), std::string(dtype_name(view.dtype)).c_str(),
              shape_to_string(view.shape).c_str());
  const std::int64_t n = view.num_elements();
  if (view.dtype == DType::kFloat32 && n > 0) {
    const float* v = view.data_as<const float>();
    std::vector<std::int64_t> order(static_cast<std::size_t>(n));
    for (std::int64_t i = 0; i < n; ++i) order[i] = i;
    const std::int64_t k = std::min<std::int64_t>(top, n);
    std::partial_sort(order.begin(), order.begin() + k, order.end(),
                      [&](std::int64_t a, std::int64_t b) { return v[a] > v[b]; });
    std::printf("  top-%lld:", static_cast<long long>(k));
    for (std::int64_t i = 0; i < k; ++i) {
      const std::int64_t idx = order[i];
      if (idx < static_cast<std::int64_t>(labels.size())) {
        std::printf(" %s=%.4g", labels[idx].c_str(), v[idx]);
      } else {
        std::printf(" [%lld]=%.4g", static_cast<long long>(idx), v[idx]);
      }
    }
  }
  std::printf("\n");
}

int run_run(const RunArgs& args) {
  Bundle bundle = load_model(args.model);
  std::vector<std::string> labels = bundle.manifest.labels;
  if (args.threads < 1) throw CommandError("--threads must be at least 1");
  SessionOptions options;
  options.threads = args.threads;
  std::unique_ptr<Session> session = check(Session::create(std::move(bundle), options));
  std::vector<Tensor> inputs = resolve_inputs(session->inputs(), args.inputs, args.seed);
  std::vector<TensorView> views;
  for (const Tensor& t : inputs) views.push_back(t.view());
  check(session->run(views));

  const std::size_t n_out = session->outputs().size();
  const bool to_single_file =
      n_out == 1 && args.output.size() > 4 && args.output.compare(args.output.size() - 4, 4, ".npy") == 0;
  if (!args.output.empty() && !to_single_file) {
    std::error_code ec;
    std::filesystem::create_directories(args.output, ec);
    if (ec) throw CommandError("cannot create output directory " + args.output + ": " + ec.message());
  }
  for (std::size_t i = 0; i < n_out; ++i) {
    const std::string& name = session->outputs()[i].name;
    const TensorView view = session->output(i);
    print_summary(name, view, labels, args.top);
    if (args.output.empty()) continue;
    const std::string path =
        to_single_file ? args.output : (std::filesystem::path(args.output) / (safe_file_name(name) + ".npy")).string();
    Tensor copy = check(Tensor::copy_of(view));
    check(write_npy(path, copy));
  }
  return 0;
}

}  // namespace

Action add_run_command(CLI::App& app) {
  auto args = std::make_shared<RunArgs>();
  CLI::App* cmd = app.add_subcommand("run", "Run one inference; inputs and outputs as .npy files");
  cmd->add_option("model", args->model, "model: .eai bundle or .onnx file")->required()->check(CLI::ExistingFile);
  cmd->add_option("-i,--input", args->inputs,
                  "[NAME=]FILE.npy or [NAME=]random, one per model input (names optional when in order)");
  cmd->add_option("-o,--output", args->output,
                  "FILE.npy (single-output models) or DIR to write one NAME.npy per output");
  cmd->add_option("--seed", args->seed, "seed for random inputs")->capture_default_str();
  cmd->add_option("--threads", args->threads, "threads for the kernels")->capture_default_str();
  cmd->add_option("--top", args->top, "how many of the largest scores to print per output")->capture_default_str();
  return [args] { return run_run(*args); };
}

}  // namespace edgeai::cli
