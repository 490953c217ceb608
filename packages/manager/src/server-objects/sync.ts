/**
 * Server-side Condition, Event and Barrier (async; see locks.ts for why they are not the
 * shared-memory classes of `@multiproc/synchronize`).
 */
import { BrokenBarrierError } from '@multiproc/synchronize';
import { callContext, timeoutOf, WaitQueue } from './context.js';
import { type ConditionLock, ServerRLock } from './locks.js';

/** `manager.Condition(lock?)`: the lock defaults to a new RLock. */
export class ServerCondition {
  readonly #lock: ConditionLock & { acquire(o?: unknown): unknown; release(): void };
  readonly #waiters = new WaitQueue<void>();

  constructor(lock?: ConditionLock & { acquire(o?: unknown): unknown; release(): void }) {
    this.#lock = lock ?? new ServerRLock();
  }

  acquire(options?: unknown): unknown {
    return this.#lock.acquire(options);
  }

  release(): void {
    this.#lock.release();
  }

  /** Releases the lock, waits for notify() (or the timeout), re-acquires; false on timeout. */
  async wait(timeout?: unknown): Promise<boolean> {
    const ms = timeoutOf(timeout);
    const ctx = callContext();
    const saved = this.#lock.releaseSave(ctx.owner);
    try {
      return await this.#waiters.park(undefined, ms, ctx.signal);
    } finally {
      await this.#lock.acquireRestore(ctx.owner, saved);
    }
  }

  notify(n = 1): void {
    this.#checkOwned('notify');
    for (let i = 0; i < n; i++) if (!this.#waiters.shift()) break;
  }

  notifyAll(): void {
    this.#checkOwned('notifyAll');
    this.#waiters.wakeAll();
  }

  #checkOwned(what: string): void {
    if (!this.#lock.isOwned(callContext().owner)) {
      throw new Error(`cannot ${what}() on an un-acquired condition: acquire() it first`);
    }
  }
}

/** `manager.Event()`. */
export class ServerEvent {
  #flag = false;
  readonly #waiters = new WaitQueue<void>();

  isSet(): boolean {
    return this.#flag;
  }

  set(): void {
    this.#flag = true;
    this.#waiters.wakeAll();
  }

  clear(): void {
    this.#flag = false;
  }

  /** Resolves true once the flag is set, false if `timeout` ms pass first. */
  async wait(timeout?: unknown): Promise<boolean> {
    const ms = timeoutOf(timeout);
    if (this.#flag) return true;
    if (ms !== undefined && ms <= 0) return false;
    await this.#waiters.park(undefined, ms, callContext().signal);
    return this.#flag;
  }
}

interface BarrierWaiter {
  resolve(index: number): void;
  reject(err: unknown): void;
  index: number;
  timer?: NodeJS.Timeout;
}

/** `manager.Barrier(parties, { timeout? })`. */
export class ServerBarrier {
  readonly #parties: number;
  readonly #timeout: number | undefined;
  #waiting: BarrierWaiter[] = [];
  #broken = false;

  constructor(parties: number, options: { timeout?: number } = {}) {
    if (!Number.isInteger(parties) || parties < 1) {
      throw new RangeError(`Barrier parties must be an integer >= 1, got ${parties}`);
    }
    this.#parties = parties;
    this.#timeout = timeoutOf(options?.timeout);
  }

  /** Resolves with this party's arrival index (0 .. parties-1); BrokenBarrierError if broken. */
  wait(timeout?: unknown): number | Promise<number> {
    if (this.#broken) throw new BrokenBarrierError();
    const index = this.#waiting.length;
    if (index + 1 === this.#parties) {
      const all = this.#waiting;
      this.#waiting = [];
      for (const w of all) {
        clearTimeout(w.timer);
        w.resolve(w.index);
      }
      return index;
    }
    const ms = timeout === undefined ? this.#timeout : timeoutOf(timeout);
    const { signal } = callContext();
    return new Promise<number>((resolve, reject) => {
      const w: BarrierWaiter = { resolve, reject, index };
      if (ms !== undefined) w.timer = setTimeout(() => this.#break(), ms);
      signal.addEventListener(
        'abort',
        () => {
          // A party that leaves breaks the barrier for the others, as a timeout does.
          this.#break();
        },
        { once: true },
      );
      this.#waiting.push(w);
    });
  }

  /** Breaks the barrier: current and future waiters get BrokenBarrierError until reset(). */
  abort(): void {
    this.#break();
  }

  /** Back to the initial state; current waiters get BrokenBarrierError. */
  reset(): void {
    this.#break();
    this.#broken = false;
  }

  parties(): number {
    return this.#parties;
  }

  nWaiting(): number {
    return this.#waiting.length;
  }

  broken(): boolean {
    return this.#broken;
  }

  #break(): void {
    this.#broken = true;
    const all = this.#waiting;
    this.#waiting = [];
    for (const w of all) {
      clearTimeout(w.timer);
      w.reject(new BrokenBarrierError());
    }
  }
}
