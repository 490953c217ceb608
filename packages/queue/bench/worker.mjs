// Bench worker: waits for the go flag, then runs one side of a measurement.
import { workerData } from 'node:worker_threads';
import { initChild } from '@multiproc/memory';
import { loads } from '@multiproc/serialization';

initChild(workerData.memory);
await import('@multiproc/queue');
const [target, n, size] = loads(workerData.args);
const go = new Int32Array(workerData.go);
Atomics.wait(go, 0, 0);

if (workerData.op === 'ints') {
  for (let i = 0; i < n; i++) target.putSync(i);
} else if (workerData.op === 'bytes') {
  const b = new Uint8Array(size).fill(1);
  for (let i = 0; i < n; i++) target.putSync(b);
} else if (workerData.op === 'pong') {
  for (let i = 0; i < n; i++) target.send(target.recvSync());
}
target.close();
