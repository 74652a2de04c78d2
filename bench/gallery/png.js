// Random RGB PNGs in an ImageFolder layout (DIR/0/NNN.png) for `qcv ptq --calib DIR`: the same
// recipe as gallery_vs_ort.js's tensors, stored as pixel = 127.5 + 50 x (clamped to 0..255).
const fs = require('fs');
const path = require('path');
const zlib = require('zlib');

const CRC = new Int32Array(256).map((_, n) => {
  let c = n;
  for (let k = 0; k < 8; ++k) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c;
});

function crc32(buf) {
  let c = -1;
  for (const b of buf) c = CRC[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

function chunk(type, data) {
  const len = Buffer.alloc(4), crc = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

function encodePng(rgb, w, h) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8;  // bit depth
  ihdr[9] = 2;  // truecolor RGB
  const raw = Buffer.alloc(h * (1 + 3 * w));
  for (let y = 0; y < h; ++y) rgb.copy(raw, y * (1 + 3 * w) + 1, y * 3 * w, (y + 1) * 3 * w);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
                        chunk('IHDR', ihdr), chunk('IDAT', zlib.deflateSync(raw)),
                        chunk('IEND', Buffer.alloc(0))]);
}

function writeRandomPngs(dir, n, res, seed) {
  let s = seed >>> 0;
  const uniform = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) + 0.5) / 4294967296;
  const normal = () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
  fs.mkdirSync(path.join(dir, '0'), {recursive: true});
  for (let i = 0; i < n; ++i) {
    const rgb = Buffer.alloc(res * res * 3);
    for (let c = 0; c < 3; ++c) {
      const contrast = 0.2 + 1.3 * uniform(), bright = normal();
      for (let p = 0; p < res * res; ++p)
        rgb[p * 3 + c] = Math.max(0, Math.min(255, Math.round(127.5 + 50 * (bright + contrast * normal()))));
    }
    fs.writeFileSync(path.join(dir, '0', `${String(i).padStart(4, '0')}.png`), encodePng(rgb, res, res));
  }
}

module.exports = {writeRandomPngs, encodePng};
