/**
 * The benchmark harness: workloads report rows, the runner writes them side by side.
 * Every workload measures all its implementations in the same run, because these machines are
 * shared and noisy: only ratios within one run are worth comparing.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** One measured number. `higherIsBetter` decides how ratios are read. */
export interface Row {
  workload: string;
  impl: string;
  metric: string;
  value: number;
  unit: string;
  higherIsBetter: boolean;
  note?: string;
}

export interface Workload {
  name: string;
  /** The sizes it runs with, printed beside its rows. */
  sizes: string;
  run(): Promise<Row[]>;
}

let pythonChecked: string | null | undefined;

/** The python3 binary, or null (the Python rows are then skipped with a note). */
export function python(): string | null {
  if (pythonChecked !== undefined) return pythonChecked;
  try {
    execFileSync('python3', ['--version'], { stdio: 'ignore' });
    pythonChecked = 'python3';
  } catch {
    pythonChecked = null;
  }
  return pythonChecked;
}

/** Runs `apps/bench/python/<script>` with args; the script prints one JSON object. */
export function runPython<T>(script: string, args: string[] = []): T | null {
  const py = python();
  if (!py) return null;
  const path = fileURLToPath(new URL(`../python/${script}`, import.meta.url));
  const r = spawnSync(py, [path, ...args], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`python ${script} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as T;
}

/** Median of `runs` timings of `fn` in ms, after one warm-up. */
export async function medianMs(fn: () => unknown | Promise<unknown>, runs = 5): Promise<number> {
  await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

/**
 * Runs `apps/bench/src/fixtures/<fixture>` in a fresh Node process with this one's loaders (tsx)
 * and returns the JSON object it prints last. The 'spawn' rows are measured this way because
 * choosing 'spawn' switches a process to OS shared memory for good, which would change what the
 * later thread rows of this process measure.
 */
export function runNodeFixture<T>(fixture: string, args: Array<string | number>): T {
  const script = fileURLToPath(new URL(`./fixtures/${fixture}`, import.meta.url));
  const argv = [...process.execArgv, script, ...args.map(String)];
  const r = spawnSync(process.execPath, argv, { encoding: 'utf8', maxBuffer: 1 << 24, timeout: 600_000 });
  if (r.status !== 0) throw new Error(`${fixture} failed (exit ${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as T;
}
