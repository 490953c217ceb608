import { measure, type Result } from '../fixtures/manager-driver.js';
import { type Row, runNodeFixture, runPython, type Workload } from '../harness.js';

const N = 10_000;
const WINDOW = 256;
const ROUNDS = 3;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/** The spawn rounds, in a fresh Node process with this one's loaders (tsx). */
function spawnRounds(): Result[] {
  return runNodeFixture<Result[]>('manager-spawn.ts', [N, WINDOW, ROUNDS]);
}

export const manager: Workload = {
  name: 'manager',
  sizes: `dict proxy from a worker: ${N.toLocaleString('en-US')} sets + ${N.toLocaleString('en-US')} gets; pipelined ${WINDOW} in flight; thread and spawn; median of ${ROUNDS}`,
  async run() {
    const runs: Result[] = [];
    for (let i = 0; i < ROUNDS; i++) runs.push(await measure('thread', N, WINDOW));
    const spawned = spawnRounds();
    const rows: Row[] = [];
    const row = (impl: string, metric: string, value: number) =>
      rows.push({ workload: 'manager', impl, metric, value, unit: 'us/op', higherIsBetter: false });
    const m = (rs: Result[], k: keyof Result) => median(rs.map((r) => r[k]));
    row('multiproc', 'dict set', m(runs, 'set'));
    row('multiproc spawn', 'dict set', m(spawned, 'set'));
    row('multiproc pipelined', 'dict set', m(runs, 'pipelinedSet'));
    row('multiproc spawn pipelined', 'dict set', m(spawned, 'pipelinedSet'));
    row('multiproc', 'dict get', m(runs, 'get'));
    row('multiproc spawn', 'dict get', m(spawned, 'get'));
    row('multiproc pipelined', 'dict get', m(runs, 'pipelinedGet'));
    row('multiproc spawn pipelined', 'dict get', m(spawned, 'pipelinedGet'));
    const py = runPython<{ set: number; get: number }>('mp_manager.py', [String(N), String(ROUNDS)]);
    if (py) {
      rows.splice(4, 0, { ...rows[0], impl: 'CPython', value: py.set });
      rows.push({ ...rows[0], metric: 'dict get', impl: 'CPython', value: py.get });
    }
    return rows;
  },
};
