#!/usr/bin/python3
"""Writes docs/benchmarks.md from the raw outputs of bench/run_benchmarks.sh.

    RAW=out/bench/raw ... /usr/bin/python3 bench/benchmarks_report.py docs/benchmarks.md

run_benchmarks.sh exports the settings it ran with (MODELS, THREADS, ORT_RUNS, ..., BENCH_*) and
calls this; it is not meant to be run on its own. Every step left RAW/NAME.out (stdout: the last
JSON line is the result), RAW/NAME.err and RAW/NAME.rc; a missing or failed step is "n/a" here,
and the failures are listed at the end with the last line of their stderr.
"""

import datetime
import glob
import json
import os
import re
import statistics
import sys

import numpy as np

ENV = os.environ
RAW = ENV.get("RAW", "out/bench/raw")
MODEL_DIR = ENV.get("MODEL_DIR", "out/models")
FP32_TARGET = 1.0          # edgeai fp32 / ORT fp32
INT8_VS_ORT_INT8 = 0.8     # MobileNetV2 int8, 1 thread
INT8_VS_ORT_FP32 = 0.5
USECASE_MS = 10.0          # per inference
INSPECTION_FPS = 60.0      # end to end, decode and preprocessing included
DEVICE_LIB_BYTES = 1000000  # 1 MB

USECASE_INFO = {
    "fashion-mnist": ("Fashion-MNIST CNN", "inferences/s"),
    "ecg-mitbih": ("MIT-BIH ECG beat classifier", "beats/s"),
    "magnetic-tile": ("magnetic-tile inspection (defect vs free)", "fps"),
}


def split_list(name, sep=","):
    return [x for x in ENV.get(name, "").replace(sep, " ").split() if x]


def result(name):
    """The step's JSON result, or None. A step run in rounds (NAME, NAME.r2, ...) gives the first
    round's object with median_ms (and p90_ms) replaced by the median over the rounds, and
    rounds_ms listing each round's median."""
    first = result_of_round(name)
    if first is None:
        return None
    rounds = [first]
    for r in range(2, 100):
        if not os.path.exists(os.path.join(RAW, "%s.r%d.out" % (name, r))):
            break
        obj = result_of_round("%s.r%d" % (name, r))
        if obj is not None:
            rounds.append(obj)
    if len(rounds) == 1:
        return first
    merged = dict(first)
    for key in ("median_ms", "p90_ms"):
        values = [o[key] for o in rounds if isinstance(o.get(key), (int, float))]
        if values:
            merged[key] = statistics.median(values)
    merged["rounds_ms"] = [o.get("median_ms") for o in rounds]
    return merged


def result_of_round(name):
    """The last JSON object on the step's stdout, or None."""
    path = os.path.join(RAW, name + ".out")
    if not os.path.exists(path):
        return None
    found = None
    with open(path, errors="replace") as f:
        for line in f:
            line = line.strip()
            if line.startswith("{"):
                try:
                    obj = json.loads(line)
                except ValueError:
                    continue
                if isinstance(obj, dict):
                    found = obj
    return found


def text(name, ext):
    path = os.path.join(RAW, name + "." + ext)
    if not os.path.exists(path):
        return None
    with open(path, errors="replace") as f:
        return f.read()


def get(obj, key):
    return None if obj is None else obj.get(key)


def fmt(v, digits=2):
    return "n/a" if v is None else "%.*f" % (digits, v)


def ratio(a, b):
    return a / b if (a is not None and b) else None


def fmt_ratio(r):
    return "n/a" if r is None else "%.2fx" % r


TALLY = {}  # section -> [meets, misses, n/a]
SECTION = ["-"]


def verdict(ok):
    counts = TALLY.setdefault(SECTION[0], [0, 0, 0])
    counts[0 if ok else 1] += ok is not None
    counts[2] += ok is None
    return "n/a" if ok is None else ("meets" if ok else "misses")


