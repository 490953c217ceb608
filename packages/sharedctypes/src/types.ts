/**
 * The fundamental ctypes types and the `array`-module typecodes, with the sizes of CPython
 * ctypes on x86-64 Linux (LP64: `c_long`/`c_ulong`/`c_size_t` are 8 bytes, `c_wchar` is 4).
 *
 * As in CPython on this platform, the fixed-width names are aliases of the same objects:
 * `c_int8 === c_byte`, `c_int32 === c_int`, `c_int64 === c_longlong === c_long`,
 * `c_size_t === c_ulong`, `c_ssize_t === c_long`.
 */
import { defineCodec, isRegisteredType } from './codec.js';
import { simpleCodec } from './convert.js';
import type { CType, SimpleCode, SimpleType, TypeCode, TypeLike } from './ctype.js';

function simple<V, I, A, C extends SimpleCode>(name: string, code: C, size: number): SimpleType<V, I, A, C> {
  const type = Object.freeze({ kind: 'simple', name, code, size, alignment: size }) as SimpleType<V, I, A, C>;
  defineCodec(type, simpleCodec(code, name));
  return type;
}

/** `_Bool`: reads as `boolean`; writes take a boolean (or a number, stored as its truthiness). */
export const c_bool: SimpleType<boolean, boolean | number, never, '?'> = simple('c_bool', '?', 1);
/** `char`: a byte, read as a `number` 0..255; writes take a byte or a one-character latin1 string. */
export const c_char: SimpleType<number, number | string, Uint8Array, 'c'> = simple('c_char', 'c', 1);
/** `wchar_t` (UTF-32, 4 bytes): a one-character `string`, non-BMP characters included. */
export const c_wchar: SimpleType<string, string, never, 'u'> = simple('c_wchar', 'u', 4);
/** `signed char`. */
export const c_byte: SimpleType<number, number | bigint, Int8Array, 'b'> = simple('c_byte', 'b', 1);
/** `unsigned char`. */
export const c_ubyte: SimpleType<number, number | bigint, Uint8Array, 'B'> = simple('c_ubyte', 'B', 1);
/** `short`. */
export const c_short: SimpleType<number, number | bigint, Int16Array, 'h'> = simple('c_short', 'h', 2);
/** `unsigned short`. */
export const c_ushort: SimpleType<number, number | bigint, Uint16Array, 'H'> = simple('c_ushort', 'H', 2);
/** `int`. */
export const c_int: SimpleType<number, number | bigint, Int32Array, 'i'> = simple('c_int', 'i', 4);
/** `unsigned int`. */
export const c_uint: SimpleType<number, number | bigint, Uint32Array, 'I'> = simple('c_uint', 'I', 4);
/** `long` (8 bytes on LP64): reads as `bigint`; writes take a bigint or a safe-integer number. */
export const c_long: SimpleType<bigint, bigint | number, BigInt64Array, 'l'> = simple('c_long', 'l', 8);
/** `unsigned long` (8 bytes): reads as `bigint`. */
export const c_ulong: SimpleType<bigint, bigint | number, BigUint64Array, 'L'> = simple('c_ulong', 'L', 8);
/** `float` (32-bit). */
export const c_float: SimpleType<number, number | bigint, Float32Array, 'f'> = simple('c_float', 'f', 4);
/** `double`. */
export const c_double: SimpleType<number, number | bigint, Float64Array, 'd'> = simple('c_double', 'd', 8);

/** `long long`: the same type as `c_long` on this platform. */
export const c_longlong = c_long;
/** `unsigned long long`: the same type as `c_ulong`. */
export const c_ulonglong = c_ulong;
/** Alias of `c_byte`. */
export const c_int8 = c_byte;
/** Alias of `c_ubyte`. */
export const c_uint8 = c_ubyte;
/** Alias of `c_short`. */
export const c_int16 = c_short;
/** Alias of `c_ushort`. */
export const c_uint16 = c_ushort;
/** Alias of `c_int`. */
export const c_int32 = c_int;
/** Alias of `c_uint`. */
export const c_uint32 = c_uint;
/** Alias of `c_long` (a `bigint`). */
export const c_int64 = c_long;
/** Alias of `c_ulong` (a `bigint`). */
export const c_uint64 = c_ulong;
/** `size_t`: alias of `c_ulong`. */
export const c_size_t = c_ulong;
/** `ssize_t`: alias of `c_long`. */
export const c_ssize_t = c_long;

/** The `array`-module typecodes, as `multiprocessing.sharedctypes` maps them. */
export const typecodes = Object.freeze({
  c: c_char,
  u: c_wchar,
  b: c_byte,
  B: c_ubyte,
  h: c_short,
  H: c_ushort,
  i: c_int,
  I: c_uint,
  l: c_long,
  L: c_ulong,
  q: c_longlong,
  Q: c_ulonglong,
  f: c_float,
  d: c_double,
});

/** The type a typecode stands for: `TypeOf<'d'>` is `typeof c_double`; a CType stays itself. */
export type ResolveType<T extends TypeLike> = T extends TypeCode ? (typeof typecodes)[T] : T;

/** True for any ctypes type descriptor (`c_int`, `arrayOf(...)`, `Structure(...)`). */
export function isCType(x: unknown): x is CType {
  return isRegisteredType(x);
}

/**
 * Turns a typecode into its type; a type is returned as is.
 *
 * @example
 * resolveType('d') === c_double; // true
 * resolveType('x');              // TypeError: unknown typecode 'x' (valid: 'c', 'b', ...)
 */
export function resolveType<T extends TypeLike>(codeOrType: T): ResolveType<T>;
export function resolveType(codeOrType: unknown): CType;
export function resolveType(codeOrType: unknown): CType {
  if (typeof codeOrType === 'string') {
    if (Object.hasOwn(typecodes, codeOrType)) return typecodes[codeOrType as TypeCode];
    throw new TypeError(
      `unknown typecode ${JSON.stringify(codeOrType)}; valid typecodes are ` +
        Object.keys(typecodes)
          .map((c) => `'${c}'`)
          .join(', ') +
        ', or pass a ctypes type such as c_int or a Structure',
    );
  }
  if (isCType(codeOrType)) return codeOrType;
  throw new TypeError(
    `expected a ctypes type (c_int, arrayOf(...), Structure(...)) or a typecode, got ${
      codeOrType === null ? 'null' : typeof codeOrType
    }`,
  );
}

/**
 * `sizeof(type)` in bytes, as ctypes.
 *
 * @example sizeof(c_long) === 8; sizeof(arrayOf(c_wchar, 5)) === 20
 */
export function sizeof(type: TypeLike): number {
  return resolveType(type).size;
}

/**
 * `alignment(type)` in bytes, as ctypes.
 *
 * @example alignment(c_double) === 8; alignment(Structure({ c: c_char, i: c_int })) === 4
 */
export function alignment(type: TypeLike): number {
  return resolveType(type).alignment;
}
