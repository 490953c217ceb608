/** Options of every blocking queue method (API.md: timeouts in ms, `signal` aborts the wait). */
export interface QueueWaitOptions {
  /** false: do not wait (Empty / Full at once). Default true. */
  block?: boolean;
  /** Most milliseconds to wait; undefined waits without limit. Ignored with `block: false`. */
  timeout?: number;
  signal?: AbortSignal;
}

export function checkOptions(opts: QueueWaitOptions | undefined, method: string): QueueWaitOptions {
  if (opts === undefined) return {};
  if (opts === null || typeof opts !== 'object') {
    throw new TypeError(`${method}: options must be an object like { timeout: 500 }, got ${String(opts)}`);
  }
  const t = opts.timeout;
  if (t !== undefined && (typeof t !== 'number' || Number.isNaN(t) || t < 0)) {
    throw new RangeError(`${method}: timeout must be a non-negative number of ms, got ${String(t)}`);
  }
  return opts;
}
