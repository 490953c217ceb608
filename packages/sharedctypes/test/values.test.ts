import { describe, expect, it } from 'vitest';
import * as ct from '../src/index.js';
import {
  arrayOf,
  c_bool,
  c_byte,
  c_char,
  c_double,
  c_float,
  c_int,
  c_long,
  c_short,
  c_uint,
  c_ulong,
  c_wchar,
  type CType,
  readValue,
  sizeof,
  valueAccessor,
  writeValue,
} from '../src/index.js';

const w = (t: CType, buf: ArrayBufferLike, off: number, v: unknown) =>
  writeValue(t, buf as ArrayBuffer, off, v as never);
const r = (t: CType, buf: ArrayBufferLike, off: number) => readValue(t, buf as ArrayBuffer, off) as unknown;

// One sample per type, written at a non-zero offset of a SharedArrayBuffer and read back.
const SAMPLES: [name: string, value: unknown][] = [
  ['c_bool', true],
  ['c_char', 0x41],
  ['c_wchar', '😀'],
  ['c_byte', -100],
  ['c_ubyte', 200],
  ['c_short', -30000],
  ['c_ushort', 60000],
  ['c_int', -2_000_000_000],
  ['c_uint', 4_000_000_000],
  ['c_long', -(2n ** 62n)],
  ['c_ulong', 2n ** 64n - 1n],
  ['c_longlong', 123456789012345678n],
  ['c_ulonglong', 2n ** 63n],
  ['c_float', 1.5],
  ['c_double', Math.PI],
  ['c_int8', -1],
  ['c_uint8', 255],
  ['c_int16', -2],
  ['c_uint16', 65535],
  ['c_int32', -5],
  ['c_uint32', 0xffffffff],
  ['c_int64', -7n],
  ['c_uint64', 9n],
  ['c_size_t', 2n ** 40n],
  ['c_ssize_t', -(2n ** 40n)],
];

describe('simple values round-trip at a non-zero offset', () => {
  it.each(SAMPLES)('%s <- %s', (name, value) => {
    const t = (ct as unknown as Record<string, CType>)[name];
    const buf = new SharedArrayBuffer(64);
    const off = 16 + sizeof(t); // aligned, non-zero
    w(t, buf, off, value);
    expect(r(t, buf, off)).toEqual(value);
    expect(typeof r(t, buf, off)).toBe(typeof value);
    // neighbours untouched
    expect(new Uint8Array(buf, 0, off).every((b) => b === 0)).toBe(true);
    expect(new Uint8Array(buf, off + sizeof(t)).every((b) => b === 0)).toBe(true);
  });

  it('zeroed memory reads as ctypes defaults', () => {
    const buf = new SharedArrayBuffer(16);
    expect([
      r(c_bool, buf, 0),
      r(c_char, buf, 0),
      r(c_wchar, buf, 0),
      r(c_int, buf, 0),
      r(c_long, buf, 8),
    ]).toEqual([false, 0, '\0', 0, 0n]);
  });
});

describe('integer conversions wrap like ctypes', () => {
  // python3 -c 'import ctypes as C; print([C.c_byte(v).value for v in [-1, 2**7, 2**15+3, 2**31+7, 2**32+5, -(2**31)-1, 2**63, 2**64+3]])'
  const inputs = [
    -1n,
    2n ** 7n,
    2n ** 15n + 3n,
    2n ** 31n + 7n,
    2n ** 32n + 5n,
    -(2n ** 31n) - 1n,
    2n ** 63n,
    2n ** 64n + 3n,
  ];
  it.each<[string, (number | bigint)[]]>([
    ['c_byte', [-1, -128, 3, 7, 5, -1, 0, 3]],
    ['c_ubyte', [255, 128, 3, 7, 5, 255, 0, 3]],
    ['c_short', [-1, 128, -32765, 7, 5, -1, 0, 3]],
    ['c_ushort', [65535, 128, 32771, 7, 5, 65535, 0, 3]],
    ['c_int', [-1, 128, 32771, -2147483641, 5, 2147483647, 0, 3]],
    ['c_uint', [4294967295, 128, 32771, 2147483655, 5, 2147483647, 0, 3]],
    ['c_long', [-1n, 128n, 32771n, 2147483655n, 4294967301n, -2147483649n, -9223372036854775808n, 3n]],
    [
      'c_ulong',
      [
        18446744073709551615n,
        128n,
        32771n,
        2147483655n,
        4294967301n,
        18446744071562067967n,
        9223372036854775808n,
        3n,
      ],
    ],
  ])('%s (bigint inputs)', (name, expected) => {
    const t = (ct as unknown as Record<string, CType>)[name];
    const buf = new ArrayBuffer(8);
    const got = inputs.map((v) => {
      w(t, buf, 0, v);
      return r(t, buf, 0);
    });
    expect(got).toEqual(expected);
  });

  it('number inputs wrap too (exact integers)', () => {
    const buf = new ArrayBuffer(8);
    const cases: [CType, number, number][] = [
      [c_byte, 200, -56],
      [ct.c_ubyte, -1, 255],
      [c_short, 40000, -25536],
      [c_int, 2 ** 32 + 5, 5],
      [c_uint, -1, 4294967295],
    ];
    for (const [t, v, expected] of cases) {
      w(t, buf, 0, v);
      expect(r(t, buf, 0)).toBe(expected);
    }
  });

  it('64-bit types take bigints and safe-integer numbers, read bigint', () => {
    const buf = new ArrayBuffer(8);
    w(c_long, buf, 0, 42);
    expect(r(c_long, buf, 0)).toBe(42n);
    w(c_ulong, buf, 0, -1);
    expect(r(c_ulong, buf, 0)).toBe(2n ** 64n - 1n);
    expect(() => w(c_long, buf, 0, 2 ** 60)).toThrow(
      /expects a bigint, got the number .*MAX_SAFE_INTEGER.*1152921504606846976n/,
    );
    expect(() => w(c_long, buf, 0, 1.5)).toThrow(TypeError);
    expect(() => w(c_long, buf, 0, '1')).toThrow(TypeError);
  });
});

