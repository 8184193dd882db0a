// Every optimised f32 kernel this CPU runs (Conv, Gemm, MatMul), against the reference
// kernel, its specification, on random shapes: odd sizes, channel counts and widths that
// are not multiples of the vector width, K longer than one K block, padding, strides,
// dilations, groups, depthwise, every fused activation. Tolerance: 1e-5 of the magnitude of
// the summed terms (the reference run on |x|, |w|, |b|), the scale of float rounding error
// in a sum, or of the result (a sigmoid takes a tiny sum to near 0.5). Also: the same result bit for bit with 1 and 3 threads, and prepare declining
// what the optimised kernel does not cover (the session then uses the reference).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
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


Tensor random_tensor(Shape shape, std::mt19937& rng) {
  std::int64_t n = 1;
  for (std::int64_t d : shape) n *= d;
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> v(static_cast<std::size_t>(n));
  for (float& x : v) x = dist(rng);
  return Tensor::from_vector<float>(std::move(shape), v);
}

// (N, C, H, W) -> (N, H, W, C): a channels-last node's X.
Tensor channels_last(const Tensor& t) {
  const Shape& s = t.shape();
  std::vector<float> v(static_cast<std::size_t>(t.num_elements()));
  const float* x = t.data<float>();
  for (std::int64_t n = 0; n < s[0]; ++n) {
    for (std::int64_t c = 0; c < s[1]; ++c) {
      for (std::int64_t p = 0; p < s[2] * s[3]; ++p) v[static_cast<std::size_t>((n * s[2] * s[3] + p) * s[1] + c)] = x[(n * s[1] + c) * s[2] * s[3] + p];
    }
  }
  return Tensor::from_vector<float>({s[0], s[2], s[3], s[1]}, v);
}

Node as_channels_last(Node node) {
  node.attributes["channels_last"] = std::int64_t{1};
  return node;
}

Tensor absolute(const Tensor& t) {
  if (t.is_null()) return t;
  std::vector<float> v(t.data<float>(), t.data<float>() + t.num_elements());
  for (float& x : v) x = std::fabs(x);
  return Tensor::from_vector<float>(t.shape(), v);
}

Node without_activation(Node node) {
  node.attributes.erase("activation");
  node.attributes.erase("activation_alpha");
  node.attributes.erase("activation_beta");
  return node;
}

// Runs `node` with the reference and with `implementation` (1 and 3 threads) and compares.
void expect_matches_reference(const Node& node, const std::vector<Tensor>& inputs, const std::vector<bool>& constants,
                              const std::string& implementation, const std::string& what) {
  SCOPED_TRACE(implementation + ": " + what);
  auto reference = run_node(node, inputs, constants);
  ASSERT_TRUE(reference.is_ok()) << reference.status().to_string();
  std::vector<Tensor> magnitudes_in;
  for (const Tensor& t : inputs) magnitudes_in.push_back(absolute(t));
  auto magnitude = run_node(without_activation(node), magnitudes_in, constants);
  ASSERT_TRUE(magnitude.is_ok()) << magnitude.status().to_string();
  auto fast = run_node(node, inputs, constants, implementation);
  ASSERT_TRUE(fast.is_ok()) << fast.status().to_string();
  ThreadPool pool(3);
  auto threaded = run_node(node, inputs, constants, implementation, &pool);
  ASSERT_TRUE(threaded.is_ok()) << threaded.status().to_string();

  const Tensor& want = (*reference)[0];
  const Tensor& got = (*fast)[0];
  ASSERT_EQ(got.shape(), want.shape());
  const float* w = want.data<float>();
  const float* g = got.data<float>();
  const float* m = (*magnitude)[0].data<float>();
  const float* t = (*threaded)[0].data<float>();
  int bad = 0;
  for (std::int64_t i = 0; i < want.num_elements() && bad < 5; ++i) {
    // 1e-5 of the summed terms, or of the result itself (a sigmoid near 0.5 of a tiny sum).
    const float tolerance = 1e-5f * (m[i] + std::fabs(w[i]) + 1e-30f);
    if (!(std::fabs(g[i] - w[i]) <= tolerance)) {
      ADD_FAILURE() << "element " << i << ": got " << g[i] << ", reference " << w[i] << " (tolerance " << tolerance << ")";
      ++bad;
    }
    if (t[i] != g[i] && !(std::isnan(t[i]) && std::isnan(g[i]))) {
      ADD_FAILURE() << "element " << i << ": 3 threads gave " << t[i] << ", 1 thread " << g[i];
      ++bad;
    }
  }
}

void set_activation(Node& node, int which) {
  switch (which) {
    case 0: break;
    case 1: node.attributes["activation"] = std::string("Relu"); break;
    case 2:
      node.attributes["activation"] = std::string("Clip");
      node.attributes["activation_alpha"] = -0.25f;
      node.attributes["activation_beta"] = 0.5f;
      break;
    case 3: node.attributes["activation"] = std::string("HardSwish"); break;
    case 4:
      node.attributes["activation"] = std::string("LeakyRelu");
      node.attributes["activation_alpha"] = 0.1f;
      break;
    case 5: node.attributes["activation"] = std::string("Sigmoid"); break;
    case 6: node.attributes["activation"] = std::string("SiLU"); break;
    default:
      node.attributes["activation"] = std::string("GatedHardSigmoid");
      node.attributes["activation_alpha"] = 1.0f / 6.0f;
      node.attributes["activation_beta"] = 0.5f;
      break;
  }
}

