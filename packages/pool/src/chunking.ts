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

/**
 * @internal Validates an optional count option such as `buffersize`: undefined passes, else an
 * integer >= 1, or a RangeError (Python's `ValueError`) that names `where` and `name`.
 */
export function checkPositiveInt(value: unknown, name: string, where: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new RangeError(`${where}: ${name} must be an integer >= 1, got ${String(value)}`);
  }
  return value;
}

/** Validates a user-supplied chunksize (Python: `ValueError` -> `RangeError`). */
export function checkChunksize(chunksize: unknown, method: string): number | undefined {
  return checkPositiveInt(chunksize, 'chunksize', method);
}

/** @internal True for any object with `Symbol.asyncIterator`. */
export function isAsyncIterable(x: unknown): x is AsyncIterable<unknown> {
  return x != null && typeof (x as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === 'function';
}

/** True for any object with `Symbol.iterator` (strings included). */
export function isSyncIterable(x: unknown): x is Iterable<unknown> {
  return x != null && typeof (x as { [Symbol.iterator]?: unknown })[Symbol.iterator] === 'function';
}

/**
 * @internal Throws the TypeError Python's `iter()` would for a non-iterable; `show` words the
 * value in the message (default: its type, as `a number`).
 */
export function checkIterable(
  x: unknown,
  method: string,
  show: (x: unknown) => string = describe,
): Iterable<unknown> | AsyncIterable<unknown> {
  if (isAsyncIterable(x) || isSyncIterable(x)) return x;
  throw new TypeError(`${method}: expected an iterable or async iterable of inputs, got ${show(x)}`);
}

function describe(x: unknown): string {
  if (x === null) return 'null';
  if (typeof x === 'object') return `a ${(x as object).constructor?.name ?? 'object'}`;
  return `a ${typeof x}`;
}

/**
 * @internal Drains an iterable into an array (map over an async iterable with no chunksize):
 * `for await`, so a sync iterable's promises are awaited too.
 */
export async function collect<T>(it: Iterable<T> | AsyncIterable<T>): Promise<Awaited<T>[]> {
  const out: Awaited<T>[] = [];
  for await (const x of it) out.push(x);
  return out;
}
