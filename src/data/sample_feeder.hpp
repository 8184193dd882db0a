// Feeds a session one sample of a LabeledData at a time, as a device would: each model input
// is matched to a data set input by name (or by position when the data set names none) and
// handed to Session::run as a [1, ...] view straight into the data set's memory, no copy.
// Evaluation and calibration both use it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "core/status.hpp"
#include "data/labeled_data.hpp"
#include "graph/graph.hpp"

namespace edgeai {

class SampleFeeder {
 public:
  // Fails naming the input when the data set lacks a model input or its shape is not [N, ...].
  static Result<SampleFeeder> create(const std::vector<ValueInfo>& model_inputs, const LabeledData& data);

  // The views for sample n (valid while `data` lives; n < data.size()).
  std::span<const TensorView> sample(std::int64_t n);

 private:
  const LabeledData* data_ = nullptr;
  std::vector<std::size_t> source_;  // data input feeding each model input
  std::vector<std::size_t> row_bytes_;
  std::vector<TensorView> views_;
};

}  // namespace edgeai
