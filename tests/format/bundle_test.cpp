#include "format/bundle.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/aligned_buffer.hpp"
#include "eai_generated.h"
#include "format/mapped_file.hpp"

namespace edgeai {
namespace {

namespace fs = std::filesystem;

// A fresh directory per test, removed afterwards.
class TempDir {
 public:
  TempDir() {
    std::string templ = (fs::temp_directory_path() / "edgeai_bundle_test_XXXXXX").string();
    path_ = ::mkdtemp(templ.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  std::string file(const std::string& name) const { return (fs::path(path_) / name).string(); }

 private:
  std::string path_;
};

template <typename T>
Tensor tensor_of(Shape shape, std::vector<T> values) {
  return Tensor::from_vector<T>(std::move(shape), values);
}

Tensor float16_tensor() {
  Result<Tensor> t = Tensor::allocate(DType::kFloat16, {3});
  auto* p = t->data<std::uint16_t>();
  p[0] = 0x3C00;  // 1.0
  p[1] = 0xC000;  // -2.0
  p[2] = 0x7BFF;  // 65504
  return std::move(t).value();
}

// A graph that touches every dtype, every attribute type, a scalar, an empty tensor and an
// absent optional input.
Graph make_graph() {
  Graph g;
  g.name = "every_type";
  g.inputs = {{"x", DType::kFloat32, {kUnknownDim, 3, 4}}, {"mask", DType::kBool, {3}}};
  g.outputs = {{"z", DType::kFloat32, {kUnknownDim, 3, 4}}};
  g.constants["c_f32"] = tensor_of<float>({2, 3}, {1.5f, -2.0f, 3.25f, 0.0f, 1e-8f, 1e8f});
  g.constants["c_f16"] = float16_tensor();
  g.constants["c_f64"] = tensor_of<double>({2}, {3.141592653589793, -1e300});
  g.constants["c_i8"] = tensor_of<std::int8_t>({5}, {-128, -1, 0, 1, 127});
  g.constants["c_u8"] = tensor_of<std::uint8_t>({1, 3}, {0, 128, 255});
  g.constants["c_i16"] = tensor_of<std::int16_t>({2}, {-32768, 32767});
  g.constants["c_i32"] = tensor_of<std::int32_t>({3}, {-7, 0, 2147483647});
  g.constants["c_i64"] = tensor_of<std::int64_t>({2}, {INT64_MIN, INT64_MAX});
  g.constants["c_bool"] = tensor_of<bool>({4}, {true, false, false, true});
  g.constants["c_scalar"] = tensor_of<float>({}, {42.0f});
  g.constants["c_empty"] = tensor_of<float>({0, 3}, {});

  Node custom;
  custom.name = "custom0";
  custom.op_type = "CustomOp";
  custom.inputs = {"x", "c_f32", "", "c_f16", "c_f64", "c_i8", "c_u8", "c_i16", "c_i32", "c_i64", "c_bool",
                   "c_scalar", "c_empty", "mask"};
  custom.outputs = {"y", ""};
  custom.attributes["i"] = Attribute(std::int64_t{-9000000000});
  custom.attributes["f"] = Attribute(0.125f);
  custom.attributes["s"] = Attribute(std::string("same_upper"));
  custom.attributes["ints"] = Attribute(std::vector<std::int64_t>{1, -1, 0, 1LL << 40});
  custom.attributes["floats"] = Attribute(std::vector<float>{0.5f, -0.25f});
  custom.attributes["strings"] = Attribute(std::vector<std::string>{"a", "", "ccc"});
  custom.attributes["t"] = Attribute(tensor_of<std::int32_t>({2, 2}, {1, 2, 3, 4}));
  custom.attributes["empty_ints"] = Attribute(std::vector<std::int64_t>{});

  Node relu;
  relu.name = "relu0";
  relu.op_type = "Relu";
  relu.inputs = {"y"};
  relu.outputs = {"z"};
  g.nodes = {custom, relu};
  g.value_info["y"] = ValueInfo{"y", DType::kFloat32, {kUnknownDim, 3, 4}};
  return g;
}

Manifest make_manifest(const Graph& g) {
  Manifest m = default_manifest_for(g);
  m.name = "every-type-model";
  m.version = "1.2.3-rc.1+build.7";
  m.created_at = "2024-05-01T12:34:56Z";
  m.description = "a graph with every dtype and attribute type";
  m.labels = {"N", "S", "V", "F", "Q"};
  m.preprocessing.kind = "image";
  m.preprocessing.layout = "NCHW";
  m.preprocessing.color = "rgb";
  m.preprocessing.resize_height = 224;
  m.preprocessing.resize_width = 192;
  m.preprocessing.mean = {0.485f, 0.456f, 0.406f};
  m.preprocessing.std = {0.229f, 0.224f, 0.225f};
  m.preprocessing.scale = 1.0f / 255.0f;
  m.preprocessing.params = {{"interpolation", "bilinear"}, {"crop", "center"}};
  m.metadata = {{"dataset", "magnetic-tile"}, {"accuracy_top1", "0.93"}};
  GoldenVector gv;
  gv.inputs = {{"x", tensor_of<float>({1, 3, 4}, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12})},
               {"mask", tensor_of<bool>({3}, {true, true, false})}};
  gv.outputs = {{"z", tensor_of<float>({1, 3, 4}, {0, 0, 0, 0, 5, 6, 7, 8, 9, 10, 11, 12})}};
  gv.atol = 1e-3f;
  gv.rtol = 0.01f;
  m.golden = {gv, GoldenVector{}};
  return m;
}

Bundle make_bundle() {
  Bundle b;
  b.graph = make_graph();
  b.manifest = make_manifest(b.graph);
  return b;
}

// A small bundle for the byte-by-byte tests (each of its prefixes and flips is parsed).
Bundle make_small_bundle() {
  Bundle b;
  b.graph.name = "small";
  b.graph.inputs = {{"x", DType::kFloat32, {1, 4}}};
  b.graph.outputs = {{"y", DType::kFloat32, {1, 4}}};
  b.graph.constants["w"] = tensor_of<float>({4}, {1, 2, 3, 4});
  b.graph.constants["b"] = tensor_of<std::int8_t>({2}, {-1, 1});
  Node add{"add0", "Add", {"x", "w"}, {"y"}, {}};
  add.attributes["axis"] = Attribute(std::int64_t{1});
  add.attributes["t"] = Attribute(tensor_of<float>({1}, {0.5f}));
  b.graph.nodes = {add};
  b.manifest = default_manifest_for(b.graph);
  b.manifest.created_at = "2024-01-01T00:00:00Z";
  b.manifest.labels = {"a"};
  return b;
}

std::vector<std::uint8_t> serialize_or_die(const Bundle& b) {
  Result<std::vector<std::uint8_t>> bytes = serialize_bundle(b);
  EXPECT_TRUE(bytes.is_ok()) << bytes.status().to_string();
  return bytes.is_ok() ? std::move(bytes).value() : std::vector<std::uint8_t>{};
}

// Parses `bytes` from a 64-byte aligned copy (what a mapping gives).
Result<Bundle> parse(const std::vector<std::uint8_t>& bytes, std::string_view name = "model.eai") {
  auto buffer = std::make_shared<AlignedBuffer>(bytes.size());
  if (!bytes.empty()) std::memcpy(buffer->data(), bytes.data(), bytes.size());
  const auto* data = static_cast<const std::uint8_t*>(buffer->data());
  return read_bundle_from_memory(data, bytes.size(), buffer, name);
}

void write_file(const std::string& path, const std::vector<std::uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

bool same_bytes(const Tensor& a, const Tensor& b) {
  if (a.dtype() != b.dtype() || a.shape() != b.shape() || a.size_bytes() != b.size_bytes()) return false;
  return a.size_bytes() == 0 || std::memcmp(a.raw_data(), b.raw_data(), a.size_bytes()) == 0;
}

void expect_value_infos_equal(const std::vector<ValueInfo>& a, const std::vector<ValueInfo>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].name, b[i].name);
    EXPECT_EQ(a[i].dtype, b[i].dtype);
    EXPECT_EQ(a[i].shape, b[i].shape);
  }
}

void expect_named_tensors_equal(const std::vector<std::pair<std::string, Tensor>>& a,
                                const std::vector<std::pair<std::string, Tensor>>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].first, b[i].first);
    EXPECT_TRUE(same_bytes(a[i].second, b[i].second)) << a[i].first;
  }
}

