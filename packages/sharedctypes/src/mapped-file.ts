/**
 * Memory-mapped files (`new SharedMemory({ path })`, the seed's `mmap` example) under the
 * 'thread' start method.
 *
 * Node.js cannot `mmap` a file, and worker threads share memory only through
 * SharedArrayBuffers, so a mapping is a shared block holding a copy of the file:
 * - the first `SharedMemory({ path })` in the tree reads the file into a new block and registers
 *   it tree-wide under `file:<realpath>` (createNamedBlock); every later mapping of the same file
 *   (any spelling of its path, any worker of the tree) opens that block (openNamedBlock), so all
 *   mappings see each other's writes at once, as with a shared mmap;
 * - `flush()` writes the bytes back to the file (`close()` flushes too, as the kernel writes back
 *   a shared mapping); writes made to the file by other programs after the first mapping are not
 *   seen by the tree.
 * Once the process is in OS memory mode (the 'spawn' start method was chosen), a mapping is a
 * real `mmap` of the file (MAP_SHARED, through the native shared-memory layer): every process and
 * thread that maps the file shares the page cache, `flush()` is `msync`, and the block travels as
 * `file:<realpath>` and is mapped again on arrival. Such a block has no trailer.
 *
 * Block layout (shared with shared-memory.ts): the data at byte 0 (`size` bytes, padded to 8),
 * then a 16-byte trailer: float64 `size`, int32 state (0 loading, 1 ready, 2 failed), int32 unused.
 * A mapping that finds state 0 (another worker is still reading the file) waits for it.
 */
import { closeSync, constants, fstatSync, ftruncateSync, openSync, readSync, realpathSync } from 'node:fs';
import { fsyncSync, writeSync } from 'node:fs';
import {
  createNamedBlock,
  mapFileBlock,
  openNamedBlock,
  osMemoryMode,
  type SharedBlock,
  unlinkNamedBlock,
  waitSync,
  wake,
} from '@multiproc/memory';

export const TRAILER = 16;
const LOADING = 0;
const READY = 1;
const FAILED = 2;
const LOAD_TIMEOUT_MS = 30_000;

/** Bytes a block needs to hold `size` data bytes and the trailer. */
export function blockBytes(size: number): number {
  return Math.ceil(size / 8) * 8 + TRAILER;
}

/** Writes the trailer of a block holding `size` bytes. */
export function writeTrailer(block: SharedBlock, size: number, state = READY): void {
  const at = block.byteLength - TRAILER;
  new DataView(block.buffer).setFloat64(at, size, true);
  Atomics.store(block.i32, (at + 8) >> 2, state);
  wake(block.i32, (at + 8) >> 2);
}

/** The data size recorded in a block's trailer, once the block is ready. */
export function readTrailer(block: SharedBlock, what: string): number {
  const at = block.byteLength - TRAILER;
  const word = (at + 8) >> 2;
  const deadline = Date.now() + LOAD_TIMEOUT_MS;
  let state = Atomics.load(block.i32, word);
  while (state === LOADING) {
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`${what}: timed out waiting for another worker to load it`);
    waitSync(block.i32, word, LOADING, left);
    state = Atomics.load(block.i32, word);
  }
  if (state === FAILED) throw new Error(`${what}: the worker that was loading it failed; try again`);
  return new DataView(block.buffer).getFloat64(at, true);
}

/** A mapping of a file: its block, the tree-wide name, the file's real path, the mapped size. */
export interface Mapping {
  block: SharedBlock;
  name: string;
  path: string;
  /** Bytes in the block (the whole file, or more if it was extended). */
  capacity: number;
}

function openFile(path: string, create: boolean): number {
  try {
    return openSync(path, constants.O_RDWR | (create ? constants.O_CREAT : 0), 0o666);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOENT') {
      throw Object.assign(
        new Error(`SharedMemory({ path }): no file at '${path}'; create it first, or pass size to create it`),
        { code: 'ENOENT', path },
      );
    }
    throw e;
  }
}

/**
 * Maps `path`: opens the tree's block for it, or loads the file into a new one. `size` (> 0)
 * creates the file if missing and extends it if shorter.
 */
export function mapFile(path: string, size: number | undefined): Mapping {
  const fd = openFile(path, size !== undefined);
  try {
    const real = realpathSync(path);
    if (osMemoryMode()) {
      const capacity = Math.max(fstatSync(fd).size, size ?? 0);
      if (capacity === 0) {
        throw new RangeError(
          `SharedMemory({ path: '${path}' }): cannot map an empty file; pass size to extend it`,
        );
      }
      return { block: mapFileBlock(real, capacity), name: `file:${real}`, path: real, capacity };
    }
    const name = `file:${real}`;
    for (;;) {
      try {
        const block = openNamedBlock(name);
        return { block, name, path: real, capacity: readTrailer(block, `SharedMemory({ path: '${path}' })`) };
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
      const fileSize = fstatSync(fd).size;
      const capacity = Math.max(fileSize, size ?? 0);
      if (capacity === 0) {
        throw new RangeError(
          `SharedMemory({ path: '${path}' }): cannot map an empty file; pass size to extend it`,
        );
      }
      let block: SharedBlock;
      try {
        block = createNamedBlock(name, blockBytes(capacity));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EEXIST') continue; // another worker won the race
        throw e;
      }
      try {
        if (capacity > fileSize) ftruncateSync(fd, capacity);
        const bytes = new Uint8Array(block.buffer, 0, capacity);
        let done = 0;
        while (done < fileSize) {
          const n = readSync(fd, bytes, done, fileSize - done, done);
          if (n === 0) break; // the file shrank meanwhile: the rest stays zero
          done += n;
        }
        writeTrailer(block, capacity);
      } catch (e) {
        writeTrailer(block, capacity, FAILED);
        try {
          unlinkNamedBlock(name);
        } catch {}
        throw e;
      }
      return { block, name, path: real, capacity };
    }
  } finally {
    closeSync(fd);
  }
}

/** Writes `length` bytes at `offset` of the mapping back to the file, then fsyncs it. */
export function flushFile(path: string, bytes: Uint8Array, offset: number): void {
  const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT, 0o666);
  try {
    let done = 0;
    while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done, offset + done);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
