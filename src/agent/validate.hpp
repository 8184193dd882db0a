// What the agent checks before it activates a downloaded bundle (issue 6): the model loads and
// plans on this device, reproduces every golden test vector of its manifest within the
// vector's tolerances, and meets a latency budget. A bundle that fails any of it is never
// activated: the device keeps the model it has.
#pragma once

#include <string>

#include "core/status.hpp"

namespace edgeai {

struct ValidationOptions {
  // The median of `timed_runs` inferences must not exceed this; 0: no budget. A bundle may set
  // its own in its manifest metadata, "latency_budget_ms", which wins over this default.
  double latency_budget_ms = 0.0;
  int timed_runs = 5;
  int threads = 1;
};

struct ValidationReport {
  int golden_vectors = 0;     // how many ran (each one passed)
  double worst_excess = 0.0;  // max over outputs of |got - want| / (atol + rtol |want|), <= 1
  double median_latency_ms = 0.0;
  double budget_ms = 0.0;  // the budget applied (0: none)
};

// One-line error naming the vector, output and element that failed, the budget missed, or why
// the model does not load.
Result<ValidationReport> validate_bundle(const std::string& path, const ValidationOptions& options = {});

}  // namespace edgeai
