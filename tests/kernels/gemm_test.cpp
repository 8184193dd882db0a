// Tests of the reference Gemm and MatMul kernels and their schemas: hand-worked examples,
// randomised shapes against naive triple loops written here, and the error paths.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "run_node.hpp"

namespace edgeai {
namespace {

using edgeai::testing::run_node;

std::vector<float> random_values(std::int64_t n, std::mt19937& rng) {
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> v(static_cast<std::size_t>(n));
  for (float& x : v) x = dist(rng);
  return v;
}

std::vector<float> values_of(const Tensor& t) {
  return std::vector<float>(t.data<float>(), t.data<float>() + t.num_elements());
}

Node make_node(const std::string& op_type, std::map<std::string, Attribute> attributes = {}) {
  Node node;
  node.op_type = op_type;
  node.name = "fc";
  node.attributes = std::move(attributes);
  return node;
}

void expect_all_near(const Tensor& got, const std::vector<float>& expected, const std::string& label) {
  ASSERT_EQ(static_cast<std::size_t>(got.num_elements()), expected.size()) << label;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    ASSERT_NEAR(got.data<float>()[i], expected[i], 1e-4f * (1.0f + std::fabs(expected[i]))) << label << " at " << i;
  }
}

// Hand-worked (checked with numpy): [[1,2,3],[4,5,6]] @ [[1,0],[0,1],[1,1]] = [[4,5],[10,11]].
TEST(GemmKernel, HandWorkedProduct) {
  Tensor a = Tensor::from_values<float>({2, 3}, {1, 2, 3, 4, 5, 6});
  Tensor b = Tensor::from_values<float>({3, 2}, {1, 0, 0, 1, 1, 1});
  auto out = run_node(make_node("Gemm"), {a, b});
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  EXPECT_EQ((*out)[0].shape(), (Shape{2, 2}));
  EXPECT_EQ(values_of((*out)[0]), (std::vector<float>{4, 5, 10, 11}));
}

// alpha = 0.5, beta = 2, C = [[1], [-1]] broadcast along columns:
// 0.5 * [[4,5],[10,11]] + 2 * [[1,1],[-1,-1]] = [[4, 4.5], [3, 3.5]].
TEST(GemmKernel, AlphaBetaAndColumnBias) {
  Tensor a = Tensor::from_values<float>({2, 3}, {1, 2, 3, 4, 5, 6});
  Tensor b = Tensor::from_values<float>({3, 2}, {1, 0, 0, 1, 1, 1});
  Tensor c = Tensor::from_values<float>({2, 1}, {1, -1});
  auto out = run_node(make_node("Gemm", {{"alpha", 0.5f}, {"beta", 2.0f}}), {a, b, c});
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  EXPECT_EQ(values_of((*out)[0]), (std::vector<float>{4, 4.5f, 3, 3.5f}));
}

// The same product with both operands stored transposed, a scalar C and a fused Relu:
// [[4,5],[10,11]] - 7 = [[-3,-2],[3,4]] -> Relu [[0,0],[3,4]].
TEST(GemmKernel, TransposedOperandsScalarBiasFusedRelu) {
  Tensor at = Tensor::from_values<float>({3, 2}, {1, 4, 2, 5, 3, 6});
  Tensor bt = Tensor::from_values<float>({2, 3}, {1, 0, 1, 0, 1, 1});
  Tensor c = Tensor::from_values<float>({}, {-7});
  auto out = run_node(
      make_node("Gemm",
                {{"transA", std::int64_t{1}}, {"transB", std::int64_t{1}}, {"activation", std::string("Relu")}}),
      {at, bt, c}, {false, true, true});
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  EXPECT_EQ(values_of((*out)[0]), (std::vector<float>{0, 0, 3, 4}));
}

// Naive Gemm: Y[i][j] = alpha * sum_k A'[i][k] B'[k][j] + beta * C[broadcast i][broadcast j].
TEST(GemmKernelRandom, MatchesNaiveForAllTransposesAndBiasShapes) {
  std::mt19937 rng(7);
  const std::int64_t m = 5, k = 7, n = 3;
  const std::vector<Shape> c_shapes = {{}, {1}, {n}, {1, n}, {m, 1}, {m, n}, {1, 1}};
  for (int trans_a = 0; trans_a < 2; ++trans_a) {
    for (int trans_b = 0; trans_b < 2; ++trans_b) {
      for (int c_case = -1; c_case < static_cast<int>(c_shapes.size()); ++c_case) {
        const Shape a_shape = trans_a ? Shape{k, m} : Shape{m, k};
        const Shape b_shape = trans_b ? Shape{n, k} : Shape{k, n};
        const std::vector<float> a = random_values(m * k, rng), b = random_values(k * n, rng);
        const float alpha = 0.75f, beta = -1.5f;
        std::vector<Tensor> inputs{Tensor::from_vector<float>(a_shape, a), Tensor::from_vector<float>(b_shape, b)};
        std::vector<float> c;
        Shape c_full{1, 1};
        if (c_case >= 0) {
          const Shape& cs = c_shapes[static_cast<std::size_t>(c_case)];
          c = random_values(element_count(cs).value(), rng);
          inputs.push_back(Tensor::from_vector<float>(cs, c));
          c_full = cs;
          while (c_full.size() < 2) c_full.insert(c_full.begin(), 1);
        }
        std::vector<float> expected(static_cast<std::size_t>(m * n));
        for (std::int64_t i = 0; i < m; ++i) {
          for (std::int64_t j = 0; j < n; ++j) {
            double acc = 0.0;
            for (std::int64_t p = 0; p < k; ++p) {
              const float av =
                  trans_a ? a[static_cast<std::size_t>(p * m + i)] : a[static_cast<std::size_t>(i * k + p)];
              const float bv =
                  trans_b ? b[static_cast<std::size_t>(j * k + p)] : b[static_cast<std::size_t>(p * n + j)];
              acc += static_cast<double>(av) * bv;
            }
            double value = alpha * acc;
            if (!c.empty()) {
              const std::int64_t ci = c_full[0] == 1 ? 0 : i, cj = c_full[1] == 1 ? 0 : j;
              value += beta * c[static_cast<std::size_t>(ci * c_full[1] + cj)];
            }
            expected[static_cast<std::size_t>(i * n + j)] = static_cast<float>(value);
          }
        }
        const std::string label = "transA " + std::to_string(trans_a) + " transB " + std::to_string(trans_b) +
                                  " C case " + std::to_string(c_case);
        auto out = run_node(make_node("Gemm", {{"alpha", alpha},
                                               {"beta", beta},
                                               {"transA", std::int64_t{trans_a}},
                                               {"transB", std::int64_t{trans_b}}}),
                            inputs);
        ASSERT_TRUE(out.is_ok()) << label << ": " << out.status().to_string();
        EXPECT_EQ((*out)[0].shape(), (Shape{m, n})) << label;
        expect_all_near((*out)[0], expected, label);
      }
    }
  }
}

TEST(GemmKernel, ReportsMacs) {
  KernelSignature sig;
  sig.inputs = {ValueInfo{"a", DType::kFloat32, {4, 6}}, ValueInfo{"b", DType::kFloat32, {5, 6}}};
  sig.outputs = {ValueInfo{"y", DType::kFloat32, {4, 5}}};
  auto kernel = KernelRegistry::builtin().create("Gemm");
  ASSERT_TRUE(kernel.is_ok());
  ASSERT_TRUE((*kernel)->prepare(make_node("Gemm", {{"transB", std::int64_t{1}}}), sig).is_ok());
  EXPECT_EQ((*kernel)->macs(), 4 * 6 * 5);
}

TEST(GemmKernelErrors, InnerDimensionMismatchNamesNode) {
  Tensor a = Tensor::from_vector<float>({2, 3}, std::vector<float>(6, 0.0f));
  Tensor b = Tensor::from_vector<float>({4, 2}, std::vector<float>(8, 0.0f));
  auto out = run_node(make_node("Gemm"), {a, b});
  ASSERT_FALSE(out.is_ok());
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(out.status().message().find("Gemm 'fc'"), std::string::npos) << out.status().message();
  EXPECT_NE(out.status().message().find("K = 3"), std::string::npos) << out.status().message();
}

TEST(GemmKernelErrors, BiasNotBroadcastable) {
  Tensor a = Tensor::from_vector<float>({2, 3}, std::vector<float>(6, 0.0f));
  Tensor b = Tensor::from_vector<float>({3, 4}, std::vector<float>(12, 0.0f));
  Tensor c = Tensor::from_vector<float>({3}, std::vector<float>(3, 0.0f));
  auto out = run_node(make_node("Gemm"), {a, b, c});
  ASSERT_FALSE(out.is_ok());
  EXPECT_NE(out.status().message().find("Gemm 'fc': C [3] is not unidirectionally broadcastable to the output [2,4]"),
            std::string::npos)
      << out.status().message();
}

TEST(GemmKernelErrors, WrongAttributeTypeAndDtype) {
  Tensor a = Tensor::from_vector<float>({2, 3}, std::vector<float>(6, 0.0f));
  Tensor b = Tensor::from_vector<float>({3, 4}, std::vector<float>(12, 0.0f));
  auto bad_attr = run_node(make_node("Gemm", {{"alpha", std::int64_t{2}}}), {a, b});
  ASSERT_FALSE(bad_attr.is_ok());
  EXPECT_NE(bad_attr.status().message().find("Gemm 'fc': attribute 'alpha' must be of type float, got int"),
            std::string::npos)
      << bad_attr.status().message();

  Tensor ai = Tensor::from_vector<std::int32_t>({2, 3}, std::vector<std::int32_t>(6, 1));
  Tensor bi = Tensor::from_vector<std::int32_t>({3, 4}, std::vector<std::int32_t>(12, 1));
  auto bad_dtype = run_node(make_node("Gemm"), {ai, bi});
  ASSERT_FALSE(bad_dtype.is_ok());
  EXPECT_EQ(bad_dtype.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(bad_dtype.status().message().find("Gemm 'fc'"), std::string::npos);
  EXPECT_NE(bad_dtype.status().message().find("int32"), std::string::npos) << bad_dtype.status().message();
}

// ---- MatMul ----

// numpy.matmul written out: 1-D operands promoted, batch axes broadcast, added axes removed.
std::vector<float> naive_matmul(const Shape& a_shape, const std::vector<float>& a, const Shape& b_shape,
                                const std::vector<float>& b, Shape& out_shape) {
  Shape as = a_shape, bs = b_shape;
  if (as.size() == 1) as.insert(as.begin(), 1);
  if (bs.size() == 1) bs.push_back(1);
  const std::int64_t m = as[as.size() - 2], k = as.back(), n = bs.back();
  const std::size_t batch_rank = std::max(as.size(), bs.size()) - 2;
  while (as.size() < batch_rank + 2) as.insert(as.begin(), 1);
  while (bs.size() < batch_rank + 2) bs.insert(bs.begin(), 1);
  Shape batch(batch_rank);
  std::int64_t batches = 1;
  for (std::size_t d = 0; d < batch_rank; ++d) {
    batch[d] = std::max(as[d], bs[d]);
    batches *= batch[d];
  }
  std::vector<float> y(static_cast<std::size_t>(batches * m * n));
  for (std::int64_t flat = 0; flat < batches; ++flat) {
    std::int64_t rest = flat, a_block = 0, b_block = 0, a_mul = 1, b_mul = 1;
    for (std::size_t d = batch_rank; d-- > 0;) {
      const std::int64_t idx = rest % batch[d];
      rest /= batch[d];
      a_block += (as[d] == 1 ? 0 : idx) * a_mul;
      b_block += (bs[d] == 1 ? 0 : idx) * b_mul;
      a_mul *= as[d];
      b_mul *= bs[d];
    }
    for (std::int64_t i = 0; i < m; ++i) {
      for (std::int64_t j = 0; j < n; ++j) {
        double acc = 0.0;
        for (std::int64_t p = 0; p < k; ++p) {
          acc += static_cast<double>(a[static_cast<std::size_t>(a_block * m * k + i * k + p)]) *
                 b[static_cast<std::size_t>(b_block * k * n + p * n + j)];
        }
        y[static_cast<std::size_t>(flat * m * n + i * n + j)] = static_cast<float>(acc);
      }
    }
  }
  out_shape = batch;
  if (a_shape.size() > 1) out_shape.push_back(m);
  if (b_shape.size() > 1) out_shape.push_back(n);
  return y;
}

TEST(MatMulKernel, HandWorkedVectorCases) {
  // [1,2,3] . [4,5,6] = 32, a 0-D result.
  Tensor v = Tensor::from_values<float>({3}, {1, 2, 3});
  Tensor u = Tensor::from_values<float>({3}, {4, 5, 6});
  auto dot = run_node(make_node("MatMul"), {v, u});
  ASSERT_TRUE(dot.is_ok()) << dot.status().to_string();
  EXPECT_EQ((*dot)[0].shape(), Shape{});
  EXPECT_EQ(values_of((*dot)[0]), std::vector<float>{32});
  // [1,2,3] @ [[1,0],[0,1],[1,1]] = [4, 5]
  Tensor b = Tensor::from_values<float>({3, 2}, {1, 0, 0, 1, 1, 1});
  auto row = run_node(make_node("MatMul"), {v, b});
  ASSERT_TRUE(row.is_ok()) << row.status().to_string();
  EXPECT_EQ((*row)[0].shape(), Shape{2});
  EXPECT_EQ(values_of((*row)[0]), (std::vector<float>{4, 5}));
  // [[1,2,3],[4,5,6]] @ [4,5,6] = [32, 77]
  Tensor a = Tensor::from_values<float>({2, 3}, {1, 2, 3, 4, 5, 6});
  auto col = run_node(make_node("MatMul"), {a, u});
  ASSERT_TRUE(col.is_ok()) << col.status().to_string();
  EXPECT_EQ((*col)[0].shape(), Shape{2});
  EXPECT_EQ(values_of((*col)[0]), (std::vector<float>{32, 77}));
}

TEST(MatMulKernel, FusedTanh) {
  Tensor a = Tensor::from_values<float>({1, 2}, {0.5f, -1.0f});
  Tensor b = Tensor::from_values<float>({2, 1}, {1.0f, 1.0f});
  auto out = run_node(make_node("MatMul", {{"activation", std::string("Tanh")}}), {a, b});
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  EXPECT_NEAR((*out)[0].data<float>()[0], std::tanh(-0.5f), 1e-6f);
}

TEST(MatMulKernelRandom, MatchesNaiveWithBroadcasting) {
  std::mt19937 rng(99);
  const std::vector<std::pair<Shape, Shape>> cases = {
      {{3, 4}, {4, 5}},          {{2, 3, 4}, {2, 4, 3}}, {{1, 2, 3, 4}, {1, 2, 4, 3}},    {{2, 1, 3, 4}, {5, 4, 2}},
      {{7}, {3, 7, 2}},          {{3, 2, 7}, {7}},       {{4, 1, 5}, {1, 5, 6}},          {{1, 1, 9}, {9, 1}},
      {{2, 3, 1, 4}, {3, 4, 5}}, {{6, 17}, {17, 33}},    {{5, 1, 1, 2, 3}, {4, 1, 3, 2}},
  };
  for (const auto& [a_shape, b_shape] : cases) {
    const std::vector<float> a = random_values(element_count(a_shape).value(), rng);
    const std::vector<float> b = random_values(element_count(b_shape).value(), rng);
    Shape expected_shape;
    const std::vector<float> expected = naive_matmul(a_shape, a, b_shape, b, expected_shape);
    const std::string label = shape_to_string(a_shape) + " @ " + shape_to_string(b_shape);
    auto out =
        run_node(make_node("MatMul"), {Tensor::from_vector<float>(a_shape, a), Tensor::from_vector<float>(b_shape, b)});
    ASSERT_TRUE(out.is_ok()) << label << ": " << out.status().to_string();
    EXPECT_EQ((*out)[0].shape(), expected_shape) << label;
    expect_all_near((*out)[0], expected, label);
  }
}

TEST(MatMulKernelErrors, MismatchedShapesNameNode) {
  Tensor a = Tensor::from_vector<float>({2, 3, 4}, std::vector<float>(24, 0.0f));
  Tensor b = Tensor::from_vector<float>({5, 4}, std::vector<float>(20, 0.0f));
  auto inner = run_node(make_node("MatMul"), {a, b});
  ASSERT_FALSE(inner.is_ok());
  EXPECT_NE(inner.status().message().find("MatMul 'fc': inner dimensions differ"), std::string::npos)
      << inner.status().message();
  Tensor c = Tensor::from_vector<float>({3, 4, 2}, std::vector<float>(24, 0.0f));
  auto batch = run_node(make_node("MatMul"), {a, c});
  ASSERT_FALSE(batch.is_ok());
  EXPECT_NE(batch.status().message().find("MatMul 'fc': batch dimensions of A [2,3,4] and B [3,4,2] do not broadcast"),
            std::string::npos)
      << batch.status().message();
}

}  // namespace
}  // namespace edgeai
