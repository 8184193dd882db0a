// Reader and writer of .eai model bundles. The reader treats every byte as hostile: the
// FlatBuffers verifier checks the metadata's internal offsets, and this file checks all
// that the verifier cannot (header ranges, data offsets and sizes, enum values, names).
// Depends on core, graph, FlatBuffers; nothing here throws.
#include "format/bundle.hpp"

#include <zstd.h>

#include <array>
#include <bit>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <deque>
#include <limits>
#include <set>

#include "core/aligned_buffer.hpp"
#include "eai_generated.h"
#include "format/atomic_file.hpp"
#include "format/mapped_file.hpp"
#include "format/semver.hpp"

namespace edgeai {

// Weights are mapped in place, so the host must share the file's byte order.
static_assert(std::endian::native == std::endian::little, ".eai bundles are little-endian; big-endian hosts are unsupported");

static_assert(static_cast<int>(fb::DType_Float32) == static_cast<int>(DType::kFloat32));
static_assert(static_cast<int>(fb::DType_Float16) == static_cast<int>(DType::kFloat16));
static_assert(static_cast<int>(fb::DType_Float64) == static_cast<int>(DType::kFloat64));
static_assert(static_cast<int>(fb::DType_Int8) == static_cast<int>(DType::kInt8));
static_assert(static_cast<int>(fb::DType_UInt8) == static_cast<int>(DType::kUInt8));
static_assert(static_cast<int>(fb::DType_Int16) == static_cast<int>(DType::kInt16));
static_assert(static_cast<int>(fb::DType_Int32) == static_cast<int>(DType::kInt32));
static_assert(static_cast<int>(fb::DType_Int64) == static_cast<int>(DType::kInt64));
static_assert(static_cast<int>(fb::DType_Bool) == static_cast<int>(DType::kBool));
static_assert(static_cast<int>(fb::DType_MAX) == static_cast<int>(DType::kBool));
static_assert(static_cast<int>(fb::AttrType_Int) == static_cast<int>(AttrType::kInt));
static_assert(static_cast<int>(fb::AttrType_Float) == static_cast<int>(AttrType::kFloat));
static_assert(static_cast<int>(fb::AttrType_String) == static_cast<int>(AttrType::kString));
static_assert(static_cast<int>(fb::AttrType_Ints) == static_cast<int>(AttrType::kInts));
static_assert(static_cast<int>(fb::AttrType_Floats) == static_cast<int>(AttrType::kFloats));
static_assert(static_cast<int>(fb::AttrType_Strings) == static_cast<int>(AttrType::kStrings));
static_assert(static_cast<int>(fb::AttrType_Tensor) == static_cast<int>(AttrType::kTensor));
static_assert(static_cast<int>(fb::AttrType_MAX) == static_cast<int>(AttrType::kTensor));

namespace {

// ---- the fixed header (docs/formats/eai.md, "Header") ----

constexpr std::uint8_t kMagic[8] = {'E', 'D', 'G', 'E', 'A', 'I', 0x00, 0x1A};
constexpr std::size_t kHeaderSize = 64;
constexpr std::size_t kMetadataAlignment = 8;  // the largest FlatBuffers scalar
// Verifier limits: our schema nests at most ~6 deep; a real graph has far fewer tables
// than this, and the limit bounds the verifier's work on a hostile file.
constexpr flatbuffers::uoffset_t kMaxVerifierDepth = 32;
constexpr flatbuffers::uoffset_t kMaxVerifierTables = 4'000'000;

struct Header {
  std::uint16_t major = 0;
  std::uint16_t minor = 0;
  std::uint32_t header_size = 0;
  std::uint64_t file_size = 0;
  std::uint64_t metadata_offset = 0;
  std::uint64_t metadata_size = 0;
  std::uint64_t data_offset = 0;
  std::uint64_t data_size = 0;
  std::uint64_t reserved = 0;  // written as 0; 1.x readers ignore it
};

template <typename T>
T load_le(const std::uint8_t* p) {
  T value = 0;
  for (std::size_t i = 0; i < sizeof(T); ++i) value |= static_cast<T>(static_cast<T>(p[i]) << (8 * i));
  return value;
}

template <typename T>
void store_le(std::uint8_t* p, T value) {
  for (std::size_t i = 0; i < sizeof(T); ++i) p[i] = static_cast<std::uint8_t>(value >> (8 * i));
}

std::array<std::uint8_t, kHeaderSize> encode_header(const Header& h) {
  std::array<std::uint8_t, kHeaderSize> bytes{};
  std::uint8_t* out = bytes.data();
  std::memcpy(out, kMagic, sizeof(kMagic));
  store_le<std::uint16_t>(out + 8, h.major);
  store_le<std::uint16_t>(out + 10, h.minor);
  store_le<std::uint32_t>(out + 12, h.header_size);
  store_le<std::uint64_t>(out + 16, h.file_size);
  store_le<std::uint64_t>(out + 24, h.metadata_offset);
  store_le<std::uint64_t>(out + 32, h.metadata_size);
  store_le<std::uint64_t>(out + 40, h.data_offset);
  store_le<std::uint64_t>(out + 48, h.data_size);
  store_le<std::uint64_t>(out + 56, h.reserved);
  return bytes;
}

// [offset, offset + size) inside [0, limit), without overflow.
bool range_within(std::uint64_t offset, std::uint64_t size, std::uint64_t limit) {
  return offset <= limit && size <= limit - offset;
}

bool ranges_disjoint(std::uint64_t a_off, std::uint64_t a_size, std::uint64_t b_off, std::uint64_t b_size) {
  return a_off + a_size <= b_off || b_off + b_size <= a_off;  // both ranges already within the file
}

Result<Header> decode_header(const std::uint8_t* data, std::size_t size, std::string_view name) {
  if (size == 0) return data_loss(name, ": truncated: the file is empty");
  const std::size_t magic_bytes = size < sizeof(kMagic) ? size : sizeof(kMagic);
  if ( std::memcmp(data, kMagic, magic_bytes) != 0) {
    return data_loss(name, ": not an .eai model bundle (bad magic bytes)");
  }
  if (size < 12) return data_loss(name, ": truncated: ", size, " bytes is shorter than the .eai header");
  Header h;
  h.major = load_le<std::uint16_t>(data + 8);
  h.minor = load_le<std::uint16_t>(data + 10);
  // The version comes before anything else: a newer major may lay out the rest differently.
  if (h.major > kBundleFormatMajor) {
    return unsupported(name, ": format version ", h.major, ".", h.minor, " is newer than this edgeai supports (",
                       kBundleFormatMajor, ".x); upgrade edgeai");
  }
  if (h.major == 0) return data_loss(name, ": format version 0.", h.minor, " is not a valid .eai version");
  if (size < kHeaderSize) {
    return data_loss(name, ": truncated: ", size, " bytes is shorter than the ", kHeaderSize, "-byte .eai header");
  }
  h.header_size = load_le<std::uint32_t>(data + 12);
  h.file_size = load_le<std::uint64_t>(data + 16);
  h.metadata_offset = load_le<std::uint64_t>(data + 24);
  h.metadata_size = load_le<std::uint64_t>(data + 32);
  h.data_offset = load_le<std::uint64_t>(data + 40);
  h.data_size = load_le<std::uint64_t>(data + 48);
  h.reserved = load_le<std::uint64_t>(data + 56);

  if (h.file_size > size) {
    return data_loss(name, ": truncated: the header says ", h.file_size, " bytes but there are only ", size);
  }
  if (h.file_size < size) {
    return data_loss(name, ": ", size, " bytes but the header says ", h.file_size, " (trailing bytes)");
  }
  // A newer minor may grow the header; its readers skip what they do not know.
  if (h.header_size < kHeaderSize || h.header_size > size) {
    return data_loss(name, ": header size ", h.header_size, " is outside [", kHeaderSize, ", ", size, "]");
  }
  if (h.metadata_size < 8 || !range_within(h.metadata_offset, h.metadata_size, size) ||
      h.metadata_offset < h.header_size) {
    return data_loss(name, ": metadata block [", h.metadata_offset, ", +", h.metadata_size,
                     ") is not inside the file after the header (", size, " bytes)");
  }
  if (h.metadata_offset % kMetadataAlignment != 0) {
    return data_loss(name, ": metadata offset ", h.metadata_offset, " is not a multiple of ", kMetadataAlignment);
  }
  if (h.metadata_size >= FLATBUFFERS_MAX_BUFFER_SIZE) {
    return data_loss(name, ": metadata block of ", h.metadata_size, " bytes exceeds the FlatBuffers limit");
  }
  if (!range_within(h.data_offset, h.data_size, size) || h.data_offset < h.header_size) {
    return data_loss(name, ": data segment [", h.data_offset, ", +", h.data_size,
                     ") is not inside the file after the header (", size, " bytes)");
  }
  if (h.data_offset % kTensorAlignment != 0) {
    return data_loss(name, ": data segment offset ", h.data_offset, " is not a multiple of ", kTensorAlignment);
  }
  if (!ranges_disjoint(h.metadata_offset, h.metadata_size, h.data_offset, h.data_size)) {
    return data_loss(name, ": metadata block and data segment overlap");
  }
  return h;
}

// ---- checks shared by reader and writer ----

Status check_value_info(const ValueInfo& v, std::string_view what) {
  if (!is_valid_dtype(static_cast<std::uint8_t>(v.dtype)) && v.dtype != DType::kUndefined) {
    return invalid_argument(what, " '", v.name, "' has invalid dtype ", static_cast<int>(v.dtype));
  }
  for (std::int64_t d : v.shape) {
    if (d < kUnknownDim) return invalid_argument(what, " '", v.name, "' has negative dimension ", d);
  }
  return Status::ok();
}

// Every value is produced once (graph input, constant or node output), and every use refers
// to a produced value. Order is not checked here: Graph::sort_topologically does that.
Status check_graph_references(const Graph& graph) {
  std::set<std::string_view> produced;
  auto produce = [&](const std::string& value, std::string_view by) -> Status {
    if (value.empty()) return invalid_argument(by, " has an empty value name");
    if (!produced.insert(value).second) return invalid_argument("value '", value, "' is produced twice (again by ", by, ")");
    return Status::ok();
  };
  for (const ValueInfo& v : graph.inputs) {
    EDGEAI_RETURN_IF_ERROR(check_value_info(v, "graph input"));
    EDGEAI_RETURN_IF_ERROR(produce(v.name, "a graph input"));
  }
  for (const auto& [name, tensor] : graph.constants) {
    (void)tensor;
    EDGEAI_RETURN_IF_ERROR(produce(name, "a constant"));
  }
  for (const Node& node : graph.nodes) {
    if (node.op_type.empty()) return invalid_argument("node '", node.name, "' has no operator type");
    for (const std::string& out : node.outputs) {
      if (out.empty()) continue;  // an absent optional output
      EDGEAI_RETURN_IF_ERROR(produce(out, str_cat("node ", node.describe())));
    }
  }
  for (const Node& node : graph.nodes) {
    for (const std::string& in : node.inputs) {
      if (!in.empty() && produced.count(in) == 0) {
        return invalid_argument("node ", node.describe(), " uses value '", in, "' that nothing produces");
      }
    }
  }
  for (const ValueInfo& v : graph.outputs) {
    EDGEAI_RETURN_IF_ERROR(check_value_info(v, "graph output"));
    if (produced.count(v.name) == 0) return invalid_argument("graph output '", v.name, "' is not produced by anything");
  }
  for (const auto& [name, v] : graph.value_info) {
    (void)name;
    EDGEAI_RETURN_IF_ERROR(check_value_info(v, "value"));
  }
  return Status::ok();
}

bool is_iso8601_utc(std::string_view s) {
  // YYYY-MM-DDTHH:MM:SS[.fraction]Z
  auto digits = [&](std::size_t pos, std::size_t n, int lo, int hi) {
    if (pos + n > s.size()) return false;
    int value = 0;
    for (std::size_t i = pos; i < pos + n; ++i) {
      if (s[i] < '0' || s[i] > '9') return false;
      value = value * 10 + (s[i] - '0');
    }
    return value >= lo && value <= hi;
  };
  if (s.size() < 20) return false;
  if (!digits(0, 4, 0, 9999) || s[4] != '-' || !digits(5, 2, 1, 12) || s[7] != '-' || !digits(8, 2, 1, 31) ||
      s[10] != 'T' || !digits(11, 2, 0, 23) || s[13] != ':' || !digits(14, 2, 0, 59) || s[16] != ':' ||
      !digits(17, 2, 0, 60)) {
    return false;
  }
  std::size_t pos = 19;
  if (s[pos] == '.') {
    ++pos;
    const std::size_t start = pos;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos;
    if (pos == start) return false;
  }
  return pos + 1 == s.size() && s[pos] == 'Z';
}

Status check_tensor_for_write(const Tensor& t, std::string_view what) {
  if (!is_valid_dtype(static_cast<std::uint8_t>(t.dtype()))) return invalid_argument(what, " is a null tensor");
  if (!element_count(t.shape())) {
    return invalid_argument(what, " has shape ", shape_to_string(t.shape()), " (not static, or too large)");
  }
  if (t.size_bytes() > 0 && t.raw_data() == nullptr) return invalid_argument(what, " has no data");
  return Status::ok();
}

// ---- writer ----

class BundleWriter {
 public:
  explicit BundleWriter(const BundleWriteOptions& options) : options_(options) {}

