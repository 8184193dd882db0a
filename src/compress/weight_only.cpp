#include "compress/weight_only.hpp"

#include <algorithm>
#include <cmath>
#include <map>

#include "core/float16.hpp"
#include "graph/validate.hpp"
#include "kernels/quantization.hpp"

namespace edgeai {

namespace {

Status check_int4_input(const Tensor& weights, int block_size) {
  if (weights.dtype() != DType::kFloat32 || weights.shape().empty()) {
    return invalid_argument("int4 encoding takes a float32 tensor of rank >= 1");
  }
  if (block_size < 2 || block_size % 2 != 0) {
    return invalid_argument("the int4 block size must be an even number >= 2, got ", block_size);
  }
  return Status::ok();
}

// Values in [-7, 7], two per byte, element 2i in the low nibble.
Result<Tensor> pack_int4(const std::vector<std::int8_t>& q) {
  const std::int64_t n = static_cast<std::int64_t>(q.size());
  EDGEAI_ASSIGN_OR_RETURN(Tensor packed, Tensor::allocate(DType::kUInt8, Shape{(n + 1) / 2}));
  std::uint8_t* out = packed.data<std::uint8_t>();
  for (std::int64_t i = 0; i < n; ++i) {
    const std::uint8_t nibble = static_cast<std::uint8_t>(q[static_cast<std::size_t>(i)]) & 0x0f;
    out[i / 2] = static_cast<std::uint8_t>(i % 2 == 0 ? (out[i / 2] & 0xf0) | nibble : (out[i / 2] & 0x0f) | (nibble << 4));
  }
  return packed;
}

}  // namespace

Result<Int4Weights> encode_int4(const Tensor& weights, int block_size) {
  EDGEAI_RETURN_IF_ERROR(check_int4_input(weights, block_size));
  const std::int64_t n = weights.num_elements();
  const std::int64_t rows = weights.shape()[0];
  const std::int64_t k = rows == 0 ? 0 : n / rows;
  const std::int64_t blocks = (k + block_size - 1) / block_size;
  EDGEAI_ASSIGN_OR_RETURN(Tensor scales, Tensor::allocate(DType::kFloat16, Shape{rows, blocks}));
  const float* w = weights.data<float>();
  std::vector<std::int8_t> q(static_cast<std::size_t>(n), 0);
  for (std::int64_t r = 0; r < rows; ++r) {
    for (std::int64_t b = 0; b < blocks; ++b) {
      const std::int64_t begin = r * k + b * block_size;
      const std::int64_t end = r * k + std::min<std::int64_t>(k, (b + 1) * block_size);
      float max_abs = 0.0f;
      for (std::int64_t i = begin; i < end; ++i) max_abs = std::max(max_abs, std::fabs(w[i]));
      // The scale is rounded to float16 first and the weights quantised with that stored value.
      const std::uint16_t scale_bits = float_to_float16_bits(max_abs / 7.0f);
      scales.data<std::uint16_t>()[r * blocks + b] = scale_bits;
      const float scale = float16_bits_to_float(scale_bits);
      for (std::int64_t i = begin; i < end; ++i) {
        q[static_cast<std::size_t>(i)] =
            static_cast<std::int8_t>(scale > 0.0f ? quant::quantize_value(w[i], scale, 0, -7, 7) : 0);
      }
    }
  }
  EDGEAI_ASSIGN_OR_RETURN(Tensor packed, pack_int4(q));
  return Int4Weights{std::move(packed), std::move(scales)};
}

Result<Int4Weights> encode_int4_gptq(const Tensor& weights, int block_size, const InputCovariance& covariance) {
  EDGEAI_RETURN_IF_ERROR(check_int4_input(weights, block_size));
  const std::int64_t n = weights.num_elements();
  const std::int64_t rows = weights.shape()[0];
  const std::int64_t k = rows == 0 ? 0 : n / rows;
  if (k != covariance.size || covariance.groups < 1 || rows % covariance.groups != 0) {
    return invalid_argument("GPTQ int4: the weight's rows of ", k, " do not match the input covariance (", covariance.groups,
                            " groups of ", covariance.size, ")");
  }
  const std::int64_t blocks = (k + block_size - 1) / block_size;
  EDGEAI_ASSIGN_OR_RETURN(Tensor scales, Tensor::allocate(DType::kFloat16, Shape{rows, blocks}));
  std::vector<std::int8_t> q(static_cast<std::size_t>(n), 0);
  const std::int64_t per_group = rows / covariance.groups;
  for (std::int64_t g = 0; g < covariance.groups; ++g) {
    const std::int64_t first = g * per_group;
    if (!gptq_round_int4(weights.data<float>() + first * k, per_group, k, covariance.moment.data() + g * k * k,
                         block_size, q.data() + first * k, scales.data<std::uint16_t>() + first * blocks)) {
      return encode_int4(weights, block_size);  // a moment matrix that cannot be factored: nearest rounding
    }
  }
  EDGEAI_ASSIGN_OR_RETURN(Tensor packed, pack_int4(q));
  return Int4Weights{std::move(packed), std::move(scales)};
}

Result<WeightOnlyGraph> compress_weights(const Graph& graph, WeightOnlyFormat format, int int4_block_size,
                                         const std::set<std::string>& keep_float,
                                         const std::map<std::string, InputCovariance>* covariances) {
  WeightOnlyGraph result;
  result.graph = graph;
  Graph& g = result.graph;
  std::set<std::string> names;
  for (const auto& [name, t] : g.constants) names.insert(name);
  for (const Node& n : g.nodes) {
    names.insert(n.name);
    for (const std::string& o : n.outputs) names.insert(o);
  }
  const auto fresh = [&](const std::string& base) {
    std::string name = base;
    for (int i = 1; names.count(name) != 0; ++i) name = str_cat(base, "_", i);
    names.insert(name);
    return name;
  };
  std::map<std::string, std::string> decompressed;  // weight constant -> its float32 value
  std::vector<Node> decoders;
  for (Node& node : g.nodes) {
    if (node.op_type != "Conv" && node.op_type != "Gemm" && node.op_type != "MatMul") continue;
    if (keep_float.count(node.name) != 0 || !node.has_input(1)) continue;
    const std::string weight = node.inputs[1];
    const Tensor* w = graph.find_constant(weight);
    if (w == nullptr || w->dtype() != DType::kFloat32 || w->num_elements() < kMinCompressedWeightElements) continue;
    auto it = decompressed.find(weight);
    if (it == decompressed.end()) {
      Node decoder;
      decoder.name = fresh(weight + "_decompress");
      decoder.outputs = {fresh(weight + "_decompressed")};
      if (format == WeightOnlyFormat::kFp16) {
        EDGEAI_ASSIGN_OR_RETURN(Tensor half, Tensor::allocate(DType::kFloat16, w->shape()));
        for (std::int64_t i = 0; i < w->num_elements(); ++i) {
          half.data<std::uint16_t>()[i] = float_to_float16_bits(w->data<float>()[i]);
        }
        const std::string stored = fresh(weight + "_fp16");
        g.constants[stored] = std::move(half);
        decoder.op_type = "Cast";
        decoder.inputs = {stored};
        decoder.attributes["to"] = Attribute(static_cast<std::int64_t>(1));  // ONNX TensorProto FLOAT
      } else {
        // GPTQ where calibration gave the layer's input covariance and the weight's rows are its
        // output channels (Conv; Gemm with transB); nearest rounding otherwise.
        const bool rows_are_outputs = node.op_type == "Conv" || (node.op_type == "Gemm" && node.attr_int("transB", 0) != 0);
        const auto cov = covariances != nullptr ? covariances->find(node.name) : std::map<std::string, InputCovariance>::const_iterator{};
        const bool use_gptq = covariances != nullptr && cov != covariances->end() && rows_are_outputs;
        EDGEAI_ASSIGN_OR_RETURN(Int4Weights q, use_gptq ? encode_int4_gptq(*w, int4_block_size, cov->second)
                                                        : encode_int4(*w, int4_block_size));
        if (use_gptq) result.gptq_nodes.insert(node.name);
        const std::string packed = fresh(weight + "_int4");
        const std::string scales = fresh(weight + "_int4_scales");
        g.constants[packed] = std::move(q.packed);
        g.constants[scales] = std::move(q.scales);
        decoder.op_type = "DequantizeInt4";
        decoder.inputs = {packed, scales};
        decoder.attributes["shape"] = Attribute(std::vector<std::int64_t>(w->shape().begin(), w->shape().end()));
        decoder.attributes["block_size"] = Attribute(static_cast<std::int64_t>(int4_block_size));
      }
      it = decompressed.emplace(weight, decoder.outputs[0]).first;
      decoders.push_back(std::move(decoder));
    }
    node.inputs[1] = it->second;
    result.compressed_nodes.insert(node.name);
  }
  for (const auto& [weight, value] : decompressed) {
    bool still_used = g.is_graph_output(weight);
    for (const Node& n : g.nodes) still_used = still_used || std::count(n.inputs.begin(), n.inputs.end(), weight) > 0;
    if (!still_used) g.constants.erase(weight);
  }
  g.nodes.insert(g.nodes.begin(), decoders.begin(), decoders.end());
  g.value_info.clear();
  EDGEAI_RETURN_IF_ERROR(validate_graph(g).with_context("the weight-compressed graph"));
  return result;
}

}  // namespace edgeai
