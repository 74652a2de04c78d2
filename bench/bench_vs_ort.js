// Times qcv and ONNX Runtime on the same .onnx files: batch 1, interleaved rounds (each round a
// fresh process per engine), median of the per-round medians, peak RSS of each process.
// Usage: NODE_PATH=bench/node_modules node bench/bench_vs_ort.js [--rounds 5] [--iters 50]
//          [--threads 2] [--spin 1|0] [--qcv build/bench/qcv_bench] MODEL.onnx...
// A model given as FP32.onnx=INT8.onnx (the FP32 file and its QDQ file, e.g. from
// `qcv_qdq resnet50 224 r50.int8.onnx`) gets an FP32 and an INT8 row, timed in the same rounds,
// and a line with each engine's INT8 speed-up.
const {execFileSync} = require('child_process');
const path = require('path');

function median(v) {
  const s = [...v].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function ortWorker(model, iters, threads) {
  const ort = require('onnxruntime-node');
  if (model === '--baseline') {  // node + onnxruntime loaded, no session: the floor of ORT's RSS
    console.log(JSON.stringify({peak_rss_mb: process.resourceUsage().maxRSS / 1024}));
    return;
  }
  // Spinning worker threads are ORT's default; --spin 0 makes them block like qcv's passive mode.
  const spin = process.env.QCV_BENCH_SPIN === '0' ? '0' : '1';
  const c0 = process.hrtime.bigint();  // session creation: file to ready session
  const session = await ort.InferenceSession.create(model, {
    intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all',
    extra: {session: {intra_op: {allow_spinning: spin}}}});
  const create_ms = Number(process.hrtime.bigint() - c0) / 1e6;
  const feeds = {};
  for (const name of session.inputNames) {
    // Input shapes are not exposed by onnxruntime-node: the zoo's NCHW image input is assumed.
    const dims = (process.env.QCV_INPUT_DIMS || '1,3,224,224').split(',').map(Number);
    const data = new Float32Array(dims.reduce((a, b) => a * b, 1)).map(() => Math.random() - 0.5);
    feeds[name] = new ort.Tensor('float32', data, dims);
  }
  for (let i = 0; i < 10; ++i) await session.run(feeds);
  const ms = [];
  for (let i = 0; i < iters; ++i) {
    const t0 = process.hrtime.bigint();
    await session.run(feeds);
    ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  console.log(JSON.stringify({median_ms: median(ms), create_ms,
                              peak_rss_mb: process.resourceUsage().maxRSS / 1024}));
}

function main() {
  const args = process.argv.slice(2);
  if (args[0] === '--ort-worker') return ortWorker(args[1], Number(args[2]), Number(args[3]));
  const opt = {rounds: 5, iters: 50, threads: 2, spin: 1,
               qcv: path.join(__dirname, '..', 'build-runtime', 'bench', 'qcv_bench')};
  const models = [];
  for (let i = 0; i < args.length; ++i) {
    if (args[i].startsWith('--')) opt[args[i].slice(2)] = args[++i];
    else models.push(args[i]);
  }
  // --spin 0: both engines' idle worker threads block instead of spinning (OpenMP's
  // OMP_WAIT_POLICY=PASSIVE, ORT's allow_spinning=0) — much faster on an oversubscribed machine.
  const env = {...process.env, QCV_BENCH_SPIN: String(opt.spin)};
  if (String(opt.spin) === '0') env.OMP_WAIT_POLICY = 'PASSIVE';
  const run = (cmd, argv) =>
    JSON.parse(execFileSync(cmd, argv, {encoding: 'utf8', env}).trim().split('\n').pop());
  const ortRun = m => run(process.execPath, [__filename, '--ort-worker', m, opt.iters, opt.threads]);
  const qcvRun = m => run(opt.qcv, ['time', m, '--threads', opt.threads, '--iters', opt.iters, '--batch', 1]);
  const base = ortRun('--baseline').peak_rss_mb;
  const rows = [];
  const pairs = [];
  const files = [];
  for (const m of models) {
    if (!m.includes('=')) {
      files.push({file: m, label: path.basename(m)});
      continue;
    }
    const [fp32, int8] = m.split('=');
    files.push({file: fp32, label: `${path.basename(fp32)} FP32`});
    files.push({file: int8, label: `${path.basename(int8)} INT8`});
    pairs.push([files.length - 2, files.length - 1]);
  }
  for (const {file: m, label} of files) {
    // q/o: latency; qc/oc: qcv's compile (file to Session) and ORT's session creation.
    const r = {q: [], o: [], qc: [], oc: [], qrss: 0, orss: 0};
    for (let k = 0; k < Number(opt.rounds); ++k) {
      // Alternate which engine goes first so that drift in machine load hits both alike.
      const order = k % 2 ? ['o', 'q'] : ['q', 'o'];
      for (const e of order) {
        const res = e === 'q' ? qcvRun(m) : ortRun(m);
        r[e].push(res.median_ms);
        r[e + 'c'].push(e === 'q' ? res.compile_ms : res.create_ms);
        r[e + 'rss'] = Math.max(r[e + 'rss'], res.peak_rss_mb);
      }
      process.stderr.write(`${path.basename(m)} round ${k + 1}: qcv ${r.q[k].toFixed(2)} ms, ` +
                           `ORT ${r.o[k].toFixed(2)} ms\n`);
    }
    rows.push({model: label, qcv: median(r.q), ort: median(r.o), qrss: r.qrss, orss: r.orss,
               qc: median(r.qc), oc: median(r.oc)});
  }
  console.log(`\nbatch 1, ${opt.threads} threads, ${opt.rounds} rounds x ${opt.iters} iterations ` +
              `(median of medians), ` +
              `${String(opt.spin) === '0' ? 'passive' : 'spinning'} worker threads; node+onnxruntime alone: ${base.toFixed(0)} MB RSS\n`);
  console.log('| model | qcv ms | ORT ms | qcv/ORT | qcv peak RSS MB | ORT peak RSS MB | ' +
              'qcv compile ms | ORT session ms | compile/session |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const r of rows)
    console.log(`| ${r.model} | ${r.qcv.toFixed(2)} | ${r.ort.toFixed(2)} | ${(r.qcv / r.ort).toFixed(2)} | ` +
                `${r.qrss.toFixed(0)} | ${r.orss.toFixed(0)} | ${r.qc.toFixed(0)} | ${r.oc.toFixed(0)} | ` +
                `${(r.qc / r.oc).toFixed(2)} |`);
  for (const [f, q] of pairs)
    console.log(`\n${rows[q].model}: INT8 speed-up over FP32: qcv ` +
                `${(rows[f].qcv / rows[q].qcv).toFixed(2)}x, ORT ${(rows[f].ort / rows[q].ort).toFixed(2)}x`);
}

Promise.resolve(main()).catch(e => { console.error(e.message || e); process.exit(1); });
