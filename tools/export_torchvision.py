#!/usr/bin/python3
"""Export torchvision classifiers to ONNX with deterministic random weights.

Run with Debian's python (it has torch, torchvision and onnx):

    /usr/bin/python3 tools/export_torchvision.py --out out/models
    /usr/bin/python3 tools/export_torchvision.py --out out/models --models resnet18,squeezenet1_1 --force

No weights are downloaded: every model is built with weights=None and a fixed
seed (torch.manual_seed(0) per model). BatchNorm running statistics and affine
parameters are then set to random (fixed-seed) values, with positive variance,
so BN folding is exercised with non-trivial numbers.

For each model NAME it writes, into --out:
    NAME.onnx         opset 13, input "input" 1x3x224x224 float32, output "output"
    NAME.input.npy    a fixed-seed random input, float32
    NAME.output.npy   torch's output for that input, float32

Existing files are kept unless --force is given, so tests can call this cheaply.
"""

import argparse
import collections
import os
import sys
import time

import numpy as np
import onnx
import torch
import torchvision

ALL_MODELS = [
    "mobilenet_v2",
    "resnet18",
    "squeezenet1_1",
    "shufflenet_v2_x1_0",
    "mobilenet_v3_small",
    "efficientnet_b0",
]

OPSET = 13
INPUT_SHAPE = (1, 3, 224, 224)


def randomize_batchnorm(model, seed):
    """Give every BatchNorm layer random, numerically sane statistics."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
                n = m.num_features
                m.running_mean.copy_(torch.randn(n, generator=gen) * 0.1)
                # variance in [0.5, 1.5]: positive, keeps activations in range
                m.running_var.copy_(torch.rand(n, generator=gen) + 0.5)
                if m.weight is not None:
                    m.weight.copy_(torch.rand(n, generator=gen) * 0.5 + 0.75)
                if m.bias is not None:
                    m.bias.copy_(torch.randn(n, generator=gen) * 0.1)


def build_model(name):
    torch.manual_seed(0)
    ctor = getattr(torchvision.models, name)
    model = ctor(weights=None)
    randomize_batchnorm(model, seed=1)
    model.eval()
    return model


def op_summary(path):
    m = onnx.load(path)
    counts = collections.Counter(n.op_type for n in m.graph.node)
    return counts


def export_one(name, out_dir, force):
    onnx_path = os.path.join(out_dir, name + ".onnx")
    in_path = os.path.join(out_dir, name + ".input.npy")
    out_path = os.path.join(out_dir, name + ".output.npy")
    if not force and all(os.path.exists(p) for p in (onnx_path, in_path, out_path)):
        print("%-20s exists, skipped (use --force to re-export)" % name)
        return False

    t0 = time.time()
    model = build_model(name)
    nparams = sum(p.numel() for p in model.parameters())

    gen = torch.Generator().manual_seed(1234)
    x = torch.randn(*INPUT_SHAPE, generator=gen, dtype=torch.float32)
    with torch.no_grad():
        y = model(x)

    tmp_path = onnx_path + ".tmp"
    with torch.no_grad():
        torch.onnx.export(
            model,
            x,
            tmp_path,
            opset_version=OPSET,
            do_constant_folding=True,
            input_names=["input"],
            output_names=["output"],
        )
    onnx.checker.check_model(tmp_path)
    os.replace(tmp_path, onnx_path)
    np.save(in_path, x.numpy().astype(np.float32))
    np.save(out_path, y.numpy().astype(np.float32))

    size = os.path.getsize(onnx_path)
    print("%-20s params %10d  onnx %8.2f MB  %.1f s" %
          (name, nparams, size / 1e6, time.time() - t0))
    return True


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default="out/models", help="output directory")
    ap.add_argument("--models", default=",".join(ALL_MODELS),
                    help="comma-separated subset of: " + ",".join(ALL_MODELS))
    ap.add_argument("--force", action="store_true", help="re-export existing files")
    ap.add_argument("--ops", action="store_true",
                    help="print the ONNX op types of each model")
    args = ap.parse_args(argv)

    names = [n.strip() for n in args.models.split(",") if n.strip()]
    unknown = [n for n in names if n not in ALL_MODELS]
    if unknown:
        ap.error("unknown model(s): %s" % ", ".join(unknown))

    torch.set_num_threads(2)
    os.makedirs(args.out, exist_ok=True)

    t0 = time.time()
    for name in names:
        export_one(name, args.out, args.force)
    print("total %.1f s" % (time.time() - t0))

    if args.ops:
        for name in names:
            counts = op_summary(os.path.join(args.out, name + ".onnx"))
            print("%s: %s" % (name, ", ".join(
                "%s x%d" % (op, c) for op, c in sorted(counts.items()))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
