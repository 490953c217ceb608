/**
 * RLock (Python's `multiprocessing.RLock`).
 *
 * Layout (Int32 words from the lock's offset):
 *   +0  state: the futex mutex word of @multiproc/memory (mutex.ts: 0 free, 1 held,
 *       2 held + waiters, >= 4 abandoned)
 *   +1  owner: workerIdent() of the owner while held, 0 when free
 *   +2  recursion depth (written by the owner only)
 *   +3  flags: bit 0 = robust (robust.ts)
 *
 * The uncontended `acquireSync()` + `release()` is the Lock's (lock.ts): two swaps (in
 * WebAssembly where the lock's memory allows) around plain reads and writes of the owner and
 * depth words, which only the owner writes.
 */
import {
  type SharedBlock,
  type WasmLockOps,
  lockAsync,
  lockSlowAsync,
  lockSlowSync,
  lockSync,
  tryLock,
  wake,
} from '@multiproc/memory';
import { LockBase } from './lock-base.js';
import { type AcquireOptions, parseAcquire } from './options.js';
import { type LockOptions, allocateLock, arm, disarm, lockFields } from './robust.js';
import { attachTo, checkOffset, travel } from './shared.js';

// The uncontended paths inline the mutex's swaps, with its states as literals (see lock.ts).

/**
 * A recursive lock (Python's `multiprocessing.RLock`): the worker that holds it may acquire it
 * again, and must release it as many times.
 *
 * Ownership is per worker thread (as Python's is per process): every async task of the owning
 * worker counts as the owner. Releasing from another worker throws.
 */
export class RLock extends LockBase<WasmLockOps['rlockAcquire'], WasmLockOps['rlockRelease']> {
  constructor(opts?: LockOptions) {
    super();
    const { block, offset } = allocateLock(this, opts, 4, 3, 'new RLock()');
    this._init(block, offset);
  }

  /** @internal */
  _init(block: SharedBlock, offset: number): void {
    checkOffset(block, offset, 4, 'RLock');
    Object.assign(
      this,
      lockFields(block, offset, 3, (ops) => [ops.rlockAcquire, ops.rlockRelease]),
    );
  }

  /** As {@link Lock.acquireSync}; returns at once (depth + 1) if this worker owns it already. */
  acquireSync(opts?: AcquireOptions): boolean {
    if (opts !== undefined) return this._acquireSyncWith(opts);
    const me = this._me || this._ident();
    const acquire = this._wacq;
    if (acquire !== undefined) {
      const old = acquire(this._addr, me);
      if (old !== 0) this._acquireSlowSync(old, me);
      return true;
    }
    const i32 = this._i32;
    const s = this._off;
    if (i32[s + 1] === me) {
      i32[s + 2]++;
      return true;
    }
    const old = Atomics.exchange(i32, s, 1); // LOCKED
    if (old !== 0 && old < 4) lockSlowSync(i32, s, Number.POSITIVE_INFINITY, old === 2); // owed if 2
    i32[s + 1] = me;
    i32[s + 2] = 1;
    if (this._robust) arm(this._block, s);
    return true;
  }

  private _acquireSyncWith(opts: AcquireOptions): boolean {
    const { block, timeout, signal } = parseAcquire(opts, 'RLock.acquireSync');
    if (signal?.aborted) throw signal.reason;
    const i32 = this._i32;
    const s = this._off;
    const me = this._me || this._ident();
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
    const me = this._me || this._ident();
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

  /** The rest of a WebAssembly acquire whose swap did not find the lock free (not robust). */
  private _acquireSlowSync(old: number, me: number): void {
    if (old < 4) lockSlowSync(this._i32, this._off, Number.POSITIVE_INFINITY, old === 2); // owed if 2
    this._took(me, 1);
  }

  /** Releases one level; throws an Error if this worker does not own the lock. */
  release(): void {
    const release = this._wrel;
    if (release !== undefined) {
      const r = release(this._addr, this._me || this._ident());
      if (r !== 1) this._releasedWasm(r);
      return;
    }
    const i32 = this._i32;
    const s = this._off;
    const depth = i32[s + 2];
    if (i32[s + 1] !== (this._me || this._ident()) || depth <= 0) this._notMine();
    i32[s + 2] = depth - 1;
    if (depth === 1) this._unlock();
  }

  /** The rest of a WebAssembly release that did not end with a plain unlock (wasm-atomics.ts). */
  private _releasedWasm(r: number): void {
    if (r === -1) this._notMine();
    if (r === 2) wake(this._i32, this._off, 1); // CONTENDED: wake one
  }

  private _notMine(): never {
    const owner = this._i32[this._off + 1];
    throw new Error(
      owner === 0
        ? 'RLock.release(): the lock is not held; release only after a successful acquire'
        : `RLock.release(): the lock is owned by worker ${owner}, not by this worker (${this._me}); only its owner may release it`,
    );
  }

  /** @internal */
  _unlock(): void {
    const i32 = this._i32;
    const s = this._off;
    if (this._robust) disarm(this._block, s);
    i32[s + 1] = 0;
    if (Atomics.exchange(i32, s, 0) === 2) wake(i32, s, 1); // UNLOCKED; CONTENDED: wake one
  }

  /** @internal Held by this worker (Condition's check). */
  _isMine(): boolean {
    return this._i32[this._off + 1] === (this._me || this._ident()) && this._i32[this._off + 2] > 0;
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
    this._took(this._me || this._ident(), depth);
  }

  /** @internal */
  async _restore(depth: number): Promise<void> {
    await lockAsync(this._i32, this._off);
    this._took(this._me || this._ident(), depth);
  }

  override toString(): string {
    const owner = this._i32[this._off + 1];
    return owner ? `<RLock(owner=${owner}, count=${this._i32[this._off + 2]})>` : '<RLock(unlocked)>';
  }
}

travel(RLock, 'RLock', (state) => attachTo(RLock, state));
