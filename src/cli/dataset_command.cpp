// `edgeai dataset`: data sets as folders of images, the form cameras and `edgeai train` share.
//   export  a built-in data set's images as PNG files in one folder per class (what a device's
//           images: source streams, and a folder data set `edgeai train --data` reads)
//   pull    the samples devices uploaded (opt-in campaigns) into such a folder, each under the
//           label the model gave it, for review and retraining
#include <stb/stb_image_write.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/fleet_api.hpp"
#include "data/idx.hpp"
#include "data/image_datasets.hpp"
#include "format/atomic_file.hpp"

namespace edgeai::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// A folder name for a class: path separators and spaces become '_'.
std::string folder_name(std::string name) {
  for (char& c : name) {
    if (c == '/' || c == '\\' || c == ' ' || c == ':') c = '_';
  }
  return name.empty() || name == "." || name == ".." ? "_" : name;
}

int export_fashion_mnist(const std::string& part, const std::string& out, std::int64_t limit) {
  const bool train = part == "train";
  if (!train && part != "test") throw CommandError("fashion-mnist:" + part + ": use fashion-mnist:test or :train");
  const std::string prefix = std::string(kFashionMnistDir) + (train ? "/train" : "/t10k");
  IdxArray images = check(read_idx(prefix + "-images-idx3-ubyte.gz"));
  IdxArray labels = check(read_idx(prefix + "-labels-idx1-ubyte.gz"));
  if (images.dims.size() != 3 || labels.dims.size() != 1 || images.dims[0] != labels.dims[0]) {
    throw CommandError(prefix + ": images and labels do not match");
  }
  const std::int64_t n = images.dims[0], h = images.dims[1], w = images.dims[2];
  const std::int64_t count = limit >= 0 && limit < n ? limit : n;
  const std::vector<std::string> classes = fashion_mnist_class_names();
  for (std::int64_t k = 0; k < count; ++k) {
    const std::int64_t i = k * n / count;  // evenly spaced: every class in a small export
    const auto label = static_cast<std::size_t>(labels.bytes[static_cast<std::size_t>(i)]);
    const fs::path dir = fs::path(out) / folder_name(label < classes.size() ? classes[label] : std::to_string(label));
    fs::create_directories(dir);
    const fs::path file = dir / str_cat(part, "-", i, ".png");
    const std::uint8_t* pixels = images.bytes.data() + i * h * w;
    if (stbi_write_png(file.c_str(), static_cast<int>(w), static_cast<int>(h), 1, pixels, static_cast<int>(w)) == 0) {
      throw CommandError("cannot write " + file.string());
    }
  }
  std::printf("wrote %lld images of fashion-mnist:%s into %s (one folder per class)\n", static_cast<long long>(count),
              part.c_str(), out.c_str());
  return 0;
}

}  // namespace

Action add_dataset_command(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand(
      "dataset", "Data sets as folders of images (export a built-in one, pull samples devices uploaded)");
  cmd->require_subcommand(1);
  struct Args {
    std::string spec, out;
    std::int64_t limit = -1;
    Connection c;
  };
  auto a = std::make_shared<Args>();
  CLI::App* exp = cmd->add_subcommand("export", "Write a built-in data set's images as PNG, one folder per class");
  exp->add_option("spec", a->spec, "fashion-mnist:test or fashion-mnist:train")->required();
  exp->add_option("-o,--out", a->out, "folder to write into")->required();
  exp->add_option("--limit", a->limit, "at most this many images, evenly spaced over the set");
  CLI::App* pull = cmd->add_subcommand(
      "pull",
      "Download the samples devices uploaded (campaigns with --collect-samples) into a folder data set: one folder "
      "per label the model gave, for review before `edgeai train --data FOLDER`");
  pull->add_option("-o,--out", a->out, "folder to write into")->required();
  add_connection_options(pull, a->c);
  return [a, exp, pull]() -> int {
    if (exp->parsed()) {
      const std::size_t colon = a->spec.find(':');
      const std::string name = a->spec.substr(0, colon);
      const std::string part = colon == std::string::npos ? "test" : a->spec.substr(colon + 1);
      if (name != "fashion-mnist") {
        throw CommandError("dataset export " + a->spec +
                           ": fashion-mnist:test|train (the other built-in sets are image folders already)");
      }
      return export_fashion_mnist(part, a->out, a->limit);
    }
    Api api(a->c);
    const json samples = api.get("/api/v1/samples")["samples"];
    std::map<std::string, int> per_label;
    for (const json& s : samples) {
      const std::string label = folder_name(s.value("label", "unlabelled"));
      const std::string type = s.value("media_type", "");
      const std::string ext = type == "image/png" ? ".png" : type == "image/jpeg" ? ".jpg" : ".bin";
      const fs::path dir = fs::path(a->out) / label;
      fs::create_directories(dir);
      const std::string bytes = base64_decode(s.value("data", ""));
      const fs::path file = dir / str_cat(s.value("device", "device"), "-", s["id"].get<long long>(), ext);
      check(write_file_atomically(file.string(), bytes));
      ++per_label[label];
    }
    std::printf("pulled %zu samples into %s:", samples.size(), a->out.c_str());
    for (const auto& [label, n] : per_label) std::printf(" %s %d", label.c_str(), n);
    std::printf("\n(each under the label the model gave it: review and move before training on it)\n");
    return 0;
  };
}

}  // namespace edgeai::cli
