import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Process } from '@multiproc/process';

export const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));

/** Runs `node ...args` in the fixtures directory; bounded by a generous timeout. */
export function runNode(
  args: string[],
  timeout = 30_000,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, args, { cwd: fixtures, timeout }, (err, stdout, stderr) => {
      const code = err ? ((err as { code?: number }).code ?? null) : 0;
      resolve({ code: typeof code === 'number' ? code : null, stdout, stderr });
    });
  });
}

/** A scratch directory for files that workers write. */
export function scratch(): {
  file: (name: string) => string;
  read: (name: string) => any;
  cleanup: () => void;
} {
  const dir = mkdtempSync(join(tmpdir(), 'mp-process-'));
  return {
    file: (name) => join(dir, name),
    read: (name) => JSON.parse(readFileSync(join(dir, name), 'utf8')),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Tracks started processes and stops the ones a failed test left running. */
export function tracker() {
  const started: Process[] = [];
  return {
    track<P extends Process>(p: P): P {
      started.push(p);
      return p;
    },
    async cleanup() {
      for (const p of started.splice(0)) {
        try {
          if (p.isAlive()) p.kill();
          await p.join().catch(() => {});
        } catch {
          // never started or closed
        }
      }
    },
  };
}
