/**
 * Semaphore and BoundedSemaphore.
 *
 * Layout (Int32 words from the semaphore's offset):
 *   +0  value: the counter; waiters sleep on this word while it is 0
 *   +1  waiters: how many acquirers are (about to be) asleep; release skips the wake when 0
 *   +2  bound: the largest value release may reach (the initial value of a BoundedSemaphore,
 *       2^31 - 1 for a Semaphore)
 *
 * acquire: CAS value -> value - 1 while > 0, else count itself in `waiters` and sleep while the
 * value is 0 (a release between the check and the sleep changes the word, so the sleep returns at
 * once: no lost wake-up). release(n): CAS value -> value + n (checked against the bound), then
 * wake up to n sleepers if any.
 */
import {
  type SharedBlock,
  allocateSlot,
  deadlineOf,
  remaining,
  waitAsync,
  waitSync,
  wake,
} from '@multiproc/memory';
import { type AcquireOptions, parseAcquire } from './options.js';
import { attachTo, checkOffset, travel } from './shared.js';

const VALUE_MAX = 0x7fffffff;

function tryDown(i32: Int32Array, s: number): boolean {
  let v = Atomics.compareExchange(i32, s, 1, 0); // the common case of a Semaphore(1) first
  if (v === 1) return true;
  while (v > 0) {
    const seen = Atomics.compareExchange(i32, s, v, v - 1);
    if (seen === v) return true;
    v = seen;
  }
  return false;
}

function checkValue(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new TypeError(`${what}: the initial value must be an integer, got ${String(value)}`);
  }
  if (value < 0 || value > VALUE_MAX) {
    throw new RangeError(`${what}: the initial value must be between 0 and ${VALUE_MAX}, got ${value}`);
  }
  return value;
}

/**
 * A counting semaphore shared by every worker it is sent to (Python's
 * `multiprocessing.Semaphore`).
 *
 * @example
 * const slots = new Semaphore(2);
 * await slots.acquire();
 * try { await download(); } finally { slots.release(); }
 */
export class Semaphore {
  /** @internal */ declare readonly _block: SharedBlock;
  /** @internal */ declare readonly _off: number;
  /** @internal */ declare readonly _i32: Int32Array;

  constructor(value = 1) {
    const { block, offset } = allocateSlot(this, 12);
    block.i32[offset] = checkValue(value, `new ${new.target.name}()`);
    block.i32[offset + 2] = VALUE_MAX;
    this._init(block, offset);
  }

  /** @internal */
  _init(block: SharedBlock, offset: number): void {
    checkOffset(block, offset, 3, 'Semaphore');
    Object.assign(this, { _block: block, _off: offset, _i32: block.i32 });
  }

  /**
   * Decrements the counter, blocking the calling thread while it is 0. Returns `false` on timeout
   * or when `block: false` finds it at 0; throws `signal.reason` if the signal is already aborted.
   */
  acquireSync(opts?: AcquireOptions): boolean {
    const i32 = this._i32;
    const s = this._off;
    if (opts === undefined && tryDown(i32, s)) return true;
    const { block, timeout, signal } = parseAcquire(opts, 'Semaphore.acquireSync');
    if (signal?.aborted) throw signal.reason;
    if (tryDown(i32, s)) return true;
    if (!block || timeout === 0) return false;
    const deadline = deadlineOf(timeout);
    for (;;) {
      const left = remaining(deadline);
      if (left === 0) return false;
      Atomics.add(i32, s + 1, 1);
      waitSync(i32, s, 0, left);
      Atomics.sub(i32, s + 1, 1);
      if (tryDown(i32, s)) return true;
    }
  }

  /** Decrements the counter without blocking the thread; see {@link acquireSync}. */
  async acquire(opts?: AcquireOptions): Promise<boolean> {
    const { block, timeout, signal } = parseAcquire(opts, 'Semaphore.acquire');
    if (signal?.aborted) throw signal.reason;
    const i32 = this._i32;
    const s = this._off;
    if (tryDown(i32, s)) return true;
    if (!block || timeout === 0) return false;
    const deadline = deadlineOf(timeout);
    for (;;) {
      const left = remaining(deadline);
      if (left === 0) return false;
      Atomics.add(i32, s + 1, 1);
      try {
        await waitAsync(i32, s, 0, left, signal);
      } finally {
        Atomics.sub(i32, s + 1, 1);
      }
      if (tryDown(i32, s)) return true;
    }
  }

  /**
   * Increments the counter by `n` (default 1) and wakes up to `n` waiters. Any worker may
   * release. RangeError for `n < 1`, or past the bound of a BoundedSemaphore.
   */
  release(n = 1): void {
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) {
      throw new RangeError(
        `${this.constructor.name}.release(n): n must be a positive integer, got ${String(n)}`,
      );
    }
    const i32 = this._i32;
    const s = this._off;
    const bound = i32[s + 2];
    if (bound === VALUE_MAX) {
      const old = Atomics.add(i32, s, n);
      if (old > VALUE_MAX - n) {
        Atomics.sub(i32, s, n);
        throw new RangeError(`Semaphore.release(${n}): the value would exceed ${VALUE_MAX}`);
      }
    } else {
      let v = Atomics.load(i32, s);
      for (;;) {
        if (v + n > bound) {
          throw new RangeError(
            `${this.constructor.name}.release(${n}): released too many times (the value would exceed its initial value ${bound}); release only what you acquired`,
          );
        }
        const seen = Atomics.compareExchange(i32, s, v, v + n);
        if (seen === v) break;
        v = seen;
      }
    }
    if (Atomics.load(i32, s + 1) > 0) wake(i32, s, n);
  }

  /** The current value of the counter. */
  getValue(): number {
    return Atomics.load(this._i32, this._off);
  }

  toString(): string {
    return `<${this.constructor.name}(value=${this.getValue()})>`;
  }
}

/**
 * A semaphore that cannot be released past its initial value (Python's
 * `multiprocessing.BoundedSemaphore`): over-releasing throws a RangeError.
 */
export class BoundedSemaphore extends Semaphore {
  constructor(value = 1) {
    super(value);
    this._i32[this._off + 2] = value;
  }

  /** The initial value, which the counter may not exceed. */
  get bound(): number {
    return this._i32[this._off + 2];
  }
}

travel(Semaphore, 'Semaphore', (state) => attachTo(Semaphore, state));
travel(BoundedSemaphore, 'BoundedSemaphore', (state) => attachTo(BoundedSemaphore, state));
