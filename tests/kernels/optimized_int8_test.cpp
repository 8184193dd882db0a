// Every optimised int8 kernel this CPU runs, against the reference kernel bit for bit
// (int8 paths are exact): QLinearConv on random shapes (1x1 read in place, padded taps,
// im2col, depthwise), int8 and uint8 activations, per-channel weight scales, fused Relu and
// Clip, with 1 and 3 threads; and the cases the optimised kernel declines.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "core/cpu_features.hpp"
#include "core/thread_pool.hpp"
#include "run_node.hpp"

namespace edgeai {
namespace {

using edgeai::testing::optimized_implementations;
using edgeai::testing::run_node;


struct QConvCase {
  std::int64_t n, c, h, w, m, group, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr;
  bool x_signed, y_signed, bias;
  int activation;  // 0 none, 1 Relu, 2 Clip
};

std::string describe(const QConvCase& k) {
  return str_cat("N", k.n, " C", k.c, " ", k.h, "x", k.w, " M", k.m, " group ", k.group, " kernel ", k.kh, "x", k.kw,
                 " stride ", k.sh, "x", k.sw, " dilation ", k.dh, "x", k.dw, " pads ", k.pt, ",", k.pl, ",", k.pb, ",",
                 k.pr, k.x_signed ? " x int8" : " x uint8", k.y_signed ? " y int8" : " y uint8",
                 k.bias ? " bias" : "", " activation ", k.activation);
}

template <typename T>
Tensor random_bytes(Shape shape, std::mt19937& rng) {
  std::int64_t count = 1;
  for (std::int64_t d : shape) count *= d;
  std::uniform_int_distribution<int> dist(std::numeric_limits<T>::min(), std::numeric_limits<T>::max());
  std::vector<T> v(static_cast<std::size_t>(count));
  for (T& x : v) x = static_cast<T>(dist(rng));
  return Tensor::from_vector<T>(std::move(shape), v);
}

// ties: power-of-two scales with x_scale * w_scale / y_scale = 1/2 or 1/4, so that many
// accumulators land exactly halfway between two outputs (rounding half to even decides).
// Runs `node` with the reference kernel and with every implementation in `impls` (on 3
// threads) and expects the same output bytes.
void expect_same_bytes_as_reference(const Node& node, const std::vector<Tensor>& inputs,
                                    const std::vector<bool>& constants, const std::vector<std::string>& impls,
                                    const std::string& what) {
  auto want = run_node(node, inputs, constants);
  ASSERT_TRUE(want.is_ok()) << what << ": " << want.status().to_string();
  for (const std::string& impl : impls) {
    ThreadPool pool(3);
    auto got = run_node(node, inputs, constants, impl, &pool);
    ASSERT_TRUE(got.is_ok()) << impl << " " << what << ": " << got.status().to_string();
    ASSERT_EQ((*got)[0].shape(), (*want)[0].shape()) << impl << " " << what;
    ASSERT_EQ((*got)[0].size_bytes(), (*want)[0].size_bytes());
    const auto* g = static_cast<const std::uint8_t*>((*got)[0].raw_data());
    const auto* e = static_cast<const std::uint8_t*>((*want)[0].raw_data());
    for (std::size_t j = 0; j < (*want)[0].size_bytes(); ++j) {
      ASSERT_EQ(g[j], e[j]) << impl << " " << what << " byte " << j;
    }
  }
}

// y_scale_divisor > 1 shrinks y_scale so that products of the accumulators and the scale run
// far past int32 (every output saturates): the kernels' other epilogue.
void check_qconv(const QConvCase& k, std::mt19937& rng, const std::vector<std::string>& impls, bool ties = false,
                 float y_scale_divisor = 1.0f) {
  std::uniform_real_distribution<float> unit(0.5f, 2.0f);
  const std::int64_t per_group = k.c / k.group;
  const std::int64_t fan_in = per_group * k.kh * k.kw;
  Tensor x = k.x_signed ? random_bytes<std::int8_t>({k.n, k.c, k.h, k.w}, rng)
                        : random_bytes<std::uint8_t>({k.n, k.c, k.h, k.w}, rng);
  Tensor x_zero = k.x_signed ? Tensor::from_values<std::int8_t>({}, {static_cast<std::int8_t>(static_cast<int>(rng() % 41) - 20)})
                             : Tensor::from_values<std::uint8_t>({}, {static_cast<std::uint8_t>(100 + rng() % 50)});
  Tensor w = random_bytes<std::int8_t>({k.m, per_group, k.kh, k.kw}, rng);
  if (ties) {  // weights in [-1, 1]: accumulators of a few hundred, halved -> in range, half of them ties
    for (std::int64_t i = 0; i < w.num_elements(); ++i) w.data<std::int8_t>()[i] = static_cast<std::int8_t>(w.data<std::int8_t>()[i] % 2);
  }
  std::vector<float> w_scales(static_cast<std::size_t>(k.m));
  for (float& s : w_scales) s = ties ? (rng() % 2 == 0 ? 1.0f / 64 : 1.0f / 128) : 0.01f * unit(rng);
  const float x_scale = ties ? 1.0f / 32 : 0.02f;
  // Outputs spread over the 8-bit range: |acc| ~ sqrt(fan_in) * 73^2.
  const float y_scale =
      (ties ? 1.0f / 1024 : x_scale * 0.01f * std::sqrt(static_cast<float>(fan_in)) * 5300.0f / 60.0f) / y_scale_divisor;
  Tensor y_zero = k.y_signed ? Tensor::from_values<std::int8_t>({}, {static_cast<std::int8_t>(static_cast<int>(rng() % 21) - 10)})
                             : Tensor::from_values<std::uint8_t>({}, {static_cast<std::uint8_t>(120 + rng() % 20)});
  std::vector<std::int32_t> bias(static_cast<std::size_t>(k.m));
  for (std::int32_t& b : bias) b = static_cast<std::int32_t>(rng() % 20001) - 10000;
  std::vector<Tensor> inputs = {x,
                                Tensor::from_values<float>({}, {x_scale}),
                                x_zero,
                                w,
                                Tensor::from_vector<float>({k.m}, w_scales),
                                Tensor::from_vector<std::int8_t>({k.m}, std::vector<std::int8_t>(static_cast<std::size_t>(k.m), 0)),
                                Tensor::from_values<float>({}, {y_scale}),
                                y_zero};
  if (k.bias) inputs.push_back(Tensor::from_vector<std::int32_t>({k.m}, bias));
  Node node;
  node.op_type = "QLinearConv";
  node.name = "qconv";
  node.attributes["kernel_shape"] = std::vector<std::int64_t>{k.kh, k.kw};
  node.attributes["strides"] = std::vector<std::int64_t>{k.sh, k.sw};
  node.attributes["dilations"] = std::vector<std::int64_t>{k.dh, k.dw};
  node.attributes["pads"] = std::vector<std::int64_t>{k.pt, k.pl, k.pb, k.pr};
  node.attributes["group"] = k.group;
  if (k.activation == 1) node.attributes["activation"] = std::string("Relu");
  if (k.activation == 2) {
    node.attributes["activation"] = std::string("Clip");
    node.attributes["activation_alpha"] = 0.0f;
    node.attributes["activation_beta"] = 6.0f * y_scale * 4.0f;
  }
  const std::vector<bool> constants = {false, true, true, true, true, true, true, true, true};
  auto want = run_node(node, inputs, constants);
  ASSERT_TRUE(want.is_ok()) << want.status().to_string();
  // The case must exercise the output range, not just one saturated value.
  std::vector<int> seen(256, 0);
  const auto* bytes = static_cast<const std::uint8_t*>((*want)[0].raw_data());
  for (std::int64_t i = 0; i < (*want)[0].num_elements(); ++i) seen[bytes[i]] = 1;
  if ((*want)[0].num_elements() > 200 && k.activation == 0 && !ties && y_scale_divisor == 1.0f) {
    EXPECT_GT(std::count(seen.begin(), seen.end(), 1), 20) << describe(k);
  }
  for (const std::string& impl : impls) {
    SCOPED_TRACE(impl + ": " + describe(k));
    auto got = run_node(node, inputs, constants, impl);
    ASSERT_TRUE(got.is_ok()) << got.status().to_string();
    ThreadPool pool(3);
    auto threaded = run_node(node, inputs, constants, impl, &pool);
    ASSERT_TRUE(threaded.is_ok()) << threaded.status().to_string();
    ASSERT_EQ((*got)[0].shape(), (*want)[0].shape());
    const auto* g = static_cast<const std::uint8_t*>((*got)[0].raw_data());
    const auto* t = static_cast<const std::uint8_t*>((*threaded)[0].raw_data());
    int bad = 0;
    for (std::int64_t i = 0; i < (*want)[0].num_elements() && bad < 5; ++i) {
      if (g[i] != bytes[i] || t[i] != bytes[i]) {
        ADD_FAILURE() << "element " << i << ": reference " << int(bytes[i]) << ", got " << int(g[i]) << ", 3 threads "
                      << int(t[i]);
        ++bad;
      }
    }
  }
}

TEST(OptimizedInt8Kernels, QLinearConvShapesOfMobileNets) {
  const auto impls = optimized_implementations("QLinearConv");
  const CpuFeatures& cpu = cpu_features();
  if ((cpu.avx512bw && cpu.avx512_vnni) || cpu.neon) {
    ASSERT_FALSE(impls.empty()) << cpu.describe();
  }
  // With the dot-product extension, both Arm kernels (sdot and widening multiplies) are tested.
  if (cpu.arm_dotprod) {
    EXPECT_EQ(impls.size(), 2u);
  }
  std::mt19937 rng(51);
  const std::vector<QConvCase> cases = {
      {1, 16, 28, 28, 96, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, true, true, true, 1},     // 1x1 expansion
      {1, 96, 14, 14, 24, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, true, true, true, 0},     // 1x1 projection
      {1, 3, 57, 57, 32, 1, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, true, true, true, 2},      // stem, padded taps
      {1, 96, 37, 37, 96, 96, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, true, true, true, 2},    // depthwise
      {1, 40, 29, 29, 40, 40, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, false, false, true, 1},  // depthwise stride 2, uint8
      {1, 24, 15, 15, 24, 24, 5, 5, 1, 1, 1, 1, 2, 2, 2, 2, true, false, false, 0},  // 5x5 depthwise
      {1, 64, 7, 7, 70, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, true, true, true, 1},       // short rows: im2col
      {2, 33, 9, 40, 17, 1, 3, 3, 1, 1, 2, 2, 2, 1, 0, 2, false, true, true, 0},     // dilation, batch 2
  };
  for (const QConvCase& k : cases) check_qconv(k, rng, impls);
}

TEST(OptimizedInt8Kernels, QLinearConvRoundsTiesToEvenLikeTheReference) {
  const auto impls = optimized_implementations("QLinearConv");
  std::mt19937 rng(54);
  // Small accumulators (one input channel, 1x1) so the halves are not all saturated.
  const std::vector<QConvCase> cases = {
      {1, 1, 6, 40, 9, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, true, true, false, 0},
      {1, 2, 6, 40, 5, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, false, true, false, 0},
      {1, 3, 6, 40, 3, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, true, true, false, 0},
  };
  for (const QConvCase& k : cases) check_qconv(k, rng, impls, true);
}

TEST(OptimizedInt8Kernels, QLinearConvProductsPastInt32SaturateLikeTheReference) {
  const auto impls = optimized_implementations("QLinearConv");
  std::mt19937 rng(56);
  const std::vector<QConvCase> cases = {
      {1, 64, 9, 11, 19, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, true, true, true, 0},     // 1x1, int8
      {1, 40, 7, 13, 9, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, false, false, true, 2},   // padded taps, uint8, Clip
      {1, 48, 12, 12, 48, 48, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, true, false, true, 1},  // depthwise, Relu
  };
  for (const QConvCase& k : cases) check_qconv(k, rng, impls, false, 1e9f);
}

TEST(OptimizedInt8Kernels, QLinearConvRandomShapes) {
  const auto impls = optimized_implementations("QLinearConv");
  std::mt19937 rng(52);
  auto pick = [&](std::int64_t lo, std::int64_t hi) { return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng); };
  for (int i = 0; i < 80; ++i) {
    QConvCase k{};
    k.n = pick(1, 2);
    k.kh = pick(1, 4);
    k.kw = pick(1, 4);
    k.sh = pick(1, 3);
    k.sw = pick(1, 3);
    k.dh = pick(1, 2);
    k.dw = pick(1, 2);
    k.pt = pick(0, k.kh - 1);
    k.pb = pick(0, k.kh - 1);
    k.pl = pick(0, k.kw - 1);
    k.pr = pick(0, k.kw - 1);
    k.h = pick(std::max<std::int64_t>(1, k.dh * (k.kh - 1) + 1 - k.pt - k.pb), 20);
    k.w = pick(std::max<std::int64_t>(1, k.dw * (k.kw - 1) + 1 - k.pl - k.pr), 70);
    if (pick(0, 2) == 0) {
      k.c = pick(1, 40);
      k.group = k.c;
      k.m = k.c;
    } else {
      k.group = 1;
      k.c = pick(1, 40);
      k.m = pick(1, 37);
    }
    k.x_signed = pick(0, 1) == 1;
    k.y_signed = pick(0, 1) == 1;
    k.bias = pick(0, 3) != 0;
    k.activation = static_cast<int>(pick(0, 2));
    check_qconv(k, rng, impls);
  }
}

TEST(OptimizedInt8Kernels, QLinearConv1dRunsAsHeightOne) {
  // The ECG models' convolutions: [N, C, L] with kernels [k], as 2-D ones of height 1. Checked
  // through the 2-D case generator by comparing a 1-D node with its reference directly.
  const auto impls = optimized_implementations("QLinearConv");
  std::mt19937 rng(55);
  for (int i = 0; i < 16; ++i) {
    const std::int64_t k = 1 + i % 7, s = 1 + i % 2, c = 1 + static_cast<std::int64_t>(rng() % 16);
    const std::int64_t group = i % 3 == 0 ? c : 1, m = group == 1 ? 1 + static_cast<std::int64_t>(rng() % 24) : c;
    const std::int64_t length = k + static_cast<std::int64_t>(rng() % 200);
    Tensor x = random_bytes<std::int8_t>({1, c, length}, rng);
    Tensor w = random_bytes<std::int8_t>({m, c / group, k}, rng);
    const float y_scale = 0.02f * 0.01f * std::sqrt(static_cast<float>(k * c / group)) * 90.0f;
    const std::vector<Tensor> inputs = {
        x, Tensor::from_values<float>({}, {0.02f}), Tensor::from_values<std::int8_t>({}, {3}), w,
        Tensor::from_vector<float>({m}, std::vector<float>(static_cast<std::size_t>(m), 0.01f)),
        Tensor::from_vector<std::int8_t>({m}, std::vector<std::int8_t>(static_cast<std::size_t>(m), 0)),
        Tensor::from_values<float>({}, {y_scale}), Tensor::from_values<std::int8_t>({}, {-2})};
    Node node;
    node.op_type = "QLinearConv";
    node.name = "qconv1d";
    node.attributes["kernel_shape"] = std::vector<std::int64_t>{k};
    node.attributes["strides"] = std::vector<std::int64_t>{s};
    node.attributes["pads"] = std::vector<std::int64_t>{k / 2, (k - 1) / 2};
    node.attributes["group"] = group;
    const std::vector<bool> constants = {false, true, true, true, true, true, true, true};
    auto want = run_node(node, inputs, constants);
    ASSERT_TRUE(want.is_ok()) << want.status().to_string();
    for (const std::string& impl : impls) {
      auto got = run_node(node, inputs, constants, impl);
      ASSERT_TRUE(got.is_ok()) << impl << ": " << got.status().to_string();
      ASSERT_EQ((*got)[0].shape(), (*want)[0].shape());
      const auto* g = static_cast<const std::uint8_t*>((*got)[0].raw_data());
      const auto* e = static_cast<const std::uint8_t*>((*want)[0].raw_data());
      for (std::int64_t j = 0; j < (*want)[0].num_elements(); ++j) ASSERT_EQ(g[j], e[j]) << impl << " case " << i;
    }
  }
}

TEST(OptimizedInt8Kernels, QuantizeLinearEqualsTheReference) {
  // Odd lengths, halves (ties to even), values past the range, NaN and infinities.
  std::mt19937 rng(61);
  const auto impls = optimized_implementations("QuantizeLinear");
  for (const bool is_signed : {true, false}) {
    for (const std::int64_t n : {1, 15, 17, 1000, 40001}) {
      std::uniform_real_distribution<float> dist(-3.0f, 3.0f);
      std::vector<float> v(static_cast<std::size_t>(n));
      const float special[] = {0.5f * 0.02f, 1.5f * 0.02f, -2.5f * 0.02f, 1e9f, -1e9f, std::nanf(""),
                               std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::infinity()};
      for (std::size_t i = 0; i < v.size(); ++i) v[i] = i % 5 == 0 ? special[i % 8] : dist(rng);
      Tensor zero = is_signed ? Tensor::from_values<std::int8_t>({}, {-3}) : Tensor::from_values<std::uint8_t>({}, {128});
      const std::vector<Tensor> inputs = {Tensor::from_vector<float>({n}, v), Tensor::from_values<float>({}, {0.02f}), zero};
      Node node;
      node.op_type = "QuantizeLinear";
      node.name = "q";
      auto want = run_node(node, inputs, {false, true, true});
      ASSERT_TRUE(want.is_ok()) << want.status().to_string();
      for (const std::string& impl : impls) {
        ThreadPool pool(2);
        auto got = run_node(node, inputs, {false, true, true}, impl, &pool);
        ASSERT_TRUE(got.is_ok()) << got.status().to_string();
        const auto* w = static_cast<const std::uint8_t*>((*want)[0].raw_data());
        const auto* g = static_cast<const std::uint8_t*>((*got)[0].raw_data());
        for (std::int64_t i = 0; i < n; ++i) ASSERT_EQ(g[i], w[i]) << impl << " x=" << v[static_cast<std::size_t>(i)];
      }
    }
  }
}

TEST(OptimizedInt8Kernels, QLinearAddEqualsTheReference) {
  std::mt19937 rng(62);
  const auto impls = optimized_implementations("QLinearAdd");
  for (int i = 0; i < 24; ++i) {
    const bool is_signed = i % 2 == 0;
    const std::int64_t n = 1 + static_cast<std::int64_t>(rng() % 3000);
    Tensor a = is_signed ? random_bytes<std::int8_t>({1, n}, rng) : random_bytes<std::uint8_t>({1, n}, rng);
    Tensor b = is_signed ? random_bytes<std::int8_t>({1, n}, rng) : random_bytes<std::uint8_t>({1, n}, rng);
    auto zero = [&](int v) {
      return is_signed ? Tensor::from_values<std::int8_t>({}, {static_cast<std::int8_t>(v - 128 + 100)})
                       : Tensor::from_values<std::uint8_t>({}, {static_cast<std::uint8_t>(v)});
    };
    // Scale ratios from 1/8 to 4, including equal scales (one numerator is the other).
    const float sa = 0.01f * static_cast<float>(1 + rng() % 8), sb = i % 3 == 0 ? sa : 0.01f * static_cast<float>(1 + rng() % 8);
    const float sc = 0.02f * static_cast<float>(1 + rng() % 4);
    const std::vector<Tensor> inputs = {a, Tensor::from_values<float>({}, {sa}), zero(static_cast<int>(rng() % 40) + 10),
                                        b, Tensor::from_values<float>({}, {sb}), zero(static_cast<int>(rng() % 40) + 10),
                                        Tensor::from_values<float>({}, {sc}), zero(static_cast<int>(rng() % 40) + 10)};
    Node node;
    node.op_type = "QLinearAdd";
    node.name = "add";
    if (i % 4 == 1) node.attributes["activation"] = std::string("Relu");
    const std::vector<bool> constants = {false, true, true, false, true, true, true, true};
    auto want = run_node(node, inputs, constants);
    ASSERT_TRUE(want.is_ok()) << want.status().to_string();
    for (const std::string& impl : impls) {
      ThreadPool pool(2);
      auto got = run_node(node, inputs, constants, impl, &pool);
      ASSERT_TRUE(got.is_ok()) << got.status().to_string();
      const auto* w = static_cast<const std::uint8_t*>((*want)[0].raw_data());
      const auto* g = static_cast<const std::uint8_t*>((*got)[0].raw_data());
      for (std::int64_t e = 0; e < n; ++e) ASSERT_EQ(g[e], w[e]) << impl << " case " << i << " element " << e;
    }
  }
}

TEST(OptimizedInt8Kernels, QGemmEqualsTheReference) {
  // Fully connected layers: 1 to 16 rows, K across the 64-byte padding, both transB, int8 and
  // uint8 activations, per-column weight scales, a C row, fused Relu.
  std::mt19937 rng(63);
  const auto impls = optimized_implementations("QGemm");
  const CpuFeatures& cpu = cpu_features();
  if (cpu.avx512bw && cpu.avx512_vnni) {
    ASSERT_FALSE(impls.empty());
  }
  for (int i = 0; i < 30; ++i) {
    const std::int64_t m = 1 + static_cast<std::int64_t>(rng() % (i % 3 == 0 ? 16 : 2));
    const std::int64_t k = 1 + static_cast<std::int64_t>(rng() % 300), n = 1 + static_cast<std::int64_t>(rng() % 70);
    const bool trans_b = i % 2 == 0, is_signed = i % 4 < 2;
    Tensor a = is_signed ? random_bytes<std::int8_t>({m, k}, rng) : random_bytes<std::uint8_t>({m, k}, rng);
    Tensor a_zero = is_signed ? Tensor::from_values<std::int8_t>({}, {5}) : Tensor::from_values<std::uint8_t>({}, {130});
    Tensor y_zero = is_signed ? Tensor::from_values<std::int8_t>({}, {-4}) : Tensor::from_values<std::uint8_t>({}, {120});
    std::vector<float> b_scales(static_cast<std::size_t>(n));
    for (float& v : b_scales) v = 0.005f + 0.001f * static_cast<float>(rng() % 10);
    std::vector<std::int32_t> c(static_cast<std::size_t>(n));
    for (std::int32_t& v : c) v = static_cast<std::int32_t>(rng() % 4001) - 2000;
    const float y_scale = 0.02f * 0.008f * std::sqrt(static_cast<float>(k)) * 90.0f;
    const std::vector<Tensor> inputs = {
        a, Tensor::from_values<float>({}, {0.02f}), a_zero,
        random_bytes<std::int8_t>(trans_b ? Shape{n, k} : Shape{k, n}, rng), Tensor::from_vector<float>({n}, b_scales),
        Tensor::from_vector<std::int8_t>({n}, std::vector<std::int8_t>(static_cast<std::size_t>(n), 0)),
        Tensor::from_vector<std::int32_t>({n}, c), Tensor::from_values<float>({}, {y_scale}), y_zero};
    Node node;
    node.op_type = "QGemm";
    node.name = "fc";
    node.attributes["transB"] = std::int64_t{trans_b};
    if (i % 5 == 1) node.attributes["activation"] = std::string("Relu");
    const std::vector<bool> constants = {false, true, true, true, true, true, true, true, true};
    expect_same_bytes_as_reference(node, inputs, constants, impls, str_cat("case ", i));
  }
}

TEST(OptimizedInt8Kernels, QLinearMulEqualsTheReference) {
  // Gates and squeeze-excite scales: same shapes, a single value, [N, C, 1, 1] against
  // [N, C, H, W] either way round, a row against a matrix; int8 and uint8; Relu.
  std::mt19937 rng(64);
  const auto impls = optimized_implementations("QLinearMul");
  const CpuFeatures& cpu = cpu_features();
  if (cpu.avx512bw && cpu.avx512_vnni) {
    ASSERT_FALSE(impls.empty());
  }
  const std::vector<std::pair<Shape, Shape>> shapes = {{{1, 24, 9, 9}, {1, 24, 9, 9}}, {{1, 24, 9, 9}, {1, 24, 1, 1}},
                                                       {{1, 24, 1, 1}, {1, 24, 9, 9}}, {{2, 3, 7}, {}},
                                                       {{4, 33}, {33}},                 {{5, 1, 17}, {5, 1, 17}}};
  for (int i = 0; i < 24; ++i) {
    const auto& [sa, sb] = shapes[static_cast<std::size_t>(i) % shapes.size()];
    const bool is_signed = i % 2 == 0;
    auto bytes = [&](const Shape& s) {
      return is_signed ? random_bytes<std::int8_t>(s, rng) : random_bytes<std::uint8_t>(s, rng);
    };
    auto zero = [&](int v) {
      return is_signed ? Tensor::from_values<std::int8_t>({}, {static_cast<std::int8_t>(v - 20)})
                       : Tensor::from_values<std::uint8_t>({}, {static_cast<std::uint8_t>(v + 100)});
    };
    const float sc = 0.0001f * static_cast<float>(1 + rng() % 40);
    const std::vector<Tensor> inputs = {bytes(sa), Tensor::from_values<float>({}, {0.02f}), zero(static_cast<int>(rng() % 40)),
                                        bytes(sb), Tensor::from_values<float>({}, {0.01f}), zero(static_cast<int>(rng() % 40)),
                                        Tensor::from_values<float>({}, {sc}), zero(static_cast<int>(rng() % 40))};
    Node node;
    node.op_type = "QLinearMul";
    node.name = "mul";
    if (i % 3 == 1) node.attributes["activation"] = std::string("Relu");
    const std::vector<bool> constants = {false, true, true, false, true, true, true, true};
    expect_same_bytes_as_reference(node, inputs, constants, impls, str_cat("case ", i));
  }
}

TEST(OptimizedInt8Kernels, QLinearConcatEqualsTheReference) {
  // Channel concatenation with inputs at Y's parameters (copied) and at others (requantised,
  // saturating), int8 and uint8, axes 1 and last.
  std::mt19937 rng(66);
  const auto impls = optimized_implementations("QLinearConcat");
  for (int i = 0; i < 12; ++i) {
    const bool is_signed = i % 2 == 0;
    const std::int64_t axis = i % 3 == 2 ? 2 : 1;
    auto bytes = [&](const Shape& s) {
      return is_signed ? random_bytes<std::int8_t>(s, rng) : random_bytes<std::uint8_t>(s, rng);
    };
    auto zero = [&](int v) {
      return is_signed ? Tensor::from_values<std::int8_t>({}, {static_cast<std::int8_t>(v)})
                       : Tensor::from_values<std::uint8_t>({}, {static_cast<std::uint8_t>(v + 128)});
    };
    std::vector<Tensor> inputs = {Tensor::from_values<float>({}, {0.05f}), zero(3)};
    std::vector<bool> constants = {true, true};
    for (int k = 0; k < 3; ++k) {
      const std::int64_t c = 1 + static_cast<std::int64_t>(rng() % 9);
      inputs.push_back(bytes(axis == 1 ? Shape{2, c, 5, 7} : Shape{2, 5, c}));
      const bool same = k == 0;
      inputs.push_back(Tensor::from_values<float>({}, {same ? 0.05f : 0.02f * static_cast<float>(1 + rng() % 5)}));
      inputs.push_back(zero(same ? 3 : static_cast<int>(rng() % 20) - 10));
      constants.insert(constants.end(), {false, true, true});
    }
    Node node;
    node.op_type = "QLinearConcat";
    node.name = "concat";
    node.attributes["axis"] = axis;
    expect_same_bytes_as_reference(node, inputs, constants, impls, str_cat("case ", i));
  }
}

TEST(OptimizedInt8Kernels, MaxPoolEqualsTheReference) {
  std::mt19937 rng(67);
  auto pick = [&](std::int64_t lo, std::int64_t hi) { return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng); };
  std::vector<std::string> impls;  // the 8-bit ones (MaxPool has float kernels too)
  for (const std::string& impl : optimized_implementations("MaxPool")) {
    if (impl.rfind("qs8_", 0) == 0) impls.push_back(impl);
  }
  const CpuFeatures& cpu = cpu_features();
  if (cpu.avx512bw && cpu.avx512_vnni) {
    ASSERT_FALSE(impls.empty());
  }
  for (int i = 0; i < 60; ++i) {
    const std::int64_t kh = pick(1, 4), kw = pick(1, 4), sh = pick(1, 3), sw = pick(1, 3), dh = pick(1, 2), dw = pick(1, 2);
    const std::int64_t pt = pick(0, kh - 1), pl = pick(0, kw - 1), pb = pick(0, kh - 1), pr = pick(0, kw - 1);
    const std::int64_t h = pick(std::max<std::int64_t>(1, dh * (kh - 1) + 1 - pt - pb), 20);
    const std::int64_t w = pick(std::max<std::int64_t>(1, dw * (kw - 1) + 1 - pl - pr), 90);
    Node node;
    node.op_type = "MaxPool";
    node.name = "pool";
    node.attributes["kernel_shape"] = std::vector<std::int64_t>{kh, kw};
    node.attributes["strides"] = std::vector<std::int64_t>{sh, sw};
    node.attributes["dilations"] = std::vector<std::int64_t>{dh, dw};
    node.attributes["pads"] = std::vector<std::int64_t>{pt, pl, pb, pr};
    node.attributes["ceil_mode"] = std::int64_t{pick(0, 1)};
    const Shape shape = {pick(1, 2), pick(1, 5), h, w};
    Tensor x = i % 2 == 0 ? random_bytes<std::int8_t>(shape, rng) : random_bytes<std::uint8_t>(shape, rng);
    auto want = run_node(node, {x});
    ASSERT_TRUE(want.is_ok()) << want.status().to_string();
    for (const std::string& impl : impls) {
      ThreadPool pool(3);
      auto got = run_node(node, {x}, {}, impl, &pool);
      ASSERT_TRUE(got.is_ok()) << impl << ": " << got.status().to_string();
      ASSERT_EQ((*got)[0].shape(), (*want)[0].shape());
      const auto* g = static_cast<const std::uint8_t*>((*got)[0].raw_data());
      const auto* e = static_cast<const std::uint8_t*>((*want)[0].raw_data());
      for (std::int64_t j = 0; j < (*want)[0].num_elements(); ++j) ASSERT_EQ(g[j], e[j]) << impl << " case " << i;
    }
  }
}

