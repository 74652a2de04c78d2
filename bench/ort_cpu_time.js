// CPU time (process user + system) per ONNX Runtime inference at batch 1: on a machine other
// processes keep busy, wall time measures the scheduler; at 1 thread CPU time measures the work.
// Usage: NODE_PATH=bench/node_modules node bench/ort_cpu_time.js MODEL.onnx ITERS THREADS
const ort = require('onnxruntime-node');
(async () => {
  const [model, iters, threads] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4])];
  const s = await ort.InferenceSession.create(
      model, {intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all'});
  const dims = (process.env.QCV_INPUT_DIMS || '1,3,224,224').split(',').map(Number);
  const data = new Float32Array(dims.reduce((a, b) => a * b, 1)).map(() => Math.random() - 0.5);
  const feeds = {[s.inputNames[0]]: new ort.Tensor('float32', data, dims)};
  for (let i = 0; i < 10; ++i) await s.run(feeds);
  const c0 = process.cpuUsage(), t0 = process.hrtime.bigint();
  for (let i = 0; i < iters; ++i) await s.run(feeds);
  const c = process.cpuUsage(c0), t = Number(process.hrtime.bigint() - t0) / 1e6;
  console.log(JSON.stringify({cpu_ms: (c.user + c.system) / 1000 / iters, wall_ms: t / iters}));
})();
