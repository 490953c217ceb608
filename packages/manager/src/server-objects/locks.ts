/**
 * Server-side Lock, RLock, Semaphore and BoundedSemaphore: async, owner = client connection.
 *
 * Why not `@multiproc/synchronize`: those primitives live in shared memory and belong to the
 * worker thread that acquires them. In the server every client is the same thread, so an
 * RLock would count every client as its owner. These small versions keep the owner per client
 * connection, wait without blocking the thread (a Promise parked in a WaitQueue), and hand a
 * released lock straight to the first waiter (FIFO, no barging).
 */
import { blockOptions, callContext, WaitQueue } from './context.js';

/** The lock operations Condition needs. */
export interface ConditionLock {
  isOwned(owner: number): boolean;
  /** Fully releases the lock held by `owner`; returns what {@link acquireRestore} needs. */
  releaseSave(owner: number): number;
  acquireRestore(owner: number, saved: number): Promise<void> | void;
}

/** `manager.Lock()`: a mutex any client may release (as Python's Lock). */
export class ServerLock implements ConditionLock {
  protected owner: number | null = null;
  protected count = 0;
  protected readonly waiters = new WaitQueue<number>();

  acquire(options?: unknown): boolean | Promise<boolean> {
    const { block, timeout } = blockOptions(options);
    const ctx = callContext();
    if (this.tryTake(ctx.owner)) return true;
    if (!block) return false;
    return this.waiters.park(ctx.owner, timeout, ctx.signal);
  }

  release(): void {
    if (this.owner === null) throw new Error('cannot release an unlocked lock (release() without acquire())');
    this.releaseAll();
  }

  locked(): boolean {
    return this.owner !== null;
  }

  /** Takes the lock if free (RLock: or already owned by `owner`). */
  protected tryTake(owner: number): boolean {
    if (this.owner !== null) return false;
    this.owner = owner;
    this.count = 1;
    return true;
  }

  /** Frees the lock, or hands it to the first waiter. */
  protected releaseAll(): void {
    this.owner = null;
    this.count = 0;
    this.waiters.handOff((next) => {
      this.owner = next;
      this.count = 1;
    });
  }

  isOwned(owner: number): boolean {
    return this.owner === owner;
  }

  releaseSave(owner: number): number {
    if (this.owner !== owner)
      throw new Error('cannot wait on an un-acquired lock: acquire the condition first');
    const saved = this.count;
    this.releaseAll();
    return saved;
  }

  async acquireRestore(owner: number, saved: number): Promise<void> {
    if (!this.tryTake(owner)) await this.waiters.park(owner, undefined);
    this.count = saved;
  }
}

/** `manager.RLock()`: recursive; only the client connection that acquired it may release it. */
export class ServerRLock extends ServerLock {
  protected override tryTake(owner: number): boolean {
    if (this.owner === owner) {
      this.count++;
      return true;
    }
    return super.tryTake(owner);
  }

  override release(): void {
    const { owner } = callContext();
    if (this.owner !== owner) {
      throw new Error('cannot release an un-acquired RLock: it is not held by this client (worker)');
    }
    if (--this.count === 0) this.releaseAll();
  }
}

/** `manager.Semaphore(value)`. */
export class ServerSemaphore {
  protected value: number;
  protected readonly waiters = new WaitQueue<void>();

  constructor(value = 1) {
    if (!Number.isInteger(value) || value < 0) {
      throw new RangeError(`semaphore initial value must be an integer >= 0, got ${value}`);
    }
    this.value = value;
  }

  acquire(options?: unknown): boolean | Promise<boolean> {
    const { block, timeout } = blockOptions(options);
    if (this.value > 0) {
      this.value--;
      return true;
    }
    if (!block) return false;
    return this.waiters.park(undefined, timeout, callContext().signal);
  }

  release(n = 1): void {
    if (!Number.isInteger(n) || n < 1)
      throw new RangeError(`release(n): n must be an integer >= 1, got ${n}`);
    this.check(n);
    for (let i = 0; i < n; i++) if (!this.waiters.handOff(() => {})) this.value++;
  }

  getValue(): number {
    return this.value;
  }

  protected check(_n: number): void {}
}

/** `manager.BoundedSemaphore(value)`: releasing past the initial value is a RangeError. */
export class ServerBoundedSemaphore extends ServerSemaphore {
  readonly #initial: number;
  constructor(value = 1) {
    super(value);
    this.#initial = value;
  }
  protected override check(n: number): void {
    if (this.value + n > this.#initial) {
      throw new RangeError(
        `BoundedSemaphore released too many times (its initial value is ${this.#initial})`,
      );
    }
  }
}
