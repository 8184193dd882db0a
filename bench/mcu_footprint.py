#!/usr/bin/env python3
"""mcu_footprint.py OUT RUN_LOG: the markdown section "Microcontroller footprint" from a run of
examples/mcu-ecg/run.sh with OUT=OUT (its firmware map file, generated header and QEMU log) and
that run's output. Sizes come from the linker's map: every input section placed in flash or RAM,
summed per library; text includes read-only data."""
import datetime
import os
import re
import subprocess
import sys

out, run_log = sys.argv[1], sys.argv[2]
fw = os.path.join(out, "firmware")
map_text = open(os.path.join(fw, "mcu_ecg.map")).read()
map_text = map_text[map_text.index("Linker script and memory map"):]

GROUPS = [
    ("libedgeai_micro_core.a", "runtime core (src/micro/interpreter.cpp: bundle reader, planner, interpreter)"),
    ("libedgeai_micro_kernels.a", "kernels (src/micro/kernels*.cpp: 9 operators, SMLAD conv and FC)"),
    ("libecg_model.a", "model (the int8 bundle, edgeai export --c-array)"),
    ("libedgeai_micro_ecg.a", "ECG pipeline (src/micro/ecg.cpp: integer R-peak detector, beats, RR features)"),
    ("libecg_record.a", "record (the ECG samples the example streams)"),
    ("main.cpp.obj", "application (examples/mcu-ecg/firmware/main.cpp)"),
    ("startup.cpp.obj", "start-up, UART, SysTick (startup.cpp)"),
    ("libgcc.a", "libgcc (soft double: scale ratios, RR features)"),
    ("libm.a", "libm"),
    ("libc_nano.a", "newlib-nano libc (memcpy, memset, ...)"),
]
sizes = {key: [0, 0, 0] for key, _ in GROUPS}
other = [0, 0, 0]
pattern = re.compile(r"^ (\.[^\s]+|COMMON)\s*\n?\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\S+)$", re.M)
for section, address, size, source in pattern.findall(map_text):
    address, size = int(address, 16), int(size, 16)
    if size == 0 or (address == 0 and section != ".isr_vector"):
        continue
    if section.startswith((".debug", ".comment", ".ARM.attributes")):
        continue
    kind = 2 if section.startswith((".bss", "COMMON", ".stack")) else 1 if section.startswith(".data") else 0
    key = next((k for k, _ in GROUPS if k in source), None)
    (sizes[key] if key else other)[kind] += size

def symbol_size(pattern_text):
    nm = subprocess.run(["arm-none-eabi-nm", "-S", "--size-sort", "-C", os.path.join(fw, "mcu_ecg.elf")],
                        capture_output=True, text=True).stdout
    for line in nm.splitlines():
        parts = line.split(maxsplit=3)
        if len(parts) == 4 and re.search(pattern_text, parts[3]):
            return int(parts[1], 16)
    return 0

linker_script = open(os.path.join(fw, "mps2_an386.ld")).read()
stack = int(re.search(r"_stack_bytes = (\d+);", linker_script).group(1))
header = open(os.path.join(out, "gen", "ecg_model.h")).read()
arena = int(re.search(r"ECG_MODEL_ARENA_BYTES (\d+)u", header).group(1))
bundle = int(re.search(r"ECG_MODEL_FLASH_BYTES (\d+)u", header).group(1))
weights = int(re.search(r"ECG_MODEL_WEIGHT_BYTES (\d+)u", header).group(1))
interpreter = symbol_size(r"^\(anonymous namespace\)::interpreter$")
pipeline = symbol_size(r"beats_storage")
log = open(run_log).read()
check = re.search(r"record (\S+), (\d+) s: the device classified (\d+) beats, the host (\d+); same R peaks (\d+), "
                  r"int8 outputs identical (\d+), labels identical (\d+)", log)
annotations = re.search(r"R peaks Se ([\d.]+) %, \+P ([\d.]+) %.*labels equal on (\d+) of (\d+)", log)
instructions = re.search(r"instructions per inference: (\d+) \(QEMU -icount: ([\d.]+) SysTick ticks at ([\d.]+)", log)
reference = re.findall(r"instructions per inference: (\d+) \(QEMU", log)[1:]  # the reference-kernel firmware
per_tick = float(instructions.group(3))
qemu_log = open(os.path.join(out, "qemu.log")).read()
layers = re.findall(r"^node (\d+) (\S+) ticks (\d+)$", qemu_log, re.M)
kernels_name = re.search(r"bytes, (\w+) kernels;", qemu_log).group(1)
limits = re.search(r"(the arena of \d+ bytes is smaller than the \d+ bytes[^\n]*)", log)
overflow = re.search(r"(region .FLASH. overflowed by \d+ bytes)", log)
gcc = subprocess.run(["arm-none-eabi-gcc", "--version"], capture_output=True, text=True).stdout.splitlines()[0]
qemu = subprocess.run(["qemu-system-arm", "--version"], capture_output=True, text=True).stdout.splitlines()[0]
commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()

