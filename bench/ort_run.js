// Runs ONNX Runtime on one float32 .npy input and writes the first output as float32 .npy, for
// parity checks against qcv. Self-contained .npy v1/v2 reading and v1.0 writing (C order only).
// Usage: NODE_PATH=bench/node_modules node bench/ort_run.js MODEL.onnx INPUT.npy OUT.npy [threads]
const fs = require('fs');
const ort = require('onnxruntime-node');

function readNpyFloat32(path) {
  const buf = fs.readFileSync(path);
  if (buf.length < 10 || buf.toString('latin1', 0, 6) !== '\x93NUMPY')
    throw new Error(`${path}: not a .npy file`);
  const major = buf[6];
  const offset = major === 1 ? 10 : 12;
  const headerLen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const header = buf.toString('latin1', offset, offset + headerLen);
  const descr = (/'descr':\s*'([^']+)'/.exec(header) || [])[1];
  if (descr !== '<f4') throw new Error(`${path}: dtype ${descr}, expected float32 ('<f4')`);
  if (/'fortran_order':\s*True/.test(header))
    throw new Error(`${path}: Fortran order is not supported`);
  const shapeText = (/'shape':\s*\(([^)]*)\)/.exec(header) || [])[1];
  if (shapeText === undefined) throw new Error(`${path}: no shape in the header`);
  const dims = shapeText.split(',').map(s => s.trim()).filter(s => s.length).map(Number);
  const count = dims.reduce((a, b) => a * b, 1);
  const start = offset + headerLen;
  if (buf.length - start !== 4 * count)
    throw new Error(`${path}: ${buf.length - start} data bytes for shape (${dims})`);
  const data = new Float32Array(count);
  Buffer.from(data.buffer).set(buf.subarray(start));  // copy: the file's data may be unaligned
  return {data, dims};
}

function writeNpyFloat32(path, data, dims) {
  const shape = dims.length === 1 ? `(${dims[0]},)` : `(${dims.join(', ')})`;
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': ${shape}, }`;
  header += ' '.repeat(63 - ((10 + header.length) % 64)) + '\n';  // data starts 64-byte aligned
  const pre = Buffer.alloc(10);
  pre.write('\x93NUMPY', 0, 'latin1');
  pre[6] = 1;
  pre[7] = 0;
  pre.writeUInt16LE(header.length, 8);
  const tmp = `${path}.tmp.${process.pid}`;  // atomic: temp file + rename
  const payload = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  fs.writeFileSync(tmp, Buffer.concat([pre, Buffer.from(header, 'latin1'), payload]));
  fs.renameSync(tmp, path);
}

async function main() {
  const [model, input, output, threadsArg] = process.argv.slice(2);
  if (!output)
    throw new Error('usage: node bench/ort_run.js MODEL.onnx INPUT.npy OUT.npy [threads]');
  const threads = Number(threadsArg || 1);
  const session = await ort.InferenceSession.create(
      model, {intraOpNumThreads: threads, interOpNumThreads: 1});
  if (session.inputNames.length !== 1)
    throw new Error(`${model}: ${session.inputNames.length} graph inputs, expected 1`);
  const x = readNpyFloat32(input);
  const feeds = {[session.inputNames[0]]: new ort.Tensor('float32', x.data, x.dims)};
  const results = await session.run(feeds);
  const y = results[session.outputNames[0]];
  const data = y.data instanceof Float32Array ? y.data : Float32Array.from(y.data, Number);
  writeNpyFloat32(output, data, y.dims);
}

main().catch(e => {
  console.error(`ort_run: ${e.message}`);
  process.exit(1);
});
