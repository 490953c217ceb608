/**
 * `RawArray`: a C array in shared memory (Python's `multiprocessing.sharedctypes.RawArray`), and
 * how views of shared memory travel between workers.
 *
 * Layout: each array owns a shared block; element `i` sits at byte `i * sizeof(type)` (C array
 * layout, no header), so the block holds exactly `arrayOf(type, n)`. The block is at least 8
 * bytes and zero-filled, so an array created from a size is all zeros.
 *
 * What `RawArray` returns is a view of that memory, and each kind of view travels as
 * `{ block, byteOffset, type, length }` (serialization reducers registered here and in
 * typed-arrays.ts), arriving as a view of the same memory:
 * - numeric types: the typed array itself (`Float64Array`, `Int32Array`, `BigInt64Array`...,
 *   `Uint8Array` for `'c'`);
 * - `'u'` (`c_wchar`): a {@link WCharArray} (one-character strings; `.value` is the string);
 * - Structures, `c_bool` and nested arrays: a {@link CArray} (`arr[i].name`, `length`, `for..of`).
 * Struct views (`arr[i]`, `Value(S).value`) and CArrays read out of a struct travel the same way.
 * A view over a plain (non-shared) ArrayBuffer arrives as a copy.
 */
import { registerReducer } from '@multiproc/serialization';
import { allocate, place, type Where, whereIs } from './blocks.js';
import { CArrayImpl, typedArrayOf } from './c-array.js';
import type { ArrayType, ArrayViewOf, CType, InitOf, StructType, TypeLike } from './ctype.js';
import { describeType, type TypeDescriptor, typeFromDescriptor } from './describe.js';
import { StructViewBase, structLocation, structTypeOf } from './struct-view.js';
import { sharedTypedArray } from './typed-arrays.js';
import type { ResolveType } from './types.js';
import { createArrayView, createStructView, planArray, writeValue } from './views.js';

/** The size, or the initial values, of a `RawArray`/`Array` of element type `T`. */
export type SizeOrInit<T> = number | (T extends CType ? InitOf<ArrayType<T>> : never);

/** @internal The view of `length` elements of `type` at `byteOffset` of a shared buffer. */
export function arrayView(type: CType, buffer: ArrayBufferLike, byteOffset: number, length: number): unknown {
  const TA = typedArrayOf(type);
  if (TA !== undefined) return sharedTypedArray(TA as never, buffer, byteOffset, length);
  return createArrayView(type, buffer as ArrayBuffer, byteOffset, length);
}

/** @internal Allocates and initializes an array; returns its view. */
export function newRawArray(type: TypeLike, sizeOrInit: unknown): unknown {
  const plan = planArray(type, sizeOrInit);
  const block = allocate(plan.byteLength);
  if (plan.init !== undefined) writeValue(plan.arrayType, block.buffer, 0, plan.init as never);
  return arrayView(plan.elementType, block.buffer, 0, plan.length);
}

/**
 * A C array allocated in shared memory, not synchronized (Python's `RawArray`). `sizeOrInit` is
 * a length (zero-filled) or the initial values (array, typed array, iterable; a string for
 * `'u'`/`'c'`), whose length is the array's length. Zero-copy: a numeric array is the typed
 * array itself, so a numpy-like library can wrap it. It can be sent to any worker and stays the
 * same memory.
 *
 * @example
 * const xs = RawArray('d', 4);                 // Float64Array [0, 0, 0, 0] over shared memory
 * xs[0] = 1.5;
 * const ids = RawArray(c_int64, [1n, 2n]);      // BigInt64Array
 * const users = RawArray(User, [['Joe', 18], { name: 'Nemo', age: 9 }]);
 * users[1].name;                                // 'Nemo'
 * for (const u of users) console.log(u.name, u.age);
 * RawArray('i', -1);                           // RangeError: array length must be >= 0
 */
export function RawArray<T extends TypeLike>(
  type: T,
  sizeOrInit: SizeOrInit<ResolveType<T>>,
): ArrayViewOf<ResolveType<T>> {
  return newRawArray(type, sizeOrInit) as ArrayViewOf<ResolveType<T>>;
}

interface ArrayState {
  type: TypeDescriptor;
  where: Where;
  length: number;
}

registerReducer(CArrayImpl, {
  name: '@multiproc/sharedctypes:CArray',
  reduce(a: CArrayImpl): ArrayState {
    const { buffer, byteOffset } = CArrayImpl.locate(a);
    const what = `a ${a.elementType.name} array`;
    return {
      type: describeType(a.elementType),
      where: whereIs(buffer, byteOffset, a.elementType.size * a.length, what),
      length: a.length,
    };
  },
  rebuild(s: ArrayState): CArrayImpl {
    const { buffer, byteOffset } = place(s.where);
    return createArrayView(typeFromDescriptor(s.type), buffer as ArrayBuffer, byteOffset, s.length) as never;
  },
});

interface StructState {
  type: TypeDescriptor;
  where: Where;
}

registerReducer(StructViewBase, {
  name: '@multiproc/sharedctypes:Struct',
  reduce(v: StructViewBase): StructState {
    const S = structTypeOf(v) as StructType;
    const { dv, byteOffset } = structLocation(v);
    return { type: describeType(S), where: whereIs(dv.buffer, byteOffset, S.size, `a ${S.name} view`) };
  },
  rebuild(s: StructState): StructViewBase {
    const { buffer, byteOffset } = place(s.where);
    return createStructView(typeFromDescriptor(s.type) as StructType, buffer as ArrayBuffer, byteOffset);
  },
});
