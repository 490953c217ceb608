/**
 * Worker idents and block ids. The tree shares one counter block: word 0 is the next worker
 * ident (the root is 1). A worker takes its ident when it joins the tree (initChild), before
 * any user code runs, and it never changes; the root's is 1 from first use. In OS memory mode
 * the counter lives in the tree's OS segment, so that spawned processes count with the threads.
 */
import { allocateOsBuffer, enableOsTree, osTree } from './os-tree.js';

let treeI32: Int32Array | undefined;
let selfIdent = 0;
let blockCounter = 0;

/** @internal The tree's counter block (handed to child workers). */
export function treeCounter(): Int32Array {
  const os = osTree();
  if (os && treeI32 !== os.counter) {
    if (!treeI32) selfIdent = 1; // a thread or module that never counted: the root
    treeI32 = os.counter;
  }
  if (!treeI32) {
    treeI32 = new Int32Array(new SharedArrayBuffer(16));
    treeI32[0] = 2;
    selfIdent = 1;
  }
  return treeI32;
}

/** This worker's ident: unique among all workers of the tree (the root is 1). */
export function workerIdent(): number {
  treeCounter();
  return selfIdent;
}

/**
 * Switches this process to OS shared memory, so that shared objects made from now on reach
 * 'spawn' children (called by @multiproc/process when the 'spawn' start method is chosen).
 * Idempotent. Throws (code ERR_MULTIPROC_NO_OS_MEMORY, saying what is missing) if the native
 * addon is not available. Objects made before the switch keep working between threads only.
 */
export function useOsMemory(): void {
  if (osTree()) return;
  const before = treeI32;
  const next = before ? Atomics.load(before, 0) : 2;
  if (!before) selfIdent = 1;
  treeI32 = enableOsTree(next).counter;
}

/** @internal A fresh block of OS shared memory (OS memory mode only): [id, buffer]. */
export function nextOsBlock(byteLength: number): [string, SharedArrayBuffer] | undefined {
  const os = osTree();
  if (!os) return undefined;
  return allocateOsBuffer(os, workerIdent(), byteLength);
}

/** @internal A fresh tree-unique block id. */
export function nextBlockId(): string {
  return `${workerIdent().toString(36)}.${(++blockCounter).toString(36)}`;
}

/** @internal A child joins the tree's counter: it takes the next ident. */
export function joinTree(counter: Int32Array): void {
  treeI32 = counter;
  selfIdent = Atomics.add(counter, 0, 1);
}
