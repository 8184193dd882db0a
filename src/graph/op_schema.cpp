#include "graph/op_schema.hpp"

namespace edgeai {

const OpSchemaRegistry& OpSchemaRegistry::builtin() {
  static const OpSchemaRegistry registry = [] {
    OpSchemaRegistry r;
    add_conv_schemas(r);
    add_gemm_schemas(r);
    add_pool_schemas(r);
    add_normalization_schemas(r);
    add_resize_schemas(r);
    add_elementwise_schemas(r);
    add_softmax_schemas(r);
    add_reduce_schemas(r);
    add_tensor_schemas(r);
    add_quant_schemas(r);
    add_int4_schemas(r);
    return r;
  }();
  return registry;
}

void OpSchemaRegistry::add(OpSchema schema) {
  std::string key = schema.op_type;
  schemas_.insert_or_assign(std::move(key), std::move(schema));
}

const OpSchema* OpSchemaRegistry::find(std::string_view op_type) const {
  auto it = schemas_.find(op_type);
  return it == schemas_.end() ? nullptr : &it->second;
}

std::vector<std::string> OpSchemaRegistry::op_types() const {
  std::vector<std::string> out;
  for (const auto& [name, schema] : schemas_) out.push_back(name);
  return out;
}

}  // namespace edgeai
