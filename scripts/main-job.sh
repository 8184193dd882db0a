#!/usr/bin/env bash
# The main job: the whole edgeai loop on this machine, on the embedded defaults (SQLite, local
# files). Installs what is missing, builds Release, then
#   1. trains the Fashion-MNIST CNN in C++ with libtorch and evaluates the bundle on the test set
#      with the edgeai runtime;
#   2. compresses it to int8 (calibrated on training images) and evaluates that;
#   3. makes the keys, starts the update server and three device agents, signs and publishes the
#      int8 bundle and rolls it out in phases (canary first; each phase waits for the release's
#      telemetry: the quality gate);
#   4. the devices stream Fashion-MNIST test images through the model they installed, as cameras
#      at FPS frames per second, and send aggregate telemetry (never the images);
#   5. prints the fleet summary, writes the HTML report, and says where the dashboard is.
# EPOCHS (default 3), FPS (default 20), STREAM_SECONDS (default 30) and KEEP=1 (leave the fleet
# running for the dashboard) change it; OUT (default out/main-job) is where everything goes.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-out/main-job}
EPOCHS=${EPOCHS:-3}
FPS=${FPS:-20}
STREAM_SECONDS=${STREAM_SECONDS:-30}
start=$(date +%s)
elapsed() { echo "[$(($(date +%s) - start)) s]"; }

echo "== install and build"
scripts/install-deps.sh
scripts/build.sh
EDGEAI=build/src/cli/edgeai
source scripts/lib/fleet.sh
mkdir -p "$OUT"
pipeline_start=$(date +%s)

echo "== 1. train fashion-mnist with libtorch ($EPOCHS epochs) $(elapsed)"
$EDGEAI train fashion-mnist -o "$OUT/fashion-mnist.eai" --epochs "$EPOCHS" | tail -n 22
echo "== the bundle on the test set, edgeai runtime $(elapsed)"
$EDGEAI eval "$OUT/fashion-mnist.eai" --data fashion-mnist:test | grep -E '^accuracy|samples in'

echo "== 2. compress to int8 (calibrated on 500 training images) $(elapsed)"
$EDGEAI compress "$OUT/fashion-mnist.eai" -o "$OUT/fashion-mnist.int8.eai" --calib fashion-mnist:train \
  --eval fashion-mnist:test --report "$OUT/fashion-mnist.int8.html" | grep -E 'top-1|latency|report|wrote'

echo "== 3. server, devices, signed release, phased rollout $(elapsed)"
fleet_start_server "$OUT/fleet"
$EDGEAI dataset export fashion-mnist:test --out "$OUT/frames" --limit 500
fleet_start_agents line 3 --source "images:$OUT/frames" --loop --shuffle --fps "$FPS" --window-seconds 5 \
  --telemetry-interval 2
$EDGEAI publish "$OUT/fashion-mnist.int8.eai" --key "$OUT/fleet/keys/release.key" --group line --version 1.0.0
$EDGEAI campaign create --release fashion-mnist-cnn --version 1.0.0 --phases 33,100 --soak 5 \
  --max-latency-ratio 3 --max-anomaly-increase 0.2 --min-inferences 200
fleet_wait_campaign 1 300 || { $EDGEAI campaign status 1; exit 1; }
$EDGEAI campaign status 1

echo "== 4. the devices stream test images for ${STREAM_SECONDS}s $(elapsed)"
sleep "$STREAM_SECONDS"

echo "== 5. the fleet $(elapsed)"
$EDGEAI report --html "$OUT/fleet-report.html" --since 3600
pipeline_end=$(date +%s)
echo
echo "HTML report: $OUT/fleet-report.html"
echo "dashboard:   $SERVER_URL/dashboard#token=$EDGEAI_ADMIN_TOKEN  (while the server runs; KEEP=1 keeps it)"
echo "main job: pipeline $((pipeline_end - pipeline_start)) s (train, compress, deploy, stream, report); all $(elapsed)"
