// ONNX -> IR. Translates a ModelProto (default domain, opsets 11 to 17; see kMinOnnxOpset) into
// a Graph with the IR's opset-13 operator forms, then runs the graph passes the options ask for.
// Keeps protobuf types out of this interface.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>

#include "core/shape.hpp"
#include "core/status.hpp"
#include "graph/graph.hpp"

namespace edgeai {

// The default-domain opsets the importer understands: 11 to 17 (the newest ONNX 1.12 defines),
// with opsets 11 and 12 rewritten into the IR's opset-13 forms. A model of an older opset is
// accepted when each of its operators is unchanged between its opset and 11 (ONNX's registry
// says so); otherwise the error names the operator to convert.
constexpr int kMinOnnxOpset = 11;
constexpr int kMaxOnnxOpset = 17;

struct ImportOptions {
  bool fold_constants = true;     // constant subgraphs (and Shape of static shapes) become constants
  bool fold_batchnorm = true;     // Conv -> BatchNormalization becomes one Conv
  bool fuse_activations = true;   // Conv/Gemm/... -> Relu/Clip/... becomes one node
  bool remove_dead_nodes = true;  // Identity/Dropout bypassed, unused nodes and constants dropped
  // Replaces the declared shape of these graph inputs (to pin symbolic dims such as the batch).
  // Symbolic dims not named here stay kUnknownDim; the runtime resolves them from actual inputs.
  std::map<std::string, Shape> input_shapes;
};

// Imports an .onnx file; every error message starts with `path`.
Result<Graph> import_onnx_file(const std::string& path, const ImportOptions& options = {});
// Imports a serialized ModelProto; every error message starts with `source_name`.
Result<Graph> import_onnx_bytes(const void* data, std::size_t size, std::string_view source_name,
                                const ImportOptions& options = {});

}  // namespace edgeai
