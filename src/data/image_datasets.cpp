#include "data/image_datasets.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <set>
#include <system_error>
#include <utility>

#include "data/dataset_paths.hpp"
#include "data/idx.hpp"
#include "data/image.hpp"
#include "data/preprocess.hpp"

namespace edgeai {
namespace {

namespace fs = std::filesystem;

std::string lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

// Allocates [N, sample_shape...] float32.
Result<Tensor> allocate_batch(std::int64_t n, const Shape& sample_shape) {
  Shape shape{n};
  shape.insert(shape.end(), sample_shape.begin(), sample_shape.end());
  return Tensor::allocate(DType::kFloat32, shape);
}

// A selected image file: its class folder and paths.
struct ImageFile {
  std::int64_t label = 0;
  fs::path path;
  std::string relative;  // to the root, '/' separated: the sample's source
};

// The files under `dir` (recursively) with a wanted extension, sorted by relative path.
Result<std::vector<ImageFile>> list_images(const fs::path& root, const fs::path& dir, std::int64_t label,
                                           const ImageFolderOptions& options) {
  std::set<std::string> extensions;
  for (const std::string& ext : options.extensions) extensions.insert(lower(ext));
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return not_found(dir.string(), ": not a directory");
  std::vector<ImageFile> files;
  std::set<std::string> photo_stems;  // "<parent>/<stem>" of every .jpg/.jpeg, for exclude_masks
  fs::recursive_directory_iterator it(dir, fs::directory_options::follow_directory_symlink, ec);
  if (ec) return io_error(dir.string(), ": cannot list: ", ec.message());
  for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) return io_error(dir.string(), ": cannot list: ", ec.message());
    const fs::path& path = it->path();
    const std::string name = path.filename().string();
    if (name.empty() || name[0] == '.') {  // hidden files and folders (.DS_Store, ._x.jpg, .git)
      if (it->is_directory(ec)) it.disable_recursion_pending();
      continue;
    }
    if (!it->is_regular_file(ec)) continue;
    const std::string ext = lower(path.extension().string());
    if (ext == ".jpg" || ext == ".jpeg") photo_stems.insert((path.parent_path() / path.stem()).string());
    if (extensions.count(ext) == 0) continue;
    files.push_back(ImageFile{label, path, fs::relative(path, root, ec).generic_string()});
    if (ec) return io_error(path.string(), ": cannot make relative to ", root.string(), ": ", ec.message());
  }
  if (options.exclude_masks) {
    std::erase_if(files, [&](const ImageFile& f) {
      return lower(f.path.extension().string()) == ".png" &&
             photo_stems.count((f.path.parent_path() / f.path.stem()).string()) > 0;
    });
  }
  std::sort(files.begin(), files.end(), [](const ImageFile& a, const ImageFile& b) { return a.relative < b.relative; });
  return files;
}

}  // namespace

// ---- Fashion-MNIST ----

Preprocessing fashion_mnist_preprocessing() {
  // Mean and std of all 60000 training images' pixels after the 1/255 scaling, computed with
  // numpy from train-images-idx3-ubyte.gz: 0.2860406, 0.3530242.
  return image_preprocessing("gray", 28, 28, 1.0f / 255.0f, {0.2860f}, {0.3530f});
}

