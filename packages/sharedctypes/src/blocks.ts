/**
 * Shared memory for the objects of this package: every Value, Array, RawArray and SharedMemory
 * sits in its own {@link SharedBlock} of @multiproc/memory, and travels as that block (a handle)
 * plus a byte offset and a type descriptor.
 *
 * Views (typed arrays, struct views, CArrays) only know their `SharedArrayBuffer`, so this module
 * keeps the reverse map buffer -> block for every block allocated or received here. The map
 * lives on `globalThis` (like the serialization registry), so an ESM and a CJS copy of this
 * package loaded in one thread still find each other's blocks.
 */
import { allocateBlock, lookupBlock, type SharedBlock } from '@multiproc/memory';

const KEY = Symbol.for('@multiproc/sharedctypes/blocks@1');
const holder = globalThis as unknown as Record<symbol, WeakMap<ArrayBufferLike, SharedBlock> | undefined>;
const byBuffer: WeakMap<ArrayBufferLike, SharedBlock> = holder[KEY] ?? (holder[KEY] = new WeakMap());

/** Remembers `block` so views over its buffer can travel; returns it. */
export function remember(block: SharedBlock): SharedBlock {
  byBuffer.set(block.buffer, block);
  return block;
}

/** A fresh zero-filled shared block of at least `byteLength` bytes (at least 8). */
export function allocate(byteLength: number): SharedBlock {
  return remember(allocateBlock(byteLength));
}

/** The block whose buffer is `buffer`, or undefined if this package did not allocate or receive it. */
export function blockOf(buffer: ArrayBufferLike): SharedBlock | undefined {
  return byBuffer.get(buffer);
}

/** A block received in a travelling state (already rebuilt by memory's reducer). */
export function received(block: SharedBlock | string): SharedBlock {
  return remember(typeof block === 'string' ? lookupBlock(block) : block);
}

/**
 * Where a view lives, for its travelling state: the block and offset when the buffer is a block,
 * or a copy of the bytes when it is a plain ArrayBuffer (it then arrives as a copy, like any
 * non-shared data). A SharedArrayBuffer that multiproc did not allocate cannot travel.
 */
export type Where = { block: SharedBlock; byteOffset: number } | { copy: Uint8Array };

export function whereIs(
  buffer: ArrayBufferLike,
  byteOffset: number,
  byteLength: number,
  what: string,
): Where {
  const block = blockOf(buffer);
  if (block !== undefined) return { block, byteOffset };
  if (buffer instanceof SharedArrayBuffer) {
    throw new TypeError(
      `cannot send ${what} over a SharedArrayBuffer that multiproc did not allocate: the receiver could ` +
        'not map it; create the memory with RawArray, RawValue or SharedMemory, or send a copy',
    );
  }
  return { copy: new Uint8Array(buffer, byteOffset, byteLength).slice() };
}

/** The buffer and offset a {@link Where} designates in the receiving thread. */
export function place(where: Where): { buffer: ArrayBufferLike; byteOffset: number } {
  if ('copy' in where) {
    // A copy of its own, at offset 0: every alignment holds.
    return { buffer: where.copy.slice().buffer, byteOffset: 0 };
  }
  return { buffer: received(where.block).buffer, byteOffset: where.byteOffset };
}
