/**
 * Wire formats: multiproc's `dumps`/`loads` (what every queue, pipe and pool message goes
 * through) against `v8.serialize`/`deserialize` (what postMessage uses) and CPython's pickle,
 * on the same values. One round trip = encode + decode.
 */
import v8 from 'node:v8';
import * as mp from 'multiproc';
import { type Row, runPython, type Workload } from '../harness.js';

const MS = 300;

const cases: Record<string, () => unknown> = {
  'small int': () => 42,
  'small object': () => ({ id: 12345, name: 'widget', tags: ['a', 'bb', 'ccc'] }),
  '1 MiB Float64Array': () => new Float64Array(131072).fill(Math.PI),
  '1000-object array': () =>
    Array.from({ length: 1000 }, (_, i) => ({ id: i, name: `item${i}`, ok: i % 2 === 0 })),
};

/** Round trips per second of `fn`, run in doubling batches for about MS milliseconds. */
function perSecond(fn: () => void): number {
  for (let i = 0; i < 1000; i++) fn();
  let n = 0;
  let batch = 1;
  const start = performance.now();
  let now = start;
  while (now - start < MS) {
    for (let i = 0; i < batch; i++) fn();
    n += batch;
    if (batch < 1 << 14) batch *= 2;
    now = performance.now();
  }
  return (n * 1000) / (now - start);
}

export const serialization: Workload = {
  name: 'serialization',
  sizes: `round trips of 4 values: small int, small object, 1 MiB Float64Array, 1000 objects; ${MS} ms each`,
  async run() {
    const rows: Row[] = [];
    const py = runPython<Record<string, number>>('pickle_formats.py', [String(MS)]);
    for (const [label, make] of Object.entries(cases)) {
      const value = make();
      const row = (impl: string, value: number): Row => ({
        workload: 'serialization',
        impl,
        metric: `${label} round trip`,
        value,
        unit: 'ops/s',
        higherIsBetter: true,
      });
      rows.push(
        row(
          'multiproc dumps/loads',
          perSecond(() => mp.loads(mp.dumps(value))),
        ),
      );
      rows.push(
        row(
          'v8.serialize/deserialize',
          perSecond(() => v8.deserialize(v8.serialize(value))),
        ),
      );
      if (py) rows.push(row('CPython pickle', py[label]));
    }
    return rows;
  },
};
