// Operator schemas of the elementwise family. Stub: filled in by the family's owner.
#include "graph/op_schema.hpp"

namespace edgeai {

void add_elementwise_schemas(OpSchemaRegistry& /*registry*/) {}

}  // namespace edgeai
