/**
 * Pool: Python's `multiprocessing.Pool` for Node.js. The engine is in dispatcher.ts; the call
 * methods are in pool-calls.ts (shared with @multiproc/cluster); this file runs them and
 * resolves functions. Options: pool-options.ts; per-call abort/timeout: call-limits.ts.
 */
import { captureCallers, isFunctionRef, resolveFunction, startMethodOf } from '@multiproc/process';
import { AsyncResult } from './async-result.js';
import { applyCallLimits } from './call-limits.js';
import {
  checkChunksize,
  checkIterable,
  checkPositiveInt,
  collect,
  defaultChunksize,
  isAsyncIterable,
} from './chunking.js';
import { Dispatcher } from './dispatcher.js';
import { FunctionIds } from './function-ids.js';
import { ProcessError } from './errors.js';
import { IMapIterator, IMapJob } from './imap.js';
import type { Job } from './job.js';
import { ApplyJob, MapJob } from './map-job.js';
import { F_FAIL_FAST, F_STAR, type FuncRef } from './protocol.js';
import { PoolCalls } from './pool-calls.js';
import {
  type ApplyAsyncOptions,
  type CallOptions,
  type IMapOptions,
  type MapAsyncOptions,
  type MapOptions,
  type PoolOptions,
  parsePoolOptions,
} from './pool-options.js';
import { ChunkSource } from './source.js';

export type {
  ApplyAsyncOptions,
  CallOptions,
  IMapOptions,
  MapAsyncOptions,
  MapOptions,
  PoolFunc,
  PoolOptions,
} from './pool-options.js';

const RUN = 0;
const CLOSE = 1;
const TERMINATE = 2;

/** The local pool's option types and imap iterator, for {@link PoolCalls}. */
interface LocalPoolTypes {
  readonly call: CallOptions;
  readonly map: MapOptions;
  readonly imap: IMapOptions;
  readonly R: unknown;
  readonly iterator: IMapIterator<this['R']>;
}

/**
 * A pool of worker processes (threads under the default 'thread' start method) that run
 * functions for you, as Python's `multiprocessing.Pool`.
 *
 * `func` must be a function a worker can import: exported from the calling module (behind the
 * `isMainProcess()` guard) or from a module it imports, or `ref(moduleUrl, exportName)`.
 *
 * @example
 * ```ts
 * import { Pool } from '@multiproc/pool';
 * import { square } from './tasks.js';
 *
 * await using pool = new Pool(4);
 * console.log(await pool.map(square, [1, 2, 3])); // [1, 4, 9]
 * for await (const x of pool.imapUnordered(square, numbers(), { chunksize: 100 })) use(x);
 * ```
 */
export class Pool extends PoolCalls<LocalPoolTypes> {
  /** Number of workers. */
  readonly processes: number;
  #state = RUN;
  readonly #dispatcher: Dispatcher;
  #broken: ProcessError | null = null;
  readonly #fids: FunctionIds;
  readonly #ready: Promise<void>;

