// Batch throughput of qcv and ONNX Runtime on the same .onnx files: for each batch size, images/s
// (wall time of the timed runs) and CPU milliseconds per image (process user + system time of the
// same runs: on a machine other processes keep busy, wall time measures the scheduler too).
// Interleaved rounds, a fresh process per engine, model and size; medians over the rounds.
// Usage: NODE_PATH=bench/node_modules node bench/batch_vs_ort.js [--batch 1,4,16,64]
//          [--threads 2] [--rounds 3] [--images 64] [--whole 1] [--qcv build/src/cli/qcv] MODEL.onnx...
// --whole 1 adds qcv with --whole-batch (each layer split over all threads, no batch slices).
// A model given as FP32.onnx=INT8.onnx gets an FP32 and an INT8 row per size. Each size runs
// max(3, images / batch) timed iterations after 2 untimed ones. The load average is printed
// before and after: ratios are only meaningful between runs of the same round.
const {execFileSync} = require('child_process');
const os = require('os');
const path = require('path');

function median(v) {
  const s = [...v].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function ortWorker(model, batch, iters, threads) {
  const ort = require('onnxruntime-node');
  const spin = process.env.QCV_BENCH_SPIN === '0' ? '0' : '1';
  const session = await ort.InferenceSession.create(model, {
    intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all',
    extra: {session: {intra_op: {allow_spinning: spin}}}});
  const feeds = {};
  for (const name of session.inputNames) {
    // Input shapes are not exposed by onnxruntime-node: an NCHW image input is assumed.
    const dims = [batch, ...(process.env.QCV_IMAGE_DIMS || '3,224,224').split(',').map(Number)];
    const data = new Float32Array(dims.reduce((a, b) => a * b, 1)).map(() => Math.random() - 0.5);
    feeds[name] = new ort.Tensor('float32', data, dims);
  }
  for (let i = 0; i < 2; ++i) await session.run(feeds);
  const c0 = process.cpuUsage(), t0 = process.hrtime.bigint();
  for (let i = 0; i < iters; ++i) await session.run(feeds);
  const cpu = process.cpuUsage(c0), wall_s = Number(process.hrtime.bigint() - t0) / 1e9;
  console.log(JSON.stringify({throughput: batch * iters / wall_s,
                              cpu_ms_per_image: (cpu.user + cpu.system) / 1000 / (batch * iters)}));
}

function main() {
  const args = process.argv.slice(2);
  if (args[0] === '--ort-worker')
    return ortWorker(args[1], Number(args[2]), Number(args[3]), Number(args[4]));
  const opt = {batch: '1,4,16,64', threads: 2, rounds: 3, images: 64, spin: 1,
               qcv: path.join(__dirname, '..', 'build', 'src', 'cli', 'qcv')};
  const models = [];
  for (let i = 0; i < args.length; ++i) {
    if (args[i].startsWith('--')) opt[args[i].slice(2)] = args[++i];
    else models.push(args[i]);
  }
  const sizes = String(opt.batch).split(',').map(Number);
  if (sizes.some(b => !Number.isInteger(b) || b < 1)) throw new Error(`--batch ${opt.batch}: positive integers`);
  const env = {...process.env, QCV_BENCH_SPIN: String(opt.spin)};
  if (String(opt.spin) === '0') env.OMP_WAIT_POLICY = 'PASSIVE';
  const last = out => JSON.parse(out.trim().split('\n').pop());
  const iters = b => Math.max(3, Math.ceil(Number(opt.images) / b));
  const qcvRun = (m, b, whole) => last(execFileSync(opt.qcv, [
    'bench', m, '--batch', b, '--threads', opt.threads, '--iters', iters(b), '--warmup', 2, '--json',
    ...(whole ? ['--whole-batch'] : [])], {encoding: 'utf8', env}));
  const whole = String(opt.whole || '0') === '1';
  const ortRun = (m, b) => last(execFileSync(process.execPath, [
    __filename, '--ort-worker', m, b, iters(b), opt.threads], {encoding: 'utf8', env}));
  const files = [];
  for (const m of models) {
    if (!m.includes('=')) {
      files.push({file: m, label: path.basename(m)});
      continue;
    }
    const [fp32, int8] = m.split('=');
    files.push({file: fp32, label: `${path.basename(fp32)} FP32`});
    files.push({file: int8, label: `${path.basename(int8)} INT8`});
  }
  const load0 = os.loadavg();
  const rows = [];
  for (const {file, label} of files) {
    for (const b of sizes) {
      const r = {q: [], o: [], w: [], qc: [], oc: [], wc: []};
      for (let k = 0; k < Number(opt.rounds); ++k) {
        // Alternate which engine goes first so that drift in machine load hits both alike.
        const order = k % 2 ? ['o', 'q', 'w'] : ['w', 'q', 'o'];
        for (const e of order.filter(e => e !== 'w' || whole)) {
          const res = e === 'o' ? ortRun(file, b) : qcvRun(file, b, e === 'w');
          r[e].push(res.throughput);
          r[e + 'c'].push(res.cpu_ms_per_image);
        }
        process.stderr.write(`${label} batch ${b} round ${k + 1}: qcv ${r.q[k].toFixed(1)}, ` +
                             `ORT ${r.o[k].toFixed(1)}` +
                             (whole ? `, qcv whole-batch ${r.w[k].toFixed(1)}` : '') + ' images/s\n');
      }
      // Ratios per round (both engines timed side by side), then their median.
      rows.push({label, b, q: median(r.q), o: median(r.o), qc: median(r.qc), oc: median(r.oc),
                 ratio: median(r.q.map((q, k) => q / r.o[k])),
                 cratio: median(r.qc.map((q, k) => r.oc[k] / q)),
                 w: whole ? median(r.w) : 0, wratio: whole ? median(r.w.map((w, k) => w / r.o[k])) : 0});
    }
  }
  const load1 = os.loadavg();
  console.log(`\n${opt.threads} threads, ${opt.rounds} rounds, ${opt.images} images per size ` +
              `(at least 3 runs), ${String(opt.spin) === '0' ? 'passive' : 'spinning'} worker threads; ` +
              `${os.cpus().length} CPUs, load average ${load0[0].toFixed(1)} before, ` +
              `${load1[0].toFixed(1)} after\n`);
  console.log('| model | batch | qcv images/s | ORT images/s | qcv/ORT images/s | qcv CPU ms/image | ' +
              'ORT CPU ms/image | ORT/qcv CPU time |' +
              (whole ? ' qcv whole-batch images/s | whole-batch/ORT |' : ''));
  console.log('|---|---|---|---|---|---|---|---|' + (whole ? '---|---|' : ''));
  for (const r of rows)
    console.log(`| ${r.label} | ${r.b} | ${r.q.toFixed(1)} | ${r.o.toFixed(1)} | ${r.ratio.toFixed(2)} | ` +
                `${r.qc.toFixed(2)} | ${r.oc.toFixed(2)} | ${r.cratio.toFixed(2)} |` +
                (whole ? ` ${r.w.toFixed(1)} | ${r.wratio.toFixed(2)} |` : ''));
}

Promise.resolve(main()).catch(e => { console.error(e.message || e); process.exit(1); });
