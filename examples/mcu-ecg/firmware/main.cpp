// The ECG beat classifier on a Cortex-M4F: the int8 bundle in flash (ecg_model.c from
// edgeai export --c-array), an arena of exactly ECG_MODEL_ARENA_BYTES, and the beats of a DS2
// record (beats.c from mcu_ecg_host inputs). For each beat it prints the int8 logits and the
// label over the UART; mcu_ecg_host check compares them with the host's int8 reference. The
// SysTick count of each inference is printed too: under QEMU's -icount it counts instructions
// (docs/mcu.md), not cycles of a real core.
#include <cstdint>
#include <cstring>

#include "beats.h"
#include "board.hpp"
#include "ecg_model.h"
#include "micro/interpreter.hpp"
#include "micro/kernels.hpp"

namespace {

alignas(16) std::uint8_t arena[ECG_MODEL_ARENA_BYTES];
edgeai::micro::Interpreter interpreter;

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

int input_index(const char* name) {
  for (int i = 0; i < interpreter.input_count(); ++i) {
    if (interpreter.input(i).name.equals(name)) return i;
  }
  return -1;
}

}  // namespace

int main() {
  using edgeai::micro::Code;
  board::write("edgeai mcu-ecg: ");
  if (interpreter.load(ecg_model, ecg_model_size) != Code::kOk) {
    board::write("error: ");
    board::write(interpreter.error());
    board::write("\n");
    return 1;
  }
  if (interpreter.allocate(arena, sizeof arena) != Code::kOk) {
    board::write("error: ");
    board::write(interpreter.error());
    board::write("\n");
    return 1;
  }
  const int beat = input_index("beat"), rr = input_index("rr");
  if (beat < 0 || rr < 0 || interpreter.input(beat).bytes != sizeof beat_inputs[0] ||
      interpreter.input(rr).bytes != sizeof rr_inputs[0]) {
    board::write("error: the model's inputs are not beat [1,1,256] and rr [1,8] float32\n");
    return 1;
  }
  board::write("model ");
  write_int(ecg_model_size);
  board::write(" bytes in flash, arena ");
  write_int(sizeof arena);
  board::write(" bytes, ");
  board::write(edgeai::micro::product_kernels_name());
  board::write(" kernels, ");
  write_int(kBeatCount);
  board::write(" beats\n");
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
  std::uint64_t total = 0;
  for (int i = 0; i < kBeatCount; ++i) {
    std::memcpy(interpreter.input_data<float>(beat), beat_inputs[i], sizeof beat_inputs[i]);
    std::memcpy(interpreter.input_data<float>(rr), rr_inputs[i], sizeof rr_inputs[i]);
    const std::uint64_t start = board::counter();
    if (interpreter.invoke() != Code::kOk) {
      board::write("error: ");
      board::write(interpreter.error());
      board::write("\n");
      return 1;
    }
    const std::uint64_t ticks = board::counter() - start;
    total += ticks;
    float scale = 0;
    std::int32_t zero_point = 0;
    const std::int8_t* q = interpreter.quantized_output(0, &scale, &zero_point);
    const int classes = static_cast<int>(interpreter.output(0).elements());
    int label = 0;
    for (int j = 1; j < classes; ++j) {
      if (q[j] > q[label]) label = j;
    }
    board::write("beat ");
    write_int(i);
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
  board::write("done ");
  write_int(kBeatCount);
  board::write(" beats, ticks ");
  write_int(static_cast<long long>(total));
  board::write("\n");
  return 0;
}
