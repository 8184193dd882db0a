// Loading, planning and running a bundle on a microcontroller (interpreter.hpp). The checks
// follow docs/formats/eai.md's reader, cut to what running in place needs: every offset is
// bounds-checked as it is followed, every tensor lies inside the data segment, every value has
// a static shape, and nodes come in execution order (edgeai export --c-array writes them so).
#include "micro/interpreter.hpp"

#include <cstring>

#include "micro/kernels.hpp"

namespace edgeai::micro {
namespace {

// FlatBuffers field ids of src/format/eai.fbs.
namespace fb {
enum Bundle : unsigned { kBundleManifest = 0, kBundleGraph = 1 };
enum Manifest : unsigned { kManifestPreprocessing = 7 };
enum Preprocessing : unsigned { kPreprocessingKind = 0, kPreprocessingParams = 8 };
enum KeyValue : unsigned { kKey = 0, kValue = 1 };
enum Graph : unsigned {
  kGraphInputs = 1,
  kGraphOutputs = 2,
  kGraphNodes = 3,
  kGraphConstants = 4,
  kGraphValueInfo = 5
};
enum Node : unsigned { kNodeName = 0, kNodeOpType = 1, kNodeInputs = 2, kNodeOutputs = 3 };
enum NamedTensor : unsigned { kNamedTensorName = 0, kNamedTensorTensor = 1 };
enum TensorRef : unsigned { kRefDType = 0, kRefShape = 1, kRefDataOffset = 2, kRefDataSize = 3, kRefEncoding = 4 };
enum ValueInfo : unsigned { kInfoName = 0, kInfoDType = 1, kInfoShape = 2 };
}  // namespace fb

constexpr std::uint8_t kMagic[8] = {0x45, 0x44, 0x47, 0x45, 0x41, 0x49, 0x00, 0x1A};

std::uint32_t dtype_size(DType d) {
  switch (d) {
    case DType::kFloat32:
    case DType::kInt32:
      return 4;
    case DType::kInt8:
    case DType::kUInt8:
      return 1;
    case DType::kInt64:
      return 8;
    default:
      return 0;
  }
}

// A DType this runtime stores (others are refused by name).
bool known_dtype(std::uint8_t d) { return d == 1 || d == 4 || d == 5 || d == 7 || d == 8; }

std::uint32_t align_up(std::uint32_t v) { return (v + kArenaAlignment - 1) / kArenaAlignment * kArenaAlignment; }

}  // namespace

const char* dtype_name(std::uint8_t dtype) {
  static const char* const kNames[] = {"undefined", "float32", "float16", "float64", "int8",
                                       "uint8",     "int16",   "int32",   "int64",   "bool"};
  return dtype < sizeof(kNames) / sizeof(kNames[0]) ? kNames[dtype] : "unknown";
}

Message& Message::operator<<(const char* s) {
  while (s != nullptr && *s != '\0') put(*s++);
  return *this;
}

Message& Message::operator<<(FbString s) {
  for (std::uint32_t i = 0; i < s.size; ++i) put(s.data[i]);
  return *this;
}

void Message::put_unsigned(unsigned long long v) {
  char digits[20];
  int n = 0;
  do {
    digits[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  while (n > 0) put(digits[--n]);
}

void Message::put_signed(long long v) {
  if (v < 0) {
    put('-');
    put_unsigned(~static_cast<unsigned long long>(v) + 1);
  } else {
    put_unsigned(static_cast<unsigned long long>(v));
  }
}

std::uint32_t Tensor::elements() const {
  std::uint32_t n = 1;
  for (int i = 0; i < rank; ++i) n *= static_cast<std::uint32_t>(dims[i]);
  return n;
}

std::uint8_t* Interpreter::data(const Tensor& t) const {
  if (t.constant != nullptr) return const_cast<std::uint8_t*>(t.constant);
  if (arena_ == nullptr) return nullptr;
  return arena_ + t.arena_offset;
}

Code Interpreter::load(const std::uint8_t* bundle, std::size_t size) {
  // Reset field by field: a temporary Interpreter would need its whole size of stack.
  num_tensors_ = num_nodes_ = num_inputs_ = num_outputs_ = 0;
  preprocessing_ = 0;
  summary_ = PlanSummary{};
  arena_ = nullptr;
  loaded_ = false;
  message_.clear();
  if (bundle == nullptr || size < 64) {
    message_ << "not a bundle: " << size << " bytes, the header alone is 64";
    return Code::kInvalidBundle;
  }
  for (int i = 0; i < 8; ++i) {
    if (bundle[i] != kMagic[i]) {
      message_ << "not a bundle: the magic bytes are not EDGEAI";
      return Code::kInvalidBundle;
    }
  }
  const std::uint16_t major = load_le<std::uint16_t>(bundle + 8);
  if (major != 1 && major != 2) {
    message_ << "bundle format " << major << ".x is not 1.x or 2.x";
    return Code::kUnsupported;
  }
  if ((reinterpret_cast<std::uintptr_t>(bundle) & (kArenaAlignment - 1)) != 0) {
    message_ << "the bundle must start at a " << kArenaAlignment
             << "-byte boundary (its tensors are read in place; export --c-array aligns it)";
    return Code::kInvalidBundle;
  }
  const std::uint64_t file_size = load_le<std::uint64_t>(bundle + 16);
  const std::uint64_t metadata_offset = load_le<std::uint64_t>(bundle + 24);
  const std::uint64_t metadata_size = load_le<std::uint64_t>(bundle + 32);
  data_offset_ = load_le<std::uint64_t>(bundle + 40);
  data_size_ = load_le<std::uint64_t>(bundle + 48);
  if (file_size != size) {
    message_ << "truncated or padded: the header says " << file_size << " bytes but there are " << size;
    return Code::kInvalidBundle;
  }
  if (metadata_offset < 64 || metadata_offset > size || metadata_size > size - metadata_offset || metadata_size < 8 ||
      (metadata_offset & 7) != 0 || data_offset_ > size || data_size_ > size - data_offset_ ||
      (data_offset_ & 63) != 0) {
    message_ << "corrupt header: metadata or data segment outside the file";
    return Code::kInvalidBundle;
  }
  bundle_ = bundle;
  fb_ = FbBuffer(bundle + metadata_offset, static_cast<std::uint32_t>(metadata_size));
  if (load_le<std::uint32_t>(bundle + metadata_offset + 4) !=
      load_le<std::uint32_t>(reinterpret_cast<const std::uint8_t*>("EAI1"))) {
    message_ << "corrupt metadata: no EAI1 identifier";
    return Code::kInvalidBundle;
  }
  const std::uint32_t root = fb_.root();
  const std::uint32_t graph = fb_.table(root, fb::kBundleGraph);
  if (fb_.corrupt() || graph == 0) {
    message_ << "corrupt metadata: no graph";
    return Code::kInvalidBundle;
  }
  preprocessing_ = fb_.table(fb_.table(root, fb::kBundleManifest), fb::kManifestPreprocessing);
  summary_.bundle_bytes = static_cast<std::uint32_t>(size);
  Code code = read_graph(graph);
  if (code == Code::kOk && fb_.corrupt()) {
    message_ << "corrupt metadata: an offset points outside the metadata block";
    code = Code::kInvalidBundle;
  }
  if (code != Code::kOk) return code;
  code = plan();
  if (code != Code::kOk) return code;
  loaded_ = true;
  return Code::kOk;
}

// The dtype and shape of a value or constant into `t`, with its size in bytes. A dimension
// that is negative (dynamic, -1) or absurd is `bad_dimension`: unsupported for a value, a
// corrupt file for a constant.
Code Interpreter::read_type(const char* what, std::uint8_t dtype, FbVector shape, Code bad_dimension, Tensor& t) {
  if (!known_dtype(dtype) || shape.size > static_cast<std::uint32_t>(kMaxRank)) {
    message_ << what << " '" << t.name << "' is " << dtype_name(dtype) << " of rank " << shape.size
             << ", which this runtime does not store (rank up to " << kMaxRank << ")";
    return Code::kUnsupported;
  }
  t.dtype = static_cast<DType>(dtype);
  t.rank = static_cast<std::uint8_t>(shape.size);
  std::uint64_t bytes = dtype_size(t.dtype);
  for (std::uint32_t i = 0; i < shape.size; ++i) {
    const std::int64_t d = fb_.element_value<std::int64_t>(shape, i);
    if (d < 0 || d > (1 << 24)) {
      message_ << what << " '" << t.name << "' has dimension " << d << " (a microcontroller plan needs static shapes)";
      return bad_dimension;
    }
    t.dims[i] = static_cast<std::int32_t>(d);
    bytes *= static_cast<std::uint64_t>(d);
    if (bytes > 0x7fffffffu) {
      message_ << what << " '" << t.name << "' is larger than 2 GiB";
      return Code::kUnsupported;
    }
  }
  t.bytes = static_cast<std::uint32_t>(bytes);
  return Code::kOk;
}

// A ValueInfo's dtype and static shape into a new tensor.
Code Interpreter::add_tensor_info(std::uint32_t info, std::int16_t* index) {
  if (num_tensors_ >= kMaxTensors) {
    message_ << "more than " << kMaxTensors << " values (raise kMaxTensors)";
    return Code::kUnsupported;
  }
  Tensor& t = tensors_[num_tensors_];
  t = Tensor{};
  t.name = fb_.string(info, fb::kInfoName);
  const Code code = read_type("value", fb_.scalar<std::uint8_t>(info, fb::kInfoDType, 0),
                              fb_.vector(info, fb::kInfoShape, 8), Code::kUnsupported, t);
  if (code != Code::kOk) return code;
  *index = static_cast<std::int16_t>(num_tensors_++);
  return Code::kOk;
}

Code Interpreter::find_tensor(FbString name, std::int16_t* index) {
  for (int i = num_tensors_ - 1; i >= 0; --i) {
    if (tensors_[i].name.equals(name)) {
      *index = static_cast<std::int16_t>(i);
      return Code::kOk;
    }
  }
  return Code::kInvalidBundle;
}

Code Interpreter::read_graph(std::uint32_t graph) {
  // Constants: in place in the data segment.
  const FbVector constants = fb_.vector(graph, fb::kGraphConstants, 4);
  for (std::uint32_t c = 0; c < constants.size; ++c) {
    const std::uint32_t named = fb_.element(constants, c);
    const std::uint32_t ref = fb_.table(named, fb::kNamedTensorTensor);
    const FbString name = fb_.string(named, fb::kNamedTensorName);
    if (fb_.corrupt() || ref == 0) {
      message_ << "corrupt metadata: constant " << c;
      return Code::kInvalidBundle;
    }
    if (num_tensors_ >= kMaxTensors) {
      message_ << "more than " << kMaxTensors << " values (raise kMaxTensors)";
      return Code::kUnsupported;
    }
    Tensor& t = tensors_[num_tensors_];
    t = Tensor{};
    t.name = name;
    const Code code = read_type("constant", fb_.scalar<std::uint8_t>(ref, fb::kRefDType, 0),
                                fb_.vector(ref, fb::kRefShape, 8), Code::kInvalidBundle, t);
    if (code != Code::kOk) return code;
    if (fb_.scalar<std::uint8_t>(ref, fb::kRefEncoding, 0) != 0) {
      message_
          << "constant '" << name
          << "' is entropy-coded; a microcontroller reads tensors in place (edgeai export --c-array stores them raw)";
      return Code::kUnsupported;
    }
    const std::uint64_t offset = fb_.scalar<std::uint64_t>(ref, fb::kRefDataOffset, 0);
    const std::uint64_t bytes = fb_.scalar<std::uint64_t>(ref, fb::kRefDataSize, 0);
    if (t.bytes != bytes || offset > data_size_ || bytes > data_size_ - offset || (offset & 63) != 0) {
      message_ << "constant '" << name << "': " << bytes << " bytes at " << offset
               << " do not match its shape or lie outside the data segment";
      return Code::kInvalidBundle;
    }
    t.bytes = static_cast<std::uint32_t>(bytes);
    t.constant = bundle_ + data_offset_ + offset;
    summary_.weight_bytes += t.bytes;
    ++num_tensors_;
  }

  const FbVector inputs = fb_.vector(graph, fb::kGraphInputs, 4);
  if (inputs.size == 0 || inputs.size > static_cast<std::uint32_t>(kMaxGraphInputs)) {
    message_ << "the graph has " << inputs.size << " inputs; this runtime takes 1 to " << kMaxGraphInputs;
    return Code::kUnsupported;
  }
  for (std::uint32_t i = 0; i < inputs.size; ++i) {
    std::int16_t index = 0;
    const Code code = add_tensor_info(fb_.element(inputs, i), &index);
    if (code != Code::kOk) return code;
    tensors_[index].first_use = 0;
    inputs_[num_inputs_++] = index;
  }

  // Nodes, in execution order; each output takes its shape from value_info or the graph outputs.
  const FbVector nodes = fb_.vector(graph, fb::kGraphNodes, 4);
  const FbVector value_info = fb_.vector(graph, fb::kGraphValueInfo, 4);
  const FbVector outputs = fb_.vector(graph, fb::kGraphOutputs, 4);
  if (nodes.size > static_cast<std::uint32_t>(kMaxNodes)) {
    message_ << "the graph has " << nodes.size << " nodes, above " << kMaxNodes << " (raise kMaxNodes)";
    return Code::kUnsupported;
  }
  for (std::uint32_t n = 0; n < nodes.size; ++n) {
    const std::uint32_t table = fb_.element(nodes, n);
    Node& node = nodes_[num_nodes_];
    node = Node{};
    node.name = fb_.string(table, fb::kNodeName);
    node.attributes_table = table;
    const FbString op_type = fb_.string(table, fb::kNodeOpType);
    int op = -1;
    for (int k = 0; k < op_kernel_count(); ++k) {
      if (op_type.equals(op_kernels()[k].op_type)) op = k;
    }
    if (op < 0) {
      message_ << "node '" << node.name << "': operator " << op_type << " is not in the microcontroller runtime (";
      for (int k = 0; k < op_kernel_count(); ++k) message_ << (k ? ", " : "") << op_kernels()[k].op_type;
      message_ << ")";
      return Code::kUnsupported;
    }
    node.op = static_cast<std::uint8_t>(op);
    const FbVector in = fb_.vector(table, fb::kNodeInputs, 4);
    if (in.size > static_cast<std::uint32_t>(kMaxNodeInputs)) {
      message_ << "node '" << node.name << "' has " << in.size << " inputs, above " << kMaxNodeInputs;
      return Code::kUnsupported;
    }
    node.num_inputs = static_cast<std::uint8_t>(in.size);
    for (std::uint32_t i = 0; i < in.size; ++i) {
      const FbString name = fb_.string_at(fb_.element(in, i));
      node.inputs[i] = -1;
      if (name.size == 0) continue;
      if (find_tensor(name, &node.inputs[i]) != Code::kOk) {
        message_ << "node '" << node.name << "' reads '" << name
                 << "', which no earlier node produces (nodes must be in execution order)";
        return Code::kInvalidBundle;
      }
      Tensor& t = tensors_[node.inputs[i]];
      if (!t.is_constant()) t.last_use = static_cast<std::int16_t>(num_nodes_);
    }
    const FbVector out = fb_.vector(table, fb::kNodeOutputs, 4);
    if (out.size == 0 || fb_.string_at(fb_.element(out, 0)).size == 0) {
      message_ << "node '" << node.name << "' has no output";
      return Code::kInvalidBundle;
    }
    for (std::uint32_t i = 1; i < out.size; ++i) {
      if (fb_.string_at(fb_.element(out, i)).size != 0) {
        message_ << "node '" << node.name << "': a second output is not supported";
        return Code::kUnsupported;
      }
    }
    const FbString out_name = fb_.string_at(fb_.element(out, 0));
    std::uint32_t info = 0;
    for (std::uint32_t v = 0; v < value_info.size && info == 0; ++v) {
      const std::uint32_t candidate = fb_.element(value_info, v);
      if (fb_.string(candidate, fb::kInfoName).equals(out_name)) info = candidate;
    }
    for (std::uint32_t v = 0; v < outputs.size && info == 0; ++v) {
      const std::uint32_t candidate = fb_.element(outputs, v);
      if (fb_.string(candidate, fb::kInfoName).equals(out_name)) info = candidate;
    }
    if (info == 0 || fb_.corrupt()) {
      message_ << "value '" << out_name
               << "' has no type and shape in the bundle (edgeai export --c-array writes them for every value)";
      return Code::kInvalidBundle;
    }
    const Code code = add_tensor_info(info, &node.output);
    if (code != Code::kOk) return code;
    tensors_[node.output].first_use = static_cast<std::int16_t>(num_nodes_);
    tensors_[node.output].last_use = static_cast<std::int16_t>(num_nodes_);
    ++num_nodes_;
  }

  if (outputs.size == 0 || outputs.size > static_cast<std::uint32_t>(kMaxGraphOutputs)) {
    message_ << "the graph has " << outputs.size << " outputs; this runtime takes 1 to " << kMaxGraphOutputs;
    return Code::kUnsupported;
  }
  for (std::uint32_t i = 0; i < outputs.size; ++i) {
    const FbString name = fb_.string(fb_.element(outputs, i), fb::kInfoName);
    std::int16_t index = 0;
    if (find_tensor(name, &index) != Code::kOk || tensors_[index].is_constant()) {
      message_ << "graph output '" << name << "' is not computed by a node";
      return Code::kInvalidBundle;
    }
    tensors_[index].last_use = static_cast<std::int16_t>(num_nodes_);
    outputs_[num_outputs_++] = index;
  }

  for (int n = 0; n < num_nodes_; ++n) {
    const Code code = op_kernels()[nodes_[n].op].prepare(*this, nodes_[n]);
    if (code != Code::kOk) return code;
  }
  summary_.nodes = static_cast<std::uint32_t>(num_nodes_);
  summary_.tensors = static_cast<std::uint32_t>(num_tensors_);
  return Code::kOk;
}

// Greedy placement by size (as TFLite Micro's greedy planner): the largest buffer first, each at
// the lowest offset where it overlaps no placed buffer whose lifetime it shares. Buffers are the
// activations (live from their producer to their last reader) and each node's scratch (live
// during the node). Offsets depend only on sizes and lifetimes, so the host and the device plan
// the same arena.
Code Interpreter::plan() {
  struct Buffer {
    std::uint32_t bytes;
    std::int16_t first, last;
    std::int32_t* offset;
  };
  Buffer buffers[kMaxTensors + kMaxNodes];
  int count = 0;
  for (int i = 0; i < num_tensors_; ++i) {
    Tensor& t = tensors_[i];
    if (t.is_constant()) continue;
    if (t.last_use < t.first_use) t.last_use = t.first_use;
    buffers[count++] = {align_up(t.bytes), t.first_use, t.last_use, &t.arena_offset};
    summary_.activation_bytes += t.bytes;
  }
  for (int n = 0; n < num_nodes_; ++n) {
    Node& node = nodes_[n];
    if (node.scratch_bytes == 0) continue;
    buffers[count++] = {align_up(node.scratch_bytes), static_cast<std::int16_t>(n), static_cast<std::int16_t>(n),
                        &node.scratch_offset};
    if (node.scratch_bytes > summary_.scratch_bytes) summary_.scratch_bytes = node.scratch_bytes;
  }
  // Insertion sort, largest first; ties keep their order so the plan is deterministic.
  for (int i = 1; i < count; ++i) {
    const Buffer b = buffers[i];
    int j = i - 1;
    while (j >= 0 && buffers[j].bytes < b.bytes) {
      buffers[j + 1] = buffers[j];
      --j;
    }
    buffers[j + 1] = b;
  }
  std::uint64_t arena = 0;
  for (int i = 0; i < count; ++i) {
    Buffer& b = buffers[i];
    std::uint64_t offset = 0;
    // Move past every placed, lifetime-sharing buffer that overlaps, until none does.
    for (bool moved = true; moved;) {
      moved = false;
      for (int j = 0; j < i; ++j) {
        const Buffer& p = buffers[j];
        if (p.last < b.first || b.last < p.first) continue;
        const std::uint64_t start = static_cast<std::uint64_t>(*p.offset);
        if (offset < start + p.bytes && start < offset + b.bytes) {
          offset = start + p.bytes;
          moved = true;
        }
      }
    }
    if (offset + b.bytes > 0x7fffffffu) {
      message_ << "the arena would exceed 2 GiB";
      return Code::kUnsupported;
    }
    *b.offset = static_cast<std::int32_t>(offset);
    if (offset + b.bytes > arena) arena = offset + b.bytes;
  }
  summary_.arena_bytes = static_cast<std::uint32_t>(arena);
  return Code::kOk;
}

Code Interpreter::allocate(std::uint8_t* arena, std::size_t bytes) {
  message_.clear();
  if (!loaded_) {
    message_ << "allocate() before a successful load()";
    return Code::kNotReady;
  }
  if (bytes < summary_.arena_bytes) {
    message_ << "the arena of " << bytes << " bytes is smaller than the " << summary_.arena_bytes
             << " bytes this model's plan needs";
    return Code::kArenaTooSmall;
  }
  if ((reinterpret_cast<std::uintptr_t>(arena) & (kArenaAlignment - 1)) != 0) {
    message_ << "the arena must start at a " << kArenaAlignment << "-byte boundary";
    return Code::kArenaTooSmall;
  }
  arena_ = arena;
  return Code::kOk;
}

Code Interpreter::invoke() {
  if (arena_ == nullptr) {
    message_.clear();
    message_ << "invoke() before a successful allocate()";
    return Code::kNotReady;
  }
  for (int n = 0; n < num_nodes_; ++n) {
    if (observer_ != nullptr) observer_(observer_context_, n, false);
    const Code code = op_kernels()[nodes_[n].op].invoke(*this, nodes_[n]);
    if (observer_ != nullptr) observer_(observer_context_, n, true);
    if (code != Code::kOk) return code;
  }
  return Code::kOk;
}

const char* Interpreter::node_op_type(int node) const { return op_kernels()[nodes_[node].op].op_type; }

FbString Interpreter::preprocessing_kind() const { return fb_.string(preprocessing_, fb::kPreprocessingKind); }

FbString Interpreter::preprocessing_param(const char* key) const {
  const FbVector params = fb_.vector(preprocessing_, fb::kPreprocessingParams, 4);
  for (std::uint32_t i = 0; i < params.size; ++i) {
    const std::uint32_t kv = fb_.element(params, i);
    if (fb_.string(kv, fb::kKey).equals(key)) return fb_.string(kv, fb::kValue);
  }
  return {};
}

const std::int8_t* Interpreter::quantized_output(int i, float* scale, std::int32_t* zero_point) const {
  const std::int16_t out = outputs_[i];
  for (int n = num_nodes_ - 1; n >= 0; --n) {
    const Node& node = nodes_[n];
    if (node.output != out) continue;
    if (std::strcmp(op_kernels()[node.op].op_type, "DequantizeLinear") != 0) return nullptr;
    const Tensor& x = tensors_[node.inputs[0]];
    const Tensor& s = tensors_[node.inputs[1]];
    *scale = load_le<float>(data(s));
    *zero_point = node.num_inputs > 2 && node.inputs[2] >= 0
                      ? *reinterpret_cast<const std::int8_t*>(data(tensors_[node.inputs[2]]))
                      : 0;
    return x.dtype == DType::kInt8 ? reinterpret_cast<const std::int8_t*>(data(x)) : nullptr;
  }
  return nullptr;
}

}  // namespace edgeai::micro