  Result<std::vector<std::uint8_t>> write(const Bundle& bundle) {
    EDGEAI_RETURN_IF_ERROR(validate_manifest(bundle.manifest));
    EDGEAI_RETURN_IF_ERROR(check_graph_references(bundle.graph));
    EDGEAI_ASSIGN_OR_RETURN(auto manifest, write_manifest(bundle.manifest));
    EDGEAI_ASSIGN_OR_RETURN(auto graph, write_graph(bundle.graph));
    fb::BundleBuilder root(fbb_);
    root.add_manifest(manifest);
    root.add_graph(graph);
    fb::FinishBundleBuffer(fbb_, root.Finish());

    Header h;
    h.major = any_encoded_ ? kBundleFormatMajor : kBundleFormatMajorPlain;
    h.minor = 0;
    h.header_size = kHeaderSize;
    h.metadata_offset = kHeaderSize;
    h.metadata_size = fbb_.GetSize();
    h.data_offset = align_up(kHeaderSize + fbb_.GetSize());
    h.data_size = data_size_;
    h.file_size = h.data_offset + h.data_size;

    const std::array<std::uint8_t, kHeaderSize> header = encode_header(h);
    std::vector<std::uint8_t> bytes(header.begin(), header.end());
    bytes.resize(h.file_size, 0);
    std::memcpy(bytes.data() + h.metadata_offset, fbb_.GetBufferPointer(), fbb_.GetSize());
    for (const Placed& p : placed_) {
      if (p.size > 0) std::memcpy(bytes.data() + h.data_offset + p.offset, p.data, p.size);
    }
    return bytes;
  }

