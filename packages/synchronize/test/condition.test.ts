import { dumps, loads } from '@multiproc/serialization';
import { describe, expect, it } from 'vitest';
import { Condition, Lock, RLock } from '../src/index.js';
import { startChild, startChildren, until, wire, word } from './helpers.js';

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

describe('Condition across workers', () => {
  it('notify without the lock throws in a worker too', async () => {
    const w = await startChild();
    await expect(w.call('notifyWithoutLock', { prim: wire(new Condition()) })).rejects.toThrow(
      /acquire it first/,
    );
  });

  it('the lock travels with it', async () => {
    const w = await startChild();
    const c = new Condition();
    c.acquireSync();
    expect(await w.call('acquireSync', { prim: wire(c), opts: { timeout: 20 } })).toBe(false);
    c.release();
  });

  it('notifyAll wakes every waiter (sync and async, RLock and Lock)', async () => {
    for (const lock of [new RLock(), new Lock()]) {
      const workers = await startChildren(3);
      const c = new Condition(lock);
      const waits = workers.map((w, i) =>
        w.call('condWait', { prim: wire(c), mode: i % 2 ? 'sync' : 'async' }),
      );
      await until(() => waiters(c) === 3, 'three waiters');
      c.acquireSync();
      c.notifyAll();
      c.release();
      expect(await Promise.all(waits)).toEqual([true, true, true]);
      await Promise.all(workers.map((w) => w.terminate()));
    }
  });

  it('notify(1) wakes one waiter, a worker times out waiting', async () => {
    const workers = await startChildren(2);
    const c = new Condition();
    const waits = workers.map((w) => w.call('condWait', { prim: wire(c), mode: 'sync', timeout: 300 }));
    await until(() => waiters(c) === 2, 'two waiters');
    c.acquireSync();
    c.notify(1);
    c.release();
    const results = await Promise.all(waits);
    expect(results).toContain(true); // the notified one; the other may time out (false)
  });

  it('producer/consumer: 2 producers, 2 consumers (sync + async), no lost wake-ups', async () => {
    const [p1, p2, c1, c2] = await startChildren(4);
    const c = new Condition();
    const items = new SharedArrayBuffer(8);
    const n = 2000;
    const consumed = Promise.all([
      c1.call('consume', { prim: wire(c), items, n, mode: 'sync' }),
      c2.call('consume', { prim: wire(c), items, n, mode: 'async' }),
    ]);
    await Promise.all([
      p1.call('produce', { prim: wire(c), items, n, mode: 'sync' }),
      p2.call('produce', { prim: wire(c), items, n, mode: 'async' }),
    ]);
    expect(await consumed).toEqual([n, n]);
    expect(new Int32Array(items)[0]).toBe(0);
  });
});
