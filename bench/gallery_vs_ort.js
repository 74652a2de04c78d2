// qcv against ONNX Runtime on third-party-style ONNX files (bench/gallery/, bench/gallery.sh).
// Per file, in one run:
//   loads   `qcv info FILE` succeeds (else the table shows its one-line error);
//   FP32    max|qcv - ORT| / max|ORT| over a few random images (target <= 1e-4);
//   INT8    top-1 agreement with ORT over --images random images (target >= 99%), beside the
//           agreement of ORT's optimized run with its op-by-op run (graph optimizations disabled):
//           two correct engines round requantized activations differently, and on a random-weight
//           net with 1000 classes a step's difference flips near ties;
//   latency batch 1, --threads threads, qcv (qcv_bench time) and ORT in interleaved rounds, each
//           a fresh process (the method of bench/bench_vs_ort.js);
//   PTQ     FP32 files only: `qcv ptq` on a folder of random PNGs writes a QDQ file; qcv's and
//           ORT's top-1 on it agree (and how often they agree with the FP32 model's top-1).
// Random images (randomImages below) differ in their large-scale content, so that top-1 varies
// between them ("distinct" counts ORT's classes).
// Usage: NODE_PATH=bench/node_modules node bench/gallery_vs_ort.js [--qcv build/src/cli/qcv]
//          [--bench build/bench/qcv_bench] [--threads 2] [--rounds 3] [--iters 30] [--images 100]
//          [--fp32-images 4] [--ptq 1] [--ptq-images 32] [--spin 1|0] [--work DIR]
//          [--json OUT.json] FILE.onnx...
const {execFileSync} = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const ort = require('onnxruntime-node');
const {readNpy, writeNpy} = require('./npy.js');
const {writeRandomPngs} = require('./gallery/png.js');

const QUANT_OPS = ['QuantizeLinear', 'DequantizeLinear', 'QLinearConv', 'QLinearMatMul', 'ConvInteger',
                   'MatMulInteger', 'QLinearAdd', 'DynamicQuantizeLinear'];

function median(v) {
  const s = [...v].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

// Seeded uniform and normal generators (an LCG, Box-Muller), so that runs see the same images.
function rng(seed) {
  let s = seed >>> 0;
  const uniform = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) + 0.5) / 4294967296;
  const normal = () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
  return {uniform, normal};
}

// Random images: per image and channel a brightness ~ N(0,1) and a contrast ~ U(0.2,1.5) times a
// smooth pattern (an 8x8 grid of N(0,1), nearest-upsampled) plus N(0,0.5) pixel noise
// (bench/gallery/numpy_eval.py's random_images draws the same way).
function randomImages(n, res, nhwc, seed) {
  const g = rng(seed);
  const x = new Float32Array(n * 3 * res * res);
  const cell = Array.from({length: res}, (_, i) => Math.floor(i * 8 / res));
  for (let i = 0; i < n; ++i)
    for (let c = 0; c < 3; ++c) {
      const contrast = 0.2 + 1.3 * g.uniform(), bright = g.normal();
      const grid = Array.from({length: 64}, () => g.normal());
      for (let p = 0; p < res * res; ++p) {
        const idx = nhwc ? (i * res * res + p) * 3 + c : (i * 3 + c) * res * res + p;
        const v = grid[cell[Math.floor(p / res)] * 8 + cell[p % res]] + 0.5 * g.normal();
        x[idx] = bright + contrast * v;
      }
    }
  return x;
}

function argmaxRows(data, rows) {
  const k = data.length / rows, out = [];
  for (let r = 0; r < rows; ++r) {
    let best = 0;
    for (let j = 1; j < k; ++j)
      if (data[r * k + j] > data[r * k + best]) best = j;
    out.push(best);
  }
  return out;
}

function firstLine(e) {
  const text = `${e.stderr || ''}`.trim() || `${e.message || e}`;
  return text.split('\n').filter(l => l.trim()).slice(-1)[0].replace(/^qcv: error: /, '').slice(0, 300);
}

