/**
 * The typed array that stores each numeric `array`-module typecode. Both sharedctypes (views of
 * shared memory) and the manager (server-side Value/Array) store numbers by typecode, and neither
 * depends on the other, so the one table lives here, at the bottom of the package graph.
 */

/** A typed array that holds the numbers of one numeric typecode. */
export type NumericArray =
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | Float32Array
  | Float64Array
  | BigInt64Array
  | BigUint64Array;

/**
 * @internal The typed array of each numeric typecode, with the sizes of CPython on x86-64 Linux
 * (LP64: `'l'`/`'L'` are 64-bit, like `'q'`/`'Q'`, so they hold bigints). `'c'`, `'u'` and
 * `'?'` are left out: what stores them (bytes, strings, booleans) is up to each package.
 */
export const TYPECODE_ARRAYS = Object.freeze({
  b: Int8Array,
  B: Uint8Array,
  h: Int16Array,
  H: Uint16Array,
  i: Int32Array,
  I: Uint32Array,
  l: BigInt64Array,
  L: BigUint64Array,
  q: BigInt64Array,
  Q: BigUint64Array,
  f: Float32Array,
  d: Float64Array,
});

/** @internal A numeric typecode: a key of {@link TYPECODE_ARRAYS}. */
export type NumericTypecode = keyof typeof TYPECODE_ARRAYS;
