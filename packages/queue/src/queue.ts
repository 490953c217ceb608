/**
 * Queue and JoinableQueue: Python's multiprocessing queues on a shared-memory MessageRing.
 * JoinableQueue keeps its count of unfinished tasks in the ring's first user word
 * (`MessageRing.USER_WORDS[0]`), the ring's tally of its puts (WriteOptions.tally): the ring
 * adds one as it publishes the item, in the writers' lock, so the count is up before any
 * consumer can get the item, and a producer killed mid-put counts its item only if it was
 * published (the ring's repair of the dead writer takes a count back otherwise). `taskDone`
 * takes one away and wakes `join()` waiters when it reaches zero. Read the word masked with
 * `MessageRing.TALLY_MASK` (the bit above marks a publication under way).
 */
import { type SharedBlock, waitAsync, waitSync, wake } from '@multiproc/memory';
import { MessageRing } from '@multiproc/pipe';
import { dumpsChunks, registerReducer } from '@multiproc/serialization';
import { Full } from './errors.js';
import { type QueueWaitOptions, checkOptions } from './options.js';
import { type QueueOptions, QueueBase, attachTo } from './queue-base.js';

const UNFINISHED = MessageRing.USER_WORDS[0];
const MASK = MessageRing.TALLY_MASK;
/** A join() that sees a publication under way looks again this often (its writer may be dead). */
const MARKED_POLL_MS = 20;

/**
 * A FIFO queue shared by any number of producer and consumer workers.
 *
 * @example
 * const q = new Queue<number>();
 * await q.put(1);
 * await q.get(); // 1
 */
export class Queue<T = unknown> extends QueueBase<T> {
  /** `maxsize` 0 (default) = unbounded: `put` never blocks. */
  constructor(maxsize = 0, options?: QueueOptions) {
    super(maxsize, options);
  }

  /** The bound given at construction (0 = unbounded). */
  get maxsize(): number {
    return this.ring.maxItems;
  }

  /** @internal JoinableQueue's count of unfinished tasks: the ring's tally word of puts. */
  protected get tally(): number | undefined {
    return undefined;
  }

  /**
   * Puts an item, waiting for room in a bounded queue; Full on timeout or with `block: false`.
   * Once it resolves, the item is in shared memory.
   */
  async put(obj: T, opts?: QueueWaitOptions): Promise<void> {
    this.checkOpen('put');
    const o = checkOptions(opts, 'put');
    const chunks = dumpsChunks(obj);
    this.producing();
    const tally = this.tally;
    const w = tally === undefined ? o : { ...o, tally };
    if (!(await this.holding(() => this.ring.writeAsync(chunks, w)))) throw new Full();
  }

  /** {@link put} blocking the thread while a bounded queue is full. */
  putSync(obj: T, opts?: QueueWaitOptions): void {
    this.checkOpen('put');
    const o = checkOptions(opts, 'putSync');
    const chunks = dumpsChunks(obj);
    this.producing();
    const tally = this.tally;
    if (!this.ring.write(chunks, tally === undefined ? o : { ...o, tally })) throw new Full();
  }

  /** Puts an item if there is room now, else Full. */
  putNowait(obj: T): void {
    this.putSync(obj, { block: false });
  }

  /** Items in the queue now (exact: a counter in shared memory). */
  qsize(): number {
    return this.ring.size();
  }

  /** Whether a bounded queue is at its maxsize now. */
  full(): boolean {
    const max = this.ring.maxItems;
    return max > 0 && this.ring.size() >= max;
  }

  /**
   * Python waits here for the feeder thread to flush; there is none (every item whose `put`
   * returned is in shared memory already), so this resolves at once. Call `close()` first.
   */
  async joinThread(): Promise<void> {
    if (!this.closed) throw new Error('joinThread(): call close() on this queue first (as in Python)');
  }

  /** No feeder thread, nothing to cancel: kept for Python compatibility. */
  cancelJoinThread(): void {}
}

/** A Queue whose consumers confirm each item with `taskDone()`, so that `join()` can wait for all. */
export class JoinableQueue<T = unknown> extends Queue<T> {
  constructor(maxsize = 0, options?: QueueOptions) {
    super(maxsize, options);
  }

  protected override get tally(): number {
    return UNFINISHED;
  }

  private taskDoneRaw(): boolean {
    const i32 = this.ring.i32;
    for (;;) {
      const v = Atomics.load(i32, UNFINISHED);
      if ((v & MASK) <= 0) return false;
      if (Atomics.compareExchange(i32, UNFINISHED, v, v - 1) === v) {
        if ((v & MASK) === 1) wake(i32, UNFINISHED);
        return true;
      }
    }
  }

  /**
   * How long to sleep on the count `v`: a publication under way (the mark) is over in a
   * moment unless its writer died in it; then repair now (the next put would) and look again.
   */
  private sleepFor(v: number, left: number): number {
    if ((v & ~MASK) === 0) return left;
    this.ring.repairWriters();
    return Math.min(left, MARKED_POLL_MS);
  }

  /** Marks one item got from the queue as processed. RangeError if called more times than items were put. */
  taskDone(): void {
    if (!this.taskDoneRaw()) {
      throw new RangeError('taskDone() called more times than there were items put in the queue');
    }
  }

  /** Resolves once every item put has been marked with `taskDone()`; a number (ms) or `{ timeout?, signal? }`. */
  async join(timeout?: number | { timeout?: number; signal?: AbortSignal }): Promise<boolean> {
    const o = typeof timeout === 'number' ? { timeout } : checkOptions(timeout, 'join');
    return this.holding(() => this.joinAsync(o));
  }

  private async joinAsync(o: { timeout?: number; signal?: AbortSignal }): Promise<boolean> {
    if (o.signal?.aborted) throw o.signal.reason;
    const deadline = o.timeout === undefined ? Number.POSITIVE_INFINITY : performance.now() + o.timeout;
    const i32 = this.ring.i32;
    for (;;) {
      const v = Atomics.load(i32, UNFINISHED);
      if ((v & MASK) === 0) return true;
      const left = deadline - performance.now();
      if (left <= 0) return false;
      await waitAsync(i32, UNFINISHED, v, this.sleepFor(v, left), o.signal);
    }
  }

  /** {@link join} blocking the thread; true when done, false on timeout. */
  joinSync(timeout?: number): boolean {
    const deadline = timeout === undefined ? Number.POSITIVE_INFINITY : performance.now() + timeout;
    const i32 = this.ring.i32;
    for (;;) {
      const v = Atomics.load(i32, UNFINISHED);
      if ((v & MASK) === 0) return true;
      const left = deadline - performance.now();
      if (left <= 0) return false;
      waitSync(i32, UNFINISHED, v, this.sleepFor(v, left));
    }
  }
}

registerReducer(Queue, {
  name: '@multiproc/queue:Queue',
  reduce: (q) => QueueBase.reduceBase(q),
  rebuild: (block: SharedBlock) => attachTo(block, () => new Queue()),
});
registerReducer(JoinableQueue, {
  name: '@multiproc/queue:JoinableQueue',
  reduce: (q) => QueueBase.reduceBase(q),
  rebuild: (block: SharedBlock) => attachTo(block, () => new JoinableQueue()),
});
