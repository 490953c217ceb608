/**
 * The futex mutex every lock of this package stands on (esfx-style, three states), on one
 * Int32 word of a shared block:
 *
 *   0      unlocked
 *   1      locked, nobody waits
 *   2      locked, maybe somebody waits (release must wake one)
 *   5, 6   unlocked, ABANDONED: a robust lock's holder died holding it (1 or 2, plus
 *          {@link ABANDONED_DELTA} added by its parent's exit hook, which then wakes all waiters)
 *
 * Acquire: CAS 0 -> 1 (the uncontended path: no call into the wait layer), else spin a little
 * (a futex round trip costs ~17 us on the target machines), else swap in 2 and sleep while the
 * word is 2. Release: swap in 0 and wake one waiter only if the old state was 2.
 * Anyone who takes the word from an abandoned state takes it as 2 (contended), so a wake-up is
 * never lost.
 */
import { waitAsync, waitSync } from '@multiproc/memory';
import { deadlineOf, remaining } from './options.js';

export const UNLOCKED = 0;
export const LOCKED = 1;
export const CONTENDED = 2;
/** What a robust lock's exit hook adds to the state word when its holder dies. */
export const ABANDONED_DELTA = 4;

/** Iterations of `Atomics.load` spent before sleeping; picked by bench/locks.mjs (see README). */
let spin = 100;

/** @internal For benchmarks: sets the spin count (>= 0). Returns the previous one. */
export function setSpinCount(n: number): number {
  if (!Number.isInteger(n) || n < 0)
    throw new RangeError(`spin count must be a non-negative integer, got ${n}`);
  const old = spin;
  spin = n;
  return old;
}

/** One attempt, never waits. */
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

/** The blocking slow path (after a failed CAS); `timeout` > 0 ms or Infinity. */
export function lockSlowSync(i32: Int32Array, s: number, timeout: number): boolean {
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

/** Is the word in a held state? */
export function isHeld(state: number): boolean {
  return state === LOCKED || state === CONTENDED;
}
