// Minimal .npy (v1/v2, little endian, C order) reader and writer for the node peers.
const fs = require('fs');

const TYPES = {'<f4': ['float32', Float32Array], '<i8': ['int64', BigInt64Array],
               '|u1': ['uint8', Uint8Array], '|i1': ['int8', Int8Array], '<i4': ['int32', Int32Array]};

function readNpy(path) {
  const buf = fs.readFileSync(path);
  if (buf.toString('latin1', 0, 6) !== '\x93NUMPY') throw new Error(`${path}: not a .npy file`);
  const major = buf[6];
  const headerLen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const offset = major === 1 ? 10 : 12;
  const header = buf.toString('latin1', offset, offset + headerLen);
  const descr = /'descr':\s*'([^']+)'/.exec(header)[1];
  const shape = /'shape':\s*\(([^)]*)\)/.exec(header)[1].split(',').map(s => s.trim()).filter(s => s).map(Number);
  const [type, Ctor] = TYPES[descr] || (() => { throw new Error(`${path}: unsupported dtype ${descr}`); })();
  const start = offset + headerLen;
  const bytes = buf.subarray(start);
  const data = new Ctor(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  return {type, data, dims: shape};
}

function writeNpy(path, data, dims) {
  const descr = Object.keys(TYPES).find(k => data instanceof TYPES[k][1]);
  const shape = dims.length === 1 ? `(${dims[0]},)` : `(${dims.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - total % 64) % 64) + '\n';
  const pre = Buffer.alloc(10);
  pre.write('\x93NUMPY', 0, 'latin1');
  pre[6] = 1; pre[7] = 0;
  pre.writeUInt16LE(header.length, 8);
  const tmp = `${path}.tmp.${process.pid}`;
  fs.writeFileSync(tmp, Buffer.concat([pre, Buffer.from(header, 'latin1'),
                                       Buffer.from(data.buffer, data.byteOffset, data.byteLength)]));
  fs.renameSync(tmp, path);
}

module.exports = {readNpy, writeNpy};