TEST(OptimizedF32Kernels, ThisCpuHasThem) {
  // An x86-64 CPU with AVX2 + FMA, or any AArch64 CPU, must get optimised kernels: a registry
  // that silently ran the reference everywhere would otherwise pass every test below.
  const CpuFeatures& cpu = cpu_features();
  if ((cpu.avx2 && cpu.fma) || cpu.neon) {
    EXPECT_FALSE(optimized_implementations("Conv").empty()) << cpu.describe();
    EXPECT_FALSE(optimized_implementations("Conv", true).empty());
    EXPECT_FALSE(optimized_implementations("MaxPool", true).empty());
    EXPECT_FALSE(optimized_implementations("GlobalAveragePool", true).empty());
    EXPECT_FALSE(optimized_implementations("Gemm").empty());
    EXPECT_FALSE(optimized_implementations("MatMul").empty());
  }
  const auto candidates = KernelRegistry::builtin().candidates("Conv", KernelSelection::kReference);
  ASSERT_EQ(candidates.size(), 1u);
  EXPECT_EQ(candidates[0]->name, "reference");
  const auto all = KernelRegistry::builtin().candidates("Conv", KernelSelection::kAuto);
  EXPECT_EQ(all.back()->name, "reference");
}

struct ConvCase {
  std::int64_t n, c, h, w, m, group, kh, kw, sh, sw, dh, dw;
  std::int64_t pt, pl, pb, pr;
  bool bias;
  int activation;
};

Node conv_node(const ConvCase& k) {
  Node node;
  node.op_type = "Conv";
  node.name = "conv";
  node.attributes["kernel_shape"] = std::vector<std::int64_t>{k.kh, k.kw};
  node.attributes["strides"] = std::vector<std::int64_t>{k.sh, k.sw};
  node.attributes["dilations"] = std::vector<std::int64_t>{k.dh, k.dw};
  node.attributes["pads"] = std::vector<std::int64_t>{k.pt, k.pl, k.pb, k.pr};
  node.attributes["group"] = k.group;
  set_activation(node, k.activation);
  return node;
}

std::string describe(const ConvCase& k) {
  return str_cat("N", k.n, " C", k.c, " ", k.h, "x", k.w, " M", k.m, " group ", k.group, " kernel ", k.kh, "x", k.kw,
                 " stride ", k.sh, "x", k.sw, " dilation ", k.dh, "x", k.dw, " pads ", k.pt, ",", k.pl, ",", k.pb, ",",
                 k.pr, k.bias ? " bias" : "", " activation ", k.activation);
}

bool is_winograd(const std::string& implementation) { return implementation.find("winograd") != std::string::npos; }

// What the Winograd F(2x2, 3x3) kernels take: 3x3, stride 1, no dilation, group 1, 8+
// channels in and out, an output of at least 2x2.
// What the Winograd F(2x2, 3x3) kernels take: 3x3, stride 1, no dilation, group 1, 16+
// channels in and out, an output of at least 2x2, transformed weights of at most 8 MiB.
bool winograd_covers(const ConvCase& k) {
  const std::int64_t out_h = k.h + k.pt + k.pb - 2, out_w = k.w + k.pl + k.pr - 2;
  return k.kh == 3 && k.kw == 3 && k.sh == 1 && k.sw == 1 && k.dh == 1 && k.dw == 1 && k.group == 1 && k.c >= 16 &&
         k.m >= 16 && out_h >= 2 && out_w >= 2 && 16 * k.c * k.m * 4 <= 8 * 1024 * 1024;
}

void check_conv(const ConvCase& k, std::mt19937& rng) {
  std::vector<Tensor> inputs = {random_tensor({k.n, k.c, k.h, k.w}, rng),
                                random_tensor({k.m, k.c / k.group, k.kh, k.kw}, rng)};
  if (k.bias) inputs.push_back(random_tensor({k.m}, rng));
  const std::vector<bool> constants = {false, true, true};
  for (const std::string& impl : optimized_implementations("Conv")) {
    expect_matches_reference(conv_node(k), inputs, constants, impl, describe(k));
  }
  // The channels-last kernels cover group 1 and depthwise (multiplier 1) convolutions.
  if (k.group != 1 && !(k.group == k.c && k.m == k.c)) return;
  inputs[0] = channels_last(inputs[0]);
  for (const std::string& impl : optimized_implementations("Conv", true)) {
    if (is_winograd(impl) && !winograd_covers(k)) {
      // The session then takes the next candidate (the direct kernel).
      auto declined = run_node(as_channels_last(conv_node(k)), inputs, constants, impl);
      EXPECT_EQ(declined.status().code(), StatusCode::kUnsupported) << impl << ": " << describe(k);
      continue;
    }
    expect_matches_reference(as_channels_last(conv_node(k)), inputs, constants, impl, "channels-last " + describe(k));
  }
}

