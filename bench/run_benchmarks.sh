#!/usr/bin/env bash
# The benchmark of the fast kernels: edgeai against ONNX Runtime 1.30.0 (onnxruntime-node, CPU),
# side by side in one run, written to docs/benchmarks.md. Not a test: it measures, it does not
# judge (every row with a target says "meets" or "misses"), and it never stops at the first
# failure: a step that fails leaves its output and exit code in out/bench/raw/ and its cells "n/a".
#
#   bench/run_benchmarks.sh
#   EDGEAI_RUNS=5 ORT_RUNS=10 bench/run_benchmarks.sh        # a quicker look
#
# What it measures:
#   1. this core's peak multiply-accumulate rate, fp32 and int8 (bench/cpu_peak.cpp, built here);
#   2. fp32: six torchvision models (tools/export_torchvision.py -> `edgeai import`), edgeai and
#      ORT alternating per (model, threads); outputs checked against torch's;
#   3. int8: each model compressed (`edgeai compress --calib random`: there is no ImageNet data
#      here, and latency does not depend on the ranges), exported as QDQ ONNX (`edgeai export`,
#      with int8 activations and with --uint8-activations, the form ORT on x86 fuses into its
#      integer kernels), edgeai int8 against ORT on the QDQ model and ORT fp32;
#   4. the use-case models (Fashion-MNIST CNN, MIT-BIH beat classifier, magnetic-tile inspection),
#      fp32 and int8 (calibrated on their training data), and the inspection model end to end
#      on the real tile photos (`edgeai bench --images`: read + decode + preprocess + inference);
#   5. peak resident memory of `edgeai bench` on MobileNetV2 int8 and the size of the stripped
#      device runtime library (tools/device_library_size.sh);
#   6. the OTA update server under load (bench/ota_load.sh: 1000 simulated devices polling one
#      server, SQLite and PostgreSQL, and a phased rollout to all of them); its section is put
#      into the report after benchmarks_report.py has written it.
#   7. the microcontroller footprint (bench/mcu_footprint.sh: the ECG firmware built for a
#      Cortex-M4F and run under QEMU; sizes per part, arena, instructions per inference); its
#      section too is put into the report afterwards.
#
# Needs: a built edgeai (build/src/cli/edgeai; and edgeai-train beside it only when a use-case
# bundle has to be trained), g++, Debian's /usr/bin/python3 with torch/torchvision/onnx/numpy,
# node + npm (ORT is installed into bench/node_modules when missing), cmake + ninja (device library).
# bench/benchmarks_report.py turns the raw outputs into the report.
#
# Environment (defaults in brackets):
#   MODELS              comma-separated torchvision models, or none [all six]
#   THREADS             thread counts, fp32                         ["1 2"]
#   ROUNDS              alternations of edgeai and ORT per (model, threads), torchvision
#                       fp32 and int8; the report takes the median of the rounds' medians [3]
#   ORT_RUNS            timed ORT runs                              [20]
#   ORT_WARMUP          ORT warm-up runs                            [3]
#   EDGEAI_RUNS         timed edgeai fp32 runs                      [20]
#   EDGEAI_WARMUP       edgeai fp32 warm-up runs                    [3]
#   INT8_MODELS         models for the int8 table, or none          [MODELS]
#   INT8_THREADS        thread counts, int8                         ["1 2"]
#   EDGEAI_INT8_RUNS    timed edgeai int8 runs                      [20]
#   EDGEAI_INT8_WARMUP  edgeai int8 warm-up runs                    [3]
#   CALIB_SAMPLES       random calibration samples, torchvision     [32]
#   USECASES            comma-separated use cases, or none          [fashion-mnist,ecg-mitbih,magnetic-tile]
#   USECASE_RUNS        timed runs per use-case model, fp32         [200]
#   USECASE_INT8_RUNS   timed runs per use-case model, int8         [20]
#   USECASE_WARMUP      warm-up runs per use-case model             [5]
#   USECASE_CALIB_SAMPLES calibration samples, use cases            [500]
#   USECASE_MODEL_DIR   where the trained use-case bundles NAME.eai are [out]; one that is
#                       missing is trained briefly into RESULTS_DIR/usecases/ (and reused next time)
#   TRAIN_LIMIT         samples per set when a use-case bundle must be trained [recipe-specific]
#   TILE_IMAGES         magnetic tile photos for the end-to-end runs [$EDGEAI_DATASETS/magnetic-tile,
#                       else ../shared/datasets/magnetic-tile]
#   TILE_INT8_IMAGES    photos for the int8 end-to-end run, evenly spaced (0: all)   [0]
#   DEVICE_LIB          1: measure the device library (builds build-device/) [1]
#   DELTA               1: OTA delta sizes for MobileNetV2 (bench/delta_bench.py) [1]
#   OTA_LOAD            1: the update server under load (bench/ota_load.sh; needs build/bench/ota_load;
#                       its own variables, DEVICES, INTERVAL, ..., are read from the environment) [1]
#   MCU                 1: the microcontroller footprint (bench/mcu_footprint.sh; needs arm-none-eabi-gcc,
#                       qemu-system-arm and build/examples/mcu-ecg/host/mcu_ecg_host) [1]
#   EDGEAI_TIMEOUT      seconds per edgeai command                  [900]
#   EDGEAI              the edgeai binary (copied to RESULTS_DIR/bin first) [build/src/cli/edgeai]
#   MODEL_DIR           exported torchvision models                 [out/models]
#   RESULTS_DIR         raw outputs (raw/) and compressed models     [out/bench]
#   OUT_MD              the report                                  [docs/benchmarks.md]
#   PYTHON              python with torch                           [/usr/bin/python3]
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

