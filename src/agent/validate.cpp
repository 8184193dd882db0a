#include "agent/validate.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <sstream>
#include <vector>

#include "core/cpu_features.hpp"
#include "format/bundle.hpp"
#include "runtime/session.hpp"

namespace edgeai {
namespace {

// Inputs in the session's order from a vector's named pairs.
Result<std::vector<Tensor>> ordered_inputs(const Session& session, const GoldenVector& golden, int index) {
  std::vector<Tensor> inputs;
  for (const ValueInfo& want : session.inputs()) {
    auto it =
        std::find_if(golden.inputs.begin(), golden.inputs.end(), [&](const auto& p) { return p.first == want.name; });
    if (it == golden.inputs.end()) return invalid_argument("golden vector ", index, " has no input '", want.name, "'");
    inputs.push_back(it->second);
  }
  return inputs;
}

double as_double(const Tensor& t, std::int64_t i) {
  switch (t.dtype()) {
    case DType::kFloat32:
      return t.data<float>()[i];
    case DType::kInt8:
      return t.data<std::int8_t>()[i];
    case DType::kUInt8:
      return t.data<std::uint8_t>()[i];
    case DType::kInt32:
      return t.data<std::int32_t>()[i];
    case DType::kInt64:
      return static_cast<double>(t.data<std::int64_t>()[i]);
    default:
      return std::nan("");
  }
}

// "1.2.3" -> {1, 2, 3}; missing parts are 0.
std::array<long, 3> version_parts(const std::string& v) {
  std::array<long, 3> parts{0, 0, 0};
  std::size_t at = 0;
  for (long& p : parts) {
    if (at >= v.size()) break;
    char* end = nullptr;
    p = std::strtol(v.c_str() + at, &end, 10);
    at = static_cast<std::size_t>(end - v.c_str()) + 1;
  }
  return parts;
}

Status check_capabilities(const std::string& path, const Manifest& manifest) {
  if (auto it = manifest.metadata.find("requires_runtime"); it != manifest.metadata.end()) {
    if (version_parts(it->second) > version_parts(kRuntimeVersion)) {
      return failed_precondition(path, ": needs runtime ", it->second, ", this device has ", kRuntimeVersion);
    }
  }
  if (auto it = manifest.metadata.find("requires_cpu"); it != manifest.metadata.end()) {
    const CpuFeatures& cpu = cpu_features();
    const std::pair<const char*, bool> known[] = {{"avx2", cpu.avx2},
                                                  {"fma", cpu.fma},
                                                  {"avx512f", cpu.avx512f},
                                                  {"avx512bw", cpu.avx512bw},
                                                  {"avx512_vnni", cpu.avx512_vnni},
                                                  {"avx_vnni", cpu.avx_vnni},
                                                  {"amx_int8", cpu.amx_int8},
                                                  {"neon", cpu.neon},
                                                  {"dotprod", cpu.arm_dotprod}};
    std::stringstream in(it->second);
    std::string feature;
    while (std::getline(in, feature, ',')) {
      if (feature.empty()) continue;
      auto k = std::find_if(std::begin(known), std::end(known), [&](const auto& p) { return feature == p.first; });
      if (k == std::end(known)) return failed_precondition(path, ": needs CPU feature '", feature, "', unknown here");
      if (!k->second) return failed_precondition(path, ": needs CPU feature '", feature, "', which this device lacks");
    }
  }
  return Status::ok();
}

}  // namespace

Status check_health(const std::string& path, int inferences, int threads) {
  Result<Bundle> read = read_bundle(path);
  if (!read.is_ok()) return read.status().with_context(path + ": health check");
  Bundle bundle = std::move(read).value();
  const Manifest manifest = bundle.manifest;
  SessionOptions session_options;
  session_options.threads = threads;
  Result<std::unique_ptr<Session>> created = Session::create(std::move(bundle), session_options);
  if (!created.is_ok()) return created.status().with_context(path + ": health check");
  Session& session = **created;
  if (manifest.golden.empty()) return failed_precondition(path, ": health check: no golden inputs to run");
  for (int r = 0; r < inferences; ++r) {
    const int v = r % static_cast<int>(manifest.golden.size());
    EDGEAI_ASSIGN_OR_RETURN(std::vector<Tensor> inputs, ordered_inputs(session, manifest.golden[v], v));
    Result<std::vector<Tensor>> outputs = session.run_and_copy(inputs);
    if (!outputs.is_ok()) return outputs.status().with_context(str_cat(path, ": health check inference ", r));
    for (const Tensor& out : *outputs) {
      for (std::int64_t i = 0; i < out.num_elements(); ++i) {
        if (!std::isfinite(as_double(out, i))) {
          return failed_precondition(path, ": health check inference ", r, ": output element ", i, " is not finite");
        }
      }
    }
  }
  return Status::ok();
}

Result<ValidationReport> validate_bundle(const std::string& path, const ValidationOptions& options) {
  EDGEAI_ASSIGN_OR_RETURN(Bundle bundle, read_bundle(path));
  const Manifest manifest = bundle.manifest;
  EDGEAI_RETURN_IF_ERROR(check_capabilities(path, manifest));
  SessionOptions session_options;
  session_options.threads = options.threads;
  Result<std::unique_ptr<Session>> created = Session::create(std::move(bundle), session_options);
  if (!created.is_ok()) return created.status().with_context(path + ": the model does not load on this device");
  Session& session = **created;
  if (options.max_arena_bytes > 0 && session.plan_summary().arena_bytes > options.max_arena_bytes) {
    return failed_precondition(path, ": the plan needs an arena of ", session.plan_summary().arena_bytes,
                               " bytes, this device allows ", options.max_arena_bytes);
  }
  ValidationReport report;
  report.budget_ms = options.latency_budget_ms;
  if (auto it = manifest.metadata.find("latency_budget_ms"); it != manifest.metadata.end()) {
    char* end = nullptr;
    const double budget = std::strtod(it->second.c_str(), &end);
    if (end == it->second.c_str() || *end != '\0' || !(budget >= 0.0)) {
      return invalid_argument(path, ": manifest latency_budget_ms '", it->second, "' is not a number of milliseconds");
    }
    report.budget_ms = budget;
  }
  if (manifest.golden.empty()) return failed_precondition(path, ": the bundle has no golden test vectors to check");
  std::vector<Tensor> last_inputs;
  for (std::size_t v = 0; v < manifest.golden.size(); ++v) {
    const GoldenVector& golden = manifest.golden[v];
    const int index = static_cast<int>(v);
    EDGEAI_ASSIGN_OR_RETURN(std::vector<Tensor> inputs, ordered_inputs(session, golden, index));
    Result<std::vector<Tensor>> outputs = session.run_and_copy(inputs);
    if (!outputs.is_ok()) return outputs.status().with_context(str_cat(path, ": golden vector ", index));
    for (const auto& [name, want] : golden.outputs) {
      std::size_t k = 0;
      while (k < session.outputs().size() && session.outputs()[k].name != name) ++k;
      if (k == session.outputs().size())
        return invalid_argument(path, ": golden vector ", index, " names no output '", name, "'");
      const Tensor& got = (*outputs)[k];
      if (got.shape() != want.shape()) {
        return failed_precondition(path, ": golden vector ", index, " output '", name, "': shape ",
                                   shape_to_string(got.shape()), ", expected ", shape_to_string(want.shape()));
      }
      for (std::int64_t i = 0; i < want.num_elements(); ++i) {
        const double g = as_double(got, i), w = as_double(want, i);
        const double allowed = golden.atol + golden.rtol * std::fabs(w);
        const double excess = std::fabs(g - w) / std::max(allowed, 1e-30);
        if (!(std::fabs(g - w) <= allowed)) {
          return failed_precondition(path, ": golden vector ", index, " output '", name, "' element ", i, ": got ", g,
                                     ", expected ", w, " (tolerance ", allowed, ")");
        }
        report.worst_excess = std::max(report.worst_excess, excess);
      }
    }
    ++report.golden_vectors;
    last_inputs = std::move(inputs);
  }
  std::vector<double> times;
  for (int r = 0; r < std::max(1, options.timed_runs); ++r) {
    const auto start = std::chrono::steady_clock::now();
    EDGEAI_RETURN_IF_ERROR(session.run_and_copy(last_inputs).status());
    times.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(times.begin(), times.end());
  report.median_latency_ms = times[times.size() / 2];
  if (report.budget_ms > 0.0 && report.median_latency_ms > report.budget_ms) {
    return failed_precondition(path, ": median latency ", report.median_latency_ms, " ms is over the budget of ",
                               report.budget_ms, " ms");
  }
  return report;
}

}  // namespace edgeai
