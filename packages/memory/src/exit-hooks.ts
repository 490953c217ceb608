/**
 * Exit hooks: words in shared memory that must change when a worker is gone.
 *
 * A reader blocked on a pipe must learn that the last writer died, even if the writer was
 * killed and ran no code of its own. So a worker records, in an exit list that its parent also
 * maps, "when I am gone, add `delta` to word `index` of block `id` and wake its waiters". The
 * parent, which sees every exit of its child (normal, crash, terminate), applies the list.
 * A worker that closes the resource itself cancels its hook first.
 *
 * A lock taken and released on every message cannot afford to write a whole entry each time,
 * so {@link exitSlot} reserves an entry once per (block, word, delta) per worker, and the lock
 * then only flips the entry's state word between armed and reserved with a plain store: no
 * allocation, no lookup. The parent applies armed entries only.
 *
 * Exit list layout (Int32 words; ENTRY_WORDS per entry, MAX_ENTRIES entries):
 *   entry + 0  state: 0 free, 1 armed, 2 reserved by a slot, not armed (a slot's first arming
 *              comes after the rest of the entry is written, so a half-written entry is
 *              never applied)
 *   entry + 1  word index in the target block
 *   entry + 2  delta to add
 *   entry + 3  byte length of the block id
 *   entry + 4..7  the block id, ASCII (at most 16 bytes)
 * Only the owning worker writes; the parent reads once the worker has exited. A spawned child's
 * list is an OS shared-memory segment (see directory.ts, spawnChildBootstrap).
 */
import { lookupBlock, type SharedBlock } from './block.js';
import { exportBlock } from './directory.js';
import { wake } from './wait.js';

const ENTRY_WORDS = 8;
const HOOK_LOOKUP_MS = 2_000;
const MAX_ENTRIES = 4096;
const FREE = 0;
const ARMED = 1;
const RESERVED = 2;
const ID_BYTES = 16;

let ownList: Int32Array | undefined;

/** @internal A fresh exit list for a child worker. */
export function newExitList(): SharedArrayBuffer {
  return new SharedArrayBuffer(ENTRY_WORDS * MAX_ENTRIES * 4);
}

/** @internal Installs the exit list this worker's parent will apply when it is gone. */
export function setOwnExitList(buffer: SharedArrayBuffer): void {
  ownList = new Int32Array(buffer);
}

/**
 * When this worker exits, however it exits, adds `delta` to `block.i32[index]` and wakes its
 * waiters. Returns a function that cancels the hook (call it when releasing the resource by
 * hand). In the root thread there is no parent to outlive it, so the hook does nothing.
 */
export function atExit(block: SharedBlock, index: number, delta: number): () => void {
  const list = ownList;
  if (!list) return () => {};
  const e = reserve(list, block, index, delta, ARMED);
  return () => {
    Atomics.store(list, e, FREE);
  };
}

/**
 * A re-armable exit hook: {@link atExit}'s "add `delta` to `block.i32[index]`", but reserved
 * once and then armed and disarmed as often as needed for the price of a store each (for a
 * robust lock taken on every message). One slot per (block, word, delta) per worker: asking
 * again returns the same slot, so arm it for one holding at a time (a lock's holder is one).
 * The entry is freed once `block` is garbage in this worker. In the root thread it does
 * nothing.
 */
export interface ExitSlot {
  /** From now until {@link disarm}: if this worker exits, the hook is applied. */
  arm(): void;
  disarm(): void;
}

class Slot implements ExitSlot {
  constructor(
    private readonly list: Int32Array,
    private readonly at: number,
    // Held so that the entry is not freed (block garbage) while somebody may still arm it.
    readonly block: SharedBlock | undefined,
  ) {}
  arm(): void {
    // Plain stores: the parent reads the list only once this worker is gone. A store after
    // taking a lock (an Atomics read-modify-write) cannot move before it, nor one before
    // releasing it (an Atomics store) after it.
    this.list[this.at] = ARMED;
  }
  disarm(): void {
    this.list[this.at] = RESERVED;
  }
}

