/**
 * Option parsing and deadlines shared by every blocking call of this package.
 *
 * Conventions (API.md): timeouts are milliseconds; `undefined`/`null`/`Infinity` wait forever;
 * a negative timeout is 0 (poll once), as in Python's `multiprocessing`; an aborted call rejects
 * (async) or throws (sync) with `signal.reason`.
 */

/** Options of `acquire`/`acquireSync`: Python's `block` and `timeout`, plus a signal. */
export interface AcquireOptions {
  /** `false`: take it only if free right now, never wait (the timeout is then ignored). Default `true`. */
  block?: boolean;
  /** Give up after this many milliseconds (returns `false`). Default: wait forever. */
  timeout?: number | null;
  /** Abort the wait: the call rejects (or, for a Sync twin, throws) with `signal.reason`. */
  signal?: AbortSignal;
}

/** Options of every `wait`; a bare number means `{ timeout: n }`. */
export interface WaitOptions {
  /** Give up after this many milliseconds. Default: wait forever. */
  timeout?: number | null;
  /** Abort the wait: the call rejects (or, for a Sync twin, throws) with `signal.reason`. */
  signal?: AbortSignal;
}

export interface Parsed {
  block: boolean;
  /** Milliseconds, >= 0, or Infinity. */
  timeout: number;
  signal: AbortSignal | undefined;
}

const FOREVER: Parsed = { block: true, timeout: Number.POSITIVE_INFINITY, signal: undefined };

function parseTimeout(timeout: unknown, what: string): number {
  if (timeout === undefined || timeout === null) return Number.POSITIVE_INFINITY;
  if (typeof timeout !== 'number' || Number.isNaN(timeout)) {
    throw new TypeError(
      `${what}: timeout must be a number of milliseconds (or undefined to wait forever), got ${String(timeout)}`,
    );
  }
  return timeout < 0 ? 0 : timeout;
}

function parseSignal(signal: unknown, what: string): AbortSignal | undefined {
  if (signal === undefined || signal === null) return undefined;
  if (typeof signal !== 'object' || typeof (signal as AbortSignal).aborted !== 'boolean') {
    throw new TypeError(
      `${what}: signal must be an AbortSignal (e.g. AbortSignal.timeout(ms) or controller.signal)`,
    );
  }
  return signal as AbortSignal;
}

/** Parses `acquire` options (an object, or nothing). */
export function parseAcquire(opts: AcquireOptions | undefined, what: string): Parsed {
  if (opts === undefined || opts === null) return FOREVER;
  if (typeof opts !== 'object') {
    throw new TypeError(
      `${what}: expected an options object { block?, timeout?, signal? }, got ${typeof opts}`,
    );
  }
  const block = opts.block === undefined ? true : Boolean(opts.block);
  return { block, timeout: parseTimeout(opts.timeout, what), signal: parseSignal(opts.signal, what) };
}

/** Parses `wait` options: a number of ms, or `{ timeout?, signal? }`, or nothing. */
export function parseWait(arg: number | WaitOptions | null | undefined, what: string): Parsed {
  if (arg === undefined || arg === null) return FOREVER;
  if (typeof arg === 'number') return { block: true, timeout: parseTimeout(arg, what), signal: undefined };
  if (typeof arg !== 'object') {
    throw new TypeError(
      `${what}: expected a timeout in ms or an options object { timeout?, signal? }, got ${typeof arg}`,
    );
  }
  return { block: true, timeout: parseTimeout(arg.timeout, what), signal: parseSignal(arg.signal, what) };
}

/** Absolute deadline (performance.now() scale) of a timeout. */
export function deadlineOf(timeout: number): number {
  return timeout === Number.POSITIVE_INFINITY ? timeout : performance.now() + timeout;
}

/** Milliseconds left before `deadline` (>= 0, or Infinity). */
export function remaining(deadline: number): number {
  if (deadline === Number.POSITIVE_INFINITY) return deadline;
  const left = deadline - performance.now();
  return Math.max(left, 0);
}

/** Throws `signal.reason` if the signal is already aborted (the Sync twins' only check). */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw signal.reason;
}