void expect_bundles_equal(const Bundle& want, const Bundle& got) {
  const Graph& g = want.graph;
  const Graph& h = got.graph;
  EXPECT_EQ(g.name, h.name);
  expect_value_infos_equal(g.inputs, h.inputs);
  expect_value_infos_equal(g.outputs, h.outputs);
  ASSERT_EQ(g.constants.size(), h.constants.size());
  for (const auto& [name, tensor] : g.constants) {
    ASSERT_TRUE(h.is_constant(name)) << name;
    EXPECT_TRUE(same_bytes(tensor, *h.find_constant(name))) << name;
  }
  ASSERT_EQ(g.nodes.size(), h.nodes.size());
  for (std::size_t i = 0; i < g.nodes.size(); ++i) {
    const Node& a = g.nodes[i];
    const Node& b = h.nodes[i];
    EXPECT_EQ(a.name, b.name);
    EXPECT_EQ(a.op_type, b.op_type);
    EXPECT_EQ(a.inputs, b.inputs);
    EXPECT_EQ(a.outputs, b.outputs);
    ASSERT_EQ(a.attributes.size(), b.attributes.size());
    for (const auto& [key, attr] : a.attributes) {
      const Attribute* other = b.find_attr(key);
      ASSERT_NE(other, nullptr) << key;
      ASSERT_EQ(attr.type(), other->type()) << key;
      switch (attr.type()) {
        case AttrType::kInt: EXPECT_EQ(attr.as_int(), other->as_int()) << key; break;
        case AttrType::kFloat: EXPECT_EQ(attr.as_float(), other->as_float()) << key; break;
        case AttrType::kString: EXPECT_EQ(attr.as_string(), other->as_string()) << key; break;
        case AttrType::kInts: EXPECT_EQ(attr.as_ints(), other->as_ints()) << key; break;
        case AttrType::kFloats: EXPECT_EQ(attr.as_floats(), other->as_floats()) << key; break;
        case AttrType::kStrings: EXPECT_EQ(attr.as_strings(), other->as_strings()) << key; break;
        case AttrType::kTensor: EXPECT_TRUE(same_bytes(attr.as_tensor(), other->as_tensor())) << key; break;
      }
    }
  }
  ASSERT_EQ(g.value_info.size(), h.value_info.size());
  for (const auto& [name, info] : g.value_info) {
    ASSERT_EQ(h.value_info.count(name), 1u);
    EXPECT_EQ(h.value_info.at(name).dtype, info.dtype);
    EXPECT_EQ(h.value_info.at(name).shape, info.shape);
  }

  const Manifest& m = want.manifest;
  const Manifest& n = got.manifest;
  EXPECT_EQ(m.name, n.name);
  EXPECT_EQ(m.version, n.version);
  EXPECT_EQ(m.created_at, n.created_at);
  EXPECT_EQ(m.description, n.description);
  expect_value_infos_equal(m.inputs, n.inputs);
  expect_value_infos_equal(m.outputs, n.outputs);
  EXPECT_EQ(m.labels, n.labels);
  EXPECT_EQ(m.preprocessing.kind, n.preprocessing.kind);
  EXPECT_EQ(m.preprocessing.layout, n.preprocessing.layout);
  EXPECT_EQ(m.preprocessing.color, n.preprocessing.color);
  EXPECT_EQ(m.preprocessing.resize_height, n.preprocessing.resize_height);
  EXPECT_EQ(m.preprocessing.resize_width, n.preprocessing.resize_width);
  EXPECT_EQ(m.preprocessing.mean, n.preprocessing.mean);
  EXPECT_EQ(m.preprocessing.std, n.preprocessing.std);
  EXPECT_EQ(m.preprocessing.scale, n.preprocessing.scale);
  EXPECT_EQ(m.preprocessing.params, n.preprocessing.params);
  EXPECT_EQ(m.metadata, n.metadata);
  ASSERT_EQ(m.golden.size(), n.golden.size());
  for (std::size_t i = 0; i < m.golden.size(); ++i) {
    expect_named_tensors_equal(m.golden[i].inputs, n.golden[i].inputs);
    expect_named_tensors_equal(m.golden[i].outputs, n.golden[i].outputs);
    EXPECT_EQ(m.golden[i].atol, n.golden[i].atol);
    EXPECT_EQ(m.golden[i].rtol, n.golden[i].rtol);
  }
}