ALL_MODELS="mobilenet_v2,resnet18,squeezenet1_1,shufflenet_v2_x1_0,mobilenet_v3_small,efficientnet_b0"
MODELS="${MODELS:-$ALL_MODELS}"
THREADS="${THREADS:-1 2}"
ROUNDS="${ROUNDS:-3}"
ORT_RUNS="${ORT_RUNS:-20}"
ORT_WARMUP="${ORT_WARMUP:-3}"
EDGEAI_RUNS="${EDGEAI_RUNS:-20}"
EDGEAI_WARMUP="${EDGEAI_WARMUP:-3}"
INT8_MODELS="${INT8_MODELS:-$MODELS}"
INT8_THREADS="${INT8_THREADS:-1 2}"
EDGEAI_INT8_RUNS="${EDGEAI_INT8_RUNS:-20}"
EDGEAI_INT8_WARMUP="${EDGEAI_INT8_WARMUP:-3}"
CALIB_SAMPLES="${CALIB_SAMPLES:-32}"
USECASES="${USECASES:-fashion-mnist,ecg-mitbih,magnetic-tile}"
USECASE_RUNS="${USECASE_RUNS:-200}"
USECASE_INT8_RUNS="${USECASE_INT8_RUNS:-20}"
USECASE_WARMUP="${USECASE_WARMUP:-5}"
USECASE_CALIB_SAMPLES="${USECASE_CALIB_SAMPLES:-500}"
USECASE_MODEL_DIR="${USECASE_MODEL_DIR:-out}"
TRAIN_LIMIT="${TRAIN_LIMIT:-}"
DATASETS="${EDGEAI_DATASETS:-$ROOT/../shared/datasets}"
TILE_IMAGES="${TILE_IMAGES:-$DATASETS/magnetic-tile}"
TILE_INT8_IMAGES="${TILE_INT8_IMAGES:-0}"
DEVICE_LIB="${DEVICE_LIB:-1}"
DELTA="${DELTA:-1}"
OTA_LOAD="${OTA_LOAD:-1}"
MCU="${MCU:-1}"
EDGEAI_TIMEOUT="${EDGEAI_TIMEOUT:-900}"
EDGEAI="${EDGEAI:-build/src/cli/edgeai}"
MODEL_DIR="${MODEL_DIR:-out/models}"
RESULTS_DIR="${RESULTS_DIR:-out/bench}"
OUT_MD="${OUT_MD:-docs/benchmarks.md}"
PYTHON="${PYTHON:-/usr/bin/python3}"
ORT_VERSION="1.30.0"

RAW="$RESULTS_DIR/raw"
INT8_DIR="$RESULTS_DIR/int8"
USECASE_DIR="$RESULTS_DIR/usecases"
START_SECONDS=$(date +%s)
# Busy CPU time of the whole machine (/proc/stat, clock ticks): how much other work was running
# is sampled over 3 s before the benchmark starts (the benchmark's own processes cannot be told
# apart from others once it runs: ORT and node start threads of their own).
busy_ticks() { awk '/^cpu /{print $2 + $3 + $4 + $7 + $8; exit}' /proc/stat; }
IDLE_BUSY0=$(busy_ticks)
sleep 3
IDLE_BUSY1=$(busy_ticks)

