// Operator schemas of the tensor family. Stub: filled in by the family's owner.
#include "graph/op_schema.hpp"

namespace edgeai {

void add_tensor_schemas(OpSchemaRegistry& /*registry*/) {}

}  // namespace edgeai
