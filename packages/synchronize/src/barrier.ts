/**
 * Barrier (Python's `threading.Barrier` / `multiprocessing.Barrier`) and BrokenBarrierError.
 *
 * Layout (Int32 words from the barrier's offset):
 *   +0  guard: a futex mutex (@multiproc/memory's mutex.ts) protecting the words below
 *   +1  seq: bumped on every change waiters care about (pass, break, reset); waiters sleep on it
 *   +2  generation: bumped when a generation ends (all parties arrived, or reset)
 *   +3  count: parties arrived in the current generation
 *   +4  broken: 1 after abort() or a timed-out / aborted wait, until reset()
 *   +5  how the last even generation ended: 0 all passed, 1 reset (its waiters throw)
 *   +6  how the last odd generation ended (same)
 *   +7  parties
 *
 * A waiter records its generation, and reads seq before checking generation and broken, then
 * sleeps while seq is unchanged: a change made after its check always wakes it. The outcome of a
 * generation is kept by parity, which is enough unless more workers than `parties` use the
 * barrier at once and one of them sleeps through two whole cycles.
 *
 * The default `timeout` travels with the barrier; the `action` does not (a function cannot be
 * sent): it runs in the last worker to arrive if that worker's Barrier object has one — the
 * worker that created it, or any worker that sets `barrier.action` on its copy.
 */
import { registerError } from '@multiproc/serialization';
import {
  type SharedBlock,
  allocateSlot,
  deadlineOf,
  lockAsync,
  lockSync,
  remaining,
  tryLock,
  unlock,
  waitAsync,
  waitSync,
  wake,
} from '@multiproc/memory';
import { type WaitOptions, parseWait } from './options.js';
import { type BaseState, checkOffset, travel } from './shared.js';

const GUARD = 0;
const SEQ = 1;
const GEN = 2;
const COUNT = 3;
const BROKEN = 4;
const OUTCOME = 5;
const PARTIES = 7;
const WORDS = 8;

/** Raised by Barrier.wait when the barrier is (or becomes) broken, or is reset while waiting. */
export class BrokenBarrierError extends Error {
  constructor(
    message = 'the barrier is broken (aborted, timed out, or reset); call reset() to use it again',
  ) {
    super(message);
    this.name = 'BrokenBarrierError';
  }
}
registerError(BrokenBarrierError);

/** Options of `new Barrier()`. */
export interface BarrierOptions {
  /** Called by one of the parties once all have arrived, before any is released (see class docs). */
  action?: (() => unknown) | null;
  /** Default timeout (ms) of every wait that gives none. */
  timeout?: number | null;
}

interface BarrierState extends BaseState {
  timeout: number | null;
}

type Arrival = { index: number; gen: number; last: boolean };

/**
 * A barrier for a fixed number of parties, shared by every worker it is sent to. Each `wait`
 * blocks until `parties` waits are pending, then all return, each with a distinct index
 * `0 .. parties - 1`, and the barrier cycles for the next round.
 *
 * @example
 * const barrier = new Barrier(3, { timeout: 5000 });
 * // in each of 3 workers:
 * const i = await barrier.wait();
 */
export class Barrier {
  /** @internal */ declare readonly _block: SharedBlock;
  /** @internal */ declare readonly _off: number;
  /** @internal */ declare readonly _i32: Int32Array;
  /** @internal */ declare readonly _timeout: number | null;
  /** The action run by the last party to arrive, in this worker only (functions do not travel). */
  action: (() => unknown) | null = null;

  constructor(parties: number, opts?: BarrierOptions) {
    if (typeof parties !== 'number' || !Number.isInteger(parties)) {
      throw new TypeError(`new Barrier(parties): parties must be an integer, got ${String(parties)}`);
    }
    if (parties < 1 || parties > 0x7fffffff) {
      throw new RangeError(`new Barrier(parties): parties must be at least 1, got ${parties}`);
    }
    if (opts !== undefined && opts !== null && typeof opts !== 'object') {
      throw new TypeError('new Barrier(parties, opts): opts must be an object { action?, timeout? }');
    }
    const action = opts?.action ?? null;
    if (action !== null && typeof action !== 'function') {
      throw new TypeError('new Barrier(parties, { action }): action must be a function');
    }
    const timeout = opts?.timeout ?? null;
    parseWait(timeout, 'new Barrier()'); // validates
    const { block, offset } = allocateSlot(this, WORDS * 4);
    block.i32[offset + PARTIES] = parties;
    this._init(block, offset, timeout);
    this.action = action;
  }

