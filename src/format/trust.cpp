#include "format/trust.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "format/json_fields.hpp"
#include "format/semver.hpp"

namespace edgeai {
namespace {

using json_fields::get_int;
using json_fields::get_string;
using json_fields::json;
using json_fields::parse_object;

bool sodium_ready() {
  static const bool ready = sodium_init() >= 0;
  return ready;
}

// DSSE's pre-authentication encoding, with our own tag: the signature covers the payload type
// and the payload, each with its length, so neither can be swapped or cut.
std::string pae(std::string_view type, std::string_view payload) {
  return str_cat("EDGEAI-V1 ", type.size(), " ", type, " ", payload.size(), " ", payload);
}

json role_to_json(const RoleKeys& role) { return json{{"keyids", role.keyids}, {"threshold", role.threshold}}; }

Result<RoleKeys> role_from_json(const json& roles, const char* name) {
  auto it = roles.find(name);
  if (it == roles.end() || !it->is_object()) return invalid_argument("root: role '", name, "' missing");
  RoleKeys role;
  auto ids = it->find("keyids");
  if (ids == it->end() || !ids->is_array()) return invalid_argument("root: role '", name, "' has no keyids");
  for (const json& id : *ids) {
    if (!id.is_string()) return invalid_argument("root: role '", name, "': a keyid is not a string");
    role.keyids.push_back(id.get<std::string>());
  }
  EDGEAI_ASSIGN_OR_RETURN(std::int64_t threshold, get_int(*it, "threshold"));
  if (threshold < 1 || threshold > static_cast<std::int64_t>(role.keyids.size())) {
    return invalid_argument("root: role '", name, "' threshold ", threshold, " for ", role.keyids.size(), " keys");
  }
  role.threshold = static_cast<int>(threshold);
  return role;
}

// The common head of every role's payload: type, version >= 1, a valid expiry.
Status check_head(const json& j, std::string_view type, std::int64_t& version, std::string& expires) {
  EDGEAI_ASSIGN_OR_RETURN(std::string t, get_string(j, "type"));
  if (t != type) return invalid_argument("metadata of type '", t, "' where ", type, " was expected");
  EDGEAI_ASSIGN_OR_RETURN(version, get_int(j, "version"));
  if (version < 1) return invalid_argument(type, ": version ", version, " (must be >= 1)");
  EDGEAI_ASSIGN_OR_RETURN(expires, get_string(j, "expires"));
  EDGEAI_RETURN_IF_ERROR(parse_utc(expires).status());
  return Status::ok();
}

// The envelope's payload if `role`'s threshold of keys signed it and it has `type`.
Result<Envelope> verified(std::string_view envelope_json, std::string_view type, const RootMetadata& root,
                          const RoleKeys& role, std::string_view what) {
  EDGEAI_ASSIGN_OR_RETURN(Envelope envelope, parse_envelope(envelope_json));
  if (envelope.payload_type != type) {
    return invalid_argument(what, ": payload type '", envelope.payload_type, "', expected ", type);
  }
  const int valid = valid_signatures(envelope, root.keys, role.keyids);
  if (valid < role.threshold) {
    return data_loss(what, ": ", valid, " valid signature(s) of the trusted keys, ", role.threshold,
                     " needed (tampered or signed with another key)");
  }
  return envelope;
}

Status check_not_expired(const std::string& expires, std::int64_t now, std::string_view what) {
  EDGEAI_ASSIGN_OR_RETURN(std::int64_t at, parse_utc(expires));
  if (at <= now) return failed_precondition(what, ": expired at ", expires, " (now ", format_utc(now), ")");
  return Status::ok();
}

}  // namespace

KeyPair generate_key_pair() {
  KeyPair keys;
  if (sodium_ready()) crypto_sign_keypair(keys.public_key.data(), keys.secret_key.data());
  return keys;
}

std::string to_hex(std::span<const std::uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (std::uint8_t b : bytes) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 15]);
  }
  return out;
}

