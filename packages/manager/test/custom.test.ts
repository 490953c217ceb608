import type { StartMethod } from '@multiproc/process';
import { describeEachMethod } from '@multiproc/test-utils';
import { describe, expect, it } from 'vitest';
import { AutoProxy, BaseManager, BaseProxy, RemoteError } from './api.js';
import { type AnyProxy, CounterError, CounterManager, UnregisteredError } from './fixtures/workers.mjs';
import { runEach, startManager, track } from './helpers.js';

async function startCounters(method?: StartMethod): Promise<BaseManager> {
  const m = track(new CounterManager(method === undefined ? {} : { context: method }));
  await m.start();
  return m;
}

async function rejection(p: Promise<unknown>): Promise<RemoteError> {
  const err = await p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RemoteError);
  return err as RemoteError;
}

describe('registered classes', () => {
  it('a registered class gets an auto proxy with its public methods', async () => {
    const m = await startCounters();
    const c = await m.create<AnyProxy>('Counter', 5);
    expect(c).toBeInstanceOf(AutoProxy);
    expect(await c.increment()).toBe(6);
    expect(await c.increment(4)).toBe(10);
    expect(await c.value()).toBe(10);
    expect(await c.slowIncrement(10)).toBe(11); // async methods are awaited in the server
    expect(c._private).toBeUndefined();
    expect((await rejection(c._callMethod('_private'))).cause.name).toBe('AttributeError');
    // register() also adds a manager method named after the typeid, as Python does
    const c2 = await (m as unknown as { Counter(n: number): Promise<AnyProxy> }).Counter(1);
    expect(await c2.value()).toBe(1);
  });

  it('exposed limits the methods; methodToTypeid returns proxies; factories and singletons work', async () => {
    const m = await startCounters();
    const limited = await m.create<AnyProxy>('LimitedCounter', 0);
    expect(typeof limited.fail).toBe('undefined');
    expect((await rejection(limited._callMethod('fail', [1]))).cause.message).toMatch(/not exposed/);
    const c = await m.create<AnyProxy>('Counter', 0);
    const child = await c.child(41);
    expect(child).toBeInstanceOf(BaseProxy);
    expect(await child.increment()).toBe(42);
    const f = await m.create<AnyProxy>('makeCounter', 2);
    expect(await f.value()).toBe(20);
    const s1 = await m.create<AnyProxy>('getSharedCounter');
    const s2 = await m.create<AnyProxy>('getSharedCounter');
    await s1.increment();
    expect(await s2.value()).toBe(101);
  });

  it('a class the server worker cannot import fails in the parent, with how to fix it', async () => {
    class NotExported {
      x = 1;
    }
    class LocalManager extends BaseManager {}
    LocalManager.register('NotExported', NotExported);
    const m = track(new LocalManager());
    await expect(m.start()).rejects.toThrow(/export/);
  });

  it('a custom proxy class can be given with proxytype', async () => {
    class CounterProxy extends BaseProxy {
      increment(by = 1): Promise<number> {
        return this._callMethod('increment', [by]);
      }
    }
    class TypedManager extends CounterManager {}
    TypedManager.register('TypedCounter', (await import('./fixtures/workers.mjs')).Counter, {
      proxytype: CounterProxy,
    });
    const m = track(new TypedManager());
    await m.start();
    const c = await m.create<CounterProxy>('TypedCounter', 1);
    expect(c).toBeInstanceOf(CounterProxy);
    expect(await c.increment(2)).toBe(3);
  });
});

describe('RemoteError', () => {
  it('built-in errors keep their class (TypeError, RangeError)', async () => {
    const m = await startManager();
    const l = await m.list();
    expect((await rejection(l.get(1))).cause).toBeInstanceOf(RangeError);
    expect((await rejection(l.get('x' as never))).cause).toBeInstanceOf(TypeError);
  });
});

describeEachMethod((method) => {
  it('a proxy of a registered class works in a worker', async () => {
    const m = await startCounters(method);
    const c = await m.create<AnyProxy>('Counter', 0);
    await runEach(method, 'bump', [
      [c, 10],
      [c, 10],
      [c, 10],
    ]);
    expect(await c.value()).toBe(30);
  });

  it('RemoteError names the remote class and message; cause is the rebuilt error with the server stack', async () => {
    const m = await startCounters(method);
    const c = await m.create<AnyProxy>('Counter', 0);
    const err = await rejection(c.fail(7));
    expect(err.message).toContain('CounterError');
    expect(err.message).toContain('counter failed with 7');
    expect(err.cause).toBeInstanceOf(CounterError);
    expect((err.cause as CounterError).code).toBe(7);
    expect(err.cause.stack).toContain('workers.mjs'); // thrown there, in the server worker
    const u = await rejection(c.failUnregistered());
    expect(u.cause).not.toBeInstanceOf(UnregisteredError);
    expect(u.cause).toBeInstanceOf(Error);
    expect(u.cause.name).toBe('UnregisteredError');
    expect(u.message).toContain('UnregisteredError: not registered here');
  });
});
