// Operator schemas of the conv family. Stub: filled in by the family's owner.
#include "graph/op_schema.hpp"

namespace edgeai {

void add_conv_schemas(OpSchemaRegistry& /*registry*/) {}

}  // namespace edgeai
