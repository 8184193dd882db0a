// Operator schemas of Gemm (https://onnx.ai/onnx/operators/onnx__Gemm.html) and MatMul
// (https://onnx.ai/onnx/operators/onnx__MatMul.html, numpy.matmul semantics), ONNX opset 13,
// both accepting a fused activation. Depends on graph only.
#include <algorithm>
#include <string>
#include <vector>

#include "graph/fused_activation.hpp"
#include "graph/op_schema.hpp"

namespace edgeai {
namespace {

bool dims_conflict(std::int64_t a, std::int64_t b) { return a >= 0 && b >= 0 && a != b; }

Status infer_gemm(const InferenceContext& ctx, std::vector<ValueInfo>& outputs) {
  const Node& node = ctx.node;
  const ValueInfo& a = ctx.input(0);
  const ValueInfo& b = ctx.input(1);
  if (a.shape.size() != 2 || b.shape.size() != 2) {
    return invalid_argument(node.describe(), ": A ", shape_to_string(a.shape), " and B ", shape_to_string(b.shape),
                            " must both be 2-D");
  }
  if (b.dtype != a.dtype) {
    return invalid_argument(node.describe(), ": B is ", dtype_name(b.dtype), " but A is ", dtype_name(a.dtype));
  }
  const bool trans_a = node.attr_int("transA", 0) != 0;
  const bool trans_b = node.attr_int("transB", 0) != 0;
  const std::int64_t m = trans_a ? a.shape[1] : a.shape[0];
  const std::int64_t k = trans_a ? a.shape[0] : a.shape[1];
  const std::int64_t kb = trans_b ? b.shape[1] : b.shape[0];
  const std::int64_t n = trans_b ? b.shape[0] : b.shape[1];
  if (dims_conflict(k, kb)) {
    return invalid_argument(node.describe(), ": inner dimensions differ: A ", shape_to_string(a.shape),
                            trans_a ? " (transposed)" : "", " gives K = ", k, ", B ", shape_to_string(b.shape),
                            trans_b ? " (transposed)" : "", " gives K = ", kb);
  }
  if (ctx.has_input(2)) {
    // C must be unidirectionally broadcastable to (M, N).
    const ValueInfo& c = ctx.input(2);
    if (c.dtype != a.dtype) {
      return invalid_argument(node.describe(), ": C is ", dtype_name(c.dtype), " but A is ", dtype_name(a.dtype));
    }
    bool ok = c.shape.size() <= 2;
    const Shape target{m, n};
    for (std::size_t i = 0; ok && i < c.shape.size(); ++i) {
      const std::int64_t dim = c.shape[c.shape.size() - 1 - i];
      ok = dim == 1 || !dims_conflict(dim, target[1 - i]);
    }
    if (!ok) {
      return invalid_argument(node.describe(), ": C ", shape_to_string(c.shape),
                              " is not unidirectionally broadcastable to the output ", shape_to_string(target));
    }
  }
  EDGEAI_RETURN_IF_ERROR(fused_activation_of(node).status());
  outputs[0].dtype = a.dtype;
  outputs[0].shape = {m, n};
  return Status::ok();
}

Status infer_matmul(const InferenceContext& ctx, std::vector<ValueInfo>& outputs) {
  const Node& node = ctx.node;
  const ValueInfo& a = ctx.input(0);
  const ValueInfo& b = ctx.input(1);
  if (a.shape.empty() || b.shape.empty()) {
    return invalid_argument(node.describe(), ": MatMul needs inputs of rank >= 1, got A ", shape_to_string(a.shape),
                            " and B ", shape_to_string(b.shape));
  }
  if (b.dtype != a.dtype) {
    return invalid_argument(node.describe(), ": B is ", dtype_name(b.dtype), " but A is ", dtype_name(a.dtype));
  }
  // numpy.matmul: a 1-D A is a row vector [1, K] and a 1-D B a column vector [K, 1]; the
  // added axis is removed from the result. Leading (batch) axes broadcast.
  const std::size_t ra = a.shape.size();
  const std::size_t rb = b.shape.size();
  const std::int64_t k = a.shape[ra - 1];
  const std::int64_t kb = rb == 1 ? b.shape[0] : b.shape[rb - 2];
  if (dims_conflict(k, kb)) {
    return invalid_argument(node.describe(), ": inner dimensions differ: A ", shape_to_string(a.shape), " has K = ", k,
                            ", B ", shape_to_string(b.shape), " has K = ", kb);
  }
  const Shape batch_a(a.shape.begin(), a.shape.end() - std::min<std::size_t>(ra, 2));
  const Shape batch_b(b.shape.begin(), b.shape.end() - std::min<std::size_t>(rb, 2));
  std::optional<Shape> batch = broadcast_shapes(batch_a, batch_b);
  if (!batch) {
    return invalid_argument(node.describe(), ": batch dimensions of A ", shape_to_string(a.shape), " and B ",
                            shape_to_string(b.shape), " do not broadcast");
  }
  EDGEAI_RETURN_IF_ERROR(fused_activation_of(node).status());
  Shape out = *batch;
  if (ra >= 2) out.push_back(a.shape[ra - 2]);
  if (rb >= 2) out.push_back(b.shape[rb - 1]);
  outputs[0].dtype = a.dtype;
  outputs[0].shape = std::move(out);
  return Status::ok();
}

}  // namespace

void add_gemm_schemas(OpSchemaRegistry& registry) {
  OpSchema gemm;
  gemm.op_type = "Gemm";
  gemm.min_inputs = 2;
  gemm.max_inputs = 3;
  gemm.attributes = {
      {"alpha", AttrType::kFloat}, {"beta", AttrType::kFloat}, {"transA", AttrType::kInt}, {"transB", AttrType::kInt}};
  for (AttrSpec& spec : fused_activation_attr_specs()) gemm.attributes.push_back(std::move(spec));
  gemm.infer_shapes = infer_gemm;
  registry.add(std::move(gemm));

  OpSchema matmul;
  matmul.op_type = "MatMul";
  matmul.min_inputs = 2;
  matmul.max_inputs = 2;
  matmul.attributes = fused_activation_attr_specs();
  matmul.infer_shapes = infer_matmul;
  registry.add(std::move(matmul));
}

}  // namespace edgeai
