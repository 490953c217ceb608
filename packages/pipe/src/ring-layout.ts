/**
 * Word offsets and small helpers of the message ring; the layout itself is documented once,
 * at the top of ring-buffer.ts.
 */
import {
  type SharedBlock,
  allocateBlock,
  deadlineOf as deadlineIn,
  lookupBlock,
  parseTimeout,
  releaseBlock,
} from '@multiproc/memory';
import { dumps } from '@multiproc/serialization';
import { RobustLock, type Section } from './ring-robust.js';

// Ring-wide words (meaningful in the first block only).
export const WLOCK = 0;
export const RLOCK = 1;
export const DATA = 2;
export const SPACE = 3;
export const RWAIT = 4;
export const WWAIT = 5;
export const COUNT = 6;
export const MAX_ITEMS = 7;
export const WSEG_GEN = 9;
export const WSEG_ID = 10;
export const RSEG_GEN = 15;
export const RSEG_ID = 16;
export const FREE_LOCK = 22;
export const FREE_TOP = 23;
export const FREE_COUNT = 28;
export const W_BUSY = 29;
export const F_BUSY = 30;
export const R_BUSY = 31;
export const R_HEAD = 32;
export const R_HGEN = 33;
export const W_TALLY = 34;
export const W_TAIL = 35;
export const W_TGEN = 36;
export const RELEASED = 37;
/** Words free for the layer above (JoinableQueue's unfinished count, the pool's task channel). */
export const USER_WORDS = [8, 21, 61, 62, 63] as const;

// Per-segment words (in every block, the first one included).
export const S_HEAD = 52;
export const S_TAIL = 53;
export const S_SEALED = 54;
export const S_CAP = 55;
export const S_NEXT = 56;

export const HEADER_BYTES = 256;
export const KIND_MSG = 0;
export const KIND_PAD = 1;
export const KIND_SPILL = 2;
export const KIND_ALIGNED = 3;
/** Messages from this size on are written as KIND_ALIGNED records (see skewOf). */
export const ALIGN_MIN = 512;
export const LEN_MASK = 0x3fffffff;
export const SPILL_RECORD = 36;
/** Low 16 bits of DATA / SPACE: writer / reader holder counts; high 16 bits: a change counter. */
export const COUNT_MASK = 0xffff;
export const SEQ_STEP = 0x10000;
/** COUNT's mark while a reader takes a message out (ring-reader.ts); the count is below it. */
export const TAKING = 0x40000000;
/** A tally word's mark while a writer publishes the message it counts (ring-writer.ts). */
export const TALLYING = TAKING;
export const COUNT_BITS = TAKING - 1;

/** Messages committed and not yet taken (COUNT without its TAKING mark). */
export function countOf(ring: Int32Array): number {
  return Atomics.load(ring, COUNT) & COUNT_BITS;
}
export const SPILL_ROUND = 64 * 1024;

const exported = new WeakSet<SharedBlock>();

/** Makes a block findable by id from any worker (serializing it exports it to the directory). */
export function exportOnce(block: SharedBlock): SharedBlock {
  if (!exported.has(block)) {
    dumps(block);
    exported.add(block);
  }
  return block;
}

/** Writes a block id (ASCII, at most 16 bytes) as a length word + 4 words at `word`. */
export function writeId(i32: Int32Array, word: number, id: string): void {
  if (id.length > 16) throw new RangeError(`shared block id ${id} is longer than 16 characters`);
  const bytes = new Uint8Array(i32.buffer, (word + 1) * 4, 16);
  for (let i = 0; i < id.length; i++) bytes[i] = id.charCodeAt(i);
  i32[word] = id.length;
}

export function readId(i32: Int32Array, word: number): string {
  const bytes = new Uint8Array(i32.buffer, (word + 1) * 4, i32[word]);
  return String.fromCharCode(...bytes);
}

/** A fresh segment block of `cap` data bytes, exported so that readers can find it. */
export function newSegment(cap: number): SharedBlock {
  const block = allocateBlock(HEADER_BYTES + cap);
  block.i32[S_CAP] = cap;
  return exportOnce(block);
}

/**
 * A block for one message too big for the ring: the top of the ring's stack of spill blocks
 * that readers gave back, if it is big enough, else a fresh one. The stack is intrusive (a free
 * block's first 20 bytes hold the id of the next one), so every spill block ever made is
 * reused and the memory stays at the high-water mark. Its lock is only ever tried, never
 * waited on: a busy stack means "allocate" (take) or "drop" (give back), never a hang. A
 * worker that died holding it leaves the stack maybe torn: the next holder empties it (the
 * blocks on it are lost, nothing else).
 */
export function takeSpill(ring: SharedBlock, bytes: number): SharedBlock {
  if (Atomics.load(ring.i32, FREE_COUNT) > 0) {
    const take: SpillOp = { ring, block: undefined, bytes };
    freeLockOf(ring).tryRun(popSpill, take);
    if (take.block) return take.block;
  }
  return exportOnce(allocateBlock(Math.ceil(bytes / SPILL_ROUND) * SPILL_ROUND));
}

/**
 * Gives a spill block back for reuse. If the stack is busy right now, the block is released
 * instead: no record names it any more and the stack never will, so no handle can reach it.
 */
export function returnSpill(ring: SharedBlock, block: SharedBlock): void {
  if (!freeLockOf(ring).tryRun(pushSpill, { ring, block, bytes: 0 })) releaseBlock(block);
}

