/**
 * Condition: a condition variable over a Lock or RLock (Python's `multiprocessing.Condition`).
 *
 * Layout (Int32 words from the condition's offset; the lock is a primitive of its own):
 *   +0  seq: a sequence counter, bumped by every notify; the futex word waiters sleep on
 *   +1  waiters: how many workers are inside wait (notify skips all work when 0)
 *
 * wait: while holding the lock, read seq and count itself in `waiters`; release the lock
 * (all levels of an RLock); sleep while seq is unchanged; take the lock back at the same
 * depth. A notify that happens between the unlock and the sleep has changed seq, so the sleep
 * returns at once: no wake-up is lost (W4G1 `multithreading` style, not esfx's wait on a
 * constant). As with POSIX condition variables, a wait may also return without a notify aimed at
 * it (several waiters may see the same seq change), so check your predicate in a loop — or use
 * `waitFor`, which does.
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
import type { Lock } from './lock.js';
import { type AcquireOptions, type WaitOptions, parseWait } from './options.js';
import { RLock } from './rlock.js';
import { type BaseState, checkOffset, travel } from './shared.js';

interface ConditionState extends BaseState {
  lock: Lock | RLock;
}

function isLockLike(x: unknown): x is Lock | RLock {
  return (
    typeof x === 'object' &&
    x !== null &&
    typeof (x as Lock)._isMine === 'function' &&
    typeof (x as Lock)._releaseAll === 'function'
  );
}

/**
 * A condition variable shared by every worker it is sent to.
 *
 * @example
 * const cond = new Condition();
 * // consumer
 * await cond.acquire();
 * try { await cond.waitFor(() => items[0] > 0); items[0] -= 1; } finally { cond.release(); }
 * // producer
 * cond.acquireSync(); items[0] += 1; cond.notify(); cond.release();
 */
export class Condition {
  /** @internal */ declare readonly _block: SharedBlock;
  /** @internal */ declare readonly _off: number;
  /** @internal */ declare readonly _i32: Int32Array;
  /** @internal */ declare readonly _lock: Lock | RLock;

  /** `lock`: the Lock or RLock to use (default: a new RLock, as in Python). */
  constructor(lock?: Lock | RLock | null) {
    if (lock !== undefined && lock !== null && !isLockLike(lock)) {
      throw new TypeError('new Condition(lock): lock must be a Lock or an RLock of @multiproc/synchronize');
    }
    const { block, offset } = allocateSlot(this, 8);
    this._init(block, offset, lock ?? new RLock());
  }

  /** @internal */
  _init(block: SharedBlock, offset: number, lock: Lock | RLock): void {
    checkOffset(block, offset, 2, 'Condition');
    Object.assign(this, { _block: block, _off: offset, _i32: block.i32, _lock: lock });
  }

  /** The underlying lock. */
  get lock(): Lock | RLock {
    return this._lock;
  }

  /** Acquires the underlying lock (see {@link Lock.acquire}). */
  acquire(opts?: AcquireOptions): Promise<boolean> {
    return this._lock.acquire(opts);
  }

  /** Acquires the underlying lock, blocking the thread (see {@link Lock.acquireSync}). */
  acquireSync(opts?: AcquireOptions): boolean {
    return this._lock.acquireSync(opts);
  }

  /** Releases the underlying lock. */
  release(): void {
    this._lock.release();
  }

  /** `using _ = cond.holdSync();` */
  holdSync(opts?: { signal?: AbortSignal }) {
    return this._lock.holdSync(opts);
  }

  /** `using _ = await cond.hold();` */
  hold(opts?: { signal?: AbortSignal }) {
    return this._lock.hold(opts);
  }

  private _checkOwned(what: string): void {
    if (!this._lock._isMine()) {
      throw new Error(`Condition.${what}: the condition's lock is not held by this worker; acquire it first`);
    }
  }

  /** Releases the lock, returning the seq value to sleep on and the depth to restore. */
  private _enter(what: string): [number, number] {
    this._checkOwned(what);
    const i32 = this._i32;
    const o = this._off;
    Atomics.add(i32, o + 1, 1);
    const seq = Atomics.load(i32, o);
    return [seq, this._lock._releaseAll()];
  }

