import { allocateBlock } from '@multiproc/memory';
import { describeEachMethod } from '@multiproc/test-utils';
import { describe, expect, it } from 'vitest';
import { AsyncResult, Pool, TimeoutError, defaultChunksize, ref } from './api.js';
import { add, asyncSleep, handshake, identity, pid, slowSquare, square } from './fixtures/tasks.mjs';
import { drain, makePool, range } from './helpers.js';

const tasksUrl = new URL('./fixtures/tasks.mjs', import.meta.url);

// Argument checks: they throw before any worker runs, so they run once.
describe('argument checks', () => {
  it('processes 0 is a RangeError', () => {
    expect(() => new Pool({ processes: 0 })).toThrow(RangeError);
    expect(() => new Pool(-1)).toThrow(RangeError);
    expect(() => new Pool({ maxTasksPerChild: 0.5 })).toThrow(RangeError);
  });
  it('uses Python default chunksize', () => {
    expect(defaultChunksize(0, 4)).toBe(0);
    expect(defaultChunksize(1, 4)).toBe(1);
    expect(defaultChunksize(100, 2)).toBe(13);
    expect(defaultChunksize(16, 2)).toBe(2);
    expect(defaultChunksize(17, 2)).toBe(3);
  });
  it('rejects a bad chunksize or a non-iterable', () => {
    const pool = makePool(1);
    expect(() => pool.mapAsync(square, [1], { chunksize: 0 })).toThrow(RangeError);
    expect(() => pool.mapAsync(square, 5 as unknown as number[])).toThrow(TypeError);
  });
});

