// Writes the seed corpus of the bundle fuzzer: a few small valid bundles and truncated and
// corrupted variants of them. Run by hand when the format changes:
//   ninja -C build make_bundle_corpus && build/tests/format/make_bundle_corpus tests/fuzz/corpus/bundle
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "format/bundle.hpp"

namespace {

using edgeai::Attribute;
using edgeai::Bundle;
using edgeai::DType;
using edgeai::Node;
using edgeai::Tensor;

Bundle tiny() {
  Bundle b;
  b.graph.name = "tiny";
  b.graph.inputs = {{"x", DType::kFloat32, {1, 4}}};
  b.graph.outputs = {{"y", DType::kFloat32, {1, 4}}};
  b.graph.constants["w"] = Tensor::from_values<float>({4}, {1, 2, 3, 4});
  b.graph.nodes = {Node{"add", "Add", {"x", "w"}, {"y"}, {}}};
  b.manifest = edgeai::default_manifest_for(b.graph);
  b.manifest.created_at = "2024-01-01T00:00:00Z";
  return b;
}

Bundle every_attribute() {
  Bundle b;
  b.graph.name = "attrs";
  b.graph.inputs = {{"x", DType::kInt8, {edgeai::kUnknownDim, 2}}};
  b.graph.outputs = {{"z", DType::kInt8, {edgeai::kUnknownDim, 2}}};
  b.graph.constants["c16"] = Tensor::from_values<std::int16_t>({2}, {-3, 3});
  b.graph.constants["c64"] = Tensor::from_values<std::int64_t>({}, {7});
  b.graph.constants["cb"] = Tensor::from_values<bool>({2}, {true, false});
  b.graph.constants["cu8"] = Tensor::from_values<std::uint8_t>({0, 2}, {});
  Node n{"n", "Custom", {"x", "", "c16", "c64", "cb", "cu8"}, {"y", ""}, {}};
  n.attributes["i"] = Attribute(std::int64_t{-5});
  n.attributes["f"] = Attribute(2.5f);
  n.attributes["s"] = Attribute("text");
  n.attributes["is"] = Attribute(std::vector<std::int64_t>{1, 2, 3});
  n.attributes["fs"] = Attribute(std::vector<float>{0.5f});
  n.attributes["ss"] = Attribute(std::vector<std::string>{"a", ""});
  n.attributes["t"] = Attribute(Tensor::from_values<double>({1}, {1.0}));
  b.graph.nodes = {n, Node{"r", "Relu", {"y"}, {"z"}, {}}};
  b.graph.value_info["y"] = {"y", DType::kInt8, {edgeai::kUnknownDim, 2}};
  b.manifest = edgeai::default_manifest_for(b.graph);
  b.manifest.created_at = "2024-01-01T00:00:00Z";
  return b;
}

Bundle with_manifest() {
  Bundle b = tiny();
  b.manifest.name = "classifier";
  b.manifest.version = "2.1.0-rc.1+git.abc";
  b.manifest.description = "seed";
  b.manifest.labels = {"ok", "defect"};
  b.manifest.preprocessing.kind = "image";
  b.manifest.preprocessing.layout = "NCHW";
  b.manifest.preprocessing.color = "gray";
  b.manifest.preprocessing.resize_height = 28;
  b.manifest.preprocessing.resize_width = 28;
  b.manifest.preprocessing.mean = {0.5f};
  b.manifest.preprocessing.std = {0.25f};
  b.manifest.preprocessing.scale = 1.0f / 255;
  b.manifest.preprocessing.params = {{"crop", "center"}};
  b.manifest.metadata = {{"k", "v"}};
  edgeai::GoldenVector g;
  g.inputs = {{"x", Tensor::from_values<float>({1, 4}, {1, 1, 1, 1})}};
  g.outputs = {{"y", Tensor::from_values<float>({1, 4}, {2, 3, 4, 5})}};
  b.manifest.golden = {g};
  return b;
}

// A bundle whose 8 KiB int8 weight is stored as a zstd frame (format 2.0): the decoder's path.
Bundle coded_weight() {
  Bundle b = tiny();
  std::vector<std::int8_t> w(8192, 0);
  for (std::size_t i = 0; i < w.size(); i += 5) w[i] = static_cast<std::int8_t>(i % 11) - 5;
  b.graph.constants["coded"] = Tensor::from_vector<std::int8_t>({8192}, w);
  return b;
}

Bundle empty_graph() {
  Bundle b;
  b.manifest.created_at = "2024-01-01T00:00:00Z";
  return b;
}

bool save(const std::string& dir, const std::string& name, const std::vector<std::uint8_t>& bytes) {
  std::ofstream out(dir + "/" + name, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  return static_cast<bool>(out);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUTPUT_DIR\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  const std::pair<const char*, Bundle> seeds[] = {
      {"tiny", tiny()},         {"attrs", every_attribute()}, {"manifest", with_manifest()},
      {"coded", coded_weight()}, {"empty", empty_graph()}};
  for (const auto& [name, bundle] : seeds) {
    edgeai::BundleWriteOptions options;
    options.entropy_code_constants = std::string(name) == "coded";
    edgeai::Result<std::vector<std::uint8_t>> bytes = edgeai::serialize_bundle(bundle, options);
    if (!bytes.is_ok()) {
      std::fprintf(stderr, "%s: %s\n", name, bytes.status().to_string().c_str());
      return 1;
    }
    const std::vector<std::uint8_t>& b = *bytes;
    bool ok = save(dir, std::string(name) + ".eai", b);
    if (std::string(name) == "empty") continue;
    // Truncated: inside the header, inside the metadata, inside the data.
    for (std::size_t len : {std::size_t{12}, std::size_t{64}, b.size() / 2, b.size() - 1}) {
      ok = ok && save(dir, std::string(name) + "_trunc" + std::to_string(len) + ".eai",
                      std::vector<std::uint8_t>(b.begin(), b.begin() + static_cast<std::ptrdiff_t>(len)));
    }
    // Corrupted: the version, a header offset, and bytes in the metadata.
    for (std::size_t at : {std::size_t{8}, std::size_t{40}, std::size_t{70}, b.size() / 3}) {
      std::vector<std::uint8_t> bad = b;
      bad[at] ^= 0x41;
      ok = ok && save(dir, std::string(name) + "_flip" + std::to_string(at) + ".eai", bad);
    }
    if (!ok) {
      std::fprintf(stderr, "cannot write to %s\n", dir.c_str());
      return 1;
    }
  }
  return 0;
}
