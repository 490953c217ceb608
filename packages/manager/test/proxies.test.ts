import { describe, expect, it } from 'vitest';
import { DictProxy, KeyError, ListProxy, ManagerError, RemoteError, type SyncManager } from './api.js';
import { startManager } from './helpers.js';

const cause = async (p: Promise<unknown>): Promise<Error> => {
  const err = await p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RemoteError);
  return (err as RemoteError).cause;
};

describe('dict', () => {
  it('has the methods of API.md', async () => {
    const m = await startManager();
    const d = await m.dict<string, number>({ a: 1 });
    expect(d).toBeInstanceOf(DictProxy);
    await d.set('b', 2);
    expect(await d.get('a')).toBe(1);
    expect(await d.get('zz')).toBeUndefined();
    expect(await d.get('zz', 7)).toBe(7);
    expect(await d.has('b')).toBe(true);
    expect(await d.keys()).toEqual(['a', 'b']);
    expect(await d.values()).toEqual([1, 2]);
    expect(await d.items()).toEqual([
      ['a', 1],
      ['b', 2],
    ]);
    await d.update({ c: 3 });
    expect(await d.len()).toBe(3);
    expect(await d.pop('c')).toBe(3);
    expect(await d.pop('c', -1)).toBe(-1);
    expect(await d.setdefault('d', 4)).toBe(4);
    expect(await d.setdefault('d', 5)).toBe(4);
    expect(await d.delete('d')).toBe(true);
    expect(await d.delete('d')).toBe(false);
    expect(await d.copy()).toEqual(
      new Map([
        ['a', 1],
        ['b', 2],
      ]),
    );
    expect(await d.toObject()).toEqual({ a: 1, b: 2 });
    expect(await d.popitem()).toEqual(['b', 2]);
    await d.clear();
    expect(await d.len()).toBe(0);
  });

  it('keeps key types apart, like Python (1 and "1")', async () => {
    const m = await startManager();
    const d = await m.dict<number | string, string>(new Map<number | string, string>([[1, 'int']]));
    await d.set('1', 'str');
    expect(await d.get(1)).toBe('int');
    expect(await d.get('1')).toBe('str');
  });

  it('pop of a missing key rejects with KeyError as the cause; object keys are TypeErrors', async () => {
    const m = await startManager();
    const d = await m.dict();
    const e = await cause(d.pop('nope'));
    expect(e).toBeInstanceOf(KeyError);
    expect(e.message).toContain('nope');
    expect(await cause(d.set({ x: 1 } as never, 1))).toBeInstanceOf(TypeError);
  });

  it('values are copies: mutating a result does not change the shared dict', async () => {
    const m = await startManager();
    const d = await m.dict({ list: [1, 2] });
    const got = (await d.get('list')) as number[];
    got.push(3);
    expect(await d.get('list')).toEqual([1, 2]);
  });
});

describe('list', () => {
  it('has the methods of API.md, with Python semantics', async () => {
    const m = await startManager();
    const l = await m.list([3, 1, 2]);
    expect(l).toBeInstanceOf(ListProxy);
    expect(await l.get(0)).toBe(3);
    expect(await l.get(-1)).toBe(2);
    await l.set(-1, 20);
    await l.append(4);
    await l.extend([5, 6]);
    expect(await l.copy()).toEqual([3, 1, 20, 4, 5, 6]);
    expect(await l.pop()).toBe(6);
    expect(await l.pop(0)).toBe(3);
    await l.insert(0, 0);
    await l.insert(100, 99);
    expect(await l.copy()).toEqual([0, 1, 20, 4, 5, 99]);
    await l.remove(99);
    expect(await l.index(20)).toBe(2);
    await l.append(1);
    expect(await l.count(1)).toBe(2);
    await l.reverse();
    expect(await l.copy()).toEqual([1, 5, 4, 20, 1, 0]);
    await l.sort();
    expect(await l.copy()).toEqual([0, 1, 1, 4, 5, 20]); // numeric, not lexicographic
    await l.sort({ reverse: true });
    expect(await l.slice(0, 2)).toEqual([20, 5]);
    expect(await l.len()).toBe(6);
  });

  it('out-of-range and missing values are RangeErrors; deep equality for remove/index', async () => {
    const m = await startManager();
    const l = await m.list<unknown>([[1, 2], { a: 1 }]);
    expect(await cause(l.get(5))).toBeInstanceOf(RangeError);
    expect(await cause(l.remove('x'))).toBeInstanceOf(RangeError);
    expect(await l.index({ a: 1 })).toBe(1);
    await l.remove([1, 2]);
    expect(await l.len()).toBe(1);
    expect(await cause(m.list([]).then((e) => e.pop()))).toBeInstanceOf(RangeError);
  });
});

