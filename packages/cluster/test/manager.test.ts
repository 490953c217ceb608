/** cluster.Manager against a real redis-server: proxies, and sharing them with a second driver process. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectionError, KeyError, Manager, Queue, type RedisManager } from '../src/index.js';
import { type RedisServer, available, startRedis, warnUnavailable } from './redis-server.js';

warnUnavailable('cluster Manager tests');

describe.skipIf(!available)('cluster.Manager on Redis', () => {
  let server: RedisServer;
  let m: RedisManager;

  beforeAll(async () => {
    server = await startRedis();
    m = await Manager({ redis: server.url, namespace: 'test', lockLease: 2000 });
  });
  afterAll(async () => {
    await m?.destroy().catch(() => {});
    await m?.shutdown();
    await server?.stop();
  });

  it('dict: the local DictProxy methods, insertion-ordered', async () => {
    const d = await m.dict<string | number, unknown>({ b: 1, a: 2 });
    await d.set(3, 'three');
    expect(await d.get('a')).toBe(2);
    expect(await d.get('zz', 'dflt')).toBe('dflt');
    expect(await d.keys()).toEqual(['b', 'a', 3]);
    expect(await d.items()).toEqual([
      ['b', 1],
      ['a', 2],
      [3, 'three'],
    ]);
    expect(await d.has(3)).toBe(true);
    expect(await d.len()).toBe(3);
    expect(await d.pop('b')).toBe(1);
    await expect(d.pop('b')).rejects.toBeInstanceOf(KeyError);
    expect(await d.pop('b', null)).toBe(null);
    expect(await d.setdefault('c', [1, 2])).toEqual([1, 2]);
    expect(await d.setdefault('c', 'x')).toEqual([1, 2]);
    expect(await d.popitem()).toEqual(['c', [1, 2]]);
    expect(await d.delete('a')).toBe(true);
    expect(await d.copy()).toEqual(new Map([[3, 'three']]));
    await d.clear();
    expect(await d.len()).toBe(0);
  });

  it('list: the local ListProxy methods, Python semantics', async () => {
    const l = await m.list([3, 1, 2]);
    await l.append(5);
    await l.extend([4, 1]);
    expect(await l.get(-1)).toBe(1);
    await expect(l.get(10)).rejects.toBeInstanceOf(RangeError);
    await l.insert(1, 9);
    expect(await l.copy()).toEqual([3, 9, 1, 2, 5, 4, 1]);
    expect(await l.pop(1)).toBe(9);
    expect(await l.pop()).toBe(1);
    expect(await l.index(2)).toBe(2);
    expect(await l.count(1)).toBe(1);
    await l.remove(1);
    await expect(l.remove(99)).rejects.toBeInstanceOf(RangeError);
    await l.sort();
    expect(await l.copy()).toEqual([2, 3, 4, 5]);
    await l.reverse();
    expect(await l.copy()).toEqual([5, 4, 3, 2]);
    await l.set(0, 'x' as unknown as number);
    expect(await l.slice(0, 2)).toEqual(['x', 4]);
    expect(await l.len()).toBe(4);
  });

  it('Namespace, Value, Lock, Event, Semaphore', async () => {
    const ns = await m.Namespace();
    await ns.set('x', 10);
    expect(await ns.get('x')).toBe(10);
    await expect(ns.get('y')).rejects.toMatchObject({ name: 'AttributeError' });
    const v = await m.Value('i', 5);
    await v.set((await v.get()) + 1);
    expect(await v.get()).toBe(6);

    const lock = await m.Lock();
    expect(await lock.acquire()).toBe(true);
    expect(await lock.locked()).toBe(true);
    const other = (await import('@multiproc/serialization')).loads<typeof lock>(
      (await import('@multiproc/serialization')).dumps(lock),
    );
    expect(await other.acquire({ block: false })).toBe(false);
    expect(await other.acquire({ timeout: 100 })).toBe(false);
    await expect(other.release()).rejects.toThrow(/another owner/);
    const waiting = other.acquire({ timeout: 10_000 });
    await lock.release();
    expect(await waiting).toBe(true);
    await other.release();
    await expect(lock.release()).rejects.toThrow(/unlocked/);

    const ev = await m.Event();
    expect(await ev.wait(50)).toBe(false);
    setTimeout(() => void ev.set(), 50);
    expect(await ev.wait(10_000)).toBe(true);
    expect(await ev.isSet()).toBe(true);
    await ev.clear();
    expect(await ev.isSet()).toBe(false);

    const sem = await m.BoundedSemaphore(2);
    expect(await sem.acquire()).toBe(true);
    expect(await sem.acquire()).toBe(true);
    expect(await sem.acquire({ timeout: 50 })).toBe(false);
    const ac = new AbortController();
    const aborted = sem.acquire({ signal: ac.signal });
    ac.abort();
    await expect(aborted).rejects.toMatchObject({ name: 'AbortError' });
    await sem.release(2);
    await expect(sem.release()).rejects.toBeInstanceOf(RangeError);
    expect(await sem.getValue()).toBe(2);
  });

  it('shares proxies with a second driver process (they travel through a cluster Queue)', async () => {
    const dict = await m.dict({ count: 0 });
    const list = await m.list<string>();
    const lock = await m.Lock();
    const event = await m.Event();
    const value = await m.Value('i', 0);
    const ns = await m.Namespace();
    const sem = await m.Semaphore(1);
    const done = await m.Queue<string>();
    const handoff = new Queue({ redis: server.url, name: 'handoff' });
    await handoff.put({ dict, list, lock, event, value, ns, sem, done });
    const driver = fileURLToPath(new URL('./fixtures/driver.mjs', import.meta.url));
    const child = spawn(process.execPath, [driver, server.url], { stdio: ['ignore', 'inherit', 'inherit'] });
    const exited = new Promise<number | null>((r) => child.once('exit', r));
    try {
      for (let i = 0; i < 50; i++) {
        await lock.withLock(async () => {
          await dict.set('count', ((await dict.get('count')) ?? 0) + 1);
        });
      }
      expect(await event.wait(30_000)).toBe(true);
      expect(await done.get({ timeout: 30_000 })).toBe('finished');
      expect(await exited).toBe(0);
      expect(await dict.get('count')).toBe(100);
      expect(await list.copy()).toEqual([`from ${child.pid}`]);
      expect(await ns.get('driver')).toBe('second');
      expect(await value.get()).toBe(42);
    } finally {
      child.kill('SIGKILL');
      handoff.close();
    }
  });

  it('reports a stopped Redis with a clear ConnectionError', async () => {
    const m2 = await Manager({ redis: server.url, namespace: 'test2', reconnectTimeout: 1000 });
    const d = await m2.dict();
    await d.set('k', 1);
    await server.stop();
    const err = await d.get('k').catch((e: Error) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect(err.message).toMatch(/unreachable/);
    await m2.shutdown();
    await expect(Manager({ redis: server.url, connectTimeout: 500 })).rejects.toBeInstanceOf(ConnectionError);
  });
});
