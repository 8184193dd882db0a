#include "data/mitdb.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "data/ecg_beats.hpp"

namespace edgeai {
namespace {

std::string counts_to_string(const AamiCounts& counts) {
  std::string out;
  for (int c = 0; c < kNumAamiClasses; ++c) {
    if (c > 0) out += ", ";
    out += str_cat(kAamiClassNames[static_cast<std::size_t>(c)], " ", counts[static_cast<std::size_t>(c)]);
  }
  return out;
}

std::int64_t total(const AamiCounts& counts) {
  std::int64_t sum = 0;
  for (std::int64_t c : counts) sum += c;
  return sum;
}

// One record's beats, appended to the growing data set.
struct BeatRows {
  std::vector<float> beats;  // N * L
  std::vector<float> rr;     // N * kNumRrFeatures
  std::vector<std::int64_t> labels;
  std::vector<std::string> sources;
};

Status load_record(const std::string& dir, const std::string& record, const EcgBeatParams& params, BeatRows& rows,
                   MitdbRecordStats& stats) {
  const std::filesystem::path base = std::filesystem::path(dir) / record;
  EDGEAI_ASSIGN_OR_RETURN(WfdbHeader header, read_wfdb_header(base.string() + ".hea"));
  if (header.signals.empty()) return invalid_argument(header.source, ": the record has no signals");

  std::size_t signal_index = 0;
  for (std::size_t s = 0; s < header.signals.size(); ++s) {
    if (header.signals[s].description == params.lead) {
      signal_index = s;
      break;
    }
  }
  const WfdbSignalInfo& info = header.signals[signal_index];
  if (info.units != "mV") {
    return unsupported(header.source, ": signal ", signal_index, " (", info.description, ") is in ", info.units,
                       ", beats are read in mV");
  }
  stats.record = record;
  stats.lead = info.description;
  stats.signal_index = static_cast<int>(signal_index);

  EDGEAI_ASSIGN_OR_RETURN(WfdbSignals signals, read_wfdb_signals(header, dir));
  const std::vector<std::int16_t>& adc = signals.channels[signal_index];
  std::vector<float> signal(adc.size());
  for (std::size_t i = 0; i < adc.size(); ++i) signal[i] = info.to_physical(adc[i]);
  const bool resample = header.sample_rate_hz != params.sample_rate_hz;
  if (resample) signal = resample_linear(signal, header.sample_rate_hz, params.sample_rate_hz);

  EDGEAI_ASSIGN_OR_RETURN(std::vector<WfdbAnnotation> annotations, read_mit_annotations(base.string() + ".atr"));
  std::vector<std::int64_t> peaks;          // at the model rate
  std::vector<std::int64_t> record_sample;  // at the record's rate, for sources
  std::vector<AamiClass> classes;
  for (const WfdbAnnotation& a : annotations) {
    const AamiClass c = aami_class_of_code(a.code);
    if (c == AamiClass::kNotBeat) {
      ++stats.non_beat_annotations;
      continue;
    }
    const std::int64_t peak =
        resample ? resample_position(a.sample, header.sample_rate_hz, params.sample_rate_hz) : a.sample;
    if (!peaks.empty() && peak <= peaks.back()) {
      return data_loss(base.string(), ".atr: beat at sample ", a.sample, " does not follow the previous beat");
    }
    peaks.push_back(peak);
    record_sample.push_back(a.sample);
    classes.push_back(c);
  }
  Result<std::vector<RrFeatures>> rr = compute_rr_features(peaks, params.sample_rate_hz, params.rr_local_beats,
                                                          params.rr_record_seconds);
  if (!rr.is_ok()) return rr.status().with_context(base.string() + ".atr");

  const auto window = static_cast<std::size_t>(params.window_samples());
  const auto num_samples = static_cast<std::int64_t>(signal.size());
  for (std::size_t b = 0; b < peaks.size(); ++b) {
    const auto label = static_cast<std::size_t>(classes[b]);
    if (!beat_window_fits(num_samples, peaks[b], params)) {
      ++stats.skipped[label];
      continue;
    }
    const std::size_t at = rows.beats.size();
    rows.beats.resize(at + window);
    EDGEAI_RETURN_IF_ERROR(
        extract_beat_window(signal, peaks[b], params, std::span<float>(rows.beats.data() + at, window)));
    const RrFeatures& f = (*rr)[b];
    rows.rr.insert(rows.rr.end(), {f.pre_rr_s, f.post_rr_s, f.local_rr_s, f.record_rr_s, f.pre_to_local_ratio,
                                   f.pre_to_record_ratio, f.post_to_record_ratio, f.post_to_pre_ratio});
    rows.labels.push_back(static_cast<std::int64_t>(label));
    rows.sources.push_back(str_cat(record, ":", record_sample[b]));
    ++stats.beats[label];
  }
  return Status::ok();
}

}  // namespace

std::vector<std::string> mitdb_ds1_records() { return {kMitdbDs1.begin(), kMitdbDs1.end()}; }
std::vector<std::string> mitdb_ds2_records() { return {kMitdbDs2.begin(), kMitdbDs2.end()}; }

bool is_paced_mitdb_record(std::string_view record) {
  return std::find(kMitdbPaced.begin(), kMitdbPaced.end(), record) != kMitdbPaced.end();
}

Preprocessing mitdb_preprocessing() { return ecg_beat_preprocessing(EcgBeatParams{}); }

std::string default_mitdb_dir(const std::string& source_dir) {
  if (const char* datasets = std::getenv("EDGEAI_DATASETS"); datasets != nullptr && datasets[0] != '\0') {
    return (std::filesystem::path(datasets) / "mitdb").string();
  }
  if (!source_dir.empty()) return (std::filesystem::path(source_dir) / ".." / "shared" / "datasets" / "mitdb").string();
  return "../shared/datasets/mitdb";
}

std::string MitdbStats::describe() const {
  return str_cat(records.size(), " records: ", total(beats), " beats (", counts_to_string(beats), "); skipped ",
                 total(skipped), " at the record edges (", counts_to_string(skipped), ")");
}

Result<LabeledData> load_mitdb(const std::string& dir, const std::vector<std::string>& records,
                               const Preprocessing& pre, MitdbStats* stats, const MitdbLoadOptions& options) {
  EDGEAI_ASSIGN_OR_RETURN(EcgBeatParams params, parse_ecg_beat_params(pre));
  if (records.empty()) return invalid_argument("load_mitdb: no records given");
  for (std::size_t i = 0; i < records.size(); ++i) {
    const std::string& record = records[i];
    if (record.empty() || record.find('/') != std::string::npos || record.find('\0') != std::string::npos) {
      return invalid_argument("load_mitdb: bad record name '", record, "'");
    }
    if (is_paced_mitdb_record(record) && !options.allow_paced_records) {
      return invalid_argument("load_mitdb: record ", record,
                              " has paced beats and is excluded from the AAMI evaluation (allow_paced_records)");
    }
    if (std::find(records.begin(), records.begin() + static_cast<std::ptrdiff_t>(i), record) !=
        records.begin() + static_cast<std::ptrdiff_t>(i)) {
      return invalid_argument("load_mitdb: record ", record, " is listed twice");
    }
  }

  BeatRows rows;
  MitdbStats local_stats;
  for (const std::string& record : records) {
    MitdbRecordStats record_stats;
    EDGEAI_RETURN_IF_ERROR(load_record(dir, record, params, rows, record_stats));
    for (int c = 0; c < kNumAamiClasses; ++c) {
      local_stats.beats[static_cast<std::size_t>(c)] += record_stats.beats[static_cast<std::size_t>(c)];
      local_stats.skipped[static_cast<std::size_t>(c)] += record_stats.skipped[static_cast<std::size_t>(c)];
    }
    local_stats.records.push_back(std::move(record_stats));
  }

  const auto n = static_cast<std::int64_t>(rows.labels.size());
  const std::int64_t window = params.window_samples();
  LabeledData data;
  data.input_names = {"beat", "rr"};
  data.class_names.assign(kAamiClassNames.begin(), kAamiClassNames.end());
  EDGEAI_ASSIGN_OR_RETURN(Tensor beats, Tensor::allocate(DType::kFloat32, {n, 1, window}));
  EDGEAI_ASSIGN_OR_RETURN(Tensor rr, Tensor::allocate(DType::kFloat32, {n, kNumRrFeatures}));
  if (n > 0) {
    std::memcpy(beats.raw_data(), rows.beats.data(), rows.beats.size() * sizeof(float));
    std::memcpy(rr.raw_data(), rows.rr.data(), rows.rr.size() * sizeof(float));
  }
  data.inputs = {std::move(beats), std::move(rr)};
  data.labels = std::move(rows.labels);
  data.sources = std::move(rows.sources);
  if (stats != nullptr) *stats = std::move(local_stats);
  return data;
}

}  // namespace edgeai
