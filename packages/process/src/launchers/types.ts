/**
 * The runtime adapter interface (layer 3): how a worker is started, watched and stopped.
 *
 * Process and Pool use only this interface; one file per runtime implements it
 * (`thread.ts` on worker_threads, `spawn.ts` on child_process).
 */
import type { TransferListItem } from 'node:worker_threads';

/** The start methods multiproc knows: worker threads, or child processes. */
export type StartMethod = 'thread' | 'spawn';

/** What a launcher needs to start one worker. */
export interface LaunchSpec {
  /** The worker's entry module (an absolute file URL). It must call {@link connectToParent} first. */
  entry: URL;
  /**
   * Plain data for the child (structured-clonable: no functions, no class instances beyond
   * what structured clone keeps). Send user values as `dumps()` bytes inside it.
   */
  data: unknown;
  /** A name for debugging tools (thread name / process title). */
  name?: string;
  /**
   * Whether the worker must not outlive its parent. A 'spawn' child is then killed when its
   * parent dies, even by SIGKILL; a non-daemonic one outlives it (Python semantics).
   * Default true (pool and manager workers).
   */
  daemon?: boolean;
}

/**
 * A running (or finished) worker, as the parent sees it.
 *
 * @example
 * const w = startWorker({ entry: new URL('./my-worker.js', import.meta.url), data: { n: 1 } });
 * w.onMessage((m) => console.log('child says', m));
 * const ident = await w.ready;
 * const exitcode = await w.exited; // 0, n after process.exit(n), -15 after terminate()
 */
export interface WorkerHandle {
  /** The start method that launched it. */
  readonly method: StartMethod;
  /** OS process id of the worker (the parent's own pid under 'thread'). */
  readonly pid: number;
  /**
   * Resolves with the child's tree-unique ident once it called {@link connectToParent};
   * with `undefined` if it exited before that.
   */
  readonly ready: Promise<number | undefined>;
  /**
   * Resolves with the exit code, Python style (0; n after `process.exit(n)`; 1 after an
   * uncaught error; -15 after {@link terminate}; -9 after {@link kill}), once the worker is
   * gone, its stdout/stderr are flushed to the parent's, and its shared-memory exit hooks
   * have run. Never rejects.
   */
  readonly exited: Promise<number>;
  /** The exit code once known, else null. */
  readonly exitcode: number | null;
  /** Sends a structured-clonable message to the child's {@link ParentChannel.onMessage}. */
  post(message: unknown, transfer?: readonly TransferListItem[]): void;
  /** Listens to messages the child posts; returns a function that removes the listener. */
  onMessage(listener: (message: unknown) => void): () => void;
  /** Asks the worker to stop (SIGTERM semantics); its exit code becomes -15. */
  terminate(): void;
  /** Stops the worker at once (SIGKILL semantics); its exit code becomes -9. */
  kill(): void;
  /** Keeps the parent alive while the worker runs (the default). */
  ref(): void;
  /** Lets the parent exit while the worker runs (daemonic workers). */
  unref(): void;
}

/** The child's side of the adapter: its start data and a message channel to its parent. */
export interface ParentChannel {
  /** The `data` of the {@link LaunchSpec}. */
  readonly data: unknown;
  post(message: unknown, transfer?: readonly TransferListItem[]): void;
  onMessage(listener: (message: unknown) => void): () => void;
}

/** One runtime: starts workers, and connects a worker of its own kind to its parent. */
export interface Launcher {
  readonly method: StartMethod;
  start(spec: LaunchSpec): WorkerHandle;
  /** True in a worker this launcher started (checked without side effects). */
  isChild(): boolean;
  /** In such a worker: joins the tree's shared memory and returns the channel to the parent. */
  connect(): ParentChannel;
}
