// GraphBuilder: layer calls become IR nodes with readable names ("conv1", "bn1", "fc1") and
// constants named after torch's state dict ("conv1.weight", "bn1.running_mean"). Shapes are
// inferred node by node with the operators' own schemas, so the builder and the validator
// can never disagree. Depends on core and graph only.
#include "train/graph_builder.hpp"

#include <cmath>
#include <optional>
#include <utility>

#include "graph/op_schema.hpp"
#include "graph/validate.hpp"

namespace edgeai {
namespace {

std::vector<std::int64_t> or_default(std::vector<std::int64_t> values, std::size_t count, std::int64_t fallback) {
  if (values.empty()) values.assign(count, fallback);
  return values;
}

}  // namespace

GraphBuilder::GraphBuilder(std::string graph_name, std::uint64_t seed) : rng_(seed) {
  graph_.name = std::move(graph_name);
}

void GraphBuilder::fail(Status status) {
  if (status_.is_ok()) status_ = std::move(status).with_context(str_cat("GraphBuilder '", graph_.name, "'"));
}

bool GraphBuilder::check_value(const std::string& value, const char* what) {
  if (!status_.is_ok()) return false;
  auto it = values_.find(value);
  if (it == values_.end()) {
    fail(invalid_argument(what, ": unknown value '", value, "'"));
    return false;
  }
  if (it->second.dtype == DType::kUndefined) {
    fail(invalid_argument(what, ": value '", value, "' has no known type"));
    return false;
  }
  return true;
}

std::string GraphBuilder::fresh_name(const std::string& kind) {
  for (;;) {
    std::string name = kind + std::to_string(++counters_[kind]);
    if (values_.count(name) == 0 && graph_.constants.count(name) == 0) return name;
  }
}

ValueInfo GraphBuilder::info(const std::string& value) const {
  auto it = values_.find(value);
  return it == values_.end() ? ValueInfo{value, DType::kUndefined, {}} : it->second;
}

Tensor GraphBuilder::uniform_tensor(Shape shape, float bound) {
  Result<Tensor> tensor = Tensor::allocate(DType::kFloat32, std::move(shape));
  if (!tensor.is_ok()) {
    fail(tensor.status());
    return Tensor();
  }
  float* data = tensor->data<float>();
  for (std::int64_t i = 0; i < tensor->num_elements(); ++i) {
    // 53 random bits to a double in [0, 1): the same on every standard library, unlike
    // std::uniform_real_distribution.
    const double unit = static_cast<double>(rng_() >> 11) * 0x1.0p-53;
    data[i] = static_cast<float>((2.0 * unit - 1.0) * bound);
  }
  return std::move(tensor).value();
}

std::string GraphBuilder::add_constant(const std::string& name, Tensor tensor) {
  values_[name] = ValueInfo{name, tensor.dtype(), tensor.shape()};
  graph_.constants[name] = std::move(tensor);
  return name;
}

std::string GraphBuilder::add_node(Node node) {
  const std::string result = node.outputs.empty() ? std::string() : node.outputs[0];
  if (!status_.is_ok()) return result;
  const OpSchema* schema = OpSchemaRegistry::builtin().find(node.op_type);
  if (schema == nullptr) {
    fail(internal_error(node.describe(), ": no schema for ", node.op_type));
    return result;
  }
  Status checked = check_node(node, *schema);
  if (!checked.is_ok()) {
    fail(checked);
    return result;
  }
  InferenceContext ctx{node, {}, {}};
  for (const std::string& in : node.inputs) {
    if (in.empty()) {
      ctx.inputs.push_back(std::nullopt);
      ctx.input_values.push_back(nullptr);
      continue;
    }
    auto it = values_.find(in);
    if (it == values_.end()) {
      fail(invalid_argument(node.describe(), ": unknown input value '", in, "'"));
      return result;
    }
    ctx.inputs.push_back(it->second);
    ctx.input_values.push_back(graph_.find_constant(in));
  }
  std::vector<ValueInfo> outputs;
  for (const std::string& out : node.outputs) outputs.push_back(ValueInfo{out, DType::kUndefined, {}});
  Status inferred = schema->infer_shapes(ctx, outputs);
  if (!inferred.is_ok()) {
    fail(inferred);
    return result;
  }
  for (const ValueInfo& out : outputs) values_[out.name] = out;
  graph_.nodes.push_back(std::move(node));
  return result;
}

std::string GraphBuilder::input(const std::string& name, Shape shape) {
  if (values_.count(name) != 0) {
    fail(invalid_argument("input '", name, "' is declared twice"));
    return name;
  }
  ValueInfo info{name, DType::kFloat32, std::move(shape)};
  values_[name] = info;
  graph_.inputs.push_back(std::move(info));
  return name;
}

std::string GraphBuilder::conv(const std::string& x, const ConvSpec& spec) {
  const std::string name = fresh_name("conv");
  if (!check_value(x, "conv")) return name;
  const ValueInfo& in = values_[x];
  const std::size_t rank = spec.kernel.size();
  if (rank == 0 || in.shape.size() != rank + 2) {
    fail(invalid_argument("conv '", name, "': a ", rank, "-D kernel needs an input of rank ", rank + 2, ", '", x,
                          "' is ", shape_to_string(in.shape)));
    return name;
  }
  const std::int64_t channels = in.shape[1];
  if (channels <= 0 || spec.groups < 1 || channels % spec.groups != 0 || spec.out_channels < 1 ||
      spec.out_channels % spec.groups != 0) {
    fail(invalid_argument("conv '", name, "': ", channels, " input channels and ", spec.out_channels,
                          " output channels must both be positive multiples of groups ", spec.groups));
    return name;
  }
  Shape weight_shape{spec.out_channels, channels / spec.groups};
  std::int64_t fan_in = channels / spec.groups;
  for (std::int64_t k : spec.kernel) {
    weight_shape.push_back(k);
    fan_in *= k;
  }
  const float bound = fan_in > 0 ? static_cast<float>(1.0 / std::sqrt(static_cast<double>(fan_in))) : 0.0f;
  Node node;
  node.name = name;
  node.op_type = "Conv";
  node.inputs = {x, add_constant(name + ".weight", uniform_tensor(weight_shape, bound))};
  if (spec.bias) node.inputs.push_back(add_constant(name + ".bias", uniform_tensor({spec.out_channels}, bound)));
  node.outputs = {name};
  node.attributes["kernel_shape"] = spec.kernel;
  node.attributes["strides"] = or_default(spec.strides, rank, 1);
  node.attributes["pads"] = or_default(spec.pads, 2 * rank, 0);
  node.attributes["dilations"] = or_default(spec.dilations, rank, 1);
  node.attributes["group"] = spec.groups;
  return add_node(std::move(node));
}

std::string GraphBuilder::conv1d(const std::string& x, std::int64_t out_channels, std::int64_t kernel,
                                 std::int64_t stride, std::int64_t padding, std::int64_t groups, std::int64_t dilation,
                                 bool bias) {
  return conv(x, ConvSpec{out_channels, {kernel}, {stride}, {padding, padding}, {dilation}, groups, bias});
}

std::string GraphBuilder::conv2d(const std::string& x, std::int64_t out_channels, std::int64_t kernel,
                                 std::int64_t stride, std::int64_t padding, std::int64_t groups, std::int64_t dilation,
                                 bool bias) {
  return conv(x, ConvSpec{out_channels,
                          {kernel, kernel},
                          {stride, stride},
                          {padding, padding, padding, padding},
                          {dilation, dilation},
                          groups,
                          bias});
}

std::string GraphBuilder::batch_norm(const std::string& x, float epsilon, float momentum) {
  const std::string name = fresh_name("bn");
  if (!check_value(x, "batch_norm")) return name;
  const Shape& shape = values_[x].shape;
  if (shape.size() < 2 || shape[1] <= 0) {
    fail(invalid_argument("batch_norm '", name, "': input '", x, "' ", shape_to_string(shape),
                          " needs a known channel axis 1"));
    return name;
  }
  const std::int64_t channels = shape[1];
  auto filled = [channels](float value) {
    return Tensor::from_vector<float>({channels}, std::vector<float>(static_cast<std::size_t>(channels), value));
  };
  Node node;
  node.name = name;
  node.op_type = "BatchNormalization";
  node.inputs = {x, add_constant(name + ".weight", filled(1.0f)), add_constant(name + ".bias", filled(0.0f)),
                 add_constant(name + ".running_mean", filled(0.0f)), add_constant(name + ".running_var", filled(1.0f))};
  node.outputs = {name};
  node.attributes["epsilon"] = epsilon;
  // ONNX: running = running * momentum + batch * (1 - momentum); torch weighs the batch.
  node.attributes["momentum"] = 1.0f - momentum;
  return add_node(std::move(node));
}

std::string GraphBuilder::unary(const char* op_type, const char* kind, const std::string& x) {
  const std::string name = fresh_name(kind);
  if (!check_value(x, kind)) return name;
  Node node;
  node.name = name;
  node.op_type = op_type;
  node.inputs = {x};
  node.outputs = {name};
  return add_node(std::move(node));
}

std::string GraphBuilder::relu(const std::string& x) { return unary("Relu", "relu", x); }
std::string GraphBuilder::sigmoid(const std::string& x) { return unary("Sigmoid", "sigmoid", x); }
std::string GraphBuilder::tanh(const std::string& x) { return unary("Tanh", "tanh", x); }
std::string GraphBuilder::hardswish(const std::string& x) { return unary("HardSwish", "hardswish", x); }

std::string GraphBuilder::relu6(const std::string& x) {
  const std::string name = fresh_name("relu6_");
  if (!check_value(x, "relu6")) return name;
  Node node;
  node.name = name;
  node.op_type = "Clip";
  node.inputs = {x, add_constant(name + ".min", Tensor::from_values<float>({}, {0.0f})),
                 add_constant(name + ".max", Tensor::from_values<float>({}, {6.0f}))};
  node.outputs = {name};
  return add_node(std::move(node));
}

std::string GraphBuilder::leaky_relu(const std::string& x, float alpha) {
  const std::string name = fresh_name("leaky_relu");
  if (!check_value(x, "leaky_relu")) return name;
  Node node;
  node.name = name;
  node.op_type = "LeakyRelu";
  node.inputs = {x};
  node.outputs = {name};
  node.attributes["alpha"] = alpha;
  return add_node(std::move(node));
}

std::string GraphBuilder::max_pool(const std::string& x, std::size_t rank, std::int64_t kernel, std::int64_t stride,
                                   std::int64_t padding) {
  const std::string name = fresh_name("maxpool");
  if (!check_value(x, "max_pool")) return name;
  Node node;
  node.name = name;
  node.op_type = "MaxPool";
  node.inputs = {x};
  node.outputs = {name};
  node.attributes["kernel_shape"] = std::vector<std::int64_t>(rank, kernel);
  node.attributes["strides"] = std::vector<std::int64_t>(rank, stride == 0 ? kernel : stride);
  node.attributes["pads"] = std::vector<std::int64_t>(2 * rank, padding);
  return add_node(std::move(node));
}

std::string GraphBuilder::max_pool1d(const std::string& x, std::int64_t kernel, std::int64_t stride,
                                     std::int64_t padding) {
  return max_pool(x, 1, kernel, stride, padding);
}

std::string GraphBuilder::max_pool2d(const std::string& x, std::int64_t kernel, std::int64_t stride,
                                     std::int64_t padding) {
  return max_pool(x, 2, kernel, stride, padding);
}

std::string GraphBuilder::avg_pool(const std::string& x, std::vector<std::int64_t> kernel,
                                   std::vector<std::int64_t> strides, std::vector<std::int64_t> pads,
                                   bool count_include_pad) {
  const std::string name = fresh_name("avgpool");
  if (!check_value(x, "avg_pool")) return name;
  const std::size_t rank = kernel.size();
  Node node;
  node.name = name;
  node.op_type = "AveragePool";
  node.inputs = {x};
  node.outputs = {name};
  node.attributes["strides"] = strides.empty() ? kernel : std::move(strides);
  node.attributes["kernel_shape"] = std::move(kernel);
  node.attributes["pads"] = or_default(std::move(pads), 2 * rank, 0);
  node.attributes["count_include_pad"] = static_cast<std::int64_t>(count_include_pad ? 1 : 0);
  return add_node(std::move(node));
}

std::string GraphBuilder::global_avg_pool(const std::string& x) { return unary("GlobalAveragePool", "gap", x); }

std::string GraphBuilder::flatten(const std::string& x, std::int64_t axis) {
  const std::string name = fresh_name("flatten");
  if (!check_value(x, "flatten")) return name;
  Node node;
  node.name = name;
  node.op_type = "Flatten";
  node.inputs = {x};
  node.outputs = {name};
  node.attributes["axis"] = axis;
  return add_node(std::move(node));
}

std::string GraphBuilder::linear(const std::string& x, std::int64_t out_features, bool bias) {
  const std::string name = fresh_name("fc");
  if (!check_value(x, "linear")) return name;
  const Shape& shape = values_[x].shape;
  if (shape.size() != 2 || shape[1] <= 0 || out_features < 1) {
    fail(invalid_argument("linear '", name, "': input '", x, "' must be [N, features] with known features, got ",
                          shape_to_string(shape), " (flatten first)"));
    return name;
  }
  const std::int64_t in_features = shape[1];
  const float bound = static_cast<float>(1.0 / std::sqrt(static_cast<double>(in_features)));
  Node node;
  node.name = name;
  node.op_type = "Gemm";
  node.inputs = {x, add_constant(name + ".weight", uniform_tensor({out_features, in_features}, bound))};
  if (bias) node.inputs.push_back(add_constant(name + ".bias", uniform_tensor({out_features}, bound)));
  node.outputs = {name};
  node.attributes["transB"] = std::int64_t{1};
  return add_node(std::move(node));
}

std::string GraphBuilder::dropout(const std::string& x, float ratio) {
  const std::string name = fresh_name("dropout");
  if (!check_value(x, "dropout")) return name;
  if (!(ratio >= 0.0f && ratio < 1.0f)) {
    fail(invalid_argument("dropout '", name, "': ratio must be in [0, 1), got ", ratio));
    return name;
  }
  Node node;
  node.name = name;
  node.op_type = "Dropout";
  node.inputs = {x, add_constant(name + ".ratio", Tensor::from_values<float>({}, {ratio}))};
  node.outputs = {name};
  return add_node(std::move(node));
}

std::string GraphBuilder::concat(const std::vector<std::string>& xs, std::int64_t axis) {
  const std::string name = fresh_name("concat");
  if (xs.empty()) {
    fail(invalid_argument("concat '", name, "': no inputs"));
    return name;
  }
  for (const std::string& x : xs) {
    if (!check_value(x, "concat")) return name;
  }
  Node node;
  node.name = name;
  node.op_type = "Concat";
  node.inputs = xs;
  node.outputs = {name};
  node.attributes["axis"] = axis;
  return add_node(std::move(node));
}

std::string GraphBuilder::add(const std::string& a, const std::string& b) {
  const std::string name = fresh_name("add");
  if (!check_value(a, "add") || !check_value(b, "add")) return name;
  Node node;
  node.name = name;
  node.op_type = "Add";
  node.inputs = {a, b};
  node.outputs = {name};
  return add_node(std::move(node));
}

std::string GraphBuilder::softmax(const std::string& x, std::int64_t axis) {
  const std::string name = fresh_name("softmax");
  if (!check_value(x, "softmax")) return name;
  Node node;
  node.name = name;
  node.op_type = "Softmax";
  node.inputs = {x};
  node.outputs = {name};
  node.attributes["axis"] = axis;
  return add_node(std::move(node));
}

void GraphBuilder::output(const std::string& x, const std::string& name) {
  if (!check_value(x, "output")) return;
  if (x != name && values_.count(name) != 0) {
    fail(invalid_argument("output '", name, "': the name is already used by another value"));
    return;
  }
  std::string value = x;
  const bool is_input = graph_.is_graph_input(x);
  const bool is_output = graph_.is_graph_output(x);
  if (x == name && !is_input) {
    // Already called that: nothing to rename.
  } else if (is_input || is_output || graph_.is_constant(x)) {
    Node node;
    node.name = fresh_name("identity");
    node.op_type = "Identity";
    node.inputs = {x};
    node.outputs = {name};
    value = add_node(std::move(node));
  } else {
    // Rename the produced value so the graph output carries the caller's name.
    for (Node& node : graph_.nodes) {
      for (std::string& out : node.outputs) {
        if (out == x) out = name;
      }
      for (std::string& in : node.inputs) {
        if (in == x) in = name;
      }
    }
    ValueInfo info = values_[x];
    values_.erase(x);
    info.name = name;
    values_[name] = info;
    value = name;
  }
  if (!status_.is_ok()) return;
  ValueInfo info = values_[value];
  info.name = name;
  graph_.outputs.push_back(std::move(info));
}

Result<Graph> GraphBuilder::build() const {
  if (!status_.is_ok()) return status_;
  if (graph_.inputs.empty()) return invalid_argument("GraphBuilder '", graph_.name, "': no input declared");
  if (graph_.outputs.empty()) return invalid_argument("GraphBuilder '", graph_.name, "': no output declared");
  Graph graph = graph_;
  Status valid = validate_graph(graph);
  if (!valid.is_ok()) return valid.with_context(str_cat("GraphBuilder '", graph_.name, "'"));
  return graph;
}

}  // namespace edgeai