describe('conversion errors and special types', () => {
  const buf = new ArrayBuffer(16);
  it('non-integers and non-numbers are TypeErrors for integer types', () => {
    expect(() => w(c_int, buf, 0, 3.5)).toThrow(/c_int expects an integer, got 3.5 \(not an integer\)/);
    expect(() => w(c_int, buf, 0, Number.NaN)).toThrow(TypeError);
    expect(() => w(c_int, buf, 0, Number.POSITIVE_INFINITY)).toThrow(TypeError);
    expect(() => w(c_int, buf, 0, '3')).toThrow(/c_int expects an integer number, got the string "3"/);
    expect(() => w(c_int, buf, 0, true)).toThrow(TypeError);
    expect(() => w(c_short, buf, 0, null)).toThrow(TypeError);
  });

  it('floats take numbers and bigints; c_float rounds to single precision', () => {
    w(c_float, buf, 0, 0.1);
    expect(r(c_float, buf, 0)).toBe(0.10000000149011612);
    w(c_float, buf, 0, 1e40);
    expect(r(c_float, buf, 0)).toBe(Number.POSITIVE_INFINITY);
    w(c_double, buf, 8, 5n);
    expect(r(c_double, buf, 8)).toBe(5);
    expect(() => w(c_double, buf, 8, 'x')).toThrow(/c_double expects a number/);
  });

  it('c_bool stores truthiness of booleans and numbers, rejects strings', () => {
    w(c_bool, buf, 0, 5);
    expect(r(c_bool, buf, 0)).toBe(true);
    expect(new Uint8Array(buf)[0]).toBe(1);
    w(c_bool, buf, 0, 0);
    expect(r(c_bool, buf, 0)).toBe(false);
    expect(() => w(c_bool, buf, 0, 'false')).toThrow(TypeError);
  });

  it('c_char is a byte number; takes 0..255 or a latin1 character', () => {
    w(c_char, buf, 0, 'A');
    expect(r(c_char, buf, 0)).toBe(65);
    w(c_char, buf, 0, 'é');
    expect(r(c_char, buf, 0)).toBe(0xe9);
    expect(() => w(c_char, buf, 0, 300)).toThrow(RangeError);
    expect(() => w(c_char, buf, 0, -1)).toThrow(RangeError);
    expect(() => w(c_char, buf, 0, 'ab')).toThrow(TypeError);
    expect(() => w(c_char, buf, 0, '€')).toThrow(TypeError);
  });

  it('c_wchar holds one code point, non-BMP included', () => {
    w(c_wchar, buf, 4, '𝄞');
    expect(r(c_wchar, buf, 4)).toBe('𝄞');
    expect(new Uint32Array(buf, 4, 1)[0]).toBe(0x1d11e);
    expect(() => w(c_wchar, buf, 4, 'ab')).toThrow(/one-character string/);
    expect(() => w(c_wchar, buf, 4, '')).toThrow(TypeError);
    expect(() => w(c_wchar, buf, 4, 65)).toThrow(TypeError);
  });
});

describe('buffer checks', () => {
  it('rejects misaligned offsets, overflow and non-buffers', () => {
    const buf = new SharedArrayBuffer(16);
    expect(() => r(c_int, buf, 2)).toThrow(/not aligned for c_int: it must be a multiple of 4/);
    expect(() => r(c_double, buf, 16)).toThrow(
      /needs 8 bytes at byteOffset 16, but the buffer has only 16 bytes/,
    );
    expect(() => r(c_int, buf, -4)).toThrow(RangeError);
    expect(() => r(c_int, new Uint8Array(8) as never, 0)).toThrow(/pass its .buffer/);
    expect(() => r(arrayOf(c_int, 5), buf, 0)).toThrow(RangeError);
  });

  it('valueAccessor binds once and reads/writes the same memory', () => {
    const buf = new SharedArrayBuffer(16);
    const acc = valueAccessor('d', buf, 8);
    acc.set(2.5);
    expect(acc.get()).toBe(2.5);
    expect(new Float64Array(buf)[1]).toBe(2.5);
    const big = valueAccessor(c_long, buf, 0);
    big.set(7n);
    expect(big.get()).toBe(7n);
    expect(() => valueAccessor('x' as never, buf, 0)).toThrow(TypeError);
  });
});
