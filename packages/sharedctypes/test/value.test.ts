import { dumps, loads } from '@multiproc/serialization';
import { Lock, RLock } from '@multiproc/synchronize';
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  arrayOf,
  CValue,
  c_bool,
  c_char,
  c_double,
  c_int,
  c_int64,
  c_uint64,
  c_ushort,
  c_wchar,
  RawValue,
  Structure,
  Synchronized,
  toPlain,
  Value,
} from '../src/index.js';

const User = Structure({ name: arrayOf(c_wchar, 5), age: c_ushort }, { name: 'User' });

describe('RawValue', () => {
  it('holds every kind of value, zero by default', () => {
    expect(RawValue('i').value).toBe(0);
    expect(RawValue('d', 1.5).value).toBe(1.5);
    expect(RawValue(c_bool, true).value).toBe(true);
    expect(RawValue(c_char, 'a').value).toBe(97);
    expect(RawValue('u', 'é').value).toBe('é');
    expect(RawValue(arrayOf(c_wchar, 8), 'hello').value).toBe('hello');
    const big = RawValue(c_int64, 2n ** 40n);
    expectTypeOf(big.value).toEqualTypeOf<bigint>();
    expect(big.value).toBe(2n ** 40n);
    expect(RawValue(c_uint64, -1).value).toBe(2n ** 64n - 1n);
    const d = RawValue('d', 1.5);
    expectTypeOf(d.value).toEqualTypeOf<number>();
  });

  it('reads and writes with ctypes checks', () => {
    const v = RawValue(c_int, 7);
    v.value += 1;
    expect(v.value).toBe(8);
    v.value = 2 ** 31; // wraps, as ctypes
    expect(v.value).toBe(-(2 ** 31));
    expect(() => {
      v.value = 1.5;
    }).toThrow(TypeError);
    expect(() => {
      (v as CValue<number, unknown>).value = 'x';
    }).toThrow(TypeError);
    expect(v).toBeInstanceOf(CValue);
    expect(v.type).toBe(c_int);
    expect(String(v)).toBe('c_int(-2147483648)');
  });

  it('a Structure value is a live struct view', () => {
    const u = RawValue(User, ['Joe', 18]);
    expect(u.value.name).toBe('Joe');
    u.value.age += 1;
    expect(toPlain(u.value)).toEqual({ name: 'Joe', age: 19 });
    u.value = { name: 'Ann' };
    expect(toPlain(u.value)).toEqual({ name: 'Ann', age: 0 });
    expect(String(u)).toBe('User({"name":"Ann","age":0})');
  });

  it('bad input: unknown typecode, wrong initializer', () => {
    expect(() => RawValue('x' as 'i')).toThrow(TypeError);
    expect(() => RawValue('x' as 'i')).toThrow(/unknown typecode "x"/);
    expect(() => RawValue(arrayOf(c_wchar, 3), 'toolong')).toThrow(RangeError);
    expect(() => RawValue(arrayOf(c_int, 2), [1, 2, 3])).toThrow(RangeError);
    expect(() => RawValue(User, ['Joe', 1, 2] as never)).toThrow(TypeError);
    expect(() => RawValue('i', 'x' as never)).toThrow(TypeError);
  });

  it('travels as the same memory', () => {
    const v = RawValue(c_double, 1);
    const w = loads<typeof v>(dumps(v));
    expect(w).not.toBe(v);
    w.value = 2.5;
    expect(v.value).toBe(2.5);
    const u = RawValue(User, ['Joe', 18]);
    const u2 = loads<typeof u>(dumps(u));
    u2.value.name = 'Bob';
    expect(u.value.name).toBe('Bob');
  });
});

describe('Value', () => {
  it('is synchronized by a new RLock by default', () => {
    const v = Value('i', 5);
    expect(v).toBeInstanceOf(Synchronized);
    expect(v.getLock()).toBeInstanceOf(RLock);
    expect(v.getObj()).toBeInstanceOf(CValue);
    expect(v.type).toBe(c_int);
    expect(v.acquireSync()).toBe(true);
    v.value += 1; // re-enters the RLock
    v.release();
    expect(v.value).toBe(6);
    expect(v.getObj().value).toBe(6);
    expect(String(v)).toBe('<Synchronized wrapper for c_int(6)>');
    expect(Value('d').value).toBe(0);
    expect(Value(User, { name: 'Nemo', age: 9 }).value.name).toBe('Nemo');
    const big = Value(c_int64, 1n);
    expectTypeOf(big.value).toEqualTypeOf<bigint>();
  });

  it('acquire, acquireSync, release, hold, holdSync', async () => {
    const v = Value('i', 0);
    expect(await v.acquire()).toBe(true);
    expect(v.getLock().locked()).toBe(true);
    v.release();
    expect(v.getLock().locked()).toBe(false);
    expect(v.acquireSync({ block: false })).toBe(true);
    v.release();
    {
      using _ = v.holdSync();
      v.value += 1;
      expect(v.getLock().locked()).toBe(true);
    }
    expect(v.getLock().locked()).toBe(false);
    {
      using _ = await v.hold();
      v.value += 1;
    }
    expect(v.value).toBe(2);
    expect(() => v.release()).toThrow(/not held/);
  });

  it('lock: false returns the raw object; a given lock is used', () => {
    const raw = Value('i', 3, { lock: false });
    expect(raw).toBeInstanceOf(CValue);
    expectTypeOf(raw).toEqualTypeOf<CValue<number, number | bigint>>();
    const lock = new Lock();
    const a = Value('i', 0, { lock });
    const b = Value('d', 0, { lock });
    expect(a.getLock()).toBe(lock);
    expect(b.getLock()).toBe(lock);
    a.acquireSync();
    expect(lock.locked()).toBe(true);
    expect(b.acquireSync({ block: false })).toBe(false);
    a.release();
    const r = new RLock();
    expect(Value('i', 0, { lock: r }).getLock()).toBe(r);
    expect(Value('i', 0, { lock: true }).getLock()).toBeInstanceOf(RLock);
  });

  it('bad input', () => {
    expect(() => Value('x' as 'i', 1)).toThrow(TypeError);
    expect(() => Value('i', 1, { lock: 'yes' as never })).toThrow(
      /lock must be true, false, a Lock or an RLock/,
    );
    expect(() => Value('i', 1, 5 as never)).toThrow(TypeError);
    expect(() => Value('i', 1.5 as never)).toThrow(TypeError);
    expect(() => Value(arrayOf(c_int, 1), [1, 2])).toThrow(RangeError);
  });

  it('travels with its lock', () => {
    const v = Value('i', 1);
    const w = loads<typeof v>(dumps(v));
    expect(w).toBeInstanceOf(Synchronized);
    expect(w.getLock()).toBe(v.getLock()); // synchronize returns the live lock in this thread
    w.value = 42;
    expect(v.value).toBe(42);
    const plain = new Lock();
    const x = loads<Synchronized<number>>(dumps(Value('i', 0, { lock: plain })));
    expect(x.getLock()).toBe(plain);
  });
});
