#include "compress/advice.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>

namespace edgeai {
namespace {

std::string share(std::int64_t part, std::int64_t total) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1f %%", total > 0 ? 100.0 * static_cast<double>(part) / static_cast<double>(total) : 0.0);
  return buf;
}

bool is_depthwise(const Graph& graph, const Node& n) {
  if (n.op_type != "Conv" || n.attr_int("group", 1) == 1) return false;
  const Tensor* w = n.has_input(1) ? graph.find_constant(n.inputs[1]) : nullptr;
  return w != nullptr && w->shape().size() >= 2 && w->shape()[1] == 1;
}

}  // namespace

std::vector<std::string> preflight_advice(const Graph& graph, const std::map<std::string, std::int64_t>& macs,
                                          const CpuFeatures& cpu) {
  std::vector<std::string> advice;
  const std::string model = cpu.model.empty() ? "this CPU" : cpu.model;
  if (cpu.has_int8_dot_product()) {
    advice.push_back(str_cat(model, " has an int8 dot-product instruction (",
                             cpu.avx512_vnni ? "AVX-512 VNNI" : cpu.avx_vnni ? "AVX-VNNI" : "Arm dot product",
                             "): int8 convolutions and matrix products can do 4x the multiply-adds of fp32 per "
                             "instruction, so int8 pays off in speed as well as size."));
  } else if (cpu.avx2 || cpu.neon) {
    advice.push_back(str_cat(model, " has no int8 dot-product instruction (", cpu.describe(),
                             "): int8 still cuts size and memory traffic 4x, but its multiply-adds go through "
                             "16-bit steps; expect a modest speed-up over fp32, not 4x."));
  } else {
    advice.push_back(str_cat(model, ": no SIMD extension edgeai uses was found; int8 helps size, not speed."));
  }

  std::int64_t total = 0, depthwise = 0, float_only = 0;
  std::map<std::string, int> float_ops;
  std::set<std::string> int8_forms = {"Conv", "Gemm", "MatMul", "Add", "Mul", "Concat", "MaxPool", "AveragePool",
                                      "GlobalAveragePool", "Reshape", "Flatten", "Transpose", "Squeeze", "Unsqueeze",
                                      "Identity", "Dropout", "Relu", "Clip", "LeakyRelu", "Sigmoid", "Tanh",
                                      "HardSigmoid", "HardSwish", "Shape", "Gather", "Cast", "Constant"};
  for (const Node& n : graph.nodes) {
    auto it = macs.find(n.name);
    const std::int64_t m = it == macs.end() ? 0 : it->second;
    total += m;
    if (is_depthwise(graph, n)) depthwise += m;
    if (int8_forms.count(n.op_type) == 0) {
      ++float_ops[n.op_type];
      float_only += m;
    }
  }
  if (total > 0 && depthwise * 5 >= total) {
    advice.push_back(str_cat("depthwise convolutions carry ", share(depthwise, total),
                             " of the multiply-adds: they reduce over 9 taps, not over channels, so they gain less "
                             "from int8 than the pointwise layers and are the most sensitive to per-channel ranges."));
  }
  if (!float_ops.empty()) {
    std::string list;
    for (const auto& [op, count] : float_ops) list += str_cat(list.empty() ? "" : ", ", op, " x", count);
    advice.push_back(str_cat("no int8 kernel for ", list, ": these stay float32 between dequantize/quantize steps",
                             total > 0 ? str_cat(" (", share(float_only, total), " of the multiply-adds)") : "", "."));
  } else {
    advice.push_back("every layer has an int8 form: the model runs integer-only between its float input and output.");
  }
  return advice;
}

std::vector<std::string> error_advice(const std::vector<LayerReport>& layers, std::size_t count) {
  std::vector<const LayerReport*> measured;
  for (const LayerReport& l : layers) {
    if (l.sqnr) measured.push_back(&l);
  }
  std::sort(measured.begin(), measured.end(),
            [](const LayerReport* a, const LayerReport* b) { return a->sqnr->local_db < b->sqnr->local_db; });
  std::vector<std::string> advice;
  for (std::size_t i = 0; i < measured.size() && i < count; ++i) {
    char buf[64];
    std::snprintf(buf, sizeof(buf), "local SQNR %.1f dB, at its output %.1f dB", measured[i]->sqnr->local_db,
                  measured[i]->sqnr->accumulated_db);
    advice.push_back(str_cat(measured[i]->op_type, " '", measured[i]->node, "': ", buf));
  }
  if (!measured.empty() && measured.front()->sqnr->local_db < 20.0) {
    advice.push_back("a layer under 20 dB loses real signal: keep it in float32 (--keep-float NAME or "
                     "--max-accuracy-drop with --eval), or calibrate with --method percentile/mse");
  }
  return advice;
}

}  // namespace edgeai
