#!/usr/bin/env bash
# The ECG beat monitor on a Cortex-M4F under QEMU (docs/mcu.md): the trained model compressed to
# int8 and exported as C (edgeai export --c-array), the first RECORD_SECONDS of an MIT-BIH record as ADC
# samples in flash, the firmware (integer R-peak detector, beat pipeline, int8 classifier) built
# with arm-none-eabi-gcc and run on qemu-system-arm -M mps2-an386; then every beat's R peak,
# int8 outputs and label compared with the host (mcu_ecg_host check), and the memory limits
# checked: an arena one byte short fails at start-up, flash too small fails the link.
# Variables:
#   BUILD   the host build (default build; scripts/build.sh makes it)
#   MODEL   a trained float bundle (default out/ecg-mitbih.eai; trained when missing, ~2 min)
#   RECORD  an MIT-BIH record (default 208, from DS2)   RECORD_SECONDS  how much of it (default 600)
#   OUT     where the generated files, the firmware and the log go (default BUILD/mcu-ecg)
#   FLASH_BYTES / RAM_BYTES  the part's memory (default 1 MiB / 256 KiB)
#   CHECK_LIMITS  0 leaves out the arena and flash checks
#   CHECK_REFERENCE  0 leaves out the second firmware, with the reference kernels only
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
OUT=${OUT:-$BUILD/mcu-ecg}
MODEL=${MODEL:-out/ecg-mitbih.eai}
RECORD=${RECORD:-208}
RECORD_SECONDS=${RECORD_SECONDS:-600}
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
$HOST record "$RECORD" "$RECORD_SECONDS" "$OUT/gen"

# configure_firmware DIR [cmake -D options...]
configure_firmware() {
  local dir=$1
  shift
  cmake -S examples/mcu-ecg/firmware -B "$dir" -G Ninja \
    -DCMAKE_TOOLCHAIN_FILE="$PWD/examples/mcu-ecg/firmware/arm-none-eabi.cmake" \
    -DEDGEAI_MCU_GENERATED="$OUT/gen" -DEDGEAI_MCU_FLASH_BYTES="$FLASH_BYTES" \
    -DEDGEAI_MCU_RAM_BYTES="$RAM_BYTES" "$@" >/dev/null
}
# run_qemu ELF LOG: the firmware's UART into LOG; its exit status is main's.
run_qemu() {
  timeout 900 qemu-system-arm -M mps2-an386 -cpu cortex-m4 -display none -monitor none -serial stdio \
    -semihosting-config enable=on,target=native -icount shift=0 -kernel "$1" > "$2"
}

echo "== firmware (arm-none-eabi-gcc, Cortex-M4F, -Os)"
configure_firmware "$OUT/firmware"
cmake --build "$OUT/firmware" 2>&1 | grep -vE "^\[|^ninja" || true
test -f "$OUT/firmware/mcu_ecg.elf"
arm-none-eabi-size "$OUT/firmware/mcu_ecg.elf"

echo "== QEMU mps2-an386 (-icount shift=0: one instruction per virtual nanosecond)"
run_qemu "$OUT/firmware/mcu_ecg.elf" "$OUT/qemu.log"
head -n 1 "$OUT/qemu.log"
tail -n 1 "$OUT/qemu.log"
echo "== the device against the host"
$HOST check "$OUT/ecg.int8.eai" "$RECORD" "$RECORD_SECONDS" "$OUT/qemu.log"

if [ "${CHECK_REFERENCE:-1}" != 0 ]; then
  echo "== the same firmware with the reference kernels only (no SMLAD)"
  configure_firmware "$OUT/firmware-reference" -DEDGEAI_MCU_REFERENCE=ON
  cmake --build "$OUT/firmware-reference" >/dev/null
  run_qemu "$OUT/firmware-reference/mcu_ecg.elf" "$OUT/qemu-reference.log"
  head -n 1 "$OUT/qemu-reference.log"
  $HOST check "$OUT/ecg.int8.eai" "$RECORD" "$RECORD_SECONDS" "$OUT/qemu-reference.log"
fi

if [ "${CHECK_LIMITS:-1}" != 0 ]; then
  echo "== limits: an arena one byte short, a flash too small"
  arena=$(sed -n 's/^#define ECG_MODEL_ARENA_BYTES \([0-9]*\)u$/\1/p' "$OUT/gen/ecg_model.h")
  configure_firmware "$OUT/firmware-small-arena" -DEDGEAI_MCU_ARENA_BYTES=$((arena - 1))
  cmake --build "$OUT/firmware-small-arena" >/dev/null
  if run_qemu "$OUT/firmware-small-arena/mcu_ecg.elf" "$OUT/qemu-small-arena.log"; then
    echo "error: the firmware with an arena of $((arena - 1)) bytes ran" >&2
    exit 1
  fi
  grep -F "the arena of $((arena - 1)) bytes is smaller than the $arena bytes" "$OUT/qemu-small-arena.log"
  small_flash=$(( $(stat -c %s "$OUT/gen/record.c") / 8 ))  # well below the record's bytes
  configure_firmware "$OUT/firmware-small-flash" -DEDGEAI_MCU_FLASH_BYTES=$small_flash
  if cmake --build "$OUT/firmware-small-flash" > "$OUT/link-small-flash.log" 2>&1; then
    echo "error: the firmware linked into $small_flash bytes of flash" >&2
    exit 1
  fi
  grep -oE "region .FLASH. overflowed by [0-9]+ bytes" "$OUT/link-small-flash.log" | head -n 1
fi
