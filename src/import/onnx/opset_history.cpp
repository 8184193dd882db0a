// See opset_history.hpp. Isolated here because libonnx's schema headers are heavy.
#include "import/onnx/opset_history.hpp"

#include <onnx/defs/schema.h>
#include <onnx/version_converter/convert.h>

#include <exception>

namespace edgeai {

std::optional<int> onnx_operator_since_version(const std::string& op_type, int opset) {
  const onnx::OpSchema* schema = onnx::OpSchemaRegistry::Schema(op_type, opset, onnx::ONNX_DOMAIN);
  if (schema == nullptr) return std::nullopt;
  return schema->SinceVersion();
}

Result<onnx::ModelProto> convert_model_opset(const onnx::ModelProto& model, int target_opset) {
  // libonnx reports unconvertible operators by throwing; nothing above the importer sees them.
  try {
    return onnx::version_conversion::ConvertVersion(model, target_opset);
  } catch (const std::exception& e) {
    return unsupported("onnx.version_converter cannot convert the model to opset ", target_opset, ": ", e.what());
  }
}

}  // namespace edgeai
