// int8 post-training quantisation: rewrites a float32 graph into one whose quantisable layers
// run as integer operators (QLinearConv, QGemm, QLinearMatMul, QLinearAdd, ... see
// docs/formats/quantization.md), with per-channel symmetric int8 weights, per-tensor asymmetric
// int8 activations from calibrated ranges, and int32 bias. Layers that cannot be quantised stay
// in float behind DequantizeLinear/QuantizeLinear; graph inputs and outputs stay float32, so the
// model's interface does not change. Tool side (compress); depends on graph and kernels' math.
#pragma once

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "compress/gptq.hpp"
#include "core/status.hpp"
#include "graph/graph.hpp"
#include "kernels/quantization.hpp"

namespace edgeai {

// Splits activations that int8 kernels do not apply in their epilogue (everything but Relu and
// Clip: LeakyRelu, HardSwish, Sigmoid, ...) off the node they were fused into, so calibration sees
// the pre-activation values and the activation becomes its own lookup-table layer. Returns the
// count split.
int split_unfusable_activations(Graph& graph);

// The float32 values whose ranges quantisation needs: graph inputs and node outputs.
std::vector<std::string> values_to_calibrate(const Graph& graph);

struct QuantizeOptions {
  std::set<std::string> keep_float;  // node names to leave in float32 (mixed precision)
  bool strict = false;               // an operator that cannot be quantised is an error, not a warning
  // Bias correction (Nagel et al., "Data-Free Quantization", 2019): per float value, the mean of
  // each channel on the calibration data. For a Conv or Gemm whose input has them, the bias
  // absorbs the mean shift the weight rounding causes: b[m] -= sum over (c, k) of
  // (dequantised w - w)[m, c, k] * mean[c]. Not owned; nullptr: no correction.
  const std::map<std::string, std::vector<double>>* channel_means = nullptr;
  // GPTQ weight rounding (compress/gptq.hpp): per Conv/Gemm/MatMul node name, the covariance of
  // its inputs on the calibration data; those layers' weights are rounded by GPTQ, the others
  // to nearest. Not owned; nullptr: nearest rounding everywhere.
  const std::map<std::string, InputCovariance>* input_covariances = nullptr;
  // The activations' integer type: int8 (asymmetric, per tensor) or int16 (symmetric, zero point
  // 0: the "16x8" scheme, int16 activations with int8 weights, for models whose 8-bit activations
  // lose too much). With int16, Add/Mul and the lookup-table functions have no integer kernel and
  // stay float32.
  DType activation_type = DType::kInt8;
};

// What became of one node of the float graph.
struct LayerDecision {
  std::string node;
  std::string op_type;
  bool quantized = false;
  std::string quantized_op;  // e.g. "QLinearConv"; empty when float
  std::string reason;        // why it stayed float
};

struct QuantizedGraph {
  Graph graph;
  std::vector<LayerDecision> layers;  // in the float graph's node order
  // Per float value that has an integer version (int8, or int16 with int16 activations): its
  // name in `graph` and its parameters.
  std::map<std::string, std::string> int8_value_of;
  std::map<std::string, quant::QuantParams> params_of;
  DType activation_type = DType::kInt8;  // of every integer activation (QuantizeOptions::activation_type)
};

// Rewrites `graph` (float32, after split_unfusable_activations) given the calibrated range of
// every value values_to_calibrate() named. A missing range leaves that value's layers in float.
Result<QuantizedGraph> quantize_int8(const Graph& graph, const std::map<std::string, std::pair<float, float>>& ranges,
                                     const QuantizeOptions& options = {});

}  // namespace edgeai
