import { dumps, loads } from '@multiproc/serialization';
import { Lock, RLock } from '@multiproc/synchronize';
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  Array as SharedArray,
  arrayOf,
  c_bool,
  c_double,
  c_int,
  c_int64,
  c_ushort,
  c_wchar,
  RawArray,
  Structure,
  SynchronizedArray,
  toPlain,
  type WCharArray,
} from '../src/index.js';

const User = Structure({ name: arrayOf(c_wchar, 5), age: c_ushort }, { name: 'User' });

describe('RawArray', () => {
  it('numeric types are typed arrays over shared memory', () => {
    const xs = RawArray('d', 4);
    expectTypeOf(xs).toEqualTypeOf<Float64Array>();
    expect(xs).toBeInstanceOf(Float64Array);
    expect(xs.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(Array.from(xs)).toEqual([0, 0, 0, 0]);
    expect(RawArray('i', [9, 2, 8])).toEqual(new Int32Array([9, 2, 8]));
    expect(RawArray('i', [9, 2, 8])).toStrictEqual(new Int32Array([9, 2, 8]));
    expect(RawArray('i', 1).constructor).toBe(Int32Array);
    expect(RawArray('h', 7)).toBeInstanceOf(Int16Array);
    expect(RawArray('c', 'ab')).toBeInstanceOf(Uint8Array);
    expect(Array.from(RawArray('c', 'ab'))).toEqual([97, 98]);
    const ids = RawArray(c_int64, [1n, 2n]);
    expectTypeOf(ids).toEqualTypeOf<BigInt64Array>();
    expect(ids).toBeInstanceOf(BigInt64Array);
    expect(RawArray('Q', 1)).toBeInstanceOf(BigUint64Array);
    expect(RawArray('f', new Float32Array([0.5]))[0]).toBe(0.5);
    expect(Array.from(RawArray('i', new Set([1, 2])))).toEqual([1, 2]);
    expect(RawArray('d', 0).length).toBe(0);
    // derived arrays are ordinary typed arrays
    expect(xs.slice(1).constructor).toBe(Float64Array);
  });

  it('Structure arrays: arr[i].field, length, for..of (the seed)', () => {
    const users = RawArray(User, [['Joe', 18], { name: 'Nemo', age: 9 }]);
    expectTypeOf(users[0].name).toEqualTypeOf<string>();
    expectTypeOf(users[0].age).toEqualTypeOf<number>();
    expect(users.length).toBe(2);
    expect(users[1].name).toBe('Nemo');
    expect([...users].map((u) => `${u.name}:${u.age}`)).toEqual(['Joe:18', 'Nemo:9']);
    users[0].age += 1;
    expect(toPlain(users[0])).toEqual({ name: 'Joe', age: 19 });
    expect(
      RawArray(User, 3)
        .toArray()
        .map((u) => u.age),
    ).toEqual([0, 0, 0]);
  });

  it("'u' is a wchar array, c_bool a CArray", () => {
    const w = RawArray('u', 'héllo');
    expectTypeOf(w).toEqualTypeOf<WCharArray>();
    expect(w.value).toBe('héllo');
    expect(w[1]).toBe('é');
    w.value = 'hi';
    expect(w.toArray()).toEqual(['h', 'i', '\0', '\0', '\0']);
    const flags = RawArray(c_bool, [true, false]);
    expect(flags.toArray()).toEqual([true, false]);
  });

  it('bad input', () => {
    expect(() => RawArray('i', -1)).toThrow(RangeError);
    expect(() => RawArray('i', -1)).toThrow(/>= 0/);
    expect(() => RawArray('i', 1.5)).toThrow(TypeError);
    expect(() => RawArray('x' as 'i', 1)).toThrow(TypeError);
    expect(() => RawArray('i', ['a'] as never)).toThrow(TypeError);
    expect(() => RawArray(User, [['toolong!', 1]])).toThrow(RangeError);
    expect(() => RawArray('i', null as never)).toThrow(TypeError);
  });

  it('every kind travels as the same memory', () => {
    const xs = RawArray('d', 3);
    const ys = loads<Float64Array>(dumps(xs));
    expect(ys).toBeInstanceOf(Float64Array);
    ys[2] = 7;
    expect(xs[2]).toBe(7);
    const big = loads<BigInt64Array>(dumps(RawArray(c_int64, [5n])));
    expect(big[0]).toBe(5n);
    const users = RawArray(User, [['Joe', 18]]);
    const got = loads<typeof users>(dumps(users));
    got[0].name = 'Ann';
    expect(users[0].name).toBe('Ann');
    const one = loads<(typeof users)[0]>(dumps(users[0])); // a single struct view travels too
    one.age = 3;
    expect(users[0].age).toBe(3);
    const w = RawArray('u', 'ab');
    const w2 = loads<typeof w>(dumps(w));
    w2.value = 'cd';
    expect(w.value).toBe('cd');
    // views of plain memory arrive as copies; unknown shared buffers are refused
    const copy = loads<Float64Array>(dumps(xs.slice()));
    copy[0] = 1;
    expect(xs[0]).toBe(0);
    expect(() => dumps(new Float64Array(new SharedArrayBuffer(8)))).toThrow(TypeError);
  });
});

describe('Array (synchronized)', () => {
  it('get, set, arr[i], length, for..of, toArray, getObj', () => {
    const arr = SharedArray('i', [1, 2, 3]);
    expect(arr).toBeInstanceOf(SynchronizedArray);
    expect(arr.length).toBe(3);
    expect(arr.get(0)).toBe(1);
    expect(arr.get(-1)).toBe(3);
    arr.set(1, 20);
    arr[2] += 10;
    expect(arr[2]).toBe(13);
    expect([...arr]).toEqual([1, 20, 13]);
    expect(arr.toArray()).toEqual([1, 20, 13]);
    const raw = arr.getObj();
    expectTypeOf(raw).toEqualTypeOf<Int32Array>();
    expect(raw).toBeInstanceOf(Int32Array);
    raw[0] = 5;
    expect(arr[0]).toBe(5);
    expect(arr[10]).toBeUndefined();
    expect(arr.elementType).toBe(c_int);
    expect(String(arr)).toBe('<SynchronizedArray wrapper for c_int_Array_3>');
  });

  it('lock methods; default RLock; lock option', async () => {
    const arr = SharedArray('d', [0, 0]);
    expect(arr.getLock()).toBeInstanceOf(RLock);
    arr.acquireSync();
    arr[0] += 1;
    arr.release();
    await arr.acquire();
    arr[1] = arr[0] + 1;
    arr.release();
    {
      using _ = arr.holdSync();
      arr[0] += 1;
    }
    {
      using _ = await arr.hold();
      arr[0] += 1;
    }
    expect(arr.toArray()).toEqual([3, 2]);
    const lock = new Lock();
    expect(SharedArray('i', 2, { lock }).getLock()).toBe(lock);
    const raw = SharedArray('i', [1, 2], { lock: false });
    expect(raw).toBeInstanceOf(Int32Array);
    expectTypeOf(raw).toEqualTypeOf<Int32Array>();
  });

  it('structs and wchars through the wrapper', () => {
    const users = SharedArray(User, [
      ['Joe', 18],
      ['Nemo', 9],
    ]);
    expect(users[1].name).toBe('Nemo');
    users.set(0, { name: 'Ann', age: 30 });
    expect(toPlain(users.get(0))).toEqual({ name: 'Ann', age: 30 });
    expect([...users].map((u) => u.age)).toEqual([30, 9]);
    const w = SharedArray('u', 'hey');
    expect(w.toArray().join('')).toBe('hey');
    expect((w.getObj() as WCharArray).value).toBe('hey');
  });

  it('bad input', () => {
    const arr = SharedArray('i', 2);
    expect(() => arr.get(2)).toThrow(RangeError);
    expect(() => arr.set(-3, 1)).toThrow(RangeError);
    expect(() => {
      arr[5] = 1;
    }).toThrow(RangeError);
    expect(() => arr.set(0, 1.5)).toThrow(TypeError);
    expect(() => arr.get(0.5)).toThrow(TypeError);
    expect(() => SharedArray('i', -1)).toThrow(RangeError);
    expect(() => SharedArray('x' as 'i', 1)).toThrow(TypeError);
    expect(() => SharedArray('i', 1, { lock: 1 as never })).toThrow(TypeError);
    expect(arr.toArray()).toEqual([0, 0]);
    expect(arr.getLock().locked()).toBe(false);
  });

  it('travels with its lock and element type', () => {
    const arr = SharedArray(c_double, [1, 2]);
    const got = loads<typeof arr>(dumps(arr));
    expect(got).toBeInstanceOf(SynchronizedArray);
    expect(got.getLock()).toBe(arr.getLock());
    got[0] = -1;
    expect(arr[0]).toBe(-1);
    const users = SharedArray(User, [['Joe', 18]]);
    const u2 = loads<typeof users>(dumps(users));
    u2[0].age = 5;
    expect(users[0].age).toBe(5);
  });
});
