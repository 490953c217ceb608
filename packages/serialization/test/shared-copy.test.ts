import { describe, expect, it } from 'vitest';
import { dumps, loads } from '../src/index.js';

/** The message placed at `offset` of a SharedArrayBuffer, as a ring buffer holds it. */
function inShared(bytes: Uint8Array, offset: number): Uint8Array {
  const sab = new Uint8Array(new SharedArrayBuffer(offset + bytes.length + 8));
  sab.set(bytes, offset);
  return sab.subarray(offset, offset + bytes.length);
}

describe('binary payloads read from shared memory', () => {
  it.each([100, 5000, 65_536, 200_003, 1 << 20])('%i bytes at every alignment come back intact', (n) => {
    const data = new Uint8Array(n);
    for (let i = 0; i < n; i++) data[i] = (i * 31 + (i >> 8)) & 0xff;
    const message = dumps({ u8: data, ab: data.buffer, buf: Buffer.from(data) });
    for (let offset = 0; offset < 8; offset++) {
      const back = loads<{ u8: Uint8Array; ab: ArrayBuffer; buf: Buffer }>(inShared(message, offset));
      // Buffer.equals, not toEqual: a deep compare of 1 MiB element by element takes seconds.
      expect(back.u8).toBeInstanceOf(Uint8Array);
      expect(Buffer.from(back.u8.buffer, back.u8.byteOffset, back.u8.byteLength).equals(data)).toBe(true);
      expect(Buffer.from(back.ab).equals(data)).toBe(true);
      expect(back.buf.equals(data)).toBe(true);
      // Own, exactly sized, not shared memory.
      expect(back.u8.buffer).not.toBeInstanceOf(SharedArrayBuffer);
      expect(back.u8.byteOffset).toBe(0);
      expect(back.u8.buffer.byteLength).toBe(n);
      expect(back.ab.byteLength).toBe(n);
      expect(back.u8.buffer).not.toBe(back.ab);
    }
  });

  it('typed arrays keep their class and values', () => {
    const f = Float64Array.from({ length: 10_000 }, (_, i) => i / 3);
    const back = loads<Float64Array>(inShared(dumps(f), 3));
    expect(back).toBeInstanceOf(Float64Array);
    expect(back).toEqual(f);
  });
});
