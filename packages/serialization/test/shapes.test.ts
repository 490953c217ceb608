import { describe, expect, it } from 'vitest';
import { dumps, loads, mayHoldReducers } from '../src/index.js';
import { OBJECT, SHAPE, SHAPE_NEW } from '../src/tags.js';

const rt = <T>(v: T): T => loads<T>(dumps(v));

describe('object shapes', () => {
  it('writes a repeated key list once, then a shape id', () => {
    const rows = Array.from({ length: 50 }, (_, i) => ({ id: i, name: `item${i}`, ok: i % 2 === 0 }));
    const bytes = dumps(rows);
    expect(bytes[2]).toBe(SHAPE_NEW);
    expect(bytes.filter((b) => b === SHAPE).length).toBeGreaterThanOrEqual(49);
    // twice, so the second decode goes through the compiled maker
    for (let k = 0; k < 2; k++) {
      const back = loads<typeof rows>(bytes);
      expect(back).toEqual(rows);
      expect(Object.keys(back[7])).toEqual(['id', 'name', 'ok']);
      expect(Object.getPrototypeOf(back[7])).toBe(Object.prototype);
    }
  });

  it('keeps key order, and tells apart lists with the same keys in another order', () => {
    const a = [
      { x: 1, y: 2 },
      { y: 3, x: 4 },
      { x: 5, y: 6 },
      { y: 7, x: 8 },
    ];
    for (let k = 0; k < 3; k++) {
      const back = rt(a);
      expect(back).toEqual(a);
      expect(back.map((o) => Object.keys(o).join())).toEqual(['x,y', 'y,x', 'x,y', 'y,x']);
    }
  });

  it('handles a key added or removed between objects and between messages', () => {
    const a = [{ a: 1, b: 2 }, { a: 1, b: 2, c: 3 }, { a: 1 }, { b: 2, a: 1 }, { a: 9, b: 8 }];
    expect(rt(a)).toEqual(a);
    for (let k = 0; k < 3; k++) {
      expect(rt({ a: 1, b: 2 })).toEqual({ a: 1, b: 2 });
      expect(rt({ a: 1, b: 2, c: undefined })).toStrictEqual({ a: 1, b: 2, c: undefined });
      expect(rt({ a: 1 })).toEqual({ a: 1 });
    }
  });

  it('finds shapes beyond the last one, with many shapes interleaved', () => {
    const a = Array.from({ length: 200 }, (_, i) => ({ [`k${i % 20}`]: i, v: i }));
    for (let k = 0; k < 2; k++) expect(rt(a)).toEqual(a);
  });

  it('keeps many keys, empty objects and integer-like keys', () => {
    const many = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`key${i}`, i]));
    expect(dumps(many)[0]).toBe(OBJECT);
    expect(dumps({})[0]).toBe(OBJECT);
    const ints = [
      { 2: 'b', 1: 'a', z: 0 },
      { 2: 'd', 1: 'c', z: 1 },
    ];
    for (let k = 0; k < 2; k++) {
      expect(rt([many, many, {}, {}])).toEqual([many, many, {}, {}]);
      const back = rt(ints);
      expect(back).toEqual(ints);
      expect(Object.keys(back[1])).toEqual(['1', '2', 'z']);
    }
  });

  it('keeps non-ASCII, long and code-like keys and strings', () => {
    const keys = [
      'é',
      '名前',
      '😀',
      'a"b',
      "'); throw 1; ('",
      '\\',
      'x'.repeat(300),
      '\u2028',
      'constructor',
    ];
    const rows = Array.from({ length: 3 }, (_, i) => Object.fromEntries(keys.map((k) => [k, `${k}·${i}`])));
    for (let k = 0; k < 2; k++) {
      const back = rt(rows);
      expect(back).toEqual(rows);
      expect(Object.keys(back[2])).toEqual(keys);
    }
  });

  it('never turns a __proto__ key into the prototype', () => {
    const mk = (v: number) =>
      JSON.parse(`{"a": ${v}, "__proto__": {"polluted": ${v}}}`) as Record<string, unknown>;
    const rows = [mk(1), mk(2), mk(3)];
    for (let k = 0; k < 3; k++) {
      const back = rt(rows);
      for (const [i, o] of back.entries()) {
        expect(Object.getPrototypeOf(o)).toBe(Object.prototype);
        expect(Object.hasOwn(o, '__proto__')).toBe(true);
        expect(Object.getOwnPropertyDescriptor(o, '__proto__')?.value).toEqual({ polluted: i + 1 });
        expect((o as { polluted?: unknown }).polluted).toBeUndefined();
      }
    }
  });

  it('sends prototype-less objects and class instances as their own enumerable keys', () => {
    class P {
      constructor(public x: number) {}
    }
    (P.prototype as unknown as Record<string, unknown>).inherited = 'no';
    const bare = Object.assign(Object.create(null) as object, { x: 1 });
    const a = [new P(1), bare, new P(2), bare, { x: 3 }];
    const back = rt(a);
    expect(back.map((o) => ({ ...o }))).toEqual([{ x: 1 }, { x: 1 }, { x: 2 }, { x: 1 }, { x: 3 }]);
    expect(back[1]).toBe(back[3]);
    expect(Object.keys(back[0])).toEqual(['x']);
  });

  it('does not send inherited enumerable keys that match the last shape', () => {
    const proto = { b: 'inherited' };
    const child = Object.assign(Object.create(proto) as Record<string, unknown>, { a: 2 });
    const back = rt([{ a: 1, b: 1 }, child]);
    expect(back[1]).toEqual({ a: 2 });
    expect(Object.keys(back[1])).toEqual(['a']);
  });

  it('keeps cycles and shared objects inside shaped objects', () => {
    type Node = { name: string; next: Node | null; self?: Node };
    const nodes: Node[] = Array.from({ length: 5 }, (_, i) => ({ name: `n${i}`, next: null }));
    for (const [i, n] of nodes.entries()) n.next = nodes[(i + 1) % 5];
    for (let k = 0; k < 2; k++) {
      const back = rt(nodes);
      expect(back[4].next).toBe(back[0]);
      expect(back[0].next).toBe(back[1]);
      expect(back.map((n) => n.name)).toEqual(['n0', 'n1', 'n2', 'n3', 'n4']);
    }
    const o: Node = { name: 'me', next: null };
    o.self = o;
    const twice = rt([o, { name: 'x', next: o }]);
    expect(twice[0].self).toBe(twice[0]);
    expect(twice[1].next).toBe(twice[0]);
  });

  it('keeps -0, NaN, sparse arrays and undefined values in shaped objects', () => {
    // biome-ignore lint/suspicious/noSparseArray: the hole is the point
    const rows = [0, 1, 2].map(() => ({ z: -0, n: Number.NaN, s: [1, , 3], u: undefined }));
    for (let k = 0; k < 2; k++) {
      const back = rt(rows);
      expect(Object.is(back[2].z, -0)).toBe(true);
      expect(back[2].n).toBeNaN();
      expect(1 in back[2].s).toBe(false);
      expect(back[2].s.length).toBe(3);
      expect('u' in back[2]).toBe(true);
    }
  });

  it('rejects a reference to an unknown shape, a key that is not a string, too many keys', () => {
    expect(() => loads(new Uint8Array([SHAPE, 0]))).toThrow(/unknown shape #0/);
    expect(() => loads(new Uint8Array([SHAPE_NEW, 1, 0x81, 0x81, 0x81]))).toThrow(/expected a string/);
    const big = new Uint8Array(2 + 33 * 3);
    big.set([SHAPE_NEW, 33]);
    expect(() => loads(big)).toThrow(/shape with 33 keys/);
    const truncated = dumps([{ a: 1 }, { a: 2 }]);
    expect(() => loads(truncated.subarray(0, truncated.length - 1))).toThrow(/truncated/);
  });

  it('walks shapes when looking for reducers', () => {
    const bytes = dumps([
      { a: 0x16, b: 'x\u0016' },
      { a: 0x16, b: 'y\u0016' },
    ]);
    expect(bytes.includes(0x16)).toBe(true);
    expect(mayHoldReducers(bytes)).toBe(false);
  });
});
