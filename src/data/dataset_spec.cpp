#include "data/dataset_spec.hpp"

#include <algorithm>
#include <cstring>
#include <filesystem>

#include "format/npy.hpp"

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

bool has_npy_files(const std::string& dir) {
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.is_regular_file() && entry.path().extension() == ".npy") return true;
  }
  return false;
}

// A folder of .npy files, one unlabelled sample each ([1, ...] or without the batch axis), for a
// model with one input: calibration data in whatever form the user's pipeline produces.
Result<LabeledData> load_npy_folder(const std::string& dir, const Manifest& manifest) {
  if (manifest.inputs.size() != 1) {
    return invalid_argument("a folder of .npy samples feeds a model with one input; this one has ",
                            manifest.inputs.size());
  }
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.is_regular_file() && entry.path().extension() == ".npy") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  const ValueInfo& input = manifest.inputs[0];
  // The input's shape without the batch axis (dimensions may be unknown), and the first
  // sample's, which every other sample must equal.
  const Shape declared(input.shape.begin() + (input.shape.empty() ? 0 : 1), input.shape.end());
  Shape sample;
  LabeledData data;
  std::vector<Tensor> samples;
  for (const auto& file : files) {
    EDGEAI_ASSIGN_OR_RETURN(Tensor t, read_npy(file.string()));
    Shape shape = t.shape();
    if (shape.size() == declared.size() + 1 && !shape.empty() && shape[0] == 1) shape.erase(shape.begin());
    bool fits = t.dtype() == DType::kFloat32 && shape.size() == declared.size();
    for (std::size_t d = 0; fits && d < shape.size(); ++d) fits = declared[d] < 0 || declared[d] == shape[d];
    if (!fits) {
      return invalid_argument(file.string(), ": ", dtype_name(t.dtype()), " ", shape_to_string(t.shape()),
                              " does not fit the model's input '", input.name, "' ", shape_to_string(input.shape),
                              " (float32, with or without the batch axis)");
    }
    if (!samples.empty() && shape != sample) {  // compared without the batch axis
      return invalid_argument(file.string(), ": shape ", shape_to_string(shape), " differs from ",
                              shape_to_string(sample), " of the first sample");
    }
    sample = shape;
    samples.push_back(std::move(t));
    data.sources.push_back(file.filename().string());
  }
  Shape stacked = sample;
  stacked.insert(stacked.begin(), static_cast<std::int64_t>(samples.size()));
  EDGEAI_ASSIGN_OR_RETURN(Tensor all, Tensor::allocate(DType::kFloat32, stacked));
  for (std::size_t i = 0; i < samples.size(); ++i) {
    std::memcpy(static_cast<std::uint8_t*>(all.raw_data()) + i * samples[i].size_bytes(), samples[i].raw_data(),
                samples[i].size_bytes());
  }
  data.inputs.push_back(std::move(all));
  data.input_names.push_back(input.name);
  data.labels.assign(samples.size(), 0);
  data.class_names = {"unlabelled"};
  return data;
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
  } else if (std::filesystem::is_directory(spec) && has_npy_files(spec)) {
    data = load_npy_folder(spec, manifest);
  } else if (std::filesystem::is_directory(spec)) {
    ImageFolderOptions options;
    options.class_names = manifest.labels;
    data = load_image_folder(spec, manifest.preprocessing, options);
  } else {
    return invalid_argument("unknown data set '", spec,
                            "': use fashion-mnist[:test|:train], mitdb:DS2 (or DS1, or record numbers), "
                            "magnetic-tile[:test|:val|:train|:all], a folder of images in class folders, or a folder of "
                            ".npy samples");
  }
  if (data.is_ok() && description != nullptr && description->empty()) *description = data->describe_counts();
  return data;
}

}  // namespace edgeai
