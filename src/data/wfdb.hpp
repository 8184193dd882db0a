// WFDB (PhysioNet) records: the .hea header, format 212 / 16 signal files and MIT-format
// annotation files (.atr), as specified in the WFDB manual pages header(5), signal(5) and
// annot(5), plus the annotation codes of <wfdb/ecgcodes.h> and their AAMI EC57 classes.
// Device side: errors are Status values naming the file; no exceptions, no torch.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.hpp"

namespace edgeai {

// One signal line of a header (header(5)):
//   file format[xspf][:skew][+offset] [gain[(baseline)][/units] [adcres [adczero [initval
//   [checksum [blocksize [description]]]]]]]
struct WfdbSignalInfo {
  std::string file_name;
  int format = 0;               // 212 and 16 are read
  double gain = 200.0;          // ADC units per physical unit; 0 or absent in the file: 200
  std::int32_t baseline = 0;    // ADC value of 0 physical units; absent: adc_zero
  std::string units = "mV";
  int adc_resolution_bits = 0;  // absent or 0: 12 for format 212, 16 for format 16
  std::int32_t adc_zero = 0;
  std::int32_t initial_value = 0;  // the first sample; absent: adc_zero
  bool has_initial_value = false;  // verified against the signal file only when present
  std::int32_t checksum = 0;       // sum of all samples mod 2^16, as a signed 16-bit value
  bool has_checksum = false;
  std::int32_t block_size = 0;
  std::string description;  // the lead name in MIT-BIH ("MLII", "V5", ...)

  // (adc - baseline) / gain: millivolts for the MIT-BIH records.
  float to_physical(std::int32_t adc) const { return static_cast<float>((adc - baseline) / gain); }
};

// The record line "name[/segments] nsig [fs[/counterfreq[(base)]] [nsamples [time [date]]]]"
// and the signal lines. Multi-segment records are not supported.
struct WfdbHeader {
  std::string record_name;
  double sample_rate_hz = 250.0;  // WFDB's default when the record line omits it
  std::int64_t num_samples = 0;   // per signal; 0: unknown (taken from the signal file size)
  std::vector<WfdbSignalInfo> signals;
  std::vector<std::string> comments;  // the "#" lines, without the "#"
  std::string source;                 // the path (or name) the header was read from
};

// Parses header text; `source_name` names it in messages ("mitdb/100.hea: line 2: ...").
Result<WfdbHeader> parse_wfdb_header(std::string_view text, const std::string& source_name);
// Reads and parses the header file at `path`.
Result<WfdbHeader> read_wfdb_header(const std::string& path);

// The samples of every signal of a record, as raw ADC values, one vector per signal.
struct WfdbSignals {
  std::int64_t num_samples = 0;
  std::vector<std::vector<std::int16_t>> channels;  // [signal][sample]
};

// Reads every signal of `header` from the signal files in `dir` (the header's directory),
// and verifies each signal's checksum and initial value against the header when the header
// gives them. Errors name the signal file: unsupported format, a file shorter than the
// header's sample count needs, checksum or first-value mismatch.
Result<WfdbSignals> read_wfdb_signals(const WfdbHeader& header, const std::string& dir);

// Annotation codes of <wfdb/ecgcodes.h> (the ones that matter here; valid codes are 1..49).
namespace wfdb_code {
inline constexpr int kNormal = 1;     // N
inline constexpr int kPvc = 5;        // V
inline constexpr int kNoise = 14;     // ~
inline constexpr int kRhythm = 28;    // +
inline constexpr int kMaxCode = 49;   // ACMAX
// Pseudo-codes of the MIT annotation file format (annot(5)).
inline constexpr int kSkip = 59;
inline constexpr int kNum = 60;
inline constexpr int kSub = 61;
inline constexpr int kChan = 62;
inline constexpr int kAux = 63;
}  // namespace wfdb_code

struct WfdbAnnotation {
  std::int64_t sample = 0;  // time, in samples from the start of the record
  int code = 0;             // 1..49 (ecgcodes.h)
  int subtype = 0;          // SUB: this annotation only
  int channel = 0;          // CHN: this and later annotations
  int num = 0;              // NUM: this and later annotations
  std::string aux;          // AUX bytes up to the first NUL, e.g. "(AFIB" for rhythm changes
};

// Decodes an MIT-format annotation file. Each annotation is a little-endian 16-bit word, the
// 6-bit code in the high bits and the 10-bit time since the previous annotation in the low
// bits; SKIP is followed by a 32-bit interval stored as two 16-bit words, high word first
// (PDP-11 order); NUM/SUB/CHN/AUX words modify the annotation before them; AUX carries its
// byte count and a pad byte when odd; the word 0 ends the file. Errors name `source_name`:
// unknown code (outside 1..49 and not a pseudo-code), truncated file (no end word, a partial
// word, SKIP or AUX), a modifier before the first annotation, negative time.
Result<std::vector<WfdbAnnotation>> parse_mit_annotations(const std::uint8_t* data, std::size_t size,
                                                          const std::string& source_name);
Result<std::vector<WfdbAnnotation>> read_mit_annotations(const std::string& path);

// The mnemonic of an annotation code as printed by rdann ("N", "V", "+", "~", ...);
// "[15]"-style for valid codes without a mnemonic; "" for codes outside 0..49.
std::string_view annotation_symbol(int code);

// The five AAMI EC57 heartbeat classes, in the order the classifier's outputs use.
enum class AamiClass : std::int8_t { kNotBeat = -1, kN = 0, kS = 1, kV = 2, kF = 3, kQ = 4 };
inline constexpr int kNumAamiClasses = 5;
inline constexpr std::array<std::string_view, kNumAamiClasses> kAamiClassNames = {"N", "S", "V", "F", "Q"};

// N: N L R e j; S: A a J S; V: V E; F: F; Q: / f Q; every other code is not a beat.
AamiClass aami_class_of_code(int code);
inline bool is_beat_code(int code) { return aami_class_of_code(code) != AamiClass::kNotBeat; }

}  // namespace edgeai