log() { echo "run_benchmarks: [$(( $(date +%s) - START_SECONDS ))s] $*" >&2; }

# step NAME TIMEOUT COMMAND...: runs COMMAND with stdout in $RAW/NAME.out, stderr in
# $RAW/NAME.err and the exit code in $RAW/NAME.rc; returns that code (never stops the script).
step() {
  local name="$1" limit="$2"
  shift 2
  local rc=0
  timeout "$limit" "$@" > "$RAW/$name.out" 2> "$RAW/$name.err" || rc=$?
  echo "$rc" > "$RAW/$name.rc"
  if [ "$rc" != 0 ]; then
    [ "$rc" = 124 ] && echo "timed out after ${limit} s" >> "$RAW/$name.err"
    log "FAILED: $name (rc $rc, see $RAW/$name.err)"
  fi
  return "$rc"
}
# note NAME TEXT: records why a step did not run (the report shows it with the failures).
note() {
  echo "$2" > "$RAW/$1.err"
  echo "skipped" > "$RAW/$1.rc"
  : > "$RAW/$1.out"
  log "skipped: $1 ($2)"
}

rm -rf "$RAW"
mkdir -p "$RAW" "$INT8_DIR" "$USECASE_DIR" "$(dirname "$OUT_MD")"

# ---- 0. tools: edgeai, ORT, the peak benchmark -------------------------------------------------
have_edgeai=1
if [ ! -x "$EDGEAI" ]; then
  log "warning: $EDGEAI not found; every edgeai cell will be n/a"
  have_edgeai=0
else
  # Every figure from one binary, even if a build replaces it meanwhile: a copy (with edgeai-train,
  # which `edgeai train` runs from the same folder).
  mkdir -p "$RESULTS_DIR/bin"
  cp "$EDGEAI" "$RESULTS_DIR/bin/edgeai"
  [ -x "$(dirname "$EDGEAI")/edgeai-train" ] && cp "$(dirname "$EDGEAI")/edgeai-train" "$RESULTS_DIR/bin/edgeai-train"
  EDGEAI="$RESULTS_DIR/bin/edgeai"
  if ! "$EDGEAI" --version > /dev/null 2>&1; then
    log "warning: $EDGEAI does not run; every edgeai cell will be n/a"
    have_edgeai=0
  fi
fi
have_ort=1
if [ ! -f bench/node_modules/onnxruntime-node/package.json ]; then
  log "installing onnxruntime-node ${ORT_VERSION}"
  (cd bench && npm install --ignore-scripts --no-audit --no-fund) > "$RAW/npm_install.out" 2>&1 || true
fi
if ! command -v node > /dev/null || [ ! -f bench/node_modules/onnxruntime-node/package.json ]; then
  log "warning: node or onnxruntime-node missing; every ORT cell will be n/a"
  have_ort=0
fi

log "this core's peak (bench/cpu_peak.cpp)"
cpu_flags=" $(grep -m1 '^flags' /proc/cpuinfo | sed 's/^flags[[:space:]]*:[[:space:]]*//') "
peak_flags=()
has_flag() { case "$cpu_flags" in *" $1 "*) return 0 ;; *) return 1 ;; esac; }
has_flag avx2 && has_flag fma && peak_flags+=(-mavx2 -mfma)
has_flag avx512f && peak_flags+=(-mavx512f)
has_flag avx512f && has_flag avx512_vnni && peak_flags+=(-mavx512vnni)
has_flag avx_vnni && peak_flags+=(-mavxvnni)
has_flag amx_tile && has_flag amx_int8 && peak_flags+=(-mamx-tile -mamx-int8)
echo "${peak_flags[*]}" > "$RAW/cpu_peak.flags"
if step cpu_peak.build 300 g++ -O2 -std=c++17 "${peak_flags[@]}" bench/cpu_peak.cpp -o "$RESULTS_DIR/cpu_peak"; then
  step cpu_peak 300 "$RESULTS_DIR/cpu_peak" || true
else
  note cpu_peak "bench/cpu_peak.cpp did not build (see cpu_peak.build.err)"
fi

# ---- 1. fp32: torchvision models, edgeai and ORT alternating ------------------------------------

