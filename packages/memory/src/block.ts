/**
 * Shared blocks: the unit of shared memory. A block is a byte range that every worker of the
 * tree can map; it travels between workers as its id (a short string) and is looked up on
 * arrival. Objects built on a block (locks, values, queues) reduce to `{ block, offset }`
 * and rebuild from it, through the serialization core's reducer for {@link SharedBlock}.
 */
import { existsSync } from 'node:fs';
import { registerReducer } from '@multiproc/serialization';
import { createOsBlockBuffer, mapFileBuffer, openOsBlockBuffer, unlinkOsBlock } from './os-memory.js';
import { markOsExported, namedId, osTree, segmentOf } from './os-tree.js';
import { nextBlockId, nextOsBlock } from './ident.js';
import { type WasmMemory, wasm } from './wasm-atomics.js';
import {
  createNamed,
  exportBlock,
  lookupBuffer,
  openNamed,
  type Shareable,
  releaseExported,
  unlinkNamed,
} from './directory.js';

/** A block of shared memory that Atomics work on, known to every worker by its id. */
export class SharedBlock {
  /** Tree-unique id; what a block travels as. */
  readonly id: string;
  /** The shared memory. */
  readonly buffer: SharedArrayBuffer;
  /** An Int32Array over the whole block, for Atomics. */
  readonly i32: Int32Array;
  /**
   * @internal Set when the block is a shared WebAssembly memory (an arena of arena.ts): what the
   * directory hands out then, since only the memory object lets a thread run WebAssembly on it.
   */
  readonly memory: WasmMemory | undefined;

  /** @internal use {@link allocateBlock} or {@link lookupBlock}. */
  constructor(id: string, memory: Shareable) {
    this.id = id;
    if (memory instanceof wasm.Memory) {
      this.memory = memory;
      // A shared memory's buffer is a SharedArrayBuffer (and never moves: arenas do not grow).
      this.buffer = memory.buffer;
    } else {
      this.memory = undefined;
      this.buffer = memory;
    }
    this.i32 = new Int32Array(this.buffer, 0, this.buffer.byteLength >>> 2);
  }

  /** @internal What the directory keeps and hands out for this block. */
  get shareable(): Shareable {
    return this.memory ?? this.buffer;
  }

  get byteLength(): number {
    return this.buffer.byteLength;
  }
}

const blocks = new Map<string, WeakRef<SharedBlock>>();
const cleanup = new FinalizationRegistry<string>((id) => {
  const ref = blocks.get(id);
  if (ref && ref.deref() === undefined) blocks.delete(id);
});

function remember(block: SharedBlock): SharedBlock {
  blocks.set(block.id, new WeakRef(block));
  cleanup.register(block, block.id);
  return block;
}

/**
 * Allocates a zero-filled shared block of `byteLength` bytes (rounded up to a multiple of 8).
 *
 * @example
 * const block = allocateBlock(64);
 * Atomics.add(block.i32, 0, 1);
 */
export function allocateBlock(byteLength: number): SharedBlock {
  if (!Number.isInteger(byteLength) || byteLength < 0) {
    throw new RangeError(`a shared block size must be a non-negative integer, got ${byteLength}`);
  }
  const size = Math.max(8, Math.ceil(byteLength / 8) * 8);
  const os = nextOsBlock(size);
  if (os) return remember(new SharedBlock(os[0], os[1]));
  const buffer = new SharedArrayBuffer(size);
  const id = nextBlockId();
  return remember(new SharedBlock(id, buffer));
}

/**
 * @internal A block that is a shared WebAssembly.Memory of `pages` 64 KiB pages (fixed size):
 * an arena of arena.ts. Threads only (OS memory mode maps segments instead).
 */
export function allocateMemoryBlock(pages: number): SharedBlock {
  const memory = new wasm.Memory({ initial: pages, maximum: pages, shared: true });
  return remember(new SharedBlock(nextBlockId(), memory));
}

