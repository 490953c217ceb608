import { describe, expect, it } from 'vitest';
import { dumps, dumpsChunks, loads } from '../src/index.js';

const rt = <T>(v: T): T => loads<T>(dumps(v));

describe('primitives', () => {
  it.each([
    ['undefined', undefined],
    ['null', null],
    ['true', true],
    ['false', false],
    ['0', 0],
    ['fixint max', 127],
    ['int8', -128],
    ['int16', 30000],
    ['int16 neg', -32768],
    ['int32', 2 ** 31 - 1],
    ['int32 min', -(2 ** 31)],
    ['beyond int32', 2 ** 31],
    ['float', Math.PI],
    ['max safe', Number.MAX_SAFE_INTEGER],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['-Infinity', Number.NEGATIVE_INFINITY],
    ['bigint 0', 0n],
    ['bigint big', 123456789012345678901234567890n],
    ['bigint neg', -98765432109876543210n],
  ])('%s', (_name, v) => {
    expect(rt(v)).toBe(v);
  });

  it('keeps -0 and NaN', () => {
    expect(Object.is(rt(-0), -0)).toBe(true);
    expect(rt(Number.NaN)).toBeNaN();
  });

  it('small int is one byte', () => {
    expect(dumps(5)).toEqual(new Uint8Array([0x85]));
  });

  it.each([
    ['empty', ''],
    ['ascii', 'hello world'],
    ['latin1', 'café déjà vu'],
    ['bmp', '日本語テキスト'],
    ['astral', 'emoji 😀🎉 mixed'],
    ['lone high surrogate', 'a\ud800b'],
    ['lone low surrogate', '\udc00'],
    ['long ascii', 'x'.repeat(100_000)],
    ['long unicode', 'ü€😀'.repeat(30_000)],
    ['127 chars', 'y'.repeat(127)],
    ['128 chars', 'z'.repeat(128)],
    ['nul', 'a\u0000b'],
  ])('string %s', (_name, s) => {
    expect(rt(s)).toBe(s);
  });
});