TEST(OptimizedF32Kernels, ConvShapesOfMobileNetsAndResNets) {
  std::mt19937 rng(7);
  // 1x1 (no im2col), expansion and projection; 3x3 stem with stride 2; depthwise 3x3 stride
  // 1 and 2 on rows wider than four vectors; 5x5 depthwise; K = 64 * 9 = 576 > one K block.
  const std::vector<ConvCase> cases = {
      {1, 16, 28, 28, 96, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, true, 0},
      {1, 96, 14, 14, 24, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, true, 2},
      {1, 3, 57, 57, 32, 1, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, true, 2},
      {1, 96, 75, 75, 96, 96, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, true, 2},
      {1, 40, 75, 75, 40, 40, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, true, 1},
      {1, 24, 21, 21, 24, 24, 5, 5, 2, 2, 1, 1, 2, 2, 2, 2, true, 3},
      {1, 64, 14, 14, 64, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, false, 1},
      {2, 33, 9, 11, 17, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, true, 4},
      // Wide rows: taps read in place from the padded copy (rows of 32+ outputs), with
      // dilation, stride 3, asymmetric padding, groups, a strided 1x1 and a 7x7 stride-2 stem.
      {1, 5, 9, 70, 19, 1, 3, 3, 1, 1, 2, 2, 2, 1, 0, 2, true, 1},
      {1, 6, 11, 100, 9, 1, 3, 5, 1, 3, 1, 1, 0, 4, 1, 3, false, 2},
      {2, 8, 6, 64, 12, 2, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, true, 3},
      {1, 16, 8, 66, 24, 1, 1, 1, 2, 2, 1, 1, 0, 0, 0, 0, true, 0},
      {1, 3, 70, 70, 16, 1, 7, 7, 2, 2, 1, 1, 3, 3, 3, 3, true, 1},
      {1, 64, 12, 56, 64, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, true, 1},
      // Weights over 1 MiB (channels-last: panels outer) and 3x3 panels cut into blocks of
      // input channels (accumulated in C; the activation after the last block only).
      {1, 256, 5, 6, 200, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, true, 3},
      {1, 300, 4, 3, 40, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, false, 2},
  };
  for (const ConvCase& k : cases) check_conv(k, rng);
}

TEST(OptimizedF32Kernels, WinogradConvMatchesTheReference) {
  std::mt19937 rng(11);
  // Odd output sizes (a last tile half outside), channel counts off the vector width, no,
  // asymmetric and wide padding, batch 2, many tiles (several blocks per thread), wide
  // channels, and each kind of epilogue.
  const std::vector<ConvCase> cases = {
      {1, 19, 9, 13, 40, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, true, 1},
      {2, 16, 10, 7, 33, 1, 3, 3, 1, 1, 1, 1, 0, 0, 0, 0, true, 0},
      {1, 24, 8, 8, 16, 1, 3, 3, 1, 1, 1, 1, 2, 0, 1, 2, false, 2},
      {1, 32, 40, 41, 48, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, true, 3},
      {1, 256, 6, 6, 70, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, true, 5},
      {1, 17, 2, 2, 17, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, true, 6},
      {2, 64, 15, 15, 64, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, true, 4},
  };
  int ran = 0;
  for (const ConvCase& k : cases) {
    ASSERT_TRUE(winograd_covers(k)) << describe(k);
    std::vector<Tensor> inputs = {channels_last(random_tensor({k.n, k.c, k.h, k.w}, rng)),
                                  random_tensor({k.m, k.c, 3, 3}, rng)};
    if (k.bias) inputs.push_back(random_tensor({k.m}, rng));
    for (const std::string& impl : optimized_implementations("Conv", true)) {
      if (!is_winograd(impl)) continue;
      expect_matches_reference(as_channels_last(conv_node(k)), inputs, {false, true, true}, impl,
                               "winograd " + describe(k));
      ++ran;
    }
  }
  const CpuFeatures& cpu = cpu_features();
  if ((cpu.avx2 && cpu.fma) || cpu.neon) {
    EXPECT_GE(ran, static_cast<int>(cases.size()));
  }
}

TEST(OptimizedF32Kernels, ConvRandomShapes) {
  std::mt19937 rng(2024);
  auto pick = [&](std::int64_t lo, std::int64_t hi) { return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng); };
  for (int i = 0; i < 120; ++i) {
    ConvCase k{};
    k.n = pick(1, 2);
    const int kind = static_cast<int>(pick(0, 2));  // ordinary, depthwise, grouped
    k.kh = pick(1, 5);
    k.kw = pick(1, 5);
    k.sh = pick(1, 3);
    k.sw = pick(1, 3);
    k.dh = pick(1, 2);
    k.dw = pick(1, 2);
    k.pt = pick(0, k.kh - 1);
    k.pb = pick(0, k.kh - 1);
    k.pl = pick(0, k.kw - 1);
    k.pr = pick(0, k.kw - 1);
    k.h = pick(std::max<std::int64_t>(1, k.dh * (k.kh - 1) + 1 - k.pt - k.pb), 23);
    k.w = pick(std::max<std::int64_t>(1, k.dw * (k.kw - 1) + 1 - k.pl - k.pr), 70);
    if (kind == 0) {
      k.group = 1;
      k.c = pick(1, 40);
      k.m = pick(1, 37);
    } else if (kind == 1) {
      k.c = pick(1, 40);
      k.group = k.c;
      k.m = k.c * (pick(0, 3) == 0 ? 2 : 1);  // mostly multiplier 1, sometimes 2
    } else {
      k.group = pick(2, 4);
      k.c = k.group * pick(1, 6);
      k.m = k.group * pick(1, 7);
    }
    k.bias = pick(0, 1) == 1;
    k.activation = static_cast<int>(pick(0, 7));
    check_conv(k, rng);
  }
}

