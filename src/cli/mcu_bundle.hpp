// A bundle as a microcontroller runs it (docs/mcu.md): nodes in execution order, every value's
// type and static shape recorded, tensors stored raw (read in place from flash), and the
// microcontroller runtime's own load and plan run over the bytes, so whatever it would refuse
// on the device is refused here, with its message. `edgeai export --c-array` writes these
// bytes as C; `edgeai inspect --mcu` prints the plan.
#pragma once

#include <cstdint>
#include <vector>

#include "core/status.hpp"
#include "format/bundle.hpp"
#include "micro/interpreter.hpp"

namespace edgeai::cli {

struct McuBundle {
  std::vector<std::uint8_t> bytes;
  micro::PlanSummary plan;
};

Result<McuBundle> make_mcu_bundle(Bundle bundle);

}  // namespace edgeai::cli
