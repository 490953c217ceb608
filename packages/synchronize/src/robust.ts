/**
 * Robust locks (`new Lock({ robust: true })`, the same for RLock): their options, the flag bit
 * they keep in their flags word, and the exit hooks that free them when a holder dies.
 *
 * Each acquisition in a child worker arms an exit hook (`atExit` of @multiproc/memory) that adds
 * ABANDONED_DELTA to the mutex word if the worker dies holding the lock; the next acquirer then
 * takes it as if it were free (see the word's states in @multiproc/memory's mutex.ts). Releasing
 * disarms the hook.
 */
import {
  ABANDONED_DELTA,
  type SharedBlock,
  type Slot,
  allocateSlot,
  atExit,
  keepSlot,
  lockOpsOf,
} from '@multiproc/memory';

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

/**
 * The slot of a new Lock or RLock (`words` words, its flags at word `flagsWord`), flagged robust
 * if `opts` asks for it. A robust lock's slot is never reused: an exit hook may outlive the object.
 */
export function allocateLock(
  owner: object,
  opts: LockOptions | undefined,
  words: number,
  flagsWord: number,
  what: string,
): Slot {
  const robust = parseLockOptions(opts, what);
  const slot = allocateSlot(owner, words * 4);
  slot.block.i32[slot.offset + flagsWord] = robust ? ROBUST : 0;
  if (robust) keepSlot(slot.block, slot.offset);
  return slot;
}

/**
 * What a Lock or RLock object holds over its words at `offset` of `block` (flags at `flagsWord`):
 * the WebAssembly fast paths `acquire`/`release` picks when the memory has them and the lock is
 * not robust (robust locks arm exit hooks, in JavaScript), with the state word's byte address.
 */
export function lockFields<A, R>(
  block: SharedBlock,
  offset: number,
  flagsWord: number,
  pick: (ops: NonNullable<ReturnType<typeof lockOpsOf>>) => [A, R],
) {
  const robust = (block.i32[offset + flagsWord] & ROBUST) !== 0;
  const ops = robust ? undefined : lockOpsOf(block);
  const [wacq, wrel] = ops ? pick(ops) : [undefined, undefined];
  return {
    _block: block,
    _off: offset,
    _i32: block.i32,
    _robust: robust,
    _me: 0,
    _wacq: wacq,
    _wrel: wrel,
    _addr: offset * 4,
  };
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