TEST(OptimizedF32Kernels, Conv1dRunsAsHeightOne) {
  std::mt19937 rng(9);
  for (int i = 0; i < 20; ++i) {
    const std::int64_t k = 1 + i % 5, s = 1 + i % 3, d = 1 + i % 2, pb = i % k, pe = (i / 2) % k;
    const std::int64_t length = d * (k - 1) + 1 + static_cast<std::int64_t>(rng() % 90);
    const std::int64_t c = 1 + static_cast<std::int64_t>(rng() % 12), group = i % 4 == 0 ? c : 1;
    const std::int64_t m = group == 1 ? 1 + static_cast<std::int64_t>(rng() % 20) : c;
    Node node;
    node.op_type = "Conv";
    node.name = "conv1d";
    node.attributes["kernel_shape"] = std::vector<std::int64_t>{k};
    node.attributes["strides"] = std::vector<std::int64_t>{s};
    node.attributes["dilations"] = std::vector<std::int64_t>{d};
    node.attributes["pads"] = std::vector<std::int64_t>{pb, pe};
    node.attributes["group"] = group;
    set_activation(node, i % 3);
    const std::vector<Tensor> inputs = {random_tensor({2, c, length}, rng), random_tensor({m, c / group, k}, rng),
                                        random_tensor({m}, rng)};
    for (const std::string& impl : optimized_implementations("Conv")) {
      expect_matches_reference(node, inputs, {false, true, true}, impl, str_cat("1-D case ", i));
    }
  }
}

TEST(OptimizedF32Kernels, ConvDeclinesWhatItDoesNotCover) {
  std::mt19937 rng(3);
  for (const std::string& impl : optimized_implementations("Conv")) {
    // 3-D convolution.
    Node node;
    node.op_type = "Conv";
    node.attributes["kernel_shape"] = std::vector<std::int64_t>{3, 3, 3};
    auto out = run_node(node, {random_tensor({1, 2, 5, 5, 5}, rng), random_tensor({4, 2, 3, 3, 3}, rng)}, {false, true},
                        impl);
    EXPECT_FALSE(out.is_ok()) << impl;
    // Weights that are not constant.
    Node conv2d;
    conv2d.op_type = "Conv";
    auto dynamic = run_node(conv2d, {random_tensor({1, 2, 5, 5}, rng), random_tensor({4, 2, 3, 3}, rng)}, {false, false},
                            impl);
    EXPECT_FALSE(dynamic.is_ok()) << impl;
    EXPECT_EQ(dynamic.status().code(), StatusCode::kUnsupported);
    // A channels-last node is not for the channels-first kernels.
    auto last = run_node(as_channels_last(conv2d), {random_tensor({1, 5, 5, 2}, rng), random_tensor({4, 2, 3, 3}, rng)},
                         {false, true}, impl);
    EXPECT_EQ(last.status().code(), StatusCode::kUnsupported) << impl;
  }
  for (const std::string& impl : optimized_implementations("Conv", true)) {
    Node conv2d;
    conv2d.op_type = "Conv";
    // A channels-first node, and a grouped convolution that is not depthwise.
    auto first = run_node(conv2d, {random_tensor({1, 2, 5, 5}, rng), random_tensor({4, 2, 3, 3}, rng)}, {false, true},
                          impl);
    EXPECT_EQ(first.status().code(), StatusCode::kUnsupported) << impl;
    Node grouped = as_channels_last(conv2d);
    grouped.attributes["group"] = std::int64_t{2};
    auto out = run_node(grouped, {random_tensor({1, 5, 5, 4}, rng), random_tensor({6, 2, 3, 3}, rng)}, {false, true},
                        impl);
    EXPECT_EQ(out.status().code(), StatusCode::kUnsupported) << impl;
  }
}