Result<std::vector<std::uint8_t>> from_hex(std::string_view hex) {
  if (hex.size() % 2 != 0) return invalid_argument("hex text of odd length ", hex.size());
  const auto digit = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::vector<std::uint8_t> out(hex.size() / 2);
  for (std::size_t i = 0; i < out.size(); ++i) {
    const int hi = digit(hex[2 * i]), lo = digit(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return invalid_argument("not a hex digit at offset ", hi < 0 ? 2 * i : 2 * i + 1);
    out[i] = static_cast<std::uint8_t>(hi * 16 + lo);
  }
  return out;
}

std::string sha256_hex(std::span<const std::uint8_t> bytes) {
  std::array<std::uint8_t, crypto_hash_sha256_BYTES> digest{};
  if (sodium_ready()) crypto_hash_sha256(digest.data(), bytes.data(), bytes.size());
  return to_hex(digest);
}

std::string sha256_hex(std::string_view bytes) {
  return sha256_hex(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
}

std::string key_id(const PublicKey& key) { return sha256_hex(std::span<const std::uint8_t>(key)).substr(0, 16); }

Result<PublicKey> parse_public_key(std::string_view hex) {
  EDGEAI_ASSIGN_OR_RETURN(std::vector<std::uint8_t> bytes, from_hex(hex));
  if (bytes.size() != 32) return invalid_argument("a public key is 32 bytes, got ", bytes.size());
  PublicKey key;
  std::copy(bytes.begin(), bytes.end(), key.begin());
  return key;
}

Status write_key_files(const std::string& prefix, const KeyPair& keys) {
  const std::string secret = prefix + ".key", public_path = prefix + ".pub";
  // O_EXCL: an existing key is never overwritten; 0600: only its owner reads the secret.
  const int fd = ::open(secret.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0) {
    return io_error(secret, ": ",
                    errno == EEXIST ? "exists already (keys are never overwritten)" : std::strerror(errno));
  }
  const std::string text = to_hex(keys.secret_key) + "\n";
  const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!written) return io_error(secret, ": could not write the key");
  std::ofstream pub(public_path, std::ios::trunc);
  pub << to_hex(keys.public_key) << "\n";
  pub.close();
  if (!pub) return io_error(public_path, ": could not write the public key");
  return Status::ok();
}

Result<KeyPair> read_secret_key_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return io_error(path, ": cannot open the secret key");
  std::string hex;
  in >> hex;
  EDGEAI_ASSIGN_OR_RETURN(std::vector<std::uint8_t> bytes, from_hex(hex));
  if (bytes.size() != 64) return invalid_argument(path, ": not an Ed25519 secret key (", bytes.size(), " bytes)");
  KeyPair keys;
  std::copy(bytes.begin(), bytes.end(), keys.secret_key.begin());
  if (!sodium_ready() || crypto_sign_ed25519_sk_to_pk(keys.public_key.data(), keys.secret_key.data()) != 0) {
    return internal_error("libsodium failed");
  }
  return keys;
}

Result<PublicKey> read_public_key_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return io_error(path, ": cannot open the public key");
  std::string hex;
  in >> hex;
  Result<PublicKey> key = parse_public_key(hex);
  if (!key.is_ok()) return invalid_argument(path, ": ", key.status().message());
  return key;
}

std::string sign_envelope(std::string_view payload_type, std::string_view payload,
                          std::span<const KeyPair* const> signers) {
  const std::string message = pae(payload_type, payload);
  json sigs = json::array();
  for (const KeyPair* keys : signers) {
    std::array<std::uint8_t, crypto_sign_BYTES> sig{};
    if (sodium_ready()) {
      crypto_sign_detached(sig.data(), nullptr, reinterpret_cast<const unsigned char*>(message.data()), message.size(),
                           keys->secret_key.data());
    }
    sigs.push_back(json{{"keyid", key_id(keys->public_key)}, {"sig", to_hex(sig)}});
  }
  return json_fields::to_text(json{{"payload_type", payload_type}, {"payload", payload}, {"signatures", sigs}});
}