TEST(OptimizedInt8Kernels, QLinearGlobalAveragePoolEqualsTheReference) {
  std::mt19937 rng(68);
  const auto impls = optimized_implementations("QLinearGlobalAveragePool");
  ASSERT_FALSE(impls.empty());  // the portable kernel runs everywhere
  const std::vector<Shape> shapes = {{1, 7, 1, 1}, {1, 16, 7, 7}, {2, 5, 8, 8}, {1, 3, 56, 57}, {1, 4, 9}};
  for (int i = 0; i < 20; ++i) {
    const Shape& shape = shapes[static_cast<std::size_t>(i) % shapes.size()];
    const bool is_signed = i % 2 == 0;
    Tensor x = is_signed ? random_bytes<std::int8_t>(shape, rng) : random_bytes<std::uint8_t>(shape, rng);
    // Power-of-two counts with matching scales make exact halves: ties to even are exercised.
    const float y_scale = i % 4 < 2 ? 1.0f / 64 : 0.003f * static_cast<float>(1 + rng() % 7);
    auto zero = [&](int v) {
      return is_signed ? Tensor::from_values<std::int8_t>({}, {static_cast<std::int8_t>(v)})
                       : Tensor::from_values<std::uint8_t>({}, {static_cast<std::uint8_t>(v + 128)});
    };
    const std::vector<Tensor> inputs = {x, Tensor::from_values<float>({}, {1.0f / 32}), zero(static_cast<int>(rng() % 9) - 4),
                                        Tensor::from_values<float>({}, {y_scale}), zero(static_cast<int>(rng() % 9) - 4)};
    Node node;
    node.op_type = "QLinearGlobalAveragePool";
    node.name = "gap";
    const std::vector<bool> constants = {false, true, true, true, true};
    expect_same_bytes_as_reference(node, inputs, constants, impls, str_cat("case ", i));
  }
}