 private:
  flatbuffers::Offset<flatbuffers::String> str(const std::string& s) { return fbb_.CreateString(s); }

  flatbuffers::Offset<flatbuffers::Vector<flatbuffers::Offset<flatbuffers::String>>> strings(
      const std::vector<std::string>& v) {
    std::vector<flatbuffers::Offset<flatbuffers::String>> offsets;
    offsets.reserve(v.size());
    for (const std::string& s : v) offsets.push_back(str(s));
    return fbb_.CreateVector(offsets);
  }

  flatbuffers::Offset<flatbuffers::Vector<flatbuffers::Offset<fb::KeyValue>>> key_values(
      const std::map<std::string, std::string>& m) {
    std::vector<flatbuffers::Offset<fb::KeyValue>> offsets;
    for (const auto& [k, v] : m) {
      auto key = str(k);
      auto value = str(v);
      offsets.push_back(fb::CreateKeyValue(fbb_, key, value));
    }
    return fbb_.CreateVector(offsets);
  }

  flatbuffers::Offset<fb::ValueInfo> value_info(const ValueInfo& v) {
    auto name = str(v.name);
    auto shape = fbb_.CreateVector(v.shape);
    return fb::CreateValueInfo(fbb_, name, static_cast<fb::DType>(v.dtype), shape);
  }

  flatbuffers::Offset<flatbuffers::Vector<flatbuffers::Offset<fb::ValueInfo>>> value_infos(
      const std::vector<ValueInfo>& v) {
    std::vector<flatbuffers::Offset<fb::ValueInfo>> offsets;
    offsets.reserve(v.size());
    for (const ValueInfo& info : v) offsets.push_back(value_info(info));
    return fbb_.CreateVector(offsets);
  }