TEST(OptimizedF32Kernels, GemmRandomShapes) {
  std::mt19937 rng(11);
  auto pick = [&](std::int64_t lo, std::int64_t hi) { return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng); };
  for (int i = 0; i < 80; ++i) {
    // Every fourth case has one row (a batch-1 classifier: the dot-product path), some of them
    // with many output columns (split over the threads).
    const std::int64_t m = i % 4 == 0 ? 1 : pick(1, 20), k = i % 8 == 0 ? pick(257, 600) : pick(1, 120);
    const std::int64_t n = i % 16 == 0 ? pick(200, 1100) : pick(1, 70);
    const bool trans_a = pick(0, 1) == 1, trans_b = pick(0, 1) == 1;
    const int bias = static_cast<int>(pick(0, 2));  // none, [N], [1, N]
    Node node;
    node.op_type = "Gemm";
    node.name = "gemm";
    node.attributes["transA"] = std::int64_t{trans_a};
    node.attributes["transB"] = std::int64_t{trans_b};
    set_activation(node, static_cast<int>(pick(0, 7)));
    std::vector<Tensor> inputs = {random_tensor(trans_a ? Shape{k, m} : Shape{m, k}, rng),
                                  random_tensor(trans_b ? Shape{n, k} : Shape{k, n}, rng)};
    if (bias == 1) inputs.push_back(random_tensor({n}, rng));
    if (bias == 2) inputs.push_back(random_tensor({1, n}, rng));
    for (const std::string& impl : optimized_implementations("Gemm")) {
      expect_matches_reference(node, inputs, {false, true, true}, impl,
                               str_cat("M", m, " K", k, " N", n, " transA ", trans_a, " transB ", trans_b, " bias ", bias));
    }
  }
}

TEST(OptimizedF32Kernels, MatMulRandomShapes) {
  std::mt19937 rng(12);
  auto pick = [&](std::int64_t lo, std::int64_t hi) { return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng); };
  for (int i = 0; i < 40; ++i) {
    const std::int64_t batch = pick(1, 3), m = pick(1, 19), k = pick(1, 300), n = pick(1, 50);
    Node node;
    node.op_type = "MatMul";
    node.name = "matmul";
    set_activation(node, static_cast<int>(pick(0, 2)));
    const Shape a = i % 2 == 0 ? Shape{m, k} : Shape{batch, m, k};
    std::vector<Tensor> inputs = {random_tensor(a, rng), random_tensor({k, n}, rng)};
    for (const std::string& impl : optimized_implementations("MatMul")) {
      expect_matches_reference(node, inputs, {false, true}, impl, str_cat(shape_to_string(a), " x ", k, "x", n));
    }
  }
}

TEST(OptimizedF32Kernels, GemmDeclinesWhatItDoesNotCover) {
  std::mt19937 rng(5);
  for (const std::string& impl : optimized_implementations("Gemm")) {
    Node node;
    node.op_type = "Gemm";
    node.attributes["alpha"] = 0.5f;
    auto scaled = run_node(node, {random_tensor({2, 3}, rng), random_tensor({3, 4}, rng)}, {false, true}, impl);
    EXPECT_EQ(scaled.status().code(), StatusCode::kUnsupported) << impl;
    Node full_c;
    full_c.op_type = "Gemm";
    auto matrix_c = run_node(full_c, {random_tensor({2, 3}, rng), random_tensor({3, 4}, rng), random_tensor({2, 4}, rng)},
                             {false, true, true}, impl);
    EXPECT_EQ(matrix_c.status().code(), StatusCode::kUnsupported) << impl;
  }
}

TEST(OptimizedF32Kernels, MaxPoolEqualsTheReferenceExactly) {
  // Maxima are exact: every element equal, for kernels, strides, dilations, padding and
  // ceil_mode (windows past the end padding), NaN inputs ignored as the reference does.
  std::mt19937 rng(41);
  auto pick = [&](std::int64_t lo, std::int64_t hi) { return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng); };
  std::vector<std::string> impls;  // the float ones (MaxPool has int8 kernels too)
  for (const std::string& impl : optimized_implementations("MaxPool")) {
    if (impl.rfind("f32_", 0) == 0) impls.push_back(impl);
  }
  EXPECT_EQ(impls.empty(), optimized_implementations("Conv").empty());
  for (int i = 0; i < 80; ++i) {
    const std::int64_t kh = pick(1, 4), kw = pick(1, 4), sh = pick(1, 3), sw = pick(1, 3), dh = pick(1, 2), dw = pick(1, 2);
    const std::int64_t pt = pick(0, kh - 1), pl = pick(0, kw - 1), pb = pick(0, kh - 1), pr = pick(0, kw - 1);
    const std::int64_t h = pick(std::max<std::int64_t>(1, dh * (kh - 1) + 1 - pt - pb), 20);
    const std::int64_t w = pick(std::max<std::int64_t>(1, dw * (kw - 1) + 1 - pl - pr), 70);
    Node node;
    node.op_type = "MaxPool";
    node.name = "pool";
    node.attributes["kernel_shape"] = std::vector<std::int64_t>{kh, kw};
    node.attributes["strides"] = std::vector<std::int64_t>{sh, sw};
    node.attributes["dilations"] = std::vector<std::int64_t>{dh, dw};
    node.attributes["pads"] = std::vector<std::int64_t>{pt, pl, pb, pr};
    node.attributes["ceil_mode"] = std::int64_t{pick(0, 1)};
    Tensor x = random_tensor({pick(1, 2), pick(1, 5), h, w}, rng);
    if (i % 10 == 0) x.data<float>()[0] = std::nanf("");
    auto want = run_node(node, {x});
    ASSERT_TRUE(want.is_ok()) << want.status().to_string();
    const Tensor x_last = channels_last(x);
    auto want_last = run_node(as_channels_last(node), {x_last});
    ASSERT_TRUE(want_last.is_ok()) << want_last.status().to_string();
    for (const std::string& impl : optimized_implementations("MaxPool", true)) {
      ThreadPool pool(3);
      auto got = run_node(as_channels_last(node), {x_last}, {}, impl, &pool);
      ASSERT_TRUE(got.is_ok()) << got.status().to_string();
      ASSERT_EQ((*got)[0].shape(), (*want_last)[0].shape());
      for (std::int64_t e = 0; e < (*want_last)[0].num_elements(); ++e) {
        ASSERT_EQ((*got)[0].data<float>()[e], (*want_last)[0].data<float>()[e]) << impl << " case " << i << " element " << e;
      }
    }
    for (const std::string& impl : impls) {
      ThreadPool pool(3);
      auto got = run_node(node, {x}, {}, impl, &pool);
      ASSERT_TRUE(got.is_ok()) << got.status().to_string();
      ASSERT_EQ((*got)[0].shape(), (*want)[0].shape());
      for (std::int64_t e = 0; e < (*want)[0].num_elements(); ++e) {
        ASSERT_EQ((*got)[0].data<float>()[e], (*want)[0].data<float>()[e])
            << impl << " case " << i << " element " << e << " kernel " << kh << "x" << kw << " stride " << sh << "x"
            << sw << " dilation " << dh << "x" << dw << " pads " << pt << "," << pl << "," << pb << "," << pr;
      }
    }
  }
}

