/**
 * The cluster: tasks/s through `@multiproc/cluster`'s Pool (a Redis server and one worker CLI
 * process on this machine) at chunksize 1 and with default chunks, beside the local Pool; and
 * dict op latency on the Redis Manager beside the local Manager and CPython's. Starts its own
 * redis-server on a free loopback port; skipped with a note when redis-server is missing.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as cluster from '@multiproc/cluster';
import * as mp from 'multiproc';
import { type Row, runPython, type Workload } from '../harness.js';

const PROCESSES = 2;
const N_CHUNK1 = 3_000;
const N_DEFAULT = 200_000;
const N_DICT = 3_000;
const identity = mp.ref(new URL('../fixtures/tasks.mjs', import.meta.url), 'identity');
const benchRoot = fileURLToPath(new URL('../..', import.meta.url));
const cli = join(
  dirname(createRequire(import.meta.url).resolve('@multiproc/cluster/package.json')),
  'dist/cli.js',
);

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const redisCli = (port: number, ...args: string[]) =>
  spawnSync('redis-cli', ['-p', String(port), ...args], { encoding: 'utf8' }).stdout?.trim();

async function startCluster(): Promise<{ url: string; stop: () => void }> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'multiproc-bench-redis-'));
  const children: ChildProcess[] = [];
  children.push(
    spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'],
      {
        stdio: 'ignore',
      },
    ),
  );
  const stop = () => {
    for (const c of children) c.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  const url = `redis://127.0.0.1:${port}`;
  for (let i = 0; redisCli(port, 'ping') !== 'PONG'; i++) {
    if (i > 200) throw new Error('redis-server did not start');
    await sleep(50);
  }
  children.push(
    spawn(
      process.execPath,
      [
        cli,
        'worker',
        '-q',
        '--redis',
        url,
        '--import',
        './src/fixtures/tasks.mjs',
        '--concurrency',
        String(PROCESSES),
      ],
      { cwd: benchRoot, stdio: 'inherit' },
    ),
  );
  for (let i = 0; Number(redisCli(port, 'hlen', 'mp:{pool:jobs}:workers')) < 1; i++) {
    if (i > 600) throw new Error('the cluster worker did not start');
    await sleep(100);
  }
  return { url, stop };
}

type AnyPool = { map(f: unknown, xs: number[], o?: { chunksize: number }): Promise<unknown[]> };

async function tasksPerSecond(pool: AnyPool, n: number, chunksize?: number): Promise<number> {
  const xs = Array.from({ length: n }, (_, i) => i);
  await pool.map(identity, xs.slice(0, 100), { chunksize: 1 });
  const t = performance.now();
  const out = await pool.map(identity, xs, chunksize === undefined ? undefined : { chunksize });
  if (out[n - 1] !== n - 1) throw new Error('wrong result');
  return n / ((performance.now() - t) / 1000);
}

type Dict = { set(k: string, v: number): Promise<unknown>; get(k: string): Promise<unknown> };

/** Median microseconds per operation (a set and a get per sample). */
async function dictLatency(d: Dict): Promise<number> {
  await d.set('k', 0);
  const samples: number[] = [];
  for (let i = 0; i < N_DICT; i++) {
    const t = performance.now();
    await d.set('k', i);
    await d.get('k');
    samples.push((performance.now() - t) / 2);
  }
  samples.sort((a, b) => a - b);
  return samples[N_DICT >> 1] * 1000;
}

export const clusterWorkload: Workload = {
  name: 'cluster',
  sizes: `Redis on loopback + 1 worker CLI with ${PROCESSES} processes: identity over ${N_CHUNK1.toLocaleString('en-US')} ints (chunksize 1) and ${N_DEFAULT.toLocaleString('en-US')} (default chunks); ${N_DICT.toLocaleString('en-US')} dict set+get from the main thread`,
  async run() {
    if (spawnSync('redis-server', ['--version']).status !== 0) {
      console.warn('  redis-server is not installed: the cluster workload is skipped');
      return [];
    }
    const rows: Row[] = [];
    const tps = (impl: string, metric: string, value: number) =>
      rows.push({ workload: 'cluster', impl, metric, value, unit: 'tasks/s', higherIsBetter: true });
    const lat = (impl: string, value: number) =>
      rows.push({
        workload: 'cluster',
        impl,
        metric: 'dict set/get latency',
        value,
        unit: 'us/op',
        higherIsBetter: false,
      });
    const { url, stop } = await startCluster();
    try {
      const pool = new cluster.Pool({ redis: url, workerTimeout: 60_000 });
      const c1 = await tasksPerSecond(pool, N_CHUNK1, 1);
      const cd = await tasksPerSecond(pool, N_DEFAULT);
      pool.close();
      await pool.join();
      const local = new mp.Pool(PROCESSES);
      tps('multiproc cluster Pool', 'map, chunksize 1', c1);
      tps('multiproc local Pool', 'map, chunksize 1', await tasksPerSecond(local, N_CHUNK1, 1));
      tps('multiproc cluster Pool', 'map, default chunks', cd);
      tps('multiproc local Pool', 'map, default chunks', await tasksPerSecond(local, N_DEFAULT));
      local.terminate();
      await local.join();
      const rm = await cluster.Manager({ redis: url, namespace: 'bench' });
      lat('multiproc cluster Manager', await dictLatency((await rm.dict()) as unknown as Dict));
      await rm.destroy();
      await rm.shutdown();
      const lm = await mp.Manager();
      lat('multiproc local Manager', await dictLatency((await lm.dict()) as unknown as Dict));
      await lm.shutdown();
      const py = runPython<{ set: number; get: number }>('mp_manager.py', ['3000', '1']);
      if (py) lat('CPython Manager', (py.set + py.get) / 2);
    } finally {
      stop();
    }
    return rows;
  },
};
