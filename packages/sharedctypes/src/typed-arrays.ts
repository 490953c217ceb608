/**
 * The typed arrays `RawArray` returns for numeric types: real `Float64Array`, `Int32Array`,
 * `BigInt64Array`... (subclasses, so `instanceof`, `ArrayBuffer.isView`, indexing speed and every
 * method are those of the built-in), over a shared block, zero-copy.
 *
 * The subclass is invisible in practice: its prototype's `constructor` is the built-in, so
 * `a.constructor === Float64Array` and test equality (`toEqual`, `toStrictEqual`) against a plain
 * `Float64Array` holds; only `Object.getPrototypeOf(a)` differs.
 *
 * Why subclasses: the serialization core refuses typed arrays over a SharedArrayBuffer (copying
 * them would silently stop the sharing) and picks reducers by prototype, so a reducer registered
 * for the built-in `Float64Array` would also take over every ordinary Float64Array, and a
 * receiver without this package could no longer read them. A subclass per kind gets its own
 * reducer and travels as `{ block, byteOffset, length }`: it arrives as the same memory.
 * `Symbol.species` is the built-in, so `slice()`/`map()`/`subarray()` give ordinary arrays
 * (`subarray()` views the shared memory but does not travel by itself; send the whole array).
 * They print as `Float64Array(3) [ 1, 2, 3 ]`.
 */
import { type NumericArray, registerReducer, TYPECODE_ARRAYS } from '@multiproc/serialization';
import { place, type Where, whereIs } from './blocks.js';

type TypedArrayCtor = new (buffer: ArrayBufferLike, byteOffset: number, length: number) => NumericArray;

// Each numeric kind once ('l' and 'q' share BigInt64Array), named as the reducers are.
const BASES = new Set(Object.values(TYPECODE_ARRAYS) as TypedArrayCtor[]);

/** The travelling state of a shared typed array (the reducer's name gives its class). */
interface State {
  kind: string;
  where: Where;
  length: number;
}

const shared = new Map<TypedArrayCtor, TypedArrayCtor>();
const byKind = new Map<string, TypedArrayCtor>();

for (const Base of BASES) {
  const kind = Base.name;
  const Shared = class extends (Base as unknown as new (...args: any[]) => Uint8Array) {
    static get [Symbol.species]() {
      return Base;
    }
  } as unknown as TypedArrayCtor;
  Object.defineProperty(Shared, 'name', { value: kind });
  // `a.constructor === Float64Array`: equality checks (vitest/jest toEqual, toStrictEqual),
  // inspection and species lookups see the built-in class.
  Object.defineProperty(Shared.prototype, 'constructor', { value: Base, writable: true, configurable: true });
  shared.set(Base, Shared);
  byKind.set(kind, Shared);
  registerReducer(Shared, {
    name: `@multiproc/sharedctypes:${kind}`,
    reduce(a: NumericArray): State {
      return { kind, where: whereIs(a.buffer, a.byteOffset, a.byteLength, `a ${kind}`), length: a.length };
    },
    rebuild(state: State): NumericArray {
      const Ctor = byKind.get(state.kind);
      if (Ctor === undefined) throw new TypeError(`unknown typed array kind ${JSON.stringify(state.kind)}`);
      const { buffer, byteOffset } = place(state.where);
      return new Ctor(buffer, byteOffset, state.length);
    },
  });
}

/**
 * A typed array of the class of `Base` over `length` elements of `buffer` at `byteOffset`, that
 * travels between workers as the same memory when `buffer` is a block of this package.
 */
export function sharedTypedArray<T extends NumericArray>(
  Base: new (buffer: ArrayBufferLike, byteOffset: number, length: number) => T,
  buffer: ArrayBufferLike,
  byteOffset: number,
  length: number,
): T {
  const Ctor = shared.get(Base as unknown as TypedArrayCtor);
  if (Ctor === undefined) throw new TypeError(`not a typed array class: ${String(Base?.name)}`);
  return new Ctor(buffer, byteOffset, length) as T;
}
