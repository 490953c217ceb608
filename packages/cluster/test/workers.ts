/** Spawns `multiproc worker` CLI processes (each in its own process group) and kills them. */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('..', import.meta.url));
export const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

export interface WorkerProc {
  proc: ChildProcess;
  log: () => string;
  exited: Promise<number | null>;
}

export function spawnWorker(url: string, args: string[] = []): WorkerProc {
  const proc = spawn(
    process.execPath,
    [cli, 'worker', '--redis', url, '--import', './test/fixtures/tasks.mjs', ...args],
    { cwd: root, detached: true, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let out = '';
  proc.stderr?.on('data', (d) => {
    out += d;
  });
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  return { proc, log: () => out, exited };
}

/** SIGKILLs the worker's whole process group (the CLI and its pool's processes). */
export function killGroup(w: WorkerProc): void {
  try {
    if (w.proc.pid) process.kill(-w.proc.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}
