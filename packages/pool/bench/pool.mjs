// Pool benchmarks (dist-based): node packages/pool/bench/pool.mjs
// Measures @multiproc/pool side by side with CPython's multiprocessing.Pool (python3 -c, same
// run) and writes bench/results.json. piscina / tinypool run only if installed.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { Pool } from '../dist/index.js';
import { countPrimes, identity } from './tasks.mjs';

const P = 2;
const N = 100_000;
const ONE_BY_ONE = Number(process.env.ONE_BY_ONE ?? 50_000);
const LIMIT = 5_000_000;
const RANGES = Array.from({ length: 8 }, (_, i) => [(i * LIMIT) / 8, ((i + 1) * LIMIT) / 8]);
const items = Array.from({ length: N }, (_, i) => i);
const now = () => performance.now();
const results = { machine: { cpus: P, node: process.version }, multiproc: {}, cpython: {}, notes: [] };

async function best(times, fn) {
  let b = Number.POSITIVE_INFINITY;
  for (let i = 0; i < times; i++) b = Math.min(b, await fn());
  return b;
}

// --- multiproc
{
  const t0 = now();
  const pool = new Pool(P);
  await pool.apply(identity, [1]);
  results.multiproc.startToFirstResultMs = +(now() - t0).toFixed(1);
  await pool.map(identity, items); // warm
  const mapDefault = await best(5, async () => {
    const t = now();
    await pool.map(identity, items);
    return now() - t;
  });
  results.multiproc.mapDefaultTasksPerSec = Math.round(N / (mapDefault / 1000));
  const mapOne = await best(3, async () => {
    const t = now();
    await pool.map(identity, items, { chunksize: 1 });
    return now() - t;
  });
  results.multiproc.mapChunksize1TasksPerSec = Math.round(N / (mapOne / 1000));
  const apply = await best(3, async () => {
    const t = now();
    const rs = [];
    for (let i = 0; i < ONE_BY_ONE; i++) rs.push(pool.applyAsync(identity, [i]));
    for (const r of rs) await r.get();
    return now() - t;
  });
  results.multiproc.applyAsyncTasksPerSec = Math.round(ONE_BY_ONE / (apply / 1000));
  const single = await best(1, async () => {
    const t = now();
    let n = 0;
    for (const [lo, hi] of RANGES) n += countPrimes(lo, hi);
    if (n !== 348_513) throw new Error(`wrong prime count ${n}`);
    return now() - t;
  });
  const poolPrimes = await best(2, async () => {
    const t = now();
    const counts = await pool.starmap(countPrimes, RANGES, { chunksize: 1 });
    if (counts.reduce((a, b) => a + b) !== 348_513) throw new Error('wrong prime count');
    return now() - t;
  });
  const bare = await best(2, async () => {
    const t = now();
    const next = new SharedArrayBuffer(4);
    const ws = Array.from(
      { length: P },
      () =>
        new Worker(new URL('./bare-worker.mjs', import.meta.url), { workerData: { next, ranges: RANGES } }),
    );
    const totals = await Promise.all(ws.map((w) => new Promise((r) => w.once('message', r))));
    await Promise.all(ws.map((w) => w.terminate()));
    if (totals.reduce((a, b) => a + b) !== 348_513) throw new Error('wrong prime count');
    return now() - t;
  });
  pool.terminate();
  await pool.join();
  results.multiproc.primes = {
    singleMs: Math.round(single),
    poolMs: Math.round(poolPrimes),
    bareThreadsMs: Math.round(bare),
    poolSpeedup: +(single / poolPrimes).toFixed(2),
    bareSpeedup: +(single / bare).toFixed(2),
    poolVsBare: +(bare / poolPrimes).toFixed(3),
  };
}

// --- CPython, same workloads
const py = `
import json, time, multiprocessing as mp
def identity(x): return x
def count(r):
    lo, hi = r; n = 0
    for i in range(max(2, lo), hi):
        d = 2; p = True
        while d * d <= i:
            if i % d == 0: p = False; break
            d += 1
        if p: n += 1
    return n
if __name__ == '__main__':
    out = {}
    N = ${N}; ONE = ${ONE_BY_ONE}; items = list(range(N))
    t0 = time.perf_counter(); pool = mp.Pool(${P}); pool.apply(identity, (1,))
    out['startToFirstResultMs'] = round((time.perf_counter() - t0) * 1000, 1)
    pool.map(identity, items)
    b = min((lambda t: (pool.map(identity, items), time.perf_counter() - t)[1])(time.perf_counter()) for _ in range(5))
    out['mapDefaultTasksPerSec'] = round(N / b)
    b = min((lambda t: (pool.map(identity, items, chunksize=1), time.perf_counter() - t)[1])(time.perf_counter()) for _ in range(2))
    out['mapChunksize1TasksPerSec'] = round(N / b)
    t = time.perf_counter(); rs = [pool.apply_async(identity, (i,)) for i in range(ONE)]; [r.get() for r in rs]
    out['applyAsyncTasksPerSec'] = round(ONE / (time.perf_counter() - t))
    if ${process.env.PY_PRIMES === '1' ? 'True' : 'False'}:
        ranges = [(i * ${LIMIT} // 8, (i + 1) * ${LIMIT} // 8) for i in range(8)]
        t = time.perf_counter(); n = sum(pool.map(count, ranges, chunksize=1)); out['primesPoolMs'] = round((time.perf_counter() - t) * 1000)
    pool.terminate()
    print(json.dumps(out))
`;
try {
  results.cpython = JSON.parse(
    execFileSync('python3', ['-c', py], { encoding: 'utf8', timeout: 600_000 }).trim().split('\n').at(-1),
  );
  results.cpython.version = execFileSync('python3', ['--version'], { encoding: 'utf8' }).trim();
} catch (e) {
  results.notes.push(`CPython skipped: ${e.message.split('\n')[0]}`);
}

// --- piscina / tinypool, only if installed
const require = createRequire(import.meta.url);
for (const name of ['piscina', 'tinypool']) {
  try {
    require.resolve(name);
    results.notes.push(`${name} is installed but not benchmarked here: see apps/bench`);
  } catch {
    results.notes.push(`${name} not installed in this repo: skipped (the lead adds it in apps/bench)`);
  }
}

writeFileSync(new URL('./results.json', import.meta.url), `${JSON.stringify(results, null, 2)}\n`);
console.log(JSON.stringify(results, null, 2));
