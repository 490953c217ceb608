/**
 * Pools: tiny-task throughput (identity over N ints, pool warm) for `map` with the default
 * chunksize and with chunksize 1, and for `applyAsync` one call per task; pool start to first
 * result (a fresh process each time, no tsx); and the CPU-bound prime count below 5,000,000 over 8
 * sub-ranges as a speedup over one thread, beside two bare worker threads (the ceiling).
 * Same run: CPython's `multiprocessing.Pool`, piscina and tinypool (one `run()` per task; a
 * "chunk" for them is one task carrying an array, which is what their users write).
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import * as mp from 'multiproc';
import { Piscina } from 'piscina';
import { Tinypool } from 'tinypool';
import { countPrimes, identity } from '../fixtures/tasks.mjs';
import { type Row, runPython, type Workload } from '../harness.js';

const P = 2;
const N = 100_000;
const LIMIT = 5_000_000;
const PRIMES = 348_513;
const PY_LIMIT = 1_000_000;
const RANGES: Array<[number, number]> = Array.from({ length: 8 }, (_, i) => [
  (i * LIMIT) / 8,
  ((i + 1) * LIMIT) / 8,
]);
const items = Array.from({ length: N }, (_, i) => i);
const tasksFile = new URL('../fixtures/tasks.mjs', import.meta.url).href;

async function bestMs(times: number, fn: () => Promise<unknown>): Promise<number> {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < times; i++) {
    const t = performance.now();
    await fn();
    best = Math.min(best, performance.now() - t);
  }
  return best;
}

function checkPrimes(counts: number[]): void {
  const n = counts.reduce((a, b) => a + b, 0);
  if (n !== PRIMES) throw new Error(`wrong prime count ${n}, expected ${PRIMES}`);
}

/** Median start-to-first-result of `impl` over 3 fresh processes. */
function startMs(impl: string): number {
  const script = fileURLToPath(new URL('../fixtures/start.mjs', import.meta.url));
  const runs = [0, 1, 2].map(
    () =>
      JSON.parse(execFileSync(process.execPath, [script, impl], { encoding: 'utf8' }).trim()).ms as number,
  );
  return runs.sort((a, b) => a - b)[1];
}

async function bareThreads(): Promise<void> {
  const next = new SharedArrayBuffer(4);
  const ws = Array.from(
    { length: P },
    () =>
      new Worker(new URL('../fixtures/bare-worker.mjs', import.meta.url), {
        workerData: { next, ranges: RANGES },
      }),
  );
  const totals = await Promise.all(ws.map((w) => new Promise<number>((r) => w.once('message', r))));
  await Promise.all(ws.map((w) => w.terminate()));
  checkPrimes(totals);
}

interface ThreadPool {
  run(task: unknown, options: { name: string }): Promise<any>;
  destroy(): Promise<void>;
}

