// A labelled data set held in memory, already preprocessed into model-input layout: what
// training, calibration and evaluation consume. Readers (IDX, WFDB beats, image folders)
// produce it; the preprocessing they apply is the one declared in the bundle's manifest
// (format/bundle.hpp, Preprocessing), executed by preprocess.hpp. Device side: errors are
// values, no exceptions, no torch.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.hpp"
#include "core/tensor.hpp"

namespace edgeai {

struct LabeledData {
  // One tensor per model input, each [N, ...] float32 (e.g. images [N,1,28,28]; ECG beats
  // [N,1,L] and RR features [N,F]). All share N.
  std::vector<Tensor> inputs;
  std::vector<std::string> input_names;  // model input names, same order
  std::vector<std::int64_t> labels;      // N class indices into class_names
  std::vector<std::string> class_names;
  std::vector<std::string> sources;      // per sample: the file or "record:sample" it came from

  std::int64_t size() const { return static_cast<std::int64_t>(labels.size()); }
  // Samples per class, in class_names order.
  std::vector<std::int64_t> class_counts() const;
  // "N 44011, S 934, V 3788, F 414" — printed whenever a data set is loaded, so nothing is
  // lost silently.
  std::string describe_counts() const;
  // The samples at `indices`, in that order (for splits and subsets).
  Result<LabeledData> subset(const std::vector<std::int64_t>& indices) const;
  // `count` samples spread evenly over the set (sample i * size / count), so a quick run on an
  // ordered set (MIT-BIH beats come record by record) still sees every part; the whole set when
  // count < 0 or count >= size. `--limit` of train and eval both use it.
  Result<LabeledData> evenly_spaced(std::int64_t count) const;
};

}  // namespace edgeai