# "none" empties a list.
[ "$MODELS" = none ] && MODELS=""
[ "$INT8_MODELS" = none ] && INT8_MODELS=""
[ "$USECASES" = none ] && USECASES=""
IFS=',' read -r -a model_list <<< "$MODELS"
IFS=',' read -r -a int8_list <<< "$INT8_MODELS"
IFS=',' read -r -a usecase_list <<< "$USECASES"

if [ -n "$MODELS" ] && [ "$MODELS" != none ]; then
  log "exporting models into ${MODEL_DIR}"
  step export_torchvision 3600 "$PYTHON" tools/export_torchvision.py --out "$MODEL_DIR" --models "$MODELS" || true
fi

first_cpu_line=1
for m in "${model_list[@]}"; do
  onnx="$MODEL_DIR/$m.onnx"
  eai="$MODEL_DIR/$m.eai"
  import_ok=0
  if [ "$have_edgeai" = 1 ]; then
    log "$m: edgeai import"
    rm -f "$eai"
    if step "$m.import" "$EDGEAI_TIMEOUT" "$EDGEAI" import "$onnx" -o "$eai" && [ -s "$eai" ]; then
      import_ok=1
      # The CPU features edgeai sees (the text output's "kernels" line), once.
      if [ "$first_cpu_line" = 1 ]; then
        step edgeai_cpu 300 "$EDGEAI" bench "$eai" --runs 1 --warmup 0 && first_cpu_line=0
      fi
      # Output against torch's, on the exported input.
      step "$m.fp32.run" "$EDGEAI_TIMEOUT" "$EDGEAI" run "$eai" --input "$MODEL_DIR/$m.input.npy" \
        --output "$RAW/$m.fp32.edgeai.npy" || true
    fi
  else
    note "$m.import" "no edgeai binary at $EDGEAI"
  fi
  for t in $THREADS; do
    # Rounds alternate the two engines so that a slow spell of the shared machine hits both;
    # round r > 1 writes NAME.rR (the report takes the median over the rounds).
    for r in $(seq "$ROUNDS"); do
      sfx=""
      [ "$r" -gt 1 ] && sfx=".r$r"
      if [ "$import_ok" = 1 ]; then
        log "$m: edgeai fp32 bench, $t thread(s), $EDGEAI_RUNS runs, round $r"
        step "$m.fp32.t$t.edgeai$sfx" "$EDGEAI_TIMEOUT" "$EDGEAI" bench "$eai" --threads "$t" \
          --runs "$EDGEAI_RUNS" --warmup "$EDGEAI_WARMUP" --json || true
      else
        note "$m.fp32.t$t.edgeai$sfx" "edgeai import of $m failed or did not run (see $m.import.err)"
      fi
      if [ "$have_ort" = 1 ]; then
        log "$m: ORT fp32, $t thread(s), $ORT_RUNS runs, round $r"
        step "$m.fp32.t$t.ort$sfx" 900 node bench/ort_bench.js --model "$onnx" --threads "$t" --runs "$ORT_RUNS" \
          --warmup "$ORT_WARMUP" --input "$MODEL_DIR/$m.input.npy" --expect "$MODEL_DIR/$m.output.npy" || true
      else
        note "$m.fp32.t$t.ort$sfx" "node or onnxruntime-node missing"
      fi
    done
  done
done

