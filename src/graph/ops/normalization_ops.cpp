// Operator schemas of the normalization family. Stub: filled in by the family's owner.
#include "graph/op_schema.hpp"

namespace edgeai {

void add_normalization_schemas(OpSchemaRegistry& /*registry*/) {}

}  // namespace edgeai
