#!/usr/bin/env bash
# Streams every MIT-BIH DS2 record through the device agent (on-device R-peak detection, beat
# preprocessing, classifier: `edgeai-agent --source wfdb:...`) and compares each streamed beat's
# label with what `edgeai eval` gives the annotated beat (issue 7's acceptance: the same label
# for >= 99 % of the beats both see). Beats are matched within 150 ms.
#
#   tools/ecg_stream_agreement.sh [MODEL] [BUILD_DIR]     (defaults: out/ecg-mitbih.eai, build)
set -euo pipefail
cd "$(dirname "$0")/.."
model=${1:-out/ecg-mitbih.eai}
build=${2:-build}
mitdb=${EDGEAI_DATASETS:-../shared/datasets}/mitdb
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
records="100 103 105 111 113 117 121 123 200 202 210 212 213 214 219 221 222 228 231 232 233 234"
for r in $records; do
  "$build/src/cli/edgeai" eval "$model" --data "mitdb:$r" --predictions-csv "$work/$r.csv" > /dev/null 2>&1
  "$build/src/agent/edgeai-agent" --model "$model" --source "wfdb:$mitdb/$r" --speed 0 --events "$work/$r.jsonl" \
    --window-seconds 3600 > /dev/null 2> "$work/$r.log"
done
/usr/bin/python3 - "$work" $records <<'PY'
import csv, json, sys, bisect
work, records = sys.argv[1], sys.argv[2:]
fs = 360.0
tot_same = tot = tot_stream = tot_eval = 0
tot_correct_stream = tot_correct_eval = 0
print("| record | eval beats | streamed beats | matched | same label |")
print("| --- | ---: | ---: | ---: | ---: |")
for r in records:
    rows = list(csv.DictReader(open(f"{work}/{r}.csv")))
    ev = [(int(x["source"].split(":")[1]) / fs, x) for x in rows]
    stream = [json.loads(l) for l in open(f"{work}/{r}.jsonl")]
    times = [float(e["position"].split()[2]) for e in stream]
    used = set()
    same = matched = 0
    for t, x in ev:
        i = bisect.bisect_left(times, t)
        best = None
        for j in (i - 1, i):
            if 0 <= j < len(times) and j not in used and abs(times[j] - t) <= 0.150:
                if best is None or abs(times[j] - t) < abs(times[best] - t):
                    best = j
        if best is None:
            continue
        used.add(best)
        matched += 1
        same += stream[best]["label"] == x["predicted"]
        tot_correct_stream += stream[best]["label"] == x["label"]
        tot_correct_eval += x["predicted"] == x["label"]
    tot_same += same; tot += matched; tot_stream += len(stream); tot_eval += len(ev)
    print(f"| {r} | {len(ev)} | {len(stream)} | {matched} | {100.0 * same / max(matched, 1):.2f} % |")
print(f"| **DS2** | {tot_eval} | {tot_stream} | {tot} | **{100.0 * tot_same / tot:.2f} %** |")
print()
print(f"streamed vs eval: same label on {tot_same} of {tot} matched beats ({100.0 * tot_same / tot:.2f} %); "
      f"accuracy on those beats: streamed {100.0 * tot_correct_stream / tot:.2f} %, eval {100.0 * tot_correct_eval / tot:.2f} %")
PY