// Address range [begin, end) of the mapping of `path` in this process, from /proc/self/maps.
bool find_mapping(const std::string& path, std::uintptr_t& begin, std::uintptr_t& end) {
  std::ifstream maps("/proc/self/maps");
  const std::string canonical = fs::canonical(path).string();
  std::string line;
  while (std::getline(maps, line)) {
    if (line.size() < canonical.size() || line.compare(line.size() - canonical.size(), canonical.size(), canonical) != 0) {
      continue;
    }
    std::istringstream in(line);
    std::string range;
    in >> range;
    const std::size_t dash = range.find('-');
    begin = std::stoull(range.substr(0, dash), nullptr, 16);
    end = std::stoull(range.substr(dash + 1), nullptr, 16);
    return true;
  }
  return false;
}

std::vector<const Tensor*> all_tensors(const Bundle& b) {
  std::vector<const Tensor*> out;
  for (const auto& [name, t] : b.graph.constants) out.push_back(&t);
  for (const Node& n : b.graph.nodes) {
    for (const auto& [key, a] : n.attributes) {
      if (a.type() == AttrType::kTensor) out.push_back(&a.as_tensor());
    }
  }
  for (const GoldenVector& g : b.manifest.golden) {
    for (const auto& [name, t] : g.inputs) out.push_back(&t);
    for (const auto& [name, t] : g.outputs) out.push_back(&t);
  }
  return out;
}

// ---- the layout a mutation test patches: header fields and FlatBuffers scalars ----

std::uint64_t header_u64(const std::vector<std::uint8_t>& bytes, std::size_t at) {
  std::uint64_t v = 0;
  std::memcpy(&v, bytes.data() + at, 8);
  return v;
}
void set_header_u64(std::vector<std::uint8_t>& bytes, std::size_t at, std::uint64_t v) {
  std::memcpy(bytes.data() + at, &v, 8);
}
constexpr std::size_t kFileSizeAt = 16, kMetaOffsetAt = 24, kMetaSizeAt = 32, kDataOffsetAt = 40, kDataSizeAt = 48;

fb::Bundle* mutable_root(std::vector<std::uint8_t>& bytes) {
  return fb::GetMutableBundle(bytes.data() + header_u64(bytes, kMetaOffsetAt));
}

// The TensorRef of the constant named `name` (constants are written in name order).
fb::TensorRef* constant_ref(std::vector<std::uint8_t>& bytes, const std::string& name) {
  auto* constants = mutable_root(bytes)->mutable_graph()->mutable_constants();
  for (flatbuffers::uoffset_t i = 0; i < constants->size(); ++i) {
    if (constants->Get(i)->name()->str() == name) return constants->GetMutableObject(i)->mutable_tensor();
  }
  return nullptr;
}

TEST(Bundle, RoundTripsEveryDtypeAndAttributeThroughAFile) {
  TempDir dir;
  const Bundle b = make_bundle();
  const std::string path = dir.file("model.eai");
  ASSERT_TRUE(write_bundle(b, path).is_ok());
  EXPECT_FALSE(fs::exists(path + ".tmp"));
  Result<Bundle> read = read_bundle(path);
  ASSERT_TRUE(read.is_ok()) << read.status().to_string();
  expect_bundles_equal(b, *read);
  // Spot-check values independently of the comparison helper.
  EXPECT_EQ(read->graph.find_constant("c_i64")->data<std::int64_t>()[0], INT64_MIN);
  EXPECT_EQ(read->graph.find_constant("c_f16")->data<std::uint16_t>()[2], 0x7BFF);
  EXPECT_EQ(read->graph.find_constant("c_scalar")->shape(), Shape{});
  EXPECT_EQ(read->graph.find_constant("c_empty")->shape(), (Shape{0, 3}));
  EXPECT_EQ(read->graph.nodes[0].attr_int("i", 0), -9000000000);
  EXPECT_EQ(read->graph.nodes[0].inputs[2], "");
}

