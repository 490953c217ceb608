import { describe, expect, it } from 'vitest';
import * as ct from '../src/index.js';
import {
  alignment,
  arrayOf,
  c_bool,
  c_char,
  c_double,
  c_float,
  c_int,
  c_int64,
  c_long,
  c_longlong,
  c_short,
  c_uint8,
  c_ushort,
  c_wchar,
  type CType,
  offsetof,
  resolveType,
  Structure,
  sizeof,
  typecodes,
} from '../src/index.js';

// Expected numbers from CPython 3.11 ctypes on x86-64 Linux:
//   python3 -c 'import ctypes as C; print(C.sizeof(C.c_long), C.alignment(C.c_long), C.c_long.__name__)'
const SIMPLE: [name: string, size: number, align: number, pythonName: string][] = [
  ['c_bool', 1, 1, 'c_bool'],
  ['c_char', 1, 1, 'c_char'],
  ['c_wchar', 4, 4, 'c_wchar'],
  ['c_byte', 1, 1, 'c_byte'],
  ['c_ubyte', 1, 1, 'c_ubyte'],
  ['c_short', 2, 2, 'c_short'],
  ['c_ushort', 2, 2, 'c_ushort'],
  ['c_int', 4, 4, 'c_int'],
  ['c_uint', 4, 4, 'c_uint'],
  ['c_long', 8, 8, 'c_long'],
  ['c_ulong', 8, 8, 'c_ulong'],
  ['c_longlong', 8, 8, 'c_long'],
  ['c_ulonglong', 8, 8, 'c_ulong'],
  ['c_float', 4, 4, 'c_float'],
  ['c_double', 8, 8, 'c_double'],
  ['c_int8', 1, 1, 'c_byte'],
  ['c_uint8', 1, 1, 'c_ubyte'],
  ['c_int16', 2, 2, 'c_short'],
  ['c_uint16', 2, 2, 'c_ushort'],
  ['c_int32', 4, 4, 'c_int'],
  ['c_uint32', 4, 4, 'c_uint'],
  ['c_int64', 8, 8, 'c_long'],
  ['c_uint64', 8, 8, 'c_ulong'],
  ['c_size_t', 8, 8, 'c_ulong'],
  ['c_ssize_t', 8, 8, 'c_long'],
];

// multiprocessing.sharedctypes.typecode_to_type
const TYPECODES: [code: string, pythonName: string, size: number][] = [
  ['c', 'c_char', 1],
  ['u', 'c_wchar', 4],
  ['b', 'c_byte', 1],
  ['B', 'c_ubyte', 1],
  ['h', 'c_short', 2],
  ['H', 'c_ushort', 2],
  ['i', 'c_int', 4],
  ['I', 'c_uint', 4],
  ['l', 'c_long', 8],
  ['L', 'c_ulong', 8],
  ['q', 'c_long', 8],
  ['Q', 'c_ulong', 8],
  ['f', 'c_float', 4],
  ['d', 'c_double', 8],
];

describe('simple types', () => {
  it.each(SIMPLE)('%s: sizeof %i, alignment %i, is Python %s', (name, size, align, pyName) => {
    const t = (ct as unknown as Record<string, CType>)[name];
    expect(ct.isCType(t)).toBe(true);
    expect(sizeof(t)).toBe(size);
    expect(alignment(t)).toBe(align);
    expect(t.name).toBe(pyName);
  });

  it.each(TYPECODES)("typecode '%s' is %s (%i bytes)", (code, pyName, size) => {
    const t = resolveType(code as ct.TypeCode);
    expect(t.name).toBe(pyName);
    expect(sizeof(code as ct.TypeCode)).toBe(size);
    expect(typecodes[code as ct.TypeCode]).toBe(t);
  });

  it('aliases are the same objects, as in CPython on LP64', () => {
    expect(c_longlong).toBe(c_long);
    expect(c_int64).toBe(c_long);
    expect(ct.c_size_t).toBe(ct.c_ulong);
    expect(ct.c_ssize_t).toBe(c_long);
    expect(c_uint8).toBe(ct.c_ubyte);
    expect(ct.c_int32).toBe(c_int);
  });

  it('resolveType returns types unchanged and rejects unknown typecodes with the valid list', () => {
    expect(resolveType(c_double)).toBe(c_double);
    expect(() => resolveType('x' as never)).toThrow(TypeError);
    expect(() => resolveType('x' as never)).toThrow(
      /unknown typecode "x"; valid typecodes are 'c', 'u', 'b', 'B', 'h', 'H', 'i', 'I', 'l', 'L', 'q', 'Q', 'f', 'd'/,
    );
    expect(() => resolveType('?' as never)).toThrow(TypeError);
    expect(() => resolveType(42 as never)).toThrow(/expected a ctypes type/);
    expect(() => sizeof('z' as never)).toThrow(TypeError);
  });
});

