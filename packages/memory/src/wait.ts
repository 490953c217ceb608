/**
 * Blocking and async wait/wake on a 32-bit word of shared memory: the one waiting primitive
 * every lock, condition, queue and channel of multiproc stands on.
 *
 * Under the 'thread' start method a block is a SharedArrayBuffer and these are
 * `Atomics.wait` / `Atomics.waitAsync` / `Atomics.notify`. A buffer that lives in OS shared
 * memory (the 'spawn' start method) registers a cross-process backend for itself with
 * {@link setWaitBackend}; data-structure code never knows which one it has.
 */

/** What a wait ended with: woken, the word already differed, or the timeout ran out. */
export type WaitResult = 'ok' | 'not-equal' | 'timed-out';

/** The wait/wake operations of one kind of shared memory. */
export interface WaitBackend {
  wait(i32: Int32Array, index: number, expected: number, timeoutMs: number): WaitResult;
  /** `signal` lets a backend release a pending wait early (its promise then resolves anyway). */
  waitAsync(
    i32: Int32Array,
    index: number,
    expected: number,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<WaitResult>;
  wake(i32: Int32Array, index: number, count: number): number;
}

/**
 * Safety net: on Node 20 a notify to an `Atomics.waitAsync` waiter is occasionally never
 * delivered (caught by the pool under load: the word changed, notify called, the waiter still
 * asleep). So an async wait re-checks its word every LOST_WAKE_CHECK_MS and ends as woken if
 * it changed. Every protocol here changes the word before it notifies (the futex rule), so a
 * lost notify costs at most that long instead of a hang; a wait that is not lost ends at once.
 */
const LOST_WAKE_CHECK_MS = 50;

const atomicsBackend: WaitBackend = {
  wait: (i32, index, expected, timeoutMs) => Atomics.wait(i32, index, expected, timeoutMs),
  async waitAsync(i32, index, expected, timeoutMs, signal) {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const slice = Math.max(0, Math.min(deadline - performance.now(), LOST_WAKE_CHECK_MS));
      const r = Atomics.waitAsync(i32, index, expected, slice);
      const result = r.async ? await r.value : r.value;
      if (result !== 'timed-out') return result;
      if (Atomics.load(i32, index) !== expected) return 'ok';
      if (signal?.aborted || deadline - performance.now() <= 0) return 'timed-out';
    }
  },
  wake: (i32, index, count) => Atomics.notify(i32, index, count),
};

const backends = new WeakMap<ArrayBufferLike, WaitBackend>();

/** Registers the wait backend of a buffer (used by the OS shared-memory layer). */
export function setWaitBackend(buffer: ArrayBufferLike, backend: WaitBackend): void {
  backends.set(buffer, backend);
}

function backendOf(i32: Int32Array): WaitBackend {
  return backends.get(i32.buffer) ?? atomicsBackend;
}

function toTimeout(timeoutMs: number | undefined): number {
  if (timeoutMs === undefined || timeoutMs === Number.POSITIVE_INFINITY) return Number.POSITIVE_INFINITY;
  if (typeof timeoutMs !== 'number' || Number.isNaN(timeoutMs)) {
    throw new TypeError(`timeout must be a number of milliseconds, got ${String(timeoutMs)}`);
  }
  return Math.max(0, timeoutMs);
}

let beforeBlock: (() => void) | undefined;

/**
 * @internal Runs `hook` before the next `waitSync` of this thread (the block directory starts
 * its thread there, so that a child never waits for a root that is blocked).
 */
export function setBeforeBlock(hook: (() => void) | undefined): void {
  beforeBlock = hook;
}

/**
 * Blocks the calling thread while `i32[index] === expected`, until woken or `timeoutMs` passes.
 * Spurious wake-ups are possible: callers re-check their condition in a loop.
 */
export function waitSync(i32: Int32Array, index: number, expected: number, timeoutMs?: number): WaitResult {
  if (beforeBlock !== undefined) beforeBlock();
  return backendOf(i32).wait(i32, index, expected, toTimeout(timeoutMs));
}

/**
 * Waits without blocking the event loop while `i32[index] === expected`.
 *
 * Keeps the process alive while pending (as a blocked Python call would), and rejects with
 * `signal.reason` on abort. A wake-up that reaches a waiter after its caller gave up (aborted)
 * is passed on to the next waiter, so an abort never swallows another waiter's wake-up.
 */
export function waitAsync(
  i32: Int32Array,
  index: number,
  expected: number,
  timeoutMs?: number,
  signal?: AbortSignal,
): Promise<WaitResult> {
  const timeout = toTimeout(timeoutMs);
  if (signal?.aborted) return Promise.reject(signal.reason);
  const backend = backendOf(i32);
  const inner = backend.waitAsync(i32, index, expected, timeout, signal);
  // Atomics.waitAsync does not keep Node's event loop alive; a ref'd timer does.
  const keepAlive = setInterval(() => {}, 2 ** 30);
  if (!signal) return inner.finally(() => clearInterval(keepAlive));
  return new Promise<WaitResult>((resolve, reject) => {
    let abandoned = false;
    const onAbort = () => {
      abandoned = true;
      clearInterval(keepAlive);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    inner.then(
      (result) => {
        if (abandoned) {
          if (result === 'ok') backend.wake(i32, index, 1);
          return;
        }
        signal.removeEventListener('abort', onAbort);
        clearInterval(keepAlive);
        resolve(result);
      },
      (err) => {
        signal.removeEventListener('abort', onAbort);
        clearInterval(keepAlive);
        if (!abandoned) reject(err);
      },
    );
  });
}

/** Wakes up to `count` waiters (sync or async) on `i32[index]`; returns how many were woken. */
export function wake(i32: Int32Array, index: number, count = Number.POSITIVE_INFINITY): number {
  return backendOf(i32).wake(i32, index, count);
}