// opt 'disabled' runs the file op by op (QDQ pairs in float: ONNX's reference semantics), 'all'
// with ORT's fused int8 kernels; their disagreement is the floor any second engine can reach.
async function ortRun(model, x, dims, threads, opt = 'all') {
  const s = await ort.InferenceSession.create(
      model, {intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: opt});
  const out = await s.run({[s.inputNames[0]]: new ort.Tensor('float32', x, dims)});
  const y = out[s.outputNames[0]];
  return Float32Array.from(y.data, Number);
}

function qcvRun(opt, model, x, dims, tag) {
  const inp = path.join(opt.work, `${tag}.in.npy`), out = path.join(opt.work, `${tag}.qcv.npy`);
  writeNpy(inp, x, dims);
  execFileSync(opt.qcv, ['run', model, '-i', inp, '-o', out, '--threads', String(opt.threads)],
               {stdio: ['ignore', 'ignore', 'pipe']});
  return readNpy(out).data;
}

function maxRelDiff(a, b) {
  if (a.length !== b.length) return Infinity;
  let diff = 0, scale = 1e-12;
  for (let i = 0; i < b.length; ++i) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / scale;
}

// Disagreements where ORT's output has a tie at the top (qcv's class scores exactly ORT's
// maximum): a quantized output often puts two classes on the same level.
function ties(qTop, oTop, ortOut) {
  const k = ortOut.length / oTop.length;
  let n = 0;
  for (let i = 0; i < oTop.length; ++i)
    n += qTop[i] !== oTop[i] && ortOut[i * k + qTop[i]] === ortOut[i * k + oTop[i]];
  return n;
}

function agreement(a, b) {
  let n = 0;
  for (let i = 0; i < a.length; ++i) n += a[i] === b[i];
  return 100 * n / a.length;
}

// Interleaved latency rounds (the ORT side is bench_vs_ort.js's worker, fed QCV_INPUT_DIMS).
function latency(opt, model, dims) {
  // --spin 0: both engines' idle threads block (OMP_WAIT_POLICY=PASSIVE, ORT allow_spinning=0),
  // the fair setting on a busy machine; 1 (default): each engine's own default.
  const env = {...process.env, QCV_INPUT_DIMS: [1, ...dims.slice(1)].join(','),
               QCV_BENCH_SPIN: String(opt.spin)};
  if (String(opt.spin) === '0') env.OMP_WAIT_POLICY = 'PASSIVE';
  const run = (cmd, argv) =>
    JSON.parse(execFileSync(cmd, argv, {encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'pipe']})
                   .trim().split('\n').pop()).median_ms;
  const q = [], o = [];
  for (let k = 0; k < opt.rounds; ++k) {
    const order = k % 2 ? ['o', 'q'] : ['q', 'o'];
    for (const e of order) {
      if (e === 'q')
        q.push(run(opt.bench, ['time', model, '--threads', opt.threads, '--iters', opt.iters, '--batch', 1]));
      else
        o.push(run(process.execPath, [path.join(__dirname, 'bench_vs_ort.js'), '--ort-worker', model,
                                      opt.iters, opt.threads]));
    }
  }
  return {qcv_ms: median(q), ort_ms: median(o)};
}

