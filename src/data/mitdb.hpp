// The MIT-BIH Arrhythmia Database as a labelled beat data set: the records of the standard
// inter-patient split (de Chazal et al. 2004: DS1 train, DS2 test), beats labelled with the
// five AAMI classes, each sample a beat window plus RR features (data/ecg_beats.hpp).
// Device side like the rest of the data layer: errors are values naming the file, no torch.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.hpp"
#include "data/labeled_data.hpp"
#include "data/wfdb.hpp"
#include "format/bundle.hpp"

namespace edgeai {

// The inter-patient split (datasets/README.md); the paced records are in neither.
inline constexpr std::array<std::string_view, 22> kMitdbDs1 = {
    "101", "106", "108", "109", "112", "114", "115", "116", "118", "119", "122",
    "124", "201", "203", "205", "207", "208", "209", "215", "220", "223", "230"};
inline constexpr std::array<std::string_view, 22> kMitdbDs2 = {
    "100", "103", "105", "111", "113", "117", "121", "123", "200", "202", "210",
    "212", "213", "214", "219", "221", "222", "228", "231", "232", "233", "234"};
inline constexpr std::array<std::string_view, 4> kMitdbPaced = {"102", "104", "107", "217"};

std::vector<std::string> mitdb_ds1_records();
std::vector<std::string> mitdb_ds2_records();
bool is_paced_mitdb_record(std::string_view record);

// The declared preprocessing of the beat classifier: kind "ecg_beat", layout "NCW", params
// sample_rate_hz 360, window_before 90, window_after 166 (256 samples, R peak at sample 90:
// 250 ms before and 461 ms after it), baseline window_median, rr_local_beats 10, lead MLII.
Preprocessing mitdb_preprocessing();

// Where the MIT-BIH records are: $EDGEAI_DATASETS/mitdb when that variable is set, else
// `source_dir`/../shared/datasets/mitdb (tests pass EDGEAI_SOURCE_DIR), else
// ../shared/datasets/mitdb relative to the working directory (the repository root).
std::string default_mitdb_dir(const std::string& source_dir = {});

using AamiCounts = std::array<std::int64_t, kNumAamiClasses>;  // indexed by AamiClass

struct MitdbRecordStats {
  std::string record;
  std::string lead;          // the signal's description the beats came from ("MLII")
  int signal_index = 0;      // which signal of the record that is
  AamiCounts beats{};        // beats loaded, per AAMI class
  AamiCounts skipped{};      // beats whose window leaves the record, per AAMI class
  std::int64_t non_beat_annotations = 0;  // rhythm, noise, comments, ...
};

struct MitdbStats {
  std::vector<MitdbRecordStats> records;
  AamiCounts beats{};
  AamiCounts skipped{};
  // "DS1 22 records: loaded N 45848, S 944, ...; skipped N 18, ..." style one-liner.
  std::string describe() const;
};

struct MitdbLoadOptions {
  bool allow_paced_records = false;  // 102, 104, 107, 217 are refused unless set
};

// Loads `records` from `dir` (NNN.hea, NNN.dat, NNN.atr): inputs {"beat": [N,1,L] float32
// (mV minus the window median), "rr": [N,8] float32 (RrFeatures)}, labels over class_names
// {"N","S","V","F","Q"}, sources "100:12345" (record:sample of the R peak in the record's own
// sampling). Beats come from the signal named by the "lead" param (MLII; record 114 stores it
// second), or signal 0 if no signal has that name. The RR features use every beat annotation
// of the record; beats whose window leaves the record are skipped and counted in `stats`.
Result<LabeledData> load_mitdb(const std::string& dir, const std::vector<std::string>& records,
                               const Preprocessing& pre, MitdbStats* stats = nullptr,
                               const MitdbLoadOptions& options = {});

}  // namespace edgeai
