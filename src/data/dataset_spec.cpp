#include "data/dataset_spec.hpp"

#include <filesystem>

#include "data/dataset_paths.hpp"
#include "data/image_datasets.hpp"
#include "data/mitdb.hpp"
#include "data/split.hpp"

namespace edgeai {
namespace {

std::vector<std::string> split_list(const std::string& text, char sep) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t end = text.find(sep, start);
    std::string item = text.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (!item.empty()) out.push_back(item);
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return out;
}

Result<LabeledData> load_magnetic_tile_spec(const std::string& part, const Manifest& manifest) {
  const auto task_it = manifest.metadata.find(kMetadataTask);
  Result<MagneticTileTask> which = parse_magnetic_tile_task(task_it == manifest.metadata.end() ? "" : task_it->second);
  if (!which.is_ok()) return which.status().with_context("the model's manifest");
  EDGEAI_ASSIGN_OR_RETURN(std::string root, default_magnetic_tile_root());
  EDGEAI_ASSIGN_OR_RETURN(LabeledData all, load_magnetic_tile(root, *which, manifest.preprocessing));
  if (part == "all") return all;
  const auto split_it = manifest.metadata.find(kMetadataSplit);
  if (split_it == manifest.metadata.end()) {
    return invalid_argument("magnetic-tile:", part, " needs the split saved in the model's manifest; this model has none",
                            " (use magnetic-tile:all, or a model trained by `edgeai train magnetic-tile`)");
  }
  EDGEAI_ASSIGN_OR_RETURN(SplitFile file, parse_split(split_it->second, "the model's split"));
  EDGEAI_ASSIGN_OR_RETURN(StratifiedSplit split, resolve_split(file, all, "the model's split"));
  if (part == "train") return all.subset(split.train);
  if (part == "val") return all.subset(split.val);
  if (part == "test") return all.subset(split.test);
  return invalid_argument("unknown part '", part, "' of magnetic-tile: use train, val, test or all");
}

}  // namespace

Result<LabeledData> load_dataset_spec(const std::string& spec, const Manifest& manifest, std::string* description) {
  const std::size_t colon = spec.find(':');
  const std::string name = spec.substr(0, colon);
  const std::string part = colon == std::string::npos ? "" : spec.substr(colon + 1);
  Result<LabeledData> data = invalid_argument("unknown data set '", spec, "'");
  if (name == "fashion-mnist") {
    if (!part.empty() && part != "test" && part != "train") {
      return invalid_argument("unknown part '", part, "' of fashion-mnist: use test or train");
    }
    data = load_fashion_mnist(kFashionMnistDir, part == "train");
  } else if (name == "mitdb") {
    std::vector<std::string> records;
    if (part == "DS1" || part == "ds1") {
      records = mitdb_ds1_records();
    } else if (part == "DS2" || part == "ds2" || part.empty()) {
      records = mitdb_ds2_records();
    } else {
      records = split_list(part, ',');
    }
    EDGEAI_ASSIGN_OR_RETURN(std::string dir, find_shared_dataset("mitdb"));
    MitdbStats stats;
    data = load_mitdb(dir, records, manifest.preprocessing, &stats);
    if (data.is_ok() && description != nullptr) *description = stats.describe();
  } else if (name == "magnetic-tile") {
    data = load_magnetic_tile_spec(part.empty() ? "test" : part, manifest);
  } else if (std::filesystem::is_directory(spec)) {
    ImageFolderOptions options;
    options.class_names = manifest.labels;
    data = load_image_folder(spec, manifest.preprocessing, options);
  } else {
    return invalid_argument("unknown data set '", spec,
                            "': use fashion-mnist[:test|:train], mitdb:DS2 (or DS1, or record numbers), "
                            "magnetic-tile[:test|:val|:train|:all], or a folder of images");
  }
  if (data.is_ok() && description != nullptr && description->empty()) *description = data->describe_counts();
  return data;
}

}  // namespace edgeai
