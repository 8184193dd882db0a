// Internal to the ONNX importer: conversions from onnx protobuf messages to core types.
// Includes protobuf headers, so only import/onnx/*.cpp may include it.
#pragma once

#include <onnx/onnx_pb.h>

#include <optional>
#include <string>

#include "core/dtype.hpp"
#include "core/status.hpp"
#include "core/tensor.hpp"
#include "graph/attribute.hpp"

namespace edgeai {

// TensorProto.DataType -> DType; nullopt for types edgeai has no dtype for (string, uint16,
// uint32, uint64, complex, bfloat16).
std::optional<DType> dtype_from_onnx(int data_type);
// Name of an ONNX TensorProto.DataType for messages ("STRING", "BFLOAT16", ...).
std::string onnx_dtype_name(int data_type);

// A deep copy of `proto`'s data, from raw_data or the typed field (float_data, int32_data,
// int64_data, double_data). Externally stored data, unsupported types and a data size that does
// not match the dims are errors naming the tensor.
Result<Tensor> tensor_from_proto(const onnx::TensorProto& proto);

// One node attribute; graph, sparse-tensor, tensor-list and type attributes are unsupported.
// Errors start with `node_desc` ("Conv 'conv1'") and name the attribute.
Result<Attribute> attribute_from_proto(const onnx::AttributeProto& proto, const std::string& node_desc);

}  // namespace edgeai
