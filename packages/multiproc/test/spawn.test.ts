// Shared objects across real processes (the 'spawn' start method): Value + Lock, Queue, Pipe,
// Pool, SharedMemory by name and by path, a robust lock whose holder is SIGKILLed.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as mp from 'multiproc';
import { afterEach, describe, expect, it } from 'vitest';
import {
  appendPid,
  exitOn,
  holdLock,
  incLocked,
  pid,
  produce,
  putThenHang,
  sendTwo,
  shmByName,
  shmByPath,
  square,
} from './fixtures/spawn-targets.mjs';

const ctx = mp.getContext('spawn');

/** Whether 'spawn' works here (the native addon is built); if not, every test below is skipped. */
async function probe(): Promise<string> {
  const p = new ctx.Process({ target: pid });
  try {
    await p.start();
    await p.join();
    return '';
  } catch (e) {
    return String((e as Error).message);
  }
}
const unavailable = await probe();
if (unavailable) {
  console.error(`\n!!! SKIPPING the 'spawn' cross-process tests: ${unavailable}\n`);
}

const started: mp.Process[] = [];
function proc(options: mp.ProcessOptions): mp.Process {
  const p = new ctx.Process(options);
  started.push(p);
  return p;
}
afterEach(async () => {
  for (const p of started.splice(0)) {
    try {
      if (p.isAlive()) p.kill();
      await p.join(10_000);
    } catch {}
  }
});

describe.skipIf(unavailable !== '')("shared objects across 'spawn' processes", () => {
  it('Value + Lock: 2 processes x 10,000 locked increments give exactly 20,000', async () => {
    const v = ctx.Value('i', 0, { lock: false });
    const lock = new ctx.Lock();
    const ps = [
      proc({ target: incLocked, args: [v, lock, 10_000] }),
      proc({ target: incLocked, args: [v, lock, 10_000] }),
    ];
    for (const p of ps) await p.start();
    for (const p of ps) await p.join(30_000);
    expect(ps.map((p) => p.exitcode)).toEqual([0, 0]);
    expect(ps[0]!.pid).not.toBe(process.pid);
    expect(v.value).toBe(20_000);
  });

  it('Queue: a producer child delivers every item, in order, exactly once', async () => {
    const q = new ctx.Queue<{ i: number; pid: number }>();
    const p = proc({ target: produce, args: [q, 2_000] });
    await p.start();
    const got: number[] = [];
    for (let i = 0; i < 2_000; i++) got.push((await q.get({ timeout: 20_000 })).i);
    await p.join(20_000);
    expect(p.exitcode).toBe(0);
    expect(got).toEqual(Array.from({ length: 2_000 }, (_, i) => i));
    expect(q.empty()).toBe(true);
  });

  it('Queue: an item put by a child survives its SIGKILL', async () => {
    const q = new ctx.Queue<{ survived: boolean; pid: number }>();
    const ev = new ctx.Event();
    const p = proc({ target: putThenHang, args: [q, ev] });
    await p.start();
    expect(await ev.wait(20_000)).toBe(true);
    p.kill();
    await p.join(20_000);
    expect(p.exitcode).toBe(-9);
    const item = await q.get({ timeout: 5_000 });
    expect(item).toEqual({ survived: true, pid: p.pid });
  });

  it('Pipe: messages from a child, then EOFError once it exited', async () => {
    const [a, b] = ctx.Pipe();
    const p = proc({ target: sendTwo, args: [b] });
    await p.start();
    b.close();
    expect(await a.recv()).toBe('hi');
    expect(await a.recv()).toEqual({ from: p.pid });
    await expect(a.recv()).rejects.toBeInstanceOf(mp.EOFError);
    await p.join(20_000);
    expect(p.exitcode).toBe(0);
  });

  it('Pool: map in child processes, and a worker that dies mid-task is replaced', async () => {
    const pool = new ctx.Pool(2);
    try {
      expect(await pool.map(square, [1, 2, 3, 4, 5, 6, 7, 8])).toEqual([1, 4, 9, 16, 25, 36, 49, 64]);
      const pids = await pool.map(pid, [1, 2, 3, 4], { chunksize: 1 });
      expect(pids).not.toContain(process.pid);
      await expect(pool.map(exitOn, [1, 2, 3, 4], { chunksize: 1 })).rejects.toBeInstanceOf(mp.ProcessError);
      expect(await pool.map(square, [9, 10])).toEqual([81, 100]);
    } finally {
      pool.terminate();
      await pool.join();
    }
  });

  it('Manager: ctx.Manager() serves from a child process; a spawn child appends to a managed list', async () => {
    const before = new Set(mp.activeChildren().map((p) => p.pid));
    const m = await ctx.Manager();
    try {
      const server = mp.activeChildren().find((p) => !before.has(p.pid));
      expect(server?.pid).toBeGreaterThan(0);
      expect(server?.pid).not.toBe(process.pid);
      const list = await m.list();
      const p = proc({ target: appendPid, args: [list] });
      await p.start();
      await p.join(20_000);
      expect(p.exitcode).toBe(0);
      expect(await list.copy()).toEqual([p.pid]);
    } finally {
      await m.shutdown();
    }
  });

  it('SharedMemory by name: a child attaches and writes', async () => {
    const name = `spawn-test-${process.pid}`;
    const shm = new ctx.SharedMemory({ name, create: true, size: 16 });
    try {
      shm.buf[0] = 41;
      const p = proc({ target: shmByName, args: [name] });
      await p.start();
      await p.join(20_000);
      expect(p.exitcode).toBe(0);
      expect(shm.buf[1]).toBe(42);
    } finally {
      shm.close();
      shm.unlink();
    }
  });

  it('SharedMemory by path: parent and child map the same file (a real mmap)', async () => {
    const path = join(tmpdir(), `mp-spawn-mmap-${process.pid}.bin`);
    writeFileSync(path, 'abcdefgh');
    try {
      const mm = new ctx.SharedMemory({ path });
      const p = proc({ target: shmByPath, args: [path] });
      await p.start();
      await p.join(20_000);
      expect(p.exitcode).toBe(0);
      expect(String.fromCharCode(mm.buf[1]!, mm.buf[2]!)).toBe('Zb');
      mm.close();
      expect(readFileSync(path, 'latin1')).toBe('aZbdefgh');
    } finally {
      rmSync(path, { force: true });
    }
  });

  it('a robust Lock held by a child that is SIGKILLed is recovered by the next acquirer', async () => {
    const lock = new ctx.Lock({ robust: true });
    const ev = new ctx.Event();
    const p = proc({ target: holdLock, args: [lock, ev] });
    await p.start();
    expect(await ev.wait(20_000)).toBe(true);
    expect(lock.acquireSync({ block: false })).toBe(false);
    p.kill();
    await p.join(20_000);
    expect(p.exitcode).toBe(-9);
    expect(await lock.acquire({ timeout: 10_000 })).toBe(true);
    lock.release();
  });
});
