#!/usr/bin/env bash
# Baseline benchmark: edgeai vs ONNX Runtime 1.30.0 (onnxruntime-node, CPU) on
# six torchvision models, written to docs/benchmarks.md. Not a test.
#
#   bench/run_baseline.sh
#
# Needs: a built edgeai (build/src/cli/edgeai), Debian's /usr/bin/python3 with
# torch/torchvision/onnx (to export the models), node + npm (for ORT).
#
# Environment (defaults in brackets):
#   MODELS          comma-separated model list [all six]
#   THREADS         thread counts to run       ["1 2"]
#   ORT_RUNS        timed ORT runs             [20]
#   ORT_WARMUP      ORT warm-up runs           [3]
#   EDGEAI_RUNS     timed edgeai runs          [20]
#   EDGEAI_WARMUP   edgeai warm-up runs        [3]   (passed only if `edgeai bench` has --warmup)
#   EDGEAI_TIMEOUT  seconds per edgeai command [900]
#   EDGEAI          the edgeai binary          [build/src/cli/edgeai]
#   MODEL_DIR       exported models            [out/models]
#   RESULTS_DIR     raw outputs                [out/bench]
#   OUT_MD          the report                 [docs/benchmarks.md]
#   PYTHON          python with torch          [/usr/bin/python3]
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

MODELS="${MODELS:-mobilenet_v2,resnet18,squeezenet1_1,shufflenet_v2_x1_0,mobilenet_v3_small,efficientnet_b0}"
THREADS="${THREADS:-1 2}"
ORT_RUNS="${ORT_RUNS:-20}"
ORT_WARMUP="${ORT_WARMUP:-3}"
EDGEAI_RUNS="${EDGEAI_RUNS:-20}"
EDGEAI_WARMUP="${EDGEAI_WARMUP:-3}"
EDGEAI_TIMEOUT="${EDGEAI_TIMEOUT:-900}"
EDGEAI="${EDGEAI:-build/src/cli/edgeai}"
MODEL_DIR="${MODEL_DIR:-out/models}"
RESULTS_DIR="${RESULTS_DIR:-out/bench}"
OUT_MD="${OUT_MD:-docs/benchmarks.md}"
PYTHON="${PYTHON:-/usr/bin/python3}"
ORT_VERSION="1.30.0"

log() { echo "run_baseline: $*" >&2; }

# 1. ONNX Runtime for node (its CPU library ships inside the package).
if [ ! -f bench/node_modules/onnxruntime-node/package.json ]; then
  log "installing onnxruntime-node ${ORT_VERSION}"
  (cd bench && npm install --ignore-scripts --no-audit --no-fund)
fi

# 2. Models (existing ones are kept).
log "exporting models into ${MODEL_DIR}"
"$PYTHON" tools/export_torchvision.py --out "$MODEL_DIR" --models "$MODELS"

# 3. Benchmarks, edgeai and ORT alternating per (model, threads).
RAW="$RESULTS_DIR/raw"
rm -rf "$RAW"
mkdir -p "$RAW"

have_edgeai=1
if [ ! -x "$EDGEAI" ]; then
  log "warning: $EDGEAI not found; edgeai columns will be n/a"
  have_edgeai=0
fi
edgeai_warmup_args=()
if [ "$have_edgeai" = 1 ] && "$EDGEAI" bench --help 2>&1 | grep -q -- '--warmup'; then
  edgeai_warmup_args=(--warmup "$EDGEAI_WARMUP")
fi

IFS=',' read -r -a model_list <<< "$MODELS"
for m in "${model_list[@]}"; do
  onnx="$MODEL_DIR/$m.onnx"
  eai="$MODEL_DIR/$m.eai"
  import_ok=0
  if [ "$have_edgeai" = 1 ]; then
    log "$m: edgeai import"
    rm -f "$eai"
    if "$EDGEAI" import "$onnx" -o "$eai" > "$RAW/$m.import.out" 2>&1 && [ -s "$eai" ]; then
      import_ok=1
    else
      log "$m: import failed (see $RAW/$m.import.out)"
    fi
  fi
  for t in $THREADS; do
    base="$RAW/$m.t$t"
    if [ "$import_ok" = 1 ]; then
      log "$m: edgeai bench, $t thread(s), $EDGEAI_RUNS runs"
      rc=0
      timeout "$EDGEAI_TIMEOUT" "$EDGEAI" bench "$eai" --threads "$t" --runs "$EDGEAI_RUNS" \
        "${edgeai_warmup_args[@]}" --json > "$base.edgeai.out" 2> "$base.edgeai.err" || rc=$?
      echo "$rc" > "$base.edgeai.rc"
      [ "$rc" = 0 ] || log "$m: edgeai bench failed (rc $rc, see $base.edgeai.err)"
    fi
    log "$m: ORT, $t thread(s), $ORT_RUNS runs"
    rc=0
    node bench/ort_bench.js --model "$onnx" --threads "$t" --runs "$ORT_RUNS" \
      --warmup "$ORT_WARMUP" --input "$MODEL_DIR/$m.input.npy" \
      > "$base.ort.out" 2> "$base.ort.err" || rc=$?
    echo "$rc" > "$base.ort.rc"
    [ "$rc" = 0 ] || log "$m: ORT failed (rc $rc, see $base.ort.err)"
  done