std::vector<std::string> fashion_mnist_class_names() {
  return {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"};
}

Result<LabeledData> load_fashion_mnist(const std::string& dir, bool train, std::int64_t limit) {
  const std::string prefix = (fs::path(dir) / (train ? "train" : "t10k")).string();
  const std::string images_path = prefix + "-images-idx3-ubyte.gz";
  const std::string labels_path = prefix + "-labels-idx1-ubyte.gz";
  EDGEAI_ASSIGN_OR_RETURN(const IdxArray images, read_idx(images_path));
  EDGEAI_ASSIGN_OR_RETURN(const IdxArray labels, read_idx(labels_path));
  if (images.dtype != DType::kUInt8 || images.dims.size() != 3 || images.dims[1] <= 0 || images.dims[2] <= 0) {
    return invalid_argument(images_path, ": expected uint8 images [N,H,W], got ", dtype_name(images.dtype), " ",
                            shape_to_string(images.dims));
  }
  if (labels.dtype != DType::kUInt8 || labels.dims.size() != 1) {
    return invalid_argument(labels_path, ": expected uint8 labels [N], got ", dtype_name(labels.dtype), " ",
                            shape_to_string(labels.dims));
  }
  if (images.dims[0] != labels.dims[0]) {
    return invalid_argument(images_path, " holds ", images.dims[0], " images but ", labels_path, " holds ",
                            labels.dims[0], " labels");
  }
  const std::int64_t n = limit >= 0 ? std::min(limit, images.dims[0]) : images.dims[0];
  const std::vector<std::string> class_names = fashion_mnist_class_names();
  for (std::int64_t i = 0; i < n; ++i) {
    const std::uint8_t label = labels.bytes[static_cast<std::size_t>(i)];
    if (label >= class_names.size()) {
      return out_of_range(labels_path, ": label ", static_cast<int>(label), " of sample ", i, " is outside 0..",
                          class_names.size() - 1);
    }
  }

  const Preprocessing pre = fashion_mnist_preprocessing();
  Image image;
  image.height = static_cast<std::int32_t>(images.dims[1]);
  image.width = static_cast<std::int32_t>(images.dims[2]);
  image.channels = 1;
  EDGEAI_ASSIGN_OR_RETURN(const Shape sample_shape, preprocessed_shape(pre, image.width, image.height));
  EDGEAI_ASSIGN_OR_RETURN(Tensor input, allocate_batch(n, sample_shape));
  const std::size_t image_bytes = static_cast<std::size_t>(image.width) * static_cast<std::size_t>(image.height);
  const std::size_t sample_elements = static_cast<std::size_t>(input.num_elements() / std::max<std::int64_t>(n, 1));

  LabeledData data;
  data.class_names = class_names;
  data.input_names = {"input"};
  data.labels.reserve(static_cast<std::size_t>(n));
  data.sources.reserve(static_cast<std::size_t>(n));
  const char* part = train ? "train:" : "test:";
  for (std::int64_t i = 0; i < n; ++i) {
    const std::uint8_t* pixels = images.bytes.data() + static_cast<std::size_t>(i) * image_bytes;
    image.pixels.assign(pixels, pixels + image_bytes);
    const Status status = preprocess_image_into(
        image, pre, input.data<float>() + static_cast<std::size_t>(i) * sample_elements, sample_elements);
    if (!status.is_ok()) return status.with_context(str_cat(images_path, ": image ", i));
    data.labels.push_back(labels.bytes[static_cast<std::size_t>(i)]);
    data.sources.push_back(str_cat(part, i));
  }
  data.inputs.push_back(std::move(input));
  return data;
}

// ---- Image folders ----

Result<LabeledData> load_image_folder(const std::string& root, const Preprocessing& pre,
                                      const ImageFolderOptions& options) {
  EDGEAI_RETURN_IF_ERROR(check_image_preprocessing(pre).with_context(root));
  const fs::path root_path(root);
  std::error_code ec;
  if (!fs::is_directory(root_path, ec)) return not_found(root, ": image folder root is not a directory");

  // Class folders, sorted by name.
  std::vector<std::string> folders;
  for (fs::directory_iterator it(root_path, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (!name.empty() && name[0] != '.' && it->is_directory(ec)) folders.push_back(name);
  }
  if (ec) return io_error(root, ": cannot list: ", ec.message());
  if (folders.empty()) return not_found(root, ": no class sub-folders");
  std::sort(folders.begin(), folders.end());

  // Class names and each folder's label.
  std::vector<std::string> folder_class;
  for (const std::string& folder : folders) {
    if (options.folder_classes.empty()) {
      folder_class.push_back(folder);
      continue;
    }
    const auto it = options.folder_classes.find(folder);
    if (it == options.folder_classes.end()) {
      return invalid_argument((root_path / folder).string(), ": folder is not mapped to a class");
    }
    folder_class.push_back(it->second);
  }
  std::vector<std::string> class_names = options.class_names;
  if (class_names.empty()) {
    class_names = folder_class;
    std::sort(class_names.begin(), class_names.end());
    class_names.erase(std::unique(class_names.begin(), class_names.end()), class_names.end());
  }

  std::vector<ImageFile> files;
  std::vector<std::int64_t> per_class(class_names.size(), 0);
  for (std::size_t f = 0; f < folders.size(); ++f) {
    const auto label_it = std::find(class_names.begin(), class_names.end(), folder_class[f]);
    if (label_it == class_names.end()) {
      return invalid_argument((root_path / folders[f]).string(), ": class '", folder_class[f],
                              "' is not among the declared class names");
    }
    const std::int64_t label = label_it - class_names.begin();
    fs::path dir = root_path / folders[f];
    if (!options.sub_path.empty()) dir /= options.sub_path;
    EDGEAI_ASSIGN_OR_RETURN(std::vector<ImageFile> found, list_images(root_path, dir, label, options));
    if (found.empty()) return not_found(dir.string(), ": no image files");
    per_class[static_cast<std::size_t>(label)] += static_cast<std::int64_t>(found.size());
    files.insert(files.end(), std::make_move_iterator(found.begin()), std::make_move_iterator(found.end()));
  }
  for (std::size_t c = 0; c < class_names.size(); ++c) {
    if (per_class[c] == 0) return not_found(root, ": no folder holds images of class '", class_names[c], "'");
  }

  // Decode and preprocess. The first image fixes the sample shape (all equal when resizing).
  LabeledData data;
  data.class_names = class_names;
  data.input_names = {"input"};
  Tensor input;
  Shape sample_shape;
  std::size_t sample_elements = 0;
  const std::int64_t n = static_cast<std::int64_t>(files.size());
  for (std::int64_t i = 0; i < n; ++i) {
    const ImageFile& file = files[static_cast<std::size_t>(i)];
    EDGEAI_ASSIGN_OR_RETURN(const Image image, read_image(file.path.string()));
    EDGEAI_ASSIGN_OR_RETURN(const Shape shape, preprocessed_shape(pre, image.width, image.height));
    if (i == 0) {
      sample_shape = shape;
      EDGEAI_ASSIGN_OR_RETURN(input, allocate_batch(n, sample_shape));
      sample_elements = static_cast<std::size_t>(input.num_elements() / n);
    } else if (shape != sample_shape) {
      return invalid_argument(file.path.string(), ": preprocesses to ", shape_to_string(shape), " but ",
                              files[0].path.string(), " to ", shape_to_string(sample_shape),
                              " (declare a resize so all images share one size)");
    }
    const Status status = preprocess_image_into(
        image, pre, input.data<float>() + static_cast<std::size_t>(i) * sample_elements, sample_elements);
    if (!status.is_ok()) return status.with_context(file.path.string());
    data.labels.push_back(file.label);
    data.sources.push_back(file.relative);
  }
  data.inputs.push_back(std::move(input));
  return data;
}

// ---- Magnetic tile ----

// Mean and standard deviation of every pixel of all 1344 photos after gray, the 128x128 resize
// and 1/255: 0.432185, 0.181287 with load_magnetic_tile(mean 0, std 1), and 0.432185, 0.181286
// independently with PIL decoding + torch F.interpolate(bilinear, align_corners=False) in
// /usr/bin/python3. Label-free statistics of the whole set, so no split is favoured; rounded
// to 4 digits. Recompute them if the resize changes.
constexpr float kMagneticTileMean = 0.4322f;
constexpr float kMagneticTileStd = 0.1813f;

Preprocessing magnetic_tile_preprocessing() {
  // 128x128 keeps cracks and frays (a few pixels wide in the 103x222 .. 632x403 photos) visible
  // to a small CNN while staying well inside the 10 ms int8 budget.
  return image_preprocessing("gray", 128, 128, 1.0f / 255.0f, {kMagneticTileMean}, {kMagneticTileStd});
}

std::vector<std::string> magnetic_tile_folders() {
  return {"MT_Blowhole", "MT_Break", "MT_Crack", "MT_Fray", "MT_Free", "MT_Uneven"};
}

Result<std::string> default_magnetic_tile_root() { return find_shared_dataset("magnetic-tile"); }

Result<LabeledData> load_magnetic_tile(const std::string& root, MagneticTileTask task, const Preprocessing& pre) {
  ImageFolderOptions options;
  options.sub_path = "Imgs";
  options.extensions = {".jpg", ".jpeg"};  // each photo's NAME.png beside it is its defect mask
  options.exclude_masks = true;
  for (const std::string& folder : magnetic_tile_folders()) {
    const std::string short_name = lower(folder.substr(3));  // "MT_Blowhole" -> "blowhole"
    if (task == MagneticTileTask::kDefectVsFree) {
      options.folder_classes[folder] = folder == "MT_Free" ? "free" : "defect";
    } else {
      options.folder_classes[folder] = short_name;
      options.class_names.push_back(short_name);
    }
  }
  if (task == MagneticTileTask::kDefectVsFree) options.class_names = {"free", "defect"};
  return load_image_folder(root, pre, options);
}

Result<MagneticTileTask> parse_magnetic_tile_task(std::string_view name) {
  if (name.empty() || name == "defect-vs-free") return MagneticTileTask::kDefectVsFree;
  if (name == "six-class") return MagneticTileTask::kSixClass;
  return invalid_argument("unknown magnetic-tile task '", name, "': use defect-vs-free or six-class");
}

}  // namespace edgeai
