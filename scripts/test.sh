#!/usr/bin/env bash
# The test command: installs dependencies, builds, prints the conformance reports (ONNX
# node tests per operator, torchvision models against torch), then runs every test with
# ctest, ending with ctest's summary.
#   --sanitize   build into build-asan with AddressSanitizer + UndefinedBehaviorSanitizer and
#                run the suites there (libtorch's training tests excluded: too slow under ASan)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/install-browser-test.sh

if [ "${1:-}" = "--sanitize" ]; then
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DEDGEAI_SANITIZE=address,undefined >/dev/null
  cmake --build build-asan --parallel "$(nproc)" --target core_test graph_test kernels_test format_test runtime_test agent_test inference_test micro_test micro_ecg_test \
    import_test data_ecg_test data_image_test data_metrics_test onnx_conformance_test torchvision_test edgeai \
    edgeai-agent server_test ota_test
  cd build-asan
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    ctest --output-on-failure --parallel "$(nproc)" --timeout 1800 \
    -E 'bundle_fuzz|CliTest|GraphBuilder|GraphModule|Trainer|Export|McuEcg|_NOT_BUILT'
  exit
fi

scripts/build.sh

# The reports: the same binaries run again under ctest below, where a failure counts.
echo "== ONNX node tests of the listed operators (also in build/onnx_conformance.md)"
build/tests/conformance/onnx_conformance_test --gtest_brief=1 | grep -E '^(\||- |Skipped|Failed)' || true
echo "== torchvision models against torch (opset 13, 1x3x224x224)"
build/tests/conformance/torchvision_test --gtest_brief=1 | grep -E '^[a-z0-9_]+ +nodes' || true

# The NEON kernels: cross-built with g++-aarch64-linux-gnu, their tests run under qemu-aarch64-static.
echo "== aarch64 kernels (cross-compiled, run under qemu-aarch64-static)"
tools/test_aarch64.sh

# The EDGEAI_SINGLE_THREAD build (no thread code): core, kernel and runtime tests.
echo "== single-thread build (EDGEAI_SINGLE_THREAD=ON)"
tools/test_single_thread.sh

echo "== all tests"
cd build
ctest --output-on-failure --parallel "$(nproc)" --timeout 1200
