import { describe, expect, it } from 'vitest';
import { dumps, loads } from '../src/index.js';

const sample = {
  n: [1, -200, 70000, 1.5, 2n ** 70n],
  s: ['ascii', 'ünïcødé 😀', '\ud800'],
  m: new Map([['k', new Set([1])]]),
  d: new Date(0),
  r: /x/g,
  t: new Float64Array([1, 2]),
  big: new Uint8Array(5000),
  e: Object.assign(new RangeError('bad', { cause: 1 }), { code: 'E' }),
  agg: new AggregateError([new Error('a')]),
  packed: [Array.from({ length: 20 }, (_, i) => i * 1000), Array.from({ length: 20 }, (_, i) => i / 7)],
};

describe('malformed input to loads', () => {
  it('every truncation of a valid message is a clear Error', () => {
    const bytes = dumps(sample);
    for (let n = 0; n < bytes.length; n += n < 200 ? 1 : 97) {
      expect(() => loads(bytes.subarray(0, n)), `prefix ${n}`).toThrow(/^loads: malformed or truncated data/);
    }
  });

  it('trailing bytes, unknown tags, forged lengths', () => {
    expect(() => loads(new Uint8Array([0x81, 0x81]))).toThrow(/1 trailing bytes/);
    expect(() => loads(new Uint8Array([0x7f]))).toThrow(/unknown tag 0x7f at byte 0/);
    expect(() => loads(new Uint8Array([0x0d]))).toThrow(/unknown tag|malformed/);
    // an array claiming 4 billion items in 6 bytes must not allocate them
    expect(() => loads(new Uint8Array([0x0c, 0xff, 0xff, 0xff, 0xff, 0x0f]))).toThrow(/count .* larger/);
    expect(() => loads(new Uint8Array([0x0c, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]))).toThrow(/varint/);
    expect(() => loads(new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0x7f, 0x41]))).toThrow(/truncated/);
    expect(() => loads(new Uint8Array([0x17, 0x05]))).toThrow(/reference to unknown object/);
    expect(() => loads(new Uint8Array([0x14, 0x63, 0x00]))).toThrow(/unknown view kind/);
    expect(() => loads(new Uint8Array([0x14, 0x08, 0x03, 1, 2, 3]))).toThrow(/multiple of Float64Array/);
    expect(() => loads(new Uint8Array([0x0e, 0x01, 0x81, 0x81]))).toThrow(/expected a string/);
    expect(() => loads(new Uint8Array([0x18, 0x0c, 0x00]))).toThrow(/invalid boxed/);
    expect(() => loads(new Uint8Array([0x08, 0x00, 0x02, 0x7a, 0x7a]))).toThrow(/invalid bigint/);
    expect(() => loads(new Uint8Array([]))).toThrow(/truncated/);
  });

  it('a reducer state referring to its own object is rejected', () => {
    // REDUCED "x" state=REF 0 (itself, still being rebuilt)
    expect(() => loads(new Uint8Array([0x16, 0x09, 0x01, 0x78, 0x17, 0x00]))).toThrow(
      /no reducer|own reducer/,
    );
  });

  it('deeply nested input does not crash', () => {
    const bytes = new Uint8Array(300_001).fill(0x0c);
    for (let i = 1; i < bytes.length; i += 2) bytes[i] = 1;
    expect(() => loads(bytes)).toThrow(/loads: malformed/);
  });

  it('random garbage never throws anything but an Error with a loads: message', () => {
    let seed = 12345;
    const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
    const valid = dumps(sample);
    for (let round = 0; round < 2000; round++) {
      const b = Uint8Array.from(valid);
      for (let k = 0; k < 3; k++) b[rand() % b.length] = rand(); // flip a few bytes
      try {
        loads(b);
      } catch (e) {
        expect(e).toBeInstanceOf(Error);
        expect((e as Error).message).toMatch(/^loads: |cannot rebuild/);
      }
    }
  });

  it('non-Uint8Array input is a TypeError', () => {
    expect(() => loads('abc' as never)).toThrow(TypeError);
    expect(() => loads(new ArrayBuffer(1) as never)).toThrow(/expected a Uint8Array.*ArrayBuffer/);
  });
});
