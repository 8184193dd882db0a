#include "graph/layout.hpp"

namespace edgeai {

bool is_channels_last(const Node& node) { return node.attr_int(kChannelsLastAttr, 0) != 0; }

Shape to_channels_last(const Shape& s) {
  if (s.size() < 3) return s;
  Shape out{s[0]};
  out.insert(out.end(), s.begin() + 2, s.end());
  out.push_back(s[1]);
  return out;
}

Shape to_channels_first(const Shape& s) {
  if (s.size() < 3) return s;
  Shape out{s[0], s.back()};
  out.insert(out.end(), s.begin() + 1, s.end() - 1);
  return out;
}

AttrSpec channels_last_attr_spec() { return {std::string(kChannelsLastAttr), AttrType::kInt, false}; }

Status infer_in_layout(InferShapesFn infer, const InferenceContext& ctx, std::vector<ValueInfo>& outputs) {
  const std::int64_t flag = ctx.node.attr_int(kChannelsLastAttr, 0);
  if (flag == 0) return infer(ctx, outputs);
  if (flag != 1) return invalid_argument(ctx.node.describe(), ": channels_last must be 0 or 1, got ", flag);
  if (!ctx.has_input(0) || ctx.input(0).shape.size() < 3) {
    return invalid_argument(ctx.node.describe(), ": a channels-last X must be (N, spatial..., C)");
  }
  if (outputs.size() > 1) {
    return invalid_argument(ctx.node.describe(), ": a channels-last node has one output");
  }
  InferenceContext first{ctx.node, ctx.inputs, ctx.input_values};
  first.inputs[0]->shape = to_channels_first(ctx.input(0).shape);
  EDGEAI_RETURN_IF_ERROR(infer(first, outputs));
  outputs[0].shape = to_channels_last(outputs[0].shape);
  return Status::ok();
}

}  // namespace edgeai
