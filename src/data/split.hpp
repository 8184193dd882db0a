// Fixed, stratified train/val/test splits by sample, and the small text file that saves one
// next to a model so the same samples are held out when it is evaluated again. Deterministic
// on every platform: the shuffle uses only std::mt19937_64 (whose output the standard fixes)
// and our own Fisher-Yates with rejection sampling (std::shuffle and uniform_int_distribution
// differ between standard libraries). Depends on core and data/labeled_data.
#pragma once

#include <cstdint>
#include <random>
#include <string_view>
#include <string>
#include <vector>

#include "core/status.hpp"
#include "data/labeled_data.hpp"

namespace edgeai {

// Indices into a LabeledData, each list ascending.
struct StratifiedSplit {
  std::vector<std::int64_t> train;
  std::vector<std::int64_t> val;
  std::vector<std::int64_t> test;
};

// Per label value: the samples of that label (in data order) are shuffled with a generator
// seeded by `seed` (one generator for the whole split, labels visited in ascending order); the
// first round(n * train) go to train, the next round(n * val) to val, the rest to test. So each
// class keeps its proportion within one sample in every part. Fractions are clamped to [0, 1]
// and val to 1 - train.
StratifiedSplit stratified_split(const LabeledData& data, double train = 0.70, double val = 0.15,
                                 std::uint64_t seed = 20240501);

// A uniformly distributed integer in [0, bound) from `rng`, without modulo bias (draws below
// 2^64 mod bound are rejected), the same on every platform. `bound` must be positive.
std::uint64_t portable_uniform_below(std::mt19937_64& rng, std::uint64_t bound);

// The split as named samples: each entry a LabeledData source (a path relative to the data
// set's root, or "train:17").
struct SplitFile {
  std::vector<std::string> train;
  std::vector<std::string> val;
  std::vector<std::string> test;
};

// The text form of a split: a "# edgeai split v1" line, then "train|val|test<TAB>source" per
// sample. `name` is used in messages. Stored in a bundle's manifest (metadata "split") by the
// recipes, or in a file by write_split.
Result<std::string> format_split(const LabeledData& data, const StratifiedSplit& split, std::string_view name = "split");
Result<SplitFile> parse_split(std::string_view text, std::string_view name);

// Writes one line per sample, "train|val|test<TAB>source", after a "# edgeai split v1" line.
// Fails when a source is missing, empty, or holds a tab or newline.
Status write_split(const std::string& path, const LabeledData& data, const StratifiedSplit& split);
// Reads what write_split wrote; '#' lines and empty lines are skipped. Errors name the file and
// the line.
Result<SplitFile> read_split(const std::string& path);
// Maps the named samples back to indices of `data`. Fails when a name is not in `data`, is listed
// twice, or a sample of `data` is in no part (the data set changed since the split was saved).
// `name` (the split file) is used in messages.
Result<StratifiedSplit> resolve_split(const SplitFile& file, const LabeledData& data, const std::string& name);
// read_split followed by resolve_split.
Result<StratifiedSplit> read_split(const std::string& path, const LabeledData& data);

}  // namespace edgeai
