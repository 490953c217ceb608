import { describe, expect, it } from 'vitest';
import {
  arrayOf,
  assign,
  c_bool,
  c_char,
  c_double,
  c_float,
  c_int,
  c_long,
  c_short,
  c_ubyte,
  c_uint,
  c_ulong,
  c_ushort,
  c_wchar,
  createArrayView,
  createStructView,
  describeType,
  planArray,
  readCString,
  readValue,
  Structure,
  sizeof,
  toPlain,
  typeFromDescriptor,
  writeValue,
} from '../src/index.js';

const User = Structure({ name: arrayOf(c_wchar, 5), age: c_ushort }, { name: 'User' });

describe('typed-array views are zero-copy', () => {
  it.each([
    ['c', Uint8Array],
    ['b', Int8Array],
    ['B', Uint8Array],
    ['h', Int16Array],
    ['H', Uint16Array],
    ['i', Int32Array],
    ['I', Uint32Array],
    ['l', BigInt64Array],
    ['L', BigUint64Array],
    ['q', BigInt64Array],
    ['Q', BigUint64Array],
    ['f', Float32Array],
    ['d', Float64Array],
  ] as const)("'%s' -> %s sharing memory", (code, Ctor) => {
    const buf = new SharedArrayBuffer(64);
    const a = createArrayView(code, buf, 8, 3);
    expect(a).toBeInstanceOf(Ctor);
    expect([a.buffer, a.byteOffset, a.length]).toEqual([buf, 8, 3]);
    const one = Ctor === BigInt64Array || Ctor === BigUint64Array ? 5n : 5;
    (a as unknown as { [i: number]: unknown })[2] = one;
    const again = createArrayView(code, buf, 8, 3);
    expect((again as unknown as { [i: number]: unknown })[2]).toBe(one);
  });

  it('writes through one view are seen through a struct view of the same memory', () => {
    const buf = new SharedArrayBuffer(64);
    const ints = createArrayView(c_int, buf, 0, 16);
    const S = Structure({ a: c_int, b: arrayOf(c_int, 3) });
    const s = createStructView(S, buf, 16);
    ints[4] = 7;
    ints[6] = 9;
    expect(s.a).toBe(7);
    expect(s.b[1]).toBe(9);
    s.b[2] = -1;
    expect(ints[7]).toBe(-1);
    expect(s.b.buffer).toBe(buf);
  });

  it('writeValue of an array type writes the prefix and zeroes the rest; too many is a RangeError', () => {
    const buf = new SharedArrayBuffer(32);
    const t = arrayOf(c_int, 4);
    writeValue(t, buf, 0, [1, 2, 3, 4]);
    writeValue(t, buf, 0, [7]);
    expect(Array.from(readValue(t, buf, 0))).toEqual([7, 0, 0, 0]);
    writeValue(t, buf, 0, new Int32Array([5, 6]));
    expect(Array.from(readValue(t, buf, 0))).toEqual([5, 6, 0, 0]);
    expect(() => writeValue(t, buf, 0, [1, 2, 3, 4, 5])).toThrow(
      /too many initializers for c_int_Array_4: got 5/,
    );
    expect(() => writeValue(t, buf, 0, [1, 'x'] as never)).toThrow(
      /c_int_Array_4\[1\]: c_int expects an integer/,
    );
    expect(Array.from(readValue(t, buf, 0))).toEqual([5, 6, 0, 0]); // failed writes change nothing
  });

  it('rejects misaligned array views', () => {
    expect(() => createArrayView(c_double, new SharedArrayBuffer(32), 4, 2)).toThrow(/multiple of 8/);
    expect(() => createArrayView(c_int, new SharedArrayBuffer(32), 0, -1)).toThrow(RangeError);
  });
});