Result<Envelope> parse_envelope(std::string_view text) {
  EDGEAI_ASSIGN_OR_RETURN(json j, parse_object(text, "signed envelope"));
  Envelope envelope;
  EDGEAI_ASSIGN_OR_RETURN(envelope.payload_type, get_string(j, "payload_type"));
  EDGEAI_ASSIGN_OR_RETURN(envelope.payload, get_string(j, "payload"));
  auto sigs = j.find("signatures");
  if (sigs == j.end() || !sigs->is_array()) return invalid_argument("signed envelope: no signatures array");
  for (const json& s : *sigs) {
    if (!s.is_object()) return invalid_argument("signed envelope: a signature is not an object");
    EDGEAI_ASSIGN_OR_RETURN(std::string id, get_string(s, "keyid"));
    EDGEAI_ASSIGN_OR_RETURN(std::string hex, get_string(s, "sig"));
    EDGEAI_ASSIGN_OR_RETURN(std::vector<std::uint8_t> sig, from_hex(hex));
    envelope.signatures.emplace_back(std::move(id), std::move(sig));
  }
  return envelope;
}

int valid_signatures(const Envelope& envelope, const std::map<std::string, PublicKey>& keys,
                     const std::vector<std::string>& keyids) {
  if (!sodium_ready()) return 0;
  const std::string message = pae(envelope.payload_type, envelope.payload);
  std::set<std::string> counted;
  for (const auto& [id, sig] : envelope.signatures) {
    if (sig.size() != crypto_sign_BYTES || counted.count(id) != 0) continue;
    if (std::find(keyids.begin(), keyids.end(), id) == keyids.end()) continue;
    auto key = keys.find(id);
    if (key == keys.end()) continue;
    if (crypto_sign_verify_detached(sig.data(), reinterpret_cast<const unsigned char*>(message.data()), message.size(),
                                    key->second.data()) == 0) {
      counted.insert(id);
    }
  }
  return static_cast<int>(counted.size());
}

std::string root_to_json(const RootMetadata& root) {
  json keys = json::object();
  for (const auto& [id, key] : root.keys) keys[id] = to_hex(key);
  return json_fields::to_text(json{{"type", "root"},
                                   {"version", root.version},
                                   {"expires", root.expires},
                                   {"keys", keys},
                                   {"roles",
                                    {{"root", role_to_json(root.root)},
                                     {"targets", role_to_json(root.targets)},
                                     {"timestamp", role_to_json(root.timestamp)}}}});
}

Result<RootMetadata> root_from_json(std::string_view text) {
  EDGEAI_ASSIGN_OR_RETURN(json j, parse_object(text, "root"));
  RootMetadata root;
  EDGEAI_RETURN_IF_ERROR(check_head(j, "root", root.version, root.expires));
  auto keys = j.find("keys");
  if (keys == j.end() || !keys->is_object()) return invalid_argument("root: no keys");
  for (auto it = keys->begin(); it != keys->end(); ++it) {
    if (!it.value().is_string()) return invalid_argument("root: key '", it.key(), "' is not hex text");
    EDGEAI_ASSIGN_OR_RETURN(PublicKey key, parse_public_key(it.value().get<std::string>()));
    if (key_id(key) != it.key()) return invalid_argument("root: key '", it.key(), "' does not match its id");
    root.keys[it.key()] = key;
  }
  auto roles = j.find("roles");
  if (roles == j.end() || !roles->is_object()) return invalid_argument("root: no roles");
  EDGEAI_ASSIGN_OR_RETURN(root.root, role_from_json(*roles, "root"));
  EDGEAI_ASSIGN_OR_RETURN(root.targets, role_from_json(*roles, "targets"));
  EDGEAI_ASSIGN_OR_RETURN(root.timestamp, role_from_json(*roles, "timestamp"));
  return root;
}

std::string targets_to_json(const TargetsMetadata& targets) {
  json list = json::array();
  for (const TargetInfo& t : targets.targets) {
    list.push_back(json{{"name", t.name},
                        {"version", t.version},
                        {"sha256", t.sha256},
                        {"size", t.size},
                        {"device_group", t.device_group},
                        {"release_counter", t.release_counter},
                        {"downgrade", t.downgrade}});
  }
  return json_fields::to_text(
      json{{"type", "targets"}, {"version", targets.version}, {"expires", targets.expires}, {"targets", list}});
}

