/**
 * Shared blocks: the unit of shared memory. A block is a byte range that every worker of the
 * tree can map; it travels between workers as its id (a short string) and is looked up on
 * arrival. Objects built on a block (locks, values, queues) reduce to `{ block, offset }`
 * and rebuild from it, through the serialization core's reducer for {@link SharedBlock}.
 */
import { registerReducer } from '@multiproc/serialization';
import {
  createNamed,
  exportBlock,
  lookupBuffer,
  nextBlockId,
  openNamed,
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

  /** @internal use {@link allocateBlock} or {@link lookupBlock}. */
  constructor(id: string, buffer: SharedArrayBuffer) {
    this.id = id;
    this.buffer = buffer;
    this.i32 = new Int32Array(buffer, 0, buffer.byteLength >>> 2);
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
  const buffer = new SharedArrayBuffer(Math.max(8, Math.ceil(byteLength / 8) * 8));
  const id = nextBlockId();
  return remember(new SharedBlock(id, buffer));
}

/**
 * Allocates a block and registers it under a tree-wide `name` (Python's `SharedMemory(name,
 * create=True)`). Throws an Error with code `EEXIST` if the name is taken.
 */
export function createNamedBlock(name: string, byteLength: number): SharedBlock {
  const block = allocateBlock(byteLength);
  createNamed(name, block.id, block.buffer);
  return block;
}

/** The block registered under `name` by any worker of the tree; code `ENOENT` if none. */
export function openNamedBlock(name: string): SharedBlock {
  const { id, sab } = openNamed(name);
  const cached = blocks.get(id)?.deref();
  return cached ?? remember(new SharedBlock(id, sab));
}

/** Removes `name` from the tree (holders keep their memory); code `ENOENT` if unknown. */
export function unlinkNamedBlock(name: string): void {
  unlinkNamed(name);
}

/**
 * Tells the tree that a block will not be sent anywhere again, so the directory can drop it
 * (blocks that were sent to another worker are otherwise kept for the life of the tree). Workers
 * that already hold it keep their memory; a later lookup of its id fails.
 */
export function releaseBlock(block: SharedBlock): void {
  releaseExported(block.id, block.buffer);
}

/** The block with this id, from this worker's cache or (once) from the tree's directory. */
export function lookupBlock(id: string): SharedBlock {
  const cached = blocks.get(id)?.deref();
  if (cached) return cached;
  return remember(new SharedBlock(id, lookupBuffer(id)));
}

registerReducer(SharedBlock, {
  name: 'multiproc.SharedBlock',
  reduce(block) {
    exportBlock(block.id, block.buffer);
    return block.id;
  },
  rebuild: (id: string) => lookupBlock(id),
});