describe('struct views', () => {
  const Inner = Structure({ c: c_char, i: c_int });
  const Outer = Structure(
    {
      a: c_short,
      s: Inner,
      arr: arrayOf(c_char, 3),
      q: c_long,
      f: arrayOf(c_float, 2),
      m: arrayOf(arrayOf(c_int, 3), 2),
      flags: arrayOf(c_bool, 2),
      label: arrayOf(c_wchar, 4),
    },
    { name: 'Outer' },
  );

  it('reads and writes every field kind at a non-zero offset', () => {
    const buf = new SharedArrayBuffer(8 + sizeof(Outer));
    const o = createStructView(Outer, buf, 8);
    o.a = -3;
    assign(o.s, { c: 'x', i: 1234 });
    assign(o, { arr: 'hi' });
    o.q = 1n << 40n;
    o.f[1] = 0.5;
    o.m[1][2] = 42;
    o.flags[1] = true;
    o.label = 'a𝄞';
    const again = createStructView(Outer, buf, 8);
    expect(toPlain(again)).toEqual({
      a: -3,
      s: { c: 120, i: 1234 },
      arr: [104, 105, 0],
      q: 1n << 40n,
      f: [0, 0.5],
      m: [
        [0, 0, 0],
        [0, 0, 42],
      ],
      flags: [false, true],
      label: 'a𝄞',
    });
    expect(again.arr).toBeInstanceOf(Uint8Array);
    expect(readCString(again.arr)).toBe('hi');
    expect(new Uint8Array(buf, 0, 8).every((b) => b === 0)).toBe(true);
  });

  it('assigning composite fields copies values in', () => {
    const buf = new ArrayBuffer(2 * sizeof(Outer));
    const o = createStructView(Outer, buf, 0);
    const p = createStructView(Outer, buf, sizeof(Outer));
    o.s = { i: 5 } as never;
    expect(toPlain(o.s)).toEqual({ c: 0, i: 5 });
    o.m = [[1, 2, 3], [4]] as never;
    expect(toPlain(o.m)).toEqual([
      [1, 2, 3],
      [4, 0, 0],
    ]);
    o.arr = new Uint8Array([1, 2, 3]);
    expect(Array.from(o.arr)).toEqual([1, 2, 3]);
    p.s = o.s; // same-type view: byte copy
    expect(p.s.i).toBe(5);
    writeValue(Outer, buf, sizeof(Outer), o); // whole struct from a view
    expect(toPlain(p)).toEqual(toPlain(o));
  });

  it('struct initializers: array in field order, object by name, errors', () => {
    const buf = new ArrayBuffer(sizeof(User));
    writeValue(User, buf, 0, ['Joe', 18]);
    expect(toPlain(readValue(User, buf, 0))).toEqual({ name: 'Joe', age: 18 });
    writeValue(User, buf, 0, { age: 9 });
    expect(toPlain(readValue(User, buf, 0))).toEqual({ name: '', age: 9 }); // missing fields are zero, as a fresh struct
    writeValue(User, buf, 0, ['Ann']);
    expect(toPlain(readValue(User, buf, 0))).toEqual({ name: 'Ann', age: 0 });
    expect(() => writeValue(User, buf, 0, ['Joe', 18, 1] as never)).toThrow(
      /too many initializers for User: got 3 values, it has 2 fields \(name, age\)/,
    );
    expect(() => writeValue(User, buf, 0, { nom: 'x' } as never)).toThrow(
      /User has no field "nom"; its fields are name, age/,
    );
    expect(() => writeValue(User, buf, 0, 5 as never)).toThrow(TypeError);
    expect(() => writeValue(User, buf, 0, ['Bob', 'old'] as never)).toThrow(
      /User\.age: c_ushort expects an integer/,
    );
    expect(toPlain(readValue(User, buf, 0))).toEqual({ name: 'Ann', age: 0 }); // unchanged after failures
    const Other = Structure({ name: arrayOf(c_wchar, 5), age: c_ushort });
    expect(() => writeValue(Other, buf, 0, readValue(User, buf, 0) as never)).toThrow(/incompatible types/);
  });

  it('has no own keys but lists fields for..in, JSON and inspect', () => {
    const u = createStructView(User, new ArrayBuffer(24), 0);
    u.name = 'Zoë';
    expect(Object.keys(u)).toEqual([]);
    const keys: string[] = [];
    for (const k in u) keys.push(k);
    expect(keys).toEqual(['name', 'age']);
    expect(JSON.stringify(u)).toBe('{"name":"Zoë","age":0}');
    expect(u.constructor.name).toBe('User');
  });
});

