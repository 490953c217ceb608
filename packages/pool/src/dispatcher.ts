/**
 * The dispatcher: the pool's engine in the parent. It keeps the workers, hands chunks to the
 * least loaded worker, collects results, and replaces workers that exit.
 *
 * - Dispatch: jobs are served in submission order; chunks given back by a dead worker go
 *   first. Chunks wait until a worker has reported ready, so the first task of a new pool
 *   runs on whichever worker is up first (they start in parallel, not in order); ready
 *   workers are preferred after that. A worker holds up to `depth` chunks: 1 while chunks
 *   take long (a chunk only goes to a free worker, so the load stays balanced), up to 64 when
 *   they take microseconds (the worker never waits for the parent). The depth follows a
 *   moving average of chunk times.
 * - Collection: one async loop, running while chunks are out, drains every worker's result
 *   ring, then sleeps on the doorbell word (`waitAsync`); workers ring it only while the
 *   parent sleeps, so results are batched under load.
 * - Failure: a worker that exits while holding chunks fails the one it was running and gives
 *   the others back to the queue (worker-exit.ts); a replacement starts unless the pool is
 *   terminated.
 */
import { allocateBlock, waitAsync } from '@multiproc/memory';
import { type StartMethod, prepareChild, startWorker } from '@multiproc/process';
import type { ProcessError } from './errors.js';
import type { Chunk, Job, JobHost } from './job.js';
import type { FuncRef, PoolWorkerData } from './protocol.js';
import { Channel, DOORBELL, PARENT_WAITING } from './task-channel.js';
import { initializerFailure, settleHeldChunks } from './worker-exit.js';
import { WorkerSlot } from './worker-slot.js';

const RING_BYTES = 256 * 1024;
const MAX_DEPTH = 64;
const YIELD_MS = 4;

/** Where the worker's entry module is: next to this file in dist/ (also when run from src/). */
function workerEntry(): URL {
  const here = new URL('.', import.meta.url);
  return here.pathname.endsWith('/src/')
    ? new URL('../dist/worker-entry.js', here)
    : new URL('./worker-entry.js', here);
}

export interface DispatcherOptions {
  processes: number;
  method: StartMethod;
  initializer: FuncRef | null;
  initargs: Uint8Array;
  maxTasksPerChild: number;
  abortGrace: number;
  /** The pool became unusable (an initializer failed). */
  onBroken(error: ProcessError): void;
}

export class Dispatcher implements JobHost {
  readonly slots = new Set<WorkerSlot>();
  readonly #jobs: Array<Job | undefined> = [];
  #head = 0;
  /** Submitted and not finished. */
  readonly #live = new Set<Job>();
  readonly #retry: Chunk[] = [];
  readonly #refs: FuncRef[] = [];
  // allocateBlock: OS shared memory under 'spawn', so that the doorbell reaches child processes.
  readonly #bell = new Int32Array(allocateBlock(8).buffer);
  #chunkIds = 0;
  #workers = 0;
  #collecting = false;
  #pumping = false;
  #again = false;
  #ema = -1;
  /** 'run': replace exiting workers; 'close': replace only while work is left; 'stop': never. */
  state: 'run' | 'close' | 'stop' = 'run';
  #allExited: Array<() => void> = [];
  /** allExited() was called: every worker keeps the process alive until it exits. */
  #joining = false;

  constructor(readonly opts: DispatcherOptions) {}

