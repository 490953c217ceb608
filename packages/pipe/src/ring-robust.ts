/**
 * The ring's locks made robust: a worker killed while it holds one (terminated, SIGKILLed)
 * does not leave the ring locked forever. Layout and protocol: ring-buffer.ts.
 *
 * It reuses the mechanism of robust Locks (@multiproc/synchronize's robust.ts): each
 * acquisition in a child worker arms an exit hook (`atExit`) that adds ABANDONED_DELTA to the
 * mutex word if the worker dies holding it, and the next acquirer takes the word as if it were
 * free (mutex.ts of @multiproc/memory). In the root thread the hook is a no-op.
 *
 * The mutex does not tell its next holder that the last one died, so every critical section
 * also sets a busy word on entry and clears it on exit (a terminated worker runs no `finally`):
 * finding it set means "the last holder died in here", and the caller repairs what it may have
 * left half-done before it goes on.
 */
import {
  ABANDONED_DELTA,
  BUSY,
  type SharedBlock,
  atExit,
  lockAsync,
  lockSync,
  tryLockSpin,
  unlock,
} from '@multiproc/memory';

/** A critical section: `repair` runs first (holding the lock) when the last holder died inside. */
export interface Section<T> {
  run(): T;
  repair(): void;
}

function held<T>(block: SharedBlock, s: number, busy: number, sec: Section<T>): T {
  const i32 = block.i32;
  const cancel = atExit(block, s, ABANDONED_DELTA);
  try {
    if (i32[busy] !== 0) sec.repair();
    i32[busy] = 1;
    try {
      return sec.run();
    } finally {
      i32[busy] = 0;
    }
  } finally {
    // Disarm before unlocking: dying in between leaves the lock held (as before this file
    // existed), never two holders (a hook firing on a lock somebody else took meanwhile).
    cancel();
    unlock(i32, s);
  }
}

/** Runs `sec` holding the lock at word `s`, blocking the thread to take it. */
export function withRobustLock<T>(block: SharedBlock, s: number, busy: number, sec: Section<T>): T {
  lockSync(block.i32, s);
  return held(block, s, busy, sec);
}

/** {@link withRobustLock} if the lock is free now or within a short spin, else BUSY. */
export function withRobustLockIfFree<T>(
  block: SharedBlock,
  s: number,
  busy: number,
  sec: Section<T>,
): T | typeof BUSY {
  if (!tryLockSpin(block.i32, s)) return BUSY;
  return held(block, s, busy, sec);
}

/** {@link withRobustLock} taking the lock without blocking the event loop. */
export async function withRobustLockAsync<T>(
  block: SharedBlock,
  s: number,
  busy: number,
  sec: Section<T>,
): Promise<T> {
  const r = withRobustLockIfFree(block, s, busy, sec);
  if (r !== BUSY) return r;
  await lockAsync(block.i32, s);
  return held(block, s, busy, sec);
}

/** Runs `sec` if the lock is free now or within a short spin (never waits); false if not. */
export function tryRobustLock(block: SharedBlock, s: number, busy: number, sec: Section<void>): boolean {
  if (!tryLockSpin(block.i32, s)) return false;
  held(block, s, busy, sec);
  return true;
}
