// Tests of the elementwise reference kernels and their schemas (src/kernels/reference/
// elementwise.cpp, src/graph/ops/elementwise_ops.cpp). Expected values are hand-worked,
// from the ONNX operator pages, or computed with numpy as noted next to them.
#include <gtest/gtest.h>

#include <cmath>

#include "graph/fused_activation.hpp"
#include "run_node.hpp"

namespace edgeai {
namespace {

using edgeai::testing::run_node;

Node make_node(std::string op_type, std::map<std::string, Attribute> attributes = {}) {
  Node node;
  node.name = "n1";
  node.op_type = std::move(op_type);
  node.attributes = std::move(attributes);
  return node;
}

template <typename T>
std::vector<T> values_of(const Tensor& t) {
  return std::vector<T>(t.data<const T>(), t.data<const T>() + t.num_elements());
}

void expect_floats_near(const Tensor& t, const std::vector<float>& expected, float tolerance = 1e-6f) {
  ASSERT_EQ(t.dtype(), DType::kFloat32);
  ASSERT_EQ(t.num_elements(), static_cast<std::int64_t>(expected.size()));
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_NEAR(t.data<const float>()[i], expected[i], tolerance) << "element " << i;
  }
}

// Runs a single-output node and returns its output; fails the test on error.
Tensor run_one(const Node& node, const std::vector<Tensor>& inputs, std::vector<bool> as_constants = {}) {
  Result<std::vector<Tensor>> out = run_node(node, inputs, std::move(as_constants));
  EXPECT_TRUE(out.is_ok()) << out.status().to_string();
  if (!out.is_ok()) return Tensor();
  return (*out)[0];
}

// Fills a float tensor with 0.5 * i - 3 (distinct, signed, non-integer values).
Tensor ramp(Shape shape) {
  const std::int64_t n = element_count(shape).value();
  std::vector<float> v(n);
  for (std::int64_t i = 0; i < n; ++i) v[i] = 0.5f * static_cast<float>(i) - 3.0f;
  return Tensor::from_vector<float>(std::move(shape), v);
}

// A second, deliberately naive implementation of numpy broadcasting for checking: maps an
// output multi-index to the flat index of an input of shape `in`.
std::int64_t broadcast_index(const Shape& out, const Shape& in, std::int64_t flat) {
  std::vector<std::int64_t> index(out.size());
  for (std::size_t d = out.size(); d-- > 0;) {
    index[d] = flat % out[d];
    flat /= out[d];
  }
  std::int64_t result = 0;
  const std::size_t offset = out.size() - in.size();
  for (std::size_t d = 0; d < in.size(); ++d) result = result * in[d] + (in[d] == 1 ? 0 : index[offset + d]);
  return result;
}

// --- Add / Sub / Mul / Div --------------------------------------------------------------

TEST(ArithmeticKernel, AddSameShape) {
  Tensor out = run_one(make_node("Add"),
                       {Tensor::from_values<float>({3}, {1, 2, 3}), Tensor::from_values<float>({3}, {10, 20, 30})});
  EXPECT_EQ(out.shape(), (Shape{3}));
  expect_floats_near(out, {11, 22, 33});
}

TEST(ArithmeticKernel, SubBroadcastsLastAxis) {
  // [2,3] - [3]: each row minus [1,2,3].
  Tensor out = run_one(make_node("Sub"), {Tensor::from_values<float>({2, 3}, {10, 20, 30, 40, 50, 60}),
                                          Tensor::from_values<float>({3}, {1, 2, 3})});
  EXPECT_EQ(out.shape(), (Shape{2, 3}));
  expect_floats_near(out, {9, 18, 27, 39, 48, 57});
}

TEST(ArithmeticKernel, BothInputsBroadcast) {
  // [2,1] * [1,3] = outer product: [[1*4, 1*5, 1*6], [2*4, 2*5, 2*6]].
  Tensor out = run_one(make_node("Mul"),
                       {Tensor::from_values<float>({2, 1}, {1, 2}), Tensor::from_values<float>({1, 3}, {4, 5, 6})});
  EXPECT_EQ(out.shape(), (Shape{2, 3}));
  expect_floats_near(out, {4, 5, 6, 8, 10, 12});
}

TEST(ArithmeticKernel, ScalarOnEitherSide) {
  Tensor out = run_one(make_node("Div"),
                       {Tensor::from_values<float>({}, {12}), Tensor::from_values<float>({2, 2}, {1, 2, 3, 4})});
  EXPECT_EQ(out.shape(), (Shape{2, 2}));
  expect_floats_near(out, {12, 6, 4, 3});
  out = run_one(make_node("Sub"),
                {Tensor::from_values<float>({2, 2}, {1, 2, 3, 4}), Tensor::from_values<float>({1}, {1})});
  expect_floats_near(out, {0, 1, 2, 3});
}

TEST(ArithmeticKernel, PerChannelBroadcast) {
  // NCHW [1,2,2,2] + per-channel bias [2,1,1] = [10, 20]: channel 0 gets +10, channel 1 +20.
  Tensor out = run_one(make_node("Add"), {Tensor::from_values<float>({1, 2, 2, 2}, {0, 1, 2, 3, 4, 5, 6, 7}),
                                          Tensor::from_values<float>({2, 1, 1}, {10, 20})});
  EXPECT_EQ(out.shape(), (Shape{1, 2, 2, 2}));
  expect_floats_near(out, {10, 11, 12, 13, 24, 25, 26, 27});
}

TEST(ArithmeticKernel, OddShapesMatchNaiveBroadcasting) {
  struct Case {
    Shape a, b, out;
  };
  const Case cases[] = {
      {{3, 1, 5}, {4, 1}, {3, 4, 5}},    {{1, 7}, {5, 1}, {5, 7}},          {{2, 3, 1, 1}, {1, 1, 3, 5}, {2, 3, 3, 5}},
      {{5}, {3, 1, 1}, {3, 1, 5}},       {{1, 1, 1}, {2, 3, 4}, {2, 3, 4}}, {{2, 1, 3}, {2, 5, 3}, {2, 5, 3}},
      {{4, 1, 6}, {1, 3, 1}, {4, 3, 6}},
  };
  for (const Case& c : cases) {
    Tensor a = ramp(c.a);
    Tensor b = ramp(c.b);
    Tensor out = run_one(make_node("Sub"), {a, b});
    ASSERT_EQ(out.shape(), c.out) << shape_to_string(c.a) << " - " << shape_to_string(c.b);
    for (std::int64_t i = 0; i < out.num_elements(); ++i) {
      const float expected =
          a.data<float>()[broadcast_index(c.out, c.a, i)] - b.data<float>()[broadcast_index(c.out, c.b, i)];
      ASSERT_EQ(out.data<float>()[i], expected) << shape_to_string(c.a) << " - " << shape_to_string(c.b) << " at " << i;
    }
  }
}

TEST(ArithmeticKernel, Uint8WrapsAroundLikeNumpy) {
  // numpy: np.uint8([5, 0]) - np.uint8([10, 1]) = [251, 255]; np.uint8(200) + np.uint8(100) = 44;
  // np.uint8(16) * np.uint8(17) = 16 (272 mod 256).
  Tensor sub = run_one(make_node("Sub"), {Tensor::from_values<std::uint8_t>({2}, {5, 0}),
                                          Tensor::from_values<std::uint8_t>({2}, {10, 1})});
  EXPECT_EQ(values_of<std::uint8_t>(sub), (std::vector<std::uint8_t>{251, 255}));
  Tensor add = run_one(make_node("Add"),
                       {Tensor::from_values<std::uint8_t>({1}, {200}), Tensor::from_values<std::uint8_t>({1}, {100})});
  EXPECT_EQ(values_of<std::uint8_t>(add), (std::vector<std::uint8_t>{44}));
  Tensor mul = run_one(make_node("Mul"),
                       {Tensor::from_values<std::uint8_t>({1}, {16}), Tensor::from_values<std::uint8_t>({1}, {17})});
  EXPECT_EQ(values_of<std::uint8_t>(mul), (std::vector<std::uint8_t>{16}));
}

TEST(ArithmeticKernel, IntegerDivisionTruncates) {
  // numpy: np.uint8([7, 255, 100]) // np.uint8([2, 16, 3]) = [3, 15, 33].
  Tensor u8 = run_one(make_node("Div"), {Tensor::from_values<std::uint8_t>({3}, {7, 255, 100}),
                                         Tensor::from_values<std::uint8_t>({3}, {2, 16, 3})});
  EXPECT_EQ(values_of<std::uint8_t>(u8), (std::vector<std::uint8_t>{3, 15, 33}));
  // ONNX reference: np.divide(a, b).astype(int32) truncates toward zero: [-3, -3, -2].
  Tensor i32 = run_one(make_node("Div"), {Tensor::from_values<std::int32_t>({3}, {-7, 7, -8}),
                                          Tensor::from_values<std::int32_t>({3}, {2, -2, 3})});
  EXPECT_EQ(values_of<std::int32_t>(i32), (std::vector<std::int32_t>{-3, -3, -2}));
}

TEST(ArithmeticKernel, Int64AndInt32Arithmetic) {
  Tensor i64 = run_one(make_node("Mul"), {Tensor::from_values<std::int64_t>({2}, {3000000000LL, -4}),
                                          Tensor::from_values<std::int64_t>({}, {3})});
  EXPECT_EQ(values_of<std::int64_t>(i64), (std::vector<std::int64_t>{9000000000LL, -12}));
  Tensor i32 = run_one(make_node("Add"), {Tensor::from_values<std::int32_t>({2, 2}, {1, 2, 3, 4}),
                                          Tensor::from_values<std::int32_t>({2, 1}, {10, 20})});
  EXPECT_EQ(values_of<std::int32_t>(i32), (std::vector<std::int32_t>{11, 12, 23, 24}));
}

TEST(ArithmeticKernel, IntegerDivisionByZeroIsAnError) {
  Result<std::vector<Tensor>> out = run_node(make_node("Div"), {Tensor::from_values<std::int32_t>({2}, {1, 2}),
                                                                Tensor::from_values<std::int32_t>({2}, {1, 0})});
  ASSERT_FALSE(out.is_ok());
  EXPECT_NE(out.status().message().find("Div 'n1'"), std::string::npos) << out.status().message();
  EXPECT_NE(out.status().message().find("division by zero"), std::string::npos);
}

TEST(ArithmeticKernel, IncompatibleShapesNameTheNode) {
  Result<std::vector<Tensor>> out = run_node(make_node("Add"), {ramp({2, 3}), ramp({2})});
  ASSERT_FALSE(out.is_ok());
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(out.status().message().find("Add 'n1'"), std::string::npos) << out.status().message();
  EXPECT_NE(out.status().message().find("[2,3]"), std::string::npos) << out.status().message();
}

TEST(ArithmeticKernel, MixedDtypesAreRejected) {
  Result<std::vector<Tensor>> out =
      run_node(make_node("Mul"), {ramp({2}), Tensor::from_values<std::int64_t>({2}, {1, 2})});
  ASSERT_FALSE(out.is_ok());
  EXPECT_NE(out.status().message().find("Mul 'n1'"), std::string::npos);
}

TEST(ArithmeticKernel, AppliesFusedActivation) {
  // (x + y) then Relu: [-1+0, 2-5, 3+1] -> [0, 0, 4]; then Clip to [0.5, 2]: [0.5, 0.5, 2].
  Node relu = make_node("Add", {{"activation", "Relu"}});
  Tensor out =
      run_one(relu, {Tensor::from_values<float>({3}, {-1, 2, 3}), Tensor::from_values<float>({3}, {0, -5, 1})});
  expect_floats_near(out, {0, 0, 4});
  Node clip = make_node("Add", {{"activation", "Clip"}, {"activation_alpha", 0.5f}, {"activation_beta", 2.0f}});
  out = run_one(clip, {Tensor::from_values<float>({3}, {-1, 2, 3}), Tensor::from_values<float>({3}, {0, -5, 1})});
  expect_floats_near(out, {0.5f, 0.5f, 2.0f});
}

TEST(ArithmeticKernel, UnknownFusedActivationIsAnError) {
  Result<std::vector<Tensor>> out = run_node(make_node("Mul", {{"activation", "Gelu"}}), {ramp({2}), ramp({2})});
  ASSERT_FALSE(out.is_ok());
  EXPECT_NE(out.status().message().find("Gelu"), std::string::npos);
}

TEST(ArithmeticKernel, InPlaceOnlyWithoutBroadcastOfInput0) {
  KernelSignature sig;
  sig.inputs = {ValueInfo{"a", DType::kFloat32, {2, 3}}, ValueInfo{"b", DType::kFloat32, {3}}};
  sig.outputs = {ValueInfo{"y", DType::kFloat32, {2, 3}}};
  sig.input_values = {nullptr, nullptr};
  auto kernel = KernelRegistry::builtin().create("Add");
  ASSERT_TRUE(kernel.is_ok());
  ASSERT_TRUE((*kernel)->prepare(make_node("Add"), sig).is_ok());
  EXPECT_EQ((*kernel)->aliasing(), Aliasing::kInPlaceAllowed);
  sig.inputs = {ValueInfo{"a", DType::kFloat32, {3}}, ValueInfo{"b", DType::kFloat32, {2, 3}}};
  ASSERT_TRUE((*kernel)->prepare(make_node("Add"), sig).is_ok());
  EXPECT_EQ((*kernel)->aliasing(), Aliasing::kNone);
}

TEST(PowKernel, FloatBaseWithFloatAndIntegerExponents) {
  // numpy: np.power([2, 3, -2], [0.5, 2, 3]) = [1.4142135, 9, -8].
  Tensor out = run_one(make_node("Pow"),
                       {Tensor::from_values<float>({3}, {2, 3, -2}), Tensor::from_values<float>({3}, {0.5f, 2, 3})});
  expect_floats_near(out, {1.4142135f, 9, -8});
  out =
      run_one(make_node("Pow"), {Tensor::from_values<float>({2}, {2, 3}), Tensor::from_values<std::int64_t>({}, {2})});
  expect_floats_near(out, {4, 9});
}

// --- Unary ----------------------------------------------------------------------------

const std::vector<float> kUnaryInput = {-2.0f, -0.5f, 0.0f, 0.5f, 2.0f};

Tensor run_unary(const std::string& op, std::map<std::string, Attribute> attributes = {}) {
  return run_one(make_node(op, std::move(attributes)), {Tensor::from_vector<float>({5}, kUnaryInput)});
}

TEST(UnaryKernel, Relu) { expect_floats_near(run_unary("Relu"), {0, 0, 0, 0.5f, 2}); }

TEST(UnaryKernel, ReluOnIntegers) {
  Tensor out = run_one(make_node("Relu"), {Tensor::from_values<std::int32_t>({3}, {-5, 0, 7})});
  EXPECT_EQ(values_of<std::int32_t>(out), (std::vector<std::int32_t>{0, 0, 7}));
}

TEST(UnaryKernel, LeakyReluDefaultAndGivenAlpha) {
  expect_floats_near(run_unary("LeakyRelu"), {-0.02f, -0.005f, 0, 0.5f, 2});  // alpha defaults to 0.01
  expect_floats_near(run_unary("LeakyRelu", {{"alpha", 0.1f}}), {-0.2f, -0.05f, 0, 0.5f, 2});
}

TEST(UnaryKernel, SigmoidAndTanh) {
  // numpy (float64): 1 / (1 + exp(-x)) and tanh(x) of [-2, -0.5, 0, 0.5, 2].
  expect_floats_near(run_unary("Sigmoid"), {0.11920292f, 0.37754067f, 0.5f, 0.62245933f, 0.88079708f});
  expect_floats_near(run_unary("Tanh"), {-0.96402758f, -0.46211716f, 0.0f, 0.46211716f, 0.96402758f});
}

TEST(UnaryKernel, HardSigmoidDefaultsAndAttributes) {
  // max(0, min(1, alpha * x + beta)); defaults alpha 0.2, beta 0.5: [0.1, 0.4, 0.5, 0.6, 0.9].
  expect_floats_near(run_unary("HardSigmoid"), {0.1f, 0.4f, 0.5f, 0.6f, 0.9f});
  // alpha 0.5, beta 0.6 (test_hardsigmoid_example): [-0.4 -> 0, 0.35, 0.6, 0.85, 1.6 -> 1].
  expect_floats_near(run_unary("HardSigmoid", {{"alpha", 0.5f}, {"beta", 0.6f}}), {0, 0.35f, 0.6f, 0.85f, 1});
}

TEST(UnaryKernel, HardSwish) {
  // x * max(0, min(1, x / 6 + 0.5)): -2 * 1/6, -0.5 * 5/12, 0, 0.5 * 7/12, 2 * 5/6.
  expect_floats_near(run_unary("HardSwish"), {-2.0f / 6, -0.5f * 5 / 12, 0, 0.5f * 7 / 12, 2.0f * 5 / 6});
}

TEST(UnaryKernel, ActivationsMatchFusedActivationBitForBit) {
  const std::pair<const char*, FusedActivation> cases[] = {
      {"Relu", {ActivationKind::kRelu, 0, 0}},
      {"Sigmoid", {ActivationKind::kSigmoid, 0, 0}},
      {"Tanh", {ActivationKind::kTanh, 0, 0}},
      {"HardSwish", {ActivationKind::kHardSwish, 0, 0}},
      {"HardSigmoid", {ActivationKind::kHardSigmoid, 0.2f, 0.5f}},
      {"LeakyRelu", {ActivationKind::kLeakyRelu, 0.01f, 0}},
  };
  Tensor input = ramp({13});
  for (const auto& [op, act] : cases) {
    Tensor out = run_one(make_node(op), {input});
    for (std::int64_t i = 0; i < 13; ++i) EXPECT_EQ(out.data<float>()[i], act.apply(input.data<float>()[i])) << op;
  }
}

TEST(UnaryKernel, MathFunctions) {
  // numpy: np.exp and math.erf of [-2, -0.5, 0, 0.5, 2].
  expect_floats_near(run_unary("Exp"), {0.13533528f, 0.60653066f, 1, 1.64872127f, 7.38905610f}, 1e-5f);
  expect_floats_near(run_unary("Erf"), {-0.99532227f, -0.52049988f, 0, 0.52049988f, 0.99532227f});
  expect_floats_near(run_unary("Neg"), {2, 0.5f, 0, -0.5f, -2});
  expect_floats_near(run_unary("Abs"), {2, 0.5f, 0, 0.5f, 2});
  Tensor sqrt = run_one(make_node("Sqrt"), {Tensor::from_values<float>({3}, {0, 4, 2.25f})});
  expect_floats_near(sqrt, {0, 2, 1.5f});
  Tensor log = run_one(make_node("Log"), {Tensor::from_values<float>({2}, {1, std::exp(2.0f)})});
  expect_floats_near(log, {0, 2}, 1e-6f);
}

TEST(UnaryKernel, SigmoidRejectsIntegers) {
  Result<std::vector<Tensor>> out = run_node(make_node("Sigmoid"), {Tensor::from_values<std::int32_t>({1}, {1})});
  ASSERT_FALSE(out.is_ok());
  EXPECT_EQ(out.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(out.status().message().find("Sigmoid 'n1'"), std::string::npos);
}

TEST(UnaryKernel, RunsInPlace) {
  auto kernel = KernelRegistry::builtin().create("Relu");
  ASSERT_TRUE(kernel.is_ok());
  KernelSignature sig{{ValueInfo{"x", DType::kFloat32, {5}}}, {ValueInfo{"y", DType::kFloat32, {5}}}, {nullptr}};
  ASSERT_TRUE((*kernel)->prepare(make_node("Relu"), sig).is_ok());
  EXPECT_EQ((*kernel)->aliasing(), Aliasing::kInPlaceAllowed);
  Tensor buffer = Tensor::from_vector<float>({5}, kUnaryInput);
  TensorView in = buffer.view();
  TensorView out = buffer.view();
  ASSERT_TRUE((*kernel)->run({&in, 1}, {&out, 1}, nullptr).is_ok());
  expect_floats_near(buffer, {0, 0, 0, 0.5f, 2});
}

// --- Clip -----------------------------------------------------------------------------

TEST(ClipKernel, MinAndMaxInputs) {
  Tensor out = run_one(make_node("Clip"), {Tensor::from_vector<float>({5}, kUnaryInput),
                                           Tensor::from_values<float>({}, {-1}), Tensor::from_values<float>({}, {1})});
  expect_floats_near(out, {-1, -0.5f, 0, 0.5f, 1});
}

TEST(ClipKernel, AbsentBoundsDefaultToTheTypeLimits) {
  // No bounds: identity. Only max (min is the empty, absent input): [-2, -0.5, 0, 0, 0].
  expect_floats_near(run_one(make_node("Clip"), {Tensor::from_vector<float>({5}, kUnaryInput)}), kUnaryInput);
  Tensor out = run_one(make_node("Clip"),
                       {Tensor::from_vector<float>({5}, kUnaryInput), Tensor(), Tensor::from_values<float>({}, {0})});
  expect_floats_near(out, {-2, -0.5f, 0, 0, 0});
}

TEST(ClipKernel, Int8WithOnlyMin) {
  Tensor out = run_one(make_node("Clip"), {Tensor::from_values<std::int8_t>({4}, {-128, -3, 0, 127}),
                                           Tensor::from_values<std::int8_t>({}, {-2})});
  EXPECT_EQ(values_of<std::int8_t>(out), (std::vector<std::int8_t>{-2, -2, 0, 127}));
}

TEST(ClipKernel, MinAboveMaxGivesMax) {
  // ONNX Clip: min(max(x, min), max), so every element becomes max when min > max.
  Tensor out = run_one(make_node("Clip"), {Tensor::from_vector<float>({5}, kUnaryInput),
                                           Tensor::from_values<float>({}, {1}), Tensor::from_values<float>({}, {-1})});
  expect_floats_near(out, {-1, -1, -1, -1, -1});
}

TEST(ClipKernel, BoundsAsConstants) {
  Tensor out = run_one(make_node("Clip"),
                       {Tensor::from_vector<float>({5}, kUnaryInput), Tensor::from_values<float>({}, {0}),
                        Tensor::from_values<float>({}, {6})},
                       {false, true, true});
  expect_floats_near(out, {0, 0, 0, 0.5f, 2});
}

TEST(ClipKernel, NonScalarBoundIsAnError) {
  Result<std::vector<Tensor>> out = run_node(make_node("Clip"), {ramp({3}), Tensor::from_values<float>({2}, {0, 1})});
  ASSERT_FALSE(out.is_ok());
  EXPECT_NE(out.status().message().find("Clip 'n1'"), std::string::npos);
}

// --- Identity / Dropout ---------------------------------------------------------------

TEST(PassThroughKernel, IdentityIsAViewOfItsInput) {
  Tensor input = Tensor::from_values<std::int64_t>({2}, {7, -7});
  Tensor out = run_one(make_node("Identity"), {input});
  EXPECT_EQ(values_of<std::int64_t>(out), (std::vector<std::int64_t>{7, -7}));
  auto kernel = KernelRegistry::builtin().create("Identity");
  KernelSignature sig{{ValueInfo{"x", DType::kInt64, {2}}}, {ValueInfo{"y", DType::kInt64, {2}}}, {nullptr}};
  ASSERT_TRUE((*kernel)->prepare(make_node("Identity"), sig).is_ok());
  EXPECT_EQ((*kernel)->aliasing(), Aliasing::kViewOfInput0);
  // run() still copies when given a separate buffer.
  Tensor target = Tensor::allocate(DType::kInt64, {2}).value();
  TensorView in = input.view();
  TensorView out_view = target.view();
  ASSERT_TRUE((*kernel)->run({&in, 1}, {&out_view, 1}, nullptr).is_ok());
  EXPECT_EQ(values_of<std::int64_t>(target), (std::vector<std::int64_t>{7, -7}));
}

TEST(PassThroughKernel, DropoutAtInferenceWithMask) {
  Node node = make_node("Dropout");
  node.outputs = {"y", "mask"};
  Result<std::vector<Tensor>> out =
      run_node(node, {Tensor::from_values<float>({3}, {1, 2, 3}), Tensor::from_values<float>({}, {0.5f})});
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  expect_floats_near((*out)[0], {1, 2, 3});
  ASSERT_EQ((*out)[1].dtype(), DType::kBool);
  EXPECT_EQ(values_of<bool>((*out)[1]), (std::vector<bool>{true, true, true}));
}

TEST(PassThroughKernel, DropoutTrainingModeIsUnsupported) {
  Result<std::vector<Tensor>> out = run_node(
      make_node("Dropout"), {ramp({3}), Tensor(), Tensor::from_values<bool>({}, {true})}, {false, false, true});
  ASSERT_FALSE(out.is_ok());
  EXPECT_EQ(out.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(out.status().message().find("training_mode"), std::string::npos);
}

}  // namespace
}  // namespace edgeai
