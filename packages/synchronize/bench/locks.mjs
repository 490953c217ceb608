// Lock benchmarks: multiproc vs CPython multiprocessing, in the same run.
//   node packages/synchronize/bench/locks.mjs        (build the package first: npx tsup)
// Writes bench/results.json next to this file.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { once } from 'node:events';
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { childBootstrap } from '@multiproc/memory';
import { dumps } from '@multiproc/serialization';
import { Lock, RLock, _setSpinCount } from '@multiproc/synchronize';

const N_UNCONTENDED = 5_000_000;
const N_CONTENDED = 100_000;
const WORKERS = 2;
const SPINS = [0, 50, 100, 200, 400];
const DEFAULT_SPIN = _setSpinCount(100);
_setSpinCount(DEFAULT_SPIN);

function uncontendedMain(lock, n) {
  for (let i = 0; i < 200_000; i++) {
    lock.acquireSync();
    lock.release();
  }
  let best = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 5; round++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) {
      lock.acquireSync();
      lock.release();
    }
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / n);
  }
  return best;
}

/** The floor on this machine: the two atomic read-modify-writes any futex lock needs, nothing else. */
function floor(n) {
  const i32 = new Int32Array(new SharedArrayBuffer(8));
  const acquire = () => Atomics.compareExchange(i32, 0, 0, 1) === 0;
  const release = () => Atomics.compareExchange(i32, 0, 1, 0);
  let best = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 6; round++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) {
      acquire();
      release();
    }
    if (round > 0) best = Math.min(best, Number(process.hrtime.bigint() - t0) / n);
  }
  return best;
}

async function runWorkers(op, lock, { n = N_CONTENDED, spin, workers = WORKERS } = {}) {
  const counter = new SharedArrayBuffer(4);
  const go = new SharedArrayBuffer(4);
  const started = [];
  for (let i = 0; i < workers; i++) {
    const { data, transferList, onExit } = childBootstrap();
    const w = new Worker(new URL('./worker.mjs', import.meta.url), {
      workerData: { memory: data, op, n, spin, counter, go, lock: dumps(lock) },
      transferList,
    });
    w.on('exit', onExit);
    started.push(w);
  }
  await Promise.all(started.map((w) => once(w, 'message')));
  const results = started.map((w) => once(w, 'message'));
  const t0 = process.hrtime.bigint();
  Atomics.store(new Int32Array(go), 0, 1);
  Atomics.notify(new Int32Array(go), 0);
  const replies = await Promise.all(results);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  await Promise.all(started.map((w) => w.terminate()));
  return { seconds, final: new Int32Array(counter)[0], replies: replies.map((r) => r[0]) };
}

async function contended(op, spin) {
  const runs = [];
  for (let r = 0; r < 5; r++) {
    const { seconds, final } = await runWorkers(op, new Lock(), { spin });
    runs.push({ seconds, final });
  }
  const best = runs.reduce((a, b) => (a.seconds < b.seconds ? a : b));
  const expected = WORKERS * N_CONTENDED;
  if (runs.some((x) => x.final !== expected))
    throw new Error(`${op}: lost increments: ${runs.map((x) => x.final)}`);
  const sorted = runs.map((x) => x.seconds).sort((a, b) => a - b);
  const median = sorted[sorted.length >> 1];
  return {
    spin,
    incrementsPerSecond: Math.round(expected / best.seconds),
    medianIncrementsPerSecond: Math.round(expected / median),
    seconds: best.seconds,
    final: best.final,
  };
}

const PY = `
import json, multiprocessing as mp, time
def work(v, n, barrier, ends, i):
    barrier.wait()
    for _ in range(n):
        with v.get_lock():
            v.value += 1
    ends[i] = time.perf_counter()
if __name__ == '__main__':
    lock = mp.Lock()
    n = 1_000_000
    best = 1e9
    for _ in range(5):
        t = time.perf_counter()
        for _ in range(n):
            lock.acquire(); lock.release()
        best = min(best, (time.perf_counter() - t) / n * 1e9)
    rates = []
    for _ in range(3):
        v = mp.Value('i', 0)
        barrier = mp.Barrier(3)
        ends = mp.Array('d', 2)
        ps = [mp.Process(target=work, args=(v, ${N_CONTENDED}, barrier, ends, i)) for i in range(2)]
        for p in ps: p.start()
        barrier.wait()
        t0 = time.perf_counter()
        for p in ps: p.join()
        assert v.value == 2 * ${N_CONTENDED}, v.value
        rates.append(2 * ${N_CONTENDED} / (max(ends[:]) - t0))
    print(json.dumps({'uncontendedNs': best, 'incrementsPerSecond': max(rates), 'final': v.value, 'startMethod': mp.get_start_method()}))
`;

function python() {
  try {
    const out = execFileSync('python3', ['-c', PY], { encoding: 'utf8', timeout: 300_000 });
    return JSON.parse(out.trim().split('\n').pop());
  } catch (err) {
    return { error: String(err.message ?? err) };
  }
}

const results = {
  date: new Date().toISOString(),
  node: process.version,
  cpus: os.cpus().length,
  cpuModel: os.cpus()[0]?.model,
};

console.log('uncontended acquireSync()+release(), main thread ...');
results.uncontendedNs = {
  floorCasPlusCas: floor(N_UNCONTENDED),
  Lock: uncontendedMain(new Lock(), N_UNCONTENDED),
  RLock: uncontendedMain(new RLock(), N_UNCONTENDED),
};
console.log('uncontended in a worker (robust locks arm an exit hook there) ...');
results.uncontendedNs.LockInWorker = (
  await runWorkers('uncontended', new Lock(), { n: N_UNCONTENDED, workers: 1 })
).replies[0];
results.uncontendedNs.robustLockInWorker = (
  await runWorkers('uncontended', new Lock({ robust: true }), { n: 1_000_000, workers: 1 })
).replies[0];
console.log(results.uncontendedNs);

results.spinSweep = { sync: [], async: [] };
for (const spin of SPINS) {
  const s = await contended('sync', spin);
  const a = await contended('async', spin);
  results.spinSweep.sync.push(s);
  results.spinSweep.async.push(a);
  console.log(
    `spin ${spin}: sync best ${s.incrementsPerSecond}/s median ${s.medianIncrementsPerSecond}/s; async best ${a.incrementsPerSecond}/s median ${a.medianIncrementsPerSecond}/s`,
  );
}
results.defaultSpin = DEFAULT_SPIN;
results.contended = {
  sync: results.spinSweep.sync.find((x) => x.spin === DEFAULT_SPIN),
  async: results.spinSweep.async.find((x) => x.spin === DEFAULT_SPIN),
};

console.log('CPython multiprocessing (same run) ...');
results.cpython = python();
console.log(results.cpython);
if (!results.cpython.error) {
  results.ratios = {
    uncontendedSpeedup: results.cpython.uncontendedNs / results.uncontendedNs.Lock,
    contendedSyncSpeedup: results.contended.sync.incrementsPerSecond / results.cpython.incrementsPerSecond,
    contendedAsyncSpeedup: results.contended.async.incrementsPerSecond / results.cpython.incrementsPerSecond,
  };
  console.log(results.ratios);
}
writeFileSync(new URL('./results.json', import.meta.url), `${JSON.stringify(results, null, 2)}\n`);
console.log('wrote bench/results.json');
