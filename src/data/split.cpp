#include "data/split.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>
#include <map>
#include <tuple>
#include <unordered_map>

namespace edgeai {
namespace {

constexpr const char* kSplitHeader = "# edgeai split v1";

std::int64_t rounded_share(std::size_t n, double fraction) {
  return static_cast<std::int64_t>(std::llround(static_cast<double>(n) * fraction));
}

}  // namespace

std::uint64_t portable_uniform_below(std::mt19937_64& rng, std::uint64_t bound) {
  // 2^64 mod bound, computed without 128-bit arithmetic: (2^64 - bound) mod bound.
  const std::uint64_t threshold = (0 - bound) % bound;
  while (true) {
    const std::uint64_t r = rng();
    if (r >= threshold) return r % bound;
  }
}

StratifiedSplit stratified_split(const LabeledData& data, double train, double val, std::uint64_t seed) {
  train = std::clamp(std::isnan(train) ? 0.0 : train, 0.0, 1.0);
  val = std::clamp(std::isnan(val) ? 0.0 : val, 0.0, 1.0 - train);
  std::map<std::int64_t, std::vector<std::int64_t>> by_label;  // ascending labels
  for (std::int64_t i = 0; i < data.size(); ++i) by_label[data.labels[static_cast<std::size_t>(i)]].push_back(i);

  std::mt19937_64 rng(seed);
  StratifiedSplit split;
  for (auto& [label, indices] : by_label) {
    // Fisher-Yates (Knuth, TAOCP vol. 2, 3.4.2, algorithm P), from the back.
    for (std::size_t i = indices.size(); i > 1; --i) {
      const std::size_t j = static_cast<std::size_t>(portable_uniform_below(rng, i));
      std::swap(indices[i - 1], indices[j]);
    }
    const std::int64_t n = static_cast<std::int64_t>(indices.size());
    const std::int64_t n_train = std::min(n, rounded_share(indices.size(), train));
    const std::int64_t n_val = std::min(n - n_train, rounded_share(indices.size(), val));
    split.train.insert(split.train.end(), indices.begin(), indices.begin() + n_train);
    split.val.insert(split.val.end(), indices.begin() + n_train, indices.begin() + n_train + n_val);
    split.test.insert(split.test.end(), indices.begin() + n_train + n_val, indices.end());
  }
  std::sort(split.train.begin(), split.train.end());
  std::sort(split.val.begin(), split.val.end());
  std::sort(split.test.begin(), split.test.end());
  return split;
}

Result<std::string> format_split(const LabeledData& data, const StratifiedSplit& split, std::string_view name) {
  std::string text = std::string(kSplitHeader) + "\n";
  const std::pair<const char*, const std::vector<std::int64_t>*> parts[] = {
      {"train", &split.train}, {"val", &split.val}, {"test", &split.test}};
  for (const auto& [part, indices] : parts) {
    for (std::int64_t index : *indices) {
      if (index < 0 || index >= static_cast<std::int64_t>(data.sources.size())) {
        return out_of_range(name, ": ", part, " sample ", index, " has no source in a data set of ",
                            data.sources.size(), " sources");
      }
      const std::string& source = data.sources[static_cast<std::size_t>(index)];
      if (source.empty() || source.find_first_of("\t\n\r") != std::string::npos) {
        return invalid_argument(name, ": ", part, " sample ", index, " has source '", source,
                                "', which cannot be written on one line");
      }
      text += str_cat(part, "\t", source, "\n");
    }
  }
  return text;
}

Status write_split(const std::string& path, const LabeledData& data, const StratifiedSplit& split) {
  EDGEAI_ASSIGN_OR_RETURN(const std::string text, format_split(data, split, path));
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return io_error(path, ": cannot open for writing");
  out << text;
  out.close();
  if (!out) return io_error(path, ": write failed");
  return Status::ok();
}

Result<SplitFile> parse_split(std::string_view text, std::string_view name) {
  SplitFile file;
  std::int64_t line_number = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string line(text.substr(pos, end - pos));
    pos = end + 1;
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    const std::size_t tab = line.find('\t');
    if (tab == std::string::npos || tab + 1 == line.size()) {
      return data_loss(name, ":", line_number, ": expected 'train|val|test<TAB>source', got '", line, "'");
    }
    const std::string part = line.substr(0, tab);
    std::string source = line.substr(tab + 1);
    if (part == "train") {
      file.train.push_back(std::move(source));
    } else if (part == "val") {
      file.val.push_back(std::move(source));
    } else if (part == "test") {
      file.test.push_back(std::move(source));
    } else {
      return data_loss(name, ":", line_number, ": unknown split '", part, "' (expected train, val or test)");
    }
  }
  return file;
}

Result<SplitFile> read_split(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return not_found(path, ": cannot open split file");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return io_error(path, ": read failed");
  return parse_split(text.str(), path);
}

Result<StratifiedSplit> resolve_split(const SplitFile& file, const LabeledData& data, const std::string& name) {
  std::unordered_map<std::string, std::int64_t> index_of;
  for (std::size_t i = 0; i < data.sources.size(); ++i) {
    if (!index_of.emplace(data.sources[i], static_cast<std::int64_t>(i)).second) {
      return invalid_argument(name, ": the data set names two samples '", data.sources[i], "'");
    }
  }
  if (static_cast<std::int64_t>(data.sources.size()) != data.size()) {
    return invalid_argument(name, ": the data set has ", data.size(), " samples but ", data.sources.size(), " sources");
  }
  std::vector<const char*> part_of(data.sources.size(), nullptr);
  StratifiedSplit split;
  const std::tuple<const char*, const std::vector<std::string>*, std::vector<std::int64_t>*> parts[] = {
      {"train", &file.train, &split.train}, {"val", &file.val, &split.val}, {"test", &file.test, &split.test}};
  for (const auto& [part, sources, indices] : parts) {
    for (const std::string& source : *sources) {
      const auto it = index_of.find(source);
      if (it == index_of.end()) return not_found(name, ": ", part, " sample '", source, "' is not in the data set");
      const std::size_t index = static_cast<std::size_t>(it->second);
      if (part_of[index] != nullptr) {
        return invalid_argument(name, ": sample '", source, "' is listed in ", part_of[index], " and in ", part);
      }
      part_of[index] = part;
      indices->push_back(it->second);
    }
    std::sort(indices->begin(), indices->end());
  }
  for (std::size_t i = 0; i < part_of.size(); ++i) {
    if (part_of[i] == nullptr) {
      return not_found(name, ": sample '", data.sources[i],
                       "' of the data set is in no split (the data set changed since the split was written)");
    }
  }
  return split;
}

Result<StratifiedSplit> read_split(const std::string& path, const LabeledData& data) {
  EDGEAI_ASSIGN_OR_RETURN(const SplitFile file, read_split(path));
  return resolve_split(file, data, path);
}

}  // namespace edgeai