TEST(OptimizedF32Kernels, GlobalAveragePool) {
  std::mt19937 rng(43);
  for (const Shape& shape : {Shape{1, 7, 7, 7}, Shape{2, 33, 14, 15}, Shape{1, 5, 1, 1}, Shape{1, 3, 112, 112},
                             Shape{2, 200, 7, 7}}) {
    Node node;
    node.op_type = "GlobalAveragePool";
    node.name = "gap";
    const Tensor x = random_tensor(shape, rng);
    for (const std::string& impl : optimized_implementations("GlobalAveragePool")) {
      expect_matches_reference(node, {x}, {false}, impl, shape_to_string(shape));
    }
    // Channels-last sums each channel in the reference's order: bit for bit.
    const Tensor x_last = channels_last(x);
    auto want = run_node(as_channels_last(node), {x_last});
    ASSERT_TRUE(want.is_ok()) << want.status().to_string();
    for (const std::string& impl : optimized_implementations("GlobalAveragePool", true)) {
      ThreadPool pool(3);  // channel ranges split over the threads
      auto got = run_node(as_channels_last(node), {x_last}, {}, impl, &pool);
      ASSERT_TRUE(got.is_ok()) << got.status().to_string();
      ASSERT_EQ((*got)[0].shape(), (Shape{shape[0], 1, 1, shape[1]}));
      for (std::int64_t e = 0; e < (*want)[0].num_elements(); ++e) {
        ASSERT_EQ((*got)[0].data<float>()[e], (*want)[0].data<float>()[e]) << impl << " " << shape_to_string(shape);
      }
    }
  }
}

TEST(OptimizedF32Kernels, ActivationsOverOddLengthsAndExtremes) {
  std::mt19937 rng(21);
  for (const char* op : {"Relu", "LeakyRelu", "Sigmoid", "HardSigmoid", "HardSwish"}) {
    const auto impls = optimized_implementations(op);
    EXPECT_FALSE(impls.empty() && !optimized_implementations("Conv").empty()) << op;
    for (const std::int64_t n : {1, 7, 16, 33, 1000, 40000}) {
      Tensor x = random_tensor({n}, rng);
      std::vector<float> v(x.data<float>(), x.data<float>() + n);
      // Wide inputs: saturating regions, exp overflow/underflow, exact zeros, +-3 (HardSwish knees).
      const float extremes[] = {-100.0f, -88.0f, -20.0f, -3.0f, -0.0f, 0.0f, 1e-8f, 3.0f, 20.0f, 89.0f, 100.0f};
      for (std::size_t i = 0; i < v.size(); ++i) v[i] = i % 3 == 0 ? extremes[i % 11] : v[i] * 12.0f;
      x = Tensor::from_vector<float>({n}, v);
      Node node;
      node.op_type = op;
      node.name = op;
      if (std::string(op) == "LeakyRelu") node.attributes["alpha"] = 0.2f;
      if (std::string(op) == "HardSigmoid") {
        node.attributes["alpha"] = 0.3f;
        node.attributes["beta"] = 0.4f;
      }
      auto want = run_node(node, {x});
      ASSERT_TRUE(want.is_ok());
      for (const std::string& impl : impls) {
        ThreadPool pool(2);
        auto got = run_node(node, {x}, {}, impl, &pool);
        ASSERT_TRUE(got.is_ok()) << got.status().to_string();
        for (std::int64_t i = 0; i < n; ++i) {
          const float w = (*want)[0].data<float>()[i];
          const float g = (*got)[0].data<float>()[i];
          // 1e-5 relative, and denormal-sized differences where the reference underflows to 0;
          // HardSigmoid's alpha * x + beta may cancel: relative to the size of its terms.
          const float scale = std::string(op) == "HardSigmoid" ? std::fabs(0.3f * v[i]) + 0.4f : std::fabs(w);
          ASSERT_LE(std::fabs(g - w), 1e-5f * scale + 1e-37f) << impl << " " << op << " x=" << v[i];
        }
      }
    }
  }
}