describe('Namespace, Value, Array', () => {
  it('Namespace get/set/has/delete', async () => {
    const m = await startManager();
    const ns = await m.Namespace({ x: 1 });
    await ns.set('y', 'two');
    expect(await ns.get('x')).toBe(1);
    expect(await ns.get('y')).toBe('two');
    expect(await ns.has('z')).toBe(false);
    expect((await cause(ns.get('z'))).name).toBe('AttributeError');
    expect(await ns.toObject()).toEqual({ x: 1, y: 'two' });
    expect(await ns.delete('x')).toBe(true);
  });

  it('Value coerces like its C type; 64-bit types are bigints', async () => {
    const m = await startManager();
    const v = await m.Value('i', 7);
    expect(await v.get()).toBe(7);
    await v.set(2 ** 31); // wraps like a C int
    expect(await v.get()).toBe(-(2 ** 31));
    const q = await m.Value('q', 5);
    expect(await q.get()).toBe(5n);
    const d = await m.Value({ name: 'c_double', kind: 'simple' }, 0.5);
    expect(await d.get()).toBe(0.5);
    await expect(m.Value('x', 1)).rejects.toThrow(/unknown typecode/);
  });

  it('Array get/set/len/toArray', async () => {
    const m = await startManager();
    const a = await m.Array('i', [1, 2, 3]);
    await a.set(0, 10);
    expect(await a.get(0)).toBe(10);
    expect(await a.get(-1)).toBe(3);
    expect(await a.len()).toBe(3);
    expect(await a.toArray()).toEqual([10, 2, 3]);
    const z = await m.Array('d', 2);
    expect(await z.toArray()).toEqual([0, 0]);
    expect(await cause(a.get(3))).toBeInstanceOf(RangeError);
  });
});

describe('locks and synchronization', () => {
  it('Lock: acquire/release/locked, non-blocking and timeouts', async () => {
    const m = await startManager();
    const lock = await m.Lock();
    expect(await lock.acquire()).toBe(true);
    expect(await lock.locked()).toBe(true);
    expect(await lock.acquire({ block: false })).toBe(false);
    expect(await lock.acquire({ timeout: 30 })).toBe(false);
    await lock.release();
    expect(await lock.locked()).toBe(false);
    expect((await cause(lock.release())).message).toMatch(/unlocked/);
  });

  it('a waiting acquire resolves when another caller releases; an aborted one is cancelled in the server', async () => {
    const m = await startManager();
    const lock = await m.Lock();
    await lock.acquire();
    const ac = new AbortController();
    const aborted = lock.acquire({ signal: ac.signal });
    const waiting = lock.acquire();
    ac.abort();
    await expect(aborted).rejects.toThrow(/abort/i);
    await lock.release(); // goes to `waiting`, not to the aborted call
    expect(await waiting).toBe(true);
    await lock.release();
    expect(await lock.locked()).toBe(false);
  });

  it('RLock is recursive; Semaphore counts; BoundedSemaphore refuses extra releases', async () => {
    const m = await startManager();
    const r = await m.RLock();
    expect(await r.acquire()).toBe(true);
    expect(await r.acquire()).toBe(true);
    await r.release();
    await r.release();
    expect((await cause(r.release())).message).toMatch(/un-acquired/);
    const s = await m.Semaphore(2);
    expect(await s.acquire()).toBe(true);
    expect(await s.acquire()).toBe(true);
    expect(await s.acquire({ block: false })).toBe(false);
    expect(await s.getValue()).toBe(0);
    await s.release(2);
    expect(await s.getValue()).toBe(2);
    const b = await m.BoundedSemaphore(1);
    expect(await cause(b.release())).toBeInstanceOf(RangeError);
  });

  it('Event and Condition', async () => {
    const m = await startManager();
    const ev = await m.Event();
    expect(await ev.isSet()).toBe(false);
    expect(await ev.wait(20)).toBe(false);
    const waiting = ev.wait();
    await ev.set();
    expect(await waiting).toBe(true);
    await ev.clear();
    expect(await ev.isSet()).toBe(false);

    const lock = await m.Lock();
    const cond = await m.Condition(lock);
    await cond.acquire();
    expect(await cond.wait(20)).toBe(false); // timed out, lock re-acquired
    expect(await lock.locked()).toBe(true);
    expect((await cause(m.Condition().then((c) => c.notify()))).message).toMatch(/un-acquired/);
    await cond.release();
    const flag = await m.Value('i', 0);
    expect(await cond.acquire()).toBe(true);
    expect(await cond.waitFor(async () => (await flag.get()) === 1, 30)).toBe(false);
    await cond.release();
  });

  it('Barrier', async () => {
    const m = await startManager();
    const b = await m.Barrier(2);
    expect(await b.parties()).toBe(2);
    const first = b.wait();
    const second = b.wait();
    expect((await Promise.all([first, second])).sort()).toEqual([0, 1]);
    const lonely = b.wait(20);
    await expect(lonely).rejects.toThrow(/BrokenBarrierError/);
    expect(await b.broken()).toBe(true);
    await b.reset();
    expect(await b.broken()).toBe(false);
    expect(await b.nWaiting()).toBe(0);
  });
});

