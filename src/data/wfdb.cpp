#include "data/wfdb.hpp"

#include <charconv>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "format/mapped_file.hpp"

namespace edgeai {
namespace {

// Limits that keep a hostile header from asking for absurd allocations; far above any
// PhysioNet record (MIT-BIH: 2 signals, 650000 samples).
constexpr int kMaxSignals = 4096;
constexpr std::int64_t kMaxSamples = std::int64_t{1} << 40;

std::string_view trim(std::string_view s) {
  const auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

// Splits off the first whitespace-separated token of `rest`.
std::string_view next_token(std::string_view& rest) {
  rest = trim(rest);
  std::size_t end = 0;
  while (end < rest.size() && rest[end] != ' ' && rest[end] != '\t') ++end;
  const std::string_view token = rest.substr(0, end);
  rest.remove_prefix(end);
  return token;
}

template <typename T>
bool parse_number(std::string_view s, T& out) {
  if (s.empty()) return false;
  if (s.front() == '+') s.remove_prefix(1);
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size();
}

std::string file_name_of(const std::string& path) { return std::filesystem::path(path).filename().string(); }

// The record line: "name[/segments] nsig [fs[/counterfreq[(base)]] [nsamples [time [date]]]]".
Status parse_record_line(std::string_view line, const std::string& where, WfdbHeader& header, int& num_signals) {
  std::string_view rest = line;
  const std::string_view name = next_token(rest);
  if (name.find('/') != std::string_view::npos) {
    return unsupported(where, ": multi-segment record '", name, "' is not supported");
  }
  header.record_name = std::string(name);
  const std::string_view nsig = next_token(rest);
  if (nsig.empty()) return invalid_argument(where, ": bad record line '", line, "': no signal count");
  if (!parse_number(nsig, num_signals) || num_signals < 0 || num_signals > kMaxSignals) {
    return invalid_argument(where, ": bad record line '", line, "': bad signal count '", nsig, "'");
  }
  const std::string_view fs = next_token(rest);
  if (!fs.empty()) {
    // Only the sampling frequency matters; the counter frequency and base follow '/' or '('.
    const std::string_view value = fs.substr(0, fs.find_first_of("/("));
    if (!parse_number(value, header.sample_rate_hz) || !(header.sample_rate_hz > 0.0)) {
      return invalid_argument(where, ": bad record line '", line, "': bad sampling frequency '", fs, "'");
    }
  }
  const std::string_view nsamp = next_token(rest);
  if (!nsamp.empty()) {
    if (!parse_number(nsamp, header.num_samples) || header.num_samples < 0 || header.num_samples > kMaxSamples) {
      return invalid_argument(where, ": bad record line '", line, "': bad sample count '", nsamp, "'");
    }
  }
  return Status::ok();  // base time and date are not needed
}

// A signal line: "file format[xspf][:skew][+offset] [gain[(baseline)][/units] [adcres [adczero
// [initval [checksum [blocksize [description]]]]]]]".
Status parse_signal_line(std::string_view line, const std::string& where, WfdbSignalInfo& signal) {
  const auto bad = [&](std::string_view field, std::string_view value) {
    return invalid_argument(where, ": bad signal line '", line, "': bad ", field, " '", value, "'");
  };
  std::string_view rest = line;
  signal.file_name = std::string(next_token(rest));
  const std::string_view format = next_token(rest);
  if (format.empty()) return invalid_argument(where, ": bad signal line '", line, "': no format");
  if (format.find_first_of("x:+") != std::string_view::npos) {
    return unsupported(where, ": signal format '", format,
                       "': samples per frame, skew and byte offsets are not supported");
  }
  if (!parse_number(format, signal.format) || signal.format < 0) return bad("format", format);

  bool has_baseline = false;
  const std::string_view gain = next_token(rest);
  if (!gain.empty()) {
    std::string_view number = gain;
    const std::size_t units_at = gain.find('/');
    if (units_at != std::string_view::npos) {
      signal.units = std::string(gain.substr(units_at + 1));
      if (signal.units.empty()) return bad("gain", gain);
      number = gain.substr(0, units_at);
    }
    const std::size_t open = number.find('(');
    if (open != std::string_view::npos) {
      if (number.back() != ')') return bad("gain", gain);
      if (!parse_number(number.substr(open + 1, number.size() - open - 2), signal.baseline)) return bad("gain", gain);
      has_baseline = true;
      number = number.substr(0, open);
    }
    if (!parse_number(number, signal.gain) || signal.gain < 0.0) return bad("gain", gain);
    if (signal.gain == 0.0) signal.gain = 200.0;  // WFDB_DEFGAIN: 0 means uncalibrated
  }
  const std::string_view adcres = next_token(rest);
  if (!adcres.empty() && (!parse_number(adcres, signal.adc_resolution_bits) || signal.adc_resolution_bits < 0)) {
    return bad("ADC resolution", adcres);
  }
  if (signal.adc_resolution_bits == 0) signal.adc_resolution_bits = signal.format == 212 ? 12 : 16;
  const std::string_view adczero = next_token(rest);
  if (!adczero.empty() && !parse_number(adczero, signal.adc_zero)) return bad("ADC zero", adczero);
  if (!has_baseline) signal.baseline = signal.adc_zero;
  signal.initial_value = signal.adc_zero;
  const std::string_view initval = next_token(rest);
  if (!initval.empty()) {
    if (!parse_number(initval, signal.initial_value)) return bad("initial value", initval);
    signal.has_initial_value = true;
  }
  const std::string_view checksum = next_token(rest);
  if (!checksum.empty()) {
    if (!parse_number(checksum, signal.checksum) || signal.checksum < -32768 || signal.checksum > 65535) {
      return bad("checksum", checksum);
    }
    signal.has_checksum = true;
  }
  const std::string_view block_size = next_token(rest);
  if (!block_size.empty() && (!parse_number(block_size, signal.block_size) || signal.block_size < 0)) {
    return bad("block size", block_size);
  }
  signal.description = std::string(trim(rest));
  return Status::ok();
}

std::int16_t as_int16(std::int32_t value) {
  return static_cast<std::int16_t>(static_cast<std::uint16_t>(static_cast<std::uint32_t>(value) & 0xFFFFu));
}

// Bytes that `num_values` interleaved samples take in `format`.
std::int64_t bytes_for(int format, std::int64_t num_values) {
  return format == 212 ? (num_values * 3 + 1) / 2 : num_values * 2;
}

// Decodes `num_values` samples of the interleaved stream of a signal file into the channels
// listed in `targets` (stream position j belongs to targets[j % k], sample j / k).
void decode_stream(int format, const std::uint8_t* bytes, std::int64_t num_values,
                   const std::vector<std::vector<std::int16_t>*>& targets) {
  const std::size_t k = targets.size();
  std::size_t channel = 0;
  std::int64_t sample = 0;
  const auto put = [&](std::int32_t value) {
    (*targets[channel])[static_cast<std::size_t>(sample)] = static_cast<std::int16_t>(value);
    if (++channel == k) {
      channel = 0;
      ++sample;
    }
  };
  if (format == 212) {
    // signal(5): two 12-bit two's-complement samples in 3 bytes; the first takes byte 0 and
    // the low nibble of byte 1, the second byte 2 and the high nibble of byte 1.
    std::int64_t j = 0;
    for (; j + 1 < num_values; j += 2, bytes += 3) {
      const std::int32_t a = bytes[0] | ((bytes[1] & 0x0F) << 8);
      const std::int32_t b = bytes[2] | ((bytes[1] & 0xF0) << 4);
      put((a ^ 0x800) - 0x800);
      put((b ^ 0x800) - 0x800);
    }
    if (j < num_values) {
      const std::int32_t a = bytes[0] | ((bytes[1] & 0x0F) << 8);
      put((a ^ 0x800) - 0x800);
    }
  } else {  // 16: little-endian two's-complement 16-bit samples
    for (std::int64_t j = 0; j < num_values; ++j, bytes += 2) {
      put(static_cast<std::int16_t>(static_cast<std::uint16_t>(bytes[0] | (bytes[1] << 8))));
    }
  }
}

}  // namespace

Result<WfdbHeader> parse_wfdb_header(std::string_view text, const std::string& source_name) {
  WfdbHeader header;
  header.source = source_name;
  int num_signals = -1;  // -1 until the record line is read
  int line_number = 0;
  while (!text.empty()) {
    const std::size_t eol = text.find('\n');
    const std::string_view raw = text.substr(0, eol);
    text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
    ++line_number;
    const std::string_view line = trim(raw);
    if (line.empty()) continue;
    if (line.front() == '#') {
      header.comments.emplace_back(trim(line.substr(1)));
      continue;
    }
    const std::string where = str_cat(source_name, ": line ", line_number);
    if (num_signals < 0) {
      EDGEAI_RETURN_IF_ERROR(parse_record_line(line, where, header, num_signals));
      continue;
    }
    if (static_cast<int>(header.signals.size()) == num_signals) {
      return invalid_argument(where, ": bad header line '", line, "': the record declares ", num_signals,
                              " signals and they are all described");
    }
    WfdbSignalInfo signal;
    EDGEAI_RETURN_IF_ERROR(parse_signal_line(line, where, signal));
    header.signals.push_back(std::move(signal));
  }
  if (num_signals < 0) return invalid_argument(source_name, ": no record line");
  if (static_cast<int>(header.signals.size()) != num_signals) {
    return invalid_argument(source_name, ": the record line declares ", num_signals, " signals but ",
                            header.signals.size(), " signal lines follow");
  }
  return header;
}

Result<WfdbHeader> read_wfdb_header(const std::string& path) {
  EDGEAI_ASSIGN_OR_RETURN(MappedFile file, MappedFile::open(path));
  const std::string_view text(reinterpret_cast<const char*>(file.data()), file.size());
  if (text.find('\0') != std::string_view::npos) return invalid_argument(path, ": not a text file (holds a NUL byte)");
  return parse_wfdb_header(text, path);
}

Result<WfdbSignals> read_wfdb_signals(const WfdbHeader& header, const std::string& dir) {
  const std::string hea_name = file_name_of(header.source);
  WfdbSignals out;
  out.channels.resize(header.signals.size());
  if (header.signals.empty()) return out;

  // Signals sharing a file are interleaved in header order (signal(5)); group them.
  std::vector<std::string> files;
  std::vector<std::vector<std::size_t>> groups;
  for (std::size_t s = 0; s < header.signals.size(); ++s) {
    const WfdbSignalInfo& signal = header.signals[s];
    if (signal.format != 212 && signal.format != 16) {
      return unsupported(header.source, ": signal ", s, " (", signal.file_name, "): format ", signal.format,
                         " is not supported (212 and 16 are)");
    }
    if (signal.file_name.empty() || signal.file_name == "-") {
      return unsupported(header.source, ": signal ", s, ": reading from standard input is not supported");
    }
    std::size_t g = 0;
    while (g < files.size() && files[g] != signal.file_name) ++g;
    if (g == files.size()) {
      files.push_back(signal.file_name);
      groups.emplace_back();
    } else if (header.signals[groups[g].front()].format != signal.format) {
      return unsupported(header.source, ": signals ", groups[g].front(), " and ", s, " share ", signal.file_name,
                         " with different formats");
    }
    groups[g].push_back(s);
  }

  std::vector<MappedFile> mapped;
  for (const std::string& name : files) {
    EDGEAI_ASSIGN_OR_RETURN(MappedFile file, MappedFile::open((std::filesystem::path(dir) / name).string()));
    mapped.push_back(std::move(file));
  }
  std::int64_t num_samples = header.num_samples;
  if (num_samples == 0) {  // unknown in the header: whole frames of the first file
    const int format = header.signals[groups[0].front()].format;
    const auto k = static_cast<std::int64_t>(groups[0].size());
    const auto size = static_cast<std::int64_t>(mapped[0].size());
    num_samples = (format == 212 ? size * 2 / 3 : size / 2) / k;
  }
  // Every file must hold its samples before anything is allocated: a hostile header must
  // not make us allocate what the files do not back.
  for (std::size_t g = 0; g < files.size(); ++g) {
    const MappedFile& file = mapped[g];
    const int format = header.signals[groups[g].front()].format;
    const std::int64_t needed = bytes_for(format, num_samples * static_cast<std::int64_t>(groups[g].size()));
    if (static_cast<std::int64_t>(file.size()) < needed) {
      return data_loss(file.path(), ": ", file.size(), " bytes, but ", hea_name, " declares ", num_samples,
                       " samples of ", groups[g].size(), " signals in format ", format, ", which need ", needed,
                       " bytes");
    }
  }
  out.num_samples = num_samples;
  for (auto& channel : out.channels) channel.resize(static_cast<std::size_t>(num_samples));

  for (std::size_t g = 0; g < files.size(); ++g) {
    const MappedFile& file = mapped[g];
    const int format = header.signals[groups[g].front()].format;
    const std::int64_t num_values = num_samples * static_cast<std::int64_t>(groups[g].size());
    std::vector<std::vector<std::int16_t>*> targets;
    for (std::size_t s : groups[g]) targets.push_back(&out.channels[s]);
    decode_stream(format, file.data(), num_values, targets);

    for (std::size_t s : groups[g]) {
      const WfdbSignalInfo& signal = header.signals[s];
      const std::vector<std::int16_t>& samples = out.channels[s];
      if (signal.has_initial_value && num_samples > 0 && samples[0] != signal.initial_value) {
        return data_loss(file.path(), ": signal ", s, " (", signal.description, "): first sample ", samples[0],
                         " does not match the initial value ", signal.initial_value, " in ", hea_name);
      }
      if (signal.has_checksum) {
        // signal(5): the 16-bit checksum is the sum of all samples modulo 2^16.
        std::uint16_t sum = 0;
        for (std::int16_t v : samples) sum = static_cast<std::uint16_t>(sum + static_cast<std::uint16_t>(v));
        const auto got = static_cast<std::int16_t>(sum);
        if (got != as_int16(signal.checksum)) {
          return data_loss(file.path(), ": signal ", s, " (", signal.description, "): checksum ", got,
                           " does not match ", signal.checksum, " in ", hea_name, " (corrupted signal file)");
        }
      }
    }
  }
  return out;
}

Result<std::vector<WfdbAnnotation>> parse_mit_annotations(const std::uint8_t* data, std::size_t size,
                                                          const std::string& source_name) {
  std::vector<WfdbAnnotation> out;
  std::size_t pos = 0;
  std::int64_t time = 0;
  int num = 0;
  int channel = 0;
  const auto word_at = [&](std::size_t at) { return static_cast<std::uint16_t>(data[at] | (data[at + 1] << 8)); };
  const auto truncated = [&](std::string_view what) {
    return data_loss(source_name, ": truncated annotation file: ", what, " at byte ", pos, " of ", size);
  };
  while (true) {
    if (pos + 2 > size) {
      return truncated(pos == size ? "no end-of-file word" : "partial annotation word");
    }
    const std::uint16_t word = word_at(pos);
    const int code = word >> 10;
    const int value = word & 0x3FF;
    if (word == 0) break;  // end of file
    pos += 2;
    if (code >= 1 && code <= wfdb_code::kMaxCode) {
      time += value;
      WfdbAnnotation annotation;
      annotation.sample = time;
      annotation.code = code;
      annotation.num = num;
      annotation.channel = channel;
      out.push_back(std::move(annotation));
      continue;
    }
    const auto need_previous = [&]() -> Status {
      if (out.empty()) {
        return data_loss(source_name, ": annotation modifier code ", code, " at byte ", pos - 2,
                         " comes before the first annotation");
      }
      return Status::ok();
    };
    switch (code) {
      case wfdb_code::kSkip: {
        if (pos + 4 > size) return truncated("SKIP without its interval");
        // PDP-11 long: the high 16-bit word first, each word little-endian.
        const std::uint32_t interval = (static_cast<std::uint32_t>(word_at(pos)) << 16) | word_at(pos + 2);
        pos += 4;
        time += static_cast<std::int32_t>(interval);
        if (time < 0) {
          return data_loss(source_name, ": SKIP at byte ", pos - 6, " moves the annotation time before the record");
        }
        break;
      }
      case wfdb_code::kNum:
        EDGEAI_RETURN_IF_ERROR(need_previous());
        num = value;
        out.back().num = value;
        break;
      case wfdb_code::kSub:
        EDGEAI_RETURN_IF_ERROR(need_previous());
        out.back().subtype = value;
        break;
      case wfdb_code::kChan:
        EDGEAI_RETURN_IF_ERROR(need_previous());
        channel = value;
        out.back().channel = value;
        break;
      case wfdb_code::kAux: {
        EDGEAI_RETURN_IF_ERROR(need_previous());
        const std::size_t padded = static_cast<std::size_t>(value + (value & 1));
        if (pos + padded > size) return truncated("AUX string");
        // The count may include the string's NUL terminator (MIT-BIH writes "(N\0"): the aux
        // string is a C string, as rdann prints it.
        const auto* aux = reinterpret_cast<const char*>(data + pos);
        out.back().aux.assign(aux, strnlen(aux, static_cast<std::size_t>(value)));
        pos += padded;
        break;
      }
      default:
        return data_loss(source_name, ": unknown annotation code ", code, " (time field ", value, ") at byte ",
                         pos - 2, "; valid codes are 1..49 and the pseudo-codes 59..63");
    }
  }
  return out;
}

Result<std::vector<WfdbAnnotation>> read_mit_annotations(const std::string& path) {
  EDGEAI_ASSIGN_OR_RETURN(MappedFile file, MappedFile::open(path));
  return parse_mit_annotations(file.data(), file.size(), path);
}

std::string_view annotation_symbol(int code) {
  // rdann's mnemonics (the default annstr table of the WFDB library), index = code.
  static constexpr std::array<std::string_view, 50> kSymbols = {
      " ",    "N",    "L",    "R",    "a",    "V",    "F",    "J",    "A",    "S",    "E",    "j",    "/",
      "Q",    "~",    "[15]", "|",    "[17]", "s",    "T",    "*",    "D",    "\"",   "=",    "p",    "B",
      "^",    "t",    "+",    "u",    "?",    "!",    "[",    "]",    "e",    "n",    "@",    "x",    "f",
      "(",    ")",    "r",    "[42]", "[43]", "[44]", "[45]", "[46]", "[47]", "[48]", "[49]"};
  if (code < 0 || code >= static_cast<int>(kSymbols.size())) return "";
  return kSymbols[static_cast<std::size_t>(code)];
}

AamiClass aami_class_of_code(int code) {
  switch (code) {
    case 1:   // N normal
    case 2:   // L left bundle branch block
    case 3:   // R right bundle branch block
    case 34:  // e atrial escape
    case 11:  // j nodal (junctional) escape
      return AamiClass::kN;
    case 8:  // A atrial premature
    case 4:  // a aberrated atrial premature
    case 7:  // J nodal (junctional) premature
    case 9:  // S supraventricular premature
      return AamiClass::kS;
    case 5:   // V premature ventricular contraction
    case 10:  // E ventricular escape
      return AamiClass::kV;
    case 6:  // F fusion of ventricular and normal
      return AamiClass::kF;
    case 12:  // / paced
    case 38:  // f fusion of paced and normal
    case 13:  // Q unclassifiable
      return AamiClass::kQ;
    default:
      return AamiClass::kNotBeat;
  }
}

}  // namespace edgeai
