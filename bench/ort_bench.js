#!/usr/bin/env node
// ONNX Runtime (onnxruntime-node, CPU) latency benchmark, the comparison
// point for `edgeai bench`.
//
//   cd bench && npm install --ignore-scripts     # once
//   node bench/ort_bench.js --model M.onnx --threads N --runs R --warmup W \
//        [--input x.npy] [--expect y.npy]
//
// Prints one JSON line:
//   {"median_ms":..,"p90_ms":..,"runs":..,"threads":..}
// plus "max_abs_err" when --expect is given (compared to the first output).
// Without --input a fixed-seed uniform [-1,1) float32 input is used, shaped
// from the model's input metadata (dynamic dims become 1) or --shape 1,3,224,224.
'use strict';

const fs = require('fs');
const path = require('path');
const ort = require('onnxruntime-node');

function usage(msg) {
  if (msg) process.stderr.write('ort_bench: ' + msg + '\n');
  process.stderr.write(
    'usage: node ort_bench.js --model M.onnx [--threads N] [--runs R] [--warmup W]\n' +
    '                         [--input x.npy] [--expect y.npy] [--shape 1,3,224,224]\n');
  process.exit(2);
}

function parseArgs(argv) {
  const a = { model: null, threads: 1, runs: 20, warmup: 3, input: null, expect: null, shape: null };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const v = argv[i + 1];
    const need = () => { if (v === undefined) usage('missing value for ' + k); i++; return v; };
    switch (k) {
      case '--model': a.model = need(); break;
      case '--threads': a.threads = parseInt(need(), 10); break;
      case '--runs': a.runs = parseInt(need(), 10); break;
      case '--warmup': a.warmup = parseInt(need(), 10); break;
      case '--input': a.input = need(); break;
      case '--expect': a.expect = need(); break;
      case '--shape': a.shape = need().split(',').map((s) => parseInt(s, 10)); break;
      case '-h': case '--help': usage(); break;
      default: usage('unknown argument ' + k);
    }
  }
  if (!a.model) usage('--model is required');
  if (!(a.threads >= 1) || !(a.runs >= 1) || !(a.warmup >= 0)) usage('bad --threads/--runs/--warmup');
  return a;
}

// Minimal .npy reader: versions 1-3, little-endian float32, C order.
function readNpy(file) {
  const buf = fs.readFileSync(file);
  if (buf.length < 10 || buf[0] !== 0x93 || buf.toString('latin1', 1, 6) !== 'NUMPY') {
    throw new Error(file + ': not a .npy file');
  }
  const major = buf[6];
  let hlen, hoff;
  if (major === 1) { hlen = buf.readUInt16LE(8); hoff = 10; }
  else if (major === 2 || major === 3) { hlen = buf.readUInt32LE(8); hoff = 12; }
  else throw new Error(file + ': unsupported .npy version ' + major);
  const header = buf.toString('latin1', hoff, hoff + hlen);
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header);
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header);
  const shape = /'shape'\s*:\s*\(([^)]*)\)/.exec(header);
  if (!descr || !fortran || !shape) throw new Error(file + ': bad .npy header');
  if (descr[1] !== '<f4' && descr[1] !== '=f4') throw new Error(file + ': dtype ' + descr[1] + ', need <f4');
  if (fortran[1] !== 'False') throw new Error(file + ': fortran_order arrays not supported');
  const dims = shape[1].split(',').map((s) => s.trim()).filter((s) => s.length).map((s) => parseInt(s, 10));
  const n = dims.reduce((p, d) => p * d, 1);
  const off = hoff + hlen;
  if (buf.length - off < n * 4) throw new Error(file + ': truncated data');
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = buf.readFloatLE(off + 4 * i);
  return { dims, data };
}

// Deterministic xorshift32 in [-1, 1).
function randomInput(dims, seed) {
  const n = dims.reduce((p, d) => p * d, 1);
  const data = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    data[i] = (s / 4294967296) * 2 - 1;
  }
  return { dims, data };
}

function percentile(sorted, p) {
  // nearest-rank
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p / 100 * sorted.length) - 1));
  return sorted[idx];
}

function median(sorted) {
  const n = sorted.length;
  return n % 2 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const session = await ort.InferenceSession.create(path.resolve(args.model), {
    executionProviders: ['cpu'],
    intraOpNumThreads: args.threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
  });
  const inName = session.inputNames[0];
  let x;
  if (args.input) {
    x = readNpy(args.input);
  } else {
    let dims = args.shape;
    if (!dims) {
      const meta = session.inputMetadata && session.inputMetadata[0];
      if (meta && Array.isArray(meta.shape)) dims = meta.shape.map((d) => (typeof d === 'number' && d > 0 ? d : 1));
      else dims = [1, 3, 224, 224];
    }
    x = randomInput(dims, 12345);
  }
  const feeds = { [inName]: new ort.Tensor('float32', x.data, x.dims) };

  let out = null;
  for (let i = 0; i < args.warmup; i++) out = await session.run(feeds);
  const times = [];
  for (let i = 0; i < args.runs; i++) {
    const t0 = process.hrtime.bigint();
    out = await session.run(feeds);
    const t1 = process.hrtime.bigint();
    times.push(Number(t1 - t0) / 1e6);
  }
  times.sort((p, q) => p - q);
  const result = {
    median_ms: +median(times).toFixed(3),
    p90_ms: +percentile(times, 90).toFixed(3),
    runs: args.runs,
    threads: args.threads,
  };
  if (args.expect) {
    const want = readNpy(args.expect).data;
    const got = out[session.outputNames[0]].data;
    if (got.length !== want.length) throw new Error('output has ' + got.length + ' values, --expect has ' + want.length);
    let err = 0;
    for (let i = 0; i < got.length; i++) err = Math.max(err, Math.abs(got[i] - want[i]));
    result.max_abs_err = err;
  }
  process.stdout.write(JSON.stringify(result) + '\n');
  if (typeof session.release === 'function') await session.release();
}

main().catch((e) => {
  process.stderr.write('ort_bench: ' + (e && e.stack ? e.stack : e) + '\n');
  process.exit(1);
});
