/**
 * cluster.Pool: the local Pool's API over Redis. Tasks (chunks of items) go to a list that
 * `multiproc worker` processes on any machine serve; see pool-keys.ts for the data and
 * pool-engine.ts for delivery and failure handling.
 */
import {
  AsyncResult,
  PoolCalls,
  ProcessError,
  type ResultCallbacks,
  checkIterable,
  checkPositiveInt,
  collect,
  defaultChunksize,
} from '@multiproc/pool';
import { type CallOptions, MapCall, limits } from './call.js';
import type { RedisSpec } from './connection.js';
import { ClusterIMapIterator } from './imap.js';
import { Engine } from './pool-engine.js';
import { captureCallers, toPortable } from './portable.js';

export type { PoolFunc } from '@multiproc/pool';

export interface PoolOptions {
  /** Redis: a URL (`redis://user:pass@host:6379/0`, `rediss://` for TLS), ioredis options, or an ioredis client. */
  redis: RedisSpec;
  /** The pool's name; workers serve it with `--name` (default 'jobs'). */
  name?: string;
  /** Default chunksize of map/starmap (default: Python's rule over the workers' total concurrency) and imap (1). */
  chunksize?: number;
  /** Default timeout (ms) of every call; a call's own `{ timeout }` wins. Default: none. */
  timeout?: number;
  /** Runs of a task whose worker died before it gives up with ProcessError (default 3). */
  maxAttempts?: number;
  /** Fail pending calls with ProcessError when no worker has been alive this long (ms, default 30000). */
  workerTimeout?: number;
  /** Fail pending calls with ConnectionError when Redis has been unreachable this long (ms, default 10000). */
  reconnectTimeout?: number;
  /** How often (ms) the caller checks workers while calls are pending (default 1000). */
  heartbeat?: number;
}

export interface MapOptions extends CallOptions {
  chunksize?: number;
}
export interface IMapOptions extends MapOptions {
  /** Chunks ahead of the consumer; default 2 x the workers' total concurrency. */
  buffersize?: number;
}
export type MapAsyncOptions<R> = MapOptions & ResultCallbacks<R[]>;
export type ApplyAsyncOptions<R> = CallOptions & ResultCallbacks<R>;
export type { CallOptions };

const RUN = 0;
const CLOSE = 1;
const TERMINATE = 2;

const positiveInt = (v: unknown, what: string) => checkPositiveInt(v, what, 'cluster.Pool');

/** The cluster pool's option types and imap iterator, for {@link PoolCalls}. */
interface ClusterPoolTypes {
  readonly call: CallOptions;
  readonly map: MapOptions;
  readonly imap: IMapOptions;
  readonly R: unknown;
  readonly iterator: ClusterIMapIterator<this['R']>;
}

/**
 * A pool whose workers are `multiproc worker` processes on any number of machines, sharing
 * one Redis. Same methods as the local `Pool`.
 *
 * @example
 * ```ts
 * import * as cluster from '@multiproc/cluster';
 * import { square } from './tasks.js'; // workers run: npx multiproc worker --redis $URL --import ./tasks.js
 *
 * await using pool = new cluster.Pool({ redis: 'redis://127.0.0.1:6379' });
 * await pool.map(square, [1, 2, 3]); // [1, 4, 9]
 * ```
 */
export class Pool extends PoolCalls<ClusterPoolTypes> {
  readonly name: string;
  #state = RUN;
  readonly #engine: Engine;
  readonly #chunksize: number | undefined;
  readonly #timeout: number | undefined;
  readonly #active = new Set<{ fail(e: unknown): void }>();
  #idle: (() => void) | null = null;

