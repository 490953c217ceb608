/**
 * The lock half of `Value` and `Array` (Python's `Synchronized` / `SynchronizedArray`): the lock
 * options, and the methods both wrappers expose (`getLock`, `acquire`, `acquireSync`, `release`,
 * `holdSync`, `hold`), written once and installed on both classes by {@link addLockMethods}
 * (SynchronizedArray already extends the index-trap base, so a common base class is not an option).
 */
import type { AcquireOptions, Lock, LockHold } from '@multiproc/synchronize';
import { RLock } from '@multiproc/synchronize';
import { describeValue } from './convert.js';

/** A lock a wrapper can use: a Lock or an RLock (any object with acquire/acquireSync/release). */
export type SyncLock = Lock | RLock;

/** Options of `Value` and `Array`. */
export interface SynchronizedOptions {
  /**
   * `true` (default): a new RLock guards the object; a Lock or RLock: that lock guards it (share
   * one lock between several objects); `false`: no wrapper, the raw object is returned.
   */
  lock?: boolean | SyncLock;
}

/** @internal The lock an options object asks for (null for `lock: false`). */
export function resolveLock(opts: SynchronizedOptions | undefined, what: string): SyncLock | null {
  if (opts === undefined) return new RLock();
  if (typeof opts !== 'object' || opts === null) {
    throw new TypeError(
      `${what}: options must be an object such as { lock: false }, got ${describeValue(opts)}`,
    );
  }
  const lock = opts.lock;
  if (lock === undefined || lock === true) return new RLock();
  if (lock === false) return null;
  if (
    typeof lock === 'object' &&
    lock !== null &&
    typeof (lock as SyncLock).acquire === 'function' &&
    typeof (lock as SyncLock).release === 'function'
  ) {
    return lock;
  }
  throw new TypeError(`${what}: lock must be true, false, a Lock or an RLock, got ${describeValue(lock)}`);
}

/** @internal Where a wrapper keeps its lock (read by the shared methods below). */
export const LOCK: unique symbol = Symbol('multiproc.sharedctypes.lock');

/** The lock methods of a synchronized wrapper. */
export interface Guarded {
  /** The lock guarding the object (Python's `get_lock()`). */
  getLock(): SyncLock;
  /** Takes the lock without blocking the thread; see `Lock.acquire`. */
  acquire(opts?: AcquireOptions): Promise<boolean>;
  /** Takes the lock, blocking the thread; see `Lock.acquireSync`. */
  acquireSync(opts?: AcquireOptions): boolean;
  /** Releases the lock. */
  release(): void;
  /** `using _ = v.holdSync();` takes the lock now and releases it at the end of the scope. */
  holdSync(): LockHold;
  /** `using _ = await v.hold();` as {@link Guarded.holdSync}, without blocking the thread. */
  hold(): Promise<LockHold>;
}

type WithLock = { [LOCK]: SyncLock };

const methods: Guarded & ThisType<WithLock> = {
  getLock() {
    return (this as unknown as WithLock)[LOCK];
  },
  acquire(opts) {
    return (this as unknown as WithLock)[LOCK].acquire(opts);
  },
  acquireSync(opts) {
    return (this as unknown as WithLock)[LOCK].acquireSync(opts);
  },
  release() {
    (this as unknown as WithLock)[LOCK].release();
  },
  holdSync() {
    return (this as unknown as WithLock)[LOCK].holdSync();
  },
  hold() {
    return (this as unknown as WithLock)[LOCK].hold();
  },
};

/** @internal Installs the {@link Guarded} methods on a wrapper class whose instances set `[LOCK]`. */
export function addLockMethods(cls: { prototype: object }): void {
  for (const [name, fn] of Object.entries(methods)) {
    Object.defineProperty(cls.prototype, name, { value: fn, writable: true, configurable: true });
  }
}
