// Model-aware deltas between two bundle files (issue 6). Block-level deltas (bsdiff, casync,
// zchunk) do badly when a retrain changes every weight of some layers and none of others;
// a bundle's tensors are content-addressed instead: the delta names, for each stored tensor of
// the new bundle, a tensor of the old one with the same SHA-256 to copy; a changed tensor whose
// name and size the old bundle has travels as its bytes XOR the old ones, split into byte
// planes (fine-tuning moves weights a little: their sign, exponent and high mantissa bits
// stay, so the high planes are nearly all zero and compress well); everything else (new
// tensors, the FlatBuffers metadata) is literal. XOR and literal bytes go in one zstd stream. When a
// zstd --patch-from patch of the whole file (the old file as the dictionary) is smaller, the
// delta is that patch instead. Applying one rebuilds the new file byte for byte and checks it
// against the SHA-256 and size the delta records; the caller then checks the signed ones.
//
// File: "EAIDELTA1\n", the header as one line of JSON, then the payload.
//   {"kind": "tensors", "base_sha256", "target_sha256", "target_size",
//    "segments": [[0, base_offset, length] (copy) | [1, length] (the next literal bytes)
//                 | [2, base_offset, length] (the next length stream bytes, byte planes of 4-byte
//                   elements, XOR the base's bytes at base_offset)]}
//   {"kind": "patch", "base_sha256", "target_sha256", "target_size"}
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.hpp"

namespace edgeai {

// Where a bundle file stores a constant tensor's bytes (raw tensors; an entropy-coded one is
// decoded at load and does not count), and their SHA-256.
struct TensorRegion {
  std::string name;
  std::int64_t offset = 0;
  std::int64_t size = 0;
  std::string sha256;
};
Result<std::vector<TensorRegion>> tensor_regions(std::span<const std::uint8_t> bundle_file);

struct DeltaStats {
  std::int64_t target_bytes = 0;
  std::int64_t tensor_delta_bytes = 0;  // the tensor delta, whole
  std::int64_t patch_bytes = 0;         // the zstd --patch-from style patch, whole
  std::int64_t tensors = 0, tensors_reused = 0, tensors_xored = 0;
  std::string chosen;  // "tensors" or "patch"
};

// The smaller of the two deltas from `base` to `target` (both bundle files), or the one of
// `kind` ("tensors", "patch"; empty: the smaller).
Result<std::vector<std::uint8_t>> make_delta(std::span<const std::uint8_t> base, std::span<const std::uint8_t> target,
                                             DeltaStats* stats = nullptr, std::string_view kind = {});
// `target` rebuilt from `base` and `delta`; refuses a delta for another base, a result over
// `max_target_size` bytes, or one whose SHA-256 differs from the recorded one.
Result<std::vector<std::uint8_t>> apply_delta(std::span<const std::uint8_t> base, std::span<const std::uint8_t> delta,
                                              std::int64_t max_target_size);

}  // namespace edgeai
