import { describe, expect, it } from 'vitest';
import { dumps, loads, mayHoldReducers, registerReducer } from '../src/index.js';
import { PACKED } from '../src/tags.js';

const rt = <T>(v: T): T => loads<T>(dumps(v));
const ramp = (n: number, f: (i: number) => number) => Array.from({ length: n }, (_, i) => f(i));

describe('PACKED arrays of numbers', () => {
  it.each([
    ['i8', ramp(100, (i) => i - 50), 1],
    ['i16', ramp(100, (i) => i * 300 - 15000), 2],
    ['i32', ramp(100, (i) => i * 40_000_000 - 2 ** 31), 4],
    ['f64', ramp(100, (i) => i / 3), 8],
  ])('%s: same values, one tag, width bytes per item', (_name, a, width) => {
    const bytes = dumps(a);
    expect(bytes[0]).toBe(PACKED);
    expect(bytes.length).toBe(2 + 1 + a.length * width);
    const back = rt(a);
    expect(Array.isArray(back)).toBe(true);
    expect(back).toEqual(a);
  });

  it('keeps -0, NaN, infinities and big integers (f64 run)', () => {
    const a = [...ramp(20, (i) => i), -0, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53, -(2 ** 31) - 1];
    const back = rt(a);
    expect(dumps(a)[0]).toBe(PACKED);
    expect(Object.is(back[20], -0)).toBe(true);
    expect(back[21]).toBeNaN();
    expect(back.slice(22)).toEqual(a.slice(22));
  });

  it('boundaries of each int width', () => {
    for (const edge of [127, 128, -128, -129, 32767, 32768, -32768, -32769, 2 ** 31 - 1, -(2 ** 31)]) {
      const a = [...ramp(20, () => 0), edge];
      expect(rt(a)).toEqual(a);
    }
  });

  it('short, holey and mixed arrays stay generic and round-trip', () => {
    const short = ramp(15, (i) => i);
    expect(dumps(short)[0]).not.toBe(PACKED);
    const holey = ramp(40, (i) => i);
    delete holey[7];
    expect(dumps(holey)[0]).not.toBe(PACKED);
    const back = rt(holey);
    expect(6 in back).toBe(true);
    expect(7 in back).toBe(false);
    const mixed = [...ramp(30, (i) => i), 'x'];
    expect(rt(mixed)).toEqual(mixed);
  });

  it('a packed array seen twice is one object', () => {
    const a = ramp(50, (i) => i);
    const [x, y] = rt([a, a]);
    expect(x).toBe(y);
    expect(x).toEqual(a);
  });

  it('nested in objects and chunks of pool results', () => {
    const v = { rows: [ramp(20, (i) => i), ramp(20, (i) => i * 1.5)], tail: 'ok' };
    expect(rt(v)).toEqual(v);
  });

  it('an index getter that changes type between reads falls back to the generic encoding', () => {
    const a: unknown[] = ramp(30, (i) => i);
    let reads = 0;
    Object.defineProperty(a, 3, { enumerable: true, get: () => (++reads === 1 ? 3 : 'three') });
    const back = loads<unknown[]>(dumps(a));
    expect(back[3]).toBe('three');
    expect(back[4]).toBe(4);
  });

  it('malformed PACKED input is a clear Error', () => {
    expect(() => loads(new Uint8Array([PACKED, 9, 1, 0]))).toThrow(/unknown packed kind/);
    expect(() => loads(new Uint8Array([PACKED, 2, 20, 0, 0]))).toThrow(/count .* larger/);
    const ok = dumps(ramp(20, (i) => i * 1000));
    for (let n = 0; n < ok.length; n++) expect(() => loads(ok.subarray(0, n))).toThrow(/loads: malformed/);
  });
});

describe('mayHoldReducers', () => {
  class Box {
    constructor(readonly v: number) {}
  }
  registerReducer(Box, {
    name: 'test:packed-Box',
    reduce: (b) => b.v,
    rebuild: (v: number) => new Box(v),
  });

  it('is false for 0x16 bytes inside numbers and strings', () => {
    const ints = ramp(1000, (i) => i * 0x16 + 0x16);
    expect(dumps(ints).includes(0x16)).toBe(true);
    expect(mayHoldReducers(dumps(ints))).toBe(false);
    expect(mayHoldReducers(dumps({ s: '\u0016'.repeat(10), n: [0x116, 0x16_0000, 1.5] }))).toBe(false);
  });

  it('is true when a reduced object is there, however deep', () => {
    expect(mayHoldReducers(dumps(new Box(1)))).toBe(true);
    expect(mayHoldReducers(dumps({ a: [1, 'x', new Map([[1, { b: new Box(2) }]])] }))).toBe(true);
    expect(mayHoldReducers(dumps(Object.assign(new Error('e'), { box: new Box(3) })))).toBe(true);
  });

  it('says "maybe" for malformed input', () => {
    expect(mayHoldReducers(new Uint8Array([0x0c, 5, 0x16]))).toBe(true);
    expect(mayHoldReducers(new Uint8Array([0x0e, 3, 0x16]))).toBe(true);
  });
});