TEST(OptimizedInt8Kernels, DequantizeLinearEqualsTheReference) {
  std::mt19937 rng(65);
  for (const bool is_signed : {true, false}) {
    for (const std::int64_t n : {1, 15, 16, 17, 5000}) {
      Tensor x = is_signed ? random_bytes<std::int8_t>({n}, rng) : random_bytes<std::uint8_t>({n}, rng);
      Tensor zero = is_signed ? Tensor::from_values<std::int8_t>({}, {-7}) : Tensor::from_values<std::uint8_t>({}, {131});
      const std::vector<Tensor> inputs = {x, Tensor::from_values<float>({}, {0.0371f}), zero};
      Node node;
      node.op_type = "DequantizeLinear";
      node.name = "dq";
      auto want = run_node(node, inputs, {false, true, true});
      ASSERT_TRUE(want.is_ok()) << want.status().to_string();
      for (const std::string& impl : optimized_implementations("DequantizeLinear")) {
        auto got = run_node(node, inputs, {false, true, true}, impl);
        ASSERT_TRUE(got.is_ok()) << got.status().to_string();
        for (std::int64_t i = 0; i < n; ++i) ASSERT_EQ((*got)[0].data<float>()[i], (*want)[0].data<float>()[i]) << impl;
      }
    }
  }
}

