// What the firmware needs of the board (startup.cpp): text out, a cycle counter, exit.
#pragma once

#include <cstdint>

namespace board {

// Writes NUL-terminated text to UART0.
void write(const char* text);
// SysTick at the processor clock, extended to 64 bits by its wrap interrupt.
void start_counter();
std::uint64_t counter();
// Ends the program (under QEMU: ends QEMU with this exit status, by semihosting).
[[noreturn]] void exit(int status);

}  // namespace board
