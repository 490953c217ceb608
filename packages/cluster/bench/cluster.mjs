#!/usr/bin/env node
// Benchmark of @multiproc/cluster beside the local Pool and Manager (and CPython's Manager when
// python3 is installed), in one run. Tasks/s through the cluster Pool at chunksize 1 and with
// default chunks; dict op latency (set + get round trips) on the Redis Manager.
//
//   node bench/cluster.mjs                 starts its own redis-server (random port) and workers
//   node bench/cluster.mjs --redis URL     uses your Redis; start workers yourself:
//     npx multiproc worker --redis URL --import ./bench/tasks.mjs
// Options: --workers N (CLI processes, default 1), --concurrency N (per worker, default cpus).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as cluster from '@multiproc/cluster';
import { Manager as LocalManager } from '@multiproc/manager';
import { Pool as LocalPool } from '@multiproc/pool';
import { ref } from '@multiproc/process';

const { values } = parseArgs({
  options: { redis: { type: 'string' }, workers: { type: 'string' }, concurrency: { type: 'string' } },
});
const root = fileURLToPath(new URL('..', import.meta.url));
const square = ref(new URL('./tasks.mjs', import.meta.url), 'square');
const cpus = availableParallelism();
const concurrency = Number(values.concurrency ?? cpus);
const nWorkers = Number(values.workers ?? 1);
const children = [];
let redisProc;
let dir;

async function freePort() {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function setup() {
  if (values.redis) return values.redis;
  if (spawnSync('redis-server', ['--version']).status !== 0) {
    console.error('redis-server is not installed: give --redis URL (and start workers), or install it');
    process.exit(2);
  }
  const port = await freePort();
  dir = mkdtempSync(join(tmpdir(), 'multiproc-bench-redis-'));
  redisProc = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'],
    {
      stdio: 'ignore',
    },
  );
  const url = `redis://127.0.0.1:${port}`;
  while (
    spawnSync('redis-cli', ['-p', String(port), 'ping'], { encoding: 'utf8' }).stdout?.trim() !== 'PONG'
  ) {
    await new Promise((r) => setTimeout(r, 50));
  }
  for (let i = 0; i < nWorkers; i++) {
    children.push(
      spawn(
        process.execPath,
        [
          join(root, 'dist/cli.js'),
          'worker',
          '-q',
          '--redis',
          url,
          '--import',
          './bench/tasks.mjs',
          '--concurrency',
          String(concurrency),
        ],
        {
          cwd: root,
          stdio: 'inherit',
          detached: true,
        },
      ),
    );
  }
  const deadline = Date.now() + 60_000;
  while (
    Number(
      spawnSync('redis-cli', ['-p', String(port), 'hlen', 'mp:{pool:jobs}:workers'], { encoding: 'utf8' })
        .stdout,
    ) < nWorkers
  ) {
    if (Date.now() > deadline) throw new Error('the workers did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
  return url;
}

function teardown() {
  for (const c of children) {
    try {
      process.kill(-c.pid, 'SIGKILL');
    } catch {}
  }
  redisProc?.kill('SIGKILL');
  if (dir) rmSync(dir, { recursive: true, force: true });
}

async function tasksPerSecond(pool, n, chunksize) {
  const xs = Array.from({ length: n }, (_, i) => i);
  await pool.map(square, xs.slice(0, 100), { chunksize: 1 }); // warm up
  const t = performance.now();
  const out = await pool.map(square, xs, chunksize === undefined ? undefined : { chunksize });
  const s = (performance.now() - t) / 1000;
  if (out[n - 1] !== (n - 1) ** 2) throw new Error('wrong result');
  return n / s;
}

async function dictLatency(d, n) {
  await d.set('k', 0);
  const samples = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await d.set('k', i);
    await d.get('k');
    samples.push((performance.now() - t) / 2);
  }
  samples.sort((a, b) => a - b);
  return { p50: samples[n >> 1] * 1000, p99: samples[Math.floor(n * 0.99)] * 1000 };
}

function pythonManagerLatency(n) {
  const code = `
import time, multiprocessing as mp
if __name__ == '__main__':
    with mp.Manager() as m:
        d = m.dict(); d['k'] = 0; s = []
        for i in range(${n}):
            t = time.perf_counter(); d['k'] = i; d['k']; s.append((time.perf_counter() - t) / 2)
        s.sort(); print(s[len(s)//2] * 1e6, s[int(len(s)*0.99)] * 1e6)
`;
  const r = spawnSync('python3', ['-c', code], { encoding: 'utf8' });
  if (r.status !== 0) return null;
  const [p50, p99] = r.stdout.trim().split(/\s+/).map(Number);
  return { p50, p99 };
}

const fmt = (x) => Math.round(x).toLocaleString('en-US');
const rows = [];
try {
  const url = await setup();
  const pool = new cluster.Pool({ redis: url, workerTimeout: 60_000 });
  const slots = await pool.slots();
  rows.push([
    `cluster Pool (${slots} slots), chunksize 1`,
    `${fmt(await tasksPerSecond(pool, 3000, 1))} tasks/s`,
  ]);
  rows.push([
    `cluster Pool (${slots} slots), default chunks`,
    `${fmt(await tasksPerSecond(pool, 200_000))} tasks/s`,
  ]);
  pool.close();
  await pool.join();
  const local = new LocalPool({ processes: concurrency });
  rows.push([
    `local Pool (${concurrency} threads), chunksize 1`,
    `${fmt(await tasksPerSecond(local, 3000, 1))} tasks/s`,
  ]);
  rows.push([
    `local Pool (${concurrency} threads), default chunks`,
    `${fmt(await tasksPerSecond(local, 200_000))} tasks/s`,
  ]);
  local.terminate();
  await local.join();

  const rm = await cluster.Manager({ redis: url, namespace: 'bench' });
  const rl = await dictLatency(await rm.dict(), 3000);
  rows.push(['Redis Manager dict op', `p50 ${fmt(rl.p50)} µs, p99 ${fmt(rl.p99)} µs`]);
  await rm.destroy();
  await rm.shutdown();
  const lm = await LocalManager();
  const ll = await dictLatency(await lm.dict(), 3000);
  rows.push(['local Manager dict op', `p50 ${fmt(ll.p50)} µs, p99 ${fmt(ll.p99)} µs`]);
  await lm.shutdown();
  const py = pythonManagerLatency(3000);
  rows.push([
    'CPython Manager dict op',
    py ? `p50 ${fmt(py.p50)} µs, p99 ${fmt(py.p99)} µs` : 'python3 not available',
  ]);
} finally {
  teardown();
}
const w = Math.max(...rows.map((r) => r[0].length));
console.log(`\n@multiproc/cluster benchmark (node ${process.version}, ${cpus} cpus)`);
for (const [k, v] of rows) console.log(`  ${k.padEnd(w)}  ${v}`);
process.exit(0);
