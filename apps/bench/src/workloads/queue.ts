import { Worker } from 'node:worker_threads';
import * as mp from 'multiproc';
import { best, bytes, ints, roundTrip } from '../fixtures/queue-driver.js';
import type { SpawnQueue } from '../fixtures/queue-spawn.js';
import { type Row, runNodeFixture, runPython, type Workload } from '../harness.js';

const INTS = 200_000;
const BIG = 200;
const MIB = 1 << 20;
const PINGS = 20_000;

/** The 'spawn' measurements, in a fresh Node process with this one's loaders (tsx). */
function spawnRun(): SpawnQueue {
  return runNodeFixture<SpawnQueue>('queue-spawn.ts', [INTS, BIG, MIB, PINGS]);
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

export const queue: Workload = {
  name: 'queue',
  sizes: `${INTS.toLocaleString('en-US')} small ints worker -> main; ${BIG} x 1 MiB; ${PINGS.toLocaleString('en-US')} Pipe ping-pongs; thread and spawn`,
  async run() {
    const rows: Row[] = [];
    const row = (impl: string, metric: string, value: number, unit: string, higherIsBetter: boolean) =>
      rows.push({ workload: 'queue', impl, metric, value, unit, higherIsBetter });
    const small = 'small ints worker -> main';
    const big = '1 MiB messages worker -> main';
    const rt = 'Pipe round trip';
    const t = mp.getContext('thread');
    row('multiproc Queue getSync', small, await best(() => ints(t, 'sync', INTS), true), 'msg/s', true);
    row('multiproc Queue get', small, await best(() => ints(t, 'async', INTS), true), 'msg/s', true);
    row('multiproc Queue getSync', big, await best(() => bytes(t, 'sync', BIG, MIB), true), 'MB/s', true);
    row('multiproc Queue get', big, await best(() => bytes(t, 'async', BIG, MIB), true), 'MB/s', true);
    row(
      'multiproc Queue(8) getSync',
      big,
      await best(() => bytes(t, 'sync', BIG, MIB, 8), true),
      'MB/s',
      true,
    );
    row('multiproc Pipe recvSync', rt, await best(() => roundTrip(t, 'sync', PINGS), false), 'us', false);
    row('multiproc Pipe recv', rt, await best(() => roundTrip(t, 'async', PINGS), false), 'us', false);
    const spawned = spawnRun();
    row('multiproc Queue getSync (spawn)', small, spawned.intsPerS, 'msg/s', true);
    row('multiproc Queue getSync (spawn)', big, spawned.mbPerS, 'MB/s', true);
    row('multiproc Pipe recvSync (spawn)', rt, spawned.roundTripUs, 'us', false);
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
