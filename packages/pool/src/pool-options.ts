/** The options of `new Pool(...)` and of its calls, and the checks of the pool's options. */
import { availableParallelism } from 'node:os';
import type { ContextLike, FunctionRef } from '@multiproc/process';
import { dumps } from '@multiproc/serialization';
import type { ResultCallbacks } from './async-result.js';
import type { Progress } from './job.js';

export type AnyFn = (...args: any[]) => unknown;
/** A function a worker can import: an exported function, or `ref(moduleUrl, exportName)`. */
export type PoolFunc<F extends AnyFn = AnyFn> = F | FunctionRef<F>;

/** Options of `new Pool(...)`. */
export interface PoolOptions {
  /** Number of workers; default: the number of CPUs (`os.availableParallelism()`). */
  processes?: number;
  /** Called once in each worker before it takes tasks (with `initargs`); may be async. */
  initializer?: PoolFunc;
  initargs?: unknown[];
  /** Replace a worker after it ran this many chunks (Python's maxtasksperchild); default unlimited. */
  maxTasksPerChild?: number;
  /** A context (`getContext('spawn')`) or a start method name; default: the default context's. */
  context?: ContextLike;
  /**
   * Milliseconds an aborted task gets to notice (`isTaskAborted()`, `taskSignal()`) before
   * its worker is replaced. Default 1000.
   */
  abortGrace?: number;
}

/** Options every call takes. */
export interface CallOptions {
  /** Aborts the call: it rejects with `signal.reason`; queued chunks are dropped. */
  signal?: AbortSignal;
  /** Milliseconds the whole call may take; then it rejects with {@link TimeoutError}. */
  timeout?: number;
}

export interface MapOptions extends CallOptions {
  /** Items per message; default `ceil(len / (4 * processes))` for map, 1 for imap. */
  chunksize?: number;
  /** Called after every completed chunk, e.g. to draw a progress bar. */
  onProgress?: (progress: Progress) => void;
}

export interface IMapOptions extends MapOptions {
  /** Chunks read ahead of the consumer; default 2 x processes. */
  buffersize?: number;
}

export type MapAsyncOptions<R> = MapOptions & ResultCallbacks<R[]>;
export type ApplyAsyncOptions<R> = CallOptions & ResultCallbacks<R>;

/** Checks the options of `new Pool(options)` (or `new Pool(processes)`); serializes `initargs`. */
export function parsePoolOptions(options: PoolOptions | number | undefined): {
  opts: PoolOptions;
  processes: number;
  maxTasks: number;
  abortGrace: number;
  initargs: Uint8Array;
} {
  const opts: PoolOptions = typeof options === 'number' ? { processes: options } : (options ?? {});
  const processes = opts.processes ?? availableParallelism();
  if (!Number.isInteger(processes) || processes < 1) {
    throw new RangeError(`Pool: processes must be an integer >= 1, got ${String(processes)}`);
  }
  const maxTasks = opts.maxTasksPerChild ?? 0;
  if (maxTasks !== null && (!Number.isInteger(maxTasks) || maxTasks < 0)) {
    throw new RangeError(`Pool: maxTasksPerChild must be a positive integer, got ${String(maxTasks)}`);
  }
  const abortGrace = opts.abortGrace ?? 1000;
  if (typeof abortGrace !== 'number' || !(abortGrace >= 0)) {
    throw new RangeError(`Pool: abortGrace must be a number of milliseconds >= 0, got ${String(abortGrace)}`);
  }
  if (opts.initargs !== undefined && !Array.isArray(opts.initargs)) {
    throw new TypeError('Pool: initargs must be an array of arguments for the initializer');
  }
  const initargs = dumps(opts.initargs ?? [], { path: 'initargs' });
  return { opts, processes, maxTasks, abortGrace, initargs };
}
