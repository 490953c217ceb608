/**
 * Server-side Queue and JoinableQueue (Python's `queue.Queue` in the manager's server), async:
 * a `get()` on an empty queue parks its call and the server keeps serving others.
 */
import { Empty, Full } from '@multiproc/queue';
import { blockOptions, callContext, deadlineOf, remaining, WaitQueue } from './context.js';

/** `manager.Queue(maxsize = 0)`: FIFO; 0 = unbounded. */
export class ServerQueue {
  readonly maxsize: number;
  #items: unknown[] = [];
  #head = 0;
  readonly #getters = new WaitQueue<void>();
  readonly #putters = new WaitQueue<void>();

  constructor(maxsize = 0) {
    if (!Number.isInteger(maxsize)) throw new TypeError(`maxsize must be an integer, got ${maxsize}`);
    this.maxsize = maxsize;
  }

  qsize(): number {
    return this.#items.length - this.#head;
  }

  empty(): boolean {
    return this.qsize() === 0;
  }

  full(): boolean {
    return this.maxsize > 0 && this.qsize() >= this.maxsize;
  }

  /** Puts `item`; waits for room in a full bounded queue (Full on timeout or `block: false`). */
  put(item: unknown, options?: unknown): void | Promise<void> {
    const { block, timeout } = blockOptions(options);
    if (!this.full()) return this.#push(item);
    if (!block) throw new Full();
    return this.#waitRoom(item, deadlineOf(timeout));
  }

  putNowait(item: unknown): void {
    this.put(item, { block: false });
  }

  /** Removes and returns the oldest item; waits for one (Empty on timeout or `block: false`). */
  get(options?: unknown): unknown {
    const { block, timeout } = blockOptions(options);
    if (!this.empty()) return this.#shift();
    if (!block) throw new Empty();
    return this.#waitItem(deadlineOf(timeout));
  }

  getNowait(): unknown {
    return this.get({ block: false });
  }

  async #waitRoom(item: unknown, deadline: number | undefined): Promise<void> {
    const { signal } = callContext();
    while (this.full()) {
      const woken = await this.#putters.park(undefined, remaining(deadline), signal);
      if (!woken && this.full()) throw new Full();
    }
    this.#push(item);
  }

  async #waitItem(deadline: number | undefined): Promise<unknown> {
    const { signal } = callContext();
    while (this.empty()) {
      const woken = await this.#getters.park(undefined, remaining(deadline), signal);
      if (!woken && this.empty()) throw new Empty();
    }
    return this.#shift();
  }

  protected onPut(): void {}

  #push(item: unknown): void {
    this.#items.push(item);
    this.onPut();
    this.#getters.shift();
  }

  #shift(): unknown {
    const item = this.#items[this.#head];
    this.#items[this.#head++] = undefined;
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    this.#putters.shift();
    return item;
  }
}

/** `manager.JoinableQueue(maxsize = 0)`: + `taskDone()` and `join()`. */
export class ServerJoinableQueue extends ServerQueue {
  #unfinished = 0;
  readonly #joiners = new WaitQueue<void>();

  protected override onPut(): void {
    this.#unfinished++;
  }

  /** One item fetched earlier is processed; RangeError if called more times than items put. */
  taskDone(): void {
    if (this.#unfinished <= 0) throw new RangeError('taskDone() called too many times');
    if (--this.#unfinished === 0) this.#joiners.wakeAll();
  }

  /** Resolves once every item put has been marked done with taskDone(). */
  async join(): Promise<void> {
    const { signal } = callContext();
    while (this.#unfinished > 0) await this.#joiners.park(undefined, undefined, signal);
  }
}
