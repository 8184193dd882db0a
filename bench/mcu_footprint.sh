#!/usr/bin/env bash
# The microcontroller footprint table of docs/benchmarks.md (issue 8): runs examples/mcu-ecg/run.sh
# into OUT and writes the section from its map file and logs (bench/mcu_footprint.py).
#   bench/mcu_footprint.sh                            # the section into OUT/mcu.md
#   bench/mcu_footprint.sh --doc docs/benchmarks.md   # ... and into that file, replacing only this section
#   bench/mcu_footprint.sh --insert SECTION DOC       # no run: put SECTION (a file) into DOC
# Variables: BUILD (default build), MODEL (default out/ecg-mitbih.eai), OUT (default out/bench/mcu).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

DOC=""
case "${1:-}" in
  --insert)
    [ $# -eq 3 ] || { echo "usage: $0 --insert SECTION DOC" >&2; exit 2; }
    python3 bench/insert_section.py mcu "$2" "$3"
    exit
    ;;
  --doc)
    [ $# -eq 2 ] || { echo "usage: $0 [--doc DOC]" >&2; exit 2; }
    DOC=$2
    ;;
  "") ;;
  *) echo "usage: $0 [--doc DOC] | --insert SECTION DOC" >&2; exit 2 ;;
esac

OUT=${OUT:-out/bench/mcu}
mkdir -p "$OUT"
OUT=$(realpath "$OUT")
BUILD=${BUILD:-build} MODEL=${MODEL:-out/ecg-mitbih.eai} OUT="$OUT" bash examples/mcu-ecg/run.sh | tee "$OUT/run.log"
python3 bench/mcu_footprint.py "$OUT" "$OUT/run.log" > "$OUT/mcu.md"
echo "wrote $OUT/mcu.md"
if [ -n "$DOC" ]; then
  python3 bench/insert_section.py mcu "$OUT/mcu.md" "$DOC"
  echo "section written into $DOC"
fi
