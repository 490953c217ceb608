import * as mp from 'multiproc';
import { contended } from '../fixtures/lock-driver.js';
import { bareAtomicsPair, uncontendedNs } from '../fixtures/lock-worker.js';
import type { SpawnLocks } from '../fixtures/locks-spawn.js';
import { type Row, runNodeFixture, runPython, type Workload } from '../harness.js';

const UNCONTENDED = 200_000;
const UNCONTENDED_ROUNDS = 100;
const N = 100_000;
const WORKERS = 2;
const ROUNDS = 7;

/** The 'spawn' measurements, in a fresh Node process with this one's loaders (tsx). */
function spawnRun(): SpawnLocks {
  return runNodeFixture<SpawnLocks>('locks-spawn.ts', [UNCONTENDED, UNCONTENDED_ROUNDS, WORKERS, N, ROUNDS]);
}

export const locks: Workload = {
  name: 'locks',
  sizes: `uncontended: best of ${UNCONTENDED_ROUNDS} x ${UNCONTENDED.toLocaleString('en-US')}; contended: ${WORKERS} workers x ${N.toLocaleString('en-US')} increments, median of ${ROUNDS}; thread and spawn`,
  async run() {
    const row = (
      impl: string,
      metric: string,
      value: number,
      unit: string,
      higherIsBetter: boolean,
    ): Row => ({
      workload: 'locks',
      impl,
      metric,
      value,
      unit,
      higherIsBetter,
    });
    const un = 'uncontended acquire+release';
    const inc = 'contended increments';
    const thread = mp.getContext('thread');
    const rows: Row[] = [
      row('multiproc Lock', un, uncontendedNs(new mp.Lock(), UNCONTENDED, UNCONTENDED_ROUNDS), 'ns', false),
      row('multiproc RLock', un, uncontendedNs(new mp.RLock(), UNCONTENDED, UNCONTENDED_ROUNDS), 'ns', false),
      row(
        'floor of Atomics: 2 x Atomics.exchange',
        un,
        uncontendedNs(bareAtomicsPair(), UNCONTENDED, UNCONTENDED_ROUNDS),
        'ns',
        false,
      ),
      row('multiproc acquireSync', inc, await contended(thread, 'sync', WORKERS, N, ROUNDS), 'incr/s', true),
      row(
        'multiproc await acquire',
        inc,
        await contended(thread, 'async', WORKERS, N, ROUNDS),
        'incr/s',
        true,
      ),
    ];
    const spawned = spawnRun();
    rows.splice(
      3,
      0,
      row('multiproc Lock (spawn, OS shared memory)', un, spawned.uncontendedNs, 'ns', false),
    );
    rows.push(row('multiproc acquireSync (spawn)', inc, spawned.incrementsPerSecond, 'incr/s', true));
    const py = runPython<{ uncontendedNs: number; incrementsPerSecond: number }>('mp_locks.py', [String(N)]);
    if (py) {
      rows.splice(4, 0, row('CPython Lock', un, py.uncontendedNs, 'ns', false));
      rows.push(row('CPython get_lock()', inc, py.incrementsPerSecond, 'incr/s', true));
    }
    return rows;
  },
};
