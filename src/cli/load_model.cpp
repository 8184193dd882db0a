// What every edgeai command shares: turning a Status into the one-line error, and loading a
// model from a bundle or an ONNX file.
#include <algorithm>
#include <sstream>

#include "cli/commands.hpp"
#include "import/onnx/onnx_importer.hpp"

namespace edgeai::cli {

void check(const Status& status) {
  if (!status.is_ok()) throw CommandError(status.message());
}

Bundle load_model(const std::string& path) {
  const bool is_onnx = path.size() >= 5 && path.compare(path.size() - 5, 5, ".onnx") == 0;
  if (!is_onnx) return check(read_bundle(path));
  Bundle bundle;
  bundle.graph = check(import_onnx_file(path));
  bundle.manifest.name = bundle.graph.name;
  bundle.manifest.inputs = bundle.graph.inputs;
  bundle.manifest.outputs = bundle.graph.outputs;
  return bundle;
}

std::set<std::string> node_names(const std::vector<std::string>& lists, const Graph& graph, const std::string& option) {
  std::set<std::string> names;
  for (const std::string& list : lists) {
    std::stringstream ss(list);
    for (std::string name; std::getline(ss, name, ',');) {
      if (name.empty()) continue;
      const bool exists =
          std::any_of(graph.nodes.begin(), graph.nodes.end(), [&](const Node& n) { return n.name == name; });
      if (!exists) throw CommandError(option + ": the model has no node '" + name + "' (see `edgeai inspect`)");
      names.insert(name);
    }
  }
  return names;
}

std::string describe_values(const std::vector<ValueInfo>& values) {
  std::string out;
  for (const ValueInfo& v : values) {
    if (!out.empty()) out += ", ";
    out += v.name + " " + std::string(dtype_name(v.dtype)) + shape_to_string(v.shape);
  }
  return out;
}

}  // namespace edgeai::cli
