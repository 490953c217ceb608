/**
 * The message ring: variable-size messages in shared memory, many producers and many
 * consumers in any workers. Queues, pipes and the pool's task channel all stand on it.
 *
 * ## Layout (Int32 words; every block has a 256-byte header, then `cap` data bytes)
 *
 * Ring-wide words, used in the first block only:
 * ```
 *  0 WLOCK      writers' mutex (@multiproc/memory's mutex.ts: 0 free, 1 held, 2 held + sleepers)
 *  1 RLOCK      readers' mutex
 *  2 DATA       readers sleep here: low 16 bits = writer holders, high 16 = change counter
 *  3 SPACE      writers sleep here (maxItems): low 16 bits = reader holders, high 16 = counter
 *  4 RWAIT      readers asleep on DATA (a writer wakes only when > 0)
 *  5 WWAIT      writers asleep on SPACE
 *  6 COUNT      messages committed and not yet taken (< 2^30), + TAKING (2^30) while a
 *               reader takes one out (ring-reader.ts): read it with countOf()
 *  7 MAX_ITEMS  0 = unbounded
 *  9 WSEG_GEN   generation of the current write segment (0 = this block); 10..14 its id
 * 15 RSEG_GEN   generation of the current read segment;                   16..20 its id
 * 22 FREE_LOCK  lock of the spill-block stack (only ever tried, never waited on)
 * 23..27 FREE_TOP id of the top free spill block (each free block's words 0..4 link the next)
 * 28 FREE_COUNT  spill blocks on the stack
 * 29 W_BUSY     1 while a writer is inside WLOCK (set after taking it, cleared before release)
 * 30 F_BUSY     the same for FREE_LOCK
 * 31 R_BUSY     the same for RLOCK
 * 32 R_HEAD     S_HEAD of the message a reader is taking out (while COUNT has TAKING)
 * 33 R_HGEN     generation of its segment
 * 34 W_TALLY    the tally word (WriteOptions.tally) of the message a writer is publishing,
 *               marked with TALLYING (2^30) from before its S_TAIL store to after it
 * 35 W_TAIL     S_TAIL before that message;  36 W_TGEN  generation of its segment
 * 37 RELEASED   1 once the ring's blocks were released (ring-release.ts)
 * 8, 21, 61..63 free for the layer above (USER_WORDS); 38..51 reserved
 * ```
 * Per-segment words, in every block:
 * ```
 * 52 S_HEAD  read position (bytes, wrapping u32), written under RLOCK
 * 53 S_TAIL  write position, written under WLOCK after the record (publishes it)
 * 54 S_SEALED 1 once writers moved on to S_NEXT; the final S_TAIL is stored before it
 * 55 S_CAP   data bytes (a power of two)
 * 56..60 S_NEXT  id of the next segment
 * ```
 * A record is 4-aligned and never wraps: `[u32 kind << 30 | length][payload]`. KIND_MSG holds
 * the message; KIND_ALIGNED (messages from ALIGN_MIN bytes) holds `[u32 skew][skew bytes]`
 * before it, so that its payload sits at its source's alignment (skewOf in ring-layout.ts);
 * KIND_PAD skips to the end of the data area; KIND_SPILL holds
 * `[u32 lenLo][u32 lenHi][id (5 words)][u32 skew]` of a block that holds one message too big
 * for the segment (> cap/4) from byte `skew` (0..7, see skewOf in ring-layout.ts). A writer
 * fills its spill block before it takes WLOCK. Spill blocks go back to a stack once read, so a
 * stream of 1 MiB messages reuses the same blocks: one copy in, one copy out.
 *
 * Robustness: WLOCK, RLOCK and FREE_LOCK are robust (ring-robust.ts): a worker killed inside
 * leaves them to the next taker, which repairs the ring first (ring-repair.ts). No reader ever
 * sees a message that was not completely written; a reader killed inside RLOCK either took
 * its message out (S_HEAD moved: it is gone with the reader) or did not (it stays for the
 * next reader): never both, never a wrong COUNT.
 *
 * An unbounded ring never blocks a writer: when a record does not fit, the writer allocates a
 * segment twice as big, links it (S_NEXT), seals the old one and carries on there; readers
 * follow the link once they drained the old segment. Old segments are then garbage, but the
 * block directory keeps every exported block for the life of the tree, so a ring's memory is
 * its high-water mark until {@link RingBuffer.release} gives all of it back (ring-release.ts).
 *
 * Wake-ups: a writer commits (S_TAIL, COUNT) and bumps DATA + wakes one reader only if
 * RWAIT > 0; a reader registers in RWAIT, reads DATA, re-checks COUNT, then sleeps on DATA.
 * Sequentially consistent Atomics on both sides make the lost wake-up impossible. A holder
 * count reaching zero (by hand or by a dead worker's exit hook, which wakes every sleeper)
 * changes DATA or SPACE too, so sleepers see end-of-file / broken pipe.
 */