done

# 4. The report.
commit="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
if [ "$commit" != unknown ] && ! git diff --quiet HEAD -- src include CMakeLists.txt 2>/dev/null; then
  commit="$commit (with uncommitted changes)"
fi
cpu="$(grep -m1 '^model name' /proc/cpuinfo | sed 's/^model name[[:space:]]*:[[:space:]]*//')"
cores="$(nproc)"

mkdir -p "$(dirname "$OUT_MD")"
"$PYTHON" - "$RAW" "$OUT_MD" "$MODELS" "$THREADS" "$commit" "$cpu" "$cores" \
  "$ORT_VERSION" "$ORT_RUNS" "$ORT_WARMUP" "$EDGEAI_RUNS" "$EDGEAI_WARMUP" <<'PY'
import datetime, json, os, sys

(raw, out_md, models, threads, commit, cpu, cores,
 ort_version, ort_runs, ort_warmup, e_runs, e_warmup) = sys.argv[1:]
models = [m for m in models.split(",") if m]
threads = threads.split()

def last_json(path):
    """The last stdout line that is a JSON object with median_ms, or None."""
    if not os.path.exists(path):
        return None
    found = None
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line.startswith("{"):
                continue
            try:
                obj = json.loads(line)
            except ValueError:
                continue
            if isinstance(obj, dict) and "median_ms" in obj:
                found = obj
    return found

def fmt(v, digits=2):
    return "n/a" if v is None else ("%.*f" % (digits, v))

rows = []
for m in models:
    for t in threads:
        e = last_json(os.path.join(raw, "%s.t%s.edgeai.out" % (m, t)))
        o = last_json(os.path.join(raw, "%s.t%s.ort.out" % (m, t)))
        em = e.get("median_ms") if e else None
        ep = e.get("p90_ms") if e else None
        rss = e.get("peak_rss_mb") if e else None
        om = o.get("median_ms") if o else None
        op = o.get("p90_ms") if o else None
        ratio = em / om if (em is not None and om) else None
        rows.append("| %s | %s | %s | %s | %s | %s | %s | %s |" % (
            m, t, fmt(em), fmt(ep), fmt(om), fmt(op),
            "n/a" if ratio is None else "%.1fx" % ratio, fmt(rss, 1)))

now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
text = """# Benchmarks: edgeai vs ONNX Runtime (baseline)

- Date: {now}
- CPU: {cpu}, {cores} cores
- edgeai: git commit {commit}
- ONNX Runtime: {ort} (onnxruntime-node, CPU execution provider, intra-op threads = threads,
  inter-op threads 1, graph optimisation level "all", sequential execution)
- Models: torchvision (random init, fixed seed, BatchNorm statistics randomised), ONNX opset 13,
  input 1x3x224x224 float32, batch 1, exported by `tools/export_torchvision.py`
- Runs: edgeai {e_runs} timed after {e_warmup} warm-up; ORT {ort_runs} timed after {ort_warmup} warm-up.
  edgeai and ORT are run alternately, per model and thread count, in the same session.
- Latencies are milliseconds per inference; p90 is the nearest-rank 90th percentile.

| model | threads | edgeai median ms | edgeai p90 ms | ORT median ms | ORT p90 ms | ratio edgeai/ORT | edgeai peak RSS MB |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
{rows}

Note: edgeai's kernels here are the reference kernels (`kernels/reference/`, the portable
scalar numerical spec), not optimised ones. These numbers are the baseline for the
performance issue; "n/a" means that half did not produce a result (see `{raw}/`).

Reproduce with `bench/run_baseline.sh` (see the variables at the top of the script).
""".format(now=now, cpu=cpu, cores=cores, commit=commit, ort=ort_version,
           e_runs=e_runs, e_warmup=e_warmup, raw=raw, ort_runs=ort_runs, ort_warmup=ort_warmup,
           rows="\n".join(rows))
with open(out_md, "w") as f:
    f.write(text)
print(text)
PY
log "wrote $OUT_MD"
