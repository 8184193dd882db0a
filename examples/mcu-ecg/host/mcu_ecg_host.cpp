// The host side of examples/mcu-ecg:
//   mcu_ecg_host inputs MODEL SPEC COUNT DIR   beats.c/.h: the first COUNT beats of SPEC (e.g.
//                                              mitdb:208) as the model's float inputs, for flash
//   mcu_ecg_host check MODEL SPEC COUNT LOG    the firmware's UART log against the host: every
//                                              beat's int8 logits and label must be those of the
//                                              host runtime's reference kernels on the same inputs
// Exit status 0 when every beat matches, 1 otherwise, 2 for bad arguments.
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "data/dataset_spec.hpp"
#include "format/bundle.hpp"
#include "runtime/session.hpp"

namespace edgeai {
namespace {

struct Beats {
  Bundle bundle;
  LabeledData data;
  std::int64_t count = 0;
};

Beats load(const char* model, const char* spec, const char* count) {
  Beats b;
  auto bundle = read_bundle(model);
  if (!bundle.is_ok()) {
    std::fprintf(stderr, "error: %s\n", bundle.status().to_string().c_str());
    std::exit(2);
  }
  b.bundle = std::move(*bundle);
  auto data = load_dataset_spec(spec, b.bundle.manifest);
  if (!data.is_ok()) {
    std::fprintf(stderr, "error: %s\n", data.status().to_string().c_str());
    std::exit(2);
  }
  b.data = std::move(*data);
  b.count = std::min<std::int64_t>(std::atoll(count), b.data.size());
  if (b.count < 1 || b.data.input_names != std::vector<std::string>{"beat", "rr"}) {
    std::fprintf(stderr, "error: need beats with inputs beat and rr (got %lld samples)\n",
                 static_cast<long long>(b.data.size()));
    std::exit(2);
  }
  return b;
}

const float* sample(const LabeledData& data, int input, std::int64_t i, std::int64_t* per) {
  const Tensor& t = data.inputs[static_cast<std::size_t>(input)];
  *per = t.num_elements() / data.size();
  return t.data<float>() + i * *per;
}

int write_inputs(const Beats& b, const std::string& dir) {
  std::ostringstream h, c;
  std::int64_t beat_per = 0, rr_per = 0;
  sample(b.data, 0, 0, &beat_per);
  sample(b.data, 1, 0, &rr_per);
  h << "// The first " << b.count << " beats of a record, as the model's float inputs (mcu_ecg_host inputs).\n"
    << "#pragma once\n#ifdef __cplusplus\nextern \"C\" {\n#endif\n"
    << "enum { kBeatCount = " << b.count << " };\n"
    << "extern const float beat_inputs[" << b.count << "][" << beat_per << "];\n"
    << "extern const float rr_inputs[" << b.count << "][" << rr_per << "];\n"
    << "#ifdef __cplusplus\n}\n#endif\n";
  c << "#include \"beats.h\"\n";
  char text[32];
  for (int input = 0; input < 2; ++input) {
    const std::int64_t per = input == 0 ? beat_per : rr_per;
    c << "const float " << (input == 0 ? "beat_inputs" : "rr_inputs") << "[" << b.count << "][" << per << "] = {\n";
    for (std::int64_t i = 0; i < b.count; ++i) {
      std::int64_t n = 0;
      const float* x = sample(b.data, input, i, &n);
      c << "{";
      for (std::int64_t j = 0; j < n; ++j) {
        std::snprintf(text, sizeof text, "%.9g", static_cast<double>(x[j]));  // round-trips a float
        c << (j ? "," : "") << text << (std::strchr(text, '.') || std::strchr(text, 'e') ? "f" : ".0f");
      }
      c << "},\n";
    }
    c << "};\n";
  }
  std::ofstream(dir + "/beats.h") << h.str();
  std::ofstream(dir + "/beats.c") << c.str();
  std::printf("wrote %s/beats.c: %lld beats\n", dir.c_str(), static_cast<long long>(b.count));
  return 0;
}

int check(const Beats& b, const char* log_path) {
  std::ifstream log(log_path);
  if (!log) {
    std::fprintf(stderr, "error: cannot read %s\n", log_path);
    return 2;
  }
  SessionOptions options;
  options.kernels = KernelSelection::kReference;
  auto session = Session::create(b.bundle, options);
  if (!session.is_ok()) {
    std::fprintf(stderr, "error: %s\n", session.status().to_string().c_str());
    return 2;
  }
  // The int8 value behind each dequantised logit: (q - zp) * scale, so q = logit / scale + zp.
  const Graph& g = b.bundle.graph;
  const Node* dequantize = nullptr;
  for (const Node& n : g.nodes) {
    if (n.op_type == "DequantizeLinear" && n.outputs[0] == g.outputs[0].name) dequantize = &n;
  }
  if (dequantize == nullptr) {
    std::fprintf(stderr, "error: the model's output is not dequantised int8\n");
    return 2;
  }
  const float scale = g.find_constant(dequantize->inputs[1])->data<float>()[0];
  const int zero_point =
      dequantize->inputs.size() > 2 ? g.find_constant(dequantize->inputs[2])->data<std::int8_t>()[0] : 0;

  std::int64_t matched = 0, same_labels = 0, same_outputs = 0, correct = 0;
  unsigned long long ticks_total = 0, calibration_ticks = 0;
  std::string line;
  while (std::getline(log, line)) {
    std::istringstream in(line);
    if (line.rfind("calibration 2000000 instructions ticks ", 0) == 0) {
      calibration_ticks = std::stoull(line.substr(39));
      continue;
    }
    std::string word, tag;
    long long index = -1;
    int label = -1;
    if (!(in >> word >> index >> tag >> label) || word != "beat" || tag != "label") continue;
    in >> tag;
    std::vector<int> q;
    int v = 0;
    while (in >> v) q.push_back(v);
    in.clear();
    unsigned long long ticks = 0;
    in >> tag >> ticks;
    ticks_total += ticks;
    if (index < 0 || index >= b.count) {
      std::fprintf(stderr, "error: beat %lld is not among the %lld beats\n", index, static_cast<long long>(b.count));
      return 1;
    }
    std::vector<Tensor> feeds;
    for (int input = 0; input < 2; ++input) {
      std::int64_t per = 0;
      const float* x = sample(b.data, input, index, &per);
      Shape shape = b.data.inputs[static_cast<std::size_t>(input)].shape();
      shape[0] = 1;
      Tensor t = Tensor::allocate(DType::kFloat32, shape).value();
      std::memcpy(t.data<float>(), x, static_cast<std::size_t>(per) * sizeof(float));
      feeds.push_back(std::move(t));
    }
    auto out = (*session)->run_and_copy(feeds);
    if (!out.is_ok()) {
      std::fprintf(stderr, "error: %s\n", out.status().to_string().c_str());
      return 2;
    }
    const Tensor& logits = out->at(0);
    std::vector<int> host_q;
    int host_label = 0;
    for (std::int64_t j = 0; j < logits.num_elements(); ++j) {
      const float y = logits.data<float>()[j];
      host_q.push_back(static_cast<int>(std::lround(y / scale)) + zero_point);
      if (y > logits.data<float>()[host_label]) host_label = static_cast<int>(j);
    }
    ++matched;
    same_outputs += host_q == q;
    same_labels += host_label == label;
    correct += b.data.labels[static_cast<std::size_t>(index)] == label;
    if (host_q != q && matched - same_outputs <= 5) {
      std::fprintf(stderr, "beat %lld differs: device label %d, host label %d\n", index, label, host_label);
    }
  }
  std::printf(
      "%lld beats from the device: int8 outputs identical to the host's reference on %lld, labels on %lld; "
      "labels equal to the annotations on %lld (%.2f %%)\n",
      static_cast<long long>(matched), static_cast<long long>(same_outputs), static_cast<long long>(same_labels),
      static_cast<long long>(correct),
      matched ? 100.0 * static_cast<double>(correct) / static_cast<double>(matched) : 0.0);
  if (matched > 0 && calibration_ticks > 0) {
    // Under -icount every instruction takes the same virtual time: a known loop gives the
    // instructions per tick (the loop's own two instructions of set-up are within the error).
    const double per_tick = 2000000.0 / static_cast<double>(calibration_ticks);
    const double ticks = static_cast<double>(ticks_total) / static_cast<double>(matched);
    std::printf(
        "instructions per inference: %.0f (QEMU -icount: %.1f SysTick ticks at %.2f instructions a tick; "
        "instructions, not cycles of a real core)\n",
        ticks * per_tick, ticks, per_tick);
  }
  return matched == b.count && same_outputs == matched && same_labels == matched ? 0 : 1;
}

}  // namespace
}  // namespace edgeai

int main(int argc, char** argv) {
  if (argc != 6 || (std::strcmp(argv[1], "inputs") != 0 && std::strcmp(argv[1], "check") != 0)) {
    std::fprintf(stderr,
                 "usage: mcu_ecg_host inputs MODEL SPEC COUNT DIR\n"
                 "       mcu_ecg_host check MODEL SPEC COUNT LOG\n");
    return 2;
  }
  const edgeai::Beats beats = edgeai::load(argv[2], argv[3], argv[4]);
  if (std::strcmp(argv[1], "inputs") == 0) return edgeai::write_inputs(beats, argv[5]);
  return edgeai::check(beats, argv[5]);
}
