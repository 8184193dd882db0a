// The compression report: size before/after and the factor, the per-layer table (precision,
// multiply-adds, SQNR), pruning per layer (sparsity, channels kept), accuracy of fp32 vs
// compressed (top-1, label agreement, per class), latency before/after, and the advice; as JSON
// (`--json`) and as one self-contained HTML page (`--report out.html`, no scripts or external
// files). Tool side (compress).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "compress/compress.hpp"

namespace edgeai {

struct CompressionReport {
  std::string model;
  std::string source_path;
  std::string output_path;
  std::string weights;      // "int8", "int4", "fp16", "fp32"
  std::string calibration;  // method and data, or empty
  std::string cpu;
  std::int64_t source_bytes = 0;
  std::int64_t output_bytes = 0;      // as written
  std::int64_t output_raw_bytes = 0;  // without entropy coding
  std::optional<double> fp32_latency_ms;
  std::optional<double> compressed_latency_ms;
  std::vector<std::string> preflight;
  std::vector<std::string> error_advice;
  const CompressionResult* result = nullptr;

  double size_factor() const {
    return output_bytes > 0 ? static_cast<double>(source_bytes) / static_cast<double>(output_bytes) : 0.0;
  }
};

std::string report_to_json(const CompressionReport& report);
std::string report_to_html(const CompressionReport& report);

}  // namespace edgeai