def le(v, limit):
    return None if v is None else v <= limit


def max_abs_err(a_path, b_path):
    try:
        a, b = np.load(a_path), np.load(b_path)
        if a.shape != b.shape:
            return None, None, None
        return float(np.abs(a - b).max()), float(np.abs(b).max()), bool(a.argmax() == b.argmax())
    except Exception:  # a missing or unreadable file is n/a, the failure is listed
        return None, None, None


def main(out_md):
    models = split_list("MODELS")
    threads = split_list("THREADS", " ")
    int8_models = split_list("INT8_MODELS")
    int8_threads = split_list("INT8_THREADS", " ")
    usecases = split_list("USECASES")
    lines = []
    add = lines.append

    peak = result("cpu_peak") or {}
    fp32_peak = peak.get("fp32_gmac_per_s")
    int8_peak = peak.get("int8_gmac_per_s")
    amx_peak = peak.get("amx_int8_gmac_per_s")

    cpu_line = None
    for line in (text("edgeai_cpu", "out") or "").splitlines():
        m = re.search(r"\(CPU: ([^)]*)\)", line)
        if line.startswith("kernels") and m:
            cpu_line = m.group(1)
    kernels_used = set()
    for path in glob.glob(os.path.join(RAW, "*.edgeai.out")) + glob.glob(os.path.join(RAW, "*.images.out")):
        obj = result(os.path.basename(path)[:-4])
        for part in (get(obj, "kernels") or "").split(","):
            part = part.strip()
            if part:
                kernels_used.add(part.split(" ", 1)[-1])

    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    elapsed = int(ENV.get("BENCH_ELAPSED", "0"))
    add("# Benchmarks: edgeai vs ONNX Runtime")
    add("")
    add("Written by `bench/run_benchmarks.sh` (see [Reproduce](#reproduce)); every figure below comes from one run of it.")
    add("")
    add("- Date: %s; the run took %d min %02d s" % (now, elapsed // 60, elapsed % 60))
    add("- edgeai: git commit %s" % ENV.get("BENCH_COMMIT", "unknown"))
    add("- CPU: %s, %s cores (`/proc/cpuinfo`); SIMD: %s" % (
        ENV.get("BENCH_CPU", "?"), ENV.get("BENCH_CORES", "?"), ENV.get("BENCH_SIMD", "?").strip() or "none found"))
    add("- edgeai's kernels: CPU features it detects: %s; implementations chosen in these runs: %s" % (
        cpu_line or "n/a", ", ".join("`%s`" % k for k in sorted(kernels_used)) or "n/a"))
    add("- ONNX Runtime: %s (onnxruntime-node, `bench/ort_bench.js`): CPU execution provider, intra-op threads ="
        " threads, inter-op threads 1, graph optimisation level \"all\", sequential execution" % ENV.get("ORT_VERSION"))
    add("- Runs (timed after warm-up): fp32 edgeai %s after %s, ORT %s after %s; int8 edgeai %s after %s (its own"
        " count: `EDGEAI_INT8_RUNS`), ORT as fp32; use-case models %s fp32 / %s int8 after %s." % (
            ENV.get("EDGEAI_RUNS"), ENV.get("EDGEAI_WARMUP"), ENV.get("ORT_RUNS"), ENV.get("ORT_WARMUP"),
            ENV.get("EDGEAI_INT8_RUNS"), ENV.get("EDGEAI_INT8_WARMUP"), ENV.get("USECASE_RUNS"),
            ENV.get("USECASE_INT8_RUNS"), ENV.get("USECASE_WARMUP")))
    add("  edgeai and ORT alternate per model and thread count in the same session, %s round(s) each for the"
        " torchvision models (fp32 and int8); a row's median and p90 are the medians over its rounds (the rounds keep"
        " a slow spell of the shared machine from landing on one engine only). Latencies are milliseconds per"
        " inference, batch 1; medians; edgeai's p90 is interpolated, ORT's nearest-rank." % ENV.get("ROUNDS", "1"))
    add("- Other work on the machine: %s cores busy on average in the 3 s before the run (/proc/stat). The machine"
        " is a shared virtual machine: with other work running, the 2-thread rows suffer first (a thread waits for a"
        " busy core)." % ENV.get("BENCH_OTHER_CORES", "n/a"))
    add("")
    summary_at = len(lines)

    # ---- peak
    add("## This core's peak")
    add("")
    add("`bench/cpu_peak.cpp` (g++ -O2 %s), one core: independent multiply-accumulate chains on 16 accumulator"
        " registers, best of %s trials. GMAC/s counts multiply-accumulates (fp32: FMA lanes; int8: the products"
        " that vpdpbusd sums, 4 per 32-bit lane). \"%% of peak\" below is edgeai's GMAC/s over this peak times the"
        " thread count." % (open(os.path.join(RAW, "cpu_peak.flags")).read().strip()
                            if os.path.exists(os.path.join(RAW, "cpu_peak.flags")) else "", peak.get("trials", "?")))
    add("")
    add("| precision | instructions | GMAC/s per core |")
    add("| --- | --- | ---: |")
    add("| fp32 | %s | %s |" % (peak.get("fp32_isa") or "n/a", fmt(fp32_peak, 1)))
    add("| int8 | %s | %s |" % (peak.get("int8_isa") or "n/a", fmt(int8_peak, 1)))
    if amx_peak:
        add("| int8 | %s | %s |" % (peak.get("amx_int8_isa") or "amx", fmt(amx_peak, 1)))
        add("")
        add("AMX: tdpbsud on four independent 16x16 int32 tiles (16 x 16 x 64 products per instruction). Where"
            " edgeai's int8 convolutions ran on AMX (`qs8_conv_gemm_dw__amx`), \"% of int8 peak\" below is over the AMX"
            " figure, the higher one; its depthwise and small-K layers run on VNNI.")
    add("")

    # ---- fp32 (each section is dropped again when its list is empty)
    section_start = len(lines)
    SECTION[0] = "fp32 torchvision, edgeai/ORT <= %.1fx" % FP32_TARGET
    add("## fp32: torchvision models")
    add("")
    add("torchvision classifiers with random weights (fixed seed, BatchNorm statistics randomised), ONNX opset 13,"
        " input 1x3x224x224 float32, exported by `tools/export_torchvision.py` and imported with `edgeai import`"
        " (ORT runs the same ONNX file). Target: edgeai/ORT <= %.1fx." % FP32_TARGET)
    add("")
    add("| model | threads | edgeai median ms | edgeai p90 ms | ORT median ms | edgeai/ORT | target <= %.1fx |"
        " edgeai GMAC/s | %% of peak | edgeai peak RSS MB |" % FP32_TARGET)
    add("| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: |")
    ort_fp32 = {}
    for m in models:
        for t in threads:
            e = result("%s.fp32.t%s.edgeai" % (m, t))
            o = result("%s.fp32.t%s.ort" % (m, t))
            em, om = get(e, "median_ms"), get(o, "median_ms")
            ort_fp32[(m, t)] = om
            r = ratio(em, om)
            g = get(e, "gmac_per_s")
            pct = 100.0 * g / (fp32_peak * int(t)) if (g is not None and fp32_peak) else None
            add("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                m, t, fmt(em), fmt(get(e, "p90_ms")), fmt(om), fmt_ratio(r), verdict(le(r, FP32_TARGET)),
                fmt(g, 1), fmt(pct, 1), fmt(get(e, "peak_rss_mb"), 1)))
    add("")
    add("Outputs on the exported input against torch's (`edgeai run`; ORT: `ort_bench.js --expect`, 1 thread),"
        " and the kernels edgeai chose:")
    add("")
    add("| model | MMACs | edgeai max abs err | ORT max abs err | max abs output | top-1 as torch | edgeai kernels |")
    add("| --- | ---: | ---: | ---: | ---: | --- | --- |")
    for m in models:
        err, scale, top1 = max_abs_err(os.path.join(RAW, m + ".fp32.edgeai.npy"),
                                       os.path.join(MODEL_DIR, m + ".output.npy"))
        e = result("%s.fp32.t%s.edgeai" % (m, threads[0] if threads else "1"))
        o = result("%s.fp32.t%s.ort" % (m, threads[0] if threads else "1"))
        macs = get(e, "macs")
        add("| %s | %s | %s | %s | %s | %s | %s |" % (
            m, fmt(macs / 1e6 if macs else None, 1), "n/a" if err is None else "%.2e" % err,
            "n/a" if get(o, "max_abs_err") is None else "%.2e" % o["max_abs_err"], fmt(scale, 2),
            "n/a" if top1 is None else ("yes" if top1 else "no"), get(e, "kernels") or "n/a"))
    add("")

    if not (models and threads):
        del lines[section_start:]

    # ---- int8
    section_start = len(lines)
    SECTION[0] = "int8 MobileNetV2, 1 thread (<= %.1fx ORT int8, <= %.1fx ORT fp32)" % (INT8_VS_ORT_INT8, INT8_VS_ORT_FP32)
    add("## int8: torchvision models")
    add("")
    add("Each fp32 bundle compressed with `edgeai compress M.eai -o M.int8.eai --calib random --calib-samples %s`"
        " (int8 weights per channel, int8 activations; every operator of these models has an int8 form). There is"
        " no ImageNet data here and `compress` has no data-free calibration for image models other than `random`"
        " (standard-normal inputs; docs/compression.md warns that such ranges do not match real data): fine for"
        " latency, which does not depend on the ranges, not for accuracy. Exported with `edgeai export` twice: int8"
        " activations as in the model (s8 QDQ: ORT on x86 runs Conv groups as DequantizeLinear -> float Conv ->"
        " QuantizeLinear) and `--uint8-activations` (u8 QDQ: ORT fuses them into QLinearConv/QGemm). \"ORT int8\""
        " is the faster of the two; ORT fp32 is the fp32 table's figure. Targets (MobileNetV2, 1 thread): edgeai"
        " int8 <= %.1fx ORT int8 and <= %.1fx ORT fp32." % (ENV.get("CALIB_SAMPLES"), INT8_VS_ORT_INT8,
                                                              INT8_VS_ORT_FP32))
    add("")
    add("| model | threads | edgeai int8 median ms | ORT s8 QDQ ms | ORT u8 QDQ ms | ORT fp32 ms | edgeai/ORT int8 |"
        " target <= %.1fx | edgeai/ORT fp32 | target <= %.1fx | edgeai GMAC/s | %% of int8 peak | peak RSS MB |"
        " ORT s8 QDQ vs edgeai int8, max abs diff |" % (INT8_VS_ORT_INT8, INT8_VS_ORT_FP32))
    add("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | --- | ---: | ---: | ---: | ---: |")
    for m in int8_models:
        for t in int8_threads:
            e = result("%s.int8.t%s.edgeai" % (m, t))
            s8 = result("%s.int8.t%s.ort.s8" % (m, t))
            u8 = result("%s.int8.t%s.ort.u8" % (m, t))
            em = get(e, "median_ms")
            s8m, u8m = get(s8, "median_ms"), get(u8, "median_ms")
            best = min([v for v in (s8m, u8m) if v is not None], default=None)
            of = ort_fp32.get((m, t))
            if of is None:
                of = get(result("%s.fp32.t%s.ort" % (m, t)), "median_ms")
            r8, rf = ratio(em, best), ratio(em, of)
            has_target = (m == "mobilenet_v2" and t == "1")
            g = get(e, "gmac_per_s")
            peak_used = amx_peak if amx_peak and "__amx" in (get(e, "kernels") or "") else int8_peak
            pct = 100.0 * g / (peak_used * int(t)) if (g is not None and peak_used) else None
            diff = get(s8, "max_abs_err")
            add("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                m, t, fmt(em), fmt(s8m), fmt(u8m), fmt(of), fmt_ratio(r8),
                verdict(le(r8, INT8_VS_ORT_INT8)) if has_target else "-", fmt_ratio(rf),
                verdict(le(rf, INT8_VS_ORT_FP32)) if has_target else "-", fmt(g, 2), fmt(pct, 2),
                fmt(get(e, "peak_rss_mb"), 1), "n/a" if diff is None else "%.2e" % diff))
    add("")
    add("Kernels edgeai chose for the int8 models (`edgeai bench --json`, \"kernels\"): " + "; ".join(
        "%s: %s" % (m, get(result("%s.int8.t%s.edgeai" % (m, int8_threads[0] if int8_threads else "1")), "kernels")
                    or "n/a") for m in int8_models) + ".")
    add("")
    add("The last column runs ORT on the s8 QDQ export with the input edgeai's int8 run saw and compares the"
        " outputs: the export computes in float between DequantizeLinear and QuantizeLinear, so results may differ by"
        " an output step where the integer requantisation rounds the other way.")
    add("")

    if not (int8_models and int8_threads):
        del lines[section_start:]

    # ---- use cases
    section_start = len(lines)
    SECTION[0] = "use-case models, < %.0f ms per inference" % USECASE_MS
    add("## Use-case models (1 thread)")
    add("")
    add("The project's own models: fp32 as trained, int8 compressed with calibration on their training data"
        " (`--calib fashion-mnist:train`, `mitdb:DS1`, `magnetic-tile:train`, %s samples). Inputs are random"
        " tensors of the model's input shape (latency does not depend on the values). Throughput is single-stream,"
        " 1000 / median. Target: < %.0f ms per inference." % (ENV.get("USECASE_CALIB_SAMPLES"), USECASE_MS))
    add("")
    add("| model | bundle | precision | input | MMACs | median ms | p90 ms | throughput | target < %.0f ms |" % USECASE_MS)
    add("| --- | --- | --- | --- | ---: | ---: | ---: | ---: | --- |")
    inputs_of = {"fashion-mnist": "1x1x28x28", "ecg-mitbih": "beat 1x1x256 + rr 1x8", "magnetic-tile": "1x1x128x128"}
    for u in usecases:
        title, unit = USECASE_INFO.get(u, (u, "inferences/s"))
        source = (text(u, "source") or "n/a").strip().split(" ", 1)[0]
        for prec in ("fp32", "int8"):
            e = result("%s.%s.edgeai" % (u, prec))
            em = get(e, "median_ms")
            macs = get(e, "macs")
            thr = 1000.0 / em if em else None
            add("| %s | `%s` | %s | %s | %s | %s | %s | %s | %s |" % (
                title, source if prec == "fp32" else "%s/usecases/%s.int8.eai" % (os.path.dirname(RAW), u),
                prec, inputs_of.get(u, "?"), fmt(macs / 1e6 if macs else None, 2), fmt(em, 3),
                fmt(get(e, "p90_ms"), 3), "n/a" if thr is None else "%.0f %s" % (thr, unit),
                verdict(None if em is None else em < USECASE_MS)))
    notes = [(text(u, "source") or "").strip() for u in usecases]
    trained = [n for n in notes if "trained here" in n]
    if trained:
        add("")
        add("Bundles trained by this run: " + "; ".join("`%s`" % n for n in trained) + ".")
    if "magnetic-tile" in usecases:
        add("")
        add("### Inspection end to end")
        add("")
        add("`edgeai bench MODEL --images PHOTOS --json`: per photo, read the JPEG and decode it, preprocess it as"
            " the manifest declares (gray, bilinear resize to 128x128, scale and normalise: the code the data"
            " layer shares with training and devices, `src/data/preprocess.cpp`), then infer, 1 thread. fp32: every"
            " photo of the data set (%s; masks skipped), once each; int8: %s. Sizes vary from 103x222 to 632x403 pixels. fps = 1000 /"
            " end-to-end median; images/s = photos / total time. Target: >= %.0f fps." % (
                ENV.get("TILE_IMAGES"),
                "the same" if ENV.get("TILE_INT8_IMAGES", "0") == "0" else
                "%s photos spread evenly over the set (`TILE_INT8_IMAGES`)" % ENV.get("TILE_INT8_IMAGES"),
                INSPECTION_FPS))
        add("")
        SECTION[0] = "inspection end to end, >= %.0f fps" % INSPECTION_FPS
        add("| precision | photos | read + decode ms | preprocess ms | inference ms | end-to-end median ms |"
            " end-to-end p90 ms | fps | images/s | target >= %.0f fps |" % INSPECTION_FPS)
        add("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
        for prec in ("fp32", "int8"):
            e = result("magnetic-tile.%s.images" % prec)
            fps = get(e, "e2e_fps")
            add("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                prec, get(e, "images") or "n/a", fmt(get(e, "decode_median_ms"), 3),
                fmt(get(e, "preprocess_median_ms"), 3), fmt(get(e, "median_ms"), 3), fmt(get(e, "e2e_median_ms"), 3),
                fmt(get(e, "e2e_p90_ms"), 3), fmt(fps, 0), fmt(get(e, "images_per_s"), 0),
                verdict(None if fps is None else fps >= INSPECTION_FPS)))
    add("")

    if not usecases:
        del lines[section_start:]

    # ---- memory and size
    SECTION[0] = "device runtime library < 1 MB"
    add("## Memory and size")
    add("")
    e8 = result("mobilenet_v2.int8.t1.edgeai")
    e32 = result("mobilenet_v2.fp32.t1.edgeai")
    dev = None
    for line in (text("device_library", "out") or "").splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0].isdigit():
            dev = (int(parts[0]), parts[1])
    int8_bundle = os.path.join(os.path.dirname(RAW), "int8", "mobilenet_v2.int8.eai")
    fp32_bundle = os.path.join(MODEL_DIR, "mobilenet_v2.eai")
    size = lambda p: os.path.getsize(p) / 1048576.0 if os.path.exists(p) else None
    add("| what | value | target |")
    add("| --- | ---: | --- |")
    add("| peak resident memory, `edgeai bench` MobileNetV2 int8, 1 thread (peak_rss_mb) | %s MiB | - |" %
        fmt(get(e8, "peak_rss_mb"), 1))
    add("| the same, fp32 | %s MiB | - |" % fmt(get(e32, "peak_rss_mb"), 1))
    add("| activation arena, MobileNetV2 int8 / fp32 | %s / %s MiB | - |" % (
        fmt(get(e8, "arena_mb"), 2), fmt(get(e32, "arena_mb"), 2)))
    add("| bundle, MobileNetV2 int8 / fp32 | %s / %s MiB | - |" % (fmt(size(int8_bundle), 2), fmt(size(fp32_bundle), 2)))
    add("| stripped device runtime library (`tools/device_library_size.sh`: %s) | %s | < 1 MB (1,000,000 bytes): %s |" % (
        "`%s`" % os.path.basename(dev[1]) if dev else "n/a",
        "n/a" if dev is None else "{:,} bytes ({:.2f} MiB)".format(dev[0], dev[0] / 1048576.0),
        verdict(None if dev is None else dev[0] < DEVICE_LIB_BYTES)))
    add("")
    add("Peak RSS is the whole `edgeai bench` process (`getrusage` ru_maxrss): the mapped bundle, decoded weights,"
        " the arena, the input and the code.")
    add("")

    # ---- OTA deltas
    delta = result("delta")
    if delta is not None:
        add("## OTA deltas (issue 6)")
        add("")
        add("`bench/delta_bench.py`: torchvision %s (random weights, the fp32 export) as v1, then a v2 whose classifier"
            " head alone was retrained (re-initialised) and a v2 fine-tuned throughout (every weight moved by about"
            " 0.1 %%), each imported as a bundle. Bytes a device holding v1 must receive for v2: the whole bundle, the"
            " bundle `zstd -19`, plain `zstd --patch-from=v1` (the zstd CLI, default level), and `edgeai delta make`"
            " (the smaller of its tensor delta, where tensors the device has are copies and changed tensors of the"
            " same name travel as XOR byte planes, and its own patch-from patch). Every delta was applied back with"
            " `edgeai delta apply` and compared byte for byte with v2." % delta.get("model", "?"))
        add("")
        add("| v2 | bundle bytes | zstd -19 | zstd --patch-from | edgeai delta | edgeai / patch-from | kind | tensors reused"
            " of all | rebuilt identical |")
        add("| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | --- |")
        for key in ("head", "fine"):
            row = (delta.get("rows") or {}).get(key)
            if not row:
                continue
            add("| %s | %s | %s | %s | %s | %s | %s | %s of %s | %s |" % (
                row["what"], "{:,}".format(row["full_bytes"]), "{:,}".format(row["zstd19_bytes"]),
                "{:,}".format(row["zstd_patch_from_bytes"]), "{:,}".format(row["edgeai_delta_bytes"]),
                fmt_ratio(ratio(row["edgeai_delta_bytes"], row["zstd_patch_from_bytes"])), row["kind"],
                row["tensors_reused"], row["tensors"], "yes" if row.get("rebuilt_identical") else "no"))
        add("")

    # ---- failures
    failed = []
    for path in sorted(glob.glob(os.path.join(RAW, "*.rc"))):
        name = os.path.basename(path)[:-3]
        rc = open(path).read().strip()
        if rc != "0":
            err = [l for l in (text(name, "err") or "").splitlines() if l.strip()]
            failed.append((name, rc, err[-1][:240] if err else ""))
    add("## Steps that failed or did not run")
    add("")
    if failed:
        add("Their cells are n/a; the full output is in `%s/NAME.out`, `.err`." % RAW)
        add("")
        add("| step | exit | last line of stderr |")
        add("| --- | --- | --- |")
        for name, rc, err in failed:
            add("| %s | %s | %s |" % (name, rc, err.replace("|", "\\|")))
    else:
        add("None.")
    add("")

    add("## Reproduce")
    add("")
    add("    bench/run_benchmarks.sh                                  # everything, defaults (the run time is above)")
    add("    EDGEAI_RUNS=5 ORT_RUNS=10 bench/run_benchmarks.sh        # fewer runs")
    add("    MODELS=mobilenet_v2 USECASES=none DEVICE_LIB=0 bench/run_benchmarks.sh   # one model, nothing else")
    add("")
    add("It needs a Release build (`scripts/build.sh`), g++, Debian's python3 with torch/torchvision/onnx, node and"
        " npm (it installs onnxruntime-node %s into `bench/node_modules` when missing), cmake and ninja (the device"
        " library is built in `build-device/`). The variables (runs, warm-ups, thread counts, models, use cases,"
        " photos) are listed at the top of the script; raw outputs go to `%s/`." % (ENV.get("ORT_VERSION"), RAW))

    summary = ["## Targets at a glance", "", "| target | rows meeting | rows missing | n/a |", "| --- | ---: | ---: | ---: |"]
    for name, (meets, misses, na) in TALLY.items():
        summary.append("| %s | %d | %d | %d |" % (name, meets, misses, na))
    lines[summary_at:summary_at] = summary + [""]

    with open(out_md, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "docs/benchmarks.md"))
