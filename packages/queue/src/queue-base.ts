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
 */
import { ClosedError, EMPTY, EOF, Hold, MessageRing } from '@multiproc/pipe';
import type { SharedBlock } from '@multiproc/memory';
import { loads } from '@multiproc/serialization';
import { Empty } from './errors.js';
import { type QueueWaitOptions, checkOptions } from './options.js';

const finalizer = new FinalizationRegistry<Hold>((hold) => hold.release());

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
  #hold: Hold | null = null;
  #closed = false;

  protected constructor(maxsize: number, options: QueueOptions = {}) {
    if (attaching) {
      this.ring = attaching;
      attaching = null;
      this.#hold = new Hold(this.ring, 'writers', true);
    } else {
      if (!Number.isInteger(maxsize) || maxsize < 0) {
        throw new RangeError(
          `maxsize must be a non-negative integer (0 = unbounded), got ${String(maxsize)}`,
        );
      }
      this.ring = MessageRing.create({ capacity: options.bufferSize, maxItems: maxsize });
      this.#hold = new Hold(this.ring, 'writers');
    }
    finalizer.register(this, this.#hold, this);
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
    if (this.#hold) return;
    this.#hold = new Hold(this.ring, 'writers');
    finalizer.register(this, this.#hold, this);
  }

  private resign(): void {
    if (!this.#hold) return;
    finalizer.unregister(this);
    this.#hold.release();
    this.#hold = null;
  }

  /** Removes and returns an item, waiting for one; Empty on timeout or with `block: false`. */
  async get(opts?: QueueWaitOptions): Promise<T> {
    this.checkOpen('get');
    const r = await this.ring.readAsync<T>(loads, checkOptions(opts, 'get'));
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
    for (;;) {
      const r = await this.ring.readAsync<T>(loads, { eof: true });
      if (r === EOF || r === EMPTY) return;
      yield r;
    }
  }

  /** Says that this handle will put no more (idempotent); `for await` elsewhere can then end. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.resign();
  }

  /** Whether `close()` was called on this handle. */
  get closed(): boolean {
    return this.#closed;
  }

  [Symbol.dispose](): void {
    this.close();
  }

  /** @internal the reducer's state: the ring's first block (the receiver counts as a producer). */
  static reduceBase(q: QueueBase<unknown>): SharedBlock {
    q.checkOpen('send it to another worker');
    q.ring.addWriters(1);
    return q.ring.block;
  }
}