  // Reserves a 64-byte aligned slot in the data segment; the bytes are copied at the end.
  // With entropy coding on, a large tensor whose zstd frame saves >= 5 % is stored as that frame.
  Result<flatbuffers::Offset<fb::TensorRef>> tensor_ref(const Tensor& t, std::string_view what) {
    EDGEAI_RETURN_IF_ERROR(check_tensor_for_write(t, what));
    const void* data = t.raw_data();
    std::uint64_t stored = t.size_bytes();
    fb::TensorEncoding encoding = fb::TensorEncoding_Raw;
    if (options_.entropy_code_constants && t.size_bytes() >= options_.entropy_min_bytes) {
      std::vector<std::uint8_t> frame(ZSTD_compressBound(t.size_bytes()));
      const std::size_t n = ZSTD_compress(frame.data(), frame.size(), t.raw_data(), t.size_bytes(), options_.zstd_level);
      if (ZSTD_isError(n)) return internal_error(what, ": zstd: ", ZSTD_getErrorName(n));
      if (n * 20 <= t.size_bytes() * 19) {
        frame.resize(n);
        encoded_.push_back(std::move(frame));
        data = encoded_.back().data();
        stored = n;
        encoding = fb::TensorEncoding_Zstd;
        any_encoded_ = true;
      }
    }
    const std::uint64_t offset = align_up(data_size_);
    data_size_ = offset + stored;
    placed_.push_back(Placed{data, static_cast<std::size_t>(stored), offset});
    auto shape = fbb_.CreateVector(t.shape());
    return fb::CreateTensorRef(fbb_, static_cast<fb::DType>(t.dtype()), shape, offset, t.size_bytes(), encoding,
                               encoding == fb::TensorEncoding_Raw ? 0 : stored);
  }

  Result<flatbuffers::Offset<flatbuffers::Vector<flatbuffers::Offset<fb::NamedTensor>>>> named_tensors(
      const std::vector<std::pair<std::string, Tensor>>& tensors, std::string_view what) {
    std::vector<flatbuffers::Offset<fb::NamedTensor>> offsets;
    for (const auto& [name, tensor] : tensors) {
      EDGEAI_ASSIGN_OR_RETURN(auto ref, tensor_ref(tensor, str_cat(what, " '", name, "'")));
      auto name_offset = str(name);
      offsets.push_back(fb::CreateNamedTensor(fbb_, name_offset, ref));
    }
    return fbb_.CreateVector(offsets);
  }

  Result<flatbuffers::Offset<fb::Manifest>> write_manifest(const Manifest& m) {
    const Preprocessing& p = m.preprocessing;
    auto kind = str(p.kind);
    auto layout = str(p.layout);
    auto color = str(p.color);
    auto mean = fbb_.CreateVector(p.mean);
    auto std_dev = fbb_.CreateVector(p.std);
    auto params = key_values(p.params);
    auto preprocessing = fb::CreatePreprocessing(fbb_, kind, layout, color, p.resize_height, p.resize_width, mean,
                                                 std_dev, p.scale, params);
    std::vector<flatbuffers::Offset<fb::GoldenVector>> golden;
    for (std::size_t i = 0; i < m.golden.size(); ++i) {
      const GoldenVector& g = m.golden[i];
      EDGEAI_ASSIGN_OR_RETURN(auto inputs, named_tensors(g.inputs, str_cat("golden vector ", i, " input")));
      EDGEAI_ASSIGN_OR_RETURN(auto outputs, named_tensors(g.outputs, str_cat("golden vector ", i, " output")));
      golden.push_back(fb::CreateGoldenVector(fbb_, inputs, outputs, g.atol, g.rtol));
    }
    auto golden_vec = fbb_.CreateVector(golden);
    auto name = str(m.name);
    auto version = str(m.version);
    auto created_at = str(m.created_at.empty() ? current_utc_iso8601() : m.created_at);
    auto description = str(m.description);
    auto inputs = value_infos(m.inputs);
    auto outputs = value_infos(m.outputs);
    auto labels = strings(m.labels);
    auto metadata = key_values(m.metadata);
    return fb::CreateManifest(fbb_, name, version, created_at, description, inputs, outputs, labels, preprocessing,
                              metadata, golden_vec);
  }

  Result<flatbuffers::Offset<fb::Attribute>> write_attribute(const std::string& key, const Attribute& a,
                                                             const Node& node) {
    auto name = str(key);
    flatbuffers::Offset<flatbuffers::String> s;
    flatbuffers::Offset<flatbuffers::Vector<std::int64_t>> ints;
    flatbuffers::Offset<flatbuffers::Vector<float>> floats;
    flatbuffers::Offset<flatbuffers::Vector<flatbuffers::Offset<flatbuffers::String>>> strs;
    flatbuffers::Offset<fb::TensorRef> t;
    std::int64_t i = 0;
    float f = 0.0f;
    switch (a.type()) {
      case AttrType::kInt: i = a.as_int(); break;
      case AttrType::kFloat: f = a.as_float(); break;
      case AttrType::kString: s = str(a.as_string()); break;
      case AttrType::kInts: ints = fbb_.CreateVector(a.as_ints()); break;
      case AttrType::kFloats: floats = fbb_.CreateVector(a.as_floats()); break;
      case AttrType::kStrings: strs = strings(a.as_strings()); break;
      case AttrType::kTensor: {
        EDGEAI_ASSIGN_OR_RETURN(t, tensor_ref(a.as_tensor(), str_cat("attribute '", key, "' of ", node.describe())));
        break;
      }
    }
    return fb::CreateAttribute(fbb_, name, static_cast<fb::AttrType>(a.type()), i, f, s, ints, floats, strs, t);
  }

