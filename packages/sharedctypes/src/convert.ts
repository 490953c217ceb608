/**
 * Internal: value conversions of the simple types, following ctypes.
 *
 * - Integer types (8/16/32 bit) take an integral `number` or a `bigint` and wrap silently modulo
 *   2^bits, as ctypes does (`c_ubyte(-1)` is 255, `c_int(2**32 + 5)` is 5). A fractional number,
 *   NaN, Infinity or a non-number is a TypeError (ctypes: "'float' object cannot be interpreted
 *   as an integer").
 * - 64-bit types read as `bigint` and take a `bigint` (wrapped modulo 2^64) or a *safe* integer
 *   `number` (no precision can be lost); any other number is a TypeError telling to pass a bigint.
 * - `c_float`/`c_double` take a `number` or a `bigint`.
 * - `c_bool` takes a boolean, number or bigint and stores its truthiness (0/1), as ctypes stores
 *   `bool(x)`; strings and objects are a TypeError (truthiness of `'false'` is a trap in JS).
 * - `c_char` reads as a byte `number`; it takes an integer 0..255 (RangeError outside) or a
 *   one-character latin1 string.
 * - `c_wchar` (4 bytes, UTF-32) reads as a one-code-point string and takes exactly one code point
 *   (non-BMP characters included).
 */
import type { Codec } from './codec.js';
import { LE } from './codec.js';

function describe(v: unknown): string {
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 20 ? v.slice(0, 20) + '…' : v)}`;
  if (typeof v === 'number') return Number.isInteger(v) ? `${v}` : `${v} (not an integer)`;
  if (typeof v === 'bigint') return `${v}n`;
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object'
    ? `an object (${Object.prototype.toString.call(v)})`
    : `${typeof v} ${String(v)}`;
}

function intArg(name: string, v: unknown): number {
  if (typeof v === 'number') {
    if (Number.isInteger(v)) return v;
    throw new TypeError(
      `${name} expects an integer, got ${describe(v)}; round it first (Math.trunc/Math.round)`,
    );
  }
  if (typeof v === 'bigint') return Number(BigInt.asIntN(64, v));
  throw new TypeError(`${name} expects an integer number, got ${describe(v)}`);
}

function int32Arg(name: string, v: unknown): number {
  if (typeof v === 'bigint') return Number(BigInt.asIntN(32, v));
  return intArg(name, v);
}

function bigArg(name: string, v: unknown): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') {
    if (Number.isSafeInteger(v)) return BigInt(v);
    if (!Number.isInteger(v)) {
      throw new TypeError(`${name} expects an integer (a bigint), got ${describe(v)}`);
    }
    throw new TypeError(
      `${name} is a 64-bit integer type and expects a bigint, got the number ${v}, which is beyond ` +
        `Number.MAX_SAFE_INTEGER and may already have lost precision; pass a bigint (e.g. ${BigInt(v)}n)`,
    );
  }
  throw new TypeError(`${name} expects a bigint, got ${describe(v)}`);
}

function floatArg(name: string, v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  throw new TypeError(`${name} expects a number, got ${describe(v)}`);
}

function boolArg(v: unknown): number {
  if (typeof v === 'boolean' || typeof v === 'number' || typeof v === 'bigint') return v ? 1 : 0;
  throw new TypeError(`c_bool expects a boolean (or a number), got ${describe(v)}`);
}

/** c_char: a byte 0..255 or a one-character latin1 string. */
export function charArg(v: unknown): number {
  if (typeof v === 'number') {
    if (Number.isInteger(v) && v >= 0 && v <= 255) return v;
    if (Number.isInteger(v)) throw new RangeError(`c_char expects a byte 0..255, got ${v}`);
  } else if (typeof v === 'string' && v.length === 1 && v.charCodeAt(0) <= 255) {
    return v.charCodeAt(0);
  }
  throw new TypeError(`c_char expects a byte 0..255 or a one-character latin1 string, got ${describe(v)}`);
}

/** c_wchar: exactly one code point. */
export function wcharArg(v: unknown): number {
  if (typeof v === 'string' && v.length > 0) {
    const cp = v.codePointAt(0)!;
    if (v.length === (cp > 0xffff ? 2 : 1)) return cp;
  }
  throw new TypeError(`c_wchar expects a one-character string, got ${describe(v)}`);
}

/** A code point read from memory as a string (garbage above U+10FFFF reads as U+FFFD). */
export function codePointToString(cp: number): string {
  return cp <= 0x10ffff ? String.fromCodePoint(cp) : '\ufffd';
}

export { describe as describeValue };

/** The codec of each simple-type format character. */
export function simpleCodec(code: string, name: string): Codec {
  switch (code) {
    case '?':
      return { get: (dv, o) => dv.getUint8(o) !== 0, set: (dv, o, v) => dv.setUint8(o, boolArg(v)) };
    case 'c':
      return { get: (dv, o) => dv.getUint8(o), set: (dv, o, v) => dv.setUint8(o, charArg(v)) };
    case 'u':
      return {
        get: (dv, o) => codePointToString(dv.getUint32(o, LE)),
        set: (dv, o, v) => dv.setUint32(o, wcharArg(v), LE),
      };
    case 'b':
      return { get: (dv, o) => dv.getInt8(o), set: (dv, o, v) => dv.setInt8(o, int32Arg(name, v)) };
    case 'B':
      return { get: (dv, o) => dv.getUint8(o), set: (dv, o, v) => dv.setUint8(o, int32Arg(name, v)) };
    case 'h':
      return { get: (dv, o) => dv.getInt16(o, LE), set: (dv, o, v) => dv.setInt16(o, int32Arg(name, v), LE) };
    case 'H':
      return {
        get: (dv, o) => dv.getUint16(o, LE),
        set: (dv, o, v) => dv.setUint16(o, int32Arg(name, v), LE),
      };
    case 'i':
      return { get: (dv, o) => dv.getInt32(o, LE), set: (dv, o, v) => dv.setInt32(o, int32Arg(name, v), LE) };
    case 'I':
      return {
        get: (dv, o) => dv.getUint32(o, LE),
        set: (dv, o, v) => dv.setUint32(o, int32Arg(name, v), LE),
      };
    case 'l':
      return {
        get: (dv, o) => dv.getBigInt64(o, LE),
        set: (dv, o, v) => dv.setBigInt64(o, bigArg(name, v), LE),
      };
    case 'L':
      return {
        get: (dv, o) => dv.getBigUint64(o, LE),
        set: (dv, o, v) => dv.setBigUint64(o, bigArg(name, v), LE),
      };
    case 'f':
      return {
        get: (dv, o) => dv.getFloat32(o, LE),
        set: (dv, o, v) => dv.setFloat32(o, floatArg(name, v), LE),
      };
    case 'd':
      return {
        get: (dv, o) => dv.getFloat64(o, LE),
        set: (dv, o, v) => dv.setFloat64(o, floatArg(name, v), LE),
      };
    default:
      throw new TypeError(`unknown ctypes format character ${JSON.stringify(code)}`);
  }
}
