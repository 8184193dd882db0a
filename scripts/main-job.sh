#!/usr/bin/env bash
# The main job: installs what is missing, builds Release, then takes a real model through
# edgeai: export torchvision MobileNetV2 to ONNX (Debian's python3-torch), import it into
# an .eai bundle, inspect it, run it, check it against torch, and benchmark it.
# Later issues grow this into the whole train -> compress -> deploy -> infer pipeline.
set -euo pipefail
cd "$(dirname "$0")/.."
MODEL=${MODEL:-mobilenet_v2}
OUT=${OUT:-out/main-job}

echo "== install and build"
scripts/install-deps.sh
scripts/build.sh
EDGEAI=build/src/cli/edgeai
mkdir -p "$OUT"

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