TEST(OptimizedF32Kernels, BinaryBroadcastPatternsMatchExactly) {
  // Add/Sub/Mul/Div are single IEEE operations: the optimised results equal the reference's
  // bit for bit, for every broadcast pattern covered, either operand order.
  std::mt19937 rng(31);
  struct Case {
    Shape a, b;
  };
  const std::vector<Case> cases = {
      {{2, 3, 5, 7}, {2, 3, 5, 7}},  // same shape
      {{2, 3, 5, 7}, {1}},           // scalar
      {{}, {4, 9}},                  // scalar first
      {{1, 24, 9, 9}, {1, 24, 1, 1}},  // squeeze-excite scale
      {{1, 24, 1, 1}, {1, 24, 9, 9}},  // ... with the small operand first
      {{2, 5, 33}, {33}},              // bias over the last axis
      {{5, 1}, {5, 17}},               // column against matrix
  };
  for (const char* op : {"Add", "Sub", "Mul", "Div"}) {
    for (const Case& c : cases) {
      std::vector<Tensor> inputs = {random_tensor(c.a, rng), random_tensor(c.b, rng)};
      Node node;
      node.op_type = op;
      node.name = op;
      if (std::string(op) == "Add") node.attributes["activation"] = std::string("Relu");
      auto want = run_node(node, inputs);
      ASSERT_TRUE(want.is_ok()) << want.status().to_string();
      for (const std::string& impl : optimized_implementations(op)) {
        ThreadPool pool(3);
        auto got = run_node(node, inputs, {}, impl, &pool);
        ASSERT_TRUE(got.is_ok()) << impl << " " << shape_to_string(c.a) << " " << shape_to_string(c.b) << ": "
                                 << got.status().to_string();
        ASSERT_EQ((*got)[0].shape(), (*want)[0].shape());
        for (std::int64_t i = 0; i < (*want)[0].num_elements(); ++i) {
          ASSERT_EQ((*got)[0].data<float>()[i], (*want)[0].data<float>()[i])
              << impl << " " << shape_to_string(c.a) << " " << shape_to_string(c.b) << " element " << i;
        }
      }
    }
  }
  // Both operands broadcasting ([3, 1] + [1, 4]) is declined: the reference runs it.
  Node add;
  add.op_type = "Add";
  for (const std::string& impl : optimized_implementations("Add")) {
    auto declined = run_node(add, {random_tensor({3, 1}, rng), random_tensor({1, 4}, rng)}, {}, impl);
    EXPECT_EQ(declined.status().code(), StatusCode::kUnsupported) << impl;
  }
}

}  // namespace
}  // namespace edgeai