describe('arrays', () => {
  it('have the size of n elements and the alignment of one, with Python names', () => {
    const a = arrayOf(c_int, 3);
    expect([sizeof(a), alignment(a), a.name, a.length, a.element]).toEqual([
      12,
      4,
      'c_int_Array_3',
      3,
      c_int,
    ]);
    const m = arrayOf(arrayOf(c_int, 3), 2);
    expect([sizeof(m), alignment(m), m.name]).toEqual([24, 4, 'c_int_Array_3_Array_2']);
    expect(sizeof(arrayOf(c_wchar, 5))).toBe(20);
    expect(sizeof(arrayOf(c_int, 0))).toBe(0);
  });

  it('are cached like ctypes array classes', () => {
    expect(arrayOf(c_int, 3)).toBe(arrayOf(c_int, 3));
    expect(arrayOf(c_int, 3)).not.toBe(arrayOf(c_int, 4));
  });

  it('reject negative, fractional lengths and non-types', () => {
    expect(() => arrayOf(c_int, -1)).toThrow(RangeError);
    expect(() => arrayOf(c_int, 1.5)).toThrow(TypeError);
    expect(() => arrayOf('i' as never, 2)).toThrow(/resolveType/);
  });
});

type Layout = [size: number, align: number, fields: [string, number, number][]];
const layoutOf = (S: ct.StructType): Layout => [
  sizeof(S),
  alignment(S),
  S.fields.map((f) => [f.name, f.offset, f.size]),
];

