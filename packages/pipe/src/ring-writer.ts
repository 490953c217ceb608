/**
 * The writing half of a ring handle: stage a message (a big one is copied into a spill block
 * outside the lock), then commit it holding the writers' lock (robust: ring-robust.ts). The
 * layout and the protocol are documented once, in ring-buffer.ts.
 */
import { type BUSY, type SharedBlock, lookupBlock, wake } from '@multiproc/memory';
import * as L from './ring-layout.js';
import { repairRing } from './ring-repair.js';
import { RobustLock, type Section } from './ring-robust.js';

/** A message ready to commit: its chunks and, if too big for the ring, its filled spill block. */
export interface Staged {
  chunks: readonly Uint8Array[];
  n: number;
  spill: SharedBlock | undefined;
  skew: number;
  /** The tally word (WriteOptions.tally), or 0. */
  tally: number;
}

/** @internal One handle's writer: caches the current write segment. */
export class RingWriter {
  private wseg: L.Segment;
  private readonly lock: RobustLock;
  /** The critical section of every commit (one object: nothing allocated per message). */
  private readonly sec: Section<Staged, boolean> = {
    run: (st) => this.writeLocked(st),
    repair: () => {
      this.wseg = repairRing(this.ring);
    },
  };

  /** A commit of nothing: only the repair, if the last holder died inside. */
  private readonly settleSec: Section<undefined, void> = {
    run: () => {},
    repair: () => {
      this.wseg = repairRing(this.ring);
    },
  };

  constructor(private readonly ring: SharedBlock) {
    this.wseg = L.segmentOf(ring, 0);
    this.lock = new RobustLock(ring, L.WLOCK, L.W_BUSY);
  }

  /**
   * @internal Prepares a message: a big one is copied into a spill block now, outside the
   * writers' lock. Then {@link commit} it (as often as needed), and {@link unstage} it if it
   * is given up.
   */
  stage(chunks: readonly Uint8Array[], tally = 0): Staged {
    if (tally !== 0 && !(L.USER_WORDS as readonly number[]).includes(tally)) {
      throw new RangeError(`a tally must be one of the ring's USER_WORDS, got ${tally}`);
    }
    const n = L.totalLength(chunks);
    // Segments only grow, so a (maybe stale) cap that fits the record inline is safe.
    if (n + 20 <= this.wseg.cap >>> 2) return { chunks, n, spill: undefined, skew: 0, tally };
    const skew = L.skewOf(chunks, 0);
    const spill = L.takeSpill(this.ring, n + skew);
    L.copyChunks(new Uint8Array(spill.buffer), skew, chunks);
    return { chunks, n, spill, skew, tally };
  }

  /** @internal Gives a staged message up (its spill block goes back). */
  unstage(st: Staged): void {
    if (st.spill) L.returnSpill(this.ring, st.spill);
    st.spill = undefined;
  }

  /** @internal Appends a staged message; false only when maxItems is reached. */
  commit(st: Staged): boolean {
    return this.lock.run(this.sec, st);
  }

  /** @internal {@link commit} taking the writers' lock without blocking the event loop. */
  commitAsync(st: Staged): Promise<boolean> {
    return this.lock.runAsync(this.sec, st);
  }

