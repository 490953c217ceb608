/**
 * `SharedMemory`: named shared memory (Python's `multiprocessing.shared_memory.SharedMemory`),
 * and memory-mapped files (`{ path }`, see mapped-file.ts).
 *
 * A named segment is a shared block registered tree-wide under its name (createNamedBlock), so
 * any worker of the tree attaches to it by name. Block layout: the data at byte 0 (`size`
 * bytes, padded to 8), then a 16-byte trailer recording `size` (see mapped-file.ts), so an
 * attaching worker learns the exact size. `buf` is a Uint8Array over the data, zero-copy.
 *
 * Python's semantics: `close()` ends this handle's use of the memory (its `buf` is no longer
 * available); `unlink()` removes the name (later attaches fail with ENOENT) while every holder
 * keeps its memory. A handle travels (Process args, Queue, Pipe) as `{ block, name, size }`
 * and arrives as an open handle on the same memory, even after `unlink()`.
 */
import { randomBytes } from 'node:crypto';
import {
  createNamedBlock,
  flushMapped,
  isOsBlockId,
  openNamedBlock,
  type SharedBlock,
  unlinkNamedBlock,
} from '@multiproc/memory';
import { registerReducer } from '@multiproc/serialization';
import { received, remember } from './blocks.js';
import { describeValue } from './convert.js';
import { blockBytes, flushFile, mapFile, readTrailer, writeTrailer } from './mapped-file.js';
import { sharedTypedArray } from './typed-arrays.js';

/** Options of `new SharedMemory()`: a named segment, or a memory-mapped file. */
export type SharedMemoryOptions =
  | {
      /** The segment's tree-wide name; generated (`psm_` + 8 hex digits) when creating without one. */
      name?: string;
      /** Create a new segment (default false: attach to an existing one by name). */
      create?: boolean;
      /** Bytes to create (> 0); ignored when attaching (the segment's own size is used). */
      size?: number;
      path?: undefined;
    }
  | {
      /** A file to map: every worker of the tree that maps the same file shares its bytes. */
      path: string;
      /** Bytes to map; creates the file if missing and extends it if shorter. Default: the file's size. */
      size?: number;
    };

const ATTACH = Symbol('attach');
const inspectSymbol = Symbol.for('nodejs.util.inspect.custom');

interface State {
  block: SharedBlock;
  name: string;
  size: number;
  path?: string;
}

function checkSize(size: unknown, what: string): number | undefined {
  if (size === undefined) return undefined;
  if (typeof size !== 'number' || Number.isNaN(size))
    throw new TypeError(`${what}: size must be a number of bytes, got ${describeValue(size)}`);
  if (!Number.isInteger(size) || size < 0)
    throw new RangeError(`${what}: size must be a non-negative integer, got ${size}`);
  return size;
}

