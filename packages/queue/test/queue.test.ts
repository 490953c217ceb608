import { allocateBlock } from '@multiproc/memory';
import { type Child, describeEachMethod, startChild, stopChildren } from '@multiproc/test-utils';
import { endless, type FloodItem, floodIndex, parkFlood } from '@multiproc/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { ClosedError, Empty, Full, JoinableQueue, Queue, SimpleQueue } from '../src/index.js';

const fixture = new URL('./fixtures/worker.mjs', import.meta.url);
afterEach(stopChildren);

const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);

describe('Queue in one thread', () => {
  it('put/get, putSync/getSync, putNowait/getNowait keep FIFO order', async () => {
    const q = new Queue<unknown>();
    await q.put(1);
    q.putSync({ two: 2 });
    q.putNowait('three');
    expect(q.qsize()).toBe(3);
    expect(await q.get()).toBe(1);
    expect(q.getSync()).toEqual({ two: 2 });
    expect(q.getNowait()).toBe('three');
    expect(q.empty()).toBe(true);
  });

  it('Empty when nothing comes: getNowait, block: false, timeout (sync and async)', async () => {
    const q = new Queue<number>();
    expect(() => q.getNowait()).toThrow(Empty);
    expect(() => q.getSync({ block: false })).toThrow(Empty);
    expect(() => q.getSync({ timeout: 10 })).toThrow(Empty);
    await expect(q.get({ timeout: 10 })).rejects.toBeInstanceOf(Empty);
    await expect(q.get({ block: false })).rejects.toBeInstanceOf(Empty);
  });

  it('a bounded queue: full(), Full on putNowait / timeout, a get makes room for a waiting put', async () => {
    const q = new Queue<number>(2);
    expect(q.maxsize).toBe(2);
    q.putNowait(1);
    await q.put(2);
    expect(q.full()).toBe(true);
    expect(() => q.putNowait(3)).toThrow(Full);
    expect(() => q.putSync(3, { timeout: 10 })).toThrow(Full);
    await expect(q.put(3, { timeout: 10 })).rejects.toBeInstanceOf(Full);
    await expect(q.put(3, { block: false })).rejects.toBeInstanceOf(Full);
    const waiting = q.put(3);
    setTimeout(() => q.getNowait(), 20);
    await waiting;
    expect([q.getSync(), q.getSync()]).toEqual([2, 3]);
    expect(q.full()).toBe(false);
  });

  it('an aborted get / put rejects with the signal reason', async () => {
    const q = new Queue<number>(1);
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error('give up')), 20);
    await expect(q.get({ signal: ac.signal })).rejects.toThrow('give up');
    q.putNowait(1);
    await expect(q.put(2, { signal: AbortSignal.abort() })).rejects.toThrow();
    expect(q.qsize()).toBe(1);
  });

  it('an unbounded put never blocks: 100,000 items with nobody reading', () => {
    const q = new Queue<number>();
    for (let i = 0; i < 100_000; i++) q.putSync(i);
    expect(q.qsize()).toBe(100_000);
    for (let i = 0; i < 100_000; i++) expect(q.getSync()).toBe(i);
  });

  it('bad input and closed queues give clear errors', async () => {
    const q = new Queue<unknown>();
    expect(() => q.putSync(() => 1)).toThrow(TypeError);
    await expect(q.put({ f() {} })).rejects.toThrow(/function/);
    expect(() => new Queue(-1)).toThrow(RangeError);
    expect(() => new Queue(1.5)).toThrow(RangeError);
    expect(() => q.getSync({ timeout: -1 })).toThrow(RangeError);
    await expect(q.joinThread()).rejects.toThrow(/close\(\)/);
    q.close();
    q.close();
    expect(q.closed).toBe(true);
    expect(() => q.putSync(1)).toThrow(ClosedError);
    await expect(q.put(1)).rejects.toThrow(/closed/);
    expect(() => q.getSync()).toThrow(ClosedError);
    await q.joinThread();
    q.cancelJoinThread();
  });

  it('Symbol.dispose closes it', () => {
    const q = new Queue<number>();
    {
      using h = q;
      h.putSync(1);
    }
    expect(q.closed).toBe(true);
  });

  it('JoinableQueue: taskDone, join, joinSync, RangeError when called too often', async () => {
    const q = new JoinableQueue<number>();
    expect(() => q.taskDone()).toThrow(RangeError);
    expect(await q.join()).toBe(true);
    q.putSync(1);
    await q.put(2);
    expect(await q.join(10)).toBe(false);
    expect(q.joinSync(5)).toBe(false);
    q.getSync();
    q.taskDone();
    const joined = q.join();
    await q.get();
    setTimeout(() => q.taskDone(), 10);
    expect(await joined).toBe(true);
    expect(q.joinSync()).toBe(true);
    expect(() => q.taskDone()).toThrow(/more times/);
    const full = new JoinableQueue<number>(1);
    full.putNowait(1);
    expect(() => full.putNowait(2)).toThrow(Full);
    full.getSync();
    full.taskDone();
    expect(await full.join({ timeout: 100 })).toBe(true); // the failed put left no unfinished task
  });

  it('SimpleQueue: put, get, getSync, empty, close', async () => {
    const q = new SimpleQueue<string>();
    expect(q.empty()).toBe(true);
    q.put('a');
    q.put('b');
    expect(q.empty()).toBe(false);
    expect(await q.get()).toBe('a');
    expect(q.getSync()).toBe('b');
    q.close();
    expect(() => q.put('c')).toThrow(ClosedError);
  });

  it('a queue travels through a queue and stays the same shared queue', () => {
    const outer = new Queue<Queue<number>>();
    const inner = new JoinableQueue<number>();
    outer.putSync(inner);
    const again = outer.getSync() as JoinableQueue<number>;
    expect(again).toBeInstanceOf(JoinableQueue);
    again.putSync(5);
    expect(inner.getSync()).toBe(5);
    inner.taskDone();
    expect(again.joinSync(0)).toBe(true);
  });

  it('for await ends at once when the only producer handle closes', async () => {
    const q = new Queue<number>();
    const producer = new Queue<number>(); // a second handle on its own queue, unused
    producer.close();
    q.putSync(1);
    q.putSync(2);
    const got: number[] = [];
    for await (const x of q) got.push(x); // this handle resigns as a producer: nobody else holds q
    expect(got).toEqual([1, 2]);
  });
});

