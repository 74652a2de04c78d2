// Runs ONNX Runtime on one float32 .npy input and writes the first output as float32 .npy, for
// parity checks against qcv. (.npy files through bench/npy.js.)
// Usage: NODE_PATH=bench/node_modules node bench/ort_run.js MODEL.onnx INPUT.npy OUT.npy [threads]
const ort = require('onnxruntime-node');
const {readNpy, writeNpy} = require('./npy.js');

async function main() {
  const [model, input, output, threadsArg] = process.argv.slice(2);
  if (!output)
    throw new Error('usage: node bench/ort_run.js MODEL.onnx INPUT.npy OUT.npy [threads]');
  const threads = Number(threadsArg || 1);
  const session = await ort.InferenceSession.create(
      model, {intraOpNumThreads: threads, interOpNumThreads: 1});
  if (session.inputNames.length !== 1)
    throw new Error(`${model}: ${session.inputNames.length} graph inputs, expected 1`);
  const x = readNpy(input);
  if (x.type !== 'float32') throw new Error(`${input}: dtype ${x.type}, expected float32`);
  const feeds = {[session.inputNames[0]]: new ort.Tensor('float32', x.data, x.dims)};
  const results = await session.run(feeds);
  const y = results[session.outputNames[0]];
  const data = y.data instanceof Float32Array ? y.data : Float32Array.from(y.data, Number);
  writeNpy(output, data, y.dims);
}

main().catch(e => {
  console.error(`ort_run: ${e.message}`);
  process.exit(1);
});
