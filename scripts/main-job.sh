#!/usr/bin/env bash
# The main job: installs what is missing, builds Release, then
#   1. trains the Fashion-MNIST CNN in C++ with libtorch (`edgeai train fashion-mnist`) into a
#      bundle and evaluates that bundle on the test set with the edgeai runtime (`edgeai eval`);
#   2. compresses it to int8 (`edgeai compress`, calibrated on training images), evaluates the int8
#      bundle the same way and exports it as ONNX QDQ (`edgeai export`);
#   3. takes a real imported model through edgeai: torchvision MobileNetV2 exported to ONNX
#      (Debian's python3-torch), imported, inspected, run (checked against torch), benchmarked,
#      and compressed to int8 and int4 (sizes).
# Later issues grow this into the whole train -> compress -> deploy -> infer pipeline.
# EPOCHS and LIMIT (samples per set) shorten the training for a quick look.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-out/main-job}
MODEL=${MODEL:-mobilenet_v2}

echo "== install and build"
scripts/install-deps.sh
scripts/build.sh
EDGEAI=build/src/cli/edgeai
mkdir -p "$OUT"

echo "== train fashion-mnist (libtorch, all cores)"
train_args=()
[ -n "${EPOCHS:-}" ] && train_args+=(--epochs "$EPOCHS")
[ -n "${LIMIT:-}" ] && train_args+=(--limit "$LIMIT")
start=$(date +%s)
$EDGEAI train fashion-mnist -o "$OUT/fashion-mnist.eai" "${train_args[@]}"
echo "train wall time: $(( $(date +%s) - start )) s"

echo "== evaluate the bundle on the test set with the edgeai runtime"
eval_args=()
[ -n "${LIMIT:-}" ] && eval_args+=(--limit "$LIMIT")
$EDGEAI eval "$OUT/fashion-mnist.eai" --data fashion-mnist:test "${eval_args[@]}"

echo "== compress to int8 (calibrated on 500 training images) and evaluate the int8 bundle"
$EDGEAI compress "$OUT/fashion-mnist.eai" -o "$OUT/fashion-mnist.int8.eai" --calib fashion-mnist:train \
  --report "$OUT/fashion-mnist.int8.html" -q
$EDGEAI eval "$OUT/fashion-mnist.int8.eai" --data fashion-mnist:test "${eval_args[@]}"
$EDGEAI export "$OUT/fashion-mnist.int8.eai" -o "$OUT/fashion-mnist.int8.qdq.onnx"

echo "== export $MODEL to ONNX (fixed seed, opset 13)"
/usr/bin/python3 tools/export_torchvision.py --out "$OUT" --models "$MODEL"

echo "== import"
$EDGEAI import "$OUT/$MODEL.onnx" -o "$OUT/$MODEL.eai" --version 1.0.0

echo "== inspect"
$EDGEAI inspect "$OUT/$MODEL.eai" | tail -n 8

echo "== run on the exported input and compare with torch"
$EDGEAI run "$OUT/$MODEL.eai" --input "$OUT/$MODEL.input.npy" --output "$OUT/$MODEL.edgeai.npy"
/usr/bin/python3 - "$OUT/$MODEL.edgeai.npy" "$OUT/$MODEL.output.npy" <<'PY'
import sys, numpy as np
ours, torch = np.load(sys.argv[1]), np.load(sys.argv[2])
err = np.abs(ours - torch).max()
print(f"max abs err {err:.3e}, relative to max |torch| {err / np.abs(torch).max():.3e}, "
      f"top-1 agrees: {ours.argmax() == torch.argmax()}")
PY

echo "== benchmark"
$EDGEAI bench "$OUT/$MODEL.eai" --threads 1 --runs "${RUNS:-10}"

echo "== compress $MODEL: int8 (random calibration: sizes only) and int4 weights"
$EDGEAI compress "$OUT/$MODEL.eai" -o "$OUT/$MODEL.int8.eai" --calib random --calib-samples 4 --sqnr-samples 1 -q
$EDGEAI compress "$OUT/$MODEL.eai" -o "$OUT/$MODEL.int4.eai" --weights int4 -q