lines = []
add = lines.append
add("## Microcontroller footprint (issue 8)")
add("")
add(f"Written by `bench/mcu_footprint.sh` ({datetime.datetime.utcnow():%Y-%m-%d %H:%M} UTC, git commit {commit}) from "
    "`examples/mcu-ecg/run.sh`: the int8 ECG beat classifier (every layer int8) in firmware for a Cortex-M4F "
    f"(`-mcpu=cortex-m4 -mfpu=fpv4-sp-d16 -mfloat-abi=hard`, {gcc}, newlib-nano; -Os, the kernels -O2; "
    "`--gc-sections`), run on QEMU's `mps2-an386` ({}).".format(qemu.replace("QEMU emulator version ", "QEMU ")))
add("")
add("| part | text (flash) | data (flash + RAM) | bss (RAM) |")
add("| --- | ---: | ---: | ---: |")
total = [0, 0, 0]
for key, label in GROUPS:
    t, d, b = sizes[key]
    total = [total[0] + t, total[1] + d, total[2] + b]
    add(f"| {label} | {t:,} | {d:,} | {b:,} |")
t, d, b = other
total = [total[0] + t, total[1] + d, total[2] + b]
if t or d or b:
    add(f"| other | {t:,} | {d:,} | {b:,} |")
add(f"| all (RAM also holds the {stack:,}-byte stack) | {total[0]:,} | {total[1]:,} | {total[2]:,} |")
add("")
core = sizes["libedgeai_micro_core.a"][0]
add(f"- Runtime core: **{core:,} bytes** of flash (target <= 16 KB at -Os: "
    f"{'met' if core <= 16384 else 'missed'}); with the kernels this model uses, "
    f"{core + sizes['libedgeai_micro_kernels.a'][0]:,} bytes. TensorFlow Lite Micro's published figures: "
    "\"the core runtime just fits in 16 KB on an Arm Cortex M3\", and 22 KB with the operators of its speech "
    "keyword model (TensorFlow's microcontroller overview); measured by them on a Cortex-M3 with their build, "
    "not in this run.")
add(f"- RAM the model needs: the arena, **{arena:,} bytes** (activations and kernel scratch; `edgeai inspect --mcu` "
    f"prints the same number and `export --c-array` writes it into the header), and the interpreter object, "
    f"{interpreter:,} bytes (fixed tables for 64 nodes and 160 values). The ECG pipeline's rings take "
    f"{pipeline:,} bytes (12 s of samples, 4096 R peaks for the 30-minute RR record, the detector's 6 s).")
add(f"- Flash the model needs: the bundle, {bundle:,} bytes ({weights:,} of int8 weights and int32 biases; the rest is "
    "the graph, the manifest with its labels, baseline and 8 golden vectors).")
if instructions:
    add(f"- Instructions per inference: **{int(instructions.group(1)):,}** ({kernels_name} kernels), the mean over "
        f"{check.group(3)} beats. QEMU does not model a core's timing, so cycles from it mean nothing: under "
        "`-icount shift=0` each instruction is one virtual nanosecond, the firmware counts SysTick ticks and first "
        f"times a loop of 2,000,000 known instructions ({per_tick:.2f} instructions a tick). Instructions, not "
        "cycles of a real Cortex-M4." + (f" The same firmware with the reference kernels only: {int(reference[0]):,} "
        "(and the same outputs)." if reference else ""))
if layers:
    add("")
    add("| layer | op | instructions (first inference) |")
    add("| ---: | --- | ---: |")
    for node, op, ticks in layers:
        add(f"| {node} | {op} | {round(int(ticks) * per_tick):,} |")
add("")
if check:
    add(f"- Against the host: record {check.group(1)}, the first {check.group(2)} s streamed from flash through the "
        f"integer R-peak detector: {check.group(3)} beats on the device and {check.group(4)} on the host; same R peaks "
        f"{check.group(5)}, int8 outputs identical {check.group(6)}, labels identical {check.group(7)} (the host runs "
        "the same pipeline code and its runtime's reference kernels).")
if annotations:
    add(f"- Against the annotations: R peaks Se {annotations.group(1)} %, +P {annotations.group(2)} % (150 ms); labels "
        f"equal on {annotations.group(3)} of {annotations.group(4)} matched beats.")
if limits and overflow:
    add(f"- Limits: a firmware with an arena one byte short stops at start-up with \"{limits.group(1)}\"; a flash "
        f"region too small fails the link with \"{overflow.group(1)}\".")
add("")
add("Reproduce: `bench/mcu_footprint.sh --doc docs/benchmarks.md` (trains the ECG model when `MODEL` is missing; raw "
    "outputs in `out/bench/mcu/`).")
print("\n".join(lines))
