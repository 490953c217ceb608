/**
 * Chunking: how an iterable of inputs is cut into the chunks that travel to workers, one
 * message per chunk (CPython's `Pool._get_tasks`).
 */

/**
 * CPython's default map chunksize: `divmod(length, 4 * processes)`, plus one if there is a
 * remainder; 0 for empty input.
 *
 * @example
 * ```ts
 * defaultChunksize(100, 2); // 13  (100 / 8 = 12 rest 4)
 * defaultChunksize(0, 2);   // 0
 * ```
 */
export function defaultChunksize(length: number, processes: number): number {
  if (length === 0) return 0;
  const div = processes * 4;
  const q = Math.floor(length / div);
  return length % div === 0 ? q : q + 1;
}

/** Validates a user-supplied chunksize (Python: `ValueError` -> `RangeError`). */
export function checkChunksize(chunksize: unknown, method: string): number | undefined {
  if (chunksize === undefined) return undefined;
  if (typeof chunksize !== 'number' || !Number.isInteger(chunksize) || chunksize < 1) {
    throw new RangeError(`${method}: chunksize must be an integer >= 1, got ${String(chunksize)}`);
  }
  return chunksize;
}

/** True for any object with `Symbol.asyncIterator`. */
export function isAsyncIterable(x: unknown): x is AsyncIterable<unknown> {
  return x != null && typeof (x as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === 'function';
}

/** True for any object with `Symbol.iterator` (strings included). */
export function isSyncIterable(x: unknown): x is Iterable<unknown> {
  return x != null && typeof (x as { [Symbol.iterator]?: unknown })[Symbol.iterator] === 'function';
}

/** Throws the TypeError Python's `iter()` would for a non-iterable. */
export function checkIterable(x: unknown, method: string): Iterable<unknown> | AsyncIterable<unknown> {
  if (isAsyncIterable(x) || isSyncIterable(x)) return x;
  throw new TypeError(`${method}: expected an iterable or async iterable of inputs, got ${describe(x)}`);
}

function describe(x: unknown): string {
  if (x === null) return 'null';
  if (typeof x === 'object') return `a ${(x as object).constructor?.name ?? 'object'}`;
  return `a ${typeof x}`;
}

/** Drains an async iterable into an array (map over an async iterable with no chunksize). */
export async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}
