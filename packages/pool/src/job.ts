/**
 * Jobs: one call of the pool (apply, map, imap...) as the dispatcher sees it. A job hands out
 * chunks (already serialized, one message each), and is told each chunk's outcome: its
 * values (with the indexes of items that failed), or that it was lost with its worker.
 */
import { dumps } from '@multiproc/serialization';

/** Progress of a call, reported after every completed chunk. */
export interface Progress {
  /** Items whose results are in (successful or not). */
  completed: number;
  /** Items in the call, once known (`undefined` while a lazy iterable is still being read). */
  total: number | undefined;
}

/** One message's worth of work: `count` items starting at item `start` of its job. */
export interface Chunk {
  readonly id: number;
  readonly job: Job;
  readonly start: number;
  readonly count: number;
  payload: Uint8Array;
  /** performance.now() when it was written to a worker's ring. */
  sentAt: number;
  /** Workers that died holding it before starting it (it is given up after 3). */
  bounced?: number;
}

/** What a job needs from the pool. */
export interface JobHost {
  nextChunkId(): number;
  /** New chunks may be available: dispatch. */
  pump(): void;
  /** The job is over: drop its queued chunks; ask its running chunks to stop if `abort`. */
  finishJob(job: Job, abort: boolean): void;
}

/** @internal */
export abstract class Job {
  /** Settled, failed or cancelled: its remaining chunks are dropped and results ignored. */
  finished = false;
  /** Chunks handed out and not yet completed or lost. */
  readonly outstanding = new Set<Chunk>();

  constructor(
    readonly host: JobHost,
    /** The function's id in the dispatcher; -1 while it is being resolved. */
    public fid: number,
    readonly flags: number,
  ) {}

  /** The next chunk to dispatch, or undefined if there is none now. */
  abstract next(): Chunk | undefined;
  /** True once {@link next} will never return a chunk again. */
  abstract get drained(): boolean;
  /** A chunk completed: `values[i]` is the result or, when `failed` lists i, the error. */
  abstract completed(chunk: Chunk, values: unknown[], failed: number[] | null): void;
  /** The call failed as a whole (abort, timeout, terminate, broken pool). */
  abstract fail(reason: unknown): void;

  /** Serializes a chunk; an unsendable item fails the items of that chunk at once. */
  protected makeChunk(items: unknown[], start: number): Chunk | undefined {
    const chunk: Chunk = {
      id: this.host.nextChunkId(),
      job: this,
      start,
      count: items.length,
      payload: EMPTY,
      sentAt: 0,
    };
    try {
      chunk.payload = dumps(items, { path: 'args' });
    } catch (e) {
      this.outstanding.add(chunk);
      queueMicrotask(() => this.settleChunk(chunk, [e], [0]));
      return undefined;
    }
    this.outstanding.add(chunk);
    return chunk;
  }

  /** Routes a chunk outcome once (a chunk can be reported by its result or by its worker's death). */
  settleChunk(chunk: Chunk, values: unknown[], failed: number[] | null): void {
    if (!this.outstanding.delete(chunk)) return;
    if (values.length < chunk.count) {
      // A short result (fail-fast, or the whole chunk failed): the rest get the last error.
      const err = values[values.length - 1];
      const f = failed ?? [];
      for (let i = values.length; i < chunk.count; i++) {
        values.push(err);
        f.push(i);
      }
      failed = f;
    }
    if (!this.finished) this.completed(chunk, values, failed);
  }
}

const EMPTY = new Uint8Array(0);
