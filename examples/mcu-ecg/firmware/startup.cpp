// Start-up of the firmware on a Cortex-M4F (QEMU mps2-an386): the vector table, .data copied
// from flash, .bss zeroed, the FPU enabled, static constructors run, then main(). Also the
// board's UART0 (CMSDK APB UART) for text, SysTick for counting, and ARM semihosting to end
// QEMU with main's exit status.
#include <cstdint>

#include "board.hpp"

extern "C" {
extern std::uint32_t _data_load, _data_start, _data_end, _bss_start, _bss_end, _stack_top;
extern void (*__init_array_start[])();
extern void (*__init_array_end[])();
int main();
void reset_handler();
void default_handler();
void systick_handler();
}

namespace {

constexpr std::uintptr_t kUart0 = 0x40004000;
volatile std::uint32_t& reg(std::uintptr_t address) { return *reinterpret_cast<volatile std::uint32_t*>(address); }

volatile std::uint32_t systick_wraps = 0;

}  // namespace

extern "C" void default_handler() {
  board::write("fault: unexpected exception\n");
  board::exit(3);
}

extern "C" void systick_handler() { systick_wraps = systick_wraps + 1; }

// Cortex-M vector table: initial stack pointer, then the handlers (SysTick is entry 15).
__attribute__((section(".isr_vector"), used)) void (*const vector_table[16])() = {
    reinterpret_cast<void (*)()>(&_stack_top),
    reset_handler,
    default_handler,  // NMI
    default_handler,  // HardFault
    default_handler,  // MemManage
    default_handler,  // BusFault
    default_handler,  // UsageFault
    nullptr,
    nullptr,
    nullptr,
    nullptr,
    default_handler,  // SVCall
    default_handler,  // DebugMonitor
    nullptr,
    default_handler,  // PendSV
    systick_handler,
};

extern "C" void reset_handler() {
  for (std::uint32_t *src = &_data_load, *dst = &_data_start; dst < &_data_end;) *dst++ = *src++;
  for (std::uint32_t* p = &_bss_start; p < &_bss_end;) *p++ = 0;
  reg(0xE000ED88) |= 0xFu << 20;  // CPACR: full access to CP10 and CP11 (the FPU)
  __asm volatile("dsb\n isb");
  for (auto f = __init_array_start; f < __init_array_end; ++f) (*f)();
  board::exit(main());
}

namespace board {

void write(const char* text) {
  static bool ready = false;
  if (!ready) {
    reg(kUart0 + 0x10) = 16;  // BAUDDIV
    reg(kUart0 + 0x08) = 1;   // CTRL: transmit enabled
    ready = true;
  }
  for (; *text != '\0'; ++text) {
    while ((reg(kUart0 + 0x04) & 1u) != 0) {  // STATE: transmit buffer full
    }
    reg(kUart0) = static_cast<std::uint8_t>(*text);
  }
}

void start_counter() {
  reg(0xE000E014) = 0x00FFFFFF;   // SYST_RVR: the largest reload
  reg(0xE000E018) = 0;            // SYST_CVR
  reg(0xE000E010) = 0x7;          // SYST_CSR: processor clock, interrupt on wrap, enabled
  while (reg(0xE000E018) == 0) {  // until the first reload: from then on time = reload - value
  }
  systick_wraps = 0;
}

std::uint64_t counter() {
  std::uint32_t wraps, value;
  do {
    wraps = systick_wraps;
    value = reg(0xE000E018);
  } while (wraps != systick_wraps);
  return static_cast<std::uint64_t>(wraps) * 0x1000000u + (0x00FFFFFFu - value);
}

[[noreturn]] void exit(int status) {
  // SYS_EXIT_EXTENDED (0x20): reason ADP_Stopped_ApplicationExit, then the status.
  static std::uint32_t block[2];
  block[0] = 0x20026;
  block[1] = static_cast<std::uint32_t>(status);
  register std::uint32_t r0 __asm("r0") = 0x20;
  register std::uint32_t* r1 __asm("r1") = block;
  __asm volatile("bkpt 0xAB" : : "r"(r0), "r"(r1) : "memory");
  for (;;) {
  }
}

}  // namespace board
