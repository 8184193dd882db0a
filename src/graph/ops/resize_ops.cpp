// Operator schemas of the resize family. Stub: filled in by the family's owner.
#include "graph/op_schema.hpp"

namespace edgeai {

void add_resize_schemas(OpSchemaRegistry& /*registry*/) {}

}  // namespace edgeai
