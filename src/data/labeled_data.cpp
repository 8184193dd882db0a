#include "data/labeled_data.hpp"

#include <cstring>

namespace edgeai {

std::vector<std::int64_t> LabeledData::class_counts() const {
  std::vector<std::int64_t> counts(class_names.size(), 0);
  for (std::int64_t label : labels) {
    if (label >= 0 && label < static_cast<std::int64_t>(counts.size())) ++counts[label];
  }
  return counts;
}

std::string LabeledData::describe_counts() const {
  std::string out;
  const std::vector<std::int64_t> counts = class_counts();
  for (std::size_t c = 0; c < counts.size(); ++c) {
    if (!out.empty()) out += ", ";
    out += str_cat(class_names[c], " ", counts[c]);
  }
  return str_cat(size(), " samples (", out, ")");
}

Result<LabeledData> LabeledData::subset(const std::vector<std::int64_t>& indices) const {
  LabeledData out;
  out.input_names = input_names;
  out.class_names = class_names;
  for (const Tensor& input : inputs) {
    Shape shape = input.shape();
    if (shape.empty()) return invalid_argument("data set input has no sample dimension");
    const std::size_t row_bytes = shape[0] == 0 ? 0 : input.size_bytes() / static_cast<std::size_t>(shape[0]);
    shape[0] = static_cast<std::int64_t>(indices.size());
    EDGEAI_ASSIGN_OR_RETURN(Tensor t, Tensor::allocate(input.dtype(), shape));
    for (std::size_t i = 0; i < indices.size(); ++i) {
      if (indices[i] < 0 || indices[i] >= input.shape()[0]) {
        return out_of_range("sample index ", indices[i], " is outside the data set of ", input.shape()[0]);
      }
      std::memcpy(static_cast<std::uint8_t*>(t.raw_data()) + i * row_bytes,
                  static_cast<const std::uint8_t*>(input.raw_data()) + indices[i] * row_bytes, row_bytes);
    }
    out.inputs.push_back(std::move(t));
  }
  for (std::int64_t index : indices) {
    if (index < 0 || index >= size()) return out_of_range("sample index ", index, " is outside the data set of ", size());
    out.labels.push_back(labels[index]);
    if (index < static_cast<std::int64_t>(sources.size())) out.sources.push_back(sources[index]);
  }
  return out;
}

Result<LabeledData> LabeledData::evenly_spaced(std::int64_t count) const {
  if (count < 0 || count >= size()) return subset([this] {
    std::vector<std::int64_t> all(static_cast<std::size_t>(size()));
    for (std::int64_t i = 0; i < size(); ++i) all[i] = i;
    return all;
  }());
  std::vector<std::int64_t> indices(static_cast<std::size_t>(count));
  for (std::int64_t i = 0; i < count; ++i) indices[i] = i * size() / count;
  return subset(indices);
}

}  // namespace edgeai
