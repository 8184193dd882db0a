// IR -> ONNX: writes a Graph as an ONNX ModelProto (opset 13, IR version 7) that ONNX Runtime
// loads. Quantised operators are written in QDQ form (DequantizeLinear -> float op ->
// QuantizeLinear), which ORT fuses back into int8 kernels; fused activations become standard
// nodes again. Keeps protobuf types out of this interface.
#pragma once

#include <map>
#include <string>

#include "core/status.hpp"
#include "graph/graph.hpp"

namespace edgeai {

// The default-domain opset and IR version of every exported model (IR 7 is the version of ONNX
// 1.8, which introduced opset 13).
constexpr int kExportOnnxOpset = 13;
constexpr int kExportOnnxIrVersion = 7;

struct ExportOptions {
  std::string producer_version = "0.1.0";
  // Evaluates constant-only nodes first (graph/passes fold_constants with the reference kernels),
  // so weight-only graphs (DequantizeInt4, Cast of float16 weights) export as float32 weights.
  // Without it such nodes have no ONNX form and the export fails naming them.
  bool fold_constants = true;
  // Writes int8 activations as uint8 with the same real values (q + 128, zero point + 128);
  // constant weights stay int8. ONNX Runtime fuses QDQ Conv/MatMul with int8 activations into
  // its integer kernels only on ARM; on x86 it wants uint8 activations (U8S8) and otherwise runs
  // DequantizeLinear -> float op -> QuantizeLinear. An int8 graph input/output is an error.
  bool uint8_activations = false;
  // ModelProto.metadata_props (e.g. the bundle's name, version and labels).
  std::map<std::string, std::string> metadata;
};

// The serialized ModelProto of `graph`. Float operators are written as they are (fused
// activations as separate nodes); QLinearConv, QGemm, QLinearMatMul, QLinearAdd, QLinearMul,
// QLinearConcat, QLinearAveragePool and QLinearGlobalAveragePool as DequantizeLinear -> float
// operator -> QuantizeLinear; QLinearLookup as an exact integer Cast -> Add -> Gather. The model
// passes onnx::checker before it is returned. An operator or attribute with no opset-13 form is
// an error naming the node.
Result<std::string> export_onnx(const Graph& graph, const ExportOptions& options = {});
// The same, written to `path`; errors start with the path.
Status export_onnx_file(const Graph& graph, const std::string& path, const ExportOptions& options = {});

}  // namespace edgeai
