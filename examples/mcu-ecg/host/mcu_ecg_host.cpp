// The host side of examples/mcu-ecg:
//   mcu_ecg_host record RECORD SECONDS DIR    record.c/.h: the first SECONDS of MIT-BIH RECORD's
//                                             MLII lead as ADC samples, for the firmware's flash
//   mcu_ecg_host check MODEL RECORD SECONDS LOG
//       the firmware's UART log against the host: the same samples through the same beat
//       pipeline (micro/ecg.hpp, compiled here) must give the same R peaks, and each beat's int8
//       logits and label must be those of the host runtime's reference kernels on the same
//       inputs. Also prints the detector's and the classifier's agreement with the annotations.
// Exit status 0 when every beat matches, 1 otherwise, 2 for bad arguments.
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "data/mitdb.hpp"
#include "data/rpeak.hpp"
#include "data/wfdb.hpp"
#include "format/bundle.hpp"
#include "micro/ecg.hpp"
#include "runtime/session.hpp"

namespace edgeai {
namespace {

[[noreturn]] void die(const std::string& message) {
  std::fprintf(stderr, "mcu_ecg_host: error: %s\n", message.c_str());
  std::exit(2);
}

struct Record {
  std::string name;
  WfdbSignalInfo signal;
  std::vector<std::int16_t> adc;  // the first `seconds`
  std::vector<WfdbAnnotation> annotations;
};

Record load_record(const std::string& name, const char* seconds_text) {
  const std::string dir = default_mitdb_dir(EDGEAI_SOURCE_DIR);
  Record r;
  r.name = name;
  Result<WfdbHeader> header = read_wfdb_header(dir + "/" + name + ".hea");
  if (!header.is_ok()) die(header.status().to_string());
  if (header->sample_rate_hz != micro::RPeakDetector::kRateHz) die("the record is not sampled at 360 Hz");
  Result<WfdbSignals> signals = read_wfdb_signals(*header, dir);
  if (!signals.is_ok()) die(signals.status().to_string());
  std::size_t lead = header->signals.size();
  for (std::size_t i = 0; i < header->signals.size(); ++i) {
    if (header->signals[i].description == "MLII") lead = i;
  }
  if (lead == header->signals.size()) die("record " + name + " has no MLII lead");
  const double seconds = std::atof(seconds_text);
  if (!(seconds > 0)) die("SECONDS must be positive");
  const auto n = std::min<std::size_t>(signals->channels[lead].size(), static_cast<std::size_t>(seconds * 360.0));
  r.signal = header->signals[lead];
  r.adc.assign(signals->channels[lead].begin(), signals->channels[lead].begin() + static_cast<std::ptrdiff_t>(n));
  Result<std::vector<WfdbAnnotation>> annotations = read_mit_annotations(dir + "/" + name + ".atr");
  if (!annotations.is_ok()) die(annotations.status().to_string());
  r.annotations = std::move(*annotations);
  return r;
}

int write_record(const Record& r, const std::string& dir) {
  std::ostringstream h, c;
  h << "// MIT-BIH record " << r.name << ", MLII, the first " << r.adc.size()
    << " samples at 360 Hz (mcu_ecg_host record).\n"
    << "#pragma once\n#ifdef __cplusplus\nextern \"C\" {\n#endif\n"
    << "#define ECG_RECORD_NAME \"" << r.name << "\"\n"
    << "#define ECG_RECORD_SAMPLES " << r.adc.size() << "\n"
    << "#define ECG_RECORD_ADC_ZERO " << r.signal.baseline << "\n"
    << "#define ECG_RECORD_ADC_PER_MV " << r.signal.gain << "\n"
    << "extern const short ecg_record[ECG_RECORD_SAMPLES];\n"
    << "#ifdef __cplusplus\n}\n#endif\n";
  c << "#include \"record.h\"\nconst short ecg_record[ECG_RECORD_SAMPLES] = {\n";
  for (std::size_t i = 0; i < r.adc.size(); ++i) c << r.adc[i] << (i % 20 == 19 ? ",\n" : ",");
  c << "};\n";
  std::ofstream(dir + "/record.h") << h.str();
  std::ofstream(dir + "/record.c") << c.str();
  std::printf("wrote %s/record.c: record %s, %zu samples (%.0f s)\n", dir.c_str(), r.name.c_str(), r.adc.size(),
              static_cast<double>(r.adc.size()) / 360.0);
  return 0;
}

struct DeviceBeat {
  long long peak = -1;
  int label = -1;
  std::vector<int> q;
  unsigned long long ticks = 0;
};

int check(const char* model, const Record& r, const char* log_path) {
  auto bundle = read_bundle(model);
  if (!bundle.is_ok()) die(bundle.status().to_string());
  std::ifstream log(log_path);
  if (!log) die(std::string("cannot read ") + log_path);
  std::vector<DeviceBeat> device;
  unsigned long long calibration_ticks = 0;
  std::string line;
  while (std::getline(log, line)) {
    if (line.rfind("calibration 2000000 instructions ticks ", 0) == 0) calibration_ticks = std::stoull(line.substr(39));
    std::istringstream in(line);
    std::string word, tag;
    long long index = -1;
    DeviceBeat b;
    if (!(in >> word >> index) || word != "beat") continue;
    in >> tag >> b.peak >> tag >> b.label >> tag;
    int v = 0;
    while (in >> v) b.q.push_back(v);
    in.clear();
    in >> tag >> b.ticks;
    if (index != static_cast<long long>(device.size())) die("beat lines out of order in the log");
    device.push_back(b);
  }

  // The host: the same pipeline over the same samples, the bundle's reference kernels.
  auto interpreter = std::make_unique<micro::Interpreter>();
  std::vector<std::uint8_t> bytes;
  {
    std::ifstream in(model, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  micro::EcgBeatConfig config;
  if (interpreter->load(bytes.data(), bytes.size()) != micro::Code::kOk ||
      micro::read_ecg_beat_config(*interpreter, &config) != micro::Code::kOk) {
    die(interpreter->error());
  }
  SessionOptions options;
  options.kernels = KernelSelection::kReference;
  auto session = Session::create(*bundle, options);
  if (!session.is_ok()) die(session.status().to_string());
  const Graph& g = bundle->graph;
  const Node* dequantize = nullptr;
  for (const Node& n : g.nodes) {
    if (n.op_type == "DequantizeLinear" && n.outputs[0] == g.outputs[0].name) dequantize = &n;
  }
  if (dequantize == nullptr) die("the model's output is not dequantised int8");
  const float scale = g.find_constant(dequantize->inputs[1])->data<float>()[0];
  const int zero_point =
      dequantize->inputs.size() > 2 ? g.find_constant(dequantize->inputs[2])->data<std::int8_t>()[0] : 0;

  auto beats = std::make_unique<micro::EcgBeats>(config, r.signal.baseline, r.signal.gain);
  Tensor window = Tensor::allocate(DType::kFloat32, {1, 1, config.window_samples()}).value();
  Tensor rr = Tensor::allocate(DType::kFloat32, {1, 8}).value();
  std::vector<std::int64_t> host_peaks;
  std::vector<int> host_labels;
  std::int64_t same_peaks = 0, same_outputs = 0, same_labels = 0;
  std::uint32_t peak = 0;
  for (std::size_t i = 0; i <= r.adc.size(); ++i) {
    if (i < r.adc.size()) {
      beats->push(r.adc[i]);
    } else {
      beats->flush();
    }
    while (beats->next(&peak, window.data<float>(), rr.data<float>())) {
      auto out = (*session)->run_and_copy({window, rr});
      if (!out.is_ok()) die(out.status().to_string());
      const Tensor& logits = out->at(0);
      std::vector<int> q;
      int label = 0;
      for (std::int64_t j = 0; j < logits.num_elements(); ++j) {
        const float y = logits.data<float>()[j];
        q.push_back(static_cast<int>(std::lround(y / scale)) + zero_point);
        if (y > logits.data<float>()[label]) label = static_cast<int>(j);
      }
      const std::size_t b = host_peaks.size();
      if (b < device.size()) {
        const bool peak_ok = device[b].peak == static_cast<long long>(peak);
        same_peaks += peak_ok;
        same_outputs += peak_ok && device[b].q == q;
        same_labels += peak_ok && device[b].label == label;
        if ((!peak_ok || device[b].q != q) && b - static_cast<std::size_t>(same_outputs) < 5) {
          std::fprintf(stderr, "beat %zu differs: device peak %lld label %d, host peak %u label %d\n", b,
                       device[b].peak, device[b].label, peak, label);
        }
      }
      host_peaks.push_back(peak);
      host_labels.push_back(label);
    }
  }

  // Against the cardiologists' annotations (inside the streamed part): the detector within
  // 150 ms, and the label of each matched beat.
  std::vector<std::int64_t> annotated;
  std::vector<int> annotated_class;
  for (const WfdbAnnotation& a : r.annotations) {
    const AamiClass c = aami_class_of_code(a.code);
    if (c == AamiClass::kNotBeat || a.sample >= static_cast<std::int64_t>(r.adc.size())) continue;
    annotated.push_back(a.sample);
    annotated_class.push_back(static_cast<int>(c));
  }
  const std::vector<std::int64_t> match = match_detections(annotated, host_peaks, 54);
  std::int64_t matched = 0, correct = 0;
  for (std::size_t i = 0; i < annotated.size(); ++i) {
    if (match[i] < 0) continue;
    const auto at = std::find(host_peaks.begin(), host_peaks.end(), match[i]);
    if (at == host_peaks.end()) continue;  // detected but not classified (window cut)
    ++matched;
    correct += host_labels[static_cast<std::size_t>(at - host_peaks.begin())] == annotated_class[i];
  }
  const DetectionScore score = score_detections(annotated, host_peaks, 54);

  std::printf(
      "record %s, %.0f s: the device classified %zu beats, the host %zu; same R peaks %lld, int8 outputs "
      "identical %lld, labels identical %lld\n",
      r.name.c_str(), static_cast<double>(r.adc.size()) / 360.0, device.size(), host_peaks.size(),
      static_cast<long long>(same_peaks), static_cast<long long>(same_outputs), static_cast<long long>(same_labels));
  std::printf(
      "against the annotations: R peaks Se %.2f %%, +P %.2f %% (150 ms); labels equal on %lld of %lld "
      "matched beats (%.2f %%)\n",
      100.0 * score.sensitivity(), 100.0 * score.positive_predictivity(), static_cast<long long>(correct),
      static_cast<long long>(matched),
      matched ? 100.0 * static_cast<double>(correct) / static_cast<double>(matched) : 0.0);
  if (!device.empty() && calibration_ticks > 0) {
    // Under -icount every instruction takes the same virtual time: a known loop gives the
    // instructions per tick.
    unsigned long long ticks = 0;
    for (const DeviceBeat& b : device) ticks += b.ticks;
    const double per_tick = 2000000.0 / static_cast<double>(calibration_ticks);
    const double mean = static_cast<double>(ticks) / static_cast<double>(device.size());
    std::printf(
        "instructions per inference: %.0f (QEMU -icount: %.1f SysTick ticks at %.2f instructions a tick; "
        "instructions, not cycles of a real core)\n",
        mean * per_tick, mean, per_tick);
  }
  const auto n = static_cast<std::int64_t>(device.size());
  return n > 0 && n == static_cast<std::int64_t>(host_peaks.size()) && same_peaks == n && same_outputs == n &&
                 same_labels == n
             ? 0
             : 1;
}

}  // namespace
}  // namespace edgeai

int main(int argc, char** argv) {
  if (argc == 5 && std::strcmp(argv[1], "record") == 0) {
    return edgeai::write_record(edgeai::load_record(argv[2], argv[3]), argv[4]);
  }
  if (argc == 6 && std::strcmp(argv[1], "check") == 0) {
    return edgeai::check(argv[2], edgeai::load_record(argv[3], argv[4]), argv[5]);
  }
  std::fprintf(stderr,
               "usage: mcu_ecg_host record RECORD SECONDS DIR\n"
               "       mcu_ecg_host check MODEL RECORD SECONDS LOG\n");
  return 2;
}