  /** @internal */
  _init(block: SharedBlock, offset: number, timeout: number | null): void {
    checkOffset(block, offset, WORDS, 'Barrier');
    Object.assign(this, { _block: block, _off: offset, _i32: block.i32, _timeout: timeout });
  }

  /** The number of parties needed to pass. */
  get parties(): number {
    return this._i32[this._off + PARTIES];
  }

  /** The number of parties waiting in the current generation. */
  get nWaiting(): number {
    const i32 = this._i32;
    const o = this._off;
    return Atomics.load(i32, o + BROKEN) ? 0 : Atomics.load(i32, o + COUNT);
  }

  /** Whether the barrier is broken (until `reset()`). */
  get broken(): boolean {
    return Atomics.load(this._i32, this._off + BROKEN) === 1;
  }

  private _options(arg: number | WaitOptions | null | undefined, what: string) {
    const p = parseWait(arg, what);
    const given = typeof arg === 'number' || (arg !== null && typeof arg === 'object' && arg.timeout != null);
    const timeout = given ? p.timeout : parseWait(this._timeout, what).timeout;
    return { timeout, signal: p.signal };
  }

  /** Under the guard: count an arrival (throws if broken). */
  private _arrive(): Arrival {
    const i32 = this._i32;
    const o = this._off;
    if (i32[o + BROKEN]) {
      unlock(i32, o + GUARD);
      throw new BrokenBarrierError();
    }
    const gen = i32[o + GEN];
    const index = i32[o + COUNT]++;
    return { index, gen, last: index + 1 >= i32[o + PARTIES] };
  }

  /** Under the guard: end generation `gen` with `outcome` (0 passed, 1 reset) and wake everyone. */
  private _endGeneration(outcome: number): void {
    const i32 = this._i32;
    const o = this._off;
    i32[o + OUTCOME + (i32[o + GEN] & 1)] = outcome;
    i32[o + COUNT] = 0;
    Atomics.add(i32, o + GEN, 1);
    Atomics.add(i32, o + SEQ, 1);
    wake(i32, o + SEQ);
  }

  /** Under the guard: mark broken and wake everyone. */
  private _breakLocked(): void {
    const i32 = this._i32;
    const o = this._off;
    Atomics.store(i32, o + BROKEN, 1);
    Atomics.add(i32, o + SEQ, 1);
    wake(i32, o + SEQ);
  }

  /** Outside the guard: has my generation ended? `true` passed; throws if reset or broken; `false` still waiting. */
  private _check(gen: number): boolean {
    const i32 = this._i32;
    const o = this._off;
    if (Atomics.load(i32, o + GEN) !== gen) {
      if (Atomics.load(i32, o + OUTCOME + (gen & 1)) !== 0) {
        throw new BrokenBarrierError('the barrier was reset while this worker was waiting');
      }
      return true;
    }
    if (Atomics.load(i32, o + BROKEN)) throw new BrokenBarrierError();
    return false;
  }

  /** Under the guard, after a timeout or abort: break unless my generation ended meanwhile. */
  private _giveUp(gen: number): boolean {
    const i32 = this._i32;
    const o = this._off;
    if (i32[o + GEN] !== gen) return true;
    if (!i32[o + BROKEN]) this._breakLocked();
    return false;
  }