describe('containers', () => {
  it('arrays, nested, with holes preserved', () => {
    // biome-ignore lint/suspicious/noSparseArray: holes are the point
    const a = [1, , 3, [4, [5]], undefined];
    const b = rt(a);
    expect(b).toEqual(a);
    expect(1 in b).toBe(false);
    expect(4 in b).toBe(true);
    expect(b.length).toBe(5);
  });

  it('plain objects, getters read, symbol keys skipped, __proto__ key stays data', () => {
    const o: Record<string, unknown> = { a: 1, 'b c': [true], nested: { x: null } };
    Object.defineProperty(o, 'g', { get: () => 42, enumerable: true });
    Object.defineProperty(o, 'hidden', { value: 1, enumerable: false });
    (o as Record<symbol, unknown>)[Symbol('s')] = 1;
    const back = rt(o);
    expect(back).toEqual({ a: 1, 'b c': [true], nested: { x: null }, g: 42 });
    const evil = JSON.parse('{"__proto__": {"polluted": 1}}');
    const got = rt(evil) as Record<string, unknown>;
    expect(Object.getPrototypeOf(got)).toBe(Object.prototype);
    expect(Object.hasOwn(got, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('null-prototype objects and class instances become plain objects', () => {
    const n = Object.assign(Object.create(null), { a: 1 });
    expect(rt(n)).toEqual({ a: 1 });
    class Point {
      constructor(
        public x: number,
        public y: number,
      ) {}
      get len() {
        return Math.hypot(this.x, this.y);
      }
    }
    const p = rt(new Point(3, 4));
    expect(Object.getPrototypeOf(p)).toBe(Object.prototype);
    expect(p).toEqual({ x: 3, y: 4 });
  });

  it('Map, Set, Date, RegExp, boxed primitives', () => {
    const m = new Map<unknown, unknown>([
      ['a', 1],
      [{ k: 1 }, new Set([1, 'x'])],
    ]);
    expect(rt(m)).toEqual(m);
    expect(rt(new Date(1_700_000_000_123)).getTime()).toBe(1_700_000_000_123);
    expect(Number.isNaN(rt(new Date(Number.NaN)).getTime())).toBe(true);
    const re = rt(/a+b\//giu);
    expect(re).toBeInstanceOf(RegExp);
    expect(re.source).toBe('a+b\\/');
    expect(re.flags).toBe('giu');
    const boxed = rt([new Number(1), new String('s'), new Boolean(false), Object(5n)]);
    expect(boxed[0]).toBeInstanceOf(Number);
    expect(boxed.map((b) => (b as { valueOf(): unknown }).valueOf())).toEqual([1, 's', false, 5n]);
  });

  it('subclasses of Map/Array come back as the built-in', () => {
    class MyMap extends Map {}
    class MyArr extends Array {}
    const m = rt(new MyMap().set(1, 2));
    expect(Object.getPrototypeOf(m)).toBe(Map.prototype);
    const a = rt(MyArr.from([1, 2]));
    expect(Object.getPrototypeOf(a)).toBe(Array.prototype);
    expect(a).toEqual([1, 2]);
  });
});

describe('binary', () => {
  const ctors = [
    Int8Array,
    Uint8Array,
    Uint8ClampedArray,
    Int16Array,
    Uint16Array,
    Int32Array,
    Uint32Array,
    Float32Array,
    Float64Array,
  ] as const;
  it.each(ctors.map((c) => [c.name, c] as const))('%s (small and big)', (_n, C) => {
    for (const len of [0, 3, 5000]) {
      const a = new C(len);
      for (let i = 0; i < len; i++) a[i] = (i * 7) % 100;
      const b = rt(a);
      expect(b).toBeInstanceOf(C);
      expect(b).toEqual(a);
    }
  });

  it('BigInt64Array, BigUint64Array, DataView, ArrayBuffer', () => {
    expect(rt(new BigInt64Array([-1n, 2n]))).toEqual(new BigInt64Array([-1n, 2n]));
    expect(rt(new BigUint64Array([2n ** 64n - 1n]))).toEqual(new BigUint64Array([2n ** 64n - 1n]));
    const dv = new DataView(new ArrayBuffer(8));
    dv.setFloat64(0, 1.5);
    const dv2 = rt(dv);
    expect(dv2).toBeInstanceOf(DataView);
    expect(dv2.getFloat64(0)).toBe(1.5);
    const ab = new Uint8Array([1, 2, 3]).buffer;
    const ab2 = rt(ab);
    expect(ab2).toBeInstanceOf(ArrayBuffer);
    expect([...new Uint8Array(ab2)]).toEqual([1, 2, 3]);
  });

  it('a view sends only its own bytes, with a fresh offset-0 buffer', () => {
    const big = new Uint8Array(100).map((_, i) => i);
    const view = new Uint16Array(big.buffer, 10, 4);
    const back = rt(view);
    expect(back.byteOffset).toBe(0);
    expect(back.buffer.byteLength).toBe(8);
    expect(back).toEqual(view);
  });

  it('Buffer comes back as a Buffer', () => {
    const b = rt(Buffer.from('hello'));
    expect(Buffer.isBuffer(b)).toBe(true);
    expect(b.toString()).toBe('hello');
    expect(Buffer.isBuffer(rt(Buffer.alloc(10_000, 1)))).toBe(true);
  });
});

describe('references', () => {
  it('circular references', () => {
    const a: Record<string, unknown> = { name: 'a' };
    a.self = a;
    const arr: unknown[] = [a];
    arr.push(arr);
    a.arr = arr;
    const back = rt(a) as typeof a & { arr: unknown[] };
    expect(back.self).toBe(back);
    expect(back.arr[0]).toBe(back);
    expect(back.arr[1]).toBe(back.arr);
    const m = new Map<string, unknown>();
    m.set('me', m);
    const mb = rt(m);
    expect(mb.get('me')).toBe(mb);
  });

  it('shared references come back as one object (also past the small-ref table)', () => {
    const shared = { x: 1 };
    const ta = new Float64Array(10);
    const many = Array.from({ length: 100 }, (_, i) => ({ i }));
    const v = { a: shared, b: shared, list: [shared, ta, ta], many, again: many[77], first: many[0] };
    const back = rt(v);
    expect(back.a).toBe(back.b);
    expect(back.list[0]).toBe(back.a);
    expect(back.list[1]).toBe(back.list[2]);
    expect(back.again).toBe(back.many[77]);
    expect(back.first).toBe(back.many[0]);
  });

  it('dumps is reusable after each kind of value (no state leaks between calls)', () => {
    const o = { a: 1 };
    dumps([o, o]);
    expect(rt({ o })).toEqual({ o: { a: 1 } });
  });
});

describe('chunks and copies', () => {
  it('dumpsChunks concatenates to dumps; big payloads are chunks by reference', () => {
    const f64 = new Float64Array(1024).fill(1.25);
    const u8 = new Uint8Array(8192).fill(7);
    const value = { head: 'h', f64, mid: [1, 2], u8, small: new Uint8Array(10), ab: new ArrayBuffer(4096) };
    const chunks = dumpsChunks(value);
    const flat = Buffer.concat(chunks);
    expect(new Uint8Array(flat)).toEqual(dumps(value));
    const f64Chunk = chunks.find((c) => c.buffer === f64.buffer);
    expect(f64Chunk).toBeDefined();
    expect(f64Chunk!.byteOffset).toBe(f64.byteOffset);
    expect(f64Chunk!.byteLength).toBe(f64.byteLength);
    expect(chunks.some((c) => c.buffer === u8.buffer)).toBe(true);
    expect(chunks.some((c) => c.buffer === value.ab)).toBe(true);
    expect(loads(flat)).toEqual(value);
  });

  it('dumpsChunks of a small value is one chunk; a trailing big payload ends the list', () => {
    expect(dumpsChunks(1)).toEqual([new Uint8Array([0x81])]);
    const big = new Uint8Array(5000);
    const chunks = dumpsChunks(big);
    expect(chunks.at(-1)!.buffer).toBe(big.buffer);
    expect(chunks.length).toBe(2);
  });

  it('dumps returns a right-sized array with its own buffer', () => {
    const b = dumps({ a: 'x' });
    expect(b.byteOffset).toBe(0);
    expect(b.buffer.byteLength).toBe(b.length);
  });

  it('loads copies binary out: mutating the input afterwards changes nothing', () => {
    for (const len of [16, 10_000]) {
      const bytes = dumps({ data: new Uint8Array(len).fill(3), ab: new ArrayBuffer(len), s: 'str' });
      const back = loads<{ data: Uint8Array; ab: ArrayBuffer }>(bytes);
      bytes.fill(0xff);
      expect(back.data.every((x) => x === 3)).toBe(true);
      expect(new Uint8Array(back.ab).every((x) => x === 0)).toBe(true);
      expect(back.data.buffer).not.toBe(bytes.buffer);
    }
  });

  it('loads reads from a view on a SharedArrayBuffer at an offset', () => {
    const src = dumps({ x: [1, 'two', new Float32Array([3])] });
    const ring = new Uint8Array(new SharedArrayBuffer(src.length + 20));
    ring.set(src, 7);
    const back = loads<{ x: [number, string, Float32Array] }>(ring.subarray(7, 7 + src.length));
    expect(back.x[0]).toBe(1);
    expect(back.x[1]).toBe('two');
    expect(back.x[2].buffer).toBeInstanceOf(ArrayBuffer);
    expect([...back.x[2]]).toEqual([3]);
  });
});
