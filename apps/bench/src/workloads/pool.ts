/**
 * Pools: tiny-task throughput (identity over N ints, pool warm) for `map` with the default
 * chunksize and with chunksize 1, and for `applyAsync` one call per task; pool start to first
 * result (a fresh process each time, no tsx); and the CPU-bound prime count below 5,000,000 over 8
 * sub-ranges as a speedup over one thread, beside two bare worker threads (the ceiling).
 * multiproc runs under the default 'thread' start method, then under 'spawn' (Node child
 * processes; measured in a process of its own: fixtures/pool-spawn.ts), the two side by side.
 * Same run: CPython's `multiprocessing.Pool`, piscina and tinypool (one `run()` per task; a
 * "chunk" for them is one task carrying an array, which is what their users write).
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { Tinypool } from 'tinypool';
import {
  bestMs,
  checkPrimes as checkCount,
  measurePool,
  type PoolSizes,
  type PoolTimes,
} from '../fixtures/pool-driver.js';
import { type Row, runNodeFixture, runPython, type Workload } from '../harness.js';

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

const SIZES: PoolSizes = { processes: P, n: N, ranges: RANGES, primes: PRIMES };

const checkPrimes = (counts: number[]) => checkCount(counts, PRIMES);

/** The 'spawn' measurement, in a fresh Node process with this one's loaders (tsx). */
function spawnTimes(): PoolTimes {
  return runNodeFixture<PoolTimes>('pool-spawn.ts', [JSON.stringify(SIZES)]);
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

    // multiproc: 'thread' here, then 'spawn' in a process of its own; the thread row stays first
    // in each group (the base of the "multiproc advantage" column)
    const thread = await measurePool('thread', SIZES);
    const spawn = spawnTimes();
    const S = ' (spawn)';
    for (const [t, suffix] of [
      [thread, ''],
      [spawn, S],
    ] as const) {
      row(`multiproc Pool.map${suffix}`, M_DEFAULT, tps(t.mapDefault), 'tasks/s', true);
      row(`multiproc Pool.map${suffix}`, M_ONE, tps(t.mapOne), 'tasks/s', true);
      row(`multiproc Pool.applyAsync${suffix}`, M_APPLY, tps(t.applyAsync), 'tasks/s', true);
    }
    const single = thread.single;
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
    row(`multiproc Pool${S}`, M_START, startMs('multiproc-spawn'), 'ms', false);
    row('piscina', M_START, startMs('piscina'), 'ms', false);
    row('tinypool', M_START, startMs('tinypool'), 'ms', false);

    row('multiproc Pool.starmap', M_PRIMES, single / thread.primes, 'x', true);
    // over one thread of its own process (the spawn measurement runs apart, maybe at another load)
    row(`multiproc Pool.starmap${S}`, M_PRIMES, spawn.single / spawn.primes, 'x', true);
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
