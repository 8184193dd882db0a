// Runs the real `edgeai` binary: good paths write the files they promise; bad input
// (corrupt or truncated bundle, truncated ONNX, unsupported operator, wrong input shape
// or dtype) gives exactly one line on stderr and a nonzero exit.
#include <gtest/gtest.h>
#include <stb/stb_image_write.h>  // the implementation is in Debian's libstb
#include <sys/wait.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "format/bundle.hpp"
#include "format/npy.hpp"
#include "kernels/registry.hpp"

namespace edgeai {
namespace {

namespace fs = std::filesystem;

struct Outcome {
  int exit_code = -1;
  std::string out;
  std::string err;
};

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("edgeai_cli_test_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  Outcome edgeai(const std::string& args) {
    const fs::path out = dir_ / "stdout.txt";
    const fs::path err = dir_ / "stderr.txt";
    const std::string cmd = std::string(EDGEAI_CLI) + " " + args + " >" + out.string() + " 2>" + err.string();
    const int status = std::system(cmd.c_str());
    Outcome o;
    o.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    o.out = read_file(out);
    o.err = read_file(err);
    return o;
  }

  static void expect_one_line_error(const Outcome& o, const std::string& fragment) {
    EXPECT_NE(o.exit_code, 0);
    EXPECT_EQ(std::count(o.err.begin(), o.err.end(), '\n'), 1) << o.err;
    EXPECT_EQ(o.err.rfind("edgeai: error: ", 0), 0u) << o.err;
    EXPECT_NE(o.err.find(fragment), std::string::npos) << "stderr: " << o.err << "\nwanted: " << fragment;
  }