describe('wchar strings', () => {
  it('are UTF-32 code points, NUL-terminated, exact fit allowed, too long a RangeError', () => {
    const buf = new SharedArrayBuffer(sizeof(User) + 4);
    const u = createStructView(User, buf, 4);
    u.name = 'ab😀';
    expect(u.name).toBe('ab😀');
    expect(Array.from(new Uint32Array(buf, 4, 5))).toEqual([0x61, 0x62, 0x1f600, 0, 0]);
    u.name = '😀😀😀😀😀'; // 5 code points (10 UTF-16 units) fit c_wchar * 5
    expect(u.name).toBe('😀😀😀😀😀');
    expect(() => {
      u.name = 'abcdef';
    }).toThrow(RangeError);
    expect(() => {
      u.name = 'abcdef';
    }).toThrow(/User\.name: string too long for c_wchar_Array_5 \(6 characters, maximum 5\)/);
    expect(u.name).toBe('😀😀😀😀😀');
    u.name = 'x';
    expect(Array.from(new Uint32Array(buf, 4, 5))).toEqual([0x78, 0, 0, 0, 0]);
    expect(() => {
      u.name = 5 as never;
    }).toThrow(TypeError);
  });

  it("a 'u' array view has one-character elements and a .value string", () => {
    const buf = new SharedArrayBuffer(32);
    const w = createArrayView('u', buf, 8, 4);
    w.value = 'h𝄞';
    expect([w.length, w[0], w[1], w[2], w.value]).toEqual([4, 'h', '𝄞', '\0', 'h𝄞']);
    w[2] = '!';
    expect(w.value).toBe('h𝄞!');
    expect([...w]).toEqual(['h', '𝄞', '!', '\0']);
    expect(() => {
      w.value = 'abcde';
    }).toThrow(RangeError);
    expect(() => {
      w[0] = 'ab';
    }).toThrow(TypeError);
  });
});

describe('c_char arrays', () => {
  it('take latin1 strings and byte arrays up to n, zeroing the rest', () => {
    const S = Structure({ b: arrayOf(c_char, 4) });
    const s = createStructView(S, new ArrayBuffer(4), 0);
    assign(s, { b: 'abcd' });
    expect(readCString(s.b)).toBe('abcd');
    (s as { b: unknown }).b = 'xy'; // the setter itself accepts initializers too
    expect(Array.from(s.b)).toEqual([120, 121, 0, 0]);
    assign(s, { b: [1, 2] });
    expect(Array.from(s.b)).toEqual([1, 2, 0, 0]);
    expect(() => assign(s, { b: 'abcde' })).toThrow(
      /bytes too long for c_char_Array_4 \(5, maximum length 4\)/,
    );
    expect(() => assign(s, { b: 'a€' })).toThrow(/not latin1/);
    expect(() => assign(s, { b: [256] })).toThrow(TypeError);
    expect(() => assign(s, { nope: 1 } as never)).toThrow(/has no field "nope"/);
  });

  it('assign is all-or-nothing and leaves other fields alone', () => {
    const P = Structure({ x: c_int, y: c_int, tag: arrayOf(c_char, 2) });
    const p = createStructView(P, new ArrayBuffer(sizeof(P)), 0);
    assign(p, { x: 1, y: 2 });
    assign(p, { y: 3 });
    expect(toPlain(p)).toEqual({ x: 1, y: 3, tag: [0, 0] });
    expect(() => assign(p, { x: 9, tag: 'long' })).toThrow(RangeError);
    expect(toPlain(p)).toEqual({ x: 1, y: 3, tag: [0, 0] });
    expect(() => assign({} as never, {})).toThrow(/expects a struct view/);
  });
});

