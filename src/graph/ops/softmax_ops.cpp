// Operator schemas of the softmax family. Stub: filled in by the family's owner.
#include "graph/op_schema.hpp"

namespace edgeai {

void add_softmax_schemas(OpSchemaRegistry& /*registry*/) {}

}  // namespace edgeai
