// One node through the kernel contract (schema inference, registry, prepare, run) on owned
// tensors. See node_evaluator.hpp.
#include "runtime/node_evaluator.hpp"

#include <cstring>
#include <memory>

#include "core/aligned_buffer.hpp"
#include "graph/op_schema.hpp"
#include "graph/validate.hpp"
#include "kernels/registry.hpp"

namespace edgeai {

Result<std::vector<Tensor>> evaluate_node(const Node& node, const std::vector<Tensor>& inputs) {
  const OpSchema* schema = OpSchemaRegistry::builtin().find(node.op_type);
  if (schema == nullptr) return unsupported("operator ", node.op_type, " (node '", node.name, "') is not supported");
  EDGEAI_RETURN_IF_ERROR(check_node(node, *schema));
  if (schema->infer_shapes == nullptr) return internal_error("operator ", node.op_type, " has no shape inference");
  if (inputs.size() != node.inputs.size()) {
    return internal_error(node.describe(), ": evaluated with ", inputs.size(), " values for ", node.inputs.size(),
                          " inputs");
  }

  KernelSignature signature;
  InferenceContext ctx{node, {}, {}};
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const Tensor& t = inputs[i];
    if (t.is_null()) {
      ctx.inputs.emplace_back(std::nullopt);
      ctx.input_values.push_back(nullptr);
      signature.inputs.emplace_back();
      signature.input_values.push_back(nullptr);
      continue;
    }
    ValueInfo info{node.inputs[i], t.dtype(), t.shape()};
    ctx.inputs.emplace_back(info);
    ctx.input_values.push_back(&t);
    signature.inputs.push_back(std::move(info));
    signature.input_values.push_back(&t);
  }
  for (const std::string& out : node.outputs) signature.outputs.push_back(ValueInfo{out, DType::kUndefined, {}});
  EDGEAI_RETURN_IF_ERROR(schema->infer_shapes(ctx, signature.outputs));
  for (const ValueInfo& out : signature.outputs) {
    if (out.dtype == DType::kUndefined || !is_static(out.shape)) {
      return internal_error(node.describe(), ": output '", out.name, "' has no static type with all inputs known (",
                            dtype_name(out.dtype), " ", shape_to_string(out.shape), ")");
    }
  }

  EDGEAI_ASSIGN_OR_RETURN(std::unique_ptr<Kernel> kernel, KernelRegistry::builtin().create(node.op_type));
  EDGEAI_RETURN_IF_ERROR(kernel->prepare(node, signature));

  std::vector<Tensor> outputs;
  std::vector<TensorView> out_views;
  for (const ValueInfo& info : signature.outputs) {
    EDGEAI_ASSIGN_OR_RETURN(Tensor t, Tensor::allocate(info.dtype, info.shape));
    out_views.push_back(t.view());
    outputs.push_back(std::move(t));
  }
  if (kernel->aliasing() == Aliasing::kViewOfInput0) {
    // A view op's output is input 0's bytes under the new shape; run() is not called for it.
    if (inputs.empty() || inputs[0].is_null() || outputs.empty() || outputs[0].size_bytes() != inputs[0].size_bytes()) {
      return internal_error(node.describe(), ": a view of input 0 must have its size in bytes");
    }
    if (outputs[0].size_bytes() > 0) std::memcpy(outputs[0].raw_data(), inputs[0].raw_data(), outputs[0].size_bytes());
    return outputs;
  }
  std::vector<TensorView> in_views;
  in_views.reserve(inputs.size());
  for (const Tensor& t : inputs) in_views.push_back(t.is_null() ? TensorView{} : t.view());
  AlignedBuffer scratch(kernel->scratch_bytes());
  if (kernel->scratch_bytes() > 0 && scratch.data() == nullptr) {
    return out_of_range(node.describe(), ": out of memory allocating ", kernel->scratch_bytes(), " bytes of scratch");
  }
  EDGEAI_RETURN_IF_ERROR(kernel->run(in_views, out_views, scratch.data()));
  return outputs;
}

}  // namespace edgeai
