// TensorProto -> Tensor, following onnx.proto (TensorProto): data in raw_data (little-endian)
// or in the typed repeated field its data_type names.
#include "import/onnx/tensor_proto.hpp"

#include <climits>
#include <cstring>
#include <fstream>
#include <iterator>
#include <vector>

#include "import/onnx/proto_convert.hpp"

namespace edgeai {

std::optional<DType> dtype_from_onnx(int data_type) {
  switch (data_type) {
    case onnx::TensorProto::FLOAT: return DType::kFloat32;
    case onnx::TensorProto::FLOAT16: return DType::kFloat16;
    case onnx::TensorProto::DOUBLE: return DType::kFloat64;
    case onnx::TensorProto::INT8: return DType::kInt8;
    case onnx::TensorProto::UINT8: return DType::kUInt8;
    case onnx::TensorProto::INT16: return DType::kInt16;
    case onnx::TensorProto::INT32: return DType::kInt32;
    case onnx::TensorProto::INT64: return DType::kInt64;
    case onnx::TensorProto::BOOL: return DType::kBool;
    default: return std::nullopt;
  }
}

std::string onnx_dtype_name(int data_type) {
  if (onnx::TensorProto::DataType_IsValid(data_type)) {
    return onnx::TensorProto::DataType_Name(static_cast<onnx::TensorProto::DataType>(data_type));
  }
  return str_cat("data type ", data_type);
}

namespace {

// Copies a typed repeated field into `out`, converting each element to T.
template <typename T, typename Field>
Status copy_field(const Field& field, std::int64_t count, Tensor& out, const std::string& what) {
  if (static_cast<std::int64_t>(field.size()) != count) {
    return data_loss(what, " holds ", field.size(), " values; its dims need ", count);
  }
  T* dst = out.data<T>();
  for (std::int64_t i = 0; i < count; ++i) dst[i] = static_cast<T>(field.Get(static_cast<int>(i)));
  return Status::ok();
}

}  // namespace

Result<Tensor> tensor_from_proto(const onnx::TensorProto& proto) {
  const std::string what = str_cat("tensor '", proto.name(), "'");
  if (proto.data_location() == onnx::TensorProto::EXTERNAL || proto.external_data_size() > 0) {
    return unsupported(what, " stores its data in an external file; external data is not supported");
  }
  if (proto.has_segment()) return unsupported(what, " is segmented; segmented tensors are not supported");
  std::optional<DType> dtype = dtype_from_onnx(proto.data_type());
  if (!dtype) return unsupported(what, " has data type ", onnx_dtype_name(proto.data_type()), ", which edgeai does not support");
  Shape shape;
  for (std::int64_t d : proto.dims()) {
    if (d < 0) return data_loss(what, " has a negative dimension ", d);
    shape.push_back(d);
  }
  std::optional<std::int64_t> count = element_count(shape);
  if (!count || static_cast<std::uint64_t>(*count) > (std::uint64_t{1} << 40)) {
    return data_loss(what, " has an impossible shape ", shape_to_string(shape));
  }
  const std::size_t bytes = static_cast<std::size_t>(*count) * dtype_size(*dtype);
  if (proto.has_raw_data()) {
    // Checked before allocating, so a hostile header cannot make us allocate what it lacks.
    if (proto.raw_data().size() != bytes) {
      return data_loss(what, " has ", proto.raw_data().size(), " bytes of raw data; ", dtype_name(*dtype), " ",
                       shape_to_string(shape), " needs ", bytes);
    }
    EDGEAI_ASSIGN_OR_RETURN(Tensor tensor, Tensor::allocate(*dtype, shape));
    if (bytes > 0) std::memcpy(tensor.raw_data(), proto.raw_data().data(), bytes);
    return tensor;
  }
  EDGEAI_ASSIGN_OR_RETURN(Tensor tensor, Tensor::allocate(*dtype, shape));
  switch (*dtype) {
    case DType::kFloat32: EDGEAI_RETURN_IF_ERROR(copy_field<float>(proto.float_data(), *count, tensor, what)); break;
    case DType::kFloat64: EDGEAI_RETURN_IF_ERROR(copy_field<double>(proto.double_data(), *count, tensor, what)); break;
    case DType::kInt64: EDGEAI_RETURN_IF_ERROR(copy_field<std::int64_t>(proto.int64_data(), *count, tensor, what)); break;
    case DType::kInt32: EDGEAI_RETURN_IF_ERROR(copy_field<std::int32_t>(proto.int32_data(), *count, tensor, what)); break;
    case DType::kInt16: EDGEAI_RETURN_IF_ERROR(copy_field<std::int16_t>(proto.int32_data(), *count, tensor, what)); break;
    case DType::kInt8: EDGEAI_RETURN_IF_ERROR(copy_field<std::int8_t>(proto.int32_data(), *count, tensor, what)); break;
    case DType::kUInt8: EDGEAI_RETURN_IF_ERROR(copy_field<std::uint8_t>(proto.int32_data(), *count, tensor, what)); break;
    case DType::kBool: {
      if (proto.int32_data_size() != *count) {
        return data_loss(what, " holds ", proto.int32_data_size(), " values; its dims need ", *count);
      }
      bool* dst = tensor.data<bool>();
      for (std::int64_t i = 0; i < *count; ++i) dst[i] = proto.int32_data(static_cast<int>(i)) != 0;
      break;
    }
    case DType::kFloat16:  // int32_data holds the IEEE half bit patterns
      EDGEAI_RETURN_IF_ERROR(copy_field<std::uint16_t>(proto.int32_data(), *count, tensor, what));
      break;
    case DType::kUndefined: return internal_error(what, ": undefined dtype");
  }
  return tensor;
}

Result<Tensor> read_tensor_proto_bytes(const void* data, std::size_t size, std::string_view source_name) {
  onnx::TensorProto proto;
  if (size > static_cast<std::size_t>(INT_MAX) || !proto.ParseFromArray(data, static_cast<int>(size))) {
    return data_loss(source_name, ": not a valid ONNX TensorProto (protobuf parse failed)");
  }
  Result<Tensor> tensor = tensor_from_proto(proto);
  if (!tensor.is_ok()) return tensor.status().with_context(source_name);
  return tensor;
}

Result<Tensor> read_tensor_proto_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return io_error(path, ": cannot open");
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return io_error(path, ": read failed");
  return read_tensor_proto_bytes(bytes.data(), bytes.size(), path);
}

}  // namespace edgeai
