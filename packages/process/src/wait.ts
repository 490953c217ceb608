/**
 * The `timeout` parameter of join-like calls: a number of milliseconds, or
 * `{ timeout?, signal? }` (API.md conventions).
 */

/** A number (ms) or `{ timeout?, signal? }`; `undefined`/`null` wait without limit. */
export type WaitOptions = number | { timeout?: number | null; signal?: AbortSignal } | null | undefined;

interface NormalWait {
  timeout: number | undefined;
  signal: AbortSignal | undefined;
}

/** @internal Validates and normalizes {@link WaitOptions}; throws a TypeError on bad input. */
export function normalizeWait(options: WaitOptions): NormalWait {
  let timeout: number | null | undefined;
  let signal: AbortSignal | undefined;
  if (typeof options === 'number' || options === null || options === undefined) timeout = options;
  else if (typeof options === 'object') ({ timeout, signal } = options);
  else
    throw new TypeError(
      `timeout must be a number of milliseconds or { timeout?, signal? }, got ${typeof options}`,
    );
  if (timeout !== null && timeout !== undefined && (typeof timeout !== 'number' || Number.isNaN(timeout))) {
    throw new TypeError(`timeout must be a number of milliseconds, got ${String(timeout)}`);
  }
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new TypeError('signal must be an AbortSignal');
  }
  const ms =
    timeout === null || timeout === undefined || timeout === Number.POSITIVE_INFINITY
      ? undefined
      : Math.max(0, timeout);
  return { timeout: ms, signal };
}

/**
 * Waits for `promise` until the timeout passes (resolves false) or the signal aborts
 * (rejects with `signal.reason`); resolves true once it settled, rethrowing its rejection.
 */
export function waitFor(promise: Promise<unknown>, { timeout, signal }: NormalWait): Promise<boolean> {
  return new Promise<boolean>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    const cleanup = () => {
      if (timer) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    const onAbort = () => {
      cleanup();
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    if (timeout !== undefined) {
      timer = setTimeout(() => {
        cleanup();
        resolve(false);
      }, timeout);
    }
    promise.then(
      () => {
        cleanup();
        resolve(true);
      },
      (err) => {
        cleanup();
        reject(err);
      },
    );
  });
}
