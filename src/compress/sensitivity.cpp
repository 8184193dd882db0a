#include "compress/sensitivity.hpp"

#include <cmath>
#include <set>

#include "data/sample_feeder.hpp"
#include "runtime/node_evaluator.hpp"
#include "runtime/session.hpp"

namespace edgeai {

double sqnr_db(double signal, double noise) {
  if (noise <= 0.0) return 200.0;
  if (signal <= 0.0) return -200.0;
  return std::min(200.0, 10.0 * std::log10(signal / noise));
}

namespace {

struct Accumulator {
  double signal = 0.0;
  double noise = 0.0;
  void add(const float* reference, const float* actual, std::int64_t n) {
    for (std::int64_t i = 0; i < n; ++i) {
      const double r = reference[i];
      const double d = r - static_cast<double>(actual[i]);
      signal += r * r;
      noise += d * d;
    }
  }
};

// An integer activation (int8, or int16 with int16 activations) as float.
std::vector<float> dequantize(const TensorView& v, quant::QuantParams p) {
  std::vector<float> out(static_cast<std::size_t>(v.num_elements()));
  for (std::size_t i = 0; i < out.size(); ++i) {
    const std::int32_t q = v.dtype == DType::kInt16 ? v.data_as<const std::int16_t>()[i] : v.data_as<const std::int8_t>()[i];
    out[i] = quant::dequantize_value(q, p.scale, p.zero_point);
  }
  return out;
}

// Float values quantised to `dtype` (int8 or int16) with parameters p.
Tensor quantize(const TensorView& x, quant::QuantParams p, DType dtype) {
  Tensor q = Tensor::allocate(dtype, x.shape).value();
  const float* f = x.data_as<const float>();
  for (std::int64_t i = 0; i < x.num_elements(); ++i) {
    if (dtype == DType::kInt16) {
      q.data<std::int16_t>()[i] = static_cast<std::int16_t>(quant::quantize_value(f[i], p.scale, p.zero_point, -32768, 32767));
    } else {
      q.data<std::int8_t>()[i] = static_cast<std::int8_t>(quant::quantize_value(f[i], p.scale, p.zero_point, -128, 127));
    }
  }
  return q;
}

}  // namespace

Result<std::map<std::string, LayerSqnr>> measure_layer_sqnr(const Graph& float_graph, const QuantizedGraph& quantized,
                                                            const LabeledData& data, std::int64_t max_samples,
                                                            const ProgressFn& progress) {
  // The quantised layers, each with its float output value and the int8 node that computes it.
  struct Layer {
    std::string node;
    std::string output;  // float value name
    const Node* int8_node = nullptr;
  };
  std::map<std::string, const Node*> int8_nodes;
  for (const Node& n : quantized.graph.nodes) int8_nodes[n.name] = &n;
  std::vector<Layer> layers;
  std::vector<std::string> float_values;   // every float value a layer reads or writes
  std::map<std::string, std::size_t> float_index;
  const auto observe = [&](const std::string& v) {
    if (float_index.count(v) == 0 && !float_graph.is_constant(v) && !float_graph.is_graph_input(v)) {
      float_index[v] = float_values.size();
      float_values.push_back(v);
    }
  };
  std::map<std::string, std::string> float_of_int8;
  for (const auto& [f, q] : quantized.int8_value_of) float_of_int8[q] = f;
  std::set<std::string> quantized_nodes;
  for (const LayerDecision& d : quantized.layers) {
    if (d.quantized) quantized_nodes.insert(d.node);
  }
  for (const Node& n : float_graph.nodes) {
    auto it = int8_nodes.find(n.name);
    if (quantized_nodes.count(n.name) == 0 || it == int8_nodes.end()) continue;
    layers.push_back({n.name, n.outputs[0], it->second});
    observe(n.outputs[0]);
    for (const std::string& in : it->second->inputs) {
      auto f = float_of_int8.find(in);
      if (f != float_of_int8.end()) observe(f->second);
    }
  }
  std::vector<std::string> int8_values;
  for (const Layer& l : layers) int8_values.push_back(quantized.int8_value_of.at(l.output));

  EDGEAI_ASSIGN_OR_RETURN(Graph float_observer, graph_observing(float_graph, float_values));
  EDGEAI_ASSIGN_OR_RETURN(Graph int8_observer, graph_observing(quantized.graph, int8_values));
  EDGEAI_ASSIGN_OR_RETURN(std::unique_ptr<Session> float_session, Session::create(std::move(float_observer)));
  EDGEAI_ASSIGN_OR_RETURN(std::unique_ptr<Session> int8_session, Session::create(std::move(int8_observer)));
  EDGEAI_ASSIGN_OR_RETURN(LabeledData samples, data.evenly_spaced(max_samples));
  if (samples.size() == 0) return invalid_argument("no samples to measure the per-layer error on");
  EDGEAI_ASSIGN_OR_RETURN(SampleFeeder float_feeder, SampleFeeder::create(float_graph.inputs, samples));
  EDGEAI_ASSIGN_OR_RETURN(SampleFeeder int8_feeder, SampleFeeder::create(quantized.graph.inputs, samples));

  std::vector<Accumulator> accumulated(layers.size()), local(layers.size());
  for (std::int64_t s = 0; s < samples.size(); ++s) {
    EDGEAI_RETURN_IF_ERROR(float_session->run(float_feeder.sample(s)));
    EDGEAI_RETURN_IF_ERROR(int8_session->run(int8_feeder.sample(s)));
    std::span<const TensorView> float_inputs = float_feeder.sample(s);
    // A float value: a model input (read from the feeder) or an observed output.
    const auto float_value = [&](const std::string& v) -> TensorView {
      for (std::size_t i = 0; i < float_graph.inputs.size(); ++i) {
        if (float_graph.inputs[i].name == v) return float_inputs[i];
      }
      return float_session->output(float_index.at(v));
    };
    for (std::size_t l = 0; l < layers.size(); ++l) {
      const TensorView reference = float_value(layers[l].output);
      const quant::QuantParams out_params = quantized.params_of.at(layers[l].output);
      const std::vector<float> actual = dequantize(int8_session->output(l), out_params);
      accumulated[l].add(reference.data_as<const float>(), actual.data(), reference.num_elements());

      // The layer alone: its int8 node on the float model's inputs, quantised with its parameters.
      const Node& node = *layers[l].int8_node;
      std::vector<Tensor> inputs;
      for (const std::string& in : node.inputs) {
        if (in.empty()) {
          inputs.emplace_back();
        } else if (const Tensor* c = quantized.graph.find_constant(in)) {
          inputs.push_back(*c);
        } else {
          const std::string& f = float_of_int8.at(in);
          const TensorView x = float_value(f);
          const quant::QuantParams p = quantized.params_of.at(f);
          inputs.push_back(quantize(x, p, quantized.activation_type));
        }
      }
      EDGEAI_ASSIGN_OR_RETURN(std::vector<Tensor> outputs, evaluate_node(node, inputs));
      const std::vector<float> alone = dequantize(outputs[0].view(), out_params);
      local[l].add(reference.data_as<const float>(), alone.data(), reference.num_elements());
    }
    if (progress) progress("measuring per-layer error", s + 1, samples.size());
  }
  std::map<std::string, LayerSqnr> out;
  for (std::size_t l = 0; l < layers.size(); ++l) {
    out[layers[l].node] = LayerSqnr{sqnr_db(accumulated[l].signal, accumulated[l].noise),
                                    sqnr_db(local[l].signal, local[l].noise)};
  }
  return out;
}

}  // namespace edgeai
