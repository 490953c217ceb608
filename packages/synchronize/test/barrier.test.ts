import { dumps, loads } from '@multiproc/serialization';
import { describe, expect, it } from 'vitest';
import { Barrier, BrokenBarrierError } from '../src/index.js';
import { startChildren, until, wire } from './helpers.js';

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

describe('Barrier across workers', () => {
  it('4 parties (2 sync, 2 async) cycle 1,000 times with distinct indices each round', async () => {
    const workers = await startChildren(4);
    const b = new Barrier(4);
    const rounds = 1000;
    const seen = await Promise.all(
      workers.map((w, i) =>
        w.call<number[]>('barrier', { prim: wire(b), rounds, mode: i % 2 ? 'sync' : 'async' }),
      ),
    );
    for (let r = 0; r < rounds; r++) {
      expect(seen.map((s) => s[r]).sort()).toEqual([0, 1, 2, 3]);
    }
    expect(b.nWaiting).toBe(0);
    expect(b.broken).toBe(false);
  });

  it('a worker timing out breaks the barrier for the others', async () => {
    const workers = await startChildren(2);
    const b = new Barrier(3);
    const results = await Promise.all([
      workers[0].call('barrierExpectBroken', { prim: wire(b), mode: 'sync', timeout: 30 }),
      workers[1].call('barrierExpectBroken', { prim: wire(b), mode: 'async' }),
    ]);
    expect(results).toEqual(['broken', 'broken']);
    expect(b.broken).toBe(true);
  });

  it('abort() from the main thread releases workers blocked in wait (sync and async)', async () => {
    const workers = await startChildren(2);
    const b = new Barrier(3);
    const results = Promise.all(
      workers.map((w, i) => w.call('barrierExpectBroken', { prim: wire(b), mode: i ? 'sync' : 'async' })),
    );
    await until(() => b.nWaiting === 2, 'two parties to arrive');
    b.abort();
    expect(await results).toEqual(['broken', 'broken']);
  });

  it('the default timeout travels to the workers', async () => {
    const workers = await startChildren(1);
    const b = new Barrier(2, { timeout: 20 });
    expect(await workers[0].call('barrierExpectBroken', { prim: wire(b), mode: 'async' })).toBe('broken');
  });
});