describeEachMethod((method) => {
  describe('construction', () => {
    it('takes a number or options; processes defaults to the CPU count', async () => {
      const a = makePool(3, method);
      expect(a.processes).toBe(3);
      const b = makePool({}, method);
      expect(b.processes).toBeGreaterThanOrEqual(1);
      expect(await b.apply(square, [3])).toBe(9);
    });
    it(`runs tasks in ${method === 'thread' ? 'threads of this process' : 'child processes'}`, async () => {
      const pool = makePool(2, method);
      const pids = await pool.map(pid, range(8), { chunksize: 1 });
      if (method === 'thread') expect(new Set(pids)).toEqual(new Set([process.pid]));
      else for (const p of pids) expect(p).not.toBe(process.pid);
    });
  });

  describe('apply / applyAsync', () => {
    it('apply resolves with the result', async () => {
      const pool = makePool(2, method);
      expect(await pool.apply(add, [2, 3])).toBe(5);
      expect(await pool.apply(square, [9])).toBe(81);
    });
    it('awaits async functions', async () => {
      const pool = makePool(2, method);
      expect(await pool.apply(slowSquare, [4, 5])).toBe(16);
    });
    it('works with ref(moduleUrl, exportName)', async () => {
      const pool = makePool(1, method);
      expect(await pool.apply(ref(tasksUrl, 'add'), [40, 2])).toBe(42);
    });
    it('applyAsync returns an AsyncResult with ready/successful/wait/get and callbacks', async () => {
      const pool = makePool(2, method);
      const seen: number[] = [];
      const r = pool.applyAsync(slowSquare, [3, 30], { callback: (v) => seen.push(v) });
      expect(r).toBeInstanceOf(AsyncResult);
      expect(r.ready()).toBe(false);
      expect(() => r.successful()).toThrow(/not ready/);
      expect(await r.wait()).toBe(true);
      expect(r.ready()).toBe(true);
      expect(r.successful()).toBe(true);
      expect(await r.get()).toBe(9);
      expect(seen).toEqual([9]);
    });
    it('get(timeout) rejects with TimeoutError; wait(timeout) resolves false', async () => {
      const pool = makePool(1, method);
      const r = pool.applyAsync(asyncSleep, [1000]);
      expect(await r.wait(10)).toBe(false);
      await expect(r.get(10)).rejects.toBeInstanceOf(TimeoutError);
      await expect(r.get({ timeout: 10 })).rejects.toBeInstanceOf(TimeoutError);
      expect(await r.get()).toBe(1000);
    });
    it('get({ signal }) rejects with the abort reason', async () => {
      const pool = makePool(1, method);
      const r = pool.applyAsync(asyncSleep, [200]);
      const ac = new AbortController();
      const p = r.get({ signal: ac.signal });
      ac.abort(new Error('stop waiting'));
      await expect(p).rejects.toThrow('stop waiting');
      expect(await r.get()).toBe(200);
    });
    it('many applyAsync calls complete, each with its own value', async () => {
      const pool = makePool(2, method);
      const rs = range(500).map((i) => pool.applyAsync(square, [i]));
      const vals = await Promise.all(rs.map((r) => r.get()));
      expect(vals).toEqual(range(500).map((i) => i * i));
    });
    it('errorCallback receives the error', async () => {
      const pool = makePool(1, method);
      const errors: unknown[] = [];
      const r = pool.applyAsync(ref(tasksUrl, 'throwValidation'), ['name'], {
        errorCallback: (e) => errors.push(e),
      });
      await r.wait();
      expect(r.successful()).toBe(false);
      expect(errors).toHaveLength(1);
      expect((errors[0] as Error).message).toBe('bad name');
    });
  });

  describe('map / starmap', () => {
    it('map keeps input order', async () => {
      const pool = makePool(2, method);
      expect(await pool.map(square, range(100))).toEqual(range(100).map((x) => x * x));
    });
    it('handles chunk boundaries: empty, one item, len not divisible by chunksize', async () => {
      const pool = makePool(2, method);
      expect(await pool.map(square, [])).toEqual([]);
      expect(await pool.map(square, [7])).toEqual([49]);
      expect(await pool.map(square, range(10), { chunksize: 3 })).toEqual(range(10).map((x) => x * x));
      expect(await pool.map(square, range(10), { chunksize: 100 })).toEqual(range(10).map((x) => x * x));
      expect(await pool.map(identity, range(1001), { chunksize: 1 })).toEqual(range(1001));
    });
    it('assembles results of many chunks and of any kind in input order', async () => {
      const pool = makePool(2, method);
      // More chunks than one concat batch (4096), completing out of order across workers.
      expect(await pool.map(identity, range(10_000), { chunksize: 2 })).toEqual(range(10_000));
      const mixed = [...range(40), 0.5, -0, 'x', { a: 1 }, null, 2 ** 40];
      const back = await pool.map(identity, mixed, { chunksize: 7 });
      expect(back).toEqual(mixed);
      expect(Object.is(back[41], -0)).toBe(true);
      // biome-ignore lint/suspicious/noSparseArray: a hole reads as undefined, as by iteration
      expect(await pool.map(identity, [1, , 3], { chunksize: 1 })).toEqual([1, undefined, 3]);
    });
    it('map accepts any iterable and async iterables', async () => {
      const pool = makePool(2, method);
      function* gen() {
        for (let i = 0; i < 20; i++) yield i;
      }
      async function* agen() {
        for (let i = 0; i < 20; i++) yield i;
      }
      const want = range(20).map((x) => x * x);
      expect(await pool.map(square, gen())).toEqual(want);
      expect(await pool.map(square, new Set(range(20)))).toEqual(want);
      expect(await pool.map(square, agen())).toEqual(want);
      expect(await pool.map(square, agen(), { chunksize: 3 })).toEqual(want);
    });
    it('mapAsync calls callback with the list', async () => {
      const pool = makePool(2, method);
      let got: number[] | undefined;
      const r = pool.mapAsync(square, [1, 2, 3], { callback: (v) => (got = v) });
      expect(await r.get()).toEqual([1, 4, 9]);
      expect(got).toEqual([1, 4, 9]);
    });
    it('starmap spreads argument arrays', async () => {
      const pool = makePool(2, method);
      expect(
        await pool.starmap(add, [
          [1, 2],
          [3, 4],
          [5, 6],
        ]),
      ).toEqual([3, 7, 11]);
      expect(await pool.starmapAsync(add, [[10, 1]]).get()).toEqual([11]);
    });
    it('reports progress per completed chunk', async () => {
      const pool = makePool(2, method);
      const seen: Array<{ completed: number; total: number | undefined }> = [];
      await pool.map(square, range(10), { chunksize: 3, onProgress: (p) => seen.push({ ...p }) });
      expect(seen).toHaveLength(4);
      expect(seen.at(-1)).toEqual({ completed: 10, total: 10 });
    });
  });

  describe('imap / imapUnordered', () => {
    it('imap yields in input order', async () => {
      const pool = makePool(2, method);
      expect(await drain(pool.imap(square, range(50)))).toEqual(range(50).map((x) => x * x));
      expect(await drain(pool.imap(square, range(50), { chunksize: 7 }))).toEqual(
        range(50).map((x) => x * x),
      );
    });
    it('imapUnordered yields every result', async () => {
      const pool = makePool(2, method);
      const got = await drain(pool.imapUnordered(square, range(50), { chunksize: 4 }));
      expect(got.sort((a, b) => a - b)).toEqual(range(50).map((x) => x * x));
    });
    it('imapUnordered yields in completion order', async () => {
      const pool = makePool(2, method);
      // Item 0 finishes only once this loop got item 1 (a shared word, not a race between
      // timers: spawn workers may start far apart). Under spawn the block is OS shared memory.
      const block = allocateBlock(8);
      const tasks = [
        { block, wait: true, id: 0 },
        { block, wait: false, id: 1 },
      ];
      const got: number[] = [];
      for await (const id of pool.imapUnordered(handshake, tasks)) {
        got.push(id);
        Atomics.store(block.i32, 0, 1);
      }
      expect(got).toEqual([1, 0]);
    });
    it('imap over an empty input and an async generator', async () => {
      const pool = makePool(2, method);
      expect(await drain(pool.imap(square, []))).toEqual([]);
      async function* agen() {
        for (let i = 0; i < 10; i++) yield i;
      }
      expect(await drain(pool.imap(square, agen(), { chunksize: 3 }))).toEqual(range(10).map((x) => x * x));
    });
    it('imap is lazy and bounded', async () => {
      const pool = makePool(2, method);
      let pulled = 0;
      function* counting() {
        for (let i = 0; i < 1000; i++) {
          pulled++;
          yield i;
        }
      }
      const it = pool.imap(square, counting(), { chunksize: 2, buffersize: 3 });
      expect((await it.next()).value).toBe(0);
      await new Promise((r) => setTimeout(r, 50));
      // at most buffersize chunks ahead of the consumer (plus the one being read)
      expect(pulled).toBeLessThanOrEqual(2 * 4);
      expect(pulled).toBeGreaterThan(0);
      await it.return?.();
      const before = pulled;
      await new Promise((r) => setTimeout(r, 20));
      expect(pulled).toBe(before);
    });
    it('break in for-await stops reading input', async () => {
      const pool = makePool(2, method);
      let pulled = 0;
      function* counting() {
        for (let i = 0; ; i++) {
          pulled++;
          yield i;
        }
      }
      for await (const x of pool.imap(square, counting())) if (x >= 25) break;
      expect(pulled).toBeLessThan(30);
      expect(await pool.apply(square, [3])).toBe(9); // the pool still serves
    });
    it('an error thrown by the input iterable takes the next item', async () => {
      const pool = makePool(2, method);
      function* broken() {
        yield 1;
        yield 2;
        throw new Error('input broke');
      }
      const it = pool.imap(square, broken());
      expect((await it.next()).value).toBe(1);
      expect((await it.next()).value).toBe(4);
      await expect(it.next()).rejects.toThrow('input broke');
      expect((await it.next()).done).toBe(true);
      await expect(pool.map(square, broken())).rejects.toThrow('input broke');
    });
  });

  describe('close / join / terminate / dispose', () => {
    it('close lets submitted work finish, then join resolves', async () => {
      const pool = makePool(2, method);
      const r = pool.mapAsync(slowSquare, range(6));
      pool.close();
      await pool.join();
      expect(await r.get()).toEqual(range(6).map((x) => x * x));
    });
    it('a closed or terminated pool throws', async () => {
      const pool = makePool(1, method);
      pool.close();
      expect(() => pool.applyAsync(square, [1])).toThrow(/closed/);
      await expect(pool.map(square, [1])).rejects.toThrow(/closed/);
      expect(() => pool.imap(square, [1])).toThrow(/closed/);
      await pool.join();
      const p2 = makePool(1, method);
      p2.terminate();
      expect(() => p2.applyAsync(square, [1])).toThrow(/terminated/);
    });
    it('join on a running pool throws', async () => {
      const pool = makePool(1, method);
      await expect(pool.join()).rejects.toThrow(/still running/);
    });
    it('join works after terminate', async () => {
      const pool = makePool(2, method);
      pool.terminate();
      await pool.join();
    });
    it('await using terminates the pool', async () => {
      let inner: Pool;
      {
        await using pool = new Pool({ processes: 1, context: method });
        inner = pool;
        expect(await pool.apply(square, [2])).toBe(4);
      }
      expect(() => inner.applyAsync(square, [1])).toThrow(/terminated/);
    });
  });
});
