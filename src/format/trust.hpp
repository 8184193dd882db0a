// OTA trust (docs/formats/trust.md): Ed25519 keys (libsodium), signed metadata and the checks a
// device makes before it installs a bundle. The roles follow TUF (The Update Framework):
//  - root: the keys of every role and how many signatures each needs; pinned on the device at
//    enrollment; replaced only by a newer root that the current one's keys sign;
//  - targets: per bundle its name, version, sha256, size, device group and release counter,
//    signed by the offline release key;
//  - timestamp: short-lived, signed by the server's online key: which targets version is current
//    (its sha256), so that a device notices replayed or frozen metadata.
// Metadata travels as a signed envelope (after DSSE, in-toto's "Dead Simple Signing Envelope"):
// the payload's exact bytes are signed, so no canonical JSON is needed:
//   {"payload_type": "...", "payload": "<JSON text>", "signatures": [{"keyid": "<hex>", "sig": "<hex>"}]}
// Everything here reports errors as values; nothing throws.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.hpp"

namespace edgeai {

using PublicKey = std::array<std::uint8_t, 32>;
using SecretKey = std::array<std::uint8_t, 64>;  // libsodium's: seed then public key

struct KeyPair {
  PublicKey public_key{};
  SecretKey secret_key{};
};

KeyPair generate_key_pair();
// The first 8 bytes of SHA-256 of the public key, in hex: how metadata names a key.
std::string key_id(const PublicKey& key);
std::string to_hex(std::span<const std::uint8_t> bytes);
Result<std::vector<std::uint8_t>> from_hex(std::string_view hex);
std::string sha256_hex(std::span<const std::uint8_t> bytes);
std::string sha256_hex(std::string_view bytes);

// Key files: PREFIX.key (the secret key in hex, created 0600, never overwritten) and PREFIX.pub.
Status write_key_files(const std::string& prefix, const KeyPair& keys);
Result<KeyPair> read_secret_key_file(const std::string& path);
Result<PublicKey> read_public_key_file(const std::string& path);
Result<PublicKey> parse_public_key(std::string_view hex);

// Payload types of the three roles.
inline constexpr std::string_view kRootType = "application/vnd.edgeai.root+json";
inline constexpr std::string_view kTargetsType = "application/vnd.edgeai.targets+json";
inline constexpr std::string_view kTimestampType = "application/vnd.edgeai.timestamp+json";

struct Envelope {
  std::string payload_type;
  std::string payload;
  std::vector<std::pair<std::string, std::vector<std::uint8_t>>> signatures;  // (keyid, signature)
};

// The envelope of `payload`, signed by each of `signers`, as JSON text.
std::string sign_envelope(std::string_view payload_type, std::string_view payload,
                          std::span<const KeyPair* const> signers);
Result<Envelope> parse_envelope(std::string_view json);
// Distinct keys among `keyids` (ids into `keys`) whose signature over the envelope verifies.
int valid_signatures(const Envelope& envelope, const std::map<std::string, PublicKey>& keys,
                     const std::vector<std::string>& keyids);

struct RoleKeys {
  std::vector<std::string> keyids;
  int threshold = 1;
};

struct RootMetadata {
  std::int64_t version = 1;
  std::string expires;                    // ISO-8601 UTC, "2030-01-01T00:00:00Z"
  std::map<std::string, PublicKey> keys;  // by key_id
  RoleKeys root, targets, timestamp;
};

struct TargetInfo {
  std::string name;                  // bundle name: letters, digits, '.', '-', '_' only
  std::string version;               // semantic version
  std::string sha256;                // of the whole bundle file, hex
  std::int64_t size = 0;             // bytes of the bundle file: a download may not exceed it
  std::string device_group;          // who may install it
  std::int64_t release_counter = 0;  // monotonic per device: a device never installs a lower one
  bool downgrade = false;            // the publisher allows installing over a higher version
};

struct TargetsMetadata {
  std::int64_t version = 1;
  std::string expires;
  std::vector<TargetInfo> targets;
};

struct TimestampMetadata {
  std::int64_t version = 1;
  std::string expires;
  std::int64_t targets_version = 0;
  std::string targets_sha256;  // of the targets envelope's exact bytes
};

std::string root_to_json(const RootMetadata& root);
std::string targets_to_json(const TargetsMetadata& targets);
std::string timestamp_to_json(const TimestampMetadata& timestamp);
Result<RootMetadata> root_from_json(std::string_view json);
Result<TargetsMetadata> targets_from_json(std::string_view json);
Result<TimestampMetadata> timestamp_from_json(std::string_view json);

// Seconds since the epoch of an ISO-8601 UTC time "YYYY-MM-DDTHH:MM:SSZ".
Result<std::int64_t> parse_utc(std::string_view text);
std::string format_utc(std::int64_t seconds);
bool is_safe_target_name(std::string_view name);

// What a device trusts and has seen. Each check returns an error that names the reason, and
// leaves the state as it was; only what verified moves it forward.
class TrustState {
 public:
  explicit TrustState(RootMetadata root) : root_(std::move(root)) {}

  const RootMetadata& root() const { return root_; }
  std::int64_t newest_timestamp_version() const { return timestamp_version_; }
  std::int64_t newest_targets_version() const { return targets_version_; }
  // For a device restarting from its journal: the newest versions it had seen.
  void restore_seen(std::int64_t timestamp_version, std::int64_t targets_version) {
    timestamp_version_ = timestamp_version;
    targets_version_ = targets_version;
  }

  // Key rotation: a root of version + 1 signed by the current root role's threshold and by
  // its own root role's threshold.
  Status update_root(std::string_view envelope_json, std::int64_t now);
  // Signed by the timestamp role, not expired at `now`, not older than the newest seen.
  Result<TimestampMetadata> verify_timestamp(std::string_view envelope_json, std::int64_t now);
  // The targets envelope that `timestamp` names (its sha256 and version), signed by the targets
  // role, not expired, not older than the newest seen.
  Result<TargetsMetadata> verify_targets(std::string_view envelope_json, const TimestampMetadata& timestamp,
                                         std::int64_t now);

 private:
  RootMetadata root_;
  std::int64_t timestamp_version_ = 0;
  std::int64_t targets_version_ = 0;
};

// Whether a device of `device_group` with `installed_version` (empty: none) and release counter
// `installed_counter` may install `target`: its group, a higher version (or a signed downgrade),
// a release counter not below the installed one.
Status check_install(const TargetInfo& target, std::string_view device_group, std::string_view installed_version,
                     std::int64_t installed_counter);
// A download of `received` bytes so far against the signed size, then the signed hash.
Status check_download_size(const TargetInfo& target, std::int64_t received);
Status check_download_hash(const TargetInfo& target, std::span<const std::uint8_t> bundle);

}  // namespace edgeai
