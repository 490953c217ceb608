/**
 * Lock and RLock.
 *
 * Lock layout (Int32 words from the lock's offset):
 *   +0  state: the futex mutex word of mutex.ts (0 free, 1 held, 2 held + waiters, >= 4 abandoned)
 *   +1  owner: workerIdent() of the holder while held, 0 when free (who holds it, for Condition
 *       and for robust locks; a plain Lock may still be released by any worker)
 *   +2  flags: bit 0 = robust
 *
 * RLock layout:
 *   +0  state (as above)
 *   +1  owner: workerIdent() of the owner while held, 0 when free
 *   +2  recursion depth (written by the owner only)
 *   +3  flags: bit 0 = robust
 *
 * Robust locks (`{ robust: true }`): each acquisition in a child worker arms an exit hook (see
 * `atExit` in @multiproc/memory) that adds 4 to the state word if the worker dies holding the
 * lock; the next acquirer then takes it as if it were free. Only the holder may release a
 * robust lock. Plain locks are left locked when their holder dies, as in Python; waiters can
 * always get out through a timeout or a signal.
 */
import { type SharedBlock, allocateBlock, atExit, wake, workerIdent } from '@multiproc/memory';
import {
  ABANDONED_DELTA,
  CONTENDED,
  LOCKED,
  UNLOCKED,
  isHeld,
  lockSlowAsync,
  lockSlowSync,
  tryLock,
} from './mutex.js';
import { type AcquireOptions, parseAcquire } from './options.js';
import { type BaseState, checkOffset, travel } from './shared.js';

export type { AcquireOptions } from './options.js';

/** Options of `new Lock()` / `new RLock()`. */
export interface LockOptions {
  /**
   * Make the lock recoverable: if a worker dies holding it, the lock is freed (like a robust
   * POSIX mutex) instead of staying locked forever. Costs an exit-hook registration per
   * acquisition in child workers; only the holder may release a robust lock. Default `false`.
   */
  robust?: boolean;
}

/** A scoped hold: `using _ = lock.holdSync();` releases at the end of the block. */
export interface LockHold extends Disposable {
  release(): void;
}

const ROBUST = 1;
/** Per thread: the cancel function of each armed robust-lock exit hook, by block id and offset. */
const hooks = new Map<string, () => void>();

function hookKey(block: SharedBlock, s: number): string {
  return `${block.id}|${s}`;
}

function arm(block: SharedBlock, s: number): void {
  hooks.set(hookKey(block, s), atExit(block, s, ABANDONED_DELTA));
}

function disarm(block: SharedBlock, s: number): void {
  const key = hookKey(block, s);
  const cancel = hooks.get(key);
  if (cancel) {
    hooks.delete(key);
    cancel();
  }
}

function parseLockOptions(opts: LockOptions | undefined, what: string): boolean {
  if (opts === undefined || opts === null) return false;
  if (typeof opts !== 'object')
    throw new TypeError(`${what}: expected an options object { robust? }, got ${typeof opts}`);
  return Boolean(opts.robust);
}

function makeHold(release: () => void): LockHold {
  let done = false;
  const once = () => {
    if (done) return;
    done = true;
    release();
  };
  return { release: once, [Symbol.dispose]: once };
}

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
export class Lock {
  /** @internal */ declare readonly _block: SharedBlock;
  /** @internal */ declare readonly _off: number;
  /** @internal */ declare readonly _i32: Int32Array;
  /** @internal */ declare readonly _robust: boolean;

  constructor(opts?: LockOptions) {
    const robust = parseLockOptions(opts, 'new Lock()');
    const block = allocateBlock(16);
    block.i32[2] = robust ? ROBUST : 0;
    this._init(block, 0);
  }

  /** @internal */
  _init(block: SharedBlock, offset: number): void {
    checkOffset(block, offset, 3, 'Lock');
    Object.assign(this, {
      _block: block,
      _off: offset,
      _i32: block.i32,
      _robust: (block.i32[offset + 2] & ROBUST) !== 0,
    });
  }

  /** Whether this lock frees itself when its holder dies (`new Lock({ robust: true })`). */
  get robust(): boolean {
    return this._robust;
  }

  /**
   * Takes the lock, blocking the calling thread until it is free (or the timeout passes).
   * Returns `false` on timeout or when `block: false` finds it held. Throws `signal.reason` if
   * the signal is already aborted (a blocked thread cannot see a later abort).
   */
  acquireSync(opts?: AcquireOptions): boolean {
    const i32 = this._i32;
    const s = this._off;
    if (opts === undefined && Atomics.compareExchange(i32, s, UNLOCKED, 1) === UNLOCKED) {
      i32[s + 1] = workerIdent();
      if (this._robust) arm(this._block, s);
      return true;
    }
    const { block, timeout, signal } = parseAcquire(opts, 'Lock.acquireSync');
    if (signal?.aborted) throw signal.reason;
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
    this._i32[this._off + 1] = workerIdent();
    if (this._robust) arm(this._block, this._off);
  }

