/**
 * The cluster's own domain errors. The pool's `ProcessError` / `TimeoutError`, the queue's
 * `Empty` / `Full` and the manager's `KeyError` are reused from their packages; these two have
 * no local equivalent. Both are registered with the serialization core so they keep their
 * class when they travel through Redis.
 */
import { registerError } from '@multiproc/serialization';

/**
 * Redis is unreachable: the first connection failed, or the connection was lost for longer
 * than the `reconnectTimeout` option allows. Pending calls fail with it instead of hanging.
 */
export class ConnectionError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ConnectionError';
  }
}

/**
 * A worker refused a job: the function it names is not exported by a module the worker was
 * started with (`--import`). Nothing ran. Start the workers with `--import <module>`.
 */
export class RefusedError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'RefusedError';
  }
}

registerError(ConnectionError, '@multiproc/cluster:ConnectionError');
registerError(RefusedError, '@multiproc/cluster:RefusedError');
