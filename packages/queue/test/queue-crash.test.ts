// A producer killed (terminated / SIGKILLed) in the middle of a put, holding the ring's
// writers' lock: the other producers and the consumer carry on, and nothing torn arrives
// (the ring's robust lock and repair: @multiproc/pipe's ring-robust.ts, ring-repair.ts).
// A JoinableQueue producer killed so: its item is counted as unfinished only if it was
// published, so join() still ends once every item got is done.
import { describeEachMethod, startChild, stopChildren } from '@multiproc/test-utils';
import { afterEach, expect, it } from 'vitest';
import { JoinableQueue, Queue } from '../src/index.js';

const fixture = new URL('./fixtures/crash-producer.mjs', import.meta.url);
afterEach(stopChildren);

/** The ring's busy word of its writers' lock (layout: @multiproc/pipe's ring-buffer.ts). */
const W_BUSY = 29;
const VICTIM = 1;
const MIB = 1 << 20;

interface Item {
  tag: number;
  seq: number;
  data: Uint8Array;
}

// Every 61st byte and the last one: cheap enough to keep up with the producer.
function intact({ tag, seq, data }: Item): boolean {
  const fill = (seq * 7 + tag) & 255;
  if (data.byteLength === 0 || data[data.byteLength - 1] !== fill) return false;
  for (let i = 0; i < data.byteLength; i += 61) if (data[i] !== fill) return false;
  return true;
}

const busy = (q: Queue<Item>) =>
  Atomics.load((q as unknown as { ring: { i32: Int32Array } }).ring.i32, W_BUSY);
const tick = () => new Promise((r) => setTimeout(r, 1));

describeEachMethod((method) => {
  it('a producer killed inside put: the others and the consumer go on, nothing torn', async () => {
    let q: Queue<Item> | undefined;
    const got: Item[] = [];
    // A 16 MiB ring holds 1 MiB items inline, copied holding the lock: a kill usually lands
    // inside. Try again until one did (the busy word shows it); maxsize bounds the memory.
    for (let attempt = 0; attempt < 20 && !q; attempt++) {
      const cand = new Queue<Item>(8, { bufferSize: 16 * MIB });
      const victim = await startChild(fixture, method);
      victim.call('putForever', cand, VICTIM, MIB).catch(() => {});
      got.length = 0;
      const deadline = Date.now() + 20_000;
      while (got.length < 3 || busy(cand) !== 1) {
        for (let k = 0; k < 4 && cand.qsize() > 0; k++) got.push(cand.getNowait());
        expect(Date.now()).toBeLessThan(deadline);
        await tick();
      }
      await victim.kill();
      if (busy(cand) === 1) q = cand;
      else cand.close();
    }
    expect(q, 'no kill landed inside a put in 20 attempts').toBeDefined();
    const queue = q!;

    const n = 200;
    const producers = [await startChild(fixture, method), await startChild(fixture, method)];
    const done = producers.map((p, i) => p.call('putN', queue, 10 + i, n, 100 + i * 50_000));
    let survivors = 0;
    while (survivors < 2 * n) {
      const item = await queue.get({ timeout: 30_000 });
      got.push(item);
      if (item.tag !== VICTIM) survivors++;
    }
    expect(await Promise.all(done)).toEqual([n, n]);
    while (queue.qsize() > 0) got.push(queue.getNowait());

    expect(got.every(intact)).toBe(true);
    for (const tag of [VICTIM, 10, 11]) {
      const seqs = got.filter((g) => g.tag === tag).map((g) => g.seq);
      expect(seqs).toEqual(seqs.map((_, i) => i)); // in order, no gap, no duplicate
    }
    expect(got.filter((g) => g.tag !== VICTIM)).toHaveLength(2 * n);
    expect(queue.empty()).toBe(true);
    queue.close();
  }, 120_000);

  it('a JoinableQueue producer killed inside put: join() still ends once every item got is done', async () => {
    let q: JoinableQueue<Item> | undefined;
    const got: Item[] = [];
    const take = (queue: JoinableQueue<Item>) => {
      got.push(queue.getNowait());
      queue.taskDone();
    };
    for (let attempt = 0; attempt < 20 && !q; attempt++) {
      const cand = new JoinableQueue<Item>(8, { bufferSize: 16 * MIB });
      const victim = await startChild(fixture, method);
      victim.call('putForever', cand, VICTIM, MIB).catch(() => {});
      got.length = 0;
      const deadline = Date.now() + 20_000;
      while (got.length < 3 || busy(cand) !== 1) {
        for (let k = 0; k < 4 && cand.qsize() > 0; k++) take(cand);
        expect(Date.now()).toBeLessThan(deadline);
        await tick();
      }
      await victim.kill();
      if (busy(cand) === 1) q = cand;
      else cand.close();
    }
    expect(q, 'no kill landed inside a put in 20 attempts').toBeDefined();
    const queue = q!;
    // No other producer comes first: join() itself must not wait for the dead one's item.
    while (queue.qsize() > 0) take(queue);
    expect(await queue.join({ timeout: 30_000 })).toBe(true);

    const n = 50;
    const producer = await startChild(fixture, method);
    const done = producer.call('putN', queue, 10, n, 1000);
    let survivors = 0;
    while (survivors < n) {
      const item = await queue.get({ timeout: 30_000 });
      queue.taskDone();
      got.push(item);
      if (item.tag !== VICTIM) survivors++;
    }
    expect(await done).toBe(n);
    while (queue.qsize() > 0) take(queue);
    expect(await queue.join({ timeout: 30_000 })).toBe(true);
    expect(queue.joinSync(0)).toBe(true);
    expect(got.every(intact)).toBe(true);
    for (const tag of [VICTIM, 10]) {
      const seqs = got.filter((g) => g.tag === tag).map((g) => g.seq);
      expect(seqs).toEqual(seqs.map((_, i) => i)); // in order, no gap, no duplicate
    }
    expect(() => queue.taskDone()).toThrow(RangeError);
    queue.close();
  }, 120_000);
});
