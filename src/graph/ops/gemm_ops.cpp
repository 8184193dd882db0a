// Operator schemas of the gemm family. Stub: filled in by the family's owner.
#include "graph/op_schema.hpp"

namespace edgeai {

void add_gemm_schemas(OpSchemaRegistry& /*registry*/) {}

}  // namespace edgeai
