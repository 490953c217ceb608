/**
 * AsyncResult: the handle `applyAsync`, `mapAsync` and `starmapAsync` return (CPython's
 * `ApplyResult` / `MapResult`). The outcome is stored, not kept as a rejected promise, so a
 * result nobody waits for never becomes an unhandled rejection.
 */
import { TimeoutError } from './errors.js';

/** A timeout in ms, or `{ timeout?, signal? }`, as every blocking wait of multiproc takes. */
export type WaitArg = number | { timeout?: number; signal?: AbortSignal } | undefined;

/** Callbacks run in the parent when the result is ready, before `get()` waiters resume. */
export interface ResultCallbacks<R> {
  /** Called with the value when the call succeeded. */
  callback?: (value: R) => void;
  /** Called with the error when the call failed. */
  errorCallback?: (error: unknown) => void;
}

/** @internal Splits a {@link WaitArg}; validates the timeout. */
export function parseWait(
  arg: WaitArg,
  method: string,
): { timeout: number; signal: AbortSignal | undefined } {
  let timeout: number | undefined;
  let signal: AbortSignal | undefined;
  if (typeof arg === 'number') timeout = arg;
  else if (arg != null && typeof arg === 'object') ({ timeout, signal } = arg);
  else if (arg !== undefined)
    throw new TypeError(`${method}: expected a timeout in ms or { timeout, signal }`);
  if (timeout === undefined || timeout === null) return { timeout: Number.POSITIVE_INFINITY, signal };
  if (typeof timeout !== 'number' || Number.isNaN(timeout)) {
    throw new TypeError(`${method}: timeout must be a number of milliseconds, got ${String(timeout)}`);
  }
  return { timeout: Math.max(0, timeout), signal };
}

const PENDING = 0;
const FULFILLED = 1;
const REJECTED = 2;

/**
 * The eventual result of a call submitted to a {@link Pool}.
 *
 * @example
 * ```ts
 * const r = pool.applyAsync(square, [7]);
 * r.ready();             // false (probably)
 * await r.get(1000);     // 49, or TimeoutError after 1 s
 * r.successful();        // true
 * ```
 */
export class AsyncResult<R = unknown> {
  #state = PENDING;
  #value: unknown = undefined;
  #waiters: Array<() => void> = [];
  #callbacks: ResultCallbacks<R> | undefined;

  /** @internal created by the Pool. */
  constructor(callbacks?: ResultCallbacks<R>) {
    this.#callbacks = callbacks;
  }

  /** Whether the call has completed (successfully or not). */
  ready(): boolean {
    return this.#state !== PENDING;
  }

  /** Whether the call completed without error; throws if it is not ready yet. */
  successful(): boolean {
    if (this.#state === PENDING) {
      throw new Error(
        'AsyncResult.successful(): the result is not ready yet; await wait() or check ready() first',
      );
    }
    return this.#state === FULFILLED;
  }

  /**
   * Waits until the result is ready, or `timeout` ms pass. Resolves `true` if it is ready.
   * Rejects with `signal.reason` on abort.
   */
  wait(timeout?: WaitArg): Promise<boolean> {
    let parsed: ReturnType<typeof parseWait>;
    try {
      parsed = parseWait(timeout, 'AsyncResult.wait');
    } catch (e) {
      return Promise.reject(e);
    }
    if (this.#state !== PENDING) return Promise.resolve(true);
    const { timeout: ms, signal } = parsed;
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<boolean>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const done = () => {
        if (timer !== undefined) clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        resolve(true);
      };
      const drop = () => {
        const i = this.#waiters.indexOf(done);
        if (i >= 0) this.#waiters.splice(i, 1);
      };
      const onAbort = () => {
        if (timer !== undefined) clearTimeout(timer);
        drop();
        reject(signal?.reason);
      };
      this.#waiters.push(done);
      signal?.addEventListener('abort', onAbort, { once: true });
      if (ms !== Number.POSITIVE_INFINITY) {
        timer = setTimeout(() => {
          drop();
          signal?.removeEventListener('abort', onAbort);
          resolve(false);
        }, ms);
      }
    });
  }

  /**
   * The value, once ready. Rejects with the call's error (same class, message, own properties
   * and the worker's stack), with {@link TimeoutError} if `timeout` ms pass first, or with
   * `signal.reason` on abort.
   */
  async get(timeout?: WaitArg): Promise<R> {
    if (this.#state === PENDING && !(await this.wait(timeout))) {
      const { timeout: ms } = parseWait(timeout, 'AsyncResult.get');
      throw new TimeoutError(`AsyncResult.get(): the result was not ready within ${ms} ms`);
    }
    if (this.#state === FULFILLED) return this.#value as R;
    throw this.#value;
  }

  /** @internal Settles the result once; later calls are ignored. Returns whether it settled. */
  _settle(ok: boolean, value: unknown): boolean {
    if (this.#state !== PENDING) return false;
    this.#state = ok ? FULFILLED : REJECTED;
    this.#value = value;
    const cbs = this.#callbacks;
    this.#callbacks = undefined;
    try {
      if (ok) cbs?.callback?.(value as R);
      else cbs?.errorCallback?.(value);
    } catch (e) {
      // A throwing callback is a bug in the caller's code: surface it as Node does for listeners.
      queueMicrotask(() => {
        throw e;
      });
    }
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
    return true;
  }
}