TEST(Bundle, SerializeGivesTheBytesWriteBundleWrites) {
  TempDir dir;
  const Bundle b = make_bundle();
  ASSERT_TRUE(write_bundle(b, dir.file("m.eai")).is_ok());
  std::ifstream in(dir.file("m.eai"), std::ios::binary);
  std::vector<std::uint8_t> on_disk((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(on_disk, serialize_or_die(b));
}

TEST(Bundle, HeaderHasMagicVersionAndAlignedDataSegment) {
  const std::vector<std::uint8_t> bytes = serialize_or_die(make_small_bundle());
  ASSERT_GE(bytes.size(), 64u);
  const std::uint8_t magic[8] = {'E', 'D', 'G', 'E', 'A', 'I', 0x00, 0x1A};
  EXPECT_EQ(std::memcmp(bytes.data(), magic, 8), 0);
  // Without encoded tensors a bundle is written as 1.0, readable by every edgeai.
  EXPECT_EQ(bytes[8] | (bytes[9] << 8), 1);
  EXPECT_EQ(bytes[10] | (bytes[11] << 8), 0);
  EXPECT_EQ(header_u64(bytes, kFileSizeAt), bytes.size());
  EXPECT_EQ(header_u64(bytes, kMetaOffsetAt), 64u);
  EXPECT_EQ(header_u64(bytes, kDataOffsetAt) % 64, 0u);
  EXPECT_EQ(header_u64(bytes, kDataOffsetAt) + header_u64(bytes, kDataSizeAt), bytes.size());
  // Three tensors of 4, 2 and 16 bytes, each starting on a 64-byte boundary.
  EXPECT_EQ(header_u64(bytes, kDataSizeAt), 128u + 16u);
}

TEST(Bundle, WeightsAreAlignedAndPointIntoTheMapping) {
  TempDir dir;
  const std::string path = dir.file("model.eai");
  ASSERT_TRUE(write_bundle(make_bundle(), path).is_ok());
  Result<Bundle> read = read_bundle(path);
  ASSERT_TRUE(read.is_ok()) << read.status().to_string();
  std::uintptr_t begin = 0, end = 0;
  ASSERT_TRUE(find_mapping(path, begin, end)) << "no mapping of " << path << " in /proc/self/maps";
  const std::vector<const Tensor*> tensors = all_tensors(*read);
  EXPECT_EQ(tensors.size(), 11u + 1u + 3u);
  for (const Tensor* t : tensors) {
    const auto p = reinterpret_cast<std::uintptr_t>(t->raw_data());
    EXPECT_EQ(p % kTensorAlignment, 0u);
    EXPECT_GE(p, begin);
    EXPECT_LE(p + t->size_bytes(), end);
  }
}

TEST(Bundle, TensorsKeepTheMappingAliveAfterTheBundleAndFileAreGone) {
  TempDir dir;
  const std::string path = dir.file("model.eai");
  ASSERT_TRUE(write_bundle(make_small_bundle(), path).is_ok());
  Tensor w;
  {
    Result<Bundle> read = read_bundle(path);
    ASSERT_TRUE(read.is_ok());
    w = *read->graph.find_constant("w");
  }
  fs::remove(path);
  ASSERT_EQ(w.num_elements(), 4);
  EXPECT_EQ(w.data<float>()[3], 4.0f);
}

TEST(Bundle, FromAlignedMemoryIsZeroCopy) {
  const std::vector<std::uint8_t> bytes = serialize_or_die(make_bundle());
  auto buffer = std::make_shared<AlignedBuffer>(bytes.size());
  std::memcpy(buffer->data(), bytes.data(), bytes.size());
  const auto* data = static_cast<const std::uint8_t*>(buffer->data());
  Result<Bundle> read = read_bundle_from_memory(data, bytes.size(), buffer);
  ASSERT_TRUE(read.is_ok()) << read.status().to_string();
  for (const Tensor* t : all_tensors(*read)) {
    const auto* p = static_cast<const std::uint8_t*>(t->raw_data());
    EXPECT_TRUE(p >= data && p + t->size_bytes() <= data + bytes.size());
  }
}

TEST(Bundle, FromMisalignedMemoryCopiesIntoAnAlignedBuffer) {
  const Bundle b = make_bundle();
  const std::vector<std::uint8_t> bytes = serialize_or_die(b);
  std::vector<std::uint8_t> storage(bytes.size() + kTensorAlignment + 1);
  std::uint8_t* start = storage.data();
  while (reinterpret_cast<std::uintptr_t>(start) % kTensorAlignment != 1) ++start;  // deliberately off by one
  std::memcpy(start, bytes.data(), bytes.size());
  Result<Bundle> read = read_bundle_from_memory(start, bytes.size(), nullptr);
  ASSERT_TRUE(read.is_ok()) << read.status().to_string();
  expect_bundles_equal(b, *read);
  storage.assign(storage.size(), 0);  // the result must not depend on the caller's bytes
  for (const Tensor* t : all_tensors(*read)) {
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(t->raw_data()) % kTensorAlignment, 0u);
  }
  EXPECT_EQ(read->graph.find_constant("c_f32")->data<float>()[2], 3.25f);
}

TEST(Bundle, ManifestAndGoldenVectorsRoundTrip) {
  const Bundle b = make_bundle();
  Result<Bundle> read = parse(serialize_or_die(b));
  ASSERT_TRUE(read.is_ok()) << read.status().to_string();
  const Manifest& m = read->manifest;
  EXPECT_EQ(m.name, "every-type-model");
  EXPECT_EQ(m.version, "1.2.3-rc.1+build.7");
  EXPECT_EQ(m.created_at, "2024-05-01T12:34:56Z");
  EXPECT_EQ(m.labels, (std::vector<std::string>{"N", "S", "V", "F", "Q"}));
  EXPECT_EQ(m.preprocessing.params.at("interpolation"), "bilinear");
  EXPECT_EQ(m.preprocessing.scale, 1.0f / 255.0f);
  EXPECT_EQ(m.metadata.at("dataset"), "magnetic-tile");
  ASSERT_TRUE(m.has_golden_vectors());
  ASSERT_EQ(m.golden.size(), 2u);
  EXPECT_EQ(m.golden[0].inputs[1].first, "mask");
  EXPECT_EQ(m.golden[0].outputs[0].second.data<float>()[4], 5.0f);
  EXPECT_EQ(m.golden[0].atol, 1e-3f);
  EXPECT_EQ(m.golden[1].atol, 1e-5f);  // the defaults survive too
  EXPECT_EQ(m.golden[1].rtol, 1e-4f);
  expect_bundles_equal(b, *read);
}

TEST(Bundle, DefaultManifestTakesInputsAndOutputsFromTheGraph) {
  const Graph g = make_graph();
  const Manifest m = default_manifest_for(g);
  EXPECT_EQ(m.name, "every_type");
  EXPECT_EQ(m.version, "0.1.0");
  expect_value_infos_equal(m.inputs, g.inputs);
  expect_value_infos_equal(m.outputs, g.outputs);
  EXPECT_EQ(m.preprocessing.kind, "none");
}

TEST(Bundle, EmptyCreatedAtIsFilledWithTheWriteTime) {
  Bundle b = make_small_bundle();
  b.manifest.created_at.clear();
  Result<Bundle> read = parse(serialize_or_die(b));
  ASSERT_TRUE(read.is_ok());
  const std::string& t = read->manifest.created_at;
  ASSERT_EQ(t.size(), 20u) << t;
  EXPECT_EQ(t[4], '-');
  EXPECT_EQ(t[10], 'T');
  EXPECT_EQ(t.back(), 'Z');
  EXPECT_GE(t.substr(0, 4), "2024");
}

TEST(Bundle, WriteReplacesAnExistingFile) {
  TempDir dir;
  const std::string path = dir.file("model.eai");
  write_file(path, std::vector<std::uint8_t>(10, 0xAB));
  ASSERT_TRUE(write_bundle(make_small_bundle(), path).is_ok());
  EXPECT_TRUE(read_bundle(path).is_ok());
}

// ---- writer refusals ----

TEST(BundleWrite, RefusesAVersionThatIsNotSemver) {
  Bundle b = make_small_bundle();
  for (const char* bad : {"1.0", "v1.0.0", "1.0.0.0", "01.0.0", "1.0.0-", "", "1.x.0"}) {
    b.manifest.version = bad;
    Result<std::vector<std::uint8_t>> bytes = serialize_bundle(b);
    ASSERT_FALSE(bytes.is_ok()) << bad;
    EXPECT_NE(bytes.status().message().find("is not a semantic version MAJOR.MINOR.PATCH"), std::string::npos)
        << bytes.status().message();
  }
}

TEST(BundleWrite, RefusesABadCreationTime) {
  Bundle b = make_small_bundle();
  for (const char* bad : {"2024-05-01", "2024-05-01T12:00:00", "2024-13-01T00:00:00Z", "2024-05-01 12:00:00Z",
                          "2024-05-01T12:00:00+02:00"}) {
    b.manifest.created_at = bad;
    Result<std::vector<std::uint8_t>> bytes = serialize_bundle(b);
    ASSERT_FALSE(bytes.is_ok()) << bad;
    EXPECT_NE(bytes.status().message().find("is not an ISO-8601 UTC time"), std::string::npos);
  }
  b.manifest.created_at = "2024-05-01T12:00:00.250Z";
  EXPECT_TRUE(serialize_bundle(b).is_ok());
}

TEST(BundleWrite, RefusesANullOrDynamicConstant) {
  Bundle b = make_small_bundle();
  b.graph.constants["w"] = Tensor();
  Result<std::vector<std::uint8_t>> bytes = serialize_bundle(b);
  ASSERT_FALSE(bytes.is_ok());
  EXPECT_EQ(bytes.status().message(), "constant 'w' is a null tensor");
  b.graph.constants["w"] = Tensor::wrap(DType::kFloat32, {kUnknownDim}, nullptr, nullptr);
  bytes = serialize_bundle(b);
  ASSERT_FALSE(bytes.is_ok());
  EXPECT_EQ(bytes.status().message(), "constant 'w' has shape [?] (not static, or too large)");
}

TEST(BundleWrite, RefusesDanglingReferencesAndDuplicateProducers) {
  Bundle b = make_small_bundle();
  b.graph.nodes[0].inputs[1] = "nowhere";
  Result<std::vector<std::uint8_t>> bytes = serialize_bundle(b);
  ASSERT_FALSE(bytes.is_ok());
  EXPECT_EQ(bytes.status().message(), "node Add 'add0' uses value 'nowhere' that nothing produces");

  b = make_small_bundle();
  b.graph.nodes[0].outputs[0] = "w";
  bytes = serialize_bundle(b);
  ASSERT_FALSE(bytes.is_ok());
  EXPECT_EQ(bytes.status().message(), "value 'w' is produced twice (again by node Add 'add0')");
}

TEST(BundleWrite, ReportsThePathWhenTheDirectoryIsMissing) {
  Status s = write_bundle(make_small_bundle(), "/nonexistent-dir/model.eai");
  ASSERT_FALSE(s.is_ok());
  EXPECT_EQ(s.code(), StatusCode::kIoError);
  EXPECT_NE(s.message().find("/nonexistent-dir/model.eai.tmp: cannot create"), std::string::npos) << s.message();
}

// ---- hostile and broken files ----

TEST(BundleRead, WrongMagic) {
  std::vector<std::uint8_t> bytes = serialize_or_die(make_small_bundle());
  bytes[1] = 'X';
  Result<Bundle> r = parse(bytes);
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(r.status().message(), "model.eai: not an .eai model bundle (bad magic bytes)");
}

TEST(BundleRead, MissingFileAndDirectoryNameThePath) {
  TempDir dir;
  Result<Bundle> r = read_bundle(dir.file("absent.eai"));
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(r.status().message().rfind(dir.file("absent.eai") + ": cannot open: No such file", 0), 0u)
      << r.status().message();
  r = read_bundle(dir.file(""));
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("not a regular file"), std::string::npos);
}

