// The ECG beat monitor on a Cortex-M4F: samples of an MIT-BIH record in flash (record.c from
// mcu_ecg_host record) stream through the integer R-peak detector and the beat pipeline
// (micro/ecg.hpp); each beat's window and RR features go through the int8 classifier (the
// bundle in flash, ecg_model.c from edgeai export --c-array, with an arena of exactly
// ECG_MODEL_ARENA_BYTES). Each beat's R peak, int8 logits and label go out over the UART;
// mcu_ecg_host check compares them with the host. SysTick counts each inference: under QEMU's
// -icount that is instructions (docs/mcu.md), not cycles of a real core.
#include <cstdint>
#include <cstring>
#include <new>

#include "board.hpp"
#include "ecg_model.h"
#include "micro/ecg.hpp"
#include "micro/interpreter.hpp"
#include "micro/kernels.hpp"
#include "record.h"

#ifndef EDGEAI_MCU_ARENA_BYTES
#define EDGEAI_MCU_ARENA_BYTES ECG_MODEL_ARENA_BYTES  // what the plan needs; smaller fails at start-up
#endif

namespace {

using edgeai::micro::Code;

alignas(16) std::uint8_t arena[EDGEAI_MCU_ARENA_BYTES];
edgeai::micro::Interpreter interpreter;
// The beat pipeline's rings (tens of KiB): static storage, built once the bundle's parameters
// are known.
alignas(edgeai::micro::EcgBeats) std::uint8_t beats_storage[sizeof(edgeai::micro::EcgBeats)];

void write_int(long long v) {
  char text[24];
  char* p = text + sizeof text;
  *--p = '\0';
  const bool negative = v < 0;
  unsigned long long u = negative ? 0ull - static_cast<unsigned long long>(v) : static_cast<unsigned long long>(v);
  do {
    *--p = static_cast<char>('0' + u % 10);
    u /= 10;
  } while (u != 0);
  if (negative) *--p = '-';
  board::write(p);
}

int fail(const char* what) {
  board::write("error: ");
  board::write(what);
  board::write("\n");
  return 1;
}

// Ticks per node of the first inference, for the per-layer table (docs/mcu.md).
constexpr int kMaxProfiledNodes = 64;
std::uint64_t node_ticks[kMaxProfiledNodes];
std::uint64_t node_start;
void time_node(void*, int node, bool done) {
  if (!done) {
    node_start = board::counter();
  } else if (node < kMaxProfiledNodes) {
    node_ticks[node] = board::counter() - node_start;
  }
}

int input_index(const char* name) {
  for (int i = 0; i < interpreter.input_count(); ++i) {
    if (interpreter.input(i).name.equals(name)) return i;
  }
  return -1;
}

}  // namespace

int main() {
  board::write("edgeai mcu-ecg: ");
  if (interpreter.load(ecg_model, ecg_model_size) != Code::kOk) return fail(interpreter.error());
  if (interpreter.allocate(arena, sizeof arena) != Code::kOk) return fail(interpreter.error());
  edgeai::micro::EcgBeatConfig config;
  if (edgeai::micro::read_ecg_beat_config(interpreter, &config) != Code::kOk) return fail(interpreter.error());
  const int beat = input_index("beat"), rr = input_index("rr");
  if (beat < 0 || rr < 0 || interpreter.input(beat).elements() != static_cast<std::uint32_t>(config.window_samples()) ||
      interpreter.input(rr).elements() != 8) {
    return fail("the model's inputs are not beat [1,1,window] and rr [1,8]");
  }
  auto* beats = new (beats_storage) edgeai::micro::EcgBeats(config, ECG_RECORD_ADC_ZERO, ECG_RECORD_ADC_PER_MV);
  board::write("model ");
  write_int(ecg_model_size);
  board::write(" bytes in flash, arena ");
  write_int(sizeof arena);
  board::write(" bytes, ");
  board::write(edgeai::micro::product_kernels_name());
  board::write(" kernels; record " ECG_RECORD_NAME ", ");
  write_int(ECG_RECORD_SAMPLES);
  board::write(" samples\n");

  board::start_counter();
  // Calibration: a loop of a known instruction count (two per pass: subs, bne), so the log
  // says how many instructions a SysTick tick is (under QEMU's -icount, a fixed number).
  {
    const std::uint64_t start = board::counter();
    std::uint32_t n = 1000000;
    __asm volatile("1: subs %0, %0, #1\n bne 1b" : "+r"(n) : : "cc");
    board::write("calibration 2000000 instructions ticks ");
    write_int(static_cast<long long>(board::counter() - start));
    board::write("\n");
  }
  float* window = interpreter.input_data<float>(beat);
  float* features = interpreter.input_data<float>(rr);
  const int classes = static_cast<int>(interpreter.output(0).elements());
  std::uint64_t inference_ticks = 0;
  const std::uint64_t stream_start = board::counter();
  long long count = 0;
  for (int i = 0; i <= ECG_RECORD_SAMPLES; ++i) {
    if (i < ECG_RECORD_SAMPLES) {
      beats->push(ecg_record[i]);
    } else {
      beats->flush();
    }
    std::uint32_t r_peak = 0;
    while (beats->next(&r_peak, window, features)) {
      if (count == 0) interpreter.set_node_observer(time_node, nullptr);
      const std::uint64_t start = board::counter();
      if (interpreter.invoke() != Code::kOk) return fail(interpreter.error());
      const std::uint64_t ticks = board::counter() - start;
      if (count == 0) {
        interpreter.set_node_observer(nullptr, nullptr);
        for (int n = 0; n < interpreter.node_count() && n < kMaxProfiledNodes; ++n) {
          board::write("node ");
          write_int(n);
          board::write(" ");
          board::write(interpreter.node_op_type(n));
          board::write(" ticks ");
          write_int(static_cast<long long>(node_ticks[n]));
          board::write("\n");
        }
      }
      inference_ticks += ticks;
      float scale = 0;
      std::int32_t zero_point = 0;
      const std::int8_t* q = interpreter.quantized_output(0, &scale, &zero_point);
      int label = 0;
      for (int j = 1; j < classes; ++j) {
        if (q[j] > q[label]) label = j;
      }
      board::write("beat ");
      write_int(count++);
      board::write(" peak ");
      write_int(r_peak);
      board::write(" label ");
      write_int(label);
      board::write(" int8");
      for (int j = 0; j < classes; ++j) {
        board::write(" ");
        write_int(q[j]);
      }
      board::write(" ticks ");
      write_int(static_cast<long long>(ticks));
      board::write("\n");
    }
  }
  board::write("done ");
  write_int(count);
  board::write(" beats of ");
  write_int(beats->peaks_detected());
  board::write(" R peaks (");
  write_int(beats->skipped());
  board::write(" skipped), inference ticks ");
  write_int(static_cast<long long>(inference_ticks));
  board::write(", all ticks ");
  write_int(static_cast<long long>(board::counter() - stream_start));
  board::write("\n");
  return 0;
}
