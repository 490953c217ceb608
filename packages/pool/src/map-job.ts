/**
 * The jobs behind `apply`/`applyAsync` (one chunk of one item) and `map`/`mapAsync`/
 * `starmap`/`starmapAsync` (all results, in input order, or the first error).
 *
 * Unlike CPython's MapResult, which waits for every chunk even after one failed, a map fails
 * as soon as one item fails and its queued chunks are dropped (the running ones finish).
 */
import { dumps } from '@multiproc/serialization';
import type { AsyncResult } from './async-result.js';
import { type Chunk, Job, type JobHost, type Progress } from './job.js';
import { NOT_YET, type ChunkSource } from './source.js';

export class ApplyJob extends Job {
  #chunk: Chunk | undefined;
  constructor(
    host: JobHost,
    fid: number,
    flags: number,
    args: unknown[],
    readonly result: AsyncResult<unknown>,
  ) {
    super(host, fid, flags);
    let payload: Uint8Array;
    try {
      payload = dumps([args]);
    } catch {
      dumps(args, { path: 'args' }); // throws the same error, with the path the caller knows
      throw new TypeError('apply: the arguments cannot be sent to a worker');
    }
    const chunk: Chunk = { id: host.nextChunkId(), job: this, start: 0, count: 1, payload, sentAt: 0 };
    this.outstanding.add(chunk);
    this.#chunk = chunk;
  }

  next(): Chunk | undefined {
    const c = this.#chunk;
    this.#chunk = undefined;
    return c;
  }

  get drained(): boolean {
    return this.#chunk === undefined;
  }

  completed(_chunk: Chunk, values: unknown[], failed: number[] | null): void {
    this.finished = true;
    this.result._settle(failed === null, values[0]);
    this.host.finishJob(this, false);
  }

  fail(reason: unknown): void {
    if (this.finished) return;
    this.finished = true;
    this.result._settle(false, reason);
    this.host.finishJob(this, true);
  }
}

export class MapJob extends Job {
  /** Result arrays of the chunks so far, in input order; a chunk done early waits in #early. */
  readonly #parts: unknown[][] = [];
  #inOrder = 0;
  readonly #early = new Map<number, unknown[]>();
  #done = 0;

  constructor(
    host: JobHost,
    fid: number,
    flags: number,
    readonly source: ChunkSource,
    readonly total: number | undefined,
    readonly result: AsyncResult<unknown[]>,
    readonly onProgress: ((p: Progress) => void) | undefined,
  ) {
    super(host, fid, flags);
    source.onReady = () => {
      if (this.finished) return;
      if (this.#checkEnd()) return;
      host.pump();
    };
  }

  next(): Chunk | undefined {
    while (!this.finished) {
      const start = this.source.taken;
      const items = this.source.take();
      if (items === NOT_YET) return undefined;
      if (items === undefined) {
        this.#checkEnd();
        return undefined;
      }
      const chunk = this.makeChunk(items, start);
      if (chunk) return chunk;
    }
    return undefined;
  }

  get drained(): boolean {
    return this.finished || this.source.exhausted;
  }

  /** Settles the map once the source is exhausted and every chunk is back. */
  #checkEnd(): boolean {
    if (this.finished) return true;
    if (this.source.error && this.outstanding.size === 0) {
      this.fail(this.source.error.value);
      return true;
    }
    if (!this.source.exhausted || this.outstanding.size > 0) return false;
    // A sync source only learns it is done on the take() after its last item.
    this.finished = true;
    this.result._settle(true, flatten(this.#parts));
    this.host.finishJob(this, false);
    return true;
  }

  completed(chunk: Chunk, values: unknown[], failed: number[] | null): void {
    if (failed !== null) {
      this.finished = true;
      this.result._settle(false, values[failed[0]]);
      this.host.finishJob(this, false);
      return;
    }
    this.#append(chunk.start, values);
    this.#done += values.length;
    if (this.onProgress) {
      try {
        this.onProgress({
          completed: this.#done,
          total: this.total ?? (this.source.exhausted ? this.source.taken : undefined),
        });
      } catch (e) {
        queueMicrotask(() => {
          throw e;
        });
      }
    }
    if (this.source.exhausted) this.#checkEnd();
  }

  /** Keeps each chunk's results in input order; flattened once, when the map settles. */
  #append(start: number, values: unknown[]): void {
    if (start !== this.#inOrder) {
      this.#early.set(start, values);
      return;
    }
    let next: unknown[] | undefined = values;
    while (next !== undefined) {
      this.#parts.push(next);
      this.#inOrder += next.length;
      next = this.#early.get(this.#inOrder);
      if (next !== undefined) this.#early.delete(this.#inOrder);
    }
  }

  fail(reason: unknown): void {
    if (this.finished) return;
    this.finished = true;
    this.#early.clear();
    this.source.close();
    this.result._settle(false, reason);
    this.host.finishJob(this, true);
  }
}

/**
 * One array of the parts, by `concat` (a native copy). Writing results into one array as
 * chunks arrive costs more than the whole round trip: out of order it turns the array into a
 * slow dictionary (20 ms per 100,000 items), and even in order `push` is 5x slower than
 * `concat`. Batched so that chunksize 1 does not pass 100,000 arguments.
 */
function flatten(parts: unknown[][]): unknown[] {
  if (parts.length === 1) return parts[0];
  const BATCH = 4096;
  if (parts.length <= BATCH) return ([] as unknown[]).concat(...parts);
  const batches: unknown[][] = [];
  for (let i = 0; i < parts.length; i += BATCH)
    batches.push(([] as unknown[]).concat(...parts.slice(i, i + BATCH)));
  return ([] as unknown[]).concat(...batches);
}