TEST(BundleRead, EveryTruncationIsAnError) {
  const std::vector<std::uint8_t> bytes = serialize_or_die(make_small_bundle());
  for (std::size_t len = 0; len < bytes.size(); ++len) {
    Result<Bundle> r = parse(std::vector<std::uint8_t>(bytes.begin(), bytes.begin() + len));
    ASSERT_FALSE(r.is_ok()) << "prefix of " << len << " bytes";
    EXPECT_EQ(r.status().message().rfind("model.eai: truncated", 0), 0u) << r.status().message();
  }
  EXPECT_TRUE(parse(bytes).is_ok());
}

TEST(BundleRead, TruncatedFileOnDiskNamesTheFile) {
  TempDir dir;
  std::vector<std::uint8_t> bytes = serialize_or_die(make_small_bundle());
  bytes.resize(bytes.size() - 10);
  const std::string path = dir.file("short.eai");
  write_file(path, bytes);
  Result<Bundle> r = read_bundle(path);
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().message(), str_cat(path, ": truncated: the header says ", bytes.size() + 10,
                                          " bytes but there are only ", bytes.size()));
}

TEST(BundleRead, TrailingBytesAreAnError) {
  std::vector<std::uint8_t> bytes = serialize_or_die(make_small_bundle());
  bytes.push_back(0);
  Result<Bundle> r = parse(bytes);
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("(trailing bytes)"), std::string::npos);
}

