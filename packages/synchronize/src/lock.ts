/**
 * Lock (Python's `multiprocessing.Lock`).
 *
 * Layout (Int32 words from the lock's offset):
 *   +0  state: the futex mutex word of @multiproc/memory (mutex.ts: 0 free, 1 held,
 *       2 held + waiters, >= 4 abandoned)
 *   +1  owner: workerIdent() of the holder while held, 0 when free (who holds it, for Condition
 *       and for robust locks; a plain Lock may still be released by any worker)
 *   +2  flags: bit 0 = robust (robust.ts)
 *
 * `acquireSync()` + `release()` uncontended is the mutex's fast swap in, a plain store of the
 * owner, the swap out: two locked swaps, the floor (mutex.ts says why). A lock allocated between
 * threads lives in an arena of @multiproc/memory that is a shared WebAssembly.Memory, and takes
 * both steps as one call into WebAssembly each (wasm-atomics.ts there: ~25% faster than
 * `Atomics.exchange`, which V8 11 does not inline); in OS memory ('spawn'), a robust lock, or a
 * lock rebuilt over other memory, they are `Atomics.exchange`. The owner written is the thread's
 * ident as cached on the object (lock-base.ts).
 *
 * Only the holder may release a robust lock. Plain locks are left locked when their holder
 * dies, as in Python; waiters can always get out through a timeout or a signal.
 */
import {
  CONTENDED,
  type SharedBlock,
  type WasmLockOps,
  isHeld,
  lockSlowAsync,
  lockSlowSync,
  tryLock,
  unlock,
  wake,
} from '@multiproc/memory';
import { LockBase } from './lock-base.js';
import { type AcquireOptions, parseAcquire } from './options.js';
import { type LockOptions, allocateLock, arm, disarm, lockFields } from './robust.js';
import { attachTo, checkOffset, travel } from './shared.js';

export type { AcquireOptions } from './options.js';
export type { LockHold } from './hold.js';
export type { LockOptions } from './robust.js';

// The uncontended paths inline the mutex's swaps, with its states as literals (0 UNLOCKED,
// 1 LOCKED, 2 CONTENDED, >= 4 abandoned; mutex.ts of @multiproc/memory): through a call into
// @multiproc/memory an acquire + release costs ~1.5 ns more, and through module-level constants
// (context loads) ~0.5 ns more, out of ~19. Everything past the first swap is the mutex's code.

const NOT_HELD = 'Lock.release(): the lock is not held; release only after a successful acquire';

/**
 * A non-recursive lock shared by every worker it is sent to (Python's `multiprocessing.Lock`).
 *
 * @example
 * const lock = new Lock();
 * if (lock.acquireSync({ timeout: 100 })) {
 *   try { counter[0] += 1; } finally { lock.release(); }
 * }
 * await lock.acquire();            // async: never blocks the event loop
 * lock.release();
 */
export class Lock extends LockBase<WasmLockOps['lockAcquire'], WasmLockOps['lockRelease']> {
  constructor(opts?: LockOptions) {
    super();
    const { block, offset } = allocateLock(this, opts, 3, 2, 'new Lock()');
    this._init(block, offset);
  }

  /** @internal */
  _init(block: SharedBlock, offset: number): void {
    checkOffset(block, offset, 3, 'Lock');
    Object.assign(
      this,
      lockFields(block, offset, 2, (ops) => [ops.lockAcquire, ops.lockRelease]),
    );
  }

  /**
   * Takes the lock, blocking the calling thread until it is free (or the timeout passes).
   * Returns `false` on timeout or when `block: false` finds it held. Throws `signal.reason` if
   * the signal is already aborted (a blocked thread cannot see a later abort).
   */
  acquireSync(opts?: AcquireOptions): boolean {
    if (opts !== undefined) return this._acquireSyncWith(opts);
    const acquire = this._wacq;
    if (acquire !== undefined) {
      const old = acquire(this._addr, this._me || this._ident());
      if (old !== 0) this._acquireSlowSync(old);
      return true;
    }
    const i32 = this._i32;
    const s = this._off;
    const old = Atomics.exchange(i32, s, 1); // LOCKED
    if (old !== 0 && old < 4) lockSlowSync(i32, s, Number.POSITIVE_INFINITY, old === 2); // owed if 2
    i32[s + 1] = this._me || this._ident();
    if (this._robust) arm(this._block, s);
    return true;
  }