  /** Starts the workers the pool is short of. */
  fill(): void {
    let spawned = false;
    while (this.state !== 'stop' && this.slots.size < this.opts.processes) {
      this.#spawn();
      spawned = true;
    }
    if (spawned && !this.#pumping) this.pump();
  }

  /** Registers a function; returns its id. */
  defineFunction(ref: FuncRef): number {
    this.#refs.push({ moduleUrl: ref.moduleUrl, exportName: ref.exportName });
    return this.#refs.length - 1;
  }

  nextChunkId(): number {
    this.#chunkIds = (this.#chunkIds % 0x7ffffffe) + 1;
    return this.#chunkIds;
  }

  submit(job: Job): void {
    this.#jobs.push(job);
    this.#live.add(job);
    this.pump();
  }

  /** True while any call is unfinished. */
  get busy(): boolean {
    if (this.#live.size > 0 || this.#retry.length > 0) return true;
    for (const s of this.slots) if (s.inflight.length > 0) return true;
    return false;
  }

  #depth(): number {
    const t = this.#ema;
    if (t < 0) return 1;
    if (t < 0.25) return MAX_DEPTH;
    if (t < 2) return 8;
    if (t < 20) return 2;
    return 1;
  }

  /**
   * The worker for the next chunk: the least loaded, a ready one first. While no worker is
   * ready yet, none: the first chunk then goes to whichever worker connects first.
   */
  #pick(depth: number): WorkerSlot | undefined {
    let best: WorkerSlot | undefined;
    let anyReady = false;
    for (const s of this.slots) {
      if (s.exited) continue;
      anyReady ||= s.ready;
      if (s.retiring || s.full || s.inflight.length >= depth) continue;
      if (
        !best ||
        (s.ready && !best.ready) ||
        (s.ready === best.ready && s.inflight.length < best.inflight.length)
      )
        best = s;
    }
    return anyReady ? best : undefined;
  }