// Every byte flipped (three ways) must give an error or a bundle that serializes again.
TEST(BundleRead, FlippedBytesNeverCrash) {
  const std::vector<std::uint8_t> bytes = serialize_or_die(make_small_bundle());
  std::size_t accepted = 0, rejected = 0;
  for (std::size_t at = 0; at < bytes.size(); ++at) {
    for (std::uint8_t mask : {0x01, 0x80, 0xFF}) {
      std::vector<std::uint8_t> bad = bytes;
      bad[at] ^= mask;
      Result<Bundle> r = parse(bad);
      if (!r.is_ok()) {
        ++rejected;
        EXPECT_EQ(r.status().message().rfind("model.eai: ", 0), 0u) << r.status().message();
        continue;
      }
      ++accepted;
      EXPECT_TRUE(serialize_bundle(*r).is_ok()) << "flip at " << at;
    }
  }
  // Flipping weights or float values is invisible to the reader; the header never is.
  EXPECT_GT(rejected, 64u * 3u);
  EXPECT_GT(accepted, 0u);
}

TEST(BundleRead, NewerMajorVersionIsRefusedWithAnUpgradeHint) {
  TempDir dir;
  std::vector<std::uint8_t> bytes = serialize_or_die(make_small_bundle());
  bytes[8] = 3;
  bytes[9] = 0;
  bytes[10] = 0;
  const std::string path = dir.file("model.eai");
  write_file(path, bytes);
  Result<Bundle> r = read_bundle(path);
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnsupported);
  EXPECT_EQ(r.status().message(),
            path + ": format version 3.0 is newer than this edgeai supports (2.x); upgrade edgeai");
  // Also when the newer file is only a header (a future major may lay out the rest differently).
  bytes.resize(12);
  EXPECT_NE(parse(bytes).status().message().find("format version 3.0 is newer"), std::string::npos);
}

// A bundle whose 8 KiB int8 weight is mostly zeros: entropy coding shrinks it a lot.
Bundle sparse_weight_bundle() {
  Bundle b = make_small_bundle();
  std::vector<std::int8_t> w(8192, 0);
  for (std::size_t i = 0; i < w.size(); i += 7) w[i] = static_cast<std::int8_t>(i % 13 - 6);
  b.graph.constants["big"] = tensor_of<std::int8_t>({8192}, w);
  return b;
}

TEST(BundleEncoding, ZstdTensorsRoundTripAndNeedFormat2) {
  const Bundle b = sparse_weight_bundle();
  BundleWriteOptions options;
  options.entropy_code_constants = true;
  const std::vector<std::uint8_t> plain = serialize_or_die(b);
  Result<std::vector<std::uint8_t>> coded = serialize_bundle(b, options);
  ASSERT_TRUE(coded.is_ok()) << coded.status().to_string();
  EXPECT_LT(coded->size() + 4096, plain.size());
  EXPECT_EQ((*coded)[8], 2);  // format 2.0: a 1.x reader must refuse it
  Result<Bundle> back = parse(*coded);
  ASSERT_TRUE(back.is_ok()) << back.status().to_string();
  const Tensor& big = back->graph.constants.at("big");
  ASSERT_EQ(big.shape(), (Shape{8192}));
  EXPECT_EQ(std::memcmp(big.raw_data(), b.graph.constants.at("big").raw_data(), 8192), 0);
  // Small tensors stay raw (below entropy_min_bytes) and read back equal.
  EXPECT_EQ(back->graph.constants.at("w").data<float>()[3], 4.0f);
  // Decoded weights are owned memory, 64-byte aligned like mapped ones.
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(big.raw_data()) % 64, 0u);
  // The same bundle without entropy coding is still 1.0.
  EXPECT_EQ(plain[8], 1);
}