import { type BUSY, type SharedBlock, wake } from '@multiproc/memory';
import * as L from './ring-layout.js';
import { type Decoder, type EMPTY, RingReader } from './ring-reader.js';
import { releaseRing, ringBlocks } from './ring-release.js';
import { RingWriter, type Staged } from './ring-writer.js';

export type { Staged } from './ring-writer.js';
export { EMPTY, type Decoder } from './ring-reader.js';

/** What a read returns when the ring is empty and no writer holds it any more. */
export const EOF: unique symbol = Symbol('EOF');
export { BUSY } from '@multiproc/memory';

export interface RingOptions {
  /** Bytes of the first segment (rounded up to a power of two, at least 1 KiB). Default 64 KiB. */
  capacity?: number;
  /** Most messages held at once; 0 (default) = unbounded. */
  maxItems?: number;
}

/**
 * The non-blocking core of a ring handle: try-operations and holder counts. The blocking
 * operations (waits with spin, timeouts, signals) are in {@link MessageRing} (ring-wait.ts).
 */
export class RingBuffer {
  /** The ring's first block: send it to attach the same ring elsewhere. */
  readonly block: SharedBlock;
  /** Int32 view of the first block, for the ring-wide words (and USER_WORDS). */
  readonly i32: Int32Array;
  private readonly writer: RingWriter;
  private readonly reader: RingReader;

  /** A new ring. */
  static create<R extends RingBuffer>(this: new (block: SharedBlock) => R, opts: RingOptions = {}): R {
    const want = Math.max(1024, opts.capacity ?? 64 * 1024);
    if (!Number.isFinite(want)) throw new RangeError(`ring capacity must be a finite number, got ${want}`);
    const cap = 2 ** Math.ceil(Math.log2(want));
    const block = L.newSegment(cap);
    const max = opts.maxItems ?? 0;
    if (!Number.isInteger(max) || max < 0 || max > L.COUNT_BITS) {
      throw new RangeError(`maxItems must be an integer from 0 to ${L.COUNT_BITS}, got ${max}`);
    }
    block.i32[L.MAX_ITEMS] = max;
    return new this(block);
  }

  /** A handle on the ring whose first block this is. */
  static attach<R extends RingBuffer>(this: new (block: SharedBlock) => R, block: SharedBlock): R {
    return new this(block);
  }

  /** @internal use create() or attach(). */
  constructor(block: SharedBlock) {
    this.block = block;
    this.i32 = block.i32;
    this.writer = new RingWriter(block);
    this.reader = new RingReader(block);
  }

  /** Messages in the ring now. */
  size(): number {
    return L.countOf(this.i32);
  }

  get maxItems(): number {
    return this.i32[L.MAX_ITEMS];
  }

  /** Holders of the writing side (low half of the DATA word). */
  writers(): number {
    return Atomics.load(this.i32, L.DATA) & L.COUNT_MASK;
  }

  /** Holders of the reading side (low half of the SPACE word). */
  readers(): number {
    return Atomics.load(this.i32, L.SPACE) & L.COUNT_MASK;
  }

  /** Adds `delta` (+1 / -1) to the writer holders; sleeping readers wake when it drops. */
  addWriters(delta: number): void {
    this.addHolders(L.DATA, delta, 'writers');
  }

  /** Adds `delta` to the reader holders; sleeping writers wake when it drops. */
  addReaders(delta: number): void {
    this.addHolders(L.SPACE, delta, 'readers');
  }

  /** Word indices that an exit hook (`atExit(block, word, -1)`) decrements for a dead holder. */
  static readonly WRITERS_WORD = L.DATA;
  static readonly READERS_WORD = L.SPACE;
  static readonly USER_WORDS = L.USER_WORDS;
  /** Mask of a tally word's count (WriteOptions.tally): the bit above marks a publication. */
  static readonly TALLY_MASK = L.COUNT_BITS;

  /**
   * The blocks the ring is made of now: its first block, the segments it grew into and its
   * spill blocks (on the free stack, or holding a message not read yet). Exact while no handle
   * uses the ring.
   */
  blocks(): SharedBlock[] {
    return ringBlocks(this.block);
  }