describeEachMethod((method) => {
  const start = (n: number): Promise<Child[]> =>
    Promise.all(Array.from({ length: n }, () => startChild(fixture, method)));

  it('many producers, many consumers: every item exactly once, FIFO per producer', async () => {
    const q = new Queue<number | null>(100);
    const children = await start(5);
    const producers = children
      .slice(0, 3)
      .map((c, k) => c.call('produce', q, k * 100_000, 5000, k === 0 ? 'close' : 'keep', k !== 1));
    const consumers = children.slice(3).map((c, k) => c.call<number[]>('consume', q, k === 1));
    expect(await Promise.all(producers)).toEqual([5000, 5000, 5000]);
    q.putSync(null);
    await q.put(null);
    const parts = await Promise.all(consumers);
    const all = parts.flat();
    expect(all.length).toBe(15_000);
    expect(new Set(all).size).toBe(15_000);
    for (const part of parts) {
      for (let k = 0; k < 3; k++) {
        const mine = part.filter((x) => Math.floor(x / 100_000) === k);
        expect(mine).toEqual([...mine].sort((a, b) => a - b));
      }
    }
  });

  it('for await in main ends once every producer closed, exited or was killed, and q is drained', async () => {
    const q = new Queue<number>();
    const [closer, exiter, killed] = await start(3);
    const closes = closer.call('produce', q, 0, 1000, 'close');
    endless(exiter.call('produce', q, 1000, 1000, 'exit'));
    const kills = killed.call('produce', q, 2000, 1000, 'keep').then(() => killed.kill());
    let n = 0;
    let sum = 0;
    for await (const x of q) {
      n++;
      sum += x;
    }
    expect(n).toBe(3000);
    expect(sum).toBe((2999 * 3000) / 2);
    expect(await closes).toBe(1000);
    expect(await exiter.exited).toBe(0);
    expect(await kills).toBe(-9);
  });

  it('for await in a child ends when the producers are done (main closes its handle)', async () => {
    const q = new Queue<number>();
    const [consumer, producer] = await start(2);
    const iterated = consumer.call('iterate', q);
    const produced = producer.call('produce', q, 1, 100, 'close');
    for (let i = 0; i < 10; i++) await q.put(1000);
    q.close();
    expect(await iterated).toEqual([110, 5050 + 10_000]);
    expect(await produced).toBe(100);
  });

  it('items put just before the producer exits are not lost; waiting for it never deadlocks', async () => {
    const q = new Queue<number>();
    const [p] = await start(1);
    endless(p.call('produce', q, 0, 50_000, 'exit')); // far more than the ring's first 64 KiB
    expect(await p.exited).toBe(0);
    expect(q.qsize()).toBe(50_000);
    for (let i = 0; i < 50_000; i++) if (q.getSync() !== i) expect(i).toBe(-1);
  });

  it('a producer killed mid-stream: every item it put arrives, in order, and for await ends', async () => {
    const q = new Queue<FloodItem>();
    const ctl = allocateBlock(64);
    const [flooder] = await start(1);
    endless(flooder.call('flood', q, ctl));
    expect(await flooder.nextEvent()).toBe('flooding');
    for (let i = 0; i < 1000; i++) expect(floodIndex(await q.get())).toBe(i); // in full swing
    expect(await flooder.kill()).toBe(-9); // anywhere: between two puts or inside one
    const sent = Atomics.load(ctl.i32, 0);
    let next = 1000;
    for await (const x of q) if (floodIndex(x) !== next++) expect(floodIndex(x)).toBe(next - 1);
    expect([sent, sent + 1]).toContain(next); // + the put it was killed in, if committed
  });

  it('a producer killed between two puts: the other producers keep working, for await ends', async () => {
    const q = new Queue<FloodItem>();
    const ctl = allocateBlock(64);
    const [flooder, other] = await start(2);
    endless(flooder.call('flood', q, ctl));
    expect(await flooder.nextEvent()).toBe('flooding');
    const during = other.call('produce', q, 1_000_000, 10_000, 'close');
    const first = floodIndex(await q.get());
    const sent = await parkFlood(ctl);
    expect(await flooder.kill()).toBe(-9);
    expect(await during).toBe(10_000);
    endless(other.call('produce', q, 2_000_000, 1000, 'exit')); // and exits without closing
    expect(await other.exited).toBe(0);
    q.putSync(3_000_000);
    const got = [first];
    for await (const x of q) got.push(floodIndex(x));
    expect(got.filter((x) => x < 1_000_000)).toEqual(range(0, sent));
    expect(got.filter((x) => x >= 1_000_000 && x < 2_000_000)).toEqual(range(1_000_000, 10_000));
    expect(got.slice(-1001)).toEqual([...range(2_000_000, 1000), 3_000_000]);
  });

  it('a 64 MiB message passes through a Queue', async () => {
    const n = 64 * 1024 * 1024;
    const q = new Queue<Uint8Array>();
    const [p] = await start(1);
    const put = p.call('putBig', q, n);
    const got = await q.get();
    expect(got.length).toBe(n);
    expect(got[4099 * 5]).toBe((4099 * 5) & 255);
    expect(await put).toBe(n);
  });

  it("JoinableQueue: the seed's producer/consumer, join() waits for every taskDone", async () => {
    const q = new JoinableQueue<number>();
    const results = new Queue<number>();
    for (const w of await start(2)) endless(w.call('work', q, results)); // until stopChildren
    for (let i = 0; i < 500; i++) await q.put(i);
    expect(await q.join({ timeout: 30_000 })).toBe(true);
    expect(results.qsize()).toBe(500);
    let sum = 0;
    for (let i = 0; i < 500; i++) sum += results.getSync();
    expect(sum).toBe(499 * 500);
  });

  it('SimpleQueue across children', async () => {
    const q = new SimpleQueue<number | null>();
    const [c] = await start(1);
    const consumed = c.call('consume', q, true);
    for (let i = 0; i < 100; i++) q.put(i);
    q.put(null);
    expect(await consumed).toEqual(range(0, 100));
  });
});