TEST(BundleEncoding, CorruptFramesAndVersionMismatchAreErrors) {
  BundleWriteOptions options;
  options.entropy_code_constants = true;
  std::vector<std::uint8_t> coded = *serialize_bundle(sparse_weight_bundle(), options);
  // An encoded tensor in a file claiming 1.0 is refused, naming the tensor.
  std::vector<std::uint8_t> as_v1 = coded;
  as_v1[8] = 1;
  Result<Bundle> r = parse(as_v1);
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("constant 'big': an encoded tensor in a format 1.x file"), std::string::npos)
      << r.status().message();
  // Flip bytes inside the frame (the data segment's end holds the frame): a clear error, never a
  // crash; the checksum-free frame may also decode to wrong bytes, which the size check cannot
  // see, so we only require no crash and a message when decoding fails.
  const std::uint64_t data_offset = header_u64(coded, kDataOffsetAt);
  bool some_error = false;
  for (std::size_t i = data_offset; i < coded.size(); i += 5) {
    std::vector<std::uint8_t> bad = coded;
    bad[i] ^= 0x5A;
    Result<Bundle> rb = parse(bad);
    if (!rb.is_ok()) {
      some_error = true;
      EXPECT_NE(rb.status().message().find("model.eai"), std::string::npos);
    }
  }
  EXPECT_TRUE(some_error);
}

TEST(BundleRead, NewerMinorVersionIsAccepted) {
  std::vector<std::uint8_t> bytes = serialize_or_die(make_small_bundle());
  bytes[10] = 7;
  EXPECT_TRUE(parse(bytes).is_ok());
  bytes[8] = 0;
  bytes[9] = 0;
  EXPECT_EQ(parse(bytes).status().message(), "model.eai: format version 0.7 is not a valid .eai version");
}

TEST(BundleRead, HeaderRangesOutOfTheFile) {
  const std::vector<std::uint8_t> good = serialize_or_die(make_small_bundle());
  const std::uint64_t size = good.size();
  std::vector<std::uint8_t> bytes = good;
  set_header_u64(bytes, kDataOffsetAt, size + 64 * 1024);
  EXPECT_NE(parse(bytes).status().message().find("data segment ["), std::string::npos);

  bytes = good;
  set_header_u64(bytes, kDataSizeAt, UINT64_MAX - 10);  // offset + size wraps around
  EXPECT_NE(parse(bytes).status().message().find("is not inside the file"), std::string::npos);

  bytes = good;
  set_header_u64(bytes, kMetaSizeAt, UINT64_MAX);
  EXPECT_NE(parse(bytes).status().message().find("metadata block ["), std::string::npos);

  bytes = good;
  set_header_u64(bytes, kMetaOffsetAt, 0);  // over the header
  EXPECT_NE(parse(bytes).status().message().find("after the header"), std::string::npos);

  bytes = good;
  set_header_u64(bytes, kDataOffsetAt, 64);  // over the metadata
  set_header_u64(bytes, kDataSizeAt, 64);
  EXPECT_EQ(parse(bytes).status().message(), "model.eai: metadata block and data segment overlap");

  bytes = good;
  set_header_u64(bytes, kDataOffsetAt, header_u64(good, kDataOffsetAt) + 8);
  set_header_u64(bytes, kDataSizeAt, header_u64(good, kDataSizeAt) - 8);
  EXPECT_EQ(parse(bytes).status().message(),
            str_cat("model.eai: data segment offset ", header_u64(good, kDataOffsetAt) + 8,
                    " is not a multiple of 64"));

  bytes = good;
  set_header_u64(bytes, kMetaOffsetAt, 68);
  set_header_u64(bytes, kMetaSizeAt, header_u64(good, kMetaSizeAt) - 4);
  EXPECT_EQ(parse(bytes).status().message(), "model.eai: metadata offset 68 is not a multiple of 8");

  bytes = good;
  bytes[12] = 8;  // header size smaller than the fixed header
  EXPECT_NE(parse(bytes).status().message().find("header size 8 is outside"), std::string::npos);
}

TEST(BundleRead, CorruptedMetadataFailsVerification) {
  std::vector<std::uint8_t> bytes = serialize_or_die(make_small_bundle());
  const std::size_t meta = header_u64(bytes, kMetaOffsetAt);
  bytes[meta + 4] = 'X';  // the file identifier
  EXPECT_EQ(parse(bytes).status().message(),
            "model.eai: metadata block does not carry the .eai FlatBuffers identifier \"EAI1\"");
  bytes = serialize_or_die(make_small_bundle());
  bytes[meta] = 0xF0;  // the root offset now points past the block
  bytes[meta + 1] = 0xFF;
  EXPECT_EQ(parse(bytes).status().message(), "model.eai: metadata block is corrupted (FlatBuffers verification failed)");
}

TEST(BundleRead, TensorDataOffsetOutOfTheDataSegment) {
  std::vector<std::uint8_t> bytes = serialize_or_die(make_small_bundle());
  fb::TensorRef* w = constant_ref(bytes, "w");
  ASSERT_NE(w, nullptr);
  ASSERT_TRUE(w->mutate_data_offset(64 * 1024));
  EXPECT_EQ(parse(bytes).status().message(),
            "model.eai: constant 'w': data [65536, +16) is outside the data segment (144 bytes)");
  ASSERT_TRUE(w->mutate_data_offset(UINT64_MAX - 63));  // aligned, and offset + size wraps
  EXPECT_NE(parse(bytes).status().message().find("is outside the data segment"), std::string::npos);
}

