/**
 * The matrix-share demo: seed 001's "shared numpy array", done with multiproc.
 *
 *   node --import tsx src/main.ts [--size 1024] [--processes 2] [--json]
 *
 * (a) A `RawArray('d', rows * cols)` wrapped by `ndarray`; each Pool task fills its row with its
 *     worker's ident; the main thread prints the matrix it never wrote to.
 * (b) C = A x B for size x size doubles, split by row blocks across the Pool, with A, B and C
 *     RawArrays passed as task arguments (they arrive as the same shared memory); checked
 *     against the single-thread product; GFLOP/s, speedup, and resident memory against the size
 *     of one set of matrices (nothing is copied).
 */
import { parseArgs } from 'node:util';
import * as mp from 'multiproc';
import { fillRow, matrix, multiplyRows } from './matrix.ts';

const MiB = 1024 * 1024;

function options() {
  const { values } = parseArgs({
    options: {
      size: { type: 'string', default: '1024' },
      processes: { type: 'string', default: String(mp.cpuCount()) },
      json: { type: 'boolean', default: false },
    },
  });
  const size = Number(values.size);
  const processes = Number(values.processes);
  if (!Number.isInteger(size) || size < 1)
    throw new RangeError(`--size must be an integer >= 1, got ${values.size}`);
  if (!Number.isInteger(processes) || processes < 1)
    throw new RangeError(`--processes must be an integer >= 1, got ${values.processes}`);
  return { size, processes, json: values.json };
}

/** Part (a): the seed's demo. Returns the matrix as rows, and the idents the tasks reported. */
async function fillDemo(pool: mp.Pool, processes: number) {
  const rows = processes * 2;
  const cols = 10;
  const data = mp.RawArray('d', rows * cols);
  const idents = await pool.starmap(
    fillRow,
    Array.from({ length: rows }, (_, row) => [data, rows, cols, row] as const),
    { chunksize: 1 },
  );
  const m = matrix(data, rows, cols);
  const table = Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => m.get(i, j)));
  return { idents, table };
}

function random(n: number, seed: number): Float64Array {
  const out = mp.RawArray('d', n * n);
  let s = seed;
  for (let i = 0; i < out.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 32 - 0.5;
  }
  return out;
}

const rssMiB = () => process.memoryUsage().rss / MiB;

/** Part (b): the parallel multiply, checked against one thread. */
async function multiplyDemo(pool: mp.Pool, n: number, processes: number) {
  const rssStart = rssMiB();
  const a = random(n, 1);
  const b = random(n, 2);
  const cSingle = mp.RawArray('d', n * n);
  const c = mp.RawArray('d', n * n).fill(Number.NaN); // written now, so its pages are resident
  const setMiB = (3 * n * n * 8) / MiB; // A, B and C
  const rssAllocated = rssMiB();

  let t = performance.now();
  multiplyRows(a, b, cSingle, n, 0, n);
  const singleS = (performance.now() - t) / 1000;

  const blocks = Math.min(n, processes * 4);
  const step = Math.ceil(n / blocks);
  const tasks: Array<[Float64Array, Float64Array, Float64Array, number, number, number]> = [];
  for (let r0 = 0; r0 < n; r0 += step) tasks.push([a, b, c, n, r0, Math.min(n, r0 + step)]);
  const rssBeforePool = rssMiB(); // + the single-thread reference product
  let rssPeak = rssBeforePool;
  const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, rssMiB())), 5);
  t = performance.now();
  const done = await pool.starmap(multiplyRows, tasks, { chunksize: 1 });
  const parallelS = (performance.now() - t) / 1000;
  clearInterval(sampler);
  rssPeak = Math.max(rssPeak, rssMiB());

  let maxAbsDiff = 0;
  for (let i = 0; i < c.length; i++) maxAbsDiff = Math.max(maxAbsDiff, Math.abs(c[i] - cSingle[i]));
  const flop = 2 * n ** 3;
  return {
    n,
    blocks: tasks.length,
    rowsComputed: done.reduce((s, d) => s + d.rows, 0),
    sharedInWorkers: done.every((d) => d.shared),
    maxAbsDiff,
    single: { seconds: singleS, gflops: flop / singleS / 1e9 },
    parallel: { seconds: parallelS, gflops: flop / parallelS / 1e9 },
    speedup: singleS / parallelS,
    memory: {
      matrixSetMiB: setMiB,
      rssStartMiB: rssStart,
      rssAfterAllocMiB: rssAllocated,
      rssBeforePoolMiB: rssBeforePool,
      rssPeakDuringPoolMiB: rssPeak,
      growthDuringPoolMiB: rssPeak - rssBeforePool,
    },
  };
}

async function main(): Promise<void> {
  const { size, processes, json } = options();
  await using pool = new mp.Pool({ processes });
  const fill = await fillDemo(pool, processes);
  if (!json) {
    console.log(
      `(a) a ${fill.table.length} x 10 RawArray('d') matrix, each row filled by a Pool task with its worker's ident:\n`,
    );
    for (const row of fill.table) console.log(`  [${row.map((v) => String(v).padStart(3)).join(' ')} ]`);
    console.log(`\n(b) C = A x B, ${size} x ${size} doubles, ${processes} workers ...`);
  }
  const mul = await multiplyDemo(pool, size, processes);
  if (mul.maxAbsDiff !== 0 || mul.rowsComputed !== size || !mul.sharedInWorkers)
    throw new Error(`parallel product differs from the single-thread one: ${JSON.stringify(mul)}`);
  if (json) {
    console.log(JSON.stringify({ processes, fill, multiply: mul }, null, 2));
    return;
  }
  const f = (x: number) => x.toFixed(2);
  const m = mul.memory;
  console.log(`
| way | time | GFLOP/s | speedup |
|---|---|---|---|
| one thread | ${f(mul.single.seconds)} s | ${f(mul.single.gflops)} | 1.00x |
| Pool(${processes}).starmap, ${mul.blocks} row blocks | ${f(mul.parallel.seconds)} s | ${f(mul.parallel.gflops)} | ${f(mul.speedup)}x |

result: identical to the single-thread product (max |difference| = ${mul.maxAbsDiff})
memory: one set of A, B and C is ${f(m.matrixSetMiB)} MiB; resident memory ${f(m.rssStartMiB)} MiB at start,
        ${f(m.rssAfterAllocMiB)} MiB after allocating them, ${f(m.rssBeforePoolMiB)} MiB with the single-thread reference,
        peak ${f(m.rssPeakDuringPoolMiB)} MiB during the ${mul.blocks} tasks
        (+${f(m.growthDuringPoolMiB)} MiB: the tasks received the matrices, not copies; a copy per task
        would add ${f(((2 * size * size * 8) / MiB) * mul.blocks)} MiB)`);
}

if (mp.isMainProcess()) await main();
