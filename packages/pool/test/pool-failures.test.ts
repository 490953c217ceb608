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
  init,
  initAsync,
  initFails,
  returnFunction,
  slowSquare,
  spinIgnoringAbort,
  spinUntilAborted,
  square,
  sumArray,
  throwWhileRunning,
  throwValidation,
} from './fixtures/tasks.mjs';
import { drain, makePool, range } from './helpers.js';

describe('task errors', () => {
  it('keep class, message, own properties and the worker stack', async () => {
    const pool = makePool(1);
    const err = await pool.apply(failOdd, [3]).catch((e) => e);
    expect(err).toBeInstanceOf(RangeError);
    expect(err.message).toBe('odd: 3');
    expect(err.code).toBe('E_ODD');
    expect(err.item).toBe(3);
    expect(err.stack).toContain('failOdd');
    expect(err.stack).toContain('tasks.mjs');
  });
  it('custom Error subclasses keep their name and fields', async () => {
    const pool = makePool(1);
    const err = await pool.apply(throwValidation, ['email']).catch((e) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('ValidationError');
    expect(err.field).toBe('email');
    void ValidationError;
  });
  it('map rejects with the first error', async () => {
    const pool = makePool(2);
    await expect(pool.map(failOdd, [0, 2, 4, 5, 6])).rejects.toThrow('odd: 5');
  });
  it('a failed imap item rejects that next(); later next() calls go on', async () => {
    const pool = makePool(2);
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
    const pool = makePool(1);
    expect(() => pool.applyAsync(square, [() => 1] as unknown as [number])).toThrow(/args\[0\]/);
    await expect(pool.map(square, [1, (() => 2) as unknown as number])).rejects.toThrow(TypeError);
  });
  it('an unsendable result fails that item only', async () => {
    const pool = makePool(1);
    await expect(pool.apply(returnFunction, [])).rejects.toThrow(/function/);
    expect(await pool.apply(square, [2])).toBe(4);
  });
  it('a function that is not exported fails in the parent', async () => {
    const pool = makePool(1);
    const local = (x: number) => x;
    await expect(pool.map(local, [1])).rejects.toThrow(/export/);
  });
  it('big arguments and results travel (beyond the ring size)', async () => {
    const pool = makePool(2);
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
    const pool = makePool(2);
    const err = await pool.apply(exitNow, [3]).catch((e) => e);
    expect(err).toBeInstanceOf(ProcessError);
    expect(err.message).toMatch(/exited with code 3/);
    expect(err.exitCode).toBe(3);
    expect(await pool.map(square, range(20))).toEqual(range(20).map((x) => x * x));
  });
  it('fails exactly the tasks the dead worker held', async () => {
    const pool = makePool(2);
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
    const pool = makePool(1);
    // The worker dies from a timer's error while this task is still awaiting in it.
    const err = await pool.apply(throwWhileRunning, [1]).catch((e) => e);
    expect(err).toBeInstanceOf(ProcessError);
    expect(err.message).toMatch(/boom outside the task/);
    expect(err.cause?.message).toMatch(/boom outside the task/);
    expect(await pool.apply(square, [5])).toBe(25);
  });
  it('terminate during map rejects it, and every pending call', async () => {
    const pool = makePool(2);
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
});

describe('workers', () => {
  it('initializer runs once per worker with initargs', async () => {
    const pool = makePool({ processes: 2, initializer: init, initargs: ['hello'] });
    const states = await pool.map(getState, range(20), { chunksize: 1 });
    for (const s of states) expect(s.value).toBe('hello');
    const idents = new Set(states.map((s) => s.ident));
    expect(idents.size).toBeGreaterThanOrEqual(1);
    expect(idents.size).toBeLessThanOrEqual(2);
  });
  it('an async initializer is awaited', async () => {
    const pool = makePool({ processes: 1, initializer: initAsync, initargs: [42] });
    expect((await pool.apply(getState, [])).value).toBe(42);
  });
  it('a failing initializer fails calls with ProcessError instead of hanging', async () => {
    const pool = makePool({ processes: 1, initializer: initFails });
    const err = await pool.apply(square, [2]).catch((e) => e);
    expect(err).toBeInstanceOf(ProcessError);
    expect(err.message).toMatch(/initializer refused/);
  });
  it('maxTasksPerChild replaces workers (idents change)', async () => {
    const pool = makePool({ processes: 1, maxTasksPerChild: 2 });
    const ids = await pool.map(ident, range(6), { chunksize: 1 });
    expect(ids[0]).toBe(ids[1]);
    expect(ids[2]).toBe(ids[3]);
    expect(new Set(ids).size).toBe(3);
  });
  it('the worker runs in parallel with others', async () => {
    const pool = makePool(2);
    const ids = await pool.map(identAfter, [100, 100], { chunksize: 1 });
    expect(new Set(ids).size).toBe(2);
  });
});

describe('abort and timeout', () => {
  it('an already aborted signal rejects at once', async () => {
    const pool = makePool(1);
    const ac = new AbortController();
    ac.abort(new Error('nope'));
    await expect(pool.apply(square, [1], { signal: ac.signal })).rejects.toThrow('nope');
  });
  it('abort drops pending chunks and rejects with the reason', async () => {
    const pool = makePool(1);
    const ac = new AbortController();
    let progress = 0;
    const m = pool.map(asyncSleep, [30, 30, 30, 30, 30, 30, 30, 30], {
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
    const pool = makePool({ processes: 1, abortGrace: 5000 });
    const before = await pool.apply(ident, []);
    const ac = new AbortController();
    const p = pool.apply(spinUntilAborted, [5000], { signal: ac.signal });
    setTimeout(() => ac.abort(), 50);
    await expect(p).rejects.toThrow();
    const t0 = Date.now();
    expect(await pool.apply(ident, [])).toBe(before);
    expect(Date.now() - t0).toBeLessThan(4000);
  });
  it('a task that ignores the abort has its worker replaced after the grace', async () => {
    const pool = makePool({ processes: 1, abortGrace: 50 });
    const before = await pool.apply(ident, []);
    const ac = new AbortController();
    const p = pool.apply(spinIgnoringAbort, [3000], { signal: ac.signal });
    setTimeout(() => ac.abort(), 50);
    await expect(p).rejects.toThrow();
    const after = await pool.apply(ident, []);
    expect(after).not.toBe(before);
  });
  it('timeout rejects with TimeoutError', async () => {
    const pool = makePool({ processes: 1, abortGrace: 50 });
    await expect(pool.apply(asyncSleep, [2000], { timeout: 30 })).rejects.toBeInstanceOf(TimeoutError);
    await expect(pool.map(asyncSleep, [2000, 2000], { timeout: 30 })).rejects.toBeInstanceOf(TimeoutError);
    const it = pool.imap(asyncSleep, [2000], { timeout: 30 });
    await expect(it.next()).rejects.toBeInstanceOf(TimeoutError);
    expect((await it.next()).done).toBe(true);
    expect(await pool.apply(square, [3])).toBe(9);
  });
  it('drain helper sanity', async () => {
    const pool = makePool(1);
    expect(await drain(pool.imapUnordered(square, [2]))).toEqual([4]);
  });
});
