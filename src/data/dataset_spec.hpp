// Data sets by name, as `edgeai eval --data SPEC` and the training recipes name them:
//   fashion-mnist[:test|:train]        Debian's dataset-fashion-mnist (default: the test set)
//   mitdb:DS1 | mitdb:DS2 | mitdb:100,101,...   MIT-BIH beats (paced records refused)
//   magnetic-tile[:test|:val|:train|:all]       the split saved in the model's manifest
//   PATH                               a folder of images, one sub-folder per class; or a folder
//                                      of .npy files, one unlabelled sample each (calibration)
// Preprocessing always comes from the model's manifest, so evaluation feeds the model what a
// device would.
#pragma once

#include <string>

#include "core/status.hpp"
#include "data/labeled_data.hpp"
#include "format/bundle.hpp"

namespace edgeai {

// Manifest metadata keys the recipes write and evaluation reads.
inline constexpr const char* kMetadataTask = "task";    // magnetic tile: "defect-vs-free" | "six-class"
inline constexpr const char* kMetadataSplit = "split";  // the saved split, data/split.hpp's text form

// Loads the data set `spec` for a model with `manifest`. `description` (optional) receives a
// one-line summary with the counts per class.
Result<LabeledData> load_dataset_spec(const std::string& spec, const Manifest& manifest,
                                      std::string* description = nullptr);

}  // namespace edgeai
