/**
 * Arenas: the small shared allocations (the words of a Lock, RLock, Semaphore, Event, Condition,
 * Barrier) carved out of one shared block per thousand of them, instead of a block each.
 *
 * Why: a block is a SharedArrayBuffer (threads), or after 'spawn' is chosen an OS segment (a
 * file in /dev/shm, a page and an mmap per Lock); and only memory that is a shared
 * WebAssembly.Memory can run the WebAssembly lock paths of wasm-atomics.ts.
 *
 * Layout: an arena is one block of {@link ARENA_BYTES} (64 KiB) cut into slots of
 * {@link SLOT_BYTES} (64: a cache line each, so that two busy locks never share a line). Between
 * threads the block is a shared WebAssembly.Memory (a plain block where the process cannot
 * reserve one); in OS memory mode it is an OS block.
 *
 * Lifetime: each thread allocates from its own arenas (no cross-thread bookkeeping). A slot is
 * reused (zeroed) once the object it was allocated for is garbage in the allocating thread,
 * unless it was kept with {@link keepSlot}: objects call that when they are sent somewhere, and
 * a kept slot then lives as long as its arena (the tree), as an exported block does. Arenas
 * are never freed: a thread holds at most as many as its peak of live objects needs.
 */
import { type SharedBlock, allocateBlock, allocateMemoryBlock } from './block.js';
import { osTree } from './os-tree.js';
import { ARENA_PAGES, type WasmLockOps, wasmLockOps } from './wasm-atomics.js';

export const ARENA_BYTES = ARENA_PAGES * 65536;
export const SLOT_BYTES = 64;
const SLOT_WORDS = SLOT_BYTES / 4;
const SLOTS = ARENA_BYTES / SLOT_BYTES;

/** A place in shared memory: `block.i32[offset]` is its first word. */
export interface Slot {
  readonly block: SharedBlock;
  /** Int32 word index of the slot in its block. */
  readonly offset: number;
}

class Arena {
  /** Slots never handed out yet start here. */
  fresh = 0;
  /** Slots handed out and given back (their owners were collected). */
  readonly free: number[] = [];
  /** 1 for each slot that must never be reused. */
  readonly kept = new Uint8Array(SLOTS);

  constructor(
    readonly block: SharedBlock,
    readonly os: boolean,
  ) {}

  take(): number | undefined {
    const reused = this.free.pop();
    if (reused !== undefined) {
      this.block.i32.fill(0, reused * SLOT_WORDS, (reused + 1) * SLOT_WORDS);
      return reused;
    }
    return this.fresh < SLOTS ? this.fresh++ : undefined;
  }
}

/** This thread's arenas, newest last; by block for {@link keepSlot}. */
const arenas: Arena[] = [];
const byBlock = new Map<SharedBlock, Arena>();
const reclaim = new FinalizationRegistry<[Arena, number]>(([arena, slot]) => {
  if (arena.kept[slot] === 0) arena.free.push(slot);
});

function newArena(os: boolean): Arena {
  const block = os ? allocateBlock(ARENA_BYTES) : (memoryBlock() ?? allocateBlock(ARENA_BYTES));
  const arena = new Arena(block, os);
  arenas.push(arena);
  byBlock.set(block, arena);
  return arena;
}

/**
 * A shared WebAssembly memory, or undefined where the process may not reserve one: V8 reserves
 * ~10 GiB of address space per memory (guard regions), which fails under a limit such as
 * `ulimit -v 4000000`. Then arenas are plain blocks and locks keep to `Atomics`.
 */
function memoryBlock(): SharedBlock | undefined {
  if (!memoryUsable) return undefined;
  try {
    return allocateMemoryBlock(ARENA_PAGES);
  } catch {
    memoryUsable = false;
    return undefined;
  }
}
let memoryUsable = true;

/**
 * A zeroed slot of at most {@link SLOT_BYTES} for `owner`, in an arena of this thread (of OS
 * memory once the 'spawn' start method is chosen, so that it reaches child processes).
 * Larger requests get a block of their own (offset 0).
 *
 * @example
 * const { block, offset } = allocateSlot(this, 16);
 * Atomics.store(block.i32, offset, 1);
 */
export function allocateSlot(owner: object, byteLength: number): Slot {
  if (!Number.isInteger(byteLength) || byteLength < 0) {
    throw new RangeError(`a shared slot size must be a non-negative integer, got ${byteLength}`);
  }
  if (byteLength > SLOT_BYTES) return { block: allocateBlock(byteLength), offset: 0 };
  const os = osTree() !== undefined;
  for (let i = arenas.length - 1; i >= 0; i--) {
    const arena = arenas[i]!;
    if (arena.os !== os) continue;
    const slot = arena.take();
    if (slot !== undefined) return handOut(owner, arena, slot);
  }
  const arena = newArena(os);
  return handOut(owner, arena, arena.take()!);
}

function handOut(owner: object, arena: Arena, slot: number): Slot {
  reclaim.register(owner, [arena, slot]);
  return { block: arena.block, offset: slot * SLOT_WORDS };
}

/**
 * Marks the slot at `offset` of `block` as reachable by other workers: it is never reused. A
 * no-op for memory that is not a slot of this thread's arenas.
 */
export function keepSlot(block: SharedBlock, offset: number): void {
  const arena = byBlock.get(block);
  if (arena) arena.kept[Math.floor(offset / SLOT_WORDS)] = 1;
}

/** This thread's WebAssembly lock paths over `block`, if it is an arena of a shared memory. */
export function lockOpsOf(block: SharedBlock): WasmLockOps | undefined {
  return block.memory ? wasmLockOps(block.memory) : undefined;
}
