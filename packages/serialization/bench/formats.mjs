// Wire format candidates, side by side: node bench/formats.mjs (after `npx tsup`).
// msgpackr is not a dependency: install it anywhere and point MSGPACKR at it, e.g.
//   (cd /tmp/x && npm i msgpackr) && MSGPACKR=/tmp/x/node_modules/msgpackr node bench/formats.mjs
import { createRequire } from 'node:module';
import v8 from 'node:v8';
import { dumps, dumpsChunks, loads } from '../dist/index.js';

const require = createRequire(import.meta.url);
let msgpackr = null;
for (const spec of [process.env.MSGPACKR, 'msgpackr', '/tmp/x/node_modules/msgpackr']) {
  if (!spec) continue;
  try {
    msgpackr = require(spec);
    break;
  } catch {}
}

const candidates = [
  { name: 'multiproc', enc: dumps, dec: loads },
  { name: 'multiproc chunks', enc: dumpsChunks, dec: null },
  { name: 'v8.serialize', enc: v8.serialize, dec: v8.deserialize },
];
if (msgpackr) {
  const plain = new msgpackr.Packr();
  const sc = new msgpackr.Packr({ structuredClone: true });
  candidates.push({ name: 'msgpackr', enc: (v) => plain.pack(v), dec: (b) => plain.unpack(b) });
  candidates.push({ name: 'msgpackr structuredClone', enc: (v) => sc.pack(v), dec: (b) => sc.unpack(b) });
}

const cases = {
  'small int': 42,
  'short string': 'hello world',
  'small object': { id: 12345, name: 'widget', tags: ['a', 'bb', 'ccc'] },
  '1 MiB Float64Array': new Float64Array(131072).fill(Math.PI),
  '1000-object array': Array.from({ length: 1000 }, (_, i) => ({ id: i, name: `item${i}`, ok: i % 2 === 0 })),
};

const MS = Number(process.env.BENCH_MS ?? 300);
function opsPerSec(fn, arg) {
  for (let i = 0; i < 2000; i++) fn(arg); // warm up / let the JIT settle
  let n = 0;
  let batch = 1;
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(MS) * 1_000_000n;
  let now = start;
  while (now < deadline) {
    for (let i = 0; i < batch; i++) fn(arg);
    n += batch;
    if (batch < 1 << 16) batch *= 2;
    now = process.hrtime.bigint();
  }
  return (n * 1e9) / Number(now - start);
}

const fmt = (x) =>
  x >= 1e6 ? `${(x / 1e6).toFixed(2)} M/s` : x >= 1e3 ? `${(x / 1e3).toFixed(1)} k/s` : `${x.toFixed(0)} /s`;

console.log(`node ${process.version}, ${MS} ms per measurement${msgpackr ? '' : ' (msgpackr not found)'}`);
const rows = [];
for (const [label, value] of Object.entries(cases)) {
  for (const c of candidates) {
    const bytes = c.enc(value);
    const size = Array.isArray(bytes) ? bytes.reduce((s, b) => s + b.length, 0) : bytes.length;
    const enc = opsPerSec(c.enc, value);
    const dec = c.dec ? opsPerSec(c.dec, bytes) : NaN;
    rows.push({ case: label, format: c.name, bytes: size, encode: fmt(enc), decode: c.dec ? fmt(dec) : '-' });
  }
}
console.table(rows);