  Result<flatbuffers::Offset<fb::Graph>> write_graph(const Graph& g) {
    std::vector<flatbuffers::Offset<fb::Node>> nodes;
    nodes.reserve(g.nodes.size());
    for (const Node& node : g.nodes) {
      std::vector<flatbuffers::Offset<fb::Attribute>> attrs;
      for (const auto& [key, attr] : node.attributes) {
        EDGEAI_ASSIGN_OR_RETURN(auto a, write_attribute(key, attr, node));
        attrs.push_back(a);
      }
      auto attr_vec = fbb_.CreateVector(attrs);
      auto name = str(node.name);
      auto op_type = str(node.op_type);
      auto inputs = strings(node.inputs);
      auto outputs = strings(node.outputs);
      nodes.push_back(fb::CreateNode(fbb_, name, op_type, inputs, outputs, attr_vec));
    }
    auto node_vec = fbb_.CreateVector(nodes);
    std::vector<flatbuffers::Offset<fb::NamedTensor>> constants;
    for (const auto& [name, tensor] : g.constants) {
      EDGEAI_ASSIGN_OR_RETURN(auto ref, tensor_ref(tensor, str_cat("constant '", name, "'")));
      auto name_offset = str(name);
      constants.push_back(fb::CreateNamedTensor(fbb_, name_offset, ref));
    }
    auto constant_vec = fbb_.CreateVector(constants);
    std::vector<ValueInfo> infos;
    for (const auto& [name, info] : g.value_info) {
      infos.push_back(info);
      infos.back().name = name;  // the map key is the value's name
    }
    auto value_info_vec = value_infos(infos);
    auto name = str(g.name);
    auto inputs = value_infos(g.inputs);
    auto outputs = value_infos(g.outputs);
    return fb::CreateGraph(fbb_, name, inputs, outputs, node_vec, constant_vec, value_info_vec);
  }

  struct Placed {
    const void* data;
    std::size_t size;
    std::uint64_t offset;
  };
  BundleWriteOptions options_;
  flatbuffers::FlatBufferBuilder fbb_{64 * 1024};
  std::uint64_t data_size_ = 0;
  std::vector<Placed> placed_;
  std::deque<std::vector<std::uint8_t>> encoded_;  // zstd frames; a deque keeps their addresses
  bool any_encoded_ = false;
};

// ---- reader ----

class BundleParser {
 public:
  BundleParser(const std::uint8_t* data, std::shared_ptr<const void> owner, std::string_view name)
      : base_(data), owner_(std::move(owner)), name_(name) {}

  Result<Bundle> parse(std::size_t size) {
    EDGEAI_ASSIGN_OR_RETURN(const Header h, decode_header(base_, size, name_));
    const std::uint8_t* metadata = base_ + h.metadata_offset;
    const auto metadata_size = static_cast<std::size_t>(h.metadata_size);
    if (!fb::BundleBufferHasIdentifier(metadata)) {
      return data_loss(name_, ": metadata block does not carry the .eai FlatBuffers identifier \"",
                       fb::BundleIdentifier(), "\"");
    }
    flatbuffers::Verifier::Options options;
    options.max_depth = kMaxVerifierDepth;
    options.max_tables = kMaxVerifierTables;
    options.check_alignment = true;
    flatbuffers::Verifier verifier(metadata, metadata_size, options);
    if (!fb::VerifyBundleBuffer(verifier)) {
      return data_loss(name_, ": metadata block is corrupted (FlatBuffers verification failed)");
    }
    major_ = h.major;
    segment_ = base_ + h.data_offset;
    segment_size_ = h.data_size;

    const fb::Bundle* root = fb::GetBundle(metadata);
    if (root->manifest() == nullptr) return error("no manifest");
    if (root->graph() == nullptr) return error("no graph");
    Bundle bundle;
    EDGEAI_RETURN_IF_ERROR(read_manifest(*root->manifest(), bundle.manifest));
    EDGEAI_RETURN_IF_ERROR(read_graph(*root->graph(), bundle.graph));
    Status manifest_ok = validate_manifest(bundle.manifest);
    if (!manifest_ok.is_ok()) return error(str_cat("manifest: ", manifest_ok.message()));
    Status graph_ok = check_graph_references(bundle.graph);
    if (!graph_ok.is_ok()) return error(str_cat("graph: ", graph_ok.message()));
    return bundle;
  }

 private:
  Status error(std::string_view what) const { return data_loss(name_, ": ", what); }

  static std::string text(const flatbuffers::String* s) { return s == nullptr ? std::string() : s->str(); }

  Status read_strings(const flatbuffers::Vector<flatbuffers::Offset<flatbuffers::String>>* v,
                      std::vector<std::string>& out) const {
    if (v == nullptr) return Status::ok();
    out.reserve(v->size());
    for (flatbuffers::uoffset_t i = 0; i < v->size(); ++i) out.push_back(text(v->Get(i)));
    return Status::ok();
  }

  Status read_key_values(const flatbuffers::Vector<flatbuffers::Offset<fb::KeyValue>>* v,
                         std::map<std::string, std::string>& out, std::string_view what) const {
    if (v == nullptr) return Status::ok();
    for (flatbuffers::uoffset_t i = 0; i < v->size(); ++i) {
      const fb::KeyValue* kv = v->Get(i);
      if (kv == nullptr) return error(str_cat(what, " entry ", i, " is missing"));
      if (!out.emplace(text(kv->key()), text(kv->value())).second) {
        return error(str_cat(what, " key '", text(kv->key()), "' appears twice"));
      }
    }
    return Status::ok();
  }

  // The verifier checks a vector's 4-byte length field for alignment but not its 8-byte
  // elements (FlatBuffers 2.0.8 VerifyVectorOrString); reading a misaligned int64 is UB.
  // (The builder does not align empty vectors, so only non-empty ones are checked.)
  template <typename T>
  Status check_element_alignment(const flatbuffers::Vector<T>* v, std::string_view what) const {
    if (v != nullptr && v->size() > 0 && reinterpret_cast<std::uintptr_t>(v->data()) % alignof(T) != 0) {
      return error(str_cat(what, ": misaligned vector of ", sizeof(T), "-byte values"));
    }
    return Status::ok();
  }

