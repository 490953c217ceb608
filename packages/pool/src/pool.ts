/**
 * Pool: Python's `multiprocessing.Pool` for Node.js. The engine is in dispatcher.ts; this
 * file holds the public API and function resolution. Options: pool-options.ts; per-call
 * abort/timeout: call-limits.ts.
 */
import { captureCallers, isFunctionRef, resolveFunction, startMethodOf } from '@multiproc/process';
import { AsyncResult } from './async-result.js';
import { applyCallLimits } from './call-limits.js';
import { checkChunksize, checkIterable, collect, defaultChunksize, isAsyncIterable } from './chunking.js';
import { Dispatcher } from './dispatcher.js';
import { FunctionIds } from './function-ids.js';
import { ProcessError } from './errors.js';
import { IMapIterator, IMapJob } from './imap.js';
import type { Job } from './job.js';
import { ApplyJob, MapJob } from './map-job.js';
import { F_FAIL_FAST, F_STAR, type FuncRef } from './protocol.js';
import {
  type AnyFn,
  type ApplyAsyncOptions,
  type CallOptions,
  type IMapOptions,
  type MapAsyncOptions,
  type MapOptions,
  type PoolFunc,
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
export class Pool {
  /** Number of workers. */
  readonly processes: number;
  #state = RUN;
  readonly #dispatcher: Dispatcher;
  #broken: ProcessError | null = null;
  readonly #fids: FunctionIds;
  readonly #ready: Promise<void>;

  constructor(options: PoolOptions | number = {}) {
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

  /**
   * Runs `func(...args)` in a worker; resolves with its result.
   *
   * @example
   * ```ts
   * await pool.apply(add, [1, 2]); // 3
   * ```
   */
  async apply<F extends AnyFn>(
    func: PoolFunc<F>,
    args?: Parameters<F>,
    options?: CallOptions,
  ): Promise<Awaited<ReturnType<F>>> {
    return this.applyAsync(func, args, options).get();
  }

  /**
   * Submits `func(...args)`; returns an {@link AsyncResult} at once.
   *
   * @example
   * ```ts
   * const r = pool.applyAsync(add, [1, 2], { callback: (v) => console.log(v) });
   * await r.get(); // 3
   * ```
   */
  applyAsync<F extends AnyFn>(
    func: PoolFunc<F>,
    args?: Parameters<F>,
    options?: ApplyAsyncOptions<Awaited<ReturnType<F>>>,
  ): AsyncResult<Awaited<ReturnType<F>>> {
    this.#check('applyAsync');
    if (args !== undefined && !Array.isArray(args))
      throw new TypeError('Pool.applyAsync: args must be an array');
    const fid = this.#fids.idOf(func, 'applyAsync');
    const result = new AsyncResult<Awaited<ReturnType<F>>>(options);
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

  /**
   * Applies `func` to every item; resolves with the results in input order, or rejects with
   * the first error. `iterable` may be async.
   *
   * @example
   * ```ts
   * await pool.map(square, [1, 2, 3]); // [1, 4, 9]
   * ```
   */
  async map<T, R>(
    func: PoolFunc<(x: T) => R>,
    iterable: Iterable<T> | AsyncIterable<T>,
    options?: MapOptions,
  ): Promise<Awaited<R>[]> {
    return this.mapAsync(func, iterable, options).get();
  }

  /** {@link map} returning an {@link AsyncResult}, with `callback` / `errorCallback`. */
  mapAsync<T, R>(
    func: PoolFunc<(x: T) => R>,
    iterable: Iterable<T> | AsyncIterable<T>,
    options?: MapAsyncOptions<Awaited<R>>,
  ): AsyncResult<Awaited<R>[]> {
    return this.#mapAsync('mapAsync', func, iterable, options, F_FAIL_FAST);
  }

  /**
   * Like {@link map}, with each item an array of arguments: `func(...item)`.
   *
   * @example
   * ```ts
   * await pool.starmap(add, [[1, 2], [3, 4]]); // [3, 7]
   * ```
   */
  async starmap<F extends AnyFn>(
    func: PoolFunc<F>,
    iterable: Iterable<Parameters<F>> | AsyncIterable<Parameters<F>>,
    options?: MapOptions,
  ): Promise<Awaited<ReturnType<F>>[]> {
    return this.starmapAsync(func, iterable, options).get();
  }

  /** {@link starmap} returning an {@link AsyncResult}. */
  starmapAsync<F extends AnyFn>(
    func: PoolFunc<F>,
    iterable: Iterable<Parameters<F>> | AsyncIterable<Parameters<F>>,
    options?: MapAsyncOptions<Awaited<ReturnType<F>>>,
  ): AsyncResult<Awaited<ReturnType<F>>[]> {
    return this.#mapAsync('starmapAsync', func, iterable, options, F_STAR | F_FAIL_FAST);
  }

  #mapAsync<R>(
    method: string,
    func: unknown,
    iterable: unknown,
    options: MapAsyncOptions<R> | undefined,
    flags: number,
  ): AsyncResult<R[]> {
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

  /**
   * Lazily applies `func` to the items of any iterable or async iterable; yields results in
   * input order. Reads input only as workers free up (`buffersize` chunks ahead).
   *
   * @example
   * ```ts
   * for await (const y of pool.imap(square, naturals(), { chunksize: 64 })) if (y > 1e6) break;
   * ```
   */
  imap<T, R>(
    func: PoolFunc<(x: T) => R>,
    iterable: Iterable<T> | AsyncIterable<T>,
    options?: IMapOptions,
  ): IMapIterator<Awaited<R>> {
    return this.#imap('imap', func, iterable, options, true);
  }

  /** Like {@link imap}, yielding results as they complete (any order). */
  imapUnordered<T, R>(
    func: PoolFunc<(x: T) => R>,
    iterable: Iterable<T> | AsyncIterable<T>,
    options?: IMapOptions,
  ): IMapIterator<Awaited<R>> {
    return this.#imap('imapUnordered', func, iterable, options, false);
  }

  #imap<R>(
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
    if (!Number.isInteger(buffersize) || buffersize < 1) {
      throw new RangeError(`Pool.${method}: buffersize must be an integer >= 1, got ${String(buffersize)}`);
    }
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