  /** The rest of a WebAssembly acquire whose swap did not find the lock free (not robust). */
  private _acquireSlowSync(old: number): void {
    const i32 = this._i32;
    const s = this._off;
    if (old < 4) lockSlowSync(i32, s, Number.POSITIVE_INFINITY, old === 2); // owed if 2
    i32[s + 1] = this._me;
  }

  private _acquireSyncWith(opts: AcquireOptions): boolean {
    const { block, timeout, signal } = parseAcquire(opts, 'Lock.acquireSync');
    if (signal?.aborted) throw signal.reason;
    const i32 = this._i32;
    const s = this._off;
    const ok = tryLock(i32, s) || (block && timeout > 0 && lockSlowSync(i32, s, timeout));
    if (ok) this._took();
    return ok;
  }

  /**
   * Takes the lock without blocking the thread. Resolves `true` once held, `false` on timeout or
   * when `block: false` finds it held; rejects with `signal.reason` on abort.
   */
  async acquire(opts?: AcquireOptions): Promise<boolean> {
    const { block, timeout, signal } = parseAcquire(opts, 'Lock.acquire');
    if (signal?.aborted) throw signal.reason;
    const i32 = this._i32;
    const s = this._off;
    const ok = tryLock(i32, s) || (block && timeout > 0 && (await lockSlowAsync(i32, s, timeout, signal)));
    if (ok) this._took();
    return ok;
  }

  /** @internal */
  _took(): void {
    this._i32[this._off + 1] = this._me || this._ident();
    if (this._robust) arm(this._block, this._off);
  }

  /**
   * Releases the lock; any worker may release a plain Lock (as in Python). Throws a RangeError
   * if it is not held, and an Error if it is robust and held by another worker.
   */
  release(): void {
    const release = this._wrel;
    if (release !== undefined) {
      const old = release(this._addr);
      if (old !== 1) this._released(old);
      return;
    }
    if (this._robust) {
      this._releaseRobust();
      return;
    }
    const i32 = this._i32;
    const s = this._off;
    i32[s + 1] = 0;
    const old = Atomics.exchange(i32, s, 0); // UNLOCKED
    if (old !== 1) this._released(old);
  }

  /** The rest of a release whose swap did not find LOCKED: wake a sleeper, or it was not held. */
  private _released(old: number): void {
    if (old === CONTENDED) wake(this._i32, this._off, 1);
    else throw new RangeError(NOT_HELD); // old 0: nothing changed (a plain lock is never abandoned)
  }

  private _releaseRobust(): void {
    const i32 = this._i32;
    const s = this._off;
    if (!isHeld(Atomics.load(i32, s))) throw new RangeError(NOT_HELD);
    const me = this._me || this._ident();
    if (i32[s + 1] !== me) {
      throw new Error(
        `Lock.release(): this robust lock is held by worker ${i32[s + 1]}, not by this worker (${me}); only its holder may release it`,
      );
    }
    disarm(this._block, s);
    i32[s + 1] = 0;
    unlock(i32, s);
  }

  /** @internal Held, and by this worker (Condition's check). */
  _isMine(): boolean {
    return this.locked() && this._i32[this._off + 1] === (this._me || this._ident());
  }

  /** @internal Condition: release completely, returning what to restore. */
  _releaseAll(): number {
    this.release();
    return 1;
  }

  /** @internal Condition: take the lock back after a wait (uninterruptible). */
  _restoreSync(_depth: number): void {
    this.acquireSync();
  }

  /** @internal */
  async _restore(_depth: number): Promise<void> {
    await this.acquire();
  }

  override toString(): string {
    const owner = this._i32[this._off + 1];
    return this.locked() ? `<Lock(owner=${owner || 'unknown'})>` : '<Lock(unlocked)>';
  }
}

travel(Lock, 'Lock', (state) => attachTo(Lock, state));
