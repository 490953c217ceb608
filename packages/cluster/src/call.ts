/**
 * One map-like call of the cluster pool (apply, map, starmap and their Async forms): all
 * chunks are submitted at once; the first error, the call's timeout or its signal ends it and
 * cancels the chunks still queued.
 */
import { type AsyncResult, type CallOptions, TimeoutError } from '@multiproc/pool';
import type { Engine } from './pool-engine.js';
import type { PortableRef } from './portable.js';

/** Options every call takes: `{ signal, timeout }` (ms), as the local Pool's. */
export type { CallOptions };

/** Wires a call's signal and timeout to `fail`; returns the cleanup. */
export function limits(
  opts: CallOptions | undefined,
  defaultTimeout: number | undefined,
  method: string,
  fail: (e: unknown) => void,
): () => void {
  const timeout = opts?.timeout ?? defaultTimeout;
  if (timeout !== undefined && (typeof timeout !== 'number' || !(timeout >= 0))) {
    throw new RangeError(
      `cluster.Pool.${method}: timeout must be a number of milliseconds >= 0, got ${String(timeout)}`,
    );
  }
  const signal = opts?.signal;
  const onAbort = () => fail(signal?.reason);
  signal?.addEventListener('abort', onAbort, { once: true });
  const timer =
    timeout === undefined
      ? undefined
      : setTimeout(
          () =>
            fail(new TimeoutError(`cluster.Pool.${method}: the call did not finish within ${timeout} ms`)),
          timeout,
        );
  if (signal?.aborted) queueMicrotask(onAbort);
  return () => {
    if (timer !== undefined) clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  };
}

/** Runs `chunks` (arrays of items) and settles `result` with the flattened values in order. */
export class MapCall {
  #ids: string[] = [];
  #done = false;
  #cleanup: () => void = () => {};

  constructor(
    readonly engine: Engine,
    readonly result: AsyncResult<unknown[]>,
    readonly onEnd: (call: MapCall) => void,
  ) {}

  start(fn: PortableRef, star: boolean, chunks: unknown[][], cleanup: () => void): void {
    this.#cleanup = cleanup;
    if (this.#done) return;
    const out: unknown[][] = new Array(chunks.length);
    let remaining = chunks.length;
    const sinks = chunks.map((_, i) => (ok: boolean, value: unknown) => {
      if (this.#done) return;
      if (!ok) return this.fail(value);
      out[i] = value as unknown[];
      if (--remaining === 0) this.#finish(true, out.flat());
    });
    try {
      this.#ids = this.engine.submit(fn, star, chunks, sinks);
    } catch (e) {
      this.fail(e);
    }
  }

  fail(err: unknown): void {
    if (this.#done) return;
    this.engine.cancel(this.#ids);
    this.#finish(false, err);
  }

  #finish(ok: boolean, value: unknown): void {
    this.#done = true;
    this.#cleanup();
    this.onEnd(this);
    this.result._settle(ok, value);
  }
}
