/**
 * Typed proxies of the synchronization objects and queues held by a manager. Every method is
 * async (one round trip); a blocking one takes `{ block?, timeout?, signal? }` (timeout in ms),
 * and an aborted `signal` cancels the wait in the server too.
 */
import { BaseProxy, setProxyType } from '../proxy.js';

/** `{ block?, timeout?, signal? }` of acquire / put / get. */
export interface BlockingOptions {
  block?: boolean;
  /** Milliseconds; undefined waits without limit. */
  timeout?: number;
  signal?: AbortSignal;
}

/** A bare timeout in ms, or `{ timeout?, signal? }`. */
export type WaitTimeout = number | { timeout?: number; signal?: AbortSignal } | undefined;

function split(options: BlockingOptions | undefined): [unknown[], AbortSignal | undefined] {
  if (!options) return [[], undefined];
  const { signal, ...rest } = options;
  return [[rest], signal];
}

function splitTimeout(t: WaitTimeout): [unknown[], AbortSignal | undefined] {
  if (t === undefined) return [[], undefined];
  if (typeof t === 'number') return [[t], undefined];
  return [[t.timeout ?? null], t.signal];
}

/**
 * Proxy of `manager.Lock()` / `manager.RLock()` (Python's AcquirerProxy). An RLock belongs to
 * the worker that acquired it.
 *
 * @example
 * ```ts
 * const lock = await manager.Lock();
 * if (await lock.acquire({ timeout: 1000 })) {
 *   try { ... } finally { await lock.release(); }
 * }
 * ```
 */
export class AcquirerProxy extends BaseProxy {
  /** Resolves true once acquired; false if `block: false` or the timeout ran out first. */
  acquire(options?: BlockingOptions): Promise<boolean> {
    const [args, signal] = split(options);
    return this._callMethod('acquire', args, signal);
  }
  release(): Promise<void> {
    return this._callMethod('release');
  }
  /** Runs `fn` holding the lock (Python's `with lock:`). */
  async withLock<R>(fn: () => R | Promise<R>): Promise<R> {
    await this.acquire();
    try {
      return await fn();
    } finally {
      await this.release();
    }
  }
}

/** Proxy of `manager.Lock()`. */
export class LockProxy extends AcquirerProxy {
  locked(): Promise<boolean> {
    return this._callMethod('locked');
  }
}

/** Proxy of `manager.Semaphore()` / `manager.BoundedSemaphore()`. */
export class SemaphoreProxy extends BaseProxy {
  acquire(options?: BlockingOptions): Promise<boolean> {
    const [args, signal] = split(options);
    return this._callMethod('acquire', args, signal);
  }
  release(n = 1): Promise<void> {
    return this._callMethod('release', [n]);
  }
  getValue(): Promise<number> {
    return this._callMethod('getValue');
  }
}

/** Proxy of `manager.Condition(lock?)`. */
export class ConditionProxy extends AcquirerProxy {
  /** Releases the lock, waits for notify() (or the timeout), re-acquires; false on timeout. */
  wait(timeout?: WaitTimeout): Promise<boolean> {
    const [args, signal] = splitTimeout(timeout);
    return this._callMethod('wait', args, signal);
  }
  /**
   * Waits until `predicate()` (run here, as Python runs it in the caller) is truthy; resolves
   * with its last value. Call it holding the lock.
   */
  async waitFor<T>(predicate: () => T | Promise<T>, timeout?: WaitTimeout): Promise<T> {
    const ms = typeof timeout === 'number' ? timeout : timeout?.timeout;
    const signal = typeof timeout === 'object' ? timeout.signal : undefined;
    const deadline = ms === undefined ? undefined : performance.now() + ms;
    let result = await predicate();
    while (!result) {
      const left = deadline === undefined ? undefined : deadline - performance.now();
      if (left !== undefined && left <= 0) break;
      await this.wait({ timeout: left, signal });
      result = await predicate();
    }
    return result;
  }
  notify(n = 1): Promise<void> {
    return this._callMethod('notify', [n]);
  }
  notifyAll(): Promise<void> {
    return this._callMethod('notifyAll');
  }
}

/** Proxy of `manager.Event()`. */
export class EventProxy extends BaseProxy {
  isSet(): Promise<boolean> {
    return this._callMethod('isSet');
  }
  set(): Promise<void> {
    return this._callMethod('set');
  }
  clear(): Promise<void> {
    return this._callMethod('clear');
  }
  /** Resolves true once set, false if the timeout ran out first. */
  wait(timeout?: WaitTimeout): Promise<boolean> {
    const [args, signal] = splitTimeout(timeout);
    return this._callMethod('wait', args, signal);
  }
}

/** Proxy of `manager.Barrier(parties, { timeout? })`. */
export class BarrierProxy extends BaseProxy {
  /** Resolves with this party's arrival index; rejects (BrokenBarrierError) if it breaks. */
  wait(timeout?: WaitTimeout): Promise<number> {
    const [args, signal] = splitTimeout(timeout);
    return this._callMethod('wait', args, signal);
  }
  abort(): Promise<void> {
    return this._callMethod('abort');
  }
  reset(): Promise<void> {
    return this._callMethod('reset');
  }
  parties(): Promise<number> {
    return this._callMethod('parties');
  }
  nWaiting(): Promise<number> {
    return this._callMethod('nWaiting');
  }
  broken(): Promise<boolean> {
    return this._callMethod('broken');
  }
}

/**
 * Proxy of `manager.Queue(maxsize?)` and `manager.JoinableQueue(maxsize?)`. `get` on an empty
 * queue with `block: false` (or after its timeout) rejects with a RemoteError whose cause is
 * `Empty`; `put` on a full one, `Full`.
 *
 * @example
 * ```ts
 * const q = await manager.Queue<number>();
 * await q.put(1);
 * await q.get({ timeout: 1000 }); // 1
 * ```
 */
export class QueueProxy<T = any> extends BaseProxy {
  put(item: T, options?: BlockingOptions): Promise<void> {
    const [args, signal] = split(options);
    return this._callMethod('put', [item, ...args], signal);
  }
  putNowait(item: T): Promise<void> {
    return this._callMethod('putNowait', [item]);
  }
  get(options?: BlockingOptions): Promise<T> {
    const [args, signal] = split(options);
    return this._callMethod('get', args, signal);
  }
  getNowait(): Promise<T> {
    return this._callMethod('getNowait');
  }
  qsize(): Promise<number> {
    return this._callMethod('qsize');
  }
  empty(): Promise<boolean> {
    return this._callMethod('empty');
  }
  full(): Promise<boolean> {
    return this._callMethod('full');
  }
  /** JoinableQueue only: one item fetched earlier is processed. */
  taskDone(): Promise<void> {
    return this._callMethod('taskDone');
  }
  /** JoinableQueue only: resolves once every item put was marked done. */
  join(options?: { signal?: AbortSignal }): Promise<void> {
    return this._callMethod('join', [], options?.signal);
  }
}

setProxyType('Lock', LockProxy);
setProxyType('RLock', AcquirerProxy);
setProxyType('Semaphore', SemaphoreProxy);
setProxyType('BoundedSemaphore', SemaphoreProxy);
setProxyType('Condition', ConditionProxy);
setProxyType('Event', EventProxy);
setProxyType('Barrier', BarrierProxy);
setProxyType('Queue', QueueProxy);
setProxyType('JoinableQueue', QueueProxy);