  #nextChunk(): Chunk | undefined {
    while (this.#retry.length > 0) {
      const c = this.#retry.shift() as Chunk;
      if (!c.job.finished) return c;
    }
    // Jobs in submission order; drained ones leave the front in O(1) (many applyAsync calls).
    const jobs = this.#jobs;
    for (let i = this.#head; i < jobs.length; i++) {
      const job = jobs[i];
      if (job === undefined) continue;
      const c = job.finished || job.fid < 0 ? undefined : job.next(); // fid < 0: still resolving
      if (c) return c;
      if (job.finished || job.drained) {
        jobs[i] = undefined;
        if (i === this.#head) this.#head++;
      }
    }
    if (this.#head > 1024 && this.#head * 2 > jobs.length) {
      jobs.splice(0, this.#head);
      this.#head = 0;
    }
    return undefined;
  }

  pump(): void {
    if (this.#pumping) {
      this.#again = true;
      return;
    }
    this.#pumping = true;
    try {
      do {
        this.#again = false;
        const depth = this.#depth();
        for (;;) {
          const slot = this.#pick(depth);
          if (!slot) break;
          const chunk = this.#nextChunk();
          if (!chunk) break;
          if (!slot.send(chunk, this.#refs[chunk.job.fid])) {
            slot.full = true;
            this.#retry.unshift(chunk);
          }
        }
      } while (this.#again);
    } finally {
      this.#pumping = false;
    }
    if (this.state === 'close') this.#maybeRetireAll();
    void this.#collect();
  }

  finishJob(job: Job, abort: boolean): void {
    // Left in #jobs: #nextChunk drops finished jobs as it meets them.
    this.#live.delete(job);
    if (abort && this.state !== 'stop') {
      for (const slot of this.slots)
        if (slot.inflight.some((c) => c.job === job)) slot.cancel(job, this.opts.abortGrace);
    }
    if (this.state === 'close') queueMicrotask(() => this.#maybeRetireAll());
  }

  #spawn(): void {
    const channel = Channel.create(RING_BYTES);
    const n = ++this.#workers;
    const name = `PoolWorker-${n}`;
    const data: PoolWorkerData = {
      channel: channel.buffer,
      doorbell: this.#bell.buffer as SharedArrayBuffer,
      initializer: this.opts.initializer,
      initargs: this.opts.initargs,
      maxTasks: this.opts.maxTasksPerChild,
      name,
      // Python's pool workers are daemonic processes of the pool's owner: same authkey, and the
      // reducer-module table so task arguments can hold any shared object.
      who: prepareChild({ name, daemon: true }),
    };
    // Pool workers are daemonic: they do not keep the process alive (the collect loop does while
    // chunks are out). A starting worker does, until it is ready: chunks wait for it meanwhile.
    const handle = startWorker({ entry: workerEntry(), data, name }, this.opts.method);
    const slot = new WorkerSlot(handle, channel, name, this.opts.maxTasksPerChild);
    this.slots.add(slot);
    handle.onMessage((m) => {
      slot.large.push(m as Uint8Array);
      if (slot.stalled) {
        slot.stalled = false;
        this.#drain(slot);
        this.pump();
      }
    });
    void handle.ready.then((ident) => {
      slot.ident = ident;
      if (ident === undefined || slot.exited) return; // exited before connecting
      slot.ready = true;
      this.pump();
      if (!this.#joining) handle.unref();
    });
    void handle.exited.then((code) => this.#onExit(slot, code));
  }

  /** Reads every record in a worker's result ring. Returns how many chunks completed. */
  #drain(slot: WorkerSlot): number {
    return slot.drain((took) => {
      this.#ema = this.#ema < 0 ? took : this.#ema * 0.8 + took * 0.2;
    });
  }

  async #collect(): Promise<void> {
    if (this.#collecting) return;
    this.#collecting = true;
    const bell = this.#bell;
    let lastYield = performance.now();
    try {
      for (;;) {
        let out = 0;
        for (const s of this.slots) out += s.inflight.length;
        if (out === 0) break;
        const seen = Atomics.load(bell, DOORBELL);
        Atomics.store(bell, PARENT_WAITING, 1);
        let got = 0;
        for (const s of this.slots) if (!s.stalled) got += this.#drain(s);
        if (got > 0) {
          Atomics.store(bell, PARENT_WAITING, 0);
          this.pump();
          if (performance.now() - lastYield > YIELD_MS) {
            await new Promise<void>((r) => setImmediate(r));
            lastYield = performance.now();
          } else await Promise.resolve();
          continue;
        }
        // Bounded: a lost `waitAsync` notify (see worker-main.ts) costs 50 ms, not a second.
        await waitAsync(bell, DOORBELL, seen, 50);
        Atomics.store(bell, PARENT_WAITING, 0);
        lastYield = performance.now();
      }
    } finally {
      this.#collecting = false;
    }
  }

  #onExit(slot: WorkerSlot, code: number): void {
    this.#drain(slot);
    slot.exited = true;
    this.slots.delete(slot);
    const broken = initializerFailure(slot, code);
    if (broken) {
      this.state = 'stop';
      this.opts.onBroken(broken);
    }
    this.#retry.push(...settleHeldChunks(slot, code));
    if (this.state === 'run' || (this.state === 'close' && this.busy)) this.fill();
    if (this.slots.size === 0 && this.state !== 'run') {
      for (const r of this.#allExited.splice(0)) r();
    }
    this.pump();
  }

  /** close(): once no call is left, every worker is told to exit. */
  #maybeRetireAll(): void {
    if (this.busy) return;
    for (const s of this.slots) if (!s.retiring) s.retire();
    if (this.slots.size === 0) for (const r of this.#allExited.splice(0)) r();
  }

  close(): void {
    this.state = 'close';
    this.#maybeRetireAll();
  }

  /** Fails every unfinished call with `reason` and stops every worker. */
  terminate(reason: unknown): void {
    this.state = 'stop';
    for (const job of [...this.#live]) job.fail(reason);
    for (const s of this.slots) for (const c of s.inflight) c.job.fail(reason);
    for (const c of this.#retry) c.job.fail(reason);
    this.#retry.length = 0;
    this.#jobs.length = 0;
    this.#head = 0;
    for (const s of this.slots) {
      s.retiring = true;
      s.handle.terminate();
    }
  }

  /** Resolves once every worker has exited (after close() or terminate()). */
  allExited(): Promise<void> {
    if (this.slots.size === 0) return Promise.resolve();
    this.#joining = true;
    for (const s of this.slots) s.handle.ref();
    return new Promise((r) => this.#allExited.push(r));
  }

  /** Fails calls that wait for a function that could not be resolved. */
  failJob(job: Job, error: unknown): void {
    job.fail(error);
  }
}
