/**
 * The call forms every multiproc pool offers (apply, map, starmap, their Async forms, imap and
 * imapUnordered), written once over three hooks: the local Pool (pool.ts) and
 * `@multiproc/cluster`'s Pool differ in how a call runs, not in how the forms relate
 * (`map` is `mapAsync(...).get()`, `starmap` is `map` with `func(...item)`, and so on).
 */
import type { AsyncResult, ResultCallbacks } from './async-result.js';
import type { AnyFn, CallOptions, PoolFunc } from './pool-options.js';

/**
 * @internal The types a pool built on {@link PoolCalls} fills in: its option types, and what
 * its imap returns. `iterator` is a function of the element type: declare it with `this['R']`
 * (`readonly iterator: IMapIterator<this['R']>`) and read it with {@link IMapIteratorOf}, as
 * TypeScript has no type parameters that take type parameters.
 */
export interface PoolCallTypes {
  /** Options of `apply` / `applyAsync` (without the callbacks). */
  readonly call: CallOptions;
  /** Options of `map` / `starmap` and their Async forms (without the callbacks). */
  readonly map: CallOptions & { chunksize?: number };
  /** Options of `imap` / `imapUnordered`. */
  readonly imap: CallOptions & { chunksize?: number; buffersize?: number };
  /** The element type `iterator` is read at; set by {@link IMapIteratorOf}. */
  readonly R: unknown;
  /** What `imap` returns, for elements of type `this['R']`. */
  readonly iterator: AsyncIterableIterator<unknown>;
}

/** @internal The imap iterator of the pool typed by `P`, for elements of type `R`. */
export type IMapIteratorOf<P extends PoolCallTypes, R> = (P & { readonly R: R })['iterator'];

/**
 * @internal The public call methods of a pool, over the hooks `_apply`, `_map` and `_imap`
 * that its subclass implements. Exported for `@multiproc/cluster`; not a stable API.
 */
export abstract class PoolCalls<P extends PoolCallTypes> {
  /** @internal Submits `func(...args)`; checks `args` at run time (JavaScript callers). */
  protected abstract _apply<R>(
    func: unknown,
    args: unknown[] | undefined,
    options: (P['call'] & ResultCallbacks<R>) | undefined,
  ): AsyncResult<R>;

  /** @internal Submits `func` over the items (`func(...item)` if `star`). */
  protected abstract _map<R>(
    method: 'mapAsync' | 'starmapAsync',
    func: unknown,
    iterable: unknown,
    options: (P['map'] & ResultCallbacks<R[]>) | undefined,
    star: boolean,
  ): AsyncResult<R[]>;

  /** @internal Starts a lazy map; results in input order if `ordered`. */
  protected abstract _imap<R>(
    method: 'imap' | 'imapUnordered',
    func: unknown,
    iterable: unknown,
    options: P['imap'] | undefined,
    ordered: boolean,
  ): IMapIteratorOf<P, R>;

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
    options?: P['call'],
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
    options?: P['call'] & ResultCallbacks<Awaited<ReturnType<F>>>,
  ): AsyncResult<Awaited<ReturnType<F>>> {
    return this._apply(func, args, options);
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
    options?: P['map'],
  ): Promise<Awaited<R>[]> {
    return this.mapAsync(func, iterable, options).get();
  }

  /** {@link map} returning an {@link AsyncResult}, with `callback` / `errorCallback`. */
  mapAsync<T, R>(
    func: PoolFunc<(x: T) => R>,
    iterable: Iterable<T> | AsyncIterable<T>,
    options?: P['map'] & ResultCallbacks<Awaited<R>[]>,
  ): AsyncResult<Awaited<R>[]> {
    return this._map('mapAsync', func, iterable, options, false);
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
    options?: P['map'],
  ): Promise<Awaited<ReturnType<F>>[]> {
    return this.starmapAsync(func, iterable, options).get();
  }

  /** {@link starmap} returning an {@link AsyncResult}. */
  starmapAsync<F extends AnyFn>(
    func: PoolFunc<F>,
    iterable: Iterable<Parameters<F>> | AsyncIterable<Parameters<F>>,
    options?: P['map'] & ResultCallbacks<Awaited<ReturnType<F>>[]>,
  ): AsyncResult<Awaited<ReturnType<F>>[]> {
    return this._map('starmapAsync', func, iterable, options, true);
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
    options?: P['imap'],
  ): IMapIteratorOf<P, Awaited<R>> {
    return this._imap('imap', func, iterable, options, true);
  }

  /** Like {@link imap}, yielding results as they complete (any order). */
  imapUnordered<T, R>(
    func: PoolFunc<(x: T) => R>,
    iterable: Iterable<T> | AsyncIterable<T>,
    options?: P['imap'],
  ): IMapIteratorOf<P, Awaited<R>> {
    return this._imap('imapUnordered', func, iterable, options, false);
  }
}
