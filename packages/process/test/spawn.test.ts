// The 'spawn' start method: real child processes.
import { execFile, spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { osMemoryAvailable, osMemoryUnavailableReason } from '@multiproc/memory';
import * as mp from '@multiproc/process';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { printLines, killSelf } from './fixtures/spawn-targets.mjs';
import { describeSelf, exitWith, fail, forever, nested, ok } from './fixtures/targets.mjs';
import { fixtures, scratch, tracker } from './helpers.js';

const available = osMemoryAvailable();
if (!available) {
  console.error(`\n!!! SKIPPING the 'spawn' start method tests: ${osMemoryUnavailableReason()}\n`);
} else {
  // Every Process of this file (and, inherited, of its children) is a child process.
  mp.setStartMethod('spawn', { force: true });
}

const t = tracker();
const tmp = scratch();
afterEach(() => t.cleanup());
afterAll(() => tmp.cleanup());

function proc(options: mp.ProcessOptions): mp.Process {
  return t.track(new mp.Process(options));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until(what: string, cond: () => boolean, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const shmOf = (tree: string) => readdirSync('/dev/shm').filter((n) => n.startsWith(`mp-${tree}-`));

describe.skipIf(!available)("the 'spawn' start method", () => {
  it('runs the target in another process: its own pid, a tree-unique ident, its parent known', async () => {
    const file = tmp.file('self.json');
    const p = proc({ target: describeSelf, args: [file, 'x'] });
    await p.start();
    expect(p.pid).toBeTypeOf('number');
    expect(p.pid).not.toBe(process.pid);
    await p.join(20_000);
    expect(p.exitcode).toBe(0);
    const seen = tmp.read('self.json');
    expect(seen).toMatchObject({ name: p.name, pid: p.pid, ident: p.ident, isMain: false, rest: ['x'] });
    expect(seen.parent).toMatchObject({ pid: process.pid, name: 'MainProcess' });
    expect(seen.ident).toBeGreaterThan(1);
  });

  it('exit codes: 0, 1 when the target throws, n after process.exit(n)', async () => {
    const a = proc({ target: ok });
    const c = proc({ target: exitWith, args: [3] });
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const b = proc({ target: fail, args: ['it broke'] });
    try {
      for (const p of [a, b, c]) await p.start();
      for (const p of [a, b, c]) await p.join(20_000);
    } finally {
      spy.mockRestore();
    }
    expect([a.exitcode, b.exitcode, c.exitcode]).toEqual([0, 1, 3]);
  });

  it('terminate() gives -15, kill() -9, and death by another signal -signum', async () => {
    const a = proc({ target: forever });
    const b = proc({ target: forever });
    const c = proc({ target: killSelf, args: ['SIGSEGV'] });
    for (const p of [a, b, c]) await p.start();
    a.terminate();
    b.kill();
    for (const p of [a, b, c]) await p.join(20_000);
    expect([a.exitcode, b.exitcode, c.exitcode]).toEqual([-15, -9, -11]);
    expect(a.isAlive()).toBe(false);
  });

  it('join(timeout) returns with the child still running', async () => {
    const p = proc({ target: forever });
    await p.start();
    await p.join(100);
    expect(p.isAlive()).toBe(true);
    expect(p.exitcode).toBeNull();
    p.terminate();
    await p.join(20_000);
    expect(p.exitcode).toBe(-15);
  });

  it("forwards the child's stdout and stderr, in order, before join() resolves", async () => {
    const out: string[] = [];
    const err: string[] = [];
    const o = vi.spyOn(process.stdout, 'write').mockImplementation((c: any) => {
      out.push(String(c));
      return true;
    });
    const e = vi.spyOn(process.stderr, 'write').mockImplementation((c: any) => {
      err.push(String(c));
      return true;
    });
    try {
      const p = proc({ target: printLines, args: [200] });
      await p.start();
      await p.join(20_000);
      expect(p.exitcode).toBe(0);
      const lines = out
        .join('')
        .split('\n')
        .filter((l) => l.startsWith('line '));
      expect(lines).toEqual(Array.from({ length: 200 }, (_, i) => `line ${i} from ${p.name}`));
      expect(err.join('')).toContain(`stderr from ${p.name}`);
    } finally {
      o.mockRestore();
      e.mockRestore();
    }
  });

  it('a child starts a child of its own (spawn is inherited)', async () => {
    const file = tmp.file('nested.json');
    const p = proc({ target: nested, args: [file] });
    await p.start();
    await p.join(30_000);
    expect(p.exitcode).toBe(0);
    expect(tmp.read('nested.json')).toEqual({ me: p.name, child: `${p.name}:1`, exitcode: 0 });
    const inner = tmp.read('nested.json.inner');
    expect(inner.parent.pid).not.toBe(process.pid);
    expect(inner.pid).not.toBe(inner.parent.pid);
  });

  it('a start failure is clear when the executable does not exist', async () => {
    mp.setExecutable('/nonexistent/node');
    try {
      const p = proc({ target: ok });
      await expect(p.start()).rejects.toThrow(/nonexistent\/node/);
    } finally {
      mp.setExecutable(process.execPath);
    }
  });

  it('TypeScript targets through tsx work in spawn children', async () => {
    const r = await new Promise<{ stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        ['--import', 'tsx', 'main.ts'],
        { cwd: fixtures, timeout: 60_000, env: { ...process.env, MP_START_METHOD: 'spawn' } },
        (_err, stdout, stderr) => resolve({ stdout, stderr }),
      );
    });
    expect(r.stderr).toBe('');
    expect(r.stdout.split('\n').filter(Boolean)).toEqual([
      'square 49 in Process-1',
      'exitcode 0',
      'work ts in Process-2',
      'exitcode 0',
      'counter from 3 in counter (true)',
      'exitcode 0',
    ]);
  });

  it('when the root is SIGKILLed: its daemonic child dies, and the tracker empties /dev/shm', async () => {
    const root = spawn(process.execPath, ['spawn-root.mjs'], {
      cwd: fixtures,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let info: { tree: string; pid: number; daemonPid: number; otherPid: number };
    try {
      const line = await new Promise<string>((resolve, reject) => {
        let buf = '';
        root.stdout.on('data', (c) => {
          buf += c;
          if (buf.includes('\n')) resolve(buf.split('\n')[0]!);
        });
        root.once('exit', () => reject(new Error(`the root exited early: ${buf}`)));
        setTimeout(() => reject(new Error('no answer from the root')), 30_000);
      });
      info = JSON.parse(line);
      expect(shmOf(info.tree).length).toBeGreaterThan(0);
      expect(alive(info.daemonPid)).toBe(true);
    } finally {
      root.kill('SIGKILL');
    }
    await until('the daemonic child to die', () => !alive(info.daemonPid));
    // A non-daemonic child outlives its parent (Python semantics); end it, then the tree is gone.
    expect(alive(info.otherPid)).toBe(true);
    process.kill(info.otherPid, 'SIGKILL');
    await until('the tracker to remove every segment of the tree', () => shmOf(info.tree).length === 0);
  });
});