/** The root thread's slots: a word nobody reads (same class, so arm() stays monomorphic). */
const noSlot = new Slot(new Int32Array(1), 0, undefined);
/** This worker's slots of a block, by `${index}:${delta}`, and their entries. */
interface BlockSlots {
  byKey: Map<string, Slot>;
  entries: number[];
}
const slots = new WeakMap<SharedBlock, BlockSlots>();
const freeOnGc = new FinalizationRegistry<number[]>((entries) => {
  const list = ownList;
  if (list) for (const e of entries) Atomics.store(list, e, FREE);
});

/** The {@link ExitSlot} of (block, index, delta) in this worker, reserved on first use. */
export function exitSlot(block: SharedBlock, index: number, delta: number): ExitSlot {
  const list = ownList;
  if (!list) return noSlot;
  let mine = slots.get(block);
  if (!mine) {
    mine = { byKey: new Map(), entries: [] };
    slots.set(block, mine);
    freeOnGc.register(block, mine.entries);
  }
  const key = `${index}:${delta}`;
  let slot = mine.byKey.get(key);
  if (!slot) {
    const e = reserve(list, block, index, delta, RESERVED);
    mine.entries.push(e);
    slot = new Slot(list, e, block);
    mine.byKey.set(key, slot);
  }
  return slot;
}

/** Writes a free entry of `list` for (block, index, delta) and stores `state` in it last. */
function reserve(list: Int32Array, block: SharedBlock, index: number, delta: number, state: number): number {
  const id = block.id;
  if (id.length > ID_BYTES) throw new RangeError(`block id ${id} is too long for an exit hook`);
  // The parent finds the block by id once we are gone: make sure the directory has it.
  exportBlock(id, block.shareable);
  for (let e = 0; e < MAX_ENTRIES * ENTRY_WORDS; e += ENTRY_WORDS) {
    if (list[e] !== FREE) continue;
    list[e + 1] = index;
    list[e + 2] = delta;
    list[e + 3] = id.length;
    const bytes = new Uint8Array(list.buffer, (e + 4) * 4, ID_BYTES);
    for (let i = 0; i < id.length; i++) bytes[i] = id.charCodeAt(i);
    Atomics.store(list, e, state);
    return e;
  }
  throw new RangeError(
    `a worker may hold at most ${MAX_ENTRIES} pipe ends, queue handles and ring locks' exit hooks at once`,
  );
}

// On globalThis: an ESM and a CJS copy of this package in one thread share the listeners.
const AFTER = Symbol.for('@multiproc/memory:afterExitHooks@1');
const afterHooks: Array<() => void> = ((globalThis as Record<symbol, unknown>)[AFTER] ??= []) as Array<
  () => void
>;

/**
 * Runs `listener` in this worker each time it has applied a dead child's exit hooks: the moment
 * a resource whose last holder was that child has no holder left (a ring to release, say).
 */
export function afterExitHooks(listener: () => void): void {
  afterHooks.push(listener);
}

/** @internal Applies a dead child's exit list (called once by its parent). */
export function applyExitList(buffer: SharedArrayBuffer): void {
  applyEntries(buffer);
  for (const listener of afterHooks) {
    try {
      listener();
    } catch {
      // A listener's failure must not stop the others, nor the exit handling that called us.
    }
  }
}

function applyEntries(buffer: SharedArrayBuffer): void {
  const list = new Int32Array(buffer);
  for (let e = 0; e < MAX_ENTRIES * ENTRY_WORDS; e += ENTRY_WORDS) {
    if (Atomics.exchange(list, e, FREE) !== ARMED) continue;
    const bytes = new Uint8Array(buffer, (e + 4) * 4, list[e + 3]);
    let block: SharedBlock;
    try {
      // Bounded: the export atExit() sent is at most in flight; a released block fails at once.
      block = lookupBlock(String.fromCharCode(...bytes), HOOK_LOOKUP_MS);
    } catch {
      continue; // the resource is gone already: nothing waits on it
    }
    Atomics.add(block.i32, list[e + 1], list[e + 2]);
    wake(block.i32, list[e + 1]);
  }
}
