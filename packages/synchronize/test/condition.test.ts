import { allocateBlock } from '@multiproc/memory';
import { dumps, loads } from '@multiproc/serialization';
import { describeEachMethod, stopChildren } from '@multiproc/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { Condition, Lock, RLock } from '../src/index.js';
import { startChildren, until, word } from './helpers.js';

const waiters = (c: Condition) => word(c, 1);

describe('Condition (one thread)', () => {
  it('wait and notify without holding the lock throw', async () => {
    const c = new Condition();
    expect(() => c.notify()).toThrow(/not held/);
    expect(() => c.notifyAll()).toThrow(/not held/);
    expect(() => c.waitSync(1)).toThrow(/not held/);
    await expect(c.wait(1)).rejects.toThrow(/not held/);
    expect(() => new Condition({} as any)).toThrow(TypeError);
  });

  it('a timed-out wait returns false and restores an RLock to its depth', async () => {
    const c = new Condition();
    expect(c.lock).toBeInstanceOf(RLock);
    c.acquireSync();
    c.acquireSync();
    expect(c.waitSync(10)).toBe(false);
    expect(await c.wait({ timeout: 10 })).toBe(false);
    c.notify(); // holding: fine, nobody waits
    c.release();
    expect(c.lock.locked()).toBe(true);
    c.release();
    expect(c.lock.locked()).toBe(false);
  });

  it('waitFor returns the predicate value, false after its timeout', async () => {
    const c = new Condition(new Lock());
    await c.acquire();
    expect(await c.waitFor(() => 0, 10)).toBe(0);
    expect(await c.waitFor(() => 'yes')).toBe('yes');
    expect(c.waitForSync(() => false, { timeout: 10 })).toBe(false);
    c.release();
  });

  it('an aborted wait takes the lock back, then rejects with signal.reason', async () => {
    const c = new Condition();
    await c.acquire();
    const reason = new Error('cancelled');
    const ac = new AbortController();
    const p = c.wait({ signal: ac.signal });
    ac.abort(reason);
    await expect(p).rejects.toBe(reason);
    expect(() => c.notify()).not.toThrow(); // still held by us
    c.release();
    expect(() => c.waitSync({ signal: AbortSignal.abort() })).toThrow();
  });

  it('round-trips with its lock', () => {
    const c = new Condition(new Lock());
    const back = loads<Condition>(dumps(c));
    expect(back).toBe(c);
    expect(back.lock).toBe(c.lock);
  });

  it('async waiters in one thread are woken by notify', async () => {
    const c = new Condition();
    let ready = false;
    const waiter = (async () => {
      await c.acquire();
      try {
        return await c.waitFor(() => ready);
      } finally {
        c.release();
      }
    })();
    await until(() => waiters(c) === 1, 'the waiter');
    // the waiter's RLock ownership is per worker, so wait until it released before taking it
    await c.acquire();
    ready = true;
    c.notify();
    c.release();
    expect(await waiter).toBe(true);
  });
});

afterEach(stopChildren);

// Last in the file: the [spawn] block switches this file to OS shared memory.
describeEachMethod((method) => {
  describe('Condition across workers', () => {
    it('the lock travels with it; notify without the lock throws in a child too', async () => {
      const [w] = await startChildren(1, method);
      const c = new Condition();
      c.acquireSync();
      expect(await w.call('acquireSync', c, { timeout: 20 })).toBe(false);
      c.release();
      await expect(w.call('notify', c)).rejects.toThrow(/acquire it first/);
      // a child times out waiting when nobody notifies (sync and async)
      expect(await w.call('condWait', c, 'sync', 20)).toBe(false);
      expect(await w.call('condWait', c, 'async', 20)).toBe(false);
    });

    it('notifyAll wakes every waiter (sync and async, RLock and Lock)', async () => {
      const workers = await startChildren(3, method);
      for (const lock of [new RLock(), new Lock()]) {
        const c = new Condition(lock);
        const waits = workers.map((w, i) => w.call('condWait', c, i % 2 ? 'sync' : 'async'));
        await until(() => waiters(c) === 3, 'three waiters');
        c.acquireSync();
        c.notifyAll();
        c.release();
        expect(await Promise.all(waits)).toEqual([true, true, true]);
      }
    });

    it('notify(1) wakes a waiter; the others keep waiting for the next notify', async () => {
      const workers = await startChildren(2, method);
      const c = new Condition();
      const waits = workers.map((w) => w.call('condWait', c, 'sync', 30_000));
      await until(() => waiters(c) === 2, 'two waiters');
      c.acquireSync();
      c.notify(1);
      c.release();
      // at least one wakes (a waiter that had not yet slept may see the same notify, as in POSIX)
      expect(await Promise.race(waits)).toBe(true);
      c.acquireSync();
      c.notify(2);
      c.release();
      expect(await Promise.all(waits)).toEqual([true, true]);
    });

    it('producer/consumer: 2 producers, 2 consumers (sync + async), no lost wake-ups', async () => {
      const [p1, p2, c1, c2] = await startChildren(4, method);
      const c = new Condition();
      const items = allocateBlock(8);
      const n = 2000;
      const consumed = Promise.all([
        c1.call('consume', c, items, n, 'sync'),
        c2.call('consume', c, items, n, 'async'),
      ]);
      await Promise.all([p1.call('produce', c, items, n, 'sync'), p2.call('produce', c, items, n, 'async')]);
      expect(await consumed).toEqual([n, n]);
      expect(items.i32[0]).toBe(0);
    });
  });
});
