// Baseline: a bare worker thread pulling sub-ranges from a shared counter.
import { parentPort, workerData } from 'node:worker_threads';
import { countPrimes } from './tasks.mjs';
const { next, ranges } = workerData;
const i32 = new Int32Array(next);
let total = 0;
for (;;) {
  const i = Atomics.add(i32, 0, 1);
  if (i >= ranges.length) break;
  total += countPrimes(ranges[i][0], ranges[i][1]);
}
parentPort.postMessage(total);
