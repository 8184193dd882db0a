// The operator's fleet commands, clients of the update server's API (docs/ota.md):
//   edgeai publish BUNDLE --key release.key --group G     sign the target metadata, upload
//   edgeai campaign create|status|halt|resume             phased rollouts
//   edgeai devices [list] | token | label                 the fleet, enrollment tokens, labels
// Each finds the server with --server (or EDGEAI_SERVER) and the operator token with --token,
// EDGEAI_ADMIN_TOKEN or --data-dir (the server's, holding admin-token).
#include <httplib.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>

#include "cli/commands.hpp"
#include "cli/fleet_api.hpp"
#include "format/atomic_file.hpp"
#include "format/bundle.hpp"
#include "format/trust.hpp"
#include "server/fleet_page.hpp"

namespace edgeai::cli {
namespace {

using nlohmann::json;

std::string text_of(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return "-";
  if (it->is_string()) return it->get<std::string>().empty() ? "-" : it->get<std::string>();
  return it->dump();
}

void print_campaign(const json& c) {
  std::printf("campaign %lld: %s %s -> group %s, %s", c["id"].get<long long>(),
              c["release"]["name"].get<std::string>().c_str(), c["release"]["version"].get<std::string>().c_str(),
              c["group"].get<std::string>().c_str(), c["state"].get<std::string>().c_str());
  if (!c["halt_reason"].get<std::string>().empty()) std::printf(" (%s)", c["halt_reason"].get<std::string>().c_str());
  std::printf("\n  phases");
  const auto& phases = c["phases"];
  for (std::size_t i = 0; i < phases.size(); ++i) {
    std::printf(" %s%d%%%s", static_cast<long long>(i) == c["phase"].get<long long>() ? "[" : "", phases[i].get<int>(),
                static_cast<long long>(i) == c["phase"].get<long long>() ? "]" : "");
  }
  std::printf(", soak %llds, max failure rate %g\n", c["soak_seconds"].get<long long>(),
              c["max_failure_rate"].get<double>());
  if (c.contains("quality")) {
    const json& q = c["quality"];
    std::printf("  mode %s", q["mode"].get<std::string>().c_str());
    if (q["max_latency_ratio"].get<double>() > 0)
      std::printf(", max p95 latency ratio %g", q["max_latency_ratio"].get<double>());
    if (q["max_anomaly_increase"].get<double>() > 0) {
      std::printf(", max anomaly increase %g", q["max_anomaly_increase"].get<double>());
    }
    if (!q["verdict"].get<std::string>().empty()) std::printf("; %s", q["verdict"].get<std::string>().c_str());
    std::printf("\n");
  }
  for (const char* part : {"telemetry", "shadow"}) {
    if (!c.contains(part)) continue;
    const json& t = c[part];
    std::printf("  %s: %lld inferences, p95 %.3f ms, anomaly rate %.1f %%", part, t["inferences"].get<long long>(),
                t["latency_ms"]["p95"].get<double>(), 100.0 * t["anomaly_rate"].get<double>());
    if (t.contains("shadow")) {
      std::printf(", agreement %.1f %% over %lld", 100.0 * t["shadow"]["agreement"].get<double>(),
                  t["shadow"]["inferences"].get<long long>());
    }
    std::printf("\n");
  }
  if (c.contains("counts")) {
    std::printf("  devices: %d installed, %d pending, %d failed\n", c["counts"]["installed"].get<int>(),
                c["counts"]["pending"].get<int>(), c["counts"]["failed"].get<int>());
  }
  if (c.contains("assignments")) {
    for (const json& a : c["assignments"]) {
      std::printf("  %-20s phase %lld  %-9s %s%s%s\n", a["device"].get<std::string>().c_str(),
                  a["phase"].get<long long>(), a["result"].get<std::string>().c_str(),
                  a["finished_at"].get<std::string>().c_str(), a["detail"].get<std::string>().empty() ? "" : "  ",
                  a["detail"].get<std::string>().c_str());
    }
  }
}

}  // namespace

Action add_publish_command(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand(
      "publish",
      "Sign a bundle's target metadata (name, version, sha256, size, device group, release counter) with the "
      "offline release key and upload both to the update server");
  struct Args {
    Connection c;
    std::string bundle, key, name, version, group;
    std::int64_t counter = 0;
    int expires_days = 365;
    bool downgrade = false;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("bundle", a->bundle, "the .eai bundle")->required()->check(CLI::ExistingFile);
  cmd->add_option("--key", a->key, "the release key (.key from `edgeai keygen`)")->required()->check(CLI::ExistingFile);
  cmd->add_option("--group", a->group, "device group the release is for")->required();
  cmd->add_option("--name", a->name, "release name (default: the bundle manifest's name)");
  cmd->add_option("--version", a->version, "release version (default: the bundle manifest's version)");
  cmd->add_option("--counter", a->counter, "release counter, above every published one (default: the next)");
  cmd->add_option("--expires-days", a->expires_days, "days the signed metadata stays valid")->capture_default_str();
  cmd->add_flag("--downgrade", a->downgrade, "allow devices on a higher version to install this one");
  add_connection_options(cmd, a->c);
  return [cmd, a]() -> int {
    if (!cmd->parsed()) return 1;
    const Bundle bundle = check(read_bundle(a->bundle));
    const KeyPair key = check(read_secret_key_file(a->key));
    Api api(a->c);
    const std::string bytes = read_file_text(a->bundle);
    TargetInfo t;
    t.name = a->name.empty() ? bundle.manifest.name : a->name;
    t.version = a->version.empty() ? bundle.manifest.version : a->version;
    t.sha256 = sha256_hex(bytes);
    t.size = static_cast<std::int64_t>(bytes.size());
    t.device_group = a->group;
    t.downgrade = a->downgrade;
    t.release_counter =
        a->counter > 0 ? a->counter : api.get("/api/v1/releases")["next_release_counter"].get<std::int64_t>();
    TargetsMetadata targets;
    targets.version = t.release_counter;
    targets.expires = format_utc(static_cast<std::int64_t>(std::time(nullptr)) + a->expires_days * 86400LL);
    targets.targets = {t};
    const KeyPair* signers[] = {&key};
    const std::string envelope = sign_envelope(kTargetsType, targets_to_json(targets), signers);
    const json r = api.post_multipart(
        "/api/v1/releases", {{"targets", envelope, "targets.json", "application/json"},
                             {"bundle", bytes, t.name + "-" + t.version + ".eai", "application/octet-stream"}});
    if (api.json_output()) {
      std::printf("%s\n", r.dump(2).c_str());
    } else {
      std::printf("published %s %s for group %s: %lld bytes, sha256 %s, release counter %lld\n", t.name.c_str(),
                  t.version.c_str(), t.device_group.c_str(), static_cast<long long>(t.size), t.sha256.c_str(),
                  static_cast<long long>(t.release_counter));
    }
    return 0;
  };
}

Action add_campaign_command(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand("campaign", "Roll a published release out to a device group in phases");
  cmd->require_subcommand(1);
  struct Args {
    Connection c;
    std::string release, version, group, phases = "100", reason;
    std::int64_t soak = 0, id = 0, min_inferences = 200, collect_per_hour = 0;
    double collect_below = 0.5;
    double max_failure_rate = 0.0, max_latency_ratio = 0.0, max_anomaly_increase = 0.0, min_agreement = 0.95;
    bool shadow = false;
  };
  auto a = std::make_shared<Args>();
  CLI::App* create = cmd->add_subcommand(
      "create", "Start a campaign: phases are cumulative percentages of the group (the first device is the canary)");
  create->add_option("--release", a->release, "release name")->required();
  create->add_option("--version", a->version, "release version")->required();
  create->add_option("--group", a->group, "device group (default: the release's)");
  create->add_option("--phases", a->phases, "cumulative percentages, e.g. 5,25,100")->capture_default_str();
  create->add_option("--soak", a->soak, "seconds to wait after a phase completes before the next")
      ->capture_default_str();
  create
      ->add_option("--max-failure-rate", a->max_failure_rate,
                   "share of assigned devices that may roll back before the campaign halts itself (0: the first)")
      ->capture_default_str();
  create->add_flag("--shadow", a->shadow,
                   "shadow mode: assigned devices run the release beside their model on live inputs and report "
                   "agreement; the server promotes it to a rollout at --min-agreement, or halts it");
  create
      ->add_option("--max-latency-ratio", a->max_latency_ratio,
                   "halt when the release's p95 latency on its devices exceeds the group's previous versions' by this "
                   "factor (0: off)")
      ->capture_default_str();
  create
      ->add_option("--max-anomaly-increase", a->max_anomaly_increase,
                   "halt when the release's anomaly rate exceeds the previous versions' by this much, e.g. 0.05 for "
                   "5 points (0: off)")
      ->capture_default_str();
  create->add_option("--min-inferences", a->min_inferences, "inferences of the release before any quality verdict")
      ->capture_default_str();
  create->add_option("--min-agreement", a->min_agreement, "shadow: agreement with the active model to promote at")
      ->capture_default_str();
  create
      ->add_option("--collect-samples", a->collect_per_hour,
                   "opt in to retraining data: each device uploads up to N uncertain inputs an hour, raw (default 0: "
                   "no input ever leaves a device); `edgeai dataset pull` fetches them")
      ->capture_default_str();
  create->add_option("--collect-below", a->collect_below, "the top-1 confidence under which an input is uncertain")
      ->capture_default_str();
  add_connection_options(create, a->c);
  CLI::App* status = cmd->add_subcommand("status", "Show campaigns (all, or one with its devices)");
  status->add_option("id", a->id, "campaign id");
  add_connection_options(status, a->c);
  CLI::App* halt = cmd->add_subcommand("halt", "Halt a running campaign: no further device is assigned");
  halt->add_option("id", a->id, "campaign id")->required();
  halt->add_option("--reason", a->reason, "why (shown in status)");
  add_connection_options(halt, a->c);
  CLI::App* resume = cmd->add_subcommand("resume", "Resume a halted campaign");
  resume->add_option("id", a->id, "campaign id")->required();
  add_connection_options(resume, a->c);
  return [a, create, status, halt, resume]() -> int {
    Api api(a->c);
    if (create->parsed()) {
      json phases = json::array();
      std::stringstream in(a->phases);
      std::string item;
      while (std::getline(in, item, ',')) {
        char* end = nullptr;
        const long v = std::strtol(item.c_str(), &end, 10);
        if (item.empty() || *end != '\0') throw CommandError("--phases '" + a->phases + "': comma-separated integers");
        phases.push_back(v);
      }
      json body{{"release", a->release},
                {"version", a->version},
                {"phases", phases},
                {"soak_seconds", a->soak},
                {"max_failure_rate", a->max_failure_rate},
                {"mode", a->shadow ? "shadow" : "rollout"},
                {"max_latency_ratio", a->max_latency_ratio},
                {"max_anomaly_increase", a->max_anomaly_increase},
                {"min_inferences", a->min_inferences},
                {"min_agreement", a->min_agreement},
                {"collect_per_hour", a->collect_per_hour},
                {"collect_below", a->collect_below}};
      if (!a->group.empty()) body["group"] = a->group;
      const json c = api.post("/api/v1/campaigns", body);
      if (api.json_output()) {
        std::printf("%s\n", c.dump(2).c_str());
      } else {
        print_campaign(c);
      }
    } else if (status->parsed()) {
      if (a->id > 0) {
        const json c = api.get(str_cat("/api/v1/campaigns/", a->id));
        if (api.json_output()) {
          std::printf("%s\n", c.dump(2).c_str());
        } else {
          print_campaign(c);
        }
      } else {
        const json list = api.get("/api/v1/campaigns");
        if (api.json_output()) {
          std::printf("%s\n", list.dump(2).c_str());
        } else {
          if (list["campaigns"].empty()) std::printf("no campaigns\n");
          for (json c : list["campaigns"]) {
            c.erase("assignments");
            print_campaign(c);
          }
        }
      }
    } else if (halt->parsed() || resume->parsed()) {
      const bool halting = halt->parsed();
      json body = json::object();
      if (!a->reason.empty()) body["reason"] = a->reason;
      api.post(str_cat("/api/v1/campaigns/", a->id, halting ? "/halt" : "/resume"), body);
      std::printf("campaign %lld %s\n", static_cast<long long>(a->id), halting ? "halted" : "resumed");
    }
    return 0;
  };
}

Action add_devices_command(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand("devices", "List the fleet, make enrollment tokens, set groups and tags");
  struct Args {
    Connection c;
    std::string group, tag, id;
    std::vector<std::string> tags;
    int count = 1;
    std::int64_t ttl = 7 * 24 * 3600;
  };
  auto a = std::make_shared<Args>();
  add_connection_options(cmd, a->c);
  cmd->add_option("--group", a->group, "only devices of this group");
  cmd->add_option("--tag", a->tag, "only devices with this tag");
  CLI::App* token = cmd->add_subcommand("token", "Make one-time enrollment tokens for devices joining a group");
  token->add_option("--group", a->group, "the devices' group")->required();
  token->add_option("--tag", a->tags, "a tag the devices get (repeatable)");
  token->add_option("--count", a->count, "how many tokens")->capture_default_str();
  token->add_option("--ttl", a->ttl, "seconds the tokens stay valid")->capture_default_str();
  add_connection_options(token, a->c);
  CLI::App* label = cmd->add_subcommand("label", "Set a device's group and/or tags");
  label->add_option("id", a->id, "device id")->required();
  label->add_option("--group", a->group, "new group");
  label->add_option("--tag", a->tags, "tags, replacing the device's (repeatable)");
  add_connection_options(label, a->c);
  return [a, token, label]() -> int {
    Api api(a->c);
    if (token->parsed()) {
      const json r = api.post("/api/v1/enrollment-tokens",
                              {{"group", a->group}, {"tags", a->tags}, {"count", a->count}, {"ttl_seconds", a->ttl}});
      if (api.json_output()) {
        std::printf("%s\n", r.dump(2).c_str());
      } else {
        for (const json& t : r["tokens"]) std::printf("%s\n", t.get<std::string>().c_str());
      }
      return 0;
    }
    if (label->parsed()) {
      json body = json::object();
      if (!a->group.empty()) body["group"] = a->group;
      if (!a->tags.empty()) body["tags"] = a->tags;
      api.put("/api/v1/devices/" + a->id, body);
      std::printf("device %s updated\n", a->id.c_str());
      return 0;
    }
    std::string query;
    if (!a->group.empty()) query += "group=" + a->group;
    if (!a->tag.empty()) query += std::string(query.empty() ? "" : "&") + "tag=" + a->tag;
    const json r = api.get("/api/v1/devices" + (query.empty() ? "" : "?" + query));
    if (api.json_output()) {
      std::printf("%s\n", r.dump(2).c_str());
      return 0;
    }
    std::printf("%-20s %-12s %-12s %-10s %-10s %-20s %s\n", "DEVICE", "GROUP", "STATE", "ACTIVE", "TARGET", "LAST SEEN",
                "LAST ERROR");
    for (const json& d : r["devices"]) {
      std::printf("%-20s %-12s %-12s %-10s %-10s %-20s %s\n", text_of(d, "id").c_str(), text_of(d, "group").c_str(),
                  text_of(d, "state").c_str(), text_of(d, "active_version").c_str(),
                  text_of(d, "target_version").c_str(), text_of(d, "last_seen").c_str(),
                  text_of(d, "last_error").c_str());
    }
    std::printf("%zu devices\n", r["devices"].size());
    return 0;
  };
}

Action add_root_command(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand(
      "root", "Show the root metadata devices trust, or rotate keys: a new root signed by the current root's key");
  cmd->require_subcommand(1);
  struct Args {
    Connection c;
    std::string root_key, new_root_key, release_pub;
    int expires_days = 365;
  };
  auto a = std::make_shared<Args>();
  CLI::App* show = cmd->add_subcommand("show", "The current root: version, expiry, the keys of each role");
  add_connection_options(show, a->c);
  CLI::App* rotate = cmd->add_subcommand(
      "rotate",
      "Publish the next root version: a new root key and/or a new release key, signed by the current root "
      "key (and the new one); devices walk the chain on their next poll");
  rotate->add_option("--root-key", a->root_key, "the current root key (.key)")->required()->check(CLI::ExistingFile);
  rotate->add_option("--new-root-key", a->new_root_key, "a new root key (.key) to replace it")
      ->check(CLI::ExistingFile);
  rotate->add_option("--release-pub", a->release_pub, "a new release public key (.pub) to replace the current one")
      ->check(CLI::ExistingFile);
  rotate->add_option("--expires-days", a->expires_days, "days the new root stays valid")->capture_default_str();
  add_connection_options(rotate, a->c);
  return [a, show, rotate]() -> int {
    Api api(a->c);
    const json envelope = api.get("/api/v1/root");
    const Envelope env = check(parse_envelope(envelope.dump()));
    RootMetadata root = check(root_from_json(env.payload));
    if (show->parsed()) {
      std::printf("root version %lld, expires %s\n", static_cast<long long>(root.version), root.expires.c_str());
      for (const auto& [role, keys] : {std::pair{"root", &root.root}, std::pair{"targets (release)", &root.targets},
                                       std::pair{"timestamp", &root.timestamp}}) {
        std::string ids;
        for (const std::string& id : keys->keyids) ids += (ids.empty() ? "" : ", ") + id;
        std::printf("  %-18s threshold %d: %s\n", role, keys->threshold, ids.c_str());
      }
      return 0;
    }
    if (a->new_root_key.empty() && a->release_pub.empty()) {
      throw CommandError("nothing to rotate: pass --new-root-key and/or --release-pub");
    }
    const KeyPair old_root = check(read_secret_key_file(a->root_key));
    if (std::find(root.root.keyids.begin(), root.root.keyids.end(), key_id(old_root.public_key)) ==
        root.root.keyids.end()) {
      throw CommandError(a->root_key + " is not a key of the current root (key id " + key_id(old_root.public_key) +
                         ")");
    }
    RootMetadata next = root;
    next.version = root.version + 1;
    next.expires = format_utc(static_cast<std::int64_t>(std::time(nullptr)) + a->expires_days * 86400LL);
    std::optional<KeyPair> new_root;
    if (!a->new_root_key.empty()) {
      new_root = check(read_secret_key_file(a->new_root_key));
      next.keys[key_id(new_root->public_key)] = new_root->public_key;
      next.root.keyids = {key_id(new_root->public_key)};
    }
    if (!a->release_pub.empty()) {
      const PublicKey release = check(read_public_key_file(a->release_pub));
      next.keys[key_id(release)] = release;
      next.targets.keyids = {key_id(release)};
    }
    // Keys no role names any more leave the root.
    for (auto it = next.keys.begin(); it != next.keys.end();) {
      const auto named = [&](const RoleKeys& r) {
        return std::find(r.keyids.begin(), r.keyids.end(), it->first) != r.keyids.end();
      };
      it = named(next.root) || named(next.targets) || named(next.timestamp) ? std::next(it) : next.keys.erase(it);
    }
    std::vector<const KeyPair*> signers = {&old_root};
    if (new_root) signers.push_back(&*new_root);
    const std::string signed_root = sign_envelope(kRootType, root_to_json(next), signers);
    api.post_text("/api/v1/root", signed_root);
    std::printf("root rotated to version %lld (release key %s, root key %s)\n", static_cast<long long>(next.version),
                next.targets.keyids.front().c_str(), next.root.keyids.front().c_str());
    return 0;
  };
}

Action add_report_command(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand(
      "report",
      "The fleet summary from the server's telemetry: devices and versions, campaigns and their progress, "
      "latency, class mix, anomaly rate, drift and alerts; with --html also a self-contained HTML report with "
      "charts (the dashboard's page, with the data in it)");
  struct Args {
    Connection c;
    std::string html;
    std::int64_t since = 86400;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("--html", a->html, "write the HTML report to this file");
  cmd->add_option("--since", a->since, "telemetry of the last SECONDS")->capture_default_str();
  add_connection_options(cmd, a->c);
  return [a]() -> int {
    Api api(a->c);
    const std::string since = std::to_string(a->since);
    json data{{"generated_at", current_utc_iso8601()},
              {"server", a->c.server.empty() ? "" : a->c.server},
              {"devices", api.get("/api/v1/devices")["devices"]},
              {"campaigns", api.get("/api/v1/campaigns")["campaigns"]},
              {"versions", api.get("/api/v1/analytics?by=version&since=" + since)["groups"]},
              {"by_device", api.get("/api/v1/analytics?by=device&since=" + since)["groups"]},
              {"timeline", api.get("/api/v1/analytics/timeline?bucket=60&since=" + since)},
              {"alerts", api.get("/api/v1/alerts?since=" + since)["alerts"]}};
    if (api.json_output()) {
      std::printf("%s\n", data.dump(2).c_str());
    } else {
      std::printf("fleet: %zu devices\n", data["devices"].size());
      std::map<std::string, int> on_version;
      for (const json& d : data["devices"]) ++on_version[text_of(d, "active_version")];
      for (const auto& [version, n] : on_version) std::printf("  %d on %s\n", n, version.c_str());
      std::printf("model versions (telemetry of the last %lld s):\n", static_cast<long long>(a->since));
      std::printf("  %-10s %10s %10s %9s %9s %9s %8s %8s  %s\n", "version", "inferences", "/s/device", "p50 ms",
                  "p95 ms", "p99 ms", "anomaly", "dropped", "class mix");
      for (const json& v : data["versions"]) {
        std::string mix;
        const double n = std::max<double>(1, v["inferences"].get<double>());
        for (const auto& [label, count] : v["counts"].items()) {
          mix += str_cat(mix.empty() ? "" : " ", label, " ",
                         static_cast<int>(std::lround(100 * count.get<double>() / n)), "%");
        }
        std::printf("  %-10s %10lld %10.1f %9.3f %9.3f %9.3f %7.1f%% %8lld  %s\n", v["key"].get<std::string>().c_str(),
                    v["inferences"].get<long long>(), v["throughput"].get<double>(),
                    v["latency_ms"]["p50"].get<double>(), v["latency_ms"]["p95"].get<double>(),
                    v["latency_ms"]["p99"].get<double>(), 100.0 * v["anomaly_rate"].get<double>(),
                    v["dropped"].get<long long>(), mix.c_str());
      }
      std::printf("devices:\n");
      for (const json& d : data["by_device"]) {
        std::printf("  %-16s %-8s %8lld inferences, p95 %.3f ms, anomaly %.1f %%", d["key"].get<std::string>().c_str(),
                    d["model_version"].get<std::string>().c_str(), d["inferences"].get<long long>(),
                    d["latency_ms"]["p95"].get<double>(), 100.0 * d["anomaly_rate"].get<double>());
        if (d.contains("drift")) std::printf(", drift PSI %.3f", d["drift"]["psi"].get<double>());
        std::printf("\n");
      }
      std::printf("campaigns:\n");
      for (const json& c : data["campaigns"]) print_campaign(c);
      std::printf("alerts: %zu\n", data["alerts"].size());
      for (const json& al : data["alerts"]) {
        std::printf("  [%s] %s\n", al["kind"].get<std::string>().c_str(), al["message"].get<std::string>().c_str());
      }
    }
    if (!a->html.empty()) {
      check(write_file_atomically(a->html, server::fleet_page_html(data.dump())));
      std::fprintf(stderr, "wrote %s\n", a->html.c_str());
    }
    return 0;
  };
}

}  // namespace edgeai::cli
