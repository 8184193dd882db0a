// `edgeai inspect MODEL`: manifest, layers (op, output shape, parameters, MACs), totals.
#include <cstdio>
#include <filesystem>
#include <set>

#include "cli/commands.hpp"
#include "cli/mcu_bundle.hpp"
#include "runtime/session.hpp"

namespace edgeai::cli {
namespace {

struct InspectArgs {
  std::string model;
  bool json = false;
  bool mcu = false;
};

std::string json_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += c;
    }
  }
  return out;
}

std::string describe_preprocessing(const Preprocessing& p) {
  std::string out = p.kind;
  if (!p.layout.empty()) out += " " + p.layout;
  if (!p.color.empty()) out += " " + p.color;
  if (p.resize_height > 0) out += str_cat(" resize ", p.resize_height, "x", p.resize_width);
  if (p.scale != 1.0f) out += str_cat(" scale ", p.scale);
  auto list = [](const std::vector<float>& v) {
    std::string s;
    for (float x : v) s += (s.empty() ? "" : ",") + str_cat(x);
    return s;
  };
  if (!p.mean.empty()) out += " mean " + list(p.mean);
  if (!p.std.empty()) out += " std " + list(p.std);
  for (const auto& [key, value] : p.params) out += " " + key + "=" + value;
  return out;
}

// --mcu: the plan of the microcontroller runtime (the same code as on the device), so the
// firmware's arena and flash are known before flashing.
int run_inspect_mcu(const InspectArgs& args, Bundle bundle) {
  const McuBundle mcu = check(make_mcu_bundle(std::move(bundle)));
  const micro::PlanSummary& p = mcu.plan;
  if (args.json) {
    std::printf(
        "{\"arena_bytes\":%u,\"activation_bytes\":%u,\"scratch_bytes\":%u,\"weight_bytes\":%u,"
        "\"flash_bytes\":%u,\"nodes\":%u,\"tensors\":%u}\n",
        p.arena_bytes, p.activation_bytes, p.scratch_bytes, p.weight_bytes, p.bundle_bytes, p.nodes, p.tensors);
    return 0;
  }
  std::printf("microcontroller runtime plan of %s\n", args.model.c_str());
  std::printf("arena        %u bytes (activations and kernel scratch at planned offsets; without reuse %u + %u)\n",
              p.arena_bytes, p.activation_bytes, p.scratch_bytes);
  std::printf("flash        %u bytes (the bundle as edgeai export --c-array writes it), weights %u of them\n",
              p.bundle_bytes, p.weight_bytes);
  std::printf("nodes        %u, values %u (capacities %d and %d)\n", p.nodes, p.tensors, micro::kMaxNodes,
              micro::kMaxTensors);
  return 0;
}