  Status read_shape(const flatbuffers::Vector<std::int64_t>* v, Shape& out, std::string_view what) const {
    if (v == nullptr) return Status::ok();
    EDGEAI_RETURN_IF_ERROR(check_element_alignment(v, what));
    out.assign(v->begin(), v->end());
    return Status::ok();
  }

  Status read_value_info(const fb::ValueInfo* v, ValueInfo& out, std::string_view what) const {
    if (v == nullptr) return error(str_cat(what, " is missing"));
    out.name = text(v->name());
    const auto raw = static_cast<std::uint8_t>(v->dtype());
    if (raw != 0 && !is_valid_dtype(raw)) {
      return error(str_cat(what, " '", out.name, "' has invalid dtype ", static_cast<int>(raw)));
    }
    out.dtype = static_cast<DType>(raw);
    EDGEAI_RETURN_IF_ERROR(read_shape(v->shape(), out.shape, str_cat(what, " '", out.name, "'")));
    for (std::int64_t d : out.shape) {
      if (d < kUnknownDim) return error(str_cat(what, " '", out.name, "' has negative dimension ", d));
    }
    return Status::ok();
  }

  Status read_value_infos(const flatbuffers::Vector<flatbuffers::Offset<fb::ValueInfo>>* v, std::vector<ValueInfo>& out,
                          std::string_view what) const {
    if (v == nullptr) return Status::ok();
    out.resize(v->size());
    for (flatbuffers::uoffset_t i = 0; i < v->size(); ++i) {
      EDGEAI_RETURN_IF_ERROR(read_value_info(v->Get(i), out[i], what));
    }
    return Status::ok();
  }

  // The one place a file offset becomes a pointer: every check the verifier cannot make.
  Status read_tensor(const fb::TensorRef* ref, Tensor& out, std::string_view what) const {
    if (ref == nullptr) return error(str_cat(what, ": tensor is missing"));
    const auto raw = static_cast<std::uint8_t>(ref->dtype());
    if (!is_valid_dtype(raw)) return error(str_cat(what, ": invalid dtype ", static_cast<int>(raw)));
    const auto dtype = static_cast<DType>(raw);
    Shape shape;
    EDGEAI_RETURN_IF_ERROR(read_shape(ref->shape(), shape, what));
    const std::optional<std::int64_t> count = element_count(shape);
    if (!count) return error(str_cat(what, ": shape ", shape_to_string(shape), " is not static or overflows"));
    std::uint64_t expected_bytes = 0;
    if (__builtin_mul_overflow(static_cast<std::uint64_t>(*count), dtype_size(dtype), &expected_bytes)) {
      return error(str_cat(what, ": shape ", shape_to_string(shape), " of ", dtype_name(dtype), " overflows"));
    }
    const std::uint64_t offset = ref->data_offset();
    const std::uint64_t size = ref->data_size();
    if (size != expected_bytes) {
      return error(str_cat(what, ": data size ", size, " bytes does not match shape ", shape_to_string(shape), " of ",
                           dtype_name(dtype), " (", expected_bytes, " bytes)"));
    }
    if (offset % kTensorAlignment != 0) {
      return error(str_cat(what, ": data offset ", offset, " is not a multiple of ", kTensorAlignment));
    }
    if (ref->encoding() != fb::TensorEncoding_Raw) return read_encoded_tensor(ref, dtype, std::move(shape), out, what);
    if (!range_within(offset, size, segment_size_)) {
      return error(str_cat(what, ": data [", offset, ", +", size, ") is outside the data segment (", segment_size_,
                           " bytes)"));
    }
    // Read-only mapping: the const_cast only satisfies Tensor's interface (see bundle.hpp).
    void* data = const_cast<std::uint8_t*>(segment_ + offset);
    out = Tensor::wrap(dtype, std::move(shape), data, owner_);
    return Status::ok();
  }

  // A zstd frame decoded into owned memory; it must decode to exactly data_size bytes.
  Status read_encoded_tensor(const fb::TensorRef* ref, DType dtype, Shape shape, Tensor& out,
                             std::string_view what) const {
    if (ref->encoding() != fb::TensorEncoding_Zstd) {
      return error(str_cat(what, ": unknown tensor encoding ", static_cast<int>(ref->encoding())));
    }
    if (major_ < 2) return error(str_cat(what, ": an encoded tensor in a format ", major_, ".x file"));
    const std::uint64_t offset = ref->data_offset();
    const std::uint64_t stored = ref->stored_size();
    if (!range_within(offset, stored, segment_size_)) {
      return error(str_cat(what, ": encoded data [", offset, ", +", stored, ") is outside the data segment (",
                           segment_size_, " bytes)"));
    }
    const std::uint8_t* frame = segment_ + offset;
    const unsigned long long content = ZSTD_getFrameContentSize(frame, stored);
    if (content != ref->data_size()) {
      return error(str_cat(what, ": the zstd frame does not declare ", ref->data_size(), " bytes of content"));
    }
    Result<Tensor> tensor = Tensor::allocate(dtype, std::move(shape));
    if (!tensor.is_ok()) return tensor.status().with_context(what);
    const std::size_t n = ZSTD_decompress(tensor->raw_data(), tensor->size_bytes(), frame, stored);
    if (ZSTD_isError(n) || n != tensor->size_bytes()) {
      return error(str_cat(what, ": corrupt zstd frame (", ZSTD_isError(n) ? ZSTD_getErrorName(n) : "short", ")"));
    }
    out = std::move(tensor).value();
    return Status::ok();
  }

