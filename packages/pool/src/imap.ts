/**
 * imap / imapUnordered: a lazy, bounded job and the async iterator over its results
 * (CPython's IMapIterator / IMapUnorderedIterator).
 *
 * Laziness: the input is read one chunk at a time, and only while fewer than `buffersize`
 * chunks (default 2 x processes) are ahead of the consumer (dispatched, running, or done but
 * not yet read). Reading results lets the pool pull more input, so a generator of ten million
 * items runs in flat memory.
 *
 * Errors: an item that failed makes the `next()` that reaches it reject with its error; the
 * following `next()` calls go on with the remaining items. An error thrown by the input
 * iterable takes the place of the next item and ends the iteration after it. An abort,
 * timeout or terminate rejects the pending (or next) `next()` once; then the iterator is done.
 */
import { type Chunk, Job, type JobHost, type Progress } from './job.js';
import { NOT_YET, type ChunkSource } from './source.js';

interface Outcome {
  ok: boolean;
  value: unknown;
}
interface Waiter {
  resolve: (r: IteratorResult<unknown>) => void;
  reject: (e: unknown) => void;
}

/** @internal The pool's side of an imap call. */
export class IMapJob extends Job {
  /** ordered: outcomes by item index. unordered: outcomes in completion order. */
  readonly #byIndex = new Map<number, Outcome>();
  readonly #fifo: Outcome[] = [];
  #nextIndex = 0;
  #delivered = 0;
  #completedItems = 0;
  /** Chunks ahead of the consumer, oldest first: [items not yet delivered]. */
  readonly #window: number[] = [];
  readonly #waiters: Waiter[] = [];
  /** Set when the call failed as a whole: delivered once, then the iterator is done. */
  #failure: { reason: unknown } | null = null;
  #ended = false;

  constructor(
    host: JobHost,
    fid: number,
    flags: number,
    readonly source: ChunkSource,
    readonly ordered: boolean,
    readonly buffersize: number,
    readonly onProgress: ((p: Progress) => void) | undefined,
  ) {
    super(host, fid, flags);
    source.onReady = () => {
      if (!this.finished) host.pump();
      this.#flush();
    };
  }

  next(): Chunk | undefined {
    while (!this.finished && this.#window.length < this.buffersize) {
      const start = this.source.taken;
      const items = this.source.take();
      if (items === NOT_YET) return undefined;
      if (items === undefined) {
        this.#flush();
        return undefined;
      }
      if (this.ordered) this.#window.push(items.length);
      else this.#unorderedAhead++;
      const chunk = this.makeChunk(items, start);
      if (chunk) return chunk;
    }
    return undefined;
  }

  /** unordered: chunks dispatched and not yet completed (completed ones join #window). */
  #unorderedAhead = 0;

  get drained(): boolean {
    return this.finished || this.source.exhausted;
  }

  get #ahead(): number {
    return this.#window.length + this.#unorderedAhead;
  }

  completed(chunk: Chunk, values: unknown[], failed: number[] | null): void {
    let f = 0;
    for (let i = 0; i < values.length; i++) {
      const bad = failed !== null && failed[f] === i;
      if (bad) f++;
      const outcome = { ok: !bad, value: values[i] };
      if (this.ordered) this.#byIndex.set(chunk.start + i, outcome);
      else this.#fifo.push(outcome);
    }
    if (!this.ordered) {
      this.#unorderedAhead--;
      this.#window.push(values.length);
    }
    this.#completedItems += values.length;
    if (this.onProgress) {
      try {
        this.onProgress({
          completed: this.#completedItems,
          total: this.source.exhausted ? this.source.taken : undefined,
        });
      } catch (e) {
        queueMicrotask(() => {
          throw e;
        });
      }
    }
    this.#flush();
  }

  /** One item reached the consumer: the oldest chunk's share of the window shrinks. */
  #consumedOne(): void {
    this.#delivered++;
    if (this.#window.length > 0 && --this.#window[0] === 0) {
      this.#window.shift();
      if (!this.finished) this.host.pump();
    }
  }

  /** The consumer's side: the next outcome. */
  pull(): Promise<IteratorResult<unknown>> {
    return new Promise((resolve, reject) => {
      this.#waiters.push({ resolve, reject });
      this.#flush();
    });
  }

  /** Hands available outcomes (or the end, or the failure) to waiting pull() calls. */
  #flush(): void {
    while (this.#waiters.length > 0) {
      const w = this.#waiters[0];
      if (this.#ended) {
        this.#waiters.shift();
        w.resolve({ done: true, value: undefined });
        continue;
      }
      if (this.#failure) {
        this.#waiters.shift();
        this.#ended = true;
        w.reject(this.#failure.reason);
        continue;
      }
      let outcome: Outcome | undefined;
      if (this.ordered) {
        outcome = this.#byIndex.get(this.#nextIndex);
        if (outcome) this.#byIndex.delete(this.#nextIndex++);
      } else outcome = this.#fifo.shift();
      if (outcome) {
        this.#waiters.shift();
        this.#consumedOne();
        if (outcome.ok) w.resolve({ done: false, value: outcome.value });
        else w.reject(outcome.value);
        continue;
      }
      if (this.source.exhausted && this.#delivered === this.source.taken && this.#ahead === 0) {
        this.#waiters.shift();
        this.#finishOk();
        this.#ended = true;
        const err = this.source.error;
        if (err) {
          this.source.error = null;
          w.reject(err.value);
        } else w.resolve({ done: true, value: undefined });
        continue;
      }
      if (!this.finished) this.host.pump(); // a consumer waits: keep input flowing
      return;
    }
  }

  #finishOk(): void {
    if (this.finished) return;
    this.finished = true;
    this.host.finishJob(this, false);
  }

  fail(reason: unknown): void {
    if (this.finished) return;
    this.finished = true;
    this.source.close();
    this.#failure = { reason };
    this.host.finishJob(this, true);
    this.#flush();
  }

  /** The consumer left (`break` in for-await): stop reading input, drop queued chunks. */
  close(): void {
    if (!this.finished) {
      this.finished = true;
      this.source.close();
      this.host.finishJob(this, true);
    }
    this.#ended = true;
    this.#flush();
  }
}

/**
 * The iterator `imap` and `imapUnordered` return: use it with `for await`, or call `next()`.
 *
 * @example
 * ```ts
 * for await (const square of pool.imap(square, range(1_000_000), { chunksize: 100 })) total += square;
 * ```
 */
export class IMapIterator<R> implements AsyncIterableIterator<R> {
  readonly #job: IMapJob;
  /** @internal created by the Pool. */
  constructor(job: IMapJob) {
    this.#job = job;
  }
  /** The next result; rejects with that item's error if it failed (later calls go on). */
  next(): Promise<IteratorResult<R>> {
    return this.#job.pull() as Promise<IteratorResult<R>>;
  }
  /** Stops the call: no more input is read, queued chunks are dropped. */
  return(): Promise<IteratorResult<R>> {
    this.#job.close();
    return Promise.resolve({ done: true, value: undefined });
  }
  [Symbol.asyncIterator](): this {
    return this;
  }
}
