/**
 * The shapes of ctypes type descriptors and the type-level mapping from a descriptor to the
 * JavaScript values it reads as ({@link ValueOf}) and accepts ({@link InitOf}).
 *
 * Descriptors are plain frozen objects: a {@link SimpleType} (`c_int`, `c_double`, ...), an
 * {@link ArrayType} (`arrayOf(c_int, 3)`, Python's `c_int * 3`) or a {@link StructType}
 * (`Structure({...})`). They carry no memory; views bind them to a buffer.
 */

/** The `array`-module typecodes accepted wherever a type is expected (`'u'` is `c_wchar`). */
export type TypeCode = 'c' | 'b' | 'B' | 'h' | 'H' | 'i' | 'I' | 'l' | 'L' | 'q' | 'Q' | 'f' | 'd' | 'u';

/** ctypes' own format characters (`_type_`), one per distinct simple type. */
export type SimpleCode = '?' | 'c' | 'u' | 'b' | 'B' | 'h' | 'H' | 'i' | 'I' | 'l' | 'L' | 'f' | 'd';

/** Type-level only: carries the value/init/array-view types of a simple type. Never exists at runtime. */
export declare const ctypeInfo: unique symbol;

interface CTypeBase {
  /** Python's class name (`'c_int'`, `'c_int_Array_3'`, the Structure's name). */
  readonly name: string;
  /** `sizeof(type)` in bytes. */
  readonly size: number;
  /** `alignment(type)` in bytes. */
  readonly alignment: number;
}

/**
 * A fundamental type. `V` is what a read returns, `I` what a write accepts, `A` the typed
 * array a run of them is viewed as (`never` when there is none), `C` the ctypes format char.
 */
export interface SimpleType<V = unknown, I = V, A = never, C extends SimpleCode = SimpleCode>
  extends CTypeBase {
  readonly kind: 'simple';
  readonly code: C;
  readonly [ctypeInfo]?: { value: V; init: I; array: A };
}

/** A fixed-length C array, Python's `type * n`. */
export interface ArrayType<E extends CType = CType, N extends number = number> extends CTypeBase {
  readonly kind: 'array';
  readonly element: E;
  readonly length: N;
}

/** One field of a Structure, as Python's `S.field.offset` / `.size` report it. */
export interface StructField {
  readonly name: string;
  readonly type: CType;
  readonly offset: number;
  readonly size: number;
}

/** Field name -> type, in declaration (key) order. */
export type FieldMap = { readonly [name: string]: CType };

/** A C struct: fields laid out in key order with C alignment and padding. */
export interface StructType<F extends FieldMap = FieldMap> extends CTypeBase {
  readonly kind: 'struct';
  /** Fields in declaration order with their byte offsets. */
  readonly fields: readonly StructField[];
  /** The field map the Structure was created from. */
  readonly fieldTypes: F;
}

/** Any ctypes type descriptor. */
export type CType = SimpleType<any, any, any, any> | ArrayType<any, any> | StructType<any>;

/** A type or a typecode, as `Value`/`Array` accept. */
export type TypeLike = CType | TypeCode;

/**
 * An indexable, iterable array-like over shared memory, for element types that have no typed
 * array (structs, `c_bool`, `c_wchar`, nested arrays). `arr[i]` works (through a Proxy, ~150 ns);
 * `arr.get(i)` / `arr.set(i, v)` and `for..of` are ~40x faster in hot loops.
 */
export interface CArray<V, I = V> extends Iterable<V> {
  readonly length: number;
  [index: number]: V;
  /** Element `i` (negative counts from the end, as in Python). Throws RangeError when out of range. */
  get(index: number): V;
  /** Writes element `i` with Python-like checks. Throws RangeError when out of range. */
  set(index: number, value: I): void;
  /** The elements as a JS array (struct elements stay live views). */
  toArray(): V[];
  /** The element type. */
  readonly elementType: CType;
}

/** A `c_wchar` array: elements are one-character strings; `.value` is the NUL-terminated string. */
export interface WCharArray extends CArray<string, string> {
  value: string;
}

/** Phantom key carrying a struct view's field map (type-level only; used by `assign`). */
export declare const structFields: unique symbol;

/** The view a run of `E` elements is seen as: a typed array, a {@link WCharArray} or a {@link CArray}. */
export type ArrayViewOf<E> =
  E extends SimpleType<infer V, infer I, infer A, infer C>
    ? [A] extends [never]
      ? C extends 'u'
        ? WCharArray
        : CArray<V, I>
      : A
    : CArray<ValueOf<E>, InitOf<E>>;

/**
 * A live view of a struct: one property per field. Property types are the *read* types; a
 * setter also accepts the wider {@link InitOf} (e.g. a string for a `c_char * n` field), which
 * `assign(view, { field: init })` exposes with full typing.
 */
export type StructView<F extends FieldMap> = { -readonly [K in keyof F]: ValueOf<F[K]> } & {
  readonly [structFields]?: F;
};

/** A partial struct update for `assign`: field name -> initializer. */
export type StructUpdate<F extends FieldMap> = { readonly [K in keyof F]?: InitOf<F[K]> };

/** Structure initializer: values in field order, an object by field name, or a view to copy. */
export type StructInit<F extends FieldMap> =
  | readonly InitOf<F[keyof F]>[]
  | { readonly [K in keyof F]?: InitOf<F[K]> };

/**
 * What reading a value of type `T` returns: `number`/`bigint`/`boolean`/`string` for simple
 * types, a live {@link StructView} for a Structure, a `string` for `c_wchar * n`, and
 * {@link ArrayViewOf} for other arrays (`Int32Array` for `c_int * n`, `Uint8Array` for `c_char * n`).
 */
export type ValueOf<T> =
  T extends SimpleType<infer V, any, any, any>
    ? V
    : T extends StructType<infer F>
      ? StructView<F>
      : T extends ArrayType<infer E, any>
        ? E extends SimpleType<any, any, any, 'u'>
          ? string
          : ArrayViewOf<E>
        : never;

/** What writing a value of type `T` accepts. */
export type InitOf<T> =
  T extends SimpleType<any, infer I, any, any>
    ? I
    : T extends StructType<infer F>
      ? StructInit<F> | StructView<F>
      : T extends ArrayType<infer E, any>
        ? E extends SimpleType<any, any, any, 'u'>
          ? string
          : E extends SimpleType<any, any, any, 'c'>
            ? string | ArrayLike<number>
            : ArrayLike<InitOf<E>> | Iterable<InitOf<E>>
        : never;

/** A deep copy of a value of type `T` as plain data (what `toPlain` and `JSON.stringify` give). */
export type PlainOf<T> =
  T extends SimpleType<infer V, any, any, any>
    ? V
    : T extends StructType<infer F>
      ? { [K in keyof F]: PlainOf<F[K]> }
      : T extends ArrayType<infer E, any>
        ? E extends SimpleType<any, any, any, 'u'>
          ? string
          : PlainOf<E>[]
        : never;
