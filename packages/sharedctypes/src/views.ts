/**
 * Zero-copy access to ctypes values in any `(buffer, byteOffset)`: the layer `Value`, `RawValue`,
 * `Array` and `RawArray` are thin wrappers over. Nothing here allocates shared memory.
 *
 * Every function checks that `buffer` is an ArrayBuffer or SharedArrayBuffer, that `byteOffset`
 * is a multiple of the type's alignment (typed-array views need it; allocations are aligned), and
 * that the value fits in the buffer; each failure is a RangeError/TypeError saying which.
 */
import { elementsView } from './c-array.js';
import { codecOf, dataViewOf } from './codec.js';
import type {
  ArrayType,
  ArrayViewOf,
  CType,
  FieldMap,
  InitOf,
  StructType,
  StructView,
  TypeLike,
  ValueOf,
} from './ctype.js';
import { arrayOf } from './layout.js';
import { codePointLength } from './strings.js';
import type { ResolveType } from './types.js';
import { resolveType } from './types.js';

/** Memory a view can sit on. */
export type BufferLike = ArrayBuffer | SharedArrayBuffer;

function region(buffer: BufferLike, byteOffset: number, type: CType, size: number): DataView {
  if (
    !(buffer instanceof ArrayBuffer) &&
    !(typeof SharedArrayBuffer !== 'undefined' && buffer instanceof SharedArrayBuffer)
  ) {
    throw new TypeError(
      `expected an ArrayBuffer or SharedArrayBuffer, got ${ArrayBuffer.isView(buffer) ? 'a typed array (pass its .buffer and .byteOffset)' : typeof buffer}`,
    );
  }
  if (typeof byteOffset !== 'number' || !Number.isInteger(byteOffset) || byteOffset < 0) {
    throw new RangeError(`byteOffset must be a non-negative integer, got ${String(byteOffset)}`);
  }
  if (byteOffset % type.alignment !== 0) {
    throw new RangeError(
      `byteOffset ${byteOffset} is not aligned for ${type.name}: it must be a multiple of ${type.alignment}`,
    );
  }
  if (byteOffset + size > buffer.byteLength) {
    throw new RangeError(
      `${type.name} needs ${size} bytes at byteOffset ${byteOffset}, but the buffer has only ${buffer.byteLength} bytes`,
    );
  }
  return dataViewOf(buffer);
}

/**
 * Reads the value of `type` at `byteOffset`: a number/bigint/boolean/string for simple types, a
 * live struct view for a Structure, a string for `c_wchar * n`, a typed array (zero-copy) for
 * numeric arrays. This is what `Value(type).value` returns.
 *
 * @example
 * const buf = new SharedArrayBuffer(16);
 * writeValue(c_int64, buf, 8, 42n);
 * readValue(c_int64, buf, 8); // 42n (typed as bigint)
 */
export function readValue<T extends TypeLike>(
  type: T,
  buffer: BufferLike,
  byteOffset: number,
): ValueOf<ResolveType<T>> {
  const t = resolveType(type) as CType;
  return codecOf(t).get(region(buffer, byteOffset, t, t.size), byteOffset);
}

/**
 * Writes `value` as `type` at `byteOffset`, with Python-like checks (TypeError for a wrong type,
 * RangeError for a string/array that does not fit); integers wrap as in ctypes. A Structure takes
 * an array in field order, an object by field name or a view of the same type.
 *
 * @example
 * writeValue(User, buf, 0, ['Joe', 18]);
 * writeValue(arrayOf(c_double, 3), buf, 32, [1, 2, 3]);
 */
export function writeValue<T extends TypeLike>(
  type: T,
  buffer: BufferLike,
  byteOffset: number,
  value: InitOf<ResolveType<T>>,
): void {
  const t = resolveType(type) as CType;
  codecOf(t).set(region(buffer, byteOffset, t, t.size), byteOffset, value);
}

/** A bound getter/setter pair for one value: what a `Value` wrapper's `.value` delegates to. */
export interface ValueAccessor<V, I> {
  get(): V;
  set(value: I): void;
}

/**
 * Binds `type` at `(buffer, byteOffset)` once (checks and lookups done here), returning a fast
 * get/set pair. Use it for `Value`/`RawValue`:
 *
 * @example
 * const acc = valueAccessor(c_double, buf, 0);
 * acc.set(3.14);
 * acc.get(); // 3.14
 */
export function valueAccessor<T extends TypeLike>(
  type: T,
  buffer: BufferLike,
  byteOffset: number,
): ValueAccessor<ValueOf<ResolveType<T>>, InitOf<ResolveType<T>>> {
  const t = resolveType(type) as CType;
  const dv = region(buffer, byteOffset, t, t.size);
  const codec = codecOf(t);
  return {
    get: () => codec.get(dv, byteOffset),
    set: (v) => codec.set(dv, byteOffset, v),
  };
}

