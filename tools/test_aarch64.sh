#!/usr/bin/env bash
# Cross-builds the kernels and their tests for AArch64 (the NEON kernels) with Debian's
# g++-aarch64-linux-gnu into build-aarch64 and runs kernels_test under qemu-aarch64-static.
# Builds only edgeai_core, edgeai_graph, edgeai_kernels, GoogleTest (from /usr/src/googletest)
# and kernels_test, through cmake/aarch64-kernels/CMakeLists.txt (the top-level project needs
# libraries that are not installed for arm64). Exits nonzero if the build or any test fails,
# or if the optimised (NEON) kernels were not exercised.
#   tools/test_aarch64.sh [extra kernels_test arguments, e.g. --gtest_filter=Conv*]
# Installs what it needs from Debian's packages, quietly and only what is missing (root or sudo).
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(cmake ninja-build g++-aarch64-linux-gnu qemu-user-static googletest)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} > 0)); then
  echo "test_aarch64: installing ${missing[*]}" >&2
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

build=build-aarch64
sysroot=/usr/aarch64-linux-gnu
qemu=(qemu-aarch64-static -L "$sysroot")
test_timeout=1800   # seconds per kernels_test run under qemu (the whole suite takes seconds)

echo "== aarch64: cross build (g++-aarch64-linux-gnu) into $build"
start=$SECONDS
cmake -S cmake/aarch64-kernels -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_TOOLCHAIN_FILE="$PWD/cmake/aarch64-linux-gnu.cmake" >/dev/null
cmake --build "$build" --parallel "$(nproc)" --target kernels_test
echo "test_aarch64: build took $((SECONDS - start)) s"

bin="$build/kernels_test"
# The NEON micro-kernels must be linked in (src/kernels/CMakeLists.txt adds arm/ for aarch64).
# (grep without -q: with pipefail, -q's early exit would fail nm with SIGPIPE.)
if ! aarch64-linux-gnu-nm -C "$bin" | grep 'f32_microkernels_neon' >/dev/null; then
  echo "test_aarch64: FAIL: $bin has no f32_microkernels_neon (NEON kernels not built)" >&2
  exit 1
fi

# 1. The optimised kernels: OptimizedF32Kernels.ThisCpuHasThem asserts that an AArch64 CPU gets
#    optimised Conv/Gemm/MatMul kernels; it must exist and pass, or the NEON code went untested.
echo "== aarch64: optimised kernels under qemu-aarch64-static (--gtest_filter='Optimized*')"
start=$SECONDS
opt_log="$build/kernels_test_optimized.log"
opt_rc=0
timeout "$test_timeout" "${qemu[@]}" "$bin" --gtest_filter='Optimized*' >"$opt_log" 2>&1 || opt_rc=$?
grep -E '^\[ +(OK|FAILED|SKIPPED) +\]|^\[==========\]|^\[  PASSED  \]' "$opt_log" || true
echo "test_aarch64: optimised run took $((SECONDS - start)) s"
if ! grep -q '^\[ RUN      \] OptimizedF32Kernels\.ThisCpuHasThem$' "$opt_log"; then
  echo "test_aarch64: FAIL: test OptimizedF32Kernels.ThisCpuHasThem is absent from kernels_test" >&2
  exit 1
fi
if ! grep -q '^\[       OK \] OptimizedF32Kernels\.ThisCpuHasThem' "$opt_log"; then
  echo "test_aarch64: FAIL: OptimizedF32Kernels.ThisCpuHasThem did not pass (see $opt_log):" >&2
  sed -n '/^\[ RUN      \] OptimizedF32Kernels\.ThisCpuHasThem$/,/^\[ *\(OK\|FAILED\) *\] OptimizedF32Kernels\.ThisCpuHasThem/p' "$opt_log" >&2
  exit 1
fi
if ((opt_rc != 0)); then
  echo "test_aarch64: FAIL: optimised kernel tests failed (exit $opt_rc), see $opt_log:" >&2
  grep -E '^\[  FAILED  \]|Failure|error' "$opt_log" >&2 || tail -n 20 "$opt_log" >&2
  exit 1
fi

# 2. The whole kernels_test.
echo "== aarch64: kernels_test under qemu-aarch64-static"
start=$SECONDS
all_log="$build/kernels_test.log"
all_rc=0
timeout "$test_timeout" "${qemu[@]}" "$bin" --gtest_brief=1 "$@" >"$all_log" 2>&1 || all_rc=$?
grep -v '^Running main() from' "$all_log" || true
echo "test_aarch64: full run took $((SECONDS - start)) s"
if ((all_rc == 124)); then
  echo "test_aarch64: FAIL: kernels_test ran past ${test_timeout} s under qemu" >&2
  exit 1
fi
if ((all_rc != 0)); then
  echo "test_aarch64: FAIL: kernels_test exited $all_rc (log: $all_log)" >&2
  exit 1
fi
echo "test_aarch64: all aarch64 kernel tests passed"
