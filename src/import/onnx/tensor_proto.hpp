// Reading ONNX TensorProto files (the input_N.pb / output_N.pb of the ONNX node tests) into
// Tensors. Keeps protobuf types out of the interface; proto_convert.hpp has the proto form.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/status.hpp"
#include "core/tensor.hpp"

namespace edgeai {

// A serialized TensorProto from a file; errors name the path.
Result<Tensor> read_tensor_proto_file(const std::string& path);
// A serialized TensorProto in memory; errors name `source_name`.
Result<Tensor> read_tensor_proto_bytes(const void* data, std::size_t size, std::string_view source_name);

}  // namespace edgeai