/**
 * A live view of a Structure at `byteOffset`: a getter/setter per field (nested structs are
 * nested views, numeric arrays typed arrays, `c_wchar * n` strings, `c_char * n` Uint8Arrays).
 *
 * @example
 * const u = createStructView(User, buf, 0);
 * u.name = 'Ann'; u.age += 1;
 */
export function createStructView<F extends FieldMap>(
  S: StructType<F>,
  buffer: BufferLike,
  byteOffset: number,
): StructView<F> {
  if (resolveType(S).kind !== 'struct')
    throw new TypeError(`createStructView expects a Structure type, got ${S.name}`);
  return readValue(S as StructType<any>, buffer, byteOffset) as StructView<F>;
}

/**
 * A zero-copy view of `length` consecutive elements of `type` at `byteOffset` (what `RawArray`
 * returns): the typed array itself for numeric types (`c_int` -> Int32Array, `c_long` ->
 * BigInt64Array, `c_char`/`c_ubyte` -> Uint8Array), a {@link WCharArray} for `c_wchar`, and a
 * {@link CArray} for structs, `c_bool` and nested arrays.
 *
 * Writes through a typed array use JavaScript's conversions (no ctypes checks); writes through
 * a CArray and `writeValue` check like ctypes.
 *
 * @example
 * const a = createArrayView('d', buf, 0, 4);   // Float64Array over buf
 * const users = createArrayView(User, buf, 64, 2);
 * users[1].name; for (const u of users) console.log(u.age);
 */
export function createArrayView<T extends TypeLike>(
  type: T,
  buffer: BufferLike,
  byteOffset: number,
  length: number,
): ArrayViewOf<ResolveType<T>> {
  const t = resolveType(type) as CType;
  checkLength(length);
  const dv = region(buffer, byteOffset, t, t.size * length);
  return elementsView(t, dv, byteOffset, length) as ArrayViewOf<ResolveType<T>>;
}

function checkLength(n: unknown): asserts n is number {
  if (typeof n !== 'number' || !Number.isInteger(n))
    throw new TypeError(`array length must be an integer, got ${String(n)}`);
  if (n < 0) throw new RangeError(`array length must be >= 0, got ${n}`);
}

/** What {@link planArray} works out for an `Array`/`RawArray` call. */
export interface ArrayPlan<T extends CType> {
  /** The element type. */
  readonly elementType: T;
  /** Number of elements. */
  readonly length: number;
  /** `arrayOf(elementType, length)`: write the initializer with it. */
  readonly arrayType: ArrayType<T>;
  /** Bytes to allocate (may be 0) and their alignment. */
  readonly byteLength: number;
  readonly alignment: number;
  /** The initializer to write with `writeValue(arrayType, ...)`, or undefined for a size. */
  readonly init: unknown;
}

/**
 * Resolves `Array(typeOrCode, sizeOrInitializer)` arguments as Python does: a number is a length
 * (negative is a RangeError), a string/array/typed array/iterable is an initializer whose length
 * is the array length (`c_wchar` counts code points). Iterables are consumed once into an array.
 *
 * @example
 * const plan = planArray('i', [1, 2, 3]);
 * const { buffer, byteOffset } = allocate(plan.byteLength, plan.alignment); // memory package
 * if (plan.init !== undefined) writeValue(plan.arrayType, buffer, byteOffset, plan.init as never);
 * return createArrayView(plan.elementType, buffer, byteOffset, plan.length);
 */
export function planArray<T extends TypeLike>(type: T, sizeOrInit: unknown): ArrayPlan<ResolveType<T>> {
  const elementType = resolveType(type) as ResolveType<T> & CType;
  let length: number;
  let init: unknown;
  if (typeof sizeOrInit === 'number') {
    checkLength(sizeOrInit);
    length = sizeOrInit;
  } else if (typeof sizeOrInit === 'string') {
    length =
      elementType.kind === 'simple' && (elementType as { code: string }).code === 'u'
        ? codePointLength(sizeOrInit)
        : sizeOrInit.length;
    init = sizeOrInit;
  } else if (
    typeof sizeOrInit === 'object' &&
    sizeOrInit !== null &&
    typeof (sizeOrInit as ArrayLike<unknown>).length === 'number'
  ) {
    length = (sizeOrInit as ArrayLike<unknown>).length;
    init = sizeOrInit;
  } else if (typeof sizeOrInit === 'object' && sizeOrInit !== null && Symbol.iterator in sizeOrInit) {
    init = Array.from(sizeOrInit as Iterable<unknown>);
    length = (init as unknown[]).length;
  } else {
    throw new TypeError(
      `expected a size (a non-negative integer) or an initializer (array, typed array, string or iterable), got ${
        sizeOrInit === null ? 'null' : typeof sizeOrInit
      }`,
    );
  }
  const arrayType = arrayOf(elementType, length) as ArrayType<ResolveType<T>>;
  return { elementType, length, arrayType, byteLength: arrayType.size, alignment: arrayType.alignment, init };
}