int run_inspect(const InspectArgs& args) {
  Bundle bundle = load_model(args.model);
  if (args.mcu) return run_inspect_mcu(args, std::move(bundle));
  const Manifest manifest = bundle.manifest;
  std::error_code ec;
  const auto file_bytes = std::filesystem::file_size(args.model, ec);
  // Planning gives per-layer shapes and MACs; a model whose shapes depend on its inputs
  // is shown without them.
  Result<std::unique_ptr<Session>> session = Session::create(bundle.graph);
  const bool planned = session.is_ok() && (*session)->is_planned();
  const Graph& graph = planned ? (*session)->graph() : bundle.graph;

  struct Layer {
    std::string name, op, shape;
    std::int64_t params = 0, macs = 0;
  };
  std::vector<Layer> layers;
  std::int64_t total_macs = 0;
  for (std::size_t i = 0; i < graph.nodes.size(); ++i) {
    const Node& node = graph.nodes[i];
    Layer layer{node.name, node.op_type, "?", 0, 0};
    if (!node.outputs.empty()) {
      if (auto info = graph.find_value_info(node.outputs[0])) layer.shape = shape_to_string(info->shape);
    }
    std::set<std::string> seen;
    for (const std::string& in : node.inputs) {
      if (const Tensor* c = graph.find_constant(in); c != nullptr && seen.insert(in).second)
        layer.params += c->num_elements();
    }
    if (planned && i < (*session)->profile().size()) layer.macs = (*session)->profile()[i].macs;
    total_macs += layer.macs;
    layers.push_back(layer);
  }
  const std::size_t arena = planned ? (*session)->plan_summary().arena_bytes : 0;

  if (args.json) {
    std::printf(
        "{\"name\":\"%s\",\"version\":\"%s\",\"created_at\":\"%s\",\"nodes\":%zu,\"parameters\":%lld,"
        "\"parameter_bytes\":%lld,\"macs\":%lld,\"file_bytes\":%lld,\"arena_bytes\":%zu,\"layers\":[",
        json_escape(manifest.name).c_str(), json_escape(manifest.version).c_str(),
        json_escape(manifest.created_at).c_str(), graph.nodes.size(), static_cast<long long>(graph.parameter_count()),
        static_cast<long long>(graph.parameter_bytes()), static_cast<long long>(total_macs),
        ec ? -1LL : static_cast<long long>(file_bytes), arena);
    for (std::size_t i = 0; i < layers.size(); ++i) {
      const Layer& l = layers[i];
      std::printf("%s{\"name\":\"%s\",\"op\":\"%s\",\"shape\":\"%s\",\"parameters\":%lld,\"macs\":%lld}", i ? "," : "",
                  json_escape(l.name).c_str(), l.op.c_str(), l.shape.c_str(), static_cast<long long>(l.params),
                  static_cast<long long>(l.macs));
    }
    std::printf("]}\n");
    return 0;
  }
  std::printf("model        %s %s\n", manifest.name.c_str(), manifest.version.c_str());
  if (!manifest.created_at.empty()) std::printf("created      %s\n", manifest.created_at.c_str());
  if (!manifest.description.empty()) std::printf("description  %s\n", manifest.description.c_str());
  std::printf("inputs       %s\n", describe_values(graph.inputs).c_str());
  std::printf("outputs      %s\n", describe_values(graph.outputs).c_str());
  if (!manifest.labels.empty()) std::printf("labels       %zu classes\n", manifest.labels.size());
  if (!manifest.golden.empty()) std::printf("golden       %zu test vector(s)\n", manifest.golden.size());
  if (manifest.preprocessing.kind != "none" && !manifest.preprocessing.kind.empty()) {
    std::printf("preprocess   %s\n", describe_preprocessing(manifest.preprocessing).c_str());
  }
  for (const auto& [key, value] : manifest.metadata) {
    // Long values (a saved data split) are summarised, not dumped.
    const bool is_long = value.size() > 60 || value.find('\n') != std::string::npos;
    std::printf("%-12s %s\n", key.c_str(), is_long ? str_cat("(", value.size(), " bytes)").c_str() : value.c_str());
  }
  std::printf("\n%4s  %-36s %-20s %-20s %12s %14s\n", "#", "layer", "op", "output shape", "parameters", "MACs");
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const Layer& l = layers[i];
    std::printf("%4zu  %-36s %-20s %-20s %12lld %14lld\n", i, l.name.substr(0, 36).c_str(), l.op.c_str(),
                l.shape.c_str(), static_cast<long long>(l.params), static_cast<long long>(l.macs));
  }
  std::printf("\nlayers       %zu\n", layers.size());
  std::printf("parameters   %lld (%.2f MiB)\n", static_cast<long long>(graph.parameter_count()),
              static_cast<double>(graph.parameter_bytes()) / 1048576.0);
  std::printf("MACs         %.1f M\n", static_cast<double>(total_macs) / 1e6);
  if (!ec) std::printf("file size    %.2f MiB\n", static_cast<double>(file_bytes) / 1048576.0);
  if (planned) std::printf("arena        %.2f MiB\n", static_cast<double>(arena) / 1048576.0);
  return 0;
}

}  // namespace

Action add_inspect_command(CLI::App& app) {
  auto args = std::make_shared<InspectArgs>();
  CLI::App* cmd = app.add_subcommand("inspect", "Show a model's manifest, layers, parameters, MACs and size");
  cmd->add_option("model", args->model, "model: .eai bundle or .onnx file")->required()->check(CLI::ExistingFile);
  cmd->add_flag("--json", args->json, "print one JSON object");
  cmd->add_flag("--mcu", args->mcu,
                "the microcontroller runtime's plan instead: arena bytes (activations and scratch) and flash bytes "
                "(docs/mcu.md); fails with the reason when that runtime cannot run the model");
  return [args] { return run_inspect(*args); };
}

}  // namespace edgeai::cli