  /**
   * Gives the ring's memory back to the tree: each of its {@link blocks} is dropped from the
   * block directory (`releaseBlock` of @multiproc/memory), which otherwise keeps them for the
   * life of the tree. Workers that mapped a block keep it, but nobody can find one by id any
   * more, so it must run only once no handle will use the ring again. Hence it does nothing
   * while a holder is counted ({@link writers} or {@link readers} above 0): each side calls it
   * after giving its holds back, and the last one releases. `force` releases all the same, for
   * a caller that knows the other holders are gone (a peer that died is counted until its exit
   * hook runs). Once per ring, from whichever handle: returns whether this call released.
   *
   * @example
   * hold.release(); // this side's +1
   * ring.release(); // a no-op until the peer has done the same
   */
  release(opts: { force?: boolean } = {}): boolean {
    if (!opts.force && (this.writers() > 0 || this.readers() > 0)) return false;
    return releaseRing(this.block);
  }

  /** Whether the ring's memory was given back ({@link release}), by any handle of any worker. */
  get released(): boolean {
    return Atomics.load(this.i32, L.RELEASED) !== 0;
  }

  private addHolders(word: number, delta: number, what: string): void {
    for (;;) {
      const v = Atomics.load(this.i32, word);
      const n = (v & L.COUNT_MASK) + delta;
      if (n < 0) return; // more releases than holds: ignore rather than corrupt the counter
      if (n > L.COUNT_MASK) throw new RangeError(`a ring can have at most ${L.COUNT_MASK} ${what}`);
      if (Atomics.compareExchange(this.i32, word, v, v + delta) === v) break;
    }
    if (delta < 0) wake(this.i32, word);
  }

  // ---------------------------------------------------------------- writing

  /** Appends one message (the concatenation of `chunks`); false only when maxItems is reached. */
  tryWrite(chunks: readonly Uint8Array[]): boolean {
    if (this.full()) return false;
    const st = this.stage(chunks);
    return this.settled(st, this.commit(st));
  }

  /** {@link tryWrite} if the writers' lock is free now (no promise), else BUSY. */
  tryWriteIfFree(chunks: readonly Uint8Array[]): boolean | typeof BUSY {
    if (this.full()) return false;
    const st = this.stage(chunks);
    const r = this.writer.commitIfFree(st);
    if (r === true) return true;
    this.unstage(st);
    return r;
  }

  /** {@link tryWrite} taking the writers' lock without blocking the event loop. */
  async tryWriteAsync(chunks: readonly Uint8Array[]): Promise<boolean> {
    if (this.full()) return false;
    const st = this.stage(chunks);
    return this.settled(st, await this.commitAsync(st));
  }

  /** Whether a bounded ring is at maxItems now. */
  protected full(): boolean {
    const max = this.i32[L.MAX_ITEMS];
    return max > 0 && L.countOf(this.i32) >= max;
  }

  /** @internal Prepares a message (a big one is copied out now, outside the lock). */
  stage(chunks: readonly Uint8Array[], tally?: number): Staged {
    return this.writer.stage(chunks, tally);
  }

  /** @internal Gives a staged message up. */
  unstage(st: Staged): void {
    this.writer.unstage(st);
  }

  /** @internal Appends a staged message; false only when maxItems is reached. */
  commit(st: Staged): boolean {
    return this.writer.commit(st);
  }

  /** @internal {@link commit} if the writers' lock is free now (no promise), else BUSY. */
  commitIfFree(st: Staged): boolean | typeof BUSY {
    return this.writer.commitIfFree(st);
  }

  /** @internal {@link commit} without blocking the event loop. */
  commitAsync(st: Staged): Promise<boolean> {
    return this.writer.commitAsync(st);
  }

  /**
   * @internal Repairs now what a writer killed inside the writers' lock left (the next write
   * would): e.g. before waiting on a tally word that a dead writer left marked.
   */
  repairWriters(): void {
    this.writer.settle();
  }

  private settled(st: Staged, ok: boolean): boolean {
    if (!ok) this.unstage(st);
    return ok;
  }

  // ---------------------------------------------------------------- reading

  /**
   * Takes the next message and returns `decode(bytes)`, or EMPTY. `accept(length)` runs first;
   * if it throws, the message stays in the ring (and the error propagates). If `decode`
   * throws, the message is consumed all the same.
   */
  tryRead<T>(decode: Decoder<T>, accept?: (length: number) => void): T | typeof EMPTY {
    return this.reader.read(decode, accept);
  }

  /** {@link tryRead} if the readers' lock is free now (no promise), else BUSY. */
  tryReadIfFree<T>(decode: Decoder<T>, accept?: (length: number) => void): T | typeof EMPTY | typeof BUSY {
    return this.reader.readIfFree(decode, accept);
  }

  /** {@link tryRead} taking the readers' lock without blocking the event loop. */
  tryReadAsync<T>(decode: Decoder<T>, accept?: (length: number) => void): Promise<T | typeof EMPTY> {
    return this.reader.readAsync(decode, accept);
  }
}
