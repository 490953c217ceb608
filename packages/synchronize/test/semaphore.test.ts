import { dumps, loads } from '@multiproc/serialization';
import { describe, expect, it } from 'vitest';
import { BoundedSemaphore, Semaphore } from '../src/index.js';
import { startChild, startChildren, until, wire, word } from './helpers.js';

describe('Semaphore', () => {
  it('counts down and up; acquire fails at 0 without blocking when asked', async () => {
    const s = new Semaphore(2);
    expect(s.getValue()).toBe(2);
    expect(s.acquireSync()).toBe(true);
    expect(await s.acquire()).toBe(true);
    expect(s.getValue()).toBe(0);
    expect(s.acquireSync({ block: false })).toBe(false);
    expect(await s.acquire({ timeout: 10 })).toBe(false);
    s.release(2);
    expect(s.getValue()).toBe(2);
    s.release();
    expect(s.getValue()).toBe(3); // a plain Semaphore may grow past its initial value
  });

  it('defaults to 1, accepts 0, rejects negative or non-integer values', () => {
    expect(new Semaphore().getValue()).toBe(1);
    expect(new Semaphore(0).getValue()).toBe(0);
    expect(() => new Semaphore(-1)).toThrow(RangeError);
    expect(() => new Semaphore(1.5)).toThrow(TypeError);
    expect(() => new Semaphore(1).release(0)).toThrow(RangeError);
  });

  it('aborts and times out', async () => {
    const s = new Semaphore(0);
    const ac = new AbortController();
    const p = s.acquire({ signal: ac.signal });
    ac.abort();
    await expect(p).rejects.toMatchObject({ name: 'AbortError' });
    expect(() => s.acquireSync({ signal: ac.signal })).toThrow();
    expect(s.acquireSync({ timeout: 15 })).toBe(false);
    s.release();
    expect(s.acquireSync({ timeout: 1000 })).toBe(true);
  });

  it('round-trips as the same object', () => {
    const s = new BoundedSemaphore(3);
    const back = loads<BoundedSemaphore>(dumps(s));
    expect(back).toBe(s);
    expect(back).toBeInstanceOf(BoundedSemaphore);
  });

  it('a worker blocked in acquire (sync and async) is woken by a release from another thread', async () => {
    const [a, b] = await startChildren(2);
    const s = new Semaphore(0);
    const p1 = a.call('acquireSync', { prim: wire(s) });
    const p2 = b.call('acquire', { prim: wire(s) });
    await until(() => word(s, 1) === 2, 'both workers to sleep');
    s.release(2);
    expect(await Promise.all([p1, p2])).toEqual([true, true]);
    expect(s.getValue()).toBe(0);
    await a.call('release', { prim: wire(s), n: 1 });
    expect(s.getValue()).toBe(1);
  });

  for (const mode of ['sync', 'async'] as const) {
    it(`stress (${mode}): Semaphore(1) guards 4 workers x 10,000 increments exactly`, async () => {
      const workers = await startChildren(4);
      const s = new Semaphore(1);
      const counter = new SharedArrayBuffer(4);
      await Promise.all(workers.map((w) => w.call('increment', { prim: wire(s), counter, n: 10_000, mode })));
      expect(new Int32Array(counter)[0]).toBe(40_000);
      expect(s.getValue()).toBe(1);
    });
  }
});

describe('BoundedSemaphore', () => {
  it('throws a RangeError when released past its initial value, in any worker', async () => {
    const s = new BoundedSemaphore(2);
    expect(() => s.release()).toThrow(RangeError);
    s.acquireSync();
    s.release();
    expect(() => s.release()).toThrow(/released too many times/);
    expect(s.getValue()).toBe(2);
    const w = await startChild();
    await expect(w.call('release', { prim: wire(s) })).rejects.toMatchObject({ name: 'RangeError' });
    s.acquireSync();
    expect(() => s.release(2)).toThrow(RangeError);
    await w.call('release', { prim: wire(s) });
    expect(s.getValue()).toBe(2);
  });
});
