// Model-aware deltas (format/delta.hpp): a retrain of one layer ships that layer, everything
// rebuilds byte for byte, and hostile deltas are refused.
#include "format/delta.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "format/bundle.hpp"
#include "format/trust.hpp"

namespace edgeai {
namespace {

namespace fs = std::filesystem;

// Three layers of weights (64 KiB each); `change` picks which get new values (bit i: layer i).
std::vector<std::uint8_t> bundle_file(unsigned change, unsigned seed, float nudge = 0.0f) {
  Bundle bundle;
  Graph& g = bundle.graph;
  g.name = "layers";
  g.inputs = {{"x", DType::kFloat32, {1, 128}}};
  g.outputs = {{"y", DType::kFloat32, {1, 128}}};
  std::vector<std::string> prev = {"x"};
  for (int layer = 0; layer < 3; ++layer) {
    std::mt19937 rng((change >> layer) & 1u ? seed * 7 + layer : 1000 + layer);
    std::normal_distribution<float> dist;
    std::vector<float> w(128 * 128);
    for (float& v : w) v = dist(rng);
    std::mt19937 noise(seed);  // fine-tuning: every weight moved a little
    for (float& v : w) v *= 1.0f + nudge * dist(noise);
    const std::string name = "w" + std::to_string(layer);
    g.constants[name] = Tensor::from_vector<float>({128, 128}, w);
    Node n;
    n.name = "mm" + std::to_string(layer);
    n.op_type = "MatMul";
    n.inputs = {prev[0], name};
    n.outputs = {layer == 2 ? "y" : "h" + std::to_string(layer)};
    prev = n.outputs;
    g.nodes.push_back(n);
  }
  bundle.manifest = default_manifest_for(g);
  bundle.manifest.name = "layers";
  bundle.manifest.version = "1.0." + std::to_string(seed);
  const std::string path =
      (fs::temp_directory_path() / ("edgeai_delta_" + std::to_string(::getpid()) + ".eai")).string();
  EXPECT_TRUE(write_bundle(bundle, path).is_ok());
  std::ifstream in(path, std::ios::binary);
  std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  fs::remove(path);
  return bytes;
}

TEST(Delta, ARetrainedLayerShipsThatLayerAndRebuildsExactly) {
  const std::vector<std::uint8_t> v1 = bundle_file(0, 1);
  auto regions = tensor_regions(v1);
  ASSERT_TRUE(regions.is_ok()) << regions.status().to_string();
  EXPECT_EQ(regions->size(), 3u);
  for (const TensorRegion& r : *regions) EXPECT_EQ(r.size, 128 * 128 * 4);

  const std::vector<std::uint8_t> head_only = bundle_file(0b100, 2);  // the last layer retrained
  DeltaStats stats;
  auto delta = make_delta(v1, head_only, &stats);
  ASSERT_TRUE(delta.is_ok()) << delta.status().to_string();
  std::printf("  one layer of three retrained: target %lld bytes, tensor delta %lld, patch %lld, chose %s\n",
              static_cast<long long>(stats.target_bytes), static_cast<long long>(stats.tensor_delta_bytes),
              static_cast<long long>(stats.patch_bytes), stats.chosen.c_str());
  EXPECT_EQ(stats.tensors_reused, 2);
  // Random weights do not compress: two thirds of the bundle need not travel, and each kind finds that.
  EXPECT_LT(stats.tensor_delta_bytes, stats.target_bytes / 2);
  EXPECT_LT(stats.patch_bytes, stats.target_bytes / 2);
  EXPECT_EQ(static_cast<std::int64_t>(delta->size()), std::min(stats.tensor_delta_bytes, stats.patch_bytes));
  for (const char* kind : {"", "tensors", "patch"}) {
    auto one = make_delta(v1, head_only, nullptr, kind);
    ASSERT_TRUE(one.is_ok()) << kind;
    auto rebuilt = apply_delta(v1, *one, 1 << 30);
    ASSERT_TRUE(rebuilt.is_ok()) << kind << ": " << rebuilt.status().to_string();
    EXPECT_EQ(*rebuilt, head_only) << kind;
  }

  const std::vector<std::uint8_t> all = bundle_file(0b111, 3);  // every layer retrained
  auto full = make_delta(v1, all, &stats);
  ASSERT_TRUE(full.is_ok());
  EXPECT_EQ(stats.tensors_reused, 0);
  auto rebuilt_all = apply_delta(v1, *full, 1 << 30);
  ASSERT_TRUE(rebuilt_all.is_ok()) << rebuilt_all.status().to_string();
  EXPECT_EQ(*rebuilt_all, all);
}

TEST(Delta, FineTunedWeightsTravelAsXorBytePlanes) {
  const std::vector<std::uint8_t> v1 = bundle_file(0, 1), tuned = bundle_file(0, 5, 1e-3f);
  DeltaStats stats;
  auto delta = make_delta(v1, tuned, &stats);
  ASSERT_TRUE(delta.is_ok()) << delta.status().to_string();
  std::printf("  every weight moved ~0.1%%: target %lld bytes, tensor delta %lld, patch %lld\n",
              static_cast<long long>(stats.target_bytes), static_cast<long long>(stats.tensor_delta_bytes),
              static_cast<long long>(stats.patch_bytes));
  EXPECT_EQ(stats.tensors_xored, 3);
  EXPECT_EQ(stats.chosen, "tensors");
  EXPECT_LT(stats.tensor_delta_bytes, stats.patch_bytes * 3 / 4);  // the planes' high bytes are nearly all zero
  auto rebuilt = apply_delta(v1, *delta, 1 << 30);
  ASSERT_TRUE(rebuilt.is_ok()) << rebuilt.status().to_string();
  EXPECT_EQ(*rebuilt, tuned);
}

TEST(Delta, HostileDeltasAreRefused) {
  const std::vector<std::uint8_t> v1 = bundle_file(0, 1), v2 = bundle_file(0b010, 2), other = bundle_file(0b001, 9);
  auto delta = make_delta(v1, v2, nullptr, "tensors");
  ASSERT_TRUE(delta.is_ok());
  EXPECT_EQ(apply_delta(other, *delta, 1 << 30).status().code(), StatusCode::kFailedPrecondition) << "another base";
  EXPECT_EQ(apply_delta(v1, *delta, 1000).status().code(), StatusCode::kOutOfRange) << "over the allowed size";
  std::vector<std::uint8_t> cut(delta->begin(), delta->begin() + static_cast<std::ptrdiff_t>(delta->size() - 10));
  EXPECT_EQ(apply_delta(v1, cut, 1 << 30).status().code(), StatusCode::kDataLoss);
  std::vector<std::uint8_t> flipped = *delta;
  flipped.back() ^= 0x40;
  EXPECT_FALSE(apply_delta(v1, flipped, 1 << 30).is_ok());
  // A forged header: a copy past the end of the base.
  std::string text(delta->begin(), delta->end());
  const std::size_t at = text.find("[0,");
  ASSERT_NE(at, std::string::npos);
  text.replace(at, 3, "[0,99999999");
  text.erase(at + 11, text.find(',', at + 11) - (at + 11));
  std::vector<std::uint8_t> forged(text.begin(), text.end());
  EXPECT_EQ(apply_delta(v1, forged, 1 << 30).status().code(), StatusCode::kDataLoss);
  auto patch = make_delta(v1, v2, nullptr, "patch");
  ASSERT_TRUE(patch.is_ok());
  EXPECT_EQ(apply_delta(other, *patch, 1 << 30).status().code(), StatusCode::kFailedPrecondition);
  std::vector<std::uint8_t> bad_patch = *patch;
  bad_patch[bad_patch.size() / 2 + 40] ^= 1;
  EXPECT_FALSE(apply_delta(v1, bad_patch, 1 << 30).is_ok());
  EXPECT_FALSE(make_delta(v1, v2, nullptr, "bsdiff").is_ok());
  for (const std::string& junk : {std::string(""), std::string("EAIDELTA1\n{]\n"), std::string("not a delta")}) {
    EXPECT_EQ(apply_delta(v1, std::vector<std::uint8_t>(junk.begin(), junk.end()), 1 << 30).status().code(),
              StatusCode::kDataLoss)
        << junk;
  }
}

}  // namespace
}  // namespace edgeai
