/**
 * Exit hooks: words in shared memory that must change when a worker is gone.
 *
 * A reader blocked on a pipe must learn that the last writer died, even if the writer was
 * killed and ran no code of its own. So a worker records, in an exit list that its parent also
 * maps, "when I am gone, add `delta` to word `index` of block `id` and wake its waiters". The
 * parent, which sees every exit of its child (normal, crash, terminate), applies the list.
 * A worker that closes the resource itself cancels its hook first.
 *
 * Exit list layout (Int32 words; ENTRY_WORDS per entry, MAX_ENTRIES entries):
 *   entry + 0  state: 0 free, 1 armed (written last, so a half-written entry is never applied)
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
const MAX_ENTRIES = 1024;
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
  const id = block.id;
  if (id.length > ID_BYTES) throw new RangeError(`block id ${id} is too long for an exit hook`);
  // The parent finds the block by id once we are gone: make sure the directory has it.
  exportBlock(id, block.buffer);
  for (let e = 0; e < MAX_ENTRIES * ENTRY_WORDS; e += ENTRY_WORDS) {
    if (list[e] !== 0) continue;
    list[e + 1] = index;
    list[e + 2] = delta;
    list[e + 3] = id.length;
    const bytes = new Uint8Array(list.buffer, (e + 4) * 4, ID_BYTES);
    for (let i = 0; i < id.length; i++) bytes[i] = id.charCodeAt(i);
    Atomics.store(list, e, 1);
    return () => {
      Atomics.store(list, e, 0);
    };
  }
  throw new RangeError(`a worker may hold at most ${MAX_ENTRIES} pipe ends and queue handles at once`);
}

/** @internal Applies a dead child's exit list (called once by its parent). */
export function applyExitList(buffer: SharedArrayBuffer): void {
  const list = new Int32Array(buffer);
  for (let e = 0; e < MAX_ENTRIES * ENTRY_WORDS; e += ENTRY_WORDS) {
    if (Atomics.exchange(list, e, 0) !== 1) continue;
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
