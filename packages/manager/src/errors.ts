/**
 * The manager's errors. Each is registered with the serialization core, so it keeps its class
 * when it crosses a worker boundary.
 */
import { registerError } from '@multiproc/serialization';

/**
 * A method of a shared object threw in the manager's server. `cause` is the error the server
 * raised, rebuilt here: the same class when that class is registered with the serialization
 * core (`registerError`), else an `Error` with the same `name`; its `stack` is the server's.
 *
 * @example
 * ```ts
 * try {
 *   await d.pop('missing');
 * } catch (e) {
 *   if (e instanceof RemoteError) console.log(e.cause); // KeyError: 'missing'
 * }
 * ```
 */
export class RemoteError extends Error {
  declare readonly cause: Error;
  constructor(cause: Error, where = "the manager's server") {
    const name = typeof cause?.name === 'string' ? cause.name : 'Error';
    const message = typeof cause?.message === 'string' ? cause.message : String(cause);
    super(`${name}: ${message} (raised in ${where}; see error.cause for the remote error and its stack)`, {
      cause,
    });
    this.name = 'RemoteError';
  }
}

/** A dict key that is not there (Python's KeyError): `pop(k)` without a default. */
export class KeyError extends Error {
  /** The missing key. */
  readonly key: unknown;
  constructor(key: unknown, message?: string) {
    super(message ?? `key not found: ${typeof key === 'string' ? JSON.stringify(key) : String(key)}`);
    this.name = 'KeyError';
    this.key = key;
  }
}

/**
 * The manager (or its connection) is unusable: it was shut down, its server is gone, or the
 * proxy was closed. The message says which, and what to do.
 */
export class ManagerError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ManagerError';
  }
}

registerError(RemoteError, '@multiproc/manager:RemoteError');
registerError(KeyError, '@multiproc/manager:KeyError');
registerError(ManagerError, '@multiproc/manager:ManagerError');