  Status read_named_tensors(const flatbuffers::Vector<flatbuffers::Offset<fb::NamedTensor>>* v,
                            std::vector<std::pair<std::string, Tensor>>& out, std::string_view what) const {
    if (v == nullptr) return Status::ok();
    for (flatbuffers::uoffset_t i = 0; i < v->size(); ++i) {
      const fb::NamedTensor* nt = v->Get(i);
      if (nt == nullptr) return error(str_cat(what, " ", i, " is missing"));
      std::string name = text(nt->name());
      if (name.empty()) return error(str_cat(what, " ", i, " has no name"));
      Tensor tensor;
      EDGEAI_RETURN_IF_ERROR(read_tensor(nt->tensor(), tensor, str_cat(what, " '", name, "'")));
      out.emplace_back(std::move(name), std::move(tensor));
    }
    return Status::ok();
  }

  Status read_manifest(const fb::Manifest& m, Manifest& out) const {
    out.name = text(m.name());
    out.version = text(m.version());
    out.created_at = text(m.created_at());
    out.description = text(m.description());
    EDGEAI_RETURN_IF_ERROR(read_value_infos(m.inputs(), out.inputs, "manifest input"));
    EDGEAI_RETURN_IF_ERROR(read_value_infos(m.outputs(), out.outputs, "manifest output"));
    EDGEAI_RETURN_IF_ERROR(read_strings(m.labels(), out.labels));
    if (const fb::Preprocessing* p = m.preprocessing()) {
      Preprocessing& pre = out.preprocessing;
      pre.kind = text(p->kind());
      pre.layout = text(p->layout());
      pre.color = text(p->color());
      pre.resize_height = p->resize_height();
      pre.resize_width = p->resize_width();
      if (p->mean() != nullptr) pre.mean.assign(p->mean()->begin(), p->mean()->end());
      if (p->std() != nullptr) pre.std.assign(p->std()->begin(), p->std()->end());
      pre.scale = p->scale();
      EDGEAI_RETURN_IF_ERROR(read_key_values(p->params(), pre.params, "preprocessing parameter"));
    }
    EDGEAI_RETURN_IF_ERROR(read_key_values(m.metadata(), out.metadata, "metadata"));
    if (const auto* golden = m.golden()) {
      out.golden.resize(golden->size());
      for (flatbuffers::uoffset_t i = 0; i < golden->size(); ++i) {
        const fb::GoldenVector* g = golden->Get(i);
        if (g == nullptr) return error(str_cat("golden vector ", i, " is missing"));
        GoldenVector& gv = out.golden[i];
        EDGEAI_RETURN_IF_ERROR(read_named_tensors(g->inputs(), gv.inputs, str_cat("golden vector ", i, " input")));
        EDGEAI_RETURN_IF_ERROR(read_named_tensors(g->outputs(), gv.outputs, str_cat("golden vector ", i, " output")));
        gv.atol = g->atol();
        gv.rtol = g->rtol();
      }
    }
    return Status::ok();
  }

  Status read_attribute(const fb::Attribute* a, Node& node) const {
    if (a == nullptr) return error(str_cat("node ", node.describe(), ": attribute is missing"));
    std::string key = text(a->name());
    const std::string what = str_cat("attribute '", key, "' of node ", node.describe());
    if (key.empty()) return error(str_cat("node ", node.describe(), ": attribute without a name"));
    Attribute value;
    switch (static_cast<int>(a->type())) {
      case static_cast<int>(AttrType::kInt): value = Attribute(a->i()); break;
      case static_cast<int>(AttrType::kFloat): value = Attribute(a->f()); break;
      case static_cast<int>(AttrType::kString): value = Attribute(text(a->s())); break;
      case static_cast<int>(AttrType::kInts): {
        std::vector<std::int64_t> v;
        EDGEAI_RETURN_IF_ERROR(check_element_alignment(a->ints(), what));
        if (a->ints() != nullptr) v.assign(a->ints()->begin(), a->ints()->end());
        value = Attribute(std::move(v));
        break;
      }
      case static_cast<int>(AttrType::kFloats): {
        std::vector<float> v;
        if (a->floats() != nullptr) v.assign(a->floats()->begin(), a->floats()->end());
        value = Attribute(std::move(v));
        break;
      }
      case static_cast<int>(AttrType::kStrings): {
        std::vector<std::string> v;
        EDGEAI_RETURN_IF_ERROR(read_strings(a->strings(), v));
        value = Attribute(std::move(v));
        break;
      }
      case static_cast<int>(AttrType::kTensor): {
        Tensor t;
        EDGEAI_RETURN_IF_ERROR(read_tensor(a->t(), t, what));
        value = Attribute(std::move(t));
        break;
      }
      default: return error(str_cat(what, " has invalid type ", static_cast<int>(a->type())));
    }
    if (node.attributes.count(key) != 0) return error(str_cat(what, " appears twice"));
    node.attributes.emplace(std::move(key), std::move(value));
    return Status::ok();
  }

