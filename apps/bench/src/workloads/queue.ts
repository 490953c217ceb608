/**
 * Queues and pipes: one producer worker -> main, N small ints; M messages of 1 MiB; and Pipe
 * round trips (main sends, the worker answers with `recvSync` + `send`). Baselines: CPython's
 * `multiprocessing.Queue`/`Pipe`, and a bare worker_threads MessagePort (what piscina and tinypool
 * use). Each multiproc figure is the best of 3 runs.
 */
import { Worker } from 'node:worker_threads';
import * as mp from 'multiproc';
import { pong, putBytes, putInts } from '../fixtures/queue-worker.js';
import { type Row, runPython, type Workload } from '../harness.js';

const INTS = 200_000;
const BIG = 200;
const MIB = 1 << 20;
const PINGS = 20_000;

/** Starts `target` in a worker that waits at a barrier; resolves, when both pass it, to t0. */
async function started(target: (...a: any[]) => void, args: unknown[]) {
  const start = new mp.Barrier(2);
  const p = new mp.Process({ target, args: [...args, start] });
  await p.start();
  await start.wait(60_000);
  return { p, t0: performance.now() };
}

async function ints(mode: 'sync' | 'async'): Promise<number> {
  const q = new mp.Queue<number>();
  const { p, t0 } = await started(putInts, [q, INTS]);
  let sum = 0;
  if (mode === 'sync') for (let i = 0; i < INTS; i++) sum += q.getSync();
  else for (let i = 0; i < INTS; i++) sum += await q.get();
  const s = (performance.now() - t0) / 1000;
  if (sum !== ((INTS - 1) * INTS) / 2) throw new Error('lost items');
  await p.join();
  q.close();
  return INTS / s;
}

async function bytes(mode: 'sync' | 'async', maxsize = 0): Promise<number> {
  const q = new mp.Queue<Uint8Array>(maxsize);
  const { p, t0 } = await started(putBytes, [q, BIG, MIB]);
  let total = 0;
  for (let i = 0; i < BIG; i++) total += (mode === 'sync' ? q.getSync() : await q.get()).length;
  const s = (performance.now() - t0) / 1000;
  if (total !== BIG * MIB) throw new Error('lost bytes');
  await p.join();
  q.close();
  return total / 1e6 / s;
}

async function roundTrip(mode: 'sync' | 'async'): Promise<number> {
  const [a, b] = mp.Pipe();
  const { p, t0 } = await started(pong, [b, PINGS]);
  b.close();
  for (let i = 0; i < PINGS; i++) {
    a.send(i);
    if ((mode === 'sync' ? a.recvSync() : await a.recv()) !== i) throw new Error('bad pong');
  }
  const us = ((performance.now() - t0) * 1000) / PINGS;
  await p.join();
  a.close();
  return us;
}

/** The same three over a bare Worker's MessagePort. */
async function port(op: 'ints' | 'bytes' | 'pong'): Promise<number> {
  const n = op === 'ints' ? INTS : op === 'bytes' ? BIG : PINGS;
  const w = new Worker(new URL('../fixtures/port-worker.mjs', import.meta.url), {
    workerData: { op, n, size: MIB },
  });
  await new Promise((r) => w.once('online', r));
  await new Promise((r) => setTimeout(r, 50));
  const t0 = performance.now();
  await new Promise<void>((resolve) => {
    let got = 0;
    w.on('message', () => {
      if (++got === n) resolve();
      else if (op === 'pong') w.postMessage(got);
    });
    w.postMessage(0);
  });
  const ms = performance.now() - t0;
  await w.terminate();
  if (op === 'ints') return INTS / (ms / 1000);
  if (op === 'bytes') return (BIG * MIB) / 1e6 / (ms / 1000);
  return (ms * 1000) / PINGS;
}

async function best(fn: () => Promise<number>, higherIsBetter: boolean): Promise<number> {
  const runs = [await fn(), await fn(), await fn()];
  return higherIsBetter ? Math.max(...runs) : Math.min(...runs);
}

export const queue: Workload = {
  name: 'queue',
  sizes: `${INTS.toLocaleString('en-US')} small ints worker -> main; ${BIG} x 1 MiB; ${PINGS.toLocaleString('en-US')} Pipe ping-pongs`,
  async run() {
    const rows: Row[] = [];
    const row = (impl: string, metric: string, value: number, unit: string, higherIsBetter: boolean) =>
      rows.push({ workload: 'queue', impl, metric, value, unit, higherIsBetter });
    const small = 'small ints worker -> main';
    const big = '1 MiB messages worker -> main';
    const rt = 'Pipe round trip';
    row('multiproc Queue getSync', small, await best(() => ints('sync'), true), 'msg/s', true);
    row('multiproc Queue get', small, await best(() => ints('async'), true), 'msg/s', true);
    row('multiproc Queue getSync', big, await best(() => bytes('sync'), true), 'MB/s', true);
    row('multiproc Queue get', big, await best(() => bytes('async'), true), 'MB/s', true);
    row('multiproc Queue(8) getSync', big, await best(() => bytes('sync', 8), true), 'MB/s', true);
    row('multiproc Pipe recvSync', rt, await best(() => roundTrip('sync'), false), 'us', false);
    row('multiproc Pipe recv', rt, await best(() => roundTrip('async'), false), 'us', false);
    row('worker_threads MessagePort', small, await best(() => port('ints'), true), 'msg/s', true);
    row('worker_threads MessagePort', big, await best(() => port('bytes'), true), 'MB/s', true);
    row('worker_threads MessagePort', rt, await best(() => port('pong'), false), 'us', false);
    const py = runPython<{ intsPerS: number; mbPerS: number; roundTripUs: number }>('mp_queue.py', [
      String(INTS),
      String(BIG),
      String(MIB),
      String(PINGS),
    ]);
    if (py) {
      row('CPython Queue', small, py.intsPerS, 'msg/s', true);
      row('CPython Queue', big, py.mbPerS, 'MB/s', true);
      row('CPython Pipe', rt, py.roundTripUs, 'us', false);
    }
    const order = [small, big, rt];
    return rows.sort((a, b) => order.indexOf(a.metric) - order.indexOf(b.metric));
  },
};