  /**
   * Releases the lock, blocks the thread until notified (or the timeout passes), takes the lock
   * back. Returns `false` if the timeout passed. The lock must be held. Throws `signal.reason`
   * if the signal is already aborted.
   */
  waitSync(timeout?: number | WaitOptions | null): boolean {
    const p = parseWait(timeout, 'Condition.waitSync');
    if (p.signal?.aborted) throw p.signal.reason;
    const [seq, depth] = this._enter('waitSync');
    try {
      return waitSync(this._i32, this._off, seq, p.timeout) !== 'timed-out';
    } finally {
      Atomics.sub(this._i32, this._off + 1, 1);
      this._lock._restoreSync(depth);
    }
  }

  /**
   * Releases the lock, waits (without blocking the thread) until notified or the timeout passes,
   * takes the lock back. Resolves `false` if the timeout passed. On abort the lock is taken back
   * too, then the call rejects with `signal.reason`.
   */
  async wait(timeout?: number | WaitOptions | null): Promise<boolean> {
    const p = parseWait(timeout, 'Condition.wait');
    if (p.signal?.aborted) throw p.signal.reason;
    const [seq, depth] = this._enter('wait');
    try {
      return (await waitAsync(this._i32, this._off, seq, p.timeout, p.signal)) !== 'timed-out';
    } finally {
      Atomics.sub(this._i32, this._off + 1, 1);
      await this._lock._restore(depth);
    }
  }

  /**
   * Waits until `predicate()` is truthy (checked with the lock held, before the first wait and
   * after each wake-up) or the timeout passes; returns the predicate's last value.
   */
  waitForSync<T>(predicate: () => T, timeout?: number | WaitOptions | null): T {
    if (typeof predicate !== 'function')
      throw new TypeError('Condition.waitForSync: predicate must be a function');
    const p = parseWait(timeout, 'Condition.waitForSync');
    if (p.signal?.aborted) throw p.signal.reason;
    const deadline = deadlineOf(p.timeout);
    let result = predicate();
    while (!result) {
      const left = remaining(deadline);
      if (left === 0) break;
      this.waitSync({ timeout: left, signal: p.signal });
      result = predicate();
    }
    return result;
  }

  /** The async {@link waitForSync}; the predicate may return a promise. */
  async waitFor<T>(predicate: () => T | Promise<T>, timeout?: number | WaitOptions | null): Promise<T> {
    if (typeof predicate !== 'function')
      throw new TypeError('Condition.waitFor: predicate must be a function');
    const p = parseWait(timeout, 'Condition.waitFor');
    if (p.signal?.aborted) throw p.signal.reason;
    const deadline = deadlineOf(p.timeout);
    let result = await predicate();
    while (!result) {
      const left = remaining(deadline);
      if (left === 0) break;
      await this.wait({ timeout: left, signal: p.signal });
      result = await predicate();
    }
    return result;
  }

  /** Wakes up to `n` waiters (default 1). The lock must be held by this worker. */
  notify(n = 1): void {
    if (typeof n !== 'number' || Number.isNaN(n) || n < 0) {
      throw new RangeError(`Condition.notify(n): n must be a non-negative number, got ${String(n)}`);
    }
    this._checkOwned('notify');
    const i32 = this._i32;
    const o = this._off;
    if (n === 0 || Atomics.load(i32, o + 1) === 0) return;
    Atomics.add(i32, o, 1);
    wake(i32, o, n);
  }

  /** Wakes every waiter. The lock must be held by this worker. */
  notifyAll(): void {
    this.notify(Number.POSITIVE_INFINITY);
  }

  toString(): string {
    return `<Condition(${String(this._lock)}, waiters=${Atomics.load(this._i32, this._off + 1)})>`;
  }
}

travel<Condition, ConditionState>(
  Condition,
  'Condition',
  (state) => {
    const obj = Object.create(Condition.prototype) as Condition;
    obj._init(state.block, state.offset, state.lock);
    return obj;
  },
  (obj) => ({ lock: obj._lock }),
);
