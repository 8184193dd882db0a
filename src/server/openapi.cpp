#include "server/openapi.hpp"

#include <nlohmann/json.hpp>

namespace edgeai::server {
namespace {

using nlohmann::json;

json op(const char* summary, const char* security, json responses, json extra = json::object()) {
  json o{{"summary", summary}, {"responses", std::move(responses)}};
  if (security[0] != '\0') o["security"] = json::array({json{{security, json::array()}}});
  for (auto& [k, v] : extra.items()) o[k] = v;
  return o;
}

json ok(const char* what) { return json{{"200", {{"description", what}}}}; }

json build() {
  json paths;
  paths["/api/v1/enrollment-tokens"]["post"] =
      op("Create one-time enrollment tokens for a device group (body: group, tags, count, ttl_seconds)", "operator",
         json{{"201", {{"description", "the tokens, shown once"}}}});
  paths["/api/v1/enroll"]["post"] =
      op("Enroll a device with a one-time token (body: token, name); returns its own "
         "credential, its group and the signed root metadata to pin",
         "", json{{"201", {{"description", "enrolled"}}}, {"403", {{"description", "token not valid"}}}});
  paths["/api/v1/devices"]["get"] =
      op("List devices (query: group, tag)", "operator", ok("devices in enrollment order"));
  paths["/api/v1/devices/{id}"]["get"] = op("One device and the release it should run", "operator", ok("the device"));
  paths["/api/v1/devices/{id}"]["put"] =
      op("Set a device's group and tags (body: group, tags)", "operator", ok("updated"));
  paths["/api/v1/releases"]["get"] = op("List releases and the next release counter", "operator", ok("releases"));
  paths["/api/v1/releases"]["post"] =
      op("Publish a bundle: multipart parts 'targets' (metadata signed by the release key) and 'bundle'", "operator",
         json{{"201", {{"description", "published"}}},
              {"413", {{"description", "larger than the upload limit"}}},
              {"422", {{"description", "signature, size or hash does not match"}}}});
  paths["/api/v1/campaigns"]["get"] = op("List campaigns with their assignments", "operator", ok("campaigns"));
  paths["/api/v1/campaigns"]["post"] =
      op("Start a campaign (body: release, version, group, phases [5,25,100], soak_seconds, max_failure_rate; "
         "quality: mode rollout|shadow, max_latency_ratio, max_anomaly_increase, min_inferences, min_agreement; opt-in "
         "samples: collect_per_hour, collect_below)",
         "operator", json{{"201", {{"description", "running"}}}});
  paths["/api/v1/campaigns/{id}"]["get"] =
      op("A campaign's phases, counts and per-device results", "operator", ok("campaign"));
  paths["/api/v1/campaigns/{id}/halt"]["post"] = op("Halt a running campaign (body: reason)", "operator", ok("halted"));
  paths["/api/v1/campaigns/{id}/resume"]["post"] = op("Resume a halted campaign", "operator", ok("running"));
  paths["/api/v1/analytics"]["get"] =
      op("Telemetry aggregated by device, version or campaign (query: by, since seconds): throughput, latency "
         "percentiles, class mix, anomaly rate, drift (PSI against the bundle's baseline), shadow agreement",
         "operator", ok("groups"));
  paths["/api/v1/analytics/timeline"]["get"] =
      op("Class mix and latency over time per model version (query: since, bucket seconds)", "operator", ok("points"));
  paths["/api/v1/alerts"]["get"] =
      op("Alerts: drift past the threshold, alerts devices raised, campaigns halted on quality (query: since)",
         "operator", ok("alerts"));
  paths["/api/v1/samples"]["get"] =
      op("Inputs devices uploaded for retraining (campaigns with collect_per_hour > 0): label, confidence, media "
         "type, base64 data (query: since)",
         "operator", ok("samples"));
  paths["/dashboard"]["get"] =
      op("The fleet dashboard (HTML; asks for the operator token, kept in the browser)", "", ok("the page"));
  paths["/api/v1/device/desired"]["get"] =
      op("The calling device's desired release: signed timestamp and targets metadata. ETag / If-None-Match; "
         "query wait=N long-polls up to N seconds for a change",
         "device", json{{"200", {{"description", "desired state"}}}, {"304", {{"description", "unchanged"}}}});
  paths["/api/v1/device/artifacts/{sha256}"]["get"] =
      op("Download a bundle assigned to the calling device; HTTP Range supported (206)", "device",
         json{{"200", {{"description", "the bundle"}}},
              {"206", {{"description", "a range of it"}}},
              {"404", {{"description", "not assigned to this device"}}}});
  paths["/api/v1/device/status"]["post"] = op(
      "Report the agent's state (body: state, active_version, target_version, last_error)", "device", ok("recorded"));
  paths["/api/v1/device/telemetry"]["post"] =
      op("Telemetry from the device's outbox (body: dropped, items [{sequence, kind, body, created_at}]); each "
         "(device, sequence) is stored once; returns the sequence acknowledged",
         "device", ok("acknowledged"));
  paths["/api/v1/devices/{id}/telemetry"]["get"] = op("A device's telemetry (query: kind)", "operator", ok("items"));
  paths["/api/v1/root"]["get"] = op("The signed root metadata (the newest)", "", ok("root envelope"));
  paths["/api/v1/root"]["post"] =
      op("Rotate keys: the next root, signed by the current root's keys and its own", "operator",
         json{{"201", {{"description", "rotated"}}}, {"422", {{"description", "does not chain"}}}});
  paths["/api/v1/root/{version}"]["get"] = op("One version of the root chain", "", ok("root envelope"));
  paths["/api/v1/device/deltas/{sha256}"]["get"] = op(
      "A model-aware delta to a bundle assigned to the calling device, from one it had (query from=sha256)", "device",
      json{{"200", {{"description", "the delta"}}}, {"404", {{"description", "none smaller than the bundle"}}}});
  paths["/metrics"]["get"] = op("Prometheus metrics", "", ok("text exposition format"));
  paths["/healthz"]["get"] = op("Liveness", "", ok("ok"));
  return json{
      {"openapi", "3.0.3"},
      {"info", {{"title", "edgeai update server"}, {"version", "0.1.0"}}},
      {"components",
       {{"securitySchemes",
         {{"operator", {{"type", "http"}, {"scheme", "bearer"}, {"description", "DATA_DIR/admin-token"}}},
          {"device", {{"type", "http"}, {"scheme", "bearer"}, {"description", "the credential from enrollment"}}}}}}},
      {"paths", paths}};
}

}  // namespace

const std::string& openapi_document() {
  static const std::string text = build().dump(2);
  return text;
}

}  // namespace edgeai::server
