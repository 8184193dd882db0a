// Graph validation and shape inference. Every error names the problem and the node or
// value: dangling input, cycle, unknown operator, wrong input count, missing or wrongly
// typed attribute, shape mismatch.
#pragma once

#include <map>
#include <string>

#include "core/status.hpp"
#include "graph/graph.hpp"
#include "graph/op_schema.hpp"

namespace edgeai {

// Checks one node against its schema: input/output counts, attribute names and types.
Status check_node(const Node& node, const OpSchema& schema);

// Sorts the graph topologically and infers dtype/shape of every node output into
// graph.value_info. `known_values` gives values of graph inputs known at plan time (the
// runtime passes the actual inputs, so shapes fed as inputs, as in the ONNX node tests,
// resolve). Declared output shapes that disagree with inference are an error.
Status infer_shapes(Graph& graph, const std::map<std::string, const Tensor*>& known_values = {},
                    const OpSchemaRegistry& registry = OpSchemaRegistry::builtin());

// check_node for every node, unique node names, then infer_shapes.
Status validate_graph(Graph& graph, const OpSchemaRegistry& registry = OpSchemaRegistry::builtin());

}  // namespace edgeai