function nameError(e: unknown, name: string): unknown {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'EEXIST')
    return Object.assign(
      new Error(
        `shared memory '${name}' already exists: attach to it with create: false, or pick another name`,
      ),
      { code },
    );
  if (code === 'ENOENT')
    return Object.assign(
      new Error(
        `no shared memory named '${name}' in this tree: create it first (create: true), or check the name`,
      ),
      { code },
    );
  return e;
}

/**
 * Allocates a block and registers it under a tree-wide `name` (Python's `SharedMemory(name,
 * create=True)`). Throws an Error with code `EEXIST` if the name is taken.
 */
export function createNamedBlock(name: string, byteLength: number): SharedBlock {
  const os = osTree();
  if (os) {
    const id = namedId(name);
    let sab: SharedArrayBuffer;
    try {
      sab = createOsBlockBuffer(segmentOf(id), Math.max(8, Math.ceil(byteLength / 8) * 8));
    } catch (e) {
      throw nameError(e, name);
    }
    markOsExported(id);
    return remember(new SharedBlock(id, sab));
  }
  const block = allocateBlock(byteLength);
  createNamed(name, block.id, block.buffer);
  return block;
}

/** The block registered under `name` by any worker of the tree; code `ENOENT` if none. */
export function openNamedBlock(name: string): SharedBlock {
  const os = osTree();
  if (os) {
    const id = namedId(name);
    const cached = blocks.get(id)?.deref();
    // The cache alone would still attach after an unlink (here or in another process): the
    // name must exist now, as in Python. Linux keeps POSIX segments in /dev/shm.
    if (cached && existsSync(`/dev/shm/${segmentOf(id)}`)) return cached;
    try {
      return remember(new SharedBlock(id, openOsBlockBuffer(segmentOf(id))));
    } catch (e) {
      throw nameError(e, name);
    }
  }
  const { id, sab } = openNamed(name);
  const cached = blocks.get(id)?.deref();
  return cached ?? remember(new SharedBlock(id, sab));
}

/** Removes `name` from the tree (holders keep their memory); code `ENOENT` if unknown. */
export function unlinkNamedBlock(name: string): void {
  const os = osTree();
  if (os) {
    try {
      unlinkOsBlock(segmentOf(namedId(name)));
    } catch (e) {
      throw nameError(e, name);
    }
    return;
  }
  unlinkNamed(name);
}

/**
 * Tells the tree that a block will not be sent anywhere again, so the directory can drop it
 * (blocks that were sent to another worker are otherwise kept for the life of the tree). Any
 * worker that holds the block may call it. Workers that already hold it keep their memory; a
 * later lookup of its id fails.
 */
export function releaseBlock(block: SharedBlock): void {
  releaseExported(block.id, block.shareable);
}

/**
 * The block with this id, from this worker's cache or (once) from the tree's directory, which
 * may take up to `timeoutMs` for an export still on its way.
 */
export function lookupBlock(id: string, timeoutMs?: number): SharedBlock {
  const cached = blocks.get(id)?.deref();
  if (cached) return cached;
  return remember(new SharedBlock(id, lookupBuffer(id, timeoutMs)));
}

/**
 * Maps a file shared (MAP_SHARED) in this process as a block with id `file:<absolute path>`:
 * every process (and thread) that maps the same file shares its bytes. `size` creates or
 * extends the file; without it the whole file is mapped. Needs the native addon.
 */
export function mapFileBlock(path: string, size?: number): SharedBlock {
  const sab = mapFileBuffer(path, size);
  const id = `file:${path}`;
  const cached = blocks.get(id)?.deref();
  if (cached && cached.byteLength === sab.byteLength) return cached;
  return remember(new SharedBlock(id, sab));
}

registerReducer(SharedBlock, {
  name: 'multiproc.SharedBlock',
  reduce(block) {
    exportBlock(block.id, block.shareable);
    return block.id;
  },
  rebuild: (id: string) => lookupBlock(id),
});
