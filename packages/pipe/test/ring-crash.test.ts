// A writer killed (terminated / SIGKILLed) inside the ring's writers' lock: the next writer
// takes the lock over and repairs the ring, the other writers and the reader carry on, and no
// reader ever sees a torn message. The same for a reader killed inside the readers' lock: the
// other readers carry on and get every message once, except the one the dead reader was
// taking if it got as far as taking it out (see ring-robust.ts, ring-repair.ts).
import { allocateBlock } from '@multiproc/memory';
import { describeEachMethod, startChild, stopChildren } from '@multiproc/test-utils';
import { afterEach, expect, it } from 'vitest';
import { EMPTY, MessageRing } from '../src/index.js';

const fixture = new URL('./fixtures/crash-writer.mjs', import.meta.url);
const readerFixture = new URL('./fixtures/crash-reader.mjs', import.meta.url);
afterEach(stopChildren);

/** Words of the ring layout (ring-buffer.ts): the locks and their busy flags. */
const WLOCK = 0;
const RLOCK = 1;
const W_BUSY = 29;
const R_BUSY = 31;
const VICTIM = 1;
const MIB = 1 << 20;

interface Got {
  tag: number;
  seq: number;
  intact: boolean;
}

function check(b: Uint8Array): Got {
  const tag = b[0];
  const seq = new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(1, true);
  const fill = (seq * 7 + tag) & 255;
  // Every 61st byte and the last one: cheap enough to keep up with the writer.
  let intact = b.byteLength > 5 && b[b.byteLength - 1] === fill;
  for (let i = 5; i < b.byteLength && intact; i += 61) intact = b[i] === fill;
  return { tag, seq, intact };
}

const tick = () => new Promise((r) => setTimeout(r, 1));

/** A message as crash-writer.mjs writes it. */
function message(tag: number, seq: number, size: number): Uint8Array[] {
  const head = new Uint8Array(5);
  head[0] = tag;
  new DataView(head.buffer).setUint32(1, seq, true);
  return [head, new Uint8Array(size).fill((seq * 7 + tag) & 255)];
}

const range = (from: number, to: number) =>
  Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);

