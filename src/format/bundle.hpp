// The .eai model bundle: a Graph plus its Manifest in one file that loads without copying
// the weights (docs/formats/eai.md has the byte layout and the version rules).
// Depends on core and graph only; no exceptions: every failure is a Status naming the file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.hpp"
#include "core/tensor.hpp"
#include "graph/graph.hpp"

namespace edgeai {

// The file format version this build writes. A reader accepts any MINOR of its MAJOR
// (newer minors only add fields it may ignore) and refuses a newer MAJOR.
// A bundle with entropy-coded tensors is written as 2.0 (a 1.x reader would misread them and
// so must refuse the file); every other bundle as 1.0, readable by every edgeai.
constexpr std::uint16_t kBundleFormatMajor = 2;
constexpr std::uint16_t kBundleFormatMinor = 0;
constexpr std::uint16_t kBundleFormatMajorPlain = 1;

// What a device does to raw input before feeding the graph; shared with the data layer.
struct Preprocessing {
  std::string kind = "none";  // "none", "image", "ecg_beat", ...
  std::string layout;         // "NCHW", "NHWC", "NCW", ...
  std::string color;          // "rgb", "bgr", "gray"; empty when not an image
  std::int32_t resize_height = 0;  // 0: no resize
  std::int32_t resize_width = 0;
  std::vector<float> mean;  // per channel, subtracted after scaling
  std::vector<float> std;   // per channel, divided by after subtracting mean
  float scale = 1.0f;       // multiplied first (1/255 for 8-bit images)
  std::map<std::string, std::string> params;  // anything kind-specific (e.g. "window_samples")
};

// A known input/output pair the device replays after an update before activating a model.
struct GoldenVector {
  std::vector<std::pair<std::string, Tensor>> inputs;
  std::vector<std::pair<std::string, Tensor>> outputs;
  float atol = 1e-5f;
  float rtol = 1e-4f;
};

struct Manifest {
  std::string name;
  std::string version = "0.1.0";  // semantic version, checked on write and read
  std::string created_at;          // ISO-8601 UTC ("2024-05-01T12:00:00Z"); empty: set at write
  std::string description;
  std::vector<ValueInfo> inputs;
  std::vector<ValueInfo> outputs;
  std::vector<std::string> labels;  // class names, index = output class
  Preprocessing preprocessing;
  std::map<std::string, std::string> metadata;
  std::vector<GoldenVector> golden;

  bool has_golden_vectors() const { return !golden.empty(); }
};

// A loaded or to-be-written model. When read from a file, constant tensors (and tensor
// attributes and golden tensors) point into the read-only mapping; each tensor's owner keeps
// the mapping alive, so a Bundle may be dropped while its tensors are still used. Do not
// write through those tensors: the pages are mapped read-only.
struct Bundle {
  Manifest manifest;
  Graph graph;
};

// Name, inputs and outputs taken from `graph`; version "0.1.0"; preprocessing "none".
Manifest default_manifest_for(const Graph& graph);

struct BundleWriteOptions {
  // Store constant tensors of at least `entropy_min_bytes` as zstd frames when that saves at
  // least 5 %: int8/int4 weights shrink ~10 %, fp32 ones less. The reader then decodes them
  // into memory at load (no longer zero-copy), and the file needs format 2.0.
  bool entropy_code_constants = false;
  std::size_t entropy_min_bytes = 4096;
  int zstd_level = 9;
};

// The bytes of the .eai file. Fills an empty created_at with the current UTC time.
Result<std::vector<std::uint8_t>> serialize_bundle(const Bundle& bundle, const BundleWriteOptions& options = {});
// Writes `path`.tmp, fsyncs it, renames it over `path` and fsyncs the directory, so a
// reader (or a power cut) sees either the old file or the complete new one.
Status write_bundle(const Bundle& bundle, const std::string& path, const BundleWriteOptions& options = {});

// Maps `path` read-only, verifies everything (header, FlatBuffers verifier, offsets, sizes,
// dtypes, references) and returns the bundle with zero-copy weights.
Result<Bundle> read_bundle(const std::string& path);
// The same from memory. `owner` keeps `data` alive for as long as the returned tensors live.
// Zero-copy needs `data` 64-byte aligned; otherwise the bytes are first copied into an
// aligned buffer (and `owner` is not retained). `source_name` names the bytes in messages.
Result<Bundle> read_bundle_from_memory(const std::uint8_t* data, std::size_t size, std::shared_ptr<const void> owner,
                                       std::string_view source_name = "<memory>");

// The checks read_bundle applies to a manifest, also applied on write: semantic version,
// ISO-8601 UTC time, preprocessing sizes, unique names.
Status validate_manifest(const Manifest& manifest);
// "2024-05-01T12:00:00Z" for now.
std::string current_utc_iso8601();

}  // namespace edgeai
