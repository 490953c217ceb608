/**
 * The pool's domain errors. `TimeoutError` and `ProcessError` are defined here until the lead
 * moves the shared domain errors to one package; both are registered with the serialization
 * core so they keep their class when they cross a worker boundary.
 */
import { registerError } from '@multiproc/serialization';

/**
 * A wait ran out of time: `AsyncResult.get(timeout)`, `AsyncResult.wait` is not affected (it
 * resolves `false`), or a call's `{ timeout }` option expired before its tasks finished.
 *
 * @example
 * ```ts
 * try { await pool.applyAsync(slow).get(100); } catch (e) { e instanceof TimeoutError; }
 * ```
 */
export class TimeoutError extends Error {
  constructor(message = 'the operation timed out', options?: ErrorOptions) {
    super(message, options);
    this.name = 'TimeoutError';
  }
}

/**
 * A worker of the pool was gone before the task finished: it crashed (an error thrown outside
 * any task, `process.exit()`, out of memory), or the pool was terminated. `exitCode` is the
 * worker's exit code when known, `cause` the error that killed it when there was one.
 */
export class ProcessError extends Error {
  /** The dead worker's exit code, when it exited; `null` when the pool was terminated. */
  exitCode: number | null;
  constructor(message: string, options?: ErrorOptions & { exitCode?: number | null }) {
    super(message, options);
    this.name = 'ProcessError';
    this.exitCode = options?.exitCode ?? null;
  }
}

registerError(TimeoutError, 'multiproc.TimeoutError');
registerError(ProcessError, 'multiproc.ProcessError');
