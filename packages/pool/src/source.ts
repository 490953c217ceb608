/**
 * Chunk sources: cut any iterable or async iterable into chunks of `size` items, pulled only
 * when the pool asks for the next chunk (never ahead of it). A sync iterable yields its chunk
 * at once; an async one is pulled in the background and announces the chunk when it is there.
 * An iterable that throws ends the source: the error takes the place of the next item
 * (CPython's `_guarded_task_generation`).
 */
import { isAsyncIterable } from './chunking.js';

/** What {@link ChunkSource.take} returns when the next chunk is being pulled (async sources). */
export const NOT_YET: unique symbol = Symbol('NOT_YET');

const arrayValues = Array.prototype[Symbol.iterator];

export class ChunkSource {
  readonly #size: number;
  /** A plain array (its own iterator): chunks are slices, not `size` iterator steps each. */
  #array: unknown[] | null = null;
  #sync: Iterator<unknown> | null = null;
  #async: AsyncIterator<unknown> | null = null;
  #ready: unknown[] | null = null;
  #pulling = false;
  /** Set once the iterable ended (after the last chunk was taken, no more come). */
  done = false;
  /** The error the iterable threw, once; taken by the job after the last good chunk. */
  error: { value: unknown } | null = null;
  /** Items taken so far (the index of the next item). */
  taken = 0;
  /** True once every chunk has been taken and no more will come. */
  get exhausted(): boolean {
    return this.done && this.#ready === null;
  }

  /** Called when an async pull produced a chunk (or ended): the pool pumps again. */
  onReady: () => void = () => {};

  constructor(iterable: Iterable<unknown> | AsyncIterable<unknown>, size: number) {
    this.#size = size;
    if (isAsyncIterable(iterable)) this.#async = iterable[Symbol.asyncIterator]();
    else if (Array.isArray(iterable) && iterable[Symbol.iterator] === arrayValues) this.#array = iterable;
    else this.#sync = iterable[Symbol.iterator]();
  }

  /** The next chunk, `undefined` if the iterable is exhausted (or failed), or NOT_YET. */
  take(): unknown[] | undefined | typeof NOT_YET {
    if (this.#array) return this.#takeArray(this.#array);
    if (this.#sync) return this.#takeSync(this.#sync);
    if (this.#ready) {
      const c = this.#ready;
      this.#ready = null;
      this.taken += c.length;
      return c;
    }
    if (this.done) return undefined;
    if (!this.#pulling) void this.#pull();
    return NOT_YET;
  }

  /**
   * What #takeSync would return for an array, read as its iterator reads it (the length at
   * each take, holes as they are); measured 3x faster than `size` iterator steps.
   */
  #takeArray(a: unknown[]): unknown[] | undefined {
    if (this.done) return undefined;
    const start = this.taken;
    const end = Math.min(start + this.#size, a.length);
    if (end - start < this.#size) this.done = true;
    if (end <= start) return undefined;
    this.taken = end;
    return a.slice(start, end);
  }

  #takeSync(it: Iterator<unknown>): unknown[] | undefined {
    if (this.done) return undefined;
    const chunk: unknown[] = [];
    try {
      while (chunk.length < this.#size) {
        const r = it.next();
        if (r.done) {
          this.done = true;
          break;
        }
        chunk.push(r.value);
      }
    } catch (e) {
      this.done = true;
      this.error = { value: e };
    }
    if (chunk.length === 0) return undefined;
    this.taken += chunk.length;
    return chunk;
  }

  async #pull(): Promise<void> {
    this.#pulling = true;
    const it = this.#async as AsyncIterator<unknown>;
    const chunk: unknown[] = [];
    try {
      while (chunk.length < this.#size) {
        const r = await it.next();
        if (r.done) {
          this.done = true;
          break;
        }
        chunk.push(r.value);
      }
    } catch (e) {
      this.done = true;
      this.error = { value: e };
    }
    this.#pulling = false;
    if (chunk.length > 0) this.#ready = chunk;
    this.onReady();
  }

  /** Stops the iterable early (the consumer went away): calls its `return()`. */
  close(): void {
    if (this.done) return;
    this.done = true;
    this.#ready = null;
    if (this.#array) return; // an array iterator's return() does nothing
    try {
      const r = (this.#sync ?? this.#async)?.return?.();
      if (r && typeof (r as Promise<unknown>).catch === 'function') (r as Promise<unknown>).catch(() => {});
    } catch {
      // an iterator that throws on return(): nothing more to do
    }
  }
}