async function oneFile(opt, file) {
  const row = {file: path.basename(file), notes: []};
  const bytes = fs.readFileSync(file);
  row.kind = QUANT_OPS.some(op => bytes.includes(op)) ? 'int8' : 'fp32';
  const meta = (await ort.InferenceSession.create(file)).inputMetadata[0];
  const shape = meta.shape.map(d => (typeof d === 'number' && d > 0 ? d : 1));
  const nhwc = shape.length === 4 && shape[3] === 3 && shape[1] !== 3;
  const res = nhwc ? shape[1] : shape[2];
  row.input = `${nhwc ? 'NHWC' : 'NCHW'} ${res}x${res}`;
  const tag = row.file.replace(/\.onnx$/, '');
  try {
    execFileSync(opt.qcv, ['info', file], {stdio: ['ignore', 'ignore', 'pipe']});
    row.loads = true;
  } catch (e) {
    row.loads = false;
    row.notes.push(`info: ${firstLine(e)}`);
  }
  const n = row.kind === 'int8' ? opt.images : opt.fp32Images;
  const dims = [n, ...shape.slice(1)];
  const x = randomImages(n, res, nhwc, 7);
  const ortOut = await ortRun(file, x, dims, opt.threads);
  const ortTop = argmaxRows(ortOut, n);
  row.distinct = new Set(ortTop).size;
  if (row.kind === 'int8')
    row.ort_floor = agreement(argmaxRows(await ortRun(file, x, dims, opt.threads, 'disabled'), n), ortTop);
  // `qcv info` also counts MACs, which can fail where running works: run whatever it said.
  try {
    const q = qcvRun(opt, file, x, dims, tag);
    row.runs = true;
    if (row.kind === 'fp32') row.max_rel_diff = maxRelDiff(q, ortOut);
    else {
      const qTop = argmaxRows(q, n);
      row.top1_agreement = agreement(qTop, ortTop);
      row.ties = ties(qTop, ortTop, ortOut);
      row.differ = qTop.filter((c, i) => c !== ortTop[i]).length;
    }
  } catch (e) {
    row.runs = false;
    row.notes.push(`run: ${firstLine(e)}`);
  }
  if (row.runs) {
    try {
      Object.assign(row, latency(opt, file, dims));
    } catch (e) {
      row.notes.push(`latency: ${firstLine(e)}`);
    }
  }
  if (row.kind === 'fp32' && opt.ptq && row.runs) {
    const qdq = path.join(opt.work, `${tag}.ptq.onnx`);
    try {
      // PNG pixel p = 127.5 + 50 x: with mean 0.5 and std 50/255 qcv feeds x back.
      const pngs = path.join(opt.work, `png${res}`);
      if (!fs.existsSync(pngs)) writeRandomPngs(pngs, opt.ptqImages, res, 11);
      execFileSync(opt.qcv, ['ptq', file, '--calib', pngs, '--images', String(opt.ptqImages),
                             '--resolution', String(res), '--channels', '3', '--mean', '0.5',
                             '--std', String(50 / 255), '--scheme', 'onnxruntime', '-o', qdq,
                             '--threads', String(opt.threads)],
                   {stdio: ['ignore', 'ignore', 'pipe']});
      const m = opt.images, pdims = [m, ...shape.slice(1)];
      const px = randomImages(m, res, nhwc, 9);
      const fpTop = argmaxRows(await ortRun(file, px, pdims, opt.threads), m);
      const oTop = argmaxRows(await ortRun(qdq, px, pdims, opt.threads), m);
      const floorTop = argmaxRows(await ortRun(qdq, px, pdims, opt.threads, 'disabled'), m);
      const qTop = argmaxRows(qcvRun(opt, qdq, px, pdims, `${tag}.ptq`), m);
      row.ptq = {qcv_vs_ort: agreement(qTop, oTop), ort_floor: agreement(floorTop, oTop),
                 ort_vs_fp32: agreement(oTop, fpTop), qcv_vs_fp32: agreement(qTop, fpTop)};
    } catch (e) {
      row.notes.push(`ptq: ${firstLine(e)}`);
    }
  }
  return row;
}

function fmt(v, digits, suffix = '') {
  return v === undefined ? '—' : `${v.toFixed(digits)}${suffix}`;
}

