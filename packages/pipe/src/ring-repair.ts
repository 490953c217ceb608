/**
 * Repairs a ring after a writer died holding the writers' lock (ring-robust.ts detects it).
 * Layout: ring-buffer.ts.
 *
 * What a dead writer may have left half-done, and why none of it reaches a reader:
 * - a record written but not published (S_TAIL not stored): readers never look past S_TAIL,
 *   and the next writer writes over it. A spill block filled outside the lock is only lost.
 * - a segment grown but not made current (S_NEXT / S_SEALED stored, WSEG_* not, or WSEG_ID
 *   half-written): the write segment is found again by walking the chain from the read
 *   segment (readers follow S_NEXT only once S_SEALED is set, which is stored after it).
 * - a record published (S_TAIL) but COUNT not yet raised: COUNT is recounted from the records
 *   themselves, holding the readers' lock too (order: writers' lock, then readers' lock;
 *   readers never take the writers' lock, so this cannot deadlock).
 */
import { type SharedBlock, lookupBlock, wake, withLock } from '@multiproc/memory';
import * as L from './ring-layout.js';

/** Holding the writers' lock: fixes the write segment and COUNT; returns the write segment. */
export function repairRing(block: SharedBlock): L.Segment {
  const ring = block.i32;
  return withLock(ring, L.RLOCK, () => {
    let gen = ring[L.RSEG_GEN];
    let seg = L.segmentOf(gen === 0 ? block : lookupBlock(L.readId(ring, L.RSEG_ID)), gen);
    let count = 0;
    for (;;) {
      count += recordsIn(seg);
      if (Atomics.load(seg.i32, L.S_SEALED) === 0) break;
      gen++;
      seg = L.segmentOf(lookupBlock(L.readId(seg.i32, L.S_NEXT)), gen);
    }
    if (gen !== ring[L.WSEG_GEN] || (gen > 0 && L.readId(ring, L.WSEG_ID) !== seg.block.id)) {
      if (gen > 0) L.writeId(ring, L.WSEG_ID, seg.block.id);
      Atomics.store(ring, L.WSEG_GEN, gen);
    }
    Atomics.store(ring, L.COUNT, count);
    // A message may have been published without its wake-up: wake whoever sleeps.
    Atomics.add(ring, L.DATA, L.SEQ_STEP);
    wake(ring, L.DATA);
    return seg;
  });
}

/** Messages between S_HEAD and S_TAIL of one segment. */
function recordsIn(seg: L.Segment): number {
  const tail = Atomics.load(seg.i32, L.S_TAIL);
  let pos = Atomics.load(seg.i32, L.S_HEAD);
  let n = 0;
  while (pos !== tail) {
    const off = pos & (seg.cap - 1);
    const hdr = seg.i32[(L.HEADER_BYTES + off) >> 2];
    const kind = hdr >>> 30;
    if (kind === L.KIND_PAD) {
      pos = (pos + seg.cap - off) | 0;
      continue;
    }
    n++;
    const len = hdr & L.LEN_MASK;
    const bytes =
      kind === L.KIND_SPILL
        ? L.SPILL_RECORD
        : L.recordBytes(len, kind === L.KIND_ALIGNED, seg.i32[((L.HEADER_BYTES + off) >> 2) + 1]);
    pos = (pos + bytes) | 0;
  }
  return n;
}