  private writeLocked(st: Staged): boolean {
    const i32 = this.ring.i32;
    const max = i32[L.MAX_ITEMS];
    if (max > 0 && L.countOf(i32) >= max) return false;
    const { n, spill } = st;
    let seg = this.writeSegment();
    const aligned = !spill && n >= L.ALIGN_MIN;
    // Room for the largest skew; the record takes what its skew needs (known once placed).
    let rec = spill ? L.SPILL_RECORD : L.recordBytes(n, aligned, 7);
    let tail: number;
    let off: number;
    for (;;) {
      tail = seg.i32[L.S_TAIL];
      const head = Atomics.load(seg.i32, L.S_HEAD);
      off = tail & (seg.cap - 1);
      const toEnd = seg.cap - off;
      const need = rec <= toEnd ? rec : toEnd + rec;
      if (seg.cap - ((tail - head) >>> 0) >= need) {
        if (rec > toEnd) {
          seg.i32[(L.HEADER_BYTES + off) >> 2] = L.KIND_PAD << 30;
          tail = (tail + toEnd) | 0;
          off = 0;
        }
        break;
      }
      seg = this.grow(seg);
    }
    const at = (L.HEADER_BYTES + off) >> 2;
    if (spill) {
      seg.i32[at] = (L.KIND_SPILL << 30) | (L.SPILL_RECORD - 4);
      seg.i32[at + 1] = n >>> 0;
      seg.i32[at + 2] = Math.floor(n / 2 ** 32);
      L.writeId(seg.i32, at + 3, spill.id);
      seg.i32[at + 8] = st.skew;
      st.spill = undefined; // the ring's now
    } else if (aligned) {
      const skew = L.skewOf(st.chunks, off + 8);
      rec = L.recordBytes(n, true, skew);
      seg.i32[at] = (L.KIND_ALIGNED << 30) | n;
      seg.i32[at + 1] = skew;
      L.copyChunks(seg.u8, off + 8 + skew, st.chunks);
    } else {
      seg.i32[at] = n;
      L.copyChunks(seg.u8, off + 4, st.chunks);
    }
    if (st.tally !== 0) this.publishTallied(seg, st.tally, (tail + rec) | 0);
    else Atomics.store(seg.i32, L.S_TAIL, (tail + rec) | 0);
    Atomics.add(i32, L.COUNT, 1);
    if (Atomics.load(i32, L.RWAIT) > 0) {
      Atomics.add(i32, L.DATA, L.SEQ_STEP);
      wake(i32, L.DATA, 1);
    }
    return true;
  }

  /**
   * Publishes (S_TAIL = `tail`) and counts the message in word `tally`, so that a writer killed
   * in between leaves what repairRing needs to tell whether it published: the mark TALLYING,
   * set with the count in one atomic operation, and where S_TAIL was (W_TAIL / W_TGEN).
   */
  private publishTallied(seg: L.Segment, tally: number, tail: number): void {
    const i32 = this.ring.i32;
    i32[L.W_TALLY] = tally;
    i32[L.W_TAIL] = seg.i32[L.S_TAIL];
    i32[L.W_TGEN] = seg.gen;
    Atomics.add(i32, tally, 1 + L.TALLYING);
    Atomics.store(seg.i32, L.S_TAIL, tail);
    Atomics.sub(i32, tally, L.TALLYING);
    i32[L.W_TALLY] = 0;
  }

  private writeSegment(): L.Segment {
    const gen = this.ring.i32[L.WSEG_GEN];
    if (this.wseg.gen !== gen) {
      this.wseg =
        gen === 0
          ? L.segmentOf(this.ring, 0)
          : L.segmentOf(lookupBlock(L.readId(this.ring.i32, L.WSEG_ID)), gen);
    }
    return this.wseg;
  }

  /** Links a segment twice as big after `seg`, seals `seg`, and makes the new one current. */
  private grow(seg: L.Segment): L.Segment {
    const next = L.newSegment(Math.min(seg.cap * 2, 2 ** 30));
    L.writeId(seg.i32, L.S_NEXT, next.id);
    Atomics.store(seg.i32, L.S_SEALED, 1);
    const gen = seg.gen + 1;
    L.writeId(this.ring.i32, L.WSEG_ID, next.id);
    Atomics.store(this.ring.i32, L.WSEG_GEN, gen);
    this.wseg = L.segmentOf(next, gen);
    return this.wseg;
  }

  /**
   * @internal If a writer died holding the writers' lock, takes it over and repairs the ring
   * now rather than at the next write (never waits: a live holder repairs nothing).
   */
  settle(): void {
    this.lock.tryRun(this.settleSec, undefined);
  }

  /** {@link commit} if the writers' lock is free now or within a short spin, else BUSY. */
  commitIfFree(st: Staged): boolean | typeof BUSY {
    return this.lock.runIfFree(this.sec, st);
  }
}
