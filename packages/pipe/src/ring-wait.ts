/**
 * The blocking half of a ring handle: reads and writes that wait (adaptive spin, then sleep
 * on the ring's DATA / SPACE word), in a Sync form for workers and an async form that keeps
 * the event loop turning. Layout and wake-up protocol: ring-buffer.ts.
 */
import { availableParallelism } from 'node:os';
import { BUSY, remaining, waitAsync, waitSync } from '@multiproc/memory';
import { type Decoder, EMPTY, EOF, RingBuffer } from './ring-buffer.js';
import {
  COUNT_MASK,
  DATA,
  MAX_ITEMS,
  RWAIT,
  SPACE,
  WWAIT,
  type WaitOptions,
  type WriteOptions,
  countOf,
  deadlineOf,
} from './ring-layout.js';

export type { WaitOptions, WriteOptions } from './ring-layout.js';

/** Options of a blocking read. */
export interface ReadOptions extends WaitOptions {
  /** Return EOF instead of waiting once the ring is empty and has no writer holders. */
  eof?: boolean;
  /** Sees the message length first; throwing leaves the message in the ring. */
  accept?: (length: number) => void;
}

const MIN_SPIN = 32;
const MAX_SPIN = 1 << 15;
/** Once the spin has collapsed to MIN_SPIN, one wait in PROBE_EVERY spins MAX_SPIN again. */
const PROBE_EVERY = 32;
/** With one core the peer cannot run while we spin: never spin. */
const SPIN = availableParallelism() > 1;

/**
 * A handle on a message ring with blocking operations. Create with `MessageRing.create()`,
 * attach elsewhere with `MessageRing.attach(ring.block)` (the block travels as a handle).
 *
 * @example
 * const ring = MessageRing.create({ capacity: 64 * 1024 });
 * ring.write([new Uint8Array([1, 2, 3])]);
 * ring.read((bytes) => bytes.slice()); // Uint8Array [1, 2, 3]
 */
export class MessageRing extends RingBuffer {
  /**
   * Iterations of the next spin before sleeping (adaptive): doubles when the spin paid off,
   * halves when it did not. (Spinning longer after a short sleep was measured: 5-10x worse
   * round trips on a loaded 2-core machine, where a spinner keeps its peer off the CPU.)
   * Without the probe the spin collapses for good on a quiet VM: once both sides sleep, every
   * short spin is shorter than the other's kernel wake-up (~50 us there), so it never pays off
   * again and a round trip stays at ~55 us; probing brings it back to ~5 us.
   */
  private spin = 256;
  private skipped = 0;

  private spinUntil(ready: () => boolean): boolean {
    if (!SPIN) return false;
    let n = this.spin;
    if (n === MIN_SPIN && ++this.skipped >= PROBE_EVERY) {
      this.skipped = 0;
      n = MAX_SPIN;
    }
    for (let i = 0; i < n; i++) {
      if (ready()) {
        this.spin = Math.min(n * 2, MAX_SPIN);
        return true;
      }
    }
    this.spin = Math.max(n >> 1, MIN_SPIN);
    return false;
  }

  private readable(eof: boolean | undefined): () => boolean {
    const i32 = this.i32;
    return eof
      ? () => countOf(i32) > 0 || (Atomics.load(i32, DATA) & COUNT_MASK) === 0
      : () => countOf(i32) > 0;
  }

  private writable(): () => boolean {
    const i32 = this.i32;
    return () => countOf(i32) < i32[MAX_ITEMS];
  }

  private sleepSync(waiters: number, word: number, ready: () => boolean, left: number): void {
    Atomics.add(this.i32, waiters, 1);
    try {
      const v = Atomics.load(this.i32, word);
      if (!ready()) waitSync(this.i32, word, v, left);
    } finally {
      Atomics.sub(this.i32, waiters, 1);
    }
  }

  private async sleep(
    waiters: number,
    word: number,
    ready: () => boolean,
    left: number,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    Atomics.add(this.i32, waiters, 1);
    try {
      const v = Atomics.load(this.i32, word);
      if (!ready()) await waitAsync(this.i32, word, v, left, signal);
    } finally {
      Atomics.sub(this.i32, waiters, 1);
    }
  }