# ---- 2. int8: torchvision models --------------------------------------------------------------
for m in "${int8_list[@]}"; do
  eai="$MODEL_DIR/$m.eai"
  q="$INT8_DIR/$m.int8.eai"
  q_ok=0
  rm -f "$q" "$INT8_DIR/$m.int8.onnx" "$INT8_DIR/$m.int8.u8.onnx"  # nothing stale is measured
  if [ "$have_edgeai" = 1 ] && [ -s "$eai" ]; then
    log "$m: compress to int8 (random calibration, $CALIB_SAMPLES samples)"
    if step "$m.compress" "$EDGEAI_TIMEOUT" "$EDGEAI" compress "$eai" -o "$q" --calib random \
      --calib-samples "$CALIB_SAMPLES" --sqnr-samples 1 -q && [ -s "$q" ]; then
      q_ok=1
      step "$m.export" "$EDGEAI_TIMEOUT" "$EDGEAI" export "$q" -o "$INT8_DIR/$m.int8.onnx" || true
      step "$m.export.u8" "$EDGEAI_TIMEOUT" "$EDGEAI" export "$q" -o "$INT8_DIR/$m.int8.u8.onnx" \
        --uint8-activations || true
      log "$m: edgeai int8 run (the output ORT's QDQ run is compared with)"
      step "$m.int8.run" "$EDGEAI_TIMEOUT" "$EDGEAI" run "$q" --input "$MODEL_DIR/$m.input.npy" \
        --output "$RAW/$m.int8.edgeai.npy" || true
    fi
  else
    note "$m.compress" "no edgeai binary or no fp32 bundle $eai"
  fi
  for t in $INT8_THREADS; do
    for r in $(seq "$ROUNDS"); do
    sfx=""
    [ "$r" -gt 1 ] && sfx=".r$r"
    if [ "$q_ok" = 1 ]; then
      log "$m: edgeai int8 bench, $t thread(s), $EDGEAI_INT8_RUNS runs, round $r"
      step "$m.int8.t$t.edgeai$sfx" "$EDGEAI_TIMEOUT" "$EDGEAI" bench "$q" --threads "$t" \
        --runs "$EDGEAI_INT8_RUNS" --warmup "$EDGEAI_INT8_WARMUP" --json || true
    else
      note "$m.int8.t$t.edgeai$sfx" "no int8 bundle (see $m.compress.err)"
    fi
    for form in s8 u8; do
      onnx_q="$INT8_DIR/$m.int8.onnx"
      [ "$form" = u8 ] && onnx_q="$INT8_DIR/$m.int8.u8.onnx"
      if [ "$have_ort" = 1 ] && [ -s "$onnx_q" ]; then
        expect=()
        [ -s "$RAW/$m.int8.edgeai.npy" ] && expect=(--expect "$RAW/$m.int8.edgeai.npy")
        log "$m: ORT int8 QDQ ($form activations), $t thread(s), $ORT_RUNS runs, round $r"
        step "$m.int8.t$t.ort.$form$sfx" 900 node bench/ort_bench.js --model "$onnx_q" --threads "$t" \
          --runs "$ORT_RUNS" --warmup "$ORT_WARMUP" --input "$MODEL_DIR/$m.input.npy" "${expect[@]}" || true
      else
        note "$m.int8.t$t.ort.$form$sfx" "no ORT or no QDQ export $onnx_q (see $m.export*.err)"
      fi
    done
    done
  done
done

