/**
 * Queue and JoinableQueue: Python's multiprocessing queues on a shared-memory MessageRing.
 * JoinableQueue keeps its count of unfinished tasks in the ring's first user word
 * (`MessageRing.USER_WORDS[0]`): `put` adds one before the item is visible, `taskDone` takes
 * one away and wakes `join()` waiters when it reaches zero.
 */
import { type SharedBlock, waitAsync, waitSync, wake } from '@multiproc/memory';
import { MessageRing } from '@multiproc/pipe';
import { dumpsChunks, registerReducer } from '@multiproc/serialization';
import { Full } from './errors.js';
import { type QueueWaitOptions, checkOptions } from './options.js';
import { type QueueOptions, QueueBase, attachTo } from './queue-base.js';

const UNFINISHED = MessageRing.USER_WORDS[0];

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

  /** @internal hook for JoinableQueue. */
  protected willPut(): void {}
  /** @internal hook for JoinableQueue: the put did not happen. */
  protected didNotPut(): void {}

  /**
   * Puts an item, waiting for room in a bounded queue; Full on timeout or with `block: false`.
   * Once it resolves, the item is in shared memory.
   */
  async put(obj: T, opts?: QueueWaitOptions): Promise<void> {
    this.checkOpen('put');
    const o = checkOptions(opts, 'put');
    const chunks = dumpsChunks(obj);
    this.producing();
    this.willPut();
    let ok = false;
    try {
      ok = await this.ring.writeAsync(chunks, o);
    } finally {
      if (!ok) this.didNotPut();
    }
    if (!ok) throw new Full();
  }

  /** {@link put} blocking the thread while a bounded queue is full. */
  putSync(obj: T, opts?: QueueWaitOptions): void {
    this.checkOpen('put');
    const o = checkOptions(opts, 'putSync');
    const chunks = dumpsChunks(obj);
    this.producing();
    this.willPut();
    let ok = false;
    try {
      ok = this.ring.write(chunks, o);
    } finally {
      if (!ok) this.didNotPut();
    }
    if (!ok) throw new Full();
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

  protected override willPut(): void {
    Atomics.add(this.ring.i32, UNFINISHED, 1);
  }

  protected override didNotPut(): void {
    this.taskDoneRaw();
  }

  private taskDoneRaw(): boolean {
    const i32 = this.ring.i32;
    for (;;) {
      const v = Atomics.load(i32, UNFINISHED);
      if (v <= 0) return false;
      if (Atomics.compareExchange(i32, UNFINISHED, v, v - 1) === v) {
        if (v === 1) wake(i32, UNFINISHED);
        return true;
      }
    }
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
    if (o.signal?.aborted) throw o.signal.reason;
    const deadline = o.timeout === undefined ? Number.POSITIVE_INFINITY : performance.now() + o.timeout;
    const i32 = this.ring.i32;
    for (;;) {
      const v = Atomics.load(i32, UNFINISHED);
      if (v === 0) return true;
      const left = deadline - performance.now();
      if (left <= 0) return false;
      await waitAsync(i32, UNFINISHED, v, left, o.signal);
    }
  }

  /** {@link join} blocking the thread; true when done, false on timeout. */
  joinSync(timeout?: number): boolean {
    const deadline = timeout === undefined ? Number.POSITIVE_INFINITY : performance.now() + timeout;
    const i32 = this.ring.i32;
    for (;;) {
      const v = Atomics.load(i32, UNFINISHED);
      if (v === 0) return true;
      const left = deadline - performance.now();
      if (left <= 0) return false;
      waitSync(i32, UNFINISHED, v, left);
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
