// Tests of the tensor-family reference kernels (src/kernels/reference/tensor.cpp) run
// through their schemas. Expected values are the ONNX operator pages' examples, hand-worked
// results, numpy results (noted), or naive index arithmetic written here.
#include <gtest/gtest.h>

#include <limits>

// GCC 12 reports a bogus -Wrestrict inside std::string operator+ (GCC PR 105651) once
// run_node's "in" + std::to_string(i) is inlined into this file's tests.
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ == 12
#pragma GCC diagnostic ignored "-Wrestrict"
#endif
#include "run_node.hpp"

namespace edgeai {
namespace {

using edgeai::testing::run_node;

Node make_node(std::string op_type, std::map<std::string, Attribute> attributes = {}) {
  Node node;
  node.name = "t";
  node.op_type = std::move(op_type);
  node.attributes = std::move(attributes);
  return node;
}

template <typename T>
std::vector<T> values_of(const Tensor& t) {
  return std::vector<T>(t.data<const T>(), t.data<const T>() + t.num_elements());
}

Tensor run_one(const Node& node, const std::vector<Tensor>& inputs, std::vector<bool> as_constants = {}) {
  Result<std::vector<Tensor>> out = run_node(node, inputs, std::move(as_constants));
  EXPECT_TRUE(out.is_ok()) << out.status().to_string();
  return out.is_ok() ? (*out)[0] : Tensor();
}

Tensor iota(Shape shape) {
  std::vector<float> v(element_count(shape).value());
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(i);
  return Tensor::from_vector<float>(std::move(shape), v);
}

Tensor ints(std::vector<std::int64_t> values) {
  return Tensor::from_vector<std::int64_t>({static_cast<std::int64_t>(values.size())}, values);
}

void expect_error_naming(const Result<std::vector<Tensor>>& out, const std::string& fragment) {
  ASSERT_FALSE(out.is_ok());
  EXPECT_NE(out.status().message().find(fragment), std::string::npos) << out.status().message();
}

// --- Concat ---------------------------------------------------------------------------

TEST(ConcatKernel, ThreeInputsAlongMiddleAxis) {
  Tensor a = Tensor::from_values<float>({2, 1}, {1, 2});
  Tensor b = Tensor::from_values<float>({2, 2}, {3, 4, 5, 6});
  Tensor c = Tensor::from_values<float>({2, 0}, {});
  Tensor out = run_one(make_node("Concat", {{"axis", -1}}), {a, b, c});
  EXPECT_EQ(out.shape(), (Shape{2, 3}));
  EXPECT_EQ(values_of<float>(out), (std::vector<float>{1, 3, 4, 2, 5, 6}));
}

TEST(ConcatKernel, Int64AlongAxisZero) {
  Tensor out = run_one(make_node("Concat", {{"axis", 0}}), {ints({1, 2}), ints({-1}), ints({7})});
  EXPECT_EQ(values_of<std::int64_t>(out), (std::vector<std::int64_t>{1, 2, -1, 7}));
}

TEST(ConcatKernel, MismatchedDimensionNamesTheNode) {
  expect_error_naming(run_node(make_node("Concat", {{"axis", 1}}), {iota({2, 2}), iota({3, 2})}), "Concat 't'");
  expect_error_naming(run_node(make_node("Concat", {{"axis", 2}}), {iota({2, 2}), iota({2, 2})}), "axis 2");
}

// --- Reshape / Flatten / Squeeze / Unsqueeze --------------------------------------------

TEST(ReshapeKernel, ZeroCopiesAndMinusOneInfers) {
  // [2,3,4] with shape [0, -1]: 0 keeps 2, -1 becomes 12.
  Tensor out = run_one(make_node("Reshape"), {iota({2, 3, 4}), ints({0, -1})});
  EXPECT_EQ(out.shape(), (Shape{2, 12}));
  EXPECT_EQ(values_of<float>(out), values_of<float>(iota({24})));
  out = run_one(make_node("Reshape"), {iota({2, 3, 4}), ints({-1, 2, 2})}, {false, true});
  EXPECT_EQ(out.shape(), (Shape{6, 2, 2}));
}

TEST(ReshapeKernel, AllowZeroKeepsALiteralZero) {
  // test_reshape_allowzero_reordered: [0, 3, 4] to [3, 4, 0] with allowzero = 1.
  Tensor out = run_one(make_node("Reshape", {{"allowzero", 1}}),
                       {Tensor::allocate(DType::kFloat32, {0, 3, 4}).value(), ints({3, 4, 0})});
  EXPECT_EQ(out.shape(), (Shape{3, 4, 0}));
}

TEST(ReshapeKernel, ElementCountMismatchNamesTheNode) {
  Result<std::vector<Tensor>> out = run_node(make_node("Reshape"), {iota({2, 3}), ints({4, 2})});
  expect_error_naming(out, "Reshape 't'");
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
  expect_error_naming(run_node(make_node("Reshape"), {iota({2, 3}), ints({-1, 4})}), "cannot reshape");
  expect_error_naming(run_node(make_node("Reshape"), {iota({2, 3}), ints({-1, -1})}), "two -1");
}

TEST(ViewKernels, AreViewsOfInput0) {
  for (const char* op : {"Reshape", "Flatten", "Squeeze", "Unsqueeze"}) {
    auto kernel = KernelRegistry::builtin().create(op);
    ASSERT_TRUE(kernel.is_ok()) << op;
    KernelSignature sig{{ValueInfo{"x", DType::kFloat32, {2, 1, 3}}, ValueInfo{"s", DType::kInt64, {2}}},
                        {ValueInfo{"y", DType::kFloat32, {2, 3}}},
                        {nullptr, nullptr}};
    ASSERT_TRUE((*kernel)->prepare(make_node(op), sig).is_ok()) << op;
    EXPECT_EQ((*kernel)->aliasing(), Aliasing::kViewOfInput0) << op;
  }
}

TEST(FlattenKernel, AxesIncludingNegativeAndZero) {
  EXPECT_EQ(run_one(make_node("Flatten"), {iota({2, 3, 4})}).shape(), (Shape{2, 12}));
  EXPECT_EQ(run_one(make_node("Flatten", {{"axis", 0}}), {iota({2, 3, 4})}).shape(), (Shape{1, 24}));
  EXPECT_EQ(run_one(make_node("Flatten", {{"axis", -1}}), {iota({2, 3, 4})}).shape(), (Shape{6, 4}));
  EXPECT_EQ(run_one(make_node("Flatten", {{"axis", 3}}), {iota({2, 3, 4})}).shape(), (Shape{24, 1}));
  expect_error_naming(run_node(make_node("Flatten", {{"axis", 4}}), {iota({2, 3, 4})}), "Flatten 't'");
}

TEST(SqueezeKernel, AxesInputAttributeAndAllOnes) {
  EXPECT_EQ(run_one(make_node("Squeeze"), {iota({1, 3, 1, 2}), ints({-2})}).shape(), (Shape{1, 3, 2}));
  EXPECT_EQ(run_one(make_node("Squeeze"), {iota({1, 3, 1, 2})}).shape(), (Shape{3, 2}));
  EXPECT_EQ(run_one(make_node("Squeeze", {{"axes", std::vector<std::int64_t>{0}}}), {iota({1, 3})}).shape(),
            (Shape{3}));
  expect_error_naming(run_node(make_node("Squeeze"), {iota({1, 3}), ints({1})}), "Squeeze 't'");
}

TEST(UnsqueezeKernel, UnsortedAndNegativeAxes) {
  // test_unsqueeze_unsorted_axes: [3,4,5] with axes [5, 4, 2] -> [3,4,1,5,1,1].
  EXPECT_EQ(run_one(make_node("Unsqueeze"), {iota({3, 4, 5}), ints({5, 4, 2})}).shape(), (Shape{3, 4, 1, 5, 1, 1}));
  EXPECT_EQ(run_one(make_node("Unsqueeze"), {iota({3}), ints({-1})}).shape(), (Shape{3, 1}));
  expect_error_naming(run_node(make_node("Unsqueeze"), {iota({3}), ints({0, 0})}), "repeated");
  expect_error_naming(run_node(make_node("Unsqueeze"), {iota({3}), ints({2})}), "Unsqueeze 't'");
}

// --- Transpose / Expand ----------------------------------------------------------------

TEST(TransposeKernel, PermutationMatchesNaiveIndexing) {
  // y[j, k, i] = x[i, j, k] for perm [1, 2, 0] of [2, 3, 4].
  Tensor out = run_one(make_node("Transpose", {{"perm", std::vector<std::int64_t>{1, 2, 0}}}), {iota({2, 3, 4})});
  ASSERT_EQ(out.shape(), (Shape{3, 4, 2}));
  for (int i = 0; i < 2; ++i) {
    for (int j = 0; j < 3; ++j) {
      for (int k = 0; k < 4; ++k)
        EXPECT_EQ(out.data<float>()[(j * 4 + k) * 2 + i], static_cast<float>((i * 3 + j) * 4 + k));
    }
  }
}

TEST(TransposeKernel, DefaultReversesAndBytesOfAnyWidth) {
  Tensor out = run_one(make_node("Transpose"), {Tensor::from_values<std::uint8_t>({2, 3}, {1, 2, 3, 4, 5, 6})});
  EXPECT_EQ(out.shape(), (Shape{3, 2}));
  EXPECT_EQ(values_of<std::uint8_t>(out), (std::vector<std::uint8_t>{1, 4, 2, 5, 3, 6}));
  expect_error_naming(run_node(make_node("Transpose", {{"perm", std::vector<std::int64_t>{0, 0}}}), {iota({2, 3})}),
                      "Transpose 't'");
}

TEST(ExpandKernel, OnnxExample) {
  // ONNX Expand page: [[1], [2], [3]] expanded to [2, 1, 6] gives shape [2, 3, 6].
  Tensor out = run_one(make_node("Expand"), {Tensor::from_values<float>({3, 1}, {1, 2, 3}), ints({2, 1, 6})});
  ASSERT_EQ(out.shape(), (Shape{2, 3, 6}));
  for (int b = 0; b < 2; ++b) {
    for (int r = 0; r < 3; ++r) {
      for (int c = 0; c < 6; ++c) EXPECT_EQ(out.data<float>()[(b * 3 + r) * 6 + c], static_cast<float>(r + 1));
    }
  }
}

// --- Pad -------------------------------------------------------------------------------

// The ONNX Pad page's data, padded by two columns at the start of axis 1.
Tensor pad_example() { return Tensor::from_values<float>({3, 2}, {1.0f, 1.2f, 2.3f, 3.4f, 4.5f, 5.7f}); }

TEST(PadKernel, OnnxExamplesForEachMode) {
  Tensor constant = run_one(make_node("Pad"), {pad_example(), ints({0, 2, 0, 0}), Tensor::from_values<float>({}, {0})});
  EXPECT_EQ(constant.shape(), (Shape{3, 4}));
  EXPECT_EQ(values_of<float>(constant), (std::vector<float>{0, 0, 1.0f, 1.2f, 0, 0, 2.3f, 3.4f, 0, 0, 4.5f, 5.7f}));
  Tensor reflect = run_one(make_node("Pad", {{"mode", "reflect"}}), {pad_example(), ints({0, 2, 0, 0})});
  EXPECT_EQ(values_of<float>(reflect),
            (std::vector<float>{1.0f, 1.2f, 1.0f, 1.2f, 2.3f, 3.4f, 2.3f, 3.4f, 4.5f, 5.7f, 4.5f, 5.7f}));
  Tensor edge = run_one(make_node("Pad", {{"mode", "edge"}}), {pad_example(), ints({0, 2, 0, 0})});
  EXPECT_EQ(values_of<float>(edge),
            (std::vector<float>{1.0f, 1.0f, 1.0f, 1.2f, 2.3f, 2.3f, 2.3f, 3.4f, 4.5f, 4.5f, 4.5f, 5.7f}));
}

TEST(PadKernel, ConstantValueOnAllSidesAndNegativeCrop) {
  // [[1,2],[3,4]] padded by one on every side with 9.
  Tensor out = run_one(make_node("Pad"), {Tensor::from_values<std::int32_t>({2, 2}, {1, 2, 3, 4}), ints({1, 1, 1, 1}),
                                          Tensor::from_values<std::int32_t>({}, {9})});
  EXPECT_EQ(out.shape(), (Shape{4, 4}));
  EXPECT_EQ(values_of<std::int32_t>(out), (std::vector<std::int32_t>{9, 9, 9, 9, 9, 1, 2, 9, 9, 3, 4, 9, 9, 9, 9, 9}));
  // Negative begin crops: [[1,2,3],[4,5,6]] with pads [0,-1,0,1] -> [[2,3,0],[5,6,0]].
  out = run_one(make_node("Pad"), {Tensor::from_values<float>({2, 3}, {1, 2, 3, 4, 5, 6}), ints({0, -1, 0, 1})});
  EXPECT_EQ(out.shape(), (Shape{2, 3}));
  EXPECT_EQ(values_of<float>(out), (std::vector<float>{2, 3, 0, 5, 6, 0}));
}

TEST(PadKernel, ReflectAndWrapOnBothSides) {
  // numpy: np.pad([1,2,3,4], (2,3), 'reflect') = [3,2,1,2,3,4,3,2,1]; 'wrap' with (2,1) = [3,4,1,2,3,4,1].
  Tensor reflect =
      run_one(make_node("Pad", {{"mode", "reflect"}}), {Tensor::from_values<float>({4}, {1, 2, 3, 4}), ints({2, 3})});
  EXPECT_EQ(values_of<float>(reflect), (std::vector<float>{3, 2, 1, 2, 3, 4, 3, 2, 1}));
  Tensor wrap =
      run_one(make_node("Pad", {{"mode", "wrap"}}), {Tensor::from_values<float>({4}, {1, 2, 3, 4}), ints({2, 1})});
  EXPECT_EQ(values_of<float>(wrap), (std::vector<float>{3, 4, 1, 2, 3, 4, 1}));
}

TEST(PadKernel, WrongPadsLengthNamesTheNode) {
  expect_error_naming(run_node(make_node("Pad"), {iota({2, 2}), ints({1, 1})}), "Pad 't'");
  expect_error_naming(run_node(make_node("Pad", {{"mode", "mirror"}}), {iota({2}), ints({1, 1})}), "mirror");
}

// --- Split / Slice / Gather -----------------------------------------------------------

TEST(SplitKernel, EqualAndVariableParts) {
  Node node = make_node("Split", {{"axis", 1}});
  node.outputs = {"a", "b"};
  Result<std::vector<Tensor>> out = run_node(node, {iota({2, 4})});
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  EXPECT_EQ((*out)[0].shape(), (Shape{2, 2}));
  EXPECT_EQ(values_of<float>((*out)[0]), (std::vector<float>{0, 1, 4, 5}));
  EXPECT_EQ(values_of<float>((*out)[1]), (std::vector<float>{2, 3, 6, 7}));
  out = run_node(node, {iota({2, 4}), ints({3, 1})});
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  EXPECT_EQ(values_of<float>((*out)[0]), (std::vector<float>{0, 1, 2, 4, 5, 6}));
  EXPECT_EQ(values_of<float>((*out)[1]), (std::vector<float>{3, 7}));
}

TEST(SplitKernel, UnevenSplitIsAnError) {
  Node node = make_node("Split");
  node.outputs = {"a", "b"};
  expect_error_naming(run_node(node, {iota({3})}), "Split 't'");
  expect_error_naming(run_node(node, {iota({3}), ints({1, 1})}), "add up to 2");
}

// ONNX Slice page data: [[1,2,3,4],[5,6,7,8]].
Tensor slice_example() { return Tensor::from_values<float>({2, 4}, {1, 2, 3, 4, 5, 6, 7, 8}); }

TEST(SliceKernel, OnnxExamples) {
  // Example 1: axes [0,1], starts [1,0], ends [2,3], steps [1,2] -> [[5,7]].
  Tensor out = run_one(make_node("Slice"), {slice_example(), ints({1, 0}), ints({2, 3}), ints({0, 1}), ints({1, 2})});
  EXPECT_EQ(out.shape(), (Shape{1, 2}));
  EXPECT_EQ(values_of<float>(out), (std::vector<float>{5, 7}));
  // Example 2: starts [0,1], ends [-1,1000] -> [[2,3,4]] (end clamped to the dimension).
  out = run_one(make_node("Slice"), {slice_example(), ints({0, 1}), ints({-1, 1000})});
  EXPECT_EQ(out.shape(), (Shape{1, 3}));
  EXPECT_EQ(values_of<float>(out), (std::vector<float>{2, 3, 4}));
}

TEST(SliceKernel, NegativeStepsAndExtremeEnds) {
  // [1..5][-1::-2] = [5,3,1]: end INT64_MIN clamps to -1 (before the first element).
  Tensor data = Tensor::from_values<float>({5}, {1, 2, 3, 4, 5});
  Tensor out = run_one(make_node("Slice"),
                       {data, ints({-1}), ints({std::numeric_limits<std::int64_t>::min()}), ints({0}), ints({-2})});
  EXPECT_EQ(values_of<float>(out), (std::vector<float>{5, 3, 1}));
  // Reverse columns of the example, axis given as -1, values as constants: [[4,3,2,1],[8,7,6,5]].
  out = run_one(make_node("Slice"), {slice_example(), ints({-1}), ints({-5}), ints({-1}), ints({-1})},
                {false, true, true, true, true});
  EXPECT_EQ(values_of<float>(out), (std::vector<float>{4, 3, 2, 1, 8, 7, 6, 5}));
  // Start past the end: empty.
  out = run_one(make_node("Slice"), {data, ints({7}), ints({9})});
  EXPECT_EQ(out.shape(), (Shape{0}));
}

TEST(SliceKernel, ZeroStepNamesTheNode) {
  expect_error_naming(run_node(make_node("Slice"), {slice_example(), ints({0}), ints({1}), ints({0}), ints({0})}),
                      "Slice 't'");
}

TEST(GatherKernel, OnnxExamplesAxis0AndAxis1) {
  // Gather page, axis 0: data [[1,1.2],[2.3,3.4],[4.5,5.7]], indices [[0,1],[1,2]].
  Tensor data = Tensor::from_values<float>({3, 2}, {1.0f, 1.2f, 2.3f, 3.4f, 4.5f, 5.7f});
  Tensor out = run_one(make_node("Gather"), {data, Tensor::from_values<std::int64_t>({2, 2}, {0, 1, 1, 2})});
  EXPECT_EQ(out.shape(), (Shape{2, 2, 2}));
  EXPECT_EQ(values_of<float>(out), (std::vector<float>{1.0f, 1.2f, 2.3f, 3.4f, 2.3f, 3.4f, 4.5f, 5.7f}));
  // Axis 1: data [[1,1.2,1.9],[2.3,3.4,3.9],[4.5,5.7,5.9]], int32 indices [[0,2]] ->
  // [[[1,1.9]],[[2.3,3.9]],[[4.5,5.9]]].
  Tensor data2 = Tensor::from_values<float>({3, 3}, {1.0f, 1.2f, 1.9f, 2.3f, 3.4f, 3.9f, 4.5f, 5.7f, 5.9f});
  out = run_one(make_node("Gather", {{"axis", 1}}), {data2, Tensor::from_values<std::int32_t>({1, 2}, {0, 2})});
  EXPECT_EQ(out.shape(), (Shape{3, 1, 2}));
  EXPECT_EQ(values_of<float>(out), (std::vector<float>{1.0f, 1.9f, 2.3f, 3.9f, 4.5f, 5.9f}));
}

TEST(GatherKernel, NegativeAndScalarIndices) {
  Tensor out = run_one(make_node("Gather"), {ints({10, 20, 30}), Tensor::from_values<std::int64_t>({}, {-1})});
  EXPECT_EQ(out.shape(), (Shape{}));
  EXPECT_EQ(values_of<std::int64_t>(out), (std::vector<std::int64_t>{30}));
}

TEST(GatherKernel, OutOfRangeIndexNamesTheNode) {
  Result<std::vector<Tensor>> out = run_node(make_node("Gather"), {ints({10, 20, 30}), ints({3})});
  expect_error_naming(out, "Gather 't'");
  EXPECT_EQ(out.status().code(), StatusCode::kOutOfRange);
}

// --- Cast / Shape / Constant / ConstantOfShape / Range ----------------------------------

TEST(CastKernel, FloatToIntegersAndBool) {
  Tensor x = Tensor::from_values<float>({4}, {-1.7f, 0.0f, 2.9f, 300.0f});
  // `to` is the ONNX TensorProto data type: 6 = INT32, 2 = UINT8, 9 = BOOL, 11 = DOUBLE.
  EXPECT_EQ(values_of<std::int32_t>(run_one(make_node("Cast", {{"to", 6}}), {x})),
            (std::vector<std::int32_t>{-1, 0, 2, 300}));
  EXPECT_EQ(values_of<bool>(run_one(make_node("Cast", {{"to", 9}}), {x})),
            (std::vector<bool>{true, false, true, true}));
  EXPECT_EQ(values_of<double>(run_one(make_node("Cast", {{"to", 11}}), {Tensor::from_values<std::int64_t>({1}, {-5})})),
            (std::vector<double>{-5.0}));
}

TEST(CastKernel, Float16RoundTrip) {
  // numpy: np.float16([0.1, 65504, 1.0, -2.5, 1e-7, 70000]).view(np.uint16)
  //      = [11878, 31743, 15360, 49408, 2, 31744 (inf)].
  Tensor x = Tensor::from_values<float>({6}, {0.1f, 65504.0f, 1.0f, -2.5f, 1e-7f, 70000.0f});
  Tensor half = run_one(make_node("Cast", {{"to", 10}}), {x});
  ASSERT_EQ(half.dtype(), DType::kFloat16);
  const std::uint16_t* bits = half.data<const std::uint16_t>();
  EXPECT_EQ(std::vector<std::uint16_t>(bits, bits + 6),
            (std::vector<std::uint16_t>{11878, 31743, 15360, 49408, 2, 31744}));
  Tensor back = run_one(make_node("Cast", {{"to", 1}}), {half});
  // numpy: np.float32(np.float16(0.1)) = 0.099975586.
  EXPECT_EQ(back.data<float>()[0], 0.099975586f);
  EXPECT_EQ(back.data<float>()[3], -2.5f);
}

TEST(CastKernel, UnknownTargetTypeIsUnsupported) {
  Result<std::vector<Tensor>> out = run_node(make_node("Cast", {{"to", 8}}), {iota({1})});  // 8 = STRING
  expect_error_naming(out, "Cast 't'");
  EXPECT_EQ(out.status().code(), StatusCode::kUnsupported);
}

TEST(ShapeKernel, FullAndSliced) {
  EXPECT_EQ(values_of<std::int64_t>(run_one(make_node("Shape"), {iota({2, 3, 4})})),
            (std::vector<std::int64_t>{2, 3, 4}));
  EXPECT_EQ(values_of<std::int64_t>(run_one(make_node("Shape", {{"start", -2}}), {iota({2, 3, 4})})),
            (std::vector<std::int64_t>{3, 4}));
  EXPECT_EQ(values_of<std::int64_t>(run_one(make_node("Shape", {{"start", 1}, {"end", -1}}), {iota({2, 3, 4})})),
            (std::vector<std::int64_t>{3}));
}

TEST(ConstantKernel, ValueTensorAndValueInts) {
  Tensor out = run_one(make_node("Constant", {{"value", Tensor::from_values<float>({2}, {1.5f, -2})}}), {});
  EXPECT_EQ(values_of<float>(out), (std::vector<float>{1.5f, -2}));
  out = run_one(make_node("Constant", {{"value_ints", std::vector<std::int64_t>{4, 5}}}), {});
  EXPECT_EQ(values_of<std::int64_t>(out), (std::vector<std::int64_t>{4, 5}));
  out = run_one(make_node("Constant", {{"value_float", 0.25f}}), {});
  EXPECT_EQ(out.shape(), (Shape{}));
  EXPECT_EQ(values_of<float>(out), (std::vector<float>{0.25f}));
}

TEST(ConstantOfShapeKernel, DefaultAndGivenValue) {
  Tensor out = run_one(make_node("ConstantOfShape"), {ints({2, 3})});
  EXPECT_EQ(out.shape(), (Shape{2, 3}));
  EXPECT_EQ(values_of<float>(out), (std::vector<float>(6, 0.0f)));
  out = run_one(make_node("ConstantOfShape", {{"value", Tensor::from_values<std::int64_t>({1}, {7})}}), {ints({3})});
  EXPECT_EQ(values_of<std::int64_t>(out), (std::vector<std::int64_t>{7, 7, 7}));
}

TEST(RangeKernel, OnnxExamples) {
  // Range page: (3, 9, 3) -> [3, 6]; (10, 4, -2) -> [10, 8, 6].
  auto scalar = [](std::int32_t v) { return Tensor::from_values<std::int32_t>({}, {v}); };
  Tensor out = run_one(make_node("Range"), {scalar(3), scalar(9), scalar(3)});
  EXPECT_EQ(values_of<std::int32_t>(out), (std::vector<std::int32_t>{3, 6}));
  out = run_one(make_node("Range"), {scalar(10), scalar(4), scalar(-2)});
  EXPECT_EQ(values_of<std::int32_t>(out), (std::vector<std::int32_t>{10, 8, 6}));
}

}  // namespace
}  // namespace edgeai
