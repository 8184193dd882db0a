// The microcontroller runtime's operators: one table entry per ONNX / com.microsoft operator an
// int8 bundle from `edgeai compress` uses, each a prepare step (operand checks, parameters,
// scratch size; once, at load) and an invoke step. The integer arithmetic is
// kernels/quantization.hpp's, the same functions the host's reference kernels call, so the
// micro kernels compute what the host computes bit for bit (tested in tests/micro). The
// convolution and fully connected layers also have Cortex-M DSP forms (kernels_dsp.cpp,
// SIMD32 multiply-accumulate), tested against these.
#pragma once

#include "micro/interpreter.hpp"

namespace edgeai::micro {

struct OpKernel {
  const char* op_type;
  Code (*prepare)(Interpreter& interpreter, Node& node);
  Code (*invoke)(Interpreter& interpreter, const Node& node);
};

// The operators this runtime runs, and how many there are.
const OpKernel* op_kernels();
int op_kernel_count();

// Attribute lookups on a node (FlatBuffers `Attribute` by name).
std::int64_t attr_int(const Interpreter& interpreter, const Node& node, const char* name, std::int64_t fallback);
float attr_float(const Interpreter& interpreter, const Node& node, const char* name, float fallback);
FbString attr_string(const Interpreter& interpreter, const Node& node, const char* name);
// Copies up to `capacity` values of an ints attribute; returns how many it has (-1: absent).
int attr_ints(const Interpreter& interpreter, const Node& node, const char* name, std::int64_t* out, int capacity);

// The integer convolution and matrix product, reference and DSP forms share these signatures.
struct ConvOperands {
  const std::int8_t* x;
  const std::int8_t* w;
  const std::int32_t* bias;  // may be null
  std::int8_t* y;
  std::int32_t x_zero_point;
  const std::int8_t* w_zero_points;  // one per output channel when per_channel, else one
  const float* scales;               // x_scale * w_scale[m] / y_scale in float32, per output channel
  std::int32_t y_zero_point;
};
void conv_reference(const ConvParams& p, const ConvOperands& o);
// The DSP form: SMLAD over int16 pairs; `scratch` holds conv_dsp_scratch_bytes(p).
void conv_dsp(const ConvParams& p, const ConvOperands& o, std::int16_t* scratch);
std::uint32_t conv_dsp_scratch_bytes(const ConvParams& p);
// True when every accumulator of this convolution fits int32 without saturation, so that a
// wrapping SIMD32 accumulation equals the reference's saturated sum.
bool conv_accumulators_fit_int32(const ConvParams& p, const std::int32_t* bias);

struct GemmOperands {
  const std::int8_t* a;
  const std::int8_t* b;
  const std::int32_t* bias;  // C, one per column, may be null
  std::int8_t* y;
  std::int32_t a_zero_point;
  const std::int8_t* b_zero_points;  // one per column when per_column, else one
  const float* scales;               // a_scale * b_scale[j] / y_scale, per column
  std::int32_t y_zero_point;
};
void gemm_reference(const GemmParams& p, const GemmOperands& o);
void gemm_dsp(const GemmParams& p, const GemmOperands& o, std::int16_t* scratch);
std::uint32_t gemm_dsp_scratch_bytes(const GemmParams& p);
bool gemm_accumulators_fit_int32(const GemmParams& p, const std::int32_t* bias);

// Which form ran the products: "dsp" where the compiler targets the Cortex-M DSP extension,
// "reference" elsewhere (EDGEAI_MICRO_REFERENCE forces the reference).
const char* product_kernels_name();

}  // namespace edgeai::micro
