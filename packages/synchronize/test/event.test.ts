import { describe, expect, it } from 'vitest';
import { Event } from '../src/index.js';
import { startChildren, until, wire, word } from './helpers.js';

describe('Event', () => {
  it('sets, clears, and waits in one thread', async () => {
    const e = new Event();
    expect(e.isSet()).toBe(false);
    expect(e.waitSync(10)).toBe(false);
    expect(await e.wait({ timeout: 10 })).toBe(false);
    e.set();
    e.set();
    expect(e.isSet()).toBe(true);
    expect(e.waitSync()).toBe(true);
    expect(await e.wait()).toBe(true);
    e.clear();
    expect(e.isSet()).toBe(false);
  });

  it('aborts a wait', async () => {
    const e = new Event();
    await expect(e.wait({ signal: AbortSignal.timeout(10) })).rejects.toMatchObject({ name: 'TimeoutError' });
    expect(() => e.waitSync({ signal: AbortSignal.abort() })).toThrow();
    expect(() => e.waitSync('soon' as any)).toThrow(TypeError);
  });

  it('set() wakes every waiter, sync and async, in several workers', async () => {
    const workers = await startChildren(4);
    const e = new Event();
    const waits = workers.map((w, i) =>
      w.call('eventWait', { prim: wire(e), mode: i % 2 ? 'sync' : 'async' }),
    );
    const mainWait = e.wait();
    await until(() => word(e, 1) === 5, 'all waiters to sleep');
    await workers[0].call('eventSet', { prim: wire(e) }).catch(() => {});
    expect(await Promise.all(waits)).toEqual([true, true, true, true]);
    expect(await mainWait).toBe(true);
  });

  it('a set() followed at once by clear() still releases those already waiting', async () => {
    const [w] = await startChildren(1);
    const e = new Event();
    const waiting = w.call('eventWait', { prim: wire(e), mode: 'sync', timeout: 20_000 });
    await until(() => word(e, 1) === 1, 'the worker to sleep');
    e.set();
    e.clear();
    expect(await waiting).toBe(true);
  });

  it('a worker times out waiting', async () => {
    const [w] = await startChildren(1);
    const e = new Event();
    expect(await w.call('eventWait', { prim: wire(e), mode: 'sync', timeout: 20 })).toBe(false);
    expect(await w.call('eventWait', { prim: wire(e), mode: 'async', timeout: 20 })).toBe(false);
  });
});