  fs::path dir_;
};

const std::string kRelu = std::string(EDGEAI_ONNX_NODE_TEST_DIR) + "/test_relu/model.onnx";

TEST_F(CliTest, ImportRunWritesTheModelsOutput) {
  const fs::path eai = dir_ / "relu.eai";
  Outcome o = edgeai("import " + kRelu + " -o " + eai.string());
  ASSERT_EQ(o.exit_code, 0) << o.err;
  ASSERT_TRUE(fs::exists(eai));
  // relu of a known input: negative values become zero.
  std::vector<float> values(60);
  for (int i = 0; i < 60; ++i) values[i] = static_cast<float>(i - 30);
  ASSERT_TRUE(write_npy((dir_ / "x.npy").string(), Tensor::from_vector<float>({3, 4, 5}, values)).is_ok());
  o = edgeai("run " + eai.string() + " --input x=" + (dir_ / "x.npy").string() + " --output " +
             (dir_ / "y.npy").string());
  ASSERT_EQ(o.exit_code, 0) << o.err;
  Result<Tensor> y = read_npy((dir_ / "y.npy").string());
  ASSERT_TRUE(y.is_ok()) << y.status().to_string();
  ASSERT_EQ(y->shape(), (Shape{3, 4, 5}));
  for (int i = 0; i < 60; ++i) EXPECT_EQ(y->data<float>()[i], std::max(0.0f, values[i]));
}

TEST_F(CliTest, InspectAndBenchReportTheModel) {
  const fs::path eai = dir_ / "conv.eai";
  ASSERT_EQ(edgeai("import " + std::string(EDGEAI_ONNX_NODE_TEST_DIR) +
                   "/test_conv_with_strides_padding/model.onnx -o " + eai.string())
                .exit_code,
            0);
  Outcome o = edgeai("inspect " + eai.string());
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_NE(o.out.find("Conv"), std::string::npos) << o.out;
  o = edgeai("bench " + eai.string() + " --input x=random --input W=random --runs 3 --json");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  for (const char* key : {"\"median_ms\":", "\"p90_ms\":", "\"peak_rss_mb\":"}) {
    EXPECT_NE(o.out.find(key), std::string::npos) << o.out;
  }
}

// The microcontroller commands on a small int8 graph (QuantizeLinear -> Flatten ->
// DequantizeLinear): inspect --mcu and export --c-array agree on the arena; a flash budget
// too small and an operator the micro runtime lacks are one-line errors that write nothing.
TEST_F(CliTest, McuInspectAndCArrayExportAgreeAndRefuseWhatDoesNotFit) {
  Graph g;
  g.name = "chain";
  g.inputs = {ValueInfo{"x", DType::kFloat32, {1, 16}}};
  g.outputs = {ValueInfo{"y", DType::kFloat32, {}}};
  g.constants["s"] = Tensor::from_vector<float>({}, {0.1f});
  g.constants["z"] = Tensor::from_vector<std::int8_t>({}, {0});
  const auto node = [](std::string op, std::vector<std::string> in, std::string out) {
    Node n;
    n.name = out + "_node";
    n.op_type = std::move(op);
    n.inputs = std::move(in);
    n.outputs = {std::move(out)};
    return n;
  };
  g.nodes = {node("QuantizeLinear", {"x", "s", "z"}, "q"), node("Flatten", {"q"}, "f"),
             node("DequantizeLinear", {"f", "s", "z"}, "y")};
  Bundle bundle;
  bundle.manifest = default_manifest_for(g);
  bundle.graph = g;
  const fs::path eai = dir_ / "chain.eai";
  ASSERT_TRUE(write_bundle(bundle, eai.string()).is_ok());

  Outcome o = edgeai("inspect --mcu --json " + eai.string());
  ASSERT_EQ(o.exit_code, 0) << o.err;
  const std::size_t at = o.out.find("\"arena_bytes\":");
  ASSERT_NE(at, std::string::npos) << o.out;
  const long arena = std::atol(o.out.c_str() + at + 14);
  EXPECT_GE(arena, 16) << o.out;  // at least the int8 activation

  o = edgeai("export --c-array " + eai.string() + " -o " + (dir_ / "m.c").string() + " --name chain_model");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  const std::string header = read_file(dir_ / "m.h");
  EXPECT_NE(header.find("#define CHAIN_MODEL_ARENA_BYTES " + std::to_string(arena) + "u"), std::string::npos) << header;
  const std::string source = read_file(dir_ / "m.c");
  EXPECT_NE(source.find("aligned(16)"), std::string::npos);
  EXPECT_NE(source.find("const unsigned char chain_model["), std::string::npos);

  o = edgeai("export --c-array " + eai.string() + " -o " + (dir_ / "big.c").string() + " --flash-bytes 100");
  expect_one_line_error(o, "more than the 100-byte flash budget");
  EXPECT_FALSE(fs::exists(dir_ / "big.c"));
  EXPECT_FALSE(fs::exists(dir_ / "big.h"));

  const fs::path relu = dir_ / "relu.eai";
  ASSERT_EQ(edgeai("import " + kRelu + " -o " + relu.string()).exit_code, 0);
  expect_one_line_error(edgeai("inspect --mcu " + relu.string()),
                        "operator Relu is not in the microcontroller runtime");
}

TEST_F(CliTest, ThreadsAndKernelChoice) {
  const fs::path eai = dir_ / "conv.eai";
  ASSERT_EQ(edgeai("import " + std::string(EDGEAI_ONNX_NODE_TEST_DIR) +
                   "/test_conv_with_strides_padding/model.onnx -o " + eai.string())
                .exit_code,
            0);
  // The same output with 1 and 2 threads.
  const std::string inputs = " --input x=random --input W=random --seed 3";
  Outcome a = edgeai("run " + eai.string() + inputs + " --threads 2 --output " + (dir_ / "a.npy").string());
  ASSERT_EQ(a.exit_code, 0) << a.err;
  Outcome b = edgeai("run " + eai.string() + inputs + " --output " + (dir_ / "b.npy").string());
  ASSERT_EQ(b.exit_code, 0) << b.err;
  EXPECT_EQ(read_file(dir_ / "a.npy"), read_file(dir_ / "b.npy"));
  // `bench` names the kernels (Relu has optimised ones on x86-64 with AVX2 and on AArch64);
  // EDGEAI_KERNELS=reference leaves only the reference ones.
  const fs::path relu = dir_ / "relu.eai";
  ASSERT_EQ(edgeai("import " + kRelu + " -o " + relu.string()).exit_code, 0);
  Outcome bench = edgeai("bench " + relu.string() + " --runs 2 --json");
  ASSERT_EQ(bench.exit_code, 0) << bench.err;
  EXPECT_NE(bench.out.find("\"kernels\":\""), std::string::npos) << bench.out;
  // No convolution or pooling: nothing for the layout pass.
  EXPECT_NE(bench.out.find("\"channels_last_nodes\":0"), std::string::npos) << bench.out;
  const bool has_optimised = KernelRegistry::builtin().candidates("Relu", KernelSelection::kAuto).size() > 1;
  if (has_optimised) {
    EXPECT_NE(bench.out.find("f32_relu__"), std::string::npos) << bench.out;
  }
  const std::string cmd = "EDGEAI_KERNELS=reference " + std::string(EDGEAI_CLI) + " bench " + relu.string() +
                          " --runs 2 --json > " + (dir_ / "ref.json").string();
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  const std::string ref_json = read_file(dir_ / "ref.json");
  EXPECT_NE(ref_json.find("\"kernels\":\"1 reference\""), std::string::npos) << ref_json;
  // Bad thread counts and kernel choices are one-line errors.
  expect_one_line_error(edgeai("run " + eai.string() + inputs + " --threads 0"), "--threads must be at least 1");
  expect_one_line_error(edgeai("bench " + eai.string() + " --input x=random --input W=random --threads 0"),
                        "--threads must be at least 1");
  expect_one_line_error(edgeai("eval " + relu.string() + " --data fashion-mnist --threads 0"),
                        "--threads must be at least 1");
  const std::string bad = "EDGEAI_KERNELS=fastest " + std::string(EDGEAI_CLI) + " run " + eai.string() + inputs +
                          " 2> " + (dir_ / "bad.txt").string();
  EXPECT_NE(std::system(bad.c_str()), 0);
  Outcome bad_outcome;
  bad_outcome.exit_code = 1;
  bad_outcome.err = read_file(dir_ / "bad.txt");
  expect_one_line_error(bad_outcome, "EDGEAI_KERNELS='fastest'");
}

TEST_F(CliTest, KeygenWritesAnOwnerOnlyKeyAndNeverOverwritesIt) {
  const fs::path prefix = dir_ / "release";
  Outcome o = edgeai("keygen " + prefix.string());
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_NE(o.out.find("key id "), std::string::npos) << o.out;
  EXPECT_EQ(fs::status(dir_ / "release.key").permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
  const std::string secret = read_file(dir_ / "release.key");
  EXPECT_EQ(secret.size(), 129u);  // 64 bytes in hex and a newline
  EXPECT_EQ(read_file(dir_ / "release.pub").size(), 65u);
  expect_one_line_error(edgeai("keygen " + prefix.string()), "never overwritten");
  EXPECT_EQ(read_file(dir_ / "release.key"), secret);
  expect_one_line_error(edgeai("keygen " + (dir_ / "missing" / "k").string()), "no such directory");
}

TEST_F(CliTest, DeltaRebuildsTheBundleAndRefusesAnotherBase) {
  const std::string a = (dir_ / "a.eai").string(), b = (dir_ / "b.eai").string();
  ASSERT_EQ(edgeai("import " + kRelu + " -o " + a).exit_code, 0);
  const std::string sigmoid = std::string(EDGEAI_ONNX_NODE_TEST_DIR) + "/test_sigmoid/model.onnx";
  ASSERT_EQ(edgeai("import " + sigmoid + " -o " + b).exit_code, 0);
  const std::string delta = (dir_ / "b.delta").string(), rebuilt = (dir_ / "rebuilt.eai").string();
  Outcome made = edgeai("delta make " + a + " " + b + " -o " + delta + " --json");
  ASSERT_EQ(made.exit_code, 0) << made.err;
  EXPECT_NE(made.out.find("\"delta_bytes\""), std::string::npos) << made.out;
  ASSERT_EQ(edgeai("delta apply " + a + " " + delta + " -o " + rebuilt).exit_code, 0);
  EXPECT_EQ(read_file(rebuilt), read_file(b));
  expect_one_line_error(edgeai("delta apply " + b + " " + delta + " -o " + (dir_ / "wrong.eai").string()),
                        "another base");
  EXPECT_FALSE(fs::exists(dir_ / "wrong.eai"));
}

TEST_F(CliTest, TruncatedOnnxIsAOneLineError) {
  const std::string bytes = read_file(kRelu);
  const fs::path cut = dir_ / "cut.onnx";
  std::ofstream(cut, std::ios::binary) << bytes.substr(0, bytes.size() / 2);
  expect_one_line_error(edgeai("import " + cut.string() + " -o " + (dir_ / "x.eai").string()), "cut.onnx");
  EXPECT_FALSE(fs::exists(dir_ / "x.eai"));
}

TEST_F(CliTest, UnsupportedOperatorNamesOperatorNodeAndOpset) {
  const std::string lstm = std::string(EDGEAI_ONNX_NODE_TEST_DIR) + "/test_lstm_defaults/model.onnx";
  Outcome o = edgeai("import " + lstm + " -o " + (dir_ / "lstm.eai").string());
  expect_one_line_error(o, "LSTM");
  EXPECT_NE(o.err.find("opset"), std::string::npos) << o.err;
}

TEST_F(CliTest, CorruptedAndTruncatedBundlesAreOneLineErrors) {
  const fs::path eai = dir_ / "relu.eai";
  ASSERT_EQ(edgeai("import " + kRelu + " -o " + eai.string()).exit_code, 0);
  const std::string bytes = read_file(eai);
  const fs::path truncated = dir_ / "truncated.eai";
  std::ofstream(truncated, std::ios::binary) << bytes.substr(0, bytes.size() - 7);
  expect_one_line_error(edgeai("run " + truncated.string() + " --input random"), "truncated.eai");

  std::string flipped = bytes;
  for (std::size_t i = 0; i < 8; ++i) flipped[i] = static_cast<char>(~flipped[i]);  // the magic
  const fs::path corrupt = dir_ / "corrupt.eai";
  std::ofstream(corrupt, std::ios::binary) << flipped;
  expect_one_line_error(edgeai("inspect " + corrupt.string()), "corrupt.eai");
}

TEST_F(CliTest, WrongInputShapeAndDtypeAreOneLineErrors) {
  const fs::path eai = dir_ / "relu.eai";
  ASSERT_EQ(edgeai("import " + kRelu + " -o " + eai.string()).exit_code, 0);
  ASSERT_TRUE(
      write_npy((dir_ / "wrong_shape.npy").string(), Tensor::from_vector<float>({4, 3}, std::vector<float>(12, 1.0f)))
          .is_ok());
  expect_one_line_error(edgeai("run " + eai.string() + " --input " + (dir_ / "wrong_shape.npy").string()),
                        "input 'x': expected shape [3,4,5], got [4,3]");
  ASSERT_TRUE(write_npy((dir_ / "wrong_dtype.npy").string(),
                        Tensor::from_vector<std::int64_t>({3, 4, 5}, std::vector<std::int64_t>(60, 1)))
                  .is_ok());
  expect_one_line_error(edgeai("run " + eai.string() + " --input " + (dir_ / "wrong_dtype.npy").string()),
                        "input 'x': expected dtype float32, got int64");
}

TEST_F(CliTest, MissingInputSaysHowToGiveIt) {
  const fs::path eai = dir_ / "relu.eai";
  ASSERT_EQ(edgeai("import " + kRelu + " -o " + eai.string()).exit_code, 0);
  expect_one_line_error(edgeai("run " + eai.string()), "--input x=");
}

// ---- train and eval: small, one-epoch runs on real data; the full recipes are in docs/results.md.

// Pulls a number out of a flat JSON object printed by the CLI.
double json_number(const std::string& json, const std::string& key) {
  const std::size_t at = json.rfind("\"" + key + "\":");
  if (at == std::string::npos) return std::nan("");
  return std::atof(json.c_str() + at + key.size() + 3);
}

std::string last_line(const std::string& out) {
  const std::size_t end = out.find_last_not_of('\n');
  if (end == std::string::npos) return "";
  const std::size_t start = out.rfind('\n', end);
  return out.substr(start == std::string::npos ? 0 : start + 1, end + 1 - (start == std::string::npos ? 0 : start + 1));
}

TEST_F(CliTest, TrainFromAConfigThenEvalOnTheRuntime) {
  const fs::path config = dir_ / "small.yaml";
  std::ofstream(config) << "name: tiny-fashion\n"
                           "data: {train: 'fashion-mnist:train', test: 'fashion-mnist:test', val_fraction: 0.2}\n"
                           "model:\n"
                           "  input: [1, 28, 28]\n"
                           "  layers:\n"
                           "    - conv2d: {out: 8, kernel: 3, padding: 1}\n"
                           "    - batch_norm: {}\n"
                           "    - relu: {}\n"
                           "    - max_pool2d: {kernel: 2}\n"
                           "    - flatten: {}\n"
                           "    - linear: {out: 10}\n"
                           "train: {optimizer: adam, lr: 0.003, epochs: 2, batch_size: 32}\n";
  const fs::path model = dir_ / "tiny.eai";
  Outcome o = edgeai("train " + config.string() + " -o " + model.string() + " --limit 1200 --json");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  ASSERT_TRUE(fs::exists(model));
  // The last stdout line is the test summary: the runtime agrees with libtorch on every sample.
  const std::string summary = last_line(o.out);
  EXPECT_EQ(json_number(summary, "label_agreement"), 1.0) << summary;
  EXPECT_LT(json_number(summary, "runtime_vs_libtorch_max_abs_diff"), 1e-4) << summary;
  EXPECT_GT(json_number(summary, "accuracy"), 0.4) << summary;  // chance is 0.1

  o = edgeai("eval " + model.string() + " --data fashion-mnist --limit 1200 --json");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  // eval scores the same 1200 test images as train's summary, on the runtime again.
  EXPECT_DOUBLE_EQ(json_number(o.out, "accuracy"), json_number(summary, "accuracy")) << o.out;
  o = edgeai("inspect " + model.string());
  EXPECT_NE(o.out.find("10 classes"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("golden       8 test vector(s)"), std::string::npos) << o.out;
}

TEST_F(CliTest, EcgAndMagneticTileRecipesRunEndToEnd) {
  const fs::path ecg = dir_ / "ecg.eai";
  Outcome o = edgeai("train ecg-mitbih -o " + ecg.string() + " --epochs 1 --limit 800 --json");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  std::string summary = last_line(o.out);
  EXPECT_EQ(json_number(summary, "label_agreement"), 1.0) << summary;
  EXPECT_NE(summary.find("\"test_data\":\"mitdb:DS2\""), std::string::npos) << summary;
  o = edgeai("eval " + ecg.string() + " --data mitdb:100 --json");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  // Record 100 has 2273 beats; 2 sit too close to the record's ends for a full window.
  EXPECT_EQ(json_number(o.out, "samples"), 2271) << o.out;

  const fs::path tiles = dir_ / "tiles.eai";
  o = edgeai("train magnetic-tile -o " + tiles.string() + " --epochs 1 --limit 60 --json");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  summary = last_line(o.out);
  EXPECT_FALSE(std::isnan(json_number(summary, "roc_auc"))) << summary;
  // The split travels in the bundle: eval finds the same 202 held-out files (15% of each class).
  o = edgeai("eval " + tiles.string() + " --data magnetic-tile:test --json");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_EQ(json_number(o.out, "samples"), 202) << o.out;
}

TEST_F(CliTest, BadConfigsAndDataSpecsAreOneLineErrors) {
  const fs::path config = dir_ / "bad.yaml";
  std::ofstream(config) << "data: {train: 'fashion-mnist:train'}\n"
                           "model: {input: [1, 28, 28], layers: [{warp_drive: {}}]}\n";
  expect_one_line_error(edgeai("train " + config.string() + " -o " + (dir_ / "x.eai").string() + " --limit 100"),
                        "unknown layer type 'warp_drive'");
  std::ofstream(dir_ / "broken.yaml") << "data: [unclosed\n";
  expect_one_line_error(edgeai("train " + (dir_ / "broken.yaml").string() + " -o " + (dir_ / "x.eai").string()),
                        "broken.yaml");
  expect_one_line_error(edgeai("train no-such-recipe -o " + (dir_ / "x.eai").string()), "no recipe named");
  const fs::path eai = dir_ / "relu.eai";
  ASSERT_EQ(edgeai("import " + kRelu + " -o " + eai.string()).exit_code, 0);
  expect_one_line_error(edgeai("eval " + eai.string() + " --data no-such-data"), "unknown data set 'no-such-data'");
}

// x [1,1,8,8] -> Conv 3x3 (4 ch, relu, pad 1) -> GlobalAveragePool -> Flatten -> Gemm (3 classes).
Bundle small_conv_bundle() {
  Bundle b;
  Graph& g = b.graph;
  g.name = "small-conv";
  g.inputs = {ValueInfo{"x", DType::kFloat32, {1, 1, 8, 8}}};
  g.outputs = {ValueInfo{"logits", DType::kFloat32, {1, 3}}};
  std::vector<float> w(36), fc(12);
  for (int i = 0; i < 36; ++i) w[static_cast<std::size_t>(i)] = std::sin(0.7f * static_cast<float>(i));
  for (int i = 0; i < 12; ++i) fc[static_cast<std::size_t>(i)] = std::cos(1.3f * static_cast<float>(i));
  g.constants["w"] = Tensor::from_vector<float>({4, 1, 3, 3}, w);
  g.constants["b"] = Tensor::from_values<float>({4}, {0.1f, -0.1f, 0.2f, 0.0f});
  g.constants["fc"] = Tensor::from_vector<float>({3, 4}, fc);
  Node conv{"conv", "Conv", {"x", "w", "b"}, {"c"}, {}};
  conv.attributes["pads"] = Attribute(std::vector<std::int64_t>{1, 1, 1, 1});
  conv.attributes["activation"] = Attribute("Relu");
  Node gemm{"fc", "Gemm", {"f", "fc"}, {"logits"}, {}};
  gemm.attributes["transB"] = Attribute(std::int64_t{1});
  g.nodes = {conv, Node{"gap", "GlobalAveragePool", {"c"}, {"p"}, {}}, Node{"flatten", "Flatten", {"p"}, {"f"}, {}},
             gemm};
  b.manifest = default_manifest_for(g);
  b.manifest.created_at = "2026-01-01T00:00:00Z";
  return b;
}

TEST_F(CliTest, CompressCalibratesOnNpyFilesAndWritesAWorkingInt8Model) {
  const fs::path model = dir_ / "m.eai";
  ASSERT_TRUE(write_bundle(small_conv_bundle(), model.string()).is_ok());
  const fs::path calib = dir_ / "calib";
  fs::create_directories(calib);
  for (int n = 0; n < 12; ++n) {
    std::vector<float> x(64);
    for (int i = 0; i < 64; ++i) x[static_cast<std::size_t>(i)] = std::sin(0.37f * static_cast<float>(i * (n + 1)));
    ASSERT_TRUE(
        write_npy((calib / ("s" + std::to_string(n) + ".npy")).string(), Tensor::from_vector<float>({1, 1, 8, 8}, x))
            .is_ok());
  }
  const fs::path q = dir_ / "m.int8.eai";
  const fs::path report = dir_ / "report.html";
  Outcome o = edgeai("compress " + model.string() + " -o " + q.string() + " --calib " + calib.string() +
                     " --method percentile --report " + report.string() + " --json");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  // (A model this small grows: scales and names outweigh 50 weights; real ones shrink ~4x.)
  EXPECT_GT(json_number(o.out, "before_bytes"), 0.0) << o.out;
  EXPECT_NE(o.out.find("\"precision\": \"int8\""), std::string::npos) << o.out;
  EXPECT_NE(read_file(report).find("Compression report"), std::string::npos);
  o = edgeai("inspect " + q.string());
  EXPECT_NE(o.out.find("QLinearConv"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("QGemm"), std::string::npos) << o.out;
  // The int8 model runs and stays close to the float one on a calibration sample.
  const std::string x = (calib / "s3.npy").string();
  ASSERT_EQ(edgeai("run " + model.string() + " --input x=" + x + " --output " + (dir_ / "f.npy").string()).exit_code,
            0);
  ASSERT_EQ(edgeai("run " + q.string() + " --input x=" + x + " --output " + (dir_ / "q.npy").string()).exit_code, 0);
  Result<Tensor> f = read_npy((dir_ / "f.npy").string());
  Result<Tensor> qy = read_npy((dir_ / "q.npy").string());
  ASSERT_TRUE(f.is_ok() && qy.is_ok());
  for (int i = 0; i < 3; ++i) EXPECT_NEAR(qy->data<float>()[i], f->data<float>()[i], 0.05) << i;

  // GPTQ rounding: the same operators, recorded in the metadata, and the model still works.
  const fs::path g = dir_ / "m.gptq.eai";
  o = edgeai("compress " + model.string() + " -o " + g.string() + " --calib " + calib.string() +
             " --method percentile --weight-rounding gptq");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  o = edgeai("inspect " + g.string());
  EXPECT_NE(o.out.find("gptq"), std::string::npos) << o.out;
  ASSERT_EQ(edgeai("run " + g.string() + " --input x=" + x + " --output " + (dir_ / "g.npy").string()).exit_code, 0);
  Result<Tensor> gy = read_npy((dir_ / "g.npy").string());
  ASSERT_TRUE(gy.is_ok());
  for (int i = 0; i < 3; ++i) EXPECT_NEAR(gy->data<float>()[i], f->data<float>()[i], 0.05) << i;

  // int16 activations: int16 tensors between the layers, closer to float than int8; ONNX export
  // (opset 13) refuses them with a one-line reason.
  const fs::path a16 = dir_ / "m.a16.eai";
  o = edgeai("compress " + model.string() + " -o " + a16.string() + " --calib " + calib.string() +
             " --activations int16 --json");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_NE(o.out.find("\"precision\": \"int16 activations\""), std::string::npos) << o.out;
  ASSERT_EQ(edgeai("run " + a16.string() + " --input x=" + x + " --output " + (dir_ / "a16.npy").string()).exit_code,
            0);
  Result<Tensor> a16y = read_npy((dir_ / "a16.npy").string());
  ASSERT_TRUE(a16y.is_ok());
  double err8 = 0.0, err16 = 0.0;
  for (int i = 0; i < 3; ++i) {
    err8 = std::max(err8, std::fabs(double(qy->data<float>()[i]) - f->data<float>()[i]));
    err16 = std::max(err16, std::fabs(double(a16y->data<float>()[i]) - f->data<float>()[i]));
  }
  EXPECT_LE(err16, err8) << "int8 " << err8 << ", int16 " << err16;
  EXPECT_LT(err16, 0.01);
  expect_one_line_error(edgeai("export " + a16.string() + " -o " + (dir_ / "a16.onnx").string()),
                        "needs ONNX opset 21");

  o = edgeai("compress " + model.string() + " -o " + (dir_ / "m.int4.eai").string() + " --weights int4");
  EXPECT_EQ(o.exit_code, 0) << o.err;
  o = edgeai("compress " + model.string() + " -o " + (dir_ / "r.eai").string() + " --calib random --calib-samples 4");
  EXPECT_EQ(o.exit_code, 0) << o.err;
  EXPECT_NE(o.err.find("WARNING: calibrating on 4 RANDOM inputs"), std::string::npos) << o.err;
}

// `bench --images`: every image in the folders is read, decoded, preprocessed as the manifest
// says and run; masks beside photos are skipped; the end-to-end figures come with the inference ones.
TEST_F(CliTest, BenchImagesTimesDecodePreprocessAndInferencePerImage) {
  Bundle b = small_conv_bundle();
  b.manifest.preprocessing.kind = "image";
  b.manifest.preprocessing.layout = "NCHW";
  b.manifest.preprocessing.color = "gray";
  b.manifest.preprocessing.resize_height = 8;
  b.manifest.preprocessing.resize_width = 8;
  b.manifest.preprocessing.scale = 1.0f / 255.0f;
  b.manifest.preprocessing.mean = {0.5f};
  b.manifest.preprocessing.std = {0.25f};
  const fs::path model = dir_ / "m.eai";
  ASSERT_TRUE(write_bundle(b, model.string()).is_ok());

  const fs::path images = dir_ / "images";
  fs::create_directories(images / "a");
  fs::create_directories(images / "b" / "Imgs");
  std::vector<std::uint8_t> rgb(16 * 12 * 3), gray(8 * 8);
  for (std::size_t i = 0; i < rgb.size(); ++i) rgb[i] = static_cast<std::uint8_t>(i * 7);
  for (std::size_t i = 0; i < gray.size(); ++i) gray[i] = static_cast<std::uint8_t>(i * 3);
  ASSERT_NE(stbi_write_png((images / "a" / "one.png").c_str(), 16, 12, 3, rgb.data(), 16 * 3), 0);
  ASSERT_NE(stbi_write_jpg((images / "b" / "Imgs" / "two.jpg").c_str(), 8, 8, 1, gray.data(), 90), 0);
  ASSERT_NE(stbi_write_png((images / "b" / "Imgs" / "two.png").c_str(), 8, 8, 1, gray.data(), 8), 0);  // its mask
  ASSERT_NE(stbi_write_jpg((images / "b" / "three.JPEG").c_str(), 20, 10, 3, rgb.data(), 90), 0);
  std::ofstream(images / "notes.txt") << "not an image\n";

  Outcome o = edgeai("bench " + model.string() + " --images " + images.string() + " --json");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_EQ(json_number(o.out, "images"), 3) << o.out;  // one.png, two.jpg, three.JPEG; not the mask
  EXPECT_EQ(json_number(o.out, "runs"), 3) << o.out;    // one pass over the images by default
  EXPECT_GT(json_number(o.out, "e2e_median_ms"), 0.0) << o.out;
  EXPECT_GE(json_number(o.out, "e2e_median_ms"), json_number(o.out, "median_ms")) << o.out;
  EXPECT_GE(json_number(o.out, "decode_median_ms"), 0.0) << o.out;
  EXPECT_GE(json_number(o.out, "preprocess_median_ms"), 0.0) << o.out;
  EXPECT_NEAR(json_number(o.out, "e2e_fps"), 1000.0 / json_number(o.out, "e2e_median_ms"),
              0.02 * json_number(o.out, "e2e_fps"))
      << o.out;
  EXPECT_GT(json_number(o.out, "images_per_s"), 0.0) << o.out;

  // Files too; --runs cycles through them.
  o = edgeai("bench " + model.string() + " --images " + (images / "a" / "one.png").string() + " " +
             (images / "b" / "three.JPEG").string() + " --runs 5");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_NE(o.out.find("images     2, each run: read + decode, preprocess (image NCHW gray resize 8x8), inference"),
            std::string::npos)
      << o.out;
  EXPECT_NE(o.out.find("runs       5"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("fps at the median"), std::string::npos) << o.out;
  // Without --images the JSON has none of the image fields.
  o = edgeai("bench " + model.string() + " --runs 2 --json");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_EQ(o.out.find("e2e_median_ms"), std::string::npos) << o.out;

  // Errors: a model without image preprocessing, an empty folder, a missing path, a corrupt image.
  const fs::path plain = dir_ / "plain.eai";
  ASSERT_TRUE(write_bundle(small_conv_bundle(), plain.string()).is_ok());
  expect_one_line_error(edgeai("bench " + plain.string() + " --images " + images.string()),
                        "needs a model whose manifest declares image preprocessing");
  fs::create_directories(dir_ / "empty");
  expect_one_line_error(edgeai("bench " + model.string() + " --images " + (dir_ / "empty").string()),
                        "no .jpg, .jpeg or .png images under");
  expect_one_line_error(edgeai("bench " + model.string() + " --images " + (dir_ / "nowhere").string()),
                        "no file or folder");
  std::ofstream(dir_ / "bad.jpg") << "not a jpeg";
  expect_one_line_error(edgeai("bench " + model.string() + " --images " + (dir_ / "bad.jpg").string()), "bad.jpg");
}

TEST_F(CliTest, CompressBadInputIsAOneLineError) {
  const fs::path model = dir_ / "m.eai";
  ASSERT_TRUE(write_bundle(small_conv_bundle(), model.string()).is_ok());
  const std::string out = " -o " + (dir_ / "q.eai").string();
  expect_one_line_error(edgeai("compress " + model.string() + out), "needs calibration data");
  const fs::path wrong = dir_ / "wrong";
  fs::create_directories(wrong);
  ASSERT_TRUE(write_npy((wrong / "a.npy").string(), Tensor::allocate(DType::kFloat32, {1, 1, 9, 9}).value()).is_ok());
  expect_one_line_error(edgeai("compress " + model.string() + out + " --calib " + wrong.string()),
                        "does not fit the model's input 'x' [1,1,8,8]");
  const fs::path empty = dir_ / "empty";
  fs::create_directories(empty);
  expect_one_line_error(edgeai("compress " + model.string() + out + " --calib " + empty.string()), "empty");
  expect_one_line_error(edgeai("compress " + model.string() + out + " --calib random --keep-float nosuch"),
                        "no node 'nosuch'");
  expect_one_line_error(edgeai("compress " + model.string() + out + " --calib random --max-accuracy-drop 1"),
                        "--max-accuracy-drop needs --eval");
  expect_one_line_error(edgeai("compress " + model.string() + out + " --calib random --method median"),
                        "unknown calibration method 'median'");
  expect_one_line_error(edgeai("compress " + model.string() + out + " --calib random --percentile 30"),
                        "--percentile must be in (50, 100]");
  expect_one_line_error(edgeai("compress " + model.string() + out + " --weights int2"), "unknown weight format 'int2'");
  expect_one_line_error(edgeai("compress " + model.string() + out + " --calib random --activations int4"),
                        "--activations must be int8 or int16");
  expect_one_line_error(edgeai("compress " + model.string() + out + " --weights fp16 --activations int16"),
                        "applies to integer models");
  expect_one_line_error(
      edgeai("compress " + model.string() + out + " --calib random --activations int16 --method entropy"),
      "with int16 activations use minmax or percentile");
  expect_one_line_error(edgeai("compress " + model.string() + out + " --calib random --weight-rounding up"),
                        "unknown weight rounding 'up'");
  expect_one_line_error(edgeai("compress " + model.string() + out + " --calib random --weight-rounding gptq"),
                        "random inputs would mislead it");
  expect_one_line_error(edgeai("compress " + model.string() + out + " --weights fp16 --weight-rounding gptq"),
                        "applies to int8 and int4 weights");
  expect_one_line_error(edgeai("compress " + model.string() + out + " --weights int4 --weight-rounding gptq"),
                        "needs calibration data");
  EXPECT_FALSE(fs::exists(dir_ / "q.eai"));  // nothing half-written
}

}  // namespace
}  // namespace edgeai
