// libFuzzer target for the .eai reader (tests/fuzz/run_bundle_fuzzer.sh builds and runs it).
// Any input must give an error or a bundle; a bundle must serialize, re-read, and serialize
// again to the same bytes (what the reader accepts, the writer can write).
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "format/bundle.hpp"

namespace {

// Reads every byte of every tensor, so an out-of-bounds data range trips AddressSanitizer.
std::uint8_t touch(const edgeai::Tensor& t) {
  std::uint8_t x = 0;
  const auto* p = static_cast<const std::uint8_t*>(t.raw_data());
  for (std::size_t i = 0; i < t.size_bytes(); ++i) x ^= p[i];
  return x;
}

std::uint8_t touch_all(const edgeai::Bundle& b) {
  std::uint8_t x = 0;
  for (const auto& [name, t] : b.graph.constants) x ^= touch(t);
  for (const edgeai::Node& n : b.graph.nodes) {
    for (const auto& [key, a] : n.attributes) {
      if (a.type() == edgeai::AttrType::kTensor) x ^= touch(a.as_tensor());
    }
  }
  for (const edgeai::GoldenVector& g : b.manifest.golden) {
    for (const auto& [name, t] : g.inputs) x ^= touch(t);
    for (const auto& [name, t] : g.outputs) x ^= touch(t);
  }
  return x;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // An exactly sized, 64-byte aligned copy (what a mapping gives): ASan sees one byte past it.
  void* raw = nullptr;
  if (posix_memalign(&raw, 64, size == 0 ? 1 : size) != 0) return 0;
  if (size > 0) std::memcpy(raw, data, size);
  std::shared_ptr<const void> owner(raw, [](const void* p) { std::free(const_cast<void*>(p)); });
  edgeai::Result<edgeai::Bundle> bundle =
      edgeai::read_bundle_from_memory(static_cast<const std::uint8_t*>(raw), size, owner, "fuzz.eai");
  if (!bundle.is_ok()) return 0;
  volatile std::uint8_t sink = touch_all(*bundle);
  (void)sink;

  edgeai::Result<std::vector<std::uint8_t>> first = edgeai::serialize_bundle(*bundle);
  if (!first.is_ok()) __builtin_trap();  // accepted but not writable
  edgeai::Result<edgeai::Bundle> again = edgeai::read_bundle_from_memory(first->data(), first->size(), nullptr);
  if (!again.is_ok()) __builtin_trap();  // written but not readable
  edgeai::Result<std::vector<std::uint8_t>> second = edgeai::serialize_bundle(*again);
  if (!second.is_ok() || *second != *first) __builtin_trap();  // not a fixed point
  return 0;
}
