#!/usr/bin/env bash
# The main job's pipeline for wearable cardiac monitors: the MIT-BIH beat classifier (trained on
# DS1), compressed to int8 with the configuration that keeps every AAMI class within a point of
# float32, rolled out to four "patients' monitors", each playing one DS2 record in real time x
# SPEED with on-device R-peak detection, beat classification, and alerts for runs of V and S
# beats; the server sees per-window beat counts and the alerts, never the ECG.
#   MODEL  a trained bundle (default out/ecg-mitbih.eai; trained here when missing, ~2 min)
#   SPEED  playback speed (default 30: a 30-minute record in a minute)
# Run from the repository root after scripts/build.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-out/examples/ecg}
MODEL=${MODEL:-out/ecg-mitbih.eai}
SPEED=${SPEED:-30}
MITDB=${EDGEAI_DATASETS:-../shared/datasets}/mitdb
source scripts/lib/fleet.sh
mkdir -p "$OUT"

if [ ! -f "$MODEL" ]; then
  echo "== train the beat classifier on MIT-BIH DS1"
  $EDGEAI train ecg-mitbih -o "$MODEL" | tail -n 14
fi
echo "== int8 with conv1 in float32 and GPTQ weights, evaluated on DS2 (other patients)"
$EDGEAI compress "$MODEL" -o "$OUT/ecg.int8.eai" --calib mitdb:DS1 --weight-rounding gptq --keep-float conv1 \
  --eval mitdb:DS2 | tail -n 12

echo "== server and four monitors, each on one DS2 record"
fleet_start_server "$OUT/fleet"
for record in 200 208 213 233; do
  fleet_start_agent monitors "monitor-$record" --source "wfdb:$MITDB/$record" --speed "$SPEED" --window-seconds 5 \
    --telemetry-interval 2
done
$EDGEAI publish "$OUT/ecg.int8.eai" --key "$OUT/fleet/keys/release.key" --group monitors --version 1.0.0
$EDGEAI campaign create --release ecg-mitbih-beat-cnn --version 1.0.0 --phases 25,100 --min-inferences 200 \
  --max-anomaly-increase 0.5
fleet_wait_campaign 1 300 || { $EDGEAI campaign status 1; exit 1; }

seconds=$(( 1806 / SPEED + 10 ))
echo "== the records play for ${seconds}s"
sleep "$seconds"
echo "== alerts the monitors raised (runs of V or S beats), from monitor-208's log:"
grep -m 5 '^alert' "$OUT/fleet/devices/monitor-208.log" || true
$EDGEAI report --html "$OUT/fleet-report.html" --since 3600
echo "HTML report: $OUT/fleet-report.html"
echo "(streamed vs edgeai eval labels on all of DS2: tools/ecg_stream_agreement.sh $MODEL)"
