import { describeEachMethod, stopChildren } from '@multiproc/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { Event } from '../src/index.js';
import { startChildren, until, word } from './helpers.js';

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
});

afterEach(stopChildren);

// Last in the file: the [spawn] block switches this file to OS shared memory.
describeEachMethod((method) => {
  describe('Event across workers', () => {
    it('set() from a child wakes every waiter, sync and async, in several children and the parent', async () => {
      const workers = await startChildren(4, method);
      const e = new Event();
      const waits = workers.map((w, i) => w.call('eventWait', e, i % 2 ? 'sync' : 'async'));
      const mainWait = e.wait();
      await until(() => word(e, 1) === 5, 'all waiters to sleep');
      // workers[0] waits asynchronously, so it still answers calls
      expect(await workers[0].call('eventSet', e)).toBe(true);
      expect(await Promise.all(waits)).toEqual([true, true, true, true]);
      expect(await mainWait).toBe(true);
    });

    it('a set() followed at once by clear() still releases a child already waiting; a child times out', async () => {
      const [w] = await startChildren(1, method);
      const e = new Event();
      const waiting = w.call('eventWait', e, 'sync', 20_000);
      await until(() => word(e, 1) === 1, 'the child to sleep');
      e.set();
      e.clear();
      expect(await waiting).toBe(true);
      expect(await w.call('eventWait', e, 'sync', 20)).toBe(false);
      expect(await w.call('eventWait', e, 'async', 20)).toBe(false);
    });
  });
});
