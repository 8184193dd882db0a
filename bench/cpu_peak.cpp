// Single-core peak multiply-accumulate rate of this CPU, the yardstick for "% of peak" in
// docs/benchmarks.md. Not part of the build: bench/run_benchmarks.sh compiles it with
//
//   g++ -O2 -std=c++17 [-mavx2 -mfma] [-mavx512f] [-mavx512vnni] [-mavxvnni] [-mamx-tile -mamx-int8] bench/cpu_peak.cpp
//
// (the -m flags this CPU's /proc/cpuinfo allows) and runs it once. It prints one JSON object:
//
//   {"fp32_isa":"avx512f fma (zmm)","fp32_lanes_per_fma":16,"fp32_gmac_per_s":..,
//    "int8_instructions_per_step":1,"int8_isa":"avx512_vnni vpdpbusd (zmm)","int8_macs_per_instruction":64,
//    "int8_gmac_per_s":..,"amx_int8_isa":..,"amx_int8_gmac_per_s":..,"trials":15,"iterations_per_trial":..}
//
// (null where the CPU or the flags offer neither path).
//
// fp32: independent chains acc = fma(acc, a, b) on 16 accumulators held in separate named
// variables (an array would be spilled to memory by GCC), so the FMA units, not the 4-cycle FMA
// latency, are the limit; GMAC/s counts FMA lanes (16 per zmm FMA, 8 per ymm FMA). int8: the same
// with vpdpbusd (u8 x s8, 4 products summed into each int32 lane: 64 MACs per zmm instruction,
// 32 per ymm), or without VNNI the AVX2 sequence vpmaddubsw + vpmaddwd + vpaddd (32 MACs per three
// instructions). Each figure is the best of 15 trials of about 45 ms each (the best: on a shared
// machine a trial can lose its core for a while).
#include <immintrin.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#if defined(__linux__)
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace {

using Clock = std::chrono::steady_clock;

constexpr int kTrials = 15;
constexpr long kIterations = 20000000;  // per trial, 16 instructions each: ~45 ms at 115 GMAC/s

[[maybe_unused]] double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

volatile float g_sink_f = 0;
volatile int g_sink_i = 0;

#define EDGEAI_16(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11) X(12) X(13) X(14) X(15)

#if defined(__AVX512F__)
constexpr int kF32Lanes = 16;
constexpr const char* kF32Isa = "avx512f fma (zmm)";
// Returns seconds for kIterations x 16 zmm FMAs.
double fp32_trial(float seed) {
  const __m512 a = _mm512_set1_ps(0.999999f);
  const __m512 b = _mm512_set1_ps(1e-7f);
#define DECL(i) __m512 acc##i = _mm512_set1_ps(seed + static_cast<float>(i));
  EDGEAI_16(DECL)
#undef DECL
  const Clock::time_point start = Clock::now();
  for (long n = 0; n < kIterations; ++n) {
#define STEP(i) acc##i = _mm512_fmadd_ps(acc##i, a, b);
    EDGEAI_16(STEP)
#undef STEP
  }
  const double seconds = seconds_since(start);
  __m512 sum = _mm512_setzero_ps();
#define SUM(i) sum = _mm512_add_ps(sum, acc##i);
  EDGEAI_16(SUM)
#undef SUM
  float lanes[16];  // (not _mm512_reduce_add_ps: GCC 12 warns inside its header)
  _mm512_storeu_ps(lanes, sum);
  g_sink_f = g_sink_f + lanes[0] + lanes[15];
  return seconds;
}
#elif defined(__AVX2__) && defined(__FMA__)
constexpr int kF32Lanes = 8;
constexpr const char* kF32Isa = "avx2 fma (ymm)";
double fp32_trial(float seed) {
  const __m256 a = _mm256_set1_ps(0.999999f);
  const __m256 b = _mm256_set1_ps(1e-7f);
#define DECL(i) __m256 acc##i = _mm256_set1_ps(seed + static_cast<float>(i));
  EDGEAI_16(DECL)
#undef DECL
  const Clock::time_point start = Clock::now();
  for (long n = 0; n < kIterations; ++n) {
#define STEP(i) acc##i = _mm256_fmadd_ps(acc##i, a, b);
    EDGEAI_16(STEP)
#undef STEP
  }
  const double seconds = seconds_since(start);
  __m256 sum = _mm256_setzero_ps();
#define SUM(i) sum = _mm256_add_ps(sum, acc##i);
  EDGEAI_16(SUM)
#undef SUM
  float lanes[8];
  _mm256_storeu_ps(lanes, sum);
  g_sink_f = g_sink_f + lanes[0] + lanes[7];
  return seconds;
}
#else
#define EDGEAI_NO_FP32
#endif

#if defined(__AVX512F__) && defined(__AVX512VNNI__)
constexpr int kI8MacsPerInstruction = 64;
constexpr int kI8InstructionsPerStep = 1;
constexpr const char* kI8Isa = "avx512_vnni vpdpbusd (zmm)";
double int8_trial(int seed) {
  const __m512i a = _mm512_set1_epi8(3);
  const __m512i b = _mm512_set1_epi8(static_cast<char>(-2));
#define DECL(i) __m512i acc##i = _mm512_set1_epi32(seed + i);
  EDGEAI_16(DECL)
#undef DECL
  const Clock::time_point start = Clock::now();
  for (long n = 0; n < kIterations; ++n) {
#define STEP(i) acc##i = _mm512_dpbusd_epi32(acc##i, a, b);
    EDGEAI_16(STEP)
#undef STEP
  }
  const double seconds = seconds_since(start);
  __m512i sum = _mm512_setzero_si512();
#define SUM(i) sum = _mm512_add_epi32(sum, acc##i);
  EDGEAI_16(SUM)
#undef SUM
  int lanes[16];
  _mm512_storeu_si512(lanes, sum);
  g_sink_i = g_sink_i + lanes[0] + lanes[15];
  return seconds;
}
#elif defined(__AVXVNNI__)
constexpr int kI8MacsPerInstruction = 32;
constexpr int kI8InstructionsPerStep = 1;
constexpr const char* kI8Isa = "avx_vnni vpdpbusd (ymm)";
double int8_trial(int seed) {
  const __m256i a = _mm256_set1_epi8(3);
  const __m256i b = _mm256_set1_epi8(static_cast<char>(-2));
#define DECL(i) __m256i acc##i = _mm256_set1_epi32(seed + i);
  EDGEAI_16(DECL)
#undef DECL
  const Clock::time_point start = Clock::now();
  for (long n = 0; n < kIterations; ++n) {
#define STEP(i) acc##i = _mm256_dpbusd_avx_epi32(acc##i, a, b);
    EDGEAI_16(STEP)
#undef STEP
  }
  const double seconds = seconds_since(start);
  __m256i sum = _mm256_setzero_si256();
#define SUM(i) sum = _mm256_add_epi32(sum, acc##i);
  EDGEAI_16(SUM)
#undef SUM
  g_sink_i = g_sink_i + _mm256_extract_epi32(sum, 0) + _mm256_extract_epi32(sum, 7);
  return seconds;
}
#elif defined(__AVX2__)
// vpmaddubsw (u8 x s8 pairs -> s16), vpmaddwd with ones (pairs -> s32), vpaddd: 32 MACs per
// three instructions, counted as one step below. AVX2 has 16 ymm registers, so 4 accumulators
// (their chains are 1-cycle adds) and 4 inputs, which an empty asm marks as changed every
// iteration so the products are not hoisted out of the loop.
constexpr int kI8MacsPerInstruction = 32;
constexpr int kI8InstructionsPerStep = 3;
constexpr const char* kI8Isa = "avx2 vpmaddubsw+vpmaddwd+vpaddd (ymm)";
double int8_trial(int seed) {
  const __m256i w = _mm256_set1_epi8(static_cast<char>(-2));
  const __m256i ones = _mm256_set1_epi16(1);
  __m256i x0 = _mm256_set1_epi8(1), x1 = _mm256_set1_epi8(2), x2 = _mm256_set1_epi8(3), x3 = _mm256_set1_epi8(4);
  __m256i acc0 = _mm256_set1_epi32(seed), acc1 = acc0, acc2 = acc0, acc3 = acc0;
  const Clock::time_point start = Clock::now();
  for (long n = 0; n < kIterations * 4; ++n) {  // 4 steps per iteration: 16 per kIterations as elsewhere
    __asm__ volatile("" : "+x"(x0), "+x"(x1), "+x"(x2), "+x"(x3));
    acc0 = _mm256_add_epi32(acc0, _mm256_madd_epi16(_mm256_maddubs_epi16(x0, w), ones));
    acc1 = _mm256_add_epi32(acc1, _mm256_madd_epi16(_mm256_maddubs_epi16(x1, w), ones));
    acc2 = _mm256_add_epi32(acc2, _mm256_madd_epi16(_mm256_maddubs_epi16(x2, w), ones));
    acc3 = _mm256_add_epi32(acc3, _mm256_madd_epi16(_mm256_maddubs_epi16(x3, w), ones));
  }
  const double seconds = seconds_since(start);
  const __m256i sum = _mm256_add_epi32(_mm256_add_epi32(acc0, acc1), _mm256_add_epi32(acc2, acc3));
  g_sink_i = g_sink_i + _mm256_extract_epi32(sum, 0) + _mm256_extract_epi32(sum, 7);
  return seconds;
}
#else
#define EDGEAI_NO_INT8
#endif

#if defined(__AMX_INT8__) && defined(__AMX_TILE__) && defined(__linux__) && defined(__x86_64__)
// AMX-INT8: tdpbsud into four 16x16 int32 tiles from two A and two B tiles (16 rows of 64
// bytes): 16 x 16 x 64 = 16384 MACs per instruction, four independent accumulator tiles.
// Linux hands out the tile state on request; without it (or AMX), no figure.
constexpr double kAmxMacsPerInstruction = 16.0 * 16.0 * 64.0;
constexpr long kAmxIterations = 200000;  // per trial, 4 instructions each
struct alignas(64) AmxConfig {
  std::uint8_t palette = 1, start_row = 0, reserved[14] = {};
  std::uint16_t colsb[16] = {};
  std::uint8_t rows[16] = {};
};
bool amx_start() {
  if (syscall(SYS_arch_prctl, 0x1023 /* ARCH_REQ_XCOMP_PERM */, 18 /* XTILEDATA */) != 0) return false;
  AmxConfig config;
  for (int i = 0; i < 8; ++i) {
    config.colsb[i] = 64;
    config.rows[i] = 16;
  }
  _tile_loadconfig(&config);
  return true;
}
double amx_trial() {
  alignas(64) static std::int8_t a[16 * 64];
  alignas(64) static std::uint8_t b[16 * 64];
  alignas(64) static std::int32_t c[16 * 16];
  std::memset(a, 1, sizeof a);
  std::memset(b, 2, sizeof b);
  _tile_loadd(4, a, 64);
  _tile_loadd(5, a, 64);
  _tile_loadd(6, b, 64);
  _tile_loadd(7, b, 64);
  _tile_zero(0);
  _tile_zero(1);
  _tile_zero(2);
  _tile_zero(3);
  const Clock::time_point start = Clock::now();
  for (long n = 0; n < kAmxIterations; ++n) {
    _tile_dpbsud(0, 4, 6);
    _tile_dpbsud(1, 4, 7);
    _tile_dpbsud(2, 5, 6);
    _tile_dpbsud(3, 5, 7);
  }
  const double seconds = seconds_since(start);
  _tile_stored(0, c, 64);
  g_sink_i = g_sink_i + c[0];
  return seconds;
}
#else
#define EDGEAI_NO_AMX
#endif

}  // namespace

