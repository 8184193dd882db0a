#!/usr/bin/env node
// Runs an ONNX model (edgeai's QDQ export) with ONNX Runtime (onnxruntime-node, CPU) on an IDX
// image set (Fashion-MNIST's t10k files) and compares its top-1 class per sample with the
// predictions edgeai wrote (`edgeai eval --predictions P.npy`, int64 [N], data set order).
// Used by tools/check_qdq_with_ort.sh; needs bench/node_modules (cd bench && npm install
// --ignore-scripts).
//
//   node tools/qdq_agreement.js --model M.onnx --predictions P.npy --images I.gz --labels L.gz
//        [--scale 0.00392157] [--mean 0.286] [--std 0.353] [--min-agreement 99] [--threads 1]
//        [--optimized-model OUT.onnx]
//
// Preprocessing is the manifest's (docs/training.md): y = (pixel * scale - mean) / std in float32,
// NCHW [1, 1, H, W], computed with the same float32 operations as src/data/preprocess.hpp.
// Prints a summary and one JSON line; exits 1 when the agreement (in %) is below --min-agreement.
'use strict';

const fs = require('fs');
const path = require('path');
const zlib = require('zlib');

function requireOrt() {
  const local = path.join(__dirname, '..', 'bench', 'node_modules', 'onnxruntime-node');
  try {
    return require(local);
  } catch (e) {
    return require('onnxruntime-node');
  }
}

function usage(msg) {
  if (msg) process.stderr.write('qdq_agreement: ' + msg + '\n');
  process.stderr.write(
    'usage: node qdq_agreement.js --model M.onnx --predictions P.npy --images I.gz --labels L.gz\n' +
    '       [--scale S] [--mean M] [--std D] [--min-agreement PCT] [--threads N] [--optimized-model OUT.onnx]\n');
  process.exit(2);
}

function parseArgs(argv) {
  const a = {
    model: null, predictions: null, images: null, labels: null,
    scale: 1 / 255, mean: 0.286, std: 0.353, minAgreement: 99, threads: 1, optimizedModel: null,
  };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const v = argv[i + 1];
    const need = () => { if (v === undefined) usage('missing value for ' + k); i++; return v; };
    switch (k) {
      case '--model': a.model = need(); break;
      case '--predictions': a.predictions = need(); break;
      case '--images': a.images = need(); break;
      case '--labels': a.labels = need(); break;
      case '--scale': a.scale = parseFloat(need()); break;
      case '--mean': a.mean = parseFloat(need()); break;
      case '--std': a.std = parseFloat(need()); break;
      case '--min-agreement': a.minAgreement = parseFloat(need()); break;
      case '--threads': a.threads = parseInt(need(), 10); break;
      case '--optimized-model': a.optimizedModel = need(); break;
      case '-h': case '--help': usage(); break;
      default: usage('unknown argument ' + k);
    }
  }
  for (const key of ['model', 'predictions', 'images', 'labels']) {
    if (!a[key]) usage('--' + key + ' is required');
  }
  if (!(a.std !== 0) || !Number.isFinite(a.scale) || !(a.threads >= 1)) usage('bad --scale/--std/--threads');
  return a;
}

// IDX (http://yann.lecun.com/exdb/mnist/): magic 0x0000 08 <ndims>, big-endian uint32 dims, uint8 data.
function readIdx(file) {
  let buf = fs.readFileSync(file);
  if (file.endsWith('.gz')) buf = zlib.gunzipSync(buf);
  if (buf.length < 4 || buf[0] !== 0 || buf[1] !== 0 || buf[2] !== 0x08) {
    throw new Error(file + ': not an IDX file of unsigned bytes');
  }
  const ndims = buf[3];
  const dims = [];
  for (let i = 0; i < ndims; i++) dims.push(buf.readUInt32BE(4 + 4 * i));
  const off = 4 + 4 * ndims;
  const n = dims.reduce((p, d) => p * d, 1);
  if (buf.length - off !== n) throw new Error(file + ': ' + (buf.length - off) + ' data bytes, dims need ' + n);
  return { dims, data: buf.subarray(off) };
}

