// Manager dict benchmark: this library vs CPython's multiprocessing.Manager().dict().
// Run after building: `node packages/manager/bench/manager.mjs` (writes bench/results.json).
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { Pipe } from '@multiproc/pipe';
import { isMainProcess, Process } from '@multiproc/process';
import { Manager } from '@multiproc/manager';

const N = Number(process.env.N ?? 10_000);
const WINDOW = 256; // calls in flight in the pipelined run

/** Runs in a worker: sequential sets then gets, then the same pipelined. Reports us/op. */
export async function drive(d, n, window, out) {
  for (let i = 0; i < n; i++) await d.set(`w${i}`, i); // warm-up (JIT): a full round first
  for (let i = 0; i < n; i++) await d.get(`w${i}`);
  let t = performance.now();
  for (let i = 0; i < n; i++) await d.set(`k${i}`, i);
  const set = ((performance.now() - t) * 1000) / n;
  t = performance.now();
  for (let i = 0; i < n; i++) await d.get(`k${i}`);
  const get = ((performance.now() - t) * 1000) / n;
  const pipelined = async (op) => {
    const t0 = performance.now();
    let inFlight = [];
    for (let i = 0; i < n; i++) {
      inFlight.push(op(i));
      if (inFlight.length === window) {
        await Promise.all(inFlight);
        inFlight = [];
      }
    }
    await Promise.all(inFlight);
    return ((performance.now() - t0) * 1000) / n;
  };
  const pset = await pipelined((i) => d.set(`p${i}`, i));
  const pget = await pipelined((i) => d.get(`p${i}`));
  out.send({ set, get, pipelinedSet: pset, pipelinedGet: pget });
  out.close();
}

const PY = `
import time, sys
from multiprocessing import Manager, Process, Pipe
N = int(sys.argv[1])
def drive(d, n, out):
    for i in range(500): d['w%d' % i] = i
    t = time.perf_counter()
    for i in range(n): d['k%d' % i] = i
    s = (time.perf_counter() - t) * 1e6 / n
    t = time.perf_counter()
    for i in range(n): d['k%d' % i]
    g = (time.perf_counter() - t) * 1e6 / n
    out.send((s, g))
if __name__ == '__main__':
    with Manager() as m:
        d = m.dict()
        r, w = Pipe(False)
        p = Process(target=drive, args=(d, N, w)); p.start()
        s, g = r.recv(); p.join()
        print('%f %f' % (s, g))
`;

function cpython() {
  try {
    const [set, get] = execFileSync('python3', ['-c', PY, String(N)], { encoding: 'utf8' })
      .trim()
      .split(' ')
      .map(Number);
    return { set, get, version: execFileSync('python3', ['--version'], { encoding: 'utf8' }).trim() };
  } catch (err) {
    return { error: String(err.message ?? err) };
  }
}

if (isMainProcess()) {
  const manager = await Manager();
  const d = await manager.dict();
  const [reader, writer] = Pipe({ duplex: false });
  const p = new Process({ target: drive, args: [d, N, WINDOW, writer] });
  await p.start();
  writer.close();
  const ours = await reader.recv();
  await p.join();
  await manager.shutdown();
  const py = cpython();
  const r2 = (x) => Math.round(x * 100) / 100;
  const results = {
    date: new Date().toISOString(),
    node: process.version,
    ops: N,
    pipelineWindow: WINDOW,
    multiproc: Object.fromEntries(Object.entries(ours).map(([k, v]) => [k, r2(v)])),
    cpython: py.error ? py : { set: r2(py.set), get: r2(py.get), version: py.version },
    unit: 'microseconds per operation (dict proxy driven from a worker)',
  };
  console.log(JSON.stringify(results, null, 2));
  writeFileSync(new URL('./results.json', import.meta.url), `${JSON.stringify(results, null, 2)}\n`);
}
