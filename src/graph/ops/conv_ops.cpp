// Operator schema of Conv (ONNX opset 13, https://onnx.ai/onnx/operators/onnx__Conv.html):
// attributes, and shape inference that checks the channel arithmetic of grouped
// convolution. Depends on graph only.
#include <string>
#include <vector>

#include "graph/fused_activation.hpp"
#include "graph/layout.hpp"
#include "graph/op_schema.hpp"
#include "graph/ops/window_geometry.hpp"

namespace edgeai {
namespace {

Status infer_conv(const InferenceContext& ctx, std::vector<ValueInfo>& outputs) {
  const Node& node = ctx.node;
  const ValueInfo& x = ctx.input(0);
  const ValueInfo& w = ctx.input(1);
  if (x.shape.size() < 3) {
    return invalid_argument(node.describe(),
                            ": input X must be (N, C, spatial...) with at least one spatial axis, got ",
                            shape_to_string(x.shape));
  }
  if (w.shape.size() != x.shape.size()) {
    return invalid_argument(node.describe(), ": weight W ", shape_to_string(w.shape), " must have the rank of X ",
                            shape_to_string(x.shape));
  }
  if (w.dtype != x.dtype) {
    return invalid_argument(node.describe(), ": weight W is ", dtype_name(w.dtype), " but X is ", dtype_name(x.dtype));
  }
  const std::size_t spatial_rank = x.shape.size() - 2;
  const std::int64_t group = node.attr_int("group", 1);
  if (group < 1) return invalid_argument(node.describe(), ": group must be >= 1, got ", group);

  const std::int64_t channels = x.shape[1];
  const std::int64_t out_channels = w.shape[0];
  const std::int64_t channels_per_group = w.shape[1];
  // ONNX: W is (M, C/group, k1, k2, ...); M must be a multiple of group.
  if (channels >= 0 && channels_per_group >= 0 && channels_per_group * group != channels) {
    return invalid_argument(node.describe(), ": X ", shape_to_string(x.shape), " has ", channels, " channels but W ",
                            shape_to_string(w.shape), " expects ", channels_per_group, " x group ", group, " = ",
                            channels_per_group * group);
  }
  if (out_channels >= 0 && out_channels % group != 0) {
    return invalid_argument(node.describe(), ": W ", shape_to_string(w.shape), " has ", out_channels,
                            " output channels, not a multiple of group ", group);
  }
  if (ctx.has_input(2)) {
    const ValueInfo& b = ctx.input(2);
    if (b.dtype != x.dtype) {
      return invalid_argument(node.describe(), ": bias B is ", dtype_name(b.dtype), " but X is ", dtype_name(x.dtype));
    }
    if (b.shape.size() != 1 || (b.shape[0] >= 0 && out_channels >= 0 && b.shape[0] != out_channels)) {
      return invalid_argument(node.describe(), ": bias B ", shape_to_string(b.shape), " must be [", out_channels,
                              "], one value per output channel of W ", shape_to_string(w.shape));
    }
  }
  EDGEAI_RETURN_IF_ERROR(fused_activation_of(node).status());

  std::vector<std::int64_t> kernel(w.shape.begin() + 2, w.shape.end());
  if (node.has_attr("kernel_shape")) {
    const std::vector<std::int64_t> attr = node.attr_ints("kernel_shape");
    for (std::size_t i = 0; i < attr.size() && attr.size() == kernel.size(); ++i) {
      if (kernel[i] >= 0 && attr[i] != kernel[i]) {
        return invalid_argument(node.describe(), ": kernel_shape ", shape_to_string(attr),
                                " disagrees with the spatial dimensions of W ", shape_to_string(w.shape));
      }
    }
    kernel = attr;
  }
  Shape out{x.shape[0], out_channels};
  bool kernel_known = kernel.size() == spatial_rank;
  for (std::int64_t k : kernel) kernel_known = kernel_known && k >= 0;
  if (kernel_known) {
    std::vector<std::int64_t> input(x.shape.begin() + 2, x.shape.end());
    EDGEAI_ASSIGN_OR_RETURN(WindowGeometry g, resolve_window_geometry(node, input, kernel, true, false));
    out.insert(out.end(), g.output.begin(), g.output.end());
  } else if (kernel.size() != spatial_rank) {
    return invalid_argument(node.describe(), ": kernel_shape has ", kernel.size(), " entries for ", spatial_rank,
                            " spatial axes");
  } else {
    out.insert(out.end(), spatial_rank, kUnknownDim);
  }
  outputs[0].dtype = x.dtype;
  outputs[0].shape = std::move(out);
  return Status::ok();
}

}  // namespace

void add_conv_schemas(OpSchemaRegistry& registry) {
  OpSchema conv;
  conv.op_type = "Conv";
  conv.min_inputs = 2;
  conv.max_inputs = 3;
  conv.attributes = {{"auto_pad", AttrType::kString},   {"dilations", AttrType::kInts}, {"group", AttrType::kInt},
                     {"kernel_shape", AttrType::kInts}, {"pads", AttrType::kInts},      {"strides", AttrType::kInts}};
  for (AttrSpec& spec : fused_activation_attr_specs()) conv.attributes.push_back(std::move(spec));
  conv.attributes.push_back(channels_last_attr_spec());
  conv.infer_shapes = [](const InferenceContext& ctx, std::vector<ValueInfo>& outputs) {
    return infer_in_layout(infer_conv, ctx, outputs);
  };
  registry.add(std::move(conv));
}

}  // namespace edgeai
