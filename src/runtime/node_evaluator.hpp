// Evaluates one node on concrete input values with the built-in kernels, outside any session:
// what constant folding at import needs (graph/passes/passes.hpp NodeEvaluator). Allocates, so
// it is a plan/import-time tool, never used while a session runs.
#pragma once

#include <vector>

#include "core/status.hpp"
#include "core/tensor.hpp"
#include "graph/graph.hpp"

namespace edgeai {

// Infers the output shapes from the schema with every input value known, then creates,
// prepares and runs the node's kernel. An absent optional input is a null Tensor. Errors name
// the node.
Result<std::vector<Tensor>> evaluate_node(const Node& node, const std::vector<Tensor>& inputs);

}  // namespace edgeai
