#!/usr/bin/env bash
# Builds the core, kernel and runtime tests with -DEDGEAI_SINGLE_THREAD=ON (the thread pool without
# any thread code, for microcontroller-class targets) into build-single and runs them, so the
# option keeps compiling and computing the same results.
#   tools/test_single_thread.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build-single -G Ninja -DCMAKE_BUILD_TYPE=Release -DEDGEAI_SINGLE_THREAD=ON > /dev/null
cmake --build build-single --parallel "$(nproc)" --target core_test kernels_test runtime_test > /dev/null
for t in core/core_test kernels/kernels_test runtime/runtime_test; do
  "build-single/tests/$t" --gtest_brief=1
done
echo "test_single_thread: all single-thread tests passed"
