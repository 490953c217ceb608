/**
 * Managers: a dict proxy driven from a worker — N sets then N gets one call at a time, and the
 * same pipelined (WINDOW calls in flight). CPython: `Manager().dict()` driven from a child
 * process (it has no pipelining: a proxy call blocks). Median of ROUNDS fresh managers.
 */
import * as mp from 'multiproc';
import { drive } from '../fixtures/manager-driver.js';
import { type Row, runPython, type Workload } from '../harness.js';

const N = 10_000;
const WINDOW = 256;
const ROUNDS = 3;

type Result = { set: number; get: number; pipelinedSet: number; pipelinedGet: number };

async function once(): Promise<Result> {
  await using manager = await mp.Manager();
  const d = await manager.dict();
  const [reader, writer] = mp.Pipe({ duplex: false });
  const p = new mp.Process({ target: drive, args: [d, N, WINDOW, writer] });
  await p.start();
  writer.close();
  const r = (await reader.recv()) as Result;
  await p.join();
  reader.close();
  return r;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

export const manager: Workload = {
  name: 'manager',
  sizes: `dict proxy from a worker: ${N.toLocaleString('en-US')} sets + ${N.toLocaleString('en-US')} gets; pipelined ${WINDOW} in flight; median of ${ROUNDS}`,
  async run() {
    const runs: Result[] = [];
    for (let i = 0; i < ROUNDS; i++) runs.push(await once());
    const rows: Row[] = [];
    const row = (impl: string, metric: string, value: number) =>
      rows.push({ workload: 'manager', impl, metric, value, unit: 'us/op', higherIsBetter: false });
    const m = (k: keyof Result) => median(runs.map((r) => r[k]));
    row('multiproc', 'dict set', m('set'));
    row('multiproc pipelined', 'dict set', m('pipelinedSet'));
    row('multiproc', 'dict get', m('get'));
    row('multiproc pipelined', 'dict get', m('pipelinedGet'));
    const py = runPython<{ set: number; get: number }>('mp_manager.py', [String(N), String(ROUNDS)]);
    if (py) {
      rows.splice(2, 0, { ...rows[0], impl: 'CPython', value: py.set });
      rows.push({ ...rows[0], metric: 'dict get', impl: 'CPython', value: py.get });
    }
    return rows;
  },
};