Result<TargetsMetadata> targets_from_json(std::string_view text) {
  EDGEAI_ASSIGN_OR_RETURN(json j, parse_object(text, "targets"));
  TargetsMetadata targets;
  EDGEAI_RETURN_IF_ERROR(check_head(j, "targets", targets.version, targets.expires));
  auto list = j.find("targets");
  if (list == j.end() || !list->is_array()) return invalid_argument("targets: no targets array");
  for (const json& item : *list) {
    if (!item.is_object()) return invalid_argument("targets: an entry is not an object");
    TargetInfo t;
    EDGEAI_ASSIGN_OR_RETURN(t.name, get_string(item, "name"));
    if (!is_safe_target_name(t.name)) return invalid_argument("targets: unsafe name '", t.name, "'");
    EDGEAI_ASSIGN_OR_RETURN(t.version, get_string(item, "version"));
    if (!is_semver(t.version))
      return invalid_argument("targets: '", t.name, "' version '", t.version, "' is not semver");
    EDGEAI_ASSIGN_OR_RETURN(t.sha256, get_string(item, "sha256"));
    if (t.sha256.size() != 64 || !from_hex(t.sha256).is_ok()) return invalid_argument("targets: '", t.name, "' sha256");
    EDGEAI_ASSIGN_OR_RETURN(t.size, get_int(item, "size"));
    if (t.size < 0) return invalid_argument("targets: '", t.name, "' negative size");
    EDGEAI_ASSIGN_OR_RETURN(t.device_group, get_string(item, "device_group"));
    EDGEAI_ASSIGN_OR_RETURN(t.release_counter, get_int(item, "release_counter"));
    t.downgrade = json_fields::get_bool_or_false(item, "downgrade");
    targets.targets.push_back(std::move(t));
  }
  return targets;
}

std::string timestamp_to_json(const TimestampMetadata& timestamp) {
  return json_fields::to_text(json{{"type", "timestamp"},
                                   {"version", timestamp.version},
                                   {"expires", timestamp.expires},
                                   {"targets_version", timestamp.targets_version},
                                   {"targets_sha256", timestamp.targets_sha256}});
}

Result<TimestampMetadata> timestamp_from_json(std::string_view text) {
  EDGEAI_ASSIGN_OR_RETURN(json j, parse_object(text, "timestamp"));
  TimestampMetadata timestamp;
  EDGEAI_RETURN_IF_ERROR(check_head(j, "timestamp", timestamp.version, timestamp.expires));
  EDGEAI_ASSIGN_OR_RETURN(timestamp.targets_version, get_int(j, "targets_version"));
  EDGEAI_ASSIGN_OR_RETURN(timestamp.targets_sha256, get_string(j, "targets_sha256"));
  return timestamp;
}

Result<std::int64_t> parse_utc(std::string_view text) {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  char tail = 0;
  const std::string s(text);
  if (s.size() != 20 ||
      std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%c", &year, &month, &day, &hour, &minute, &second, &tail) != 7 ||
      tail != 'Z' || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    return invalid_argument("'", text, "' is not an ISO-8601 UTC time like 2030-01-01T00:00:00Z");
  }
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  return static_cast<std::int64_t>(timegm(&tm));
}

std::string format_utc(std::int64_t seconds) {
  const std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

bool is_safe_target_name(std::string_view name) {
  if (name.empty() || name.size() > 128 || name.front() == '.') return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
           c == '_';
  });
}

Status TrustState::update_root(std::string_view envelope_json, std::int64_t now) {
  EDGEAI_ASSIGN_OR_RETURN(Envelope envelope, verified(envelope_json, kRootType, root_, root_.root, "new root"));
  EDGEAI_ASSIGN_OR_RETURN(RootMetadata next, root_from_json(envelope.payload));
  if (next.version != root_.version + 1) {
    return failed_precondition("new root: version ", next.version, " after ", root_.version, " (must be the next)");
  }
  if (valid_signatures(envelope, next.keys, next.root.keyids) < next.root.threshold) {
    return data_loss("new root: not signed by its own root keys");
  }
  EDGEAI_RETURN_IF_ERROR(check_not_expired(next.expires, now, "new root"));
  root_ = std::move(next);
  return Status::ok();
}

