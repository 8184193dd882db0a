#!/usr/bin/env bash
# The main job's pipeline for visual inspection on a production line: the magnetic-tile defect
# classifier (defect vs free), compressed to int8, rolled out to three line cameras that stream
# the tile photos at FPS frames per second (a frame arriving while the model is busy is dropped
# and counted); defects are anomalies, reported as events; the dashboard shows the defect rate
# per camera.
#   MODEL  a trained bundle (default out/magnetic-tile.eai; trained here when missing, ~6 min)
#   FPS    frames per second per camera (default 10); STREAM_SECONDS of streaming (default 40)
# Run from the repository root after scripts/build.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-out/examples/magnetic-tile}
MODEL=${MODEL:-out/magnetic-tile.eai}
FPS=${FPS:-10}
STREAM_SECONDS=${STREAM_SECONDS:-40}
TILES=${EDGEAI_DATASETS:-../shared/datasets}/magnetic-tile
source scripts/lib/fleet.sh
mkdir -p "$OUT"

if [ ! -f "$MODEL" ]; then
  echo "== train the defect classifier"
  $EDGEAI train magnetic-tile -o "$MODEL" | tail -n 12
fi
echo "== int8, calibrated on training tiles, evaluated on the test split"
$EDGEAI compress "$MODEL" -o "$OUT/tiles.int8.eai" --calib magnetic-tile:train --eval magnetic-tile:test | tail -n 8

echo "== server and three line cameras"
fleet_start_server "$OUT/fleet"
fleet_start_agents line 3 --source "images:$TILES" --loop --shuffle --fps "$FPS" --window-seconds 5 --telemetry-interval 2
$EDGEAI publish "$OUT/tiles.int8.eai" --key "$OUT/fleet/keys/release.key" --group line --version 1.0.0
$EDGEAI campaign create --release magnetic-tile-defect-vs-free --version 1.0.0 --phases 33,100 --min-inferences 50 \
  --max-latency-ratio 3
fleet_wait_campaign 1 300 || { $EDGEAI campaign status 1; exit 1; }
echo "== the cameras stream for ${STREAM_SECONDS}s"
sleep "$STREAM_SECONDS"
$EDGEAI report --html "$OUT/fleet-report.html" --since 3600
echo "HTML report: $OUT/fleet-report.html"
