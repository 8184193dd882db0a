// `edgeai-train`: the training tool, a binary of its own because it links libtorch. `edgeai
// train ...` runs it (edgeai looks for it next to itself), so the everyday `edgeai` stays small
// and quick to start, and its memory figures (bench --json peak_rss_mb) are the runtime's.
// `edgeai-train qat MODEL.eai ...` (so `edgeai train qat ...`) is quantisation-aware training,
// `edgeai-train prune MODEL.eai ...` pruning with fine-tuning.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>

#include "cli/commands.hpp"

int main(int argc, char** argv) {
  using namespace edgeai::cli;
  CLI::App app{"edgeai train: train a model in C++ with libtorch and write it as an .eai bundle"};
  app.name("edgeai train");
  // The train command's options directly on this app: `edgeai-train RECIPE -o OUT.eai ...`.
  Action train_action = add_train_command(app);
  Action qat_action = add_qat_command(app);
  Action prune_action = add_prune_command(app);
  app.require_subcommand(0, 0);
  CLI::App* train = app.get_subcommand("train");
  train->name("edgeai train");
  CLI::App* qat = app.get_subcommand("qat");
  qat->name("edgeai train qat");
  CLI::App* prune = app.get_subcommand("prune");
  prune->name("edgeai train prune");
  train->footer(
      "Quantisation-aware training of an existing bundle: edgeai train qat MODEL.eai --help\n"
      "Pruning with fine-tuning: edgeai train prune MODEL.eai --help");
  // Accept `edgeai-train RECIPE ...`, `edgeai-train train RECIPE ...`, `edgeai-train qat MODEL ...` and
  // `edgeai-train prune MODEL ...`.
  std::vector<std::string> args;
  for (int i = argc - 1; i >= 1; --i) args.emplace_back(argv[i]);
  if (!args.empty() && args.back() == "train") args.pop_back();
  const bool is_qat = !args.empty() && args.back() == "qat";
  const bool is_prune = !args.empty() && args.back() == "prune";
  if (is_qat || is_prune) args.pop_back();
  CLI::App* chosen = is_qat ? qat : is_prune ? prune : train;
  try {
    chosen->parse(args);
  } catch (const CLI::ParseError& e) {
    return chosen->exit(e);
  }
  try {
    return is_qat ? qat_action() : is_prune ? prune_action() : train_action();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "edgeai: error: %s\n", e.what());
    return 1;
  }
}
