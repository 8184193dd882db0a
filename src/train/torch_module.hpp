// GraphModule: an IR Graph as a libtorch module, so a model declared in the IR (by the
// GraphBuilder, a config, or an imported ONNX file) trains with autograd and goes back into
// the IR unchanged in structure. Tools side: links libtorch; nothing on the device includes it.
//
// Errors: the constructor throws std::runtime_error naming the node for a graph it cannot run
// (unsupported operator or attribute); GraphModule::create() returns that as a Status instead.
// forward() throws what torch throws (c10::Error, a std::exception) for inputs of the wrong
// shape. Everything else in the train layer returns Status / Result.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "core/status.hpp"
#include "graph/graph.hpp"

namespace edgeai {

// Fake quantisation for quantisation-aware training (train/qat.hpp): the forward pass computes
// exactly what the int8 model computes at the quantisation points, in float.
//
// An activation (graph input, node output or constant operand) with per-tensor asymmetric
// parameters becomes (clamp(round_half_to_even(x / scale) + zero_point, qmin, qmax) -
// zero_point) * scale: ONNX QuantizeLinear then DequantizeLinear, computed with the same float32
// division and rounding as quant::quantize_value (kernels/quantization.hpp), so it is bit for bit
// the value the runtime's QuantizeLinear/DequantizeLinear give. Gradient: straight-through
// inside the representable range [(qmin - zero_point) * scale, (qmax - zero_point) * scale],
// zero outside (the clamp cuts the dependence there).
struct ActivationQuantization {
  float scale = 1.0f;
  std::int32_t zero_point = 0;
  std::int32_t qmin = -128;
  std::int32_t qmax = 127;
};

struct FakeQuantization {
  // Per value name: its int8 parameters (fixed, from calibration).
  std::map<std::string, ActivationQuantization> activations;
  // Per weight constant: the output-channel axis of its symmetric per-channel int8 form, as the
  // compressor quantises Conv/Gemm/MatMul weights (compress/quantize.cpp): scale[c] =
  // max|w[c]| / 127 (1 for an all-zero channel), recomputed from the current weights in every
  // forward; q = clamp(round_half_to_even(w / scale[c]), -127, 127). Straight-through gradient.
  std::map<std::string, std::int64_t> weights;

  bool empty() const { return activations.empty() && weights.empty(); }
};

// The two fake quantisers on their own (used by GraphModule::forward; exposed for tests).
torch::Tensor fake_quantize_activation(const torch::Tensor& x, const ActivationQuantization& params);
torch::Tensor fake_quantize_weight_per_channel(const torch::Tensor& w, std::int64_t axis);

// Interprets the nodes with torch ops following the IR's semantics (ONNX opset 13, the
// reference kernels): Conv 1-D/2-D/3-D (asymmetric pads, groups, dilations, auto_pad), Gemm,
// MatMul, Add/Sub/Mul/Div, Relu, Clip, LeakyRelu, Sigmoid, Tanh, HardSigmoid, HardSwish,
// Softmax, LogSoftmax, MaxPool, AveragePool (ceil_mode, count_include_pad, asymmetric pads),
// GlobalAveragePool, GlobalMaxPool, BatchNormalization, Concat, Reshape, Flatten, Transpose,
// Squeeze, Unsqueeze, Dropout, Identity, and fused `activation` attributes.
//
// Trainable parameters: float32 constants read as Conv/Gemm weight or bias, either MatMul
// operand, and BatchNormalization scale/bias. BatchNormalization mean/var are buffers (updated in
// train() mode with torch's momentum = 1 - the ONNX momentum attribute). Every other constant is
// a buffer too (so to(device) moves it) but is never trained nor written back. Names are the
// constant names with every character outside [A-Za-z0-9_] replaced by '_' ("conv1.weight" ->
// "conv1_weight"), made unique with a suffix.
class GraphModule : public torch::nn::Module {
 public:
  // Takes the graph (validated here: shapes are inferred, nodes sorted). Throws
  // std::runtime_error("GraphModule 'name': ...") naming the node it cannot interpret.
  explicit GraphModule(Graph graph);
  // The same, with the error as a Status (kUnsupported for an operator, else kInvalidArgument).
  static Result<std::shared_ptr<GraphModule>> create(Graph graph);

  // One tensor per graph input, in graph().inputs order (float32, [N, ...] on the module's
  // device); returns one tensor per graph output. Dropout drops and BatchNormalization uses
  // batch statistics only in train() mode.
  std::vector<torch::Tensor> forward(const std::vector<torch::Tensor>& inputs);

  // Fake quantisation from now on, in train and eval mode alike: every value named in
  // fq.activations is replaced by its fake-quantised version where it is produced (graph inputs
  // on entry, constants before the first node), every weight in fq.weights is fake-quantised
  // per channel in each forward. Values not named stay float. An empty `fq` turns it off.
  // Errors: a name that is not a float32 value of the graph, a weight that is not a float32
  // constant, an axis outside its rank, a non-positive scale or a zero point outside [qmin, qmax].
  Status set_fake_quantization(FakeQuantization fq);
  const FakeQuantization& fake_quantization() const { return fake_quantization_; }

  // The graph with the current parameter and BatchNormalization statistics values copied into
  // its constants (float32, contiguous, on the CPU). Structure and other constants unchanged;
  // weights are the float ones (fake quantisation is not applied to them).
  Graph to_graph() const;

  // The graph as given (constants hold the initial values, not the trained ones).
  const Graph& graph() const { return graph_; }
  // Graph input names, in forward()'s order.
  std::vector<std::string> input_names() const;
  // The constant (IR value) name behind each trainable parameter / buffer, in registration order.
  const std::vector<std::string>& parameter_constants() const { return parameter_constants_; }
  const std::vector<std::string>& statistic_constants() const { return statistic_constants_; }

  struct Step;  // one node compiled to a torch call (defined in the .cpp)

 private:
  Graph graph_;
  std::vector<std::shared_ptr<Step>> steps_;
  std::vector<torch::Tensor> slot_init_;  // per value slot: the constant's tensor, or undefined
  std::vector<int> input_slots_;
  std::vector<int> output_slots_;
  std::size_t slot_count_ = 0;
  std::vector<std::string> parameter_constants_;
  std::vector<torch::Tensor> parameter_tensors_;
  std::vector<std::string> statistic_constants_;
  std::vector<torch::Tensor> statistic_tensors_;
  std::map<std::string, int> slot_of_value_;  // every value name (input, constant, node output)
  FakeQuantization fake_quantization_;
  // Per slot, from fake_quantization_: activation parameters, and the weight's channel axis.
  std::vector<std::optional<ActivationQuantization>> slot_activation_fq_;
  std::vector<std::optional<std::int64_t>> slot_weight_fq_;
};

// The IR dtype <-> torch scalar type and tensor copies (always CPU, contiguous, owned).
Result<torch::Tensor> to_torch(const Tensor& tensor);
Result<Tensor> from_torch(const torch::Tensor& tensor);

}  // namespace edgeai