function table(rows, opt) {
  const lines = [
    `batch-1 latency: ${opt.threads} threads, ${opt.rounds} interleaved rounds x ${opt.iters} iterations ` +
        `(median), ${String(opt.spin) === '0' ? 'passive' : 'spinning'} worker threads; FP32 parity on ${opt.fp32Images} images, INT8 and PTQ top-1 on ${opt.images}\n`,
    '| file | kind | input | qcv info / run | FP32 max rel diff | INT8 top-1 agreement (ORT floor) | ' +
        'distinct top-1 (ORT) | qcv ms | ORT ms | qcv/ORT | PTQ: qcv vs ORT top-1 (ORT floor) | ' +
        'PTQ vs FP32 top-1 (ORT / qcv) |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|'];
  for (const r of rows) {
    const rel = r.max_rel_diff === undefined ? '—' :
        `${r.max_rel_diff.toExponential(1)} ${r.max_rel_diff <= 1e-4 ? 'ok' : 'FAIL'}`;
    const agree = r.top1_agreement === undefined ? '—' :
        `${r.top1_agreement.toFixed(0)}% ${r.top1_agreement >= 99 ? 'ok' : 'FAIL'} (${r.ort_floor.toFixed(0)}%)` +
        (r.ties ? `, ${r.ties} of ${r.differ} differences are ties in ORT` : '');
    const ratio = r.qcv_ms && r.ort_ms ? (r.qcv_ms / r.ort_ms).toFixed(2) : '—';
    const yn = v => (v ? 'yes' : 'no');
    lines.push(`| ${r.file} | ${r.kind} | ${r.input} | ${yn(r.loads)} / ${yn(r.runs)} | ${rel} | ${agree} | ` +
               `${r.distinct} | ${fmt(r.qcv_ms, 2)} | ${fmt(r.ort_ms, 2)} | ${ratio} | ` +
               `${r.ptq ? `${r.ptq.qcv_vs_ort.toFixed(0)}% (${r.ptq.ort_floor.toFixed(0)}%)` : '—'} | ` +
               `${r.ptq ? `${r.ptq.ort_vs_fp32.toFixed(0)}% / ${r.ptq.qcv_vs_fp32.toFixed(0)}%` : '—'} |`);
  }
  const notes = rows.filter(r => r.notes.length);
  if (notes.length) {
    lines.push('\nWhat failed:');
    for (const r of notes)
      for (const n of r.notes) lines.push(`- ${r.file}: ${n}`);
  }
  return lines.join('\n');
}

async function main() {
  const args = process.argv.slice(2);
  const root = path.join(__dirname, '..');
  const opt = {qcv: path.join(root, 'build', 'src', 'cli', 'qcv'),
               bench: path.join(root, 'build', 'bench', 'qcv_bench'), threads: 2, rounds: 3,
               iters: 30, images: 100, 'fp32-images': 4, ptq: 1, spin: 1, 'ptq-images': 32, work: '', json: ''};
  const files = [];
  for (let i = 0; i < args.length; ++i) {
    if (args[i].startsWith('--')) opt[args[i].slice(2)] = args[++i];
    else files.push(args[i]);
  }
  if (!files.length) {
    console.error('usage: node bench/gallery_vs_ort.js [options] FILE.onnx...');
    process.exit(2);
  }
  for (const k of ['threads', 'rounds', 'iters', 'images', 'ptq']) opt[k] = Number(opt[k]);
  opt.fp32Images = Number(opt['fp32-images']);
  opt.ptqImages = Number(opt['ptq-images']);
  opt.work = opt.work || fs.mkdtempSync(path.join(os.tmpdir(), 'qcv-gallery-'));
  fs.mkdirSync(opt.work, {recursive: true});
  const rows = [];
  for (const f of files) {
    process.stderr.write(`${path.basename(f)} ...\n`);
    rows.push(await oneFile(opt, f));
  }
  console.log(table(rows, opt));
  if (opt.json) fs.writeFileSync(opt.json, JSON.stringify(rows, null, 1));
}

main().catch(e => {
  console.error(`gallery_vs_ort: ${e.message || e}`);
  process.exit(1);
});
