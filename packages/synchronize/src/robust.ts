/**
 * Robust locks (`new Lock({ robust: true })`, the same for RLock): their options, the flag bit
 * they keep in their flags word, and the exit hooks that free them when a holder dies.
 *
 * Each acquisition in a child worker arms an exit hook (`atExit` of @multiproc/memory) that adds
 * ABANDONED_DELTA to the mutex word if the worker dies holding the lock; the next acquirer then
 * takes it as if it were free (see the word's states in @multiproc/memory's mutex.ts). Releasing
 * disarms the hook.
 */
import { ABANDONED_DELTA, type SharedBlock, atExit } from '@multiproc/memory';

/** Options of `new Lock()` / `new RLock()`. */
export interface LockOptions {
  /**
   * Make the lock recoverable: if a worker dies holding it, the lock is freed (like a robust
   * POSIX mutex) instead of staying locked forever. Costs an exit-hook registration per
   * acquisition in child workers; only the holder may release a robust lock. Default `false`.
   */
  robust?: boolean;
}

/** Bit of a lock's flags word: the lock is robust. */
export const ROBUST = 1;

/** Parses `{ robust? }` (an object, or nothing); returns whether the lock is robust. */
export function parseLockOptions(opts: LockOptions | undefined, what: string): boolean {
  if (opts === undefined || opts === null) return false;
  if (typeof opts !== 'object')
    throw new TypeError(`${what}: expected an options object { robust? }, got ${typeof opts}`);
  return Boolean(opts.robust);
}

/** Per thread: the cancel function of each armed robust-lock exit hook, by block id and offset. */
const hooks = new Map<string, () => void>();

function hookKey(block: SharedBlock, s: number): string {
  return `${block.id}|${s}`;
}

/** Arms the exit hook of a robust lock this worker just took (mutex word at `s`). */
export function arm(block: SharedBlock, s: number): void {
  hooks.set(hookKey(block, s), atExit(block, s, ABANDONED_DELTA));
}

/** Cancels the exit hook of a robust lock this worker is releasing. */
export function disarm(block: SharedBlock, s: number): void {
  const key = hookKey(block, s);
  const cancel = hooks.get(key);
  if (cancel) {
    hooks.delete(key);
    cancel();
  }
}
