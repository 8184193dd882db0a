// The fleet page (issue 7): one self-contained HTML document (inline CSS, JS and SVG charts, no
// outside resources) that shows devices, versions, campaigns and their progress, latency
// distributions, class mix over time, drift per device and alerts. Two uses:
//   - the dashboard the server serves at /dashboard: the page asks the server's API for its data
//     with the operator token (given once as /dashboard#token=..., kept in the browser's session
//     storage, never in a URL the server sees) and refreshes every few seconds;
//   - `edgeai report --html FILE`: the same page with the data embedded, a snapshot to keep or
//     mail.
// The data both use (what the API returns):
//   {"generated_at": "...", "devices": [...], "campaigns": [...], "versions": [...],
//    "by_device": [...], "timeline": {...}, "alerts": [...]}
#pragma once

#include <string>

namespace edgeai::server {

// The page; `embedded_data` is the JSON above (a report) or empty (the live dashboard).
std::string fleet_page_html(const std::string& embedded_data = "");

}  // namespace edgeai::server