int main() {
  std::printf("{");
  bool first = true;
  auto field = [&first](const char* key, const char* fmt, auto value) {
    std::printf(first ? "\"%s\":" : ",\"%s\":", key);
    std::printf(fmt, value);
    first = false;
  };
  [[maybe_unused]] const double instructions = static_cast<double>(kIterations) * 16.0;
#ifndef EDGEAI_NO_FP32
  {
    double best = 1e30;
    fp32_trial(0.5f);  // warm-up: lets the core reach its AVX frequency
    for (int t = 0; t < kTrials; ++t) {
      const double s = fp32_trial(0.25f * static_cast<float>(t));
      if (s < best) best = s;
    }
    field("fp32_isa", "\"%s\"", kF32Isa);
    field("fp32_lanes_per_fma", "%d", kF32Lanes);
    field("fp32_gmac_per_s", "%.2f", instructions * kF32Lanes / best / 1e9);
  }
#else
  field("fp32_isa", "%s", "null");
  field("fp32_gmac_per_s", "%s", "null");
#endif
#ifndef EDGEAI_NO_INT8
  {
    double best = 1e30;
    int8_trial(1);
    for (int t = 0; t < kTrials; ++t) {
      const double s = int8_trial(t);
      if (s < best) best = s;
    }
    // With the AVX2 sequence one counted step is a group of three instructions.
    field("int8_instructions_per_step", "%d", kI8InstructionsPerStep);
    field("int8_isa", "\"%s\"", kI8Isa);
    field("int8_macs_per_instruction", "%d", kI8MacsPerInstruction);
    field("int8_gmac_per_s", "%.2f", instructions * kI8MacsPerInstruction / best / 1e9);
  }
#else
  field("int8_isa", "%s", "null");
  field("int8_gmac_per_s", "%s", "null");
#endif
#ifndef EDGEAI_NO_AMX
  if (amx_start()) {
    double best = 1e30;
    amx_trial();
    for (int t = 0; t < kTrials; ++t) best = std::min(best, amx_trial());
    field("amx_int8_isa", "\"%s\"", "amx_int8 tdpbsud (16x16x64 tiles)");
    field("amx_int8_gmac_per_s", "%.2f", static_cast<double>(kAmxIterations) * 4.0 * kAmxMacsPerInstruction / best / 1e9);
    _tile_release();
  } else {
    field("amx_int8_gmac_per_s", "%s", "null");
  }
#else
  field("amx_int8_gmac_per_s", "%s", "null");
#endif
  field("trials", "%d", kTrials);
  field("iterations_per_trial", "%ld", kIterations);
  std::printf("}\n");
  return 0;
}
