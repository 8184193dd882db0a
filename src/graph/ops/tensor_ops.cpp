// Operator schemas of the tensor family: layout and indexing operators (Concat, Reshape,
// Flatten, Transpose, Squeeze, Unsqueeze, Pad, Split, Slice, Gather, Expand), type and
// value producers (Cast, Shape, Constant, ConstantOfShape, Range). Operators whose output
// shape depends on an input's value read it through ctx.input_value(); an unknown value is
// an error naming the node and input. ONNX opset 13 semantics, with the attribute forms of
// older opsets (Squeeze/Unsqueeze/Split axes/split attributes) accepted as well.
// Depends on core and graph only.
#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

#include "graph/op_schema.hpp"

namespace edgeai {
namespace {

// The integer values of input `i` (int64 or int32), which must be known at plan time.
Result<std::vector<std::int64_t>> known_ints(const InferenceContext& ctx, std::size_t i, std::string_view what) {
  const Tensor* value = ctx.input_value(i);
  if (value == nullptr) {
    return invalid_argument(ctx.node.describe(), ": the value of input ", i, " (", what, ", '", ctx.node.inputs[i],
                            "') must be known at plan time");
  }
  std::vector<std::int64_t> out(static_cast<std::size_t>(value->num_elements()));
  if (value->dtype() == DType::kInt64) {
    std::copy_n(value->data<const std::int64_t>(), out.size(), out.begin());
  } else if (value->dtype() == DType::kInt32) {
    std::copy_n(value->data<const std::int32_t>(), out.size(), out.begin());
  } else {
    return invalid_argument(ctx.node.describe(), ": input ", i, " (", what, ") must be int64 or int32, got ",
                            dtype_name(value->dtype()));
  }
  return out;
}

std::int64_t rank_of(const ValueInfo& info) { return static_cast<std::int64_t>(info.shape.size()); }

// Product of shape[begin, end); kUnknownDim if any of those dimensions is unknown.
std::int64_t dim_product(const Shape& shape, std::int64_t begin, std::int64_t end) {
  std::int64_t product = 1;
  for (std::int64_t i = begin; i < end; ++i) {
    if (shape[i] < 0) return kUnknownDim;
    product *= shape[i];
  }
  return product;
}

// Concat-13: same rank and dimensions except along `axis`, whose sizes add up.
Status infer_concat(const InferenceContext& ctx, std::vector<ValueInfo>& outputs) {
  const Node& node = ctx.node;
  const ValueInfo& first = ctx.input(0);
  const std::int64_t rank = rank_of(first);
  const std::int64_t attr_axis = node.attr_int("axis", 0);
  std::optional<std::int64_t> axis = normalize_axis(attr_axis, rank);
  if (!axis) return invalid_argument(node.describe(), ": axis ", attr_axis, " is out of range for rank ", rank);
  Shape shape = first.shape;
  for (std::size_t i = 1; i < ctx.inputs.size(); ++i) {
    if (!ctx.has_input(i)) return invalid_argument(node.describe(), ": input ", i, " is missing");
    const ValueInfo& in = ctx.input(i);
    if (in.dtype != first.dtype) {
      return invalid_argument(node.describe(), ": input ", i, " has dtype ", dtype_name(in.dtype), ", input 0 has ",
                              dtype_name(first.dtype));
    }
    if (rank_of(in) != rank) {
      return invalid_argument(node.describe(), ": input ", i, " has shape ", shape_to_string(in.shape),
                              ", input 0 has ", shape_to_string(first.shape));
    }
    for (std::int64_t d = 0; d < rank; ++d) {
      if (d == *axis) {
        shape[d] = shape[d] < 0 || in.shape[d] < 0 ? kUnknownDim : shape[d] + in.shape[d];
      } else if (shape[d] >= 0 && in.shape[d] >= 0 && shape[d] != in.shape[d]) {
        return invalid_argument(node.describe(), ": input ", i, " has shape ", shape_to_string(in.shape),
                                ", input 0 has ", shape_to_string(first.shape), " (only axis ", *axis, " may differ)");
      } else if (shape[d] < 0) {
        shape[d] = in.shape[d];
      }
    }
  }
  outputs[0].dtype = first.dtype;
  outputs[0].shape = shape;
  return Status::ok();
}

// Reshape-14: 0 copies the input dimension (unless allowzero), -1 is inferred.
Status infer_reshape(const InferenceContext& ctx, std::vector<ValueInfo>& outputs) {
  const Node& node = ctx.node;
  const Shape& in = ctx.input(0).shape;
  EDGEAI_ASSIGN_OR_RETURN(std::vector<std::int64_t> target, known_ints(ctx, 1, "shape"));
  const bool allow_zero = node.attr_int("allowzero", 0) != 0;
  Shape shape(target.size());
  std::int64_t inferred = -1;
  for (std::size_t i = 0; i < target.size(); ++i) {
    if (target[i] == -1) {
      if (inferred >= 0) return invalid_argument(node.describe(), ": shape ", shape_to_string(target), " has two -1");
      inferred = static_cast<std::int64_t>(i);
      shape[i] = 1;
    } else if (target[i] == 0 && !allow_zero) {
      if (i >= in.size()) {
        return invalid_argument(node.describe(), ": shape has 0 at index ", i, " but the input ", shape_to_string(in),
                                " has no such dimension");
      }
      shape[i] = in[i];
    } else if (target[i] < 0) {
      return invalid_argument(node.describe(), ": shape ", shape_to_string(target), " has invalid dimension ",
                              target[i]);
    } else {
      shape[i] = target[i];
    }
  }
  if (allow_zero && inferred >= 0 && std::count(target.begin(), target.end(), 0) > 0) {
    return invalid_argument(node.describe(), ": with allowzero = 1 the shape may not hold both 0 and -1");
  }
  std::optional<std::int64_t> in_count = element_count(in);
  if (!in_count) {
    if (inferred >= 0) shape[inferred] = kUnknownDim;
  } else {
    std::optional<std::int64_t> known = element_count(shape);
    if (!known) {
      // A 0 copied an unknown dimension: nothing to check.
    } else if (inferred >= 0) {
      if (*known == 0 || *in_count % *known != 0) {
        return invalid_argument(node.describe(), ": cannot reshape ", shape_to_string(in), " (", *in_count,
                                " elements) to ", shape_to_string(target));
      }
      shape[inferred] = *in_count / *known;
    } else if (*known != *in_count) {
      return invalid_argument(node.describe(), ": cannot reshape ", shape_to_string(in), " (", *in_count,
                              " elements) to ", shape_to_string(target), " (", *known, " elements)");
    }
  }
  outputs[0].dtype = ctx.input(0).dtype;
  outputs[0].shape = shape;
  return Status::ok();
}

// Flatten-13: [prod(d[0:axis]), prod(d[axis:])], axis in [-rank, rank].
Status infer_flatten(const InferenceContext& ctx, std::vector<ValueInfo>& outputs) {
  const Shape& in = ctx.input(0).shape;
  const std::int64_t rank = static_cast<std::int64_t>(in.size());
  const std::int64_t attr_axis = ctx.node.attr_int("axis", 1);
  if (attr_axis < -rank || attr_axis > rank) {
    return invalid_argument(ctx.node.describe(), ": axis ", attr_axis, " is out of range for rank ", rank);
  }
  const std::int64_t axis = attr_axis < 0 ? attr_axis + rank : attr_axis;
  outputs[0].dtype = ctx.input(0).dtype;
  outputs[0].shape = {dim_product(in, 0, axis), dim_product(in, axis, rank)};
  return Status::ok();
}

// Transpose-13: perm defaults to reversing the dimensions.
Status infer_transpose(const InferenceContext& ctx, std::vector<ValueInfo>& outputs) {
  const Shape& in = ctx.input(0).shape;
  const std::int64_t rank = static_cast<std::int64_t>(in.size());
  std::vector<std::int64_t> perm = ctx.node.attr_ints("perm");
  if (!ctx.node.has_attr("perm")) {
    for (std::int64_t i = rank; i-- > 0;) perm.push_back(i);
  }
  if (static_cast<std::int64_t>(perm.size()) != rank) {
    return invalid_argument(ctx.node.describe(), ": perm ", shape_to_string(perm), " does not match rank ", rank);
  }
  std::vector<bool> seen(rank, false);
  Shape shape(rank);
  for (std::int64_t i = 0; i < rank; ++i) {
    std::optional<std::int64_t> p = normalize_axis(perm[i], rank);
    if (!p || seen[*p]) {
      return invalid_argument(ctx.node.describe(), ": perm ", shape_to_string(perm), " is not a permutation of 0..",
                              rank - 1);
    }
    seen[*p] = true;
    shape[i] = in[*p];
  }
  outputs[0].dtype = ctx.input(0).dtype;
  outputs[0].shape = shape;
  return Status::ok();
}

// Axes of Squeeze/Unsqueeze: the optional input 1 (opset 13) or the attribute (opset 11).
Result<std::optional<std::vector<std::int64_t>>> squeeze_axes(const InferenceContext& ctx) {
  if (ctx.has_input(1)) {
    if (ctx.node.has_attr("axes")) {
      return invalid_argument(ctx.node.describe(), ": axes given both as attribute and input");
    }
    EDGEAI_ASSIGN_OR_RETURN(std::vector<std::int64_t> axes, known_ints(ctx, 1, "axes"));
    return std::optional<std::vector<std::int64_t>>(std::move(axes));
  }
  if (ctx.node.has_attr("axes")) return std::optional<std::vector<std::int64_t>>(ctx.node.attr_ints("axes"));
  return std::optional<std::vector<std::int64_t>>();
}

// Squeeze-13: removes the listed dimensions (each must be 1), or every 1 without axes.
Status infer_squeeze(const InferenceContext& ctx, std::vector<ValueInfo>& outputs) {
  const Shape& in = ctx.input(0).shape;
  const std::int64_t rank = static_cast<std::int64_t>(in.size());
  EDGEAI_ASSIGN_OR_RETURN(std::optional<std::vector<std::int64_t>> axes, squeeze_axes(ctx));
  std::vector<bool> removed(rank, false);
  if (!axes) {
    for (std::int64_t i = 0; i < rank; ++i) {
      if (in[i] < 0) {
        return invalid_argument(ctx.node.describe(), ": squeeze without axes needs a static shape, got ",
                                shape_to_string(in));
      }
      removed[i] = in[i] == 1;
    }
  } else {
    for (std::int64_t axis : *axes) {
      std::optional<std::int64_t> a = normalize_axis(axis, rank);
      if (!a) return invalid_argument(ctx.node.describe(), ": axis ", axis, " is out of range for rank ", rank);
      if (in[*a] != 1 && in[*a] >= 0) {
        return invalid_argument(ctx.node.describe(), ": cannot squeeze axis ", axis, " of shape ", shape_to_string(in),
                                " (size ", in[*a], ", not 1)");
      }
      removed[*a] = true;
    }
  }
  Shape shape;
  for (std::int64_t i = 0; i < rank; ++i) {
    if (!removed[i]) shape.push_back(in[i]);
  }
  outputs[0].dtype = ctx.input(0).dtype;
  outputs[0].shape = shape;
  return Status::ok();
}

// Unsqueeze-13: inserts 1s at `axes`, which index the output (rank + len(axes)).
Status infer_unsqueeze(const InferenceContext& ctx, std::vector<ValueInfo>& outputs) {
  const Shape& in = ctx.input(0).shape;
  EDGEAI_ASSIGN_OR_RETURN(std::optional<std::vector<std::int64_t>> axes, squeeze_axes(ctx));
  if (!axes) return invalid_argument(ctx.node.describe(), ": axes are required (input 1)");
  const std::int64_t out_rank = static_cast<std::int64_t>(in.size() + axes->size());
  std::vector<bool> inserted(out_rank, false);
  for (std::int64_t axis : *axes) {
    std::optional<std::int64_t> a = normalize_axis(axis, out_rank);
    if (!a)
      return invalid_argument(ctx.node.describe(), ": axis ", axis, " is out of range for output rank ", out_rank);
    if (inserted[*a]) return invalid_argument(ctx.node.describe(), ": axis ", axis, " is repeated");
    inserted[*a] = true;
  }
  Shape shape;
  std::size_t next = 0;
  for (std::int64_t i = 0; i < out_rank; ++i) shape.push_back(inserted[i] ? 1 : in[next++]);
  outputs[0].dtype = ctx.input(0).dtype;
  outputs[0].shape = shape;
  return Status::ok();
}

// Pad-13/18: pads = [x1_begin, x2_begin, ..., x1_end, x2_end, ...] over all axes, or over
// the optional `axes` input (opset 18). Negative pads remove elements.
Status infer_pad(const InferenceContext& ctx, std::vector<ValueInfo>& outputs) {
  const Node& node = ctx.node;
  const Shape& in = ctx.input(0).shape;
  const std::int64_t rank = static_cast<std::int64_t>(in.size());
  const std::string mode = node.attr_string("mode", "constant");
  if (mode != "constant" && mode != "reflect" && mode != "edge" && mode != "wrap") {
    return invalid_argument(node.describe(), ": mode '", mode, "' is not one of constant, reflect, edge, wrap");
  }
  if (!ctx.has_input(1)) return invalid_argument(node.describe(), ": input 1 (pads) is missing");
  EDGEAI_ASSIGN_OR_RETURN(std::vector<std::int64_t> pads, known_ints(ctx, 1, "pads"));
  std::vector<std::int64_t> axes;
  if (ctx.has_input(3)) {
    EDGEAI_ASSIGN_OR_RETURN(axes, known_ints(ctx, 3, "axes"));
  } else {
    for (std::int64_t i = 0; i < rank; ++i) axes.push_back(i);
  }
  if (pads.size() != 2 * axes.size()) {
    return invalid_argument(node.describe(), ": pads has ", pads.size(), " values, expected ", 2 * axes.size());
  }
  if (ctx.has_input(2)) {
    const ValueInfo& value = ctx.input(2);
    if (value.dtype != ctx.input(0).dtype || element_count(value.shape).value_or(1) != 1) {
      return invalid_argument(node.describe(), ": constant_value must be one ", dtype_name(ctx.input(0).dtype),
                              ", got ", dtype_name(value.dtype), " ", shape_to_string(value.shape));
    }
  }
  Shape shape = in;
  std::vector<bool> seen(rank, false);
  const std::size_t n = axes.size();
  for (std::size_t k = 0; k < n; ++k) {
    std::optional<std::int64_t> a = normalize_axis(axes[k], rank);
    if (!a || seen[*a]) return invalid_argument(node.describe(), ": axis ", axes[k], " is out of range or repeated");
    seen[*a] = true;
    if (in[*a] < 0) continue;
    const std::int64_t dim = in[*a] + pads[k] + pads[k + n];
    if (dim < 0) {
      return invalid_argument(node.describe(), ": pads ", shape_to_string(pads), " crop axis ", *a, " of ",
                              shape_to_string(in), " below zero");
    }
    if (mode != "constant" && in[*a] == 0 && dim > 0) {
      return invalid_argument(node.describe(), ": ", mode, " padding of an empty axis ", *a);
    }
    shape[*a] = dim;
  }
  outputs[0].dtype = ctx.input(0).dtype;
  outputs[0].shape = shape;
  return Status::ok();
}

// Split-13/18: sizes from the `split` input, the `split` attribute (opset 11), or equal
// parts: num_outputs (opset 18; the last part may be smaller) or the number of outputs.
Status infer_split(const InferenceContext& ctx, std::vector<ValueInfo>& outputs) {
  const Node& node = ctx.node;
  const Shape& in = ctx.input(0).shape;
  const std::int64_t rank = static_cast<std::int64_t>(in.size());
  const std::int64_t attr_axis = node.attr_int("axis", 0);
  std::optional<std::int64_t> axis = normalize_axis(attr_axis, rank);
  if (!axis) return invalid_argument(node.describe(), ": axis ", attr_axis, " is out of range for rank ", rank);
  const std::int64_t dim = in[*axis];
  const std::int64_t n = static_cast<std::int64_t>(outputs.size());
  std::vector<std::int64_t> split;
  if (ctx.has_input(1)) {
    EDGEAI_ASSIGN_OR_RETURN(split, known_ints(ctx, 1, "split"));
  } else if (node.has_attr("split")) {
    split = node.attr_ints("split");
  }
  if (!split.empty() || ctx.has_input(1)) {
    if (static_cast<std::int64_t>(split.size()) != n) {
      return invalid_argument(node.describe(), ": split has ", split.size(), " sizes for ", n, " outputs");
    }
    std::int64_t total = 0;
    for (std::int64_t s : split) {
      if (s < 0) return invalid_argument(node.describe(), ": split size ", s, " is negative");
      total += s;
    }
    if (dim >= 0 && total != dim) {
      return invalid_argument(node.describe(), ": split sizes add up to ", total, ", axis ", *axis, " has ", dim);
    }
  } else if (dim >= 0) {
    if (node.has_attr("num_outputs")) {
      if (node.attr_int("num_outputs", 0) != n) {
        return invalid_argument(node.describe(), ": num_outputs is ", node.attr_int("num_outputs", 0),
                                " but the node has ", n, " outputs");
      }
      const std::int64_t part = (dim + n - 1) / n;
      for (std::int64_t i = 0; i < n; ++i) split.push_back(std::max<std::int64_t>(0, std::min(part, dim - i * part)));
    } else {
      if (dim % n != 0) {
        return invalid_argument(node.describe(), ": axis ", *axis, " of size ", dim, " cannot be split into ", n,
                                " equal parts");
      }
      split.assign(n, dim / n);
    }
  } else {
    split.assign(n, kUnknownDim);
  }
  for (std::int64_t i = 0; i < n; ++i) {
    outputs[i].dtype = ctx.input(0).dtype;
    outputs[i].shape = in;
    outputs[i].shape[*axis] = split[i];
  }
  return Status::ok();
}

// Slice-13 bounds for one axis of size `dim`: the clamping rules of the operator page.
// Returns the number of selected elements; start is adjusted in place.
std::int64_t slice_length(std::int64_t dim, std::int64_t& start, std::int64_t end, std::int64_t step) {
  if (dim == 0) {
    start = 0;
    return 0;
  }
  if (start < 0) start += dim;
  if (end < 0) end += dim;
  if (step > 0) {
    start = std::clamp<std::int64_t>(start, 0, dim);
    end = std::clamp<std::int64_t>(end, 0, dim);
    return end > start ? (end - start + step - 1) / step : 0;
  }
  start = std::clamp<std::int64_t>(start, 0, dim - 1);
  end = std::clamp<std::int64_t>(end, -1, dim - 1);
  return start > end ? (start - end - step - 1) / -step : 0;
}

Status infer_slice(const InferenceContext& ctx, std::vector<ValueInfo>& outputs) {
  const Node& node = ctx.node;
  const Shape& in = ctx.input(0).shape;
  const std::int64_t rank = static_cast<std::int64_t>(in.size());
  EDGEAI_ASSIGN_OR_RETURN(std::vector<std::int64_t> starts, known_ints(ctx, 1, "starts"));
  EDGEAI_ASSIGN_OR_RETURN(std::vector<std::int64_t> ends, known_ints(ctx, 2, "ends"));
  std::vector<std::int64_t> axes;
  std::vector<std::int64_t> steps(starts.size(), 1);
  if (ctx.has_input(3)) {
    EDGEAI_ASSIGN_OR_RETURN(axes, known_ints(ctx, 3, "axes"));
  } else {
    for (std::size_t i = 0; i < starts.size(); ++i) axes.push_back(static_cast<std::int64_t>(i));
  }
  if (ctx.has_input(4)) {
    EDGEAI_ASSIGN_OR_RETURN(steps, known_ints(ctx, 4, "steps"));
  }
  if (ends.size() != starts.size() || axes.size() != starts.size() || steps.size() != starts.size()) {
    return invalid_argument(node.describe(), ": starts, ends, axes and steps have different lengths (", starts.size(),
                            ", ", ends.size(), ", ", axes.size(), ", ", steps.size(), ")");
  }
  Shape shape = in;
  std::vector<bool> seen(rank, false);
  for (std::size_t i = 0; i < starts.size(); ++i) {
    std::optional<std::int64_t> a = normalize_axis(axes[i], rank);
    if (!a) return invalid_argument(node.describe(), ": axis ", axes[i], " is out of range for rank ", rank);
    if (seen[*a]) return invalid_argument(node.describe(), ": axis ", axes[i], " is repeated");
    seen[*a] = true;
    if (steps[i] == 0) return invalid_argument(node.describe(), ": step of axis ", axes[i], " is 0");
    if (in[*a] < 0) continue;
    std::int64_t start = starts[i];
    shape[*a] = slice_length(in[*a], start, ends[i], steps[i]);
  }
  outputs[0].dtype = ctx.input(0).dtype;
  outputs[0].shape = shape;
  return Status::ok();
}

// Gather-13: data[:axis] + indices.shape + data[axis+1:].
Status infer_gather(const InferenceContext& ctx, std::vector<ValueInfo>& outputs) {
  const Shape& data = ctx.input(0).shape;
  const ValueInfo& indices = ctx.input(1);
  const std::int64_t rank = static_cast<std::int64_t>(data.size());
  const std::int64_t attr_axis = ctx.node.attr_int("axis", 0);
  std::optional<std::int64_t> axis = normalize_axis(attr_axis, rank);
  if (!axis) return invalid_argument(ctx.node.describe(), ": axis ", attr_axis, " is out of range for rank ", rank);
  if (indices.dtype != DType::kInt64 && indices.dtype != DType::kInt32) {
    return invalid_argument(ctx.node.describe(), ": indices must be int64 or int32, got ", dtype_name(indices.dtype));
  }
  Shape shape(data.begin(), data.begin() + *axis);
  shape.insert(shape.end(), indices.shape.begin(), indices.shape.end());
  shape.insert(shape.end(), data.begin() + *axis + 1, data.end());
  outputs[0].dtype = ctx.input(0).dtype;
  outputs[0].shape = shape;
  return Status::ok();
}

Status infer_expand(const InferenceContext& ctx, std::vector<ValueInfo>& outputs) {
  EDGEAI_ASSIGN_OR_RETURN(std::vector<std::int64_t> target, known_ints(ctx, 1, "shape"));
  std::optional<Shape> shape = broadcast_shapes(ctx.input(0).shape, target);
  if (!shape) {
    return invalid_argument(ctx.node.describe(), ": cannot expand ", shape_to_string(ctx.input(0).shape), " to ",
                            shape_to_string(target));
  }
  outputs[0].dtype = ctx.input(0).dtype;
  outputs[0].shape = *shape;
  return Status::ok();
}

// Cast's `to` holds an ONNX TensorProto.DataType number, as in the source model.
DType dtype_from_onnx_type(std::int64_t onnx_type) {
  switch (onnx_type) {
    case 1:
      return DType::kFloat32;
    case 2:
      return DType::kUInt8;
    case 3:
      return DType::kInt8;
    case 5:
      return DType::kInt16;
    case 6:
      return DType::kInt32;
    case 7:
      return DType::kInt64;
    case 9:
      return DType::kBool;
    case 10:
      return DType::kFloat16;
    case 11:
      return DType::kFloat64;
    default:
      return DType::kUndefined;
  }
}

Status infer_cast(const InferenceContext& ctx, std::vector<ValueInfo>& outputs) {
  const std::int64_t to = ctx.node.attr_int("to", 0);
  const DType dtype = dtype_from_onnx_type(to);
  if (dtype == DType::kUndefined) {
    return unsupported(ctx.node.describe(), ": cast to ONNX data type ", to, " is not supported");
  }
  outputs[0].dtype = dtype;
  outputs[0].shape = ctx.input(0).shape;
  return Status::ok();
}

// Shape-15: dims[start:end] with Python-style clamping.
Status infer_shape_op(const InferenceContext& ctx, std::vector<ValueInfo>& outputs) {
  const std::int64_t rank = rank_of(ctx.input(0));
  std::int64_t start = ctx.node.attr_int("start", 0);
  std::int64_t end = ctx.node.attr_int("end", rank);
  if (start < 0) start += rank;
  if (end < 0) end += rank;
  start = std::clamp<std::int64_t>(start, 0, rank);
  end = std::clamp<std::int64_t>(end, 0, rank);
  outputs[0].dtype = DType::kInt64;
  outputs[0].shape = {std::max<std::int64_t>(0, end - start)};
  return Status::ok();
}

// Constant-13: exactly one of value, value_float(s), value_int(s).
Status infer_constant(const InferenceContext& ctx, std::vector<ValueInfo>& outputs) {
  const Node& node = ctx.node;
  int count = 0;
  for (const char* key : {"value", "value_float", "value_floats", "value_int", "value_ints"})
    count += node.has_attr(key);
  if (count != 1) {
    return invalid_argument(node.describe(), ": needs exactly one of value, value_float(s), value_int(s); got ", count);
  }
  if (const Attribute* a = node.find_attr("value")) {
    outputs[0].dtype = a->as_tensor().dtype();
    outputs[0].shape = a->as_tensor().shape();
  } else if (node.has_attr("value_float")) {
    outputs[0] = ValueInfo{outputs[0].name, DType::kFloat32, {}};
  } else if (node.has_attr("value_int")) {
    outputs[0] = ValueInfo{outputs[0].name, DType::kInt64, {}};
  } else if (node.has_attr("value_floats")) {
    outputs[0] = ValueInfo{
        outputs[0].name, DType::kFloat32, {static_cast<std::int64_t>(node.attr_floats("value_floats").size())}};
  } else {
    outputs[0] =
        ValueInfo{outputs[0].name, DType::kInt64, {static_cast<std::int64_t>(node.attr_ints("value_ints").size())}};
  }
  if (outputs[0].dtype == DType::kUndefined) return invalid_argument(node.describe(), ": value tensor is empty");
  return Status::ok();
}

// ConstantOfShape-9: shape from input 0's value; dtype of the 1-element `value` (float32 0).
Status infer_constant_of_shape(const InferenceContext& ctx, std::vector<ValueInfo>& outputs) {
  EDGEAI_ASSIGN_OR_RETURN(std::vector<std::int64_t> shape, known_ints(ctx, 0, "shape"));
  for (std::int64_t d : shape) {
    if (d < 0)
      return invalid_argument(ctx.node.describe(), ": shape ", shape_to_string(shape), " has a negative dimension");
  }
  DType dtype = DType::kFloat32;
  if (const Attribute* a = ctx.node.find_attr("value")) {
    if (a->as_tensor().num_elements() != 1) {
      return invalid_argument(ctx.node.describe(), ": value must hold one element, got ",
                              shape_to_string(a->as_tensor().shape()));
    }
    dtype = a->as_tensor().dtype();
  }
  outputs[0].dtype = dtype;
  outputs[0].shape = shape;
  return Status::ok();
}

// Range-11: n = max(ceil((limit - start) / delta), 0) elements.
Status infer_range(const InferenceContext& ctx, std::vector<ValueInfo>& outputs) {
  const Node& node = ctx.node;
  const DType dtype = ctx.input(0).dtype;
  double values[3] = {0, 0, 0};
  for (std::size_t i = 0; i < 3; ++i) {
    const Tensor* t = ctx.input_value(i);
    if (t == nullptr) {
      return invalid_argument(node.describe(), ": the value of input ", i, " ('", node.inputs[i],
                              "') must be known at plan time");
    }
    if (t->dtype() != dtype || t->num_elements() != 1) {
      return invalid_argument(node.describe(), ": input ", i, " must be one ", dtype_name(dtype));
    }
    switch (dtype) {
      case DType::kFloat32:
        values[i] = *t->data<const float>();
        break;
      case DType::kFloat64:
        values[i] = *t->data<const double>();
        break;
      case DType::kInt16:
        values[i] = *t->data<const std::int16_t>();
        break;
      case DType::kInt32:
        values[i] = static_cast<double>(*t->data<const std::int32_t>());
        break;
      case DType::kInt64:
        values[i] = static_cast<double>(*t->data<const std::int64_t>());
        break;
      default:
        return unsupported(node.describe(), ": dtype ", dtype_name(dtype), " is not supported");
    }
  }
  if (values[2] == 0) return invalid_argument(node.describe(), ": delta is 0");
  const double n = std::ceil((values[1] - values[0]) / values[2]);
  outputs[0].dtype = dtype;
  outputs[0].shape = {n > 0 ? static_cast<std::int64_t>(n) : 0};
  return Status::ok();
}

// `shape_value_inputs`: the inputs whose values (not only shapes) decide the output shapes,
// so the runtime plans with a graph input's value when one feeds them.
OpSchema schema_of(std::string op_type, int min_inputs, int max_inputs, std::vector<AttrSpec> attributes,
                   InferShapesFn infer, std::vector<int> shape_value_inputs = {}) {
  OpSchema schema;
  schema.op_type = std::move(op_type);
  schema.min_inputs = min_inputs;
  schema.max_inputs = max_inputs;
  schema.attributes = std::move(attributes);
  schema.infer_shapes = infer;
  schema.shape_value_inputs = std::move(shape_value_inputs);
  return schema;
}

}  // namespace

void add_tensor_schemas(OpSchemaRegistry& registry) {
  constexpr int kManyInputs = 1 << 16;
  registry.add(schema_of("Concat", 1, kManyInputs, {{"axis", AttrType::kInt, true}}, infer_concat));
  registry.add(schema_of("Reshape", 2, 2, {{"allowzero", AttrType::kInt, false}}, infer_reshape, {1}));
  registry.add(schema_of("Flatten", 1, 1, {{"axis", AttrType::kInt, false}}, infer_flatten));
  registry.add(schema_of("Transpose", 1, 1, {{"perm", AttrType::kInts, false}}, infer_transpose));
  registry.add(schema_of("Squeeze", 1, 2, {{"axes", AttrType::kInts, false}}, infer_squeeze, {1}));
  registry.add(schema_of("Unsqueeze", 1, 2, {{"axes", AttrType::kInts, false}}, infer_unsqueeze, {1}));
  registry.add(schema_of("Pad", 2, 4, {{"mode", AttrType::kString, false}}, infer_pad, {1, 3}));
  {
    OpSchema split = schema_of(
        "Split", 1, 2,
        {{"axis", AttrType::kInt, false}, {"split", AttrType::kInts, false}, {"num_outputs", AttrType::kInt, false}},
        infer_split, {1});
    split.max_outputs = kManyInputs;
    registry.add(std::move(split));
  }
  registry.add(schema_of("Slice", 3, 5, {}, infer_slice, {1, 2, 3, 4}));
  registry.add(schema_of("Gather", 2, 2, {{"axis", AttrType::kInt, false}}, infer_gather));
  registry.add(schema_of("Expand", 2, 2, {}, infer_expand, {1}));
  registry.add(
      schema_of("Cast", 1, 1, {{"to", AttrType::kInt, true}, {"saturate", AttrType::kInt, false}}, infer_cast));
  registry.add(
      schema_of("Shape", 1, 1, {{"start", AttrType::kInt, false}, {"end", AttrType::kInt, false}}, infer_shape_op));
  registry.add(schema_of("Constant", 0, 0,
                         {{"value", AttrType::kTensor, false},
                          {"value_float", AttrType::kFloat, false},
                          {"value_floats", AttrType::kFloats, false},
                          {"value_int", AttrType::kInt, false},
                          {"value_ints", AttrType::kInts, false}},
                         infer_constant));
  registry.add(schema_of("ConstantOfShape", 1, 1, {{"value", AttrType::kTensor, false}}, infer_constant_of_shape, {0}));
  registry.add(schema_of("Range", 3, 3, {}, infer_range, {0, 1, 2}));
}

}  // namespace edgeai