TEST(OptimizedInt8Kernels, QLinearConvDeclinesWhatItDoesNotCover) {
  std::mt19937 rng(53);
  for (const std::string& impl : optimized_implementations("QLinearConv")) {
    Node node;
    node.op_type = "QLinearConv";
    node.attributes["kernel_shape"] = std::vector<std::int64_t>{1, 1};
    Tensor x = random_bytes<std::int8_t>({1, 4, 5, 5}, rng);
    Tensor w = random_bytes<std::int8_t>({3, 4, 1, 1}, rng);
    const Tensor scale = Tensor::from_values<float>({}, {0.1f});
    const Tensor zero = Tensor::from_values<std::int8_t>({}, {0});
    // A weight zero point other than 0.
    auto zp = run_node(node, {x, scale, zero, w, scale, Tensor::from_values<std::int8_t>({}, {3}), scale, zero},
                       {false, true, true, true, true, true, true, true}, impl);
    EXPECT_EQ(zp.status().code(), StatusCode::kUnsupported) << impl;
    // Weights fed at run time.
    auto dynamic = run_node(node, {x, scale, zero, w, scale, zero, scale, zero},
                            {false, true, true, false, true, true, true, true}, impl);
    EXPECT_EQ(dynamic.status().code(), StatusCode::kUnsupported) << impl;
    // A grouped (not depthwise) convolution.
    Node grouped = node;
    grouped.attributes["group"] = std::int64_t{2};
    auto g = run_node(grouped, {x, scale, zero, random_bytes<std::int8_t>({4, 2, 1, 1}, rng), scale, zero, scale, zero},
                      {false, true, true, true, true, true, true, true}, impl);
    EXPECT_EQ(g.status().code(), StatusCode::kUnsupported) << impl;
  }
}

}  // namespace
}  // namespace edgeai
