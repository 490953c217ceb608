/**
 * The reading half of a ring handle: take the next message holding the readers' lock (robust:
 * ring-robust.ts; a reader that died inside is repaired by ring-repair.ts). The layout and the
 * protocol are documented once, in ring-buffer.ts.
 */
import { type BUSY, type SharedBlock, lookupBlock, wake } from '@multiproc/memory';
import * as L from './ring-layout.js';
import { repairReaders } from './ring-repair.js';
import { RobustLock, type Section } from './ring-robust.js';

/** What {@link RingReader.read} returns when there is nothing to read. */
export const EMPTY: unique symbol = Symbol('EMPTY');

/** Turns the bytes of one message into a value. The view is only valid during the call. */
export type Decoder<T> = (bytes: Uint8Array) => T;

/** One read: what to do with the message. */
interface ReadOp {
  decode: Decoder<unknown> | undefined;
  accept: ((length: number) => void) | undefined;
}

/** @internal One handle's reader: caches the current read segment. */
export class RingReader {
  private rseg: L.Segment;
  private readonly i32: Int32Array;
  private readonly lock: RobustLock;
  /** The op of the synchronous reads (reused: nothing allocated per message). */
  private readonly op: ReadOp = { decode: undefined, accept: undefined };
  private readonly sec: Section<ReadOp, unknown> = {
    run: (op) => this.readLocked(op),
    repair: () => {
      repairReaders(this.ring);
    },
  };

  constructor(private readonly ring: SharedBlock) {
    this.i32 = ring.i32;
    this.rseg = L.segmentOf(ring, 0);
    this.lock = new RobustLock(ring, L.RLOCK, L.R_BUSY);
  }

  /** Takes the next message: `decode(bytes)`, or EMPTY. */
  read<T>(decode: Decoder<T>, accept?: (length: number) => void): T | typeof EMPTY {
    const op = this.op;
    op.decode = decode;
    op.accept = accept;
    try {
      return this.lock.run(this.sec, op) as T | typeof EMPTY;
    } finally {
      op.decode = op.accept = undefined;
    }
  }

  /** {@link read} if the readers' lock is free now or within a short spin, else BUSY. */
  readIfFree<T>(decode: Decoder<T>, accept?: (length: number) => void): T | typeof EMPTY | typeof BUSY {
    const op = this.op;
    op.decode = decode;
    op.accept = accept;
    try {
      return this.lock.runIfFree(this.sec, op) as T | typeof EMPTY | typeof BUSY;
    } finally {
      op.decode = op.accept = undefined;
    }
  }

  /** {@link read} taking the readers' lock without blocking the event loop. */
  readAsync<T>(decode: Decoder<T>, accept?: (length: number) => void): Promise<T | typeof EMPTY> {
    return this.lock.runAsync(this.sec, { decode, accept }) as Promise<T | typeof EMPTY>;
  }

  private readLocked(op: ReadOp): unknown {
    const decode = op.decode!;
    const accept = op.accept;
    for (;;) {
      const seg = this.readSegment();
      const head = seg.i32[L.S_HEAD];
      if (Atomics.load(seg.i32, L.S_TAIL) === head) {
        if (Atomics.load(seg.i32, L.S_SEALED) === 0 || Atomics.load(seg.i32, L.S_TAIL) !== head) return EMPTY;
        this.nextReadSegment(seg);
        continue;
      }
      const off = head & (seg.cap - 1);
      const at = (L.HEADER_BYTES + off) >> 2;
      const hdr = seg.i32[at];
      const kind = hdr >>> 30;
      if (kind === L.KIND_PAD) {
        Atomics.store(seg.i32, L.S_HEAD, (head + seg.cap - off) | 0);
        continue;
      }
      if (kind === L.KIND_MSG) {
        const n = hdr & L.LEN_MASK;
        accept?.(n);
        try {
          return decode(seg.u8.subarray(off + 4, off + 4 + n));
        } finally {
          this.consumed(seg, head, (head + ((n + 7) & ~3)) | 0);
        }
      }
      if (kind === L.KIND_ALIGNED) {
        const n = hdr & L.LEN_MASK;
        const skew = seg.i32[at + 1];
        accept?.(n);
        try {
          return decode(seg.u8.subarray(off + 8 + skew, off + 8 + skew + n));
        } finally {
          this.consumed(seg, head, (head + L.recordBytes(n, true, skew)) | 0);
        }
      }
      const n = (seg.i32[at + 1] >>> 0) + seg.i32[at + 2] * 2 ** 32;
      accept?.(n);
      let spill: SharedBlock | undefined;
      try {
        spill = lookupBlock(L.readId(seg.i32, at + 3));
        return decode(new Uint8Array(spill.buffer, seg.i32[at + 8], n));
      } finally {
        this.consumed(seg, head, (head + L.SPILL_RECORD) | 0);
        if (spill) L.returnSpill(this.ring, spill);
      }
    }
  }

  /**
   * Takes the message at `head` out: S_HEAD moves to `next` and COUNT drops by one. A reader
   * can die between the two stores, so COUNT carries the TAKING mark across them (one atomic
   * operation sets it, one drops the count and clears it), with R_HEAD / R_HGEN saying where
   * the message was: repairReaders then knows exactly how far the dead reader got.
   */
  private consumed(seg: L.Segment, head: number, next: number): void {
    const i32 = this.i32;
    i32[L.R_HEAD] = head;
    i32[L.R_HGEN] = seg.gen;
    Atomics.add(i32, L.COUNT, L.TAKING);
    Atomics.store(seg.i32, L.S_HEAD, next);
    Atomics.sub(i32, L.COUNT, L.TAKING + 1);
    if (Atomics.load(i32, L.WWAIT) > 0) {
      Atomics.add(i32, L.SPACE, L.SEQ_STEP);
      wake(i32, L.SPACE, 1);
    }
  }

  private readSegment(): L.Segment {
    const gen = this.i32[L.RSEG_GEN];
    if (this.rseg.gen !== gen) {
      this.rseg =
        gen === 0 ? L.segmentOf(this.ring, 0) : L.segmentOf(lookupBlock(L.readId(this.i32, L.RSEG_ID)), gen);
    }
    return this.rseg;
  }

  private nextReadSegment(seg: L.Segment): void {
    const next = lookupBlock(L.readId(seg.i32, L.S_NEXT));
    const gen = seg.gen + 1;
    L.writeId(this.i32, L.RSEG_ID, next.id);
    Atomics.store(this.i32, L.RSEG_GEN, gen);
    this.rseg = L.segmentOf(next, gen);
  }
}
