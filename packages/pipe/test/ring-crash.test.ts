// A writer killed (terminated / SIGKILLed) inside the ring's writers' lock: the next writer
// takes the lock over and repairs the ring, the other writers and the reader carry on, and no
// reader ever sees a torn message (see ring-robust.ts, ring-repair.ts).
import { describeEachMethod, startChild, stopChildren } from '@multiproc/test-utils';
import { afterEach, expect, it } from 'vitest';
import { EMPTY, MessageRing } from '../src/index.js';

const fixture = new URL('./fixtures/crash-writer.mjs', import.meta.url);
afterEach(stopChildren);

/** Words of the ring layout (ring-buffer.ts): the writers' lock and its busy flag. */
const WLOCK = 0;
const W_BUSY = 29;
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
});
