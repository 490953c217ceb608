/**
 * imap / imapUnordered on the cluster: the input is read lazily, one chunk at a time, and at
 * most `buffersize` chunks (default 2 x the workers' total concurrency) are ahead of the
 * consumer: submitted, running, or done but not yet read. A failed chunk makes the `next()`
 * that reaches it reject; later `next()` calls go on. A timeout, abort or pool terminate
 * rejects the pending (or next) `next()` once; then the iterator is done.
 */
import { isAsyncIterable } from '@multiproc/pool';
import type { Engine } from './pool-engine.js';
import type { PortableRef } from './portable.js';

interface Item {
  ok: boolean;
  value: unknown;
  /** The last item of its chunk: reading it frees a place in the window. */
  last: boolean;
}

export class ClusterIMapIterator<R> implements AsyncIterableIterator<R> {
  readonly #ready: Item[] = [];
  /** ordered: outcomes of completed chunks by sequence number, waiting for earlier ones. */
  readonly #parked = new Map<number, Item[]>();
  #nextSeq = 0;
  #deliverSeq = 0;
  #ahead = 0;
  #ids = new Set<string>();
  #exhausted = false;
  #reading = false;
  #failure: { reason: unknown } | null = null;
  #ended = false;
  #waiters: Array<{ resolve: (r: IteratorResult<R>) => void; reject: (e: unknown) => void }> = [];
  #source: Iterator<unknown> | AsyncIterator<unknown>;
  #fn: PortableRef | null = null;
  #buffersize = 1;
  cleanup: () => void = () => {};

  constructor(
    readonly engine: Engine,
    input: Iterable<unknown> | AsyncIterable<unknown>,
    readonly chunksize: number,
    readonly ordered: boolean,
    readonly onEnd: (it: ClusterIMapIterator<R>) => void,
  ) {
    this.#source = isAsyncIterable(input) ? input[Symbol.asyncIterator]() : input[Symbol.iterator]();
  }

  /** Called once the function and the window size are known. */
  begin(fn: PortableRef, buffersize: number): void {
    this.#fn = fn;
    this.#buffersize = buffersize;
    void this.#pump();
  }

  async #pump(): Promise<void> {
    if (this.#reading || !this.#fn) return;
    this.#reading = true;
    try {
      while (!this.#ended && !this.#exhausted && this.#ahead < this.#buffersize) {
        const items: unknown[] = [];
        while (items.length < this.chunksize) {
          let r: IteratorResult<unknown>;
          try {
            r = await this.#source.next();
          } catch (e) {
            this.#exhausted = true;
            this.#inputError = { reason: e };
            break;
          }
          if (r.done) {
            this.#exhausted = true;
            break;
          }
          items.push(r.value);
        }
        if (this.#ended) return;
        if (items.length > 0) this.#submit(items);
      }
    } finally {
      this.#reading = false;
    }
    this.#flush();
  }

  #inputError: { reason: unknown } | null = null;

  #submit(items: unknown[]): void {
    const seq = this.#nextSeq++;
    this.#ahead++;
    const n = items.length;
    let id = '';
    const sink = (ok: boolean, value: unknown) => {
      this.#ids.delete(id);
      if (this.#ended) return;
      const out: Item[] = ok
        ? (value as unknown[]).map((v, i) => ({ ok: true, value: v, last: i === n - 1 }))
        : [{ ok: false, value, last: true }];
      if (!this.ordered) this.#ready.push(...out);
      else {
        this.#parked.set(seq, out);
        while (this.#parked.has(this.#deliverSeq)) {
          this.#ready.push(...(this.#parked.get(this.#deliverSeq) as Item[]));
          this.#parked.delete(this.#deliverSeq++);
        }
      }
      this.#flush();
    };
    try {
      [id] = this.engine.submit(this.#fn as PortableRef, false, [items], [sink]);
      this.#ids.add(id);
    } catch (e) {
      this.fail(e);
    }
  }

  /** Hands ready items to waiting `next()` calls; ends the iterator when all is read. */
  #flush(): void {
    while (this.#waiters.length > 0) {
      const w = this.#waiters[0];
      if (this.#failure) {
        this.#waiters.shift();
        const reason = this.#failure.reason;
        this.#failure = { reason: undefined };
        if (reason !== undefined) w.reject(reason);
        else w.resolve({ done: true, value: undefined });
        continue;
      }
      const item = this.#ready.shift();
      if (item) {
        this.#waiters.shift();
        if (item.last) {
          this.#ahead--;
          void this.#pump();
        }
        if (item.ok) w.resolve({ done: false, value: item.value as R });
        else w.reject(item.value);
        continue;
      }
      if (this.#exhausted && this.#ahead === 0 && !this.#reading) {
        this.#waiters.shift();
        if (this.#inputError) {
          const { reason } = this.#inputError;
          this.#inputError = null;
          w.reject(reason);
        } else {
          this.#end();
          w.resolve({ done: true, value: undefined });
        }
        continue;
      }
      break;
    }
  }

  #end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.engine.cancel([...this.#ids]);
    this.cleanup();
    this.onEnd(this);
  }

  /** Ends the call with `err`: the pending or next `next()` rejects with it, then done. */
  fail(err: unknown): void {
    if (this.#ended) return;
    this.#end();
    this.#ready.length = 0;
    this.#failure = { reason: err };
    this.#flush();
  }

  next(): Promise<IteratorResult<R>> {
    return new Promise((resolve, reject) => {
      this.#waiters.push({ resolve, reject });
      this.#flush();
      if (this.#ended && !this.#failure && this.#ready.length === 0) {
        const i = this.#waiters.findIndex((w) => w.resolve === resolve);
        if (i >= 0) {
          this.#waiters.splice(i, 1);
          resolve({ done: true, value: undefined });
        }
      }
    });
  }

  /** Stops the call: no more input is read; queued chunks are dropped. */
  return(): Promise<IteratorResult<R>> {
    this.#end();
    const src = this.#source as { return?: () => unknown };
    try {
      void src.return?.();
    } catch {
      // ignore
    }
    return Promise.resolve({ done: true, value: undefined });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
