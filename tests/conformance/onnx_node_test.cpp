// Runs the ONNX node tests of every operator edgeai lists as supported through the real
// path (ONNX import -> IR -> Session with the reference kernels) and compares with the
// suite's expected outputs at the suite's tolerance (onnx backend runner: rtol 1e-3,
// atol 1e-7). Prints a table operator | passed | total, names every skipped case with its
// reason, and writes the table to EDGEAI_CONFORMANCE_REPORT.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "import/onnx/onnx_importer.hpp"
#include "import/onnx/tensor_proto.hpp"
#include "runtime/session.hpp"

namespace edgeai {
namespace {

namespace fs = std::filesystem;

// Listed operators and the test-name prefixes (after "test_") that belong to them.
struct OperatorTests {
  std::string op;
  std::vector<std::string> prefixes;
  std::vector<std::string> exclude;  // prefixes of other operators that share the stem
};

const std::vector<OperatorTests>& listed_operators() {
  static const std::vector<OperatorTests> ops = {
      {"Conv", {"conv_", "basic_conv_"}, {"convtranspose", "convinteger"}},
      {"Gemm", {"gemm_"}, {}},
      {"MatMul", {"matmul_"}, {"matmulinteger"}},
      {"Add", {"add"}, {}},
      {"Sub", {"sub"}, {}},
      {"Mul", {"mul"}, {}},
      {"Div", {"div"}, {}},
      {"Relu", {"relu"}, {}},
      {"Clip", {"clip"}, {}},
      {"LeakyRelu", {"leakyrelu"}, {}},
      {"Sigmoid", {"sigmoid"}, {}},
      {"Tanh", {"tanh"}, {}},
      {"HardSigmoid", {"hardsigmoid"}, {}},
      {"HardSwish", {"hardswish"}, {}},
      {"Softmax", {"softmax"}, {"softmax_cross_entropy"}},
      {"MaxPool", {"maxpool"}, {}},
      {"AveragePool", {"averagepool"}, {}},
      {"GlobalAveragePool", {"globalaveragepool"}, {}},
      {"BatchNormalization", {"batchnorm"}, {}},
      {"Concat", {"concat"}, {}},
      {"Reshape", {"reshape"}, {}},
      {"Flatten", {"flatten"}, {}},
      {"Transpose", {"transpose"}, {}},
      {"Squeeze", {"squeeze"}, {}},
      {"Unsqueeze", {"unsqueeze"}, {}},
      {"Pad", {"pad", "constant_pad", "edge_pad", "reflect_pad"}, {}},
      {"Resize", {"resize"}, {}},
      {"ReduceMean", {"reduce_mean"}, {}},
      {"QuantizeLinear", {"quantizelinear"}, {}},
      {"DequantizeLinear", {"dequantizelinear"}, {}},
      {"QLinearConv", {"qlinearconv"}, {}},
      {"QLinearMatMul", {"qlinearmatmul"}, {}},
      {"ConvInteger", {"convinteger", "basic_convinteger"}, {}},
      {"MatMulInteger", {"matmulinteger"}, {}},
  };
  return ops;
}

bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

// The listed operator a test directory belongs to, or "" if none.
std::string operator_of(const std::string& test_name) {
  const std::string stem = test_name.substr(5);  // drop "test_"
  for (const OperatorTests& o : listed_operators()) {
    bool excluded = false;
    for (const std::string& e : o.exclude) excluded = excluded || starts_with(stem, e);
    if (excluded) continue;
    for (const std::string& p : o.prefixes) {
      if (!starts_with(stem, p)) continue;
      // "add" must not match "addmm"; the character after the prefix ends a word.
      const char next = stem.size() > p.size() ? stem[p.size()] : '_';
      if (p.back() == '_' || next == '_') return o.op;
    }
  }
  return "";
}

struct CaseResult {
  enum class Outcome { kPassed, kFailed, kSkipped } outcome;
  std::string detail;
};

// numpy.testing.assert_allclose semantics: |actual - expected| <= atol + rtol * |expected|.
std::string compare(const Tensor& expected, const TensorView& actual, double rtol, double atol) {
  if (expected.dtype() != actual.dtype) {
    return str_cat("dtype ", dtype_name(actual.dtype), " != expected ", dtype_name(expected.dtype()));
  }
  if (expected.shape() != actual.shape) {
    return str_cat("shape ", shape_to_string(actual.shape), " != expected ", shape_to_string(expected.shape()));
  }
  const std::int64_t n = expected.num_elements();
  auto as_double = [](DType dtype, const void* data, std::int64_t i) -> double {
    switch (dtype) {
      case DType::kFloat32: return static_cast<const float*>(data)[i];
      case DType::kFloat64: return static_cast<const double*>(data)[i];
      case DType::kInt8: return static_cast<const std::int8_t*>(data)[i];
      case DType::kUInt8: return static_cast<const std::uint8_t*>(data)[i];
      case DType::kInt16: return static_cast<const std::int16_t*>(data)[i];
      case DType::kInt32: return static_cast<const std::int32_t*>(data)[i];
      case DType::kInt64: return static_cast<double>(static_cast<const std::int64_t*>(data)[i]);
      case DType::kBool: return static_cast<const std::uint8_t*>(data)[i];
      default: return std::nan("");
    }
  };
  for (std::int64_t i = 0; i < n; ++i) {
    const double e = as_double(expected.dtype(), expected.raw_data(), i);
    const double a = as_double(actual.dtype, actual.data, i);
    if (std::isnan(e) && std::isnan(a)) continue;
    if (!(std::fabs(a - e) <= atol + rtol * std::fabs(e))) {
      return str_cat("element ", i, ": got ", a, ", expected ", e);
    }
  }
  return "";
}

CaseResult run_case(const fs::path& dir) {
  const fs::path model = dir / "model.onnx";
  Result<Graph> graph = import_onnx_file(model.string());
  if (!graph.is_ok()) {
    // An operator outside the listed set (expanded function bodies use e.g. ReduceMax):
    // a skip with the reason; any other import error is a failure.
    if (graph.status().code() == StatusCode::kUnsupported) {
      return {CaseResult::Outcome::kSkipped, graph.status().message()};
    }
    return {CaseResult::Outcome::kFailed, "import: " + graph.status().to_string()};
  }
  Result<std::unique_ptr<Session>> session = Session::create(std::move(graph).value());
  if (!session.is_ok()) {
    if (session.status().code() == StatusCode::kUnsupported) {
      return {CaseResult::Outcome::kSkipped, session.status().message()};
    }
    return {CaseResult::Outcome::kFailed, "session: " + session.status().to_string()};
  }
  std::vector<fs::path> data_sets;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.is_directory() && starts_with(entry.path().filename().string(), "test_data_set_")) {
      data_sets.push_back(entry.path());
    }
  }
  std::sort(data_sets.begin(), data_sets.end());
  if (data_sets.empty()) return {CaseResult::Outcome::kFailed, "no test_data_set_* directory"};
  for (const fs::path& set : data_sets) {
    std::vector<Tensor> inputs;
    for (std::size_t i = 0; fs::exists(set / ("input_" + std::to_string(i) + ".pb")); ++i) {
      Result<Tensor> t = read_tensor_proto_file((set / ("input_" + std::to_string(i) + ".pb")).string());
      if (!t.is_ok()) return {CaseResult::Outcome::kFailed, t.status().to_string()};
      inputs.push_back(std::move(t).value());
    }
    std::vector<TensorView> views;
    for (const Tensor& t : inputs) views.push_back(t.view());
    Status status = (*session)->run(views);
    if (!status.is_ok()) {
      if (status.code() == StatusCode::kUnsupported) return {CaseResult::Outcome::kSkipped, status.message()};
      return {CaseResult::Outcome::kFailed, "run: " + status.to_string()};
    }
    for (std::size_t i = 0; fs::exists(set / ("output_" + std::to_string(i) + ".pb")); ++i) {
      Result<Tensor> expected = read_tensor_proto_file((set / ("output_" + std::to_string(i) + ".pb")).string());
      if (!expected.is_ok()) return {CaseResult::Outcome::kFailed, expected.status().to_string()};
      if (i >= (*session)->outputs().size()) return {CaseResult::Outcome::kFailed, "missing output " + std::to_string(i)};
      std::string mismatch = compare(*expected, (*session)->output(i), 1e-3, 1e-7);
      if (!mismatch.empty()) {
        return {CaseResult::Outcome::kFailed,
                str_cat(set.filename().string(), " output '", (*session)->outputs()[i].name, "': ", mismatch)};
      }
    }
  }
  return {CaseResult::Outcome::kPassed, ""};
}

