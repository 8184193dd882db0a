// What the agent checks before it activates a downloaded bundle (issue 6): the model loads and
// plans on this device, reproduces every golden test vector of its manifest within the
// vector's tolerances, and meets a latency budget. A bundle that fails any of it is never
// activated: the device keeps the model it has.
#pragma once

#include <cstddef>
#include <string>

#include "core/status.hpp"

namespace edgeai {

struct ValidationOptions {
  // The median of `timed_runs` inferences must not exceed this; 0: no budget. A bundle may set
  // its own in its manifest metadata, "latency_budget_ms", which wins over this default.
  double latency_budget_ms = 0.0;
  int timed_runs = 5;
  int threads = 1;
  // The device's capabilities: a plan needing a larger arena is refused (0: no limit).
  std::size_t max_arena_bytes = 0;
  // Inferences the health window runs after the switch (check_health).
  int health_inferences = 20;
};

// The runtime's version: a bundle's manifest metadata "requires_runtime" must not exceed it.
inline constexpr const char* kRuntimeVersion = "0.1.0";

struct ValidationReport {
  int golden_vectors = 0;     // how many ran (each one passed)
  double worst_excess = 0.0;  // max over outputs of |got - want| / (atol + rtol |want|), <= 1
  double median_latency_ms = 0.0;
  double budget_ms = 0.0;  // the budget applied (0: none)
};

// One-line error naming the vector, output and element that failed, the budget missed, or why
// the model does not load. Before any of that, the capability check: the manifest metadata
// "requires_runtime" (a version no newer than kRuntimeVersion) and "requires_cpu" (comma-separated
// features: avx2, fma, avx512f, avx512bw, avx512_vnni, avx_vnni, amx_int8, neon, dotprod) must hold
// here, and the plan's arena must fit `max_arena_bytes`.
Result<ValidationReport> validate_bundle(const std::string& path, const ValidationOptions& options = {});

// The health window after a switch: `inferences` runs of the bundle on its golden inputs must
// succeed with finite outputs.
Status check_health(const std::string& path, int inferences, int threads = 1);

}  // namespace edgeai
