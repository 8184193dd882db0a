// Internal to the ONNX importer: when each default-domain operator last changed, from ONNX's
// own operator registry (libonnx), so that a model of an old opset is accepted exactly for the
// operators whose definition has not changed since.
#pragma once

#include <onnx/onnx_pb.h>

#include <optional>
#include <string>

#include "core/status.hpp"

namespace edgeai {

// The opset in which the definition of `op_type` valid at `opset` was introduced (its
// since_version); nullopt if ONNX defines no such operator at that opset.
std::optional<int> onnx_operator_since_version(const std::string& op_type, int opset);

// onnx.version_converter (libonnx's C++ one): `model` rewritten to default-domain opset
// `target_opset`. Its exceptions become an error with the converter's message.
Result<onnx::ModelProto> convert_model_opset(const onnx::ModelProto& model, int target_opset);

}  // namespace edgeai
