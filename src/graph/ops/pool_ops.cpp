// Operator schemas of the pool family. Stub: filled in by the family's owner.
#include "graph/op_schema.hpp"

namespace edgeai {

void add_pool_schemas(OpSchemaRegistry& /*registry*/) {}

}  // namespace edgeai