interface SpillOp {
  ring: SharedBlock;
  /** The block to push; the block popped. */
  block: SharedBlock | undefined;
  /** Least size of the block to pop. */
  bytes: number;
}

const freeLocks = new WeakMap<SharedBlock, RobustLock>();

function freeLockOf(ring: SharedBlock): RobustLock {
  let lock = freeLocks.get(ring);
  if (!lock) {
    lock = new RobustLock(ring, FREE_LOCK, F_BUSY);
    freeLocks.set(ring, lock);
  }
  return lock;
}

/** A torn stack (its last holder died inside) is emptied: the blocks on it are lost. */
function emptyStack(op: SpillOp): void {
  op.ring.i32[FREE_COUNT] = 0;
}

const popSpill: Section<SpillOp, void> = {
  repair: emptyStack,
  run(op) {
    const i32 = op.ring.i32;
    if (i32[FREE_COUNT] === 0) return;
    try {
      const top = lookupBlock(readId(i32, FREE_TOP));
      if (top.byteLength < op.bytes) return;
      const next = new Int32Array(top.buffer, 0, 5);
      for (let w = 0; w < 5; w++) i32[FREE_TOP + w] = next[w];
      i32[FREE_COUNT]--;
      op.block = top;
    } catch {
      // the ring was released (RingBuffer.release) under a handle still writing: allocate instead
    }
  },
};

const pushSpill: Section<SpillOp, void> = {
  repair: emptyStack,
  run(op) {
    const i32 = op.ring.i32;
    const link = new Int32Array(op.block!.buffer, 0, 5);
    for (let w = 0; w < 5; w++) link[w] = i32[FREE_TOP + w];
    writeId(i32, FREE_TOP, op.block!.id);
    i32[FREE_COUNT]++;
  },
};

/** Options of every blocking ring operation. */
export interface WaitOptions {
  /** false: do not wait at all. Default true. */
  block?: boolean;
  /** Milliseconds; undefined waits forever. */
  timeout?: number;
  signal?: AbortSignal;
}

/** Options of a blocking write. */
export interface WriteOptions extends WaitOptions {
  /**
   * A word of the ring's first block (one of USER_WORDS) that gains 1 when the message is
   * published, in the same critical section: a writer killed before publishing never counts
   * its message, one killed after always does (JoinableQueue's unfinished count). Read the
   * word masked with {@link COUNT_BITS}; a waiter on it is woken when the repair of a dead
   * writer takes a count back.
   */
  tally?: number;
}

/** The deadline of a blocking ring operation: 0 (poll once) with `block: false`. */
export function deadlineOf(opts: WaitOptions | undefined): number {
  if (opts?.block === false) return 0;
  return deadlineIn(parseTimeout(opts?.timeout));
}

/** A handle's view of one segment block. */
export interface Segment {
  gen: number;
  block: SharedBlock;
  i32: Int32Array;
  u8: Uint8Array;
  cap: number;
}

export function segmentOf(block: SharedBlock, gen: number): Segment {
  const cap = block.i32[S_CAP];
  return { gen, block, i32: block.i32, u8: new Uint8Array(block.buffer, HEADER_BYTES, cap), cap };
}

export function totalLength(chunks: readonly Uint8Array[]): number {
  let n = 0;
  for (const c of chunks) n += c.byteLength;
  return n;
}

export function copyChunks(dst: Uint8Array, at: number, chunks: readonly Uint8Array[]): void {
  for (const c of chunks) {
    dst.set(c, at);
    at += c.byteLength;
  }
}

/**
 * How many bytes (0..7) to skip before a message that would start at byte `base` (mod 8) of a
 * buffer: V8 copies into a SharedArrayBuffer 8 bytes at a time only when source and target sit
 * at the same address modulo 8, byte by byte otherwise (~6x slower). So the biggest chunk (the
 * payload; the others are small headers) is placed at its source's alignment; the reader's
 * copy out then starts 8-aligned too when the payload did (a fresh buffer always does).
 */
export function skewOf(chunks: readonly Uint8Array[], base: number): number {
  let big = 0;
  for (let i = 1; i < chunks.length; i++) if (chunks[i].byteLength > chunks[big].byteLength) big = i;
  let before = 0;
  for (let i = 0; i < big; i++) before += chunks[i].byteLength;
  return (chunks[big].byteOffset - before - base) & 7;
}

/** Bytes of a record of a message of `n` bytes (KIND_ALIGNED with `skew`, else KIND_MSG). */
export function recordBytes(n: number, aligned: boolean, skew: number): number {
  return aligned ? (n + skew + 11) & ~3 : (n + 7) & ~3;
}

/**
 * Calls `visit(kind, at)` for each record of `seg` between S_HEAD and S_TAIL (not the padding),
 * `at` being the Int32 index of its header word.
 */
export function forEachRecord(seg: Segment, visit: (kind: number, at: number) => void): void {
  const tail = Atomics.load(seg.i32, S_TAIL);
  let pos = Atomics.load(seg.i32, S_HEAD);
  while (pos !== tail) {
    const off = pos & (seg.cap - 1);
    const at = (HEADER_BYTES + off) >> 2;
    const hdr = seg.i32[at];
    const kind = hdr >>> 30;
    if (kind === KIND_PAD) {
      pos = (pos + seg.cap - off) | 0;
      continue;
    }
    visit(kind, at);
    const bytes =
      kind === KIND_SPILL
        ? SPILL_RECORD
        : recordBytes(hdr & LEN_MASK, kind === KIND_ALIGNED, seg.i32[at + 1]);
    pos = (pos + bytes) | 0;
  }
}