# ---- 3. use-case models ---------------------------------------------------------------------
usecase_calib() {
  case "$1" in
    fashion-mnist) echo fashion-mnist:train ;;
    ecg-mitbih) echo mitdb:DS1 ;;
    magnetic-tile) echo magnetic-tile:train ;;
  esac
}
usecase_limit() {
  if [ -n "$TRAIN_LIMIT" ]; then echo "$TRAIN_LIMIT"; return; fi
  case "$1" in
    fashion-mnist) echo 3000 ;;
    ecg-mitbih) echo 2000 ;;
    magnetic-tile) echo 200 ;;
  esac
}
for u in "${usecase_list[@]}"; do
  calib="$(usecase_calib "$u")"
  if [ -z "$calib" ]; then
    note "$u.fp32.edgeai" "unknown use case '$u' (fashion-mnist, ecg-mitbih, magnetic-tile)"
    continue
  fi
  fp="$USECASE_MODEL_DIR/$u.eai"
  echo "$fp (trained with the recipe, as found)" > "$RAW/$u.source"
  if [ ! -s "$fp" ]; then
    fp="$USECASE_DIR/$u.eai"
    limit="$(usecase_limit "$u")"
    echo "$fp (trained here: --epochs 1 --limit $limit; accuracy is not the point, latency does not depend on it)" \
      > "$RAW/$u.source"
    if [ ! -s "$fp" ] && [ "$have_edgeai" = 1 ]; then
      log "$u: no $USECASE_MODEL_DIR/$u.eai; training briefly (--epochs 1 --limit $limit)"
      step "$u.train" 3600 "$EDGEAI" train "$u" -o "$fp" --epochs 1 --limit "$limit" || rm -f "$fp"
    fi
  fi
  q="$USECASE_DIR/$u.int8.eai"
  rm -f "$q"
  if [ "$have_edgeai" = 1 ] && [ -s "$fp" ]; then
    log "$u: compress to int8 (--calib $calib)"
    step "$u.compress" "$EDGEAI_TIMEOUT" "$EDGEAI" compress "$fp" -o "$q" --calib "$calib" \
      --calib-samples "$USECASE_CALIB_SAMPLES" --sqnr-samples 4 -q || rm -f "$q"
    log "$u: edgeai fp32 bench, 1 thread, $USECASE_RUNS runs"
    step "$u.fp32.edgeai" "$EDGEAI_TIMEOUT" "$EDGEAI" bench "$fp" --threads 1 --runs "$USECASE_RUNS" \
      --warmup "$USECASE_WARMUP" --json || true
    if [ -s "$q" ]; then
      log "$u: edgeai int8 bench, 1 thread, $USECASE_INT8_RUNS runs"
      step "$u.int8.edgeai" "$EDGEAI_TIMEOUT" "$EDGEAI" bench "$q" --threads 1 --runs "$USECASE_INT8_RUNS" \
        --warmup "$USECASE_WARMUP" --json || true
    else
      note "$u.int8.edgeai" "no int8 bundle (see $u.compress.err)"
    fi
    if [ "$u" = magnetic-tile ]; then
      if [ -d "$TILE_IMAGES" ] || [ -f "$TILE_IMAGES" ]; then
        log "$u: fp32 end to end on the tile photos in $TILE_IMAGES (read + decode + preprocess + inference)"
        step "$u.fp32.images" "$EDGEAI_TIMEOUT" "$EDGEAI" bench "$fp" --threads 1 --warmup "$USECASE_WARMUP" \
          --images "$TILE_IMAGES" --json || true
        if [ -s "$q" ]; then
          # All the photos, or an evenly spaced selection (TILE_INT8_IMAGES) where int8 is slow.
          tiles=("$TILE_IMAGES")
          [ "$TILE_INT8_IMAGES" != 0 ] && mapfile -t tiles < <("$PYTHON" - "$TILE_IMAGES" "$TILE_INT8_IMAGES" <<'PY'
import os, sys
root, n = sys.argv[1], int(sys.argv[2])
if os.path.isfile(root):
    print(root); sys.exit()
files = sorted(os.path.join(d, f) for d, _, fs in os.walk(root, followlinks=True) for f in fs
               if f.lower().endswith((".jpg", ".jpeg")))
if n > 0 and n < len(files):
    files = [files[(2 * i + 1) * len(files) // (2 * n)] for i in range(n)]
print("\n".join(files))
PY
)
          log "$u: int8 end to end on ${TILE_INT8_IMAGES/#0/all} tile photos (read + decode + preprocess + inference)"
          step "$u.int8.images" "$EDGEAI_TIMEOUT" "$EDGEAI" bench "$q" --threads 1 --warmup 1 \
            --images "${tiles[@]}" --json || true
        else
          note "$u.int8.images" "no int8 bundle (see $u.compress.err)"
        fi
      else
        note "$u.fp32.images" "no tile photos at $TILE_IMAGES (set TILE_IMAGES or EDGEAI_DATASETS)"
        note "$u.int8.images" "no tile photos at $TILE_IMAGES (set TILE_IMAGES or EDGEAI_DATASETS)"
      fi
    fi
  else
    note "$u.fp32.edgeai" "no edgeai binary or no bundle $fp (see $u.train.err)"
    note "$u.int8.edgeai" "no edgeai binary or no bundle $fp (see $u.train.err)"
  fi
done

# ---- 4. device library size --------------------------------------------------------------------
if [ "$DEVICE_LIB" = 1 ]; then
  log "device runtime library (tools/device_library_size.sh: builds build-device/, MinSizeRel)"
  step device_library 3600 bash tools/device_library_size.sh || true
else
  note device_library "DEVICE_LIB=0"
fi

# ---- 4b. OTA delta sizes (issue 6) -----------------------------------------------------------------
if [ "$DELTA" = 1 ] && [ "$have_edgeai" = 1 ]; then
  log "OTA deltas (bench/delta_bench.py: MobileNetV2 head retrained / fine-tuned; edgeai delta vs zstd)"
  step delta 1800 /usr/bin/python3 bench/delta_bench.py "$EDGEAI" "$RESULTS_DIR/delta" || true
else
  note delta "DELTA=0 or no edgeai binary"
fi

# ---- 4c. the update server under load (issue 6) ----------------------------------------------------
if [ "$OTA_LOAD" = 1 ] && [ "$have_edgeai" = 1 ]; then
  log "OTA server under load (bench/ota_load.sh: simulated devices, SQLite and PostgreSQL)"
  # The release it rolls out: the MIT-BIH bundle, as found or as trained above.
  ota_bundle="${BUNDLE:-$USECASE_MODEL_DIR/ecg-mitbih.eai}"
  [ -s "$ota_bundle" ] || ota_bundle="$USECASE_DIR/ecg-mitbih.eai"
  step ota_load 3600 env EDGEAI="$EDGEAI" BUNDLE="$ota_bundle" RESULTS_DIR="$RESULTS_DIR/ota_load" \
    OUT_SECTION="$RAW/ota_load.md" bash bench/ota_load.sh || true
else
  note ota_load "OTA_LOAD=0 or no edgeai binary"
fi

# ---- 4d. the microcontroller footprint (issue 8) -------------------------------------------------
if [ "$MCU" = 1 ] && [ "$have_edgeai" = 1 ]; then
  log "microcontroller footprint (bench/mcu_footprint.sh: Cortex-M4F firmware under QEMU)"
  mcu_model="${BUNDLE:-$USECASE_MODEL_DIR/ecg-mitbih.eai}"
  [ -s "$mcu_model" ] || mcu_model="$USECASE_DIR/ecg-mitbih.eai"
  step mcu 1800 env MODEL="$mcu_model" OUT="$RESULTS_DIR/mcu" bash bench/mcu_footprint.sh || true
else
  note mcu "MCU=0 or no edgeai binary"
fi

# ---- 5. the report --------------------------------------------------------------------------------
elapsed=$(( $(date +%s) - START_SECONDS ))
# Other work: cores busy during the 3 s sampled before the benchmark started.
ticks_per_s=$(getconf CLK_TCK)
other_cores=$(awk -v b0="$IDLE_BUSY0" -v b1="$IDLE_BUSY1" -v hz="$ticks_per_s" 'BEGIN { printf "%.2f", (b1 - b0) / hz / 3 }')
commit="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
if [ "$commit" != unknown ] && ! git diff --quiet HEAD -- src include CMakeLists.txt 2>/dev/null; then
  commit="$commit (with uncommitted changes)"
fi
cpu="$(grep -m1 '^model name' /proc/cpuinfo | sed 's/^model name[[:space:]]*:[[:space:]]*//')"
cores="$(nproc)"
simd="$(for f in sse4_2 avx avx2 fma avx512f avx512bw avx512vl avx512_vnni avx_vnni avx512_bf16 avx512_fp16 amx_int8 amx_bf16; do
  has_flag "$f" && printf '%s ' "$f"; done)"

log "writing $OUT_MD"
export ROUNDS MODELS THREADS INT8_MODELS INT8_THREADS USECASES ORT_VERSION ORT_RUNS ORT_WARMUP EDGEAI_RUNS EDGEAI_WARMUP \
  EDGEAI_INT8_RUNS EDGEAI_INT8_WARMUP CALIB_SAMPLES USECASE_RUNS USECASE_INT8_RUNS USECASE_WARMUP \
  USECASE_CALIB_SAMPLES TILE_IMAGES TILE_INT8_IMAGES MODEL_DIR RAW
export BENCH_COMMIT="$commit" BENCH_CPU="$cpu" BENCH_CORES="$cores" BENCH_SIMD="$simd" BENCH_ELAPSED="$elapsed" \
  BENCH_OTHER_CORES="$other_cores"
if "$PYTHON" bench/benchmarks_report.py "$OUT_MD"; then
  # bench/ota_load.sh's section (written even when an engine failed), before the failed steps.
  if [ -s "$RAW/ota_load.md" ] && ! bash bench/ota_load.sh --insert "$RAW/ota_load.md" "$OUT_MD"; then
    log "FAILED to put $RAW/ota_load.md into $OUT_MD"
  fi
  if [ -s "$RESULTS_DIR/mcu/mcu.md" ] && ! bash bench/mcu_footprint.sh --insert "$RESULTS_DIR/mcu/mcu.md" "$OUT_MD"; then
    log "FAILED to put $RESULTS_DIR/mcu/mcu.md into $OUT_MD"
  fi
  log "wrote $OUT_MD in $(( $(date +%s) - START_SECONDS )) s in all"
else
  log "FAILED to write $OUT_MD"
  exit 1
fi
