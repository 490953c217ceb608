/**
 * OS shared memory and the cross-process futex (the native addon behind the 'spawn' start
 * method). Child processes are real: child_process.fork/spawn of fixtures that import
 * `@multiproc/memory` by name (its dist/, so build first: `npx tsup && node native/build.cjs`).
 * Every test unlinks its segments; /dev/shm is checked before and after.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createOsBlockBuffer,
  flushMapped,
  mapFileBuffer,
  openOsBlockBuffer,
  osBufferInfo,
  osMemoryInternals,
  unlinkOsBlock,
  waitAsync,
  waitSync,
  wake,
} from '../src/index.js';

import {
  available,
  children,
  fixture,
  newName,
  ourSegments,
  pkgDir,
  runScript,
  startChild,
  wakeOneBlocked,
  withSegment,
} from './os-helpers.js';

describe.skipIf(!available)('OS shared memory (native addon)', () => {
  beforeAll(async () => {
    expect(ourSegments()).toEqual([]);
    // Children import the built package: make sure dist/ has this layer.
    const dist = await import(join(pkgDir, 'dist', 'index.js'));
    if (typeof dist.createOsBlockBuffer !== 'function') {
      throw new Error('packages/memory/dist is stale: run `npx tsup` in packages/memory first');
    }
  });

  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await Promise.all(
      children.map((c) => (c.exitCode === null && c.signalCode === null ? once(c, 'exit') : null)),
    );
    const left = ourSegments();
    for (const name of left) unlinkOsBlock(name); // report, but leave nothing behind
    expect(left).toEqual([]);
  });

  it('creates, opens and unlinks a segment, with EEXIST / ENOENT codes', () => {
    const name = newName();
    const a = createOsBlockBuffer(name, 100);
    try {
      expect(a).toBeInstanceOf(SharedArrayBuffer);
      expect(a.byteLength).toBe(100);
      expect(new Uint8Array(a).every((x) => x === 0)).toBe(true);
      expect(ourSegments()).toEqual([name]);
      expect(osBufferInfo(a)).toEqual({ kind: 'shm', name: `/${name}` });
      expect(() => createOsBlockBuffer(name, 100)).toThrow(expect.objectContaining({ code: 'EEXIST' }));
      const b = openOsBlockBuffer(`/${name}`);
      expect(b.byteLength).toBe(100);
      new Int32Array(a)[3] = 42;
      expect(new Int32Array(b)[3]).toBe(42);
      // One mapping per process: every opening sees the same address.
      expect(osMemoryInternals().addressOf(b)).toBe(osMemoryInternals().addressOf(a));
    } finally {
      unlinkOsBlock(name);
    }
    expect(ourSegments()).toEqual([]);
    expect(() => openOsBlockBuffer(name)).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    expect(() => unlinkOsBlock(name)).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    expect(() => createOsBlockBuffer(newName(), 0)).toThrow(RangeError);
    expect(() => createOsBlockBuffer('a/b', 8)).toThrow(TypeError);
  });

  it('waits in this process: not-equal, timed-out (sync and async), ok', async () => {
    await withSegment(64, async (_name, i32) => {
      expect(waitSync(i32, 0, 1, 0)).toBe('not-equal');
      expect(waitSync(i32, 0, 0, 0)).toBe('timed-out');
      expect(waitSync(i32, 0, 0, 20)).toBe('timed-out');
      expect(await waitAsync(i32, 0, 1, 1000)).toBe('not-equal');
      expect(await waitAsync(i32, 0, 0, 0)).toBe('timed-out');
      expect(await waitAsync(i32, 0, 0, 20)).toBe('timed-out');
      // A sub-array's index is relative to its own offset, as with Atomics.
      const sub = new Int32Array(i32.buffer, 8, 2);
      const pending = waitAsync(sub, 1, 0);
      while (wake(i32, 3, 1) !== 1) await new Promise((r) => setTimeout(r, 1));
      expect(await pending).toBe('ok');
      expect(() => waitSync(sub, 2, 0, 0)).toThrow(RangeError);
      expect(osMemoryInternals().pendingAsyncWaits()).toBe(0);
    });
  });

  it('2 processes x 100,000 Atomics.add on one word are exact', async () => {
    await withSegment(64, async (name, i32) => {
      const [a, b] = await Promise.all([startChild(), startChild()]);
      await Promise.all([
        a.ask({ op: 'add', name, index: 2, times: 100_000 }),
        b.ask({ op: 'add', name, index: 2, times: 100_000 }),
      ]);
      expect(Atomics.load(i32, 2)).toBe(200_000);
      a.proc.kill();
      b.proc.kill();
    });
  });

  it("a child blocked in waitSync is woken by the parent's wake", async () => {
    await withSegment(64, async (name, i32) => {
      const child = await startChild();
      const reply = await child.ask({ op: 'waitSync', name, index: 0, expected: 0, timeout: 30_000 }, () => {
        // Wake only once the child is really asleep in the kernel (wake reports 1).
        setImmediate(() => wakeOneBlocked(i32, 0));
      });
      expect(reply).toEqual({ result: 'ok', value: 0 });
      // And a wake-up that changes the word, the usual pattern.
      const reply2 = await child.ask({ op: 'waitSync', name, index: 1, expected: 0, timeout: 30_000 }, () => {
        setTimeout(() => {
          Atomics.store(i32, 1, 7);
          wake(i32, 1);
        }, 20);
      });
      expect(['ok', 'not-equal']).toContain(reply2.result);
      expect(reply2.value).toBe(7);
      child.proc.kill();
    });
  });

  it("a child's waitSync times out, and signals do not end it early", async () => {
    await withSegment(64, async (name, i32) => {
      const child = await startChild();
      expect(await child.ask({ op: 'waitSync', name, index: 0, expected: 0, timeout: 50 })).toEqual({
        result: 'timed-out',
        value: 0,
      });
      expect(await child.ask({ op: 'waitSync', name, index: 0, expected: 5, timeout: 50 })).toEqual({
        result: 'not-equal',
        value: 0,
      });
      // EINTR is retried: the child handles SIGUSR2, whose delivery interrupts the futex.
      const reply = await child.ask(
        { op: 'waitSync', name, index: 0, expected: 0, timeout: 30_000 },
        async () => {
          for (let k = 0; k < 5; k++) {
            await new Promise((r) => setTimeout(r, 10));
            child.proc.kill('SIGUSR2');
          }
          Atomics.store(i32, 0, 1);
          wake(i32, 0);
        },
      );
      expect(reply.value).toBe(1);
      child.proc.kill();
    });
  });

  it("the parent's waitAsync is woken by a child while the event loop keeps turning", async () => {
    await withSegment(64, async (name, i32) => {
      const child = await startChild();
      let ticks = 0;
      const timer = setInterval(() => ticks++, 1);
      const pending = waitAsync(i32, 0, 0);
      const woke = child.ask({ op: 'wakeBlocked', name, index: 0, delay: 50 });
      expect(await pending).toBe('ok');
      clearInterval(timer);
      await woke;
      expect(ticks).toBeGreaterThan(0);
      // And the other way round: a child's waitAsync, woken by the parent.
      const reply = await child.ask({ op: 'waitAsyncTicks', name, index: 1, expected: 0 }, () => {
        setTimeout(() => {
          Atomics.store(i32, 1, 1);
          wake(i32, 1);
        }, 50);
      });
      expect(['ok', 'not-equal']).toContain(reply.result);
      child.proc.kill();
    });
  });

  it("a worker thread of one process and another process's main thread on the same words", async () => {
    await withSegment(64, async (name, i32) => {
      const child = await startChild();
      const replyP = child.ask<{ result: string; sameAddress: boolean }>({ op: 'workerPingPong', name });
      // Our main thread wakes the child's worker (once it is asleep) ...
      wakeOneBlocked(i32, 0);
      // ... and blocks until the worker wakes it back.
      expect(waitSync(i32, 1, 0, 30_000)).toBe('ok');
      expect(await replyP).toEqual({ result: 'ok', sameAddress: true });
      expect(Atomics.load(i32, 1)).toBe(1);
      child.proc.kill();
    });
  });

  it('a worker thread of this process maps the segment at the same address', async () => {
    await withSegment(64, async (name, i32) => {
      const w = new Worker(
        `const { workerData, parentPort } = require('node:worker_threads');
         const m = require('@multiproc/memory');
         const sab = m.openOsBlockBuffer(workerData.name);
         parentPort.postMessage(m.osMemoryInternals().addressOf(sab));
         m.waitSync(new Int32Array(sab), 0, 0, 30000);`,
        { eval: true, workerData: { name } },
      );
      const [address] = await once(w, 'message');
      expect(address).toBe(osMemoryInternals().addressOf(i32.buffer as SharedArrayBuffer));
      wakeOneBlocked(i32, 0);
      await once(w, 'exit');
    });
  });

  it('a mapped file is shared by two processes and flushMapped writes it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mp-map-'));
    try {
      const path = join(dir, 'data.bin');
      const sab = mapFileBuffer(path, 8192);
      expect(statSync(path).size).toBe(8192);
      expect(osBufferInfo(sab)).toEqual({ kind: 'file', path });
      const i32 = new Int32Array(sab);
      const child = await startChild();
      // The child maps the whole file (no size) and writes into it.
      expect(await child.ask({ op: 'mapFile', path, offset: 100, text: 'hello from the child' })).toEqual({
        byteLength: 8192,
      });
      expect(Buffer.from(sab).toString('utf8', 100, 120)).toBe('hello from the child');
      // Our writes reach the file, and atomics + futex work on a file mapping too.
      Buffer.from(sab).write('parent', 0);
      flushMapped(sab);
      expect(readFileSync(path).toString('utf8', 0, 6)).toBe('parent');
      // The futex works across processes on a file mapping too.
      const waited = child.ask({ op: 'waitSync', path, index: 10, expected: 0, timeout: 30_000 }, () =>
        setImmediate(() => wakeOneBlocked(i32, 10)),
      );
      expect(await waited).toEqual({ result: 'ok', value: 0 });
      // Without a size on an empty file: a clear error.
      expect(() => mapFileBuffer(join(dir, 'empty.bin'))).toThrow(
        expect.objectContaining({ code: 'EINVAL' }),
      );
      child.proc.kill();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('an aborted waitAsync cancels the native wait, in this process and in a child that then exits', async () => {
    await withSegment(64, async (_name, i32) => {
      const controller = new AbortController();
      const pending = waitAsync(i32, 0, 0, undefined, controller.signal);
      expect(osMemoryInternals().pendingAsyncWaits()).toBe(1);
      controller.abort(new Error('stop'));
      await expect(pending).rejects.toThrow('stop');
      for (let k = 0; k < 1000 && osMemoryInternals().pendingAsyncWaits() !== 0; k++) {
        await new Promise((r) => setTimeout(r, 5));
      }
      expect(osMemoryInternals().pendingAsyncWaits()).toBe(0);
    });
    const { code, out } = await runScript('os-abort.mjs', [newName()]);
    expect(out).toContain('rejected:stop');
    expect(out).toContain('pending:1->0');
    expect(out).toContain('exited-naturally');
    expect(code).toBe(0);
  });

  it('a worker thread that ends with pending async futex waits does not crash its process', async () => {
    for (const how of ['exit', 'terminate']) {
      const name = newName();
      try {
        const { code, out } = await runScript('os-worker-exit.mjs', [name, how]);
        expect(out).toContain('pending:4');
        expect(out).toContain('after-exit-woken:0');
        expect(out).toContain('survived');
        expect(code).toBe(0);
      } finally {
        try {
          unlinkOsBlock(name);
        } catch {}
      }
    }
  });

  it('a buffer that reached a worker by postMessage is adopted (futex backend) with adoptOsBuffer', async () => {
    await withSegment(64, async (name, i32) => {
      const w = new Worker(
        `const { workerData, parentPort } = require('node:worker_threads');
         const m = require('@multiproc/memory');
         const info = m.adoptOsBuffer(workerData.sab);
         const plain = m.adoptOsBuffer(new SharedArrayBuffer(8));
         parentPort.postMessage({ info, plain: plain === undefined });
         parentPort.postMessage(m.waitSync(new Int32Array(workerData.sab), 0, 0, 30000));`,
        { eval: true, workerData: { sab: i32.buffer } },
      );
      // A worker's last messages and its 'exit' can be emitted in one go: listen up front.
      const messages: unknown[] = [];
      w.on('message', (m) => messages.push(m));
      const exited = once(w, 'exit');
      while (messages.length === 0) await new Promise((r) => setTimeout(r, 1));
      expect(messages[0]).toEqual({ info: { kind: 'shm', name: `/${name}` }, plain: true });
      // Our futex wake reaches the worker only if it waits through the futex too.
      wakeOneBlocked(i32, 0);
      await exited;
      expect(messages[1]).toBe('ok');
    });
  });

  it('setParentDeathSignal: a child dies with its SIGKILLed parent', async () => {
    const parent = spawn(process.execPath, [fixture('os-pdeath.mjs'), 'parent'], {
      cwd: pkgDir,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(parent);
    let out = '';
    parent.stdout.on('data', (d) => (out += d));
    const deadline = Date.now() + 30_000;
    while (!/armed:(\d+)/.test(out) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    const pid = Number(/armed:(\d+)/.exec(out)?.[1]);
    expect(pid).toBeGreaterThan(0);
    parent.kill('SIGKILL');
    await once(parent, 'exit');
    // Gone, or a zombie waiting for a reaper (PID 1 of a container may not reap).
    const alive = () => {
      try {
        return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
      } catch {
        return false;
      }
    };
    while (alive() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    const stillAlive = alive();
    if (stillAlive) process.kill(pid, 'SIGKILL');
    expect(stillAlive).toBe(false);
  });

  it('worker.terminate() ends a worker blocked in a futex waitSync', async () => {
    await withSegment(64, async (name, i32) => {
      const w = new Worker(
        `const { workerData, parentPort } = require('node:worker_threads');
         const m = require('@multiproc/memory');
         const i32 = new Int32Array(m.openOsBlockBuffer(workerData.name));
         parentPort.postMessage('waiting');
         m.waitSync(i32, 0, 0);
         parentPort.postMessage('returned');`,
        { eval: true, workerData: { name } },
      );
      const messages: unknown[] = [];
      w.on('message', (m) => messages.push(m));
      const exited = once(w, 'exit');
      while (messages.length === 0) await new Promise((r) => setTimeout(r, 1));
      await new Promise((r) => setTimeout(r, 100)); // let it fall asleep in the kernel
      await w.terminate();
      await exited;
      expect(messages).toEqual(['waiting']);
      expect(Atomics.load(i32, 0)).toBe(0);
    });
  });
});
