// Tests of the WFDB reader (data/wfdb.hpp), the beat preprocessing (data/ecg_beats.hpp) and
// the MIT-BIH loader (data/mitdb.hpp) on the real records in ../shared/datasets/mitdb.
//
// The expected values for the real records were computed independently with Debian's
// /usr/bin/python3 + numpy, unpacking format 212 and walking the .atr words by hand:
//   b = np.fromfile("100.dat", np.uint8).astype(np.int32).reshape(-1, 3)
//   s0 = b[:,0] | ((b[:,1] & 0x0F) << 8);  s1 = b[:,2] | ((b[:,1] >> 4) << 8)   # then -4096 if >= 2048
//   w = np.fromfile("100.atr", "<u2"): code = w >> 10, dt = w & 0x3FF; 59: t += (w[i] << 16) | w[i+1];
//   60..62: skip; 63: skip (dt + 1) // 2 words; 0/0: end; else t += dt, one annotation.
//   A beat is kept when t >= 90 and t + 166 <= 650000; its window is (adc - 1024) / 200 minus
//   np.median of the window.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "data/ecg_beats.hpp"
#include "data/mitdb.hpp"
#include "data/wfdb.hpp"

namespace edgeai {
namespace {

namespace fs = std::filesystem;

std::string mitdb_dir() { return default_mitdb_dir(EDGEAI_SOURCE_DIR); }

// A fresh directory per test, removed afterwards.
class TempDir {
 public:
  TempDir() {
    std::string templ = (fs::temp_directory_path() / "edgeai_ecg_test_XXXXXX").string();
    path_ = ::mkdtemp(templ.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return (fs::path(path_) / name).string(); }

 private:
  std::string path_;
};

std::vector<std::uint8_t> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_bytes(const std::string& path, const std::vector<std::uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
}

// Copies record 100 into `dir` so that tests can damage the copy.
void copy_record_100(const TempDir& dir) {
  for (const char* ext : {".hea", ".dat", ".atr"}) {
    fs::copy_file(fs::path(mitdb_dir()) / (std::string("100") + ext), dir.file(std::string("100") + ext),
                  fs::copy_options::overwrite_existing);
    fs::permissions(dir.file(std::string("100") + ext), fs::perms::owner_read | fs::perms::owner_write,
                    fs::perm_options::add);
  }
}

void replace_once(std::string& text, const std::string& from, const std::string& to) {
  const std::size_t at = text.find(from);
  ASSERT_NE(at, std::string::npos) << from;
  text.replace(at, from.size(), to);
}

// Asserts that `status` failed with a message containing every one of `parts`.
void expect_error(const Status& status, std::initializer_list<std::string> parts) {
  ASSERT_FALSE(status.is_ok()) << "expected an error containing " << *parts.begin();
  for (const std::string& part : parts) {
    EXPECT_NE(status.message().find(part), std::string::npos) << "'" << part << "' not in: " << status.message();
  }
}

void push_word(std::vector<std::uint8_t>& bytes, int code, int value) {
  const auto word = static_cast<std::uint16_t>((code << 10) | (value & 0x3FF));
  bytes.push_back(static_cast<std::uint8_t>(word & 0xFF));
  bytes.push_back(static_cast<std::uint8_t>(word >> 8));
}

// ---------------------------------------------------------------------------------------
// Record 100 against the Python reference

TEST(WfdbHeader, Record100) {
  Result<WfdbHeader> header = read_wfdb_header(mitdb_dir() + "/100.hea");
  ASSERT_TRUE(header.is_ok()) << header.status().to_string();
  // 100.hea: "100 2 360 650000" / "100.dat 212 200 11 1024 995 -22131 0 MLII" / "... 1011 20052 0 V5"
  EXPECT_EQ(header->record_name, "100");
  EXPECT_EQ(header->sample_rate_hz, 360.0);
  EXPECT_EQ(header->num_samples, 650000);
  ASSERT_EQ(header->signals.size(), 2u);
  const WfdbSignalInfo& mlii = header->signals[0];
  EXPECT_EQ(mlii.file_name, "100.dat");
  EXPECT_EQ(mlii.format, 212);
  EXPECT_EQ(mlii.gain, 200.0);
  EXPECT_EQ(mlii.adc_resolution_bits, 11);
  EXPECT_EQ(mlii.adc_zero, 1024);
  EXPECT_EQ(mlii.baseline, 1024);  // no "(baseline)" in the gain field: adc zero
  EXPECT_EQ(mlii.units, "mV");
  EXPECT_TRUE(mlii.has_initial_value);
  EXPECT_EQ(mlii.initial_value, 995);
  EXPECT_TRUE(mlii.has_checksum);
  EXPECT_EQ(mlii.checksum, -22131);
  EXPECT_EQ(mlii.block_size, 0);
  EXPECT_EQ(mlii.description, "MLII");
  EXPECT_EQ(header->signals[1].initial_value, 1011);
  EXPECT_EQ(header->signals[1].checksum, 20052);
  EXPECT_EQ(header->signals[1].description, "V5");
  ASSERT_EQ(header->comments.size(), 2u);
  EXPECT_EQ(header->comments[0], "69 M 1085 1629 x1");
}

TEST(WfdbHeader, OptionalFieldsAndDefaults) {
  Result<WfdbHeader> header = parse_wfdb_header(
      "# leading comment\n"
      "rec 3 250/1000(5) 10\r\n"
      "rec.dat 16 100(-3)/uV 16 0 7 123 0 lead I with spaces\n"
      "rec.dat 16 0\n"
      "other.dat 212\n",
      "rec.hea");
  ASSERT_TRUE(header.is_ok()) << header.status().to_string();
  EXPECT_EQ(header->sample_rate_hz, 250.0);
  EXPECT_EQ(header->num_samples, 10);
  const WfdbSignalInfo& a = header->signals[0];
  EXPECT_EQ(a.gain, 100.0);
  EXPECT_EQ(a.baseline, -3);
  EXPECT_EQ(a.units, "uV");
  EXPECT_EQ(a.initial_value, 7);
  EXPECT_EQ(a.checksum, 123);
  EXPECT_EQ(a.description, "lead I with spaces");
  EXPECT_EQ(header->signals[1].gain, 200.0);  // 0: uncalibrated, WFDB's default gain
  EXPECT_FALSE(header->signals[1].has_checksum);
  EXPECT_FALSE(header->signals[2].has_initial_value);
  EXPECT_EQ(header->signals[2].adc_resolution_bits, 12);
}

TEST(WfdbSignals, Record100FirstSamplesAndChecksums) {
  Result<WfdbHeader> header = read_wfdb_header(mitdb_dir() + "/100.hea");
  ASSERT_TRUE(header.is_ok()) << header.status().to_string();
  Result<WfdbSignals> signals = read_wfdb_signals(*header, mitdb_dir());  // verifies both checksums
  ASSERT_TRUE(signals.is_ok()) << signals.status().to_string();
  ASSERT_EQ(signals->num_samples, 650000);
  const auto& mlii = signals->channels[0];
  const auto& v5 = signals->channels[1];
  // Python: sig[0] = [995, 1011]; sig[77] = [1192, 1066] (the first R peak);
  // sig[1000:1005, 0] = [945, 945, 947, 949, 949]; sig[1000:1005, 1] = [970, 972, 975, 973, 971];
  // sig[-1] = [768, 1024].
  EXPECT_EQ(mlii[0], 995);
  EXPECT_EQ(v5[0], 1011);
  EXPECT_EQ(mlii[77], 1192);
  EXPECT_EQ(v5[77], 1066);
  EXPECT_EQ((std::vector<int>(mlii.begin() + 1000, mlii.begin() + 1005)), (std::vector<int>{945, 945, 947, 949, 949}));
  EXPECT_EQ((std::vector<int>(v5.begin() + 1000, v5.begin() + 1005)), (std::vector<int>{970, 972, 975, 973, 971}));
  EXPECT_EQ(mlii.back(), 768);
  EXPECT_EQ(v5.back(), 1024);
  // Physical units: (995 - 1024) / 200 = -0.145 mV and (1011 - 1024) / 200 = -0.065 mV.
  EXPECT_FLOAT_EQ(header->signals[0].to_physical(mlii[0]), -0.145f);
  EXPECT_FLOAT_EQ(header->signals[1].to_physical(v5[0]), -0.065f);
}

TEST(WfdbAnnotations, Record100) {
  Result<std::vector<WfdbAnnotation>> annotations = read_mit_annotations(mitdb_dir() + "/100.atr");
  ASSERT_TRUE(annotations.is_ok()) << annotations.status().to_string();
  // Python: 2274 annotations; first (18, '+') with aux "(N", then (77, 'N'), (370, 'N');
  // last (649991, 'N'); symbols + 1, A 33, N 2239, V 1.
  ASSERT_EQ(annotations->size(), 2274u);
  EXPECT_EQ((*annotations)[0].sample, 18);
  EXPECT_EQ(annotation_symbol((*annotations)[0].code), "+");
  EXPECT_EQ((*annotations)[0].aux, "(N");
  EXPECT_EQ((*annotations)[1].sample, 77);
  EXPECT_EQ(annotation_symbol((*annotations)[1].code), "N");
  EXPECT_EQ(annotations->back().sample, 649991);
  AamiCounts counts{};
  std::int64_t non_beats = 0;
  for (const WfdbAnnotation& a : *annotations) {
    const AamiClass c = aami_class_of_code(a.code);
    if (c == AamiClass::kNotBeat) {
      ++non_beats;
    } else {
      ++counts[static_cast<std::size_t>(c)];
    }
  }
  EXPECT_EQ(counts, (AamiCounts{2239, 33, 1, 0, 0}));
  EXPECT_EQ(non_beats, 1);
}

TEST(WfdbRecords, EveryRecordParsesAndVerifies) {
  // The README promises every header's checksum and first sample verify; so must our reader.
  int records = 0;
  for (const auto& entry : fs::directory_iterator(mitdb_dir())) {
    if (entry.path().extension() != ".hea") continue;
    const std::string base = (entry.path().parent_path() / entry.path().stem()).string();
    Result<WfdbHeader> header = read_wfdb_header(base + ".hea");
    ASSERT_TRUE(header.is_ok()) << header.status().to_string();
    Result<WfdbSignals> signals = read_wfdb_signals(*header, mitdb_dir());
    ASSERT_TRUE(signals.is_ok()) << signals.status().to_string();
    Result<std::vector<WfdbAnnotation>> annotations = read_mit_annotations(base + ".atr");
    ASSERT_TRUE(annotations.is_ok()) << annotations.status().to_string();
    EXPECT_GT(annotations->size(), 1000u) << base;
    ++records;
  }
  EXPECT_EQ(records, 48);
}

TEST(AnnotationCodes, SymbolsAndAamiClasses) {
  // ecgcodes.h / rdann mnemonics.
  const std::vector<std::pair<int, std::string>> symbols = {
      {1, "N"},  {2, "L"},  {3, "R"},  {4, "a"},  {5, "V"},  {6, "F"},  {7, "J"},   {8, "A"},  {9, "S"},
      {10, "E"}, {11, "j"}, {12, "/"}, {13, "Q"}, {14, "~"}, {16, "|"}, {18, "s"},  {19, "T"}, {20, "*"},
      {21, "D"}, {22, "\""}, {23, "="}, {24, "p"}, {25, "B"}, {26, "^"}, {27, "t"}, {28, "+"}, {29, "u"},
      {30, "?"}, {31, "!"}, {32, "["}, {33, "]"}, {34, "e"}, {35, "n"}, {36, "@"},  {37, "x"}, {38, "f"},
      {39, "("}, {40, ")"}, {41, "r"}};
  for (const auto& [code, symbol] : symbols) EXPECT_EQ(annotation_symbol(code), symbol) << code;
  EXPECT_EQ(annotation_symbol(15), "[15]");
  EXPECT_EQ(annotation_symbol(50), "");

  // README: N (N, L, R, e, j), S (A, a, J, S), V (V, E), F (F), Q (/, f, Q).
  const std::string classes = "NSVFQ";
  const std::vector<std::pair<std::string, char>> beats = {
      {"N", 'N'}, {"L", 'N'}, {"R", 'N'}, {"e", 'N'}, {"j", 'N'}, {"A", 'S'}, {"a", 'S'}, {"J", 'S'},
      {"S", 'S'}, {"V", 'V'}, {"E", 'V'}, {"F", 'F'}, {"/", 'Q'}, {"f", 'Q'}, {"Q", 'Q'}};
  int beat_codes = 0;
  for (int code = 0; code <= 63; ++code) {
    const AamiClass c = aami_class_of_code(code);
    const std::string symbol(annotation_symbol(code));
    bool listed = false;
    for (const auto& [s, cls] : beats) {
      if (s != symbol) continue;
      listed = true;
      ASSERT_NE(c, AamiClass::kNotBeat) << symbol;
      EXPECT_EQ(classes[static_cast<std::size_t>(c)], cls) << symbol;
    }
    if (!listed) {
      EXPECT_EQ(c, AamiClass::kNotBeat) << code;
    }
    beat_codes += listed ? 1 : 0;
  }
  EXPECT_EQ(beat_codes, 15);
}

// ---------------------------------------------------------------------------------------
// Synthetic records: format 212 edge cases, format 16, annotation pseudo-codes

TEST(WfdbSignals, Format212OddSampleCountAndNegativeValues) {
  TempDir dir;
  // One signal, 3 samples: -5, 2047, -2048. -5 = 0xFFB; 2047 = 0x7FF; -2048 = 0x800.
  // Pair 1: byte0 = 0xFB, byte1 = (0x7 << 4) | 0xF = 0x7F, byte2 = 0xFF; last sample alone:
  // byte0 = 0x00, byte1 = 0x08.
  write_bytes(dir.file("s.dat"), {0xFB, 0x7F, 0xFF, 0x00, 0x08});
  // checksum: -5 + 2047 - 2048 = -6
  write_text(dir.file("s.hea"), "s 1 100 3\ns.dat 212 100 12 0 -5 -6 0 test\n");
  Result<WfdbHeader> header = read_wfdb_header(dir.file("s.hea"));
  ASSERT_TRUE(header.is_ok()) << header.status().to_string();
  Result<WfdbSignals> signals = read_wfdb_signals(*header, dir.path());
  ASSERT_TRUE(signals.is_ok()) << signals.status().to_string();
  EXPECT_EQ(signals->channels[0], (std::vector<std::int16_t>{-5, 2047, -2048}));
}

TEST(WfdbSignals, Format16TwoFiles) {
  TempDir dir;
  // a.dat: 2 interleaved signals, b.dat: 1 signal; 2 samples each, little-endian int16.
  write_bytes(dir.file("a.dat"), {0x01, 0x00, 0xFF, 0xFF, 0x00, 0x80, 0x10, 0x27});  // 1, -1, -32768, 10000
  write_bytes(dir.file("b.dat"), {0x05, 0x00, 0xFB, 0xFF});                          // 5, -5
  // checksums: 1 - 32768 = -32767; -1 + 10000 = 9999; 5 - 5 = 0
  write_text(dir.file("r.hea"),
             "r 3 500 2\n"
             "a.dat 16 1000 16 0 1 -32767 0 x\n"
             "a.dat 16 1000 16 0 -1 9999 0 y\n"
             "b.dat 16 1000 16 0 5 0 0 z\n");
  Result<WfdbHeader> header = read_wfdb_header(dir.file("r.hea"));
  ASSERT_TRUE(header.is_ok()) << header.status().to_string();
  Result<WfdbSignals> signals = read_wfdb_signals(*header, dir.path());
  ASSERT_TRUE(signals.is_ok()) << signals.status().to_string();
  EXPECT_EQ(signals->channels[0], (std::vector<std::int16_t>{1, -32768}));
  EXPECT_EQ(signals->channels[1], (std::vector<std::int16_t>{-1, 10000}));
  EXPECT_EQ(signals->channels[2], (std::vector<std::int16_t>{5, -5}));
}

TEST(WfdbAnnotations, PseudoCodes) {
  std::vector<std::uint8_t> bytes;
  push_word(bytes, 28, 18);                  // '+' at 18
  push_word(bytes, wfdb_code::kAux, 3);      // "(N" + NUL, odd: one pad byte
  for (int b : {int{'('}, int{'N'}, 0, 0}) bytes.push_back(static_cast<std::uint8_t>(b));
  push_word(bytes, wfdb_code::kSkip, 0);     // interval 70000 = 0x00011170, high word first
  for (int b : {0x01, 0x00, 0x70, 0x11}) bytes.push_back(static_cast<std::uint8_t>(b));
  push_word(bytes, 5, 2);                    // 'V' at 18 + 70000 + 2
  push_word(bytes, wfdb_code::kSub, 3);
  push_word(bytes, wfdb_code::kChan, 1);
  push_word(bytes, wfdb_code::kNum, 7);
  push_word(bytes, 1, 1023);                 // 'N' 1023 later: keeps chan 1 and num 7, not sub
  push_word(bytes, 0, 0);
  Result<std::vector<WfdbAnnotation>> a = parse_mit_annotations(bytes.data(), bytes.size(), "synthetic.atr");
  ASSERT_TRUE(a.is_ok()) << a.status().to_string();
  ASSERT_EQ(a->size(), 3u);
  EXPECT_EQ((*a)[0].aux, "(N");
  EXPECT_EQ((*a)[1].sample, 18 + 70000 + 2);
  EXPECT_EQ((*a)[1].code, 5);
  EXPECT_EQ((*a)[1].subtype, 3);
  EXPECT_EQ((*a)[1].channel, 1);
  EXPECT_EQ((*a)[1].num, 7);
  EXPECT_EQ((*a)[2].sample, 18 + 70000 + 2 + 1023);
  EXPECT_EQ((*a)[2].subtype, 0);
  EXPECT_EQ((*a)[2].channel, 1);
  EXPECT_EQ((*a)[2].num, 7);

  // Each truncation point fails with "truncated" and the name.
  const std::vector<std::size_t> cuts = {0, 1, 3, 5, 8, 11, bytes.size() - 2, bytes.size() - 1};
  for (std::size_t cut : cuts) {
    expect_error(parse_mit_annotations(bytes.data(), cut, "synthetic.atr").status(),
                 {"synthetic.atr", "truncated"});
  }
  std::vector<std::uint8_t> modifier_first;
  push_word(modifier_first, wfdb_code::kAux, 0);
  push_word(modifier_first, 0, 0);
  expect_error(parse_mit_annotations(modifier_first.data(), modifier_first.size(), "m.atr").status(),
               {"m.atr", "before the first annotation"});
  std::vector<std::uint8_t> not_qrs;  // code 0 with a nonzero time: not valid in a file
  push_word(not_qrs, 0, 5);
  push_word(not_qrs, 0, 0);
  expect_error(parse_mit_annotations(not_qrs.data(), not_qrs.size(), "z.atr").status(),
               {"z.atr", "unknown annotation code 0"});
}

// ---------------------------------------------------------------------------------------
// Damaged copies of record 100: every error names the file

TEST(WfdbErrors, BadHeaderLines) {
  TempDir dir;
  copy_record_100(dir);
  const std::string original = read_text(dir.file("100.hea"));
  const std::vector<std::pair<std::string, std::string>> damages = {
      {"100 2 360 650000", "100 2 fast 650000"},                          // sampling frequency
      {"100 2 360 650000", "100 two 360 650000"},                         // signal count
      {"100 2 360 650000", "100 2 360 -1"},                               // sample count
      {"212 200 11 1024 995", "212 2x0 11 1024 995"},                     // gain
      {"212 200 11 1024 995", "212 200 11 zero 995"},                     // adc zero
      {"1024 995 -22131", "1024 995 -22l31"},                             // checksum
      {"100.dat 212 200 11 1024 1011 20052 0 V5", "100.dat"},             // no format
      {"100 2 360 650000", "100 3 360 650000"},                           // missing signal line
      {"100 2 360 650000", "100/2 2 360 650000"},                         // multi-segment
  };
  for (const auto& [from, to] : damages) {
    std::string text = original;
    replace_once(text, from, to);
    write_text(dir.file("100.hea"), text);
    expect_error(read_wfdb_header(dir.file("100.hea")).status(), {dir.file("100.hea")});
    expect_error(load_mitdb(dir.path(), {"100"}, mitdb_preprocessing()).status(), {dir.file("100.hea")});
  }
  std::string text = original;
  replace_once(text, "212 200 11 1024 995", "212 2x0 11 1024 995");
  write_text(dir.file("100.hea"), text);
  expect_error(read_wfdb_header(dir.file("100.hea")).status(), {"line 2", "bad gain '2x0'"});
  text = original + "200.dat 212 200 11 1024 0 0 0 extra\n";
  write_text(dir.file("100.hea"), text);
  // 100.hea ends with an empty line 6.
  expect_error(read_wfdb_header(dir.file("100.hea")).status(), {dir.file("100.hea"), "line 7"});
}

TEST(WfdbErrors, UnsupportedFormat) {
  TempDir dir;
  copy_record_100(dir);
  std::string text = read_text(dir.file("100.hea"));
  replace_once(text, "100.dat 212", "100.dat 311");
  write_text(dir.file("100.hea"), text);
  Status status = load_mitdb(dir.path(), {"100"}, mitdb_preprocessing()).status();
  expect_error(status, {dir.file("100.hea"), "format 311 is not supported"});
  EXPECT_EQ(status.code(), StatusCode::kUnsupported);
}

TEST(WfdbErrors, ShortSignalFile) {
  TempDir dir;
  copy_record_100(dir);
  std::vector<std::uint8_t> bytes = read_bytes(dir.file("100.dat"));
  ASSERT_EQ(bytes.size(), 1950000u);  // 650000 frames of 2 samples in 3 bytes
  bytes.erase(bytes.end() - 3, bytes.end());
  write_bytes(dir.file("100.dat"), bytes);
  Status status = load_mitdb(dir.path(), {"100"}, mitdb_preprocessing()).status();
  expect_error(status, {dir.file("100.dat"), "1949997 bytes", "1950000 bytes"});
  EXPECT_EQ(status.code(), StatusCode::kDataLoss);
}

TEST(WfdbErrors, ChecksumCatchesOneModifiedByte) {
  TempDir dir;
  copy_record_100(dir);
  const std::vector<std::uint8_t> original = read_bytes(dir.file("100.dat"));
  // Byte 3 * 1000 + 2 holds the low 8 bits of the V5 sample of frame 1000 (970 -> 971).
  std::vector<std::uint8_t> bytes = original;
  bytes[3002] ^= 0x01;
  write_bytes(dir.file("100.dat"), bytes);
  Result<WfdbHeader> header = read_wfdb_header(dir.file("100.hea"));
  ASSERT_TRUE(header.is_ok());
  Status status = read_wfdb_signals(*header, dir.path()).status();
  expect_error(status, {dir.file("100.dat"), "signal 1 (V5)", "checksum", "20052"});
  EXPECT_EQ(status.code(), StatusCode::kDataLoss);
  expect_error(load_mitdb(dir.path(), {"100"}, mitdb_preprocessing()).status(), {dir.file("100.dat"), "checksum"});

  // The first sample is checked against the header's initial value.
  bytes = original;
  bytes[0] ^= 0x01;  // 995 -> 994 in MLII: first value and checksum are both off
  write_bytes(dir.file("100.dat"), bytes);
  expect_error(read_wfdb_signals(*header, dir.path()).status(),
               {dir.file("100.dat"), "signal 0 (MLII)", "first sample 994", "995"});
}

TEST(WfdbErrors, UnknownAnnotationCode) {
  TempDir dir;
  copy_record_100(dir);
  std::vector<std::uint8_t> bytes = read_bytes(dir.file("100.atr"));
  // Bytes 0..7: '+'@18, AUX 3 "(N\0" and its pad; the word at byte 8 is the first 'N'
  // (code 1, dt 59): its high byte carries the code in its top 6 bits.
  ASSERT_EQ(bytes[9] >> 2, 1);
  bytes[9] = static_cast<std::uint8_t>((50 << 2) | (bytes[9] & 0x03));
  write_bytes(dir.file("100.atr"), bytes);
  Status status = load_mitdb(dir.path(), {"100"}, mitdb_preprocessing()).status();
  expect_error(status, {dir.file("100.atr"), "unknown annotation code 50", "byte 8"});
  EXPECT_EQ(status.code(), StatusCode::kDataLoss);
}

TEST(WfdbErrors, TruncatedAnnotationFile) {
  TempDir dir;
  copy_record_100(dir);
  const std::vector<std::uint8_t> original = read_bytes(dir.file("100.atr"));
  for (std::size_t cut : {original.size() - 2, original.size() - 1, std::size_t{7}}) {
    std::vector<std::uint8_t> bytes(original.begin(), original.begin() + static_cast<std::ptrdiff_t>(cut));
    write_bytes(dir.file("100.atr"), bytes);
    Status status = load_mitdb(dir.path(), {"100"}, mitdb_preprocessing()).status();
    expect_error(status, {dir.file("100.atr"), "truncated annotation file"});
  }
}

TEST(WfdbErrors, MissingFilesAreNamed) {
  TempDir dir;
  expect_error(load_mitdb(dir.path(), {"100"}, mitdb_preprocessing()).status(), {dir.file("100.hea")});
  copy_record_100(dir);
  fs::remove(dir.file("100.atr"));
  expect_error(load_mitdb(dir.path(), {"100"}, mitdb_preprocessing()).status(), {dir.file("100.atr")});
}

// ---------------------------------------------------------------------------------------
// Beat windows, RR features, resampling

TEST(EcgBeats, RrFeaturesOnHandMadePeaks) {
  // 100 Hz; RR intervals 1.0, 1.0, 0.5, 1.5, 1.0 s; record mean 500 / 5 / 100 = 1.0 s.
  // local (2 beats) = mean of the two intervals before pre-RR:
  //   beat 0: pre := post = 1.0, local := pre;  beat 1: none before, local := pre = 1.0
  //   beat 2: {1.0} -> 1.0;  beat 3: {1.0, 1.0} -> 1.0, ratio 0.5 (premature)
  //   beat 4: {1.0, 0.5} -> 0.75, ratio 2;  beat 5: {0.5, 1.5} -> 1.0, post := pre
  const std::vector<std::int64_t> peaks = {0, 100, 200, 250, 400, 500};
  Result<std::vector<RrFeatures>> rr = compute_rr_features(peaks, 100.0, 2);
  ASSERT_TRUE(rr.is_ok()) << rr.status().to_string();
  ASSERT_EQ(rr->size(), 6u);
  const float expected[6][5] = {{1.0f, 1.0f, 1.0f, 1.0f, 1.0f}, {1.0f, 1.0f, 1.0f, 1.0f, 1.0f},
                                {1.0f, 0.5f, 1.0f, 1.0f, 1.0f}, {0.5f, 1.5f, 1.0f, 1.0f, 0.5f},
                                {1.5f, 1.0f, 0.75f, 1.0f, 2.0f}, {1.0f, 1.0f, 1.0f, 1.0f, 1.0f}};
  for (int i = 0; i < 6; ++i) {
    const RrFeatures& f = (*rr)[static_cast<std::size_t>(i)];
    EXPECT_FLOAT_EQ(f.pre_rr_s, expected[i][0]) << i;
    EXPECT_FLOAT_EQ(f.post_rr_s, expected[i][1]) << i;
    EXPECT_FLOAT_EQ(f.local_rr_s, expected[i][2]) << i;
    EXPECT_FLOAT_EQ(f.record_rr_s, expected[i][3]) << i;
    EXPECT_FLOAT_EQ(f.pre_to_local_ratio, expected[i][4]) << i;
  }
  // Beat 3 is premature (0.5 s after a 1.0 s rhythm; record mean 1.0 s) with a compensatory
  // pause of 1.5 s: pre/record 0.5, post/record 1.5, post/pre 3.
  EXPECT_FLOAT_EQ((*rr)[3].pre_to_record_ratio, 0.5f);
  EXPECT_FLOAT_EQ((*rr)[3].post_to_record_ratio, 1.5f);
  EXPECT_FLOAT_EQ((*rr)[3].post_to_pre_ratio, 3.0f);
  EXPECT_FLOAT_EQ((*rr)[4].post_to_pre_ratio, 1.0f / 1.5f);
  Result<std::vector<RrFeatures>> one = compute_rr_features(std::vector<std::int64_t>{42}, 100.0, 2);
  ASSERT_TRUE(one.is_ok());
  EXPECT_EQ((*one)[0].pre_rr_s, 0.0f);
  EXPECT_EQ((*one)[0].pre_to_local_ratio, 1.0f);
  expect_error(compute_rr_features(std::vector<std::int64_t>{0, 100, 100}, 100.0, 2).status(),
               {"must increase", "peak 2"});
}

TEST(EcgBeats, SlidingRecordEndsAtTheNextPeak) {
  // The same peaks with a 2 s record: beat i's record is the peaks within 200 samples before
  // peak min(i + 1, 5), at least one interval.
  //   beat 0: {0, 100} -> 1.0;  beat 1: {0, 100, 200} -> 1.0;  beat 2: {100, 200, 250} -> 0.75
  //   beat 3: {200, 250, 400} -> 1.0;  beat 4 and 5: {400, 500} -> 1.0 (250 -> 500 is too long)
  const std::vector<std::int64_t> peaks = {0, 100, 200, 250, 400, 500};
  Result<std::vector<RrFeatures>> rr = compute_rr_features(peaks, 100.0, 2, 2.0);
  ASSERT_TRUE(rr.is_ok()) << rr.status().to_string();
  const float record[6] = {1.0f, 1.0f, 0.75f, 1.0f, 1.0f, 1.0f};
  for (int i = 0; i < 6; ++i) EXPECT_FLOAT_EQ((*rr)[static_cast<std::size_t>(i)].record_rr_s, record[i]) << i;
  EXPECT_FLOAT_EQ((*rr)[2].pre_to_record_ratio, 1.0f / 0.75f);
  EXPECT_FLOAT_EQ((*rr)[2].post_to_record_ratio, 0.5f / 0.75f);
  EXPECT_FLOAT_EQ((*rr)[3].pre_to_record_ratio, 0.5f);
  // One interval longer than the record still counts (no division by zero).
  Result<std::vector<RrFeatures>> pause = compute_rr_features(std::vector<std::int64_t>{0, 1000}, 100.0, 2, 2.0);
  ASSERT_TRUE(pause.is_ok());
  EXPECT_FLOAT_EQ((*pause)[1].record_rr_s, 10.0f);
  expect_error(compute_rr_features(peaks, 100.0, 2, -1.0).status(), {"record_seconds"});
}

TEST(EcgBeats, WindowIsCentredOnTheLargestDeflectionNearThePeak) {
  EcgBeatParams params;
  params.window_before = 2;
  params.window_after = 3;
  params.r_align_samples = 2;
  // Given peak 4: its window {1, 2, 3, 1, -7} has median 1; within 2 samples of 4 the largest
  // |x - 1| is -7 at 6, so the window is centred there: samples 4..8 = {3, 1, -7, 1, 2}, median 1.
  const std::vector<float> signal = {0, 0, 1, 2, 3, 1, -7, 1, 2, 0};
  std::vector<float> out(5);
  ASSERT_TRUE(extract_beat_window(signal, 4, params, out).is_ok());
  EXPECT_EQ(out, (std::vector<float>{2, 0, -8, 0, 1}));
  // Peaks 5 and 6 find the same sample: the same window.
  std::vector<float> from5(5), from6(5);
  ASSERT_TRUE(extract_beat_window(signal, 5, params, from5).is_ok());
  ASSERT_TRUE(extract_beat_window(signal, 6, params, from6).is_ok());
  EXPECT_EQ(from5, out);
  EXPECT_EQ(from6, out);
  // Without alignment (bundles made before it): centred on the given peak.
  params.r_align_samples = 0;
  ASSERT_TRUE(extract_beat_window(signal, 4, params, out).is_ok());
  EXPECT_EQ(out, (std::vector<float>{0, 1, 2, 0, -8}));
  // The alignment is a preprocessing parameter: written, read back, absent = 0, bounded.
  params.r_align_samples = 8;
  Preprocessing pre = ecg_beat_preprocessing(params);
  EXPECT_EQ(pre.params.at("r_align_samples"), "8");
  EXPECT_EQ(parse_ecg_beat_params(pre)->r_align_samples, 8);
  pre.params.erase("r_align_samples");
  EXPECT_EQ(parse_ecg_beat_params(pre)->r_align_samples, 0);
  pre.params["r_align_samples"] = "-1";
  EXPECT_FALSE(parse_ecg_beat_params(pre).is_ok());
}

TEST(EcgBeats, WindowAndMedianBaseline) {
  EcgBeatParams params;
  params.window_before = 2;
  params.window_after = 3;
  // Window around 4 is samples 2..6 = {5, 1, 9, 3, 2}; median 3.
  const std::vector<float> signal = {0, 0, 5, 1, 9, 3, 2, 0};
  std::vector<float> out(5);
  ASSERT_TRUE(extract_beat_window(signal, 4, params, out).is_ok());
  EXPECT_EQ(out, (std::vector<float>{2, -2, 6, 0, -1}));
  // Even length: the mean of the two middle values. Samples 2..7 = {5,1,9,3,2,0}: (2 + 3) / 2.
  params.window_after = 4;
  out.resize(6);
  ASSERT_TRUE(extract_beat_window(signal, 4, params, out).is_ok());
  EXPECT_EQ(out, (std::vector<float>{2.5f, -1.5f, 6.5f, 0.5f, -0.5f, -2.5f}));
  // Outside the signal on either side.
  EXPECT_EQ(extract_beat_window(signal, 5, params, out).code(), StatusCode::kOutOfRange);
  EXPECT_EQ(extract_beat_window(signal, 1, params, out).code(), StatusCode::kOutOfRange);
  EXPECT_TRUE(beat_window_fits(8, 4, params));
  EXPECT_FALSE(beat_window_fits(8, 5, params));
  out.resize(5);
  EXPECT_EQ(extract_beat_window(signal, 4, params, out).code(), StatusCode::kInvalidArgument);
}

TEST(EcgBeats, PreprocessingParams) {
  const Preprocessing pre = mitdb_preprocessing();
  EXPECT_EQ(pre.kind, "ecg_beat");
  EXPECT_EQ(pre.layout, "NCW");
  EXPECT_EQ(pre.params.at("sample_rate_hz"), "360");
  EXPECT_EQ(pre.params.at("window_before"), "90");
  EXPECT_EQ(pre.params.at("window_after"), "166");
  EXPECT_EQ(pre.params.at("baseline"), "window_median");
  EXPECT_EQ(pre.params.at("rr_local_beats"), "10");
  EXPECT_EQ(pre.params.at("lead"), "MLII");
  Result<EcgBeatParams> params = parse_ecg_beat_params(pre);
  ASSERT_TRUE(params.is_ok());
  EXPECT_EQ(params->window_samples(), 256);

  Preprocessing bad = pre;
  bad.params.erase("window_after");
  expect_error(parse_ecg_beat_params(bad).status(), {"missing param 'window_after'"});
  bad = pre;
  bad.params["window_before"] = "ninety";
  expect_error(parse_ecg_beat_params(bad).status(), {"window_before", "ninety"});
  bad = pre;
  bad.params["baseline"] = "highpass";
  expect_error(parse_ecg_beat_params(bad).status(), {"highpass"});
  bad = pre;
  bad.kind = "image";
  expect_error(parse_ecg_beat_params(bad).status(), {"ecg_beat"});
  bad = pre;
  bad.params["window_after"] = "5000";
  expect_error(parse_ecg_beat_params(bad).status(), {"window_after 5000"});
}

TEST(EcgBeats, ResampleLinear) {
  const std::vector<float> signal = {0, 1, 2, 4};
  EXPECT_EQ(resample_linear(signal, 2.0, 4.0), (std::vector<float>{0, 0.5f, 1, 1.5f, 2, 3, 4}));
  EXPECT_EQ(resample_linear(signal, 4.0, 2.0), (std::vector<float>{0, 2}));
  EXPECT_EQ(resample_linear(signal, 3.0, 3.0), signal);
  EXPECT_EQ(resample_position(360, 360.0, 250.0), 250);
  EXPECT_EQ(resample_position(77, 360.0, 250.0), 53);  // 53.47
}

// ---------------------------------------------------------------------------------------
// The MIT-BIH loader

TEST(Mitdb, Record100Beats) {
  MitdbStats stats;
  Result<LabeledData> data = load_mitdb(mitdb_dir(), {"100"}, mitdb_preprocessing(), &stats);
  ASSERT_TRUE(data.is_ok()) << data.status().to_string();
  // Python: 2273 beats; the first (77) and last (649991) windows leave the record.
  EXPECT_EQ(data->size(), 2271);
  EXPECT_EQ(data->class_counts(), (std::vector<std::int64_t>{2237, 33, 1, 0, 0}));
  EXPECT_EQ(stats.skipped, (AamiCounts{2, 0, 0, 0, 0}));
  ASSERT_EQ(stats.records.size(), 1u);
  EXPECT_EQ(stats.records[0].lead, "MLII");
  EXPECT_EQ(stats.records[0].non_beat_annotations, 1);
  EXPECT_EQ(data->input_names, (std::vector<std::string>{"beat", "rr"}));
  EXPECT_EQ(data->class_names, (std::vector<std::string>{"N", "S", "V", "F", "Q"}));
  ASSERT_EQ(data->inputs.size(), 2u);
  EXPECT_EQ(data->inputs[0].shape(), (Shape{2271, 1, 256}));
  EXPECT_EQ(data->inputs[1].shape(), (Shape{2271, kNumRrFeatures}));
  ASSERT_EQ(data->sources.size(), 2271u);
  EXPECT_EQ(data->sources[0], "100:370");

  // Python: window around 370 of (adc - 1024) / 200: median -0.34; out[0] 0.035, out[90] 1.28,
  // out[255] 0.005.
  const float* beat = data->inputs[0].data<float>();
  EXPECT_NEAR(beat[0], 0.035f, 1e-6);
  EXPECT_NEAR(beat[90], 1.28f, 1e-6);
  EXPECT_NEAR(beat[255], 0.005f, 1e-6);
  // Python, beat 20 of the annotation beat list (sample 5918) = sample 19 here: pre 0.791666667,
  // post 0.822222222, local (10 intervals before pre) 0.813055556, ratio 0.973693201; record
  // (the 30-minute sliding record up to the next peak: beats 0..21) 0.811772487.
  EXPECT_EQ(data->sources[19], "100:5918");
  const float* rr = data->inputs[1].data<float>() + 19 * kNumRrFeatures;
  EXPECT_NEAR(rr[0], 0.791666667f, 1e-6);
  EXPECT_NEAR(rr[1], 0.822222222f, 1e-6);
  EXPECT_NEAR(rr[2], 0.813055556f, 1e-6);
  EXPECT_NEAR(rr[3], 0.811772487f, 1e-6);
  EXPECT_NEAR(rr[4], 0.973693201f, 1e-6);
  EXPECT_NEAR(rr[5], 0.791666667f / 0.811772487f, 1e-6);
  EXPECT_NEAR(rr[6], 0.822222222f / 0.811772487f, 1e-6);
  EXPECT_NEAR(rr[7], 0.822222222f / 0.791666667f, 1e-6);

  // A bundle from before the sliding record (no rr_record_seconds): the whole record's mean,
  // Python 0.794593603.
  Preprocessing whole = mitdb_preprocessing();
  whole.params.erase("rr_record_seconds");
  Result<LabeledData> legacy = load_mitdb(mitdb_dir(), {"100"}, whole);
  ASSERT_TRUE(legacy.is_ok()) << legacy.status().to_string();
  EXPECT_NEAR(legacy->inputs[1].data<float>()[19 * kNumRrFeatures + 3], 0.794593603f, 1e-6);
}

TEST(Mitdb, Record114UsesItsMliiSignal) {
  MitdbStats stats;
  Result<LabeledData> data = load_mitdb(mitdb_dir(), {"114"}, mitdb_preprocessing(), &stats);
  ASSERT_TRUE(data.is_ok()) << data.status().to_string();
  ASSERT_EQ(stats.records.size(), 1u);
  EXPECT_EQ(stats.records[0].lead, "MLII");
  EXPECT_EQ(stats.records[0].signal_index, 1);  // 114.hea lists V5 first
}

TEST(Mitdb, PacedRecordsAreRefusedUnlessAllowed) {
  expect_error(load_mitdb(mitdb_dir(), {"101", "217"}, mitdb_preprocessing()).status(), {"217", "paced"});
  MitdbStats stats;
  Result<LabeledData> data = load_mitdb(mitdb_dir(), {"102"}, mitdb_preprocessing(), &stats, {.allow_paced_records = true});
  ASSERT_TRUE(data.is_ok()) << data.status().to_string();
  EXPECT_EQ(stats.records[0].lead, "V5");  // no MLII in 102: signal 0
  EXPECT_GT(data->class_counts()[4], 1000);  // paced beats are Q
  expect_error(load_mitdb(mitdb_dir(), {"100", "100"}, mitdb_preprocessing()).status(), {"twice"});
}

TEST(Mitdb, SplitsPerClass) {
  // Python reference (window 90 before, 166 after, 650000 samples):
  //   DS1 kept N 45848, S 944, V 3788, F 414, Q 8; skipped N 18, F 1
  //   DS2 kept N 44240, S 1837, V 3220, F 388, Q 7; skipped N 19, V 1
  // (de Chazal 2004 lists DS1 N 45866 S 944 V 3788 F 415 Q 8 = kept + skipped.)
  const auto start = std::chrono::steady_clock::now();
  MitdbStats ds1_stats;
  Result<LabeledData> ds1 = load_mitdb(mitdb_dir(), mitdb_ds1_records(), mitdb_preprocessing(), &ds1_stats);
  const double ds1_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_TRUE(ds1.is_ok()) << ds1.status().to_string();
  EXPECT_EQ(ds1->class_counts(), (std::vector<std::int64_t>{45848, 944, 3788, 414, 8}));
  EXPECT_EQ(ds1_stats.skipped, (AamiCounts{18, 0, 0, 1, 0}));
  EXPECT_EQ(ds1_stats.records.size(), 22u);
  std::printf("DS1: %s; loaded in %.2f s\n", ds1_stats.describe().c_str(), ds1_s);

  MitdbStats ds2_stats;
  Result<LabeledData> ds2 = load_mitdb(mitdb_dir(), mitdb_ds2_records(), mitdb_preprocessing(), &ds2_stats);
  ASSERT_TRUE(ds2.is_ok()) << ds2.status().to_string();
  EXPECT_EQ(ds2->class_counts(), (std::vector<std::int64_t>{44240, 1837, 3220, 388, 7}));
  EXPECT_EQ(ds2_stats.skipped, (AamiCounts{19, 0, 1, 0, 0}));
  std::printf("DS2: %s\n", ds2_stats.describe().c_str());

  // Inter-patient: no record in both, none paced.
  for (const std::string& r : mitdb_ds1_records()) {
    EXPECT_FALSE(is_paced_mitdb_record(r));
    for (const std::string& s : mitdb_ds2_records()) EXPECT_NE(r, s);
  }
  for (const std::string& r : mitdb_ds2_records()) EXPECT_FALSE(is_paced_mitdb_record(r));
}

}  // namespace
}  // namespace edgeai