  Status read_graph(const fb::Graph& g, Graph& out) const {
    out.name = text(g.name());
    EDGEAI_RETURN_IF_ERROR(read_value_infos(g.inputs(), out.inputs, "graph input"));
    EDGEAI_RETURN_IF_ERROR(read_value_infos(g.outputs(), out.outputs, "graph output"));
    if (const auto* nodes = g.nodes()) {
      out.nodes.resize(nodes->size());
      for (flatbuffers::uoffset_t i = 0; i < nodes->size(); ++i) {
        const fb::Node* n = nodes->Get(i);
        if (n == nullptr) return error(str_cat("node ", i, " is missing"));
        Node& node = out.nodes[i];
        node.name = text(n->name());
        node.op_type = text(n->op_type());
        if (node.op_type.empty()) return error(str_cat("node ", i, " ('", node.name, "') has no operator type"));
        EDGEAI_RETURN_IF_ERROR(read_strings(n->inputs(), node.inputs));
        EDGEAI_RETURN_IF_ERROR(read_strings(n->outputs(), node.outputs));
        if (const auto* attrs = n->attributes()) {
          for (flatbuffers::uoffset_t k = 0; k < attrs->size(); ++k) {
            EDGEAI_RETURN_IF_ERROR(read_attribute(attrs->Get(k), node));
          }
        }
      }
    }
    if (const auto* constants = g.constants()) {
      for (flatbuffers::uoffset_t i = 0; i < constants->size(); ++i) {
        const fb::NamedTensor* c = constants->Get(i);
        if (c == nullptr) return error(str_cat("constant ", i, " is missing"));
        std::string name = text(c->name());
        if (name.empty()) return error(str_cat("constant ", i, " has no name"));
        Tensor tensor;
        EDGEAI_RETURN_IF_ERROR(read_tensor(c->tensor(), tensor, str_cat("constant '", name, "'")));
        if (out.constants.count(name) != 0) return error(str_cat("constant '", name, "' appears twice"));
        out.constants.emplace(std::move(name), std::move(tensor));
      }
    }
    std::vector<ValueInfo> infos;
    EDGEAI_RETURN_IF_ERROR(read_value_infos(g.value_info(), infos, "value info"));
    for (ValueInfo& info : infos) {
      if (out.value_info.count(info.name) != 0) return error(str_cat("value info '", info.name, "' appears twice"));
      std::string name = info.name;
      out.value_info.emplace(std::move(name), std::move(info));
    }
    return Status::ok();
  }

  const std::uint8_t* base_;
  std::shared_ptr<const void> owner_;
  std::string name_;
  const std::uint8_t* segment_ = nullptr;
  std::uint64_t segment_size_ = 0;
  std::uint16_t major_ = 0;
};

}  // namespace

std::string current_utc_iso8601() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &utc);
  return buf;
}

Status validate_manifest(const Manifest& m) {
  Result<SemVer> version = parse_semver(m.version);
  if (!version.is_ok()) return invalid_argument("manifest version: ", version.status().message());
  if (!m.created_at.empty() && !is_iso8601_utc(m.created_at)) {
    return invalid_argument("manifest created_at '", m.created_at, "' is not an ISO-8601 UTC time like 2024-05-01T12:00:00Z");
  }
  for (const ValueInfo& v : m.inputs) EDGEAI_RETURN_IF_ERROR(check_value_info(v, "manifest input"));
  for (const ValueInfo& v : m.outputs) EDGEAI_RETURN_IF_ERROR(check_value_info(v, "manifest output"));
  const Preprocessing& p = m.preprocessing;
  if (p.resize_height < 0 || p.resize_width < 0) {
    return invalid_argument("preprocessing resize ", p.resize_height, "x", p.resize_width, " is negative");
  }
  if (!p.mean.empty() && !p.std.empty() && p.mean.size() != p.std.size()) {
    return invalid_argument("preprocessing has ", p.mean.size(), " mean values but ", p.std.size(), " std values");
  }
  for (float s : p.std) {
    if (!std::isfinite(s) || s == 0.0f) return invalid_argument("preprocessing std value ", s, " is zero or not finite");
  }
  if (!std::isfinite(p.scale)) return invalid_argument("preprocessing scale is not finite");
  for (std::size_t i = 0; i < m.golden.size(); ++i) {
    const GoldenVector& g = m.golden[i];
    if (!std::isfinite(g.atol) || g.atol < 0 || !std::isfinite(g.rtol) || g.rtol < 0) {
      return invalid_argument("golden vector ", i, " has tolerances atol=", g.atol, " rtol=", g.rtol,
                              " (must be finite and >= 0)");
    }
    for (const auto* list : {&g.inputs, &g.outputs}) {
      for (const auto& [name, tensor] : *list) {
        if (name.empty()) return invalid_argument("golden vector ", i, " has a tensor without a name");
      }
    }
  }
  return Status::ok();
}

Manifest default_manifest_for(const Graph& graph) {
  Manifest m;
  m.name = graph.name.empty() ? "model" : graph.name;
  m.inputs = graph.inputs;
  m.outputs = graph.outputs;
  return m;
}

Result<std::vector<std::uint8_t>> serialize_bundle(const Bundle& bundle, const BundleWriteOptions& options) {
  BundleWriter writer(options);
  return writer.write(bundle);
}

Status write_bundle(const Bundle& bundle, const std::string& path, const BundleWriteOptions& options) {
  Result<std::vector<std::uint8_t>> bytes = serialize_bundle(bundle, options);
  if (!bytes.is_ok()) return bytes.status().with_context(path);
  return write_file_atomically(path, *bytes);
}

Result<Bundle> read_bundle(const std::string& path) {
  Result<MappedFile> file = MappedFile::open(path);
  if (!file.is_ok()) return file.status();
  auto mapping = std::make_shared<MappedFile>(std::move(file).value());
  const std::uint8_t* data = mapping->data();
  const std::size_t size = mapping->size();
  BundleParser parser(data, std::move(mapping), path);
  return parser.parse(size);
}

Result<Bundle> read_bundle_from_memory(const std::uint8_t* data, std::size_t size, std::shared_ptr<const void> owner,
                                       std::string_view source_name) {
  if (data == nullptr && size > 0) return invalid_argument(source_name, ": null data with ", size, " bytes");
  if (size > 0 && reinterpret_cast<std::uintptr_t>(data) % kTensorAlignment != 0) {
    auto copy = std::make_shared<AlignedBuffer>(size);
    if (copy->data() == nullptr) return out_of_range(source_name, ": out of memory copying ", size, " bytes");
    std::memcpy(copy->data(), data, size);
    const auto* aligned = static_cast<const std::uint8_t*>(copy->data());
    BundleParser parser(aligned, std::move(copy), source_name);
    return parser.parse(size);
  }
  static const std::uint8_t kEmpty[1] = {0};
  BundleParser parser(size == 0 ? kEmpty : data, std::move(owner), source_name);
  return parser.parse(size);
}

}  // namespace edgeai