  /**
   * Releases the lock; any worker may release a plain Lock (as in Python). Throws a RangeError
   * if it is not held, and an Error if it is robust and held by another worker.
   */
  release(): void {
    if (this._robust) {
      this._releaseRobust();
      return;
    }
    const i32 = this._i32;
    const s = this._off;
    i32[s + 1] = 0;
    const old = Atomics.compareExchange(i32, s, LOCKED, UNLOCKED);
    if (old === LOCKED) return;
    if (old === CONTENDED) {
      Atomics.store(i32, s, UNLOCKED);
      wake(i32, s, 1);
      return;
    }
    throw new RangeError('Lock.release(): the lock is not held; release only after a successful acquire');
  }

  private _releaseRobust(): void {
    const i32 = this._i32;
    const s = this._off;
    if (!isHeld(Atomics.load(i32, s))) {
      throw new RangeError('Lock.release(): the lock is not held; release only after a successful acquire');
    }
    const me = workerIdent();
    if (i32[s + 1] !== me) {
      throw new Error(
        `Lock.release(): this robust lock is held by worker ${i32[s + 1]}, not by this worker (${me}); only its holder may release it`,
      );
    }
    disarm(this._block, s);
    i32[s + 1] = 0;
    if (Atomics.exchange(i32, s, UNLOCKED) === CONTENDED) wake(i32, s, 1);
  }

  /** Whether some worker holds the lock right now. */
  locked(): boolean {
    return isHeld(Atomics.load(this._i32, this._off));
  }

  /** `using _ = lock.holdSync();` — acquireSync now, release at the end of the scope. */
  holdSync(opts?: { signal?: AbortSignal }): LockHold {
    this.acquireSync(opts === undefined ? undefined : { signal: opts.signal });
    return makeHold(() => this.release());
  }

  /** `using _ = await lock.hold();` — acquire now, release at the end of the scope. */
  async hold(opts?: { signal?: AbortSignal }): Promise<LockHold> {
    await this.acquire(opts === undefined ? undefined : { signal: opts.signal });
    return makeHold(() => this.release());
  }

  /** @internal Held, and by this worker (Condition's check). */
  _isMine(): boolean {
    return this.locked() && this._i32[this._off + 1] === workerIdent();
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

  toString(): string {
    const owner = this._i32[this._off + 1];
    return this.locked() ? `<Lock(owner=${owner || 'unknown'})>` : '<Lock(unlocked)>';
  }
}

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
      if (Atomics.compareExchange(i32, s, UNLOCKED, 1) === UNLOCKED) {
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
    if (Atomics.exchange(i32, s, UNLOCKED) === CONTENDED) wake(i32, s, 1);
  }

  /** Whether some worker holds the lock right now. */
  locked(): boolean {
    return isHeld(Atomics.load(this._i32, this._off));
  }

  /** `using _ = rlock.holdSync();` — acquireSync now, release at the end of the scope. */
  holdSync(opts?: { signal?: AbortSignal }): LockHold {
    this.acquireSync(opts === undefined ? undefined : { signal: opts.signal });
    return makeHold(() => this.release());
  }

  /** `using _ = await rlock.hold();` — acquire now, release at the end of the scope. */
  async hold(opts?: { signal?: AbortSignal }): Promise<LockHold> {
    await this.acquire(opts === undefined ? undefined : { signal: opts.signal });
    return makeHold(() => this.release());
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
    const i32 = this._i32;
    const s = this._off;
    if (!tryLock(i32, s)) lockSlowSync(i32, s, Number.POSITIVE_INFINITY);
    this._took(workerIdent(), depth);
  }

  /** @internal */
  async _restore(depth: number): Promise<void> {
    const i32 = this._i32;
    const s = this._off;
    if (!tryLock(i32, s)) await lockSlowAsync(i32, s, Number.POSITIVE_INFINITY, undefined);
    this._took(workerIdent(), depth);
  }

  toString(): string {
    const owner = this._i32[this._off + 1];
    return owner ? `<RLock(owner=${owner}, count=${this._i32[this._off + 2]})>` : '<RLock(unlocked)>';
  }
}

function attach<T extends Lock | RLock>(ctor: new () => T, state: BaseState): T {
  const obj = Object.create(ctor.prototype) as T;
  obj._init(state.block, state.offset);
  return obj;
}

travel(Lock, 'Lock', (state) => attach(Lock, state));
travel(RLock, 'RLock', (state) => attach(RLock, state));
