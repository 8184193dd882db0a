// Image data sets as LabeledData: Fashion-MNIST (IDX, from Debian's dataset-fashion-mnist),
// folders of JPEG/PNG images with one sub-folder per class, and the magnetic tile defect set
// (../shared/datasets/magnetic-tile). Every sample goes through preprocess_image with the
// Preprocessing declared here, the one a bundle's manifest carries. Device side: no
// exceptions, no torch; nothing is printed (callers print LabeledData::describe_counts()).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.hpp"
#include "data/labeled_data.hpp"
#include "format/bundle.hpp"

namespace edgeai {

// ---- Fashion-MNIST (Xiao, Rasul, Vollgraf 2017) ----

inline constexpr const char* kFashionMnistDir = "/usr/share/datasets/fashion-mnist";

// gray, 28x28, scale 1/255, mean 0.2860, std 0.3530 (the training set's pixel mean and
// standard deviation after scaling: 0.28604, 0.35302), NCHW.
Preprocessing fashion_mnist_preprocessing();
// T-shirt/top, Trouser, Pullover, Dress, Coat, Sandal, Shirt, Sneaker, Bag, Ankle boot.
std::vector<std::string> fashion_mnist_class_names();

// Reads {train,t10k}-{images-idx3,labels-idx1}-ubyte.gz from `dir`: input "input"
// [N,1,28,28] float32 per fashion_mnist_preprocessing(), sources "train:I" / "test:I" (I the
// index in the file). `limit` >= 0 keeps only the first `limit` samples. Errors name the file:
// a wrong dtype or rank, images and labels counts that differ, a label outside 0..9.
Result<LabeledData> load_fashion_mnist(const std::string& dir = kFashionMnistDir, bool train = true,
                                       std::int64_t limit = -1);

// ---- Folders of images, one sub-folder per class ----

struct ImageFolderOptions {
  // File extensions taken (compared case-insensitively), with the dot.
  std::vector<std::string> extensions = {".jpg", ".jpeg", ".png"};
  // Only files under <root>/<class folder>/<sub_path> (e.g. "Imgs"); empty: the whole folder.
  // Files are listed recursively either way.
  std::string sub_path;
  // Skip a .png when a .jpg or .jpeg of the same stem sits in the same folder (pixel masks
  // stored next to their photos, as in the magnetic tile set).
  bool exclude_masks = false;
  // Folder name -> class name. Empty: every sub-folder is a class named after it. Otherwise
  // every sub-folder must be listed (a folder nobody mapped is an error, never skipped); several
  // folders may map to one class.
  std::map<std::string, std::string> folder_classes;
  // The classes in label order. Empty: the sorted distinct class names.
  std::vector<std::string> class_names;
};

// Loads every selected image under `root`: label from its class folder, input "input" [N, ...]
// float32 per `pre` (check_image_preprocessing; without a resize all images must have one
// size), sources the paths relative to `root` with '/' separators. Samples are ordered by
// class folder name, then path, so the result is the same on every machine. A folder without
// images, or a file that does not decode, is an error naming it.
Result<LabeledData> load_image_folder(const std::string& root, const Preprocessing& pre,
                                      const ImageFolderOptions& options = {});

// ---- Magnetic tile surface defects (Huang, Qiu, Yuan, The Visual Computer 36, 2020) ----

enum class MagneticTileTask {
  kDefectVsFree,  // classes {"free", "defect"}: MT_Free -> free, the five defect folders -> defect
  kSixClass,      // classes {"blowhole", "break", "crack", "fray", "free", "uneven"} (MT_<Name>)
};

// "defect-vs-free" or "six-class" (the names --task and the manifest's "task" use); an empty
// name is defect-vs-free. Anything else is an error listing both.
Result<MagneticTileTask> parse_magnetic_tile_task(std::string_view name);

// gray, 128x128, scale 1/255, mean/std of the whole set (see image_datasets.cpp), NCHW.
Preprocessing magnetic_tile_preprocessing();
// The six folders in label order of kSixClass: MT_Blowhole, MT_Break, MT_Crack, MT_Fray,
// MT_Free, MT_Uneven.
std::vector<std::string> magnetic_tile_folders();
// find_shared_dataset("magnetic-tile"): $EDGEAI_DATASETS/magnetic-tile or the nearest
// shared/datasets/magnetic-tile above the current directory or the executable.
Result<std::string> default_magnetic_tile_root();
// The photos <root>/MT_*/Imgs/*.jpg (masks excluded), labelled for `task`.
Result<LabeledData> load_magnetic_tile(const std::string& root, MagneticTileTask task,
                                       const Preprocessing& pre = magnetic_tile_preprocessing());

}  // namespace edgeai
