#!/usr/bin/env bash
# Builds tests/fuzz/bundle_fuzzer.cpp with clang++ and libFuzzer (+ASan +UBSan) straight from
# the sources and runs it for a bounded time over the committed corpus, read-only.
#   usage: run_bundle_fuzzer.sh [GENERATED_DIR] [WORK_DIR]
#   GENERATED_DIR  holds eai_generated.h (flatc output); empty or missing: flatc is run here
#   WORK_DIR       build and scratch directory (default: a temp dir, removed afterwards)
#   EDGEAI_FUZZ_SECONDS  run time (default 30); EDGEAI_FUZZ_CXX  compiler (default clang++)
# Exit 0: no crash; 77: skipped (no clang++/libFuzzer/flatc); anything else: a crash, whose
# input is left in WORK_DIR/artifacts/.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
GEN=${1:-}
WORK=${2:-}
FUZZ_SECONDS=${EDGEAI_FUZZ_SECONDS:-30}
CXX=${EDGEAI_FUZZ_CXX:-clang++}
CORPUS="$ROOT/tests/fuzz/corpus/bundle"

if [[ -z "$WORK" ]]; then
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/edgeai_bundle_fuzz.XXXXXX")
  trap 'rm -rf "$WORK"' EXIT
fi
mkdir -p "$WORK"

if ! command -v "$CXX" >/dev/null 2>&1; then
  echo "bundle_fuzz: skipped, $CXX not found"
  exit 77
fi
if [[ -z "$GEN" || ! -f "$GEN/eai_generated.h" ]]; then
  if ! command -v flatc >/dev/null 2>&1; then
    echo "bundle_fuzz: skipped, no generated header and no flatc"
    exit 77
  fi
  GEN="$WORK/generated"
  mkdir -p "$GEN"
  flatc --cpp --gen-mutable -o "$GEN" "$ROOT/src/format/eai.fbs"
fi

SOURCES=("$ROOT"/src/core/*.cpp "$ROOT/src/graph/graph.cpp" "$ROOT"/src/format/*.cpp "$ROOT/tests/fuzz/bundle_fuzzer.cpp")
FLAGS=(-std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
       -I"$ROOT/src" -I"$GEN")
BIN="$WORK/bundle_fuzzer"
OBJ="$WORK/obj"

# Rebuild only when a source, header or the generated header is newer than the binary.
if [[ ! -x "$BIN" ]] || [[ -n "$(find "$ROOT/src/core" "$ROOT/src/format" "$ROOT/src/graph/graph.cpp" "$ROOT/src/graph/graph.hpp" \
                                      "$ROOT/src/graph/attribute.hpp" "$ROOT/tests/fuzz" "$GEN" \
                                      -newer "$BIN" \( -name '*.cpp' -o -name '*.hpp' -o -name '*.h' \) -print -quit)" ]]; then
  rm -rf "$OBJ" && mkdir -p "$OBJ"
  echo "bundle_fuzz: building with $CXX"
  # Two compiles at a time (the machines this runs on are small); one object per source.
  i=0
  for src in "${SOURCES[@]}"; do
    echo "$src $OBJ/$i.o"
    i=$((i + 1))
  done | xargs -P 2 -n 2 sh -c "\"$CXX\" ${FLAGS[*]@Q} -c \"\$0\" -o \"\$1\""
  LIBS=$(pkg-config --libs libsodium libzstd 2>/dev/null || true)
  if ! "$CXX" -fsanitize=fuzzer,address,undefined "$OBJ"/*.o $LIBS -o "$BIN"; then
    echo "bundle_fuzz: link failed (is libFuzzer installed for $CXX?)"
    exit 1
  fi
fi

# New inputs go to a scratch corpus (the first directory); the committed one is only read.
rm -rf "$WORK/corpus" "$WORK/artifacts"
mkdir -p "$WORK/corpus" "$WORK/artifacts"
echo "bundle_fuzz: running for ${FUZZ_SECONDS}s over $CORPUS"
# libFuzzer exits 77 on a crash by default: that is ctest's skip code here, so use 1 and 2.
exec "$BIN" -max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
  -error_exitcode=1 -timeout_exitcode=2 \
  -print_final_stats=1 -artifact_prefix="$WORK/artifacts/" "$WORK/corpus" "$CORPUS"
