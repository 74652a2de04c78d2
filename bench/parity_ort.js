// Parity with ONNX Runtime: exports zoo models at 224 with qcv, runs the same random input through
// ORT (bench/ort_run.js) and qcv (qcv_bench run), and checks max|qcv - ort| / max|ort| <= 1e-4.
// Usage: NODE_PATH=bench/node_modules node bench/parity_ort.js [--qcv PATH] [--dir DIR] [MODEL...]
const {execFileSync} = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const {readNpy, writeNpy} = require('./npy.js');

function main() {
  const args = process.argv.slice(2);
  const opt = {qcv: path.join(__dirname, '..', 'build-runtime', 'bench', 'qcv_bench'),
               dir: fs.mkdtempSync(path.join(os.tmpdir(), 'qcv-parity-'))};
  let models = [];
  for (let i = 0; i < args.length; ++i) {
    if (args[i].startsWith('--')) opt[args[i].slice(2)] = args[++i];
    else models.push(args[i]);
  }
  if (!models.length)
    models = ['mobilenet_v1', 'mobilenet_v2', 'mobilenet_v3_large', 'mobilenet_v3_small',
              'resnet18', 'resnet50', 'resnet50_v2'];
  let failed = 0;
  for (const name of models) {
    const model = path.join(opt.dir, `${name}.onnx`);
    const input = path.join(opt.dir, 'input.npy');
    const ortOut = path.join(opt.dir, `${name}.ort.npy`), qcvOut = path.join(opt.dir, `${name}.qcv.npy`);
    execFileSync(opt.qcv, ['export', name, '224', model]);
    const dims = [2, 3, 224, 224];
    let seed = 12345;
    const x = new Float32Array(dims.reduce((a, b) => a * b, 1)).map(() => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648 * 4 - 2;
    });
    writeNpy(input, x, dims);
    execFileSync(process.execPath, [path.join(__dirname, 'ort_run.js'), model, input, ortOut, '2']);
    execFileSync(opt.qcv, ['run', model, input, qcvOut, '2']);
    const a = readNpy(qcvOut), b = readNpy(ortOut);
    let diff = 0, scale = 1e-12;
    if (a.data.length !== b.data.length) diff = Infinity;
    for (let i = 0; i < b.data.length; ++i) {
      diff = Math.max(diff, Math.abs(a.data[i] - b.data[i]));
      scale = Math.max(scale, Math.abs(b.data[i]));
    }
    const rel = diff / scale, ok = rel <= 1e-4;
    if (!ok) ++failed;
    console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}: max relative error ${rel.toExponential(2)} ` +
                `(max |ort| ${scale.toExponential(2)}, batch 2, 224x224)`);
    fs.rmSync(model);
  }
  fs.rmSync(opt.dir, {recursive: true, force: true});
  process.exit(failed ? 1 : 0);
}

main();
