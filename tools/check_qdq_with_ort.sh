#!/usr/bin/env bash
# Checks edgeai's ONNX QDQ export against ONNX Runtime on Fashion-MNIST: compresses the trained
# fp32 bundle to int8, exports the int8 model to QDQ ONNX, lets edgeai's runtime predict the
# 10,000 test images, runs the export with ONNX Runtime (tools/qdq_agreement.js) and compares the
# top-1 classes. Builds nothing; exits nonzero when agreement is below MIN_AGREEMENT (%).
#
#   tools/check_qdq_with_ort.sh [EDGEAI_BINARY] [MODEL.eai] [WORK_DIR]
#
# Defaults: build/src/cli/edgeai, out/fashion-mnist.eai, a fresh temporary directory.
# Both export forms are checked: int8 activations (as the model has them; ORT on x86 runs those
# groups as DequantizeLinear -> float op -> QuantizeLinear) and --uint8-activations (ORT fuses
# them into QLinearConv / QGemm). Environment: MIN_AGREEMENT (99), FASHION_MNIST_DIR
# (/usr/share/datasets/fashion-mnist). Needs node and bench/node_modules/onnxruntime-node
# (installed here with npm when missing), and Debian's /usr/bin/python3 with onnx for the
# operator census of ORT's optimised graph.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
edgeai=${1:-$root/build/src/cli/edgeai}
model=${2:-$root/out/fashion-mnist.eai}
work=${3:-$(mktemp -d /tmp/edgeai-qdq.XXXXXX)}
data_dir=${FASHION_MNIST_DIR:-/usr/share/datasets/fashion-mnist}
min_agreement=${MIN_AGREEMENT:-99}

die() { echo "check_qdq_with_ort: $*" >&2; exit 2; }
[ -x "$edgeai" ] || die "no edgeai binary at $edgeai (build it, or pass its path first)"
[ -f "$model" ] || die "no model at $model (train it: edgeai train fashion-mnist -o $model)"
[ -f "$data_dir/t10k-images-idx3-ubyte.gz" ] || die "no Fashion-MNIST test set in $data_dir"
command -v node >/dev/null || die "node is not installed"
if [ ! -d "$root/bench/node_modules/onnxruntime-node" ]; then
  (cd "$root/bench" && npm install --ignore-scripts --no-audit --no-fund onnxruntime-node@1.30.0 >/dev/null)
fi
mkdir -p "$work"
echo "work directory: $work"

echo "== 1. compress to int8 (calibration: fashion-mnist:train)"
"$edgeai" compress "$model" -o "$work/model.int8.eai" --calib fashion-mnist:train -q

echo "== 2. export to QDQ ONNX: int8 activations as in the model, and as uint8 (ORT's x86 integer kernels)"
"$edgeai" export "$work/model.int8.eai" -o "$work/model.qdq.onnx"
"$edgeai" export "$work/model.int8.eai" -o "$work/model.qdq.u8.onnx" --uint8-activations

echo "== 3. edgeai int8 predictions on the test set (edgeai runtime, reference kernels)"
"$edgeai" eval "$work/model.int8.eai" --data fashion-mnist:test --predictions "$work/edgeai_int8_predictions.npy" \
  --json >"$work/edgeai_eval.json"

# The preprocessing the manifest declares, as the export recorded it in metadata_props.
read -r scale mean std < <(/usr/bin/python3 - "$work/model.qdq.onnx" <<'EOF'
import json, sys, onnx
meta = {p.key: p.value for p in onnx.load(sys.argv[1]).metadata_props}
pre = json.loads(meta["edgeai.preprocessing"])
if pre["kind"] != "image" or pre["layout"] != "NCHW" or len(pre["mean"]) != 1 or len(pre["std"]) != 1:
    sys.exit("check_qdq_with_ort: expected one-channel NCHW image preprocessing, got %s" % pre)
print(pre["scale"], pre["mean"][0], pre["std"][0])
EOF
)

status=0
for variant in qdq qdq.u8; do
  echo "== 4. ONNX Runtime on model.$variant.onnx (scale $scale, mean $mean, std $std)"
  node "$root/tools/qdq_agreement.js" --model "$work/model.$variant.onnx" \
    --predictions "$work/edgeai_int8_predictions.npy" \
    --images "$data_dir/t10k-images-idx3-ubyte.gz" --labels "$data_dir/t10k-labels-idx1-ubyte.gz" \
    --scale "$scale" --mean "$mean" --std "$std" --min-agreement "$min_agreement" \
    --optimized-model "$work/model.$variant.ort_optimized.onnx" 2> >(grep -v "Serializing optimized model" >&2) \
    >"$work/agreement.$variant.json" || status=1
  cat "$work/agreement.$variant.json"
  echo "== 5. operators in ONNX Runtime's optimised graph of model.$variant.onnx (fused QDQ groups are Q* kernels)"
  /usr/bin/python3 - "$work/model.$variant.ort_optimized.onnx" <<'EOF'
import collections, sys, onnx
graph = onnx.load(sys.argv[1]).graph
counts = collections.Counter((n.domain + "." if n.domain else "") + n.op_type for n in graph.node)
print(", ".join("%s %d" % (op, c) for op, c in sorted(counts.items())))
EOF
done
exit "$status"
