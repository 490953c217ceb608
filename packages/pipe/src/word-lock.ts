/**
 * A tiny 3-state futex mutex on one word of a ring's block (0 free, 1 held, 2 held with
 * sleepers), after esfx's mutex: an uncontended acquire/release is one CAS/exchange and no
 * wake-up call.
 *
 * Why not `@multiproc/synchronize`'s Lock: the ring's two locks sit on its hot path (a million
 * messages a second means ~1 us per message for everything), must live inside the ring's own
 * block so that one handle carries the whole ring, and their critical sections never await.
 * Everything else in this package uses the public primitives.
 */
import { waitAsync, waitSync, wake } from '@multiproc/memory';

const FREE = 0;
const HELD = 1;
const CONTENDED = 2;
const SPINS = 64;

/** Takes the lock if it is free; never blocks. */
export function tryLock(i32: Int32Array, index: number): boolean {
  return Atomics.compareExchange(i32, index, FREE, HELD) === FREE;
}

function spin(i32: Int32Array, index: number): boolean {
  for (let i = 0; i < SPINS; i++) {
    if (Atomics.load(i32, index) === FREE && tryLock(i32, index)) return true;
  }
  return false;
}

/** Takes the lock if it is free or frees up within a short spin; never sleeps. */
export function tryLockSpin(i32: Int32Array, index: number): boolean {
  return tryLock(i32, index) || spin(i32, index);
}

/** Blocks the calling thread until the lock is taken. Critical sections are short. */
export function lockSync(i32: Int32Array, index: number): void {
  if (tryLock(i32, index) || spin(i32, index)) return;
  while (Atomics.exchange(i32, index, CONTENDED) !== FREE) waitSync(i32, index, CONTENDED);
}

/** Takes the lock without blocking the event loop. */
export async function lockAsync(i32: Int32Array, index: number): Promise<void> {
  if (tryLock(i32, index) || spin(i32, index)) return;
  while (Atomics.exchange(i32, index, CONTENDED) !== FREE) await waitAsync(i32, index, CONTENDED);
}

/** Releases the lock; wakes one sleeper only if somebody is sleeping. */
export function unlock(i32: Int32Array, index: number): void {
  if (Atomics.exchange(i32, index, FREE) === CONTENDED) wake(i32, index, 1);
}

/** What {@link withLockIfFree} returns when the lock is busy (the caller then awaits). */
export const BUSY: unique symbol = Symbol('BUSY');

/** Runs `f` holding the lock (blocking the thread to take it). */
export function withLock<T>(i32: Int32Array, index: number, f: () => T): T {
  lockSync(i32, index);
  try {
    return f();
  } finally {
    unlock(i32, index);
  }
}

/** Runs `f` holding the lock if it is free now or within a short spin, else returns BUSY. */
export function withLockIfFree<T>(i32: Int32Array, index: number, f: () => T): T | typeof BUSY {
  if (!tryLockSpin(i32, index)) return BUSY;
  try {
    return f();
  } finally {
    unlock(i32, index);
  }
}

/** Runs `f` holding the lock, taken without blocking the event loop. */
export async function withLockAsync<T>(i32: Int32Array, index: number, f: () => T): Promise<T> {
  const r = withLockIfFree(i32, index, f);
  if (r !== BUSY) return r;
  await lockAsync(i32, index);
  try {
    return f();
  } finally {
    unlock(i32, index);
  }
}