  /**
   * Reads one message, blocking the thread: `decode(bytes)`, or EMPTY (timeout / block:false),
   * or EOF (with `eof: true`, once empty and writer-less). A signal is checked between waits only.
   */
  read<T>(decode: Decoder<T>, opts: ReadOptions = {}): T | typeof EMPTY | typeof EOF {
    const { signal, eof, accept } = opts;
    if (signal?.aborted) throw signal.reason;
    const deadline = deadlineOf(opts);
    const ready = this.readable(eof);
    const i32 = this.i32;
    for (;;) {
      if (countOf(i32) > 0) {
        const r = this.tryRead(decode, accept);
        if (r !== EMPTY) return r;
      }
      if (eof && this.writers() === 0) {
        const last = this.tryRead(decode, accept);
        return last === EMPTY ? EOF : last;
      }
      const left = remaining(deadline);
      if (left <= 0) return EMPTY;
      if (this.spinUntil(ready)) continue;
      this.sleepSync(RWAIT, DATA, ready, left);
      if (signal?.aborted) throw signal.reason;
    }
  }

  /** {@link read} without blocking the event loop; an aborted signal rejects with its reason. */
  async readAsync<T>(decode: Decoder<T>, opts: ReadOptions = {}): Promise<T | typeof EMPTY | typeof EOF> {
    const { signal, eof, accept } = opts;
    if (signal?.aborted) throw signal.reason;
    const deadline = deadlineOf(opts);
    const ready = this.readable(eof);
    const i32 = this.i32;
    for (;;) {
      if (countOf(i32) > 0) {
        let r = this.tryReadIfFree(decode, accept);
        if (r === BUSY) r = await this.tryReadAsync(decode, accept);
        if (r !== EMPTY) return r;
      }
      if (eof && this.writers() === 0) {
        const last = await this.tryReadAsync(decode, accept);
        return last === EMPTY ? EOF : last;
      }
      const left = remaining(deadline);
      if (left <= 0) return EMPTY;
      if (this.spinUntil(ready)) continue;
      await this.sleep(RWAIT, DATA, ready, left, signal);
    }
  }

  /** Whether a read would not wait (a message is there, or EOF), waiting up to the timeout. */
  pollSync(opts: WaitOptions = {}): boolean {
    const ready = this.readable(true);
    const deadline = deadlineOf(opts);
    for (;;) {
      if (ready()) return true;
      const left = remaining(deadline);
      if (left <= 0) return false;
      if (this.spinUntil(ready)) return true;
      this.sleepSync(RWAIT, DATA, ready, left);
    }
  }

  /** {@link pollSync} without blocking the event loop. */
  async poll(opts: WaitOptions = {}): Promise<boolean> {
    if (opts.signal?.aborted) throw opts.signal.reason;
    const ready = this.readable(true);
    const deadline = deadlineOf(opts);
    for (;;) {
      if (ready()) return true;
      const left = remaining(deadline);
      if (left <= 0) return false;
      if (this.spinUntil(ready)) return true;
      await this.sleep(RWAIT, DATA, ready, left, opts.signal);
    }
  }

  /** Writes one message, blocking while a bounded ring is full; false on timeout / block:false. */
  write(chunks: readonly Uint8Array[], opts: WriteOptions = {}): boolean {
    if (opts.signal?.aborted) throw opts.signal.reason;
    if (opts.block === false && this.full()) return false;
    const st = this.stage(chunks, opts.tally);
    let ok = false;
    try {
      ok = this.commit(st);
      if (ok) return true;
      const deadline = deadlineOf(opts);
      const ready = this.writable();
      for (;;) {
        const left = remaining(deadline);
        if (left <= 0) return false;
        if (!this.spinUntil(ready)) this.sleepSync(WWAIT, SPACE, ready, left);
        if (opts.signal?.aborted) throw opts.signal.reason;
        ok = this.commit(st);
        if (ok) return true;
      }
    } finally {
      if (!ok) this.unstage(st);
    }
  }

  /** {@link write} without blocking the event loop. */
  async writeAsync(chunks: readonly Uint8Array[], opts: WriteOptions = {}): Promise<boolean> {
    if (opts.signal?.aborted) throw opts.signal.reason;
    if (opts.block === false && this.full()) return false;
    const st = this.stage(chunks, opts.tally);
    let ok = false;
    try {
      const first = this.commitIfFree(st); // no promise when the lock is free
      ok = first === BUSY ? await this.commitAsync(st) : first;
      if (ok) return true;
      const deadline = deadlineOf(opts);
      const ready = this.writable();
      for (;;) {
        const left = remaining(deadline);
        if (left <= 0) return false;
        if (!this.spinUntil(ready)) await this.sleep(WWAIT, SPACE, ready, left, opts.signal);
        ok = await this.commitAsync(st);
        if (ok) return true;
      }
    } finally {
      if (!ok) this.unstage(st);
    }
  }
}
