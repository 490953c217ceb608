import { allocateBlock } from '@multiproc/memory';
import { dumps, loads } from '@multiproc/serialization';
import { describeEachMethod, stopChildren } from '@multiproc/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { BoundedSemaphore, Semaphore } from '../src/index.js';
import { startChildren, until, word } from './helpers.js';

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
});

describe('BoundedSemaphore', () => {
  it('throws a RangeError when released past its initial value', async () => {
    const s = new BoundedSemaphore(2);
    expect(() => s.release()).toThrow(RangeError);
    s.acquireSync();
    s.release();
    expect(() => s.release()).toThrow(/released too many times/);
    expect(s.getValue()).toBe(2);
  });
});

afterEach(stopChildren);

// Last in the file: the [spawn] block switches this file to OS shared memory.
describeEachMethod((method) => {
  describe('Semaphore across workers', () => {
    it('children blocked in acquire (sync and async) are woken by a release from the parent', async () => {
      const [a, b] = await startChildren(2, method);
      const s = new Semaphore(0);
      const p1 = a.call('acquireSync', s);
      const p2 = b.call('acquire', s);
      await until(() => word(s, 1) === 2, 'both children to sleep');
      s.release(2);
      expect(await Promise.all([p1, p2])).toEqual([true, true]);
      expect(s.getValue()).toBe(0);
      await a.call('release', s, 1);
      expect(s.getValue()).toBe(1);
      expect(await b.call('acquireSync', s, { timeout: 20_000 })).toBe(true);
      expect(await a.call('acquire', s, { timeout: 20 })).toBe(false);
    });

    it('stress: Semaphore(1) guards 4 children (2 sync, 2 async) x 10,000 increments exactly', async () => {
      const workers = await startChildren(4, method);
      const s = new Semaphore(1);
      const counter = allocateBlock(8);
      await Promise.all(
        workers.map((w, i) => w.call('increment', s, counter, 10_000, i % 2 ? 'sync' : 'async')),
      );
      expect(counter.i32[0]).toBe(40_000);
      expect(s.getValue()).toBe(1);
    });

    it('a BoundedSemaphore released past its initial value throws a RangeError in a child', async () => {
      const [w] = await startChildren(1, method);
      const s = new BoundedSemaphore(2);
      await expect(w.call('release', s)).rejects.toBeInstanceOf(RangeError);
      s.acquireSync();
      expect(() => s.release(2)).toThrow(RangeError);
      await w.call('release', s);
      expect(s.getValue()).toBe(2);
      await expect(w.call('release', s)).rejects.toThrow(/released too many times/);
    });
  });
});
