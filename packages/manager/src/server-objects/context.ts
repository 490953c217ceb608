/**
 * What a shared object's method may ask about the call it serves, and the async wait queue
 * the server-side synchronization objects stand on.
 *
 * The server is one JavaScript thread, so an object must never block it: a `lock.acquire()`
 * that has to wait returns a Promise, parked in a {@link WaitQueue}, and the server goes on
 * serving other clients. The owner of a lock (for RLock and Condition) is the client
 * connection that made the call — one per client thread, as Python's manager has one server
 * thread per client thread.
 */

/** The request a method of a shared object is serving. */
export class CallContext {
  /** Id of the client connection (the owner of locks acquired by this call). */
  readonly owner: number;
  #controller: AbortController | undefined;
  cancelled = false;

  constructor(owner: number) {
    this.owner = owner;
  }

  /** Aborted when the caller cancels the call (its AbortSignal fired) or disconnects. */
  get signal(): AbortSignal {
    this.#controller ??= new AbortController();
    return this.#controller.signal;
  }

  /** @internal */
  cancel(): void {
    this.cancelled = true;
    this.#controller?.abort(new CancelledError());
  }
}

/** A wait ended because its caller cancelled the call. */
export class CancelledError extends Error {
  constructor() {
    super('the call was cancelled by its caller');
    this.name = 'CancelledError';
  }
}

let current: CallContext | undefined;
const NO_CONTEXT = new CallContext(0);

/**
 * The context of the call being served. Valid during the synchronous part of a method (read
 * it first thing, before any `await`); outside a call it is a context of owner 0.
 *
 * @example
 * ```ts
 * class Counter {
 *   async waitFor(n: number) {
 *     const { signal } = callContext(); // aborted if the caller gives up
 *     ...
 *   }
 * }
 * ```
 */
export function callContext(): CallContext {
  return current ?? NO_CONTEXT;
}

/** @internal Runs `fn` with `ctx` as the current call context. */
export function withContext<R>(ctx: CallContext, fn: () => R): R {
  const saved = current;
  current = ctx;
  try {
    return fn();
  } finally {
    current = saved;
  }
}

interface Waiter<T> {
  tag: T;
  resolve(woken: boolean): void;
  reject(err: unknown): void;
  done: boolean;
}

/**
 * A FIFO of parked calls. `park` resolves true when woken, false when `timeout` ms pass first,
 * and rejects when the call is cancelled; a waiter is woken at most once.
 */
export class WaitQueue<T = void> {
  readonly #waiters: Waiter<T>[] = [];

  get size(): number {
    return this.#waiters.length;
  }

  park(tag: T, timeout: number | null | undefined, signal?: AbortSignal): Promise<boolean> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<boolean>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const finish = () => {
        w.done = true;
        if (timer) clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        const i = this.#waiters.indexOf(w);
        if (i >= 0) this.#waiters.splice(i, 1);
      };
      const w: Waiter<T> = {
        tag,
        done: false,
        resolve: (v) => {
          finish();
          resolve(v);
        },
        reject: (e) => {
          finish();
          reject(e);
        },
      };
      const onAbort = () => w.reject(signal!.reason);
      if (timeout !== null && timeout !== undefined && Number.isFinite(timeout)) {
        timer = setTimeout(() => w.resolve(false), Math.max(0, timeout));
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiters.push(w);
    });
  }

  /** Wakes the first waiter; returns its tag (the caller hands it what it waited for first). */
  shift(): { tag: T } | undefined {
    const w = this.#waiters[0];
    if (!w) return undefined;
    w.resolve(true);
    return { tag: w.tag };
  }

  /** Wakes the first waiter, handing it over through `give(tag)` before it resumes. */
  handOff(give: (tag: T) => void): boolean {
    const w = this.#waiters[0];
    if (!w) return false;
    give(w.tag);
    w.resolve(true);
    return true;
  }

  wakeAll(): number {
    const all = [...this.#waiters];
    for (const w of all) w.resolve(true);
    return all.length;
  }

  rejectAll(err: unknown): void {
    for (const w of [...this.#waiters]) w.reject(err);
  }
}

/** `{ block?, timeout? }` as the proxies send it; timeout in ms. */
export interface BlockOptions {
  block?: boolean;
  timeout?: number | null;
}

/** A `timeout` argument: ms, or `{ timeout }`, or nothing (wait without limit). */
export function timeoutOf(arg: unknown): number | undefined {
  if (arg === undefined || arg === null) return undefined;
  if (typeof arg === 'number') return checkMs(arg);
  if (typeof arg === 'object') {
    const t = (arg as { timeout?: unknown }).timeout;
    if (t === undefined || t === null) return undefined;
    if (typeof t === 'number') return checkMs(t);
  }
  throw new TypeError(`timeout must be a number of ms or { timeout }, got ${typeof arg}`);
}

function checkMs(ms: number): number | undefined {
  if (Number.isNaN(ms)) throw new RangeError('timeout must be a number of ms, got NaN');
  return ms === Number.POSITIVE_INFINITY ? undefined : ms;
}

/** Normalizes `{ block?, timeout? }`. */
export function blockOptions(arg: unknown): { block: boolean; timeout: number | undefined } {
  if (arg === undefined || arg === null) return { block: true, timeout: undefined };
  if (typeof arg === 'boolean') return { block: arg, timeout: undefined };
  if (typeof arg !== 'object') throw new TypeError(`options must be { block?, timeout? }, got ${typeof arg}`);
  const { block = true } = arg as BlockOptions;
  return { block: Boolean(block), timeout: timeoutOf(arg) };
}

/** Milliseconds left until `deadline` (undefined = no limit). */
export function remaining(deadline: number | undefined): number | undefined {
  return deadline === undefined ? undefined : Math.max(0, deadline - performance.now());
}

/** The deadline for a timeout (undefined = none). */
export function deadlineOf(timeout: number | undefined): number | undefined {
  return timeout === undefined ? undefined : performance.now() + timeout;
}
