#include "compress/gptq.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "compress/compress.hpp"
#include "compress/weight_only.hpp"
#include "core/float16.hpp"
#include "format/bundle.hpp"
#include "graph/validate.hpp"
#include "runtime/session.hpp"
#include "model_fixtures.hpp"

namespace edgeai {
namespace {

using testing::make_node;
using testing::bundle_of;
using testing::random_tensor;

std::vector<std::int8_t> nearest(const std::vector<float>& w, std::int64_t rows, std::int64_t size,
                                 const std::vector<float>& scales, int qmax) {
  std::vector<std::int8_t> q(w.size());
  for (std::int64_t r = 0; r < rows; ++r) {
    for (std::int64_t k = 0; k < size; ++k) {
      q[r * size + k] = static_cast<std::int8_t>(quant::quantize_value(w[r * size + k], scales[r], 0, -qmax, qmax));
    }
  }
  return q;
}

// Mean over the inputs x (rows of `xs`) of ||(W - s * Q) x||^2.
double output_error(const std::vector<float>& w, const std::vector<std::int8_t>& q, const std::vector<float>& scales,
                    std::int64_t rows, std::int64_t size, const std::vector<std::vector<double>>& xs) {
  double total = 0.0;
  for (const auto& x : xs) {
    for (std::int64_t r = 0; r < rows; ++r) {
      double e = 0.0;
      for (std::int64_t k = 0; k < size; ++k) e += (w[r * size + k] - scales[r] * q[r * size + k]) * x[k];
      total += e * e;
    }
  }
  return total / static_cast<double>(xs.size());
}

struct Problem {
  std::int64_t rows = 6, size = 12;
  std::vector<float> w, scales;
  std::vector<std::vector<double>> xs;
  std::vector<double> moment;
};

// Correlated inputs (x = A z): where GPTQ's compensation has something to work with.
Problem correlated_problem(int qmax) {
  Problem p;
  std::mt19937 rng(5);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::vector<double> a(static_cast<std::size_t>(p.size * 3));
  for (double& v : a) v = normal(rng);
  for (int n = 0; n < 400; ++n) {
    double z[3] = {normal(rng), normal(rng), normal(rng)};
    std::vector<double> x(static_cast<std::size_t>(p.size));
    for (std::int64_t k = 0; k < p.size; ++k) x[k] = a[k * 3] * z[0] + a[k * 3 + 1] * z[1] + a[k * 3 + 2] * z[2] + 0.05 * normal(rng);
    p.xs.push_back(x);
  }
  p.moment.assign(static_cast<std::size_t>(p.size * p.size), 0.0);
  for (const auto& x : p.xs) {
    for (std::int64_t i = 0; i < p.size; ++i) {
      for (std::int64_t j = 0; j < p.size; ++j) p.moment[i * p.size + j] += x[i] * x[j] / p.xs.size();
    }
  }
  for (std::int64_t r = 0; r < p.rows; ++r) {
    float max_abs = 0.0f;
    for (std::int64_t k = 0; k < p.size; ++k) {
      p.w.push_back(static_cast<float>(normal(rng)));
      max_abs = std::max(max_abs, std::fabs(p.w.back()));
    }
    p.scales.push_back(max_abs / static_cast<float>(qmax));
  }
  return p;
}

TEST(GptqRound, LowersTheOutputErrorOnCorrelatedInputs) {
  for (int qmax : {127, 7}) {
    Problem p = correlated_problem(qmax);
    std::vector<std::int8_t> q(p.w.size());
    ASSERT_TRUE(gptq_round(p.w.data(), p.rows, p.size, p.moment.data(), p.scales.data(), qmax, q.data()));
    for (std::int8_t v : q) EXPECT_LE(std::abs(int{v}), qmax);
    const double gptq = output_error(p.w, q, p.scales, p.rows, p.size, p.xs);
    const double rtn = output_error(p.w, nearest(p.w, p.rows, p.size, p.scales, qmax), p.scales, p.rows, p.size, p.xs);
    // Rounding against the inputs at least halves the error here (nearest ignores them).
    EXPECT_LT(gptq, 0.5 * rtn) << "qmax " << qmax << ": gptq " << gptq << ", nearest " << rtn;
  }
}

TEST(GptqRound, UncorrelatedInputsGiveNearestRounding) {
  // With E[x x^T] diagonal no weight can make up for another's error: GPTQ is nearest rounding.
  Problem p = correlated_problem(127);
  std::vector<double> diagonal(p.moment.size(), 0.0);
  for (std::int64_t i = 0; i < p.size; ++i) diagonal[i * p.size + i] = 1.0 + 0.1 * static_cast<double>(i);
  std::vector<std::int8_t> q(p.w.size());
  ASSERT_TRUE(gptq_round(p.w.data(), p.rows, p.size, diagonal.data(), p.scales.data(), 127, q.data()));
  EXPECT_EQ(q, nearest(p.w, p.rows, p.size, p.scales, 127));
}

TEST(GptqRound, InputsThatAreAlwaysZeroRoundToNearest) {
  Problem p = correlated_problem(7);
  const std::int64_t dead = 4;
  for (std::int64_t j = 0; j < p.size; ++j) p.moment[dead * p.size + j] = p.moment[j * p.size + dead] = 0.0;
  std::vector<std::int8_t> q(p.w.size());
  ASSERT_TRUE(gptq_round(p.w.data(), p.rows, p.size, p.moment.data(), p.scales.data(), 7, q.data()));
  const std::vector<std::int8_t> rtn = nearest(p.w, p.rows, p.size, p.scales, 7);
  int changed = 0;
  for (std::int64_t r = 0; r < p.rows; ++r) {
    EXPECT_EQ(q[r * p.size + dead], rtn[r * p.size + dead]) << "row " << r;
    for (std::int64_t k = 0; k < p.size; ++k) changed += q[r * p.size + k] != rtn[r * p.size + k];
  }
  EXPECT_GT(changed, 0);  // the live inputs are still rounded by GPTQ
  // Nothing to fit to: a zero moment matrix is refused (the caller keeps nearest rounding).
  std::vector<double> zeros(p.moment.size(), 0.0);
  EXPECT_FALSE(gptq_round(p.w.data(), p.rows, p.size, zeros.data(), p.scales.data(), 7, q.data()));
}

// Mean output error of int4 weights (values q, float16 block scales) against w.
double int4_output_error(const Problem& p, const std::vector<std::int8_t>& q, const std::vector<std::uint16_t>& bits,
                         int block) {
  const std::int64_t blocks = (p.size + block - 1) / block;
  std::vector<float> unit(static_cast<std::size_t>(p.rows), 1.0f);
  std::vector<float> w_hat(p.w.size());
  for (std::int64_t r = 0; r < p.rows; ++r) {
    for (std::int64_t k = 0; k < p.size; ++k) {
      w_hat[r * p.size + k] = q[r * p.size + k] * float16_bits_to_float(bits[r * blocks + k / block]);
    }
  }
  // ||(W - W_hat) x||^2 with W_hat as "weights times 1".
  std::vector<float> diff(p.w.size());
  for (std::size_t i = 0; i < diff.size(); ++i) diff[i] = p.w[i] - w_hat[i];
  return output_error(diff, std::vector<std::int8_t>(p.w.size(), 0), unit, p.rows, p.size, p.xs);
}

TEST(GptqRoundInt4, DiagonalMomentIsExactlyTheNearestEncodingAndCorrelationLowersTheError) {
  Problem p = correlated_problem(7);
  const int block = 4;
  const std::int64_t blocks = (p.size + block - 1) / block;
  Tensor w = Tensor::from_vector<float>(Shape{p.rows, p.size}, p.w);
  Result<Int4Weights> nearest_int4 = encode_int4(w, block);
  ASSERT_TRUE(nearest_int4.is_ok());
  // Unpack the nearest encoding's values.
  std::vector<std::int8_t> rtn(p.w.size());
  for (std::size_t i = 0; i < rtn.size(); ++i) {
    const std::uint8_t byte = nearest_int4->packed.data<std::uint8_t>()[i / 2];
    const int nibble = i % 2 == 0 ? byte & 0x0f : byte >> 4;
    rtn[i] = static_cast<std::int8_t>(nibble >= 8 ? nibble - 16 : nibble);
  }
  const std::vector<std::uint16_t> rtn_bits(nearest_int4->scales.data<std::uint16_t>(),
                                            nearest_int4->scales.data<std::uint16_t>() + p.rows * blocks);

  std::vector<double> diagonal(p.moment.size(), 0.0);
  for (std::int64_t i = 0; i < p.size; ++i) diagonal[i * p.size + i] = 2.0;
  std::vector<std::int8_t> q(p.w.size());
  std::vector<std::uint16_t> bits(static_cast<std::size_t>(p.rows * blocks));
  ASSERT_TRUE(gptq_round_int4(p.w.data(), p.rows, p.size, diagonal.data(), block, q.data(), bits.data()));
  EXPECT_EQ(q, rtn);
  EXPECT_EQ(bits, rtn_bits);

  ASSERT_TRUE(gptq_round_int4(p.w.data(), p.rows, p.size, p.moment.data(), block, q.data(), bits.data()));
  for (std::int8_t v : q) EXPECT_LE(std::abs(int{v}), 7);
  const double gptq = int4_output_error(p, q, bits, block);
  const double nearest_error = int4_output_error(p, rtn, rtn_bits, block);
  EXPECT_LT(gptq, 0.5 * nearest_error) << "gptq " << gptq << ", nearest " << nearest_error;
}

// x [1,4,5,6] -> Conv 3x3, 2 groups, stride 2, pads 1 -> y; y flattened -> Gemm (transA 0).
Graph conv_gemm_graph() {
  std::mt19937 rng(3);
  Graph g;
  g.name = "conv_gemm";
  g.inputs = {ValueInfo{"x", DType::kFloat32, {1, 4, 5, 6}}};
  g.outputs = {ValueInfo{"z", DType::kFloat32, {}}};
  g.constants["w"] = random_tensor({6, 2, 3, 3}, rng, 0.4f);
  g.constants["wfc"] = random_tensor({3, 54}, rng, 0.3f);
  g.nodes = {
      make_node("Conv", {"x", "w"}, {"y"},
                {{"pads", std::vector<std::int64_t>{1, 1, 1, 1}},
                 {"strides", std::vector<std::int64_t>{2, 2}},
                 {"group", std::int64_t{2}}}),
      make_node("Flatten", {"y"}, {"f"}),
      make_node("Gemm", {"f", "wfc"}, {"z"}, {{"transB", std::int64_t{1}}}),
  };
  EXPECT_TRUE(validate_graph(g).is_ok());
  return g;
}

TEST(CollectInputCovariances, ConvPatchesAndGemmRowsMatchABruteForceSum) {
  const Graph g = conv_gemm_graph();
  const LabeledData data = testing::random_normal_data(g, 5, 21, 1.0f);
  const std::map<std::string, std::pair<float, float>> ranges = {{"x", {-4.0f, 4.0f}}, {"f", {-8.0f, 8.0f}}};
  auto cov = collect_input_covariances(g, data, &ranges);
  ASSERT_TRUE(cov.is_ok()) << cov.status().to_string();
  ASSERT_EQ(cov->size(), 2u);

  // Conv: per group, the patch (2 channels x 3 x 3 taps, padding as 0) of each of the 3 x 3
  // outputs of each sample.
  const InputCovariance& conv = cov->at("y_node");
  EXPECT_EQ(conv.groups, 2);
  EXPECT_EQ(conv.size, 18);
  EXPECT_EQ(conv.vectors, 5 * 3 * 3);
  const float* x = data.inputs[0].data<float>();
  for (int group = 0; group < 2; ++group) {
    std::vector<double> want(18 * 18, 0.0);
    for (int n = 0; n < 5; ++n) {
      for (int oy = 0; oy < 3; ++oy) {
        for (int ox = 0; ox < 3; ++ox) {
          std::vector<double> patch(18, 0.0);
          for (int c = 0; c < 2; ++c) {
            for (int ky = 0; ky < 3; ++ky) {
              for (int kx = 0; kx < 3; ++kx) {
                const int iy = oy * 2 - 1 + ky, ix = ox * 2 - 1 + kx;
                if (iy < 0 || iy >= 5 || ix < 0 || ix >= 6) continue;
                patch[c * 9 + ky * 3 + kx] = x[((n * 4 + group * 2 + c) * 5 + iy) * 6 + ix];
              }
            }
          }
          for (int i = 0; i < 18; ++i) {
            for (int j = 0; j < 18; ++j) want[i * 18 + j] += patch[i] * patch[j] / 45.0;
          }
        }
      }
    }
    for (int i = 0; i < 18 * 18; ++i) {
      ASSERT_NEAR(conv.moment[group * 18 * 18 + i], want[i], 1e-6) << "group " << group << " cell " << i;
    }
  }
  const InputCovariance& gemm = cov->at("z_node");
  EXPECT_EQ(gemm.groups, 1);
  EXPECT_EQ(gemm.size, 54);
  EXPECT_EQ(gemm.vectors, 5);
  EXPECT_GT(gemm.moment[0], 0.0);
  EXPECT_EQ(gemm.moment[1 * 54 + 7], gemm.moment[7 * 54 + 1]);
}

TEST(CollectInputCovariances, SameDataInAnyOrderGivesTheSameBits) {
  const Graph g = conv_gemm_graph();
  const LabeledData data = testing::random_normal_data(g, 6, 22, 1.0f);
  std::vector<std::int64_t> order = {5, 2, 0, 4, 1, 3};
  const LabeledData shuffled = *data.subset(order);
  const std::map<std::string, std::pair<float, float>> ranges = {{"x", {-4.0f, 4.0f}}, {"f", {-8.0f, 8.0f}}};
  auto a = collect_input_covariances(g, data, &ranges);
  auto b = collect_input_covariances(g, shuffled, &ranges);
  ASSERT_TRUE(a.is_ok() && b.is_ok());
  for (const char* node : {"y_node", "z_node"}) EXPECT_EQ(a->at(node).moment, b->at(node).moment) << node;
  // A layer whose input has no calibrated range is left to nearest rounding (not an error).
  const std::map<std::string, std::pair<float, float>> only_x = {{"x", {-4.0f, 4.0f}}};
  auto partial = collect_input_covariances(g, data, &only_x);
  ASSERT_TRUE(partial.is_ok());
  EXPECT_EQ(partial->count("z_node"), 0u);
  EXPECT_EQ(partial->count("y_node"), 1u);
}

TEST(CompressWithGptq, ChangesOnlyTheIntegersAndStaysOrderIndependent) {
  const Graph g = testing::small_cnn();
  const LabeledData calibration = testing::random_data(g, 48, 31, 2.0f);
  CompressOptions nearest_options;
  CompressOptions gptq_options;
  gptq_options.weight_rounding = WeightRounding::kGptq;
  auto rtn = compress_model(bundle_of(testing::small_cnn()), &calibration, nullptr, nearest_options);
  auto gptq = compress_model(bundle_of(testing::small_cnn()), &calibration, nullptr, gptq_options);
  ASSERT_TRUE(rtn.is_ok() && gptq.is_ok()) << gptq.status().to_string();
  EXPECT_EQ(gptq->bundle.manifest.metadata.at("compression.weight_rounding"), "gptq");
  EXPECT_EQ(rtn->bundle.manifest.metadata.count("compression.weight_rounding"), 0u);
  // Same format: the same operators and scales, other integers in some weights.
  ASSERT_EQ(rtn->bundle.graph.nodes.size(), gptq->bundle.graph.nodes.size());
  int differing = 0;
  for (const auto& [name, t] : rtn->bundle.graph.constants) {
    const Tensor& u = gptq->bundle.graph.constants.at(name);
    ASSERT_EQ(t.dtype(), u.dtype()) << name;
    if (t.dtype() == DType::kFloat32) {
      for (std::int64_t i = 0; i < t.num_elements(); ++i) ASSERT_EQ(t.data<float>()[i], u.data<float>()[i]) << name;
    }
    if (t.dtype() == DType::kInt8 && t.num_elements() > 1) {
      for (std::int64_t i = 0; i < t.num_elements(); ++i) differing += t.data<std::int8_t>()[i] != u.data<std::int8_t>()[i];
    }
  }
  EXPECT_GT(differing, 0);
  // Reversed calibration data: the same bytes.
  std::vector<std::int64_t> reversed(static_cast<std::size_t>(calibration.size()));
  for (std::int64_t i = 0; i < calibration.size(); ++i) reversed[static_cast<std::size_t>(i)] = calibration.size() - 1 - i;
  const LabeledData shuffled = *calibration.subset(reversed);
  auto again = compress_model(bundle_of(testing::small_cnn()), &shuffled, nullptr, gptq_options);
  ASSERT_TRUE(again.is_ok());
  EXPECT_EQ(*serialize_bundle(gptq->bundle), *serialize_bundle(again->bundle));
}

// x [1,8,6,6] -> Conv 3x3 (16 ch, relu) -> GlobalAveragePool -> Flatten -> Gemm (20, transB):
// weights of 1152 and 320 values, enough to be stored as int4.
Graph int4_sized_graph() {
  std::mt19937 rng(9);
  Graph g;
  g.name = "int4_sized";
  g.inputs = {ValueInfo{"x", DType::kFloat32, {1, 8, 6, 6}}};
  g.outputs = {ValueInfo{"z", DType::kFloat32, {}}};
  g.constants["w"] = random_tensor({16, 8, 3, 3}, rng, 0.3f);
  g.constants["wfc"] = random_tensor({20, 16}, rng, 0.3f);
  g.nodes = {
      make_node("Conv", {"x", "w"}, {"y"}, {{"pads", std::vector<std::int64_t>{1, 1, 1, 1}}, {"activation", "Relu"}}),
      make_node("GlobalAveragePool", {"y"}, {"g"}),
      make_node("Flatten", {"g"}, {"f"}),
      make_node("Gemm", {"f", "wfc"}, {"z"}, {{"transB", std::int64_t{1}}}),
  };
  EXPECT_TRUE(validate_graph(g).is_ok());
  return g;
}

TEST(CompressWithGptq, Int4WeightsAreFittedToTheCalibrationInputs) {
  const Graph g = int4_sized_graph();
  const LabeledData calibration = testing::random_data(g, 24, 31, 2.0f);
  CompressOptions options;
  options.weights = WeightFormat::kInt4;
  options.int4_block_size = 8;
  auto nearest_int4 = compress_model(bundle_of(int4_sized_graph()), &calibration, nullptr, options);
  options.weight_rounding = WeightRounding::kGptq;
  auto gptq = compress_model(bundle_of(int4_sized_graph()), &calibration, nullptr, options);
  ASSERT_TRUE(nearest_int4.is_ok() && gptq.is_ok()) << gptq.status().to_string();
  EXPECT_EQ(gptq->bundle.manifest.metadata.at("compression.weight_rounding"), "gptq");
  // The same tensors (names, types, shapes); other nibbles in the packed weights.
  int differing = 0;
  for (const auto& [name, t] : nearest_int4->bundle.graph.constants) {
    const Tensor& u = gptq->bundle.graph.constants.at(name);
    ASSERT_EQ(t.shape(), u.shape()) << name;
    if (t.dtype() == DType::kUInt8) {
      for (std::int64_t i = 0; i < t.num_elements(); ++i) differing += t.data<std::uint8_t>()[i] != u.data<std::uint8_t>()[i];
    }
  }
  EXPECT_GT(differing, 0);
  // On the calibration data the GPTQ model's outputs are closer to float than nearest rounding's.
  const auto squared_error = [&](const Graph& compressed) {
    auto fp = Session::create(g);
    auto q = Session::create(compressed);
    EXPECT_TRUE(fp.is_ok() && q.is_ok());
    double total = 0.0;
    for (std::int64_t n = 0; n < calibration.size(); ++n) {
      TensorView x{DType::kFloat32, Shape{1, 8, 6, 6}, calibration.inputs[0].data<float>() + n * 288};
      EXPECT_TRUE((*fp)->run({&x, 1}).is_ok() && (*q)->run({&x, 1}).is_ok());
      for (int i = 0; i < 20; ++i) {
        const double d = (*fp)->output(0).data_as<const float>()[i] - (*q)->output(0).data_as<const float>()[i];
        total += d * d;
      }
    }
    return total;
  };
  EXPECT_LT(squared_error(gptq->bundle.graph), squared_error(nearest_int4->bundle.graph));
  // Without calibration data GPTQ has nothing to fit to.
  auto missing = compress_model(bundle_of(int4_sized_graph()), nullptr, nullptr, options);
  ASSERT_FALSE(missing.is_ok());
  EXPECT_NE(missing.status().message().find("needs calibration data"), std::string::npos);
}

TEST(ParseWeightRounding, NamesAndErrors) {
  EXPECT_EQ(*parse_weight_rounding("gptq"), WeightRounding::kGptq);
  EXPECT_EQ(*parse_weight_rounding("nearest"), WeightRounding::kNearest);
  auto bad = parse_weight_rounding("adaround");
  ASSERT_FALSE(bad.is_ok());
  EXPECT_NE(bad.status().message().find("nearest or gptq"), std::string::npos);
}

}  // namespace
}  // namespace edgeai