TEST(BundleRead, MisalignedTensorDataOffset) {
  std::vector<std::uint8_t> bytes = serialize_or_die(make_small_bundle());
  fb::TensorRef* w = constant_ref(bytes, "w");
  ASSERT_NE(w, nullptr);
  const std::uint64_t offset = w->data_offset();
  ASSERT_TRUE(w->mutate_data_offset(offset + 4));
  EXPECT_EQ(parse(bytes).status().message(),
            str_cat("model.eai: constant 'w': data offset ", offset + 4, " is not a multiple of 64"));
}

TEST(BundleRead, TensorSizeMismatch) {
  std::vector<std::uint8_t> bytes = serialize_or_die(make_small_bundle());
  fb::TensorRef* w = constant_ref(bytes, "w");
  ASSERT_NE(w, nullptr);
  ASSERT_TRUE(w->mutate_data_size(12));
  EXPECT_EQ(parse(bytes).status().message(),
            "model.eai: constant 'w': data size 12 bytes does not match shape [4] of float32 (16 bytes)");
  // A shape whose byte size overflows 64 bits must not wrap into a "matching" size.
  ASSERT_TRUE(w->mutate_data_size(16));
  w->mutable_shape()->Mutate(0, (std::int64_t{1} << 62) + 4);
  EXPECT_NE(parse(bytes).status().message().find("overflows"), std::string::npos);
  w->mutable_shape()->Mutate(0, -4);
  EXPECT_NE(parse(bytes).status().message().find("is not static or overflows"), std::string::npos);
}

TEST(BundleRead, InvalidDTypeAndAttributeType) {
  std::vector<std::uint8_t> bytes = serialize_or_die(make_small_bundle());
  ASSERT_TRUE(constant_ref(bytes, "w")->mutate_dtype(static_cast<fb::DType>(42)));
  EXPECT_EQ(parse(bytes).status().message(), "model.eai: constant 'w': invalid dtype 42");

  bytes = serialize_or_die(make_small_bundle());
  auto* attrs = mutable_root(bytes)->mutable_graph()->mutable_nodes()->GetMutableObject(0)->mutable_attributes();
  ASSERT_TRUE(attrs->GetMutableObject(0)->mutate_type(static_cast<fb::AttrType>(99)));
  EXPECT_EQ(parse(bytes).status().message(), "model.eai: attribute 'axis' of node Add 'add0' has invalid type 99");

  bytes = serialize_or_die(make_small_bundle());
  auto* inputs = mutable_root(bytes)->mutable_graph()->mutable_inputs();
  ASSERT_TRUE(inputs->GetMutableObject(0)->mutate_dtype(static_cast<fb::DType>(10)));
  EXPECT_EQ(parse(bytes).status().message(), "model.eai: graph input 'x' has invalid dtype 10");
}

TEST(BundleRead, NegativeDimensionsOtherThanUnknown) {
  std::vector<std::uint8_t> bytes = serialize_or_die(make_small_bundle());
  auto* inputs = mutable_root(bytes)->mutable_graph()->mutable_inputs();
  inputs->GetMutableObject(0)->mutable_shape()->Mutate(0, -1);
  EXPECT_TRUE(parse(bytes).is_ok());
  inputs->GetMutableObject(0)->mutable_shape()->Mutate(0, -2);
  EXPECT_EQ(parse(bytes).status().message(), "model.eai: graph input 'x' has negative dimension -2");
}

// Renames the first occurrence of a string in the metadata (same length): whichever of the
// producer and the user it hits, the graph no longer connects.
void rename_first(std::vector<std::uint8_t>& bytes, const std::string& from, const std::string& to) {
  ASSERT_EQ(from.size(), to.size());
  auto it = std::search(bytes.begin(), bytes.end(), from.begin(), from.end());
  ASSERT_NE(it, bytes.end());
  std::copy(to.begin(), to.end(), it);
}

TEST(BundleRead, NodeInputsAndGraphOutputsMustBeProduced) {
  Bundle b;
  b.graph.inputs = {{"x", DType::kFloat32, {2}}};
  b.graph.outputs = {{"final_out", DType::kFloat32, {2}}};
  b.graph.nodes = {Node{"a", "Relu", {"x"}, {"middle_v"}, {}}, Node{"b", "Relu", {"middle_v"}, {"final_out"}, {}}};
  b.manifest.created_at = "2024-01-01T00:00:00Z";
  std::vector<std::uint8_t> bytes = serialize_or_die(b);
  rename_first(bytes, "middle_v", "middle_w");
  Result<Bundle> r = parse(bytes);
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("that nothing produces"), std::string::npos) << r.status().message();

  bytes = serialize_or_die(b);
  rename_first(bytes, "final_out", "final_ouT");
  r = parse(bytes);
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("is not produced by anything"), std::string::npos) << r.status().message();
}

TEST(BundleRead, BadManifestVersionInTheFile) {
  Bundle b = make_small_bundle();
  b.manifest.version = "9.8.7";
  std::vector<std::uint8_t> bytes = serialize_or_die(b);
  rename_first(bytes, "9.8.7", "9.8.x");
  EXPECT_EQ(parse(bytes).status().message().rfind("model.eai: manifest: manifest version: '9.8.x' is not", 0), 0u)
      << parse(bytes).status().message();
}

}  // namespace
}  // namespace edgeai