describeEachMethod((method) => {
  it('a writer killed inside the writers lock: the others and the reader go on, nothing torn', async () => {
    let ring: MessageRing | undefined;
    const got: Got[] = [];
    // Inline records of 1 MiB are copied holding the lock: a kill usually lands inside. Try
    // again (fresh ring, fresh victim) until one did, as the busy word then shows. maxItems
    // keeps the memory bounded however slow this reader is.
    for (let attempt = 0; attempt < 20; attempt++) {
      const r = MessageRing.create({ capacity: 16 * MIB, maxItems: 8 });
      const victim = await startChild(fixture, method);
      victim.call('writeForever', r.block, VICTIM, MIB).catch(() => {});
      got.length = 0;
      const deadline = Date.now() + 20_000;
      for (;;) {
        let m: Got | typeof EMPTY;
        for (let k = 0; k < 4 && (m = r.tryRead(check)) !== EMPTY; k++) got.push(m);
        if (got.length >= 3 && Atomics.load(r.i32, W_BUSY) === 1) break;
        expect(Date.now()).toBeLessThan(deadline);
        await tick();
      }
      await victim.kill();
      if (Atomics.load(r.i32, W_BUSY) === 1) {
        ring = r;
        break;
      }
    }
    expect(ring, 'no kill landed inside the lock in 20 attempts').toBeDefined();
    const r = ring!;
    // Still held by the dead writer (1 / 2) or freed by its exit hook (+ ABANDONED_DELTA).
    expect(Atomics.load(r.i32, WLOCK)).not.toBe(0);

    const n = 300;
    const writers = [await startChild(fixture, method), await startChild(fixture, method)];
    const done = writers.map((w, i) => w.call('writeN', r.block, 10 + i, n, 1000 + i * 70_000));
    const bySurvivor = [0, 0];
    while (bySurvivor[0] + bySurvivor[1] < 2 * n) {
      const m = await r.readAsync(check, { timeout: 30_000 });
      expect(m, 'the reader starved').not.toBe(EMPTY);
      got.push(m as Got);
      const g = m as Got;
      if (g.tag !== VICTIM) bySurvivor[g.tag - 10]++;
    }
    expect(await Promise.all(done)).toEqual([n, n]);
    let m: Got | typeof EMPTY;
    while ((m = r.tryRead(check)) !== EMPTY) got.push(m);

    expect(got.every((g) => g.intact)).toBe(true);
    for (const tag of [VICTIM, 10, 11]) {
      const seqs = got.filter((g) => g.tag === tag).map((g) => g.seq);
      expect(seqs).toEqual(seqs.map((_, i) => i)); // in order, no gap, no duplicate
    }
    expect(got.filter((g) => g.tag === 10)).toHaveLength(n);
    expect(got.filter((g) => g.tag === 11)).toHaveLength(n);
    expect(r.size()).toBe(0);
    expect(Atomics.load(r.i32, W_BUSY)).toBe(0);
  }, 120_000);

  it('a reader killed inside the readers lock: the others read on, each message once', async () => {
    let ring: MessageRing | undefined;
    let taken = allocateBlock(4);
    let seq = 0;
    // The victim checks every byte of 1 MiB messages holding the readers' lock: a kill usually
    // lands inside. Try again (fresh ring, fresh victim) until one did, as the busy word shows.
    for (let attempt = 0; attempt < 20 && !ring; attempt++) {
      const r = MessageRing.create({ capacity: 16 * MIB, maxItems: 8 });
      r.addWriters(1); // this thread: the readers see EOF once it is done
      taken = allocateBlock(4 * 4096);
      seq = 0;
      const victim = await startChild(readerFixture, method);
      victim.call('readForever', r.block, taken).catch(() => {});
      const deadline = Date.now() + 20_000;
      while (Atomics.load(taken.i32, 0) < 3 || Atomics.load(r.i32, R_BUSY) !== 1) {
        while (seq < 4000 && r.tryWrite(message(VICTIM, seq, MIB))) seq++;
        expect(Date.now()).toBeLessThan(deadline);
        await tick();
      }
      await victim.kill();
      if (Atomics.load(r.i32, R_BUSY) === 1) ring = r;
    }
    expect(ring, 'no kill landed inside a read in 20 attempts').toBeDefined();
    const r = ring!;
    // Still held by the dead reader (1 / 2) or freed by its exit hook (+ ABANDONED_DELTA).
    expect(Atomics.load(r.i32, RLOCK)).not.toBe(0);
    // The victim was the only reader: it got 0 .. k-1 in order, and died taking k.
    const k = Atomics.load(taken.i32, 0);
    expect(range(0, seq).filter((s) => Atomics.load(taken.i32, 1 + s) !== 0)).toEqual(range(0, k));
    expect(range(0, k).every((s) => Atomics.load(taken.i32, 1 + s) === 1)).toBe(true); // intact

    const readers = [await startChild(readerFixture, method), await startChild(readerFixture, method)];
    const done = readers.map((c) => c.call('readAll', r.block) as Promise<number[]>);
    const total = seq + 300;
    for (; seq < total; seq++) {
      expect(await r.writeAsync(message(VICTIM, seq, 1000 + (seq % 97)), { timeout: 30_000 })).toBe(true);
    }
    r.addWriters(-1);
    const [a, b] = await Promise.all(done);
    for (const got of [a, b]) {
      expect(got.every((s) => s >= 0)).toBe(true); // nothing torn, no read gave up
      expect(got).toEqual([...got].sort((x, y) => x - y)); // each reader in ring order
    }
    // Every message after k exactly once; k itself once or (taken out by the dead reader) never.
    const survivors = [...a, ...b].sort((x, y) => x - y);
    expect(survivors.filter((s) => s > k)).toEqual(range(k + 1, total));
    expect(survivors.filter((s) => s <= k)).toHaveLength(survivors[0] === k ? 1 : 0);
    expect(survivors.every((s) => s >= k)).toBe(true);
    expect(r.size()).toBe(0);
    expect(Atomics.load(r.i32, R_BUSY)).toBe(0);
  }, 120_000);
});
