#include "server/fleet_page.hpp"

namespace edgeai::server {
namespace {

// Everything the page needs, inline. The script renders from one data object, fetched from the
// API (dashboard) or read from the embedded JSON (report).
constexpr const char* kPage = R"EDGEAI(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>edgeai fleet</title>
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 0; color: #1d232b; background: #f4f6f8; }
  header { background: #1d3557; color: #fff; padding: 12px 24px; display: flex; align-items: baseline; gap: 16px; }
  header h1 { font-size: 18px; margin: 0; }
  header .meta { opacity: .8; font-size: 12px; }
  main { padding: 16px 24px; display: grid; gap: 16px; grid-template-columns: repeat(auto-fit, minmax(440px, 1fr)); }
  section { background: #fff; border-radius: 6px; padding: 12px 16px; box-shadow: 0 1px 2px rgba(0,0,0,.08); }
  section.wide { grid-column: 1 / -1; }
  h2 { font-size: 15px; margin: 0 0 8px; }
  table { border-collapse: collapse; width: 100%; font-size: 13px; }
  th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #e5e8eb; white-space: nowrap; }
  th { color: #5b6670; font-weight: 600; }
  .cards { display: flex; gap: 12px; flex-wrap: wrap; }
  .card { background: #eef2f6; border-radius: 6px; padding: 8px 12px; min-width: 110px; }
  .card b { display: block; font-size: 20px; }
  .bar { height: 12px; background: #e5e8eb; border-radius: 3px; overflow: hidden; display: flex; width: 220px; }
  .bar span { display: block; height: 100%; }
  .installed { background: #2a9d8f; } .pending { background: #e9c46a; } .failed { background: #e63946; }
  .state-halted { color: #e63946; font-weight: 600; } .state-completed { color: #2a9d8f; } .state-running { color: #1d3557; }
  .alert-drift { color: #b5651d; } .alert-quality { color: #e63946; } .alert-device { color: #6d597a; }
  .muted { color: #8a949c; }
  #login { padding: 24px; }
  svg text { font: 11px system-ui, sans-serif; fill: #5b6670; }
</style>
</head>
<body>
<header><h1>edgeai fleet</h1><span class="meta" id="meta"></span></header>
<div id="login" hidden>
  <p>The dashboard reads the server's operator API. Paste the operator token (DATA_DIR/admin-token):</p>
  <form id="token-form"><input id="token" type="password" size="48" autocomplete="off"> <button>Open</button></form>
</div>
<main id="content" hidden>
  <section class="wide"><h2>Fleet</h2><div class="cards" id="cards"></div></section>
  <section class="wide"><h2>Campaigns</h2><table id="campaigns"></table></section>
  <section class="wide"><h2>Devices</h2><table id="devices"></table></section>
  <section><h2>Latency distribution by model version (ms)</h2><div id="latency"></div></section>
  <section><h2>Class mix over time</h2><div id="classmix"></div></section>
  <section><h2>Drift per device (PSI against the bundle's baseline)</h2><div id="drift"></div></section>
  <section><h2>Alerts</h2><table id="alerts"></table></section>
</main>
<script id="embedded" type="application/json">@@DATA@@</script>
<script>
"use strict";
const LATENCY_EDGES = [0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000];
const COLORS = ["#1d3557", "#2a9d8f", "#e9c46a", "#f4a261", "#e63946", "#6d597a", "#457b9d", "#8ab17d", "#b5651d", "#9d4edd"];
const DRIFT_THRESHOLD = 0.25;

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}
function svg(tag, attrs, ...children) {
  const e = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}
function fmt(x, digits) { return typeof x === "number" ? x.toFixed(digits === undefined ? 2 : digits) : "-"; }
function pct(x) { return typeof x === "number" ? (100 * x).toFixed(1) + " %" : "-"; }
function table(id, head, rows) {
  const t = document.getElementById(id);
  t.replaceChildren(el("tr", {}, ...head.map(h => el("th", {}, h))));
  if (rows.length === 0) t.append(el("tr", {}, el("td", { colspan: head.length, class: "muted" }, "none yet")));
  for (const r of rows) t.append(el("tr", r.attrs || {}, ...r.cells.map(c => el("td", {}, c))));
}

// Vertical bars: series = [{name, values}], labels along x.
function barChart(labels, series, opts) {
  const w = 420, h = 180, left = 36, bottom = 28, top = 8;
  const stacked = opts && opts.stacked;
  let max = 0;
  labels.forEach((_, i) => {
    const vals = series.map(s => s.values[i] || 0);
    max = Math.max(max, stacked ? vals.reduce((a, b) => a + b, 0) : Math.max(0, ...vals));
  });
  if (opts && opts.line) max = Math.max(max, opts.line * 1.2);
  if (max <= 0) max = 1;
  const g = svg("svg", { width: w, height: h + 20 * Math.ceil(series.length / 4), role: "img" });
  const slot = (w - left) / Math.max(1, labels.length);
  const barW = stacked ? slot * 0.7 : (slot * 0.8) / Math.max(1, series.length);
  g.append(svg("line", { x1: left, y1: h - bottom, x2: w, y2: h - bottom, stroke: "#ccd" }));
  g.append(svg("text", { x: 2, y: top + 10 }, fmt(max, max < 10 ? 2 : 0)));
  labels.forEach((label, i) => {
    let y = h - bottom;
    series.forEach((s, k) => {
      const v = s.values[i] || 0, bh = ((h - bottom - top) * v) / max;
      const x = left + i * slot + (stacked ? slot * 0.15 : slot * 0.1 + k * barW);
      const rect = svg("rect", { x, y: stacked ? y - bh : h - bottom - bh, width: Math.max(1, barW - 1), height: bh,
                                 fill: COLORS[k % COLORS.length] });
      rect.append(svg("title", {}, `${s.name} ${label}: ${fmt(v, v < 10 ? 3 : 0)}`));
      g.append(rect);
      if (stacked) y -= bh;
    });
    if (labels.length <= 20 || i % Math.ceil(labels.length / 12) === 0) {
      g.append(svg("text", { x: left + i * slot + 2, y: h - bottom + 12 }, label));
    }
  });
  if (opts && opts.line) {
    const y = h - bottom - ((h - bottom - top) * opts.line) / max;
    g.append(svg("line", { x1: left, y1: y, x2: w, y2: y, stroke: "#e63946", "stroke-dasharray": "4 3" }));
    g.append(svg("text", { x: w - 90, y: y - 3 }, opts.lineLabel || ""));
  }
  series.forEach((s, k) => {
    const x = left + (k % 4) * 96, y = h + 4 + 20 * Math.floor(k / 4);
    g.append(svg("rect", { x, y, width: 10, height: 10, fill: COLORS[k % COLORS.length] }));
    g.append(svg("text", { x: x + 14, y: y + 9 }, s.name));
  });
  return g;
}

function render(d) {
  document.getElementById("meta").textContent =
      `${d.server || ""} · ${d.embedded ? "report generated" : "updated"} ${d.generated_at}`;
  const devices = d.devices || [], campaigns = d.campaigns || [], versions = d.versions || [];
  const byDevice = Object.fromEntries((d.by_device || []).map(s => [s.key, s]));
  const states = {};
  for (const dev of devices) states[dev.state] = (states[dev.state] || 0) + 1;
  const inferences = versions.reduce((a, v) => a + v.inferences, 0);
  const cards = document.getElementById("cards");
  cards.replaceChildren(
      el("div", { class: "card", id: "card-devices" }, el("b", {}, devices.length), "devices"),
      ...Object.entries(states).map(([s, n]) => el("div", { class: "card" }, el("b", {}, n), s)),
      el("div", { class: "card" }, el("b", {}, versions.length), "model versions running"),
      el("div", { class: "card" }, el("b", {}, inferences), "inferences"),
      el("div", { class: "card" }, el("b", {}, (d.alerts || []).length), "alerts"));

  table("campaigns", ["id", "release", "mode", "state", "phase", "progress", "devices", "p95 ms", "anomaly rate", "note"],
        campaigns.map(c => {
          const n = c.counts || { installed: 0, pending: 0, failed: 0 };
          const total = Math.max(1, n.installed + n.pending + n.failed);
          const bar = el("div", { class: "bar", id: `progress-${c.id}`, title: `${n.installed} installed, ${n.pending} pending, ${n.failed} failed` },
                         ...["installed", "pending", "failed"].map(k => el("span", { class: k, style: `width:${(100 * n[k]) / total}%` })));
          const t = c.telemetry || c.shadow || {};
          const q = c.quality || {};
          return { attrs: { id: `campaign-${c.id}` },
                   cells: [c.id, `${c.release.name} ${c.release.version}`, q.mode || "rollout",
                           el("span", { class: `state-${c.state}` }, c.state), `${c.phase + 1} of ${c.phases.length} (${c.phases.join(", ")} %)`,
                           bar, `${n.installed} / ${n.pending} / ${n.failed}`, fmt(t.latency_ms && t.latency_ms.p95, 3),
                           pct(t.anomaly_rate), c.halt_reason || q.verdict || ""] };
        }));

  table("devices", ["device", "group", "state", "version", "last seen", "inferences", "p95 ms", "anomaly rate", "drift PSI"],
        devices.map(dev => {
          const s = byDevice[dev.id] || {};
          return { attrs: { class: "device-row", "data-device": dev.id },
                   cells: [dev.id, dev.group, dev.state, dev.active_version || "-", dev.last_seen, s.inferences || 0,
                           fmt(s.latency_ms && s.latency_ms.p95, 3), pct(s.anomaly_rate), fmt(s.drift && s.drift.psi, 3)] };
        }));

  const used = new Set();
  for (const v of versions) (v.latency_buckets || []).forEach((n, i) => { if (n > 0) used.add(i); });
  const idx = [...used].sort((a, b) => a - b);
  document.getElementById("latency").replaceChildren(barChart(
      idx.map(i => i < LATENCY_EDGES.length ? "≤" + LATENCY_EDGES[i] : ">" + LATENCY_EDGES[LATENCY_EDGES.length - 1]),
      versions.map(v => ({ name: v.key, values: idx.map(i => v.latency_buckets[i]) }))));

  const points = (d.timeline && d.timeline.points) || [];
  const times = [...new Set(points.map(p => p.at))].sort((a, b) => a - b);
  const classes = [...new Set(points.flatMap(p => Object.keys(p.counts || {})))];
  document.getElementById("classmix").replaceChildren(barChart(
      times.map(t => new Date(t * 1000).toISOString().substring(11, 16)),
      classes.map(c => ({ name: c, values: times.map(t => points.filter(p => p.at === t).reduce((a, p) => a + ((p.counts || {})[c] || 0), 0)) })),
      { stacked: true }));

  const drifted = (d.by_device || []).filter(s => s.drift);
  document.getElementById("drift").replaceChildren(barChart(
      drifted.map(s => s.key), [{ name: "PSI", values: drifted.map(s => s.drift.psi) }],
      { line: DRIFT_THRESHOLD, lineLabel: `alert above ${DRIFT_THRESHOLD}` }));

  table("alerts", ["when", "kind", "device", "version", "message"],
        (d.alerts || []).slice(-50).reverse().map(a => ({ attrs: { class: `alert-${a.kind}` },
            cells: [new Date(a.at * 1000).toISOString().replace("T", " ").substring(0, 19), a.kind, a.device || "-",
                    a.model_version || "-", a.message] })));
  document.getElementById("content").hidden = false;
}

async function load(token) {
  const get = async path => {
    const r = await fetch(path, { headers: { Authorization: "Bearer " + token } });
    if (r.status === 401 || r.status === 403) throw new Error("unauthorized");
    if (!r.ok) throw new Error(`${path}: HTTP ${r.status}`);
    return r.json();
  };
  const [devices, campaigns, versions, byDevice, timeline, alerts] = await Promise.all([
    get("/api/v1/devices"), get("/api/v1/campaigns"), get("/api/v1/analytics?by=version"),
    get("/api/v1/analytics?by=device"), get("/api/v1/analytics/timeline?bucket=60&since=86400"), get("/api/v1/alerts")]);
  return { generated_at: new Date().toISOString().replace("T", " ").substring(0, 19) + " UTC", server: location.host,
           devices: devices.devices, campaigns: campaigns.campaigns, versions: versions.groups,
           by_device: byDevice.groups, timeline, alerts: alerts.alerts };
}

async function dashboard() {
  const fromHash = new URLSearchParams(location.hash.substring(1)).get("token");
  if (fromHash) {
    sessionStorage.setItem("edgeai-token", fromHash);
    history.replaceState(null, "", location.pathname);
  }
  const token = sessionStorage.getItem("edgeai-token");
  const login = document.getElementById("login");
  if (!token) {
    login.hidden = false;
    document.getElementById("token-form").addEventListener("submit", e => {
      e.preventDefault();
      sessionStorage.setItem("edgeai-token", document.getElementById("token").value.trim());
      location.reload();
    });
    return;
  }
  const refresh = async () => {
    try {
      render(await load(token));
      document.body.dataset.loaded = "true";
    } catch (e) {
      if (e.message === "unauthorized") {
        sessionStorage.removeItem("edgeai-token");
        login.hidden = false;
        document.getElementById("content").hidden = true;
      } else {
        document.getElementById("meta").textContent = "cannot reach the server: " + e.message;
      }
    }
  };
  await refresh();
  setInterval(refresh, 5000);
}

const embedded = document.getElementById("embedded").textContent.trim();
if (embedded && embedded !== "@@" + "DATA@@") {
  const data = JSON.parse(embedded);
  data.embedded = true;
  render(data);
  document.body.dataset.loaded = "true";
} else {
  dashboard();
}
</script>
</body>
</html>
)EDGEAI";

}  // namespace

std::string fleet_page_html(const std::string& embedded_data) {
  std::string page = kPage;
  // Inside <script>, "</" would end the element early: JSON allows "<\/" for it.
  std::string data;
  data.reserve(embedded_data.size());
  for (std::size_t i = 0; i < embedded_data.size(); ++i) {
    data += embedded_data[i];
    if (embedded_data[i] == '<' && i + 1 < embedded_data.size() && embedded_data[i + 1] == '/') data += '\\';
  }
  const std::string marker = "@@DATA@@";
  page.replace(page.find(marker), marker.size(), data);
  return page;
}

}  // namespace edgeai::server
