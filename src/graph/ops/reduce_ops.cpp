// Operator schemas of the reduce family. Stub: filled in by the family's owner.
#include "graph/op_schema.hpp"

namespace edgeai {

void add_reduce_schemas(OpSchemaRegistry& /*registry*/) {}

}  // namespace edgeai