describe('Queue and JoinableQueue', () => {
  it('put/get, nowait forms, Empty and Full', async () => {
    const m = await startManager();
    const q = await m.Queue<number>(2);
    await q.put(1);
    await q.putNowait(2);
    expect(await q.full()).toBe(true);
    expect((await cause(q.putNowait(3))).name).toBe('Full');
    expect((await cause(q.put(3, { timeout: 20 }))).name).toBe('Full');
    expect(await q.qsize()).toBe(2);
    expect(await q.get()).toBe(1);
    expect(await q.getNowait()).toBe(2);
    expect(await q.empty()).toBe(true);
    expect((await cause(q.get({ timeout: 20 }))).name).toBe('Empty');
    const pending = q.get();
    await q.put(42);
    expect(await pending).toBe(42);
  });

  it('JoinableQueue taskDone/join', async () => {
    const m = await startManager();
    const q = await m.JoinableQueue();
    await q.put('a');
    let joined = false;
    const join = q.join().then(() => {
      joined = true;
    });
    await q.get();
    expect(joined).toBe(false);
    await q.taskDone();
    await join;
    expect(joined).toBe(true);
    expect(await cause(q.taskDone())).toBeInstanceOf(RangeError);
  });
});

describe('lifecycle', () => {
  it('calls after shutdown() give a clear error', async () => {
    const m = await startManager();
    const d = await m.dict();
    await m.shutdown();
    await expect(d.get('x')).rejects.toThrow(ManagerError);
    await expect(d.get('x')).rejects.toThrow(/shut ?down/);
    await expect(m.dict()).rejects.toThrow(/shut down/);
    await m.shutdown(); // idempotent
  });

  it('supports await using, and reports its real address', async () => {
    let m2: SyncManager | undefined;
    {
      await using m = await startManager();
      m2 = m;
      const a = m.address as { host: string; port: number };
      expect(a.host).toBe('127.0.0.1');
      expect(a.port).toBeGreaterThan(0);
      expect(await (await m.dict({ a: 1 })).get('a')).toBe(1);
    }
    await expect(m2.dict()).rejects.toThrow(/shut down/);
  });

  it('closing proxies frees their objects (reference counting)', async () => {
    const m = await startManager();
    const base = (await m.info()).objects;
    const d = await m.dict();
    const l = await m.list();
    expect((await m.info()).objects).toBe(base + 2);
    d.close();
    l.close();
    expect((await m.info()).objects).toBe(base);
    await expect(d.get('x')).rejects.toThrow(/closed/);
  });

  it('pipelines many calls on one connection', async () => {
    const m = await startManager();
    const d = await m.dict();
    await Promise.all(Array.from({ length: 500 }, (_, i) => d.set(`k${i}`, i)));
    const values = await Promise.all(Array.from({ length: 500 }, (_, i) => d.get(`k${i}`)));
    expect(values).toEqual(Array.from({ length: 500 }, (_, i) => i));
    expect((await m.info()).connections).toBeLessThanOrEqual(2);
  });
});
