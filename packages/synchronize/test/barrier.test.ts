import { dumps, loads } from '@multiproc/serialization';
import { describeEachMethod, stopChildren } from '@multiproc/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { Barrier, BrokenBarrierError } from '../src/index.js';
import { startChildren, until } from './helpers.js';

describe('Barrier (one thread)', () => {
  it('validates parties', () => {
    expect(() => new Barrier(0)).toThrow(RangeError);
    expect(() => new Barrier(-2)).toThrow(RangeError);
    expect(() => new Barrier(1.5)).toThrow(TypeError);
    expect(() => new Barrier(2, { action: 3 as any })).toThrow(TypeError);
    expect(() => new Barrier(2, { timeout: Number.NaN })).toThrow(TypeError);
  });

  it('a barrier of one passes at once', async () => {
    const b = new Barrier(1);
    expect(b.parties).toBe(1);
    expect(b.waitSync()).toBe(0);
    expect(await b.wait()).toBe(0);
  });

  it('async waiters in one thread pass together, the action runs once per cycle', async () => {
    let runs = 0;
    const b = new Barrier(3, { action: () => runs++ });
    for (let round = 0; round < 3; round++) {
      const indices = await Promise.all([b.wait(), b.wait(), b.wait()]);
      expect(indices.sort()).toEqual([0, 1, 2]);
    }
    expect(runs).toBe(3);
    expect(b.nWaiting).toBe(0);
  });

  it('a throwing action breaks the barrier', async () => {
    const b = new Barrier(2, {
      action: () => {
        throw new Error('boom');
      },
    });
    const first = b.wait();
    await expect(b.wait()).rejects.toThrow('boom');
    await expect(first).rejects.toBeInstanceOf(BrokenBarrierError);
    expect(b.broken).toBe(true);
    b.reset();
    expect(b.broken).toBe(false);
  });

  it('a timeout breaks it for everyone, reset() makes it usable again', async () => {
    const b = new Barrier(3, { timeout: 20 });
    const a = b.wait({ timeout: 10_000 });
    await expect(b.wait()).rejects.toBeInstanceOf(BrokenBarrierError);
    await expect(a).rejects.toBeInstanceOf(BrokenBarrierError);
    expect(b.broken).toBe(true);
    expect(b.nWaiting).toBe(0);
    expect(() => b.waitSync()).toThrow(BrokenBarrierError);
    b.reset();
    expect(b.broken).toBe(false);
    expect(b.waitSync).toBeTypeOf('function');
    const ok = await Promise.all([b.wait(), b.wait(), b.wait()]);
    expect(ok.sort()).toEqual([0, 1, 2]);
  });

  it('an aborted wait breaks the barrier and rejects with signal.reason', async () => {
    const b = new Barrier(2);
    const ac = new AbortController();
    const p = b.wait({ signal: ac.signal });
    expect(b.nWaiting).toBe(1);
    ac.abort();
    await expect(p).rejects.toMatchObject({ name: 'AbortError' });
    expect(b.broken).toBe(true);
    expect(() => b.waitSync({ signal: AbortSignal.abort() })).toThrow();
  });

  it('abort() and reset() break current waiters', async () => {
    const b = new Barrier(3);
    const w1 = b.wait();
    b.abort();
    await expect(w1).rejects.toBeInstanceOf(BrokenBarrierError);
    b.reset();
    const w2 = b.wait();
    expect(b.nWaiting).toBe(1);
    b.reset();
    await expect(w2).rejects.toThrow(/reset/);
    expect(b.broken).toBe(false);
    expect(b.nWaiting).toBe(0);
  });

  it('BrokenBarrierError travels as itself; the barrier travels with its default timeout', () => {
    const e = loads<Error>(dumps(new BrokenBarrierError()));
    expect(e).toBeInstanceOf(BrokenBarrierError);
    expect(e.name).toBe('BrokenBarrierError');
    const b = new Barrier(2, { timeout: 50 });
    expect(loads(dumps(b))).toBe(b);
  });
});

afterEach(stopChildren);

// Last in the file: the [spawn] block switches this file to OS shared memory.
describeEachMethod((method) => {
  describe('Barrier across workers', () => {
    it('4 parties (2 sync, 2 async) cycle 1,000 times with distinct indices each round', async () => {
      const workers = await startChildren(4, method);
      const b = new Barrier(4);
      const rounds = 1000;
      const seen = await Promise.all(
        workers.map((w, i) => w.call<number[]>('barrier', b, rounds, i % 2 ? 'sync' : 'async')),
      );
      for (let r = 0; r < rounds; r++) {
        expect(seen.map((s) => s[r]).sort()).toEqual([0, 1, 2, 3]);
      }
      expect(b.nWaiting).toBe(0);
      expect(b.broken).toBe(false);
    });

    it('a child timing out breaks the barrier for the others; BrokenBarrierError travels back', async () => {
      const [a, c] = await startChildren(2, method);
      const b = new Barrier(3);
      const results = await Promise.allSettled([
        a.call('barrier', b, 1, 'sync', 30),
        c.call('barrier', b, 1, 'async'),
      ]);
      for (const r of results) {
        expect(r.status).toBe('rejected');
        expect((r as PromiseRejectedResult).reason).toBeInstanceOf(BrokenBarrierError);
      }
      expect(b.broken).toBe(true);
    });

    it('abort() from the parent releases children blocked in wait (sync and async)', async () => {
      const workers = await startChildren(2, method);
      const b = new Barrier(3);
      const results = Promise.allSettled(
        workers.map((w, i) => w.call('barrier', b, 1, i ? 'sync' : 'async')),
      );
      await until(() => b.nWaiting === 2, 'two parties to arrive');
      b.abort();
      for (const r of await results) {
        expect((r as PromiseRejectedResult).reason).toBeInstanceOf(BrokenBarrierError);
      }
      // the default timeout travels with the barrier
      const timed = new Barrier(2, { timeout: 20 });
      await expect(workers[0].call('barrier', timed, 1, 'async')).rejects.toBeInstanceOf(BrokenBarrierError);
      expect(timed.broken).toBe(true);
    });
  });
});
