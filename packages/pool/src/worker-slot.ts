/**
 * The parent's view of one pool worker: its runtime-adapter handle, its channel, and the
 * chunks it holds in ring order (`inflight[0]` is the one it runs or runs next). Results come
 * back in the same order, so the worker's STARTED word tells exactly which held chunk was
 * running when it died.
 */
import { wake } from '@multiproc/memory';
import type { WorkerHandle } from '@multiproc/process';
import { loads } from '@multiproc/serialization';
import type { Chunk, Job } from './job.js';
import { F_ERRORS, F_PORT, K_DEFINE, K_EXIT, K_FATAL, K_INIT_FAILED, K_RESULT, K_TASK } from './protocol.js';
import { CANCEL, type Channel, STARTED } from './task-channel.js';

const encoder = new TextEncoder();

export class WorkerSlot {
  /** Chunks written to the task ring and not yet answered, oldest first. */
  readonly inflight: Chunk[] = [];
  /** Function ids already defined in this worker. */
  readonly defined = new Set<number>();
  /** Payloads of F_PORT result records, in arrival order. */
  readonly large: Uint8Array[] = [];
  /** Draining stopped at an F_PORT record whose message has not arrived yet. */
  stalled = false;
  /** The task ring had no room: wait for results before sending more. */
  full = false;
  /** Chunks sent in total (maxTasksPerChild) and answered. */
  sent = 0;
  answered = 0;
  /** K_EXIT sent, or the worker reached maxTasksPerChild: send nothing more. */
  retiring = false;
  exited = false;
  /** The worker reported that it is connected (see the dispatch rule in dispatcher.ts). */
  ready = false;
  ident: number | undefined;
  /** The error of a K_FATAL / K_INIT_FAILED record. */
  fatal: { error: unknown } | null = null;
  initFailed: { error: unknown } | null = null;
  lastDoneAt = 0;

  constructor(
    readonly handle: WorkerHandle,
    readonly channel: Channel,
    readonly name: string,
    readonly maxTasks: number,
  ) {}

  /** Writes a chunk (and its function's definition, once); false if the ring is full. */
  send(chunk: Chunk, ref: { moduleUrl: string; exportName: string }): boolean {
    const ring = this.channel.tasks;
    const fid = chunk.job.fid;
    if (!this.defined.has(fid)) {
      const def = encoder.encode(JSON.stringify({ moduleUrl: ref.moduleUrl, exportName: ref.exportName }));
      if (!ring.tryWrite(K_DEFINE, 0, fid, 0, def)) return false;
      this.defined.add(fid);
    }
    let flags = chunk.job.flags;
    let payload: Uint8Array | undefined = chunk.payload;
    if (payload.byteLength > ring.maxPayload) {
      if (!ring.canWrite(0)) return false; // post only once the record surely fits
      flags |= F_PORT;
      this.handle.post(payload);
      payload = undefined;
    }
    if (!ring.tryWrite(K_TASK, flags, chunk.id, fid, payload)) return false;
    chunk.sentAt = performance.now();
    this.inflight.push(chunk);
    this.sent++;
    if (this.maxTasks > 0 && this.sent >= this.maxTasks) this.retiring = true;
    this.channel.wakeWorker();
    return true;
  }

  /** Asks the worker to finish (after the chunks it holds) and exit. */
  retire(): void {
    if (this.retiring && this.maxTasks > 0 && this.sent >= this.maxTasks) return; // exits by itself
    this.retiring = true;
    if (this.channel.tasks.tryWrite(K_EXIT, 0, 0, 0, undefined)) this.channel.wakeWorker();
    else this.handle.terminate();
  }

  /**
   * Reads every record in the result ring: settles completed chunks (telling `took` how long
   * each took, in ms) and keeps K_FATAL / K_INIT_FAILED errors. Returns how many chunks
   * completed; stops early (`stalled`) at an F_PORT record whose message has not arrived.
   */
  drain(took: (ms: number) => void): number {
    const ring = this.channel.results;
    let n = 0;
    for (;;) {
      const payload = ring.next();
      if (payload === null) break;
      const { kind, flags } = ring;
      let bytes = payload;
      if (flags & F_PORT) {
        if (this.large.length === 0) {
          this.stalled = true;
          break;
        }
        bytes = this.large.shift() as Uint8Array;
      }
      if (kind === K_RESULT) {
        let values: unknown[];
        let failed: number[] | null;
        try {
          ({ values, failed } = decodeResult(bytes, (flags & F_ERRORS) !== 0));
        } catch (e) {
          values = [e];
          failed = [0];
        }
        ring.consume();
        this.channel.wakeWriter();
        const chunk = this.inflight.shift() as Chunk;
        this.answered++;
        this.full = false;
        const now = performance.now();
        took(now - Math.max(this.lastDoneAt, chunk.sentAt));
        this.lastDoneAt = now;
        chunk.job.settleChunk(chunk, values, failed);
        n++;
      } else {
        let error: unknown;
        try {
          error = loads(bytes);
        } catch (e) {
          error = e;
        }
        ring.consume();
        if (kind === K_FATAL) this.fatal = { error };
        else if (kind === K_INIT_FAILED) this.initFailed = { error };
      }
    }
    return n;
  }

  /**
   * Asks the task of an aborted job to stop (CANCEL word, polled by `isTaskAborted()`), and
   * replaces the worker if, after the grace, it still runs (or is about to run) a chunk of that
   * job. A worker running another call's chunk is never stopped for it.
   */
  cancel(job: Job, grace: number): void {
    const head = this.inflight[0];
    if (head?.job === job) {
      Atomics.store(this.channel.ctrl, CANCEL, head.id);
      wake(this.channel.ctrl, CANCEL);
    }
    const timer = setTimeout(() => {
      if (this.exited || !this.inflight.some((c) => c.job === job)) return;
      const first = this.inflight[0];
      if (first.job === job) {
        this.retiring = true;
        this.handle.terminate();
      } else this.cancel(job, grace); // behind another call's chunk: look again later
    }, grace);
    timer.unref();
  }

  /** How many of the held chunks the worker had started (0 or 1: it runs them in order). */
  startedHeld(): number {
    return Math.min(this.inflight.length, Atomics.load(this.channel.ctrl, STARTED) - this.answered);
  }
}

/** @internal Decodes a result payload into values and failed indexes. */
export function decodeResult(
  bytes: Uint8Array,
  hasErrors: boolean,
): { values: unknown[]; failed: number[] | null } {
  const v = loads<unknown>(bytes);
  if (!hasErrors) return { values: v as unknown[], failed: null };
  const [values, failed] = v as [unknown[], number[]];
  return { values, failed };
}
