import { allocateBlock } from '@multiproc/memory';
import { describeEachMethod } from '@multiproc/test-utils';
import { describe, expect, it } from 'vitest';
import { ProcessError, TimeoutError } from './api.js';
import {
  ValidationError,
  asyncSleep,
  bigArray,
  exitIf,
  exitNow,
  failOdd,
  getState,
  ident,
  identAfter,
  initAsync,
  initCounting,
  initFails,
  pid,
  pidThenWait,
  returnFunction,
  slowSquare,
  spinIgnoringAbort,
  spinUntilAborted,
  square,
  sumArray,
  throwValidation,
  throwWhileRunning,
} from './fixtures/tasks.mjs';
import { alive, drain, makePool, range, until } from './helpers.js';

describeEachMethod((method) => {
  describe('task errors', () => {
    it('keep class, message, own properties and the worker stack', async () => {
      const pool = makePool(1, method);
      const err = await pool.apply(failOdd, [3]).catch((e) => e);
      expect(err).toBeInstanceOf(RangeError);
      expect(err.message).toBe('odd: 3');
      expect(err.code).toBe('E_ODD');
      expect(err.item).toBe(3);
      expect(err.stack).toContain('failOdd');
      expect(err.stack).toContain('tasks.mjs');
    });
    it('custom Error subclasses keep their name and fields', async () => {
      const pool = makePool(1, method);
      const err = await pool.apply(throwValidation, ['email']).catch((e) => e);
      expect(err).toBeInstanceOf(Error);
      expect(err.name).toBe('ValidationError');
      expect(err.field).toBe('email');
      void ValidationError;
    });
    it('map rejects with the first error', async () => {
      const pool = makePool(2, method);
      await expect(pool.map(failOdd, [0, 2, 4, 5, 6])).rejects.toThrow('odd: 5');
    });
    it('a failed imap item rejects that next(); later next() calls go on', async () => {
      const pool = makePool(2, method);
      for (const chunksize of [1, 3]) {
        const it = pool.imap(failOdd, [0, 1, 2, 3, 4], { chunksize });
        expect((await it.next()).value).toBe(0);
        await expect(it.next()).rejects.toThrow('odd: 1');
        expect((await it.next()).value).toBe(2);
        await expect(it.next()).rejects.toThrow('odd: 3');
        expect((await it.next()).value).toBe(4);
        expect((await it.next()).done).toBe(true);
      }
    });
    it('unsendable arguments fail before any worker runs, naming the path', async () => {
      const pool = makePool(1, method);
      expect(() => pool.applyAsync(square, [() => 1] as unknown as [number])).toThrow(/args\[0\]/);
      await expect(pool.map(square, [1, (() => 2) as unknown as number])).rejects.toThrow(TypeError);
    });
    it('an unsendable result fails that item only', async () => {
      const pool = makePool(1, method);
      await expect(pool.apply(returnFunction, [])).rejects.toThrow(/function/);
      expect(await pool.apply(square, [2])).toBe(4);
    });
    it('a function that is not exported fails in the parent', async () => {
      const pool = makePool(1, method);
      const local = (x: number) => x;
      await expect(pool.map(local, [1])).rejects.toThrow(/export/);
    });
    it('big arguments and results travel (beyond the ring size)', async () => {
      const pool = makePool(2, method);
      const arr = await pool.apply(bigArray, [200_000]);
      expect(arr).toBeInstanceOf(Float64Array);
      expect(arr.length).toBe(200_000);
      expect(await pool.apply(sumArray, [arr])).toBe(300_000);
      const many = await pool.map(sumArray, [arr, arr, arr], { chunksize: 1 });
      expect(many).toEqual([300_000, 300_000, 300_000]);
    });
  });

  describe('crash recovery', () => {
    it('process.exit in a task fails that task with ProcessError; the pool goes on', async () => {
      const pool = makePool(2, method);
      const err = await pool.apply(exitNow, [3]).catch((e) => e);
      expect(err).toBeInstanceOf(ProcessError);
      expect(err.message).toMatch(/exited with code 3/);
      expect(err.exitCode).toBe(3);
      expect(await pool.map(square, range(20))).toEqual(range(20).map((x) => x * x));
    });
    it('fails exactly the tasks the dead worker held', async () => {
      const pool = makePool(2, method);
      const it = pool.imap(exitIf, range(30));
      const out: Array<number | string> = [];
      for (;;) {
        try {
          const r = await it.next();
          if (r.done) break;
          out.push(r.value);
        } catch (e) {
          expect(e).toBeInstanceOf(ProcessError);
          out.push('lost');
        }
      }
      expect(out).toEqual(range(30).map((x) => (x === 13 ? 'lost' : x)));
    });
    it('an error thrown outside any task kills the worker: the task it runs fails, named', async () => {
      const pool = makePool(1, method);
      // The worker dies from a timer's error while this task is still awaiting in it.
      const err = await pool.apply(throwWhileRunning, [1]).catch((e) => e);
      expect(err).toBeInstanceOf(ProcessError);
      expect(err.message).toMatch(/boom outside the task/);
      expect(err.cause?.message).toMatch(/boom outside the task/);
      expect(await pool.apply(square, [5])).toBe(25);
    });
    it('terminate during map rejects it, and every pending call', async () => {
      const pool = makePool(2, method);
      const m = pool.map(slowSquare, range(40), { chunksize: 1 });
      const a = pool.applyAsync(asyncSleep, [1000]);
      const it = pool.imap(asyncSleep, [1000]);
      const n = it.next();
      await new Promise((r) => setTimeout(r, 50));
      pool.terminate();
      await expect(m).rejects.toBeInstanceOf(ProcessError);
      await expect(a.get()).rejects.toBeInstanceOf(ProcessError);
      await expect(n).rejects.toBeInstanceOf(ProcessError);
      await pool.join();
    });
    // Spawn only: a thread worker has the test's own pid, so nothing can signal it alone.
    if (method === 'spawn') {
      it('a worker SIGKILLed from outside fails the task it held; the pool goes on', async () => {
        const pool = makePool(2, method);
        const block = allocateBlock(8);
        const held = pool.applyAsync(pidThenWait, [block, 0, 60_000]);
        await until(() => Atomics.load(block.i32, 0) !== 0, 'the task to report its pid');
        const victim = Atomics.load(block.i32, 0);
        expect(victim).not.toBe(process.pid);
        // Work submitted before the kill, partly queued behind the held task, all completes.
        const others = pool.map(slowSquare, range(20), { chunksize: 1 });
        process.kill(victim, 'SIGKILL');
        const err = await held.get().catch((e) => e);
        expect(err).toBeInstanceOf(ProcessError);
        expect(err.exitCode).toBe(-9);
        expect(err.message).toMatch(/exit code -9/);
        expect(await others).toEqual(range(20).map((x) => x * x));
        const pids = await pool.map(pid, range(20), { chunksize: 1 });
        expect(pids).not.toContain(victim);
        expect(await pool.map(square, range(50))).toEqual(range(50).map((x) => x * x));
      });
      it('an idle worker SIGKILLed from outside is replaced', async () => {
        const pool = makePool(1, method);
        const victim = await pool.apply(pid, []);
        process.kill(victim, 'SIGKILL');
        await until(() => !alive(victim), 'the killed worker to be gone');
        const pids = await pool.map(pid, range(10), { chunksize: 1 });
        expect(pids).not.toContain(victim);
        expect(new Set(pids).size).toBe(1);
      });
    }
  });

  describe('workers', () => {
    it('initializer runs once per worker with initargs', async () => {
      // A block made here is OS shared memory under spawn (describeEachMethod): every worker
      // process counts its initializer call in it.
      const block = allocateBlock(8);
      const pool = makePool({ processes: 2, initializer: initCounting, initargs: [block, 'hello'] }, method);
      const states = await pool.map(getState, range(20), { chunksize: 1 });
      for (const s of states) {
        expect(s.value).toBe('hello');
        expect(s.inits).toBe(1);
      }
      const idents = new Set(states.map((s) => s.ident));
      expect(idents.size).toBeGreaterThanOrEqual(1);
      expect(idents.size).toBeLessThanOrEqual(2);
      pool.close();
      await pool.join();
      expect(Atomics.load(block.i32, 0)).toBe(2);
    });
    it('a worker that replaces one (maxTasksPerChild) runs the initializer too', async () => {
      const block = allocateBlock(8);
      const pool = makePool(
        { processes: 1, maxTasksPerChild: 2, initializer: initCounting, initargs: [block, 7] },
        method,
      );
      const states = await pool.map(getState, range(6), { chunksize: 1 });
      for (const s of states) {
        expect(s.value).toBe(7);
        expect(s.inits).toBe(1);
      }
      expect(new Set(states.map((s) => s.ident)).size).toBe(3);
      expect(Atomics.load(block.i32, 0)).toBeGreaterThanOrEqual(3);
    });
    it('an async initializer is awaited', async () => {
      const pool = makePool({ processes: 1, initializer: initAsync, initargs: [42] }, method);
      expect((await pool.apply(getState, [])).value).toBe(42);
    });
    it('a failing initializer fails calls with ProcessError instead of hanging', async () => {
      const pool = makePool({ processes: 1, initializer: initFails }, method);
      const err = await pool.apply(square, [2]).catch((e) => e);
      expect(err).toBeInstanceOf(ProcessError);
      expect(err.message).toMatch(/initializer refused/);
    });
    it('maxTasksPerChild replaces workers (idents change)', async () => {
      const pool = makePool({ processes: 1, maxTasksPerChild: 2 }, method);
      const ids = await pool.map(ident, range(6), { chunksize: 1 });
      expect(ids[0]).toBe(ids[1]);
      expect(ids[2]).toBe(ids[3]);
      expect(new Set(ids).size).toBe(3);
    });
    it('the worker runs in parallel with others', async () => {
      const pool = makePool(2, method);
      const ids = await pool.map(identAfter, [100, 100], { chunksize: 1 });
      expect(new Set(ids).size).toBe(2);
    });
  });

  describe('abort and timeout', () => {
    it('an already aborted signal rejects at once', async () => {
      const pool = makePool(1, method);
      const ac = new AbortController();
      ac.abort(new Error('nope'));
      await expect(pool.apply(square, [1], { signal: ac.signal })).rejects.toThrow('nope');
    });
    it('abort drops pending chunks and rejects with the reason', async () => {
      const pool = makePool(1, method);
      const ac = new AbortController();
      let progress = 0;
      const m = pool.map(asyncSleep, [200, 200, 200, 200, 200, 200, 200, 200], {
        chunksize: 1,
        signal: ac.signal,
        onProgress: () => progress++,
      });
      setTimeout(() => ac.abort(new Error('user abort')), 50);
      await expect(m).rejects.toThrow('user abort');
      await new Promise((r) => setTimeout(r, 150));
      expect(progress).toBeLessThan(8);
      expect(await pool.apply(square, [4])).toBe(16);
    });
    it('a task that polls isTaskAborted() stops and keeps its worker', async () => {
      // Had the task not stopped, the worker would be replaced after the grace (a new ident).
      const pool = makePool({ processes: 1, abortGrace: 20_000 }, method);
      const before = await pool.apply(ident, []);
      const ac = new AbortController();
      const p = pool.apply(spinUntilAborted, [60_000], { signal: ac.signal });
      setTimeout(() => ac.abort(), 50);
      await expect(p).rejects.toThrow();
      expect(await pool.apply(ident, [])).toBe(before);
    });
    it('a task that ignores the abort has its worker replaced after the grace', async () => {
      const pool = makePool({ processes: 1, abortGrace: 50 }, method);
      const before = await pool.apply(ident, []);
      const ac = new AbortController();
      const p = pool.apply(spinIgnoringAbort, [30_000], { signal: ac.signal });
      setTimeout(() => ac.abort(), 50);
      await expect(p).rejects.toThrow();
      const after = await pool.apply(ident, []);
      expect(after).not.toBe(before);
    });
    it('timeout rejects with TimeoutError', async () => {
      const pool = makePool({ processes: 1, abortGrace: 50 }, method);
      await expect(pool.apply(asyncSleep, [20_000], { timeout: 30 })).rejects.toBeInstanceOf(TimeoutError);
      await expect(pool.map(asyncSleep, [20_000, 20_000], { timeout: 30 })).rejects.toBeInstanceOf(
        TimeoutError,
      );
      const it = pool.imap(asyncSleep, [20_000], { timeout: 30 });
      await expect(it.next()).rejects.toBeInstanceOf(TimeoutError);
      expect((await it.next()).done).toBe(true);
      expect(await pool.apply(square, [3])).toBe(9);
    });
    it('drain helper sanity', async () => {
      const pool = makePool(1, method);
      expect(await drain(pool.imapUnordered(square, [2]))).toEqual([4]);
    });
  });
});
