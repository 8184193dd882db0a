// The microcontroller runtime: runs an int8 `.eai` bundle that lies in flash, in place, with
// one arena the caller hands in. C++ without exceptions, RTTI, heap, threads or files; errors
// are codes with a message in the interpreter (no printf). Capacities are fixed at compile
// time (kMax* below), so the interpreter object's size is known at link time; the arena holds
// only the activations and kernel scratch, planned once at load() from the bundle's value
// shapes, so its size is the same number on the host (`edgeai inspect --mcu`) and on the
// device. docs/mcu.md explains the build; examples/mcu-ecg is a firmware that uses it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "micro/flatbuffer.hpp"

namespace edgeai::micro {

inline constexpr int kMaxTensors = 160;
inline constexpr int kMaxNodes = 64;
inline constexpr int kMaxNodeInputs = 11;  // QLinearConcat of three inputs
inline constexpr int kMaxRank = 4;
inline constexpr int kMaxGraphInputs = 4;
inline constexpr int kMaxGraphOutputs = 4;
// Arena offsets are multiples of this (int32 scratch, word loads of int8 data).
inline constexpr std::uint32_t kArenaAlignment = 16;

// The bundle's DType numbers (src/format/eai.fbs).
enum class DType : std::uint8_t { kUndefined = 0, kFloat32 = 1, kInt8 = 4, kUInt8 = 5, kInt32 = 7, kInt64 = 8 };
const char* dtype_name(std::uint8_t dtype);

enum class Code : std::uint8_t {
  kOk = 0,
  kInvalidBundle,  // not a bundle, corrupt, or an inconsistent graph
  kUnsupported,    // a valid bundle this runtime cannot run (operator, type, capacity)
  kArenaTooSmall,  // allocate() got fewer bytes than arena_bytes()
  kNotReady,       // invoke() before a successful allocate()
  kKernelError,    // a kernel refused its operands at run time
};

// A fixed-size message, appended to without allocation; long text is cut.
class Message {
 public:
  void clear() {
    size_ = 0;
    text_[0] = '\0';
  }
  Message& operator<<(const char* s);
  Message& operator<<(FbString s);
  // Any integer (int64_t is long on the host and long long on Cortex-M).
  template <typename T>
  requires std::is_integral_v<T> Message& operator<<(T v) {
    if constexpr (std::is_signed_v<T>) {
      put_signed(static_cast<long long>(v));
    } else {
      put_unsigned(static_cast<unsigned long long>(v));
    }
    return *this;
  }
  const char* c_str() const { return text_; }

 private:
  void put_signed(long long v);
  void put_unsigned(unsigned long long v);
  void put(char c) {
    if (size_ + 1 < sizeof(text_)) {
      text_[size_++] = c;
      text_[size_] = '\0';
    }
  }
  char text_[192] = {};
  std::size_t size_ = 0;
};

// Tensor and Node default to all zeros, so that a static Interpreter is zero-initialised
// (.bss, not a copy in flash); load() sets every field it relies on.
struct Tensor {
  DType dtype = DType::kUndefined;
  std::uint8_t rank = 0;
  std::int32_t dims[kMaxRank] = {};
  std::uint32_t bytes = 0;
  const std::uint8_t* constant = nullptr;    // a weight or parameter in the bundle
  std::int32_t arena_offset = 0;             // an activation: where the plan put it
  std::int16_t first_use = 0, last_use = 0;  // the nodes that write it first and read it last
  FbString name;

