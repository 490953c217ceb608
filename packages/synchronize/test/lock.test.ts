import { allocateBlock } from '@multiproc/memory';
import { dumps, loads } from '@multiproc/serialization';
import { describeEachMethod, stopChildren } from '@multiproc/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { Lock, RLock } from '../src/index.js';
import { startChildren, until, word } from './helpers.js';

describe('Lock (one thread)', () => {
  it('acquires, reports locked, releases', async () => {
    const lock = new Lock();
    expect(lock.locked()).toBe(false);
    expect(lock.acquireSync()).toBe(true);
    expect(lock.locked()).toBe(true);
    expect(lock.acquireSync({ block: false })).toBe(false);
    expect(lock.acquireSync({ timeout: 0 })).toBe(false);
    expect(await lock.acquire({ block: false })).toBe(false);
    lock.release();
    expect(lock.locked()).toBe(false);
    expect(await lock.acquire()).toBe(true);
    lock.release();
  });

  it('times out (sync and async) and returns false', async () => {
    const lock = new Lock();
    lock.acquireSync();
    expect(lock.acquireSync({ timeout: 20 })).toBe(false);
    expect(await lock.acquire({ timeout: 20 })).toBe(false);
    lock.release();
    expect(lock.acquireSync({ timeout: 20 })).toBe(true);
    lock.release();
  });

  it('aborts: async rejects with signal.reason; sync throws it when already aborted', async () => {
    const lock = new Lock();
    lock.acquireSync();
    const ac = new AbortController();
    const pending = lock.acquire({ signal: ac.signal });
    const reason = new Error('stop');
    ac.abort(reason);
    await expect(pending).rejects.toBe(reason);
    expect(() => lock.acquireSync({ signal: ac.signal })).toThrow(reason);
    await expect(lock.acquire({ signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' });
    lock.release();
    // the aborted waiter did not take the lock, nor swallow a wake-up
    expect(lock.acquireSync({ timeout: 1000 })).toBe(true);
    lock.release();
  });

  it('between threads, takes its uncontended steps in WebAssembly (not when robust), on the same words', () => {
    const fast = new Lock();
    const recursive = new RLock();
    const robust = new Lock({ robust: true });
    expect(typeof fast._wacq).toBe('function');
    expect(typeof recursive._wacq).toBe('function');
    expect(robust._wacq).toBeUndefined();
    fast.acquireSync();
    expect([Atomics.load(fast._i32, fast._off), fast._i32[fast._off + 1]]).toEqual([1, fast._me]);
    expect(fast.acquireSync({ block: false })).toBe(false); // the JavaScript path sees it held
    fast.release();
    expect([Atomics.load(fast._i32, fast._off), fast._i32[fast._off + 1]]).toEqual([0, 0]);
  });

  it('throws a RangeError when releasing an unheld lock', () => {
    const lock = new Lock();
    expect(() => lock.release()).toThrow(RangeError);
    lock.acquireSync();
    lock.release();
    expect(() => lock.release()).toThrow(/not held/);
  });

  it('rejects bad options with a TypeError', async () => {
    const lock = new Lock();
    expect(() => lock.acquireSync({ timeout: Number.NaN })).toThrow(TypeError);
    expect(() => lock.acquireSync(5 as any)).toThrow(TypeError);
    await expect(lock.acquire({ timeout: 'x' as any })).rejects.toThrow(TypeError);
    expect(() => new Lock(3 as any)).toThrow(TypeError);
  });

  it('holdSync / hold release at the end of a using block', async () => {
    const lock = new Lock();
    {
      using _ = lock.holdSync();
      expect(lock.locked()).toBe(true);
    }
    expect(lock.locked()).toBe(false);
    {
      await using _ = await lock.hold();
      expect(lock.locked()).toBe(true);
    }
    expect(lock.locked()).toBe(false);
  });

  it('round-trips through dumps/loads as the same object in the same thread', () => {
    const lock = new Lock();
    expect(loads(dumps(lock))).toBe(lock);
    const r = new RLock({ robust: true });
    const back = loads<RLock>(dumps(r));
    expect(back).toBe(r);
    expect(back.robust).toBe(true);
  });
});

describe('RLock', () => {
  it('is recursive in its owner and must be released as many times', () => {
    const r = new RLock();
    expect(r.acquireSync()).toBe(true);
    expect(r.acquireSync({ block: false })).toBe(true);
    r.release();
    expect(r.locked()).toBe(true);
    r.release();
    expect(r.locked()).toBe(false);
    expect(() => r.release()).toThrow(/not held/);
  });

  it('async acquire in the owning worker counts as the same owner', async () => {
    const r = new RLock();
    await r.acquire();
    expect(await r.acquire({ timeout: 0 })).toBe(true);
    r.release();
    r.release();
    expect(r.locked()).toBe(false);
  });
});

afterEach(stopChildren);

// Last in the file: the [spawn] block switches this file to OS shared memory.
describeEachMethod((method) => {
  describe('Lock across workers', () => {
    it('a child sees the same lock; a plain Lock may be released by another worker', async () => {
      const [w] = await startChildren(1, method);
      expect(w.pid !== process.pid).toBe(method === 'spawn'); // a real child process under spawn
      const lock = new Lock();
      expect(await w.call('isLock', lock)).toBe(true);
      expect(await w.call('echo', lock)).toBe(lock);
      expect(await w.call('acquireSync', lock)).toBe(true);
      expect(lock.locked()).toBe(true);
      expect(lock.acquireSync({ timeout: 10 })).toBe(false);
      lock.release(); // released by the parent: allowed for a plain Lock, as in Python
      expect(await w.call('locked', lock)).toBe(false);
    });

    it('a lock held by the parent makes a child time out (sync and async)', async () => {
      const [w] = await startChildren(1, method);
      const lock = new Lock();
      lock.acquireSync();
      expect(await w.call('acquireSync', lock, { timeout: 30 })).toBe(false);
      expect(await w.call('acquire', lock, { timeout: 30 })).toBe(false);
      expect(await w.call('acquire', lock, { block: false })).toBe(false);
      lock.release();
    });

    it('a child blocked in acquireSync is woken by release; the parent waits async for a child', async () => {
      const [w] = await startChildren(1, method);
      const lock = new Lock();
      lock.acquireSync();
      const got = w.call('acquireSync', lock);
      await until(() => word(lock, 0) === 2, 'the child to sleep on the lock');
      lock.release();
      expect(await got).toBe(true);
      expect(lock.locked()).toBe(true);
      const mine = lock.acquire();
      await w.call('release', lock);
      expect(await mine).toBe(true);
      lock.release();
    });

    it('stress: 4 children (2 sync, 2 async) x 10,000 locked increments are exact', async () => {
      const workers = await startChildren(4, method);
      const lock = new Lock();
      const counter = allocateBlock(8);
      await Promise.all(
        workers.map((w, i) => w.call('increment', lock, counter, 10_000, i % 2 ? 'sync' : 'async')),
      );
      expect(counter.i32[0]).toBe(40_000);
      expect(lock.locked()).toBe(false);
    });
  });

  describe('dead holder', () => {
    it('a plain Lock held by a killed child stays locked, but waiters still time out', async () => {
      const [a, b] = await startChildren(2, method);
      const lock = new Lock();
      expect(await a.call('acquireSync', lock)).toBe(true);
      expect(await a.kill()).toBe(-9);
      expect(lock.locked()).toBe(true);
      expect(lock.acquireSync({ timeout: 20 })).toBe(false);
      await expect(lock.acquire({ signal: AbortSignal.timeout(20) })).rejects.toMatchObject({
        name: 'TimeoutError',
      });
      expect(await b.call('acquireSync', lock, { timeout: 20 })).toBe(false);
      expect(await b.call('acquire', lock, { timeout: 20 })).toBe(false);
      lock.release(); // a plain Lock: anyone may free it
      expect(await b.call('acquireSync', lock, { timeout: 20_000 })).toBe(true);
    });

    it('a robust Lock held by a killed child is freed, and the sleeping acquirer gets it', async () => {
      const [a, b] = await startChildren(2, method);
      const lock = new Lock({ robust: true });
      expect(await a.call('acquireSync', lock)).toBe(true);
      const waiting = b.call('acquireSync', lock, { timeout: 20_000 });
      await until(() => word(lock, 0) === 2, 'b to sleep on the lock');
      expect(await a.kill()).toBe(-9);
      expect(await waiting).toBe(true);
      expect(lock.acquireSync({ timeout: 10 })).toBe(false);
      await b.call('release', lock);
      expect(lock.acquireSync({ timeout: 20_000 })).toBe(true);
      lock.release();
    });

    it('a robust Lock held by a terminated child is freed for the parent', async () => {
      const [w] = await startChildren(1, method);
      const lock = new Lock({ robust: true });
      expect(await w.call('acquire', lock)).toBe(true);
      expect(lock.acquireSync({ timeout: 10 })).toBe(false);
      await w.terminate();
      expect(lock.acquireSync({ timeout: 20_000 })).toBe(true);
      lock.release();
      expect(lock.locked()).toBe(false);
    });

    it('a robust Lock released normally is not touched when its former holder exits', async () => {
      const [w] = await startChildren(1, method);
      const lock = new Lock({ robust: true });
      await w.call('acquireSync', lock);
      await w.call('release', lock);
      lock.acquireSync();
      await w.kill();
      expect(lock.locked()).toBe(true);
      lock.release();
      expect(lock.locked()).toBe(false);
    });

    it('only the holder may release a robust Lock', async () => {
      const [w] = await startChildren(1, method);
      const lock = new Lock({ robust: true });
      lock.acquireSync();
      await expect(w.call('release', lock)).rejects.toThrow(/only its holder/);
      lock.release();
    });
  });

  describe('RLock across workers', () => {
    it('another child cannot take it, nor release it', async () => {
      const [w] = await startChildren(1, method);
      const r = new RLock();
      r.acquireSync();
      expect(await w.call('acquireSync', r, { timeout: 20 })).toBe(false);
      expect(await w.call('acquire', r, { block: false })).toBe(false);
      await expect(w.call('release', r)).rejects.toThrow(/owned by worker/);
      r.release();
      expect(await w.call('acquireSync', r)).toBe(true);
      expect(() => r.release()).toThrow(/owned by worker/);
      await w.call('release', r);
    });

    it('stress: 4 children (2 sync, 2 async) x 10,000 re-entrant increments are exact', async () => {
      const workers = await startChildren(4, method);
      const r = new RLock();
      const counter = allocateBlock(8);
      await Promise.all(
        workers.map((w, i) => w.call('increment', r, counter, 10_000, i % 2 ? 'sync' : 'async', 2)),
      );
      expect(counter.i32[0]).toBe(40_000);
      expect(r.locked()).toBe(false);
    });

    it('a robust RLock is freed when its owner is killed', async () => {
      const [w] = await startChildren(1, method);
      const r = new RLock({ robust: true });
      expect(await w.call('acquireSync', r)).toBe(true);
      expect(await w.call('acquireSync', r)).toBe(true); // depth 2
      expect(r.acquireSync({ timeout: 10 })).toBe(false);
      await w.kill();
      expect(r.acquireSync({ timeout: 20_000 })).toBe(true);
      expect(r.acquireSync()).toBe(true);
      r.release();
      r.release();
      expect(r.locked()).toBe(false);
    });
  });
});