describe('structure layout equals CPython ctypes', () => {
  const In = Structure({ c: c_char, i: c_int });
  const B = Structure({ a: c_short, s: In, arr: arrayOf(c_char, 3), q: c_longlong });
  const A = Structure({ c: c_char, d: c_double });
  const User = Structure({ name: arrayOf(c_wchar, 5), age: c_ushort }, { name: 'User' });
  const P = Structure({ flag: c_bool, ch: c_wchar, x: c_double, w: arrayOf(c_wchar, 3), b: c_bool });

  it.each<[string, () => ct.StructType, Layout]>([
    [
      '{c: c_char, d: c_double}',
      () => A,
      [
        16,
        8,
        [
          ['c', 0, 1],
          ['d', 8, 8],
        ],
      ],
    ],
    [
      '{c: c_char, i: c_int}',
      () => In,
      [
        8,
        4,
        [
          ['c', 0, 1],
          ['i', 4, 4],
        ],
      ],
    ],
    [
      '{a: c_short, s: In, arr: c_char*3, q: c_longlong}',
      () => B,
      [
        24,
        8,
        [
          ['a', 0, 2],
          ['s', 4, 8],
          ['arr', 12, 3],
          ['q', 16, 8],
        ],
      ],
    ],
    [
      'User {name: c_wchar*5, age: c_ushort}',
      () => User,
      [
        24,
        4,
        [
          ['name', 0, 20],
          ['age', 20, 2],
        ],
      ],
    ],
    [
      'c_bool/c_wchar mix',
      () =>
        Structure({ flag: c_bool, ch: c_wchar, b2: c_bool, s: c_short, w: arrayOf(c_wchar, 3), end: c_bool }),
      [
        28,
        4,
        [
          ['flag', 0, 1],
          ['ch', 4, 4],
          ['b2', 8, 1],
          ['s', 10, 2],
          ['w', 12, 12],
          ['end', 24, 1],
        ],
      ],
    ],
    [
      '{m: (c_int*3)*2, t: c_char}',
      () => Structure({ m: arrayOf(arrayOf(c_int, 3), 2), t: c_char }),
      [
        28,
        4,
        [
          ['m', 0, 24],
          ['t', 24, 1],
        ],
      ],
    ],
    [
      'array of structs field {n: c_ubyte, users: User*3, f: c_float}',
      () => Structure({ n: ct.c_ubyte, users: arrayOf(User, 3), f: c_float }),
      [
        80,
        4,
        [
          ['n', 0, 1],
          ['users', 4, 72],
          ['f', 76, 4],
        ],
      ],
    ],
    ['empty', () => Structure({}), [0, 1, []]],
    [
      'deep nesting {x, b: B, y, a: A*2, z}',
      () => Structure({ x: c_char, b: B, y: c_short, a: arrayOf(A, 2), z: c_bool }),
      [
        80,
        8,
        [
          ['x', 0, 1],
          ['b', 8, 24],
          ['y', 32, 2],
          ['a', 40, 32],
          ['z', 72, 1],
        ],
      ],
    ],
    [
      '{f: c_float, c: c_char, u: c_uint64, h: c_uint16}',
      () => Structure({ f: c_float, c: c_char, u: ct.c_uint64, h: ct.c_uint16 }),
      [
        24,
        8,
        [
          ['f', 0, 4],
          ['c', 4, 1],
          ['u', 8, 8],
          ['h', 16, 2],
        ],
      ],
    ],
    [
      'P {flag, ch: c_wchar, x: c_double, w: c_wchar*3, b}',
      () => P,
      [
        32,
        8,
        [
          ['flag', 0, 1],
          ['ch', 4, 4],
          ['x', 8, 8],
          ['w', 16, 12],
          ['b', 28, 1],
        ],
      ],
    ],
    [
      'Q {p: P, c, ps: P*2, i64, u8}',
      () => Structure({ p: P, c: c_char, ps: arrayOf(P, 2), i64: c_int64, u8: c_uint8 }),
      [
        120,
        8,
        [
          ['p', 0, 32],
          ['c', 32, 1],
          ['ps', 40, 64],
          ['i64', 104, 8],
          ['u8', 112, 1],
        ],
      ],
    ],
    [
      '{a: c_char*3, b: c_short*3, c: c_char}',
      () => Structure({ a: arrayOf(c_char, 3), b: arrayOf(c_short, 3), c: c_char }),
      [
        12,
        2,
        [
          ['a', 0, 3],
          ['b', 4, 6],
          ['c', 10, 1],
        ],
      ],
    ],
  ])('%s', (_label, make, expected) => {
    expect(layoutOf(make())).toEqual(expected);
  });

  it('arrays of structs: sizeof(User * 2) is 48, alignment 4', () => {
    expect([sizeof(arrayOf(User, 2)), alignment(arrayOf(User, 2))]).toEqual([48, 4]);
  });

  it('offsetof, fields and fieldTypes', () => {
    expect(offsetof(B, 'q')).toBe(16);
    expect(offsetof(A, 'd')).toBe(8);
    expect(B.fields[1].type).toBe(In);
    expect(B.fieldTypes.arr).toBe(arrayOf(c_char, 3));
    expect(User.name).toBe('User');
    expect(() => offsetof(A, 'nope' as never)).toThrow(
      /A|Structure has no field "nope"; its fields are c, d/,
    );
  });

  it('rejects bad field maps with clear messages', () => {
    expect(() => Structure({ x: 'i' } as never)).toThrow(/field "x" must be a ctypes type.*use e.g. c_int/);
    expect(() => Structure({ x: 3 } as never)).toThrow(TypeError);
    expect(() => Structure({ b: c_int, 1: c_int })).toThrow(/is an integer/);
    expect(() => Structure([c_int] as never)).toThrow(/got an array/);
    expect(() => Structure(null as never)).toThrow(TypeError);
  });
});
