#!/usr/bin/python3
"""OTA delta sizes (issue 6): torchvision MobileNetV2 as v1, then a v2 whose classifier head
alone was retrained (re-initialised) and a v2 fine-tuned throughout (every weight moved by
about 0.1 %); each exported to ONNX, imported with `edgeai import`, and sent as: the full
bundle, the full bundle zstd -19, plain `zstd --patch-from` (the zstd CLI, default level), and
`edgeai delta make` (the smaller of its tensor delta and its own patch). Every delta is
applied back and checked byte for byte. Prints one JSON object.

    bench/delta_bench.py EDGEAI_BINARY WORK_DIR
"""
import json
import os
import subprocess
import sys

import torch
import torchvision

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from export_torchvision import randomize_batchnorm  # noqa: E402


def export(model, path):
    model.eval()
    torch.onnx.export(model, torch.randn(1, 3, 224, 224), path, opset_version=13, input_names=["input"],
                      output_names=["output"])


def run(*cmd, capture=False):
    return subprocess.run(cmd, check=True, capture_output=capture, text=True).stdout if capture else \
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)


def main():
    edgeai, work = sys.argv[1], sys.argv[2]
    os.makedirs(work, exist_ok=True)
    torch.manual_seed(0)
    base = torchvision.models.mobilenet_v2(weights=None)
    randomize_batchnorm(base, 0)
    variants = {"base": base}
    head = torchvision.models.mobilenet_v2(weights=None)
    head.load_state_dict(base.state_dict())
    torch.manual_seed(1)
    torch.nn.init.normal_(head.classifier[1].weight, std=0.01)
    torch.nn.init.zeros_(head.classifier[1].bias)
    variants["head"] = head
    fine = torchvision.models.mobilenet_v2(weights=None)
    fine.load_state_dict(base.state_dict())
    gen = torch.Generator().manual_seed(2)
    with torch.no_grad():
        for p in fine.parameters():
            p.add_(torch.randn(p.shape, generator=gen) * 1e-3 * p.abs().mean())
    variants["fine"] = fine
    paths = {}
    for name, model in variants.items():
        onnx_path = os.path.join(work, name + ".onnx")
        export(model, onnx_path)
        paths[name] = os.path.join(work, name + ".eai")
        run(edgeai, "import", onnx_path, "-o", paths[name])
    rows = {}
    for name, label in (("head", "classifier head retrained"), ("fine", "fine-tuned throughout")):
        target = paths[name]
        full = os.path.getsize(target)
        run("zstd", "-q", "-f", "-19", target, "-o", target + ".zst")
        patch = target + ".patch.zst"
        run("zstd", "-q", "-f", "--patch-from=" + paths["base"], target, "-o", patch)
        delta = target + ".delta"
        stats = json.loads(run(edgeai, "delta", "make", paths["base"], target, "-o", delta, "--json", capture=True))
        rebuilt = target + ".rebuilt"
        run(edgeai, "delta", "apply", paths["base"], delta, "-o", rebuilt)
        with open(rebuilt, "rb") as a, open(target, "rb") as b:
            if a.read() != b.read():
                raise SystemExit("delta_bench: the rebuilt %s differs from the bundle" % name)
        rows[name] = {"what": label, "full_bytes": full, "zstd19_bytes": os.path.getsize(target + ".zst"),
                      "zstd_patch_from_bytes": os.path.getsize(patch), "edgeai_delta_bytes": os.path.getsize(delta),
                      "edgeai_tensor_delta_bytes": stats["tensor_delta_bytes"],
                      "edgeai_patch_bytes": stats["patch_bytes"], "kind": stats["kind"],
                      "tensors": stats["tensors"], "tensors_reused": stats["tensors_reused"], "rebuilt_identical": True}
    print(json.dumps({"model": "mobilenet_v2", "base_bytes": os.path.getsize(paths["base"]), "rows": rows}))


if __name__ == "__main__":
    main()
