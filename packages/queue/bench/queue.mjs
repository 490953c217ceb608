// Side-by-side benchmark: @multiproc/queue and @multiproc/pipe (built dist) vs CPython's
// multiprocessing on this machine, in the same run. Usage: node bench/queue.mjs
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { childBootstrap } from '@multiproc/memory';
import { Pipe } from '@multiproc/pipe';
import { Queue } from '@multiproc/queue';
import { dumps } from '@multiproc/serialization';

const INTS = 200_000;
const MIB = 1024 * 1024;
const BIG = 200;
const PINGS = 20_000;

function startWorker(op, args) {
  const { data, transferList, onExit } = childBootstrap();
  const go = new SharedArrayBuffer(4);
  const w = new Worker(new URL('./worker.mjs', import.meta.url), {
    workerData: { memory: data, op, args: dumps(args), go },
    transferList,
  });
  const exited = new Promise((r) => w.on('exit', () => r(onExit())));
  const online = new Promise((r) => w.once('online', r));
  return {
    exited,
    async go() {
      await online;
      await new Promise((r) => setTimeout(r, 100)); // let it import and reach its wait
      const t0 = performance.now();
      const g = new Int32Array(go);
      Atomics.store(g, 0, 1);
      Atomics.notify(g, 0);
      return t0;
    },
  };
}

async function ints(mode) {
  const q = new Queue();
  const w = startWorker('ints', [q, INTS]);
  const t0 = await w.go();
  let sum = 0;
  if (mode === 'sync') for (let i = 0; i < INTS; i++) sum += q.getSync();
  else for (let i = 0; i < INTS; i++) sum += await q.get();
  const s = (performance.now() - t0) / 1000;
  if (sum !== ((INTS - 1) * INTS) / 2) throw new Error('lost items');
  await w.exited;
  return Math.round(INTS / s);
}

async function bytes(mode) {
  const q = new Queue(mode === 'bounded' ? 8 : 0);
  const w = startWorker('bytes', [q, BIG, MIB]);
  const t0 = await w.go();
  let total = 0;
  for (let i = 0; i < BIG; i++) total += (mode === 'async' ? await q.get() : q.getSync()).length;
  const s = (performance.now() - t0) / 1000;
  if (total !== BIG * MIB) throw new Error('lost bytes');
  await w.exited;
  return Math.round(total / 1e6 / s);
}

async function roundTrip(mode) {
  const [a, b] = Pipe();
  const w = startWorker('pong', [b, PINGS]);
  b.close();
  const t0 = await w.go();
  for (let i = 0; i < PINGS; i++) {
    a.send(i);
    if ((mode === 'sync' ? a.recvSync() : await a.recv()) !== i) throw new Error('bad pong');
  }
  const us = ((performance.now() - t0) * 1000) / PINGS;
  await w.exited;
  return Math.round(us * 100) / 100;
}

const PY = `
import multiprocessing as mp, time, json, sys
def ints(q, n):
    for i in range(n): q.put(i)
def big(q, n, size):
    b = b'\\x01' * size
    for i in range(n): q.put(b)
def pong(c, n):
    for i in range(n): c.send(c.recv())
if __name__ == '__main__':
    out = {}
    q = mp.Queue(); p = mp.Process(target=ints, args=(q, ${INTS})); p.start()
    q.get(); t0 = time.perf_counter()
    for i in range(${INTS} - 1): q.get()
    out['ints_per_s'] = round((${INTS} - 1) / (time.perf_counter() - t0)); p.join()
    q = mp.Queue(); p = mp.Process(target=big, args=(q, ${BIG}, ${MIB})); p.start()
    q.get(); t0 = time.perf_counter()
    for i in range(${BIG} - 1): q.get()
    out['mb_per_s'] = round((${BIG} - 1) * ${MIB} / 1e6 / (time.perf_counter() - t0)); p.join()
    a, b = mp.Pipe(); p = mp.Process(target=pong, args=(b, ${PINGS})); p.start()
    a.send(-1); p2 = None
    t0 = time.perf_counter(); a.recv()
    for i in range(${PINGS} - 1):
        a.send(i); a.recv()
    out['round_trip_us'] = round((time.perf_counter() - t0) * 1e6 / (${PINGS} - 1), 2); p.join()
    print(json.dumps(out))
`;

function python() {
  try {
    return JSON.parse(execFileSync('python3', ['-c', PY], { encoding: 'utf8', timeout: 300_000 }));
  } catch (e) {
    console.error('CPython run failed:', e.message);
    return null;
  }
}

const best = async (f, mode, better = Math.max) => {
  const runs = [];
  for (let i = 0; i < 3; i++) runs.push(await f(mode));
  return better(...runs);
};

const node = {
  ints_per_s: { getSync: await best(ints, 'sync'), get: await best(ints, 'async') },
  mb_per_s: {
    getSync: await best(bytes, 'sync'),
    get: await best(bytes, 'async'),
    'getSync, Queue(8)': await best(bytes, 'bounded'),
  },
  round_trip_us: {
    recvSync: await best(roundTrip, 'sync', Math.min),
    recv: await best(roundTrip, 'async', Math.min),
  },
};
const py = python();
const ratio = (x, y) => (y ? Math.round((x / y) * 10) / 10 : null);
const results = {
  date: new Date().toISOString(),
  machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version },
  workload: {
    ints: INTS,
    big_messages: BIG,
    big_size: MIB,
    pings: PINGS,
    note: 'best of 3 runs (multiproc)',
  },
  multiproc: node,
  cpython: py,
  ratios: py && {
    ints: ratio(Math.max(...Object.values(node.ints_per_s)), py.ints_per_s),
    mb: ratio(Math.max(...Object.values(node.mb_per_s)), py.mb_per_s),
    round_trip_speedup: ratio(py.round_trip_us, Math.min(...Object.values(node.round_trip_us))),
  },
  note: 'ratios compare the best multiproc variant with CPython; the machine is shared, expect +-50% noise',
};
writeFileSync(new URL('./results.json', import.meta.url), `${JSON.stringify(results, null, 2)}\n`);
console.log(JSON.stringify(results, null, 2));
