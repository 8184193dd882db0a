#include "compress/report.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace edgeai {
namespace {

using nlohmann::json;

json number_or_null(double x) { return std::isfinite(x) ? json(x) : json(nullptr); }

std::string escape_html(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string fixed(double x, int digits) {
  if (!std::isfinite(x)) return "–";
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", digits, x);
  return buf;
}

std::string bytes_text(std::int64_t b) {
  if (b >= (1 << 20)) return fixed(static_cast<double>(b) / (1 << 20), 2) + " MiB";
  if (b >= (1 << 10)) return fixed(static_cast<double>(b) / (1 << 10), 1) + " KiB";
  return std::to_string(b) + " B";
}

}  // namespace

std::string report_to_json(const CompressionReport& r) {
  json j;
  j["model"] = r.model;
  j["source"] = r.source_path;
  j["output"] = r.output_path;
  j["weights"] = r.weights;
  if (!r.calibration.empty()) j["calibration"] = r.calibration;
  j["cpu"] = r.cpu;
  j["size"] = {{"before_bytes", r.source_bytes},
               {"after_bytes", r.output_bytes},
               {"factor", r.size_factor()},
               {"after_bytes_without_entropy_coding", r.output_raw_bytes}};
  if (r.fp32_latency_ms && r.compressed_latency_ms) {
    j["latency_ms"] = {{"before", *r.fp32_latency_ms}, {"after", *r.compressed_latency_ms}};
  }
  json layers = json::array();
  for (const LayerReport& l : r.result->layers) {
    json row = {{"node", l.node}, {"op_type", l.op_type}, {"precision", l.precision}, {"macs", l.macs}};
    if (!l.reason.empty() && l.precision == "float32") row["reason"] = l.reason;
    if (l.sqnr) {
      row["sqnr_db"] = number_or_null(l.sqnr->accumulated_db);
      row["local_sqnr_db"] = number_or_null(l.sqnr->local_db);
    }
    layers.push_back(row);
  }
  j["layers"] = layers;
  if (!r.result->pruning.empty()) {
    json pruned = json::array();
    for (const PrunedLayer& l : r.result->pruned_layers) {
      json row = {{"node", l.node},       {"op_type", l.op_type},   {"original_weights", l.original_weights},
                  {"weights", l.weights}, {"zeros", l.zeros},       {"sparsity", l.sparsity()}};
      if (l.original_channels > 0) row["original_channels"] = l.original_channels, row["channels"] = l.channels;
      if (!l.note.empty()) row["note"] = l.note;
      pruned.push_back(row);
    }
    j["pruning"] = {{"method", r.result->pruning}, {"layers", pruned}};
  }
  if (r.result->accuracy) {
    const AccuracyFigures& a = *r.result->accuracy;
    json classes = json::array();
    for (std::size_t c = 0; c < a.class_names.size(); ++c) {
      classes.push_back({{"name", a.class_names[c]},
                         {"fp32_sensitivity", number_or_null(a.fp32_sensitivity[c])},
                         {"fp32_positive_predictivity", number_or_null(a.fp32_ppv[c])},
                         {"sensitivity", number_or_null(a.compressed_sensitivity[c])},
                         {"positive_predictivity", number_or_null(a.compressed_ppv[c])}});
    }
    j["accuracy"] = {{"samples", a.samples},         {"fp32_top1", a.fp32_top1},
                     {"top1", a.compressed_top1},    {"drop_points", a.fp32_top1 - a.compressed_top1},
                     {"label_agreement", a.label_agreement}, {"classes", classes}};
  }
  if (!r.result->budget_search.empty()) {
    json steps = json::array();
    for (const MixedPrecisionStep& s : r.result->budget_search) steps.push_back({{"float_layers", s.float_layers}, {"top1", s.top1}, {"drop", s.drop}});
    j["accuracy_budget_search"] = steps;
  }
  j["preflight"] = r.preflight;
  j["error_advice"] = r.error_advice;
  j["warnings"] = r.result->warnings;
  return j.dump(2);
}

std::string report_to_html(const CompressionReport& r) {
  std::string h;
  h += "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>edgeai compress: " +
       escape_html(r.model) + "</title>\n<style>\n"
       "body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222}\n"
       "table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border-bottom:1px solid #ddd;padding:3px 10px;"
       "text-align:right}td:first-child,th:first-child,td.l{text-align:left}th{background:#f4f4f4}\n"
       ".bar{display:inline-block;height:10px;background:#4a7bd0;vertical-align:middle}"
       ".bar.low{background:#d0574a}.float{color:#a05a00}.kpi{font-size:1.6em;font-weight:600}\n"
       ".cards{display:flex;gap:2em;margin:1em 0}.card{border:1px solid #ddd;border-radius:6px;padding:.6em 1em}\n"
       "</style></head><body>\n";
  h += "<h1>Compression report: " + escape_html(r.model) + "</h1>\n";
  h += "<p>" + escape_html(r.source_path) + " &rarr; " + escape_html(r.output_path) + " &middot; weights <b>" +
       escape_html(r.weights) + "</b>" + (r.calibration.empty() ? "" : " &middot; calibration " + escape_html(r.calibration)) +
       " &middot; CPU " + escape_html(r.cpu) + "</p>\n<div class=\"cards\">";
  h += "<div class=\"card\">size<br><span class=\"kpi\">" + bytes_text(r.source_bytes) + " &rarr; " +
       bytes_text(r.output_bytes) + "</span><br>" + fixed(r.size_factor(), 2) + "x smaller" +
       (r.output_raw_bytes != r.output_bytes && r.output_raw_bytes > 0
            ? " (" + fixed(static_cast<double>(r.source_bytes) / static_cast<double>(r.output_raw_bytes), 2) +
                  "x without entropy coding)"
            : "") +
       "</div>";
  if (r.result->accuracy) {
    const AccuracyFigures& a = *r.result->accuracy;
    h += "<div class=\"card\">top-1 (" + std::to_string(a.samples) + " samples)<br><span class=\"kpi\">" +
         fixed(a.fp32_top1, 2) + " % &rarr; " + fixed(a.compressed_top1, 2) + " %</span><br>drop " +
         fixed(a.fp32_top1 - a.compressed_top1, 2) + " points, labels agree on " + fixed(a.label_agreement, 2) +
         " %</div>";
  }
  if (r.fp32_latency_ms && r.compressed_latency_ms) {
    h += "<div class=\"card\">latency (1 thread, edgeai runtime)<br><span class=\"kpi\">" + fixed(*r.fp32_latency_ms, 3) +
         " &rarr; " + fixed(*r.compressed_latency_ms, 3) + " ms</span></div>";
  }
  h += "</div>\n";
  if (!r.preflight.empty()) {
    h += "<h2>Before quantising</h2><ul>";
    for (const std::string& s : r.preflight) h += "<li>" + escape_html(s) + "</li>";
    h += "</ul>\n";
  }
  if (!r.error_advice.empty()) {
    h += "<h2>Layers that dominate the error</h2><ul>";
    for (const std::string& s : r.error_advice) h += "<li>" + escape_html(s) + "</li>";
    h += "</ul>\n";
  }
  if (!r.result->warnings.empty()) {
    h += "<h2>Warnings</h2><ul>";
    for (const std::string& s : r.result->warnings) h += "<li>" + escape_html(s) + "</li>";
    h += "</ul>\n";
  }
  if (r.result->accuracy && !r.result->accuracy->class_names.empty()) {
    const AccuracyFigures& a = *r.result->accuracy;
    h += "<h2>Per class</h2><table><tr><th>class</th><th>Se fp32</th><th>Se</th><th>+P fp32</th><th>+P</th></tr>";
    for (std::size_t c = 0; c < a.class_names.size(); ++c) {
      h += "<tr><td>" + escape_html(a.class_names[c]) + "</td><td>" + fixed(a.fp32_sensitivity[c], 2) + "</td><td>" +
           fixed(a.compressed_sensitivity[c], 2) + "</td><td>" + fixed(a.fp32_ppv[c], 2) + "</td><td>" +
           fixed(a.compressed_ppv[c], 2) + "</td></tr>";
    }
    h += "</table>\n";
  }
  if (!r.result->budget_search.empty()) {
    h += "<h2>Accuracy budget search</h2><table><tr><th>layers kept float32</th><th>top-1 %</th><th>drop (points)</th></tr>";
    for (const MixedPrecisionStep& s : r.result->budget_search) {
      h += "<tr><td>" + std::to_string(s.float_layers) + "</td><td>" + fixed(s.top1, 2) + "</td><td>" + fixed(s.drop, 2) + "</td></tr>";
    }
    h += "</table>\n";
  }
  if (!r.result->pruning.empty()) {
    h += "<h2>Pruning: " + escape_html(r.result->pruning) +
         "</h2><table><tr><th>node</th><th>op</th><th>weights</th><th>zero</th><th>sparsity %</th>"
         "<th>channels</th><th>note</th></tr>\n";
    for (const PrunedLayer& l : r.result->pruned_layers) {
      h += "<tr><td>" + escape_html(l.node) + "</td><td class=\"l\">" + escape_html(l.op_type) + "</td><td>" +
           std::to_string(l.original_weights) +
           (l.weights != l.original_weights ? " &rarr; " + std::to_string(l.weights) : "") + "</td><td>" +
           std::to_string(l.zeros) + "</td><td>" + fixed(100.0 * l.sparsity(), 1) + "</td><td>" +
           (l.original_channels > 0 ? std::to_string(l.channels) + " of " + std::to_string(l.original_channels) : "") +
           "</td><td class=\"l\">" + escape_html(l.note) + "</td></tr>\n";
    }
    h += "</table>\n";
  }
  h += "<h2>Layers</h2><p>SQNR: signal-to-quantisation-noise ratio of the layer's output against fp32 "
       "(at its output: everything before it quantised too; local: the layer alone on fp32 inputs). Higher is "
       "better; bars scale to 60 dB.</p>\n<table><tr><th>node</th><th>op</th><th>precision</th><th>MMACs</th>"
       "<th>SQNR dB</th><th></th><th>local dB</th><th>note</th></tr>\n";
  for (const LayerReport& l : r.result->layers) {
    const bool is_float = l.precision == "float32";
    h += "<tr><td>" + escape_html(l.node) + "</td><td class=\"l\">" + escape_html(l.op_type) + "</td><td class=\"l" +
         std::string(is_float ? " float" : "") + "\">" + escape_html(l.precision) + "</td><td>" +
         (l.macs > 0 ? fixed(static_cast<double>(l.macs) / 1e6, 2) : "") + "</td>";
    if (l.sqnr) {
      const double w = std::clamp(l.sqnr->accumulated_db / 60.0, 0.0, 1.0) * 160.0;
      h += "<td>" + fixed(l.sqnr->accumulated_db, 1) + "</td><td class=\"l\"><span class=\"bar" +
           std::string(l.sqnr->accumulated_db < 20.0 ? " low" : "") + "\" style=\"width:" + fixed(w, 0) +
           "px\"></span></td><td>" + fixed(l.sqnr->local_db, 1) + "</td>";
    } else {
      h += "<td></td><td></td><td></td>";
    }
    h += "<td class=\"l\">" + escape_html(is_float ? l.reason : "") + "</td></tr>\n";
  }
  h += "</table>\n<p style=\"color:#777\">edgeai compress</p></body></html>\n";
  return h;
}

}  // namespace edgeai