export const pool: Workload = {
  name: 'pool',
  sizes: `${P} workers; identity over ${N.toLocaleString('en-US')} ints; primes below ${LIMIT.toLocaleString('en-US')} in 8 sub-ranges (CPython: below ${PY_LIMIT.toLocaleString('en-US')})`,
  async run() {
    const rows: Row[] = [];
    const row = (impl: string, metric: string, value: number, unit: string, higherIsBetter: boolean) =>
      rows.push({ workload: 'pool', impl, metric, value, unit, higherIsBetter });
    const tps = (ms: number) => N / (ms / 1000);
    const M_DEFAULT = 'map, default chunksize';
    const M_ONE = 'map, chunksize 1';
    const M_APPLY = 'one call per task (applyAsync / run)';
    const M_START = 'start to first result';
    const M_PRIMES = 'prime count speedup over 1 thread';

    // multiproc
    const ours = new mp.Pool(P);
    await ours.map(identity, items);
    row(
      'multiproc Pool.map',
      M_DEFAULT,
      tps(await bestMs(5, () => ours.map(identity, items))),
      'tasks/s',
      true,
    );
    row(
      'multiproc Pool.map',
      M_ONE,
      tps(await bestMs(3, () => ours.map(identity, items, { chunksize: 1 }))),
      'tasks/s',
      true,
    );
    const applyAll = async () => {
      const rs = items.map((i) => ours.applyAsync(identity, [i]));
      for (const r of rs) await r.get();
    };
    row('multiproc Pool.applyAsync', M_APPLY, tps(await bestMs(3, applyAll)), 'tasks/s', true);
    const single = await bestMs(2, async () => checkPrimes(RANGES.map(([lo, hi]) => countPrimes(lo, hi))));
    const oursPrimes = await bestMs(2, async () =>
      checkPrimes((await ours.starmap(countPrimes, RANGES, { chunksize: 1 })) as number[]),
    );
    ours.terminate();
    await ours.join();
    const bare = await bestMs(2, bareThreads);

    // piscina and tinypool: the same tasks module, by file name and export name
    const others: Array<[string, ThreadPool]> = [
      ['piscina', new Piscina({ filename: tasksFile, minThreads: P, maxThreads: P })],
      ['tinypool', new Tinypool({ filename: tasksFile, minThreads: P, maxThreads: P })],
    ];
    const otherPrimes: Array<[string, number]> = [];
    const chunk = Math.ceil(N / (4 * P));
    const chunks = Array.from({ length: Math.ceil(N / chunk) }, (_, i) =>
      items.slice(i * chunk, (i + 1) * chunk),
    );
    for (const [name, p] of others) {
      await Promise.all(items.slice(0, 2000).map((i) => p.run(i, { name: 'identity' })));
      const byChunks = await bestMs(5, () =>
        Promise.all(chunks.map((c) => p.run(c, { name: 'identityChunk' }))),
      );
      row(`${name} (8 array tasks)`, M_DEFAULT, tps(byChunks), 'tasks/s', true);
      const oneByOne = await bestMs(1, () => Promise.all(items.map((i) => p.run(i, { name: 'identity' }))));
      row(`${name} run()`, M_APPLY, tps(oneByOne), 'tasks/s', true);
      const ms = await bestMs(2, async () =>
        checkPrimes(await Promise.all(RANGES.map((r) => p.run(r, { name: 'countPair' })))),
      );
      otherPrimes.push([name, ms]);
      await p.destroy();
    }

    row('multiproc Pool', M_START, startMs('multiproc'), 'ms', false);
    row('piscina', M_START, startMs('piscina'), 'ms', false);
    row('tinypool', M_START, startMs('tinypool'), 'ms', false);

    row('multiproc Pool.starmap', M_PRIMES, single / oursPrimes, 'x', true);
    row('2 bare worker threads', M_PRIMES, single / bare, 'x', true);
    for (const [name, ms] of otherPrimes) row(name, M_PRIMES, single / ms, 'x', true);

    const py = runPython<Record<string, number>>('mp_pool.py', [String(P), String(N), String(PY_LIMIT)]);
    if (py) {
      row('CPython Pool.map', M_DEFAULT, py.mapDefault, 'tasks/s', true);
      row('CPython Pool.map', M_ONE, py.mapOne, 'tasks/s', true);
      row('CPython Pool.apply_async', M_APPLY, py.applyAsync, 'tasks/s', true);
      row('CPython Pool', M_START, py.startMs, 'ms', false);
      rows.push({
        workload: 'pool',
        impl: 'CPython Pool.map',
        metric: M_PRIMES,
        value: py.primesSpeedup,
        unit: 'x',
        higherIsBetter: true,
        note: `below ${PY_LIMIT.toLocaleString('en-US')}`,
      });
    }
    const order = [M_DEFAULT, M_ONE, M_APPLY, M_START, M_PRIMES];
    return rows.sort((a, b) => order.indexOf(a.metric) - order.indexOf(b.metric));
  },
};