function createNamed(name: string | undefined, size: number): { block: SharedBlock; name: string } {
  if (name !== undefined) return { block: createNamedBlock(name, blockBytes(size)), name };
  for (;;) {
    const generated = `psm_${randomBytes(4).toString('hex')}`;
    try {
      return { block: createNamedBlock(generated, blockBytes(size)), name: generated };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
}

/**
 * Shared memory that any worker of the tree can attach to by name, or a memory-mapped file.
 * Implements `Symbol.dispose` (closes the handle): `using shm = new SharedMemory({ ... })`.
 *
 * @example
 * const shm = new SharedMemory({ create: true, size: 16 });   // shm.name: 'psm_1a2b3c4d'
 * shm.buf[0] = 42;
 * // in another worker (the name sent as a string, or the handle itself):
 * const other = new SharedMemory({ name: shm.name });
 * other.buf[0];                      // 42
 * const xs = new Float64Array(other.buf.buffer, other.buf.byteOffset, 2); // numpy-style view
 * other.close();
 * shm.close(); shm.unlink();         // the name is gone; holders keep their memory
 *
 * const mm = new SharedMemory({ path: 'hello.txt' });  // mmap: shared by every worker mapping it
 * mm.buf.set(new TextEncoder().encode('world!\n'), 6);
 * mm.flush();                        // write back to the file
 */
export class SharedMemory implements Disposable {
  /** The tree-wide name (`file:<realpath>` for a mapped file). */
  readonly name: string;
  /** Size in bytes of `buf`. */
  readonly size: number;
  /** The mapped file's real path, for `{ path }` mappings. */
  readonly path: string | undefined;
  readonly #block: SharedBlock;
  #buf: Uint8Array | null;

  constructor(options: SharedMemoryOptions) {
    if (typeof options !== 'object' || options === null) {
      throw new TypeError(
        `SharedMemory expects an options object ({ name?, create?, size? } or { path, size? }), got ${describeValue(options)}`,
      );
    }
    let state: State;
    const attach = (options as { [ATTACH]?: State })[ATTACH];
    if (attach !== undefined) {
      state = { ...attach, block: received(attach.block) };
    } else if (options.path !== undefined) {
      if (typeof options.path !== 'string' || options.path === '')
        throw new TypeError(
          `SharedMemory: path must be a non-empty string, got ${describeValue(options.path)}`,
        );
      const size = checkSize(options.size, 'SharedMemory({ path })') || undefined;
      const m = mapFile(options.path, size);
      if (size !== undefined && size > m.capacity) {
        throw new RangeError(
          `SharedMemory({ path: '${options.path}' }): the file is mapped in this tree with ${m.capacity} bytes; ` +
            `a mapping cannot grow to ${size} (close every mapping and unlink() it first)`,
        );
      }
      state = { block: remember(m.block), name: m.name, size: size ?? m.capacity, path: m.path };
    } else {
      const { name, create = false } = options;
      const size = checkSize(options.size, 'SharedMemory') ?? 0;
      if (name !== undefined && (typeof name !== 'string' || name === ''))
        throw new TypeError(`SharedMemory: name must be a non-empty string, got ${describeValue(name)}`);
      if (name?.startsWith('file:'))
        throw new RangeError(
          `SharedMemory: names starting with 'file:' are reserved; map a file with { path }`,
        );
      if (create) {
        if (size === 0)
          throw new RangeError("SharedMemory: 'size' must be a positive number of bytes when creating");
        const made = createNamed(name, size);
        writeTrailer(made.block, size);
        state = { block: remember(made.block), name: made.name, size };
      } else {
        if (name === undefined)
          throw new RangeError('SharedMemory: a name is required to attach (or pass create: true)');
        const block = remember(openNamedBlock(name));
        state = { block, name, size: readTrailer(block, `SharedMemory '${name}'`) };
      }
    }
    this.name = state.name;
    this.size = state.size;
    this.path = state.path;
    this.#block = state.block;
    this.#buf = sharedTypedArray(Uint8Array, state.block.buffer, 0, state.size);
  }

  /**
   * The memory, as a Uint8Array (zero-copy; it travels between workers as the same memory).
   * Throws once the handle is closed. Typed views of it:
   * `new Float64Array(shm.buf.buffer, shm.buf.byteOffset, n)`.
   */
  get buf(): Uint8Array {
    if (this.#buf === null)
      throw new Error(`SharedMemory '${this.name}' is closed: open a new handle to use it`);
    return this.#buf;
  }

  /** Whether {@link close} was called on this handle. */
  get closed(): boolean {
    return this.#buf === null;
  }

  /**
   * Writes the mapped bytes (all, or `size` bytes from `offset`) back to the file, and fsyncs it
   * (Python's `mmap.flush()`). For a named segment it does nothing.
   */
  flush(offset = 0, size: number = this.size - offset): void {
    const buf = this.buf;
    if (this.path === undefined) return;
    if (
      !Number.isInteger(offset) ||
      !Number.isInteger(size) ||
      offset < 0 ||
      size < 0 ||
      offset + size > this.size
    )
      throw new RangeError(`flush: range ${offset}+${size} is outside the ${this.size}-byte mapping`);
    if (isOsBlockId(this.#block.id))
      flushMapped(this.#block.buffer); // a real mmap: msync
    else flushFile(this.path, buf.subarray(offset, offset + size), offset);
  }

  /**
   * Ends this handle's use of the memory (Python's `close()`): `buf` throws afterwards; other
   * handles and workers are not affected. A mapped file is flushed first. Closing twice is a no-op.
   */
  close(): void {
    if (this.#buf === null) return;
    try {
      if (this.path !== undefined) this.flush();
    } finally {
      this.#buf = null;
    }
  }

  /**
   * Removes the name from the tree (Python's `unlink()`): later attaches by name fail with
   * ENOENT; every handle keeps its memory. Throws (code ENOENT) if the name is already gone.
   * For a mapped file it removes the tree's mapping (the next `{ path }` mapping reloads the
   * file); the file itself is not deleted. Under OS memory ('spawn') a mapped file is a real mmap
   * and this does nothing.
   */
  unlink(): void {
    if (this.path !== undefined && isOsBlockId(this.#block.id)) return; // a real mmap: nothing tree-wide
    unlinkNamedBlock(this.name);
  }

  [Symbol.dispose](): void {
    this.close();
  }

  toString(): string {
    return `SharedMemory('${this.name}', size=${this.size})`;
  }

  [inspectSymbol](): string {
    return this.toString();
  }

  /** @internal */
  get _block(): SharedBlock {
    return this.#block;
  }

  /** @internal Rebuilds a handle from its travelling state. */
  static _attach(state: State): SharedMemory {
    return new SharedMemory({ [ATTACH]: state } as unknown as SharedMemoryOptions);
  }
}

registerReducer(SharedMemory, {
  name: '@multiproc/sharedctypes:SharedMemory',
  reduce: (m: SharedMemory): State => ({
    block: m._block,
    name: m.name,
    size: m.size,
    ...(m.path === undefined ? {} : { path: m.path }),
  }),
  rebuild: (s: State): SharedMemory => SharedMemory._attach(s),
});
