/**
 * RLock (Python's `multiprocessing.RLock`).
 *
 * Layout (Int32 words from the lock's offset):
 *   +0  state: the futex mutex word of @multiproc/memory (mutex.ts: 0 free, 1 held,
 *       2 held + waiters, >= 4 abandoned)
 *   +1  owner: workerIdent() of the owner while held, 0 when free
 *   +2  recursion depth (written by the owner only)
 *   +3  flags: bit 0 = robust (robust.ts)
 */
import {
  CONTENDED,
  LOCKED,
  type SharedBlock,
  UNLOCKED,
  allocateBlock,
  isHeld,
  lockAsync,
  lockSlowAsync,
  lockSlowSync,
  lockSync,
  tryLock,
  wake,
  workerIdent,
} from '@multiproc/memory';
import { type LockHold, hold, holdSync } from './hold.js';
import { type AcquireOptions, parseAcquire } from './options.js';
import { type LockOptions, ROBUST, arm, disarm, parseLockOptions } from './robust.js';
import { attachTo, checkOffset, travel } from './shared.js';

// Module-local copies of the mutex's states for the inlined uncontended CAS (see lock.ts).
const FREE = UNLOCKED;
const HELD = LOCKED;
const HELD_CONTENDED = CONTENDED;

/**
 * A recursive lock (Python's `multiprocessing.RLock`): the worker that holds it may acquire it
 * again, and must release it as many times.
 *
 * Ownership is per worker thread (as Python's is per process): every async task of the owning
 * worker counts as the owner. Releasing from another worker throws.
 */
export class RLock {
  /** @internal */ declare readonly _block: SharedBlock;
  /** @internal */ declare readonly _off: number;
  /** @internal */ declare readonly _i32: Int32Array;
  /** @internal */ declare readonly _robust: boolean;

  constructor(opts?: LockOptions) {
    const robust = parseLockOptions(opts, 'new RLock()');
    const block = allocateBlock(16);
    block.i32[3] = robust ? ROBUST : 0;
    this._init(block, 0);
  }

  /** @internal */
  _init(block: SharedBlock, offset: number): void {
    checkOffset(block, offset, 4, 'RLock');
    Object.assign(this, {
      _block: block,
      _off: offset,
      _i32: block.i32,
      _robust: (block.i32[offset + 3] & ROBUST) !== 0,
    });
  }

  /** Whether this lock frees itself when its owner dies (`new RLock({ robust: true })`). */
  get robust(): boolean {
    return this._robust;
  }

  /** As {@link Lock.acquireSync}; returns at once (depth + 1) if this worker owns it already. */
  acquireSync(opts?: AcquireOptions): boolean {
    const i32 = this._i32;
    const s = this._off;
    const me = workerIdent();
    if (opts === undefined) {
      if (i32[s + 1] === me) {
        i32[s + 2]++;
        return true;
      }
      if (Atomics.compareExchange(i32, s, FREE, HELD) === FREE) {
        this._took(me, 1);
        return true;
      }
    }
    const { block, timeout, signal } = parseAcquire(opts, 'RLock.acquireSync');
    if (signal?.aborted) throw signal.reason;
    if (i32[s + 1] === me) {
      i32[s + 2]++;
      return true;
    }
    const ok = tryLock(i32, s) || (block && timeout > 0 && lockSlowSync(i32, s, timeout));
    if (ok) this._took(me, 1);
    return ok;
  }

  /** As {@link Lock.acquire}; resolves at once (depth + 1) if this worker owns it already. */
  async acquire(opts?: AcquireOptions): Promise<boolean> {
    const { block, timeout, signal } = parseAcquire(opts, 'RLock.acquire');
    if (signal?.aborted) throw signal.reason;
    const i32 = this._i32;
    const s = this._off;
    const me = workerIdent();
    if (i32[s + 1] === me) {
      i32[s + 2]++;
      return true;
    }
    const ok = tryLock(i32, s) || (block && timeout > 0 && (await lockSlowAsync(i32, s, timeout, signal)));
    if (ok) this._took(me, 1);
    return ok;
  }

  /** @internal */
  _took(me: number, depth: number): void {
    const i32 = this._i32;
    const s = this._off;
    i32[s + 1] = me;
    i32[s + 2] = depth;
    if (this._robust) arm(this._block, s);
  }

  /** Releases one level; throws an Error if this worker does not own the lock. */
  release(): void {
    const i32 = this._i32;
    const s = this._off;
    const me = workerIdent();
    if (i32[s + 1] !== me || i32[s + 2] <= 0) {
      const owner = i32[s + 1];
      throw new Error(
        owner === 0
          ? 'RLock.release(): the lock is not held; release only after a successful acquire'
          : `RLock.release(): the lock is owned by worker ${owner}, not by this worker (${me}); only its owner may release it`,
      );
    }
    if (--i32[s + 2] === 0) this._unlock();
  }

  /** @internal */
  _unlock(): void {
    const i32 = this._i32;
    const s = this._off;
    if (this._robust) disarm(this._block, s);
    i32[s + 1] = 0;
    if (Atomics.exchange(i32, s, FREE) === HELD_CONTENDED) wake(i32, s, 1);
  }

  /** Whether some worker holds the lock right now. */
  locked(): boolean {
    return isHeld(Atomics.load(this._i32, this._off));
  }

  /** `using _ = rlock.holdSync();` — acquireSync now, release at the end of the scope. */
  holdSync(opts?: { signal?: AbortSignal }): LockHold {
    return holdSync(this, opts);
  }

  /** `using _ = await rlock.hold();` — acquire now, release at the end of the scope. */
  hold(opts?: { signal?: AbortSignal }): Promise<LockHold> {
    return hold(this, opts);
  }

  /** @internal Held by this worker (Condition's check). */
  _isMine(): boolean {
    return this._i32[this._off + 1] === workerIdent() && this._i32[this._off + 2] > 0;
  }

  /** @internal Condition: release all levels, returning the depth to restore. */
  _releaseAll(): number {
    if (!this._isMine()) throw new Error('RLock: cannot release a lock this worker does not own');
    const depth = this._i32[this._off + 2];
    this._i32[this._off + 2] = 0;
    this._unlock();
    return depth;
  }

  /** @internal Condition: take the lock back at `depth` after a wait (uninterruptible). */
  _restoreSync(depth: number): void {
    lockSync(this._i32, this._off);
    this._took(workerIdent(), depth);
  }

  /** @internal */
  async _restore(depth: number): Promise<void> {
    await lockAsync(this._i32, this._off);
    this._took(workerIdent(), depth);
  }

  toString(): string {
    const owner = this._i32[this._off + 1];
    return owner ? `<RLock(owner=${owner}, count=${this._i32[this._off + 2]})>` : '<RLock(unlocked)>';
  }
}

travel(RLock, 'RLock', (state) => attachTo(RLock, state));
