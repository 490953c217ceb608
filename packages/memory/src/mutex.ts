/**
 * The futex mutex every lock of multiproc stands on (Drepper's / esfx's three-state mutex), on
 * one Int32 word of a shared block. The word's states:
 *
 *   0      UNLOCKED
 *   1      LOCKED: held, nobody waits
 *   2      CONTENDED: held, maybe somebody waits (unlock must wake one)
 *   5, 6   unlocked, ABANDONED: a robust lock's holder died holding it (1 or 2, plus
 *          {@link ABANDONED_DELTA} added by its parent's exit hook, which then wakes all waiters)
 *
 * Acquire, fast (what `Lock`/`RLock.acquireSync()` inline): swap in 1, one `Atomics.exchange`
 * and no call into the wait layer. Old 0 or abandoned: taken. Old 1: nothing changed; take the
 * slow path. Old 2: the swap erased the contended mark of a held lock, so the caller owes it
 * back and takes the slow path with `owed`, which swaps 2 in before anything else. Until then a
 * release may wake nobody, but no sleeper is stranded: the owing caller then either takes the
 * lock as 2 (its own release wakes) or leaves a 2 that the holder's release sees.
 * Acquire, careful ({@link tryLock}: never waits, so it could not pay such a debt): CAS 0 -> 1.
 * Slow path: spin a little (a futex round trip costs ~17 us on the target machines), else swap
 * in 2 and sleep while the word is 2. Release ({@link unlock}): swap in 0 and wake one waiter
 * only if the old state was 2; an old 0 means it was not held.
 * Anyone who takes the word from an abandoned state in the slow path takes it as 2, and the
 * exit hook woke every sleeper, so a wake-up is never lost. A word nobody arms an exit hook on
 * never becomes abandoned (the message ring's locks): for it these are the plain three states.
 *
 * Why swaps: on V8 11 (Node 20) every `Atomics` call is a call into a builtin (~4 ns) around the
 * locked instruction (~5-7 ns here), and a swap is ~1 ns cheaper than a CAS. (Lock and RLock
 * take their fast swaps in WebAssembly where the word lives in an arena: wasm-atomics.ts.) An uncontended
 * acquire + release is two locked RMWs; it cannot be fewer: a release must learn atomically
 * whether somebody sleeps (a plain store would lose wake-ups), and an acquire must be an RMW.
 */
import { deadlineOf, remaining } from './timeout.js';
import { waitAsync, waitSync, wake } from './wait.js';

export const UNLOCKED = 0;
export const LOCKED = 1;
export const CONTENDED = 2;
/** What a robust lock's exit hook adds to the state word when its holder dies. */
export const ABANDONED_DELTA = 4;

/** Iterations of `Atomics.load` spent before sleeping (synchronize's README: spin sweep). */
let spin = 100;

/** @internal For benchmarks: sets the spin count (>= 0). Returns the previous one. */
export function setSpinCount(n: number): number {
  if (!Number.isInteger(n) || n < 0)
    throw new RangeError(`spin count must be a non-negative integer, got ${n}`);
  const old = spin;
  spin = n;
  return old;
}

/** Is the word in a held state? */
export function isHeld(state: number): boolean {
  return state === LOCKED || state === CONTENDED;
}

/** One attempt, never waits (and never erases the contended mark). */
export function tryLock(i32: Int32Array, s: number): boolean {
  const c = Atomics.compareExchange(i32, s, UNLOCKED, LOCKED);
  if (c === UNLOCKED) return true;
  return c >= ABANDONED_DELTA && Atomics.compareExchange(i32, s, c, CONTENDED) === c;
}

function spinFor(i32: Int32Array, s: number): boolean {
  for (let i = spin; i > 0; i--) {
    const c = Atomics.load(i32, s);
    if (c === UNLOCKED) {
      if (Atomics.compareExchange(i32, s, UNLOCKED, LOCKED) === UNLOCKED) return true;
    } else if (c >= ABANDONED_DELTA) {
      if (Atomics.compareExchange(i32, s, c, CONTENDED) === c) return true;
    }
  }
  return false;
}

/** Takes the lock if it is free now or frees up within a short spin; never sleeps. */
export function tryLockSpin(i32: Int32Array, s: number): boolean {
  return tryLock(i32, s) || spinFor(i32, s);
}

/**
 * The blocking slow path (after a failed {@link tryLock} or fast swap); `timeout` > 0 ms
 * or Infinity. `owed`: a failed fast swap found CONTENDED (see the states above).
 */
export function lockSlowSync(i32: Int32Array, s: number, timeout: number, owed = false): boolean {
  if (owed) {
    const c = Atomics.exchange(i32, s, CONTENDED);
    if (c === UNLOCKED || c >= ABANDONED_DELTA) return true;
  }
  if (spinFor(i32, s)) return true;
  const deadline = deadlineOf(timeout);
  for (;;) {
    const c = Atomics.exchange(i32, s, CONTENDED);
    if (c === UNLOCKED || c >= ABANDONED_DELTA) return true;
    const left = remaining(deadline);
    if (left === 0) return false;
    waitSync(i32, s, CONTENDED, left);
  }
}

/** The async slow path: never blocks the thread while waiting; rejects with signal.reason on abort. */
export async function lockSlowAsync(
  i32: Int32Array,
  s: number,
  timeout: number,
  signal: AbortSignal | undefined,
): Promise<boolean> {
  if (spinFor(i32, s)) return true;
  const deadline = deadlineOf(timeout);
  for (;;) {
    const c = Atomics.exchange(i32, s, CONTENDED);
    if (c === UNLOCKED || c >= ABANDONED_DELTA) return true;
    const left = remaining(deadline);
    if (left === 0) return false;
    await waitAsync(i32, s, CONTENDED, left, signal);
  }
}

/** Takes the lock, blocking the thread as long as it takes (for short critical sections). */
export function lockSync(i32: Int32Array, s: number): void {
  if (!tryLock(i32, s)) lockSlowSync(i32, s, Number.POSITIVE_INFINITY);
}

/** Takes the lock without blocking the event loop, as long as it takes. */
export async function lockAsync(i32: Int32Array, s: number): Promise<void> {
  if (!tryLock(i32, s)) await lockSlowAsync(i32, s, Number.POSITIVE_INFINITY, undefined);
}

/** Releases the lock (whoever holds it); wakes one sleeper only if somebody may be sleeping. */
export function unlock(i32: Int32Array, s: number): void {
  if (Atomics.exchange(i32, s, UNLOCKED) === CONTENDED) wake(i32, s, 1);
}

/** What {@link withLockIfFree} returns when the lock is busy (the caller then awaits). */
export const BUSY: unique symbol = Symbol('BUSY');

/** Runs `f` holding the lock (blocking the thread to take it). */
export function withLock<T>(i32: Int32Array, s: number, f: () => T): T {
  lockSync(i32, s);
  try {
    return f();
  } finally {
    unlock(i32, s);
  }
}

/** Runs `f` holding the lock if it is free now or within a short spin, else returns BUSY. */
export function withLockIfFree<T>(i32: Int32Array, s: number, f: () => T): T | typeof BUSY {
  if (!tryLockSpin(i32, s)) return BUSY;
  try {
    return f();
  } finally {
    unlock(i32, s);
  }
}

/** Runs `f` holding the lock, taken without blocking the event loop. */
export async function withLockAsync<T>(i32: Int32Array, s: number, f: () => T): Promise<T> {
  const r = withLockIfFree(i32, s, f);
  if (r !== BUSY) return r;
  await lockAsync(i32, s);
  try {
    return f();
  } finally {
    unlock(i32, s);
  }
}
