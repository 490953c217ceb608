// Benchmark worker: joins the tree's memory, receives a lock, and runs one scenario.
import { parentPort, workerData } from 'node:worker_threads';
import { initChild } from '@multiproc/memory';
import { loads } from '@multiproc/serialization';
import { _setSpinCount } from '@multiproc/synchronize';

initChild(workerData.memory);
const { op, n, spin, counter, go } = workerData;
if (spin !== undefined) _setSpinCount(spin);
const lock = loads(workerData.lock);
const c = new Int32Array(counter);
const g = new Int32Array(go);

parentPort.postMessage('ready');
Atomics.wait(g, 0, 0);

if (op === 'sync') {
  for (let i = 0; i < n; i++) {
    lock.acquireSync();
    c[0] = c[0] + 1;
    lock.release();
  }
  parentPort.postMessage('done');
} else if (op === 'async') {
  for (let i = 0; i < n; i++) {
    await lock.acquire();
    c[0] = c[0] + 1;
    lock.release();
  }
  parentPort.postMessage('done');
} else if (op === 'uncontended') {
  for (let i = 0; i < 100_000; i++) {
    lock.acquireSync();
    lock.release();
  }
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    lock.acquireSync();
    lock.release();
  }
  parentPort.postMessage(Number(process.hrtime.bigint() - t0) / n);
}