describe('arrays of structs and other CArrays', () => {
  it('index, length, for..of, get/set with negative indexes, out of range', () => {
    const plan = planArray(User, [['Joe', 18], { name: 'Nemo', age: 9 }]);
    expect([plan.length, plan.byteLength, plan.alignment]).toEqual([2, 48, 4]);
    const buf = new SharedArrayBuffer(8 + plan.byteLength);
    writeValue(plan.arrayType, buf, 8, plan.init as never);
    const arr = createArrayView(User, buf, 8, plan.length);
    expect(arr.length).toBe(2);
    expect(arr[0].name).toBe('Joe');
    expect(arr[1].age).toBe(9);
    expect([...arr].map((u) => `${u.name}:${u.age}`)).toEqual(['Joe:18', 'Nemo:9']);
    expect(arr.get(-1).name).toBe('Nemo');
    arr[1].age += 1;
    expect(createArrayView(User, buf, 8, 2)[1].age).toBe(10);
    arr[0] = arr[1]; // element copy
    expect(arr[0].name).toBe('Nemo');
    arr.set(1, ['Kim', 3]);
    expect(toPlain(arr)).toEqual([
      { name: 'Nemo', age: 10 },
      { name: 'Kim', age: 3 },
    ]);
    expect(arr[2]).toBeUndefined();
    expect(() => arr.get(2)).toThrow(/index 2 out of range for an array of length 2/);
    expect(() => {
      arr[5] = ['x', 1] as never;
    }).toThrow(RangeError);
    expect(Array.from(arr, (u) => u.age)).toEqual([10, 3]);
    expect(JSON.stringify(arr)).toBe('[{"name":"Nemo","age":10},{"name":"Kim","age":3}]');
    expect(arr.elementType).toBe(User);
  });

  it('c_bool arrays read booleans; nested arrays read typed arrays', () => {
    const buf = new SharedArrayBuffer(64);
    const b = createArrayView(c_bool, buf, 0, 3);
    b[1] = true;
    expect(b.toArray()).toEqual([false, true, false]);
    const m = createArrayView(arrayOf(c_int, 3), buf, 16, 2);
    m[1][0] = 8;
    expect(m[1]).toBeInstanceOf(Int32Array);
    expect(new Int32Array(buf, 16, 6)[3]).toBe(8);
    m.set(0, [1, 2, 3]);
    expect(toPlain(m)).toEqual([
      [1, 2, 3],
      [8, 0, 0],
    ]);
  });
});

describe('planArray', () => {
  it('works out lengths like Python Array(typecode, sizeOrInit)', () => {
    expect(planArray('i', 10).length).toBe(10);
    expect(planArray('i', 10).byteLength).toBe(40);
    expect(planArray('d', [1, 2, 3]).init).toEqual([1, 2, 3]);
    expect(planArray('u', 'h𝄞').length).toBe(2);
    expect(planArray('c', 'abc').length).toBe(3);
    const gen = function* () {
      yield 1;
      yield 2;
    };
    expect(planArray(c_uint, gen())).toMatchObject({ length: 2, init: [1, 2] });
    expect(() => planArray('i', -1)).toThrow(RangeError);
    expect(() => planArray('x' as never, 1)).toThrow(/unknown typecode/);
    expect(() => planArray('i', null)).toThrow(TypeError);
  });
});

describe('type descriptors', () => {
  it('round-trip through JSON and give back the original type in the same worker', () => {
    const T = Structure({ u: arrayOf(User, 2), x: c_ulong, b: c_ubyte }, { name: 'Team' });
    const d = JSON.parse(JSON.stringify(describeType(T)));
    expect(d).toEqual({
      struct: 'Team',
      fields: [
        [
          'u',
          {
            array: {
              struct: 'User',
              fields: [
                ['name', { array: 'c_wchar', length: 5 }],
                ['age', 'c_ushort'],
              ],
            },
            length: 2,
          },
        ],
        ['x', 'c_ulong'],
        ['b', 'c_ubyte'],
      ],
    });
    expect(typeFromDescriptor(d)).toBe(T);
    expect(typeFromDescriptor({ array: 'c_double', length: 3 })).toBe(arrayOf(c_double, 3));
    const fresh = typeFromDescriptor({ struct: 'P', fields: [['x', 'c_int']] });
    expect(typeFromDescriptor({ struct: 'P', fields: [['x', 'c_int']] })).toBe(fresh);
    expect(() => typeFromDescriptor('c_nope')).toThrow(TypeError);
  });
});
