#include "data/sample_feeder.hpp"

#include <algorithm>

namespace edgeai {

Result<SampleFeeder> SampleFeeder::create(const std::vector<ValueInfo>& model_inputs, const LabeledData& data) {
  SampleFeeder feeder;
  feeder.data_ = &data;
  feeder.source_.resize(model_inputs.size());
  // One input each: they go together whatever their names (an imported model's input is rarely
  // called "input" as a folder data set's is).
  const bool single = model_inputs.size() == 1 && data.inputs.size() == 1;
  for (std::size_t i = 0; i < model_inputs.size(); ++i) {
    if (data.input_names.empty() || single) {
      feeder.source_[i] = i;
    } else {
      auto it = std::find(data.input_names.begin(), data.input_names.end(), model_inputs[i].name);
      if (it == data.input_names.end()) {
        return invalid_argument("the data set has no input '", model_inputs[i].name, "' for the model");
      }
      feeder.source_[i] = static_cast<std::size_t>(it - data.input_names.begin());
    }
    if (feeder.source_[i] >= data.inputs.size()) {
      return invalid_argument("the model takes ", model_inputs.size(), " inputs; the data set has ", data.inputs.size());
    }
  }
  for (std::size_t i = 0; i < model_inputs.size(); ++i) {
    const Tensor& t = data.inputs[feeder.source_[i]];
    if (t.shape().empty() || t.shape()[0] != data.size()) {
      return invalid_argument("data set input '", model_inputs[i].name, "' has shape ", shape_to_string(t.shape()),
                              " for ", data.size(), " samples");
    }
    Shape sample = t.shape();
    sample[0] = 1;
    feeder.views_.push_back(TensorView{t.dtype(), sample, nullptr});
    feeder.row_bytes_.push_back(data.size() == 0 ? 0 : t.size_bytes() / static_cast<std::size_t>(data.size()));
  }
  return feeder;
}

std::span<const TensorView> SampleFeeder::sample(std::int64_t n) {
  for (std::size_t i = 0; i < views_.size(); ++i) {
    views_[i].data = static_cast<std::uint8_t*>(data_->inputs[source_[i]].raw_data()) +
                     static_cast<std::size_t>(n) * row_bytes_[i];
  }
  return views_;
}

}  // namespace edgeai
