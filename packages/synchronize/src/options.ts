/**
 * The options of this package's blocking calls, parsed with the memory layer's conventions
 * (`parseTimeout` & co. in @multiproc/memory): timeouts are milliseconds; `undefined`/`null`/
 * `Infinity` wait forever; a negative timeout is 0 (poll once), as in Python's
 * `multiprocessing`; an aborted call rejects (async) or throws (sync) with `signal.reason`.
 */
import { type BlockingOptions, parseBlockingOptions, parseSignal, parseTimeout } from '@multiproc/memory';

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

export type Parsed = BlockingOptions;

/** Parses `acquire` options (an object, or nothing). */
export const parseAcquire: (opts: AcquireOptions | undefined, what: string) => Parsed = parseBlockingOptions;

const FOREVER: Parsed = { block: true, timeout: Number.POSITIVE_INFINITY, signal: undefined };

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
