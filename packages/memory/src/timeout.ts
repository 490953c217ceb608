/**
 * Timeouts, signals and deadlines of every blocking call of multiproc (API.md): timeouts are
 * milliseconds; `undefined`/`null`/`Infinity` wait forever; a negative timeout is 0 (poll
 * once), as in Python's `multiprocessing`; an aborted call rejects (async) or throws (sync)
 * with `signal.reason`. Error messages start with `what` (the method) when it is given.
 */

/** Parsed `{ block?, timeout?, signal? }`. */
export interface BlockingOptions {
  /** `false`: never wait (the timeout is then ignored). */
  block: boolean;
  /** Milliseconds, >= 0, or Infinity. */
  timeout: number;
  signal: AbortSignal | undefined;
}

const FOREVER: BlockingOptions = { block: true, timeout: Number.POSITIVE_INFINITY, signal: undefined };

function prefix(what: string | undefined): string {
  return what ? `${what}: ` : '';
}

/** A timeout as ms >= 0 or Infinity; a TypeError for anything but a number, undefined or null. */
export function parseTimeout(timeout: unknown, what?: string): number {
  if (timeout === undefined || timeout === null) return Number.POSITIVE_INFINITY;
  if (typeof timeout !== 'number' || Number.isNaN(timeout)) {
    throw new TypeError(
      `${prefix(what)}timeout must be a number of milliseconds (or undefined to wait forever), got ${String(timeout)}`,
    );
  }
  return timeout < 0 ? 0 : timeout;
}

/** An AbortSignal or undefined; a TypeError for anything else. */
export function parseSignal(signal: unknown, what?: string): AbortSignal | undefined {
  if (signal === undefined || signal === null) return undefined;
  if (typeof signal !== 'object' || typeof (signal as AbortSignal).aborted !== 'boolean') {
    throw new TypeError(
      `${prefix(what)}signal must be an AbortSignal (e.g. AbortSignal.timeout(ms) or controller.signal)`,
    );
  }
  return signal as AbortSignal;
}

/** Parses `{ block?, timeout?, signal? }` (an object, or nothing: wait forever). */
export function parseBlockingOptions(
  opts: { block?: unknown; timeout?: unknown; signal?: unknown } | null | undefined,
  what?: string,
): BlockingOptions {
  if (opts === undefined || opts === null) return FOREVER;
  if (typeof opts !== 'object') {
    throw new TypeError(
      `${prefix(what)}expected an options object { block?, timeout?, signal? }, got ${typeof opts}`,
    );
  }
  const block = opts.block === undefined ? true : Boolean(opts.block);
  return { block, timeout: parseTimeout(opts.timeout, what), signal: parseSignal(opts.signal, what) };
}

/** Absolute deadline (`performance.now()` scale) of a parsed timeout (ms >= 0, or Infinity). */
export function deadlineOf(timeout: number): number {
  return timeout === Number.POSITIVE_INFINITY ? timeout : performance.now() + timeout;
}

/** Milliseconds left before `deadline` (>= 0, or Infinity). */
export function remaining(deadline: number): number {
  if (deadline === Number.POSITIVE_INFINITY) return deadline;
  const left = deadline - performance.now();
  return Math.max(left, 0);
}
