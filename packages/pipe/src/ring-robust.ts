/**
 * The ring's locks made robust: a worker killed while it holds one (terminated, SIGKILLed)
 * does not leave the ring locked forever. Layout and protocol: ring-buffer.ts.
 *
 * It reuses the mechanism of robust Locks (@multiproc/synchronize's robust.ts): each
 * acquisition in a child worker arms an exit hook that adds ABANDONED_DELTA to the mutex word
 * if the worker dies holding it, and the next acquirer takes the word as if it were free
 * (mutex.ts of @multiproc/memory). The hook is an `exitSlot` (exit-hooks.ts of
 * @multiproc/memory), reserved once per lock per worker: arming and disarming it is a store
 * each, so a lock taken on every message can afford it. In the root thread it is a no-op.
 *
 * The mutex does not tell its next holder that the last one died, so every critical section
 * also sets a busy word on entry and clears it on exit (a terminated worker runs no `finally`):
 * finding it set means "the last holder died in here", and the caller repairs what it may have
 * left half-done before it goes on.
 */
import {
  ABANDONED_DELTA,
  BUSY,
  type ExitSlot,
  type SharedBlock,
  exitSlot,
  lockAsync,
  lockSync,
  tryLockSpin,
  unlock,
} from '@multiproc/memory';

/**
 * A critical section: `repair` runs first (holding the lock) when the last holder died inside.
 * Both get the argument of the call, so that one section object serves every call.
 */
export interface Section<A, T> {
  run(arg: A): T;
  repair(arg: A): void;
}

/** One handle's view of a robust lock: the mutex at word `s` of `block`, busy word `busy`. */
export class RobustLock {
  private slot: ExitSlot | undefined;

  constructor(
    readonly block: SharedBlock,
    readonly s: number,
    readonly busy: number,
  ) {}

  /** This worker's exit hook of the lock (reserved on first use, before taking the lock). */
  private hook(): ExitSlot {
    if (!this.slot) this.slot = exitSlot(this.block, this.s, ABANDONED_DELTA);
    return this.slot;
  }

  private held<A, T>(hook: ExitSlot, sec: Section<A, T>, arg: A): T {
    const i32 = this.block.i32;
    const busy = this.busy;
    hook.arm();
    try {
      if (i32[busy] !== 0) sec.repair(arg);
      i32[busy] = 1;
      try {
        return sec.run(arg);
      } finally {
        i32[busy] = 0;
      }
    } finally {
      // Disarm before unlocking: dying in between leaves the lock held (as before this file
      // existed), never two holders (a hook firing on a lock somebody else took meanwhile).
      hook.disarm();
      unlock(i32, this.s);
    }
  }

  /** Runs `sec` holding the lock, blocking the thread to take it. */
  run<A, T>(sec: Section<A, T>, arg: A): T {
    const hook = this.hook();
    lockSync(this.block.i32, this.s);
    return this.held(hook, sec, arg);
  }

  /** {@link run} if the lock is free now or within a short spin, else BUSY. */
  runIfFree<A, T>(sec: Section<A, T>, arg: A): T | typeof BUSY {
    const hook = this.hook();
    if (!tryLockSpin(this.block.i32, this.s)) return BUSY;
    return this.held(hook, sec, arg);
  }

  /** {@link run} taking the lock without blocking the event loop. */
  async runAsync<A, T>(sec: Section<A, T>, arg: A): Promise<T> {
    const r = this.runIfFree(sec, arg);
    if (r !== BUSY) return r;
    await lockAsync(this.block.i32, this.s);
    return this.held(this.hook(), sec, arg);
  }

  /** Runs `sec` if the lock is free now or within a short spin (never waits); false if not. */
  tryRun<A>(sec: Section<A, void>, arg: A): boolean {
    const hook = this.hook();
    if (!tryLockSpin(this.block.i32, this.s)) return false;
    this.held(hook, sec, arg);
    return true;
  }
}