  std::uint32_t elements() const;
  bool is_constant() const { return constant != nullptr; }
};

// What a kernel needs of its node beyond the tensors; filled by the op's prepare().
struct ConvParams {
  std::int32_t in_channels, in_h, in_w, out_channels, out_h, out_w;
  std::int32_t kernel_h, kernel_w, stride_h, stride_w, pad_top, pad_left, dilation_h, dilation_w, group;
  std::int32_t act_lo, act_hi;  // the output clamp (type range with a fused Relu/Clip)
  bool per_channel;             // w_scale / w_zero_point per output channel
};
struct PoolParams {
  std::int32_t channels, in_h, in_w, out_h, out_w;
  std::int32_t kernel_h, kernel_w, stride_h, stride_w, pad_top, pad_left, dilation_h, dilation_w;
};
struct GemmParams {
  std::int32_t m, k, n;
  bool trans_a, trans_b, per_column;
  std::int32_t act_lo, act_hi;
};
struct ConcatParams {
  std::int32_t outer;
  std::int32_t inner;  // elements after the axis (of the output)
};

struct Node {
  std::uint8_t op = 0;  // index into the op table (kernels.hpp)
  std::uint8_t num_inputs = 0;
  std::int16_t inputs[kMaxNodeInputs] = {};  // -1: an absent optional input
  std::int16_t output = 0;
  FbString name;
  std::uint32_t attributes_table = 0;  // the FlatBuffers node table, for attribute lookups
  std::uint32_t scratch_bytes = 0;
  std::int32_t scratch_offset = 0;  // planned when scratch_bytes > 0
  union {
    ConvParams conv;
    PoolParams pool;
    GemmParams gemm;
    ConcatParams concat;
  } params = {};
};

// What load() learned: the numbers `edgeai inspect --mcu` prints.
struct PlanSummary {
  std::uint32_t arena_bytes = 0;       // activations + scratch at their planned offsets
  std::uint32_t activation_bytes = 0;  // the sum of every activation's size (no reuse)
  std::uint32_t scratch_bytes = 0;     // the largest scratch of one node
  std::uint32_t weight_bytes = 0;      // constants read in place from flash
  std::uint32_t bundle_bytes = 0;
  std::uint32_t nodes = 0, tensors = 0;
};

class Interpreter {
 public:
  // Reads `bundle` (which must stay where it is: tensors are used in place) and plans the
  // arena. Needs no memory of its own beyond this object.
  Code load(const std::uint8_t* bundle, std::size_t size);
  // The arena the plan needs; valid after load().
  std::uint32_t arena_bytes() const { return summary_.arena_bytes; }
  const PlanSummary& summary() const { return summary_; }
  // Hands the arena in (aligned to kArenaAlignment). A smaller one fails with both numbers in
  // the message and nothing written to it.
  Code allocate(std::uint8_t* arena, std::size_t bytes);
  Code invoke();

  // Called before (done = false) and after (done = true) each node of invoke(), e.g. to time
  // the layers; nullptr (the default) calls nothing.
  using NodeObserver = void (*)(void* context, int node, bool done);
  void set_node_observer(NodeObserver observer, void* context) {
    observer_ = observer;
    observer_context_ = context;
  }
  int node_count() const { return num_nodes_; }
  FbString node_name(int node) const { return nodes_[node].name; }
  const char* node_op_type(int node) const;

  int input_count() const { return num_inputs_; }
  int output_count() const { return num_outputs_; }
  const Tensor& input(int i) const { return tensors_[inputs_[i]]; }
  const Tensor& output(int i) const { return tensors_[outputs_[i]]; }
  // Data of an activation (inputs, outputs, intermediates) after allocate(); constant data otherwise.
  std::uint8_t* data(const Tensor& t) const;
  template <typename T>
  T* input_data(int i) const {
    return reinterpret_cast<T*>(data(input(i)));
  }
  template <typename T>
  const T* output_data(int i) const {
    return reinterpret_cast<const T*>(data(output(i)));
  }
  // When output i is a DequantizeLinear's result: its int8 input (what the int8 graph computed)
  // and the scale and zero point that turn it into the output; nullptr otherwise.
  const std::int8_t* quantized_output(int i, float* scale, std::int32_t* zero_point) const;

  const char* error() const { return message_.c_str(); }

  // The manifest's preprocessing: its kind ("ecg_beat", "image", ...) and a parameter by key
  // (empty when absent), read in place.
  FbString preprocessing_kind() const;
  FbString preprocessing_param(const char* key) const;

  // For the kernels.
  const Tensor& tensor(int index) const { return tensors_[index]; }
  Message& message() { return message_; }
  const FbBuffer& metadata() const { return fb_; }
  std::uint8_t* scratch(const Node& node) const { return arena_ + node.scratch_offset; }

 private:
  Code read_graph(std::uint32_t graph);
  Code read_type(const char* what, std::uint8_t dtype, FbVector shape, Code bad_dimension, Tensor& t);
  Code add_tensor_info(std::uint32_t value_info, std::int16_t* index);
  Code find_tensor(FbString name, std::int16_t* index);
  Code plan();

  FbBuffer fb_;
  std::uint32_t preprocessing_ = 0;  // the Preprocessing table, 0 when absent
  const std::uint8_t* bundle_ = nullptr;
  std::uint64_t data_offset_ = 0, data_size_ = 0;
  Tensor tensors_[kMaxTensors];
  Node nodes_[kMaxNodes];
  std::int16_t inputs_[kMaxGraphInputs] = {}, outputs_[kMaxGraphOutputs] = {};
  int num_tensors_ = 0, num_nodes_ = 0, num_inputs_ = 0, num_outputs_ = 0;
  PlanSummary summary_;
  std::uint8_t* arena_ = nullptr;
  bool loaded_ = false;
  NodeObserver observer_ = nullptr;
  void* observer_context_ = nullptr;
  Message message_;
};

}  // namespace edgeai::micro