  constructor(options: PoolOptions) {
    super();
    if (options === null || typeof options !== 'object' || options.redis === undefined) {
      throw new TypeError("cluster.Pool: pass { redis: 'redis://host:6379', name?: 'jobs' }");
    }
    this.name = options.name ?? 'jobs';
    if (typeof this.name !== 'string' || !/^[\w.:-]+$/.test(this.name)) {
      throw new TypeError(
        `cluster.Pool: name must be letters, digits, '.', ':', '_' or '-', got ${String(this.name)}`,
      );
    }
    this.#chunksize = positiveInt(options.chunksize, 'chunksize');
    this.#timeout = options.timeout;
    this.#engine = new Engine({
      redis: options.redis,
      name: this.name,
      maxAttempts: positiveInt(options.maxAttempts, 'maxAttempts') ?? 3,
      workerTimeout: options.workerTimeout ?? 30_000,
      reconnectTimeout: options.reconnectTimeout ?? 10_000,
      heartbeat: options.heartbeat ?? 1000,
    });
  }

  /** The workers' total concurrency right now (at least 1). */
  slots(): Promise<number> {
    return this.#engine.slots();
  }

  #check(method: string): void {
    if (this.#state !== RUN) {
      throw new Error(
        `cluster.Pool.${method}: the pool is ${this.#state === CLOSE ? 'closed' : 'terminated'}; create a new Pool`,
      );
    }
  }

  #track<T extends { fail(e: unknown): void }>(call: T): T {
    this.#active.add(call);
    return call;
  }

  #untrack = (call: { fail(e: unknown): void }): void => {
    this.#active.delete(call);
    if (this.#active.size === 0) this.#idle?.();
  };

  /** @internal */
  protected _apply<R>(
    func: unknown,
    args: unknown[] | undefined,
    options: ApplyAsyncOptions<R> | undefined,
  ): AsyncResult<R> {
    this.#check('applyAsync');
    if (args !== undefined && !Array.isArray(args))
      throw new TypeError('cluster.Pool.applyAsync: args must be an array');
    const result = new AsyncResult<R>(options);
    // One chunk of one item: an apply is a one-item starmap.
    const inner = new AsyncResult<unknown[]>({
      callback: (v) => result._settle(true, v[0]),
      errorCallback: (e) => result._settle(false, e),
    });
    this.#run('applyAsync', func, [args ?? []], options, true, inner, 1);
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
    const result = new AsyncResult<R[]>(options);
    this.#run(method, func, iterable, options, star, result as AsyncResult<unknown[]>);
    return result;
  }

  #run(
    method: string,
    func: unknown,
    iterable: unknown,
    options: MapOptions | undefined,
    star: boolean,
    result: AsyncResult<unknown[]>,
    fixedChunk?: number,
  ): void {
    this.#check(method);
    const callers = captureCallers();
    const input = checkIterable(iterable, `cluster.Pool.${method}`, String);
    const chunksize = positiveInt(options?.chunksize, 'chunksize') ?? this.#chunksize;
    const call = this.#track(new MapCall(this.#engine, result, this.#untrack));
    const cleanup = limits(options, this.#timeout, method, (e) => call.fail(e));
    (async () => {
      const fn = await toPortable(func, callers);
      const items = Array.isArray(input) ? input : await collect(input);
      if (items.length === 0) {
        cleanup();
        this.#untrack(call);
        result._settle(true, []);
        return;
      }
      const size = fixedChunk ?? chunksize ?? defaultChunksize(items.length, await this.#engine.slots());
      const chunks: unknown[][] = [];
      for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
      if (this.#state === TERMINATE)
        throw new ProcessError('the pool was terminated before this call finished');
      call.start(fn, star, chunks, cleanup);
    })().catch((e: unknown) => {
      call.start({ module: '', name: '' }, star, [], cleanup);
      call.fail(e);
    });
  }

  /** @internal */
  protected _imap<R>(
    method: string,
    func: unknown,
    iterable: unknown,
    options: IMapOptions | undefined,
    ordered: boolean,
  ): ClusterIMapIterator<R> {
    this.#check(method);
    const callers = captureCallers();
    const input = checkIterable(iterable, `cluster.Pool.${method}`, String);
    const chunksize = positiveInt(options?.chunksize, 'chunksize') ?? this.#chunksize ?? 1;
    const buffersize = positiveInt(options?.buffersize, 'buffersize');
    const it = this.#track(
      new ClusterIMapIterator<R>(this.#engine, input, chunksize, ordered, this.#untrack),
    );
    it.cleanup = limits(options, this.#timeout, method, (e) => it.fail(e));
    (async () => {
      const fn = await toPortable(func, callers);
      it.begin(fn, buffersize ?? 2 * (await this.#engine.slots()));
    })().catch((e: unknown) => it.fail(e));
    return it;
  }

  /** Accepts no more calls; join() then waits for the submitted ones. */
  close(): void {
    if (this.#state === RUN) this.#state = CLOSE;
  }

  /** Fails every unfinished call with ProcessError and drops their queued tasks. */
  terminate(): void {
    if (this.#state === TERMINATE) return;
    this.#state = TERMINATE;
    const err = new ProcessError('the pool was terminated before this call finished');
    for (const call of [...this.#active]) call.fail(err);
    this.#engine.close();
  }

  /** Waits for the submitted calls to finish, then closes the connections. Call close() or terminate() first. */
  async join(): Promise<void> {
    if (this.#state === RUN)
      throw new Error('cluster.Pool.join(): the pool is still running; call close() or terminate() first');
    if (this.#active.size > 0) {
      await new Promise<void>((r) => {
        this.#idle = r;
      });
    }
    this.#engine.close();
  }

  /** `await using pool = new cluster.Pool(...)`: terminate() and join(). */
  async [Symbol.asyncDispose](): Promise<void> {
    this.terminate();
    await this.join();
  }
}