  constructor(options: PoolOptions | number = {}) {
    super();
    const { opts, processes, maxTasks, abortGrace, initargs } = parsePoolOptions(options);
    this.processes = processes;
    const init = opts.initializer;
    const callers = init === undefined || isFunctionRef(init) ? [] : captureCallers();
    const dispatcherOpts = {
      processes,
      method: startMethodOf(opts.context),
      initializer: null as FuncRef | null,
      initargs,
      maxTasksPerChild: maxTasks ?? 0,
      abortGrace,
      onBroken: (err: ProcessError) => {
        this.#broken = err;
        this.#dispatcher.terminate(err);
      },
    };
    this.#dispatcher = new Dispatcher(dispatcherOpts);
    this.#fids = new FunctionIds((ref) => this.#dispatcher.defineFunction(ref));
    if (init === undefined) {
      this.#dispatcher.fill();
      this.#ready = Promise.resolve();
    } else if (isFunctionRef(init)) {
      dispatcherOpts.initializer = { moduleUrl: init.moduleUrl, exportName: init.exportName };
      this.#dispatcher.fill();
      this.#ready = Promise.resolve();
    } else {
      if (typeof init !== 'function')
        throw new TypeError('Pool: initializer must be a function or ref(moduleUrl, exportName)');
      this.#ready = resolveFunction(init, callers).then(
        (r) => {
          dispatcherOpts.initializer = { moduleUrl: r.moduleUrl, exportName: r.exportName };
          if (this.#state !== TERMINATE) this.#dispatcher.fill();
        },
        (err: unknown) => {
          this.#broken = new ProcessError(
            `Pool: the initializer cannot be sent to workers: ${(err as Error)?.message}`,
            {
              cause: err,
            },
          );
          this.#dispatcher.terminate(this.#broken);
        },
      );
    }
  }

  #check(method: string): void {
    if (this.#broken) throw this.#broken;
    if (this.#state !== RUN) {
      throw new Error(
        `Pool.${method}: the pool is ${this.#state === CLOSE ? 'closed' : 'terminated'}; create a new Pool`,
      );
    }
  }

  /** Submits a job once its function is resolved, wiring the call's signal and timeout. */
  #submit(job: Job, fid: number | Promise<number>, opts: CallOptions | undefined, method: string): void {
    if (!applyCallLimits(job, opts, method)) return;
    if (typeof fid === 'number') {
      job.fid = fid;
      this.#dispatcher.submit(job);
    } else {
      fid.then(
        (id) => {
          job.fid = id;
          if (!job.finished) this.#dispatcher.submit(job);
        },
        (err: unknown) => job.fail(err),
      );
    }
  }

  /** @internal */
  protected _apply<R>(
    func: unknown,
    args: unknown[] | undefined,
    options: ApplyAsyncOptions<R> | undefined,
  ): AsyncResult<R> {
    this.#check('applyAsync');
    if (args !== undefined && !Array.isArray(args))
      throw new TypeError('Pool.applyAsync: args must be an array');
    const fid = this.#fids.idOf(func, 'applyAsync');
    const result = new AsyncResult<R>(options);
    const job = new ApplyJob(
      this.#dispatcher,
      -1,
      F_STAR | F_FAIL_FAST,
      args ?? [],
      result as AsyncResult<unknown>,
    );
    this.#submit(job, fid, options, 'applyAsync');
    return result;
  }

  /** @internal */
  protected _map<R>(
    method: string,
    func: unknown,
    iterable: unknown,
    options: MapAsyncOptions<R> | undefined,
    star: boolean,
  ): AsyncResult<R[]> {
    const flags = star ? F_STAR | F_FAIL_FAST : F_FAIL_FAST;
    this.#check(method);
    const input = checkIterable(iterable, `Pool.${method}`);
    const chunksize = checkChunksize(options?.chunksize, `Pool.${method}`);
    const fid = this.#fids.idOf(func, method);
    const result = new AsyncResult<R[]>(options);
    const start = (
      items: Iterable<unknown> | AsyncIterable<unknown>,
      total: number | undefined,
      size: number,
    ) => {
      if (total === 0) {
        result._settle(true, []);
        return;
      }
      const source = new ChunkSource(items, size);
      const job = new MapJob(
        this.#dispatcher,
        -1,
        flags,
        source,
        total,
        result as AsyncResult<unknown[]>,
        options?.onProgress,
      );
      this.#submit(job, fid, options, method);
    };
    if (isAsyncIterable(input)) {
      if (chunksize !== undefined) start(input, undefined, chunksize);
      else {
        // Python's rule needs the length: read the whole input first.
        collect(input).then(
          (arr) => {
            if (this.#state === RUN || this.#state === CLOSE)
              start(arr, arr.length, defaultChunksize(arr.length, this.processes));
            else result._settle(false, new ProcessError(`Pool.${method}: the pool was terminated`));
          },
          (err: unknown) => result._settle(false, err),
        );
      }
    } else {
      const arr = Array.isArray(input) ? input : Array.from(input);
      start(arr, arr.length, chunksize ?? defaultChunksize(arr.length, this.processes));
    }
    return result;
  }

  /** @internal */
  protected _imap<R>(
    method: string,
    func: unknown,
    iterable: unknown,
    options: IMapOptions | undefined,
    ordered: boolean,
  ): IMapIterator<R> {
    this.#check(method);
    const input = checkIterable(iterable, `Pool.${method}`);
    const chunksize = checkChunksize(options?.chunksize, `Pool.${method}`) ?? 1;
    const buffersize = options?.buffersize ?? 2 * this.processes;
    checkPositiveInt(buffersize, 'buffersize', `Pool.${method}`);
    const fid = this.#fids.idOf(func, method);
    const job = new IMapJob(
      this.#dispatcher,
      -1,
      0,
      new ChunkSource(input, chunksize),
      ordered,
      buffersize,
      options?.onProgress,
    );
    this.#submit(job, fid, options, method);
    return new IMapIterator<R>(job);
  }

  /** Accepts no more calls; workers exit once the submitted ones are done. */
  close(): void {
    if (this.#state !== RUN) return;
    this.#state = CLOSE;
    void this.#ready.then(() => this.#dispatcher.close());
  }

  /**
   * Stops every worker now; every unfinished call rejects with a {@link ProcessError}.
   */
  terminate(): void {
    if (this.#state === TERMINATE) return;
    this.#state = TERMINATE;
    this.#dispatcher.terminate(new ProcessError('the pool was terminated before this call finished'));
  }

  /** Waits for every worker to exit; call {@link close} or {@link terminate} first. */
  async join(): Promise<void> {
    if (this.#state === RUN)
      throw new Error('Pool.join(): the pool is still running; call close() or terminate() first');
    await this.#ready;
    await this.#dispatcher.allExited();
  }

  /** `await using pool = new Pool()`: terminate() and join(), as Python's `with Pool()`. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.terminate();
    await this.join();
  }
}