TEST(OnnxNodeTests, EveryListedOperatorPasses) {
  const fs::path root = EDGEAI_ONNX_NODE_TEST_DIR;
  ASSERT_TRUE(fs::is_directory(root)) << root << " is missing: install Debian's libonnx-testdata";
  std::vector<fs::path> dirs;
  for (const auto& entry : fs::directory_iterator(root)) {
    if (entry.is_directory() && !operator_of(entry.path().filename().string()).empty()) dirs.push_back(entry.path());
  }
  std::sort(dirs.begin(), dirs.end());
  ASSERT_GT(dirs.size(), 100u);

  struct Tally {
    int passed = 0, failed = 0, skipped = 0;
  };
  std::map<std::string, Tally> tally;
  std::vector<std::string> failures, skips;
  for (const fs::path& dir : dirs) {
    const std::string name = dir.filename().string();
    const std::string op = operator_of(name);
    CaseResult result = run_case(dir);
    switch (result.outcome) {
      case CaseResult::Outcome::kPassed: ++tally[op].passed; break;
      case CaseResult::Outcome::kFailed:
        ++tally[op].failed;
        failures.push_back(name + ": " + result.detail);
        break;
      case CaseResult::Outcome::kSkipped:
        ++tally[op].skipped;
        skips.push_back(name + ": " + result.detail);
        break;
    }
  }

  std::string report = "| operator | passed | total | skipped | failed |\n| --- | ---: | ---: | ---: | ---: |\n";
  int passed = 0, total = 0;
  for (const OperatorTests& o : listed_operators()) {
    const Tally& t = tally[o.op];
    const int n = t.passed + t.failed + t.skipped;
    passed += t.passed;
    total += n;
    report += str_cat("| ", o.op, " | ", t.passed, " | ", n, " | ", t.skipped, " | ", t.failed, " |\n");
  }
  report += str_cat("| **all** | ", passed, " | ", total, " | ", skips.size(), " | ", failures.size(), " |\n");
  if (!skips.empty()) {
    report += "\nSkipped cases and why:\n\n";
    for (const std::string& s : skips) report += "- " + s + "\n";
  }
  if (!failures.empty()) {
    report += "\nFailed cases:\n\n";
    for (const std::string& f : failures) report += "- " + f + "\n";
  }
  std::printf("%s", report.c_str());
  std::ofstream(EDGEAI_CONFORMANCE_REPORT) << report;
  EXPECT_TRUE(failures.empty()) << failures.size() << " node test(s) failed; see the table above";
}

}  // namespace
}  // namespace edgeai
