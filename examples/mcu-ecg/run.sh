#!/usr/bin/env bash
# The ECG beat classifier on a Cortex-M4F under QEMU (docs/mcu.md): the trained model compressed
# to int8, exported as C (edgeai export --c-array), built into firmware with arm-none-eabi-gcc,
# run on qemu-system-arm -M mps2-an386 over the first BEATS beats of RECORD, and its int8 outputs
# compared beat by beat with the host runtime's reference kernels (mcu_ecg_host check).
# Variables:
#   BUILD   the host build (default build; scripts/build.sh makes it)
#   MODEL   a trained float bundle (default out/ecg-mitbih.eai; trained when missing, ~2 min)
#   RECORD  beats to classify (default mitdb:208)      BEATS  how many (default 600)
#   OUT     where the generated files, the firmware and the log go (default BUILD/mcu-ecg)
#   FLASH_BYTES / RAM_BYTES  the part's memory (default 1 MiB / 256 KiB)
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
OUT=${OUT:-$BUILD/mcu-ecg}
MODEL=${MODEL:-out/ecg-mitbih.eai}
RECORD=${RECORD:-mitdb:208}
BEATS=${BEATS:-600}
FLASH_BYTES=${FLASH_BYTES:-1048576}
RAM_BYTES=${RAM_BYTES:-262144}
EDGEAI=$BUILD/src/cli/edgeai
HOST=$BUILD/examples/mcu-ecg/host/mcu_ecg_host
mkdir -p "$OUT/gen"
OUT=$(realpath "$OUT")

if [ ! -f "$MODEL" ]; then
  echo "== training $MODEL (edgeai train ecg-mitbih)"
  mkdir -p "$(dirname "$MODEL")"
  $EDGEAI train ecg-mitbih -o "$MODEL" | tail -n 3
fi
echo "== int8 for the microcontroller (every layer int8, weights stored raw)"
$EDGEAI compress "$MODEL" -o "$OUT/ecg.int8.eai" --calib mitdb:DS1 --no-entropy-coding 2>/dev/null | grep -E "^layers|MiB"
$EDGEAI inspect --mcu "$OUT/ecg.int8.eai"
$EDGEAI export --c-array "$OUT/ecg.int8.eai" -o "$OUT/gen/ecg_model.c" --name ecg_model
$HOST inputs "$OUT/ecg.int8.eai" "$RECORD" "$BEATS" "$OUT/gen"

echo "== firmware (arm-none-eabi-gcc, Cortex-M4F, -Os)"
cmake -S examples/mcu-ecg/firmware -B "$OUT/firmware" -G Ninja \
  -DCMAKE_TOOLCHAIN_FILE="$PWD/examples/mcu-ecg/firmware/arm-none-eabi.cmake" \
  -DEDGEAI_MCU_GENERATED="$OUT/gen" -DEDGEAI_MCU_FLASH_BYTES="$FLASH_BYTES" \
  -DEDGEAI_MCU_RAM_BYTES="$RAM_BYTES" >/dev/null
cmake --build "$OUT/firmware" 2>&1 | grep -vE "^\[|^ninja" || true
test -f "$OUT/firmware/mcu_ecg.elf"
arm-none-eabi-size "$OUT/firmware/mcu_ecg.elf"

echo "== QEMU mps2-an386 (-icount shift=0: one instruction per virtual nanosecond)"
timeout 900 qemu-system-arm -M mps2-an386 -cpu cortex-m4 -display none -monitor none -serial stdio \
  -semihosting-config enable=on,target=native -icount shift=0 -kernel "$OUT/firmware/mcu_ecg.elf" \
  > "$OUT/qemu.log"
head -n 1 "$OUT/qemu.log"
tail -n 1 "$OUT/qemu.log"
echo "== the device's outputs against the host's int8 reference"
$HOST check "$OUT/ecg.int8.eai" "$RECORD" "$BEATS" "$OUT/qemu.log"