Result<TimestampMetadata> TrustState::verify_timestamp(std::string_view envelope_json, std::int64_t now) {
  EDGEAI_RETURN_IF_ERROR(check_not_expired(root_.expires, now, "root"));
  EDGEAI_ASSIGN_OR_RETURN(Envelope envelope,
                          verified(envelope_json, kTimestampType, root_, root_.timestamp, "timestamp"));
  EDGEAI_ASSIGN_OR_RETURN(TimestampMetadata timestamp, timestamp_from_json(envelope.payload));
  if (timestamp.version < timestamp_version_) {
    return failed_precondition("timestamp: version ", timestamp.version, " is older than ", timestamp_version_,
                               ", seen before (replayed or frozen metadata)");
  }
  if (timestamp.targets_version < targets_version_) {
    return failed_precondition("timestamp: names targets version ", timestamp.targets_version, ", older than ",
                               targets_version_, " seen before");
  }
  EDGEAI_RETURN_IF_ERROR(check_not_expired(timestamp.expires, now, "timestamp"));
  timestamp_version_ = timestamp.version;
  return timestamp;
}

Result<TargetsMetadata> TrustState::verify_targets(std::string_view envelope_json, const TimestampMetadata& timestamp,
                                                   std::int64_t now) {
  if (sha256_hex(envelope_json) != timestamp.targets_sha256) {
    return data_loss("targets: sha256 differs from the one the timestamp signs");
  }
  EDGEAI_ASSIGN_OR_RETURN(Envelope envelope, verified(envelope_json, kTargetsType, root_, root_.targets, "targets"));
  EDGEAI_ASSIGN_OR_RETURN(TargetsMetadata targets, targets_from_json(envelope.payload));
  if (targets.version != timestamp.targets_version) {
    return failed_precondition("targets: version ", targets.version, ", the timestamp names ",
                               timestamp.targets_version);
  }
  if (targets.version < targets_version_) {
    return failed_precondition("targets: version ", targets.version, " is older than ", targets_version_,
                               " seen before");
  }
  EDGEAI_RETURN_IF_ERROR(check_not_expired(targets.expires, now, "targets"));
  targets_version_ = targets.version;
  return targets;
}

Status check_install(const TargetInfo& target, std::string_view device_group, std::string_view installed_version,
                     std::int64_t installed_counter) {
  if (target.device_group != device_group) {
    return failed_precondition("'", target.name, "' ", target.version, " is for device group '", target.device_group,
                               "', this device is in '", device_group, "'");
  }
  if (target.release_counter < installed_counter) {
    return failed_precondition("'", target.name, "' ", target.version, ": release counter ", target.release_counter,
                               " is below the installed ", installed_counter, " (rollback)");
  }
  if (!installed_version.empty()) {
    EDGEAI_ASSIGN_OR_RETURN(SemVer next, parse_semver(target.version));
    EDGEAI_ASSIGN_OR_RETURN(SemVer current, parse_semver(installed_version));
    if (compare_semver(next, current) <= 0 && !target.downgrade) {
      return failed_precondition("'", target.name, "' ", target.version, " is not newer than the installed ",
                                 installed_version, " and the publisher did not sign a downgrade (rollback)");
    }
  }
  return Status::ok();
}

Status check_download_size(const TargetInfo& target, std::int64_t received) {
  if (received > target.size) {
    return out_of_range("'", target.name, "' download: ", received, " bytes, more than the signed ", target.size);
  }
  return Status::ok();
}

Status check_download_hash(const TargetInfo& target, std::span<const std::uint8_t> bundle) {
  if (static_cast<std::int64_t>(bundle.size()) != target.size) {
    return data_loss("'", target.name, "': ", bundle.size(), " bytes, the signed size is ", target.size);
  }
  if (sha256_hex(bundle) != target.sha256) return data_loss("'", target.name, "': sha256 differs from the signed one");
  return Status::ok();
}

}  // namespace edgeai
