// Six torchvision architectures, exported from Debian's python3-torch with a fixed seed at
// opset 13 (tools/export_torchvision.py, run here), go through ONNX import and the
// reference runtime; their outputs must match torch's within a relative error of 1e-4
// (max |ours - torch| divided by max |torch|: the logits of randomly initialised networks
// sit near zero, where an element-wise relative error says nothing).
#include <gtest/gtest.h>

#include "../support/allocation_counter.hpp"

#include <algorithm>
#include <cstdlib>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "format/npy.hpp"
#include "import/onnx/onnx_importer.hpp"
#include "runtime/session.hpp"


namespace edgeai {
namespace {

namespace fs = std::filesystem;

class TorchvisionTest : public ::testing::TestWithParam<std::string> {
 protected:
  static void SetUpTestSuite() {
    // ctest runs each case in its own process, maybe in parallel: flock serialises the
    // export, and the script skips models that are already there.
    const std::string cmd = std::string("flock ") + EDGEAI_MODEL_DIR + "/.lock /usr/bin/python3 " + EDGEAI_SOURCE_DIR +
                            "/tools/export_torchvision.py --out " + EDGEAI_MODEL_DIR + " > " + EDGEAI_MODEL_DIR +
                            "/export.log 2>&1";
    fs::create_directories(EDGEAI_MODEL_DIR);
    export_status_ = std::system(cmd.c_str());
  }
  static int export_status_;
};

int TorchvisionTest::export_status_ = -1;

TEST_P(TorchvisionTest, MatchesTorch) {
  ASSERT_EQ(export_status_, 0) << "export failed; see " << EDGEAI_MODEL_DIR << "/export.log";
  const std::string name = GetParam();
  const fs::path dir = EDGEAI_MODEL_DIR;
  Result<Graph> graph = import_onnx_file((dir / (name + ".onnx")).string());
  ASSERT_TRUE(graph.is_ok()) << graph.status().to_string();
  const std::size_t nodes = graph->nodes.size();
  Result<std::unique_ptr<Session>> session = Session::create(std::move(graph).value());
  ASSERT_TRUE(session.is_ok()) << session.status().to_string();

  Result<Tensor> input = read_npy((dir / (name + ".input.npy")).string());
  Result<Tensor> expected = read_npy((dir / (name + ".output.npy")).string());
  ASSERT_TRUE(input.is_ok() && expected.is_ok());
  const auto start = std::chrono::steady_clock::now();
  Result<std::vector<Tensor>> out = (*session)->run_and_copy({*input});
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  const Tensor& got = (*out)[0];
  ASSERT_EQ(got.shape(), expected->shape());

  double max_abs_err = 0.0, max_ref = 0.0, max_elem_rel = 0.0;
  for (std::int64_t i = 0; i < got.num_elements(); ++i) {
    const double a = got.data<float>()[i];
    const double e = expected->data<float>()[i];
    max_abs_err = std::max(max_abs_err, std::fabs(a - e));
    max_ref = std::max(max_ref, std::fabs(e));
    max_elem_rel = std::max(max_elem_rel, std::fabs(a - e) / std::max(std::fabs(e), 1e-30));
  }
  const double rel = max_abs_err / max_ref;
  std::printf("%-20s nodes %4zu  max abs err %.3e  max rel err %.3e  (max |torch| %.3e, worst element-wise rel %.3e)  "
              "%.0f ms\n",
              name.c_str(), nodes, max_abs_err, rel, max_ref, max_elem_rel, ms);
  EXPECT_LE(rel, 1e-4);
  // Planned and warmed up: a further run allocates nothing and gives the same numbers.
  std::vector<TensorView> views = {input->view()};
  const long before = testing::heap_allocations();
  ASSERT_TRUE((*session)->run(views).is_ok());
  EXPECT_EQ(testing::heap_allocations(), before) << "run() allocated on the heap";
  const TensorView again = (*session)->output(0);
  EXPECT_EQ(std::memcmp(again.data, got.raw_data(), got.size_bytes()), 0);
  // Same top-1 class as torch.
  const auto top = [](const float* v, std::int64_t n) { return std::max_element(v, v + n) - v; };
  EXPECT_EQ(top(got.data<float>(), got.num_elements()), top(expected->data<float>(), expected->num_elements()));
}

INSTANTIATE_TEST_SUITE_P(Models, TorchvisionTest,
                         ::testing::Values("mobilenet_v2", "resnet18", "squeezenet1_1", "shufflenet_v2_x1_0",
                                           "mobilenet_v3_small", "efficientnet_b0"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace edgeai
