// The `edgeai` subcommands. Each registers itself on the CLI11 app and returns the
// process exit code from its action. Tools may throw internally; main() turns every
// error into one line on stderr and a nonzero exit.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <set>
#include <stdexcept>
#include <string>

#include "core/status.hpp"
#include "format/bundle.hpp"

namespace edgeai::cli {

// A failure to report as "edgeai: error: <message>" with exit code 1.
class CommandError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Throws CommandError with the status text when `status` is not ok.
void check(const Status& status);
template <typename T>
T check(Result<T> result) {
  check(result.status());
  return std::move(result).value();
}

// Loads a model for run/bench/inspect: a .eai bundle, or an .onnx file imported on the fly.
Bundle load_model(const std::string& path);

// "beat float32[1,1,256], rr float32[1,8]": values as inspect and export --c-array print them.
std::string describe_values(const std::vector<ValueInfo>& values);

// Node names from repeatable comma-separated option values (--keep-float a,b --keep-float c),
// each checked against `graph`; an unknown name is an error naming `option`.
std::set<std::string> node_names(const std::vector<std::string>& lists, const Graph& graph, const std::string& option);

using Action = std::function<int()>;
// Each returns the action to run when its subcommand was chosen.
Action add_import_command(CLI::App& app);
Action add_inspect_command(CLI::App& app);
Action add_run_command(CLI::App& app);
Action add_bench_command(CLI::App& app);
Action add_eval_command(CLI::App& app);
Action add_compress_command(CLI::App& app);
Action add_export_command(CLI::App& app);
Action add_keygen_command(CLI::App& app);
Action add_delta_command(CLI::App& app);
Action add_server_command(CLI::App& app);   // the update server (links edgeai_server)
Action add_publish_command(CLI::App& app);  // the fleet commands: clients of the server's API
Action add_campaign_command(CLI::App& app);
Action add_devices_command(CLI::App& app);
Action add_root_command(CLI::App& app);     // key rotation
Action add_report_command(CLI::App& app);   // the fleet summary and HTML report (issue 7)
Action add_dataset_command(CLI::App& app);  // export a built-in set as image folders, pull device samples
Action add_train_command(CLI::App& app);    // in edgeai-train (links libtorch)
Action add_qat_command(CLI::App& app);      // `edgeai train qat`, in edgeai-train beside the train command
Action add_prune_command(CLI::App& app);    // `edgeai train prune`: pruning + fine-tuning, in edgeai-train
// `edgeai train ...`: execs edgeai-train next to this binary.
int run_train_tool(int argc, char** argv);

}  // namespace edgeai::cli
