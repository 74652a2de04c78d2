// Top-1 of a model in ONNX Runtime on the exact tensors qcv evaluated, beside qcv's own top-1:
//   qcv eval MODEL.onnx --dump DIR        (writes DIR/inputs.npy, labels.npy, logits.npy)
//   NODE_PATH=bench/node_modules node bench/eval_ort.js MODEL.onnx DIR [--batch 100] [--threads 2]
//       [--opt all|extended|basic|disabled]   (ORT graph optimizations; disabled: op by op, i.e.
//                                              ONNX's reference semantics of Q/DQ in float)
// Prints one JSON line: both top-1s (percent), their difference in points, the share of images
// whose predicted class agrees, and the largest |logit difference|.
const ort = require('onnxruntime-node');
const {readNpy} = require('./npy.js');

function argmax(a, offset, n) {
  let best = 0;
  for (let j = 1; j < n; ++j)
    if (a[offset + j] > a[offset + best]) best = j;
  return best;
}

async function main() {
  const args = process.argv.slice(2);
  const opt = {batch: 100, threads: 2, opt: 'all'};
  const pos = [];
  for (let i = 0; i < args.length; ++i) {
    if (args[i] === '--opt') opt.opt = args[++i];
    else if (args[i].startsWith('--')) opt[args[i].slice(2)] = Number(args[++i]);
    else pos.push(args[i]);
  }
  if (pos.length !== 2) {
    console.error('usage: node bench/eval_ort.js MODEL.onnx DUMP_DIR [--batch N] [--threads N]');
    process.exit(2);
  }
  const [model, dir] = pos;
  const inputs = readNpy(`${dir}/inputs.npy`);
  const labels = readNpy(`${dir}/labels.npy`);
  const qcvLogits = readNpy(`${dir}/logits.npy`);
  const session = await ort.InferenceSession.create(
      model, {intraOpNumThreads: opt.threads, graphOptimizationLevel: opt.opt});
  const n = inputs.dims[0];
  const per = inputs.data.length / n;
  const classes = qcvLogits.data.length / n;
  let ortCorrect = 0, qcvCorrect = 0, agree = 0, maxDiff = 0;
  for (let start = 0; start < n; start += opt.batch) {
    const count = Math.min(opt.batch, n - start);
    const x = new ort.Tensor('float32', inputs.data.subarray(start * per, (start + count) * per),
                             [count, ...inputs.dims.slice(1)]);
    const out = (await session.run({[session.inputNames[0]]: x}))[session.outputNames[0]].data;
    if (out.length !== count * classes)
      throw new Error(`${model}: ORT output has ${out.length / count} classes, qcv ${classes}`);
    for (let i = 0; i < count; ++i) {
      const k = start + i, label = Number(labels.data[k]);
      const o = argmax(out, i * classes, classes), q = argmax(qcvLogits.data, k * classes, classes);
      ortCorrect += o === label;
      qcvCorrect += q === label;
      agree += o === q;
      for (let j = 0; j < classes; ++j)
        maxDiff = Math.max(maxDiff, Math.abs(out[i * classes + j] - qcvLogits.data[k * classes + j]));
    }
  }
  const ortTop1 = 100 * ortCorrect / n, qcvTop1 = 100 * qcvCorrect / n;
  console.log(JSON.stringify({model, ort_optimization: opt.opt, images: n, ort_top1: ortTop1, qcv_top1: qcvTop1,
                              diff_points: qcvTop1 - ortTop1, prediction_agreement: 100 * agree / n,
                              max_abs_logit_diff: maxDiff}));
}

main().catch(e => { console.error(e.message || e); process.exit(1); });
