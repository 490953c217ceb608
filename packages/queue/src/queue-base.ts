/**
 * What every queue handle shares: a MessageRing in shared memory (layout: @multiproc/pipe's
 * ring-buffer.ts), `get` in all its forms, `for await`, close, and the producer count.
 *
 * There is no feeder thread: `put` writes the item into shared memory before it returns, so an
 * item survives its producer's exit, terminate or kill, and joining a producer never waits
 * for anybody to read.
 *
 * Producer counting (for `for await`, which ends when no producer is left and the queue is
 * drained): the ring's writer-holder count. A handle counts as a producer from its creation,
 * and a handle sent to a worker from the moment it is sent (the reducer adds it), until it is
 * closed, its worker exits (exit hook), it is garbage-collected, or it starts iterating (an
 * iterating handle is a consumer; a later `put` makes it a producer again).
 *
 * Memory: every handle also holds the ring's reader side from the same moment until it is
 * closed (and done with what it had under way), garbage-collected, or its worker exits. That
 * count is of open handles, producers or not; once it and the producers are both 0 the last
 * handle to let go gives the ring's blocks back to the tree (@multiproc/pipe's letGo).
 */
import { ClosedError, EMPTY, EOF, Hold, MessageRing, letGo } from '@multiproc/pipe';
import type { SharedBlock } from '@multiproc/memory';
import { loads } from '@multiproc/serialization';
import { Empty } from './errors.js';
import { type QueueWaitOptions, checkOptions } from './options.js';

/** A handle's holds, apart from it: what its finalizer gives back. */
interface Holds {
  /** On the writer side while the handle is a producer. */
  producer: Hold | null;
  /** On the reader side while the handle is open. */
  open: Hold;
}

// Unreachable, so no operation of it is under way (an async one keeps it reachable).
const finalizer = new FinalizationRegistry<Holds>(({ producer, open }) =>
  letGo(producer ? [producer, open] : [open]),
);

/** Set while a reducer's rebuild constructs a handle on an existing ring. */
let attaching: MessageRing | null = null;

/** @internal Runs `make` so that the queue it constructs attaches to `block` (already counted). */
export function attachTo<Q>(block: SharedBlock, make: () => Q): Q {
  attaching = MessageRing.attach(block);
  try {
    return make();
  } finally {
    attaching = null;
  }
}

export interface QueueOptions {
  /** Initial bytes of the ring (default 64 KiB); it grows as needed. */
  bufferSize?: number;
}

export abstract class QueueBase<T> implements AsyncIterable<T> {
  /** @internal */
  protected readonly ring: MessageRing;
  readonly #holds: Holds;
  #closed = false;
  /** Async operations under way: they can outlive a close(). */
  #pending = 0;

  protected constructor(maxsize: number, options: QueueOptions = {}) {
    if (attaching) {
      this.ring = attaching;
      attaching = null;
      this.#holds = {
        producer: new Hold(this.ring, 'writers', true),
        open: new Hold(this.ring, 'readers', true),
      };
    } else {
      if (!Number.isInteger(maxsize) || maxsize < 0) {
        throw new RangeError(
          `maxsize must be a non-negative integer (0 = unbounded), got ${String(maxsize)}`,
        );
      }
      this.ring = MessageRing.create({ capacity: options.bufferSize, maxItems: maxsize });
      this.#holds = { producer: new Hold(this.ring, 'writers'), open: new Hold(this.ring, 'readers') };
    }
    finalizer.register(this, this.#holds, this);
  }

  protected get kind(): string {
    return this.constructor.name;
  }

  protected checkOpen(what: string): void {
    if (this.#closed)
      throw new ClosedError(
        `cannot ${what}: this ${this.kind} is closed (close() was called on this handle)`,
      );
  }

  /** Makes this handle a producer again if it stopped being one (it iterated). */
  protected producing(): void {
    if (this.#holds.producer) return;
    this.#holds.producer = new Hold(this.ring, 'writers');
  }

  private resign(): void {
    this.#holds.producer?.release();
    this.#holds.producer = null;
  }

  /**
   * Runs `op`, an async operation on the ring: a close() meanwhile leaves the ring held until
   * it settles, so that the last handle elsewhere cannot release blocks `op` may still use.
   */
  protected async holding<R>(op: () => Promise<R>): Promise<R> {
    this.#pending++;
    try {
      return await op();
    } finally {
      if (--this.#pending === 0 && this.#closed) letGo([this.#holds.open]);
    }
  }

  /** Removes and returns an item, waiting for one; Empty on timeout or with `block: false`. */
  async get(opts?: QueueWaitOptions): Promise<T> {
    this.checkOpen('get');
    const o = checkOptions(opts, 'get');
    const r = await this.holding(() => this.ring.readAsync<T>(loads, o));
    if (r === EMPTY || r === EOF) throw new Empty();
    return r;
  }

  /** {@link get} blocking the thread (fine in a worker; on the main thread it freezes the event loop). */
  getSync(opts?: QueueWaitOptions): T {
    this.checkOpen('get');
    const r = this.ring.read<T>(loads, checkOptions(opts, 'getSync'));
    if (r === EMPTY || r === EOF) throw new Empty();
    return r;
  }

  /** An item if one is there now, else Empty. */
  getNowait(): T {
    return this.getSync({ block: false });
  }

  /** Whether the queue holds no item now. */
  empty(): boolean {
    return this.ring.size() === 0;
  }

  /**
   * The items, as they arrive; ends once every producer handle (see the file comment) has
   * closed or exited and the queue is drained. Start (send the queue to) the producers first.
   */
  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    this.checkOpen('iterate');
    this.resign();
    // A close() between two items ends the iteration: the ring may be released by then.
    while (!this.#closed) {
      const r = await this.holding(() => this.ring.readAsync<T>(loads, { eof: true }));
      if (r === EOF || r === EMPTY) return;
      yield r;
    }
  }

  /**
   * Says that this handle will put and get no more (idempotent); `for await` elsewhere can
   * then end. Once every handle of the queue, in every worker, is closed (or garbage, or its
   * worker exited), the queue's shared memory goes back to the tree.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    finalizer.unregister(this);
    const { producer, open } = this.#holds;
    this.#holds.producer = null;
    const holds = producer ? [producer] : [];
    if (this.#pending === 0) holds.push(open);
    letGo(holds);
  }

  /** Whether `close()` was called on this handle. */
  get closed(): boolean {
    return this.#closed;
  }

  [Symbol.dispose](): void {
    this.close();
  }

  /**
   * @internal the reducer's state: the ring's first block. The receiver counts as an open
   * handle and a producer from now on (its rebuild takes both holds over).
   */
  static reduceBase(q: QueueBase<unknown>): SharedBlock {
    q.checkOpen('send it to another worker');
    q.ring.addReaders(1);
    try {
      q.ring.addWriters(1);
    } catch (e) {
      q.ring.addReaders(-1);
      throw e;
    }
    return q.ring.block;
  }
}