namespace edgeai {
namespace {

TEST(OptimizedKernels, ConcatEqualsTheReferenceExactly) {
  // Every axis of 4-D inputs (channels-last pixels with short blocks, one whole block per
  // input), blocks of odd byte counts (uint8, 3 floats), three inputs, one of them empty,
  // negative axes, 1 and 3 threads.
  std::mt19937 rng(53);
  const std::vector<std::string> impls = edgeai::testing::optimized_implementations("Concat");
  ASSERT_FALSE(impls.empty());
  // (The larger shape makes several tasks per run: tasks are 64 KiB of output.)
  for (const Shape& base : {Shape{2, 5, 7, 3}, Shape{1, 40, 41, 20}}) {
    for (std::int64_t axis = -4; axis < 4; ++axis) {
      const std::int64_t a = axis < 0 ? axis + 4 : axis;
      for (const std::int64_t extra : {std::int64_t{0}, std::int64_t{16}, std::int64_t{19}}) {
        std::vector<Shape> shapes = {base, base, base};
        shapes[1][static_cast<std::size_t>(a)] += extra;
        shapes[2][static_cast<std::size_t>(a)] = extra == 0 ? 0 : 1;  // empty, then one slice
        for (const bool bytes : {false, true}) {
          std::vector<Tensor> inputs;
          for (const Shape& shape : shapes) {
            std::int64_t n = 1;
            for (std::int64_t d : shape) n *= d;
            std::vector<float> f(static_cast<std::size_t>(n));
            std::vector<std::uint8_t> u(static_cast<std::size_t>(n));
            for (std::size_t i = 0; i < f.size(); ++i) {
              f[i] = static_cast<float>(rng() % 100000) - 5000.0f;
              u[i] = static_cast<std::uint8_t>(rng());
            }
            inputs.push_back(bytes ? Tensor::from_vector<std::uint8_t>(shape, u)
                                   : Tensor::from_vector<float>(shape, f));
          }
          Node node;
          node.op_type = "Concat";
          node.name = "concat";
          node.attributes["axis"] = axis;
          auto want = edgeai::testing::run_node(node, inputs);
          ASSERT_TRUE(want.is_ok()) << want.status().to_string();
          for (const std::string& impl : impls) {
            for (const int threads : {1, 3}) {
              ThreadPool pool(threads);
              auto got = edgeai::testing::run_node(node, inputs, {}, impl, &pool);
              ASSERT_TRUE(got.is_ok()) << got.status().to_string();
              ASSERT_EQ((*got)[0].shape(), (*want)[0].shape());
              EXPECT_EQ(std::memcmp((*got)[0].raw_data(), (*want)[0].raw_data(), (*want)[0].size_bytes()), 0)
                  << impl << " axis " << axis << " extra " << extra << (bytes ? " uint8" : " float") << " threads "
                  << threads;
            }
          }
        }
      }
    }
  }
}

TEST(OptimizedKernels, LayoutTransposeEqualsTheReferenceExactly) {
  // (N, C, H, W) <-> (N, H, W, C) for float32 and uint8, few channels (the unrolled path) and
  // many (the tiled one), sizes that are not multiples of the tile; other perms are declined.
  std::mt19937 rng(47);
  const std::vector<std::string> impls = edgeai::testing::optimized_implementations("Transpose");
  ASSERT_FALSE(impls.empty());
  for (const Shape& shape : {Shape{1, 3, 17, 19}, Shape{2, 4, 5, 70}, Shape{1, 45, 7, 9}, Shape{3, 33, 1, 35},
                             Shape{1, 1, 2, 3}, Shape{2, 70, 3, 40}}) {
    for (const std::vector<std::int64_t>& perm : {std::vector<std::int64_t>{0, 2, 3, 1}, std::vector<std::int64_t>{0, 3, 1, 2}}) {
      Node node;
      node.op_type = "Transpose";
      node.name = "t";
      node.attributes["perm"] = perm;
      std::int64_t n = 1;
      for (std::int64_t d : shape) n *= d;
      std::vector<float> f(static_cast<std::size_t>(n));
      std::vector<std::uint8_t> u(static_cast<std::size_t>(n));
      for (std::size_t i = 0; i < f.size(); ++i) {
        f[i] = static_cast<float>(rng() % 100000) - 5000.0f;
        u[i] = static_cast<std::uint8_t>(rng());
      }
      for (const Tensor& x : {Tensor::from_vector<float>(shape, f), Tensor::from_vector<std::uint8_t>(shape, u)}) {
        auto want = edgeai::testing::run_node(node, {x});
        ASSERT_TRUE(want.is_ok()) << want.status().to_string();
        for (const std::string& impl : impls) {
          ThreadPool pool(3);
          auto got = edgeai::testing::run_node(node, {x}, {}, impl, &pool);
          ASSERT_TRUE(got.is_ok()) << got.status().to_string();
          ASSERT_EQ((*got)[0].shape(), (*want)[0].shape());
          EXPECT_EQ(std::memcmp((*got)[0].raw_data(), (*want)[0].raw_data(), (*want)[0].size_bytes()), 0)
              << impl << " " << shape_to_string(shape) << " perm " << shape_to_string(perm);
        }
      }
    }
  }
  // The last two axes swapped (a channels-last channel shuffle): small matrices, many of them.
  for (const auto& [shape, perm] : {std::pair{Shape{1, 5, 7, 2, 29}, std::vector<std::int64_t>{0, 1, 2, 4, 3}},
                                    std::pair{Shape{3, 40, 37}, std::vector<std::int64_t>{0, 2, 1}},
                                    std::pair{Shape{6, 5}, std::vector<std::int64_t>{1, 0}}}) {
    Node node;
    node.op_type = "Transpose";
    node.name = "swap";
    node.attributes["perm"] = perm;
    std::int64_t n = 1;
    for (std::int64_t d : shape) n *= d;
    std::vector<float> f(static_cast<std::size_t>(n));
    for (float& v : f) v = static_cast<float>(rng() % 1000);
    const Tensor x = Tensor::from_vector<float>(shape, f);
    auto want = edgeai::testing::run_node(node, {x});
    ASSERT_TRUE(want.is_ok()) << want.status().to_string();
    for (const std::string& impl : impls) {
      ThreadPool pool(3);
      auto got = edgeai::testing::run_node(node, {x}, {}, impl, &pool);
      ASSERT_TRUE(got.is_ok()) << got.status().to_string();
      EXPECT_EQ(std::memcmp((*got)[0].raw_data(), (*want)[0].raw_data(), (*want)[0].size_bytes()), 0)
          << impl << " " << shape_to_string(shape);
    }
  }
  Node other;
  other.op_type = "Transpose";
  other.attributes["perm"] = std::vector<std::int64_t>{1, 0, 3, 2};
  for (const std::string& impl : impls) {
    auto declined = edgeai::testing::run_node(other, {Tensor::from_vector<float>({1, 2, 3, 4}, std::vector<float>(24, 1.0f))},
                                              {}, impl);
    EXPECT_EQ(declined.status().code(), StatusCode::kUnsupported) << impl;
  }
}

}  // namespace
}  // namespace edgeai
