import { dumps, loads } from '@multiproc/serialization';
import { describe, expect, it } from 'vitest';
import { Lock, RLock } from '../src/index.js';
import { startChild, startChildren, until, wire, word } from './helpers.js';

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

describe('Lock across workers', () => {
  it('a worker sees the same lock; a plain Lock may be released by another worker', async () => {
    const w = await startChild();
    const lock = new Lock();
    expect(await w.call('isLock', { prim: wire(lock) })).toBe(true);
    expect(await w.call('acquireSync', { prim: wire(lock) })).toBe(true);
    expect(lock.locked()).toBe(true);
    expect(lock.acquireSync({ timeout: 10 })).toBe(false);
    lock.release(); // released by the main thread: allowed for a plain Lock, as in Python
    expect(await w.call('locked', { prim: wire(lock) })).toBe(false);
  });

  it('a lock held in the main thread makes a worker time out (sync and async)', async () => {
    const w = await startChild();
    const lock = new Lock();
    lock.acquireSync();
    expect(await w.call('acquireSync', { prim: wire(lock), opts: { timeout: 30 } })).toBe(false);
    expect(await w.call('acquire', { prim: wire(lock), opts: { timeout: 30 } })).toBe(false);
    lock.release();
  });

  it('a worker blocked in acquireSync is woken by release', async () => {
    const w = await startChild();
    const lock = new Lock();
    lock.acquireSync();
    const got = w.call('acquireSync', { prim: wire(lock) });
    await until(() => word(lock, 0) === 2, 'the worker to sleep on the lock');
    lock.release();
    expect(await got).toBe(true);
    expect(lock.locked()).toBe(true);
    await w.call('release', { prim: wire(lock) });
  });

  it('the main thread waits asynchronously for a lock a worker holds', async () => {
    const w = await startChild();
    const lock = new Lock();
    await w.call('acquire', { prim: wire(lock) });
    const mine = lock.acquire();
    await w.call('release', { prim: wire(lock) });
    expect(await mine).toBe(true);
    lock.release();
  });

  for (const mode of ['sync', 'async'] as const) {
    it(`stress (${mode}): 4 workers x 10,000 locked increments are exact`, async () => {
      const workers = await startChildren(4);
      const lock = new Lock();
      const counter = new SharedArrayBuffer(4);
      await Promise.all(
        workers.map((w) => w.call('increment', { prim: wire(lock), counter, n: 10_000, mode })),
      );
      expect(new Int32Array(counter)[0]).toBe(40_000);
      expect(lock.locked()).toBe(false);
    });
  }
});

describe('dead holder', () => {
  it('a plain Lock stays locked, but timeouts and signals still get waiters out', async () => {
    const w = await startChild();
    const lock = new Lock();
    expect(await w.call('acquireRobust', { prim: wire(lock) })).toBe(true);
    await w.terminate();
    expect(lock.locked()).toBe(true);
    expect(lock.acquireSync({ timeout: 20 })).toBe(false);
    await expect(lock.acquire({ signal: AbortSignal.timeout(20) })).rejects.toMatchObject({
      name: 'TimeoutError',
    });
  });

  it('a robust Lock is freed when its holder dies, and the next acquirer gets it', async () => {
    const [a, b] = await startChildren(2);
    const lock = new Lock({ robust: true });
    expect(await a.call('acquireRobust', { prim: wire(lock) })).toBe(true);
    const waiting = b.call('acquireSync', { prim: wire(lock), opts: { timeout: 20_000 } });
    await until(() => word(lock, 0) === 2, 'b to sleep on the lock');
    await a.terminate();
    expect(await waiting).toBe(true);
    expect(lock.acquireSync({ timeout: 10 })).toBe(false);
    await b.call('release', { prim: wire(lock) });
    expect(lock.acquireSync({ timeout: 1000 })).toBe(true);
    lock.release();
  });

  it('a robust Lock released normally is not touched when its former holder exits', async () => {
    const w = await startChild();
    const lock = new Lock({ robust: true });
    await w.call('acquireSync', { prim: wire(lock) });
    await w.call('release', { prim: wire(lock) });
    lock.acquireSync();
    await w.terminate();
    expect(lock.locked()).toBe(true);
    lock.release();
    expect(lock.locked()).toBe(false);
  });

  it('only the holder may release a robust Lock', async () => {
    const w = await startChild();
    const lock = new Lock({ robust: true });
    lock.acquireSync();
    await expect(w.call('release', { prim: wire(lock) })).rejects.toThrow(/only its holder/);
    lock.release();
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

  it('another worker cannot take it, nor release it', async () => {
    const w = await startChild();
    const r = new RLock();
    r.acquireSync();
    expect(await w.call('acquireSync', { prim: wire(r), opts: { timeout: 20 } })).toBe(false);
    expect(await w.call('acquire', { prim: wire(r), opts: { block: false } })).toBe(false);
    await expect(w.call('release', { prim: wire(r) })).rejects.toThrow(/owned by worker/);
    r.release();
    expect(await w.call('acquireSync', { prim: wire(r) })).toBe(true);
    expect(() => r.release()).toThrow(/owned by worker/);
    await w.call('release', { prim: wire(r) });
  });

  for (const mode of ['sync', 'async'] as const) {
    it(`stress (${mode}): 4 workers x 10,000 re-entrant increments are exact`, async () => {
      const workers = await startChildren(4);
      const r = new RLock();
      const counter = new SharedArrayBuffer(4);
      await Promise.all(
        workers.map((w) => w.call('increment', { prim: wire(r), counter, n: 10_000, mode, depth: 2 })),
      );
      expect(new Int32Array(counter)[0]).toBe(40_000);
      expect(r.locked()).toBe(false);
    });
  }

  it('a robust RLock is freed when its owner dies', async () => {
    const w = await startChild();
    const r = new RLock({ robust: true });
    await w.call('acquireRobust', { prim: wire(r) });
    expect(r.acquireSync({ timeout: 10 })).toBe(false);
    await w.terminate();
    expect(r.acquireSync({ timeout: 5000 })).toBe(true);
    expect(r.acquireSync()).toBe(true);
    r.release();
    r.release();
    expect(r.locked()).toBe(false);
  });
});
