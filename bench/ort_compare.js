// Runs two ONNX files in ONNX Runtime on the same seeded random input and prints the largest
// difference of their outputs relative to the output's largest magnitude. Used to check that
// `qcv optimize` changes no output (the same file before and after the passes).
// Usage: node bench/ort_compare.js A.onnx B.onnx [batch] [tolerance]
const ort = require('onnxruntime-node');

function seededNormal(n, seed) {
  let s = seed >>> 0;
  const next = () => ((s = (s * 1664525 + 1013904223) >>> 0) + 0.5) / 4294967296;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const r = Math.sqrt(-2 * Math.log(next())), t = 2 * Math.PI * next();
    out[i] = r * Math.cos(t);
    if (i + 1 < n) out[i + 1] = r * Math.sin(t);
  }
  return out;
}

async function run(path, batch) {
  const s = await ort.InferenceSession.create(path, {intraOpNumThreads: 2, graphOptimizationLevel: 'disabled'});
  const meta = s.inputMetadata ? s.inputMetadata[0] : null;
  const dims = meta && meta.shape ? meta.shape.map((d, i) => (typeof d === 'number' && d > 0 ? d : (i === 0 ? batch : 1))) : [batch, 3, 224, 224];
  const n = dims.reduce((a, b) => a * b, 1);
  const out = await s.run({[s.inputNames[0]]: new ort.Tensor('float32', seededNormal(n, 42), dims)});
  return out[s.outputNames[0]];
}

(async () => {
  const [a, b, batchArg, tolArg] = process.argv.slice(2);
  const batch = Number(batchArg || 2), tol = Number(tolArg || 1e-4);
  const ya = await run(a, batch), yb = await run(b, batch);
  if (ya.dims.join() !== yb.dims.join()) throw new Error(`shapes differ: ${ya.dims} vs ${yb.dims}`);
  let maxAbs = 0, maxDiff = 0;
  for (let i = 0; i < ya.data.length; ++i) {
    maxAbs = Math.max(maxAbs, Math.abs(ya.data[i]));
    maxDiff = Math.max(maxDiff, Math.abs(ya.data[i] - yb.data[i]));
  }
  const rel = maxDiff / Math.max(maxAbs, 1e-30);
  console.log(`${a} vs ${b}: output ${ya.dims}, max |diff| / max |y| = ${rel.toExponential(2)} ${rel <= tol ? 'OK' : 'FAIL'}`);
  process.exit(rel <= tol ? 0 : 1);
})().catch(e => { console.error(e.message); process.exit(2); });
