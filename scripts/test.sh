#!/usr/bin/env bash
# The test command: installs dependencies, builds, prints the conformance reports (ONNX
# node tests per operator, torchvision models against torch), then runs every test with
# ctest, ending with ctest's summary.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh

# The reports: the same binaries run again under ctest below, where a failure counts.
echo "== ONNX node tests of the listed operators (also in build/onnx_conformance.md)"
build/tests/conformance/onnx_conformance_test --gtest_brief=1 | grep -E '^(\||- |Skipped|Failed)' || true
echo "== torchvision models against torch (opset 13, 1x3x224x224)"
build/tests/conformance/torchvision_test --gtest_brief=1 | grep -E '^[a-z0-9_]+ +nodes' || true

echo "== all tests"
cd build
ctest --output-on-failure --parallel "$(nproc)" --timeout 1200
