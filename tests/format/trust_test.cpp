// OTA trust (format/trust.hpp): keys, signed envelopes, and each check a device makes: a
// tampered or wrongly signed document, a replayed or expired one, a rollback, a download past
// the signed size. Every rejection leaves the trust state as it was.
#include "format/trust.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <string>

namespace edgeai {
namespace {

constexpr std::int64_t kNow = 1800000000;  // 2027-01-15
const std::string kLater = "2030-01-01T00:00:00Z";

struct Keys {
  KeyPair root = generate_key_pair(), release = generate_key_pair(), online = generate_key_pair();
  KeyPair stranger = generate_key_pair();
};

RootMetadata make_root(const Keys& k, std::int64_t version = 1) {
  RootMetadata root;
  root.version = version;
  root.expires = kLater;
  for (const KeyPair* key : {&k.root, &k.release, &k.online}) root.keys[key_id(key->public_key)] = key->public_key;
  root.root.keyids = {key_id(k.root.public_key)};
  root.targets.keyids = {key_id(k.release.public_key)};
  root.timestamp.keyids = {key_id(k.online.public_key)};
  return root;
}

std::string sign(std::string_view type, const std::string& payload, std::initializer_list<const KeyPair*> signers) {
  std::vector<const KeyPair*> list(signers);
  return sign_envelope(type, payload, list);
}

TargetInfo target(std::string version, std::int64_t counter = 1) {
  TargetInfo t;
  t.name = "detector";
  t.version = std::move(version);
  t.sha256 = sha256_hex(std::string_view("bundle bytes"));
  t.size = 12;
  t.device_group = "line-1";
  t.release_counter = counter;
  return t;
}

std::string targets_envelope(const Keys& k, std::int64_t version, const KeyPair* signer = nullptr,
                             std::string expires = kLater) {
  TargetsMetadata targets;
  targets.version = version;
  targets.expires = std::move(expires);
  targets.targets = {target("1.2.0")};
  return sign(kTargetsType, targets_to_json(targets), {signer != nullptr ? signer : &k.release});
}

std::string timestamp_envelope(const Keys& k, std::int64_t version, const std::string& targets_json,
                               std::int64_t targets_version, std::string expires = kLater,
                               const KeyPair* signer = nullptr) {
  TimestampMetadata ts;
  ts.version = version;
  ts.expires = std::move(expires);
  ts.targets_version = targets_version;
  ts.targets_sha256 = sha256_hex(targets_json);
  return sign(kTimestampType, timestamp_to_json(ts), {signer != nullptr ? signer : &k.online});
}

TEST(Trust, KeyFilesRoundTripAreOwnerOnlyAndNeverOverwritten) {
  const std::string dir = ::testing::TempDir() + "trust_keys_" + std::to_string(::getpid());
  std::filesystem::create_directories(dir);
  const KeyPair keys = generate_key_pair();
  ASSERT_TRUE(write_key_files(dir + "/release", keys).is_ok());
  struct stat st {};
  ASSERT_EQ(::stat((dir + "/release.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto secret = read_secret_key_file(dir + "/release.key");
  auto pub = read_public_key_file(dir + "/release.pub");
  ASSERT_TRUE(secret.is_ok() && pub.is_ok());
  EXPECT_EQ(secret->secret_key, keys.secret_key);
  EXPECT_EQ(secret->public_key, keys.public_key);  // derived from the secret key
  EXPECT_EQ(*pub, keys.public_key);
  const Status again = write_key_files(dir + "/release", generate_key_pair());
  EXPECT_FALSE(again.is_ok());
  EXPECT_NE(again.message().find("never overwritten"), std::string::npos) << again.to_string();
  EXPECT_EQ(read_secret_key_file(dir + "/release.key")->secret_key, keys.secret_key);
  std::FILE* bad = std::fopen((dir + "/bad.pub").c_str(), "w");
  std::fputs("abcd\n", bad);
  std::fclose(bad);
  EXPECT_FALSE(read_public_key_file(dir + "/bad.pub").is_ok());
  std::filesystem::remove_all(dir);
}

TEST(Trust, EnvelopeSignaturesCountOnlyTrustedKeysOverTheExactBytes) {
  Keys k;
  const RootMetadata root = make_root(k);
  const std::string payload = R"({"hello":"world"})";
  auto ok = parse_envelope(sign(kTargetsType, payload, {&k.release, &k.release, &k.stranger}));
  ASSERT_TRUE(ok.is_ok()) << ok.status().to_string();
  EXPECT_EQ(valid_signatures(*ok, root.keys, root.targets.keyids), 1);    // the same key twice counts once
  EXPECT_EQ(valid_signatures(*ok, root.keys, root.timestamp.keyids), 0);  // not that role's key
  Envelope flipped = *ok;
  flipped.payload[3] ^= 1;
  EXPECT_EQ(valid_signatures(flipped, root.keys, root.targets.keyids), 0);
  Envelope retyped = *ok;
  retyped.payload_type = std::string(kTimestampType);
  EXPECT_EQ(valid_signatures(retyped, root.keys, root.targets.keyids), 0);
  for (const char* bad : {"", "[]", "{", R"({"payload_type":"x","payload":"y"})",
                          R"({"payload_type":"x","payload":"y","signatures":[{"keyid":"a","sig":"zz"}]})"}) {
    EXPECT_FALSE(parse_envelope(bad).is_ok()) << bad;
  }
}

TEST(Trust, TimestampAndTargetsVerifyAndRejectEachAttack) {
  Keys k;
  TrustState state(make_root(k));
  const std::string targets3 = targets_envelope(k, 3);
  const std::string ts5 = timestamp_envelope(k, 5, targets3, 3);
  auto ts = state.verify_timestamp(ts5, kNow);
  ASSERT_TRUE(ts.is_ok()) << ts.status().to_string();
  auto targets = state.verify_targets(targets3, *ts, kNow);
  ASSERT_TRUE(targets.is_ok()) << targets.status().to_string();
  EXPECT_EQ(targets->targets.at(0).version, "1.2.0");
  EXPECT_EQ(state.newest_timestamp_version(), 5);
  EXPECT_EQ(state.newest_targets_version(), 3);

  struct Case {
    const char* what;
    Status status;
    StatusCode code;
  };
  std::string tampered = ts5;
  tampered[tampered.find("\\\"version\\\":5") + 12] = '6';  // the payload says version 6 now
  const std::string older_targets = targets_envelope(k, 2);
  const std::vector<Case> cases = {
      {"timestamp signed by a stranger",
       state.verify_timestamp(timestamp_envelope(k, 6, targets3, 3, kLater, &k.stranger), kNow).status(),
       StatusCode::kDataLoss},
      {"timestamp signed by the release key (wrong role)",
       state.verify_timestamp(timestamp_envelope(k, 6, targets3, 3, kLater, &k.release), kNow).status(),
       StatusCode::kDataLoss},
      {"timestamp with a flipped byte", state.verify_timestamp(tampered, kNow).status(), StatusCode::kDataLoss},
      {"replayed older timestamp", state.verify_timestamp(timestamp_envelope(k, 4, targets3, 3), kNow).status(),
       StatusCode::kFailedPrecondition},
      {"expired timestamp",
       state.verify_timestamp(timestamp_envelope(k, 7, targets3, 3, format_utc(kNow - 1)), kNow).status(),
       StatusCode::kFailedPrecondition},
      {"timestamp naming older targets",
       state.verify_timestamp(timestamp_envelope(k, 8, older_targets, 2), kNow).status(),
       StatusCode::kFailedPrecondition},
      {"targets not the ones the timestamp signs",
       state.verify_targets(targets_envelope(k, 3, nullptr, "2031-01-01T00:00:00Z"), *ts, kNow).status(),
       StatusCode::kDataLoss},
      {"targets signed by the online key",
       [&] {
         const std::string forged = targets_envelope(k, 4, &k.online);
         TrustState fresh(make_root(k));
         auto t = fresh.verify_timestamp(timestamp_envelope(k, 1, forged, 4), kNow);
         return t.is_ok() ? fresh.verify_targets(forged, *t, kNow).status() : t.status();
       }(),
       StatusCode::kDataLoss},
      {"expired targets",
       [&] {
         const std::string stale = targets_envelope(k, 4, nullptr, format_utc(kNow - 10));
         TrustState fresh(make_root(k));
         auto t = fresh.verify_timestamp(timestamp_envelope(k, 1, stale, 4), kNow);
         return t.is_ok() ? fresh.verify_targets(stale, *t, kNow).status() : t.status();
       }(),
       StatusCode::kFailedPrecondition},
      {"malformed envelope", state.verify_timestamp("{\"payload_type\": 3}", kNow).status(),
       StatusCode::kInvalidArgument},
  };
  for (const Case& c : cases) {
    std::printf("  %-48s -> %s\n", c.what, c.status.to_string().c_str());
    EXPECT_EQ(c.status.code(), c.code) << c.what << ": " << c.status.to_string();
  }
  // Nothing that failed moved the state.
  EXPECT_EQ(state.newest_timestamp_version(), 5);
  EXPECT_EQ(state.newest_targets_version(), 3);
}

TEST(Trust, RootRotatesOnlyToTheNextVersionSignedByOldAndNew) {
  Keys k;
  TrustState state(make_root(k));
  Keys next_keys;
  RootMetadata next = make_root(next_keys, 2);
  const std::string payload = root_to_json(next);
  EXPECT_EQ(state.update_root(sign(kRootType, payload, {&next_keys.root}), kNow).code(), StatusCode::kDataLoss)
      << "signed by the new keys alone";
  EXPECT_EQ(state.update_root(sign(kRootType, payload, {&k.root}), kNow).code(), StatusCode::kDataLoss)
      << "not signed by its own keys";
  RootMetadata skipping = make_root(next_keys, 3);
  EXPECT_EQ(state.update_root(sign(kRootType, root_to_json(skipping), {&k.root, &next_keys.root}), kNow).code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(state.root().version, 1);
  ASSERT_TRUE(state.update_root(sign(kRootType, payload, {&k.root, &next_keys.root}), kNow).is_ok());
  EXPECT_EQ(state.root().version, 2);
  // The old online key is no longer trusted; the new one is.
  const std::string targets = targets_envelope(next_keys, 1);
  EXPECT_EQ(state.verify_timestamp(timestamp_envelope(k, 1, targets, 1), kNow).status().code(), StatusCode::kDataLoss);
  EXPECT_TRUE(state.verify_timestamp(timestamp_envelope(next_keys, 1, targets, 1), kNow).is_ok());
}

TEST(Trust, InstallChecksGroupVersionCounterAndDownloads) {
  EXPECT_TRUE(check_install(target("1.2.0", 5), "line-1", "1.1.9", 5).is_ok());
  EXPECT_TRUE(check_install(target("1.2.0", 1), "line-1", "", 0).is_ok());
  EXPECT_EQ(check_install(target("1.2.0"), "line-2", "1.0.0", 0).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(check_install(target("1.1.0"), "line-1", "1.2.0", 0).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(check_install(target("1.2.0"), "line-1", "1.2.0", 0).code(), StatusCode::kFailedPrecondition);
  TargetInfo downgrade = target("1.1.0", 7);
  downgrade.downgrade = true;
  EXPECT_TRUE(check_install(downgrade, "line-1", "1.2.0", 6).is_ok());
  EXPECT_EQ(check_install(downgrade, "line-1", "1.2.0", 8).code(), StatusCode::kFailedPrecondition)
      << "a signed downgrade still may not lower the release counter";
  const TargetInfo t = target("1.2.0");
  EXPECT_TRUE(check_download_size(t, 12).is_ok());
  EXPECT_EQ(check_download_size(t, 13).code(), StatusCode::kOutOfRange);
  std::string bytes = "bundle bytes";
  const auto span = [](const std::string& s) {
    return std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
  };
  EXPECT_TRUE(check_download_hash(t, span(bytes)).is_ok());
  bytes[0] ^= 1;
  EXPECT_EQ(check_download_hash(t, span(bytes)).code(), StatusCode::kDataLoss);
  EXPECT_EQ(check_download_hash(t, span("bundle byte")).code(), StatusCode::kDataLoss);
}

TEST(Trust, MetadataRoundTripsAndRejectsUnsafeFields) {
  Keys k;
  const RootMetadata root = make_root(k);
  auto back = root_from_json(root_to_json(root));
  ASSERT_TRUE(back.is_ok()) << back.status().to_string();
  EXPECT_EQ(back->keys, root.keys);
  EXPECT_EQ(back->targets.keyids, root.targets.keyids);
  TargetsMetadata targets;
  targets.expires = kLater;
  targets.targets = {target("2.0.0-rc.1", 9)};
  auto t = targets_from_json(targets_to_json(targets));
  ASSERT_TRUE(t.is_ok()) << t.status().to_string();
  EXPECT_EQ(t->targets.at(0).release_counter, 9);
  for (const char* name : {"../etc/passwd", "a/b", "", ".hidden", "x y"}) {
    targets.targets[0].name = name;
    EXPECT_FALSE(targets_from_json(targets_to_json(targets)).is_ok()) << name;
  }
  targets.targets[0].name = "ok";
  targets.targets[0].version = "v1";
  EXPECT_FALSE(targets_from_json(targets_to_json(targets)).is_ok());
  // A root whose key does not match its id, or whose thresholds cannot be met.
  RootMetadata renamed = root;
  renamed.keys.begin()->second = k.stranger.public_key;
  EXPECT_FALSE(root_from_json(root_to_json(renamed)).is_ok());
  for (const int threshold : {0, 2}) {
    RootMetadata unreachable = root;
    unreachable.timestamp.threshold = threshold;
    EXPECT_FALSE(root_from_json(root_to_json(unreachable)).is_ok()) << threshold;
  }
  TimestampMetadata zero;
  zero.version = 0;
  zero.expires = kLater;
  EXPECT_FALSE(timestamp_from_json(timestamp_to_json(zero)).is_ok());
  EXPECT_FALSE(targets_from_json(R"({"type":"timestamp","version":1,"expires":"2030-01-01T00:00:00Z"})").is_ok());
  EXPECT_EQ(parse_utc("2030-01-01T00:00:00Z").value(), 1893456000);
  EXPECT_EQ(format_utc(1893456000), "2030-01-01T00:00:00Z");
  for (const char* bad : {"2030-01-01", "2030-13-01T00:00:00Z", "2030-01-01T00:00:00+01:00", "x"}) {
    EXPECT_FALSE(parse_utc(bad).is_ok()) << bad;
  }
}

}  // namespace
}  // namespace edgeai