  /**
   * Blocks the thread until all parties have called wait; returns this party's index
   * (`0 .. parties - 1`). Throws BrokenBarrierError if the barrier is or becomes broken, or its
   * timeout passes (which breaks it for everyone). Throws `signal.reason` if already aborted.
   */
  waitSync(timeout?: number | WaitOptions | null): number {
    const { timeout: ms, signal } = this._options(timeout, 'Barrier.waitSync');
    if (signal?.aborted) throw signal.reason;
    const i32 = this._i32;
    const o = this._off;
    lockSync(i32, o + GUARD);
    const { index, gen, last } = this._arrive();
    if (last) {
      try {
        this.action?.();
      } catch (err) {
        this._breakLocked();
        unlock(i32, o + GUARD);
        throw err;
      }
      this._endGeneration(0);
      unlock(i32, o + GUARD);
      return index;
    }
    unlock(i32, o + GUARD);
    const deadline = deadlineOf(ms);
    for (;;) {
      const seq = Atomics.load(i32, o + SEQ);
      if (this._check(gen)) return index;
      const left = remaining(deadline);
      if (left === 0) {
        lockSync(i32, o + GUARD);
        const passed = this._giveUp(gen);
        unlock(i32, o + GUARD);
        if (passed && this._check(gen)) return index;
        throw new BrokenBarrierError(`Barrier.waitSync timed out after ${ms} ms; the barrier is now broken`);
      }
      waitSync(i32, o + SEQ, seq, left);
    }
  }

  /**
   * Waits (without blocking the thread) until all parties have called wait; resolves this
   * party's index. Rejects with BrokenBarrierError if the barrier is or becomes broken or the
   * timeout passes; on abort, breaks the barrier (the other parties could never pass) and
   * rejects with `signal.reason`.
   */
  async wait(timeout?: number | WaitOptions | null): Promise<number> {
    const { timeout: ms, signal } = this._options(timeout, 'Barrier.wait');
    if (signal?.aborted) throw signal.reason;
    const i32 = this._i32;
    const o = this._off;
    if (!tryLock(i32, o + GUARD)) await lockAsync(i32, o + GUARD); // arrive synchronously when possible
    const { index, gen, last } = this._arrive();
    if (last) {
      try {
        await this.action?.();
      } catch (err) {
        this._breakLocked();
        unlock(i32, o + GUARD);
        throw err;
      }
      this._endGeneration(0);
      unlock(i32, o + GUARD);
      return index;
    }
    unlock(i32, o + GUARD);
    const deadline = deadlineOf(ms);
    for (;;) {
      const seq = Atomics.load(i32, o + SEQ);
      if (this._check(gen)) return index;
      const left = remaining(deadline);
      let aborted: { reason: unknown } | undefined;
      if (left > 0) {
        try {
          await waitAsync(i32, o + SEQ, seq, left, signal);
          continue;
        } catch (reason) {
          aborted = { reason };
        }
      }
      await lockAsync(i32, o + GUARD);
      const passed = this._giveUp(gen);
      unlock(i32, o + GUARD);
      if (aborted) throw aborted.reason;
      if (passed && this._check(gen)) return index;
      throw new BrokenBarrierError(`Barrier.wait timed out after ${ms} ms; the barrier is now broken`);
    }
  }

  /** Breaks the barrier: every current and future wait throws BrokenBarrierError until `reset()`. */
  abort(): void {
    const i32 = this._i32;
    const o = this._off;
    lockSync(i32, o + GUARD);
    this._breakLocked();
    unlock(i32, o + GUARD);
  }

  /**
   * Returns the barrier to its initial, empty, unbroken state. Parties waiting right now get a
   * BrokenBarrierError.
   */
  reset(): void {
    const i32 = this._i32;
    const o = this._off;
    lockSync(i32, o + GUARD);
    Atomics.store(i32, o + BROKEN, 0);
    this._endGeneration(1);
    unlock(i32, o + GUARD);
  }

  toString(): string {
    return `<Barrier(parties=${this.parties}, waiting=${this.nWaiting}${this.broken ? ', broken' : ''})>`;
  }
}

travel<Barrier, BarrierState>(
  Barrier,
  'Barrier',
  (state) => {
    const obj = Object.create(Barrier.prototype) as Barrier;
    obj.action = null;
    obj._init(state.block, state.offset, state.timeout ?? null);
    return obj;
  },
  (obj) => ({ timeout: obj._timeout }),
);
