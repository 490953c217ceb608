/**
 * Repairs a ring after a worker died holding one of its locks (ring-robust.ts detects it).
 * Layout: ring-buffer.ts.
 *
 * A writer that died holding the writers' lock (repairRing) may have left, and none of it
 * reaches a reader:
 * - a record written but not published (S_TAIL not stored): readers never look past S_TAIL,
 *   and the next writer writes over it. A spill block filled outside the lock is only lost.
 * - a segment grown but not made current (S_NEXT / S_SEALED stored, WSEG_* not, or WSEG_ID
 *   half-written): the write segment is found again by walking the chain from the read
 *   segment (readers follow S_NEXT only once S_SEALED is set, which is stored after it).
 * - a record published (S_TAIL) but COUNT not yet raised: COUNT is recounted from the records
 *   themselves, holding the readers' lock too (order: writers' lock, then readers' lock;
 *   readers never take the writers' lock, so this cannot deadlock).
 * - a tally word (WriteOptions.tally) raised with its TALLYING mark: if S_TAIL of segment
 *   W_TGEN is still W_TAIL, the message was not published and the count is taken back (its
 *   waiters woken if it drops to 0), else only the mark is dropped.
 *
 * A reader that died holding the readers' lock (repairReaders) may have left:
 * - a message decoded (or half-decoded) but not taken out (S_HEAD not moved): it is still the
 *   next message, and the next reader gets it. What the dead reader made of it died with it.
 * - a message taken out (S_HEAD moved) but COUNT not yet lowered: COUNT then still has the
 *   TAKING mark, and S_HEAD of segment R_HGEN differs from R_HEAD: the count is lowered now.
 *   With the mark and S_HEAD not moved, the mark is only dropped. (Without the mark COUNT is
 *   right: the reader died before taking anything, or after it was all done.)
 * - RSEG_ID half-written on its way to the next segment: the read segment is found again by
 *   walking the chain from the ring's first block to the first segment that is not both
 *   sealed and drained (readers move on only from such a segment; the directory keeps every
 *   segment until the whole ring is released, ring-release.ts).
 * The spill block of a message taken out but not yet given back is only lost.
 */
import { type SharedBlock, lookupBlock, wake } from '@multiproc/memory';
import * as L from './ring-layout.js';
import { RobustLock } from './ring-robust.js';

/** Holding the writers' lock: fixes the write segment and COUNT; returns the write segment. */
export function repairRing(block: SharedBlock): L.Segment {
  const ring = block.i32;
  // The readers' lock, robust too: a reader that died inside is repaired first.
  return new RobustLock(block, L.RLOCK, L.R_BUSY).run(
    {
      repair: repairReaders,
      run: () => {
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
        const tally = ring[L.W_TALLY];
        if (tally !== 0 && (Atomics.load(ring, tally) & L.TALLYING) !== 0) {
          const published = seg.gen !== ring[L.W_TGEN] || Atomics.load(seg.i32, L.S_TAIL) !== ring[L.W_TAIL];
          const before = Atomics.sub(ring, tally, published ? L.TALLYING : L.TALLYING + 1) & L.COUNT_BITS;
          if (!published && before === 1) wake(ring, tally);
        }
        ring[L.W_TALLY] = 0;
        // A message may have been published without its wake-up: wake whoever sleeps.
        Atomics.add(ring, L.DATA, L.SEQ_STEP);
        wake(ring, L.DATA);
        return seg;
      },
    },
    block,
  );
}

/** Holding the readers' lock after a reader died inside: fixes the read segment and COUNT. */
export function repairReaders(block: SharedBlock): void {
  const ring = block.i32;
  const markGen = ring[L.R_HGEN];
  let seg = L.segmentOf(block, 0);
  let marked = seg;
  while (Atomics.load(seg.i32, L.S_SEALED) !== 0 && seg.i32[L.S_HEAD] === Atomics.load(seg.i32, L.S_TAIL)) {
    seg = L.segmentOf(lookupBlock(L.readId(seg.i32, L.S_NEXT)), seg.gen + 1);
    if (seg.gen === markGen) marked = seg;
  }
  if (seg.gen !== ring[L.RSEG_GEN] || (seg.gen > 0 && L.readId(ring, L.RSEG_ID) !== seg.block.id)) {
    if (seg.gen > 0) L.writeId(ring, L.RSEG_ID, seg.block.id);
    Atomics.store(ring, L.RSEG_GEN, seg.gen);
  }
  if ((Atomics.load(ring, L.COUNT) & L.TAKING) !== 0) {
    const moved = marked.gen === markGen && marked.i32[L.S_HEAD] !== ring[L.R_HEAD];
    Atomics.sub(ring, L.COUNT, moved ? L.TAKING + 1 : L.TAKING);
  }
  // A message may have been taken out without its wake-up: wake the writers that sleep.
  Atomics.add(ring, L.SPACE, L.SEQ_STEP);
  wake(ring, L.SPACE);
}

/** Messages between S_HEAD and S_TAIL of one segment. */
function recordsIn(seg: L.Segment): number {
  let n = 0;
  L.forEachRecord(seg, () => {
    n++;
  });
  return n;
}
