/**
 * What travels on a channel: record kinds and flags (see task-channel.ts for the framing), and
 * the bootstrap a pool worker starts with.
 *
 * ```
 * parent -> worker                     a            b        payload
 *   K_DEFINE  function definition      fid          0        utf8 JSON { moduleUrl, exportName }
 *   K_TASK    one chunk                chunk id     fid      dumps(items)   (F_STAR: items are arg arrays)
 *   K_EXIT    finish and exit          0            0        -
 * worker -> parent
 *   K_RESULT  a chunk's results        chunk id     count    dumps(values), or with F_ERRORS
 *                                                            dumps([values, failedIndexes])
 *   K_INIT_FAILED initializer threw    0            0        dumps(error)   (the worker then exits)
 *   K_FATAL   uncaught error           0            0        dumps(error)   (the worker then exits 1)
 * ```
 * `F_PORT` on any record: the payload was too big for the ring and travels as a message of the
 * runtime adapter instead (posted before the record is written; the reader takes such messages
 * in order, waiting for one if the record overtook it).
 */
import type { ChildIdentity } from '@multiproc/process';

export const K_DEFINE = 1;
export const K_TASK = 2;
export const K_EXIT = 3;
export const K_RESULT = 4;
export const K_INIT_FAILED = 6;
export const K_FATAL = 7;

/** Items are argument arrays: call `func(...item)` (apply, starmap). Else `func(item)`. */
export const F_STAR = 1;
/** Stop the chunk at its first error (map: the whole call fails anyway). */
export const F_FAIL_FAST = 2;
/** Some items failed: the payload is `[values, failedIndexes]`. */
export const F_ERRORS = 4;
/** The payload is on the MessagePort, not in the ring. */
export const F_PORT = 8;

/** A function a worker can import: resolved in the parent (see func-ref.ts). */
export interface FuncRef {
  moduleUrl: string;
  exportName: string;
}

/** What a pool worker's entry receives (through the runtime adapter's bootstrap data). */
export interface PoolWorkerData {
  channel: SharedArrayBuffer;
  doorbell: SharedArrayBuffer;
  initializer: FuncRef | null;
  /** dumps(initargs) */
  initargs: Uint8Array;
  /** Chunks to run before exiting (0: no limit). */
  maxTasks: number;
  name: string;
  /** The worker's identity (name, authkey, parent, reducer modules): see `prepareChild`. */
  who: ChildIdentity;
}