// .npy (versions 1-3), little-endian int64, C order: the predictions edgeai wrote.
function readNpyInt64(file) {
  const buf = fs.readFileSync(file);
  if (buf.length < 10 || buf[0] !== 0x93 || buf.toString('latin1', 1, 6) !== 'NUMPY') {
    throw new Error(file + ': not a .npy file');
  }
  const major = buf[6];
  const hlen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const hoff = major === 1 ? 10 : 12;
  const header = buf.toString('latin1', hoff, hoff + hlen);
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header);
  const shape = /'shape'\s*:\s*\(([^)]*)\)/.exec(header);
  if (!descr || !shape) throw new Error(file + ': bad .npy header');
  if (descr[1] !== '<i8') throw new Error(file + ': dtype ' + descr[1] + ', need <i8');
  const dims = shape[1].split(',').map((s) => s.trim()).filter((s) => s.length).map((s) => parseInt(s, 10));
  const n = dims.reduce((p, d) => p * d, 1);
  const off = hoff + hlen;
  if (buf.length - off < n * 8) throw new Error(file + ': truncated data');
  const out = new Array(n);
  for (let i = 0; i < n; i++) out[i] = Number(buf.readBigInt64LE(off + 8 * i));
  return out;
}

function argmax(values) {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const ort = requireOrt();
  const images = readIdx(args.images);
  const labels = readIdx(args.labels);
  const edgeai = readNpyInt64(args.predictions);
  if (images.dims.length !== 3) throw new Error(args.images + ': expected [N, H, W] images');
  const [n, h, w] = images.dims;
  if (labels.dims[0] !== n) throw new Error(args.labels + ': ' + labels.dims[0] + ' labels for ' + n + ' images');
  if (edgeai.length !== n) {
    throw new Error(args.predictions + ': ' + edgeai.length + ' predictions for ' + n + ' images');
  }

  const options = {
    executionProviders: ['cpu'],
    intraOpNumThreads: args.threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
  };
  if (args.optimizedModel) options.optimizedModelFilePath = path.resolve(args.optimizedModel);
  const session = await ort.InferenceSession.create(path.resolve(args.model), options);
  const inName = session.inputNames[0];
  const outName = session.outputNames[0];

  const f = Math.fround;
  const scale = f(args.scale);
  const mean = f(args.mean);
  const std = f(args.std);
  const plane = h * w;
  let ortCorrect = 0;
  let edgeaiCorrect = 0;
  let agree = 0;
  const disagreements = [];
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const x = new Float32Array(plane);
    const pixels = images.data.subarray(i * plane, (i + 1) * plane);
    for (let k = 0; k < plane; k++) x[k] = f(f(f(pixels[k] * scale) - mean) / std);
    const out = await session.run({ [inName]: new ort.Tensor('float32', x, [1, 1, h, w]) });
    const predicted = argmax(out[outName].data);
    const label = labels.data[i];
    ortCorrect += predicted === label ? 1 : 0;
    edgeaiCorrect += edgeai[i] === label ? 1 : 0;
    if (predicted === edgeai[i]) agree += 1;
    else if (disagreements.length < 20) disagreements.push({ sample: i, ort: predicted, edgeai: edgeai[i], label });
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const pct = (k) => +(100 * k / n).toFixed(2);
  const result = {
    samples: n,
    agreement_pct: pct(agree),
    disagreements: n - agree,
    ort_top1_pct: pct(ortCorrect),
    edgeai_int8_top1_pct: pct(edgeaiCorrect),
    ort_seconds: +seconds.toFixed(2),
    ort_version: ort.env && ort.env.versions ? ort.env.versions.common : 'unknown',
  };
  process.stderr.write(
    'ONNX Runtime ' + result.ort_version + ' on ' + path.basename(args.model) + ': top-1 ' + result.ort_top1_pct +
    ' %; edgeai int8: top-1 ' + result.edgeai_int8_top1_pct + ' %; same class on ' + agree + ' of ' + n +
    ' samples (' + result.agreement_pct + ' %)\n');
  for (const d of disagreements) {
    process.stderr.write('  sample ' + d.sample + ': ORT ' + d.ort + ', edgeai ' + d.edgeai +
                         ', label ' + d.label + '\n');
  }
  process.stdout.write(JSON.stringify(result) + '\n');
  if (typeof session.release === 'function') await session.release();
  if (result.agreement_pct < args.minAgreement) {
    process.stderr.write('qdq_agreement: agreement ' + result.agreement_pct + ' % is below ' +
                         args.minAgreement + ' %\n');
    process.exit(1);
  }
}

main().catch((e) => {
  process.stderr.write('qdq_agreement: ' + (e && e.stack ? e.stack : e) + '\n');
  process.exit(1);
});
